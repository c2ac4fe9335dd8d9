"""A small fuzz of the command line (issue #18): bad values for every kind of option, bad
input files and bad output paths, fed to ``boltz.cli.main`` in-process. Each must exit 1 or
2 with one ``boltz CMD: error:`` line and no traceback, and leave every file as it was.
(A larger version with ~800 cases lives outside the repository.)"""

import hashlib
import itertools
import os
from pathlib import Path

import numpy as np
import pytest

from boltz.cli import main

BAD_INTS = ["0", "-1", "abc", "1.5"]
BAD_FLOATS = ["nan", "inf", "-1", "abc", "1j"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    rng = np.random.default_rng(0)
    np.save(d / "bin.npy", (rng.random((30, 16)) < 0.5).astype(np.float64))
    np.save(d / "cplx.npy", np.load(d / "bin.npy").astype(np.complex128))
    x = np.load(d / "bin.npy").copy()
    x[0, 0] = np.nan
    np.save(d / "nan.npy", x)
    np.save(d / "str.npy", np.array([["a"] * 16] * 3))
    np.save(d / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(d / "empty.npy", np.zeros((0, 16)))
    (d / "text.npz").write_text("hello")
    (d / "adir.npz").mkdir()
    (d / "adir.npy").mkdir()
    (d / "existing.npy").write_bytes(b"keep")
    from boltz.dbm import DeepBoltzmannMachine
    from boltz.rbm import BernoulliRBM

    BernoulliRBM.from_params(rng.normal(0, .1, (16, 4)), np.zeros(16), np.zeros(4)).save(
        d / "rbm.npz")
    DeepBoltzmannMachine.from_parameters([rng.normal(0, .1, (16, 4)),
                                          rng.normal(0, .1, (4, 3))]).save(d / "dbm.npz")
    (d / "trunc.npz").write_bytes((d / "rbm.npz").read_bytes()[:200])
    return d


def _cases():
    rt = ["rbm", "train", "--data", "bin.npy", "--hidden", "4", "--epochs", "1", "--quiet",
          "--out", "o.npz"]
    rs = ["rbm", "sample", "rbm.npz", "--n", "4", "--steps", "2", "--quiet", "--out", "o.npy"]
    dt = ["dbm", "train", "--data", "bin.npy", "--hidden", "4", "3", "--epochs", "1",
          "--pretrain-epochs", "1", "--quiet", "--out", "o.npz"]
    ds = ["dbm", "sample", "dbm.npz", "--n", "4", "--steps", "2", "--quiet", "--out", "o.npy"]
    it = ["ising", "--L", "4", "--sweeps", "10", "--quiet"]
    mf = ["mrf", "fit", "bin.npy", "--out", "o.npz"]

    def with_(base, opt, value):
        a = list(base)
        if opt in a:
            a[a.index(opt) + 1] = value
        else:
            a += [opt, value]
        return a
    out = []
    for base, opts in ((rt, ["--hidden", "--epochs", "--batch-size"]), (rs, ["--n"]),
                       (dt, ["--batch-size", "--chains"]), (it, ["--L", "--sweeps"]),
                       (mf, ["--max-iter"])):
        out += [with_(base, o, v) for o, v in itertools.product(opts, BAD_INTS)]
    for base, opts in ((rt, ["--lr"]), (dt, ["--lr"]), (it, ["--T"]), (mf, ["--alpha"])):
        out += [with_(base, o, v) for o, v in itertools.product(opts, BAD_FLOATS)]
    for data in ["missing.npy", "adir.npy", "cplx.npy", "nan.npy", "str.npy", "obj.npy",
                 "empty.npy", "text.npz"]:
        out += [with_(rt, "--data", data), with_(mf, "fit", data)]
    for model in ["missing.npz", "adir.npz", "bin.npy", "text.npz", "trunc.npz", "dbm.npz"]:
        out.append(["rbm", "sample", model, "--out", "o.npy"])
    for model in ["missing.npz", "bin.npy", "text.npz", "trunc.npz", "rbm.npz"]:
        out.append(["dbm", "sample", model, "--out", "o.npy"])
    for target, extra in itertools.product(["rbm.npz", "dbm.npz", "existing.npy", "adir.npy",
                                            "bin.npy", "x.txt"], ([], ["--overwrite"])):
        if target in ("existing.npy", "bin.npy") and extra:
            continue  # not an input of 'sample': --overwrite may replace it
        base = rs if target != "dbm.npz" else ds
        out.append(with_(base, "--out", target) + extra)
    out += [["rbm"], ["ebm"], ["mrf"], ["nope"], ["rbm", "train", "--nope"]]
    return out


def _digest(d):
    return {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in d.iterdir() if p.is_file()}


def test_bad_command_lines_fail_cleanly_and_lose_nothing(files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    before = _digest(files)
    cases = _cases()
    assert len(cases) > 90
    failures = []
    for argv in cases:
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if ": error:" in line]
        if code not in (1, 2) or "Traceback" in err or len(lines) != 1:
            failures.append((argv, code, err[-200:]))
        assert _digest(files) == before, argv
        leftovers = [p.name for p in Path(files).iterdir()
                     if p.name.startswith("o.") or p.name.endswith(".tmp")]
        assert not leftovers, (argv, leftovers)
    assert not failures, failures
    assert not [p for p in os.listdir(files) if p.endswith(".tmp")]
