"""``boltz dbm train|eval|sample``: deep Boltzmann machines from the command line.

Examples::

    boltz dbm train --data mnist --hidden 500 1000 --epochs 10   # writes out/dbm/dbm.npz
    boltz dbm eval out/dbm/dbm.npz --data mnist --betas 20000 --chains 100
    boltz dbm sample out/dbm/dbm.npz --n 100 --steps 1000       # writes out/dbm/samples.png

``--data`` is ``mnist`` (stochastically binarized MNIST, train or test split)
or a ``.npy`` file holding a binary ``(n, n_visible)`` array. ``train
--binarize dynamic`` takes MNIST's grey levels (or a ``.npy`` file of
probabilities in [0, 1]) and draws each minibatch afresh from them.
"""

from __future__ import annotations

from ._common import (
    add_json_option,
    add_output_options,
    close_figure,
    prepare_output,
    report,
    with_progress,
)

__all__ = ["register", "run"]

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
    t.add_argument("--hidden", type=int, nargs="+", default=[500, 1000],
                   help="hidden layer sizes (at least two)")
    t.add_argument("--epochs", type=int, default=10, help="joint training epochs")
    t.add_argument("--pretrain-epochs", type=int, default=10, help="CD epochs per RBM")
    t.add_argument("--lr", type=float, default=0.005, help="joint training learning rate")
    t.add_argument("--pretrain-lr", type=float, default=0.05,
                   help="learning rate of the pretraining RBMs")
    t.add_argument("--batch-size", type=int, default=100, help="samples per minibatch")
    t.add_argument("--chains", type=int, default=100, help="persistent chains")
    t.add_argument("--gibbs-steps", type=int, default=1,
                   help="block-Gibbs sweeps of the persistent chains per minibatch")
    t.add_argument("--schedule", choices=["inverse", "linear", "linear_time"],
                   default="inverse",
                   help="learning-rate decay: lr / (1 + t / 20000), linear to 1%% over the "
                        "epochs, or linear to 1%% over --max-seconds of wall time")
    t.add_argument("--max-seconds", type=float, default=None,
                   help="stop joint training after the epoch in which this many seconds pass "
                        "(default: no limit)")
    t.add_argument("--mean-field-iters", type=int, default=10,
                   help="mean-field sweeps per minibatch for the data statistics")
    t.add_argument("--mean-field-init", choices=["bottom_up", "persistent"], default="bottom_up",
                   help="persistent: start each example's mean field from its last visit "
                        "(fewer sweeps needed, e.g. --mean-field-iters 3)")
    t.add_argument("--weight-decay", type=float, default=2e-4, help="L2 penalty on the weights")
    t.add_argument("--centering", action="store_true", help="centred updates (Melchior et al.)")
    t.add_argument("--binarize", choices=["fixed", "dynamic"], default="fixed",
                   help="dynamic: train on fresh Bernoulli draws of grey levels per minibatch")
    t.add_argument("--device", default=None,
                   help="torch device for training, e.g. cuda (default: NumPy on the CPU)")
    t.add_argument("--seed", type=int, default=0, help="random seed")
    t.add_argument("--quiet", action="store_true", help="no progress bars")
    add_output_options(t, "dbm", "dbm.npz", "model file (.npz)")

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


def _check_schedule(args):
    """Fail before any data is loaded or any epoch is run (and before the output check)."""
    if args.schedule == "linear_time" and args.max_seconds is None:
        raise ValueError("--schedule linear_time decays over a wall-time budget: give "
                         "--max-seconds (max_seconds)")


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
        _check_schedule(args)
        out = prepare_output(args.out, args.overwrite, (".npz",))
        dynamic = args.binarize == "dynamic"
        x = _load_data(args.data, args.split, args.max_samples, grey=dynamic)
        dbm = DeepBoltzmannMachine(
            tuple(args.hidden), learning_rate=args.lr, n_epochs=args.epochs,
            batch_size=args.batch_size, n_chains=args.chains, gibbs_steps=args.gibbs_steps,
            lr_schedule=args.schedule, max_seconds=args.max_seconds,
            mean_field_iters=args.mean_field_iters, mean_field_init=args.mean_field_init,
            weight_decay=args.weight_decay, centering=args.centering,
            binarize="dynamic" if dynamic else None,
            pretrain_epochs=args.pretrain_epochs,
            pretrain_learning_rate=args.pretrain_lr, seed=args.seed, device=args.device,
            verbose=not args.quiet)
        dbm.fit(x)
        path = dbm.save(out)
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
    import numpy as np

    out = prepare_output(args.out, args.overwrite, (".png", ".npy"))
    probs = with_progress(dbm.gibbs_sample, not args.quiet, n=args.n, n_steps=args.steps,
                          seed=args.seed)
    if out.suffix == ".npy":
        np.save(out, probs)
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
        fig.savefig(out)
        close_figure(fig)
    lines = [f"drew {args.n} samples by {args.steps} block-Gibbs sweeps from {args.model}; "
             f"wrote {out}"]
    report(args, lines, {"samples": str(out), "n": int(probs.shape[0])})
    return 0
