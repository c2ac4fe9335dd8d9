"""Figures for binary image denoising: restorations side by side, marginal maps."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_restorations", "plot_marginal_map"]

_LABELS = {
    "map": "exact MAP (min-cut)",
    "icm": "ICM",
    "anneal": "annealing",
    "mpm-gibbs": "marginals (Gibbs)",
    "mpm-mean-field": "marginals (mean field)",
}


def _title(name, image, truth, energy):
    parts = [name]
    if truth is not None:
        parts.append(f"error {100 * np.mean(np.asarray(image) != truth):.2f}%")
    if energy is not None:
        parts.append(f"E = {energy:.6g}")
    return "\n".join(parts)


def plot_restorations(noisy, results, truth=None, noisy_energy=None, ncols: int | None = None,
                      panel_size: float = 3.0, fig=None):
    """Original (if ``truth`` is given), noisy image and each result side by side.

    ``results`` is a list of :class:`~boltz.denoising.DenoiseResult`; a result
    with a ``probability`` map is drawn as that map (``p(x_i = +1 | y)``,
    grey scale), titled with the error and energy of its thresholded labels.
    Titles give error rates against ``truth`` and energies. Returns the figure.

    Example
    -------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from boltz.datasets import binary_image
    >>> from boltz.denoising import DenoisingPosterior, add_flip_noise, icm
    >>> clean = binary_image("shapes", 32)
    >>> post = DenoisingPosterior.from_noise_rate(add_flip_noise(clean, 0.1, seed=0), 0.1)
    >>> fig = plot_restorations(post.noisy, [icm(post)], truth=clean)
    >>> len(fig.axes)
    3
    """
    import matplotlib.pyplot as plt

    panels = []
    if truth is not None:
        truth = np.asarray(truth)
        panels.append(("original", truth, None, None))
    panels.append(("noisy", np.asarray(noisy), noisy_energy, None))
    for res in results:
        name = _LABELS.get(res.method, res.method)
        panels.append((name, res.labels, res.energy, res.probability))
    n = len(panels)
    ncols = n if ncols is None else max(1, min(int(ncols), n))
    nrows = int(np.ceil(n / ncols))
    if fig is None:
        fig = plt.figure(figsize=(panel_size * ncols, (panel_size + 0.8) * nrows),
                         layout="constrained")
    for k, (name, image, energy, prob) in enumerate(panels):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        if prob is not None:
            ax.imshow(prob, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            name = f"{name}: p(x=+1|y)"
        else:
            ax.imshow(image, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
        ax.set_title(_title(name, image, truth if name != "original" else None, energy),
                     fontsize=9)
        ax.set_axis_off()
    return fig


def plot_marginal_map(result, ax=None):
    """Per-pixel uncertainty ``min(p, 1 - p)`` of a marginal result, with a colour bar."""
    import matplotlib.pyplot as plt

    if result.probability is None:
        raise ValueError(f"result of method {result.method!r} has no probability map")
    if ax is None:
        fig, ax = plt.subplots(figsize=(4, 3.5))
    else:
        fig = ax.figure
    im = ax.imshow(result.uncertainty, cmap="magma", vmin=0.0, vmax=0.5,
                   interpolation="nearest")
    fig.colorbar(im, ax=ax, label="P(label wrong)")
    ax.set_title(f"{_LABELS.get(result.method, result.method)}: uncertainty")
    ax.set_axis_off()
    return fig
