"""Benchmark: binary image denoising at 256², 512² and 1024² with 10% flip noise.

For each size: exact MAP by min-cut (our numba Boykov–Kolmogorov; time =
graph build + cut + labelling), the same with PyMaxflow (C++ BK) side by
side when it is installed, and the pixel error and time of ICM, simulated
annealing and Gibbs marginals (MPM). The MAP timings of both solvers are the
median of ``--repeats`` interleaved runs. PyMaxflow's labelling is scored
with our energy, so both minima are comparable (they must be equal).

Usage::

    python benchmarks/denoise.py            # 256, 512, 1024
    python benchmarks/denoise.py --quick    # 512 only, well under a minute

The last line printed is one JSON object for the largest size run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from boltz.datasets import binary_image
from boltz.denoising import (
    DenoisingPosterior,
    add_flip_noise,
    anneal,
    gibbs_marginals,
    grid_graph,
    icm,
    map_mincut,
    maxflow_bk,
    mean_field_marginals,
)

try:
    import maxflow as pymaxflow
except ImportError:  # the peer is optional
    pymaxflow = None

NOISE = 0.1
BETA = {4: 1.0, 8: 0.5}
_FORWARD_4 = np.array([[0, 0, 0], [0, 0, 1], [0, 1, 0]])
_FORWARD_8 = np.array([[0, 0, 0], [0, 0, 1], [1, 1, 1]])


def ours_map(model):
    """Our exact MAP: build + cut + labels; returns (labels, seconds, build_seconds)."""
    t0 = time.perf_counter()
    graph = grid_graph(2.0 * model.external_field(), 2.0 * model.beta, model.neighbourhood)
    t1 = time.perf_counter()
    _, side = maxflow_bk(graph, inplace=True)
    labels = np.where(side.reshape(model.shape), 1, -1).astype(np.int8)
    t2 = time.perf_counter()
    return labels, t2 - t0, t1 - t0


def pymaxflow_map(model):
    """PyMaxflow's exact MAP of the same energy: build + cut + segments."""
    t0 = time.perf_counter()
    a = 2.0 * model.external_field()
    g = pymaxflow.Graph[float]()
    ids = g.add_grid_nodes(model.shape)
    # forward neighbours only (each pair once), both directions via symmetric=True
    structure = _FORWARD_4 if model.neighbourhood == 4 else _FORWARD_8
    g.add_grid_edges(ids, weights=2.0 * model.beta, structure=structure, symmetric=True)
    g.add_grid_tedges(ids, np.maximum(a, 0.0), np.maximum(-a, 0.0))
    g.maxflow()
    sink = g.get_grid_segments(ids)
    labels = np.where(sink, -1, 1).astype(np.int8)
    return labels, time.perf_counter() - t0


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run_size(size, repeats, image, seed, anneal_sweeps, gibbs_sweeps, neighbourhood):
    clean = binary_image(image, size)
    noisy = add_flip_noise(clean, NOISE, seed=seed)
    beta = BETA[neighbourhood]
    model = DenoisingPosterior.from_noise_rate(noisy, NOISE, beta=beta,
                                               neighbourhood=neighbourhood)
    row = {"size": size, "image": image, "noise": NOISE, "beta": beta,
           "neighbourhood": neighbourhood,
           "noisy_error": float(np.mean(noisy != clean)),
           "noisy_energy": model.energy_image(noisy)}

    ours, theirs, builds = [], [], []
    labels = pmf_labels = None
    for _ in range(repeats):  # interleaved, so both see the same machine load
        labels, sec, build = ours_map(model)
        ours.append(sec)
        builds.append(build)
        if pymaxflow is not None:
            pmf_labels, sec = pymaxflow_map(model)
            theirs.append(sec)
    row.update(map_seconds=statistics.median(ours), map_seconds_best=min(ours),
               map_build_seconds=statistics.median(builds),
               map_energy=model.energy_image(labels), map_error=float(np.mean(labels != clean)))
    if pymaxflow is not None:
        row.update(pymaxflow_seconds=statistics.median(theirs),
                   pymaxflow_seconds_best=min(theirs),
                   pymaxflow_energy=model.energy_image(pmf_labels),
                   pymaxflow_error=float(np.mean(pmf_labels != clean)))
        row["ratio"] = row["map_seconds"] / row["pymaxflow_seconds"]  # medians
        row["ratio_best"] = min(ours) / min(theirs)
        row["same_minimum"] = bool(abs(row["map_energy"] - row["pymaxflow_energy"])
                                   <= 1e-9 * abs(row["map_energy"]))
    else:
        row.update(pymaxflow_seconds=None, pymaxflow_seconds_best=None, pymaxflow_energy=None,
                   pymaxflow_error=None, ratio=None, ratio_best=None, same_minimum=None)
    if size <= 256:  # SciPy's Dinic as a cross-check of the minimum (slow on big grids)
        ref, sec = timed(lambda: map_mincut(model, solver="scipy"))
        row.update(scipy_seconds=sec, scipy_energy=ref.energy)

    res, sec = timed(lambda: icm(model))
    row.update(icm_seconds=sec, icm_error=res.error_rate(clean), icm_energy=res.energy)
    res, sec = timed(lambda: anneal(model, n_sweeps=anneal_sweeps, seed=seed))
    row.update(anneal_seconds=sec, anneal_error=res.error_rate(clean), anneal_energy=res.energy,
               anneal_sweeps=anneal_sweeps)
    res, sec = timed(lambda: gibbs_marginals(model, n_sweeps=gibbs_sweeps,
                                             n_burn=gibbs_sweeps // 5, seed=seed))
    row.update(mpm_seconds=sec, mpm_error=res.error_rate(clean), mpm_energy=res.energy,
               mpm_sweeps=gibbs_sweeps)
    res, sec = timed(lambda: mean_field_marginals(model))
    row.update(mean_field_seconds=sec, mean_field_error=res.error_rate(clean))
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="512x512 only")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--repeats", type=int, default=7, help="timed MAP runs per solver")
    parser.add_argument("--image", default="shapes",
                        choices=["shapes", "rings", "letters", "checker"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--neighbourhood", type=int, default=4, choices=[4, 8])
    parser.add_argument("--anneal-sweeps", type=int, default=100)
    parser.add_argument("--gibbs-sweeps", type=int, default=200)
    args = parser.parse_args(argv)
    sizes = args.sizes or ([512] if args.quick else [256, 512, 1024])

    # compile (or load cached) numba kernels outside the timings
    warm = DenoisingPosterior.from_noise_rate(add_flip_noise(binary_image("shapes", 16), 0.1,
                                                             seed=0), 0.1)
    ours_map(warm)
    icm(warm), anneal(warm, n_sweeps=2), gibbs_marginals(warm, n_sweeps=20, n_burn=0)
    mean_field_marginals(warm)
    if pymaxflow is None:
        print("PyMaxflow is not installed: peer columns are null (pip install PyMaxflow)")

    header = (f"{'size':>6} {'ours s':>8} {'build s':>8} {'PyMaxflow s':>11} {'ratio':>6} "
              f"{'same E':>6} {'MAP err':>8} {'ICM err':>8} {'anneal err':>10} {'MPM err':>8} "
              f"{'MF err':>7}")
    print(header)
    rows = []
    for size in sizes:
        row = run_size(size, args.repeats, args.image, args.seed, args.anneal_sweeps,
                       args.gibbs_sweeps, args.neighbourhood)
        rows.append(row)

        def fmt(v, spec):
            return "-" if v is None else format(v, spec)

        print(f"{size:>6} {row['map_seconds']:>8.4f} {row['map_build_seconds']:>8.4f} "
              f"{fmt(row['pymaxflow_seconds'], '>11.4f')} {fmt(row['ratio'], '>6.2f')} "
              f"{str(row['same_minimum']):>6} {100 * row['map_error']:>7.3f}% "
              f"{100 * row['icm_error']:>7.3f}% {100 * row['anneal_error']:>9.3f}% "
              f"{100 * row['mpm_error']:>7.3f}% {100 * row['mean_field_error']:>6.3f}%")
        print(f"       times: ICM {row['icm_seconds']:.3f} s, annealing ({row['anneal_sweeps']} "
              f"sweeps) {row['anneal_seconds']:.3f} s, Gibbs MPM ({row['mpm_sweeps']} sweeps) "
              f"{row['mpm_seconds']:.3f} s, mean field {row['mean_field_seconds']:.3f} s"
              + (f", SciPy Dinic {row['scipy_seconds']:.3f} s (E {row['scipy_energy']:.6f} vs "
                 f"{row['map_energy']:.6f})" if "scipy_seconds" in row else ""))
    last = dict(rows[-1])
    last["sizes_run"] = [r["size"] for r in rows]
    last["ratio_by_size"] = {str(r["size"]): r["ratio"] for r in rows}
    print(json.dumps(last))


if __name__ == "__main__":
    main()
