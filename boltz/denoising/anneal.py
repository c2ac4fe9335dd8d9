"""Simulated annealing for the denoising posterior (Geman & Geman 1984).

Gibbs sweeps of ``p(x | y)^(1/T)`` while the temperature ``T`` falls
geometrically from ``t_start`` to ``t_end``, followed by zero-temperature
sweeps (ICM) until no pixel changes, so the result is a local minimum at
least as good as ICM's from the annealed state. With a slow enough schedule
annealing approaches the global minimum; the exact one is
:func:`boltz.denoising.map_mincut`.

Examples
--------
>>> import numpy as np
>>> from boltz.denoising import DenoisingPosterior
>>> y = np.ones((8, 8), dtype=np.int8); y[2, 5] = -1
>>> res = anneal(DenoisingPosterior.from_noise_rate(y, 0.1, beta=1.0), n_sweeps=50, seed=0)
>>> int(res.labels.min())
1
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_int, check_positive_scalar, check_rng
from .icm import _check_model, _initial_state
from .result import DenoiseResult

__all__ = ["anneal", "geometric_schedule"]


def geometric_schedule(t_start: float, t_end: float, n_sweeps: int) -> np.ndarray:
    """Temperatures ``t_start * (t_end / t_start) ** (k / (n - 1))``, ``k = 0..n-1``.

    Parameters
    ----------
    t_start, t_end : float
        First and last temperature (> 0).
    n_sweeps : int
        Number of temperatures.

    Returns
    -------
    numpy.ndarray, shape (n_sweeps,)
        The temperatures.

    Examples
    --------
    >>> geometric_schedule(4.0, 0.25, 3).tolist()
    [4.0, 1.0, 0.25]
    """
    t_start = check_positive_scalar(t_start, "t_start")
    t_end = check_positive_scalar(t_end, "t_end")
    n_sweeps = check_positive_int(n_sweeps, "n_sweeps")
    if t_end > t_start:
        raise ValueError(f"t_end ({t_end}) must not exceed t_start ({t_start})")
    if n_sweeps == 1:
        return np.array([t_end])
    return t_start * (t_end / t_start) ** (np.arange(n_sweeps) / (n_sweeps - 1))


def anneal(model, n_sweeps: int = 200, t_start: float = 3.0, t_end: float = 0.05,
           init=None, seed=None, max_quench_sweeps: int = 100,
           progress: bool = False) -> DenoiseResult:
    """Simulated annealing: ``n_sweeps`` Gibbs sweeps on a geometric cooling schedule.

    Starts from ``init`` (default: the noisy image), sweeps once at each temperature
    of :func:`geometric_schedule` with :func:`boltz.samplers.grid.gibbs_sweeps`, then
    quenches with ICM sweeps until nothing changes. Every image row draws from its own
    counter-based stream, so a seed gives the same result on any number of threads.

    Parameters
    ----------
    model : DenoisingPosterior
        The posterior to minimise the energy of.
    n_sweeps : int
        Gibbs sweeps (one per temperature).
    t_start, t_end : float
        First and last temperature, ``t_start >= t_end > 0``.
    init : array_like of shape (H, W), optional
        Starting image with values ±1; default the noisy image.
    seed : int, numpy Generator or None
        Seeds the random streams.
    max_quench_sweeps : int
        Most ICM sweeps after the schedule.
    progress : bool
        Show a progress bar.

    Returns
    -------
    DenoiseResult
        ``method="anneal"``; ``info`` holds ``sweeps``, ``quench_sweeps``, ``t_start``
        and ``t_end``.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.denoising import DenoisingPosterior
    >>> y = np.ones((6, 6), dtype=np.int8); y[1, 4] = -1
    >>> res = anneal(DenoisingPosterior.from_noise_rate(y, 0.1, beta=1.0), n_sweeps=30, seed=0)
    >>> res.method, res.info["sweeps"]
    ('anneal', 30)
    """
    from tqdm.auto import tqdm

    from ..samplers._rng import make_streams
    from ..samplers.grid import gibbs_sweeps, icm_sweep

    model = _check_model(model)
    temps = geometric_schedule(t_start, t_end, n_sweeps)
    max_quench_sweeps = check_positive_int(max_quench_sweeps, "max_quench_sweeps")
    rng = check_rng(seed)
    x = _initial_state(model, init)
    chains = x[None]  # one chain; a view, updated in place
    streams = make_streams(rng, (1, model.shape[0]))  # one counter-based stream per row
    field = model.external_field()
    beta = float(model.beta)
    chunks = np.array_split(temps, min(n_sweeps, 20))  # kernel calls between progress updates
    for chunk in tqdm(chunks, desc="annealing", disable=not progress):
        gibbs_sweeps(chains, streams, field, beta, model.neighbourhood, chunk)
    quench = 0
    for quench in range(1, max_quench_sweeps + 1):  # noqa: B007
        if icm_sweep(chains, field, beta, model.neighbourhood) == 0:
            break
    return DenoiseResult(x, model.energy_image(x), "anneal",
                         info={"sweeps": n_sweeps, "quench_sweeps": quench,
                               "t_start": float(temps[0]), "t_end": float(temps[-1])})
