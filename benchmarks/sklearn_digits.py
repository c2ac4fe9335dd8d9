"""scikit-learn's example "RBM features for digit classification", boltz's RBM dropped in.

    python benchmarks/sklearn_digits.py            # the example's settings, both RBMs
    python benchmarks/sklearn_digits.py --quick    # the same (it takes seconds)

The example: the 8x8 digits, each also shifted by one pixel in four
directions ("nudged", 5 x 1797 images), grey levels scaled to ``[0, 1]``,
80/20 split (``random_state=0``); a ``Pipeline`` of an RBM with
``n_components=100, learning_rate=0.06, n_iter=10, random_state=0`` and
``LogisticRegression(solver="newton-cg", C=6000)`` (the example's ``tol=1``
is left out: with scikit-learn 1.9 newton-cg then stops at its starting point
and both pipelines score 0.0968, chance). The RBM is scikit-learn's
``BernoulliRBM``, then boltz's :class:`boltz.rbm.BernoulliRBM` with the same
arguments (scikit-learn's names are aliases in boltz; every other argument is
boltz's default: PCD-1, batch 100, momentum 0.5, per-epoch monitoring), then
boltz's with scikit-learn's implicit defaults spelled out as well
(``batch_size=10, momentum=0``, no monitoring: the same algorithm). All take
the grey levels as given (probabilities as data in the positive phase).
BLAS is capped to ``--threads`` threads (default 1); each fit is timed
``--repeats`` times and the fastest kept (numba compiles on the first).

The last line printed is one JSON object: ``accuracy`` and ``fit_seconds``
(boltz's drop-in pipeline on the test split; the RBM fit alone),
``sklearn_accuracy``, ``sklearn_fit_seconds``, ``speedup``,
``same_algorithm_accuracy`` and ``same_algorithm_fit_seconds`` (boltz with
``batch_size=10, momentum=0``), and ``load_average``. The data are
scikit-learn's bundled digits (no download).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np


def nudged_digits():
    """The example's data: digits and their four one-pixel shifts, scaled to [0, 1]."""
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import minmax_scale

    X, y = load_digits(return_X_y=True)
    images = X.reshape(-1, 8, 8)
    shifted = [images]
    for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        moved = np.roll(images, step, axis=axis)
        edge = [slice(None)] * 3
        edge[axis] = 0 if step == 1 else -1
        moved[tuple(edge)] = 0  # shift in zeros, do not wrap around
        shifted.append(moved)
    X = np.concatenate([s.reshape(len(s), 64) for s in shifted])
    y = np.concatenate([y] * 5)
    return minmax_scale(X, feature_range=(0, 1)), y


def run_pipeline(rbm, X_train, X_test, y_train, y_test):
    """Fit ``rbm`` + the example's logistic regression; returns ``(accuracy, rbm_fit_seconds)``."""
    from sklearn.linear_model import LogisticRegression

    t0 = time.perf_counter()
    rbm.fit(X_train)
    fit_seconds = time.perf_counter() - t0
    logistic = LogisticRegression(solver="newton-cg", C=6000)
    logistic.fit(rbm.transform(X_train), y_train)
    return float(logistic.score(rbm.transform(X_test), y_test)), fit_seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="same run (the example takes seconds); kept for the convention")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for both RBMs")
    parser.add_argument("--repeats", type=int, default=3,
                        help="fits timed per RBM (the fastest is reported)")
    args = parser.parse_args(argv)
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import BernoulliRBM as SklearnRBM
    from threadpoolctl import threadpool_limits

    from boltz.rbm import BernoulliRBM

    X, y = nudged_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    example = dict(n_components=100, learning_rate=0.06, n_iter=10, random_state=0)
    results = {}
    with threadpool_limits(args.threads):
        for name, make in (
                ("sklearn", lambda: SklearnRBM(**example)),
                ("boltz", lambda: BernoulliRBM(**example, n_threads=args.threads)),
                ("same_algorithm", lambda: BernoulliRBM(**example, batch_size=10, momentum=0.0,
                                                        monitor_every=0,
                                                        n_threads=args.threads))):
            runs = [run_pipeline(make(), X_train, X_test, y_train, y_test)
                    for _ in range(max(1, args.repeats))]
            results[name] = (runs[0][0], min(r[1] for r in runs))
            print(f"{name:15s} accuracy {results[name][0]:.4f}  RBM fit {results[name][1]:.2f} s")
    out = {
        "accuracy": round(results["boltz"][0], 4),
        "sklearn_accuracy": round(results["sklearn"][0], 4),
        "fit_seconds": round(results["boltz"][1], 3),
        "sklearn_fit_seconds": round(results["sklearn"][1], 3),
        "speedup": round(results["sklearn"][1] / results["boltz"][1], 2),
        "same_algorithm_accuracy": round(results["same_algorithm"][0], 4),
        "same_algorithm_fit_seconds": round(results["same_algorithm"][1], 3),
        "n_train": int(len(X_train)),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
