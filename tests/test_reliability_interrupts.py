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
    assert result["interrupted"] == {"T": 2.5, "sweeps_done": 15, "measurements_done": 4}
    assert len(result["runs"]) == 1 and ckpt.exists()
