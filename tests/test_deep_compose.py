import numpy as np
import pytest

torch = pytest.importorskip("torch")

from boltz.deep.compose import ConditionedEnergy, SumEnergy, TemperedEnergy  # noqa: E402
from boltz.deep.energies import GaussianEnergy, MLPEnergy  # noqa: E402
from boltz.deep.samplers import MALASampler  # noqa: E402
from boltz.gaussian import MultivariateGaussian  # noqa: E402

torch.set_num_threads(1)


def test_composition_adds_energies_and_scores():
    torch.manual_seed(0)
    a = MLPEnergy(2, hidden=(8,)).double()
    b = GaussianEnergy([1.0, 0.0], [[2.0, 0.3], [0.3, 1.0]])
    x = torch.randn(6, 2, dtype=torch.float64)
    poe = a + b
    assert isinstance(poe, SumEnergy)
    torch.testing.assert_close(poe.energy(x), a.energy(x) + b.energy(x))
    torch.testing.assert_close(poe.grad_log_prob(x), a.grad_log_prob(x) + b.grad_log_prob(x))
    w = SumEnergy([a, b], weights=[2.0, 0.5])
    torch.testing.assert_close(w.grad_log_prob(x),
                               2.0 * a.grad_log_prob(x) + 0.5 * b.grad_log_prob(x))
    nested = poe + b
    assert len(nested.experts) == 3                     # flattened
    assert sum([a, b]).energy(x).shape == (6,)
    t = 0.25 * poe
    assert isinstance(t, TemperedEnergy)
    torch.testing.assert_close(t.grad_log_prob(x), 0.25 * poe.grad_log_prob(x))
    assert (2.0 * t).beta == pytest.approx(0.5)


def test_composition_with_classical_density():
    ref = MultivariateGaussian([0.0, 1.0], np.eye(2))
    g = GaussianEnergy([1.0, 0.0], np.eye(2))
    x = torch.randn(3, 2, dtype=torch.float64)
    want = g.grad_log_prob(x) + torch.as_tensor(ref.grad_log_prob(x.numpy()))
    torch.testing.assert_close((g + ref).grad_log_prob(x), want)


def test_product_of_gaussian_experts_samples_analytic_product():
    ca, cb = np.array([[1.0, 0.6], [0.6, 2.0]]), np.array([[0.5, -0.2], [-0.2, 0.8]])
    ma, mb = np.array([2.0, 0.0]), np.array([-1.0, 1.0])
    ref = MultivariateGaussian(ma, ca).product(MultivariateGaussian(mb, cb))
    poe = GaussianEnergy(ma, ca) + GaussianEnergy(mb, cb)
    n = 4000
    x = MALASampler(poe, step_size=0.3).sample(torch.zeros(n, 2, dtype=torch.float64), 150,
                                               seed=0).numpy()
    se_mean = np.sqrt(np.diag(ref.cov) / n)
    assert np.all(np.abs(x.mean(0) - ref.mean) < 5 * se_mean)
    d = np.diag(ref.cov)
    se_cov = np.sqrt((np.outer(d, d) + ref.cov**2) / n)
    assert np.all(np.abs(np.cov(x.T) - ref.cov) < 5 * se_cov)


def test_conditioning_gives_the_conditional_gaussian():
    cov = np.array([[1.0, 0.8], [0.8, 2.0]])
    g = GaussianEnergy([0.0, 1.0], cov)
    c = ConditionedEnergy(g, fixed=[1], values=[3.0])
    # x0 | x1=3 ~ N(0.8/2 * (3-1), 1 - 0.64/2)
    mean, var = 0.8, 1 - 0.32
    x = torch.linspace(-2, 2, 5, dtype=torch.float64)[:, None]
    torch.testing.assert_close(c.grad_log_prob(x)[:, 0], -(x[:, 0] - mean) / var)
    full = c.complete(x)
    torch.testing.assert_close(c.energy(x), g.energy(full))
    with pytest.raises(ValueError, match="distinct indices"):
        ConditionedEnergy(g, fixed=[2], values=[0.0])
    with pytest.raises(ValueError, match="free"):
        ConditionedEnergy(g, fixed=[0, 1], values=[0.0, 0.0])


def test_composition_bad_input():
    a = GaussianEnergy([0.0, 0.0], np.eye(2))
    b = GaussianEnergy([0.0], np.eye(1))
    with pytest.raises(ValueError, match="event_shape"):
        _ = a + b
    with pytest.raises(TypeError, match="cannot use"):
        SumEnergy([a, "b"])
    with pytest.raises(ValueError, match="one entry per expert"):
        SumEnergy([a, a], weights=[1.0])
    with pytest.raises(ValueError, match="beta must be non-negative"):
        TemperedEnergy(a, -1.0)
