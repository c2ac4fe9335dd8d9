"""Ctrl-C during long sampling keeps the partial result and says so.

Ctrl-C is a real ``SIGINT`` sent from inside the computation at a chosen step."""

import json
import os
import signal

import numpy as np
import pytest

from boltz.checkpoint import PartialResultWarning
from boltz.cli import main
from boltz.rbm import BernoulliRBM


def _rbm():
    rng = np.random.default_rng(0)
    return BernoulliRBM.from_params(rng.normal(0, 0.5, (6, 4)), np.zeros(6), np.zeros(4))


def _interrupt_on_call(monkeypatch, obj, name, k):
    original, calls = getattr(obj, name), {"n": 0}

    def wrapped(*a, **kw):
        calls["n"] += 1
        if calls["n"] == k:
            os.kill(os.getpid(), signal.SIGINT)
        return original(*a, **kw)

    monkeypatch.setattr(obj, name, wrapped)


def test_gibbs_ctrl_c_returns_the_state_after_the_sweeps_done(monkeypatch):
    m = _rbm()
    v0 = (np.random.default_rng(1).random((5, 6)) < 0.5).astype(float)
    ref = m.gibbs(v0, n_steps=2, seed=0)
    _interrupt_on_call(monkeypatch, m, "_sample_visible_from_pre", 3)  # during sweep 3
    with pytest.warns(PartialResultWarning, match="after 2 of 1000000000000 sweeps") as rec:
        out = m.gibbs(v0, n_steps=10**12, seed=0)
    assert rec[0].message.done == 2 and rec[0].message.total == 10**12
    np.testing.assert_array_equal(out, ref)


def test_gibbs_ctrl_c_in_the_first_sweep_raises(monkeypatch):
    m = _rbm()
    _interrupt_on_call(monkeypatch, m, "_sample_visible_from_pre", 1)
    with pytest.raises(KeyboardInterrupt):
        m.gibbs(np.zeros((2, 6)), n_steps=5, seed=0)


def test_gibbs_progress_bar_by_default_only_for_long_runs(capsys):
    m = _rbm()
    m.gibbs(np.zeros((2, 6)), n_steps=3, seed=0)
    assert "Gibbs" not in capsys.readouterr().err


def test_ising_cli_ctrl_c_reports_partial_run_and_exits_130(monkeypatch, capsys, tmp_path):
    import boltz.samplers

    _interrupt_on_call(monkeypatch, boltz.samplers, "hamiltonian", 5)
    ckpt = tmp_path / "state.npz"
    code = main(["ising", "--L", "8", "--T", "2.5", "--sweeps", "1000000000", "--burnin", "10",
                 "--algorithm", "gibbs", "--quiet", "--json", "--checkpoint", str(ckpt)])
    out, err = capsys.readouterr()
    assert code == 130
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "interrupted (Ctrl-C) at T=2.5 after 15 of about 1000000010 sweeps" in lines[0]
    assert f"--resume {ckpt}" in lines[0]
    result = json.loads(out.strip().splitlines()[-1])
    # Ctrl-C in the 5th measurement ends it: the state sits between measurements 5 and 6
    assert result["interrupted"] == {"T": 2.5, "sweeps_done": 15, "measurements_done": 5}
    assert len(result["runs"]) == 1 and ckpt.exists()


def test_ais_ctrl_c_keeps_the_finished_runs_and_flags_the_estimate(monkeypatch):
    import boltz.rbm.ais as ais

    m = _rbm()
    full = ais.ais_log_partition(m, n_runs=150, n_betas=40, seed=0, n_workers=1)
    original, calls = ais._anneal, {"n": 0}

    def anneal(*a, **kw):  # Ctrl-C while the second chunk of 50 runs anneals
        calls["n"] += 1
        if calls["n"] == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return original(*a, **kw)

    monkeypatch.setattr(ais, "_anneal", anneal)
    with pytest.warns(PartialResultWarning, match="uses the 50 of 150 runs") as rec:
        res = ais.ais_log_partition(m, n_runs=150, n_betas=40, seed=0, n_workers=1)
    assert rec[0].message.done == 50
    assert res.interrupted and not full.interrupted
    np.testing.assert_array_equal(res.log_weights, full.log_weights[:50])
    assert np.isfinite(res.log_z)


def test_ais_ctrl_c_before_any_run_finished_raises(monkeypatch):
    import boltz.rbm.ais as ais

    m = _rbm()
    _interrupt_on_call(monkeypatch, ais, "_anneal", 1)
    with pytest.raises(KeyboardInterrupt, match="before any of its 10 runs finished"):
        ais.ais_log_partition(m, n_runs=10, n_betas=10**6, seed=0, n_workers=1)


def test_ais_huge_schedule_is_refused_up_front_naming_bytes():
    from boltz.rbm.ais import ais_log_partition

    with pytest.raises(ValueError, match=r"n_betas=10000000000000.*bytes"):
        ais_log_partition(_rbm(), n_runs=1, n_betas=10**13, seed=0)
