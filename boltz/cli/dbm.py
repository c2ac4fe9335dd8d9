"""``boltz dbm train|eval|sample``: deep Boltzmann machines from the command line.

Examples::

    boltz dbm train --data mnist --hidden 500 1000 --epochs 10 --out dbm.npz
    boltz dbm train --data mnist --preset mnist --out dbm.npz   # the benchmark's recipe
    boltz dbm eval dbm.npz --data mnist --betas 20000 --chains 100
    boltz dbm sample dbm.npz --n 100 --steps 1000 --out samples.png

``--data`` is ``mnist`` (stochastically binarized MNIST, train or test split)
or a ``.npy`` file holding a binary ``(n, n_visible)`` array. ``train
--binarize dynamic`` takes MNIST's grey levels (or a ``.npy`` file of
probabilities in [0, 1]) and draws each minibatch afresh from them.
"""

from __future__ import annotations

import argparse
import json

from ..dbm.presets import get_preset, preset_names

__all__ = ["register", "run", "train_params"]

#: command-line option -> estimator parameter (the options that default to the preset)
_OPTIONS = {
    "hidden": "n_hidden", "epochs": "n_epochs", "pretrain_epochs": "pretrain_epochs",
    "lr": "learning_rate", "pretrain_lr": "pretrain_learning_rate",
    "batch_size": "batch_size", "chains": "n_chains", "gibbs_steps": "gibbs_steps",
    "schedule": "lr_schedule", "max_seconds": "max_seconds",
    "mean_field_iters": "mean_field_iters", "mean_field_init": "mean_field_init",
    "weight_decay": "weight_decay", "centering": "centering", "binarize": "binarize",
}


def _d(key):
    value = get_preset("default")[key]
    return " ".join(str(x) for x in value) if isinstance(value, tuple) else value


def train_params(args) -> dict:
    """Estimator parameters of ``boltz dbm train``: the preset's, with the options given.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    dict

    Examples
    --------
    >>> ns = argparse.Namespace(preset="mnist", **{k: None for k in _OPTIONS})
    >>> train_params(ns)["mean_field_iters"], train_params(ns)["binarize"]
    (5, 'dynamic')
    """
    params = get_preset(args.preset)
    for option, key in _OPTIONS.items():
        value = getattr(args, option)
        if value is None:
            continue
        if key == "n_hidden":
            value = tuple(value)
        elif key == "binarize":
            value = "dynamic" if value == "dynamic" else None
        params[key] = value
    return params


def register(subparsers):
    """Add the ``dbm`` subcommand."""
    p = subparsers.add_parser("dbm", help="deep Boltzmann machines: train, evaluate, sample",
                              description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True

    t = sub.add_parser("train", help="pretrain greedily and train jointly")
    _data_args(t)
    t.add_argument("--preset", default="default", choices=preset_names(),
                   help="named recipe (boltz.dbm.presets) whose values the options below "
                        "default to; 'mnist' is the benchmark's tuned recipe "
                        "(default: default)")
    # None: take the preset's value (shown in each help text for the default preset)
    t.add_argument("--hidden", type=int, nargs="+", default=None,
                   help=f"hidden layer sizes, at least two (default: {_d('n_hidden')})")
    t.add_argument("--epochs", type=int, default=None,
                   help=f"joint training epochs (default: {_d('n_epochs')})")
    t.add_argument("--pretrain-epochs", type=int, default=None,
                   help=f"CD epochs per RBM (default: {_d('pretrain_epochs')})")
    t.add_argument("--lr", type=float, default=None,
                   help=f"joint training learning rate (default: {_d('learning_rate')})")
    t.add_argument("--pretrain-lr", type=float, default=None,
                   help=f"pretraining learning rate (default: {_d('pretrain_learning_rate')})")
    t.add_argument("--batch-size", type=int, default=None,
                   help=f"minibatch size (default: {_d('batch_size')})")
    t.add_argument("--chains", type=int, default=None,
                   help=f"persistent chains (default: {_d('n_chains')})")
    t.add_argument("--gibbs-steps", type=int, default=None,
                   help="block-Gibbs sweeps of the persistent chains per minibatch "
                        f"(default: {_d('gibbs_steps')})")
    t.add_argument("--schedule", choices=["inverse", "linear", "linear_time"], default=None,
                   help="learning-rate decay: lr / (1 + t / lr_decay_steps), linear to the "
                        "final fraction over the epochs, or over --max-seconds of wall time "
                        f"(default: {_d('lr_schedule')})")
    t.add_argument("--max-seconds", type=float, default=None,
                   help="stop joint training after the epoch in which this many seconds pass "
                        f"(default: {_d('max_seconds')})")
    t.add_argument("--mean-field-iters", type=int, default=None,
                   help=f"mean-field sweeps per minibatch (default: {_d('mean_field_iters')})")
    t.add_argument("--mean-field-init", choices=["bottom_up", "persistent"], default=None,
                   help="persistent: start each example's mean field from its last visit "
                        "(fewer sweeps needed, e.g. --mean-field-iters 3) "
                        f"(default: {_d('mean_field_init')})")
    t.add_argument("--weight-decay", type=float, default=None,
                   help=f"L2 penalty on the weights (default: {_d('weight_decay')})")
    t.add_argument("--centering", action=argparse.BooleanOptionalAction, default=None,
                   help=f"centred joint training (default: {_d('centering')})")
    t.add_argument("--binarize", choices=["fixed", "dynamic"], default=None,
                   help="dynamic: train on fresh Bernoulli draws of grey levels per minibatch "
                        "(default: fixed)")
    t.add_argument("--device", default=None,
                   help="torch device for training, e.g. cuda (default: NumPy on the CPU)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", required=True, help="model file to write (.npz)")
    t.add_argument("--quiet", action="store_true", help="no progress bars")

    e = sub.add_parser("eval", help="AIS log Z and the variational bound on test data")
    e.add_argument("model", help="model file written by 'boltz dbm train'")
    _data_args(e, default_split="test")
    e.add_argument("--train-data", default=None,
                   help="data for the AIS base-rate model (default: MNIST train when --data "
                        "mnist)")
    e.add_argument("--chains", type=int, default=100, help="AIS runs")
    e.add_argument("--betas", type=int, default=20000, help="intermediate distributions")
    e.add_argument("--device", default=None, help="torch device for AIS, e.g. cuda")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--quiet", action="store_true")

    s = sub.add_parser("sample", help="draw samples by alternating block Gibbs")
    s.add_argument("model")
    s.add_argument("--n", type=int, default=100, help="number of chains")
    s.add_argument("--steps", type=int, default=1000, help="Gibbs sweeps")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True, help=".png (image grid) or .npy (probabilities)")
    p.set_defaults(func=run)


def _data_args(p, default_split="train"):
    p.add_argument("--data", default="mnist", help="'mnist' or a .npy file of binary rows")
    p.add_argument("--split", default=default_split, choices=["train", "test"])
    p.add_argument("--max-samples", type=int, default=None, help="use only the first N rows")


def _load_data(spec, split, max_samples, grey=False):
    import numpy as np

    if spec == "mnist":
        from ..datasets import load_mnist

        x, _ = load_mnist(split, binarize=None if grey else "stochastic", seed=0)
    else:
        from pathlib import Path

        path = Path(spec)
        if path.suffix != ".npy":
            raise ValueError(f"--data must be 'mnist' or a .npy file, got {spec!r}")
        if not path.is_file():
            raise FileNotFoundError(f"no data file at {path}")
        x = np.load(path, allow_pickle=False)
    if max_samples is not None:
        if max_samples < 1:
            raise ValueError(f"--max-samples must be positive, got {max_samples}")
        x = x[:max_samples]
    return x


def run(args) -> int:
    """Dispatch ``boltz dbm ACTION``."""
    from ..dbm import DeepBoltzmannMachine

    if args.action == "train":
        params = train_params(args)
        dynamic = params["binarize"] == "dynamic"
        x = _load_data(args.data, args.split, args.max_samples, grey=dynamic)
        dbm = DeepBoltzmannMachine(**params, seed=args.seed, device=args.device,
                                   verbose=not args.quiet)
        dbm.fit(x)
        path = dbm.save(args.out)
        last = dbm.history_[-1] if dbm.history_ else {}
        print(json.dumps({"model": str(path), "layer_sizes": list(dbm.layer_sizes_),
                          "epochs": len(dbm.history_),
                          "train_bound_unnormalized": last.get("train_bound_unnormalized")}))
        return 0
    dbm = DeepBoltzmannMachine.load(args.model)
    if args.action == "eval":
        from ..dbm.evaluation import evaluate_lower_bound

        x = _load_data(args.data, args.split, args.max_samples)
        if args.train_data is not None:
            base = _load_data(args.train_data, "train", None)
        elif args.data == "mnist":
            base = _load_data("mnist", "train", None)
        else:
            base = None
        result = evaluate_lower_bound(dbm, x, X_train=base, n_chains=args.chains,
                                      n_betas=args.betas, seed=args.seed,
                                      progress=not args.quiet, device=args.device)
        print(json.dumps(result))
        return 0
    # sample
    import numpy as np

    probs = dbm.gibbs_sample(args.n, n_steps=args.steps, seed=args.seed)
    if args.out.endswith(".npy"):
        np.save(args.out, probs)
    elif args.out.endswith(".png"):
        import matplotlib

        matplotlib.use("Agg")
        from ..plotting.dbm import plot_samples

        n_vis = probs.shape[1]
        side = int(round(n_vis ** 0.5))
        shape = (side, side) if side * side == n_vis else (1, n_vis)
        plot_samples(probs, shape=shape).savefig(args.out)
    else:
        raise ValueError(f"--out must end in .png or .npy, got {args.out!r}")
    print(json.dumps({"samples": args.out, "n": int(probs.shape[0])}))
    return 0
