"""Sample-quality metrics for 2D energies: exact grid KL and MMD.

:func:`grid_kl` normalises the model exactly on a fine grid (the partition
function of a 2D energy is a sum over cells) and returns
``KL(p_data || p_model)`` in nats; :func:`mmd` is the unbiased squared maximum
mean discrepancy with a Gaussian kernel.

Examples
--------
>>> import torch
>>> from boltz.deep.energies import GaussianMixtureEnergy
>>> from boltz.deep.toy import make_toy
>>> toy = make_toy("eight_gaussians")
>>> model = GaussianMixtureEnergy(toy.centers, scales=toy.noise)
>>> grid_kl(toy.log_density, model, toy.bounds, n=128) < 1e-3
True
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import logsumexp

from .._validation import check_array, check_positive_int

__all__ = ["grid_points", "grid_log_prob", "grid_log_partition", "grid_kl", "mmd"]


def grid_points(bounds=(-4.5, 4.5), n: int = 200):
    """Cell centres ``(n*n, 2)`` of an ``n x n`` grid on ``bounds^2`` and the cell area.

    Parameters
    ----------
    bounds : (float, float)
        The square's range on both axes.
    n : int
        Cells per axis.

    Returns
    -------
    points : numpy.ndarray
        ``(n*n, 2)`` cell centres, x varying fastest.
    area : float
        Area of one cell.

    Examples
    --------
    >>> pts, area = grid_points((0.0, 1.0), 2)
    >>> pts.tolist(), area
    ([[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]], 0.25)
    """
    n = check_positive_int(n, "n")
    lo, hi = float(bounds[0]), float(bounds[1])
    if not hi > lo:
        raise ValueError(f"bounds must be (low, high) with high > low, got {bounds}")
    h = (hi - lo) / n
    c = lo + (np.arange(n) + 0.5) * h
    xx, yy = np.meshgrid(c, c, indexing="xy")
    return np.stack([xx.ravel(), yy.ravel()], 1), h * h


def _model_log_unnormalized(model, pts, batch=16384):
    dtype = model.dtype
    dev = model.device
    out = []
    with torch.no_grad():
        for i in range(0, len(pts), batch):
            x = torch.as_tensor(pts[i:i + batch], dtype=dtype, device=dev)
            out.append((-model(x)).double().cpu().numpy())
    lu = np.concatenate(out)
    if not np.all(np.isfinite(lu)):
        raise ValueError("the model's energy is not finite everywhere on the grid")
    return lu


def grid_log_partition(model, bounds=(-4.5, 4.5), n: int = 200) -> float:
    """``log Z`` of a 2D energy restricted to the box, by the midpoint rule.

    Parameters
    ----------
    model : EnergyModule or Density
        A 2D energy.
    bounds : (float, float)
        The box.
    n : int
        Cells per axis.

    Returns
    -------
    float

    Examples
    --------
    >>> from boltz.deep.energies import GaussianEnergy
    >>> g = GaussianEnergy([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])
    >>> bool(abs(grid_log_partition(g, (-8, 8), 200) - float(g.log_partition())) < 1e-6)
    True
    """
    pts, area = grid_points(bounds, n)
    return float(logsumexp(_model_log_unnormalized(model, pts)) + math.log(area))


def grid_log_prob(model, bounds=(-4.5, 4.5), n: int = 200) -> np.ndarray:
    """Model log-density normalised on the grid, shape ``(n, n)`` (rows = y).

    Parameters
    ----------
    model : EnergyModule or Density
        A 2D energy.
    bounds : (float, float)
        The box.
    n : int
        Cells per axis.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` log-densities that integrate to 1 over the box.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.deep.energies import GaussianEnergy
    >>> lp = grid_log_prob(GaussianEnergy([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]]), (-5, 5), 50)
    >>> round(float(np.exp(lp).sum() * (10 / 50) ** 2), 6)
    1.0
    """
    pts, area = grid_points(bounds, n)
    lu = _model_log_unnormalized(model, pts)
    return (lu - logsumexp(lu) - math.log(area)).reshape(n, n)


def grid_kl(data_log_density, model, bounds=(-4.5, 4.5), n: int = 200) -> float:
    """``KL(p_data || p_model)`` in nats on the grid, both normalised on it.

    ``data_log_density`` maps points ``(m, 2)`` to exact log-densities.

    Parameters
    ----------
    data_log_density : callable
        ``(m, 2)`` points -> exact log-densities (any constant).
    model : EnergyModule or Density
        The learned 2D energy.
    bounds : (float, float)
        The box.
    n : int
        Cells per axis.

    Returns
    -------
    float
        KL in nats (0 for a perfect fit).

    Examples
    --------
    >>> from boltz.deep.energies import GaussianEnergy
    >>> g = GaussianEnergy([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])
    >>> round(grid_kl(lambda x: -(x ** 2).sum(1) / 2, g, (-5, 5), 100), 6)
    0.0
    """
    pts, area = grid_points(bounds, n)
    ld = np.asarray(data_log_density(pts), dtype=np.float64)
    ld = ld - logsumexp(ld) - math.log(area)
    lm = grid_log_prob(model, bounds, n).ravel()
    p = np.exp(ld) * area
    return float(np.sum(p * (ld - lm)))


def mmd(x, y, bandwidth: float | None = None) -> float:
    """Unbiased squared MMD between samples ``x`` and ``y`` with a Gaussian kernel.

    ``bandwidth`` defaults to the median pairwise distance of the pooled sample.

    Parameters
    ----------
    x, y : array_like or torch.Tensor
        ``(n, d)`` and ``(m, d)`` samples, at least two each.
    bandwidth : float, optional
        Kernel width (default: the median heuristic).

    Returns
    -------
    float
        Near 0 (it can be slightly negative) when ``x`` and ``y`` come from the
        same distribution.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> same = mmd(rng.normal(size=(300, 2)), rng.normal(size=(300, 2)))
    >>> shifted = mmd(rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 1.0)
    >>> bool(abs(same) < 0.01 < shifted)
    True
    """
    x = check_array(x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x, "x", ndim=2)
    y = check_array(y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else y, "y",
                    shape=(None, x.shape[1]))
    if len(x) < 2 or len(y) < 2:
        raise ValueError("mmd needs at least two samples in x and in y")
    z = np.concatenate([x, y])
    d2 = ((z[:, None, :] - z[None]) ** 2).sum(-1)
    if bandwidth is None:
        bandwidth = float(np.sqrt(np.median(d2[np.triu_indices(len(z), 1)])))
    k = np.exp(-d2 / (2 * bandwidth**2))
    n, m = len(x), len(y)
    kxx, kyy, kxy = k[:n, :n], k[n:, n:], k[:n, n:]
    return float((kxx.sum() - np.trace(kxx)) / (n * (n - 1))
                 + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.mean())
