"""Every command-line failure: exit 2 (bad input) or 1 (runtime), one line, no traceback;
no input file and no existing file is ever overwritten (issue #18)."""

import errno
import json
import os

import numpy as np
import pytest

from boltz.cli import main


def _run(argv, capsys):
    """Exit code and stderr lines of ``boltz ARGV`` run in-process."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, err.strip().splitlines()


def _one_line(lines, command):
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"boltz {command}: error: "), lines


@pytest.fixture()
def data(tmp_path):
    path = tmp_path / "bin.npy"
    np.save(path, (np.random.default_rng(0).random((60, 16)) < 0.5).astype(np.float64))
    return path


@pytest.fixture()
def rbm_file(tmp_path):
    from boltz.rbm import BernoulliRBM

    rng = np.random.default_rng(0)
    m = BernoulliRBM.from_params(rng.normal(0, 0.1, (16, 4)), np.zeros(16), np.zeros(4))
    return m.save(tmp_path / "rbm.npz")


@pytest.fixture()
def dbm_file(tmp_path):
    from boltz.dbm import DeepBoltzmannMachine

    rng = np.random.default_rng(0)
    m = DeepBoltzmannMachine.from_parameters([rng.normal(0, 0.1, (16, 4)),
                                              rng.normal(0, 0.1, (4, 3))])
    return m.save(tmp_path / "dbm.npz")


def test_divergence_is_a_runtime_failure(data, tmp_path, capsys):
    code, err = _run(["rbm", "train", "--data", str(data), "--hidden", "4", "--epochs", "2",
                      "--batch-size", "20", "--lr", "1e12", "--quiet",
                      "--out", str(tmp_path / "r.npz")], capsys)
    assert code == 1 and "DivergenceError" in err[0]
    _one_line(err, "rbm")
    code, err = _run(["dbm", "train", "--data", str(data), "--hidden", "4", "3", "--epochs",
                      "2", "--pretrain-epochs", "1", "--batch-size", "20", "--chains", "10",
                      "--lr", "1e12", "--quiet", "--out", str(tmp_path / "d.npz")], capsys)
    assert code == 1 and "TrainingDivergedError" in err[0]
    _one_line(err, "dbm")
    assert not (tmp_path / "r.npz").exists() and not (tmp_path / "d.npz").exists()


@pytest.mark.parametrize("kind", ["rbm", "dbm"])
def test_sample_never_overwrites_the_model_or_an_existing_file(kind, rbm_file, dbm_file,
                                                               tmp_path, capsys):
    model = rbm_file if kind == "rbm" else dbm_file
    before = model.read_bytes()
    for extra in ([], ["--overwrite"]):
        code, err = _run([kind, "sample", str(model), "--out", str(model), "--steps", "2",
                          "--quiet", *extra], capsys)
        assert code == 2 and "input file" in err[0]
        _one_line(err, kind)
    assert model.read_bytes() == before
    existing = tmp_path / "s.npy"
    existing.write_bytes(b"keep me")
    code, err = _run([kind, "sample", str(model), "--out", str(existing), "--steps", "2",
                      "--quiet"], capsys)
    assert code == 2 and "--overwrite" in err[0]
    assert existing.read_bytes() == b"keep me"
    # control: with --overwrite the same command replaces it
    code, _ = _run([kind, "sample", str(model), "--out", str(existing), "--steps", "2",
                    "--quiet", "--overwrite", "--json"], capsys)
    assert code == 0 and np.load(existing).shape[1] == 16


def test_output_paths_directory_missing_folder_and_failed_write(rbm_file, tmp_path, capsys,
                                                                monkeypatch):
    folder = tmp_path / "d.npy"
    folder.mkdir()
    code, err = _run(["rbm", "sample", str(rbm_file), "--out", str(folder), "--overwrite",
                      "--steps", "2", "--quiet"], capsys)
    assert code == 2 and "is a directory" in err[0]
    nested = tmp_path / "new" / "deeper" / "s.npy"  # a missing folder is created
    code, _ = _run(["rbm", "sample", str(rbm_file), "--out", str(nested), "--steps", "2",
                    "--quiet", "--json"], capsys)
    assert code == 0 and nested.is_file()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, err = _run(["rbm", "sample", str(rbm_file), "--out", str(blocker / "s.npy"),
                      "--steps", "2", "--quiet"], capsys)
    assert code == 2 and "not a folder" in err[0]

    import boltz.io

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(boltz.io.os, "fsync", full_disk)
    out = tmp_path / "full" / "s.npy"
    code, err = _run(["rbm", "sample", str(rbm_file), "--out", str(out), "--steps", "2",
                      "--quiet"], capsys)
    assert code == 1 and "No space left on device" in err[0]
    _one_line(err, "rbm")
    assert os.listdir(out.parent) == []  # neither the output nor a temporary file


def test_read_only_output_folder_is_a_runtime_failure(rbm_file, tmp_path, capsys, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() == 0:  # root writes anywhere: make the check see a read-only folder
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m: False if str(p) == str(ro)
                            else real(p, m))
    else:
        ro.chmod(0o555)
    code, err = _run(["rbm", "sample", str(rbm_file), "--out", str(ro / "s.npy"),
                      "--steps", "2", "--quiet"], capsys)
    assert code == 1 and "cannot write to the folder" in err[0]
    _one_line(err, "rbm")


def test_unreadable_input_is_bad_input(data, tmp_path, capsys, monkeypatch):
    real = np.load

    def denied(path, *a, **k):
        if str(path) == str(data):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *a, **k)
    monkeypatch.setattr(np, "load", denied)
    code, err = _run(["mrf", "fit", str(data), "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 2 and "Permission denied" in err[0] and str(data) in err[0]


def test_model_file_of_another_kind_names_the_file(tmp_path, data, capsys):
    code, err = _run(["rbm", "sample", str(data), "--out", str(tmp_path / "s.npy")], capsys)
    assert code == 2 and str(data) in err[0] and "not a boltz model file" in err[0]
    code, err = _run(["dbm", "eval", str(data), "--data", str(data)], capsys)
    assert code == 2 and str(data) in err[0]


def test_debug_shows_the_traceback_and_interrupts_exit_130(tmp_path, capsys, monkeypatch):
    args = ["rbm", "sample", str(tmp_path / "missing.npz"), "--out", str(tmp_path / "s.npy")]
    code, err = _run(args, capsys)
    assert code == 2 and "no model file" in err[0]
    with pytest.raises(FileNotFoundError):
        main(["--debug", *args])
    capsys.readouterr()
    import boltz.cli.rbm as rbm_cli

    def interrupted(args):
        raise KeyboardInterrupt("interrupted at epoch 3; checkpoint written to c.npz")
    monkeypatch.setattr(rbm_cli, "_sample", interrupted)
    code, err = _run(args, capsys)
    assert code == 130 and err == ["boltz rbm: interrupted at epoch 3; checkpoint written "
                                   "to c.npz"]
    monkeypatch.setattr(rbm_cli, "_sample", lambda a: (_ for _ in ()).throw(KeyboardInterrupt))
    code, err = _run(args, capsys)
    assert code == 130 and err == ["boltz rbm: interrupted (Ctrl-C)"]
    monkeypatch.setattr(rbm_cli, "_sample", lambda a: (_ for _ in ()).throw(MemoryError))
    code, err = _run(args, capsys)
    assert code == 1 and err == ["boltz rbm: error: out of memory (MemoryError)"]


def test_usage_errors_are_one_line(capsys):
    code, err = _run(["rbm", "train", "--epochs", "many"], capsys)
    assert code == 2 and len(err) == 1 and "invalid int value: 'many'" in err[0]
    code, err = _run(["ebm", "train", "--batch-size", "0"], capsys)
    assert code == 2 and err == ["boltz ebm: error: --batch-size must be positive, got 0"]


def test_json_output_never_holds_nan_or_infinity(capsys):
    import argparse

    from boltz.cli._common import report

    report(argparse.Namespace(json=True),
           [], {"log_z_reverse_range": [42.31, float("inf")], "loss": float("nan"), "n": 3})
    line = capsys.readouterr().out.strip()
    result = json.loads(line, parse_constant=lambda c: pytest.fail(f"non-JSON token {c}"))
    assert result == {"log_z_reverse_range": [42.31, None], "loss": None, "n": 3,
                      "non_finite": ["log_z_reverse_range", "loss"]}


def test_decompression_bomb_is_refused(tmp_path, capsys):
    import struct
    import zlib

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    # a 50000 x 50000 grey PNG header (2.5e9 pixels) in a file of a few bytes
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 50000, 50000,
                                                                        8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    code, err = _run(["denoise", str(bomb), "-o", str(tmp_path / "out.png")], capsys)
    assert code == 2 and "decompression bomb" in err[0]
    _one_line(err, "denoise")
    assert not (tmp_path / "out.png").exists()


def test_denoise_demo_does_not_replace_existing_files(tmp_path, capsys):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "noisy.png").write_bytes(b"keep")
    code, err = _run(["denoise", "--demo", "-o", str(out)], capsys)
    assert code == 2 and "--overwrite" in err[0]
    assert (out / "noisy.png").read_bytes() == b"keep"
    assert sorted(p.name for p in out.iterdir()) == ["noisy.png"]
