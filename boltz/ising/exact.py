"""Exact results for the Ising model (J > 0, k_B = 1, per site unless said otherwise).

- Onsager (1944): infinite 2D square lattice at zero field: free energy,
  internal energy, specific heat; Yang (1952): spontaneous magnetisation.
- Kaufman (1949): the exact partition function of the periodic ``L x M`` lattice.
- The transfer matrix of the 1D chain (periodic or open) in a uniform field.

Examples
--------
>>> import numpy as np
>>> from boltz.ising.exact import T_C, onsager_energy, kaufman_energy
>>> round(T_C, 6)
2.269185
>>> bool(abs(kaufman_energy(64, 64, 1 / 3.0) - onsager_energy(3.0)) < 1e-6)
True
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, special

from .._validation import check_finite_scalar, check_positive_int, check_positive_scalar

__all__ = [
    "T_C",
    "BETA_C",
    "onsager_free_energy",
    "onsager_energy",
    "onsager_specific_heat",
    "onsager_magnetization",
    "kaufman_log_partition",
    "kaufman_energy",
    "kaufman_specific_heat",
    "chain_log_partition",
]

#: Critical temperature of the 2D square-lattice Ising model, ``2 / ln(1 + sqrt 2)`` (J = 1).
T_C = 2.0 / math.log(1.0 + math.sqrt(2.0))
#: Critical inverse temperature ``ln(1 + sqrt 2) / 2``.
BETA_C = 1.0 / T_C


def _temperatures(T, name="T"):
    arr = np.asarray(T, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {T!r}")
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be positive, got {T!r}")
    return arr


def _coupling(J):
    return check_positive_scalar(J, "J")


def _scalar_or_array(values, like):
    out = np.asarray(values, dtype=np.float64).reshape(np.shape(like))
    return float(out) if out.ndim == 0 else out


def onsager_free_energy(T, J=1.0):
    """Free energy per site ``f`` of the infinite lattice.

    ``-beta f = ln(2 cosh 2K) + (1/pi) int_0^{pi/2} ln[(1 + sqrt(1 - k^2 sin^2 t)) / 2] dt``
    with ``K = beta J`` and ``k = 2 sinh 2K / cosh^2 2K`` (Onsager 1944; Huang, eq. 15.125).

    Parameters
    ----------
    T : float or array_like
        Temperature(s) in units of ``J`` (``k_B = 1``).
    J : float, default 1.0
        Coupling.

    Returns
    -------
    float or numpy.ndarray
        ``f(T)``.

    Examples
    --------
    >>> round(float(onsager_free_energy(2.0)), 4)
    -2.0516
    """
    J = _coupling(J)
    Ts = _temperatures(T)
    out = []
    for t in Ts.ravel():
        K = J / t
        k2 = (2.0 * math.sinh(2 * K) / math.cosh(2 * K) ** 2) ** 2
        integral, _ = integrate.quad(
            lambda th, k2=k2: math.log(0.5 * (1.0 + math.sqrt(max(0.0, 1.0 - k2 * math.sin(th)
                                                                    ** 2)))),
            0.0, 0.5 * math.pi, epsabs=1e-13, epsrel=1e-13, limit=200)
        minus_beta_f = math.log(2.0 * math.cosh(2 * K)) + integral / math.pi
        out.append(-t * minus_beta_f)
    return _scalar_or_array(out, Ts)


def onsager_energy(T, J=1.0):
    """Internal energy per site of the infinite lattice.

    ``u = -J coth(2K) [1 + (2/pi) (2 tanh^2 2K - 1) K1(k)]``, ``K1`` the complete
    elliptic integral of the first kind (Huang, eq. 15.132); ``u(T_c) = -sqrt(2) J``.

    Parameters
    ----------
    T : float or array_like
        Temperature(s) in units of ``J`` (``k_B = 1``).
    J : float, default 1.0
        Coupling.

    Returns
    -------
    float or numpy.ndarray
        ``u(T)``, the shape of ``T``.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.ising import T_C
    >>> round(float(onsager_energy(T_C)), 6), round(float(-np.sqrt(2)), 6)
    (-1.414214, -1.414214)
    """
    J = _coupling(J)
    Ts = _temperatures(T)
    K = J / Ts
    k = 2.0 * np.sinh(2 * K) / np.cosh(2 * K) ** 2
    factor = 2.0 * np.tanh(2 * K) ** 2 - 1.0
    at_tc = np.abs(1.0 - k) < 1e-15
    k1 = special.ellipk(np.where(at_tc, 0.0, k) ** 2)
    u = -J / np.tanh(2 * K) * (1.0 + np.where(at_tc, 0.0, 2.0 / np.pi * factor * k1))
    return _scalar_or_array(u, Ts)


def onsager_specific_heat(T, J=1.0, dT: float = 1e-5):
    """Specific heat per site ``du/dT`` of the infinite lattice (central difference of
    :func:`onsager_energy`; it diverges logarithmically at ``T_c``).

    Parameters
    ----------
    T : float or array_like
        Temperature(s) in units of ``J`` (``k_B = 1``).
    J : float, default 1.0
        Coupling.
    dT : float, default 1e-5
        Step of the central difference.

    Returns
    -------
    float or numpy.ndarray
        ``c(T)``.

    Examples
    --------
    >>> round(float(onsager_specific_heat(3.0)), 3)
    0.401
    """
    Ts = _temperatures(T)
    c = (np.asarray(onsager_energy(Ts + dT, J)) - np.asarray(onsager_energy(Ts - dT, J))) / (2 * dT)
    return _scalar_or_array(c, Ts)


def onsager_magnetization(T, J=1.0):
    """Spontaneous magnetisation ``(1 - sinh(2K)^-4)^(1/8)`` below ``T_c``, 0 above (Yang 1952).

    Parameters
    ----------
    T : float or array_like
        Temperature(s) in units of ``J`` (``k_B = 1``).
    J : float, default 1.0
        Coupling.

    Returns
    -------
    float or numpy.ndarray
        ``m(T)``.

    Examples
    --------
    >>> round(float(onsager_magnetization(2.0)), 4), float(onsager_magnetization(3.0))
    (0.9113, 0.0)
    """
    J = _coupling(J)
    Ts = _temperatures(T)
    s = np.sinh(2 * J / Ts)
    base = np.clip(1.0 - s ** -4.0, 0.0, None)
    return _scalar_or_array(np.where(Ts < T_C * J, base ** 0.125, 0.0), Ts)


# ---------------------------------------------------------------------------
# Kaufman: finite periodic lattice
# ---------------------------------------------------------------------------
def _log_2cosh(x):
    a = np.abs(x)
    return a + np.log1p(np.exp(-2.0 * a))


def _log_abs_2sinh(x):
    a = np.abs(x)
    with np.errstate(divide="ignore"):
        return a + np.log(-np.expm1(-2.0 * a))


def kaufman_log_partition(L: int, M: int, beta: float, J: float = 1.0) -> float:
    """Exact ``log Z`` of the periodic ``L x M`` square lattice at ``h = 0``.

    ``Z = 1/2 (2 sinh 2K)^{LM/2} (Z1 + Z2 + Z3 + Z4)`` with products over
    ``r = 0..L-1`` of ``2 cosh(M g_{2r+1}/2)``, ``2 sinh(M g_{2r+1}/2)``,
    ``2 cosh(M g_{2r}/2)``, ``2 sinh(M g_{2r}/2)``; ``cosh g_k = cosh 2K coth 2K -
    cos(pi k / L)`` for ``k >= 1`` and ``g_0 = 2K + ln tanh K`` (Kaufman 1949;
    Beale 1996). ``g_0 < 0`` below ``T_c`` makes ``Z4`` negative; the four terms
    are combined in log space with their signs.

    Parameters
    ----------
    L, M : int
        Lattice sides.
    beta : float
        Inverse temperature.
    J : float, default 1.0
        Coupling.

    Returns
    -------
    float
        ``log Z``.

    Examples
    --------
    >>> from boltz.exact import log_partition
    >>> from boltz.ising import IsingLattice
    >>> abs(kaufman_log_partition(4, 4, 0.4) - log_partition(IsingLattice(4, beta=0.4))) < 1e-9
    True
    """
    L = check_positive_int(L, "L")
    M = check_positive_int(M, "M")
    beta = check_finite_scalar(beta, "beta")
    J = check_positive_scalar(J, "J", allow_zero=True)
    from .._resources import check_memory

    K = beta * J
    N = L * M
    # about six float64 arrays of 2L modes (the sums over r); M only scales them
    check_memory(6 * 8 * 2 * L, f"L={L}", "Kaufman's 2L transfer-matrix modes")
    if K == 0:
        return N * math.log(2.0)
    if K < 0:
        raise ValueError(f"beta must be non-negative, got {beta}")
    k = np.arange(2 * L)
    c = math.cosh(2 * K) / math.tanh(2 * K) - np.cos(np.pi * k / L)
    gamma = np.arccosh(np.maximum(c, 1.0))
    gamma[0] = 2 * K + math.log(math.tanh(K))
    odd, even = gamma[1::2], gamma[0::2]
    logs = np.array([
        _log_2cosh(M * odd / 2).sum(),
        _log_abs_2sinh(M * odd / 2).sum(),
        _log_2cosh(M * even / 2).sum(),
        _log_abs_2sinh(M * even / 2).sum(),
    ])
    signs = np.array([1.0, 1.0, 1.0, np.prod(np.sign(even))])
    keep = np.isfinite(logs) & (signs != 0)
    top = logs[keep].max()
    scaled = float(np.sum(signs[keep] * np.exp(logs[keep] - top)))
    if scaled <= 0:
        raise ArithmeticError("Kaufman's sum lost its sign; beta is outside the usable range")
    total = top + math.log(scaled)
    return float(-math.log(2.0) + 0.5 * N * math.log(2.0 * math.sinh(2 * K)) + total)


def _derivative(fn, x, h, order):
    """5-point central difference of order 1 or 2."""
    f = [fn(x + s * h) for s in (-2, -1, 0, 1, 2)]
    if order == 1:
        return (f[0] - 8 * f[1] + 8 * f[3] - f[4]) / (12 * h)
    return (-f[0] + 16 * f[1] - 30 * f[2] + 16 * f[3] - f[4]) / (12 * h * h)


def kaufman_energy(L: int, M: int, beta: float, J: float = 1.0) -> float:
    """Exact energy per site ``-(1/N) d log Z / d beta`` of the periodic ``L x M`` lattice.

    Parameters
    ----------
    L, M : int
        Lattice sides.
    beta : float
        Inverse temperature.
    J : float, default 1.0
        Coupling.

    Returns
    -------
    float
        ``u``.

    Examples
    --------
    >>> round(kaufman_energy(64, 64, 0.2), 3)
    -0.428
    """
    h = 1e-4 * max(1.0, beta)
    d = _derivative(lambda b: kaufman_log_partition(L, M, b, J), beta, h, 1)
    return float(-d / (L * M))


def kaufman_specific_heat(L: int, M: int, beta: float, J: float = 1.0) -> float:
    """Exact specific heat per site ``(beta^2/N) d^2 log Z / d beta^2`` of the periodic lattice."""
    h = 1e-3 * max(1.0, beta)
    d2 = _derivative(lambda b: kaufman_log_partition(L, M, b, J), beta, h, 2)
    return float(beta * beta * d2 / (L * M))


def chain_log_partition(n: int, beta: float, J: float = 1.0, h: float = 0.0,
                        periodic: bool = True) -> float:
    """Exact ``log Z`` of an Ising chain of ``n`` spins in a uniform field (transfer matrix)."""
    n = check_positive_int(n, "n")
    beta = check_finite_scalar(beta, "beta")
    K, B = beta * check_finite_scalar(J, "J"), beta * check_finite_scalar(h, "h")
    spins = np.array([-1.0, 1.0])
    # T[a, b] = exp(K a b + B (a + b) / 2), symmetric; work with its eigen-decomposition
    logT = K * np.outer(spins, spins) + 0.5 * B * (spins[:, None] + spins[None, :])
    shift = logT.max()
    evals, evecs = np.linalg.eigh(np.exp(logT - shift))
    top = np.argmax(np.abs(evals))
    ratio = evals / evals[top]
    if periodic:
        # Z = tr T^n = sum_i lambda_i^n (n = 2 counts the bond twice, as the lattice does)
        power, weights = n, np.ones(2)
    else:
        # Z = e^T T^(n-1) e with e_a = exp(B a / 2)
        power, weights = n - 1, (evecs.T @ np.exp(0.5 * B * spins)) ** 2
    return float(power * (shift + math.log(abs(evals[top])))
                 + math.log(abs(float(np.sum(weights * ratio ** power)))))
