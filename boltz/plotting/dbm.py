"""Figures for deep Boltzmann machines and deep belief nets: samples and per-layer filters.

Example
-------
>>> import numpy as np, matplotlib
>>> matplotlib.use("Agg")
>>> from boltz.dbm import DeepBoltzmannMachine
>>> rng = np.random.default_rng(0)
>>> dbm = DeepBoltzmannMachine.from_parameters(
...     [rng.standard_normal((16, 6)), rng.standard_normal((6, 4))])
>>> fig = plot_layer_filters(dbm, shape=(4, 4))
"""

from __future__ import annotations

import numpy as np

from . import image_grid

__all__ = ["plot_samples", "layer_filters", "plot_layer_filters"]


def plot_samples(samples, shape=None, ncols: int = 10, title: str = "DBM samples", ax=None):
    """Tile visible samples (e.g. ``dbm.gibbs_sample(100)``) into one figure."""
    return image_grid(np.asarray(samples), shape=shape, ncols=ncols, title=title, ax=ax)


def layer_filters(weights, layer: int) -> np.ndarray:
    """Receptive fields of hidden layer ``layer`` (1-based) in visible space.

    Layer 1's filters are the columns of ``W_0``; deeper layers' are the
    products ``W_0 W_1 ... W_{l-1}`` (a linear projection of the filters
    below, as is usual for visualising deep layers). Shape ``(n_l, n_visible)``.
    """
    if layer < 1 or layer > len(weights):
        raise ValueError(f"layer must lie in 1..{len(weights)}, got {layer}")
    proj = np.asarray(weights[0], dtype=np.float64)
    for w in weights[1:layer]:
        proj = proj @ np.asarray(w, dtype=np.float64)
    return proj.T


def plot_layer_filters(model, shape=None, n_filters: int = 50, ncols: int = 10):
    """One panel per hidden layer with its first ``n_filters`` filters; returns the figure.

    ``model`` is a :class:`~boltz.dbm.DeepBoltzmannMachine` (``weights_``) or
    a :class:`~boltz.dbm.DeepBeliefNet` (``weights_`` from its RBMs).
    """
    import matplotlib.pyplot as plt

    weights = list(model.weights_)
    n_panels = len(weights)
    fig, axes = plt.subplots(1, n_panels, figsize=(4.5 * n_panels, 4.5), squeeze=False)
    for l in range(1, n_panels + 1):
        f = layer_filters(weights, l)[:n_filters]
        # normalise each filter to [0, 1] for display
        lo, hi = f.min(axis=1, keepdims=True), f.max(axis=1, keepdims=True)
        f = (f - lo) / np.where(hi > lo, hi - lo, 1.0)
        image_grid(f, shape=shape, ncols=ncols, title=f"layer {l} filters", ax=axes[0, l - 1])
    fig.tight_layout()
    return fig
