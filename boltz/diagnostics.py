"""MCMC diagnostics: autocorrelation, integrated autocorrelation time, effective
sample size, and error bars by binning and (blocked) jackknife.

Series are arrays with time on axis 0 and, optionally, independent chains on
axis 1: shape ``(n,)`` or ``(n, n_chains)``. The integrated autocorrelation time
uses the convention ``tau = 1 + 2 sum_{t>=1} rho(t)`` (``tau = 1`` for
independent draws), so the effective sample size is ``n * n_chains / tau`` and
the standard error of the mean is ``sqrt(var * tau / (n * n_chains))``. The sum
is cut at Sokal's automatic window: the smallest ``M`` with ``M >= c tau(M)``
(Sokal 1997, "Monte Carlo methods in statistical mechanics", sec. 3).

Examples
--------
>>> import numpy as np
>>> from boltz.diagnostics import integrated_autocorr_time
>>> rng = np.random.default_rng(0)
>>> x = np.zeros(20000); a = 0.9
>>> for t in range(1, x.size): x[t] = a * x[t - 1] + rng.normal()
>>> tau = integrated_autocorr_time(x)    # exact: (1 + a) / (1 - a) = 19
>>> bool(15 < tau < 23)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ._validation import check_array, check_positive_int, check_positive_scalar

__all__ = [
    "Estimate",
    "autocorrelation",
    "integrated_autocorr_time",
    "effective_sample_size",
    "mean_estimate",
    "binning_error",
    "jackknife",
]


class Estimate(NamedTuple):
    """A Monte Carlo estimate: ``mean ± error``, with the autocorrelation time used.

    Parameters
    ----------
    mean : float
        The estimate.
    error : float
        Its standard error.
    tau : float
        Integrated autocorrelation time behind the error (1 for independent draws).

    Examples
    --------
    >>> str(Estimate(1.5, 0.02))
    '1.5 ± 0.02'
    """

    mean: float
    error: float
    tau: float = 1.0

    def __str__(self) -> str:
        return f"{self.mean:.6g} ± {self.error:.2g}"


def _as_chains(x, name="x") -> np.ndarray:
    arr = check_array(x, name, ndim=(1, 2))
    return arr[:, None] if arr.ndim == 1 else arr


def autocorrelation(x, max_lag: int | None = None) -> np.ndarray:
    """Normalised autocorrelation ``rho(t)``, ``t = 0..max_lag``, averaged over chains (FFT).

    Each chain is centred on the grand mean; a series with zero variance has
    ``rho(0) = 1`` and ``rho(t > 0) = 0`` by convention.

    Parameters
    ----------
    x : array_like
        ``(n,)`` or ``(n, n_chains)`` series, time on axis 0.
    max_lag : int, optional
        Largest lag (default: ``n - 1``).

    Returns
    -------
    numpy.ndarray
        ``rho(0..max_lag)`` with ``rho(0) = 1``.

    Examples
    --------
    >>> import numpy as np
    >>> rho = autocorrelation(np.random.default_rng(0).normal(size=5000), max_lag=3)
    >>> float(rho[0]), bool(abs(rho[1]) < 0.05)
    (1.0, True)
    """
    arr = _as_chains(x)
    n = arr.shape[0]
    max_lag = n - 1 if max_lag is None else min(int(max_lag), n - 1)
    centred = arr - arr.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    f = np.fft.rfft(centred, n=size, axis=0)
    acov = np.fft.irfft(f * np.conj(f), n=size, axis=0)[: max_lag + 1].sum(axis=1)
    acov /= n * arr.shape[1]
    rho = np.zeros(max_lag + 1)
    if acov[0] <= (1e-12 * float(np.abs(arr).max())) ** 2:  # constant up to rounding
        rho[0] = 1.0
        return rho
    rho[:] = acov / acov[0]
    return rho


def integrated_autocorr_time(x, c: float = 5.0) -> float:
    """``tau = 1 + 2 sum_{t=1}^{M} rho(t)`` with Sokal's window ``M >= c tau(M)``.

    Needs the series to be much longer than ``tau`` (as a rule, ``n > 50 tau``).
    Anticorrelated series can give ``tau < 1``; the result is floored at 0.1.

    Parameters
    ----------
    x : array_like
        ``(n,)`` or ``(n, n_chains)`` series, time on axis 0.
    c : float
        Window constant of Sokal's rule.

    Returns
    -------
    float
        ``tau`` in units of the series' steps (1 for independent draws).

    Examples
    --------
    >>> import numpy as np
    >>> bool(0.8 < integrated_autocorr_time(np.random.default_rng(0).normal(size=5000)) < 1.2)
    True
    """
    c = check_positive_scalar(c, "c")
    rho = autocorrelation(x)
    taus = 2.0 * np.cumsum(rho) - 1.0          # taus[M] = 1 + 2 sum_{t=1}^{M} rho(t)
    window = np.arange(rho.shape[0]) >= c * taus
    m = int(np.argmax(window)) if window.any() else rho.shape[0] - 1
    return float(max(taus[m], 0.1))


def effective_sample_size(x, c: float = 5.0) -> float:
    """``n * n_chains / tau``: the number of independent draws worth as much as ``x``.

    Parameters
    ----------
    x : array_like
        ``(n,)`` or ``(n, n_chains)`` series.
    c : float
        Window constant of :func:`integrated_autocorr_time`.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> ess = effective_sample_size(np.random.default_rng(0).normal(size=(1000, 4)))
    >>> bool(3000 < ess < 5000)
    True
    """
    arr = _as_chains(x)
    return float(arr.size / integrated_autocorr_time(arr, c))


def mean_estimate(x, c: float = 5.0) -> Estimate:
    """Mean of ``x`` over time and chains with its standard error from ``tau``.

    Parameters
    ----------
    x : array_like
        ``(n,)`` or ``(n, n_chains)`` series.
    c : float
        Window constant of :func:`integrated_autocorr_time`.

    Returns
    -------
    Estimate
        ``mean``, ``error = sqrt(var * tau / (n * n_chains))`` and ``tau``.

    Examples
    --------
    >>> import numpy as np
    >>> est = mean_estimate(np.random.default_rng(0).normal(size=(2500, 4)))
    >>> bool(abs(est.mean) < 4 * est.error), round(est.error, 2)
    (True, 0.01)
    """
    arr = _as_chains(x)
    tau = integrated_autocorr_time(arr, c)
    var = float(arr.var())
    return Estimate(float(arr.mean()), float(np.sqrt(var * tau / arr.size)), tau)


def binning_error(x, min_bins: int = 32) -> tuple[float, np.ndarray]:
    """Standard error of the mean by repeated binning (Flyvbjerg & Petersen 1989).

    Consecutive pairs are averaged level after level while at least ``min_bins``
    bins per chain remain; returns ``(error, errors_per_level)``. The error
    grows with the level until the bins are longer than the correlation time,
    where it levels off; the last level is returned (the most conservative).

    Parameters
    ----------
    x : array_like
        ``(n,)`` or ``(n, n_chains)`` series.
    min_bins : int
        Stop halving when fewer bins than this would remain.

    Returns
    -------
    error : float
        The error at the plateau (the largest bin size used).
    errors : numpy.ndarray
        The error at each level of binning (bin sizes 1, 2, 4, ...).

    Examples
    --------
    >>> import numpy as np
    >>> err, levels = binning_error(np.random.default_rng(0).normal(size=4096))
    >>> bool(0.012 < err < 0.020), len(levels) > 1
    (True, True)
    """
    arr = _as_chains(x)
    min_bins = check_positive_int(min_bins, "min_bins")
    errors = []
    level = arr
    while level.shape[0] >= min_bins:
        errors.append(float(np.sqrt(level.var(ddof=1) / level.size)) if level.size > 1 else 0.0)
        half = level.shape[0] // 2
        level = 0.5 * (level[: 2 * half: 2] + level[1: 2 * half: 2])
    if not errors:
        raise ValueError(f"x needs at least min_bins={min_bins} samples per chain, "
                         f"got {arr.shape[0]}")
    errors = np.asarray(errors)
    return float(errors[-1]), errors


def jackknife(fn: Callable, *series, n_blocks: int = 20) -> Estimate:
    """Blocked jackknife estimate and error of ``fn(*series)``.

    Each series has time on axis 0 (all the same length). Block ``b`` of
    ``n_blocks`` consecutive time blocks is left out in turn; with blocks longer
    than the autocorrelation time this accounts for correlations. ``fn`` gets
    the remaining samples (same trailing axes) and returns a float.

    Parameters
    ----------
    fn : callable
        ``fn(*series)`` -> float, computed from (blocks of) the series.
    *series : array_like
        Series of equal length, time on axis 0.
    n_blocks : int
        Number of blocks left out in turn.

    Returns
    -------
    Estimate
        The estimate and its jackknife standard error.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=4000)
    >>> est = jackknife(lambda s: float(np.mean(s ** 2)), x)
    >>> bool(abs(est.mean - 1) < 4 * est.error)
    True
    >>> est = jackknife(lambda a: a.var(), np.random.default_rng(1).normal(size=4000))
    >>> bool(abs(est.mean - 1.0) < 4 * est.error)
    True
    """
    if not series:
        raise ValueError("jackknife needs at least one series")
    arrs = [np.asarray(s, dtype=np.float64) for s in series]
    n = arrs[0].shape[0]
    if any(a.shape[0] != n for a in arrs):
        raise ValueError("every series must have the same length on axis 0")
    n_blocks = check_positive_int(n_blocks, "n_blocks")
    if n_blocks < 2 or n < n_blocks:
        raise ValueError(f"n_blocks must lie in [2, {n}], got {n_blocks}")
    edges = np.linspace(0, n, n_blocks + 1).astype(int)
    full = float(fn(*arrs))
    leave_out = np.empty(n_blocks)
    for b in range(n_blocks):
        keep = np.r_[0:edges[b], edges[b + 1]:n]
        leave_out[b] = fn(*[a[keep] for a in arrs])
    mean_lo = leave_out.mean()
    error = np.sqrt((n_blocks - 1) / n_blocks * np.sum((leave_out - mean_lo) ** 2))
    # bias-corrected estimate
    return Estimate(float(n_blocks * full - (n_blocks - 1) * mean_lo), float(error))
