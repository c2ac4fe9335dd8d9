"""``boltz dbm train|eval|sample``: deep Boltzmann machines from the command line.

Examples::

    boltz dbm train --data mnist --hidden 500 1000 --epochs 10   # writes out/dbm/dbm.npz
    boltz dbm train --data mnist --preset mnist                  # the benchmark's recipe
    boltz dbm eval out/dbm/dbm.npz --data mnist --betas 20000 --chains 100
    boltz dbm sample out/dbm/dbm.npz --n 100 --steps 1000       # writes out/dbm/samples.png

``--data`` is ``mnist`` (stochastically binarized MNIST, train or test split)
or a ``.npy`` file holding a binary ``(n, n_visible)`` array. ``train
--binarize dynamic`` takes MNIST's grey levels (or a ``.npy`` file of
probabilities in [0, 1]) and draws each minibatch afresh from them.
"""

from __future__ import annotations

import argparse

from ..checkpoint import TrainingInterrupted
from ..dbm.presets import get_preset, preset_names
from ._checkpoint import add_checkpoint_options, checkpoint_options, finished, interrupted
from ._common import (
    add_json_option,
    add_output_options,
    input_paths,
    prepare_output,
    report,
    save_array,
    save_figure,
    with_progress,
)

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

DESCRIPTION = "Deep Boltzmann machines: greedy pretraining and joint training, AIS " \
              "evaluation of the variational bound, block-Gibbs sampling."
EPILOG = """examples:
  boltz dbm train --data mnist --hidden 500 1000 --epochs 10   # writes out/dbm/dbm.npz
  boltz dbm eval out/dbm/dbm.npz --betas 20000 --chains 100    # test lower bound
  boltz dbm sample out/dbm/dbm.npz --n 100 --steps 1000       # writes out/dbm/samples.png

--data is 'mnist' (stochastically binarized MNIST, train or test split) or a
.npy file holding a binary (n, n_visible) array. 'train --binarize dynamic'
takes MNIST's grey levels (or a .npy file of probabilities in [0, 1]) and
draws each minibatch afresh from them."""


def register(subparsers):
    """Add the ``dbm`` subcommand."""
    p = subparsers.add_parser("dbm", help="deep Boltzmann machines: train, evaluate, sample",
                              description=DESCRIPTION, epilog=EPILOG)
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True

    t = sub.add_parser("train", help="pretrain greedily and train jointly",
                       description="Pretrain a stack of RBMs greedily, train the DBM jointly "
                                   "and save it (.npz + JSON).", epilog=EPILOG)
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
    t.add_argument("--seed", type=int, default=0, help="random seed")
    t.add_argument("--quiet", action="store_true", help="no progress bars")
    add_output_options(t, "dbm", "dbm.npz", "model file (.npz)")
    add_checkpoint_options(t)

    e = sub.add_parser("eval", help="AIS log Z and the variational bound on test data",
                       description="Estimate log Z by AIS and report the mean variational "
                                   "lower bound on log p(v) of the test data.")
    e.add_argument("model", help="model file written by 'boltz dbm train'")
    _data_args(e, default_split="test")
    e.add_argument("--train-data", default=None,
                   help="data for the AIS base-rate model (default: MNIST train when --data "
                        "mnist)")
    e.add_argument("--chains", type=int, default=100, help="AIS runs")
    e.add_argument("--betas", type=int, default=20000, help="intermediate distributions")
    e.add_argument("--device", default=None,
                   help="torch device for AIS, e.g. cuda (default: the CPU)")
    e.add_argument("--seed", type=int, default=0, help="random seed")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    add_json_option(e)

    s = sub.add_parser("sample", help="draw samples by alternating block Gibbs",
                       description="Draw samples from a saved DBM by alternating odd/even "
                                   "block Gibbs sweeps.")
    s.add_argument("model", help="model file written by 'boltz dbm train'")
    s.add_argument("--n", type=int, default=100, help="number of chains")
    s.add_argument("--steps", type=int, default=1000, help="Gibbs sweeps")
    s.add_argument("--seed", type=int, default=0, help="random seed")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    add_output_options(s, "dbm", "samples.png",
                       ".png image grid or .npy array of visible probabilities")
    p.set_defaults(func=run)


def _data_args(p, default_split="train"):
    p.add_argument("--data", default="mnist", help="'mnist' or a .npy file of binary rows")
    p.add_argument("--split", default=default_split, choices=["train", "test"],
                   help="MNIST split")
    p.add_argument("--max-samples", type=int, default=None,
                   help="use only the first N rows (default: all)")


def _check_schedule(params):
    """Fail before any data is loaded or any epoch is run (and before the output check)."""
    if params.get("lr_schedule") == "linear_time" and params.get("max_seconds") is None:
        raise ValueError("--schedule linear_time decays over a wall-time budget: give "
                         "--max-seconds (max_seconds)")


def _load_data(spec, split, max_samples, grey=False, option="--data"):

    from ._common import check_data_matrix, load_npy

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
        x = check_data_matrix(load_npy(path, option), option, spec)
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
        _check_schedule(params)
        out = prepare_output(args.out, args.overwrite, (".npz",), inputs=input_paths(args))
        dynamic = params["binarize"] == "dynamic"
        x = _load_data(args.data, args.split, args.max_samples, grey=dynamic)
        dbm = DeepBoltzmannMachine(**params, seed=args.seed, device=args.device,
                                   verbose=not args.quiet)
        try:
            dbm.fit(x, **checkpoint_options(args, out))
        except TrainingInterrupted as exc:
            return interrupted(args, exc)
        path = dbm.save(out)
        finished(args)
        last = dbm.history_[-1] if dbm.history_ else {}
        sizes = "-".join(str(s) for s in dbm.layer_sizes_)
        lines = [f"trained a {sizes} DBM on {x.shape[0]} samples: {args.pretrain_epochs} "
                 f"pretraining epochs per RBM, {len(dbm.history_)} joint epochs"]
        if last.get("train_bound_unnormalized") is not None:
            lines.append(f"  last epoch's unnormalized bound {last['train_bound_unnormalized']:.4g}"
                         " (E_q[-E] + H(q), without log Z; 'boltz dbm eval' subtracts an AIS "
                         "estimate of log Z)")
        lines.append(f"  model written to {path}")
        report(args, lines, {"model": str(path), "layer_sizes": list(dbm.layer_sizes_),
                             "epochs": len(dbm.history_),
                             "train_bound_unnormalized": last.get("train_bound_unnormalized")})
        return 0
    dbm = DeepBoltzmannMachine.load(args.model)
    if args.action == "eval":
        from ..dbm.evaluation import evaluate_lower_bound
        from ._common import check_data_matrix

        x = check_data_matrix(_load_data(args.data, args.split, args.max_samples), "--data",
                              args.data, dbm.n_visible_)
        if args.train_data is not None:
            base = _load_data(args.train_data, "train", None, option="--train-data")
        elif args.data == "mnist":
            base = _load_data("mnist", "train", None)
        else:
            base = None
        result = evaluate_lower_bound(dbm, x, X_train=base, n_chains=args.chains,
                                      n_betas=args.betas, seed=args.seed,
                                      progress=not args.quiet, device=args.device)
        lines = [f"{args.model}: variational lower bound on the mean log p(v) of {x.shape[0]} "
                 f"samples: {result['lower_bound']:.3f} nats "
                 f"(+- {result['lower_bound_std']:.3f} over the samples)",
                 f"  conservative {result['lower_bound_conservative']:.3f} nats "
                 "(log Z + 3 standard errors)",
                 f"  log Z = {result['log_z']:.3f} +- {result['log_z_std']:.3f} by AIS "
                 f"({args.chains} runs x {result['n_betas']} distributions)"]
        if not result.get("ais_consistent", True):
            lines.append("  WARNING: AIS log Z is below a certified lower bound: the AIS run "
                         "missed mass, so the bound above is too optimistic")
        report(args, lines, result)
        return 0
    # sample

    out = prepare_output(args.out, args.overwrite, (".png", ".npy"), inputs=input_paths(args))
    probs = with_progress(dbm.gibbs_sample, not args.quiet, n=args.n, n_steps=args.steps,
                          seed=args.seed)
    if out.suffix == ".npy":
        save_array(out, probs)
    else:
        import matplotlib

        matplotlib.use("Agg")
        from ..plotting.dbm import plot_samples

        n_vis = probs.shape[1]
        side = int(round(n_vis ** 0.5))
        shape = (side, side) if side * side == n_vis else (1, n_vis)
        fig = plot_samples(probs, shape=shape)
        fig.suptitle(f"{args.n} samples of {args.model} after {args.steps} Gibbs sweeps "
                     "(visible probabilities)")
        save_figure(fig, out)
    lines = [f"drew {args.n} samples by {args.steps} block-Gibbs sweeps from {args.model}; "
             f"wrote {out}"]
    report(args, lines, {"samples": str(out), "n": int(probs.shape[0])})
    return 0
