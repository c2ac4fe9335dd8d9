"""
Deep Boltzmann machine and deep belief net on MNIST
===================================================

Trains a small DBM (greedy pretraining with weight doubling, then centred joint
training with mean field + persistent chains on fresh Bernoulli draws of the
grey levels, i.e. dynamic binarization), estimates ``log Z`` by AIS and
reports the variational lower bound on test digits; trains a DBN of the same
shape; writes sample and filter figures and the models into ``out/dbm_mnist/``.

A model trained this briefly does not generate digits: its samples are
near-identical grey blobs. The sample figures then say "too short to
converge" instead of showing the blobs (see
:func:`boltz.plotting.dbm.plot_samples_if_converged`).

.. code-block:: bash

    python demos/dbm_mnist.py --quick     # 100-200 units, 5,000 digits, 1+1 epochs
    python demos/dbm_mnist.py             # 200-400 units, 20,000 digits, 3+3 epochs
    python demos/dbm_mnist.py --hidden 500 1000 --epochs 20 --pretrain-epochs 20 \\
        --train-size 60000 --betas 20000  # the published sizes (an hour or so)

``benchmarks/dbm_mnist.py`` runs the full 2-hour recipe (test lower bound
-83.90 nats). Needs MNIST (``BOLTZ_DATA``); not executed while the
documentation is built.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from boltz.datasets import load_mnist  # noqa: E402
from boltz.dbm import DeepBeliefNet, DeepBoltzmannMachine, evaluate_lower_bound  # noqa: E402
from boltz.plotting.dbm import plot_layer_filters, plot_samples_if_converged  # noqa: E402

HINT = ("digits need about 20 pretraining and 20 joint epochs on all 60,000 digits:\n"
        "python demos/dbm_mnist.py --hidden 500 1000 --epochs 20 --pretrain-epochs 20 "
        "--train-size 60000")


def main(argv=None):
    p = argparse.ArgumentParser(description="Train a small DBM and DBN on MNIST; figures and "
                                "the AIS lower bound.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="100-200 units, 5,000 digits, one epoch of each phase")
    p.add_argument("--hidden", type=int, nargs="+", default=[200, 400], help="hidden layer sizes")
    p.add_argument("--epochs", type=int, default=3, help="joint training epochs")
    p.add_argument("--pretrain-epochs", type=int, default=3, help="CD epochs per pretrained RBM")
    p.add_argument("--train-size", type=int, default=20000, help="training digits")
    p.add_argument("--test-size", type=int, default=2000, help="test digits scored")
    p.add_argument("--betas", type=int, default=3000, help="AIS intermediate distributions")
    p.add_argument("--out", default="out/dbm_mnist", help="output folder")
    p.add_argument("--device", default=None, help="torch device, e.g. cuda (default: CPU)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    args = p.parse_args(argv)
    if args.quick:
        args.hidden, args.epochs, args.pretrain_epochs = [100, 200], 1, 1
        args.train_size, args.test_size, args.betas = 5000, 500, 500
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    print("loading MNIST (train, test and grey train digits) ...", flush=True)
    x_train, _ = load_mnist("train", binarize="stochastic", seed=0)
    x_test, _ = load_mnist("test", binarize="stochastic", seed=1)
    grey, _ = load_mnist("train")
    x_train, x_test = x_train[:args.train_size], x_test[:args.test_size]

    dbm = DeepBoltzmannMachine(tuple(args.hidden), n_epochs=args.epochs,
                               pretrain_epochs=args.pretrain_epochs, binarize="dynamic",
                               centering=True, mean_field_iters=5, lr_schedule="linear",
                               seed=args.seed, device=args.device,
                               verbose=True).fit(grey[:args.train_size])
    dbm.save(out / "dbm.npz")
    ev = evaluate_lower_bound(dbm, x_test, X_train=x_train, n_betas=args.betas,
                              seed=args.seed, progress=True)
    print(f"DBM {dbm.layer_sizes_}: log Z = {ev['log_z']:.2f} +- {ev['log_z_std']:.2f} "
          f"(AIS, {ev['n_betas']} temperatures); test lower bound {ev['lower_bound']:.2f} nats "
          f"(conservative {ev['lower_bound_conservative']:.2f}; the 2-hour benchmark "
          "reaches -83.90)", flush=True)
    samples = dbm.gibbs_sample(100, n_steps=1000, seed=args.seed, progress=True)
    fig, ok = plot_samples_if_converged(samples, x_test, title="DBM samples (1000 Gibbs sweeps)",
                                        hint=HINT)
    fig.savefig(out / "dbm_samples.png")
    print(f"DBM samples {'drawn' if ok else 'near-identical: labelled too short to converge'}")
    plot_layer_filters(dbm).savefig(out / "dbm_filters.png")

    dbn = DeepBeliefNet(tuple(args.hidden), n_epochs=args.pretrain_epochs, seed=args.seed,
                        verbose=True).fit(x_train)
    dbn.save(out / "dbn.npz")
    print("drawing 100 DBN samples (1000 Gibbs steps in the top RBM) ...", flush=True)
    dbn_samples = dbn.sample(100, n_steps=1000, seed=args.seed, progress=True)
    fig, ok = plot_samples_if_converged(dbn_samples, x_test,
                                        title="DBN samples (1000 Gibbs steps at the top)",
                                        hint=HINT)
    fig.savefig(out / "dbn_samples.png")
    print(f"DBN samples {'drawn' if ok else 'near-identical: labelled too short to converge'}")
    plot_layer_filters(dbn).savefig(out / "dbn_filters.png")
    print(f"figures and models written to {out}/ ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
