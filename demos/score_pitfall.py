"""The score pitfall: Langevin driven by the exact score cannot find mode weights.

Target: 0.2 N((-5,-5), I) + 0.8 N((5,5), I). Chains start uniform on [-8, 8]^2.
Plain Langevin with the exact score leaves each chain in the basin it starts
in (about 0.5 / 0.5); annealed Langevin through the noise-perturbed mixtures
recovers 0.2 / 0.8 (Song & Ermon 2019, Sec. 3.2).

    python demos/score_pitfall.py [--chains 10000] [--plot pitfall.png]
"""

import argparse

import torch

from boltz.deep.toy import score_pitfall


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chains", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", default=None, help="save a bar chart here")
    args = p.parse_args()
    torch.set_num_threads(1)
    out = score_pitfall(n_chains=args.chains, seed=args.seed)
    lang, ann = out["langevin_fraction"], out["annealed_fraction"]
    print(f"Langevin (exact score):  light mode {1 - lang:.3f}  heavy mode {lang:.3f}  "
          "(expected about 0.5 / 0.5)")
    print(f"annealed Langevin:       light mode {1 - ann:.3f}  heavy mode {ann:.3f}  "
          "(exact 0.2 / 0.8)")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from boltz.plotting.ebm import plot_mode_fractions

        fig = plot_mode_fractions({"Langevin": lang, "annealed": ann}, target=0.8)
        fig.savefig(args.plot, dpi=100, bbox_inches="tight")
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
