"""``boltz ebm train --checkpoint PATH --checkpoint-every N --resume``: Ctrl-C exits 130 with
the resume command, and the resumed run ends in the uninterrupted run's state, bit for bit."""

import shlex

import pytest

torch = pytest.importorskip("torch")

from boltz.checkpoint import INTERRUPT  # noqa: E402
from boltz.cli import main  # noqa: E402
from boltz.deep.objectives import NoiseContrastiveEstimation  # noqa: E402

BASE = ["ebm", "train", "--density", "two_moons", "--objective", "nce", "--steps", "12",
        "--batch-size", "32", "--grid", "8", "--samples", "20", "--sample-steps", "2",
        "--no-progress", "--json"]


def _state(path):
    return torch.load(path, weights_only=True)


def test_ebm_train_interrupted_prints_resume_command_and_resumes(tmp_path, capsys,
                                                                 monkeypatch):
    ref = tmp_path / "ref.pt"
    assert main([*BASE, "-o", str(tmp_path / "ref.png"), "--checkpoint", str(ref)]) == 0
    original, calls = NoiseContrastiveEstimation.forward, {"n": 0}

    def forward(self, model, x, generator=None):
        calls["n"] += 1
        if calls["n"] == 5:
            INTERRUPT.request()  # what Ctrl-C does during fit
        return original(self, model, x, generator)

    monkeypatch.setattr(NoiseContrastiveEstimation, "forward", forward)
    run = tmp_path / "run.pt"
    capsys.readouterr()
    argv = [*BASE, "-o", str(tmp_path / "run.png"), "--checkpoint", str(run),
            "--checkpoint-every", "3"]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "interrupted at update 5" in err and "Resume with:" in err, err
    assert run.exists() and not (tmp_path / "run.png").exists()
    assert _state(run)["step"] == 5
    monkeypatch.undo()
    assert main(argv) == 2  # the checkpoint is not replaced without --resume
    assert "--resume" in capsys.readouterr().err
    parts = shlex.split(err.strip().splitlines()[-1])
    assert parts[-1] == "--resume"
    assert main(parts[3:]) == 0
    a, b = _state(ref), _state(run)
    assert a["step"] == b["step"] == 12
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert torch.equal(a["objective"]["log_z"], b["objective"]["log_z"])
    for k in a["run"]["noise"]:  # the noise NCE fitted to the first batch
        assert torch.equal(a["run"]["noise"][k], b["run"]["noise"][k]), k
    assert (tmp_path / "run.png").exists()
    # resuming the finished run on another density is refused (the data function's density)
    other = [*argv, "--density", "rings", "--resume", "-o", str(tmp_path / "r2.png")]
    assert main(other) == 2
    assert "another training data" in capsys.readouterr().err


def test_ebm_default_checkpoint_is_removed_after_success(tmp_path):
    fig = tmp_path / "f.png"
    assert main([*BASE, "--steps", "3", "-o", str(fig)]) == 0
    assert fig.exists() and not (tmp_path / "f.checkpoint.pt").exists()
