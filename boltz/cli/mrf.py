"""``boltz mrf fit``: learn a pairwise MRF (fully visible Boltzmann machine) from binary data.

Examples::

    boltz mrf fit spikes.npy --method pl --alpha 0.001          # writes out/mrf/model.npz
    boltz mrf fit small.npy --method exact --out exact.npz --overwrite

``DATA.npy`` holds an ``(n_samples, n_variables)`` array of spins in {-1, +1}
or of {0, 1} values. The model is written as ``.npz`` arrays ``J`` and ``h``
with JSON metadata (load it with ``boltz.inverse_ising.load_inverse_ising``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._common import add_output_options, prepare_output, report

__all__ = ["register", "run"]

METHODS = ("pl", "exact", "mpf", "pcd", "nmf", "tap", "sm")


def register(subparsers):
    p = subparsers.add_parser("mrf", help="learn pairwise MRFs / fully visible Boltzmann "
                                          "machines from data (inverse Ising)",
                              description="Learn a pairwise MRF (fully visible Boltzmann "
                                          "machine) from binary data: boltz mrf fit DATA.npy.")
    sub = p.add_subparsers(dest="mrf_command", metavar="ACTION")
    f = sub.add_parser("fit", help="fit couplings J and fields h to DATA.npy and save them",
                       description="Fit a pairwise MRF p(s) ~ exp(s'Js/2 + h's) to binary data.")
    f.add_argument("data", metavar="DATA.npy",
                   help="(n_samples, n_variables) array of {-1, +1} or {0, 1} values")
    f.add_argument("--method", choices=METHODS, default="pl",
                   help="pl: symmetric pseudo-likelihood; exact: maximum likelihood by "
                        "enumeration (n <= 20); mpf: minimum probability flow; pcd: persistent "
                        "contrastive divergence; nmf, tap, sm: naive mean-field, TAP and "
                        "Sessak-Monasson closed forms (default pl)")
    f.add_argument("--penalty", choices=("l2", "l1"), default="l2",
                   help="penalty on the couplings; l1 for pl, mpf, exact (default l2)")
    f.add_argument("--alpha", type=float, default=None,
                   help="penalty strength; a pseudocount in [0, 1) for nmf/tap/sm "
                        "(default: 1/n_samples for pl and mpf, 0 otherwise)")
    f.add_argument("--tol", type=float, default=1e-6,
                   help="L-BFGS gradient tolerance (default 1e-6)")
    f.add_argument("--max-iter", type=int, default=1000,
                   help="most L-BFGS iterations (default 1000)")
    f.add_argument("--chains", type=int, default=500, help="pcd: persistent chains (default 500)")
    f.add_argument("--updates", type=int, default=1000,
                   help="pcd: parameter updates (default 1000)")
    f.add_argument("--sweeps", type=int, default=1,
                   help="pcd: Gibbs sweeps per update (default 1)")
    f.add_argument("--lr", type=float, default=0.1, help="pcd: initial step (default 0.1)")
    f.add_argument("--threads", type=int, default=None,
                   help="cap on BLAS threads (default: BLAS's own setting)")
    f.add_argument("--seed", type=int, default=0, help="seed of the pcd chains (default 0)")
    add_output_options(f, "mrf", "model.npz", "model file (.npz)")
    p.set_defaults(func=run, _mrf_parser=p)


def _out_path(args) -> Path:
    out = Path(args.out)
    if out.suffix != ".npz":
        out = out.with_name(out.name + ".npz")
    return prepare_output(out, args.overwrite, (".npz",), inputs=[args.data])


def _load(path):
    import numpy as np

    if not str(path).endswith(".npy"):
        raise ValueError(f"DATA must be a .npy file, got {path!r}")
    if not Path(path).is_file():
        raise FileNotFoundError(f"no data file at {path}")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise ValueError(f"{path}: cannot be read as a numeric .npy array ({exc})") from None


def _fit(args):
    from ..inverse_ising import InverseIsing

    out = _out_path(args)
    X = _load(args.data)
    est = InverseIsing(method=args.method, penalty=args.penalty, alpha=args.alpha, tol=args.tol,
                       max_iter=args.max_iter, n_chains=args.chains, n_iter=args.updates,
                       n_sweeps=args.sweeps, learning_rate=args.lr, seed=args.seed,
                       n_threads=args.threads)
    try:
        est.fit(X)
    except FloatingPointError as exc:  # a runtime failure, not bad input
        print(f"boltz mrf: error: {exc}", file=sys.stderr)
        return 1
    path = est.save(out)
    n_edges = int((est.coupling_ != 0).sum() // 2)
    result = {"model": str(path), "method": args.method, "n_variables": est.n_features_in_,
              "n_samples": int(X.shape[0]), "n_edges": n_edges, "alpha": est.alpha_,
              "n_iter": est.n_iter_, "seconds": round(est.fit_seconds_, 4),
              "pseudo_log_likelihood": est.score(X)}
    lines = [f"fitted a pairwise MRF on {est.n_features_in_} variables from {X.shape[0]} samples "
             f"by {args.method} in {result['seconds']} s ({n_edges} non-zero couplings)",
             f"  mean pseudo-log-likelihood {result['pseudo_log_likelihood']:.6g} nats per "
             "sample (higher is better)",
             f"  model written to {path}"]
    report(args, lines, result)
    return 0


def run(args) -> int:
    if getattr(args, "mrf_command", None) is None:
        raise ValueError("give an action: fit (see 'boltz mrf --help')")
    return {"fit": _fit}[args.mrf_command](args)
