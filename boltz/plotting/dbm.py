"""Figures for deep Boltzmann machines and deep belief nets: samples and per-layer filters.

Examples
--------
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

__all__ = ["plot_samples", "layer_filters", "plot_layer_filters", "sample_diversity",
           "plot_samples_if_converged"]


def plot_samples(samples, shape=None, ncols: int = 10, title: str = "DBM samples", ax=None):
    """Tile visible samples (e.g. ``dbm.gibbs_sample(100)``) into one figure.

    Parameters
    ----------
    samples : array_like
        ``(n, n_visible)`` samples or visible probabilities in [0, 1].
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
    >>> fig = plot_samples(np.random.default_rng(0).random((20, 16)), shape=(4, 4))
    >>> fig.axes[0].get_title()
    'DBM samples'
    """
    return image_grid(np.asarray(samples), shape=shape, ncols=ncols, title=title, ax=ax)


def sample_diversity(samples, data) -> float:
    """How much samples differ from each other, relative to the data.

    The mean over pixels of the standard deviation across ``samples``, divided
    by the same for ``data``: about 1 for samples as varied as the data, near 0
    for near-identical samples (the grey blobs of a model trained too briefly).

    Parameters
    ----------
    samples, data : array_like
        ``(n, n_visible)`` arrays of samples (or probabilities) and data rows.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> data = (np.random.default_rng(0).random((100, 16)) < 0.5).astype(float)
    >>> round(sample_diversity(np.tile(data[:1] * 0 + 0.4, (50, 1)), data), 3)
    0.0
    >>> 0.8 < sample_diversity(data[50:], data[:50]) < 1.2
    True
    """
    spread = float(np.asarray(samples, dtype=float).std(axis=0).mean())
    ref = float(np.asarray(data, dtype=float).std(axis=0).mean())
    if ref == 0:
        raise ValueError("data must vary across rows to compare diversity with")
    return spread / ref


def plot_samples_if_converged(samples, data, shape=None, title: str = "DBM samples",
                              min_diversity: float = 0.3, hint: str = ""):
    """Plot samples; when they vary far less than the data, label them "too short to converge".

    A model trained for a few epochs gives blurry prototypes that all look
    alike; shown as a plain sample grid they would pass for a model's output.
    When :func:`sample_diversity` is below ``min_diversity``, the grid is drawn
    faded, titled in red as too short to converge, with the measured diversity
    and ``hint`` (for example the settings that produce digits) beneath.

    Parameters
    ----------
    samples, data : array_like
        ``(n, n_visible)`` samples and data rows (for the diversity).
    shape : (int, int), optional
        Image shape of one sample.
    title : str
        Title of the sample grid.
    min_diversity : float
        Below this the samples are not drawn.
    hint : str
        Appended to the "too short to converge" message.

    Returns
    -------
    fig : matplotlib.figure.Figure
    converged : bool
        Whether the samples varied enough to be shown as plain samples.

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> data = (np.random.default_rng(0).random((100, 16)) < 0.5).astype(float)
    >>> fig, ok = plot_samples_if_converged(np.full((20, 16), 0.4), data, shape=(4, 4))
    >>> ok, "TOO SHORT TO CONVERGE" in fig.axes[0].get_title()
    (False, True)
    """
    import matplotlib.pyplot as plt

    diversity = sample_diversity(samples, data)
    if diversity >= min_diversity:
        return plot_samples(samples, shape=shape, title=title), True
    samples = np.asarray(samples, dtype=float)
    n = samples.shape[0]
    ncols = min(10, n)
    nrows = -(-n // ncols)
    fig, ax = plt.subplots(figsize=(ncols * 0.6 + 0.5, nrows * 0.6 + 1.4))
    image_grid(0.35 + 0.3 * samples, shape=shape, ncols=ncols, ax=ax)  # faded
    ax.images[0].set_clim(0.0, 1.0)
    ax.set_title(f"{title}\nTOO SHORT TO CONVERGE", color="C3", fontsize=10)
    text = (f"These samples vary far less than the data (pixel spread {diversity:.2f} of the "
            f"data's, below {min_diversity}): blurry prototypes of a few digits, not a "
            "trained model's samples.")
    if hint:
        text += f"\n{hint}"
    fig.text(0.5, 0.01, text, ha="center", va="bottom", fontsize=7, wrap=True)
    fig.subplots_adjust(bottom=0.12, top=0.9)
    return fig, False


def layer_filters(weights, layer: int) -> np.ndarray:
    """Receptive fields of hidden layer ``layer`` (1-based) in visible space.

    Layer 1's filters are the columns of ``W_0``; deeper layers' are the
    products ``W_0 W_1 ... W_{l-1}`` (a linear projection of the filters
    below, as is usual for visualising deep layers). Shape ``(n_l, n_visible)``.

    Parameters
    ----------
    weights : list of array_like
        ``W_0, W_1, ...`` of the model.
    layer : int
        Hidden layer, from 1.

    Returns
    -------
    numpy.ndarray
        ``(n_layer, n_visible)``.

    Examples
    --------
    >>> import numpy as np
    >>> layer_filters([np.ones((4, 3)), np.ones((3, 2))], 2).tolist()
    [[3.0, 3.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0]]
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

    Parameters
    ----------
    model : DeepBoltzmannMachine or DeepBeliefNet
        A fitted model.
    shape : (int, int), optional
        Image shape of the visible layer (default: square).
    n_filters : int
        Filters shown per layer.
    ncols : int
        Filters per row.

    Returns
    -------
    matplotlib.figure.Figure
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
