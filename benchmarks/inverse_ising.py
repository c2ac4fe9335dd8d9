"""Benchmark: learning pairwise MRFs from samples (the inverse Ising problem).

Models: Sherrington-Kirkpatrick (``J_ij ~ N(0, beta^2 / n)``, beta = 0.8, n = 20
and 64), a periodic 8 x 8 ferromagnetic lattice (J = 0.35, above T_c), and a
sparse Erdos-Renyi graph (n = 100, mean degree 3, ``|J| ~ U(0.3, 0.6)`` with
random signs); small random fields everywhere. Samples come from the library's
chromatic Gibbs sampler (1000 chains, burn-in 500 sweeps, one sample every 10
sweeps), N = 1e3, 1e4, 1e5 (``--quick``: 1e3 and 1e4, burn-in 200); for SK n = 20
the sampled moments are compared with the exact ones (enumeration).

Methods (``boltz.inverse_ising.InverseIsing``): symmetric pseudo-likelihood with
an L2 penalty ``alpha = 10 / N`` per pair (``pl``), minimum probability flow
(``mpf``, same penalty), PCD, naive mean field, TAP, Sessak-Monasson, and exact
ML for n = 20 (not in ``--quick``); pl and mpf stop at the peer's default gradient
tolerance (1e-4 on the mean loss). The peer is one scikit-learn
``LogisticRegression`` per node (Ravikumar et al. 2010), couplings averaged over
the two nodes of a pair, with the same penalty mapped to ``C = 4 / (alpha N)``
(sklearn minimises ``sum logloss + |w|^2 / (2 C)`` with ``w = 2 J``).

For each case: coupling RMSE over pairs, field RMSE, edge AUC (sparse graphs)
and seconds. The machine is shared; timings are under contention and the
load average is printed beside them. The last line is one JSON object: the
pseudo-likelihood method's figures (means over the cases) with per-case
breakdowns.

Usage::

    python benchmarks/inverse_ising.py            # every model, N = 1e3, 1e4, 1e5
    python benchmarks/inverse_ising.py --quick    # N = 1e3, 1e4 (pcd at 1e3); a minute or two
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time

import numpy as np

from boltz.inverse_ising import InverseIsing, edge_auc
from boltz.ising import IsingLattice, PairwiseMRF
from boltz.samplers.mrf import chromatic_gibbs

try:
    from sklearn.linear_model import LogisticRegression
except ImportError:  # the peer is optional
    LogisticRegression = None
try:
    from threadpoolctl import threadpool_limits
except ImportError:  # comes with scikit-learn; without it threads are left as they are
    def threadpool_limits(limits=None, user_api=None):
        return contextlib.nullcontext()

PENALTY_C = 10.0  # alpha = PENALTY_C / N for pl, mpf and the peer


def sk_model(n, beta=0.8, seed=0):
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(0.0, beta / np.sqrt(n), (n, n)), 1)
    return PairwiseMRF(J + J.T, h=rng.normal(0.0, 0.1, n)), None


def lattice_model(side=8, J=0.35, seed=0):
    rng = np.random.default_rng(seed)
    mrf = IsingLattice(side, J=J, h=rng.normal(0.0, 0.1, (side, side))).to_mrf()
    return mrf, mrf.couplings.toarray() != 0


def sparse_model(n=100, degree=3.0, seed=0):
    rng = np.random.default_rng(seed)
    edges = np.triu(rng.random((n, n)) < degree / (n - 1), 1)
    J = edges * rng.uniform(0.3, 0.6, (n, n)) * rng.choice([-1.0, 1.0], (n, n))
    J = J + J.T
    return PairwiseMRF(J, h=rng.normal(0.0, 0.1, n)), J != 0


def draw_samples(model, N, *, n_chains=1000, burn_in=500, thin=10, seed=0):
    """``N`` samples: ``N / n_chains`` per chain, ``thin`` sweeps apart, after ``burn_in``."""
    alg = chromatic_gibbs(model)
    state = alg.step(alg.init(n_chains=n_chains, seed=seed), burn_in)
    rows = []
    for _ in range(-(-N // n_chains)):
        state = alg.step(state, thin)
        rows.append(alg.spins(state).astype(np.float64).copy())
    return np.concatenate(rows)[:N]


def moment_check(model, X):
    """Largest |z| of the sampled magnetisations and correlations against enumeration."""
    from boltz.exact import ExactDistribution

    d = ExactDistribution(model)
    m, chi = d.marginals(), d.second_moments()
    N = X.shape[0]
    z_m = (X.mean(0) - m) / np.sqrt((1 - m ** 2) / N)
    iu = np.triu_indices(model.n_variables, 1)
    z_c = ((X.T @ X / N - chi)[iu]) / np.sqrt((1 - chi[iu] ** 2) / N)
    return float(max(np.abs(z_m).max(), np.abs(z_c).max()))


def sklearn_per_node(X, alpha):
    """Per-node logistic regressions; returns ``(J, h)`` with J averaged over i, j."""
    N, n = X.shape
    J = np.zeros((n, n))
    h = np.zeros(n)
    C = 4.0 / (alpha * N)
    for i in range(n):
        rest = np.delete(np.arange(n), i)
        lr = LogisticRegression(C=C, max_iter=1000).fit(X[:, rest], X[:, i])
        J[i, rest] = lr.coef_[0] / 2.0
        h[i] = lr.intercept_[0] / 2.0
    return 0.5 * (J + J.T), h


def scores(J_est, h_est, model, graph):
    J_true = model.couplings.toarray()
    iu = np.triu_indices(model.n_variables, 1)
    out = {"coupling_rmse": float(np.sqrt(np.mean((J_est - J_true)[iu] ** 2))),
           "field_rmse": float(np.sqrt(np.mean((h_est - model.field) ** 2)))}
    out["edge_auc"] = None if graph is None else edge_auc(J_est, graph)
    return out


def run_case(name, model, graph, X, methods, quick, n_threads):
    N = X.shape[0]
    alpha = PENALTY_C / N
    results = {}
    for method in methods:
        # the peer's default gradient tolerance (sklearn's tol=1e-4) for ours too
        kw = {"alpha": alpha, "tol": 1e-4} if method in ("pl", "mpf") else {}
        if method == "pcd":
            kw = {"n_chains": 500, "n_iter": 200 if quick else 500, "seed": 0}
        t = time.perf_counter()
        est = InverseIsing(method=method, n_threads=n_threads, **kw).fit(X)
        sec = time.perf_counter() - t
        results[method] = {**scores(est.coupling_, est.field_, model, graph), "seconds": sec}
    if LogisticRegression is not None:
        t = time.perf_counter()
        with threadpool_limits(limits=n_threads, user_api="blas"):
            J, h = sklearn_per_node(X, alpha)
        sec = time.perf_counter() - t
        results["sklearn"] = {**scores(J, h, model, graph), "seconds": sec}
    for method, r in results.items():
        auc = "   -  " if r["edge_auc"] is None else f"{r['edge_auc']:.4f}"
        print(f"{name:>10} N={N:>6} {method:>8}: J rmse {r['coupling_rmse']:.4f}  "
              f"h rmse {r['field_rmse']:.4f}  AUC {auc}  {r['seconds']:8.3f} s", flush=True)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 1e3 and 1e4 only, no exact ML")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads for our estimators and the peer alike (default 1: "
                             "on a shared machine threads wait at barriers)")
    args = parser.parse_args()
    sizes = [1000, 10000] if args.quick else [1000, 10000, 100000]
    burn_in = 200 if args.quick else 500
    cases = {"sk20": sk_model(20), "sk64": sk_model(64, seed=1),
             "lattice8": lattice_model(), "sparse100": sparse_model()}
    base = ["pl", "mpf", "pcd", "nmf", "tap", "sm"]
    print(f"load average before: {os.getloadavg()}, numba threads: "
          f"{__import__('numba').get_num_threads()}", flush=True)
    warm = draw_samples(sparse_model(20)[0], 200, n_chains=100, burn_in=10)
    for method in base:   # numba compilation and cache loading are never timed
        InverseIsing(method=method, n_iter=2, n_chains=10, n_threads=args.threads).fit(warm)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        if LogisticRegression is not None:
            sklearn_per_node(warm, 0.01)
    table = {}
    for name, (model, graph) in cases.items():
        t = time.perf_counter()
        X_all = draw_samples(model, max(sizes), burn_in=burn_in, seed=1)
        print(f"{name}: drew {X_all.shape[0]} samples in {time.perf_counter() - t:.1f} s",
              flush=True)
        if model.n_variables <= 20:
            print(f"{name}: largest |z| of sampled moments against exact enumeration "
                  f"({model.n_variables * (model.n_variables + 1) // 2} moments): "
                  f"{moment_check(model, X_all):.2f}", flush=True)
        methods = base + (["exact"] if model.n_variables <= 20 and not args.quick else [])
        for N in sizes:
            # pcd's cost does not depend on N: --quick runs it at the smallest N only
            todo = [m for m in methods if not (args.quick and m == "pcd" and N > sizes[0])]
            table[f"{name}_N{N}"] = run_case(name, model, graph, X_all[:N], todo, args.quick,
                                             args.threads)
    print(f"load average after: {os.getloadavg()}")
    keys = list(table)
    pl = [table[k]["pl"] for k in keys]
    sk = [table[k].get("sklearn") for k in keys]
    have_peer = all(s is not None for s in sk)
    aucs = [(p["edge_auc"], s["edge_auc"]) for p, s in zip(pl, sk, strict=True)
            if p["edge_auc"] is not None and s is not None]
    wins = [p["coupling_rmse"] <= s["coupling_rmse"] for p, s in zip(pl, sk, strict=True)] \
        if have_peer else []
    summary = {
        "method": "pl",
        "coupling_rmse": float(np.mean([p["coupling_rmse"] for p in pl])),
        "field_rmse": float(np.mean([p["field_rmse"] for p in pl])),
        "seconds": float(sum(p["seconds"] for p in pl)),
        "edge_auc": float(np.mean([a for a, _ in aucs])) if aucs else None,
        "sklearn_coupling_rmse": float(np.mean([s["coupling_rmse"] for s in sk]))
        if have_peer else None,
        "sklearn_seconds": float(sum(s["seconds"] for s in sk)) if have_peer else None,
        "sklearn_edge_auc": float(np.mean([b for _, b in aucs])) if aucs else None,
        "pl_rmse_le_sklearn_all_cases": bool(all(wins)) if have_peer else None,
        "time_ratio_pl_over_sklearn_max": float(max(p["seconds"] / s["seconds"]
                                                    for p, s in zip(pl, sk, strict=True)))
        if have_peer else None,
        "alpha_rule": f"{PENALTY_C:g}/N",
        "blas_threads": args.threads,
        "loadavg": list(os.getloadavg()),
        "cases": {k: {m: {kk: (round(v, 6) if isinstance(v, float) else v)
                          for kk, v in r.items()} for m, r in table[k].items()} for k in keys},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
