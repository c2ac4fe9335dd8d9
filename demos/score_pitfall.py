"""
The score pitfall
=================

Langevin dynamics driven by the exact score cannot find mode weights.

Target: 0.2 N((-5,-5), I) + 0.8 N((5,5), I). Chains start uniform on [-8, 8]^2.
Plain Langevin with the exact score leaves each chain in the basin it starts
in (about 0.5 / 0.5); annealed Langevin through the noise-perturbed mixtures
recovers 0.2 / 0.8 (Song & Ermon 2019, Sec. 3.2).

.. code-block:: bash

    python demos/score_pitfall.py --quick       # 2,000 chains, a few seconds
    python demos/score_pitfall.py               # 10,000 chains: 0.515 and 0.790

Writes ``out/score_pitfall/pitfall.png``. Needs torch.
"""

import argparse
from pathlib import Path

import torch

from boltz.deep.toy import score_pitfall


def main():
    p = argparse.ArgumentParser(description="The score pitfall: Langevin vs annealed Langevin.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true", help="2,000 chains, shorter runs")
    p.add_argument("--chains", type=int, default=10000, help="chains per sampler")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--out", default="out/score_pitfall", help="output folder")
    args = p.parse_args()
    torch.set_num_threads(1)
    steps = {"langevin_steps": 300, "steps_per_level": 30} if args.quick else {}
    if args.quick:
        args.chains = 2000
    out = score_pitfall(n_chains=args.chains, seed=args.seed, progress=True, **steps)
    lang, ann = out["langevin_fraction"], out["annealed_fraction"]
    print(f"Langevin (exact score):  light mode {1 - lang:.3f}  heavy mode {lang:.3f}  "
          "(expected about 0.5 / 0.5)")
    print(f"annealed Langevin:       light mode {1 - ann:.3f}  heavy mode {ann:.3f}  "
          "(exact 0.2 / 0.8)")
    import matplotlib

    matplotlib.use("Agg")
    from boltz.plotting.ebm import plot_mode_fractions

    fig = plot_mode_fractions({"Langevin": lang, "annealed Langevin": ann}, target=0.8)
    path = Path(args.out) / "pitfall.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
