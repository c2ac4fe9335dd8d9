"""Benchmark boltz.deep: CD training throughput (beside TorchEBM), the score pitfall,
and (full run) grid KL of every objective on every 2D toy density.

    python benchmarks/ebm.py --quick     # throughput + score pitfall (< 2 min on CPU)
    python benchmarks/ebm.py             # + train each objective on each density

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from boltz.deep.energies import MLPEnergy
from boltz.deep.objectives import ContrastiveDivergence
from boltz.deep.toy import TOY_DENSITIES, make_toy, score_pitfall

# Fixed throughput setting, shared by both libraries.
HIDDEN = (128, 128)
BATCH = 256
K_STEPS = 10
STEP_SIZE = 0.01
REG = 0.001
LR = 1e-3


def _net():
    torch.manual_seed(0)
    return MLPEnergy(2, hidden=HIDDEN).net


def _data(n=20000, device="cpu"):
    return torch.as_tensor(make_toy("eight_gaussians").sample(n, seed=0), dtype=torch.float32,
                           device=device)


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def interleaved_rates(step_fns, n_steps, block=10, warmup=10, device="cpu"):
    """Steps/s of each step function, timed in alternating blocks (median of blocks).

    Alternating the libraries block by block keeps a load change on the shared
    machine from favouring whichever library happens to run first. On CUDA each
    block ends with a synchronisation, so queued kernels are counted.
    """
    for fn in step_fns:
        for _ in range(warmup):
            fn()
    _sync(device)
    rates = [[] for _ in step_fns]
    for _ in range(max(1, n_steps // block)):
        for i, fn in enumerate(step_fns):
            t0 = time.perf_counter()
            for _ in range(block):
                fn()
            _sync(device)
            rates[i].append(block / (time.perf_counter() - t0))
    return [float(np.median(r)) for r in rates]


def boltz_cd_step(device="cpu"):
    model = MLPEnergy(2, hidden=HIDDEN)
    model.net = _net()
    model.to(device)
    cd = ContrastiveDivergence(n_steps=K_STEPS, step_size=STEP_SIZE, reg=REG)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    data = _data(device=device)
    gen = torch.Generator(device=device).manual_seed(0)

    def step():
        x = data[torch.randint(0, len(data), (BATCH,), generator=gen, device=device)]
        loss, _ = cd(model, x, gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def torchebm_cd_step(device="cpu"):
    try:
        from torchebm.core import BaseModel
        from torchebm.losses import ContrastiveDivergence as TCD
        from torchebm.samplers import LangevinDynamics
    except ImportError:
        return None

    class Net(BaseModel):
        def __init__(self):
            super().__init__()
            self.net = _net()

        def forward(self, x):
            return self.net(x).squeeze(-1)

    model = Net().to(device)
    sampler = LangevinDynamics(model, step_size=STEP_SIZE, noise_scale=1.0)
    cd = TCD(model=model, sampler=sampler, k_steps=K_STEPS, energy_reg_weight=REG)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    data = _data(device=device)
    gen = torch.Generator(device=device).manual_seed(0)

    def step():
        x = data[torch.randint(0, len(data), (BATCH,), generator=gen, device=device)]
        loss, _ = cd(x, generator=gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def train_and_score(name, obj, n_steps, seed=0):
    """Train one objective on one density; grid KL and MMD of Langevin samples."""
    from boltz.deep.metrics import grid_kl, mmd
    from boltz.deep.recipes import train_toy
    from boltz.deep.samplers import LangevinSampler

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    toy = make_toy(name)
    model, res = train_toy(name, obj, n_steps=n_steps, seed=seed, progress=False)
    if res.diverged:
        return name, obj, None, None, res.message, time.perf_counter() - t0
    kl = grid_kl(toy.log_density, model, toy.bounds, n=200)
    x0 = torch.rand((1000, 2), generator=torch.Generator().manual_seed(1)) * 9 - 4.5
    xs = LangevinSampler(model, step_size=0.005).sample(x0, 500, seed=2)
    m = mmd(xs, toy.sample(1000, seed=3))
    return name, obj, round(kl, 4), round(m, 5), "", time.perf_counter() - t0


def grid_kl_table(n_steps, densities, objectives, jobs=1):
    from concurrent.futures import ProcessPoolExecutor

    table = {d: {} for d in densities}
    mmds = {d: {} for d in densities}
    tasks = [(d, o) for d in densities for o in objectives]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(train_and_score, d, o, n_steps) for d, o in tasks]
        for f in futures:
            name, obj, kl, m, note, secs = f.result()
            table[name][obj], mmds[name][obj] = kl, m
            print(f"{name:16s} {obj:9s} KL={kl}  MMD={m}  ({secs:.0f}s) {note}", flush=True)
    return table, mmds


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="throughput and score pitfall only")
    p.add_argument("--steps", type=int, default=None,
                   help="training steps per toy run (default: per objective, see recipes)")
    p.add_argument("--jobs", type=int, default=1, help="toy runs in parallel processes")
    p.add_argument("--densities", nargs="*", default=list(TOY_DENSITIES))
    p.add_argument("--objectives", nargs="*",
                   default=["cd", "pcd", "sm", "dsm", "dsm_multi", "ssm", "nce"],
                   help="objectives of the grid-KL table (default: all of recipes.TOY_OBJECTIVES)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu", help="torch device of the throughput runs")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    n_tp = 100 if args.quick else 300
    fns = [boltz_cd_step(args.device)]
    peer_fn = torchebm_cd_step(args.device)
    if peer_fn is not None:
        fns.append(peer_fn)
    rates = interleaved_rates(fns, n_tp, device=args.device)
    ours, peer = rates[0], (rates[1] if peer_fn is not None else None)
    print(f"CD training steps/s (MLP {HIDDEN}, batch {BATCH}, k={K_STEPS}, {args.device}, "
          f"{args.threads} thread): boltz {ours:.1f}, torchebm "
          f"{'absent' if peer is None else f'{peer:.1f}'}", flush=True)
    pit = score_pitfall(n_chains=4000 if args.quick else 10000, seed=0)
    print(f"score pitfall, fraction in the 0.8 mode: Langevin {pit['langevin_fraction']:.3f} "
          f"(target 0.5), annealed {pit['annealed_fraction']:.3f} (target 0.8)", flush=True)
    out = {
        "steps_per_second": round(ours, 2),
        "torchebm_steps_per_second": None if peer is None else round(peer, 2),
        "ratio_vs_torchebm": None if peer is None else round(ours / peer, 3),
        "pitfall_langevin_fraction": pit["langevin_fraction"],
        "pitfall_annealed_fraction": pit["annealed_fraction"],
        "device": args.device,
        "quick": bool(args.quick),
    }
    if not args.quick:
        table, mmds = grid_kl_table(args.steps, args.densities, args.objectives, args.jobs)
        out["grid_kl"] = table
        out["mmd"] = mmds
        out["best_grid_kl"] = {
            d: min((v for v in row.values() if v is not None), default=None)
            for d, row in table.items()
        }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
