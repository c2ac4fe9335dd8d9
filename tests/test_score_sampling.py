"""Score-model sampling by the probability-flow ODE, and DSM on a continuum of levels.

Exact references: for N(m, v) data the perturbed score is -(x - m) / (v + s^2),
the probability-flow ODE maps x(s_max) to m + (x - m) sqrt((v + s^2) / (v + s_max^2)),
and Tweedie's step at s_min multiplies the deviation by v / (v + s_min^2).
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _score_helpers import GaussianScore  # noqa: E402

from boltz.deep.objectives import DenoisingScoreMatching  # noqa: E402
from boltz.deep.score_sampling import karras_sigmas, sample_probability_flow  # noqa: E402


def _exact_flow(x0, m, v, s_max, s_min):
    return m + (x0 - m) * math.sqrt((v + s_min**2) / (v + s_max**2)) * v / (v + s_min**2)


def test_karras_schedule_ends_at_zero_and_validates():
    s = karras_sigmas(80.0, 0.002, 18)
    assert len(s) == 19 and s[0] == pytest.approx(80.0) and s[-2] == pytest.approx(0.002)
    assert s[-1] == 0.0 and all(a > b for a, b in zip(s, s[1:], strict=False))
    with pytest.raises(ValueError, match="n_steps"):
        karras_sigmas(1.0, 0.1, 1)
    with pytest.raises(ValueError, match="sigma_max"):
        karras_sigmas(0.1, 1.0, 5)


def test_probability_flow_follows_the_exact_gaussian_map_at_second_order():
    """Heun converges to the closed-form ODE map at second order: the error falls 4-fold
    from 40 to 80 levels, to under 2e-3 of the deviation; a control with the data
    variance off by 10% misses the map by more than 2e-2."""
    m, v, s_max, s_min = 1.5, 0.5, 20.0, 0.01
    x0 = s_max * torch.randn(500, 1, generator=torch.Generator().manual_seed(0),
                             dtype=torch.float64)
    exact = _exact_flow(x0, m, v, s_max, s_min)
    scale = float((exact - m).abs().max())

    def error(n_steps, var=v):
        out = sample_probability_flow(GaussianScore(m, var), 500, sigma_max=s_max,
                                      sigma_min=s_min, n_steps=n_steps, init=x0, clamp=None)
        return float((out - exact).abs().max()) / scale
    e40, e80 = error(40), error(80)
    assert e80 < 2e-3 and 3.5 < e40 / e80 < 4.5
    assert error(80, 1.1 * v) > 2e-2


def test_probability_flow_from_noise_samples_the_gaussian_within_error_bars():
    """From N(0, s_max^2) starts the samples are N(m', v') with m', v' from the exact map
    (the start is not centred on m); 20,000 samples match within 4 standard errors and a
    control variance 10% larger is rejected."""
    m, v, s_max, s_min, n = 1.5, 0.5, 30.0, 0.01, 20000
    x = sample_probability_flow(GaussianScore(m, v), n, sigma_max=s_max, sigma_min=s_min,
                                n_steps=40, seed=0, clamp=None, batch_size=5000)
    k = math.sqrt((v + s_min**2) / (v + s_max**2)) * v / (v + s_min**2)
    mean_exact, var_exact = m * (1 - k), k**2 * s_max**2
    se_mean, se_var = math.sqrt(var_exact / n), var_exact * math.sqrt(2 / (n - 1))
    assert abs(float(x.mean()) - mean_exact) < 4 * se_mean
    assert abs(float(x.var()) - var_exact) < 4 * se_var
    assert abs(float(x.var()) - 1.1 * var_exact) > 4 * se_var


def test_probability_flow_is_seeded_and_validates():
    model = GaussianScore(0.0, 1.0, dim=3)
    a = sample_probability_flow(model, 7, sigma_max=5.0, n_steps=4, seed=3, batch_size=3)
    b = sample_probability_flow(model, 7, sigma_max=5.0, n_steps=4, seed=3)
    assert a.shape == (7, 3) and torch.equal(a, b)
    assert float(a.min()) >= 0.0 and float(a.max()) <= 1.0   # clamped by default
    with pytest.raises(ValueError, match="init"):
        sample_probability_flow(model, 7, sigma_max=5.0, init=torch.zeros(2, 3))
    with pytest.raises(ValueError, match="sigma_max"):
        sample_probability_flow(model, 7, sigma_max=-1.0)


def test_continuous_dsm_draws_log_uniform_levels_with_a_control():
    """The levels seen by the model are log-uniform on [0.01, 10] (Kolmogorov-Smirnov at
    the 0.1% level); the discrete two-level objective is rejected by the same test."""
    def levels(continuous):
        model = GaussianScore(0.0, 1.0)
        dsm = DenoisingScoreMatching([10.0, 0.01], continuous=continuous)
        dsm(model, torch.zeros(4000, 1, dtype=torch.float64), torch.Generator().manual_seed(0))
        return np.sort(torch.cat(model.seen).numpy())

    def ks(s):
        u = (np.log(s) - math.log(0.01)) / (math.log(10.0) - math.log(0.01))
        n = len(u)
        return max(np.max(np.arange(1, n + 1) / n - u), np.max(u - np.arange(n) / n))

    crit = 1.95 / math.sqrt(4000)        # KS critical value at alpha = 0.001
    cont = levels(True)
    assert cont.min() >= 0.01 - 1e-12 and cont.max() <= 10.0 + 1e-12
    assert ks(cont) < crit
    assert ks(levels(False)) > crit


def test_continuous_dsm_validates():
    with pytest.raises(ValueError, match="two distinct"):
        DenoisingScoreMatching(0.5, continuous=True)
    with pytest.raises(TypeError, match="continuous"):
        DenoisingScoreMatching([1.0, 0.1], continuous="yes")


def test_log_normal_levels_match_their_moments_and_stay_in_range():
    """log sigma ~ N(-1.2, 1.2^2) clipped to [log 0.01, log 50]: the clip removes 0.005% of
    the mass, so the mean and variance of log sigma match within 4 standard errors; a
    control with mean -1.0 is rejected."""
    model = GaussianScore(0.0, 1.0)
    dsm = DenoisingScoreMatching([50.0, 0.01], continuous=True, log_normal=(-1.2, 1.2))
    n = 20000
    dsm(model, torch.zeros(n, 1, dtype=torch.float64), torch.Generator().manual_seed(0))
    s = torch.cat(model.seen).numpy()
    assert s.min() >= 0.01 - 1e-12 and s.max() <= 50.0 + 1e-9
    ls = np.log(s)
    se_mean, se_var = 1.2 / math.sqrt(n), 1.44 * math.sqrt(2 / (n - 1))
    assert abs(ls.mean() + 1.2) < 4 * se_mean and abs(ls.var() - 1.44) < 4 * se_var
    assert abs(ls.mean() + 1.0) > 4 * se_mean
    with pytest.raises(ValueError, match="log_normal"):
        DenoisingScoreMatching([1.0, 0.1], log_normal=(0.0, 1.0))
    with pytest.raises(ValueError, match="log_normal"):
        DenoisingScoreMatching([1.0, 0.1], continuous=True, log_normal=(0.0, -1.0))


def test_score_recipe_averages_weights_and_samples_in_range():
    """The recipe returns the exponential moving average of the weights: with decay 0 it
    is the last iterate (trained and differs from the start); samples lie in [0, 1] and
    inpainting keeps the known pixels."""
    from boltz.deep.image_recipes import (
        inpaint_score_model,
        sample_score_model,
        train_score_model,
    )

    x = torch.rand(32, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    kw = dict(seconds=60, max_steps=3, size=8, width=4, batch_size=8)
    last, r0 = train_score_model(x, ema=0.0, **kw)
    slow, _ = train_score_model(x, ema=0.999, **kw)
    start, _ = train_score_model(x, seconds=60, max_steps=1, size=8, width=4, batch_size=8,
                                 lr=1e-12)
    w = {k: v for k, v in last.state_dict().items() if v.is_floating_point()}
    w_slow = slow.state_dict()
    assert any(not torch.allclose(v, w_slow[k]) for k, v in w.items())
    assert any(not torch.allclose(v, start.state_dict()[k]) for k, v in w.items())
    s = sample_score_model(last, 5, r0["settings"], seed=0)
    assert s.shape == (5, 1, 8, 8) and float(s.min()) >= 0 and float(s.max()) <= 1
    mask = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
    mask[..., :4, :] = True
    images = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    filled = inpaint_score_model(last, images, mask, {**r0["settings"], "inpaint_levels": 4,
                                                      "inpaint_steps_per_level": 1}, seed=0)
    assert torch.equal(filled[..., :4, :], images[..., :4, :].clamp(0, 1))


def _zero_output(net):
    torch.nn.init.zeros_(net.out.weight)
    torch.nn.init.zeros_(net.out.bias)
    return net


def test_skip_parameterisation_with_a_silent_network_is_the_gaussian_score():
    # With net = 0, D(x) = c_skip x, so s = (c_skip - 1) x / sigma^2 = -x / (sigma^2 + sd^2):
    # the exact score of N(0, sd^2) data convolved with N(0, sigma^2).
    from boltz.deep.score_models import NoiseConditionalScoreNet

    torch.manual_seed(0)
    x = torch.randn(4, 1, 8, 8)
    sigma = torch.tensor([0.01, 0.3, 2.0, 8.0])
    sd = 0.4
    with torch.no_grad():
        got = _zero_output(NoiseConditionalScoreNet(size=8, width=4, sigma_data=sd,
                                                    skip=True)).score_at(x, sigma)
        control = _zero_output(NoiseConditionalScoreNet(size=8, width=4, sigma_data=sd,
                                                        skip=False)).score_at(x, sigma)
    exact = -x / (sigma**2 + sd**2)[:, None, None, None]
    torch.testing.assert_close(got, exact, rtol=1e-5, atol=1e-6)
    assert torch.all(control == 0) and not torch.allclose(control, exact)


def test_skip_parameterisation_bounds_the_denoiser_error_by_sigma_data():
    # a network error e gives a denoised-image error c_out e <= sd e with skip, sigma e without
    from boltz.deep.score_models import NoiseConditionalScoreNet

    x = torch.zeros(2, 1, 8, 8)
    sigma = torch.tensor([8.0, 8.0])
    errs = {}
    for skip in (True, False):
        net = _zero_output(NoiseConditionalScoreNet(size=8, width=4, sigma_data=0.5, skip=skip))
        with torch.no_grad():
            net.out.bias.fill_(1.0)           # network output 1 everywhere
            denoised = x + sigma[:, None, None, None] ** 2 * net.score_at(x, sigma)
        errs[skip] = float(denoised.abs().max())
    assert errs[True] <= 0.5 and errs[False] == pytest.approx(8.0)


def test_dsm_sigma_data_weights_each_level_as_karras():
    from boltz.deep.score_models import NoiseConditionalScoreNet

    torch.manual_seed(0)
    net = NoiseConditionalScoreNet(size=8, width=4, skip=True)
    x = torch.rand(16, 1, 8, 8)
    for sigma in (0.05, 2.0):
        plain = DenoisingScoreMatching([sigma, sigma / 2], continuous=True)
        plain.sigmas = (sigma,)                 # one level: the weight is a constant
        weighted = DenoisingScoreMatching([sigma, sigma / 2], continuous=True, sigma_data=0.5)
        weighted.sigmas = (sigma,)
        a, _ = plain(net, x, torch.Generator().manual_seed(3))
        b, _ = weighted(net, x, torch.Generator().manual_seed(3))
        assert b.item() == pytest.approx(a.item() * (1 + (sigma / 0.5) ** 2), rel=1e-5)


def test_skip_and_sigma_data_validate():
    from boltz.deep.score_models import NoiseConditionalScoreNet

    with pytest.raises(TypeError, match="skip"):
        NoiseConditionalScoreNet(size=8, width=4, skip="yes")
    with pytest.raises(ValueError, match="sigma_data"):
        DenoisingScoreMatching([1.0, 0.1], continuous=True, sigma_data=0.0)


def test_patch_folds_each_block_into_channels_and_back():
    # output channel k of the last conv lands at offset (k // 2, k % 2) of every 2x2 block
    from boltz.deep.score_models import NoiseConditionalScoreNet

    net = _zero_output(NoiseConditionalScoreNet(size=8, width=4, patch=2))
    with torch.no_grad():
        net.out.bias.copy_(torch.tensor([1.0, 2.0, 3.0, 4.0]))
        s = net.score_at(torch.rand(2, 1, 8, 8), 1.0)
    block = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    torch.testing.assert_close(s[0, 0], block.repeat(4, 4))
    assert not torch.equal(s[0, 0], block.T.repeat(4, 4))      # control: the transposed layout
    assert net.inp.in_channels == 4 and net.event_shape == (1, 8, 8)
    with pytest.raises(ValueError, match="patch"):
        NoiseConditionalScoreNet(size=10, width=4, patch=4)
    with pytest.raises(ValueError, match="patch"):
        NoiseConditionalScoreNet(size=9, width=4, patch=2)
