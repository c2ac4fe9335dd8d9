import numpy as np
import pytest

from boltz.density import DiscreteDensity, EnergyFunction
from boltz.exact import (
    ExactDistribution,
    all_states,
    chi_square_test,
    expected_total_variation,
    iter_state_chunks,
    log_partition,
    state_index,
)


class Chain(DiscreteDensity):
    """Open Ising chain with coupling J and field h; exact Z by transfer matrix."""

    support = (-1, 1)

    def __init__(self, n, J, h):
        self.n_variables, self.J, self.h = n, J, h

    def energy(self, s):
        s = self._check_batch(s)
        return -self.J * (s[:, 1:] * s[:, :-1]).sum(1) - self.h * s.sum(1)

    def transfer_log_z(self):
        spins = np.array([-1.0, 1.0])
        T = np.exp(self.J * np.outer(spins, spins) + 0.5 * self.h * (spins[:, None] + spins[None]))
        edge = np.exp(0.5 * self.h * spins)
        return float(np.log(edge @ np.linalg.matrix_power(T, self.n_variables - 1) @ edge))


def test_all_states_order_and_index():
    s = all_states(3)
    assert s.shape == (8, 3)
    np.testing.assert_array_equal(s[5], [1, 0, 1])
    np.testing.assert_array_equal(state_index(s), np.arange(8))
    sp = all_states(3, support=(-1, 1))
    np.testing.assert_array_equal(state_index(sp, support=(-1, 1)), np.arange(8))


def test_chunks_cover_every_state_once():
    seen = np.concatenate([state_index(c) for _, c in iter_state_chunks(10, chunk_size=100)])
    np.testing.assert_array_equal(seen, np.arange(1024))


def test_log_z_independent_units_by_hand():
    h = np.array([0.3, -1.2, 2.0, 0.0])
    m = EnergyFunction(lambda x: -(x @ h), event_shape=(4,))
    assert log_partition(m, n_variables=4) == pytest.approx(np.logaddexp(0, h).sum(), rel=1e-14)
    m2 = EnergyFunction(lambda x: -(x @ h), event_shape=(4,))
    assert log_partition(m2, n_variables=4, support=(-1, 1)) == pytest.approx(
        np.log(2 * np.cosh(h)).sum(), rel=1e-14)


def test_log_z_chain_matches_transfer_matrix():
    c = Chain(14, J=0.7, h=-0.3)
    assert log_partition(c, chunk_size=1000) == pytest.approx(c.transfer_log_z(), rel=1e-13)


def test_exact_distribution_moments_and_samples():
    c = Chain(6, J=0.5, h=0.2)
    d = ExactDistribution(c)
    assert d.probabilities.sum() == pytest.approx(1.0)
    assert d.log_partition() == pytest.approx(c.transfer_log_z())
    # two-site chain by hand: marginal of s0 for n=2
    d2 = ExactDistribution(Chain(2, J=0.5, h=0.2))
    w = {(a, b): np.exp(0.5 * a * b + 0.2 * (a + b)) for a in (-1, 1) for b in (-1, 1)}
    z = sum(w.values())
    m0 = sum(a * v for (a, _), v in w.items()) / z
    assert d2.marginals()[0] == pytest.approx(m0)
    assert d2.second_moments()[0, 1] == pytest.approx(sum(a * b * v for (a, b), v in w.items()) / z)
    n = 40_000
    samples = d.sample(n, seed=1)
    tv = d.total_variation(samples)
    assert tv < 2 * expected_total_variation(d.probabilities, n)
    _, p = chi_square_test(samples, d)
    assert p > 1e-3
    # and a wrong distribution is detected
    other = ExactDistribution(Chain(6, J=0.3, h=0.2))
    _, p_wrong = chi_square_test(samples, other)
    assert p_wrong < 1e-6


def test_entropy_of_uniform():
    d = ExactDistribution(lambda x: np.zeros(len(x)), n_variables=5)
    assert d.entropy() == pytest.approx(5 * np.log(2))


def test_bad_input():
    with pytest.raises(ValueError, match="too large"):
        log_partition(lambda x: np.zeros(len(x)), n_variables=30)
    with pytest.raises(ValueError, match="n_variables"):
        log_partition(lambda x: np.zeros(len(x)))
    with pytest.raises(ValueError, match="NaN"):
        log_partition(lambda x: np.full(len(x), np.nan), n_variables=3)
    with pytest.raises(ValueError, match="one value per state"):
        log_partition(lambda x: np.zeros(3), n_variables=3)
    with pytest.raises(ValueError, match="values"):
        state_index(np.array([[0.0, 2.0]]))
    with pytest.raises(ValueError, match="support"):
        all_states(3, support=(1, 1))
    with pytest.raises(TypeError):
        log_partition(42, n_variables=3)
