"""Image models of boltz.deep: the sample-quality metric, the score model, the conv EBM.

Tiny and seeded: no MNIST, no trained classifier (an untrained tiny net stands in).
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _score_helpers import GaussianScore  # noqa: E402

from boltz.deep.objectives import DenoisingScoreMatching  # noqa: E402
from boltz.deep.sample_quality import (  # noqa: E402
    CLASSIFIER_CONFIG,
    DigitClassifier,
    class_entropy,
    class_histogram,
    classifier_features,
    classifier_path,
    feature_statistics,
    frechet_distance,
    load_or_train_classifier,
    sample_quality,
)
from boltz.deep.score_models import (  # noqa: E402
    NoiseConditionalScoreNet,
    ScoreModule,
    geometric_sigmas,
    inpaint,
    sample_annealed,
)

# ---------------------------------------------------------------- Fréchet distance


def _random_cov(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def test_frechet_matches_closed_form_for_diagonal_gaussians():
    rng = np.random.default_rng(0)
    m1, m2 = rng.normal(size=5), rng.normal(size=5)
    v1, v2 = rng.uniform(0.1, 3, 5), rng.uniform(0.1, 3, 5)
    exact = np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    assert frechet_distance(m1, np.diag(v1), m2, np.diag(v2)) == pytest.approx(exact, rel=1e-10)


def test_frechet_matches_scipy_sqrtm_for_full_covariances():
    scipy_linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(1)
    for d in (1, 4, 12):
        m1, m2 = rng.normal(size=d), rng.normal(size=d)
        c1, c2 = _random_cov(rng, d), _random_cov(rng, d)
        covmean = scipy_linalg.sqrtm(c1 @ c2).real
        ref = np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2 * covmean)
        assert frechet_distance(m1, c1, m2, c2) == pytest.approx(ref, rel=1e-8, abs=1e-10)


def test_frechet_of_a_set_with_itself_is_zero_and_symmetric():
    rng = np.random.default_rng(2)
    f = rng.normal(size=(500, 8)) @ rng.normal(size=(8, 8))
    s = feature_statistics(f)
    assert frechet_distance(*s, *s) == pytest.approx(0.0, abs=1e-9)
    g = feature_statistics(rng.normal(size=(500, 8)))
    assert frechet_distance(*s, *g) == pytest.approx(frechet_distance(*g, *s), rel=1e-9)


def test_frechet_from_samples_recovers_the_gaussian_closed_form_with_a_control():
    """Estimates from n samples of two Gaussians scatter around the closed form (their
    spread over 30 repeats gives the tolerance); the second mean moved by 0.05 is a control."""
    rng = np.random.default_rng(3)
    d, n = 3, 4000
    m1, m2 = np.zeros(d), np.full(d, 0.5)
    c1, c2 = np.diag([1.0, 2.0, 0.5]), np.diag([1.5, 1.0, 0.5])
    exact = frechet_distance(m1, c1, m2, c2)
    est = np.array([
        frechet_distance(*feature_statistics(rng.multivariate_normal(m1, c1, n)),
                         *feature_statistics(rng.multivariate_normal(m2, c2, n)))
        for _ in range(30)])
    se = est.std(ddof=1) / math.sqrt(len(est))
    bias_bound = 2 * d / n  # the plug-in covariance bias is O(d / n)
    assert abs(est.mean() - exact) < 4 * se + bias_bound
    control = frechet_distance(m1, c1, m2 + 0.05, c2)
    assert abs(est.mean() - control) > 4 * se + bias_bound


def test_frechet_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="cov2"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="features"):
        feature_statistics(np.zeros((1, 3)))


# ---------------------------------------------------------------- class histogram, classifier


def test_class_entropy_uniform_and_one_hot():
    assert class_entropy(np.full(10, 0.1)) == pytest.approx(math.log(10))
    assert class_entropy(np.eye(10)[3]) == 0.0
    with pytest.raises(ValueError, match="histogram"):
        class_entropy(-np.ones(10))


def test_untrained_tiny_net_scores_shapes_and_self_distance():
    torch.manual_seed(0)
    net = DigitClassifier(width=4, features=6)
    x = np.random.default_rng(0).random((40, 28, 28)).astype(np.float32)
    assert classifier_features(net, x).shape == (40, 6)
    assert classifier_features(net, x).dtype == np.float64
    h = class_histogram(net, x.reshape(40, 784))
    assert h.shape == (10,) and h.sum() == pytest.approx(1.0)
    q = sample_quality(net, x, x)
    assert q["fid"] == pytest.approx(0.0, abs=1e-8)
    assert q["n"] == 40 and len(q["class_histogram"]) == 10
    with pytest.raises(ValueError, match="images"):
        classifier_features(net, np.zeros((3, 27, 27)))


def test_classifier_cache_is_keyed_by_config_and_loaded_weights_only(tmp_path):
    cfg = {**CLASSIFIER_CONFIG, "width": 4, "features": 6}
    path = classifier_path(cfg, tmp_path)
    assert path != classifier_path(CLASSIFIER_CONFIG, tmp_path)
    torch.manual_seed(0)
    net = DigitClassifier(4, 6)
    path.parent.mkdir(parents=True)
    torch.save({"model": net.state_dict(), "test_accuracy": 0.5, "train_seconds": 1.0}, path)
    loaded, info = load_or_train_classifier(cfg, cache_dir=tmp_path)  # no training: cached
    assert info["cached"] and info["test_accuracy"] == 0.5
    x = torch.rand(3, 1, 28, 28)
    net.eval()
    assert torch.equal(loaded.features(x), net.features(x))
    with pytest.raises(ValueError, match="config"):
        load_or_train_classifier({"width": 4}, cache_dir=tmp_path)


# ---------------------------------------------------------------- score model


class _LinearScore(ScoreModule):
    """``s(x, sigma) = -a x``: one parameter, for the DSM gradient check."""

    def __init__(self, a):
        super().__init__()
        self.event_shape = (1,)
        self.a = torch.nn.Parameter(torch.tensor(float(a), dtype=torch.float64))

    def score_at(self, x, sigma):
        return -self.a * x


def test_score_net_shapes_and_validation():
    net = NoiseConditionalScoreNet(size=8, width=4)
    assert net.score_at(torch.zeros(2, 1, 8, 8), 0.3).shape == (2, 1, 8, 8)
    assert NoiseConditionalScoreNet(size=14, width=4).score_at(
        torch.zeros(1, 1, 14, 14), 0.3).shape == (1, 1, 14, 14)
    with pytest.raises(ValueError, match="size"):
        NoiseConditionalScoreNet(size=3)
    with pytest.raises(TypeError, match="score_at"):
        net(torch.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match="sigma_max"):
        geometric_sigmas(0.1, 1.0, 3)


def test_score_view_gradient_is_minus_the_score():
    torch.manual_seed(0)
    net = NoiseConditionalScoreNet(size=8, width=4)
    x = torch.rand(3, 1, 8, 8, requires_grad=True)
    e = net.at_noise(0.2)(x).sum()
    (g,) = torch.autograd.grad(e, x)
    assert torch.allclose(g, -net.score_at(x.detach(), 0.2), atol=1e-6)


@pytest.mark.parametrize("sigmas", [(0.5,), (1.0, 0.3)])
def test_dsm_gradient_for_a_linear_score_matches_the_gaussian_closed_form(sigmas):
    """Data N(0, v): E[DSM loss](a) = mean over levels of ((1 - s^2 a)^2 + s^2 a^2 v) / 2, so
    dL/da = mean(-s^2 (1 - s^2 a) + s^2 a v); the Monte Carlo gradient over 40 batches
    must agree within 4 standard errors, and miss a control (the gradient at a + 0.3)."""
    v, a = 2.0, 0.4
    model = _LinearScore(a)
    dsm = DenoisingScoreMatching(list(sigmas))
    gen = torch.Generator().manual_seed(0)
    grads = []
    for _ in range(40):
        x = math.sqrt(v) * torch.randn(2000, 1, generator=gen, dtype=torch.float64)
        loss, _ = dsm(model, x, gen)
        (g,) = torch.autograd.grad(loss, model.a)
        grads.append(float(g))
    s2 = np.square(sigmas)

    def exact(a):
        return float(np.mean(-s2 * (1 - s2 * a) + s2 * a * v))
    mean, se = np.mean(grads), np.std(grads, ddof=1) / math.sqrt(len(grads))
    assert abs(mean - exact(a)) < 4 * se
    assert abs(mean - exact(a + 0.3)) > 4 * se


def test_annealed_langevin_with_the_exact_score_recovers_mean_and_variance():
    """Unadjusted Langevin with step h on N(m, v) is stationary at N(m, v / (1 - h / (2 v)));
    20,000 chains match that mean and variance within 4 standard errors, and a control
    (the data variance scaled by 1.1) is rejected."""
    m, v = 1.5, 0.5
    model = GaussianScore(m, v)
    sigmas, eps = [1.0, 0.3, 0.1], 0.05
    n = 20000
    x = sample_annealed(model, n, sigmas, steps_per_level=150, step_scale=eps, seed=0,
                        init=torch.zeros(n, 1, dtype=torch.float64), denoise=False,
                        clamp=None, batch_size=n).double()
    h = 0.5 * eps  # the last level's Langevin step: alpha / 2 with alpha = eps
    vl = v + sigmas[-1] ** 2
    var_exact = vl / (1 - h / (2 * vl))
    se_mean, se_var = math.sqrt(var_exact / n), var_exact * math.sqrt(2 / (n - 1))
    assert abs(float(x.mean()) - m) < 4 * se_mean
    assert abs(float(x.var()) - var_exact) < 4 * se_var
    assert abs(float(x.var()) - 1.1 * var_exact) > 4 * se_var


def test_inpainting_keeps_the_known_pixels():
    torch.manual_seed(0)
    net = NoiseConditionalScoreNet(size=8, width=4)
    images = torch.rand(2, 1, 8, 8)
    mask = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
    mask[..., :4, :] = True
    out = inpaint(net, images, mask, [1.0, 0.1], steps_per_level=2, seed=0)
    assert out.shape == images.shape
    assert torch.equal(out[..., :4, :], images[..., :4, :])
    assert not torch.equal(out[..., 4:, :], images[..., 4:, :])


# ---------------------------------------------------------------- conv EBM, recipes


def test_conv_image_energy_shapes_and_spectral_norm():
    from boltz.deep.image_energies import ConvImageEnergy

    for size in (14, 28):
        m = ConvImageEnergy(size=size, width=4)
        assert m(torch.rand(3, 1, size, size)).shape == (3,)
    sn = ConvImageEnergy(size=14, width=4, spectral_norm=True)
    assert sn(torch.rand(2, 1, 14, 14)).shape == (2,)
    with pytest.raises(ValueError, match="size"):
        ConvImageEnergy(size=2)


def test_recipes_resize_and_stop_at_max_steps():
    from boltz.deep.image_recipes import resize, train_conv_ebm, train_score_model

    x = torch.rand(32, 1, 28, 28)
    assert resize(x, 14).shape == (32, 1, 14, 14)
    assert torch.allclose(resize(x, 14)[0, 0, 0, 0], x[0, 0, :2, :2].mean())
    assert resize(resize(x, 14), 28).shape == x.shape
    m, pcd, r = train_conv_ebm(x, seconds=60, max_steps=2, width=4, langevin_steps=2,
                               buffer_size=16, batch_size=8)
    assert r["n_steps"] == 2 and pcd.buffer.states.shape == (16, 1, 14, 14)
    assert float(pcd.buffer.states.min()) >= 0.0 and float(pcd.buffer.states.max()) <= 1.0
    s, r = train_score_model(x, seconds=60, max_steps=1, width=4, batch_size=8)
    assert r["n_steps"] == 1 and s.event_shape == (1, 28, 28) and s.patch == 2
    with pytest.raises(TypeError, match="unknown settings"):
        train_score_model(x, seconds=1, max_steps=1, widht=4)


class _CorrelatedGaussianScore(ScoreModule):
    """Exact score of N(m, C) convolved with N(0, sigma^2 I): -(C + sigma^2 I)^-1 (x - m)."""

    def __init__(self, mean, cov):
        super().__init__()
        self.event_shape = (2,)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float64))
        self.register_buffer("cov", torch.tensor(cov, dtype=torch.float64))

    def score_at(self, x, sigma):
        s = torch.as_tensor(sigma, dtype=x.dtype)
        s2 = (s.reshape(-1, 1, 1) if s.ndim else s.reshape(1, 1, 1)) ** 2
        prec = torch.linalg.inv(self.cov + s2 * torch.eye(2, dtype=x.dtype))
        return -torch.einsum("nij,nj->ni", prec.expand(x.shape[0], 2, 2), x - self.mean)


def test_inpainting_samples_the_exact_gaussian_conditional():
    """Inpainting x2 given x1 under an exact Gaussian score: the chains' mean and variance
    match the conditional of N(m, C + sigma_L^2 I) (with the unadjusted-Langevin variance
    factor and the noise added to the known pixel), within 4 standard errors; a control
    (the unconditional variance) is rejected."""
    m, c = [0.5, 0.5], [[0.01, 0.008], [0.008, 0.01]]
    model = _CorrelatedGaussianScore(m, c)
    sigmas, eps, n, x1 = [0.1, 0.03, 0.01], 1e-3, 10000, 0.55
    images = torch.full((n, 2), x1, dtype=torch.float64)
    mask = torch.tensor([[True, False]])
    out = inpaint(model, images, mask, sigmas, steps_per_level=60, step_scale=eps, seed=0,
                  denoise=False)
    s = np.array(c) + sigmas[-1] ** 2 * np.eye(2)
    beta = s[1, 0] / s[0, 0]
    mean_exact = m[1] + beta * (x1 - m[0])
    v = s[1, 1] - s[1, 0] ** 2 / s[0, 0]
    h = 0.5 * eps
    var_exact = v / (1 - h / (2 * v)) + beta**2 * sigmas[-1] ** 2
    x2 = out[:, 1]
    se_mean, se_var = math.sqrt(var_exact / n), var_exact * math.sqrt(2 / (n - 1))
    assert torch.equal(out[:, 0], images[:, 0])
    assert abs(float(x2.mean()) - mean_exact) < 4 * se_mean
    assert abs(float(x2.var()) - var_exact) < 4 * se_var
    assert abs(float(x2.var()) - s[1, 1]) > 4 * se_var



def test_image_recipes_leave_torch_global_random_state_alone():
    from boltz.deep.image_recipes import train_conv_ebm, train_score_model

    x = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    before = torch.random.get_rng_state()
    train_score_model(x, seconds=30, max_steps=1, size=8, width=4)
    train_conv_ebm(x, seconds=30, max_steps=1, width=4, langevin_steps=1, buffer_size=8)
    assert torch.equal(before, torch.random.get_rng_state())


# ---------------------------------------------------------------- Langevin gradient clamp


def _unit_gaussian():
    """E(x) = |x|^2 / 2 on R^2 (grad E(x) = x), float64."""
    from boltz.deep.base import EnergyModule

    class HalfSquare(EnergyModule):
        event_shape = (2,)

        def __init__(self):
            super().__init__()
            self.register_buffer("anchor", torch.zeros((), dtype=torch.float64))

        def forward(self, x):
            return 0.5 * (x - self.anchor).square().sum(1)

    return HalfSquare()


def test_grad_clamp_one_step_matches_hand_computation():
    """One noiseless step from x = (5, 0.01) on E = |x|^2 / 2 with step 1: the clamped
    gradient (0.1, 0.01) moves x to (4.9, 0); without the clamp x goes to (0, 0)."""
    from boltz.deep.objectives import ContrastiveDivergence

    x = torch.tensor([[5.0, 0.01]], dtype=torch.float64)
    cd = ContrastiveDivergence(n_steps=1, step_size=1.0, noise_scale=0.0, grad_clamp=0.1)
    out = cd.negatives(_unit_gaussian(), x, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, torch.tensor([[4.9, 0.0]], dtype=torch.float64))
    free = ContrastiveDivergence(n_steps=1, step_size=1.0, noise_scale=0.0)
    out = free.negatives(_unit_gaussian(), x, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, torch.zeros(1, 2, dtype=torch.float64))


def test_grad_clamp_that_never_binds_keeps_the_gaussian_stationary_law():
    """Langevin with step h on N(0, 1) is stationary at variance 1 / (1 - h / 2); with a
    clamp far above every gradient the chains are identical to unclamped ones and match
    that variance within 4 standard errors; a binding clamp (0.5) caps the restoring force,
    and its wider law is rejected (the control)."""
    from boltz.deep.objectives import ContrastiveDivergence

    n, h = 4000, 0.2
    x0 = torch.zeros(n, 2, dtype=torch.float64)

    def chains(clamp):
        cd = ContrastiveDivergence(n_steps=60, step_size=h, grad_clamp=clamp)
        return cd.negatives(_unit_gaussian(), x0, torch.Generator().manual_seed(0))

    loose, free, tight = chains(1e3), chains(None), chains(0.5)
    assert torch.equal(loose, free)
    var_exact = 1.0 / (1.0 - h / 2)
    se_mean, se_var = math.sqrt(var_exact / n), var_exact * math.sqrt(2 / (n - 1))
    assert float(loose.mean(0).abs().max()) < 4 * se_mean
    assert float((loose.var(0) - var_exact).abs().max()) < 4 * se_var
    assert float((tight.var(0) - var_exact).abs().min()) > 4 * se_var


def test_data_noise_perturbs_the_positive_batch():
    """With ``data_noise=s`` the data energy E = |x|^2 / 2 at x = 0 averages s^2 (two
    coordinates, s^2 / 2 each) within 4 standard errors; without it, exactly 0; with
    ``clamp=(0, 1)`` the noisy data stay in the box (half the coordinates at 0)."""
    from boltz.deep.objectives import ContrastiveDivergence

    n, s = 4000, 0.5
    x = torch.zeros(n, 2, dtype=torch.float64)
    g = _unit_gaussian()
    _, info = ContrastiveDivergence(n_steps=1, data_noise=s)(g, x, torch.Generator().manual_seed(0))
    se = s**2 * math.sqrt(2.0 / n)          # sd of (z1^2 + z2^2) s^2 / 2 is s^2, over sqrt(n)
    assert abs(info["energy_pos"] - s**2) < 4 * se
    _, info = ContrastiveDivergence(n_steps=1)(g, x, torch.Generator().manual_seed(0))
    assert info["energy_pos"] == 0.0
    _, info = ContrastiveDivergence(n_steps=1, data_noise=s, clamp=(0.0, 1.0))(
        g, x, torch.Generator().manual_seed(0))
    assert abs(info["energy_pos"] - s**2 / 2) < 4 * se   # E[max(z, 0)^2] = 1/2 per coordinate


@pytest.mark.parametrize("kw", [{"grad_clamp": 0.0}, {"grad_clamp": -1.0},
                                {"grad_clamp": float("nan")}, {"data_noise": -0.1}])
def test_grad_clamp_and_data_noise_are_validated(kw):
    from boltz.deep.objectives import ContrastiveDivergence

    with pytest.raises(ValueError, match=next(iter(kw))):
        ContrastiveDivergence(**kw)


def test_conv_ebm_recipe_passes_the_langevin_clamp_and_data_noise():
    from boltz.deep.image_recipes import EBM_SETTINGS, train_conv_ebm

    x = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    _, pcd, r = train_conv_ebm(x, seconds=30, max_steps=1, width=4, langevin_steps=1,
                               buffer_size=8, batch_size=4)
    assert pcd.grad_clamp == EBM_SETTINGS["grad_clamp"] and pcd.data_noise == EBM_SETTINGS[
        "data_noise"]
    assert r["n_steps"] == 1 and r["settings"]["beta1"] == EBM_SETTINGS["beta1"]


@pytest.mark.parametrize("betas", [(0.9,), (1.0, 0.999), (-0.1, 0.9), (0.9, float("nan"))])
def test_fit_for_rejects_bad_betas(betas):
    from boltz.deep import MLPEnergy
    from boltz.deep.image_recipes import fit_for
    from boltz.deep.objectives import DenoisingScoreMatching

    with pytest.raises(ValueError, match="betas"):
        fit_for(MLPEnergy(1, hidden=(4,)), DenoisingScoreMatching(0.5), torch.randn(8, 1),
                seconds=1, max_steps=1, betas=betas)
