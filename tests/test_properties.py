"""#18 item 7: property-based tests (hypothesis) of invariants that must hold on any input."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boltz.denoising import DenoisingPosterior, map_mincut
from boltz.exact import ExactDistribution, state_index
from boltz.ising import IsingLattice
from boltz.samplers import ChainState, get_algorithm

SMALL = settings(max_examples=30, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# -- enumeration normalises ---------------------------------------------------
@SMALL
@given(n=st.integers(1, 8), seed=st.integers(0, 2**32 - 1),
       scale=st.floats(0.0, 700.0), support=st.sampled_from([(0, 1), (-1, 1)]))
def test_enumeration_normalises(n, seed, scale, support):
    table = np.random.default_rng(seed).standard_normal(2**n) * scale

    def log_p(x):
        return table[state_index(x, support)]

    dist = ExactDistribution(log_p, n_variables=n, support=support)
    p = dist.probabilities
    assert np.all(p >= 0) and np.all(np.isfinite(p))
    assert abs(p.sum() - 1.0) < 1e-9
    # log Z agrees with a direct log-sum-exp of the table
    top = table.max()
    assert dist.log_partition() == pytest.approx(top + np.log(np.exp(table - top).sum()),
                                               rel=1e-12, abs=1e-9)


# -- min-cut is the exact minimum ------------------------------------------------
@SMALL
@given(h=st.integers(1, 4), w=st.integers(1, 4), seed=st.integers(0, 2**32 - 1),
       beta=st.floats(0.0, 3.0), eta=st.floats(0.0, 3.0), field=st.floats(-2.0, 2.0),
       neighbourhood=st.sampled_from([4, 8]))
def test_mincut_energy_is_minimal(h, w, seed, beta, eta, field, neighbourhood):
    rng = np.random.default_rng(seed)
    noisy = np.where(rng.random((h, w)) < 0.5, 1, -1).astype(np.int8)
    post = DenoisingPosterior(noisy, beta=beta, eta=eta, h=field, neighbourhood=neighbourhood)
    res = map_mincut(post)
    e_cut = post.energy_image(res.labels)
    tol = 1e-6 * (1 + abs(e_cut))
    if h * w <= 12:             # every labelling
        n = h * w
        idx = np.arange(2**n)
        all_x = np.where((idx[:, None] >> np.arange(n)) & 1, 1, -1).reshape(-1, h, w)
        assert e_cut <= post.energy(all_x.astype(float)).min() + tol
    for _ in range(20):         # and random others
        x = np.where(rng.random((h, w)) < 0.5, 1, -1)
        assert e_cut <= post.energy_image(x) + tol


# -- samplers keep spins in {-1, +1} ---------------------------------------------
ALGS = ("metropolis", "random_metropolis", "gibbs", "multispin", "wolff", "swendsen_wang")


@SMALL
@given(side=st.sampled_from([2, 4, 6]), beta=st.floats(0.0, 3.0),
       seed=st.integers(0, 2**32 - 1), name=st.sampled_from(ALGS),
       n_chains=st.integers(1, 3), n_sweeps=st.integers(0, 5))
def test_samplers_keep_spins_pm1(side, beta, seed, name, n_chains, n_sweeps):
    alg = get_algorithm(IsingLattice(side, beta=beta), name)
    state = alg.step(alg.init(n_chains=n_chains, seed=seed), n_sweeps)
    spins = alg.spins(state)
    assert spins.shape == (n_chains, side, side) and spins.dtype == np.int8
    assert np.all(np.abs(spins) == 1)


# -- malformed states are refused, never crash -------------------------------------
_DTYPES = [np.int8, np.int16, np.int64, np.uint8, np.uint64, np.float32, np.float64, np.bool_]


@st.composite
def malformed_states(draw):
    spins_shape = tuple(draw(st.lists(st.integers(0, 5), min_size=0, max_size=4)))
    spins_dtype = draw(st.sampled_from(_DTYPES))
    spins = draw(st.sampled_from(["ones", "random", "fives", "zeros"]))
    n_spins = int(np.prod(spins_shape)) if spins_shape else 1
    values = {"ones": np.ones(n_spins), "zeros": np.zeros(n_spins),
              "fives": np.full(n_spins, 5),
              "random": np.where(np.arange(n_spins) % 3, 1, -1)}[spins]
    arr = values.reshape(spins_shape).astype(spins_dtype)
    streams_shape = tuple(draw(st.lists(st.integers(0, 5), min_size=0, max_size=3)))
    streams = np.zeros(streams_shape, dtype=draw(st.sampled_from([np.uint64, np.int64,
                                                                  np.float64])))
    n_b = draw(st.integers(0, 5))
    betas = np.full(n_b, draw(st.sampled_from([0.0, 0.4, -1.0, np.nan, np.inf])))
    betas = betas.astype(draw(st.sampled_from([np.float64, np.float32, np.int64])))
    info = draw(st.sampled_from([{}, {"clusters_per_sweep": 1},
                                 {"clusters_per_sweep": -3},
                                 {"p_int": np.zeros((1, 2), np.uint64)}]))
    return ChainState(arr, streams, betas, dict(info))


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(state=malformed_states(), name=st.sampled_from(ALGS))
def test_malformed_states_raise_value_or_type_error(state, name):
    alg = get_algorithm(IsingLattice(4, beta=0.4), name)
    good = alg.init(n_chains=max(1, state.betas.shape[0]), seed=0)
    well_formed = (state.spins.shape == good.spins.shape
                   and state.spins.dtype == good.spins.dtype
                   and state.streams.shape == good.streams.shape
                   and state.streams.dtype == good.streams.dtype
                   and state.betas.dtype == np.float64
                   and state.betas.shape == good.betas.shape
                   and bool(np.all(np.isfinite(state.betas)) and np.all(state.betas >= 0))
                   and (name == "multispin" or bool(np.all(np.abs(state.spins) == 1)))
                   and (name != "wolff" or state.info.get("clusters_per_sweep", 0) >= 1)
                   and (name != "multispin" or "p_int" in state.info))
    if well_formed:
        alg.step(state, 1)      # a state that happens to be valid just runs
        assert np.all(np.abs(alg.spins(state)) == 1)
    else:
        with pytest.raises((ValueError, TypeError)):
            alg.step(state, 1)
