"""``boltz dbm train|eval|sample``: deep Boltzmann machines from the command line.

Examples::

    boltz dbm train --data mnist --hidden 500 1000 --epochs 10 --out dbm.npz
    boltz dbm eval dbm.npz --data mnist --betas 20000 --chains 100
    boltz dbm sample dbm.npz --n 100 --steps 1000 --out samples.png

``--data`` is ``mnist`` (stochastically binarized MNIST, train or test split)
or a ``.npy`` file holding a binary ``(n, n_visible)`` array. ``train
--binarize dynamic`` takes MNIST's grey levels (or a ``.npy`` file of
probabilities in [0, 1]) and draws each minibatch afresh from them.
"""

from __future__ import annotations

import json

__all__ = ["register", "run"]


def register(subparsers):
    """Add the ``dbm`` subcommand."""
    p = subparsers.add_parser("dbm", help="deep Boltzmann machines: train, evaluate, sample",
                              description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True

    t = sub.add_parser("train", help="pretrain greedily and train jointly")
    _data_args(t)
    t.add_argument("--hidden", type=int, nargs="+", default=[500, 1000],
                   help="hidden layer sizes (at least two)")
    t.add_argument("--epochs", type=int, default=10, help="joint training epochs")
    t.add_argument("--pretrain-epochs", type=int, default=10, help="CD epochs per RBM")
    t.add_argument("--lr", type=float, default=0.005, help="joint training learning rate")
    t.add_argument("--pretrain-lr", type=float, default=0.05)
    t.add_argument("--batch-size", type=int, default=100)
    t.add_argument("--chains", type=int, default=100, help="persistent chains")
    t.add_argument("--gibbs-steps", type=int, default=1,
                   help="block-Gibbs sweeps of the persistent chains per minibatch")
    t.add_argument("--schedule", choices=["inverse", "linear", "linear_time"],
                   default="inverse",
                   help="learning-rate decay: lr / (1 + t / 20000), linear to 1%% over the "
                        "epochs, or linear to 1%% over --max-seconds of wall time")
    t.add_argument("--max-seconds", type=float, default=None,
                   help="stop joint training after the epoch in which this many seconds pass")
    t.add_argument("--mean-field-iters", type=int, default=10)
    t.add_argument("--mean-field-init", choices=["bottom_up", "persistent"], default="bottom_up",
                   help="persistent: start each example's mean field from its last visit "
                        "(fewer sweeps needed, e.g. --mean-field-iters 3)")
    t.add_argument("--weight-decay", type=float, default=2e-4)
    t.add_argument("--centering", action="store_true")
    t.add_argument("--binarize", choices=["fixed", "dynamic"], default="fixed",
                   help="dynamic: train on fresh Bernoulli draws of grey levels per minibatch")
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
