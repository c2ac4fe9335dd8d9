"""``boltz ebm``: train a torch energy on a 2D toy density, or run the score pitfall.

    boltz ebm train --density two_moons --objective nce --steps 2000 --out moons.png
    boltz ebm pitfall

torch is imported only when a command runs, so ``boltz --help`` works without it.
"""

from __future__ import annotations

import argparse
import json

DENSITIES = ("eight_gaussians", "two_moons", "rings", "checkerboard", "swiss_roll", "pinwheel")
OBJECTIVES = ("cd", "pcd", "sm", "dsm", "ssm", "nce")


def register(subparsers) -> None:
    p = subparsers.add_parser("ebm", help="PyTorch energy-based models on 2D toy densities",
                              description="Train a torch energy on a 2D toy density, or run "
                              "the score pitfall.")
    sub = p.add_subparsers(dest="ebm_command", metavar="ACTION")
    t = sub.add_parser("train", help="train an MLP energy on a toy density and plot it")
    t.add_argument("--density", choices=DENSITIES, default="eight_gaussians")
    t.add_argument("--objective", choices=OBJECTIVES, default="nce")
    t.add_argument("--steps", type=int, default=2000)
    t.add_argument("--batch-size", type=int, default=512)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    t.add_argument("--out", default=None, help="save a figure (PNG) here")
    t.add_argument("--checkpoint", default=None, help="save the model state dict here")
    t.add_argument("--grid", type=int, default=200, help="grid size for KL and plots")
    t.add_argument("--samples", type=int, default=2000, help="Langevin samples to plot")
    t.add_argument("--sample-steps", type=int, default=500)
    t.add_argument("--no-progress", action="store_true")
    q = sub.add_parser("pitfall", help="Langevin vs annealed Langevin on a 0.2/0.8 mixture")
    q.add_argument("--chains", type=int, default=10000)
    q.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run, _parser=p)


def _import_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        raise ValueError("boltz ebm needs PyTorch: pip install 'boltz[torch]'") from None


def run(args: argparse.Namespace) -> int:
    if args.ebm_command is None:
        args._parser.print_help()
        return 2
    _import_torch()
    if args.ebm_command == "pitfall":
        from boltz.deep.toy import score_pitfall

        if args.chains < 10:
            raise ValueError(f"--chains must be at least 10, got {args.chains}")
        out = score_pitfall(n_chains=args.chains, seed=args.seed)
        print(json.dumps(out))
        return 0
    return _train(args)


def _train(args) -> int:
    import torch

    from boltz.deep.metrics import grid_kl, grid_log_prob, grid_points
    from boltz.deep.recipes import train_toy
    from boltz.deep.samplers import LangevinSampler
    from boltz.deep.toy import make_toy
    from boltz.deep.training import save_checkpoint

    for flag in ("steps", "grid", "samples", "sample_steps"):
        if getattr(args, flag) < 1:
            raise ValueError(f"--{flag.replace('_', '-')} must be positive, "
                             f"got {getattr(args, flag)}")
    toy = make_toy(args.density)
    model, res = train_toy(args.density, args.objective, n_steps=args.steps,
                           batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                           progress=not args.no_progress, device=args.device)
    if res.diverged:
        print(f"boltz ebm: {res.message}")
        return 1
    model.cpu()
    n = args.grid
    kl = grid_kl(toy.log_density, model, toy.bounds, n=n)
    summary = {"density": args.density, "objective": args.objective, "steps": res.n_steps,
               "final_loss": res.losses[-1], "grid_kl": kl}
    if args.checkpoint:
        save_checkpoint(args.checkpoint, model)
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        from boltz.plotting.ebm import plot_toy_fit

        pts, _ = grid_points(toy.bounds, n)
        data_lp = toy.log_density(pts).reshape(n, n)
        lo, hi = toy.bounds
        gen = torch.Generator().manual_seed(args.seed)
        x0 = lo + (hi - lo) * torch.rand((args.samples, 2), generator=gen)
        xs = LangevinSampler(model, step_size=0.005).sample(x0, args.sample_steps, seed=gen)
        fig = plot_toy_fit(data_lp, grid_log_prob(model, toy.bounds, n), xs.numpy(), toy.bounds,
                           title=f"{args.density} / {args.objective}: grid KL {kl:.3f} nats")
        fig.savefig(args.out, dpi=100)
        summary["figure"] = str(args.out)
    print(json.dumps(summary))
    return 0
