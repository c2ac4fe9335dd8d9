"""
Learned 2D densities
====================

Train an MLP energy on each toy density; for each it prints the grid
KL(data || model) in nats and writes a figure (data density, learned density,
Langevin samples from the model) into ``out/ebm_2d/``.

.. code-block:: bash

    python demos/ebm_2d.py --quick            # two densities, 300 updates each
    python demos/ebm_2d.py [--objective nce] [--steps 3000]

The full run (six densities, 3000 updates each) takes several minutes per
density on a busy CPU; the README's grid-KL table comes from
``benchmarks/ebm.py``. Needs torch; not executed while the documentation is built.
"""

import argparse
from pathlib import Path

import matplotlib
import numpy as np
import torch
from tqdm.auto import tqdm

matplotlib.use("Agg")

from boltz.deep.metrics import grid_kl, grid_log_prob, grid_points  # noqa: E402
from boltz.deep.recipes import train_toy  # noqa: E402
from boltz.deep.samplers import LangevinSampler  # noqa: E402
from boltz.deep.toy import TOY_DENSITIES, make_toy  # noqa: E402
from boltz.plotting.ebm import plot_toy_fit  # noqa: E402


def grid_log_density(toy, pts):
    """The toy's exact log-density at the grid points, in chunks under a progress bar
    (the curve densities sum 3000 kernels per point: seconds on a 200x200 grid)."""
    chunks = np.array_split(pts, 20)
    return np.concatenate([toy.log_density(c) for c in tqdm(
        chunks, desc=f"{toy.name}: data density on the grid", leave=False)])


def main():
    p = argparse.ArgumentParser(description="Train an MLP energy on each 2D toy density.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="two densities, 300 updates each")
    p.add_argument("--objective", default="nce", choices=["cd", "pcd", "sm", "dsm", "ssm", "nce"],
                   help="training objective")
    p.add_argument("--steps", type=int, default=3000, help="updates per density")
    p.add_argument("--densities", nargs="*", default=list(TOY_DENSITIES), help="toy densities")
    p.add_argument("--out", default="out/ebm_2d", help="output folder for the figures")
    args = p.parse_args()
    if args.quick:
        args.steps, args.densities = 300, ["two_moons", "eight_gaussians"]
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n = 200
    for name in args.densities:
        print(f"{name}: training an MLP energy by {args.objective}, {args.steps} updates ...",
              flush=True)
        toy = make_toy(name)
        model, res = train_toy(name, args.objective, n_steps=args.steps, seed=0)
        if res.diverged:
            print(f"{name:16s} {res.message}")
            continue
        pts, _ = grid_points(toy.bounds, n)
        data_lp = grid_log_density(toy, pts)
        kl = grid_kl(lambda _, lp=data_lp: lp, model, toy.bounds, n)  # the same grid points
        gen = torch.Generator().manual_seed(0)
        x0 = torch.rand((2000, 2), generator=gen) * 9 - 4.5
        xs = LangevinSampler(model, step_size=0.005).sample(x0, 500, seed=gen, progress=True)
        fig = plot_toy_fit(data_lp.reshape(n, n), grid_log_prob(model, toy.bounds, n),
                           xs.numpy(), toy.bounds,
                           title=f"{name} / {args.objective}: KL {kl:.3f} nats")
        path = out / f"{name}_{args.objective}.png"
        fig.savefig(path, dpi=100)
        print(f"{name:16s} grid KL {kl:.4f} nats  -> {path}")


if __name__ == "__main__":
    main()
