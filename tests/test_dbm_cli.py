"""``boltz dbm`` command line and DBM plots."""

import json

import matplotlib
import numpy as np
import pytest

from boltz.cli import main

matplotlib.use("Agg")


@pytest.fixture
def data_file(tmp_path):
    rng = np.random.default_rng(0)
    protos = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], float)
    x = protos[rng.integers(0, 2, 200)]
    path = tmp_path / "x.npy"
    np.save(path, np.abs(x - (rng.random(x.shape) < 0.05)))
    return path


def test_train_eval_sample(tmp_path, data_file, capsys):
    model = tmp_path / "m.npz"
    rc = main(["dbm", "train", "--data", str(data_file), "--hidden", "4", "3", "--epochs", "1",
               "--pretrain-epochs", "1", "--batch-size", "20", "--out", str(model), "--quiet"])
    assert rc == 0 and model.exists()
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["layer_sizes"] == [6, 4, 3]
    rc = main(["dbm", "eval", str(model), "--data", str(data_file), "--betas", "100",
               "--chains", "10", "--quiet"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert np.isfinite(res["lower_bound"]) and res["lower_bound"] < 0
    out = tmp_path / "s.npy"
    assert main(["dbm", "sample", str(model), "--n", "3", "--steps", "2", "--out", str(out)]) == 0
    assert np.load(out).shape == (3, 6)
    png = tmp_path / "s.png"
    assert main(["dbm", "sample", str(model), "--n", "4", "--steps", "2", "--out", str(png)]) == 0
    assert png.stat().st_size > 0


def test_cli_errors(tmp_path, data_file, capsys):
    assert main(["dbm", "eval", str(data_file), "--data", str(data_file)]) == 2
    assert "not a boltz model file" in capsys.readouterr().err
    assert main(["dbm", "train", "--data", str(data_file), "--hidden", "4",
                 "--out", str(tmp_path / "m.npz"), "--quiet"]) == 2
    assert "n_hidden" in capsys.readouterr().err
    assert main(["dbm", "train", "--data", str(tmp_path / "missing.npy"),
                 "--out", str(tmp_path / "m.npz")]) == 2


def test_layer_filter_plots():
    from boltz.dbm import DeepBoltzmannMachine
    from boltz.plotting.dbm import layer_filters, plot_layer_filters, plot_samples

    rng = np.random.default_rng(0)
    dbm = DeepBoltzmannMachine.from_parameters([rng.standard_normal((16, 6)),
                                                rng.standard_normal((6, 4))])
    f2 = layer_filters(dbm.weights_, 2)
    np.testing.assert_allclose(f2, (dbm.weights_[0] @ dbm.weights_[1]).T)
    with pytest.raises(ValueError, match="layer"):
        layer_filters(dbm.weights_, 3)
    fig = plot_layer_filters(dbm, shape=(4, 4))
    assert len(fig.axes) == 2
    assert plot_samples(rng.random((5, 16)), shape=(4, 4)) is not None


def test_train_with_dynamic_binarization(tmp_path, capsys):
    probs = tmp_path / "p.npy"
    np.save(probs, np.tile([0.9, 0.8, 0.9, 0.1, 0.2, 0.1], (40, 1)))
    model = tmp_path / "m.npz"
    args = ["dbm", "train", "--data", str(probs), "--hidden", "4", "3", "--epochs", "1",
            "--pretrain-epochs", "1", "--batch-size", "20", "--out", str(model), "--quiet"]
    assert main(args) == 2  # grey levels need --binarize dynamic
    assert "X must be binary" in capsys.readouterr().err
    assert main([*args, "--binarize", "dynamic", "--mean-field-init", "persistent",
                 "--mean-field-iters", "3", "--gibbs-steps", "2", "--schedule", "linear_time",
                 "--max-seconds", "60"]) == 0
    from boltz.dbm import DeepBoltzmannMachine

    loaded = DeepBoltzmannMachine.load(model)
    assert loaded.binarize == "dynamic" and loaded.mean_field_init == "persistent"
    assert loaded.gibbs_steps == 2 and loaded.lr_schedule == "linear_time"
    assert loaded.max_seconds == 60.0
    assert main([*args, "--binarize", "dynamic", "--schedule", "linear_time"]) == 2
    assert "max_seconds" in capsys.readouterr().err
