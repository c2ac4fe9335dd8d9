"""Demo: a deep Boltzmann machine and a deep belief net on binarized MNIST.

Trains a small DBM (greedy pretraining with weight doubling, then centred joint
training with mean field + persistent chains on fresh Bernoulli draws of the
grey levels, i.e. dynamic binarization), estimates ``log Z`` by AIS and
reports the variational lower bound on test digits; trains a DBN of the same
shape; saves sample and filter figures.

    python demos/dbm_mnist.py                 # a few minutes on 2 cores
    python demos/dbm_mnist.py --hidden 500 1000 --epochs 20 --pretrain-epochs 20 \\
        --train-size 60000 --betas 20000      # the published sizes (an hour or so)

``benchmarks/dbm_mnist.py`` runs the full 2-hour recipe.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("BOLTZ_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))

from boltz.datasets import load_mnist  # noqa: E402
from boltz.dbm import DeepBeliefNet, DeepBoltzmannMachine, evaluate_lower_bound  # noqa: E402
from boltz.plotting.dbm import plot_layer_filters, plot_samples  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--hidden", type=int, nargs="+", default=[200, 400])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--pretrain-epochs", type=int, default=3)
    p.add_argument("--train-size", type=int, default=20000)
    p.add_argument("--test-size", type=int, default=2000)
    p.add_argument("--betas", type=int, default=3000)
    p.add_argument("--out", default="dbm_demo")
    p.add_argument("--device", default=None, help="torch device, e.g. cuda (default: CPU)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

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
          f"(conservative {ev['lower_bound_conservative']:.2f})")
    plot_samples(dbm.gibbs_sample(100, n_steps=1000, seed=args.seed)).savefig(
        out / "dbm_samples.png")
    plot_layer_filters(dbm).savefig(out / "dbm_filters.png")

    dbn = DeepBeliefNet(tuple(args.hidden), n_epochs=args.pretrain_epochs, seed=args.seed,
                        verbose=True).fit(x_train)
    dbn.save(out / "dbn.npz")
    plot_samples(dbn.sample(100, n_steps=1000, seed=args.seed), title="DBN samples").savefig(
        out / "dbn_samples.png")
    plot_layer_filters(dbn).savefig(out / "dbn_filters.png")
    print(f"figures and models written to {out}/")


if __name__ == "__main__":
    main()
