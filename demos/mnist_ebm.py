"""
A convolutional EBM on MNIST
============================

A convolutional energy on MNIST trained by persistent contrastive divergence.

The recipe of Du & Mordatch (2019, "IGEBM"): a replay buffer of persistent
short-run Langevin chains (5% restarted from uniform noise each draw), chains
clamped to the pixel range, an energy-magnitude regulariser. On CPU the
defaults are small (about 3 s per update on one busy core; after a few
hundred updates the chains show blurry stroke-like blobs, not digits); give
``--device cuda --steps 5000 --width 32 --langevin 60`` on a GPU for
recognisable digits.

.. code-block:: bash

    python demos/mnist_ebm.py --quick          # 20 updates: checks the pipeline only
    python demos/mnist_ebm.py [--steps 300] [--out out/mnist_ebm/samples.png]

Needs MNIST and torch; not executed while the documentation is built (300
updates take about 15 minutes on one busy core).
"""

import argparse
import os
import time
from pathlib import Path

import matplotlib
import torch

matplotlib.use("Agg")

from boltz.datasets import load_mnist  # noqa: E402
from boltz.deep.energies import ConvEnergy  # noqa: E402
from boltz.deep.objectives import ContrastiveDivergence  # noqa: E402
from boltz.deep.training import fit, save_checkpoint  # noqa: E402
from boltz.plotting import image_grid  # noqa: E402


def main():
    p = argparse.ArgumentParser(description="A convolutional EBM on MNIST trained by PCD.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true", help="20 updates (a pipeline check)")
    p.add_argument("--steps", type=int, default=300, help="PCD updates")
    p.add_argument("--n-train", type=int, default=10000, help="training digits")
    p.add_argument("--batch-size", type=int, default=64, help="digits per update")
    p.add_argument("--width", type=int, default=16, help="channels of the first convolution")
    p.add_argument("--langevin", type=int, default=20, help="Langevin steps per update")
    p.add_argument("--device", default="auto", help="torch device")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--out", default="out/mnist_ebm/samples.png",
                   help="sample figure to write (a folder: samples.png inside it)")
    p.add_argument("--checkpoint", default=None, help="state dict to write (default: none)")
    args = p.parse_args()
    if args.quick:
        args.steps = 20
    out = Path(args.out)
    if out.suffix != ".png":
        out = out / "samples.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    if os.environ.get("OMP_NUM_THREADS") is None:
        torch.set_num_threads(1)   # small convolutions: more threads thrash on a busy CPU
    x, _ = load_mnist("train", flatten=False)
    x = torch.as_tensor(x[: args.n_train]).unsqueeze(1)          # (n, 1, 28, 28) in [0, 1]
    model = ConvEnergy(channels=1, size=28, width=args.width)
    # IGEBM step: x <- x - 10 grad E + 0.005 z, i.e. eps = 10, noise_scale * sqrt(2 eps) = 0.005
    pcd = ContrastiveDivergence(n_steps=args.langevin, step_size=10.0,
                                noise_scale=0.005 / (2 * 10.0) ** 0.5, reg=1.0, persistent=True,
                                buffer_size=10000, reinit_prob=0.05, init_range=(0.0, 1.0),
                                clamp=(0.0, 1.0))
    t0 = time.perf_counter()
    res = fit(model, pcd, x, n_steps=args.steps, batch_size=args.batch_size, lr=1e-4,
              device=args.device, seed=args.seed, grad_clip=1.0, on_divergence="stop")
    print(f"{res.n_steps} PCD updates in {time.perf_counter() - t0:.0f}s on {model.device}; "
          f"final loss {res.losses[-1]:.4f}" + (f"; {res.message}" if res.diverged else ""))
    # 64 persistent chains from the buffer, advanced by one more short run
    samples = pcd.negatives(model, x[:64].to(model.device)).clamp(0, 1).detach().cpu()
    title = f"PCD samples after {res.n_steps} updates"
    if res.n_steps < 5000:  # the docstring's setting for recognisable digits (on a GPU)
        title += "\n(too short to converge: blurry strokes, not digits)"
    fig = image_grid(samples[:, 0].numpy(), ncols=8, title=title)
    fig.savefig(out, dpi=100, bbox_inches="tight")
    print(f"wrote {out}")
    if args.checkpoint:
        save_checkpoint(args.checkpoint, model.cpu())


if __name__ == "__main__":
    main()
