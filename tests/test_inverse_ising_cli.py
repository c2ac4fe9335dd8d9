"""``boltz mrf fit``: fits, saves via boltz.io, refuses bad input with exit 2 and one line."""

import json

import numpy as np
import pytest

from boltz.cli import main
from boltz.exact import ExactDistribution
from boltz.inverse_ising import load_inverse_ising
from boltz.ising import PairwiseMRF


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    J = np.zeros((4, 4))
    J[0, 1] = J[1, 0] = 0.6
    J[2, 3] = J[3, 2] = -0.4
    X = ExactDistribution(PairwiseMRF(J, h=[0.1, 0, 0, -0.2])).sample(4000, seed=0)
    path = tmp_path_factory.mktemp("mrf") / "data.npy"
    np.save(path, (X + 1) / 2)                      # {0, 1} data
    return path, J


@pytest.mark.parametrize("method", ["pl", "exact", "sm"])
def test_fit_writes_a_loadable_model(data, tmp_path, capsys, method):
    path, J = data
    out = tmp_path / "m.npz"
    assert main(["mrf", "fit", str(path), "--method", method, "--out", str(out),
                 "--threads", "1"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["model"] == str(out) and report["n_variables"] == 4
    est = load_inverse_ising(out)
    assert np.abs(est.coupling_ - J).max() < 0.1
    assert est.data_support_ == (0, 1)


def test_refuses_to_overwrite_without_flag(data, tmp_path, capsys):
    path, _ = data
    out = tmp_path / "m.npz"
    out.write_bytes(b"keep me")
    assert main(["mrf", "fit", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "--overwrite" in err and len(err.splitlines()) == 1
    assert out.read_bytes() == b"keep me"
    assert main(["mrf", "fit", str(path), "--out", str(out), "--overwrite"]) == 0


@pytest.mark.parametrize("content, match", [
    (np.array([[0, 1, 2], [1, 0, 1]]), "X must be binary"),
    (np.array([[0, 1, 1], [1, 0, 1]]), "constant columns"),
    (np.array([[0.0, np.nan], [1.0, 0.0]]), "X must be finite"),
])
def test_bad_data_exits_2_with_one_line(tmp_path, capsys, content, match):
    bad = tmp_path / "bad.npy"
    np.save(bad, content)
    assert main(["mrf", "fit", str(bad), "--out", str(tmp_path / "m.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and len(err.splitlines()) == 1
    assert not (tmp_path / "m.npz").exists()


def test_bad_paths_and_options_exit_2(data, tmp_path, capsys):
    path, _ = data
    out = str(tmp_path / "m.npz")
    assert main(["mrf", "fit", str(tmp_path / "missing.npy"), "--out", out]) == 2
    assert main(["mrf", "fit", str(path.with_suffix(".csv")), "--out", out]) == 2
    assert main(["mrf", "fit", str(path), "--out", out, "--alpha", "-1"]) == 2
    wide = tmp_path / "wide.npy"
    np.save(wide, np.random.default_rng(0).choice([-1.0, 1.0], (100, 21)))
    assert main(["mrf", "fit", str(wide), "--method", "exact", "--out", out]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("boltz mrf: error:") for line in lines)


def test_every_option_has_help_with_default(capsys):
    with pytest.raises(SystemExit):
        main(["mrf", "fit", "--help"])
    text = capsys.readouterr().out
    for option in ("--method", "--penalty", "--alpha", "--tol", "--max-iter", "--chains",
                   "--updates", "--sweeps", "--lr", "--threads", "--seed", "--overwrite"):
        assert option in text
    assert text.count("default") >= 12
