"""``boltz ebm``: train a torch energy on a 2D toy density, or run the score pitfall.

Examples::

    boltz ebm train --density two_moons --objective nce --steps 2000   # out/ebm/two_moons_nce.png
    boltz ebm pitfall --plot                                           # out/ebm/pitfall.png

torch is imported only when a command runs, so ``boltz --help`` works without it.
"""

from __future__ import annotations

import argparse
import sys

from ._checkpoint import add_checkpoint_options, checkpoint_options, finished, interrupted
from ._common import add_json_option, default_out, prepare_output, report, save_figure, status

DENSITIES = ("eight_gaussians", "two_moons", "rings", "checkerboard", "swiss_roll", "pinwheel")
OBJECTIVES = ("cd", "pcd", "sm", "dsm", "dsm_multi", "ssm", "nce")  # recipes.TOY_OBJECTIVES
EPILOG = """examples:
  boltz ebm train --density two_moons --objective nce --steps 2000   # out/ebm/two_moons_nce.png
  boltz ebm pitfall --plot                                           # out/ebm/pitfall.png

Objectives: cd / pcd = (persistent) contrastive divergence with Langevin
chains, sm = exact score matching, dsm = denoising score matching (sigma 0.05),
dsm_multi = denoising score matching at 9 noise levels (2.0 down to 0.05)
with a noise-conditional MLP, scored at its smallest level, ssm = sliced
score matching, nce = noise-contrastive estimation. torch is needed
(pip install 'boltz[torch]')."""
PITFALL_EPILOG = """The target is 0.2 N((-5,-5), I) + 0.8 N((5,5), I); chains start uniform on
[-8, 8]^2. Langevin driven by the exact score leaves each chain in the basin it
starts in, so about half of them end in each mode (a wrong 0.5); annealed
Langevin through noise-perturbed versions of the mixture recovers the right
weight, 0.8 (Song & Ermon 2019, Sec. 3.2)."""


def register(subparsers) -> None:
    p = subparsers.add_parser("ebm", help="PyTorch energy-based models on 2D toy densities",
                              description="Train a torch energy on a 2D toy density, or run "
                              "the score pitfall.", epilog=EPILOG)
    sub = p.add_subparsers(dest="ebm_command", metavar="ACTION")
    t = sub.add_parser("train", help="train an MLP energy on a toy density and plot it",
                       description="Train an MLP energy (128x3) on a 2D toy density, report "
                                   "KL(data || model) on a grid and plot the fit.",
                       epilog=EPILOG)
    t.add_argument("--density", choices=DENSITIES, default="eight_gaussians",
                   help="toy density to learn")
    t.add_argument("--objective", choices=OBJECTIVES, default="nce", help="training objective")
    t.add_argument("--steps", type=int, default=2000, help="parameter updates")
    t.add_argument("--batch-size", type=int, default=512, help="data samples per update")
    t.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    t.add_argument("--seed", type=int, default=0, help="random seed")
    t.add_argument("--device", default="cpu", help="torch device: cpu, cuda or auto")
    t.add_argument("-o", "--out", default=None,
                   help="figure to write (PNG) (default: out/ebm/DENSITY_OBJECTIVE.png)")
    t.add_argument("--overwrite", action="store_true", help="replace existing output files")
    add_checkpoint_options(t, unit="updates", every=100, suffix=".pt", of="the figure path")
    t.add_argument("--grid", type=int, default=200,
                   help="grid points per axis for the KL and the plots")
    t.add_argument("--samples", type=int, default=2000, help="Langevin samples to plot")
    t.add_argument("--sample-steps", type=int, default=500,
                   help="Langevin steps for the plotted samples")
    t.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_json_option(t)
    q = sub.add_parser("pitfall", help="Langevin vs annealed Langevin on a 0.2/0.8 mixture",
                       description="The score pitfall: sample a 0.2/0.8 mixture of two "
                                   "Gaussians with Langevin dynamics driven by the exact "
                                   "score, plain and annealed, and report the fraction of "
                                   "samples in the heavier mode.", epilog=PITFALL_EPILOG)
    q.add_argument("--chains", type=int, default=10000, help="independent chains per sampler")
    q.add_argument("--seed", type=int, default=0, help="random seed")
    q.add_argument("--plot", nargs="?", const=str(default_out("ebm", "pitfall.png")),
                   default=None, metavar="PATH",
                   help="write a bar chart of the fractions (to out/ebm/pitfall.png when no "
                        "PATH is given; default: no figure)")
    q.add_argument("--overwrite", action="store_true", help="replace an existing figure")
    q.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_json_option(q)
    p.set_defaults(func=run, _parser=p)


def _import_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        raise ValueError("boltz ebm needs PyTorch: pip install 'boltz[torch]'") from None


def _grid_log_density(log_density, pts, show: bool):
    """The toy's exact log-density at the grid points, in chunks under a progress bar.

    The swiss roll and pinwheel densities sum 3000 curve kernels per point: 22 CPU s
    on the default 200x200 grid, computed once here for both the KL and the figure.
    """
    import numpy as np
    from tqdm.auto import tqdm

    chunks = np.array_split(pts, max(1, len(pts) // 2000))
    return np.concatenate([log_density(c) for c in tqdm(
        chunks, desc="data density on the grid", disable=not show, leave=False)])


def run(args: argparse.Namespace) -> int:
    if args.ebm_command is None:
        raise ValueError("give an action: train or pitfall (see 'boltz ebm --help')")
    if args.ebm_command == "pitfall":
        if args.chains < 10:
            raise ValueError(f"--chains must be at least 10, got {args.chains}")
        plot = (prepare_output(args.plot, args.overwrite, (".png",), option="--plot")
                if args.plot else None)

        status(args, f"the score pitfall: {args.chains} chains of plain, then annealed, "
                     "Langevin dynamics (loading torch first)")
        _import_torch()
        from boltz.deep.toy import score_pitfall

        out = score_pitfall(n_chains=args.chains, seed=args.seed,
                            progress=not args.no_progress)
        lang, ann = out["langevin_fraction"], out["annealed_fraction"]
        lines = ["Score pitfall: target 0.2 N((-5,-5), I) + 0.8 N((5,5), I), "
                 f"{args.chains} chains started uniformly on [-8, 8]^2.",
                 "Fraction of samples in the heavier mode (the right answer is 0.8):",
                 f"  Langevin with the exact score  {lang:.3f}  (stuck where each chain "
                 "started: about 0.5)",
                 f"  annealed Langevin              {ann:.3f}  (mixes at high noise: "
                 "close to 0.8)"]
        if plot is not None:
            import matplotlib

            matplotlib.use("Agg")
            from ..plotting.ebm import plot_mode_fractions

            fig = plot_mode_fractions({"Langevin": lang, "annealed Langevin": ann}, target=0.8)
            save_figure(fig, plot, dpi=100, bbox_inches="tight")
            out["figure"] = str(plot)
            lines.append(f"wrote {plot}")
        report(args, lines, out)
        return 0
    _import_torch()
    return _train(args)


def _train(args) -> int:
    import torch

    from boltz.checkpoint import TrainingInterrupted
    from boltz.deep.metrics import grid_kl, grid_log_prob, grid_points
    from boltz.deep.recipes import train_toy
    from boltz.deep.samplers import LangevinSampler
    from boltz.deep.toy import make_toy

    for flag in ("steps", "batch_size", "grid", "samples", "sample_steps"):
        if getattr(args, flag) < 1:
            raise ValueError(f"--{flag.replace('_', '-')} must be positive, "
                             f"got {getattr(args, flag)}")
    figure = prepare_output(args.out or default_out("ebm", f"{args.density}_{args.objective}.png"),
                            args.overwrite, (".png",))
    ckpt = checkpoint_options(args, figure, suffix=".pt", add_suffix=False)
    toy = make_toy(args.density)
    status(args, f"training {args.objective} on {args.density} ({args.steps} updates; the first "
                 "takes a few seconds to set up torch)")
    try:
        model, res = train_toy(args.density, args.objective, n_steps=args.steps,
                               batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                               progress=not args.no_progress, device=args.device, **ckpt)
    except TrainingInterrupted as exc:
        return interrupted(args, exc)
    if res.diverged:
        print(f"boltz ebm: {res.message}", file=sys.stderr)
        return 1
    model.cpu()
    n = args.grid
    if not args.no_progress:
        print(f"scoring the fit: KL on a {n}x{n} grid, then {args.samples} Langevin samples "
              "for the figure ...", file=sys.stderr, flush=True)
    pts, _ = grid_points(toy.bounds, n)
    data_lp = _grid_log_density(toy.log_density, pts, not args.no_progress)
    kl = grid_kl(lambda _: data_lp, model, toy.bounds, n=n)  # the same grid points
    summary = {"density": args.density, "objective": args.objective, "steps": res.n_steps,
               "final_loss": res.losses[-1], "grid_kl": kl}
    lines = [f"trained an MLP energy on {args.density} by {args.objective} for {res.n_steps} "
             f"updates (final loss {res.losses[-1]:.4g})",
             f"  KL(data || model) = {kl:.4f} nats on a {n}x{n} grid (0 is a perfect fit; "
             "with 3000 updates the best objective per density reaches 0.003-0.005)"]
    if args.checkpoint is not None:
        lines.append(f"  run checkpoint (state dicts, --resume continues it) written to "
                     f"{args.checkpoint_file}")
    import matplotlib

    matplotlib.use("Agg")
    from boltz.plotting.ebm import plot_toy_fit

    lo, hi = toy.bounds
    gen = torch.Generator().manual_seed(args.seed)
    x0 = lo + (hi - lo) * torch.rand((args.samples, 2), generator=gen)
    xs = LangevinSampler(model, step_size=0.005).sample(x0, args.sample_steps, seed=gen,
                                                        progress=not args.no_progress)
    fig = plot_toy_fit(data_lp.reshape(n, n), grid_log_prob(model, toy.bounds, n), xs.numpy(),
                       toy.bounds,
                       title=f"{args.density} / {args.objective}: grid KL {kl:.3f} nats")
    save_figure(fig, figure, dpi=100)
    finished(args)
    summary["figure"] = str(figure)
    lines.append(f"  figure (data density, learned density, samples) written to {figure}")
    report(args, lines, summary)
    return 0
