import numpy as np
import pytest

from boltz.density import Density, EnergyFunction, ProductOfExperts, Tempered
from boltz.gaussian import MultivariateGaussian


def quadratic(center):
    c = np.asarray(center, dtype=float)
    return EnergyFunction(lambda x: 0.5 * ((x - c) ** 2).sum(1), grad_log_prob=lambda x: -(x - c),
                          event_shape=(c.size,))


def test_log_unnormalized_is_minus_energy(rng):
    e = quadratic([1.0, 2.0])
    x = rng.normal(size=(5, 2))
    np.testing.assert_allclose(e.log_unnormalized(x), -e.energy(x))


def test_capabilities():
    e = quadratic([0.0])
    assert e.has("grad_log_prob") and not e.has("log_partition") and not e.has("sample")
    g = MultivariateGaussian([0.0], [[1.0]])
    assert all(g.has(c) for c in ("grad_log_prob", "log_partition", "sample"))
    with pytest.raises(NotImplementedError):
        e.log_partition()
    with pytest.raises(ValueError, match="capability"):
        e.has("gradient")


def test_product_of_experts_adds_energies_and_scores(rng):
    a, b = quadratic([0.0, 0.0]), quadratic([2.0, -1.0])
    poe = ProductOfExperts([a, b], weights=[1.0, 3.0])
    x = rng.normal(size=(7, 2))
    np.testing.assert_allclose(poe.energy(x), a.energy(x) + 3 * b.energy(x))
    np.testing.assert_allclose(poe.grad_log_prob(x), a.grad_log_prob(x) + 3 * b.grad_log_prob(x))
    s = a + b
    assert isinstance(s, ProductOfExperts) and s.weights == (1.0, 1.0)
    nested = (a + b) + a
    assert len(nested.experts) == 3


def test_product_of_gaussian_experts_matches_analytic_product(rng):
    a = MultivariateGaussian([0.0, 1.0], [[1.0, 0.3], [0.3, 2.0]])
    b = MultivariateGaussian([2.0, -1.0], [[0.5, 0.0], [0.0, 0.5]])
    prod = a.product(b)
    x = rng.normal(size=(20, 2))
    # Energies of the sum and of the normalised product differ by a constant.
    diff = (a + b).energy(x) - prod.energy(x)
    np.testing.assert_allclose(diff, diff[0], atol=1e-10)
    np.testing.assert_allclose((a + b).grad_log_prob(x), prod.grad_log_prob(x), atol=1e-10)


def test_tempering_scales_energy_and_score(rng):
    a = quadratic([1.0])
    t = 0.25 * a
    assert isinstance(t, Tempered)
    x = rng.normal(size=(4, 1))
    np.testing.assert_allclose(t.energy(x), 0.25 * a.energy(x))
    np.testing.assert_allclose(t.grad_log_prob(x), 0.25 * a.grad_log_prob(x))
    assert (2.0 * t).beta == 0.5
    with pytest.raises(ValueError, match="beta"):
        Tempered(a, -1.0)
    with pytest.raises(ValueError, match="beta"):
        Tempered(a, float("nan"))


def test_gaussian_log_partition_and_sampling(rng):
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    g = MultivariateGaussian([1.0, -1.0], cov)
    expected = 0.5 * np.log(np.linalg.det(2 * np.pi * cov))
    assert g.log_partition() == pytest.approx(expected, rel=1e-12)
    s = g.sample(200_000, seed=0)
    # standard errors: sqrt(var / n) ~ 0.003; allow 5 s.e.
    np.testing.assert_allclose(s.mean(0), [1.0, -1.0], atol=5 * np.sqrt(2.0 / 200_000))
    np.testing.assert_allclose(np.cov(s.T), cov, atol=0.02)


def test_bad_input_is_rejected():
    a = quadratic([0.0, 0.0])
    with pytest.raises(ValueError, match="shape"):
        a.energy(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="finite"):
        a.energy(np.array([[np.nan, 0.0]]))
    with pytest.raises(TypeError, match="Density"):
        ProductOfExperts([a, "not a density"])
    with pytest.raises(ValueError, match="weights"):
        ProductOfExperts([a, a], weights=[1.0])
    with pytest.raises(ValueError, match="event_shape"):
        ProductOfExperts([a, quadratic([0.0])])
    with pytest.raises(ValueError, match="positive definite"):
        MultivariateGaussian([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(NotImplementedError):
        Density().energy(np.zeros((1,)))
