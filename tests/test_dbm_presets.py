"""One recipe per model: the estimator, the CLI and the benchmark take their defaults from
:mod:`boltz.dbm.presets`, so they cannot drift apart (issue #17)."""

import argparse
import importlib.util
import inspect
from pathlib import Path

import numpy as np
import pytest

from boltz.cli.dbm import register, train_params
from boltz.dbm import DeepBoltzmannMachine
from boltz.dbm.presets import PRESETS, get_preset, preset_names

ROOT = Path(__file__).resolve().parents[1]


def cli_train_args(argv):
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["dbm", "train", "--out", "x.npz", *argv])


def test_estimator_defaults_are_the_default_preset():
    sig = inspect.signature(DeepBoltzmannMachine.__init__).parameters
    for key, value in PRESETS["default"].items():
        assert sig[key].default == value, key
    assert DeepBoltzmannMachine().get_params() | PRESETS["default"] == \
        DeepBoltzmannMachine().get_params()


def test_from_preset_and_overrides():
    dbm = DeepBoltzmannMachine.from_preset("mnist", n_hidden=(8, 4), seed=3)
    params = dbm.get_params()
    for key, value in get_preset("mnist").items():
        if key != "n_hidden":
            assert params[key] == value, key
    assert params["n_hidden"] == (8, 4) and params["seed"] == 3
    assert dbm.mean_field_iters == 5 and dbm.centering and dbm.binarize == "dynamic"
    with pytest.raises(ValueError, match="preset must be one of"):
        DeepBoltzmannMachine.from_preset("fast")
    get_preset("mnist")["centering"] = False  # a copy: the preset itself is unchanged
    assert PRESETS["mnist"]["centering"] is True


@pytest.mark.parametrize("name", preset_names())
def test_cli_train_takes_the_preset(name):
    params = train_params(cli_train_args(["--preset", name]))
    assert params == get_preset(name)
    # an option overrides the preset's value, the rest stays
    params = train_params(cli_train_args(["--preset", name, "--mean-field-iters", "2",
                                          "--no-centering", "--binarize", "fixed"]))
    assert params == {**get_preset(name), "mean_field_iters": 2, "centering": False,
                      "binarize": None}


def test_cli_default_run_is_the_estimator_default():
    assert train_params(cli_train_args([])) == get_preset("default")


def test_benchmark_defaults_are_the_mnist_preset():
    spec = importlib.util.spec_from_file_location("dbm_mnist", ROOT / "benchmarks" / "dbm_mnist.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = bench.parse_args([])
    recipe = get_preset("mnist")
    assert tuple(args.hidden) == recipe["n_hidden"]
    pairs = {"pretrain_epochs": "pretrain_epochs", "pretrain_lr": "pretrain_learning_rate",
             "lr": "learning_rate", "lr_decay_steps": "lr_decay_steps",
             "final_lr_fraction": "final_lr_fraction", "mean_field_iters": "mean_field_iters",
             "mean_field_init": "mean_field_init", "chains": "n_chains",
             "gibbs_steps": "gibbs_steps", "batch_size": "batch_size", "centering": "centering"}
    for arg, key in pairs.items():
        assert getattr(args, arg) == recipe[key], arg
    assert args.binarize == args.pretrain_binarize == "dynamic" == recipe["binarize"]
    assert args.lr_schedule == "linear" and recipe["lr_schedule"] == "linear_time"
    # the preset's joint-training budget fits in the benchmark's time budget
    assert recipe["max_seconds"] < args.time_budget


def test_mnist_preset_trains_a_small_model():
    P = np.abs((np.random.default_rng(0).random((60, 6)) < 0.5) - 0.1)
    dbm = DeepBoltzmannMachine.from_preset("mnist", n_hidden=(4, 3), n_epochs=2,
                                           pretrain_epochs=1, max_seconds=60.0,
                                           batch_size=20, seed=0).fit(P)
    assert len(dbm.history_) == 2 and dbm.history_[-1]["learning_rate"] < 0.005
