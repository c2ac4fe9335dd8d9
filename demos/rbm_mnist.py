"""
Restricted Boltzmann machine on MNIST
=====================================

Train an RBM on binarized MNIST, look at its filters and samples, and score it
with AIS. Writes ``rbm_filters.png``, ``rbm_samples.png``, ``rbm_curves.png``
and ``rbm_mnist.npz`` into ``out/rbm_mnist/`` (or ``--out``) and prints the AIS
test log-likelihood with its conservative (reverse AIS) counterpart.

.. code-block:: bash

    python demos/rbm_mnist.py --quick          # 100 hidden units, 2 epochs on 10,000 digits
    python demos/rbm_mnist.py                  # 100 hidden units, 5 epochs, a couple of minutes
    python demos/rbm_mnist.py --hidden 500 --epochs 50 --betas 14500

``benchmarks/rbm_mnist.py`` runs the 20-minute recipe (−85.10 nats). Needs
MNIST (``BOLTZ_DATA``); not executed while the documentation is built.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from boltz.datasets import load_mnist  # noqa: E402
from boltz.plotting.rbm import plot_filters, plot_samples, plot_training_curves  # noqa: E402
from boltz.rbm import BernoulliRBM, evaluate_log_likelihood  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description="Train an RBM on MNIST, plot it, score it by AIS.",
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="2 epochs on 10,000 digits, 500 AIS temperatures")
    ap.add_argument("--hidden", type=int, default=100, help="hidden units")
    ap.add_argument("--epochs", type=int, default=5, help="training epochs")
    ap.add_argument("--train-size", type=int, default=60000, help="training digits")
    ap.add_argument("--lr", type=float, default=0.05, help="initial learning rate")
    ap.add_argument("--runs", type=int, default=100, help="AIS runs")
    ap.add_argument("--betas", type=int, default=2000, help="AIS temperatures")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads")
    ap.add_argument("--out", default="out/rbm_mnist", help="output folder")
    ap.add_argument("--device", default=None, help="torch device, e.g. cuda (default: CPU)")
    args = ap.parse_args(argv)
    if args.quick:
        args.epochs, args.train_size, args.betas = 2, 10000, 500
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    print("loading MNIST (train and test digits) ...", flush=True)
    X, _ = load_mnist("train", binarize="stochastic", seed=0)
    X = X[:args.train_size]
    X_test, _ = load_mnist("test", binarize="stochastic", seed=0)
    rbm = BernoulliRBM(args.hidden, method="pcd", centering=True, learning_rate=args.lr,
                       momentum=lambda e: 0.5 if e < 2 else 0.9, lr_schedule="linear",
                       n_epochs=args.epochs, n_threads=args.threads, device=args.device,
                       verbose=True, seed=0)
    t0 = time.perf_counter()
    rbm.fit(X, X_val=X_test[:1000])
    train_s = time.perf_counter() - t0
    rbm.save(out / "rbm_mnist.npz")
    plot_filters(rbm, shape=(28, 28), n=100).savefig(out / "rbm_filters.png", dpi=90)
    print("drawing 100 samples (1000 Gibbs sweeps from test digits) ...", flush=True)
    samples = rbm.sample(100, seed=1, n_steps=1000, init=X_test[:100], progress=True)
    plot_samples(samples, shape=(28, 28),
                 title="1000 Gibbs sweeps from test digits").savefig(out / "rbm_samples.png",
                                                                     dpi=90)
    plot_training_curves(rbm).savefig(out / "rbm_curves.png", dpi=90)
    res = evaluate_log_likelihood(rbm, X_test, X, n_runs=args.runs, n_betas=args.betas,
                                  n_gibbs=1000, seed=0, progress=True)
    print(f"test log-likelihood {res['test_loglik_ais']:.2f} nats by forward AIS (leans "
          f"optimistic), {res['test_loglik_conservative']:.2f} conservative; figures in {out}/")
    print(json.dumps({
        "hidden": args.hidden, "epochs": rbm.n_iter_, "train_seconds": round(train_s, 1),
        "test_loglik_ais": round(res["test_loglik_ais"], 2),
        "test_loglik_conservative": round(res["test_loglik_conservative"], 2),
        "ais_seconds": round(res["ais_seconds"], 1), "betas": res["n_betas"],
        "figures": str(out),
    }))


if __name__ == "__main__":
    main()
