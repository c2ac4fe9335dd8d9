"""Image generation on MNIST: conv EBM, score model, RBM and DBM scored on one metric.

Each model is trained within ``--minutes`` of wall time (the issue's budget is
20 minutes per model on the 2-core CPU), then ``--n-samples`` samples are drawn
and scored by :mod:`boltz.deep.sample_quality`: the Fréchet distance on the
penultimate features of a small CNN classifier (trained once, >= 99% test
accuracy, cached) against the 10,000 test digits, the class histogram and its
entropy (``log 10 = 2.303`` nats when every digit is equally frequent). The
floor is the same number of training digits scored against the test set.

- ``score_model``: :class:`~boltz.deep.score_models.NoiseConditionalScoreNet`
  trained by DSM on a continuum of noise levels (weights averaged), sampled by
  Heun's method on the probability-flow ODE from ``sigma_max`` noise
  (Karras et al. 2022), ending with a denoising step; ``--score-settings``
  changes the recipe (e.g. ``width=64,sigma_max=16`` on a GPU). It trains on
  28x28 digits with 2x2 pixel blocks folded into channels (``patch``), so its
  U-Net costs what a 14x14 one does.
- ``ebm``: :class:`~boltz.deep.image_energies.ConvImageEnergy` trained by
  persistent short-run Langevin with a replay buffer; the samples are the
  buffer's chains advanced by one more short run (5% of chains restart from noise at
  each draw during training, none at the end). It trains on digits
  area-downsampled to 14x14 (``EBM_SETTINGS["size"]``, for the CPU budget);
  its samples are upsampled (nearest neighbour) to 28x28 to be scored, and the
  table shows the floor of training digits sent through the same down- and
  upsampling.
- ``rbm``: ``BernoulliRBM.from_preset("mnist-pcd")`` (500 hidden units) with
  its time budget set to ``--minutes``; samples: 1000 block-Gibbs sweeps from
  the independent-units model, shown as ``E[v | h]``.
- ``dbm``: ``DeepBoltzmannMachine.from_preset("mnist")`` (784-500-1000) with
  ``--dbm-pretrain-epochs`` of pretraining per layer, then ``--minutes`` of
  joint training (the preset's ``max_seconds`` bounds joint training only, so
  its ``train_seconds`` exceed the budget by the pretraining: 1251 s for 20
  minutes, measured); samples: 1000 Gibbs sweeps, shown as ``p(v | h1)``.

The figure (``--out``, default ``out/ebm_images/samples.png``) shows 64
samples per model, with its Fréchet distance in the title. The last line
printed is one JSON object with ``fid_ebm``, ``fid_score_model``, ``fid_rbm``,
``fid_dbm``, ``fid_floor``, ``class_entropy_*``, ``min_class_fraction_*``,
``train_seconds`` and ``cpu_seconds`` (per model: wall time of training, CPU
time of training and sampling), ``n_samples``, ``classifier_test_accuracy``,
``device``, ``loadavg``.

    python benchmarks/ebm_images.py --quick          # 15 s per model, 300 samples
    python benchmarks/ebm_images.py [--minutes 20] [--n-samples 10000] [--jobs 2]
    python benchmarks/ebm_images.py --device cuda    # the torch models on a GPU
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("BOLTZ_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))

MODELS = ("score_model", "ebm", "rbm", "dbm")


def _torch_setup(threads):
    import torch

    torch.set_num_threads(threads)
    return torch


def run_score_model(args, seconds):
    """Train the score model for ``seconds``; ``n_samples`` probability-flow samples."""
    torch = _torch_setup(args.threads)
    from boltz.deep.image_recipes import mnist_images, resize, sample_score_model, train_score_model

    model, res = train_score_model(mnist_images("train"), seconds=seconds, seed=args.seed,
                                   device=args.device, **args.score_settings)
    t0 = time.perf_counter()
    x = sample_score_model(model, args.n_samples, res["settings"], seed=args.seed + 1)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    cfg = res["settings"]
    return {"samples": resize(x, 28).cpu().numpy().reshape(-1, 784),
            "train_seconds": res["seconds"],
            "updates": res["n_steps"], "sample_seconds": time.perf_counter() - t0,
            "note": f"{res['n_steps']} DSM updates at {cfg['size']}px, width {cfg['width']}, "
                    f"{2 * cfg['sample_steps'] - 1} score evaluations per sample"}


def run_ebm(args, seconds):
    """Train the conv EBM for ``seconds``; buffer chains advanced by one more short run."""
    torch = _torch_setup(args.threads)
    from boltz.deep.image_recipes import EBM_SETTINGS, mnist_images, resize, train_conv_ebm

    model, pcd, res = train_conv_ebm(mnist_images("train"), seconds=seconds, seed=args.seed,
                                     device=args.device,
                                     buffer_size=max(args.n_samples, EBM_SETTINGS["buffer_size"]))
    t0 = time.perf_counter()
    pcd.reinit_prob = pcd.buffer.reinit_prob = 0.0       # sampling: no restarts from noise
    states = pcd.buffer.states
    gen = torch.Generator(device=states.device).manual_seed(args.seed + 1)
    xs = [_short_run(pcd, model, states[i:i + 500], gen) for i in range(0, args.n_samples, 500)]
    x_noise = pcd.buffer.noise(64)
    for _ in range(10):                                 # 10 short runs from uniform noise
        x_noise = _short_run(pcd, model, x_noise, gen)
    return {"samples": resize(torch.cat(xs)[: args.n_samples], 28).cpu().numpy().reshape(-1, 784),
            "from_noise": resize(x_noise, 28).cpu().numpy().reshape(-1, 784),
            "from_noise_steps": 10 * pcd.n_steps,
            "train_seconds": res["seconds"], "updates": res["n_steps"],
            "sample_seconds": time.perf_counter() - t0,
            "note": f"{res['n_steps']} PCD updates" + (" (diverged)" if res["diverged"] else "")}


def _short_run(pcd, model, x, gen):
    """One short run of ``pcd``'s Langevin chains from ``x`` (the buffer left untouched)."""
    persistent, pcd.persistent = pcd.persistent, False
    try:
        return pcd.negatives(model, x, gen)
    finally:
        pcd.persistent = persistent


def run_rbm(args, seconds):
    """The library's RBM (``mnist-pcd`` preset) trained for ``seconds``; Gibbs samples."""
    from boltz.datasets import load_mnist
    from boltz.rbm import BernoulliRBM

    x, _ = load_mnist("train")
    t0 = time.perf_counter()
    rbm = BernoulliRBM.from_preset("mnist-pcd", max_seconds=seconds, seed=args.seed,
                                   n_threads=args.threads)
    rbm.fit(x)
    train = time.perf_counter() - t0
    t0 = time.perf_counter()
    v = rbm.sample(args.n_samples, seed=args.seed + 1, n_steps=args.gibbs_sweeps)
    mean = rbm.visible_mean(rbm.sample_hidden(v, seed=args.seed + 2))
    return {"samples": mean.astype(np.float32), "train_seconds": train,
            "sample_seconds": time.perf_counter() - t0,
            "note": f"{args.gibbs_sweeps} Gibbs sweeps"}


def run_dbm(args, seconds):
    """The library's DBM (``mnist`` preset): pretraining, then ``seconds`` of joint training;
    Gibbs samples."""
    from boltz.datasets import load_mnist
    from boltz.dbm import DeepBoltzmannMachine

    x, _ = load_mnist("train")
    t0 = time.perf_counter()
    dbm = DeepBoltzmannMachine.from_preset("mnist", pretrain_epochs=args.dbm_pretrain_epochs,
                                           seed=args.seed, n_threads=args.threads,
                                           max_seconds=seconds)
    dbm.fit(x)
    train = time.perf_counter() - t0
    t0 = time.perf_counter()
    v = dbm.gibbs_sample(args.n_samples, n_steps=args.gibbs_sweeps, seed=args.seed + 1)
    return {"samples": np.asarray(v, dtype=np.float32), "train_seconds": train,
            "sample_seconds": time.perf_counter() - t0,
            "note": f"{args.dbm_pretrain_epochs} pretraining epochs per layer"}


RUNNERS = {"score_model": run_score_model, "ebm": run_ebm, "rbm": run_rbm, "dbm": run_dbm}


def _run(name, args):
    """Train and sample one model; adds the CPU seconds this process spent (training and
    sampling), which on a shared machine say how much work the wall-time budget bought."""
    c0 = time.process_time()
    res = RUNNERS[name](args, 60.0 * args.minutes)
    res["cpu_seconds"] = time.process_time() - c0
    return name, res


def _figure(results, scores, floor, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from boltz.plotting import image_grid

    panels = [(n, results[n]["samples"][:64]) for n in results]
    if "ebm" in results and "from_noise" in results["ebm"]:
        panels.insert(list(results).index("ebm") + 1, ("ebm (from noise)",
                                                      results["ebm"]["from_noise"][:64]))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.8))
    for ax, (name, x) in zip(np.atleast_1d(axes), panels, strict=True):
        key = name.split(" ")[0]
        title = name
        if name == key and key in scores:
            title += f"\nFD {scores[key]['fid']:.2f} (floor {floor:.2f})"
        else:
            title += f"\n{results['ebm']['from_noise_steps']} Langevin steps from uniform noise"
        image_grid(np.clip(x, 0, 1).reshape(-1, 28, 28), ncols=8, ax=ax, title=title)
    fig.suptitle("MNIST samples per model (Fréchet distance on classifier features)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=70, bbox_inches="tight")
    return path


def _parse_settings(parser, text):
    """``'key=value,...'`` to a dict of SCORE_SETTINGS overrides (values parsed as numbers)."""
    from boltz.deep.image_recipes import SCORE_SETTINGS

    out = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or key not in SCORE_SETTINGS:
            parser.error(f"--score-settings: expected key=value with a key of "
                         f"{sorted(SCORE_SETTINGS)}, got {item!r}")
        try:
            out[key] = type(SCORE_SETTINGS[key])(float(value))
        except ValueError:
            parser.error(f"--score-settings: {key} must be a number, got {value!r}")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="15 seconds per model, 300 samples, 100 Gibbs sweeps (a pipeline check)")
    p.add_argument("--minutes", type=float, default=20.0, help="training budget per model")
    p.add_argument("--n-samples", type=int, default=10000, help="samples scored per model")
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated models to run")
    p.add_argument("--device", default="cpu", help="torch device of the torch models "
                   "('auto': CUDA when available); the RBM and DBM run on NumPy")
    p.add_argument("--threads", type=int, default=1, help="threads per model (torch and BLAS)")
    p.add_argument("--jobs", type=int, default=1, help="models trained in parallel processes")
    p.add_argument("--gibbs-sweeps", type=int, default=1000, help="RBM/DBM Gibbs sweeps")
    p.add_argument("--dbm-pretrain-epochs", type=int, default=2,
                   help="DBM pretraining epochs per layer")
    p.add_argument("--score-settings", default="",
                   help="score-model settings to change, e.g. 'size=28,width=32,sigma_max=16' "
                        "(keys of boltz.deep.image_recipes.SCORE_SETTINGS)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--out", default="out/ebm_images/samples.png", help="sample figure")
    args = p.parse_args(argv)
    if args.quick:
        args.minutes, args.n_samples, args.gibbs_sweeps = 0.25, 300, 100
        args.dbm_pretrain_epochs = 1
    args.score_settings = _parse_settings(p, args.score_settings)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = sorted(set(models) - set(MODELS))
    if bad or not models:
        p.error(f"--models must name some of {', '.join(MODELS)}, got {args.models!r}")
    if args.n_samples < 2 or args.minutes <= 0 or args.jobs < 1 or args.threads < 1:
        p.error("--n-samples must be >= 2, --minutes > 0, --jobs and --threads >= 1")
    torch = _torch_setup(args.threads)
    from boltz.deep._utils import resolve_device
    from boltz.deep.image_recipes import SCORE_SETTINGS, mnist_images, resize
    from boltz.deep.sample_quality import (
        classifier_features,
        feature_statistics,
        frechet_distance,
        load_or_train_classifier,
        sample_quality,
    )

    args.device = str(resolve_device(args.device))
    device_name = (torch.cuda.get_device_name(torch.device(args.device))
                   if args.device.startswith("cuda") else platform.processor() or "cpu")
    t_all = time.perf_counter()
    clf, info = load_or_train_classifier(progress=True)
    print(f"classifier: test accuracy {info['test_accuracy']:.4f} "
          f"({'cached' if info['cached'] else 'trained'}, {info['train_seconds']:.0f}s) "
          f"{info['path']}", flush=True)
    test = mnist_images("test")
    ref = feature_statistics(classifier_features(clf, test))
    rng = np.random.default_rng(args.seed)
    train = mnist_images("train")[rng.choice(60000, args.n_samples, replace=False)]
    floor = frechet_distance(*feature_statistics(classifier_features(clf, train)), *ref)
    # the torch models' resolutions (upsampled to 28 to score): floor of digits sent through them
    from boltz.deep.image_recipes import EBM_SETTINGS

    score_side = args.score_settings.get("size", SCORE_SETTINGS["size"])
    sides = sorted({score_side * ("score_model" in models),
                    EBM_SETTINGS["size"] * ("ebm" in models)} - {0, 28})
    floors_resized = {side: frechet_distance(*feature_statistics(
        classifier_features(clf, resize(resize(train, side), 28))), *ref) for side in sides}
    results = {}
    if args.jobs == 1:
        for m in models:
            print(f"training {m} for {args.minutes:g} min ...", flush=True)
            results[m] = _run(m, args)[1]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for name, res in pool.map(_run, models, [args] * len(models)):
                results[name] = res
    scores = {m: sample_quality(clf, r["samples"], ref) for m, r in results.items()}
    print(f"\n{'model':12s} {'FD':>8s} {'FD/floor':>9s} {'entropy':>8s} {'min cls':>8s} "
          f"{'max cls':>8s} {'train s':>8s} {'sample s':>9s} {'CPU s':>7s}  note")
    for m, s in scores.items():
        r = results[m]
        print(f"{m:12s} {s['fid']:8.3f} {s['fid'] / floor:9.1f} {s['class_entropy']:8.3f} "
              f"{s['min_class_fraction']:8.3f} {s['max_class_fraction']:8.3f} "
              f"{r['train_seconds']:8.0f} {r['sample_seconds']:9.0f} {r['cpu_seconds']:7.0f}"
              f"  {r['note']}")
    print(f"{'floor':12s} {floor:8.3f} {1.0:9.1f}   (train vs test, {args.n_samples} digits)")
    for side, floor_resized in floors_resized.items():
        print(f"{'floor ' + str(side) + 'px':12s} {floor_resized:8.3f} {floor_resized / floor:9.1f}"
              f"   (train digits down to {side}x{side} and back up to 28x28, vs test)")
    for m, s in scores.items():
        print(f"  {m} classes: " + " ".join(f"{h:.3f}" for h in s["class_histogram"]))
    fig = _figure(results, scores, floor, Path(args.out))
    print(f"wrote {fig}")
    out = {f"fid_{m}": round(s["fid"], 4) for m, s in scores.items()}
    out["fid_floor"] = round(floor, 4)
    out.update({f"fid_floor_{side}px": round(v, 4) for side, v in floors_resized.items()})
    out.update({f"class_entropy_{m}": round(s["class_entropy"], 4) for m, s in scores.items()})
    out.update({f"min_class_fraction_{m}": round(s["min_class_fraction"], 4)
                for m, s in scores.items()})
    out["train_seconds"] = {m: round(r["train_seconds"], 1) for m, r in results.items()}
    out["cpu_seconds"] = {m: round(r["cpu_seconds"], 1) for m, r in results.items()}
    out["updates"] = {m: r["updates"] for m, r in results.items() if "updates" in r}
    if "score_model" in results:
        out["score_settings"] = {**SCORE_SETTINGS, **args.score_settings}
    out.update({"n_samples": args.n_samples, "minutes_per_model": args.minutes,
                "classifier_test_accuracy": round(info["test_accuracy"], 4),
                "device": f"{args.device} ({device_name})", "jobs": args.jobs,
                "threads": args.threads, "total_seconds": round(time.perf_counter() - t_all, 1),
                "loadavg": [round(v, 2) for v in os.getloadavg()]})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
