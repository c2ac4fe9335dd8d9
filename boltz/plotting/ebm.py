"""Figures for :mod:`boltz.deep`: 2D densities and samples.

The functions take numpy arrays (grids from :func:`boltz.deep.metrics.grid_log_prob`,
samples as ``(n, 2)`` arrays), so this module never imports torch.

Examples
--------
>>> import numpy as np
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig = plot_density_2d(np.zeros((20, 20)), bounds=(-1, 1))
>>> len(fig.axes)  # the density and its colour bar
2
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_density_2d", "plot_samples_2d", "plot_toy_fit", "plot_mode_fractions"]


def _ax(ax, size=(4, 4)):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=size)
        return fig, ax
    return ax.figure, ax


def plot_density_2d(log_prob, bounds=(-4.5, 4.5), ax=None, title=None, cmap="viridis",
                    colorbar: bool = True):
    """Show ``exp(log_prob)`` of an ``(n, n)`` grid (rows = y) on ``bounds^2``.

    Parameters
    ----------
    log_prob : array_like
        ``(n, n)`` log-densities (any additive constant).
    bounds : (float, float)
        The square's range on both axes.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    title : str, optional
        Axes title.
    cmap : str
        Colour map.
    colorbar : bool
        Add a colour bar of the density relative to its maximum.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_density_2d(np.zeros((8, 8)), colorbar=False)
    >>> fig.axes[0].get_xlabel()
    'x1'
    """
    fig, ax = _ax(ax)
    lp = np.asarray(log_prob, dtype=float)
    if lp.ndim != 2:
        raise ValueError(f"log_prob must be a 2D grid, got shape {lp.shape}")
    lo, hi = bounds
    im = ax.imshow(np.exp(lp - lp.max()), origin="lower", extent=(lo, hi, lo, hi), cmap=cmap,
                   interpolation="nearest", vmin=0.0, vmax=1.0)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    if colorbar:
        fig.colorbar(im, ax=ax, shrink=0.8, label="density / its maximum")
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def plot_samples_2d(x, bounds=(-4.5, 4.5), ax=None, title=None, s=1.0, color="k"):
    """Scatter ``(n, 2)`` samples.

    Parameters
    ----------
    x : array_like
        ``(n, 2)`` samples.
    bounds : (float, float)
        Axis range.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    title : str, optional
        Axes title.
    s : float
        Marker size.
    color : str
        Marker colour.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> plot_samples_2d(np.zeros((5, 2)), title="five").axes[0].get_title()
    'five'
    """
    fig, ax = _ax(ax)
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (n, 2), got {x.shape}")
    ax.scatter(x[:, 0], x[:, 1], s=s, c=color, alpha=0.5, linewidths=0)
    ax.set_xlim(*bounds)
    ax.set_ylim(*bounds)
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def plot_toy_fit(data_log_prob, model_log_prob, samples, bounds=(-4.5, 4.5), title=None):
    """Three panels: the data density, the learned density, samples from the model.

    Parameters
    ----------
    data_log_prob, model_log_prob : array_like
        ``(n, n)`` grids of log-densities (from
        :func:`boltz.deep.metrics.grid_log_prob`).
    samples : array_like
        ``(m, 2)`` samples from the model.
    bounds : (float, float)
        The square's range.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_toy_fit(np.zeros((8, 8)), np.zeros((8, 8)), np.zeros((3, 2)))
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['data density', 'learned density', 'model samples (Langevin)']
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.4))
    plot_density_2d(data_log_prob, bounds, axes[0], "data density")
    plot_density_2d(model_log_prob, bounds, axes[1], "learned density")
    plot_samples_2d(samples, bounds, axes[2], "model samples (Langevin)")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_mode_fractions(fractions: dict, target: float | None = None, ax=None,
                        title: str | None = "Score pitfall: mixture 0.2 N(-5,-5) + 0.8 N(5,5)"):
    """Bar chart of the fraction of samples in one mode per sampler (score pitfall).

    Parameters
    ----------
    fractions : dict
        Sampler name -> fraction of its samples in the heavier mode.
    target : float, optional
        The exact fraction, drawn as a dashed line.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_mode_fractions({"Langevin": 0.51, "annealed": 0.79}, target=0.8)
    >>> fig.axes[0].get_ylabel()
    'fraction of samples in the heavier mode'
    """
    fig, ax = _ax(ax, (4.5, 3.2))
    names = list(fractions)
    bars = ax.bar(names, [fractions[k] for k in names], color="C0")
    for bar, name in zip(bars, names, strict=True):
        ax.annotate(f"{fractions[name]:.3f}", (bar.get_x() + bar.get_width() / 2,
                                               bar.get_height()),
                    ha="center", va="bottom", fontsize=9)
    if target is not None:
        ax.axhline(target, color="C3", ls="--", label=f"exact weight {target}")
        ax.legend(loc="lower right")
    ax.set_ylim(0, 1)
    ax.set_xlabel("sampler (both driven by the exact score)")
    ax.set_ylabel("fraction of samples in the heavier mode")
    if title:
        ax.set_title(title, fontsize=9)
    return fig
