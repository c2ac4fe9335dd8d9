"""Benchmark: two gloo ranks against one process, and Dask with two workers against one.

1. **Equality checks** (``matches_single_process``): on two gloo ranks, RBM AIS gives
   the same log-weights as one process with the same seed, parallel tempering the
   same chains, and the data-parallel ``fit`` with exact score matching the same loss
   curve (to 1e-12); and (``rbm_ddp_matches_single_process``,
   ``dbm_ddp_matches_single_process``) data-parallel RBM (PCD, torch backend) and DBM
   joint training give the parameters of one process to 1e-6 (float32 summation order)
   and the same persistent chains.
2. **DDP throughput**: ``fit`` of an MLP energy (denoising score matching, 2-D data,
   global batch ``--batch``) for ``--steps`` steps on one process and on two ranks
   (each with one torch thread), steps per second after a warm-up; and the same for
   the data-parallel RBM (PCD-1, 784 x ``--rbm-hidden``, global batch 100, 100 chains,
   torch backend): ``rbm_ddp_updates_per_second`` against ``rbm_single_updates_per_second``.
3. **Dask**: an Ising temperature scan (``--temps`` temperatures of an ``--L`` x ``--L``
   lattice, ``--sweeps`` Metropolis sweeps each) on a LocalCluster of one worker
   process and of two (one thread each, numba warmed up in each worker first);
   ``dask_speedup`` is the one-worker time over the two-worker time, and the two
   results must equal the serial ones.

On a GPU (``--device cuda``) the ranks use NCCL, one GPU each, and the JSON names the
device. This machine has 2 cores shared with other jobs: the load average is
printed beside the times, which are contended.

    python benchmarks/distributed.py --quick
    python benchmarks/distributed.py --steps 400 --temps 16 --sweeps 4000

The last line is one JSON object with ``world_size``, ``matches_single_process``,
``ddp_steps_per_second``, ``single_steps_per_second``, ``rbm_ddp_matches_single_process``,
``dbm_ddp_matches_single_process``, ``rbm_ddp_updates_per_second``,
``rbm_single_updates_per_second``, ``dask_workers``, ``dask_speedup`` and the load averages.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

# this file is named like Dask's ``distributed`` package: take its folder off the path
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))


# --- equality checks (run on each rank and in this process) -------------------------

def _ais(comm=None):
    from boltz.rbm import BernoulliRBM
    from boltz.rbm.ais import ais_log_partition

    rng = np.random.default_rng(3)
    rbm = BernoulliRBM.from_params(0.5 * rng.standard_normal((20, 8)),
                                   rng.standard_normal(20), rng.standard_normal(8))
    return ais_log_partition(rbm, n_runs=200, n_betas=500, seed=7, n_workers=1,
                             comm=comm).log_weights


def _pt(comm=None):
    from boltz.ising import IsingLattice
    from boltz.samplers.tempering import parallel_tempering

    pt = parallel_tempering(IsingLattice(8), np.linspace(0.2, 0.5, 6), "metropolis", comm=comm)
    state = pt.step(pt.init(n_replicas=2, seed=1), 200)
    return pt.spins(state)


def _sm_losses(comm=None):
    import torch

    from boltz.deep.energies import GaussianEnergy
    from boltz.deep.objectives import ScoreMatching
    from boltz.deep.training import fit

    data = torch.randn(400, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    model = GaussianEnergy([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], learnable=True)
    return np.array(fit(model, ScoreMatching(), data * 2 + 1, n_steps=30, batch_size=64,
                        lr=0.05, seed=5, progress=False, comm=comm).losses)


def _rbm_dp(comm=None, device="cpu-torch"):
    """Parameters and this rank's hidden chains after a small data-parallel PCD fit."""
    from boltz.rbm import BernoulliRBM

    X = (np.random.default_rng(0).random((600, 64)) < 0.3).astype(np.float32)
    m = BernoulliRBM(32, method="pcd", batch_size=50, n_chains=20, n_epochs=2, seed=0,
                     learning_rate=0.05, device=device).fit(X, comm=comm)
    return [a.copy() for a in m._param_arrays().values()], m._trainer.bk.to_numpy(
        m._trainer.chain_h)


def _dbm_dp(comm=None, device="cpu-torch"):
    """Parameters and all chains after one epoch of data-parallel DBM joint training."""
    from boltz.dbm import DeepBoltzmannMachine, train_dbm

    rng = np.random.default_rng(1)
    X = (rng.random((400, 32)) < 0.3).astype(np.float32)
    m = DeepBoltzmannMachine.from_parameters(
        [0.05 * rng.standard_normal((32, 16)).astype(np.float32),
         0.05 * rng.standard_normal((16, 8)).astype(np.float32)])
    train_dbm(m, X, n_epochs=1, batch_size=40, n_chains=20, seed=2, learning_rate=0.02,
              device=device, comm=comm)
    return [a.copy() for a in m.weights_ + m.biases_], m.chains_


def _rbm_dp_matches(ranks, single):
    params, chains = single
    return all(np.allclose(a, b, rtol=0, atol=1e-6) for r in ranks
               for a, b in zip(r[0]["rbm"][0], params, strict=True)) and np.array_equal(
        np.concatenate([r[0]["rbm"][1] for r in ranks]), chains)


def _dbm_dp_matches(ranks, single):
    params, chains = single
    return all(np.allclose(a, b, rtol=0, atol=1e-6) for r in ranks
               for a, b in zip(r[0]["dbm"][0], params, strict=True)) and all(
        np.array_equal(a, b) for r in ranks for a, b in zip(r[0]["dbm"][1], chains,
                                                            strict=True))


# --- DDP throughput ---------------------------------------------------------------

def _rbm_throughput(comm, n_hidden, device):
    """PCD-1 updates per second of a 784 x n_hidden RBM, one epoch over 4000 random binary
    rows (40 updates, after a warm-up fit; the fit's set-up and end-of-epoch monitoring
    are timed too)."""
    from boltz.rbm import BernoulliRBM

    X = (np.random.default_rng(3).random((4000, 784)) < 0.13).astype(np.float32)
    kw = dict(method="pcd", batch_size=100, n_chains=100, seed=0, learning_rate=0.01,
              device=device)
    BernoulliRBM(n_hidden, n_epochs=1, **kw).fit(X[:200], comm=comm)     # warm-up
    t0 = time.perf_counter()
    BernoulliRBM(n_hidden, n_epochs=1, **kw).fit(X, comm=comm)
    return 40 / (time.perf_counter() - t0)

def _throughput(comm, steps, batch, device):
    import torch

    from boltz.deep import DenoisingScoreMatching, MLPEnergy
    from boltz.deep.training import fit

    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(2)
    data = torch.randn(20000, 2, generator=gen) * torch.tensor([2.0, 0.5])
    model = MLPEnergy(2, hidden=(256, 256))
    kw = dict(batch_size=batch, lr=1e-3, seed=0, progress=False, comm=comm, device=device)
    fit(model, DenoisingScoreMatching(0.3), data, n_steps=5, **kw)         # warm-up
    if device and str(device).startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    res = fit(model, DenoisingScoreMatching(0.3), data, n_steps=steps, **kw)
    if device and str(device).startswith("cuda"):
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - t0), res.losses[-1]


def _rank_main(comm, steps, batch, device, rbm_hidden):
    checks = {"ais": _ais(comm), "pt": _pt(comm), "sm": _sm_losses(comm),
              "rbm": _rbm_dp(comm), "dbm": _dbm_dp(comm)}
    if device == "cuda":
        device = f"cuda:{comm.rank}"
    sps, _ = _throughput(comm, steps, batch, device)
    rbm_ups = _rbm_throughput(comm, rbm_hidden, device or "cpu-torch")
    return checks, sps, rbm_ups


# --- Dask ------------------------------------------------------------------------

def _scan_models(L, temps):
    from boltz.ising import IsingLattice

    return [IsingLattice(L, temperature=float(T)) for T in np.linspace(1.8, 3.0, temps)]


_ONE_THREAD = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def _warm_worker():
    from boltz.ising import IsingLattice, simulate

    simulate(IsingLattice(8), "metropolis", n_sweeps=5, seed=0)


def _dask_time(n_workers, models, sweeps):
    import distributed

    from boltz.ising import scan

    with distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None, env=_ONE_THREAD) as cluster, \
            distributed.Client(cluster) as client:
        client.run(_warm_worker)        # numba kernels loaded in every worker before timing
        t0 = time.perf_counter()
        runs = scan(models, "metropolis", n_sweeps=sweeps, seed=0, client=client)
        return time.perf_counter() - t0, runs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes, about two minutes")
    p.add_argument("--steps", type=int, default=300, help="timed fit steps (default 300)")
    p.add_argument("--batch", type=int, default=512, help="global batch (default 512)")
    p.add_argument("--temps", type=int, default=8, help="temperatures in the scan (default 8)")
    p.add_argument("--L", type=int, default=48, help="lattice side of the scan (default 48)")
    p.add_argument("--sweeps", type=int, default=3000,
                   help="Metropolis sweeps per temperature (default 3000)")
    p.add_argument("--rbm-hidden", type=int, default=500,
                   help="hidden units of the RBM throughput run (default 500)")
    p.add_argument("--device", default=None,
                   help="torch device of the DDP part: None (CPU, gloo) or cuda (NCCL, one "
                        "GPU per rank) (default CPU)")
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.temps, args.sweeps, args.L, args.rbm_hidden = 60, 6, 1500, 32, 200
    from boltz.distributed import spawn_ranks

    load = [os.getloadavg()]
    world = 2
    backend = "nccl" if args.device == "cuda" else "gloo"
    t0 = time.perf_counter()
    ranks = spawn_ranks(_rank_main, world, args.steps, args.batch, args.device,
                        args.rbm_hidden, backend=backend, timeout=1800)
    print(f"2 ranks ({backend}): {time.perf_counter() - t0:.1f} s with start-up", flush=True)
    single = {"ais": _ais(), "pt": _pt(), "sm": _sm_losses()}
    matches = all(
        np.array_equal(c["ais"], single["ais"])
        and np.array_equal(np.concatenate([r[0]["pt"] for r in ranks]), single["pt"])
        and np.allclose(c["sm"], single["sm"], rtol=1e-12, atol=1e-12)
        for c in [r[0] for r in ranks])
    print(f"AIS weights, PT chains, score-matching losses equal one process's: {matches}")
    rbm_matches = _rbm_dp_matches(ranks, _rbm_dp())
    dbm_matches = _dbm_dp_matches(ranks, _dbm_dp())
    print(f"data-parallel RBM (PCD) and DBM: parameters to 1e-6 and chains equal one "
          f"process's: RBM {rbm_matches}, DBM {dbm_matches}", flush=True)
    import torch

    torch.set_num_threads(1)
    single_sps, _ = _throughput(None, args.steps, args.batch,
                                "cuda" if args.device == "cuda" else None)
    ddp_sps = min(r[1] for r in ranks)
    rbm_single = _rbm_throughput(None, args.rbm_hidden,
                                 "cuda" if args.device == "cuda" else "cpu-torch")
    rbm_ddp = min(r[2] for r in ranks)
    load.append(os.getloadavg())
    print(f"fit steps/s (global batch {args.batch}): one process {single_sps:.1f}, "
          f"{world} ranks {ddp_sps:.1f}; RBM 784x{args.rbm_hidden} PCD updates/s: one "
          f"process {rbm_single:.1f}, {world} ranks {rbm_ddp:.1f}  (load {load[-1][0]:.1f})",
          flush=True)

    models = _scan_models(args.L, args.temps)
    t1, runs1 = _dask_time(1, models, args.sweeps)
    load.append(os.getloadavg())
    t2, runs2 = _dask_time(2, models, args.sweeps)
    load.append(os.getloadavg())
    same = all(np.array_equal(a.final_spins, b.final_spins) and a.energy.mean == b.energy.mean
               for a, b in zip(runs1, runs2, strict=True))
    print(f"Dask scan of {args.temps} temperatures, L={args.L}, {args.sweeps} sweeps: "
          f"1 worker {t1:.2f} s, 2 workers {t2:.2f} s, speedup {t1 / t2:.2f}; "
          f"results equal: {same}  (load {load[-1][0]:.1f}; contended: the 2 cores are shared)")
    device = "cpu"
    if args.device == "cuda":
        device = torch.cuda.get_device_name(0)
    print(json.dumps({
        "world_size": world,
        "matches_single_process": bool(matches and same and rbm_matches and dbm_matches),
        "rbm_ddp_matches_single_process": bool(rbm_matches),
        "dbm_ddp_matches_single_process": bool(dbm_matches),
        "rbm_ddp_updates_per_second": round(rbm_ddp, 2),
        "rbm_single_updates_per_second": round(rbm_single, 2), "rbm_hidden": args.rbm_hidden,
        "ddp_steps_per_second": round(ddp_sps, 2),
        "single_steps_per_second": round(single_sps, 2),
        "ddp_global_batch": args.batch, "ddp_backend": backend, "device": device,
        "dask_workers": 2, "dask_speedup": round(t1 / t2, 3),
        "dask_seconds_1_worker": round(t1, 2), "dask_seconds_2_workers": round(t2, 2),
        "dask_results_equal": bool(same), "load_average_1min": [round(x[0], 2) for x in load],
        "cpu_count": os.cpu_count(), "contended": load[-1][0] > (os.cpu_count() or 1) / 2,
        "quick": args.quick}))


if __name__ == "__main__":
    main()
