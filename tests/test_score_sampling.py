"""Score-model sampling by the probability-flow ODE, and DSM on a continuum of levels.

Exact references: for N(m, v) data the perturbed score is -(x - m) / (v + s^2),
the probability-flow ODE maps x(s_max) to m + (x - m) sqrt((v + s^2) / (v + s_max^2)),
and Tweedie's step at s_min multiplies the deviation by v / (v + s_min^2).
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from boltz.deep.objectives import DenoisingScoreMatching  # noqa: E402
from boltz.deep.score_models import ScoreModule  # noqa: E402
from boltz.deep.score_sampling import karras_sigmas, sample_probability_flow  # noqa: E402


class _GaussianScore(ScoreModule):
    """Exact score of N(mean, var) data convolved with N(0, sigma^2)."""

    def __init__(self, mean, var, dim=1):
        super().__init__()
        self.event_shape = (dim,)
        self.register_buffer("mean", torch.tensor(float(mean), dtype=torch.float64))
        self.var = float(var)
        self.seen = []

    def score_at(self, x, sigma):
        s = torch.as_tensor(sigma, dtype=x.dtype).reshape(-1, *([1] * (x.ndim - 1)))
        self.seen.append(torch.as_tensor(sigma).detach().reshape(-1).clone())
        return -(x - self.mean) / (self.var + s**2)


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
        out = sample_probability_flow(_GaussianScore(m, var), 500, sigma_max=s_max,
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
    x = sample_probability_flow(_GaussianScore(m, v), n, sigma_max=s_max, sigma_min=s_min,
                                n_steps=40, seed=0, clamp=None, batch_size=5000)
    k = math.sqrt((v + s_min**2) / (v + s_max**2)) * v / (v + s_min**2)
    mean_exact, var_exact = m * (1 - k), k**2 * s_max**2
    se_mean, se_var = math.sqrt(var_exact / n), var_exact * math.sqrt(2 / (n - 1))
    assert abs(float(x.mean()) - mean_exact) < 4 * se_mean
    assert abs(float(x.var()) - var_exact) < 4 * se_var
    assert abs(float(x.var()) - 1.1 * var_exact) > 4 * se_var


def test_probability_flow_is_seeded_and_validates():
    model = _GaussianScore(0.0, 1.0, dim=3)
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
        model = _GaussianScore(0.0, 1.0)
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
