"""Benchmark: spin updates per nanosecond of every Ising sampler near T_c.

At L = 256 and 1024 (``--quick``: 256 only) and T = T_c, each of our samplers
is timed beside two references measured in the same run:

- ``baseline``: a plain single-site numba Metropolis written here (sequential
  sweep, precomputed acceptance ratios, numba's ``np.random``), serial;
- ``mcising``: the Rust single-spin Metropolis of the ``mcising`` package, when installed.

Updates counted: multi-spin = replicas x L^2 per sweep (64 replicas per word; also
timed with one 64-replica group per thread, which runs without per-sweep barriers);
Metropolis/Gibbs/baseline/mcising = L^2 per sweep; Wolff = spins actually flipped;
Swendsen–Wang = L^2 per sweep.
Each timing is the median of ``--repeats`` runs of about ``--seconds`` each, after a
warm-up (numba compilation is never timed). Our samplers are timed with numba on
every thread and on one thread; the better of the two is reported (the
machine is shared, and waking threads costs more than it gains on a loaded box).

Usage::

    python benchmarks/ising_throughput.py            # L = 256 and 1024
    python benchmarks/ising_throughput.py --quick    # L = 256, well within a minute

The last line printed is one JSON object (for the largest L run).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time

import numba
import numpy as np

from boltz.ising import T_C, IsingLattice
from boltz.samplers import get_algorithm
from boltz.samplers.cluster import calibrate_wolff

try:
    import mcising
except ImportError:  # the peer is optional
    mcising = None


@numba.njit(cache=True)
def baseline_metropolis(spins, beta, n_sweeps, seed):
    """Plain single-site Metropolis on a periodic L x L lattice (the reference)."""
    np.random.seed(seed)  # noqa: NPY002 (numba's per-thread generator: the plain way)
    L = spins.shape[0]
    ratio = np.empty(5)                       # index (s * sum + 4) / 2: dE = 2 s sum
    for k in range(5):
        ratio[k] = min(1.0, math.exp(-beta * 2.0 * (2 * k - 4)))
    for _ in range(n_sweeps):
        for x in range(L):
            xp = x + 1 if x < L - 1 else 0
            xm = x - 1 if x > 0 else L - 1
            for y in range(L):
                yp = y + 1 if y < L - 1 else 0
                ym = y - 1 if y > 0 else L - 1
                s = spins[x, y]
                k = (s * (spins[xp, y] + spins[xm, y] + spins[x, yp] + spins[x, ym]) + 4) >> 1
                if k <= 2 or np.random.random() < ratio[k]:  # noqa: NPY002
                    spins[x, y] = -s


def timed(run_sweeps, updates_per_sweep, seconds, repeats):
    """Median updates/ns over ``repeats`` runs of about ``seconds`` each."""
    run_sweeps(1)                                           # warm-up (and compile)
    t = time.perf_counter()
    run_sweeps(1)
    per_sweep = max(time.perf_counter() - t, 1e-6)
    n = max(1, int(seconds / per_sweep))
    rates = []
    for _ in range(repeats):
        t = time.perf_counter()
        done = run_sweeps(n)
        dt = time.perf_counter() - t
        updates = done if done is not None else n * updates_per_sweep
        rates.append(updates / dt / 1e9)
    return statistics.median(rates)


def ours(L, name, seconds, repeats, threads, chains=1):
    model = IsingLattice(L, temperature=T_C)
    alg = get_algorithm(model, name)
    state = alg.init(n_chains=chains, seed=0)
    if name == "wolff":
        calibrate_wolff(alg, state, 200, burnin_sweeps=10)
    else:
        alg.step(state, 20 if L <= 256 else 5)             # leave the random start
    numba.set_num_threads(threads)

    def run(n):
        if name == "wolff":
            before = int(np.sum(state.info.get("flipped", 0)))
            alg.step(state, n)
            return int(np.sum(state.info["flipped"])) - before
        alg.step(state, n)
        return None

    try:
        return timed(run, chains * L * L, seconds, repeats)
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)


def baseline(L, seconds, repeats):
    spins = np.ones((L, L), dtype=np.int8)
    baseline_metropolis(spins, 1 / T_C, 20, 0)
    return timed(lambda n: baseline_metropolis(spins, 1 / T_C, n, 1), L * L, seconds, repeats)


def peer_mcising(L, seconds, repeats):
    if mcising is None:
        return None
    sim = mcising.IsingSimulation(L, 1.0, 0.0, 0.0, 0.0, 0, algorithm="metropolis")
    sim.sweep(20, temperature=T_C)
    return timed(lambda n: sim.sweep(n, temperature=T_C) and None, L * L, seconds, repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="L = 256 only")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per timing")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [256] if args.quick else [256, 1024]
    seconds = args.seconds or (0.25 if args.quick else 1.0)
    max_threads = numba.config.NUMBA_NUM_THREADS
    print(f"cpus: {os.cpu_count()}, numba threads: {max_threads}, "
          f"load average: {os.getloadavg()[0]:.2f}")
    algos = ["multispin", "metropolis", "gibbs", "random_metropolis", "wolff", "swendsen_wang"]
    result = {}
    for L in sizes:
        row = {"L": L}
        for name in algos:
            # (threads, chains): multi-spin runs 64 replicas per word; with at least one
            # 64-replica group per thread, whole groups run in parallel without barriers
            configs = [(t, 1) for t in sorted({1, max_threads})]
            if name == "multispin":
                configs = [(t, 64) for t in sorted({1, max_threads})]
                if max_threads > 1:
                    configs.append((max_threads, 64 * max_threads))
            rates = {c: ours(L, name, seconds, args.repeats, *c) for c in configs}
            best = max(rates, key=rates.get)
            row[f"{name}_updates_per_ns"] = rates[best]
            row[f"{name}_threads"] = best[0]
            if name == "multispin":
                row["multispin_replicas"] = best[1]
            detail = ", ".join(f"{t} thr/{c} ch: {v:.3f}" for (t, c), v in rates.items())
            print(f"L={L:5d} {name:18s} {rates[best]:8.3f} updates/ns  ({detail})",
                  flush=True)
        row["baseline_updates_per_ns"] = baseline(L, seconds, args.repeats)
        print(f"L={L:5d} {'baseline (numba)':18s} {row['baseline_updates_per_ns']:8.3f} "
              "updates/ns", flush=True)
        row["mcising_updates_per_ns"] = peer_mcising(L, seconds, args.repeats)
        if row["mcising_updates_per_ns"] is not None:
            print(f"L={L:5d} {'mcising (Rust)':18s} {row['mcising_updates_per_ns']:8.3f} "
                  "updates/ns", flush=True)
        mc = row["mcising_updates_per_ns"]
        base = row["baseline_updates_per_ns"]
        row["multispin_vs_mcising"] = None if mc is None else row["multispin_updates_per_ns"] / mc
        row["metropolis_vs_mcising"] = (None if mc is None
                                        else row["metropolis_updates_per_ns"] / mc)
        row["baseline_vs_mcising"] = None if mc is None else base / mc
        row["multispin_vs_baseline"] = row["multispin_updates_per_ns"] / base
        row["metropolis_vs_baseline"] = row["metropolis_updates_per_ns"] / base
        row["load_average"] = round(os.getloadavg()[0], 2)
        result = row
    print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v)
                      for k, v in result.items()}))


if __name__ == "__main__":
    main()
