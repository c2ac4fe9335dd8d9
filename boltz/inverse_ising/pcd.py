"""Maximum likelihood by persistent contrastive divergence (Younes 1989; Tieleman 2008).

The log-likelihood gradient is data moments minus model moments; here the
model moments come from persistent Gibbs chains run with the library's MRF
kernel :func:`boltz.samplers.mrf.csr_sweeps` (counter-based streams, so the
same seed gives the same fit on any thread count). The data enter only through
their moments. Steps decay as ``lr / (1 + t / t0)`` and the returned parameters
are the Polyak-Ruppert average over the second half of the updates, which
removes most of the chains' noise.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_rng
from ..samplers._rng import make_streams
from ..samplers.mrf import csr_sweeps
from ._data import pair_index

__all__ = ["fit_pcd"]


def _complete_graph_csr(n):
    indptr = np.arange(0, n * (n - 1) + 1, n - 1, dtype=np.int64)
    cols = np.arange(n)
    indices = np.concatenate([np.delete(cols, i) for i in range(n)]).astype(np.int64)
    rows = np.repeat(cols, n - 1)
    return indptr, indices, rows


def fit_pcd(m_data, chi_data, S, w, J0, h0, *, alpha=0.0, n_chains=500, n_iter=1000,
            n_sweeps=1, learning_rate=0.1, seed=None):
    """Fit ``(J, h)`` to data moments by persistent contrastive divergence.

    Parameters
    ----------
    m_data, chi_data : ndarray
        Data magnetisations (n,) and second moments (n, n).
    S, w : ndarray
        The data spins and weights; chains start from data rows drawn by weight.
    J0, h0 : ndarray
        Starting parameters.
    alpha : float
        L2 penalty ``alpha * sum_{i<j} J_ij^2`` (default 0).
    n_chains, n_iter, n_sweeps : int
        Persistent chains, parameter updates, Gibbs sweeps per update.
    learning_rate : float
        Initial step; decays as ``1 / (1 + t / (n_iter / 10))``.
    seed : int, Generator or None
        Seed of the chains.

    Returns
    -------
    J, h : ndarray
        Polyak-averaged couplings and fields.

    Examples
    --------
    >>> S = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    >>> w = np.full(4, 0.25)
    >>> m, chi = w @ S, S.T @ (w[:, None] * S)
    >>> J, h = fit_pcd(m, chi, S, w, np.zeros((2, 2)), np.zeros(2), n_iter=50, seed=0)
    >>> bool(J[0, 1] > 0)
    True
    """
    rng = check_rng(seed)
    n = m_data.shape[0]
    indptr, indices, rows = _complete_graph_csr(n)
    J, h = J0.copy(), h0.copy()
    start = rng.choice(S.shape[0], size=n_chains, p=w)
    spins = np.ascontiguousarray(S[start], dtype=np.int8)
    streams = make_streams(rng, (n_chains,))
    betas = np.ones(n_chains)
    t0 = max(n_iter / 10.0, 1.0)
    burn = n_iter // 2
    J_avg, h_avg = np.zeros_like(J), np.zeros_like(h)
    offdiag = ~np.eye(n, dtype=bool)
    for t in range(n_iter):
        data = np.ascontiguousarray(J[rows, indices])
        csr_sweeps(spins, streams, indptr, indices, data, h, betas, n_sweeps)
        Sc = spins.astype(np.float64)
        m_model = Sc.mean(axis=0)
        chi_model = Sc.T @ Sc / n_chains
        step = learning_rate / (1.0 + t / t0)
        h += step * (m_data - m_model)
        J += step * ((chi_data - chi_model) - 2.0 * alpha * J) * offdiag
        if t >= burn:
            J_avg += J
            h_avg += h
    k = n_iter - burn
    J_avg /= k
    iu = pair_index(n)
    J_sym = np.zeros_like(J_avg)
    J_sym[iu] = J_avg[iu]
    return J_sym + J_sym.T, h_avg / k
