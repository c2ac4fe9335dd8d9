"""Ising models and exact references: Kaufman vs enumeration, Onsager vs Kaufman,
model conversions, bad input, and Monte Carlo against exact values on L = 32."""

import math

import numpy as np
import pytest
from scipy import sparse

from boltz.exact import ExactDistribution, all_states, log_partition
from boltz.ising import (
    BETA_C,
    T_C,
    IsingLattice,
    PairwiseMRF,
    binary_to_spins,
    kaufman_energy,
    kaufman_log_partition,
    onsager_energy,
    onsager_free_energy,
    onsager_magnetization,
    onsager_specific_heat,
    simulate,
    spin_correlation,
    spins_to_binary,
)
from boltz.ising.exact import chain_log_partition, kaufman_specific_heat


# -- exact references ---------------------------------------------------------
def test_critical_temperature():
    assert T_C == pytest.approx(2.269185314213022, abs=1e-14)
    assert BETA_C == pytest.approx(0.5 * math.log(1 + math.sqrt(2)), abs=1e-15)


@pytest.mark.parametrize("shape", [(4, 4), (3, 4), (2, 5)])
@pytest.mark.parametrize("beta", [0.05, 0.3, BETA_C, 0.7, 1.5])
def test_kaufman_matches_enumeration(shape, beta):
    model = IsingLattice(shape, beta=beta)
    assert kaufman_log_partition(*shape, beta) == pytest.approx(log_partition(model),
                                                                rel=1e-14, abs=1e-13)


def test_kaufman_energy_matches_enumeration():
    model = IsingLattice(4, beta=0.4)
    exact = ExactDistribution(model)
    u = exact.expectation(model.hamiltonian) / 16
    assert kaufman_energy(4, 4, 0.4) == pytest.approx(u, abs=1e-9)


@pytest.mark.parametrize("periodic", [True, False])
def test_chain_log_partition_matches_enumeration(periodic):
    model = IsingLattice((9,), J=-0.6, h=0.4, beta=1.3, periodic=periodic)
    assert model.has("log_partition")
    assert model.log_partition() == pytest.approx(log_partition(model), rel=1e-13)
    assert chain_log_partition(9, 1.3, -0.6, 0.4, periodic) == pytest.approx(
        log_partition(model), rel=1e-13)


def test_antiferromagnet_log_partition_by_gauge_symmetry():
    model = IsingLattice(4, J=-1.0, beta=0.5)
    assert model.log_partition() == pytest.approx(log_partition(model), rel=1e-14)
    assert not IsingLattice(4, h=0.1).has("log_partition")
    with pytest.raises(NotImplementedError):
        IsingLattice(4, h=0.1).log_partition()


@pytest.mark.parametrize("T", [1.5, 2.0, 3.0, 4.0])
def test_onsager_agrees_with_large_kaufman_lattice(T):
    # away from T_c finite-size corrections on a 256^2 torus are exponentially small
    assert onsager_energy(T) == pytest.approx(kaufman_energy(256, 256, 1 / T), abs=1e-8)
    f_kaufman = -T * kaufman_log_partition(256, 256, 1 / T) / 256 ** 2
    if T < T_C:  # two ordered phases: Z_L ~ 2 exp(-beta N f), a shift of T ln 2 / N
        f_kaufman += T * math.log(2) / 256 ** 2
    assert onsager_free_energy(T) == pytest.approx(f_kaufman, abs=1e-10)
    assert onsager_specific_heat(T) == pytest.approx(kaufman_specific_heat(256, 256, 1 / T),
                                                     rel=1e-4)


def test_onsager_energy_is_derivative_of_free_energy():
    # u = d(beta f)/d(beta)
    for T in (1.8, 2.6):
        b, db = 1 / T, 1e-5
        bf = lambda beta: beta * onsager_free_energy(1 / beta)  # noqa: E731
        assert (bf(b + db) - bf(b - db)) / (2 * db) == pytest.approx(onsager_energy(T), abs=1e-7)


def test_onsager_special_values():
    assert onsager_energy(T_C) == pytest.approx(-math.sqrt(2), abs=1e-12)
    m = onsager_magnetization(np.array([0.5, 2.0, T_C, 3.0]))
    assert m[0] == pytest.approx(1.0, abs=1e-6)
    assert m[1] == pytest.approx(0.911319, abs=1e-6)
    assert m[2] == 0 and m[3] == 0
    assert onsager_energy(0.2) == pytest.approx(-2.0, abs=1e-8)
    with pytest.raises(ValueError, match="T must be finite"):
        onsager_energy(np.nan)
    with pytest.raises(ValueError, match="T must be positive"):
        onsager_magnetization(-1.0)


# -- models -------------------------------------------------------------------
def test_lattice_energy_by_hand_and_via_mrf(rng):
    model = IsingLattice((3, 4), J=0.7, h=rng.normal(size=(3, 4)), beta=0.9)
    s = rng.choice([-1.0, 1.0], size=(5, 12))
    grid = s.reshape(5, 3, 4)
    bonds = (grid * np.roll(grid, -1, 1)).sum((1, 2)) + (grid * np.roll(grid, -1, 2)).sum((1, 2))
    expected = -0.7 * bonds - (grid * model.field).sum((1, 2))
    np.testing.assert_allclose(model.hamiltonian(s), expected)
    np.testing.assert_allclose(model.hamiltonian(grid), expected)
    np.testing.assert_allclose(model.energy(s), 0.9 * expected)
    np.testing.assert_allclose(model.to_mrf().hamiltonian(s), expected)
    assert model.n_bonds() == 24 == len(model.bonds()[0])
    open_model = IsingLattice((3, 4), periodic=False)
    assert open_model.n_bonds() == 17
    np.testing.assert_allclose(open_model.to_mrf().hamiltonian(s), open_model.hamiltonian(s))


def test_boltzmann_conversion_preserves_distribution(rng):
    n = 6
    W = rng.normal(size=(n, n))
    W = np.triu(W, 1) + np.triu(W, 1).T
    b = rng.normal(size=n)
    mrf = PairwiseMRF.from_boltzmann(W, b)
    x = all_states(n)
    s = binary_to_spins(x)
    e_bm = -0.5 * np.einsum("ni,ij,nj->n", x, W, x) - x @ b
    W2, b2, offset = mrf.to_boltzmann()
    np.testing.assert_allclose(W2.toarray(), W)
    np.testing.assert_allclose(b2, b)
    # the energies agree up to a constant: the same distribution
    np.testing.assert_allclose(mrf.hamiltonian(s), e_bm + offset, atol=1e-12)
    np.testing.assert_array_equal(spins_to_binary(s), x)


def test_sparse_and_dense_couplings_agree(rng):
    J = rng.normal(size=(7, 7))
    J = np.triu(J, 1) + np.triu(J, 1).T
    s = rng.choice([-1, 1], size=(4, 7))
    dense = PairwiseMRF(J, h=0.3)
    sp = PairwiseMRF(sparse.csr_matrix(J), h=0.3)
    np.testing.assert_allclose(dense.hamiltonian(s), sp.hamiltonian(s))
    np.testing.assert_allclose(dense.hamiltonian(s), -0.5 * np.einsum("ni,ij,nj->n", s, J, s)
                               - 0.3 * s.sum(1))


def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match="square"):
        PairwiseMRF(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="square"):
        PairwiseMRF(sparse.csr_matrix(np.zeros((3, 4))))
    with pytest.raises(ValueError, match="symmetric"):
        PairwiseMRF(np.array([[0.0, 1.0], [0.5, 0.0]]))
    with pytest.raises(ValueError, match="diagonal"):
        PairwiseMRF(np.eye(2))
    with pytest.raises(ValueError, match="finite"):
        PairwiseMRF(np.array([[0.0, np.nan], [np.nan, 0.0]]))
    with pytest.raises(ValueError, match="h must have shape"):
        PairwiseMRF(np.zeros((3, 3)), h=[1.0, 2.0])
    with pytest.raises(ValueError, match="temperature must be finite"):
        IsingLattice(4, temperature=np.nan)
    with pytest.raises(ValueError, match="beta must be finite"):
        IsingLattice(4, beta=np.inf)
    with pytest.raises(ValueError, match="temperature must be positive"):
        IsingLattice(4, temperature=-1.0)
    with pytest.raises(ValueError, match="beta must be non-negative"):
        IsingLattice(4, beta=-0.1)
    with pytest.raises(ValueError, match="at least 2"):
        IsingLattice((1, 5))
    with pytest.raises(ValueError, match="1 or 2 sides"):
        IsingLattice((2, 2, 2))
    with pytest.raises(ValueError, match="J must be finite"):
        IsingLattice(4, J=np.nan)
    with pytest.raises(ValueError, match="h must have shape"):
        IsingLattice(4, h=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="only the values -1 and 1"):
        IsingLattice(2).hamiltonian(np.array([[1, 0, 1, 1]]))
    with pytest.raises(ValueError, match="values in"):
        spins_to_binary(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="n_sweeps must be a positive integer"):
        simulate(IsingLattice(4), n_sweeps=-5)
    with pytest.raises(ValueError, match="n_burnin must be a non-negative"):
        simulate(IsingLattice(4), n_sweeps=5, n_burnin=-1)


def test_spin_correlation_of_known_configurations():
    up = np.ones((2, 6, 6))
    np.testing.assert_allclose(spin_correlation(up), 1.0)
    stripes = np.tile(np.array([1.0, -1.0]), (1, 6, 3))       # alternate along y only
    G = spin_correlation(stripes)
    np.testing.assert_allclose(G, [1.0, 0.0, 1.0, 0.0])      # mean of +-1 (y) and 1 (x)
    G_open = spin_correlation(stripes, periodic=False)
    np.testing.assert_allclose(G_open, [1.0, 0.0, 1.0, 0.0])


# -- Monte Carlo against exact values -----------------------------------------
def test_energy_and_magnetisation_at_T2_against_kaufman_and_onsager():
    run = simulate(IsingLattice(32, temperature=2.0), "multispin", n_sweeps=400, n_burnin=200,
                   n_chains=64, seed=11)
    e = run.energy
    assert e.error > 0
    assert abs(e.mean - kaufman_energy(32, 32, 0.5)) < 5 * e.error
    # |m| on L = 32 differs from Onsager's M by O(exp(-L/xi)) ~ 1e-6 at T = 2 (xi < 1)
    am = run.abs_magnetization
    assert abs(am.mean - onsager_magnetization(2.0)) < 5 * am.error + 1e-4


def test_energy_and_magnetisation_at_T3_against_kaufman():
    run = simulate(IsingLattice(32, temperature=3.0), "wolff", n_sweeps=1500, n_chains=2,
                   seed=12)
    e = run.energy
    assert abs(e.mean - kaufman_energy(32, 32, 1 / 3)) < 5 * e.error
    assert abs(e.mean - onsager_energy(3.0)) < 5 * e.error  # finite-size shift ~1e-9 here
    # disordered phase: m is Gaussian around 0 with variance chi T / N, so
    # <|m|> = sqrt(2/pi) sqrt(<m^2>) (Onsager's M = 0), and <|m|> -> 0 as 1/L
    m = run.magnetizations
    ratio = np.mean(np.abs(m)) / np.sqrt(np.mean(m ** 2))
    from boltz.diagnostics import jackknife

    est = jackknife(lambda x: np.mean(np.abs(x)) / np.sqrt(np.mean(x ** 2)), m)
    assert abs(ratio - math.sqrt(2 / math.pi)) < 5 * est.error + 0.01
    assert run.abs_magnetization.mean < 0.1
    assert abs(run.binder.mean) < 5 * run.binder.error + 0.02


def test_run_result_object_and_correlation():
    run = simulate(IsingLattice(8, temperature=2.5), "gibbs", n_sweeps=200, n_chains=3, seed=0,
                   correlation=True)
    summary = run.summary()
    assert set(summary) == {"energy", "abs_magnetization", "magnetization", "susceptibility",
                            "specific_heat", "binder"}
    for est in summary.values():
        assert np.isfinite(est.mean) and np.isfinite(est.error) and est.error >= 0
    assert run.correlation[0] == 1.0 and np.all(np.diff(run.correlation) < 0.05)
    assert "± " in str(run) and run.final_spins.shape == (3, 8, 8)


def test_cli_prints_observables_and_plots(capsys, tmp_path):
    from boltz.cli import main

    path = tmp_path / "ising.png"
    code = main(["ising", "--L", "8", "--T-range", "2.0", "3.0", "2", "--algorithm", "wolff",
                 "--sweeps", "100", "--seed", "1", "--quiet", "--plot", str(path)])
    out = capsys.readouterr().out
    assert code == 0 and path.stat().st_size > 0
    assert "±" in out and "Onsager" in out and "2.0000" in out
    assert main(["ising", "--L", "8", "--T", "0", "--quiet"]) == 2
    assert main(["ising", "--L", "8", "--sweeps", "-3", "--quiet"]) == 2
    assert "--sweeps must be a positive integer" in capsys.readouterr().err


def test_cli_other_lattices_device_and_observables(capsys):
    from boltz.cli import main

    code = main(["ising", "--lattice", "triangular", "--L", "6", "--algorithm", "wolff",
                 "--sweeps", "60", "--quiet", "--correlation-length"])
    out = capsys.readouterr().out
    assert code == 0 and "triangular lattice" in out and "xi_2nd" in out and "3.64096" in out
    code = main(["ising", "--lattice", "honeycomb", "--L", "4", "--J", "-1", "--T", "1.0",
                 "--sweeps", "40", "--quiet", "--staggered"])
    assert code == 0 and "|m_s|" in capsys.readouterr().out
    assert main(["ising", "--lattice", "cubic", "--L", "4", "--algorithm", "multispin",
                 "--quiet"]) == 2
    assert "needs the square lattice" in capsys.readouterr().err
    assert main(["ising", "--lattice", "cubic", "--device", "cpu", "--quiet"]) == 2
    assert main(["ising", "--lattice", "honeycomb", "--L", "5", "--quiet"]) == 2
    assert "L must be even" in capsys.readouterr().err


def test_cli_checkpoint_and_resume(capsys, tmp_path):
    from boltz.cli import main

    path = tmp_path / "state.npz"
    base = ["ising", "--L", "8", "--T", "2.5", "--sweeps", "20", "--quiet"]
    assert main(base + ["--checkpoint", str(path)]) == 0
    assert "saved the sampler state" in capsys.readouterr().out and path.exists()
    assert main(base + ["--checkpoint", str(path)]) == 2          # exists: no overwrite
    assert "add --overwrite" in capsys.readouterr().err
    assert main(base + ["--resume", str(path), "--checkpoint", str(path), "--overwrite"]) == 0
    assert main(base + ["--resume", str(path), "--algorithm", "gibbs"]) == 2
    assert main(["ising", "--L", "8", "--T-range", "2", "3", "2", "--checkpoint",
                 str(tmp_path / "x.npz"), "--quiet"]) == 2


def test_derived_estimators_match_exact_4x4():
    # chi, C and the Binder cumulant from a run against the same quantities by enumeration
    model = IsingLattice(4, temperature=2.5)
    exact = ExactDistribution(model)
    s = exact.states()
    e = model.hamiltonian(s) / 16
    m = s.mean(axis=1)
    p = exact.probabilities
    mom = lambda f: float(p @ f)  # noqa: E731
    chi = 0.4 * 16 * (mom(m ** 2) - mom(np.abs(m)) ** 2)
    heat = 0.4 ** 2 * 16 * (mom(e ** 2) - mom(e) ** 2)
    binder = 1 - mom(m ** 4) / (3 * mom(m ** 2) ** 2)
    run = simulate(model, "multispin", n_sweeps=1500, n_chains=64, seed=4)
    for est, value in [(run.energy, mom(e)), (run.abs_magnetization, mom(np.abs(m))),
                       (run.susceptibility, chi), (run.specific_heat, heat),
                       (run.binder, binder)]:
        assert est.error > 0
        assert abs(est.mean - value) < 5 * est.error, (est, value)


def test_simulate_pairwise_mrf_energy_matches_exact():
    rng = np.random.default_rng(5)
    J = rng.normal(scale=0.5, size=(8, 8))
    J = np.triu(J, 1) + np.triu(J, 1).T
    model = PairwiseMRF(J, h=rng.normal(scale=0.3, size=8))
    exact = ExactDistribution(model)
    u = exact.expectation(model.hamiltonian) / 8
    run = simulate(model, "chromatic_gibbs", n_sweeps=2000, n_chains=4, seed=1)
    assert abs(run.energy.mean - u) < 5 * run.energy.error
