"""The vectorised multi-spin kernel: acceptance decisions exact to 53 bits (lockstep
digits plus the staged tail), energies at T_c against Kaufman, and the same chain
on any thread count. (Invariance against enumeration: tests/test_samplers.py.)"""

import numpy as np
import pytest

from boltz.ising import T_C, IsingLattice, kaufman_energy
from boltz.samplers import get_algorithm
from boltz.samplers._multispin_kernels import (
    LOCKSTEP_DIGITS,
    _acceptance_counts,
    _merge_words,
    _split_words,
)
from boltz.samplers.multispin import _probability_bits, multispin_observables

Z = 5.0     # |z| bound for the fixed seeds below (two-sided p ~ 6e-7 for a correct kernel)


def _z(count, n, p):
    return (count - n * p) / np.sqrt(n * p * (1 - p))


def test_acceptance_frequencies_match_thresholds_beyond_the_lockstep_digits():
    # p1 = 2**-9 + 2**-12 has no 1 digit among the lockstep digits: every acceptance of a
    # k = 1 lane is decided in the staged tail (a kernel that stopped after the lockstep
    # digits would accept none); p2 = 0.3 is decided mostly within them
    assert LOCKSTEP_DIGITS < 9
    p1, p2 = 2.0 ** -9 + 2.0 ** -12, 0.3
    p_int = np.array([int(p1 * 2 ** 53), int(p2 * 2 ** 53)], dtype=np.uint64)
    k1 = np.uint64(0x5555555555555555)      # even lanes: threshold p1
    k0 = np.uint64(0xAAAAAAAAAAAAAAAA)      # odd lanes: threshold p2
    n_words, n_rounds = 64, 2000
    counts = _acceptance_counts(p_int, k1, k0, n_words, n_rounds, 2024)
    n = 32 * n_words * n_rounds
    assert abs(_z(counts[0::2].sum(), n, p1)) < Z
    assert abs(_z(counts[1::2].sum(), n, p2)) < Z
    # control: the same counts refute a threshold 11% off (the tail's share): z about 11
    assert abs(_z(counts[0::2].sum(), n, 2.0 ** -9)) > Z
    # every lane gets its own draws: no lane is starved or favoured
    per_lane = counts[1::2]
    assert abs(_z(per_lane, n_words * n_rounds, p2)).max() < Z


def test_lanes_outside_the_classes_never_flip_through_the_acceptance_test():
    p_int = np.array([2 ** 53 - 1, 2 ** 53 - 1], dtype=np.uint64)     # p = 1 - 2**-53
    counts = _acceptance_counts(p_int, np.uint64(0xFF), np.uint64(0xFF00), 8, 50, 7)
    assert np.all(counts[:16] == 8 * 50) and np.all(counts[16:] == 0)


def _critical_energy(tamper):
    """Energy per site at T_c on 16 x 16 from 128 replicas: mean and standard error over
    the replicas' time averages (independent chains)."""
    L, C = 16, 128
    alg = get_algorithm(IsingLattice(L, temperature=T_C), "multispin")
    state = alg.init(n_chains=C, seed=31)
    if tamper:      # acceptance thresholds of a temperature 1% above T_c
        beta = 1 / (1.01 * T_C)
        state.info["p_int"][:] = [_probability_bits(np.exp(-4 * beta)),
                                  _probability_bits(np.exp(-8 * beta))]
    alg.step(state, 300)
    total = np.zeros(C)
    n = 1500
    for _ in range(n):
        alg.step(state, 1)
        total += multispin_observables(state.spins, C)[0]
    per_chain = total / n / L ** 2
    return per_chain.mean(), per_chain.std(ddof=1) / np.sqrt(C)


def test_critical_energy_matches_kaufman_and_a_wrong_kernel_fails():
    exact = kaufman_energy(16, 16, 1 / T_C)
    mean, err = _critical_energy(tamper=False)
    assert err > 0 and abs(mean - exact) < Z * err, (mean, err, exact)
    mean, err = _critical_energy(tamper=True)
    assert abs(mean - exact) > Z * err, (mean, err, exact)     # z about 25 at seed 31


@pytest.mark.parametrize("chains", [64, 128, 192])
def test_same_chain_on_one_and_two_threads(monkeypatch, chains):
    numba = pytest.importorskip("numba")
    import boltz.samplers._base as base

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs at least two numba threads")
    monkeypatch.setattr(base, "PARALLEL_MIN_WORK", 0)     # the parallel kernel even here
    model = IsingLattice((8, 6), beta=0.44)
    runs = []
    old = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            alg = get_algorithm(model, "multispin")
            state = alg.step(alg.init(n_chains=chains, seed=8), 7)
            runs.append((state.spins.copy(), state.streams.copy()))
    finally:
        numba.set_num_threads(old)
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_colour_split_of_words_round_trips(rng):
    words = rng.integers(0, 2 ** 63, size=(2, 4, 6), dtype=np.uint64)
    col0 = np.empty((2, 4, 3), dtype=np.uint64)
    col1 = np.empty_like(col0)
    _split_words(words, col0, col1)
    assert col0[0, 1, 0] == words[0, 1, 1] and col1[0, 1, 0] == words[0, 1, 0]
    back = np.zeros_like(words)
    _merge_words(back, col0, col1)
    np.testing.assert_array_equal(back, words)
