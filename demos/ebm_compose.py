"""
Products of experts are ANDs
============================

Compose two energies and check that samples satisfy both.

Expert A is an MLP energy trained by NCE on the eight-Gaussians density;
expert B is an analytic "right half-plane" energy
``4 softplus(-4 x_0) + |x|^2 / 18`` (a broad Gaussian cut to the right half).
Their sum ``A + B`` keeps only the Gaussians on the right. MALA samples of
each expert alone and of the product are scored by two tests:
"near one of the eight centres" (expert A's region) and "x_0 > 0" (B's).

.. code-block:: bash

    python demos/ebm_compose.py --quick       # 300 NCE updates, 500 chains
    python demos/ebm_compose.py [--steps 1500] [--plot out/ebm_compose/compose.png]

Needs torch; not executed while the documentation is built.
"""

import argparse
from pathlib import Path

import numpy as np
import torch
from torch.nn.functional import softplus

from boltz.deep.energies import FunctionEnergy
from boltz.deep.recipes import train_toy
from boltz.deep.samplers import MALASampler
from boltz.deep.toy import make_toy


def main():
    p = argparse.ArgumentParser(description="Products of experts are ANDs.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true", help="300 updates, 500 chains")
    p.add_argument("--steps", type=int, default=1500, help="NCE updates of expert A")
    p.add_argument("--chains", type=int, default=2000, help="MALA chains per model")
    p.add_argument("--plot", nargs="?", const="out/ebm_compose/compose.png", default=None,
                   help="write the sample figure (default path when none is given)")
    p.add_argument("--out", default=None, help="output folder (sets --plot inside it)")
    args = p.parse_args()
    if args.quick:
        args.steps, args.chains = 300, 500
    if args.out:
        args.plot = str(Path(args.out) / "compose.png")
    torch.set_num_threads(1)
    print(f"training expert A: an MLP energy, {args.steps} NCE updates on eight Gaussians ...",
          flush=True)
    toy = make_toy("eight_gaussians")
    a, _ = train_toy("eight_gaussians", "nce", n_steps=args.steps, seed=0)
    a.requires_grad_(False)
    b = FunctionEnergy(lambda x: 4.0 * softplus(-4.0 * x[:, 0]) + (x * x).sum(1) / 18.0,
                       event_shape=(2,), dtype=torch.float32)
    both = a + b

    def near_centre(x):
        d = np.linalg.norm(x[:, None, :] - toy.centers[None], axis=-1).min(1)
        return d < 3 * toy.noise

    gen = torch.Generator().manual_seed(0)
    x0 = torch.rand((args.chains, 2), generator=gen) * 9 - 4.5
    results = {}
    for name, model in (("A (8 Gaussians)", a), ("B (right half)", b), ("A + B", both)):
        res = MALASampler(model, step_size=0.05, adapt_steps=200).run(x0, 1000, seed=gen,
                                                                      progress=True)
        x = res.samples.numpy()
        results[name] = x
        print(f"{name:16s} near a centre: {near_centre(x).mean():.3f}   x0 > 0: "
              f"{(x[:, 0] > 0).mean():.3f}   both: {(near_centre(x) & (x[:, 0] > 0)).mean():.3f}"
              f"   (MALA acceptance {res.acceptance_rate:.2f})")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from boltz.plotting.ebm import plot_samples_2d

        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
        for ax, (name, x) in zip(axes, results.items(), strict=True):
            plot_samples_2d(x, toy.bounds, ax, name)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
