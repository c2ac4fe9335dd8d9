"""Checking training data and reducing it to the statistics the estimators need.

Data are ``(n_samples, n_variables)`` arrays of spins in {-1, +1} or of
{0, 1} variables (mapped to spins by ``s = 2 x - 1``); optional non-negative
``sample_weight`` turns them into a weighted empirical distribution, so that
every state of a small model weighted by its exact probability is the
population itself (the tests use this to reach the infinite-data limit).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_array

__all__ = ["check_data", "data_moments", "pair_index", "pack", "unpack"]


def check_data(X, sample_weight=None, *, name: str = "X"):
    """Spins and normalised weights of a training set.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_variables)
        Values in {-1, +1} or in {0, 1}; no NaN, no constant column.
    sample_weight : array_like, shape (n_samples,), optional
        Non-negative weights (default: every sample weighs 1).
    name : str
        Argument name used in error messages.

    Returns
    -------
    S : ndarray of float64, shape (n_samples, n_variables)
        Spins in {-1, +1}.
    w : ndarray of float64, shape (n_samples,)
        Weights summing to one.
    support : tuple
        ``(-1, 1)`` or ``(0, 1)``: the values the data came in.

    Examples
    --------
    >>> S, w, support = check_data([[0, 1], [1, 0], [1, 1]])
    >>> S.tolist(), support
    ([[-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]], (0, 1))
    """
    X = check_array(X, name, ndim=2)
    if X.shape[1] < 2:
        raise ValueError(f"{name} must have at least 2 variables (columns), got {X.shape[1]}")
    values = np.unique(X)
    if np.all(np.isin(values, (-1.0, 1.0))):
        S, support = X.copy(), (-1, 1)
    elif np.all(np.isin(values, (0.0, 1.0))):
        S, support = 2.0 * X - 1.0, (0, 1)
    else:
        bad = values[~np.isin(values, (-1.0, 0.0, 1.0))][:3].tolist() or values.tolist()
        raise ValueError(f"{name} must be binary, all values in {{-1, +1}} or all in {{0, 1}}; "
                         f"got values {bad}")
    if sample_weight is None:
        w = np.full(X.shape[0], 1.0 / X.shape[0])
    else:
        w = check_array(sample_weight, "sample_weight", shape=(X.shape[0],))
        if np.any(w < 0) or w.sum() <= 0:
            raise ValueError("sample_weight must be non-negative with a positive sum")
        w = w / w.sum()
    present = w > 0
    const = np.flatnonzero(np.all(S[present] == S[present][:1], axis=0))
    if const.size:
        raise ValueError(f"{name} has constant columns {const[:5].tolist()}: their maximum-"
                         "likelihood fields are infinite; drop them or add data")
    return np.ascontiguousarray(S), w, support


def data_moments(S, w):
    """Weighted magnetisations ``m_i = <s_i>`` and second moments ``chi_ij = <s_i s_j>``.

    Examples
    --------
    >>> m, chi = data_moments(np.array([[1.0, 1.0], [-1.0, 1.0]]), np.array([0.5, 0.5]))
    >>> m.tolist(), float(chi[0, 1])
    ([0.0, 1.0], 0.0)
    """
    m = w @ S
    chi = S.T @ (w[:, None] * S)
    return m, 0.5 * (chi + chi.T)


def pair_index(n: int):
    """Row and column indices ``(i, j)``, ``i < j``, of the ``n (n - 1) / 2`` pairs.

    Examples
    --------
    >>> [a.tolist() for a in pair_index(3)]
    [[0, 0, 1], [1, 2, 2]]
    """
    return np.triu_indices(n, 1)


def pack(J, h) -> np.ndarray:
    """Parameter vector ``[h, J_ij (i < j)]``.

    Examples
    --------
    >>> pack(np.array([[0.0, 0.5], [0.5, 0.0]]), np.array([0.1, 0.2])).tolist()
    [0.1, 0.2, 0.5]
    """
    n = h.shape[0]
    return np.concatenate([h, J[pair_index(n)]])


def unpack(theta, n: int):
    """``(J, h)`` from a parameter vector made by :func:`pack`; ``J`` symmetric, zero diagonal.

    Examples
    --------
    >>> J, h = unpack(np.array([0.1, 0.2, 0.5]), 2)
    >>> J.tolist(), h.tolist()
    ([[0.0, 0.5], [0.5, 0.0]], [0.1, 0.2])
    """
    h = np.array(theta[:n], dtype=np.float64)
    J = np.zeros((n, n))
    iu = pair_index(n)
    J[iu] = theta[n:]
    J += J.T
    return J, h
