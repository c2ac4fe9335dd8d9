"""Named RBM recipes: one source for the estimator, the CLI and the benchmark (issue #17)."""

import json

import numpy as np
import pytest

from boltz.rbm import BernoulliRBM, GaussianBernoulliRBM
from boltz.rbm.presets import RBM_PRESETS, preset, preset_names


def test_from_preset_uses_every_setting_and_overrides_win():
    for name in preset_names():
        settings = preset(name)
        settings.pop("kind")
        model = BernoulliRBM.from_preset(name)
        assert {k: model.get_params()[k] for k in settings} == settings
    m = BernoulliRBM.from_preset("mnist-pcd", learning_rate=0.5, seed=3)
    assert m.learning_rate == 0.5 and m.seed == 3 and m.final_lr_fraction == 0.01
    assert RBM_PRESETS["mnist-pcd"]["learning_rate"] == 0.02   # the preset itself is untouched


def test_estimator_default_agrees_with_the_recipe():
    """The default decay target is the tuned recipe's (0.1 before issue #17)."""
    assert BernoulliRBM().final_lr_fraction == preset("mnist-pcd")["final_lr_fraction"]


def test_bad_presets_are_rejected():
    with pytest.raises(ValueError, match="preset must be one of"):
        preset("no-such-recipe")
    with pytest.raises(ValueError, match="for kind 'bernoulli'"):
        GaussianBernoulliRBM.from_preset("mnist-pcd")


def test_cli_trains_with_a_preset_and_explicit_options_override(tmp_path, capsys):
    from boltz.cli import main
    from boltz.rbm import load_rbm

    X = (np.random.default_rng(0).random((300, 16)) < 0.3).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    out = tmp_path / "m.npz"
    assert main(["rbm", "train", "--preset", "mnist-pcd", "--data", str(tmp_path / "x.npy"),
                 "--hidden", "4", "--max-seconds", "5", "--epochs", "2", "--quiet",
                 "--out", str(out)]) == 0
    json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    m = load_rbm(out)
    recipe = preset("mnist-pcd")
    assert m.n_hidden == 4 and m.n_epochs == 2 and m.max_seconds == 5.0
    for key in ("learning_rate", "final_lr_fraction", "centering", "momentum", "lr_schedule",
                "binarize"):
        assert getattr(m, key) == recipe[key], key
    assert main(["rbm", "train", "--preset", "nope", "--data", str(tmp_path / "x.npy"),
                 "--out", str(tmp_path / "n.npz")]) == 2


def test_cli_help_names_every_preset(capsys):
    from boltz.cli import main

    with pytest.raises(SystemExit):
        main(["rbm", "train", "--help"])
    text = capsys.readouterr().out
    for name in preset_names():
        assert name in text
