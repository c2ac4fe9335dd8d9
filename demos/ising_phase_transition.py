"""
The 2D Ising phase transition
=============================

Observables against temperature for several lattice sizes with Onsager's exact
curves overlaid, spin snapshots below, at and above T_c, and the
autocorrelation times of Wolff and Metropolis at T_c.

.. code-block:: bash

    python demos/ising_phase_transition.py --quick      # L = 8, 16; tau for L = 16
    python demos/ising_phase_transition.py              # L = 8, 16, 32; tau for L = 16, 32, 64

Writes ``observables.png`` and ``snapshots.png`` into ``--out`` (default
``out/ising_phase_transition``) and prints the integrated autocorrelation time of ``|m|`` in
sweeps for Wolff (one sweep = clusters flipping about N spins) and for
checkerboard Metropolis (run as the multi-spin sampler: the same Markov kernel
for each of 64 independent replicas, pooled for the estimate).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from boltz.ising import T_C, IsingLattice, simulate  # noqa: E402
from boltz.plotting.ising import plot_observables, plot_spins  # noqa: E402


def phase_diagram(sizes, temps, sweeps, seed):
    runs = {}
    for L in sizes:
        runs[L] = []
        for k, T in enumerate(temps):
            run = simulate(IsingLattice(L, temperature=T), "wolff", n_sweeps=sweeps,
                           n_chains=2, seed=seed + 100 * L + k)
            runs[L].append(run)
            print(f"L={L:3d} T={T:.3f}  |m| = {run.abs_magnetization}  "
                  f"C = {run.specific_heat}  U4 = {run.binder}", flush=True)
    return runs


def autocorrelation_times(sizes, wolff_sweeps, metropolis_sweeps, seed):
    rows = []
    for L in sizes:
        model = IsingLattice(L, temperature=T_C)
        t0 = time.perf_counter()
        w = simulate(model, "wolff", n_sweeps=wolff_sweeps, n_burnin=200, n_chains=4,
                     seed=seed + L)
        t1 = time.perf_counter()
        m = simulate(model, "multispin", n_sweeps=metropolis_sweeps,
                     n_burnin=metropolis_sweeps // 5, n_chains=64, seed=seed + L)
        t2 = time.perf_counter()
        rows.append({"L": L, "tau_wolff": round(w.tau_abs_m, 2),
                     "tau_metropolis": round(m.tau_abs_m, 1),
                     "wolff_clusters_per_sweep": w.info["clusters_per_sweep"],
                     "seconds": round(t2 - t0, 1)})
        print(f"L={L:3d}  tau_|m| Wolff = {w.tau_abs_m:7.2f} sweeps ({t1 - t0:.1f} s)   "
              f"Metropolis = {m.tau_abs_m:8.1f} sweeps ({t2 - t1:.1f} s)", flush=True)
    return rows


def snapshots(L, temps, seed):
    spins, titles = [], []
    for T in temps:
        run = simulate(IsingLattice(L, temperature=T), "wolff", n_sweeps=50, n_chains=1,
                       seed=seed)
        spins.append(run.final_spins[0])
        titles.append(f"T = {T:.3f}" + (" (T_c)" if abs(T - T_C) < 1e-9 else ""))
    return plot_spins(np.array(spins), titles=titles, ncols=len(temps))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="The 2D Ising phase transition: observables, snapshots, tau at T_c.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="fewer sizes, temperatures and sweeps")
    parser.add_argument("--out", default="out/ising_phase_transition", help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.quick:
        sizes, temps, sweeps = (8, 16), np.linspace(1.8, 3.0, 7), 400
        tau_sizes, w_sweeps, m_sweeps = (16,), 1000, 2000
    else:
        sizes, temps, sweeps = (8, 16, 32), np.linspace(1.6, 3.2, 17), 2000
        tau_sizes, w_sweeps, m_sweeps = (16, 32, 64), 5000, 20000
    runs = phase_diagram(sizes, temps, sweeps, args.seed)
    fig = plot_observables(runs)
    fig.savefig(out / "observables.png", dpi=110)
    snap = snapshots(128, [1.8, T_C, 3.0], args.seed)
    snap.savefig(out / "snapshots.png", dpi=110)
    print(f"saved {out / 'observables.png'} and {out / 'snapshots.png'}")
    rows = autocorrelation_times(tau_sizes, w_sweeps, m_sweeps, args.seed)
    print(json.dumps({"tau_abs_m_at_T_c": rows}))


if __name__ == "__main__":
    main()
