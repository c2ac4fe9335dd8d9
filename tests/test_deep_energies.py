import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from boltz.deep.energies import (  # noqa: E402
    ConvEnergy,
    DensityEnergy,
    DoubleWellEnergy,
    GaussianEnergy,
    GaussianMixtureEnergy,
    MLPEnergy,
    NoiseConditionalMLPEnergy,
    RingsEnergy,
    as_energy,
)
from boltz.deep.metrics import grid_log_partition  # noqa: E402
from boltz.gaussian import MultivariateGaussian  # noqa: E402

torch.set_num_threads(1)
COV = np.array([[1.0, 0.5], [0.5, 2.0]])
MEAN = np.array([1.0, -1.0])


def test_gaussian_energy_score_and_log_z_match_multivariate_gaussian():
    g = GaussianEnergy(MEAN, COV)
    ref = MultivariateGaussian(MEAN, COV)
    x = np.random.default_rng(0).normal(size=(7, 2))
    np.testing.assert_allclose(g.energy(x), ref.energy(x), rtol=1e-12)
    np.testing.assert_allclose(g.grad_log_prob(x), ref.grad_log_prob(x), rtol=1e-10, atol=1e-12)
    assert g.log_partition() == pytest.approx(ref.log_partition(), rel=1e-12)
    assert isinstance(g.energy(x), np.ndarray)          # numpy in, numpy out
    assert isinstance(g.energy(torch.as_tensor(x)), torch.Tensor)
    np.testing.assert_allclose(g.cov, COV, atol=1e-12)


def test_score_is_minus_energy_gradient_for_mlp():
    torch.manual_seed(0)
    m = MLPEnergy(3, hidden=(16, 16)).double()
    x = torch.randn(5, 3, dtype=torch.float64)
    s = m.grad_log_prob(x)
    h = 1e-6
    fd = torch.zeros_like(x)
    for i in range(3):
        e = torch.zeros_like(x)
        e[:, i] = h
        fd[:, i] = -(m.energy(x + e) - m.energy(x - e)) / (2 * h)
    torch.testing.assert_close(s, fd, rtol=1e-6, atol=1e-8)
    torch.testing.assert_close(m.log_unnormalized(x), -m.energy(x))


@pytest.mark.parametrize("model", [
    DoubleWellEnergy(dim=2, barrier=1.5),
    RingsEnergy(radii=[1.0, 2.5], width=0.3),
    GaussianMixtureEnergy([[-1.0, 0.0], [1.5, 1.0]], scales=[0.5, 0.8], weights=[0.3, 0.7]),
])
def test_analytic_log_partition_matches_grid_integration(model):
    # Midpoint rule on a fine grid: error far below 1e-4 for these smooth densities.
    assert model.log_partition() == pytest.approx(grid_log_partition(model, (-8, 8), 800),
                                                  abs=1e-4)


def test_mixture_exact_sampler_weights():
    gm = GaussianMixtureEnergy([[-5.0, -5.0], [5.0, 5.0]], 1.0, [0.2, 0.8])
    n = 20000
    frac = float((gm.sample(n, seed=1).sum(1) > 0).double().mean())
    assert abs(frac - 0.8) < 5 * math.sqrt(0.16 / n)


def test_density_adapter_and_as_energy():
    ref = MultivariateGaussian(MEAN, COV)
    a = DensityEnergy(ref)
    x = torch.randn(4, 2, dtype=torch.float64)
    torch.testing.assert_close(a.energy(x), torch.as_tensor(ref.energy(x.numpy())))
    torch.testing.assert_close(a.grad_log_prob(x), torch.as_tensor(ref.grad_log_prob(x.numpy())))
    assert a.log_partition() == pytest.approx(ref.log_partition())
    assert isinstance(as_energy(ref), GaussianEnergy)
    assert as_energy(a) is a
    with pytest.raises(TypeError, match="cannot use"):
        as_energy("gaussian")


def test_rbm_free_energy_adapter_matches_numpy_rbm():
    from boltz.rbm import BernoulliRBM

    rng = np.random.default_rng(0)
    rbm = BernoulliRBM.from_params(rng.normal(size=(5, 3)), rng.normal(size=5),
                                   rng.normal(size=3))
    v = (rng.random((8, 5)) < 0.5).astype(float)
    e = as_energy(rbm)
    np.testing.assert_allclose(e.energy(v), rbm.free_energy(v), rtol=1e-10)
    # composes with torch energies and has an autograd score on real-valued v
    both = e + GaussianEnergy(np.zeros(5), np.eye(5))
    assert both.grad_log_prob(torch.rand(4, 5, dtype=torch.float64)).shape == (4, 5)


def test_other_energies_shapes():
    torch.manual_seed(0)
    c = ConvEnergy(channels=1, size=12, width=4)
    assert c.energy(torch.zeros(3, 1, 12, 12)).shape == (3,)
    nc = NoiseConditionalMLPEnergy(2, sigmas=[1.0, 0.1], hidden=(8,))
    x = torch.randn(5, 2)
    torch.testing.assert_close(nc(x), nc.energy_at(x, 0.1))
    assert nc.at_noise(1.0).grad_log_prob(x).shape == (5, 2)


def test_bad_input_raises_clearly():
    g = GaussianEnergy(MEAN, COV)
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\)"):
        g.energy(torch.zeros(3, 3))
    with pytest.raises(ValueError, match=r"shape"):
        g.energy(np.zeros(2))
    with pytest.raises(ValueError, match="NaN"):
        g.grad_log_prob(torch.tensor([[0.0, float("nan")]]))
    with pytest.raises(ValueError, match="inf"):
        g.energy(np.array([[np.inf, 0.0]]))
    with pytest.raises(TypeError, match="numeric"):
        g.energy([["a", "b"]])
    with pytest.raises(ValueError, match="positive definite"):
        GaussianEnergy([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="weights"):
        GaussianMixtureEnergy([[0.0], [1.0]], 1.0, [0.5, 0.6])
    with pytest.raises(NotImplementedError, match="log partition"):
        MLPEnergy(2, hidden=(4,)).log_partition()
