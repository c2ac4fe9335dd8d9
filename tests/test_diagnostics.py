"""Diagnostics against processes with known answers: AR(1) chains have
tau = (1 + a) / (1 - a) and var(mean) = sigma^2 tau / n."""

import numpy as np
import pytest

from boltz.diagnostics import (
    Estimate,
    autocorrelation,
    binning_error,
    effective_sample_size,
    integrated_autocorr_time,
    jackknife,
    mean_estimate,
)


def ar1(a, n, n_chains, seed):
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(n, n_chains)) * np.sqrt(1 - a * a)   # unit stationary variance
    x = np.empty((n, n_chains))
    x[0] = rng.normal(size=n_chains)
    for t in range(1, n):
        x[t] = a * x[t - 1] + noise[t]
    return x


@pytest.mark.parametrize("a", [0.0, 0.5, 0.9])
def test_tau_of_ar1(a):
    x = ar1(a, 20000, 4, seed=1)
    tau_true = (1 + a) / (1 - a)
    tau = integrated_autocorr_time(x)
    # Sokal: relative s.d. of tau is about sqrt(2 (2M + 1) / N) with M ~ 5 tau
    rel_sd = np.sqrt(2 * (2 * 5 * tau_true + 1) / x.size)
    assert abs(tau - tau_true) < 5 * rel_sd * tau_true + 0.05 * tau_true
    assert effective_sample_size(x) == pytest.approx(x.size / tau)


def test_autocorrelation_of_ar1_is_geometric():
    x = ar1(0.8, 50000, 2, seed=2)
    rho = autocorrelation(x, max_lag=5)
    np.testing.assert_allclose(rho, 0.8 ** np.arange(6), atol=0.03)


def test_mean_error_matches_spread_over_replications():
    # the reported error must match the actual scatter of the mean over repeats
    a, n = 0.7, 4000
    means, errors = [], []
    for seed in range(40):
        est = mean_estimate(ar1(a, n, 1, seed=100 + seed))
        means.append(est.mean)
        errors.append(est.error)
    true_sd = np.sqrt((1 + a) / (1 - a) / n)
    assert np.mean(errors) == pytest.approx(true_sd, rel=0.15)
    # sample s.d. of 40 means: relative s.e. about 1 / sqrt(80) = 0.11
    assert np.std(means, ddof=1) == pytest.approx(true_sd, rel=0.4)


def test_binning_error_reaches_the_correlated_error():
    a, n = 0.9, 2 ** 16
    x = ar1(a, n, 1, seed=3)[:, 0]
    err, levels = binning_error(x)
    true_sd = np.sqrt((1 + a) / (1 - a) / n)
    assert levels[0] == pytest.approx(np.sqrt(1 / n), rel=0.1)      # naive, too small
    assert err == pytest.approx(true_sd, rel=0.3)
    assert np.all(np.diff(levels[:6]) > 0)                          # grows, then plateaus


def test_jackknife_of_variance_against_theory():
    rng = np.random.default_rng(4)
    n = 20000
    est = jackknife(lambda v: v.var(), rng.normal(size=n), n_blocks=50)
    assert isinstance(est, Estimate)
    # var of the sample variance of N(0, 1): 2 / n
    assert est.error == pytest.approx(np.sqrt(2 / n), rel=0.35)
    assert abs(est.mean - 1.0) < 5 * est.error


def test_constant_series_and_bad_input():
    x = np.ones((100, 3))
    assert integrated_autocorr_time(x) == 1.0
    assert integrated_autocorr_time(np.full(1000, 0.1)) == 1.0
    est = mean_estimate(x)
    assert est.mean == 1.0 and est.error == 0.0
    assert "±" in str(est)
    with pytest.raises(ValueError, match="x must be finite"):
        integrated_autocorr_time(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(ValueError, match="x must be 1 or 2-dimensional"):
        integrated_autocorr_time(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="at least min_bins"):
        binning_error(np.ones(10))
    with pytest.raises(ValueError, match="n_blocks must lie in"):
        jackknife(np.mean, np.ones(5), n_blocks=10)
    with pytest.raises(ValueError, match="same length"):
        jackknife(lambda a, b: 0.0, np.ones(5), np.ones(6), n_blocks=2)
    with pytest.raises(ValueError, match="c must be positive"):
        integrated_autocorr_time(np.ones(10), c=0)
