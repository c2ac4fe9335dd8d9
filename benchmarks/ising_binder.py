"""Demo measurement: critical temperatures of the triangular, honeycomb and cubic lattices
from Binder-cumulant crossings.

For each lattice and a pair of sizes ``L1 < L2`` the Binder cumulant
``U = 1 - <m^4> / (3 <m^2>^2)`` is measured with Wolff clusters at temperatures
``T_ref (1 + d)`` for ``d`` in a small window around the reference ``T_ref``
(exact ``4 / ln 3`` and ``2 / ln(2 + sqrt 3)`` in 2D, ``4.511523`` in 3D). A
quadratic, weighted by the error bars, is fitted to ``U_L2 - U_L1`` against
``T`` (the difference is visibly curved over a few percent); its root is the
crossing ``T*``, with a parametric-bootstrap error. The target
(issue #22) is ``|T* / T_ref - 1| < 0.5 %``.

Usage::

    python benchmarks/ising_binder.py            # L pairs 12/24, 16/32, 8/16
    python benchmarks/ising_binder.py --quick    # smaller pairs, fewer sweeps

The last line is one JSON object: per lattice the crossing, its error and the
relative deviation from the reference in percent.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from boltz.ising import cubic_lattice, honeycomb_lattice, simulate, triangular_lattice

LATTICES = {
    "triangular": (triangular_lattice, (12, 24), (6, 12)),
    "honeycomb": (honeycomb_lattice, (16, 32), (8, 16)),
    "cubic": (cubic_lattice, (8, 16), (6, 12)),
}


def binder_curve(build, L, temps, n_sweeps, seed):
    """Binder cumulant (mean, error) of the size-``L`` lattice at each temperature."""
    out = []
    for k, T in enumerate(temps):
        model = build(L, temperature=float(T))
        run = simulate(model, "wolff", n_sweeps=n_sweeps, n_chains=2, seed=seed + k)
        est = run.binder
        out.append((est.mean, est.error))
    return np.array(out)


def _root(temps, d, w, t_ref):
    """Root nearest ``t_ref`` of a weighted quadratic fit ``d(T)`` (None if there is none)."""
    x = temps / t_ref - 1.0
    A = np.stack([np.ones_like(x), x, x * x], axis=1)
    coef = np.linalg.lstsq(A * np.sqrt(w)[:, None], d * np.sqrt(w), rcond=None)[0]
    roots = np.roots(coef[::-1])
    roots = roots[np.isreal(roots)].real
    roots = roots[np.abs(roots) <= 2 * np.abs(x).max()]
    if roots.size == 0:
        return None
    return t_ref * (1.0 + roots[np.argmin(np.abs(roots))])


def crossing(temps, u1, u2, t_ref, n_boot=400, seed=0):
    """``T*`` where ``U_L2 - U_L1`` changes sign: root of a weighted quadratic fit
    (the difference is curved over a few percent in T), with a parametric-bootstrap error."""
    d = u2[:, 0] - u1[:, 0]
    err = np.sqrt(u1[:, 1] ** 2 + u2[:, 1] ** 2)
    w = 1.0 / np.maximum(err, 1e-12) ** 2
    root = _root(temps, d, w, t_ref)
    if root is None:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    boot = [_root(temps, d + err * rng.standard_normal(d.shape), w, t_ref)
            for _ in range(n_boot)]
    boot = np.array([b for b in boot if b is not None])
    return float(root), float(np.std(boot))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller L pairs and fewer sweeps")
    parser.add_argument("--sweeps", type=int, default=None,
                        help="Wolff sweeps per temperature (default 20000; quick 3000)")
    parser.add_argument("--window", type=float, default=0.02,
                        help="half-width of the temperature window, relative (default 0.02)")
    parser.add_argument("--points", type=int, default=5, help="temperatures (default 5)")
    parser.add_argument("--lattices", nargs="+", default=list(LATTICES), choices=list(LATTICES))
    args = parser.parse_args(argv)
    n_sweeps = args.sweeps or (3000 if args.quick else 20000)
    print(f"load average {os.getloadavg()[0]:.2f}; Wolff, {n_sweeps} sweeps x 2 chains per point")
    result = {}
    for name in args.lattices:
        build, pair, quick_pair = LATTICES[name]
        L1, L2 = quick_pair if args.quick else pair
        t_ref = build(L1).t_c
        temps = t_ref * (1.0 + np.linspace(-args.window, args.window, args.points))
        t = time.perf_counter()
        u1 = binder_curve(build, L1, temps, n_sweeps, 100)
        u2 = binder_curve(build, L2, temps, n_sweeps, 200)
        root, err = crossing(temps, u1, u2, t_ref)
        dev = 100.0 * (root / t_ref - 1.0)
        for T, a, b in zip(temps, u1, u2, strict=True):
            print(f"  {name:10s} T={T:.4f}  U(L={L1})={a[0]:.4f}±{a[1]:.4f}  "
                  f"U(L={L2})={b[0]:.4f}±{b[1]:.4f}")
        print(f"{name:10s} L={L1}/{L2}: T* = {root:.4f} ± {err:.4f}, reference {t_ref:.4f}, "
              f"deviation {dev:+.3f}% ({time.perf_counter() - t:.0f} s)", flush=True)
        result[name] = {"L": [L1, L2], "t_cross": round(root, 5), "t_cross_error": round(err, 5),
                        "t_ref": round(t_ref, 5), "deviation_percent": round(dev, 3),
                        "within_half_percent": bool(abs(dev) < 0.5)}
    result["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
