"""Exponential-family helpers against normalisers summed or integrated numerically."""

import numpy as np
import pytest
from scipy import integrate, special

from boltz.expfam import (
    Bernoulli,
    Categorical,
    Gaussian,
    GaussianLearnedVariance,
    Poisson,
    Spin,
    log_sigmoid,
    softplus,
)

ETAS = np.array([-30.0, -3.0, -0.5, 0.0, 0.7, 4.0, 30.0])


def test_bernoulli_and_spin_partition_equal_sums():
    np.testing.assert_allclose(Bernoulli.log_partition(ETAS),
                               np.log1p(np.exp(ETAS)), rtol=1e-12)
    np.testing.assert_allclose(Spin.log_partition(ETAS),
                               np.log(np.exp(-ETAS) + np.exp(ETAS)), rtol=1e-12)
    # stable far out where exp overflows
    assert Bernoulli.log_partition(np.array(1000.0)) == pytest.approx(1000.0)
    assert np.isfinite(Spin.log_partition(np.array(-1000.0)))


def test_categorical_partition_equals_sum(rng):
    eta = rng.normal(size=(4, 5)) * 3
    np.testing.assert_allclose(Categorical.log_partition(eta), np.log(np.exp(eta).sum(-1)))
    big = np.array([[1000.0, 999.0, 0.0]])
    assert np.isfinite(Categorical.log_partition(big)).all()


def test_gaussian_partition_equals_integral():
    g = Gaussian(variance=2.5)
    for eta in (-1.3, 0.0, 0.8):
        val, _ = integrate.quad(lambda x, e=eta: np.exp(e * x + g.log_base_measure(x)),
                                -np.inf, np.inf)
        assert g.log_partition(np.array(eta)) == pytest.approx(np.log(val), abs=1e-9)
    fam = GaussianLearnedVariance()
    eta = fam.natural_from_moments(np.array(0.7), np.array(1.9))
    val, _ = integrate.quad(lambda x: np.exp(eta[0] * x + eta[1] * x * x - 0.5 * np.log(2 * np.pi)),
                            -np.inf, np.inf)
    assert fam.log_partition(eta) == pytest.approx(np.log(val), abs=1e-9)


def test_poisson_partition_equals_sum():
    for eta in (-2.0, 0.0, 1.5, 3.0):
        k = np.arange(200)
        total = special.logsumexp(eta * k - special.gammaln(k + 1))
        assert Poisson.log_partition(np.array(eta)) == pytest.approx(total, rel=1e-12)


@pytest.mark.parametrize("fam,mu", [
    (Bernoulli, np.array([0.01, 0.3, 0.5, 0.99])),
    (Spin, np.array([-0.9, 0.0, 0.4])),
    (Gaussian(variance=0.3), np.array([-2.0, 0.0, 5.0])),
    (Poisson, np.array([0.1, 1.0, 12.0])),
    (Categorical, np.array([[0.2, 0.5, 0.3], [0.9, 0.05, 0.05]])),
])
def test_natural_mean_round_trip(fam, mu):
    np.testing.assert_allclose(fam.mean(fam.natural_from_mean(mu)), mu, rtol=1e-9, atol=1e-12)


def test_gaussian_learned_variance_round_trip():
    fam = GaussianLearnedVariance()
    eta = fam.natural_from_moments(np.array([0.0, -1.0]), np.array([1.0, 0.25]))
    np.testing.assert_allclose(fam.natural_from_mean(fam.mean(eta)), eta)


def test_mean_is_gradient_of_log_partition():
    h = 1e-6
    for fam in (Bernoulli, Spin, Gaussian(variance=2.0), Poisson):
        num = (fam.log_partition(ETAS[1:-1] + h) - fam.log_partition(ETAS[1:-1] - h)) / (2 * h)
        np.testing.assert_allclose(fam.mean(ETAS[1:-1]), num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fam,eta", [
    (Bernoulli, np.array([-1.0, 0.3, 2.0])),
    (Spin, np.array([-0.4, 0.0, 1.1])),
    (Gaussian(variance=0.5), np.array([-1.0, 2.0])),
    (Poisson, np.array([np.log(0.5), np.log(4.0)])),
])
def test_mle_recovers_parameters(fam, eta):
    n = 100_000
    x = fam.sample(np.broadcast_to(eta, (n, eta.size)), seed=3)
    mu_hat = fam.mean(fam.fit(x))
    # moment matching: the fitted mean is the sample mean; its s.e. is sqrt(var / n)
    se = np.sqrt(fam.variance(eta) / n)
    assert np.all(np.abs(mu_hat - fam.mean(eta)) < 5 * se)


def test_categorical_mle_and_sampling():
    eta = np.log(np.array([0.1, 0.6, 0.3]))
    x = Categorical.sample(np.broadcast_to(eta, (50_000, 3)), seed=1)
    assert np.all(x.sum(1) == 1)
    p_hat = Categorical.mean(Categorical.fit(x))
    se = np.sqrt(0.6 * 0.4 / 50_000)
    np.testing.assert_allclose(p_hat, [0.1, 0.6, 0.3], atol=5 * se)


def test_gaussian_learned_variance_mle():
    fam = GaussianLearnedVariance()
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(200_000, 1))
    m, v = fam.mean_variance(fam.fit(x))
    assert abs(m[0] - 3.0) < 5 * 2.0 / np.sqrt(2e5)
    assert abs(v[0] - 4.0) < 5 * 4.0 * np.sqrt(2 / 2e5)


def test_entropy_matches_direct_sum():
    eta = np.array([-0.7, 1.2])
    p = Bernoulli.mean(eta)
    np.testing.assert_allclose(Bernoulli.entropy(eta), -(p * np.log(p) + (1 - p) * np.log(1 - p)))
    lam = 3.2
    k = np.arange(100)
    pmf = np.exp(k * np.log(lam) - lam - special.gammaln(k + 1))
    direct = -(pmf * np.log(pmf)).sum()
    assert Poisson.entropy(np.array(np.log(lam))) == pytest.approx(direct, rel=1e-9)
    g = Gaussian(variance=2.0)
    assert g.entropy(np.array(0.3)) == pytest.approx(0.5 * np.log(2 * np.pi * np.e * 2.0))
    eta = np.array([0.2, -1.0, 1.5])
    pc = Categorical.mean(eta)
    assert Categorical.entropy(eta) == pytest.approx(-(pc * np.log(pc)).sum())


def test_kl_matches_direct_sum():
    ep, eq = np.array(0.4), np.array(-1.0)
    p, q = Bernoulli.mean(ep), Bernoulli.mean(eq)
    direct = p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
    assert Bernoulli.kl(ep, eq) == pytest.approx(direct, rel=1e-10)
    g = Gaussian(variance=1.5)
    m1, m2 = g.mean(np.array(1.0)), g.mean(np.array(-0.5))
    assert g.kl(np.array(1.0), np.array(-0.5)) == pytest.approx((m1 - m2) ** 2 / (2 * 1.5))
    assert Spin.kl(np.array(0.3), np.array(0.3)) == 0.0


def test_log_prob_normalises():
    eta = np.array(0.9)
    total = np.exp(Spin.log_prob(np.array([-1.0, 1.0]), eta)).sum()
    assert total == pytest.approx(1.0)
    k = np.arange(60.0)
    assert np.exp(Poisson.log_prob(k, np.array(1.0))).sum() == pytest.approx(1.0)


def test_softplus_and_log_sigmoid_are_stable():
    x = np.array([-800.0, 0.0, 800.0])
    np.testing.assert_allclose(softplus(x), [0.0, np.log(2), 800.0])
    np.testing.assert_allclose(log_sigmoid(x), [-800.0, -np.log(2), 0.0])


def test_bad_input():
    with pytest.raises(ValueError, match="binary"):
        Bernoulli.sufficient_statistics(np.array([0.0, 0.5]))
    with pytest.raises(ValueError, match="binary"):
        Spin.sufficient_statistics(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="finite"):
        Bernoulli.log_partition(np.array([np.nan]))
    with pytest.raises(ValueError, match="mu"):
        Bernoulli.natural_from_mean(np.array([1.2]))
    with pytest.raises(ValueError, match="variance"):
        Gaussian(variance=0.0)
    with pytest.raises(ValueError, match="one-hot"):
        Categorical.sufficient_statistics(np.array([[1.0, 1.0]]))
    with pytest.raises(ValueError, match="integers"):
        Poisson.sufficient_statistics(np.array([1.5]))
    with pytest.raises(ValueError, match="negative"):
        GaussianLearnedVariance().log_partition(np.array([0.0, 1.0]))
    assert Bernoulli() is Bernoulli
