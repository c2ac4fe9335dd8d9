"""Figures for RBMs: receptive fields (filters), samples and training curves.

Examples
--------
>>> import numpy as np
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from boltz.rbm import BernoulliRBM
>>> from boltz.plotting.rbm import plot_filters
>>> rbm = BernoulliRBM.from_params(np.random.default_rng(0).normal(size=(16, 4)),
...                                np.zeros(16), np.zeros(4))
>>> fig = plot_filters(rbm, shape=(4, 4))
"""

from __future__ import annotations

import numpy as np

from . import image_grid

__all__ = ["plot_filters", "plot_samples", "plot_training_curves"]

_CURVE_TITLES = {
    "recon_error": "reconstruction error (squared, per sample; lower is better)",
    "pseudo_loglik": "pseudo-log-likelihood (nats; higher is better)",
    "learning_rate": "learning rate",
    "val_recon_error": "validation reconstruction error",
    "val_pseudo_loglik": "validation pseudo-log-likelihood (nats)",
    "val_loglik_ais": "validation log-likelihood by AIS (nats)",
}


def plot_filters(model, shape=None, n: int = 100, ncols: int = 10, ax=None):
    """Show the weights into the first ``n`` hidden units as images (one per unit).

    Each filter is scaled to its own range so that weak units stay visible.

    Parameters
    ----------
    model : RBM
        A fitted RBM (``W_`` of shape ``(n_visible, n_hidden)``).
    shape : (int, int), optional
        Image shape of the visible layer (default: square).
    n : int
        Number of hidden units shown.
    ncols : int
        Images per row.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> from boltz.rbm import BernoulliRBM
    >>> rbm = BernoulliRBM.from_params(np.eye(16, 4), np.zeros(16), np.zeros(4))
    >>> plot_filters(rbm, shape=(4, 4)).axes[0].get_title()
    'BernoulliRBM filters (weights into each hidden unit, each scaled to its range)'
    """
    W = np.asarray(model.W_, dtype=float).T[:n]
    lo = W.min(axis=1, keepdims=True)
    span = np.maximum(W.max(axis=1, keepdims=True) - lo, 1e-12)
    return image_grid((W - lo) / span, shape=shape, ncols=ncols,
                      title=f"{type(model).__name__} filters (weights into each hidden unit, "
                            "each scaled to its range)", ax=ax)


def plot_samples(samples, shape=None, ncols: int = 10, title: str = "samples", ax=None):
    """Tile visible samples (e.g. from ``model.sample``) as images.

    Parameters
    ----------
    samples : array_like
        ``(n, n_visible)`` samples.
    shape : (int, int), optional
        Image shape of one sample (default: square).
    ncols : int
        Images per row.
    title : str
        Figure title.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_samples(np.zeros((4, 9)), shape=(3, 3), title="4 samples")
    >>> fig.axes[0].get_title()
    '4 samples'
    """
    return image_grid(np.asarray(samples, dtype=float), shape=shape, ncols=ncols, title=title,
                      ax=ax)


def plot_training_curves(history, keys=None, fig=None):
    """One panel per metric of ``model.history_`` (reconstruction error, pseudo-likelihood, ...).

    ``history`` is the model or its ``history_`` list; ``keys`` picks metrics
    (default: every numeric metric except bookkeeping ones).

    Parameters
    ----------
    history : RBM or list of dict
        A fitted model or its ``history_``.
    keys : list of str, optional
        Metrics to plot.
    fig : matplotlib.figure.Figure, optional
        Figure to draw into.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> hist = [{"epoch": 1, "recon_error": 30.0}, {"epoch": 2, "recon_error": 25.0}]
    >>> plot_training_curves(hist).axes[0].get_ylabel()
    'recon_error'
    """
    import matplotlib.pyplot as plt

    hist = getattr(history, "history_", history)
    if not hist:
        raise ValueError("history is empty: train the model first")
    skip = {"epoch", "seconds", "momentum"}
    if keys is None:
        keys = sorted({k for row in hist for k in row if k not in skip})
    keys = list(keys)
    if fig is None:
        fig = plt.figure(figsize=(3.2 * len(keys), 2.8))
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys, strict=True):
        pts = [(row["epoch"], row[key]) for row in hist if key in row]
        if pts:
            ep, val = zip(*pts, strict=True)
            ax.plot(ep, val, marker="o", ms=3)
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.set_title(_CURVE_TITLES.get(key, key), fontsize=9)
    fig.tight_layout()
    return fig
