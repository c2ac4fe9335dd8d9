"""Every sampler leaves the exact distribution invariant (chi-square and TV against
enumeration with an effective sample size from the autocorrelation time), is
reproducible, and rejects bad input."""

import numpy as np
import pytest
from scipy import sparse

from boltz.diagnostics import integrated_autocorr_time
from boltz.exact import ExactDistribution, all_states, chi_square_test, expected_total_variation
from boltz.ising import IsingLattice, PairwiseMRF
from boltz.samplers import get_algorithm, hamiltonian
from boltz.samplers.cluster import calibrate_wolff
from boltz.samplers.lattice import multispin_observables, pack_spins, unpack_spins
from boltz.samplers.mrf import greedy_coloring
from boltz.samplers.tempering import cooling_schedule, parallel_tempering, simulated_annealing

P_MIN = 1e-4   # fixed seeds: a correct sampler passes with probability 0.9999 per check


def collect(alg, state, n_samples, thin=1):
    """(n_samples, n_chains, n_sites) float samples, one every ``thin`` sweeps."""
    out = []
    for _ in range(n_samples):
        alg.step(state, thin)
        s = alg.spins(state)
        out.append(s.reshape(s.shape[0], -1).astype(np.float64))
    return np.stack(out)


def effective_size(model, samples):
    """Samples / tau, with tau the largest over the energy, m and |m| series."""
    T, C, n = samples.shape
    energy = hamiltonian(model, samples.reshape(T * C, n).astype(np.int8)).reshape(T, C)
    m = samples.mean(axis=2)
    tau = max(integrated_autocorr_time(energy), integrated_autocorr_time(m),
              integrated_autocorr_time(np.abs(m)), 1.0)
    return T * C / tau


def assert_matches_exact(model, samples, exact=None):
    exact = ExactDistribution(model) if exact is None else exact
    n_eff = effective_size(model, samples)
    flat = samples.reshape(-1, samples.shape[2])
    chi2, p = chi_square_test(flat, exact, n_effective=n_eff)
    assert p > P_MIN, f"chi2={chi2:.1f}, p={p:.2g}, n_eff={n_eff:.0f}"
    tv = exact.total_variation(flat)
    assert tv < 2.0 * expected_total_variation(exact.probabilities, n_eff), tv
    return p


def frustrated_mrf(n=10, seed=3, field=True, beta=1.0):
    rng = np.random.default_rng(seed)
    J = rng.normal(scale=0.6, size=(n, n))
    J = np.triu(J, 1) + np.triu(J, 1).T
    h = rng.normal(scale=0.5, size=n) if field else 0.0
    return PairwiseMRF(J, h=h, beta=beta)


LATTICES = {
    "3x3-periodic-h": lambda: IsingLattice(3, h=0.2, beta=0.35),
    "3x4-open-afm-site-h": lambda: IsingLattice(
        (3, 4), J=-0.8, h=np.linspace(-0.5, 0.5, 12).reshape(3, 4), beta=0.5, periodic=False),
    "chain-9-periodic": lambda: IsingLattice((9,), h=0.3, beta=0.6),
}


@pytest.mark.parametrize("name", ["metropolis", "random_metropolis", "gibbs"])
@pytest.mark.parametrize("lattice", sorted(LATTICES))
def test_single_spin_lattice_samplers_are_exact(name, lattice):
    model = LATTICES[lattice]()
    alg = get_algorithm(model, name)
    state = alg.step(alg.init(n_chains=128, seed=7), 20)
    assert_matches_exact(model, collect(alg, state, 150))


COLOUR_SPLIT = {
    "4x4-h0": lambda: IsingLattice(4, beta=0.4),                      # modes 2 and 3
    "4x4-afm-h0": lambda: IsingLattice(4, J=-1.0, beta=0.4),          # modes 1 and 3
    "4x4-afm-h": lambda: IsingLattice(4, J=-0.7, h=0.3, beta=0.5),    # modes 1 and 0
    "2x6-h": lambda: IsingLattice((2, 6), h=-0.2, beta=0.45),         # double vertical bonds
}


@pytest.mark.parametrize("name", ["metropolis", "gibbs"])
@pytest.mark.parametrize("lattice", sorted(COLOUR_SPLIT))
def test_colour_split_checkerboard_is_exact(name, lattice):
    from boltz.samplers.checkerboard import colour_thresholds
    from boltz.samplers.lattice import _colour_split_ok

    model = COLOUR_SPLIT[lattice]()
    assert _colour_split_ok(model)          # the fast kernel is the one under test
    assert colour_thresholds(model.J, float(model.field.flat[0]), [model.beta],
                             name == "gibbs")[1]
    alg = get_algorithm(model, name)
    state = alg.step(alg.init(n_chains=128, seed=3), 20)
    assert_matches_exact(model, collect(alg, state, 150))


def test_colour_split_falls_back_when_cold():
    # exp(-8 beta) < 2**-12: the 31-bit thresholds would be too coarse -> 53-bit kernel
    from boltz.samplers.checkerboard import colour_thresholds

    assert not colour_thresholds(1.0, 0.0, [1.2], False)[1]
    assert colour_thresholds(1.0, 0.0, [1.0], False)[1]
    model = IsingLattice(4, beta=1.2)
    alg = get_algorithm(model, "metropolis")
    state = alg.step(alg.init(n_chains=2, seed=0), 3)
    assert set(np.unique(alg.spins(state))) <= {-1, 1}


def test_colour_split_layout_round_trip(rng):
    from boltz.samplers.checkerboard import merge_colours, split_colours

    s = rng.choice(np.array([-1, 1], dtype=np.int8), size=(3, 4, 6))
    c0, c1 = split_colours(s)
    x, y = np.nonzero((np.add.outer(np.arange(4), np.arange(6)) % 2) == 0)
    np.testing.assert_array_equal(np.sort(c0[0].ravel()), np.sort(s[0, x, y]))
    np.testing.assert_array_equal(merge_colours(c0, c1), s)


@pytest.mark.parametrize("J, shape", [(1.0, 4), (-1.0, 4), (0.7, (2, 6)), (1.0, (4, 2))])
def test_multispin_is_exact_on_4x4(J, shape):
    # (2, 6) and (4, 2): two-wide rows and one-word colour rows (the wrap-around paths)
    model = IsingLattice(shape, J=J, beta=0.3)
    alg = get_algorithm(model, "multispin")
    state = alg.step(alg.init(n_chains=128, seed=5), 20)
    assert_matches_exact(model, collect(alg, state, 300))


def test_multispin_replicas_are_independent():
    # all 64 replicas start identical; shared acceptance randomness would keep many of
    # them locked together (common random numbers), independent lanes decorrelate fully
    model = IsingLattice(8, beta=0.25)
    alg = get_algorithm(model, "multispin")
    state = alg.step(alg.init(n_chains=64, seed=1, initial="up"), 30)
    spins = alg.spins(state).reshape(64, -1)
    assert len({s.tobytes() for s in spins}) == 64
    series = []
    for _ in range(400):
        alg.step(state, 1)
        series.append(multispin_observables(state.spins, 64)[1])
    m = np.asarray(series)
    corr = np.corrcoef(m.T)[np.triu_indices(64, 1)]
    tau = integrated_autocorr_time(m)
    # mean of 2016 pair correlations of independent series: s.d. about sqrt(tau / T / pairs)
    assert abs(corr.mean()) < 5 * np.sqrt(tau / 400 / corr.size) + 0.01
    # identical pairs must be as rare as for independent draws (here: essentially never)
    assert np.mean(np.all(spins[:, None] == spins[None], axis=2)[np.triu_indices(64, 1)]) == 0


@pytest.mark.parametrize("name", ["wolff", "swendsen_wang"])
def test_cluster_samplers_are_exact_on_4x4(name):
    model = IsingLattice(4, beta=0.4)
    alg = get_algorithm(model, name)
    state = alg.init(n_chains=64, seed=9)
    if name == "wolff":
        calibrate_wolff(alg, state, 50, burnin_sweeps=5)
        assert state.info["clusters_per_sweep"] >= 1
    alg.step(state, 10)
    assert_matches_exact(model, collect(alg, state, 300))


@pytest.mark.parametrize("name", ["wolff", "swendsen_wang"])
def test_cluster_samplers_handle_frustration(name):
    # at beta = 1 clusters percolate and the chains barely mix (tau ~ 1e2 sweeps);
    # beta = 0.5 keeps tau small enough to estimate from a short run
    model = frustrated_mrf(field=False, beta=0.5)
    alg = get_algorithm(model, name)
    state = alg.init(n_chains=64, seed=2)
    if name == "wolff":
        calibrate_wolff(alg, state, 50, burnin_sweeps=5)
    alg.step(state, 10)
    assert_matches_exact(model, collect(alg, state, 200))


@pytest.mark.parametrize("name", ["metropolis", "random_metropolis", "gibbs", "random_gibbs",
                                  "chromatic_gibbs"])
def test_mrf_samplers_are_exact_on_frustrated_model(name):
    model = frustrated_mrf()
    alg = get_algorithm(model, name)
    state = alg.step(alg.init(n_chains=64, seed=4), 20)
    assert_matches_exact(model, collect(alg, state, 200))


def test_chromatic_gibbs_on_sparse_graph_with_three_colours():
    n = 9  # odd ring: needs three colours
    i = np.arange(n)
    J = sparse.coo_matrix((np.r_[np.full(n, 0.7), np.full(n, 0.7)],
                           (np.r_[i, (i + 1) % n], np.r_[(i + 1) % n, i])), shape=(n, n))
    model = PairwiseMRF(J, h=np.linspace(-0.3, 0.3, n))
    colours = greedy_coloring(model.indptr, model.indices)
    assert colours.max() == 2
    rows = np.repeat(np.arange(n), np.diff(model.indptr))
    assert np.all(colours[rows] != colours[model.indices])
    alg = get_algorithm(model, "chromatic_gibbs")
    state = alg.step(alg.init(n_chains=64, seed=8), 20)
    assert_matches_exact(model, collect(alg, state, 200))


def test_parallel_tempering_is_exact_at_every_rung():
    base = frustrated_mrf(beta=1.0)
    ladder = np.array([0.3, 0.6, 1.0, 1.5])
    pt = parallel_tempering(base, ladder, base="metropolis")
    state = pt.step(pt.init(n_replicas=32, seed=6), 30)
    samples = {k: [] for k in (0, 3)}
    for _ in range(250):
        pt.step(state, 1)
        for k in samples:
            samples[k].append(pt.spins_at(state, k).astype(float))
    for k, rung in samples.items():
        assert_matches_exact(base.with_beta(ladder[k]), np.stack(rung))
    rates = pt.swap_rates(state)
    assert np.all((rates > 0.05) & (rates < 1.0))


def test_sampler_test_has_power():
    # the same check must reject samples drawn at the wrong temperature
    model = LATTICES["3x3-periodic-h"]()
    wrong = model.with_beta(0.45)
    alg = get_algorithm(wrong, "gibbs")
    samples = collect(alg, alg.step(alg.init(n_chains=128, seed=7), 20), 150)
    chi2, p = chi_square_test(samples.reshape(-1, 9), ExactDistribution(model),
                              n_effective=effective_size(wrong, samples))
    assert p < 1e-6


def test_simulated_annealing_finds_the_ground_state():
    model = frustrated_mrf(seed=11)
    states = all_states(10, (-1, 1))
    ground = model.hamiltonian(states).min()
    result = simulated_annealing(model, cooling_schedule(300, 5.0, 0.05), n_chains=4, seed=0)
    assert result.best_energy.min() == pytest.approx(ground, abs=1e-9)
    assert result.energy_trace.shape == (300, 4)
    np.testing.assert_allclose(hamiltonian(model, result.best_spins), result.best_energy)
    betas = cooling_schedule(5, 2.0, 1.0, kind="linear")
    np.testing.assert_allclose(1 / betas, [2.0, 1.75, 1.5, 1.25, 1.0])


@pytest.mark.parametrize("name", ["metropolis", "random_metropolis", "gibbs", "multispin",
                                  "wolff", "swendsen_wang"])
def test_same_seed_same_chain(name):
    model = IsingLattice(6, beta=0.4)
    alg = get_algorithm(model, name)
    runs = [alg.spins(alg.step(alg.init(n_chains=3, seed=s), 7)).copy() for s in (1, 1, 2)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


@pytest.mark.slow
def test_parallel_and_serial_builds_give_the_same_chain(monkeypatch):
    import numba

    import boltz.samplers._base as base

    if numba.get_num_threads() < 2:
        pytest.skip("needs at least two numba threads")
    model = IsingLattice(8, beta=0.44)
    cases = [("gibbs", 1), ("multispin", 64), ("multispin", 128)]
    serial = {}
    for name, chains in cases:
        alg = get_algorithm(model, name)
        serial[name, chains] = alg.spins(alg.step(alg.init(n_chains=chains, seed=3), 5)).copy()
    monkeypatch.setattr(base, "PARALLEL_MIN_WORK", 0)
    for name, chains in cases:
        alg = get_algorithm(model, name)
        parallel = alg.spins(alg.step(alg.init(n_chains=chains, seed=3), 5))
        np.testing.assert_array_equal(serial[name, chains], parallel)


def test_pack_unpack_and_multispin_observables(rng):
    spins = rng.choice(np.array([-1, 1], dtype=np.int8), size=(70, 4, 6))
    words = pack_spins(spins)
    assert words.shape == (2, 4, 6) and words.dtype == np.uint64
    np.testing.assert_array_equal(unpack_spins(words, 70), spins)
    model = IsingLattice((4, 6))
    energy, mag = multispin_observables(words, 70)
    np.testing.assert_allclose(energy, hamiltonian(model, spins))
    np.testing.assert_allclose(mag, spins.reshape(70, -1).sum(1))


def test_bad_input_raises_clear_errors():
    model = IsingLattice(4, beta=0.4)
    alg = get_algorithm(model, "gibbs")
    state = alg.init(n_chains=2, seed=0)
    with pytest.raises(ValueError, match="n_sweeps must be a non-negative integer"):
        alg.step(state, -1)
    with pytest.raises(ValueError, match="beta must be finite"):
        alg.init(n_chains=2, seed=0, beta=np.nan)
    with pytest.raises(ValueError, match="beta must be finite"):
        alg.init(n_chains=2, seed=0, beta=np.inf)
    with pytest.raises(ValueError, match="initial must be binary with values in"):
        alg.init(n_chains=1, initial=np.zeros(16))
    with pytest.raises(ValueError, match="initial must hold 16 spins"):
        alg.init(n_chains=2, initial=np.ones(15))
    with pytest.raises(ValueError, match="algorithm must be one of"):
        get_algorithm(model, "hamiltonian_mc")
    with pytest.raises(ValueError, match="even side lengths"):
        get_algorithm(IsingLattice(5), "multispin")
    with pytest.raises(ValueError, match="h = 0"):
        get_algorithm(IsingLattice(4, h=0.1), "multispin")
    with pytest.raises(ValueError, match="periodic"):
        get_algorithm(IsingLattice(4, periodic=False), "multispin")
    with pytest.raises(ValueError, match="zero field"):
        get_algorithm(IsingLattice(4, h=0.1), "wolff")
    with pytest.raises(ValueError, match="cannot be tempered"):
        parallel_tempering(model, [0.1, 0.2], base="multispin")
    with pytest.raises(ValueError, match="at least 2"):
        parallel_tempering(model, [0.1])
    with pytest.raises(ValueError, match="cannot be annealed"):
        simulated_annealing(model, [0.1, 0.2], base="multispin")
    with pytest.raises(ValueError, match="betas must be finite"):
        simulated_annealing(model, [0.1, np.nan])
    with pytest.raises(ValueError, match="scan must be"):
        from boltz.samplers.mrf import gibbs

        gibbs(frustrated_mrf(), scan="diagonal")
    with pytest.raises(ValueError, match="not a proper colouring"):
        from boltz.samplers.mrf import chromatic_gibbs

        chromatic_gibbs(frustrated_mrf(), colours=np.zeros(10, dtype=int))
