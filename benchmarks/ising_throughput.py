"""Benchmark: spin updates per nanosecond of the Ising samplers near T_c, CPU and torch.

In one run, at T = T_c:

1. CPU single-site samplers per L (64, 256, 1024): checkerboard Metropolis and heat
   bath on one numba thread beside **mcising**'s single-spin Metropolis (Rust; the
   peer, when installed). Each is timed in wall-clock and in process CPU time:
   on a shared machine the CPU-time rate is the fair single-thread figure (a
   process that gets half a core shows half the wall rate), so the ratios to
   mcising are reported both ways and the headline uses CPU time.
2. CPU multi-spin (64 replicas per word) on one and on every numba thread, as medians
   and as best-of short bursts (``--only-multispin`` for this part alone).
3. The torch path on the CPU (checkerboard Metropolis and multi-spin).
4. With CUDA: the torch checkerboard (plain and ``torch.compile``) and multi-spin
   at large L, synchronised timings; ``null`` without a GPU.

Updates counted: single-site = L^2 per sweep, multi-spin = replicas x L^2 per sweep.
Each timing is the median of ``--repeats`` runs of about ``--seconds`` each after
a warm-up (numba compilation and torch.compile are never timed).

Usage::

    python benchmarks/ising_throughput.py              # full
    python benchmarks/ising_throughput.py --quick      # a minute or two
    python benchmarks/ising_throughput.py --gpu-only   # the device part only (a lent GPU)

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import time

import numba

from boltz.ising import T_C, IsingLattice
from boltz.samplers import get_algorithm

try:
    import mcising
except ImportError:  # the peer is optional
    mcising = None


def timed(run_sweeps, updates_per_sweep, seconds, repeats, sync=None):
    """Median (wall, cpu) updates/ns over ``repeats`` runs of about ``seconds`` each."""
    run_sweeps(1)                                           # warm-up (and compile)
    if sync:
        sync()
    t = time.perf_counter()
    run_sweeps(1)
    if sync:
        sync()
    per_sweep = max(time.perf_counter() - t, 1e-6)
    n = max(1, int(seconds / per_sweep))
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        run_sweeps(n)
        if sync:
            sync()
        dt, dc = time.perf_counter() - t, time.process_time() - c
        wall.append(n * updates_per_sweep / dt / 1e9)
        cpu.append(n * updates_per_sweep / max(dc, 1e-9) / 1e9)
    return statistics.median(wall), statistics.median(cpu)


def ours(L, name, seconds, repeats, threads, chains=1):
    model = IsingLattice(L, temperature=T_C)
    alg = get_algorithm(model, name)
    state = alg.init(n_chains=chains, seed=0)
    numba.set_num_threads(threads)
    try:
        alg.step(state, 5)                                 # leave the random start
        return timed(lambda n: alg.step(state, n), chains * L * L, seconds, repeats)
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)


def peer_mcising(L, seconds, repeats):
    if mcising is None:
        return None
    sim = mcising.IsingSimulation(L, 1.0, 0.0, 0.0, 0.0, 0, algorithm="metropolis")
    sim.sweep(5, temperature=T_C)
    return timed(lambda n: sim.sweep(n, temperature=T_C), L * L, seconds, repeats)


def torch_rates(L, device, seconds, repeats, compile_=False, multispin=False, replicas=64):
    import torch

    from boltz.samplers.torch_lattice import torch_checkerboard
    from boltz.samplers.torch_multispin import torch_multispin

    model = IsingLattice(L, temperature=T_C)
    if multispin:
        alg, chains = torch_multispin(model, device=device), replicas
    else:
        alg, chains = torch_checkerboard(model, "metropolis", device=device,
                                         compile=compile_), 1
    state = alg.init(n_chains=chains, seed=0)
    sync = torch.cuda.synchronize if str(alg.device).startswith("cuda") else None
    alg.step(state, 2)
    return timed(lambda n: alg.step(state, n), chains * L * L, seconds, repeats, sync)


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def fmt(rate):
    return "n/a" if rate is None else f"{rate[0]:.4f} wall, {rate[1]:.4f} cpu"


def cpu_part(args, sizes, seconds, out):
    by_l, by_l_wall, gibbs_by_l = {}, {}, {}
    for L in sizes:
        sec = seconds * (2 if L >= 1024 else 1)
        met = ours(L, "metropolis", sec, args.repeats, 1)
        gib = ours(L, "gibbs", sec, args.repeats, 1)
        mc = peer_mcising(L, sec, args.repeats)
        print(f"L={L:5d} metropolis (1 thread)  {fmt(met)} updates/ns", flush=True)
        print(f"L={L:5d} heat bath  (1 thread)  {fmt(gib)} updates/ns", flush=True)
        print(f"L={L:5d} mcising    (Rust)      {fmt(mc)} updates/ns", flush=True)
        out[f"metropolis_1thread_L{L}_updates_per_ns"] = met[1]
        out[f"gibbs_1thread_L{L}_updates_per_ns"] = gib[1]
        out[f"mcising_L{L}_updates_per_ns"] = None if mc is None else mc[1]
        if mc is not None:
            by_l[str(L)] = met[1] / mc[1]
            by_l_wall[str(L)] = met[0] / mc[0]
            gibbs_by_l[str(L)] = gib[1] / mc[1]
            print(f"L={L:5d} metropolis / mcising: {by_l[str(L)]:.2f} (cpu time), "
                  f"{by_l_wall[str(L)]:.2f} (wall); heat bath / mcising "
                  f"{gibbs_by_l[str(L)]:.2f} (cpu); load {os.getloadavg()[0]:.2f}", flush=True)
    out["metropolis_vs_mcising_by_L"] = by_l or None
    out["metropolis_vs_mcising_by_L_wall"] = by_l_wall or None
    out["gibbs_vs_mcising_by_L"] = gibbs_by_l or None
    multispin_part(args, seconds, out)


def bursts(run_sweeps, updates_per_sweep, n_bursts, burst_seconds):
    """Best and median (wall, cpu) updates/ns over ``n_bursts`` short runs: on a shared
    machine the best burst is the one least disturbed by other processes."""
    run_sweeps(1)
    t = time.perf_counter()
    run_sweeps(1)
    n = max(1, int(burst_seconds / max(time.perf_counter() - t, 1e-6)))
    wall, cpu = [], []
    for _ in range(n_bursts):
        t, c = time.perf_counter(), time.process_time()
        run_sweeps(n)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        wall.append(n * updates_per_sweep / dt / 1e9)
        cpu.append(n * updates_per_sweep / max(dc, 1e-9) / 1e9)
    return (max(wall), statistics.median(wall)), (max(cpu), statistics.median(cpu))


def multispin_part(args, seconds, out):
    """CPU multi-spin at L = 256: one thread, every thread on one 64-replica group (rows
    of a colour in parallel), and one 64-replica group per thread (no barriers). Each
    as ``--repeats`` timings (median) and as best-of short bursts, wall and CPU time."""
    threads = numba.config.NUMBA_NUM_THREADS
    L = 256
    configs = [(1, 64)] + ([(threads, 64), (threads, 64 * threads)] if threads > 1 else [])
    n_bursts = 8 if args.quick else 20
    best, best_burst, per_core = 0.0, 0.0, 0.0
    by_config = {}
    for t, c in configs:
        model = IsingLattice(L, temperature=T_C)
        alg = get_algorithm(model, "multispin")
        state = alg.init(n_chains=c, seed=0)
        numba.set_num_threads(t)
        try:
            alg.step(state, 5)
            run = functools.partial(alg.step, state)
            rate = timed(run, c * L * L, seconds, args.repeats)
            wall, cpu = bursts(run, c * L * L, n_bursts, seconds / 4)
        finally:
            numba.set_num_threads(threads)
        load = os.getloadavg()[0]
        print(f"L={L:5d} multispin {t} thr / {c} replicas: {fmt(rate)} updates/ns (median); "
              f"bursts: best {wall[0]:.3f} wall, {cpu[0]:.3f} cpu, median {wall[1]:.3f} wall; "
              f"load {load:.2f}", flush=True)
        by_config[f"{t}thr_{c}rep"] = {"wall": rate[0], "cpu": rate[1], "burst_best_wall": wall[0],
                                       "burst_best_cpu": cpu[0], "load": load}
        best = max(best, rate[0])
        best_burst = max(best_burst, wall[0])
        per_core = max(per_core, cpu[0])
        if t == 1:
            out["multispin_1thread_updates_per_ns"] = rate[1]
    out["multispin_updates_per_ns"] = best         # wall clock: threads count here
    out["multispin_best_burst_updates_per_ns"] = best_burst
    # updates per CPU-second of the process: what each busy core delivers, load or not
    out["multispin_per_core_cpu_updates_per_ns"] = per_core
    out["multispin_by_config"] = by_config
    out["multispin_threads"] = threads


def torch_cpu_part(args, seconds, out):
    import torch

    L = 256
    threads = torch.get_num_threads()
    best, best_ms = 0.0, 0.0
    for t in sorted({1, threads}):
        torch.set_num_threads(t)
        rate = torch_rates(L, "cpu", seconds, args.repeats)
        ms = torch_rates(L, "cpu", seconds, args.repeats, multispin=True)
        print(f"L={L:5d} torch-cpu checkerboard ({t} threads): {fmt(rate)} updates/ns",
              flush=True)
        print(f"L={L:5d} torch-cpu multispin ({t} threads): {fmt(ms)} updates/ns", flush=True)
        best, best_ms = max(best, rate[0]), max(best_ms, ms[0])
    torch.set_num_threads(threads)
    out["torch_cpu_updates_per_ns"] = best          # wall clock, the better thread count
    out["torch_cpu_multispin_updates_per_ns"] = best_ms


def gpu_part(args, seconds, out):
    try:
        import torch
    except ImportError:
        return
    if not torch.cuda.is_available():
        return
    out["device_name"] = torch.cuda.get_device_name(0)
    best = {}
    for L in args.gpu_sizes:
        for comp in (False, True):
            try:
                rate = torch_rates(L, "cuda", seconds, args.repeats, compile_=comp)
            except Exception as exc:  # noqa: BLE001 (report a failed compile, keep measuring)
                print(f"L={L} torch.compile={comp}: failed ({type(exc).__name__}: {exc})")
                continue
            print(f"L={L:5d} cuda checkerboard compile={comp}: {rate[0]:.2f} updates/ns",
                  flush=True)
            key = "compiled" if comp else "plain"
            best[key] = max(best.get(key, 0.0), rate[0])
        ms = torch_rates(L, "cuda", seconds, args.repeats, multispin=True,
                         replicas=args.gpu_replicas)
        print(f"L={L:5d} cuda multispin ({args.gpu_replicas} replicas): {ms[0]:.2f} updates/ns",
              flush=True)
        out["gpu_multispin_updates_per_ns"] = max(out.get("gpu_multispin_updates_per_ns") or 0,
                                                  ms[0])
        torch.cuda.empty_cache()
    out["gpu_updates_per_ns"] = max(best.values()) if best else None
    out["gpu_checkerboard_by_mode"] = best or None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter timings (a minute or two)")
    parser.add_argument("--gpu-only", action="store_true", help="only the CUDA measurements")
    parser.add_argument("--only-multispin", action="store_true",
                        help="only the CPU multi-spin measurements (default: everything)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="seconds per timing (default 1.0; quick 0.3)")
    parser.add_argument("--repeats", type=int, default=3, help="timings per figure (default 3)")
    parser.add_argument("--gpu-sizes", type=int, nargs="+", default=[1024, 4096],
                        help="lattice sides on the GPU (default 1024 4096)")
    parser.add_argument("--gpu-replicas", type=int, default=256,
                        help="multi-spin replicas on the GPU, a multiple of 64 (default 256)")
    args = parser.parse_args(argv)
    seconds = args.seconds or (0.3 if args.quick else 1.0)
    sizes = [64, 256, 1024]
    load0 = os.getloadavg()
    print(f"cpus: {os.cpu_count()}, numba threads: {numba.config.NUMBA_NUM_THREADS}, "
          f"load average: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}", flush=True)
    out = {"metropolis_vs_mcising_by_L": None, "torch_cpu_updates_per_ns": None,
           "gpu_updates_per_ns": None, "gpu_multispin_updates_per_ns": None,
           "device_name": cpu_name()}
    if args.only_multispin:
        multispin_part(args, seconds, out)
    elif not args.gpu_only:
        cpu_part(args, sizes, seconds, out)
        torch_cpu_part(args, seconds, out)
    gpu_part(args, seconds, out)
    out["load_average_start"] = round(load0[0], 2)
    out["load_average_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(rounded(out)))


def rounded(v):
    """Floats to 4 significant places, recursively through dicts."""
    if isinstance(v, float):
        return float(f"{v:.4g}")
    if isinstance(v, dict):
        return {k: rounded(b) for k, b in v.items()}
    return v


if __name__ == "__main__":
    main()
