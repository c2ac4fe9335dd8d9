"""``boltz denoise``: restore a noisy binary image with an Ising MRF posterior.

Examples::

    boltz denoise noisy.png -o clean.png                     # exact MAP, parameters estimated
    boltz denoise noisy.png -o clean.png --method mpm --noise 0.1 --beta 1.0
    boltz denoise --demo                                     # built-in image, into out/denoise/

Grey images are binarized with Otsu's threshold (bright = +1). Without
``--noise``/``--beta`` the noise rate and coupling are estimated from the
image (``--estimate``, the default). The input file is never overwritten,
and an existing output only with ``--overwrite``.
"""

from __future__ import annotations

import time
from pathlib import Path

from ._common import (
    add_json_option,
    default_out,
    prepare_output,
    report,
    save_figure,
    status,
)

__all__ = ["register", "run"]

_DEMO_DIR = str(default_out("denoise", ""))
EPILOG = """examples:
  boltz denoise noisy.png -o clean.png                  # exact MAP, parameters estimated
  boltz denoise noisy.png -o clean.png --method mpm --noise 0.1 --beta 1.0
  boltz denoise --demo                                  # built-in image, 10% flip noise

The posterior is p(x | y) ~ exp(beta sum_<ij> x_i x_j + eta sum_i x_i y_i + h sum_i x_i)
with eta = log((1 - p) / p) / 2 for flip rate p; its energy E(x) is minus the
exponent (lower is more probable; the exact MAP has the lowest). Grey images
are binarized with Otsu's threshold (bright = +1). Without --noise/--beta the
noise rate and coupling are estimated from the image. The input file is never
overwritten, and an existing output only with --overwrite."""


def register(subparsers):
    """Add the ``denoise`` subcommand."""
    p = subparsers.add_parser("denoise", help="denoise a binary image (exact MAP by min-cut, ...)",
                              description="Restore a noisy binary image with an Ising MRF "
                                          "posterior.", epilog=EPILOG)
    p.add_argument("input", nargs="?", help="noisy image file (PNG, or anything Pillow reads)")
    p.add_argument("-o", "--output", default=None,
                   help="restored image to write (PNG), required with an input image; with "
                        f"--demo a folder (default there: {_DEMO_DIR}/)")
    p.add_argument("--method", default="map", choices=["map", "icm", "anneal", "mpm"],
                   help="map: exact MAP by minimum cut; icm: iterated conditional modes; "
                        "anneal: simulated annealing; mpm: thresholded Gibbs marginals")
    noise = p.add_mutually_exclusive_group()
    noise.add_argument("--noise", type=float, default=None, metavar="P",
                       help="flip-noise rate in (0, 0.5) (default: estimated)")
    noise.add_argument("--estimate", action="store_true",
                       help="estimate the noise rate from the image (the default)")
    p.add_argument("--beta", type=float, default=None,
                   help="pixel coupling (default: estimated by pseudo-likelihood EM)")
    p.add_argument("--neighbourhood", type=int, default=4, choices=[4, 8],
                   help="pixel neighbours coupled to each pixel")
    p.add_argument("--seed", type=int, default=0, help="random seed (noise, sampling, EM)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--demo", action="store_true",
                   help="denoise a built-in image with 10%% synthetic flip noise and write a "
                        "before/after figure")
    add_json_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.demo:
        if args.input is not None:
            raise ValueError("--demo takes no input image")
        return _run_demo(Path(args.output or _DEMO_DIR), args)
    if args.input is None:
        raise ValueError("give an input image (or --demo)")
    if args.output is None:
        raise ValueError("give the output file with -o/--output")
    return _run_file(Path(args.input), Path(args.output), args)


def _run_file(src: Path, dst: Path, args) -> int:
    from ..denoising import denoise, read_binary_image, write_binary_image

    if not src.is_file():
        raise FileNotFoundError(f"no such input image: {src}")
    dst = prepare_output(dst, args.overwrite, (".png",), inputs=[src], option="-o/--output")
    noisy = read_binary_image(src)
    t0 = time.perf_counter()
    res = denoise(noisy, method=args.method, noise=args.noise, beta=args.beta,
                  neighbourhood=args.neighbourhood, seed=args.seed)
    seconds = time.perf_counter() - t0
    write_binary_image(dst, res.labels, overwrite=True)
    model = res.info["model"]
    changed = float((res.labels != noisy).mean())
    lines = [f"{src} ({noisy.shape[0]}x{noisy.shape[1]}) -> {dst}",
             f"  model: beta={model.beta:.4g}  noise rate={model.noise_rate:.4g}  "
             f"h={model.h:.3g}  neighbourhood={model.neighbourhood}",
             f"  method {res.method}: posterior energy E = {res.energy:.6g} "
             f"(noisy image: {model.energy_image(noisy):.6g}; lower is more probable), "
             f"{100 * changed:.2f}% pixels changed, {seconds:.3f} s"]
    report(args, lines, {"input": str(src), "output": str(dst), "method": res.method,
                         "energy": float(res.energy),
                         "noisy_energy": float(model.energy_image(noisy)),
                         "beta": float(model.beta), "noise_rate": float(model.noise_rate),
                         "h": float(model.h), "changed_fraction": changed, "seconds": seconds})
    return 0


def _run_demo(out_dir: Path, args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np

    from ..datasets import binary_image
    from ..denoising import (
        add_flip_noise,
        anneal,
        build_posterior,
        gibbs_marginals,
        icm,
        map_mincut,
        write_binary_image,
    )
    from ..plotting.denoising import plot_restorations

    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"--demo writes into a directory; {out_dir} is a file")
    out_dir.mkdir(parents=True, exist_ok=True)
    names = ("denoise_demo.png", "noisy.png", "restored_map.png")
    for name in names:  # check all three before any work, so that none is half-replaced
        prepare_output(out_dir / name, args.overwrite, option="--output")
    clean = binary_image("shapes", 256)
    noisy = add_flip_noise(clean, 0.1, seed=args.seed)
    if not args.json:
        print(f"built-in image 'shapes' 256x256, 10% flip noise (seed {args.seed}): "
              f"{100 * np.mean(noisy != clean):.2f}% pixels wrong", flush=True)
    if args.noise is None or args.beta is None:
        status(args, "estimating the posterior's beta, h and noise rate from the noisy image "
                     "(Monte Carlo EM, 30 rounds)")
    model = build_posterior(noisy, noise=args.noise, beta=args.beta,
                            neighbourhood=args.neighbourhood, seed=args.seed)
    lines = [f"posterior: beta={model.beta:.4g}, noise rate={model.noise_rate:.4g}, "
             f"h={model.h:.3g} ("
             f"{'given' if args.noise is not None and args.beta is not None else 'estimated'})",
             "error = pixels differing from the clean image; E = posterior energy "
             "(lower is more probable, the exact MAP has the lowest)"]
    if not args.json:
        print("\n".join(lines), flush=True)
    results, summary = [], {}
    for name, fn in [("icm", lambda: icm(model)),
                     ("anneal", lambda: anneal(model, seed=args.seed)),
                     ("map", lambda: map_mincut(model)),
                     ("mpm", lambda: gibbs_marginals(model, seed=args.seed))]:
        t0 = time.perf_counter()
        res = fn()
        dt = time.perf_counter() - t0
        results.append(res)
        summary[name] = {"error_rate": float(res.error_rate(clean)), "energy": float(res.energy),
                         "seconds": dt}
        if not args.json:
            print(f"  {name:7s} error {100 * res.error_rate(clean):5.2f}%   E {res.energy:.6g}"
                  f"   {dt:.3f} s", flush=True)
    status(args, f"drawing the figure {out_dir / 'denoise_demo.png'}")
    fig = plot_restorations(noisy, results, truth=clean, noisy_energy=model.energy_image(noisy))
    figure = out_dir / "denoise_demo.png"
    save_figure(fig, figure, dpi=100)
    write_binary_image(out_dir / "noisy.png", noisy)
    write_binary_image(out_dir / "restored_map.png", results[2].labels)
    summary["figure"] = str(figure)
    report(args, [f"wrote {figure}, {out_dir / 'noisy.png'}, {out_dir / 'restored_map.png'}"],
           summary)
    return 0
