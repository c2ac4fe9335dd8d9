"""``boltz rbm train|eval|sample``: train, evaluate and sample restricted Boltzmann machines.

Examples::

    boltz rbm train --data mnist --hidden 500 --epochs 20      # writes out/rbm/rbm.npz
    boltz rbm train --preset mnist-pcd --max-seconds 600       # the benchmark's recipe
    boltz rbm eval out/rbm/rbm.npz --data mnist --runs 100 --betas 14500
    boltz rbm sample out/rbm/rbm.npz --n 64 --steps 1000      # writes out/rbm/samples.png

``--data`` is ``mnist`` (stochastically binarized, from ``$BOLTZ_DATA``) or a
``.npy`` file holding an ``(n_samples, n_visible)`` array. ``train --binarize
dynamic`` takes MNIST's grey levels (or a ``.npy`` file of probabilities in
[0, 1]) and trains on a fresh Bernoulli draw of each minibatch.
"""

from __future__ import annotations

from ..checkpoint import TrainingInterrupted
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

__all__ = ["register", "run"]

DESCRIPTION = "Train, evaluate and sample restricted Boltzmann machines."
EPILOG = """examples:
  boltz rbm train --data mnist --hidden 500 --epochs 20      # writes out/rbm/rbm.npz
  boltz rbm eval out/rbm/rbm.npz --runs 100 --betas 14500    # AIS test log-likelihood
  boltz rbm sample out/rbm/rbm.npz --n 64                    # writes out/rbm/samples.png

--data is 'mnist' (stochastically binarized MNIST, found through data_dir,
$BOLTZ_DATA or the cache) or a .npy file holding an (n_samples, n_visible)
array. 'train --binarize dynamic' takes MNIST's grey levels (or a .npy file of
probabilities in [0, 1]) and trains on a fresh Bernoulli draw of each minibatch."""


def register(subparsers):
    p = subparsers.add_parser("rbm", help="restricted Boltzmann machines: train, eval, sample",
                              description=DESCRIPTION, epilog=EPILOG)
    sub = p.add_subparsers(dest="rbm_command", metavar="ACTION")

    t = sub.add_parser("train", help="train an RBM and save it",
                       description="Train an RBM and save it (.npz + JSON). Options left out "
                                   "come from --preset when given, else from the estimator's "
                                   "defaults (boltz.rbm.BernoulliRBM), with 500 hidden units.",
                       epilog=EPILOG)
    t.add_argument("--preset", default=None,
                   help="named recipe of boltz.rbm.presets: mnist-pcd (the benchmark's tuned "
                        "settings) or mnist-speed; other options override it (default: none)")
    t.add_argument("--data", default="mnist", help="'mnist' or a .npy file (default mnist)")
    t.add_argument("--subset", type=int, default=None,
                   help="use only the first N samples (default: all)")
    t.add_argument("--hidden", type=int, default=None, help="hidden units (default 500)")
    t.add_argument("--kind", choices=["bernoulli", "gaussian"], default=None,
                   help="visible units (default bernoulli)")
    t.add_argument("--method", choices=["cd", "pcd", "pt"], default=None,
                   help="negative phase (default pcd)")
    t.add_argument("--k", type=int, default=None, help="Gibbs sweeps per update (default 1)")
    t.add_argument("--epochs", type=int, default=None, help="epochs (default 10)")
    t.add_argument("--batch-size", type=int, default=None, help="minibatch size (default 100)")
    t.add_argument("--lr", type=float, default=None,
                   help="learning rate (default 0.05; 0.01 for gaussian)")
    t.add_argument("--momentum", type=float, default=None, help="momentum (default 0.5)")
    t.add_argument("--weight-decay", type=float, default=None,
                   help="L2 weight decay (default 0)")
    t.add_argument("--centering", action="store_true", default=None,
                   help="centred gradient (default off)")
    t.add_argument("--binarize", choices=["fixed", "dynamic"], default=None,
                   help="dynamic: train on fresh Bernoulli draws of grey levels per minibatch "
                        "(default fixed)")
    t.add_argument("--schedule", choices=["constant", "linear", "exponential", "linear_time"],
                   default=None,
                   help="learning rate: constant, decaying linearly or exponentially to "
                        "--final-lr-fraction over the epochs, or linearly over --max-seconds "
                        "of wall time (default constant)")
    t.add_argument("--final-lr-fraction", type=float, default=None,
                   help="last learning rate of a decaying schedule, as a fraction of --lr "
                        "(default 0.01)")
    t.add_argument("--max-seconds", type=float, default=None,
                   help="stop training after the epoch in which this many seconds pass "
                        "(default: no limit)")
    t.add_argument("--threads", type=int, default=None,
                   help="BLAS threads (default: BLAS's own setting)")
    t.add_argument("--device", default=None,
                   help="torch device for training and AIS, e.g. cuda (default: NumPy on the CPU)")
    t.add_argument("--seed", type=int, default=0, help="random seed")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    add_output_options(t, "rbm", "rbm.npz", "model file (.npz)")
    add_checkpoint_options(t)

    e = sub.add_parser("eval", help="log-likelihood of data under a saved RBM (exact or AIS)",
                       description="Mean log-likelihood of data under a saved RBM: exact when "
                                   "a layer is small enough to enumerate, otherwise forward AIS "
                                   "(optimistic side) and reverse AIS (conservative side).")
    e.add_argument("model", help="model file written by 'boltz rbm train'")
    e.add_argument("--data", default="mnist", help="'mnist' or a .npy file of rows")
    e.add_argument("--split", choices=["train", "test"], default="test",
                   help="MNIST split to score")
    e.add_argument("--subset", type=int, default=None,
                   help="score only the first N samples (default: all)")
    e.add_argument("--runs", type=int, default=100, help="AIS runs")
    e.add_argument("--betas", type=int, default=14500, help="AIS intermediate temperatures")
    e.add_argument("--no-reverse", action="store_true", help="skip the conservative reverse AIS")
    e.add_argument("--device", default=None,
                   help="torch device for AIS, e.g. cuda (default: NumPy on the CPU)")
    e.add_argument("--seed", type=int, default=0, help="random seed")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    add_json_option(e)

    s = sub.add_parser("sample", help="draw block-Gibbs samples from a saved RBM",
                       description="Draw samples from a saved RBM by block Gibbs sampling.")
    s.add_argument("model", help="model file written by 'boltz rbm train'")
    s.add_argument("--n", type=int, default=64, help="number of independent chains (samples)")
    s.add_argument("--steps", type=int, default=1000, help="Gibbs steps per chain")
    s.add_argument("--seed", type=int, default=0, help="random seed")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    add_output_options(s, "rbm", "samples.png", ".png picture or .npy array of the samples")
    p.set_defaults(func=run, _rbm_parser=p)


def _check_schedule(settings):
    """Fail before any data is loaded or any epoch is run (and before the output check)."""
    if settings.get("lr_schedule") == "linear_time" and settings.get("max_seconds") is None:
        raise ValueError("--schedule linear_time decays over a wall-time budget: give "
                         "--max-seconds (max_seconds)")


def _load_data(spec, split="train", subset=None, grey=False):

    from ._common import check_data_matrix, load_npy

    if spec == "mnist":
        from ..datasets import load_mnist

        X, _ = load_mnist(split, binarize=None if grey else "stochastic", seed=0)
    else:
        if not str(spec).endswith(".npy"):
            raise ValueError(f"--data must be 'mnist' or a .npy file, got {spec!r}")
        X = check_data_matrix(load_npy(spec, "--data"), "--data", spec)
    if subset is not None:
        if subset < 1:
            raise ValueError(f"--subset must be positive, got {subset}")
        X = X[:subset]
    return X


#: CLI option -> constructor argument, for the options that configure the model
_MODEL_OPTIONS = {
    "hidden": "n_hidden", "method": "method", "k": "k", "epochs": "n_epochs",
    "batch_size": "batch_size", "lr": "learning_rate", "momentum": "momentum",
    "weight_decay": "weight_decay", "centering": "centering", "schedule": "lr_schedule",
    "final_lr_fraction": "final_lr_fraction", "max_seconds": "max_seconds",
}


def model_settings(args) -> dict:
    """Constructor arguments (plus ``kind``) from ``--preset`` and the given options."""
    from ..rbm.presets import preset

    settings = preset(args.preset) if args.preset else {"kind": "bernoulli", "n_hidden": 500}
    if args.kind is not None:
        settings["kind"] = args.kind
    for opt, name in _MODEL_OPTIONS.items():
        value = getattr(args, opt)
        if value is not None:
            settings[name] = value
    if args.binarize is not None:
        settings["binarize"] = "dynamic" if args.binarize == "dynamic" else None
    return settings


def _train(args):
    from ..rbm import BernoulliRBM, GaussianBernoulliRBM

    settings = model_settings(args)
    kind = settings.pop("kind")
    if kind not in ("bernoulli", "gaussian"):
        raise ValueError(f"--preset {args.preset} is for kind {kind!r}; the CLI trains "
                         "bernoulli or gaussian RBMs")
    _check_schedule(settings)
    out = prepare_output(args.out, args.overwrite, (".npz",), inputs=input_paths(args))
    dynamic = settings.get("binarize") == "dynamic"
    X = _load_data(args.data, "train", args.subset, grey=dynamic)
    if kind == "bernoulli":  # the CLI takes binary data or probabilities only (exit 2 else)
        from .._validation import check_unit_interval

        check_unit_interval(X, "X", dtype=X.dtype)
    cls = BernoulliRBM if kind == "bernoulli" else GaussianBernoulliRBM
    model = cls(**settings, n_threads=args.threads, seed=args.seed, device=args.device,
                verbose=not args.quiet)
    try:
        model.fit(X, **checkpoint_options(args, out))
    except TrainingInterrupted as exc:
        return interrupted(args, exc)
    path = model.save(out)
    finished(args)
    last = dict(model.history_[-1]) if model.history_ else {}
    lines = [f"trained a {type(model).__name__} {X.shape[1]}-{model.n_hidden} on {X.shape[0]} "
             f"samples for {model.n_iter_} epochs ({model.method}-{model.k})"]
    if "recon_error" in last:
        lines.append(f"  last epoch: reconstruction error {last['recon_error']:.4g} "
                     "(squared error per sample, lower is better)")
    if "pseudo_loglik" in last:
        lines.append(f"  pseudo-log-likelihood {last['pseudo_loglik']:.4g} nats per sample "
                     "(a cheap proxy; 'boltz rbm eval' gives the AIS log-likelihood)")
    lines.append(f"  model written to {path}")
    report(args, lines, {"model": str(path), "epochs": model.n_iter_, **last})
    return 0


def _eval(args):
    from ..rbm import AUTO_EXACT_UNITS, evaluate_log_likelihood, load_rbm

    for flag in ("runs", "betas"):
        if getattr(args, flag) < 1:
            raise ValueError(f"--{flag} must be positive, got {getattr(args, flag)}")
    from ._common import check_data_matrix

    model = load_rbm(args.model)
    X = check_data_matrix(_load_data(args.data, args.split, args.subset), "--data", args.data,
                          model.n_visible_)
    if model.exact_layer(AUTO_EXACT_UNITS) is not None:
        out = {"test_loglik_exact": model.mean_log_likelihood(X), "log_z": model.log_partition()}
        lines = [f"{args.model}: exact mean log-likelihood {out['test_loglik_exact']:.4f} nats "
                 f"on {X.shape[0]} samples (log Z = {out['log_z']:.4f} by enumeration)"]
    else:
        train = _load_data(args.data, "train") if args.data == "mnist" else X
        import warnings

        from ..checkpoint import PartialResultWarning

        with warnings.catch_warnings():  # a Ctrl-C'd AIS is reported below, in one line
            warnings.simplefilter("ignore", PartialResultWarning)
            out = evaluate_log_likelihood(model, X, train, n_runs=args.runs,
                                          n_betas=args.betas, reverse=not args.no_reverse,
                                          seed=args.seed, progress=not args.quiet,
                                          device=args.device)
        lines = [f"{args.model}: mean log-likelihood of {X.shape[0]} samples, log Z by AIS "
                 f"({args.runs} runs x {out['n_betas']} temperatures)",
                 f"  forward AIS   {out['test_loglik_ais']:.3f} nats (leans optimistic)"]
        if "test_loglik_conservative" in out:
            lines.append(f"  conservative  {out['test_loglik_conservative']:.3f} nats "
                         "(reverse AIS, or forward log Z + 3 sigma, whichever is larger)")
        if "test_loglik_exact" in out:
            lines.append(f"  exact         {out['test_loglik_exact']:.3f} nats")
    report(args, lines, out)
    if "interrupted" in out:
        import sys

        print(f"boltz rbm: interrupted (Ctrl-C): {out['interrupted']}; the estimate printed "
              "uses those runs only (partial)", file=sys.stderr, flush=True)
        return 130
    return 0


def _sample(args):
    import numpy as np

    from ..rbm import load_rbm

    out = prepare_output(args.out, args.overwrite, (".png", ".npy"), inputs=input_paths(args))
    model = load_rbm(args.model)
    samples = with_progress(model.sample, not args.quiet, n=args.n, seed=args.seed,
                            n_steps=args.steps)
    if out.suffix == ".png":
        import matplotlib

        matplotlib.use("Agg")
        from ..plotting.rbm import plot_samples

        side = int(round(np.sqrt(model.n_visible_)))
        shape = (side, side) if side * side == model.n_visible_ else (1, model.n_visible_)
        fig = plot_samples(samples, shape=shape)
        fig.suptitle(f"{args.n} samples of {args.model} after {args.steps} Gibbs steps")
        save_figure(fig, out, dpi=100)
    else:
        save_array(out, samples)
    lines = [f"drew {args.n} samples by {args.steps} block-Gibbs steps from {args.model}; "
             f"wrote {out}"]
    report(args, lines, {"samples": str(out), "n": args.n, "steps": args.steps})
    return 0


def run(args) -> int:
    action = getattr(args, "rbm_command", None)
    if action is None:
        raise ValueError("give an action: train, eval or sample (see 'boltz rbm --help')")
    return {"train": _train, "eval": _eval, "sample": _sample}[action](args)
