"""Triangular, honeycomb and cubic lattices; correlation length and staggered magnetisation
against exact values; checkpoint/resume of sampler states."""

import math

import numpy as np
import pytest
from test_samplers import assert_matches_exact, collect

from boltz.exact import ExactDistribution
from boltz.ising import (
    CUBIC_T_C,
    HONEYCOMB_T_C,
    TRIANGULAR_T_C,
    IsingLattice,
    correlation_length,
    cubic_lattice,
    honeycomb_lattice,
    lattice_geometry,
    simulate,
    staggered_magnetization,
    structure_factors,
    triangular_lattice,
)
from boltz.samplers import get_algorithm, load_state, save_state
from boltz.samplers.cluster import calibrate_wolff


# -- geometry -------------------------------------------------------------------
@pytest.mark.parametrize("build, L, degree, bipartite", [
    (triangular_lattice, 5, 6, False), (honeycomb_lattice, 6, 3, True),
    (cubic_lattice, 4, 6, True)])
def test_lattice_structure(build, L, degree, bipartite):
    m = build(L)
    n = L ** m.coords.shape[1]
    assert m.n_variables == n and np.all(m.couplings.getnnz(axis=1) == degree)
    assert np.all(m.couplings.data == 1.0) and m.couplings.nnz == n * degree
    rows = np.repeat(np.arange(n), np.diff(m.indptr))
    if bipartite:
        assert np.all(m.sublattice[rows] != m.sublattice[m.indices])
    else:
        assert m.sublattice is None
    assert m.with_beta(0.3).lattice == m.lattice and m.with_beta(0.3).beta == 0.3


def test_critical_temperatures():
    assert TRIANGULAR_T_C == pytest.approx(3.6409569065, abs=1e-9)
    assert HONEYCOMB_T_C == pytest.approx(1.518651, abs=1e-6)
    assert CUBIC_T_C == pytest.approx(4.5115, abs=1e-4)
    # Houtappel: sinh(2K_c)^2 = 1/3 (triangular), cosh(2K_c) = 2 (honeycomb)
    assert math.sinh(2 / TRIANGULAR_T_C) ** 2 == pytest.approx(1 / 3, rel=1e-12)
    assert math.cosh(2 / HONEYCOMB_T_C) == pytest.approx(2.0, rel=1e-12)
    assert triangular_lattice(4, J=2.0).t_c == pytest.approx(2 * TRIANGULAR_T_C)


def test_lattice_bad_input():
    with pytest.raises(ValueError, match="L must be even"):
        honeycomb_lattice(5)
    with pytest.raises(ValueError, match="at least 3"):
        triangular_lattice(2)
    with pytest.raises(ValueError, match="L must be a positive integer"):
        cubic_lattice(0)
    with pytest.raises(ValueError, match="J must be finite"):
        cubic_lattice(4, J=np.nan)


@pytest.mark.parametrize("build, L, name", [(triangular_lattice, 3, "chromatic_gibbs"),
                                            (honeycomb_lattice, 4, "wolff"),
                                            (honeycomb_lattice, 4, "metropolis")])
def test_samplers_are_exact_on_small_lattices(build, L, name):
    model = build(L, beta=0.35)
    alg = get_algorithm(model, name)
    state = alg.init(n_chains=64, seed=3)
    if name == "wolff":
        calibrate_wolff(alg, state, 50, burnin_sweeps=5)
    alg.step(state, 10)
    assert_matches_exact(model, collect(alg, state, 200))


@pytest.mark.parametrize("build, L", [(triangular_lattice, 6), (honeycomb_lattice, 8),
                                      (cubic_lattice, 4)])
def test_binder_cumulants_cross_near_tc(build, L):
    # below T_c the larger lattice has the larger cumulant, above it the smaller one
    sign = {}
    for f in (0.9, 1.1):
        u = []
        for size in (L, 2 * L):
            m = build(size)
            run = simulate(m.with_beta(1 / (f * m.t_c)), "wolff", n_sweeps=2000, n_chains=2,
                           seed=int(10 * f) + size)
            u.append(run.binder)
        diff = u[1].mean - u[0].mean
        err = math.hypot(u[0].error, u[1].error)
        assert abs(diff) > 3 * err, (f, u)
        sign[f] = np.sign(diff)
    assert sign[0.9] > 0 > sign[1.1]


# -- observables against exact values --------------------------------------------
def test_structure_factors_and_correlation_length_by_hand():
    coords, sides, _ = lattice_geometry(IsingLattice((8,)))
    s0, sk = structure_factors(np.ones((2, 8)), coords, sides)
    np.testing.assert_allclose(s0, 8.0)
    np.testing.assert_allclose(sk, 0.0, atol=1e-12)
    wave = np.cos(2 * np.pi * np.arange(8) / 8)[None]        # all weight at k_min
    s0, sk = structure_factors(wave, coords, sides)
    assert s0[0] == pytest.approx(0.0, abs=1e-12) and sk[0] == pytest.approx(2.0)
    assert correlation_length([4.0], [1.0], 8) == pytest.approx(
        math.sqrt(3.0) / (2 * math.sin(math.pi / 8)))
    assert correlation_length([1.0], [2.0], 8) == 0.0


def test_correlation_length_of_the_ring_against_transfer_matrix():
    # periodic chain: G(r) = (t^r + t^(L-r)) / (1 + t^L), t = tanh K; S(k) = sum_r G(r) cos(kr)
    L, t = 16, 0.75
    r = np.arange(L)
    G = (t ** r + t ** (L - r)) / (1 + t ** L)
    exact = math.sqrt(G.sum() / (G @ np.cos(2 * np.pi * r / L)) - 1) / (2 * math.sin(math.pi / L))
    run = simulate(IsingLattice((L,), beta=math.atanh(t)), "wolff", n_sweeps=2000, n_chains=4,
                   seed=5, correlation=True, measure_every=2)
    xi = run.correlation_length
    assert xi.error > 0
    assert abs(xi.mean - exact) < 5 * xi.error, (xi, exact)
    # a control: the same run is far from the correlation length of a hotter ring
    t_hot = 0.6
    G_hot = (t_hot ** r + t_hot ** (L - r)) / (1 + t_hot ** L)
    hot = math.sqrt(G_hot.sum() / (G_hot @ np.cos(2 * np.pi * r / L)) - 1) / (
        2 * math.sin(math.pi / L))
    assert abs(xi.mean - hot) > 5 * xi.error


def test_staggered_magnetisation_of_the_antiferromagnet_against_enumeration():
    # J -> -J with s -> eps s on the even torus: <|m_s|>_AFM = <|m|>_FM
    fm = IsingLattice(4, beta=0.4)
    exact = ExactDistribution(fm)
    s = exact.states()
    expected = float(exact.probabilities @ np.abs(s.mean(axis=1)))
    run = simulate(IsingLattice(4, J=-1.0, beta=0.4), "metropolis", n_sweeps=3000, n_chains=8,
                   seed=2, staggered=True)
    est = run.staggered_magnetization
    assert abs(est.mean - expected) < 5 * est.error, (est, expected)
    assert run.abs_magnetization.mean < expected - 10 * est.error    # m itself is not ordered
    _, _, sub = lattice_geometry(IsingLattice(4))
    np.testing.assert_allclose(staggered_magnetization(sub[None], sub), [1.0])
    with pytest.raises(ValueError, match="bipartite"):
        simulate(IsingLattice(3), n_sweeps=2, staggered=True)
    with pytest.raises(ValueError, match="correlation=True"):
        _ = run.correlation_length


# -- checkpoint / resume ----------------------------------------------------------
@pytest.mark.parametrize("name, chains", [("metropolis", 3), ("gibbs", 2), ("multispin", 64),
                                          ("wolff", 2), ("random_metropolis", 2)])
def test_checkpoint_resume_is_bit_identical(tmp_path, name, chains):
    model = IsingLattice(8, beta=0.42)
    alg = get_algorithm(model, name)
    state = alg.init(n_chains=chains, seed=4)
    if name == "wolff":
        calibrate_wolff(alg, state, 20, burnin_sweeps=2)
    alg.step(state, 3)
    path = save_state(tmp_path / "run", state, alg.name)
    straight = alg.spins(alg.step(state, 6)).copy()
    loaded, saved_name = load_state(path)
    assert saved_name == alg.name and path.suffix == ".npz"
    np.testing.assert_array_equal(alg.spins(alg.step(loaded, 6)), straight)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_state(path, state)
    save_state(path, state, overwrite=True)


def test_checkpoint_of_a_torch_state(tmp_path):
    pytest.importorskip("torch")
    from boltz.samplers.torch_lattice import state_to_numpy, torch_checkerboard

    alg = torch_checkerboard(IsingLattice(6, beta=0.4), "metropolis")
    state = alg.step(alg.init(n_chains=3, seed=1), 2)
    path = save_state(tmp_path / "t.npz", state_to_numpy(state), alg.name)
    straight = alg.spins(alg.step(state, 4))
    loaded, _ = load_state(path)
    np.testing.assert_array_equal(alg.spins(alg.step(alg.restore(loaded), 4)), straight)
    with pytest.raises(TypeError, match="state_to_numpy"):
        save_state(tmp_path / "u.npz", state)


@pytest.mark.parametrize("algorithm, chains, device", [
    ("metropolis", 2, None), ("multispin", 64, None), ("wolff", 2, None), ("gibbs", 2, "cpu")])
def test_simulate_split_into_checkpointed_pieces_equals_one_run(tmp_path, algorithm, chains,
                                                                 device):
    if device is not None:
        pytest.importorskip("torch")
    model = IsingLattice(8, temperature=2.4)
    kw = dict(n_chains=chains, seed=9, device=device)
    whole = simulate(model, algorithm, n_sweeps=12, n_burnin=4, **kw)
    path = tmp_path / "piece.npz"
    first = simulate(model, algorithm, n_sweeps=6, n_burnin=4, checkpoint=path, **kw)
    assert first.info["checkpoint"] == str(path)
    second = simulate(model, algorithm, n_sweeps=6, resume=path, **kw)
    np.testing.assert_array_equal(np.concatenate([first.energies, second.energies]),
                                  whole.energies)
    np.testing.assert_array_equal(second.final_spins, whole.final_spins)
    with pytest.raises(FileExistsError):
        simulate(model, algorithm, n_sweeps=2, checkpoint=path, **kw)
    if algorithm == "metropolis":
        with pytest.raises(ValueError, match="holds a checkerboard_metropolis state"):
            simulate(model, "gibbs", n_sweeps=2, resume=path)
