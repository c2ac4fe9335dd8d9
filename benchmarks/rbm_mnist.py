"""RBM on binarized MNIST: seconds per epoch beside scikit-learn, then AIS test log-likelihood.

    python benchmarks/rbm_mnist.py --quick      # speed comparison only (one epoch each)
    python benchmarks/rbm_mnist.py              # + the quality run (20 min training, AIS eval)

Speed: 500 hidden units, PCD-1, batch 100, plain SGD (no momentum), one epoch
over the 60,000 stochastically binarized training images, for boltz's
``BernoulliRBM`` (float32) and scikit-learn's ``BernoulliRBM`` (float64, the
same algorithm), same data, in one run. ``--threads N`` is boltz's ``n_threads``
(its numba kernels split rows over N threads, with bit-identical results, and
BLAS stays on one thread in training), torch's thread count and the BLAS
threads of scikit-learn (default 1: on the project's 2-core machine one epoch
took 5.2-5.5 s on one thread and 5.9-6.4 s on two, measured back to back on a
quiet machine; ``--threads 0`` leaves BLAS alone and runs boltz on one
thread). The JSON reports it as ``n_threads``.

Quality: centred PCD-1 without momentum on fresh draws of the grey levels,
the learning rate decaying linearly from ``--quality-lr`` to
``--final-lr-fraction`` of it over the ``--train-minutes`` of wall time
(``lr_schedule="linear_time"``; with ``--epochs N``, over N epochs instead,
still stopped by the time budget), then forward AIS (100 runs, 14,500 temperatures)
and the conservative reverse AIS on the 10,000 test images, the runs advanced
by ``--ais-workers`` threads. ``--binarize threshold`` trains and tests on
MNIST thresholded at 1/2 instead of stochastically binarized (the data of
PyDeep's ``RBM_MNIST_big`` example, whose log-likelihoods are not comparable
with stochastic binarization's). ``--train-draws dynamic`` trains the quality
model on a fresh Bernoulli draw of the grey levels at every minibatch
(``BernoulliRBM(binarize="dynamic")``) instead of on the one seed-0
binarization (the default since it scored a nat higher: -85.10 against
-86.10/-86.24 with ``fixed``); the test images and the AIS base rate are the
same either way.

The settings are the presets of :mod:`boltz.rbm.presets`: ``mnist-speed``
for the speed comparison (also run on the torch backend on the CPU,
``device="cpu-torch"``, unless ``--no-torch``) and ``mnist-pcd`` for the
quality run (the options below override it; their defaults are its values).

The last line printed is one JSON object: ``seconds_per_epoch``,
``torch_cpu_seconds_per_epoch``, ``sklearn_seconds_per_epoch``, ``speedup``
(wall time), the same in CPU seconds
(``cpu_*``: on a shared machine the work done, whatever share of a core the
run got) and the load average, and in the full run also
``test_loglik_ais``, ``test_loglik_conservative`` (the larger of the
reverse-AIS and forward ``+3 sigma`` log Z), ``test_loglik_reverse``, ``train_seconds``,
``ais_seconds``, ``reverse_ais_seconds``, ``ais_effective_sample_size``,
``epochs``, ``binarize`` and ``train_draws``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import time

import numpy as np


def _threads(n):
    if not n:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def speed_boltz(X, n_hidden, threads, seed=0, device=None):
    """Seconds (wall, CPU) of one epoch with the ``mnist-speed`` preset on ``device``."""
    from boltz.rbm import BernoulliRBM

    # the algorithm of scikit-learn's BernoulliRBM: PCD-1, plain SGD (no momentum)
    rbm = BernoulliRBM.from_preset("mnist-speed", n_hidden=n_hidden, seed=seed,
                                   n_threads=threads or None, device=device)
    rbm.fit(X[:500])  # compile the numba kernels / start CUDA outside the timing
    t0, c0 = time.perf_counter(), time.process_time()
    rbm.fit(X)
    return time.perf_counter() - t0, time.process_time() - c0


def speed_torch_cpu(X, n_hidden, threads, seed=0):
    """:func:`speed_boltz` on the torch backend on the CPU (``None`` without torch)."""
    try:
        import torch
    except ImportError:
        return None
    previous = torch.get_num_threads()
    torch.set_num_threads(threads or previous)
    try:
        return speed_boltz(X, n_hidden, threads, seed, device="cpu-torch")
    finally:
        torch.set_num_threads(previous)


def _device_name(device):
    if device is None or device == "cpu":
        return platform.processor() or platform.machine()
    import torch

    from boltz.backend.torch_backend import torch_device

    dev = torch_device(device)
    return torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"torch {dev}"


def speed_sklearn(X, n_hidden, threads, seed=0):
    try:
        from sklearn.neural_network import BernoulliRBM as SkRBM
    except ImportError:
        return None
    with _threads(threads):
        sk = SkRBM(n_components=n_hidden, batch_size=100, n_iter=1, learning_rate=0.05,
                   random_state=seed)
        X64 = X.astype(np.float64)
        t0, c0 = time.perf_counter(), time.process_time()
        sk.fit(X64)
        return time.perf_counter() - t0, time.process_time() - c0


#: overrides that may be None on purpose (None means: the preset's value otherwise)
NULLABLE = ("binarize", "device", "n_threads", "n_chains")


def quality_run(X, X_test, args, X_grey=None):
    """Train on ``X`` (or on fresh draws of ``X_grey`` when given); AIS on ``X_test``."""
    from boltz.rbm import BernoulliRBM, evaluate_log_likelihood

    start = time.perf_counter()
    overrides = {"n_hidden": args.hidden, "learning_rate": args.quality_lr,
                 "momentum": args.momentum, "final_lr_fraction": args.final_lr_fraction,
                 "weight_decay": args.weight_decay, "max_seconds": args.train_minutes * 60.0,
                 "k": args.k, "n_chains": args.chains, "n_threads": args.threads or None,
                 "binarize": None if X_grey is None else "dynamic", "device": args.device,
                 "verbose": True, "seed": args.seed}
    if args.epochs:  # decay over a number of epochs instead of the time budget
        overrides.update(n_epochs=args.epochs, lr_schedule="linear")
    else:
        overrides["n_epochs"] = args.max_epochs
    rbm = BernoulliRBM.from_preset("mnist-pcd", **{k: v for k, v in overrides.items()
                                                    if v is not None or k in NULLABLE})
    rbm.fit(X if X_grey is None else X_grey)
    train_s = time.perf_counter() - start
    res = evaluate_log_likelihood(rbm, X_test, X, n_runs=args.runs, n_betas=args.betas,
                                  n_gibbs=args.reverse_gibbs, seed=args.seed, progress=True,
                                  n_workers=args.ais_workers)
    if args.save:
        rbm.save(args.save)
    return rbm, train_s, res


def main(argv=None):
    from boltz.rbm.presets import preset

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="speed comparison only")
    ap.add_argument("--hidden", type=int, default=preset("mnist-speed")["n_hidden"])
    ap.add_argument("--threads", type=int, default=1,
                    help="boltz n_threads, torch threads and scikit-learn's BLAS threads "
                         "(default 1: on the project's 2-core machine the 2-thread kernels "
                         "ran slower than one thread; 0: BLAS as configured, boltz on one "
                         "thread)")
    recipe = preset("mnist-pcd")
    ap.add_argument("--train-minutes", type=float, default=recipe["max_seconds"] / 60.0)
    ap.add_argument("--max-epochs", type=int, default=100000,
                    help="cap on the epochs of the time-budgeted quality run")
    ap.add_argument("--quality-lr", type=float, default=recipe["learning_rate"])
    ap.add_argument("--final-lr-fraction", type=float, default=recipe["final_lr_fraction"])
    ap.add_argument("--momentum", type=float, default=recipe["momentum"])
    ap.add_argument("--binarize", choices=("stochastic", "threshold"), default="stochastic")
    ap.add_argument("--train-draws", choices=("fixed", "dynamic"), default=None,
                    help="quality run: train on the one binarization (fixed) or on a fresh "
                         "draw of the grey levels per minibatch (dynamic; the default "
                         "with --binarize stochastic)")
    ap.add_argument("--ais-workers", type=int, default=None,
                    help="threads advancing the AIS runs (default: one per core)")
    ap.add_argument("--weight-decay", type=float, default=recipe["weight_decay"])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--betas", type=int, default=14500)
    ap.add_argument("--reverse-gibbs", type=int, default=1000)
    ap.add_argument("--save", default=None, help="save the quality model here")
    ap.add_argument("--device", default=None,
                    help="torch device for boltz (e.g. cuda); default: the NumPy/numba path")
    ap.add_argument("--epochs", type=int, default=0,
                    help="quality-run epochs, the learning rate decaying over them (default: "
                         "as many as fit --train-minutes, decaying over the time)")
    ap.add_argument("--chains", type=int, default=None, help="persistent chains (default 100)")
    ap.add_argument("--k", type=int, default=1, help="Gibbs sweeps per update")
    ap.add_argument("--no-torch", action="store_true",
                    help="skip the torch-CPU epoch of the speed comparison")
    ap.add_argument("--no-speed", action="store_true",
                    help="skip the speed comparison (quality run only)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    os.environ.setdefault("BOLTZ_DATA", os.path.join(os.path.dirname(__file__), "..", "..",
                                                     "shared", "data"))
    from boltz.datasets import load_mnist

    X, _ = load_mnist("train", binarize=args.binarize, seed=0)
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"threads: {args.threads or 'default'}; X {X.shape}", flush=True)
    t_boltz = cpu_boltz = t_sk = cpu_sk = t_torch = cpu_torch = None
    if not args.no_speed:
        t_boltz, cpu_boltz = speed_boltz(X, args.hidden, args.threads, args.seed, args.device)
        print(f"boltz BernoulliRBM   PCD-1, {args.hidden} hidden: {t_boltz:7.2f} s/epoch "
              f"(CPU {cpu_boltz:.2f} s; device {args.device or 'cpu'})", flush=True)
        torch_cpu = None if args.no_torch else speed_torch_cpu(X, args.hidden, args.threads,
                                                               args.seed)
        t_torch, cpu_torch = torch_cpu if torch_cpu is not None else (None, None)
        if t_torch is not None:
            print(f"boltz BernoulliRBM   PCD-1 on torch-CPU: {t_torch:7.2f} s/epoch "
                  f"(CPU {cpu_torch:.2f} s)", flush=True)
        sk = speed_sklearn(X, args.hidden, args.threads, args.seed)
        t_sk, cpu_sk = sk if sk is not None else (None, None)
        if t_sk is not None:
            print(f"sklearn BernoulliRBM PCD-1, {args.hidden} hidden: {t_sk:7.2f} s/epoch "
                  f"(CPU {cpu_sk:.2f} s; boltz is {t_sk / t_boltz:.1f}x faster)", flush=True)
    # Wall time is what a user waits; on a shared machine CPU time (process_time, all
    # threads) shows the work done, independent of how much of a core the run got.
    result = {
        "benchmark": "rbm_mnist",
        "n_hidden": args.hidden,
        "n_threads": args.threads or 1,
        "blas_threads": args.threads or "default",
        "device": args.device or "cpu",
        "device_name": _device_name(args.device),
        "seconds_per_epoch": None if t_boltz is None else round(t_boltz, 3),
        "torch_cpu_seconds_per_epoch": None if t_torch is None else round(t_torch, 3),
        "sklearn_seconds_per_epoch": None if t_sk is None else round(t_sk, 3),
        "speedup": None if t_sk is None else round(t_sk / t_boltz, 2),
        "cpu_seconds_per_epoch": None if cpu_boltz is None else round(cpu_boltz, 3),
        "torch_cpu_cpu_seconds_per_epoch": None if cpu_torch is None else round(cpu_torch, 3),
        "sklearn_cpu_seconds_per_epoch": None if cpu_sk is None else round(cpu_sk, 3),
        "cpu_speedup": None if cpu_sk is None else round(cpu_sk / cpu_boltz, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    if not args.quick:
        X_test, _ = load_mnist("test", binarize=args.binarize, seed=0)
        X_grey = None
        if args.train_draws is None:
            args.train_draws = "dynamic" if args.binarize == "stochastic" else "fixed"
        if args.train_draws == "dynamic":
            if args.binarize != "stochastic":
                ap.error("--train-draws dynamic needs --binarize stochastic")
            X_grey, _ = load_mnist("train")
        rbm, train_s, res = quality_run(X, X_test, args, X_grey)
        print(f"quality run: {rbm.n_iter_} epochs in {train_s:.0f} s; AIS test LL "
              f"{res['test_loglik_ais']:.2f}, conservative {res['test_loglik_conservative']:.2f} "
              f"({res['n_runs']} runs x {res['n_betas']} temperatures, "
              f"{res['ais_seconds']:.1f} s)", flush=True)
        result.update({
            "epochs": rbm.n_iter_,
            "lr_schedule": rbm.lr_schedule,
            "quality_learning_rate": args.quality_lr,
            "final_lr_fraction": args.final_lr_fraction,
            "momentum": args.momentum,
            "weight_decay": args.weight_decay,
            "persistent_chains": args.chains or 100,
            "k": args.k,
            "train_seconds": round(train_s, 1),
            "test_loglik_ais": round(res["test_loglik_ais"], 3),
            "test_loglik_conservative": round(res["test_loglik_conservative"], 3),
            "test_loglik_reverse": round(res["test_loglik_reverse"], 3),
            "reverse_below_forward": res["reverse_below_forward"],
            "log_z_ais_range": [round(v, 3) for v in res["log_z_ais_range"]],
            "ais_runs": res["n_runs"],
            "ais_temperatures": res["n_betas"],
            "ais_seconds": round(res["ais_seconds"], 1),
            "ais_effective_sample_size": round(res["ais_effective_sample_size"], 1),
            "binarize": args.binarize,
            "train_draws": args.train_draws,
            "reverse_ais_seconds": round(res["reverse_ais_seconds"], 1),
        })
    print(json.dumps(result))


if __name__ == "__main__":
    main()
