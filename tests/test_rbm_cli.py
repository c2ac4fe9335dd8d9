"""The ``boltz rbm`` command line and the RBM plots."""

import json

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from boltz.cli import main  # noqa: E402
from boltz.rbm import BernoulliRBM, load_rbm  # noqa: E402


@pytest.fixture
def data_file(tmp_path):
    rng = np.random.default_rng(0)
    X = (rng.random((300, 9)) < 0.3).astype(np.float64)
    path = tmp_path / "x.npy"
    np.save(path, X)
    return path


def test_cli_train_eval_sample(tmp_path, data_file, capsys):
    model = tmp_path / "m.npz"
    rc = main(["rbm", "train", "--data", str(data_file), "--hidden", "3", "--epochs", "2",
               "--batch-size", "50", "--quiet", "--threads", "1", "--out", str(model)])
    assert rc == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["epochs"] == 2 and model.exists()
    assert isinstance(load_rbm(model), BernoulliRBM)
    assert main(["rbm", "eval", str(model), "--data", str(data_file), "--quiet"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["test_loglik_exact"] < 0
    npy = tmp_path / "s.npy"
    assert main(["rbm", "sample", str(model), "--n", "5", "--steps", "3", "--out", str(npy)]) == 0
    assert np.load(npy).shape == (5, 9)
    png = tmp_path / "s.png"
    assert main(["rbm", "sample", str(model), "--n", "4", "--steps", "2", "--out", str(png)]) == 0
    assert png.stat().st_size > 0


def test_cli_errors(tmp_path, data_file, capsys):
    assert main(["rbm", "train", "--data", str(data_file), "--hidden", "0", "--quiet",
                 "--out", str(tmp_path / "m.npz")]) == 2
    assert "n_hidden" in capsys.readouterr().err
    assert main(["rbm", "eval", str(tmp_path / "missing.npz")]) == 2
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    assert main(["rbm", "eval", str(bad)]) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert main(["rbm", "train", "--data", "x.csv", "--out", str(tmp_path / "m")]) == 2


def test_cli_trains_with_dynamic_binarization(tmp_path, capsys):
    probs = tmp_path / "p.npy"
    np.save(probs, np.tile([0.9, 0.8, 0.9, 0.1, 0.2, 0.1], (40, 1)))
    model = tmp_path / "m.npz"
    args = ["rbm", "train", "--data", str(probs), "--hidden", "3", "--epochs", "1",
            "--batch-size", "20", "--out", str(model), "--quiet"]
    assert main(args) == 0  # grey levels train as given (probabilities as data, #19)
    bad = tmp_path / "bad.npy"
    np.save(bad, np.tile([1.5, 0.8, 0.9, 0.1, 0.2, 0.1], (40, 1)))
    assert main([*args[:3], str(bad), *args[4:], "--overwrite"]) == 2
    assert "X must hold probabilities in [0, 1]" in capsys.readouterr().err
    model.unlink()
    assert main([*args, "--binarize", "dynamic"]) == 0
    from boltz.rbm import BernoulliRBM

    assert BernoulliRBM.load(model).binarize == "dynamic"


def test_cli_trains_on_a_time_budget(tmp_path, data_file, capsys):
    model = tmp_path / "m.npz"
    args = ["rbm", "train", "--data", str(data_file), "--hidden", "3", "--epochs", "2",
            "--batch-size", "50", "--quiet", "--threads", "1", "--out", str(model),
            "--schedule", "linear_time"]
    assert main(args) == 2
    assert "max_seconds" in capsys.readouterr().err
    assert main([*args, "--max-seconds", "60"]) == 0
    loaded = load_rbm(model)
    assert loaded.lr_schedule == "linear_time" and loaded.max_seconds == 60.0


def test_plots(data_file):
    from boltz.plotting.rbm import plot_filters, plot_samples, plot_training_curves

    X = np.load(data_file)
    rbm = BernoulliRBM(4, n_epochs=2, seed=0).fit(X)
    assert plot_filters(rbm, shape=(3, 3)).axes
    assert plot_samples(rbm.sample(6, seed=0, n_steps=2), shape=(3, 3)).axes
    fig = plot_training_curves(rbm)
    assert len(fig.axes) >= 2
    with pytest.raises(ValueError, match="empty"):
        plot_training_curves([])


def test_import_does_not_pull_in_torch():
    """scikit-learn is a core dependency since #19 (the RBMs are its estimators); torch is not."""
    import subprocess
    import sys

    code = ("import sys, boltz; m = boltz.BernoulliRBM; import boltz.rbm; "
            "print('sklearn' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["True", "False"]
