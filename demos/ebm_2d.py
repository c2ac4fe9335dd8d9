"""Learned 2D densities and samples: train an MLP energy on each toy density.

    python demos/ebm_2d.py [--objective nce] [--steps 3000] [--out ebm_2d]

For each density it prints the grid KL(data || model) in nats and writes a
figure (data density, learned density, Langevin samples from the model).
"""

import argparse
from pathlib import Path

import matplotlib
import torch

matplotlib.use("Agg")

from boltz.deep.metrics import grid_kl, grid_log_prob, grid_points  # noqa: E402
from boltz.deep.recipes import train_toy  # noqa: E402
from boltz.deep.samplers import LangevinSampler  # noqa: E402
from boltz.deep.toy import TOY_DENSITIES, make_toy  # noqa: E402
from boltz.plotting.ebm import plot_toy_fit  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--objective", default="nce", choices=["cd", "pcd", "sm", "dsm", "ssm", "nce"])
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--densities", nargs="*", default=list(TOY_DENSITIES))
    p.add_argument("--out", default="ebm_2d", help="output folder for the figures")
    args = p.parse_args()
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n = 200
    for name in args.densities:
        toy = make_toy(name)
        model, res = train_toy(name, args.objective, n_steps=args.steps, seed=0)
        if res.diverged:
            print(f"{name:16s} {res.message}")
            continue
        kl = grid_kl(toy.log_density, model, toy.bounds, n)
        pts, _ = grid_points(toy.bounds, n)
        gen = torch.Generator().manual_seed(0)
        x0 = torch.rand((2000, 2), generator=gen) * 9 - 4.5
        xs = LangevinSampler(model, step_size=0.005).sample(x0, 500, seed=gen)
        fig = plot_toy_fit(toy.log_density(pts).reshape(n, n), grid_log_prob(model, toy.bounds, n),
                           xs.numpy(), toy.bounds,
                           title=f"{name} / {args.objective}: KL {kl:.3f} nats")
        path = out / f"{name}_{args.objective}.png"
        fig.savefig(path, dpi=100)
        print(f"{name:16s} grid KL {kl:.4f} nats  -> {path}")


if __name__ == "__main__":
    main()
