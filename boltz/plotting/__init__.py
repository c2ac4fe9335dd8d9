"""matplotlib figures, one module per area (``boltz.plotting.ising``, ``.denoising``,
``.rbm``, ``.ebm``, ...). Models never import this package; it imports them.

Every function takes an optional ``ax``/``fig`` and returns the figure, so a
caller can save it (``fig.savefig(path)``) or show it.
"""

from __future__ import annotations

__all__ = ["image_grid"]


def image_grid(images, shape=None, ncols: int = 10, cmap: str = "gray", title: str | None = None,
               ax=None):
    """Tile a batch of images into one picture (filters, samples, digits).

    ``images`` is ``(n, h, w)`` or ``(n, h*w)`` with ``shape=(h, w)``.
    Returns the matplotlib figure.

    Parameters
    ----------
    images : array_like
        ``(n, h, w)``, or ``(n, h*w)`` with ``shape``.
    shape : (int, int), optional
        Image shape of flattened rows (default: square).
    ncols : int
        Images per row.
    cmap : str
        Colour map.
    title : str, optional
        Title.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = image_grid(np.zeros((6, 16)), ncols=3, title="six")
    >>> fig.axes[0].get_title()
    'six'
    """
    import matplotlib.pyplot as plt
    import numpy as np

    imgs = np.asarray(images, dtype=float)
    if imgs.ndim == 2:
        if shape is None:
            side = int(round(np.sqrt(imgs.shape[1])))
            if side * side != imgs.shape[1]:
                raise ValueError("shape must be given for non-square flattened images")
            shape = (side, side)
        imgs = imgs.reshape(imgs.shape[0], *shape)
    if imgs.ndim != 3:
        raise ValueError(f"images must be (n, h, w) or (n, h*w), got {np.shape(images)}")
    n, h, w = imgs.shape
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    canvas = np.full((nrows * (h + 1) + 1, ncols * (w + 1) + 1), np.nan)
    for k in range(n):
        r, c = divmod(k, ncols)
        canvas[1 + r * (h + 1): 1 + r * (h + 1) + h, 1 + c * (w + 1): 1 + c * (w + 1) + w] = imgs[k]
    if ax is None:
        fig, ax = plt.subplots(figsize=(ncols * 0.6 + 0.5, nrows * 0.6 + 0.5))
    else:
        fig = ax.figure
    ax.imshow(canvas, cmap=cmap, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig
