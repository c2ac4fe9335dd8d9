"""Figures for Ising runs: observables against temperature with Onsager's curves, and
spin snapshots. Every function returns the matplotlib figure."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_observables", "plot_spins"]


def plot_observables(runs_by_size: dict, onsager: bool = True, fig=None):
    """⟨|m|⟩, specific heat and Binder cumulant against T, one curve per lattice size.

    ``runs_by_size`` maps ``L`` to a list of :class:`~boltz.ising.IsingRun` (one per T).
    Onsager's spontaneous magnetisation and specific heat are overlaid, with ``T_c``.

    Parameters
    ----------
    runs_by_size : dict of int to list of IsingRun
        Runs per lattice side, one per temperature.
    onsager : bool
        Overlay Onsager's exact curves and mark ``T_c``.
    fig : matplotlib.figure.Figure, optional
        Figure to draw into.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from boltz.ising import IsingLattice, simulate
    >>> runs = {8: [simulate(IsingLattice(8, temperature=t), "wolff", n_sweeps=50, seed=0)
    ...             for t in (2.0, 2.5)]}
    >>> fig = plot_observables(runs)
    """
    import matplotlib.pyplot as plt

    from ..ising.exact import T_C, onsager_magnetization, onsager_specific_heat

    if fig is None:
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    else:
        axes = fig.subplots(1, 3)
    panels = [("abs_magnetization", r"$\langle |m| \rangle$"),
              ("specific_heat", "specific heat per site"),
              ("binder", "Binder cumulant $U_4$")]
    for L, runs in sorted(runs_by_size.items()):
        runs = sorted(runs, key=lambda r: r.temperature)
        T = np.array([r.temperature for r in runs])
        for ax, (name, _) in zip(axes, panels, strict=True):
            est = [getattr(r, name) for r in runs]
            ax.errorbar(T, [e.mean for e in est], yerr=[e.error for e in est], marker="o",
                        ms=3, capsize=2, label=f"L = {L}")
    if onsager and runs_by_size:
        all_T = [r.temperature for runs in runs_by_size.values() for r in runs]
        grid = np.linspace(min(all_T), max(all_T), 400)
        grid = grid[np.abs(grid - T_C) > 1e-3]
        axes[0].plot(grid, onsager_magnetization(grid), "k--", lw=1, label="Onsager")
        axes[1].plot(grid, onsager_specific_heat(grid), "k--", lw=1, label="Onsager")
    for ax, (_, label) in zip(axes, panels, strict=True):
        ax.axvline(T_C, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("T")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_spins(spins, titles=None, ncols: int = 4, fig=None):
    """Spin configurations ``(n, Lx, Ly)`` (or one ``(Lx, Ly)``) as black/white images.

    Parameters
    ----------
    spins : array_like
        ``(n, Lx, Ly)`` or ``(Lx, Ly)`` spins in {-1, +1}.
    titles : list of str, optional
        One title per configuration.
    ncols : int
        Panels per row.
    fig : matplotlib.figure.Figure, optional
        Figure to draw into.

    Returns
    -------
    matplotlib.figure.Figure
        With a caption saying white is +1 and black is -1.

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_spins(np.ones((2, 4, 4)), titles=["a", "b"])
    >>> fig.texts[0].get_text()
    'white: spin +1, black: spin -1'
    """
    import matplotlib.pyplot as plt

    s = np.asarray(spins)
    if s.ndim == 2:
        s = s[None]
    n = s.shape[0]
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    if fig is None:
        fig = plt.figure(figsize=(2.6 * ncols, 2.6 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if k < n:
            ax.imshow(s[k], cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[k], fontsize=9)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.text(0.5, 0.01, "white: spin +1, black: spin -1", ha="center", va="bottom", fontsize=8)
    return fig
