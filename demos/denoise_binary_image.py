"""
Denoising a binary image four ways
==================================


Original, noisy (independent flips), ICM, simulated annealing, exact MAP by
minimum cut and the posterior marginal map ``p(x_i = +1 | y)`` from Gibbs
sampling, each titled with its pixel error rate and posterior energy, plus
the per-pixel uncertainty of the marginals.

.. code-block:: bash

    python demos/denoise_binary_image.py --quick               # 128², fewer Gibbs sweeps
    python demos/denoise_binary_image.py                       # shapes, 256², 10% noise
    python demos/denoise_binary_image.py --image letters --noise 0.2 --estimate

By default the true noise rate and beta = 1 are used; ``--estimate`` fits the
noise rate, beta and field from the noisy image alone. "E" in the titles is
the posterior energy (minus the log of the unnormalized posterior): lower is
more probable, and the exact MAP has the lowest. Figures go to
``out/denoise_binary_image/``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from boltz.datasets import binary_image  # noqa: E402
from boltz.denoising import (  # noqa: E402
    DenoisingPosterior,
    add_flip_noise,
    anneal,
    build_posterior,
    gibbs_marginals,
    icm,
    map_mincut,
)
from boltz.plotting.denoising import plot_marginal_map, plot_restorations  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description="Denoise a built-in binary image four ways.",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="128x128 image, 200 Gibbs sweeps")
    parser.add_argument("--image", default="shapes", choices=["shapes", "rings", "letters",
                                                              "checker"], help="built-in image")
    parser.add_argument("--size", type=int, default=256, help="image side in pixels")
    parser.add_argument("--noise", type=float, default=0.1, help="flip probability")
    parser.add_argument("--beta", type=float, default=1.0, help="pixel coupling")
    parser.add_argument("--neighbourhood", type=int, default=4, choices=[4, 8],
                        help="pixel neighbourhood")
    parser.add_argument("--estimate", action="store_true",
                        help="estimate noise rate, beta and field from the noisy image")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--out", default="out/denoise_binary_image", help="output folder")
    args = parser.parse_args(argv)
    sweeps = 500
    if args.quick:
        args.size, sweeps = 128, 200

    clean = binary_image(args.image, args.size)
    noisy = add_flip_noise(clean, args.noise, seed=args.seed)
    if args.estimate:
        model = build_posterior(noisy, neighbourhood=args.neighbourhood, seed=args.seed)
    else:
        model = DenoisingPosterior.from_noise_rate(noisy, args.noise, beta=args.beta,
                                                   neighbourhood=args.neighbourhood)
    print(model)
    results = []
    for fn in (lambda: icm(model), lambda: anneal(model, seed=args.seed),
               lambda: map_mincut(model),
               lambda: gibbs_marginals(model, n_sweeps=sweeps, seed=args.seed)):
        t0 = time.perf_counter()
        res = fn()
        print(f"{res.method:10s} error {100 * res.error_rate(clean):6.3f}%  "
              f"energy {res.energy:.6f}  {time.perf_counter() - t0:.3f} s")
        results.append(res)
    print(f"{'noisy':10s} error {100 * np.mean(noisy != clean):6.3f}%  "
          f"energy {model.energy_image(noisy):.6f}")

    fig = plot_restorations(noisy, results, truth=clean, noisy_energy=model.energy_image(noisy))
    out = Path(args.out) / "restorations.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    fig = plot_marginal_map(results[-1])
    unc = out.with_name("uncertainty.png")
    fig.savefig(unc, dpi=100)
    print(f"wrote {out} and {unc}")


if __name__ == "__main__":
    main()
