"""The torch lattice samplers on torch-CPU: invariance against enumeration, energies against
Kaufman's exact finite lattice, a control that must fail, reproducibility and bad input."""

import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from test_samplers import P_MIN, assert_matches_exact, effective_size  # noqa: E402

from boltz.exact import ExactDistribution, chi_square_test  # noqa: E402
from boltz.ising import IsingLattice, kaufman_energy, simulate  # noqa: E402
from boltz.samplers import hamiltonian  # noqa: E402
from boltz.samplers.torch_lattice import torch_checkerboard  # noqa: E402
from boltz.samplers.torch_multispin import torch_multispin  # noqa: E402

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Small lattices run fastest on one intra-op thread (and far faster on a shared box)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def collect(alg, state, n_samples):
    out = []
    for _ in range(n_samples):
        alg.step(state, 1)
        s = alg.spins(state)
        out.append(s.reshape(s.shape[0], -1).astype(np.float64))
    return np.stack(out)


MODELS = {
    "4x4-h": lambda: IsingLattice(4, h=0.2, beta=0.4),
    "4x4-afm-site-h": lambda: IsingLattice(4, J=-0.7, h=np.linspace(-0.4, 0.4, 16).reshape(4, 4),
                                           beta=0.5),
    "3x4-open": lambda: IsingLattice((3, 4), h=-0.1, beta=0.5, periodic=False),
    "chain-10": lambda: IsingLattice((10,), h=0.3, beta=0.6),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["metropolis", "gibbs"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_torch_checkerboard_is_exact(kind, name, device):
    model = MODELS[name]()
    alg = torch_checkerboard(model, kind, device=device)
    state = alg.step(alg.init(n_chains=128, seed=5), 20)
    assert_matches_exact(model, collect(alg, state, 150))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("J", [1.0, -1.0])
def test_torch_multispin_is_exact_on_4x4(J, device):
    model = IsingLattice(4, J=J, beta=0.3)
    alg = torch_multispin(model, device=device, dense_digits=4)   # exercise the sparse tail
    state = alg.step(alg.init(n_chains=128, seed=6), 20)
    assert_matches_exact(model, collect(alg, state, 200))


def test_torch_sampler_test_has_power():
    # samples from beta = 0.45 must be rejected as samples of beta = 0.4
    model = MODELS["4x4-h"]()
    wrong = model.with_beta(0.5)
    alg = torch_checkerboard(wrong, "gibbs")
    samples = collect(alg, alg.step(alg.init(n_chains=128, seed=5), 20), 150)
    _, p = chi_square_test(samples.reshape(-1, 16), ExactDistribution(model),
                           n_effective=effective_size(wrong, samples))
    assert p < P_MIN


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("algorithm", ["metropolis", "gibbs", "multispin"])
def test_torch_energy_against_kaufman(algorithm, device):
    L, T = 16, 2.5
    run = simulate(IsingLattice(L, temperature=T), algorithm, n_sweeps=300, n_burnin=100,
                   n_chains=64, seed=2, device=device)
    e = run.energy
    assert e.error > 0
    assert abs(e.mean - kaufman_energy(L, L, 1 / T)) < 5 * e.error, (e, kaufman_energy(L, L,
                                                                                  1 / T))


def test_torch_measure_matches_numba_energies():
    model = IsingLattice((4, 6), J=0.8, h=np.arange(24.0).reshape(4, 6) / 24, beta=0.3)
    alg = torch_checkerboard(model, "metropolis")
    state = alg.step(alg.init(n_chains=5, seed=0), 3)
    H, M = alg.measure(state)
    s = alg.spins(state)
    np.testing.assert_allclose(H, hamiltonian(model, s))
    np.testing.assert_allclose(M, s.reshape(5, -1).sum(1))
    ms = torch_multispin(IsingLattice((4, 6), J=-1.0, beta=0.3))
    state = ms.step(ms.init(n_chains=70, seed=0), 3)
    H, M = ms.measure(state)
    s = ms.spins(state)
    np.testing.assert_allclose(H, hamiltonian(IsingLattice((4, 6), J=-1.0), s))
    np.testing.assert_allclose(M, s.reshape(70, -1).sum(1))


@pytest.mark.parametrize("build", [lambda m: torch_checkerboard(m, "gibbs"),
                                   lambda m: torch_multispin(m)])
def test_torch_same_seed_same_chain_and_restore(build):
    from boltz.samplers.torch_lattice import state_to_numpy

    alg = build(IsingLattice(6, beta=0.4))
    runs = [alg.spins(alg.step(alg.init(n_chains=64, seed=s), 7)) for s in (1, 1, 2)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])
    # a state taken to numpy and back continues bit-identically
    state = alg.step(alg.init(n_chains=64, seed=3), 4)
    saved = state_to_numpy(state)
    straight = alg.spins(alg.step(state, 5))
    resumed = alg.spins(alg.step(alg.restore(saved), 5))
    np.testing.assert_array_equal(straight, resumed)


def test_torch_bad_input():
    with pytest.raises(ValueError, match="even sides"):
        torch_checkerboard(IsingLattice(5))
    with pytest.raises(ValueError, match="kind must be one of"):
        torch_checkerboard(IsingLattice(4), "wolff")
    with pytest.raises(ValueError, match="device must name a torch device"):
        torch_checkerboard(IsingLattice(4), device="tpu7")
    with pytest.raises(ValueError, match="dtype must be one of"):
        torch_checkerboard(IsingLattice(4), dtype="float16")
    with pytest.raises(ValueError, match="h = 0"):
        torch_multispin(IsingLattice(4, h=0.1))
    with pytest.raises(ValueError, match="one beta per group"):
        torch_multispin(IsingLattice(4)).init(n_chains=64, beta=np.linspace(0.1, 0.5, 64))
    with pytest.raises(ValueError, match="algorithm must be"):
        simulate(IsingLattice(4), "wolff", n_sweeps=2, device="cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="torch sees no CUDA device"):
            torch_checkerboard(IsingLattice(4), device="cuda")


@pytest.mark.skipif(os.environ.get("BOLTZ_TEST_COMPILE") != "1",
                    reason="torch.compile takes minutes on a shared CPU (BOLTZ_TEST_COMPILE=1)")
@pytest.mark.parametrize("device", DEVICES)
def test_compiled_half_sweep_gives_the_same_chain(device):
    model = IsingLattice(8, beta=0.4)
    runs = []
    for comp in (False, True):
        alg = torch_checkerboard(model, "metropolis", device=device, compile=comp)
        runs.append(alg.spins(alg.step(alg.init(n_chains=4, seed=1), 5)))
    np.testing.assert_array_equal(runs[0], runs[1])


def test_import_samplers_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, boltz, boltz.samplers, boltz.samplers.lattice, boltz.ising;"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
