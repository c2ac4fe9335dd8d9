"""An interrupted ``boltz ising`` / ``simulate`` run resumed from its checkpoint runs only
the remaining sweeps and equals the run that was never interrupted, bit for bit.

Ctrl-C is a real ``SIGINT`` sent from inside the computation at a chosen call."""

import json
import os
import signal

import numpy as np
import pytest

import boltz.samplers
import boltz.samplers.lattice
from boltz.cli import main
from boltz.ising import IsingLattice, simulate
from boltz.samplers import load_state, save_state


def _sigint_on_call(monkeypatch, obj, name, k, times=1):
    """SIGINT (``times`` of them) at the start of the ``k``-th call of ``obj.name``."""
    original, calls = getattr(obj, name), {"n": 0}

    def wrapped(*a, **kw):
        calls["n"] += 1
        if calls["n"] == k:
            for _ in range(times):
                os.kill(os.getpid(), signal.SIGINT)
        return original(*a, **kw)

    monkeypatch.setattr(obj, name, wrapped)


def _same_state(a, b):
    (sa, na), (sb, nb) = load_state(a), load_state(b)
    assert na == nb
    np.testing.assert_array_equal(sa.spins, sb.spins)
    np.testing.assert_array_equal(sa.streams, sb.streams)
    np.testing.assert_array_equal(sa.betas, sb.betas)
    assert sorted(sa.info) == sorted(sb.info)
    for k in sa.info:
        np.testing.assert_array_equal(sa.info[k], sb.info[k])


def _json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


BASE = ["ising", "--L", "8", "--T", "2.5", "--sweeps", "60", "--burnin", "7", "--seed", "3",
        "--algorithm", "gibbs", "--quiet", "--json"]


def test_cli_interrupted_and_resumed_equals_uninterrupted(monkeypatch, capsys, tmp_path):
    full, part, done = (tmp_path / f"{n}.npz" for n in ("full", "part", "done"))
    assert main(BASE + ["--checkpoint", str(full)]) == 0
    reference = _json(capsys)
    with monkeypatch.context() as m:
        _sigint_on_call(m, boltz.samplers, "hamiltonian", 21)
        assert main(BASE + ["--checkpoint", str(part)]) == 130
    partial = _json(capsys)
    assert partial["interrupted"] == {"T": 2.5, "sweeps_done": 28, "measurements_done": 21}
    assert main(BASE + ["--resume", str(part), "--checkpoint", str(done)]) == 0
    resumed = _json(capsys)
    assert resumed.pop("checkpoint") == str(done) and reference.pop("checkpoint") == str(full)
    assert resumed == reference
    _same_state(full, done)
    # control: the same state resumed without the interrupted run's measurements (a new
    # run of the full --sweeps, as before) gives another result
    state, name = load_state(part)
    assert "partial_done" in state.info
    bare = save_state(tmp_path / "bare.npz", type(state)(
        state.spins, state.streams, state.betas,
        {k: v for k, v in state.info.items() if not k.startswith("partial_")}), name)
    assert main(BASE + ["--resume", str(bare)]) == 0
    assert _json(capsys)["runs"] != reference["runs"]


def test_cli_resume_refuses_fewer_sweeps_than_done(monkeypatch, capsys, tmp_path):
    part = tmp_path / "part.npz"
    with monkeypatch.context() as m:
        _sigint_on_call(m, boltz.samplers, "hamiltonian", 30)
        assert main(BASE + ["--checkpoint", str(part)]) == 130
    capsys.readouterr()
    args = [*BASE, "--resume", str(part)]
    args[args.index("--sweeps") + 1] = "20"
    assert main(args) == 2
    assert "n_sweeps=20: the interrupted run being resumed measured 30" in capsys.readouterr().err
    args[args.index("--sweeps") + 1] = "60"
    args[args.index("--burnin") + 1] = "0"
    assert main(args) == 2
    assert "n_burnin=0" in capsys.readouterr().err


@pytest.mark.parametrize("algorithm, kw", [
    ("wolff", {"correlation": True}),
    ("multispin", {"n_chains": 64}),
    ("metropolis", {"staggered": True, "measure_every": 3, "n_chains": 2}),
])
def test_simulate_resume_finishes_the_run_bit_identically(monkeypatch, tmp_path, algorithm, kw):
    model = IsingLattice(8, temperature=2.4)
    common = dict(n_sweeps=45, n_burnin=6, seed=11, **kw)
    ref = simulate(model, algorithm, checkpoint=tmp_path / "ref.npz", **common)
    target = (boltz.samplers.lattice, "multispin_observables") if algorithm == "multispin" \
        else (boltz.samplers, "hamiltonian")
    with monkeypatch.context() as m:
        _sigint_on_call(m, *target, 4)
        cut = simulate(model, algorithm, checkpoint=tmp_path / "cut.npz", **common)
    assert cut.info["interrupted"] and cut.info["measurements_done"] == 4
    rest = simulate(model, algorithm, resume=tmp_path / "cut.npz",
                    checkpoint=tmp_path / "rest.npz",
                    **{k: v for k, v in common.items() if k not in ("seed", "n_burnin")})
    for name in ("energies", "magnetizations", "final_spins"):
        np.testing.assert_array_equal(getattr(rest, name), getattr(ref, name))
    assert str(rest.energy) == str(ref.energy) and rest.tau_abs_m == ref.tau_abs_m
    if kw.get("correlation"):
        np.testing.assert_array_equal(rest.correlation, ref.correlation)
        assert str(rest.correlation_length) == str(ref.correlation_length)
    if kw.get("staggered"):
        assert str(rest.staggered_magnetization) == str(ref.staggered_magnetization)
    _same_state(tmp_path / "ref.npz", tmp_path / "rest.npz")
    # control: the partial run alone differs
    assert cut.energies.shape[0] == 4 < ref.energies.shape[0]


def test_second_ctrl_c_between_sweeps_and_measurement_still_resumes_exactly(monkeypatch,
                                                                            tmp_path):
    model = IsingLattice(6, temperature=2.2)
    common = dict(n_sweeps=30, n_burnin=5, seed=2)
    ref = simulate(model, "gibbs", **common)
    with monkeypatch.context() as m:
        _sigint_on_call(m, boltz.samplers, "hamiltonian", 9, times=2)   # raises at once
        cut = simulate(model, "gibbs", checkpoint=tmp_path / "cut.npz", **common)
    assert cut.info["measurements_done"] == 8 and cut.info["sweeps_done"] == 5 + 9
    assert load_state(tmp_path / "cut.npz")[0].info["partial_stepped"] == 9
    rest = simulate(model, "gibbs", n_sweeps=30, resume=tmp_path / "cut.npz")
    np.testing.assert_array_equal(rest.energies, ref.energies)
    np.testing.assert_array_equal(rest.final_spins, ref.final_spins)


def test_second_ctrl_c_inside_a_sweep_writes_no_checkpoint(monkeypatch, tmp_path):
    model = IsingLattice(6, temperature=2.2)
    original = boltz.samplers.get_algorithm

    def get_algorithm(*a, **kw):
        alg = original(*a, **kw)
        calls = {"n": 0}

        def step(state, n):
            calls["n"] += 1
            if calls["n"] == 5:     # the burn-in is call 1
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), signal.SIGINT)
            return alg.step(state, n)

        return alg._replace(step=step)

    monkeypatch.setattr(boltz.samplers, "get_algorithm", get_algorithm)
    cut = simulate(model, "gibbs", n_sweeps=30, n_burnin=5, seed=2,
                   checkpoint=tmp_path / "cut.npz")
    assert cut.info["interrupted"] and "checkpoint" not in cut.info
    assert "midway" in cut.info["checkpoint_skipped"]
    assert not (tmp_path / "cut.npz").exists()


def test_resume_refuses_other_measurement_options(monkeypatch, tmp_path):
    model = IsingLattice(6, temperature=2.2)
    with monkeypatch.context() as m:
        _sigint_on_call(m, boltz.samplers, "hamiltonian", 3)
        simulate(model, "gibbs", n_sweeps=30, n_burnin=5, seed=2, checkpoint=tmp_path / "c")
    path = tmp_path / "c.npz"
    with pytest.raises(ValueError, match="n_sweeps=2: .* measured 3 sweeps"):
        simulate(model, "gibbs", n_sweeps=2, resume=path)
    with pytest.raises(ValueError, match="n_burnin=1: .* 5 burn-in"):
        simulate(model, "gibbs", n_sweeps=30, n_burnin=1, resume=path)
    with pytest.raises(ValueError, match="measure_every=2"):
        simulate(model, "gibbs", n_sweeps=30, measure_every=2, resume=path)
    with pytest.raises(ValueError, match="staggered=True"):
        simulate(model, "gibbs", n_sweeps=30, staggered=True, resume=path)
    # control: the same options (burn-in given as the run's own) finish it
    assert simulate(model, "gibbs", n_sweeps=30, n_burnin=5, resume=path).energies.shape == (30, 1)


def test_torch_sampler_resume_finishes_the_run_bit_identically(monkeypatch, tmp_path):
    pytest.importorskip("torch")
    import boltz.ising.observables as obs

    model = IsingLattice(8, temperature=2.4)
    common = dict(n_sweeps=20, n_burnin=3, n_chains=2, device="cpu")
    ref = simulate(model, "metropolis", seed=5, checkpoint=tmp_path / "ref.npz", **common)
    original = obs._torch_algorithm

    def torch_algorithm(*a, **kw):
        alg = original(*a, **kw)
        calls = {"n": 0}

        def measure(state):
            calls["n"] += 1
            if calls["n"] == 6:
                os.kill(os.getpid(), signal.SIGINT)
            return alg.measure(state)

        return alg._replace(measure=measure)

    with monkeypatch.context() as m:
        m.setattr(obs, "_torch_algorithm", torch_algorithm)
        cut = simulate(model, "metropolis", seed=5, checkpoint=tmp_path / "cut.npz", **common)
    assert cut.info["measurements_done"] == 6
    rest = simulate(model, "metropolis", resume=tmp_path / "cut.npz",
                    checkpoint=tmp_path / "rest.npz", **common)
    np.testing.assert_array_equal(rest.energies, ref.energies)
    np.testing.assert_array_equal(rest.magnetizations, ref.magnetizations)
    _same_state(tmp_path / "ref.npz", tmp_path / "rest.npz")


def test_resume_from_a_loaded_state_leaves_its_info_alone(monkeypatch, tmp_path):
    model = IsingLattice(6, temperature=2.2)
    ref = simulate(model, "gibbs", n_sweeps=30, n_burnin=5, seed=2)
    with monkeypatch.context() as m:
        _sigint_on_call(m, boltz.samplers, "hamiltonian", 3)
        simulate(model, "gibbs", n_sweeps=30, n_burnin=5, seed=2, checkpoint=tmp_path / "c")
    state, _ = load_state(tmp_path / "c.npz")
    keys = sorted(state.info)
    rest = simulate(model, "gibbs", n_sweeps=30, resume=state)
    assert sorted(state.info) == keys and "partial_done" in keys
    np.testing.assert_array_equal(rest.energies, ref.energies)
