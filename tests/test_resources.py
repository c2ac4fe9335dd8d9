"""#18 item 2: requests that cannot fit fail up front; long runs stop cleanly on Ctrl-C."""

import numpy as np
import pytest

from boltz._resources import GrowingSeries, available_memory, check_memory, format_bytes
from boltz.ising import IsingLattice, kaufman_log_partition, simulate
from boltz.rbm import BernoulliRBM
from boltz.rbm.ais import ais_log_partition


@pytest.fixture(scope="module")
def rbm():
    X = (np.random.default_rng(0).random((40, 6)) < 0.5).astype(float)
    return BernoulliRBM(3, n_epochs=1, seed=0).fit(X)


def test_available_memory_and_override(monkeypatch):
    assert available_memory() > 0
    monkeypatch.setenv("BOLTZ_MEMORY_LIMIT", "1000")
    assert available_memory() == 1000
    assert check_memory(800, "n=100", "a vector") == 800
    with pytest.raises(ValueError, match=r"n=200 needs 1600 bytes \(1.56 KiB\) for a vector"):
        check_memory(1600, "n=200", "a vector")
    monkeypatch.setenv("BOLTZ_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="BOLTZ_MEMORY_LIMIT"):
        available_memory()
    assert format_bytes(3 * 2**40) == "3 TiB"


@pytest.mark.parametrize("make,argument", [
    (lambda rbm: BernoulliRBM(n_hidden=10**12).fit(np.zeros((4, 6))), "n_hidden=10"),
    (lambda rbm: rbm.sample(10**13), "n=10000000000000"),
    (lambda rbm: ais_log_partition(rbm, n_runs=10**13, n_betas=10), "n_runs=10"),
    (lambda rbm: ais_log_partition(rbm, n_runs=10, n_betas=10**13), "n_betas=10"),
    (lambda rbm: IsingLattice(10**7), r"shape=\(10000000, 10000000\)"),
    (lambda rbm: kaufman_log_partition(10**9, 10**9, 0.4), "L=1000000000"),
    (lambda rbm: simulate(IsingLattice(8, beta=0.4), "gibbs", n_sweeps=10, n_chains=10**13),
     "n_chains=10"),
])
def test_huge_requests_fail_up_front(rbm, make, argument):
    with pytest.raises(ValueError, match=argument) as err:
        make(rbm)
    assert "bytes" in str(err.value)


def test_a_request_that_fits_still_runs_under_a_limit(monkeypatch, rbm):
    monkeypatch.setenv("BOLTZ_MEMORY_LIMIT", str(10**7))
    assert rbm.sample(5, n_steps=2, seed=0).shape == (5, 6)
    with pytest.raises(ValueError, match="n=100000 needs"):
        rbm.sample(10**5, n_steps=1, seed=0)      # 13 MB of chains > 0.9 * 10 MB
    IsingLattice(100)
    with pytest.raises(ValueError, match="shape"):
        IsingLattice(2000)                        # 32 MB of field


def test_growing_series_keeps_contents():
    s = GrowingSeries({"a": (2,)}, 10**15, "n_sweeps")
    s["a"][:] = 1.0
    s.grow()
    assert s["a"].shape == (8192, 2) and np.all(s["a"][:4096] == 1.0)
    s.truncate(3)
    assert s["a"].shape == (3, 2)


def _interrupt_after(monkeypatch, n_calls):
    """Make the n-th measurement of simulate raise KeyboardInterrupt (as Ctrl-C would)."""
    import boltz.samplers as samplers

    real = samplers.hamiltonian
    calls = {"n": 0}

    def hamiltonian(model, spins):
        calls["n"] += 1
        if calls["n"] == n_calls:
            raise KeyboardInterrupt
        return real(model, spins)

    monkeypatch.setattr(samplers, "hamiltonian", hamiltonian)


def test_simulate_huge_sweeps_interrupted_keeps_partial_result(monkeypatch):
    model = IsingLattice(6, beta=0.3)
    _interrupt_after(monkeypatch, 5001)           # past the first growth of the series
    run = simulate(model, "gibbs", n_sweeps=10**15, n_burnin=3, n_chains=2, seed=4,
                   progress=True)
    assert run.info["interrupted"] is True
    assert run.energies.shape == (5000, 2) and run.magnetizations.shape == (5000, 2)
    # the 5001st sweep ran before its measurement was interrupted: final_spins include it
    assert run.info["sweeps_done"] == 3 + 5001 and run.info["measurements_done"] == 5000
    monkeypatch.undo()
    # the partial series is the start of an uninterrupted run with the same seed
    full = simulate(model, "gibbs", n_sweeps=5001, n_burnin=3, n_chains=2, seed=4)
    full.energies = full.energies[:5000]
    assert "interrupted" not in full.info
    np.testing.assert_array_equal(run.energies, full.energies)
    np.testing.assert_array_equal(run.final_spins, full.final_spins)


def test_simulate_interrupt_before_any_measurement_propagates(monkeypatch):
    _interrupt_after(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        simulate(IsingLattice(4, beta=0.3), "gibbs", n_sweeps=10, seed=0)


def test_rbm_gibbs_huge_steps_is_accepted_and_interruptible(monkeypatch, rbm):
    calls = {"n": 0}
    real = type(rbm)._sample_visible_from_pre

    def stop_after_three(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(rbm), "_sample_visible_from_pre", stop_after_three)
    from boltz.checkpoint import PartialResultWarning

    with pytest.warns(PartialResultWarning) as rec:  # Ctrl-C keeps the 2 sweeps done
        v = rbm.gibbs(np.zeros((4, 6)), n_steps=10**15, seed=0, progress=True)
    assert calls["n"] == 3 and rec[0].message.done == 2 and v.shape == (4, 6)
