"""Train an RBM on binarized MNIST, look at its filters and samples, and score it with AIS.

    python demos/rbm_mnist.py                  # 100 hidden units, 5 epochs, a couple of minutes
    python demos/rbm_mnist.py --hidden 500 --epochs 50 --betas 14500

Writes ``rbm_filters.png``, ``rbm_samples.png``, ``rbm_curves.png`` and
``rbm_mnist.npz`` into ``--out`` and prints the AIS test log-likelihood with
its conservative (reverse AIS) counterpart.
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
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--betas", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="rbm_demo")
    ap.add_argument("--device", default=None, help="torch device, e.g. cuda (default: CPU)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    X, _ = load_mnist("train", binarize="stochastic", seed=0)
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
    plot_samples(rbm.sample(100, seed=1, n_steps=1000, init=X_test[:100]), shape=(28, 28),
                 title="1000 Gibbs sweeps from test digits").savefig(out / "rbm_samples.png",
                                                                     dpi=90)
    plot_training_curves(rbm).savefig(out / "rbm_curves.png", dpi=90)
    res = evaluate_log_likelihood(rbm, X_test, X, n_runs=args.runs, n_betas=args.betas,
                                  n_gibbs=1000, seed=0, progress=True)
    print(json.dumps({
        "hidden": args.hidden, "epochs": rbm.n_iter_, "train_seconds": round(train_s, 1),
        "test_loglik_ais": round(res["test_loglik_ais"], 2),
        "test_loglik_conservative": round(res["test_loglik_conservative"], 2),
        "ais_seconds": round(res["ais_seconds"], 1), "betas": res["n_betas"],
        "figures": str(out),
    }))


if __name__ == "__main__":
    main()
