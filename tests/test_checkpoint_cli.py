"""Ctrl-C during `boltz rbm train`: exit 130, a checkpoint, the resume command printed, and
the resumed run saves the model the uninterrupted run saves."""

import os
import shlex
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from boltz.cli import main
from boltz.rbm import BernoulliRBM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_writes_checkpoint_prints_resume_command_and_resume_matches(tmp_path):
    X = (np.random.default_rng(0).random((3000, 64)) < 0.3).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    args = ["rbm", "train", "--data", str(tmp_path / "x.npy"), "--hidden", "16", "--epochs",
            "40", "--batch-size", "20", "--quiet", "--json"]
    ref = subprocess.run([sys.executable, "-m", "boltz", *args, "--out",
                          str(tmp_path / "ref.npz")], env=_env(), cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr
    ckpt = tmp_path / "run.checkpoint.npz"
    proc = subprocess.Popen([sys.executable, "-m", "boltz", *args, "--out",
                             str(tmp_path / "run.npz")], env=_env(), cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Resume with:" in err and "interrupted at" in err
    assert ckpt.exists() and not (tmp_path / "run.npz").exists()
    command = err.strip().splitlines()[-1].strip()
    parts = shlex.split(command)
    assert parts[:3] == ["python", "-m", "boltz"] and parts[-1] == "--resume"
    # a second run without --resume refuses to replace the checkpoint
    assert main([*args, "--out", str(tmp_path / "run.npz")]) == 2
    res = subprocess.run([sys.executable, *parts[1:]], env=_env(), cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    a, b = BernoulliRBM.load(tmp_path / "ref.npz"), BernoulliRBM.load(tmp_path / "run.npz")
    np.testing.assert_array_equal(a.W_, b.W_)
    np.testing.assert_array_equal(a.hidden_bias_, b.hidden_bias_)
    assert a.n_iter_ == b.n_iter_ == 40
    print(err)
    assert not ckpt.exists()  # the default-path checkpoint goes once the model is saved


def test_checkpoint_options_are_checked(tmp_path, capsys):
    X = (np.random.default_rng(0).random((30, 6)) < 0.3).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    base = ["rbm", "train", "--data", str(tmp_path / "x.npy"), "--hidden", "3", "--epochs", "2",
            "--quiet", "--out", str(tmp_path / "m.npz")]
    assert main([*base, "--checkpoint-every", "0"]) == 2
    assert "--checkpoint-every" in capsys.readouterr().err
    assert main([*base, "--checkpoint", str(tmp_path / "m.npz")]) == 2
    assert main([*base, "--checkpoint", str(tmp_path / "c.npz")]) == 0
    assert (tmp_path / "c.npz").exists()  # a named checkpoint is kept
    dbm = ["dbm", "train", "--help"]
    with pytest.raises(SystemExit):
        main(dbm)
    assert "--checkpoint-every" in capsys.readouterr().out


def test_dbm_train_interrupted_prints_resume_command_and_resumes(tmp_path, capsys,
                                                                 monkeypatch):
    from boltz.checkpoint import INTERRUPT
    from boltz.dbm import DeepBoltzmannMachine
    from boltz.dbm.joint import JointState

    X = (np.random.default_rng(0).random((60, 8)) < 0.4).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    base = ["dbm", "train", "--data", str(tmp_path / "x.npy"), "--hidden", "5", "3",
            "--epochs", "3", "--pretrain-epochs", "1", "--batch-size", "20", "--chains", "10",
            "--quiet", "--json"]
    assert main([*base, "--out", str(tmp_path / "ref.npz")]) == 0
    original, calls = JointState.update, {"n": 0}

    def update(self, *a, **kw):
        original(self, *a, **kw)
        calls["n"] += 1
        if calls["n"] == 4:
            INTERRUPT.request()

    monkeypatch.setattr(JointState, "update", update)
    capsys.readouterr()
    assert main([*base, "--out", str(tmp_path / "run.npz")]) == 130
    err = capsys.readouterr().err
    assert "epoch 2 after minibatch 1" in err and "Resume with:" in err
    monkeypatch.undo()
    parts = shlex.split(err.strip().splitlines()[-1])
    assert main(parts[3:]) == 0
    a = DeepBoltzmannMachine.load(tmp_path / "ref.npz")
    b = DeepBoltzmannMachine.load(tmp_path / "run.npz")
    for x, y in zip(a.weights_ + a.biases_, b.weights_ + b.biases_, strict=True):
        np.testing.assert_array_equal(x, y)
