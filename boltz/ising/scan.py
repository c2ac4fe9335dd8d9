"""Scans of independent Ising runs (temperatures, fields, sizes, seeds), serial or on Dask.

:func:`scan` runs :func:`~boltz.ising.simulate` once per model; run ``k`` is seeded
by ``seed + k`` whatever runs it, so the results are the same in one process and on
a Dask cluster of any size (``client=``, see :mod:`boltz.distributed.jobs`).

Examples
--------
>>> from boltz.ising import IsingLattice
>>> models = [IsingLattice(8, temperature=T) for T in (2.0, 3.0)]
>>> runs = scan(models, "wolff", n_sweeps=100, seed=0)
>>> [r.temperature for r in runs]
[2.0, 3.0]
"""

from __future__ import annotations

import functools

from .._validation import check_rng
from .observables import simulate

__all__ = ["scan"]


def _run(job, options):
    model, seed = job
    return simulate(model, seed=seed, **options)


def scan(models, algorithm: str = "metropolis", *, seed: int = 0, client=None,
         progress: bool = False, **options) -> list:
    """:func:`~boltz.ising.simulate` of each model, run ``k`` seeded by ``seed + k``.

    Parameters
    ----------
    models : sequence of IsingLattice or PairwiseMRF
        One model per point of the scan (e.g. one per temperature or field).
    algorithm : str, default "metropolis"
        The sampler (see :func:`~boltz.ising.simulate`).
    seed : int, default 0
        Run ``k`` uses ``seed + k``.
    client : distributed.Client, optional
        Run the jobs as Dask tasks (each on one worker); default: in order here.
    progress : bool, default False
        Progress bars (serial runs only; Dask workers run without).
    **options
        Further arguments of :func:`~boltz.ising.simulate` (``n_sweeps``,
        ``n_chains``, ...), the same for every run.

    Returns
    -------
    list of IsingRun
        In the order of ``models``.

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> runs = scan([IsingLattice(8, h=h) for h in (0.0, 0.5)], "gibbs", n_sweeps=50)
    >>> len(runs)
    2
    """
    from ..distributed import map_jobs

    models = list(models)
    if not models:
        raise ValueError("models must hold at least one model")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        check_rng(seed)
        raise TypeError(f"seed must be a non-negative int (run k uses seed + k), got {seed!r}")
    options = dict(options, algorithm=algorithm, progress=bool(progress) and client is None)
    if "device" in options and options["device"] is not None and client is not None:
        raise ValueError("client runs CPU jobs; leave device=None with a Dask client")
    jobs = [(m, seed + k) for k, m in enumerate(models)]
    return map_jobs(functools.partial(_run, options=options), jobs, client=client)
