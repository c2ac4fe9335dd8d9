"""Structure learning: an L1 regularisation path and the AUC of recovered edges."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .._validation import check_array, check_positive_int, check_positive_scalar
from ._data import check_data, data_moments, pack, pair_index, unpack

__all__ = ["edge_auc", "l1_path", "L1Path"]


def _upper(A, name):
    A = check_array(A, name, ndim=2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {A.shape}")
    return A[pair_index(A.shape[0])]


def edge_auc(J_est, graph) -> float:
    """Area under the ROC curve of ``|J_est_ij|`` as a score for the edges of ``graph``.

    The probability that a true edge scores above a non-edge (ties count one
    half), from the Mann-Whitney rank statistic.

    Parameters
    ----------
    J_est : array_like, shape (n, n)
        Estimated couplings (only ``i < j`` is read).
    graph : array_like, shape (n, n)
        Nonzero where the true graph has an edge (e.g. the true couplings).

    Returns
    -------
    float
        AUC in [0, 1]; 0.5 is chance.

    Examples
    --------
    >>> G = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    >>> edge_auc(np.array([[0, .9, .1], [.9, 0, .2], [.1, .2, 0]]), G)
    1.0
    """
    score = np.abs(_upper(J_est, "J_est"))
    truth = _upper(graph, "graph") != 0
    n_pos, n_neg = int(truth.sum()), int((~truth).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("graph must have both edges and non-edges for an AUC, got "
                         f"{n_pos} edges and {n_neg} non-edges")
    ranks = stats.rankdata(score)
    return float((ranks[truth].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


@dataclass
class L1Path:
    """Fits along a decreasing sequence of L1 penalties.

    Attributes
    ----------
    alphas : ndarray (k,)
        Penalties, largest first.
    couplings : ndarray (k, n, n)
    fields : ndarray (k, n)
    support : ndarray of bool (k, n, n)
        The sparsity pattern: ``couplings != 0``.
    n_edges : ndarray of int (k,)
    auc : ndarray (k,) or None
        Edge AUC at each penalty when a true graph was given.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).choice([-1, 1], size=(200, 3))
    >>> path = l1_path(X, n_alphas=3)
    >>> path.couplings.shape, int(path.n_edges[0])
    ((3, 3, 3), 0)
    """

    alphas: np.ndarray
    couplings: np.ndarray
    fields: np.ndarray
    support: np.ndarray
    n_edges: np.ndarray
    auc: np.ndarray | None = None


def l1_path(X, *, method="pl", n_alphas=12, alpha_min_ratio=1e-3, alphas=None, graph=None,
            sample_weight=None, tol=1e-6, max_iter=1000) -> L1Path:
    """L1-penalised fits from the penalty that zeroes every coupling down, warm-started.

    Parameters
    ----------
    X : array_like, shape (n_samples, n)
        Binary data ({-1, +1} or {0, 1}).
    method : {"pl", "mpf", "exact"}
        Objective (default ``"pl"``).
    n_alphas : int
        Number of penalties, geometric from ``alpha_max`` (the smallest penalty
        with all couplings zero, from the gradient at ``J = 0``; the grid starts 0.1% above it) to
        ``alpha_min_ratio * alpha_max`` (default 12).
    alpha_min_ratio : float
        Smallest penalty as a fraction of ``alpha_max`` (default 1e-3).
    alphas : array_like, optional
        Explicit penalties instead (sorted to decreasing).
    graph : array_like, shape (n, n), optional
        True graph (nonzero = edge) for the AUC along the path.
    sample_weight : array_like, optional
        Weight of each sample.
    tol, max_iter : float, int
        L-BFGS-B settings.

    Returns
    -------
    L1Path
        The fits, largest penalty first.

    Examples
    --------
    >>> from boltz.ising import PairwiseMRF
    >>> from boltz.exact import ExactDistribution
    >>> J = np.zeros((4, 4)); J[0, 1] = J[1, 0] = J[2, 3] = J[3, 2] = 0.6
    >>> X = ExactDistribution(PairwiseMRF(J)).sample(4000, seed=0)
    >>> path = l1_path(X, n_alphas=5, graph=J)
    >>> int(path.n_edges[0]), float(path.auc[-1])
    (0, 1.0)
    """
    from .estimator import fit_theta

    if method not in ("pl", "mpf", "exact"):
        raise ValueError(f"method must be 'pl', 'mpf' or 'exact', got {method!r}")
    S, w, _ = check_data(X, sample_weight)
    n = S.shape[1]
    m, _ = data_moments(S, w)
    theta = pack(np.zeros((n, n)), np.arctanh(np.clip(m, -0.999, 0.999)))
    # fields alone first: alpha_max is the largest coupling gradient at J = 0
    res = fit_theta(method, S, w, theta, penalty="l1", alpha=1e12, tol=tol, max_iter=max_iter)
    theta = res.x
    if alphas is None:
        n_alphas = check_positive_int(n_alphas, "n_alphas")
        check_positive_scalar(alpha_min_ratio, "alpha_min_ratio")
        alpha_max = float(np.abs(res.jac[n:]).max()) if res.jac is not None else 1.0
        alphas = 1.001 * alpha_max * np.geomspace(1.0, alpha_min_ratio, n_alphas)
    else:
        alphas = np.sort(check_array(alphas, "alphas", ndim=1))[::-1]
        if np.any(alphas <= 0):
            raise ValueError("alphas must be positive")
    Js, hs = [], []
    for a in alphas:
        theta = fit_theta(method, S, w, theta, penalty="l1", alpha=float(a), tol=tol,
                          max_iter=max_iter).x
        J, h = unpack(theta, n)
        Js.append(J)
        hs.append(h)
    couplings = np.stack(Js)
    support = couplings != 0
    n_edges = support[:, pair_index(n)[0], pair_index(n)[1]].sum(axis=1)
    auc = None if graph is None else np.array([edge_auc(J, graph) for J in couplings])
    return L1Path(np.asarray(alphas), couplings, np.stack(hs), support, n_edges, auc)
