"""Figures for binary image denoising: restorations side by side, marginal maps.

Panel titles give each restoration's pixel error rate against the clean image
and its posterior energy ``E`` (minus the log of the unnormalized posterior
``p(x | y)``: lower is more probable, the exact MAP has the lowest); the figure
says so in a caption.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_restorations", "plot_marginal_map"]

ENERGY_CAPTION = ("error: pixels differing from the original.  E: posterior energy "
                  "-log p~(x | y), lower = more probable (the exact MAP has the lowest).")

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
                      panel_size: float = 3.0, fig=None, caption: bool = True):
    """Original (if ``truth`` is given), noisy image and each result side by side.

    A result with a ``probability`` map is drawn as that map (``p(x_i = +1 | y)``,
    grey scale from 0 to 1, with a colour bar), titled with the error and
    energy of its thresholded labels.

    Parameters
    ----------
    noisy : array_like
        The noisy ±1 image.
    results : list of DenoiseResult
        Restorations (:class:`~boltz.denoising.DenoiseResult`), drawn in order.
    truth : array_like, optional
        The clean image: drawn first, and used for the error rates.
    noisy_energy : float, optional
        Posterior energy of the noisy image, shown in its title.
    ncols : int, optional
        Panels per row (default: all in one row).
    panel_size : float
        Inches per panel.
    fig : matplotlib.figure.Figure, optional
        Figure to draw into.
    caption : bool
        Add a caption explaining "error" and "E".

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from boltz.datasets import binary_image
    >>> from boltz.denoising import DenoisingPosterior, add_flip_noise, gibbs_marginals, icm
    >>> clean = binary_image("shapes", 32)
    >>> post = DenoisingPosterior.from_noise_rate(add_flip_noise(clean, 0.1, seed=0), 0.1)
    >>> fig = plot_restorations(post.noisy, [icm(post)], truth=clean)
    >>> len(fig.axes)
    3
    >>> fig = plot_restorations(post.noisy, [icm(post), gibbs_marginals(post, n_sweeps=20)])
    >>> len(fig.axes)  # noisy, ICM, marginals and the marginals' colour bar
    4
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
            im = ax.imshow(prob, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            fig.colorbar(im, ax=ax, shrink=0.8, label="p(pixel = white | noisy image)")
            name = f"{name}: p(x=+1|y)"
        else:
            ax.imshow(image, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
        ax.set_title(_title(name, image, truth if name != "original" else None, energy),
                     fontsize=9)
        ax.set_axis_off()
    if caption:
        fig.suptitle(ENERGY_CAPTION, fontsize=8, y=0.0, va="bottom")
    return fig


def plot_marginal_map(result, ax=None):
    """Per-pixel uncertainty ``min(p, 1 - p)`` of a marginal result, with a colour bar.

    Parameters
    ----------
    result : DenoiseResult
        A marginal result (``gibbs_marginals`` or ``mean_field_marginals``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from boltz.datasets import binary_image
    >>> from boltz.denoising import DenoisingPosterior, add_flip_noise, mean_field_marginals
    >>> post = DenoisingPosterior.from_noise_rate(add_flip_noise(binary_image("rings", 32),
    ...                                           0.1, seed=0), 0.1)
    >>> fig = plot_marginal_map(mean_field_marginals(post))
    >>> fig.axes[1].get_ylabel()
    'P(label wrong) = min(p, 1 - p)'
    """
    import matplotlib.pyplot as plt

    if result.probability is None:
        raise ValueError(f"result of method {result.method!r} has no probability map")
    if ax is None:
        fig, ax = plt.subplots(figsize=(4, 3.5))
    else:
        fig = ax.figure
    im = ax.imshow(result.uncertainty, cmap="magma", vmin=0.0, vmax=0.5,
                   interpolation="nearest")
    fig.colorbar(im, ax=ax, label="P(label wrong) = min(p, 1 - p)")
    ax.set_title(f"{_LABELS.get(result.method, result.method)}: uncertainty")
    ax.set_axis_off()
    return fig
