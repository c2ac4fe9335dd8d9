"""``boltz ising``: Monte Carlo of the 2D Ising model with observables and error bars.

Examples::

    boltz ising --L 32 --T 2.0 --algorithm wolff --sweeps 2000
    boltz ising --L 16 --T-range 1.8 3.0 7 --algorithm multispin --chains 64 --plot
    boltz ising --lattice triangular --L 24 --algorithm wolff --correlation-length
    boltz ising --L 64 --algorithm metropolis --device cuda --chains 16
"""

from __future__ import annotations

import argparse
import os

from ._common import (
    add_json_option,
    default_out,
    input_paths,
    prepare_output,
    report,
    save_figure,
    status,
)

ALGORITHMS = ("metropolis", "random_metropolis", "gibbs", "multispin", "wolff", "swendsen_wang",
              "chromatic_gibbs")
LATTICES = ("square", "triangular", "honeycomb", "cubic")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "ising", help="Monte Carlo of the Ising model (observables with error bars)",
        description="Simulate the Ising model on an L x L periodic lattice (or a chain) and "
                    "print energy, |m|, susceptibility, specific heat and Binder cumulant "
                    "with error bars, beside Onsager's exact values.",
        epilog="examples:\n"
               "  boltz ising --L 32 --T 2.0 --algorithm wolff --sweeps 2000\n"
               "  boltz ising --L 16 --T-range 1.8 3.0 7 --algorithm multispin --plot\n\n"
               "Units: k_B = 1, energies per spin in units of J; T_c = 2 / ln(1 + sqrt 2) "
               "= 2.269 for J = 1. tau_|m| is the integrated autocorrelation time of |m| in "
               "sweeps.")
    p.add_argument("--L", type=int, default=32, help="lattice side")
    p.add_argument("--chain", action="store_true", help="a 1D chain of L spins instead")
    p.add_argument("--lattice", default="square", choices=LATTICES,
                   help="lattice geometry, periodic (default square); the others run the "
                        "general MRF samplers (metropolis, gibbs, chromatic_gibbs, wolff, "
                        "swendsen_wang)")
    p.add_argument("--device", default=None,
                   help="run the torch sampler on this device (cpu, cuda, auto) for "
                        "metropolis, gibbs or multispin on the square lattice (default: the "
                        "numba CPU samplers)")
    p.add_argument("--correlation-length", action="store_true",
                   help="also estimate the second-moment correlation length (default off)")
    p.add_argument("--staggered", action="store_true",
                   help="also estimate the staggered magnetisation <|m_s|> (bipartite "
                        "lattices; default off)")
    temps = p.add_mutually_exclusive_group()
    temps.add_argument("--T", type=float, default=None, help="temperature (default: T_c = 2.269)")
    temps.add_argument("--T-range", type=float, nargs=3, metavar=("T_MIN", "T_MAX", "N"),
                       help="N temperatures from T_MIN to T_MAX (default: a single --T)")
    p.add_argument("--J", type=float, default=1.0, help="coupling")
    p.add_argument("--h", type=float, default=0.0, help="uniform field")
    p.add_argument("--open", action="store_true", help="open instead of periodic boundaries")
    p.add_argument("--algorithm", default="metropolis", choices=ALGORITHMS,
                   help="sampler: checkerboard metropolis, random-scan metropolis, heat-bath "
                        "gibbs, 64-replica bit-packed multispin, wolff or swendsen_wang "
                        "clusters, chromatic_gibbs (the other lattices)")
    p.add_argument("--sweeps", type=int, default=2000, help="measured sweeps")
    p.add_argument("--burnin", type=int, default=None,
                   help="burn-in sweeps (default: sweeps/5)")
    p.add_argument("--chains", type=int, default=None,
                   help="independent chains (default 1; 64 for multispin)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--plot", nargs="?", const=str(default_out("ising", "ising.png")),
                   default=None, metavar="PATH",
                   help="save a figure (observables vs T, or spin snapshots for one T) to PATH, "
                        "or to out/ising/ising.png when no PATH is given (default: no figure)")
    p.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="save the sampler state (spins and random streams, .npz) at the end, "
                        "or on Ctrl-C with the measurements so far; one temperature only "
                        "(default: none)")
    p.add_argument("--resume", default=None, metavar="PATH",
                   help="continue from a --checkpoint file instead of a random start: an "
                        "interrupted run's file finishes that run (only the sweeps left up to "
                        "--sweeps run, and the result covers all of them); a finished run's "
                        "starts a new run from its state, burn-in 0 (default: none)")
    p.add_argument("--overwrite", action="store_true",
                   help="let --plot and --checkpoint replace an existing file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run the temperatures as Dask jobs: a scheduler address "
                        "(tcp://host:8786), a scheduler file (.json), or local:N for N local "
                        "worker processes; results equal the serial run's (temperature k is "
                        "seeded by --seed + k) (default: serial, no Dask)")
    add_json_option(p)
    p.set_defaults(func=run)


def _model(args, T):
    from ..ising import IsingLattice
    from ..ising.lattices import cubic_lattice, honeycomb_lattice, triangular_lattice

    if args.lattice == "square":
        shape = (args.L,) if args.chain else args.L
        return IsingLattice(shape, J=args.J, h=args.h, temperature=float(T),
                            periodic=not args.open)
    if args.chain or args.open:
        raise ValueError(f"--chain and --open apply to the square lattice, not {args.lattice}")
    build = {"triangular": triangular_lattice, "honeycomb": honeycomb_lattice,
             "cubic": cubic_lattice}[args.lattice]
    return build(args.L, J=args.J, h=args.h, temperature=float(T))


def _critical_temperature(args):
    from ..ising.exact import T_C
    from ..ising.lattices import CUBIC_T_C, HONEYCOMB_T_C, TRIANGULAR_T_C

    return {"square": T_C, "triangular": TRIANGULAR_T_C, "honeycomb": HONEYCOMB_T_C,
            "cubic": CUBIC_T_C}[args.lattice] * abs(args.J)


def _temperatures(args):
    import numpy as np

    T_C = _critical_temperature(args)
    if args.T_range is not None:
        lo, hi, n = args.T_range
        if n != int(n) or n < 1:
            raise ValueError(f"--T-range N must be a positive integer, got {n}")
        temps = np.linspace(lo, hi, int(n))
    else:
        temps = np.array([T_C if args.T is None else args.T])
    if not np.all(np.isfinite(temps)) or np.any(temps <= 0):
        raise ValueError(f"temperatures must be finite and positive, got {temps.tolist()}")
    return temps


def _report_interrupted(args, result, stopped, n_temps) -> int:
    """Ctrl-C stopped the run: the partial result as the JSON line, one line on stderr, 130."""
    import sys

    T, r = stopped
    total = args.sweeps + (args.burnin if args.burnin is not None else args.sweeps // 5)
    if r is None:
        where = f"at T={T:.6g} during burn-in (that temperature has no result)"
    else:
        where = (f"at T={T:.6g} after {r.info['sweeps_done']} of about {total} sweeps "
                 f"({r.info['measurements_done']} measurements; its row uses them)")
        result["interrupted"] = {"T": float(T), "sweeps_done": int(r.info["sweeps_done"]),
                                 "measurements_done": int(r.info["measurements_done"])}
    result.setdefault("interrupted", {"T": float(T), "sweeps_done": None,
                                      "measurements_done": 0})
    report(args, [], result)
    saved = (f"; sampler state and measurements saved to {result['checkpoint']} (finish the "
             f"run: the same options with --resume {result['checkpoint']}, and --overwrite "
             "to checkpoint to that file again)"
             if "checkpoint" in result else "")
    if "checkpoint_skipped" in result:
        saved = f"; no checkpoint written ({result['checkpoint_skipped']})"
    print(f"boltz ising: interrupted (Ctrl-C) {where}; {len(result['runs'])} of {n_temps} "
          f"temperatures in the partial result printed{saved}; no figure written",
          file=sys.stderr, flush=True)
    return 130


def _scan(args, temps, chains):
    """One run per temperature (seeded by --seed + k), serial or on --dask."""
    from ..ising import scan

    if args.dask and (args.device or args.resume or args.checkpoint):
        raise ValueError("--dask runs CPU jobs without --device, --resume or --checkpoint")
    options = dict(n_sweeps=args.sweeps, n_burnin=args.burnin, n_chains=chains,
                   device=args.device, correlation=args.correlation_length,
                   staggered=args.staggered, resume=args.resume, checkpoint=args.checkpoint,
                   overwrite=args.overwrite)
    models = [_model(args, T) for T in temps]
    if not args.dask:
        return scan(models, args.algorithm, seed=args.seed, progress=not args.quiet, **options)
    from ..distributed import connect

    try:
        client = connect(args.dask)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"--dask {args.dask}: {exc}") from None
    with client:
        return scan(models, args.algorithm, seed=args.seed, client=client, **options)


def run(args: argparse.Namespace) -> int:
    from .._validation import check_positive_int
    from ..ising import simulate
    from ..ising.exact import onsager_energy, onsager_magnetization

    temps = _temperatures(args)
    plot = prepare_output(args.plot, args.overwrite, (".png", ".pdf", ".svg"),
                          inputs=input_paths(args), option="--plot") if args.plot else None
    check_positive_int(args.sweeps, "--sweeps")
    check_positive_int(args.L, "--L")
    if args.device is not None and args.lattice != "square":
        raise ValueError("--device runs the square-lattice torch samplers; use --lattice square")
    if (args.checkpoint or args.resume) and len(temps) > 1:
        raise ValueError("--checkpoint and --resume take one temperature (--T), not --T-range")
    if args.checkpoint and not args.overwrite:
        target = args.checkpoint if args.checkpoint.endswith(".npz") else args.checkpoint + ".npz"
        if os.path.exists(target):
            raise ValueError(f"--checkpoint {target} exists; add --overwrite to replace it")
    if args.lattice != "square" and args.algorithm == "multispin":
        raise ValueError(f"--algorithm multispin needs the square lattice, not {args.lattice}")
    if args.lattice == "square" and args.algorithm == "chromatic_gibbs":
        raise ValueError("--algorithm chromatic_gibbs is for the other lattices; the square "
                         "lattice's checkerboard heat bath is --algorithm gibbs")
    chains = args.chains if args.chains is not None else (64 if args.algorithm == "multispin"
                                                          else 1)
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, flush=True))
    header = (f"{'T':>7} {'energy':>22} {'|m|':>22} {'chi':>20} {'C':>20} {'U4':>20} "
              f"{'tau_|m|':>8}")
    geometry = "chain" if args.chain else f"{args.lattice} lattice"
    say(f"Ising {geometry} L={args.L} J={args.J:g} h={args.h:g} "
        f"{'open' if args.open else 'periodic'}, {args.algorithm}, {args.sweeps} sweeps x "
        f"{chains} chains, seed {args.seed}"
        + (f", device {args.device}" if args.device else "")
        + ("" if args.chain else f"; T_c = {_critical_temperature(args):.6g}"))
    say("energy and |m| per spin (J = k_B = 1), chi = susceptibility, C = specific heat, "
        "U4 = Binder cumulant, all +- one standard error; tau_|m| in sweeps")
    say(header)
    stopped = None
    runs = _scan(args, temps, chains) if args.dask else []
    for k, T in enumerate(temps):
        if args.dask:
            r = runs[k]
        else:
            try:
                r = simulate(_model(args, T), args.algorithm, n_sweeps=args.sweeps,
                             n_burnin=args.burnin, n_chains=chains, seed=args.seed + k,
                             progress=not args.quiet, device=args.device,
                             correlation=args.correlation_length, staggered=args.staggered,
                             resume=args.resume, checkpoint=args.checkpoint,
                             overwrite=args.overwrite)
            except KeyboardInterrupt:  # before the first measurement at this temperature
                if not runs:
                    raise
                stopped = (T, None)
                break
            if r.info.get("interrupted"):
                stopped = (T, r)
                if not r.info.get("measurements_done"):
                    break
            runs.append(r)
        extra = ""
        if args.correlation_length:
            extra += f"  xi_2nd = {r.correlation_length}"
        if args.staggered:
            extra += f"  |m_s| = {r.staggered_magnetization}"
        say(f"{T:7.4f} {str(r.energy):>22} {str(r.abs_magnetization):>22} "
            f"{str(r.susceptibility):>20} {str(r.specific_heat):>20} {str(r.binder):>20} "
            f"{r.tau_abs_m:8.3g}{extra}")
        if stopped is not None:
            break
    exact = []
    if args.lattice == "square" and not args.chain and args.J > 0 and args.h == 0:
        say("Onsager (L = inf), the exact energy and |m| of the infinite lattice:")
        for T in temps:
            exact.append({"T": float(T), "energy": float(onsager_energy(T, args.J)),
                          "abs_magnetization": float(onsager_magnetization(T, args.J))})
            say(f"{T:7.4f} {exact[-1]['energy']:>22.6g} {exact[-1]['abs_magnetization']:>22.6g}")
    observables = ["energy", "abs_magnetization", "susceptibility", "specific_heat", "binder"]
    if args.correlation_length:
        observables.append("correlation_length")
    if args.staggered:
        observables.append("staggered_magnetization")
    result = {"L": args.L, "lattice": args.lattice, "algorithm": args.algorithm,
              "sweeps": args.sweeps, "chains": chains,
              "runs": [{"T": float(T), **{name: [float(getattr(r, name).mean),
                                                 float(getattr(r, name).error)]
                                          for name in observables},
                        "tau_abs_m": float(r.tau_abs_m)}
                       for T, r in zip(temps[:len(runs)], runs, strict=True)],
              "onsager": exact}
    if args.checkpoint and "checkpoint" in runs[-1].info:
        say(f"saved the sampler state to {runs[-1].info['checkpoint']}")
        result["checkpoint"] = str(runs[-1].info["checkpoint"])
    elif args.checkpoint:
        result["checkpoint_skipped"] = runs[-1].info.get("checkpoint_skipped")
    if stopped is not None:
        return _report_interrupted(args, result, stopped, len(temps))
    if plot is not None:
        status(args, f"drawing the figure {plot}")
        import matplotlib

        matplotlib.use("Agg")
        from ..plotting.ising import plot_observables, plot_spins

        square = args.lattice == "square"
        if len(runs) > 1:
            fig = plot_observables({args.L: runs}, onsager=square and not args.chain)
        else:
            final = runs[0].final_spins[:4]
            if not square:     # one L x L layer of the site grid (the z = 0 plane of a cube)
                final = final.reshape(final.shape[0], args.L, args.L, -1)[..., 0]
            fig = plot_spins(final, titles=[f"T={runs[0].temperature:.3f}"] * min(4, chains))
        save_figure(fig, plot, dpi=110)
        say(f"saved {plot}")
        result["figure"] = str(plot)
    report(args, [], result)
    return 0
