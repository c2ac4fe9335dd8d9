"""The colour-class grid kernels of :mod:`boltz.samplers.grid` that denoising runs on.

The heat-bath chain leaves the exact distribution invariant (chi-square and TV against
enumeration, with the effective sample size from the autocorrelation time; a control
with the wrong coupling must fail), is the same on the serial and the parallel build
and whether chains run together or alone, and bad input is rejected before a kernel runs.
"""

import numpy as np
import pytest

from boltz.denoising import DenoisingPosterior
from boltz.diagnostics import integrated_autocorr_time
from boltz.exact import ExactDistribution, chi_square_test, expected_total_variation
from boltz.samplers._rng import make_streams
from boltz.samplers.grid import (
    _gibbs_par,
    _gibbs_ser,
    _icm_par,
    _icm_ser,
    _mean_field_par,
    _mean_field_ser,
    gibbs_sweeps,
    icm_sweep,
    image_gibbs,
    mean_field_sweep,
)

P_MIN = 1e-4  # fixed seeds: a correct sampler passes with probability 0.9999


def _samples(alg, n_chains, n_samples, seed, beta=None):
    state = alg.step(alg.init(n_chains=n_chains, seed=seed, beta=beta), 20)
    out = []
    for _ in range(n_samples):
        alg.step(state, 1)
        out.append(alg.spins(state).reshape(n_chains, -1).astype(np.float64))
    return np.stack(out)  # (n_samples, n_chains, n_sites)


def _effective_size(model, samples):
    T, C, n = samples.shape
    energy = model.energy(samples.reshape(T * C, n)).reshape(T, C)
    m = samples.mean(axis=2)
    tau = max(integrated_autocorr_time(energy), integrated_autocorr_time(m),
              integrated_autocorr_time(np.abs(m)), 1.0)
    return T * C / tau


@pytest.mark.parametrize("neighbourhood, coupling, inv_temp", [(4, 0.5, 1.0), (8, 0.3, 1.0),
                                                              (4, 0.8, 0.5)])
def test_image_gibbs_is_exact(neighbourhood, coupling, inv_temp):
    rng = np.random.default_rng(11)
    y = rng.choice([-1, 1], size=(3, 3))
    eta, h = 0.4, -0.2
    field = eta * y + h
    alg = image_gibbs(field, coupling, neighbourhood)
    samples = _samples(alg, 64, 300, seed=5, beta=inv_temp)
    flat = samples.reshape(-1, 9)
    # p_b(x) ∝ exp(b (β Σ x_i x_j + f·x)) is the posterior with couplings scaled by b
    model = DenoisingPosterior(y, beta=inv_temp * coupling, eta=inv_temp * eta,
                               h=inv_temp * h, neighbourhood=neighbourhood)
    exact = ExactDistribution(model)
    n_eff = _effective_size(model, samples)
    chi2, p = chi_square_test(flat, exact, n_effective=n_eff)
    assert p > P_MIN, (chi2, p, n_eff)
    tv = exact.total_variation(flat)
    assert tv < 2.0 * expected_total_variation(exact.probabilities, n_eff), tv
    # control: the same samples against a model with a coupling 0.3 off must fail
    wrong = ExactDistribution(DenoisingPosterior(y, beta=inv_temp * (coupling + 0.3),
                                                 eta=inv_temp * eta, h=inv_temp * h,
                                                 neighbourhood=neighbourhood))
    assert chi_square_test(flat, wrong, n_effective=n_eff)[1] < P_MIN


@pytest.mark.parametrize("neighbourhood", [4, 8])
def test_serial_and_parallel_builds_agree_and_chains_are_independent(neighbourhood):
    """Every (chain, row) owns its stream: the thread count and the other chains do not
    change a chain."""
    rng = np.random.default_rng(3)
    H, W = 37, 29
    field = rng.normal(size=(H, W))
    spins = rng.choice([-1, 1], size=(3, H, W)).astype(np.int8)
    streams = make_streams(8, (3, H))
    temps = np.ascontiguousarray(np.tile([[2.0], [1.0], [0.5], [0.0]], (1, 3)))
    eight = neighbourhood == 8
    runs = []
    for kernel in (_gibbs_ser, _gibbs_par):
        x, st, counts = spins.copy(), streams.copy(), np.zeros(spins.shape)
        kernel(x, st, field, 0.7, eight, temps, counts, True)
        runs.append((x, st, counts))
    for a, b in zip(runs[0], runs[1], strict=True):
        np.testing.assert_array_equal(a, b)
    alone = spins[1:2].copy()
    gibbs_sweeps(alone, streams[1:2].copy(), field, 0.7, neighbourhood, temps[:, 0])
    np.testing.assert_array_equal(alone[0], runs[0][0][1])
    # the deterministic sweeps too, bit for bit (float maxima and integer counts)
    outs = []
    for icm_k, mf_k in ((_icm_ser, _mean_field_ser), (_icm_par, _mean_field_par)):
        x, changes = spins.copy(), np.zeros(3 * H, dtype=np.int64)
        icm_k(x, field, 0.7, eight, changes)
        m, deltas = 0.5 * spins.astype(np.float64), np.zeros(3 * H)
        mf_k(m, field, 0.7, eight, deltas)
        outs.append((x, changes, m, deltas))
    for a, b in zip(outs[0], outs[1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_counts_and_zero_temperature():
    rng = np.random.default_rng(4)
    field = rng.normal(size=(6, 7))
    x0 = rng.choice([-1, 1], size=(2, 6, 7)).astype(np.int8)
    # counts add the +1 indicator after every sweep
    x, st, counts = x0.copy(), make_streams(1, (2, 6)), np.zeros((2, 6, 7))
    gibbs_sweeps(x, st, field, 0.5, 8, np.ones(5), counts)
    x2, st2, want = x0.copy(), make_streams(1, (2, 6)), np.zeros((2, 6, 7))
    for _ in range(5):
        gibbs_sweeps(x2, st2, field, 0.5, 8, [1.0])
        want += x2 == 1
    np.testing.assert_array_equal(counts, want)
    np.testing.assert_array_equal(x, x2)
    # T = 0 is an ICM sweep and draws nothing
    x3, st3, x4 = x0.copy(), make_streams(2, (2, 6)), x0.copy()
    before = st3.copy()
    gibbs_sweeps(x3, st3, field, 0.5, 4, [0.0])
    n = icm_sweep(x4, field, 0.5, 4)
    np.testing.assert_array_equal(x3, x4)
    np.testing.assert_array_equal(st3, before)
    assert n == int((x4 != x0).sum())


def test_mean_field_without_coupling_is_tanh_of_the_field():
    field = np.linspace(-1, 1, 12).reshape(3, 4)
    m = np.zeros((1, 3, 4))
    assert mean_field_sweep(m, field, 0.0, 8) == pytest.approx(np.tanh(1.0))
    np.testing.assert_allclose(m[0], np.tanh(field))
    assert mean_field_sweep(m, field, 0.0, 8) == 0.0


def test_bad_inputs_are_rejected_before_the_kernel():
    x = np.ones((1, 4, 5), dtype=np.int8)
    st = make_streams(0, (1, 4))
    f = np.zeros((4, 5))
    with pytest.raises(ValueError, match="neighbourhood"):
        gibbs_sweeps(x, st, f, 1.0, 6, [1.0])
    with pytest.raises(TypeError, match="spins"):
        gibbs_sweeps(x.astype(np.int64), st, f, 1.0, 4, [1.0])
    with pytest.raises(TypeError, match="spins"):
        icm_sweep(x[0], f, 1.0, 4)
    with pytest.raises(ValueError, match="C-contiguous"):
        gibbs_sweeps(np.ones((1, 5, 4), dtype=np.int8).transpose(0, 2, 1), st, f, 1.0, 4,
                     [1.0])
    with pytest.raises(ValueError, match="streams"):
        gibbs_sweeps(x, make_streams(0, (1, 5)), f, 1.0, 4, [1.0])
    with pytest.raises(ValueError, match="field"):
        gibbs_sweeps(x, st, np.zeros((5, 4)), 1.0, 4, [1.0])
    with pytest.raises(ValueError, match="field"):
        icm_sweep(x, np.full((4, 5), np.nan), 1.0, 4)
    with pytest.raises(ValueError, match="beta"):
        gibbs_sweeps(x, st, f, np.inf, 4, [1.0])
    for bad in ([np.nan], [-1.0]):
        with pytest.raises(ValueError, match="temperatures"):
            gibbs_sweeps(x, st, f, 1.0, 4, bad)
    with pytest.raises(ValueError, match="temperatures"):
        gibbs_sweeps(x, st, f, 1.0, 4, np.ones((2, 3)))
    with pytest.raises(ValueError, match="counts"):
        gibbs_sweeps(x, st, f, 1.0, 4, [1.0], np.zeros((1, 4, 4)))
    with pytest.raises(TypeError, match="m must"):
        mean_field_sweep(x, f, 1.0, 4)
    with pytest.raises(ValueError, match="coupling"):
        image_gibbs(f, np.nan)
    alg = image_gibbs(f, 0.5)
    with pytest.raises(ValueError, match="initial"):
        alg.init(n_chains=2, initial=np.zeros((4, 5)))


def test_image_gibbs_reproducible_and_uniform_at_zero_inverse_temperature():
    alg = image_gibbs(np.full((8, 8), 5.0), coupling=2.0)
    a = alg.step(alg.init(n_chains=3, seed=4), 10)
    b = alg.step(alg.init(n_chains=3, seed=4), 10)
    np.testing.assert_array_equal(a.spins, b.spins)
    # b = 0: every pixel is a fair coin whatever the field
    s = alg.step(alg.init(n_chains=200, seed=1, beta=0.0), 3).spins
    frac = float((s == 1).mean())
    assert abs(frac - 0.5) < 5 * 0.5 / np.sqrt(s.size)
