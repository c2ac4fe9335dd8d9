"""Objectives of the inverse Ising problem with their gradients, in float64.

The model is ``log p(s) = 1/2 s^T J s + h^T s - log Z`` on spins (a
:class:`~boltz.ising.PairwiseMRF` at ``beta = 1``); parameters are packed as
``theta = [h, J_ij (i < j)]`` (see :func:`~boltz.inverse_ising._data.pack`).

- :func:`site_objective`: objectives that are a sum over samples and sites of
  a function of ``m_i = s_i f_i``, where ``f_i = h_i + sum_j J_ij s_j`` is the
  local field. Negative pseudo-log-likelihood (Besag 1975):
  ``phi(m) = log(1 + exp(-2 m))``; minimum probability flow with single-flip
  connectivity (Sohl-Dickstein, Battaglino & DeWeese 2011):
  ``phi(m) = exp(-m)``, since flipping ``s_i`` changes ``log p`` by ``-2 m_i``.
  For ``N x n`` data the gradient is two matrix products,
  ``F = S J`` and ``G = (phi'(M) * S)^T S``.
- :func:`exact_nll`: the negative log-likelihood by enumerating all ``2**n``
  states, gradient = model moments minus data moments.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..exact import all_states
from ._data import pair_index, unpack

__all__ = ["site_objective", "exact_nll", "model_moments", "state_halves", "SITE_LOSSES"]

SITE_LOSSES = ("pl", "mpf")
_ROWS = 8192  # samples per block: bounds the N x n temporaries


@njit(cache=True, fastmath=True)
def _site_terms(F, S, w, h, gh, pl):
    """One serial pass over a block (the same sums on any thread count).

    On entry ``F = S J``; ``m_i = s_i (F_i + h_i)``. On exit ``F`` holds
    ``w_mu phi'(m_i) s_i``, the gradient with respect to the local fields, whose
    column sums are added to ``gh``. Returns ``sum_mu w_mu sum_i phi(m_i)``.
    """
    total = 0.0
    N, n = F.shape
    for a in range(N):
        row = 0.0
        prod = 1.0     # pl: prod_i (1 + e_i), one log per row instead of one per site
        wa = w[a]
        for i in range(n):
            s = S[a, i]
            m = s * (F[a, i] + h[i])
            if pl:
                # phi = log(1 + exp(-2m)) = -log sigma(2m), phi' = -2 sigma(-2m), via e = exp(-2|m|)
                e = math.exp(-2.0 * abs(m))
                row += max(-2.0 * m, 0.0)
                prod *= 1.0 + e
                if prod > 1e250:       # each factor is at most 2: flush long before overflow
                    row += math.log(prod)
                    prod = 1.0
                d = -2.0 * (e if m >= 0.0 else 1.0) / (1.0 + e)
            else:
                # phi = exp(-m): the probability flow out of the state by flipping s_i
                d = -math.exp(min(-m, 700.0))
                row -= d
            g = wa * d * s
            F[a, i] = g
            gh[i] += g
        total += wa * (row + math.log(prod))
    return total


def site_objective(theta, S, w, kind="pl"):
    """Sum over sites of ``E_w[phi(s_i f_i)]`` and its gradient with respect to ``theta``.

    Parameters
    ----------
    theta : ndarray, shape (n + n (n - 1) / 2,)
        Packed ``[h, J_ij (i < j)]``.
    S : ndarray, shape (N, n)
        Spins in {-1, +1}, float64.
    w : ndarray, shape (N,)
        Sample weights summing to one.
    kind : {"pl", "mpf"}
        Negative pseudo-log-likelihood or the minimum-probability-flow objective.

    Returns
    -------
    value : float
    grad : ndarray, shape like ``theta``

    Examples
    --------
    >>> S = np.array([[1.0, 1.0], [-1.0, 1.0]])
    >>> val, grad = site_objective(np.zeros(3), S, np.array([0.5, 0.5]))
    >>> bool(np.isclose(val, 2 * np.log(2)))        # two fair coins
    True
    """
    n = S.shape[1]
    J, h = unpack(theta, n)
    value = 0.0
    gh = np.zeros(n)
    G = np.zeros((n, n))
    for start in range(0, S.shape[0], _ROWS):
        Sb = S[start:start + _ROWS]
        wb = w[start:start + _ROWS]
        D = Sb @ J
        value += _site_terms(D, Sb, wb, h, gh, kind == "pl")   # D <- d value / d f_i
        G += D.T @ Sb
    gJ = G + G.T                              # J_ij enters f_i and f_j
    return value, np.concatenate([gh, gJ[pair_index(n)]])


def state_halves(n):
    """Every state of the first ``n // 2`` spins and of the rest (:func:`boltz.exact.all_states`).

    A state of all ``n`` spins is a pair (low half, high half); :func:`model_moments`
    works on the ``2**(n//2) x 2**(n - n//2)`` table of such pairs.

    Examples
    --------
    >>> A, B = state_halves(5)
    >>> A.shape, B.shape
    ((4, 2), (8, 3))
    """
    a = n // 2
    return all_states(a, support=(-1, 1)), all_states(n - a, support=(-1, 1))


def model_moments(J, h, halves=None):
    """Exact ``log Z``, ``<s_i>`` and ``<s_i s_j>`` of the model, by enumeration.

    The ``2**n`` states are split into halves ``s = (a, b)``: the log-weight table is
    ``L = e_a 1^T + 1 e_b^T + A J_ab B^T``, where ``A`` (``B``) lists every state of
    the first (second) half and ``e_a``, ``e_b`` are the halves' own terms. The
    moments come from the table ``P = exp(L - log Z)`` by products with ``A`` and
    ``B``: ``O(2^n n)`` work and ``2^n`` floats of memory, not ``O(2^n n^2)``.
    ``halves`` is :func:`state_halves` (made here when omitted).

    Examples
    --------
    >>> log_z, m, chi = model_moments(np.array([[0.0, 0.5], [0.5, 0.0]]), np.zeros(2))
    >>> round(float(chi[0, 1]), 6) == round(float(np.tanh(0.5)), 6)
    True
    """
    n = h.shape[0]
    A, B = state_halves(n) if halves is None else halves
    a = A.shape[1]
    e_a = 0.5 * np.einsum("ki,ki->k", A @ J[:a, :a], A) + A @ h[:a]
    e_b = 0.5 * np.einsum("ki,ki->k", B @ J[a:, a:], B) + B @ h[a:]
    L = (A @ J[:a, a:]) @ B.T
    L += e_a[:, None]
    L += e_b[None, :]
    top = float(L.max())
    P = np.exp(L - top, out=L)                # log-sum-exp, keeping the exponentials
    total = float(P.sum())
    log_z = top + np.log(total)
    P /= total
    r, c = P.sum(axis=1), P.sum(axis=0)
    m = np.concatenate([r @ A, c @ B])
    chi = np.empty((n, n))
    chi[:a, :a] = A.T @ (r[:, None] * A)
    chi[a:, a:] = B.T @ (c[:, None] * B)
    chi[:a, a:] = A.T @ (P @ B)
    chi[a:, :a] = chi[:a, a:].T
    return log_z, m, chi


def exact_nll(theta, m_data, chi_data, halves=None):
    """Mean negative log-likelihood of data with moments ``m_data``, ``chi_data``, and its gradient.

    ``-L = log Z - h . m_data - sum_{i<j} J_ij chi_data_ij``; the gradient is the
    model's moments minus the data's. ``halves`` as in :func:`model_moments`.

    Examples
    --------
    >>> val, grad = exact_nll(np.zeros(3), np.zeros(2), np.eye(2))
    >>> bool(np.isclose(val, 2 * np.log(2))), float(np.abs(grad).max())
    (True, 0.0)
    """
    n = m_data.shape[0]
    J, h = unpack(theta, n)
    log_z, m, chi = model_moments(J, h, halves)
    iu = pair_index(n)
    value = log_z - h @ m_data - J[iu] @ chi_data[iu]
    return float(value), np.concatenate([m - m_data, (chi - chi_data)[iu]])
