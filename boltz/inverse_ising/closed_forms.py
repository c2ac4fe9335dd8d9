"""Closed-form mean-field estimates of ``(J, h)`` from magnetisations and correlations.

With ``m_i = <s_i>`` and connected correlations ``C_ij = <s_i s_j> - m_i m_j``
(see Nguyen, Zecchina & Berg 2017, Adv. Phys. 66, 197, section 5):

- naive mean field (Kappen & Rodriguez 1998): ``J = -(C^-1)`` off the diagonal,
  ``h_i = atanh(m_i) - sum_j J_ij m_j``;
- TAP (Thouless-Anderson-Palmer; Tanaka 1998): the root of
  ``(C^-1)_ij = -J_ij - 2 J_ij^2 m_i m_j`` that tends to naive mean field as
  ``m -> 0``, and ``h_i = atanh(m_i) - sum_j J_ij m_j + m_i sum_j J_ij^2 (1 - m_j^2)``;
- Sessak & Monasson (2009, J. Phys. A 42, 055001): naive mean field plus the
  independent-pair couplings minus their overlap,
  ``J_ij = -(C^-1)_ij + J^IP_ij - C_ij / ((1 - m_i^2)(1 - m_j^2) - C_ij^2)``, which is
  exact for two spins; fields as naive mean field.

All cost one ``n x n`` inversion after the ``O(N n^2)`` correlation matrix, and all
are biased: exact only as couplings go to zero (mean field) or for trees of pairs
(independent pairs).
"""

from __future__ import annotations

import numpy as np

__all__ = ["naive_mean_field", "tap", "sessak_monasson", "with_pseudocount", "CLOSED_FORMS"]


def with_pseudocount(m, chi, pseudocount):
    """Moments of the data mixed with the uniform distribution in proportion ``pseudocount``.

    Every pair then takes all four joint values, and ``C`` is positive definite.

    Examples
    --------
    >>> m, chi = with_pseudocount(np.ones(2) * 0.5, np.ones((2, 2)), 0.5)
    >>> m.tolist(), chi.tolist()
    ([0.25, 0.25], [[1.0, 0.5], [0.5, 1.0]])
    """
    m = (1.0 - pseudocount) * m
    chi = (1.0 - pseudocount) * chi
    np.fill_diagonal(chi, 1.0)
    return m, chi


def _inverse_correlation(m, chi):
    C = chi - np.outer(m, m)
    np.fill_diagonal(C, 1.0 - m ** 2)
    try:
        cond = np.linalg.cond(C)
    except np.linalg.LinAlgError:
        cond = np.inf
    if not np.isfinite(cond) or cond > 1e12:
        raise ValueError("the correlation matrix of X is singular (duplicated or complementary "
                         "columns?); give alpha > 0, a pseudocount")
    return C, np.linalg.inv(C)


def _nmf_fields(J, m):
    return np.arctanh(m) - J @ m


def naive_mean_field(m, chi):
    """Naive mean-field ``(J, h)`` from moments ``m`` (n,) and ``chi`` (n, n).

    Parameters
    ----------
    m : ndarray, shape (n,)
        Magnetisations ``<s_i>``, strictly inside (-1, 1).
    chi : ndarray, shape (n, n)
        Second moments ``<s_i s_j>``.

    Returns
    -------
    J : ndarray, shape (n, n)
    h : ndarray, shape (n,)

    Examples
    --------
    >>> J, h = naive_mean_field(np.zeros(2), np.array([[1.0, 0.1], [0.1, 1.0]]))
    >>> round(float(J[0, 1]), 4)                        # C^-1 = [[1, -.1], [-.1, 1]] / .99
    0.101
    """
    _, Cinv = _inverse_correlation(m, chi)
    J = -Cinv
    np.fill_diagonal(J, 0.0)
    return J, _nmf_fields(J, m)


def tap(m, chi):
    """TAP ``(J, h)``; pairs whose quadratic has no real root keep the naive value.

    Parameters and returns as :func:`naive_mean_field`.

    Examples
    --------
    >>> J, h = tap(np.zeros(2), np.array([[1.0, 0.1], [0.1, 1.0]]))   # m = 0: as naive MF
    >>> round(float(J[0, 1]), 4)
    0.101
    """
    _, Cinv = _inverse_correlation(m, chi)
    mm = np.outer(m, m)
    disc = 1.0 - 8.0 * Cinv * mm
    small = np.abs(mm) < 1e-12
    with np.errstate(invalid="ignore", divide="ignore"):
        root = (-1.0 + np.sqrt(np.maximum(disc, 0.0))) / (4.0 * mm)
    J = np.where(small | (disc < 0), -Cinv, root)
    np.fill_diagonal(J, 0.0)
    h = _nmf_fields(J, m) + m * ((J ** 2) @ (1.0 - m ** 2))
    return J, h


def sessak_monasson(m, chi):
    """Sessak-Monasson small-correlation ``(J, h)`` (naive MF plus independent pairs).

    Parameters and returns as :func:`naive_mean_field`.

    Examples
    --------
    >>> t = np.tanh(0.3)                                  # two spins, J = 0.3, h = 0
    >>> J, h = sessak_monasson(np.zeros(2), np.array([[1.0, t], [t, 1.0]]))
    >>> round(float(J[0, 1]), 6)                          # exact for a pair
    0.3
    """
    C, Cinv = _inverse_correlation(m, chi)
    a, b = m[:, None], m[None, :]
    x = chi
    # 4 p(s_i, s_j) = 1 + s_i m_i + s_j m_j + s_i s_j chi_ij; the diagonal is unused
    diag = np.eye(m.shape[0], dtype=bool)
    num = np.where(diag, 1.0, (1 + a + b + x) * (1 - a - b + x))
    den = np.where(diag, 1.0, (1 + a - b - x) * (1 - a + b - x))
    if np.any(num <= 0) or np.any(den <= 0):
        raise ValueError("some pair of columns of X never takes one of its four joint values; "
                         "the independent-pair couplings are infinite (give alpha > 0, a "
                         "pseudocount)")
    j_ip = 0.25 * np.log(num / den)
    overlap = np.where(diag, 0.0, C / (np.outer(1 - m ** 2, 1 - m ** 2) - C ** 2 + diag))
    J = -Cinv + j_ip - overlap
    np.fill_diagonal(J, 0.0)
    return J, _nmf_fields(J, m)


CLOSED_FORMS = {"nmf": naive_mean_field, "tap": tap, "sm": sessak_monasson}
