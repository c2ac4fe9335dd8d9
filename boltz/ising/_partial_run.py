"""An interrupted run's measurements, kept in its checkpoint so that a resume finishes it.

``simulate(..., checkpoint=PATH)`` stopped by Ctrl-C saves, beside the sampler
state, where the run stood (burn-in, sweeps between measurements, measurements
made) and the measurements themselves, as ``partial_*`` entries of the state's
``info``. ``simulate(..., resume=PATH)`` takes them back: it runs only the
remaining measurements and estimates over all of them, so an interrupted and
resumed run equals the run that was never interrupted (same seed and options).
A checkpoint written at the end of a finished run holds no such entries, and a
resume from it starts a new run from that state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: state.info entries of a partial run start with this
PREFIX = "partial_"
_SCALARS = ("n_burnin", "measure_every", "n_sweeps", "done", "stepped", "correlation",
            "staggered")


@dataclass
class PartialRun:
    """Where an interrupted run stood, and its measurements.

    Attributes
    ----------
    n_burnin, measure_every, n_sweeps : int
        The run's burn-in (already done), sweeps per measurement and measured sweeps asked.
    correlation, staggered : int
        1 where the run recorded the correlation length or the staggered magnetisation.
    done : int
        Measurements made.
    stepped : int
        Measurement intervals the state has been advanced by (``done`` or ``done + 1``:
        the state of measurement ``done`` when Ctrl-C came between its sweeps and its
        measurement).
    series : dict
        ``name -> (done, ...)`` float64 rows of :class:`~boltz._resources.GrowingSeries`.
    correlation_sum : ndarray or None
        The sum of the ``done`` spin-correlation functions ``G(r)``.
    """

    n_burnin: int
    measure_every: int
    n_sweeps: int
    correlation: int
    staggered: int
    done: int
    stepped: int
    series: dict
    correlation_sum: np.ndarray | None = None

    def to_info(self) -> dict:
        """The ``state.info`` entries that :func:`take` reads back."""
        info = {PREFIX + k: int(getattr(self, k)) for k in _SCALARS}
        info.update({f"{PREFIX}series_{k}": np.asarray(v, dtype=np.float64)
                     for k, v in self.series.items()})
        if self.correlation_sum is not None:
            info[PREFIX + "correlation_sum"] = np.asarray(self.correlation_sum, np.float64)
        return info


def take(info: dict) -> PartialRun | None:
    """Remove a partial run's entries from ``info`` (in place); the run, or None."""
    entries = {k[len(PREFIX):]: info.pop(k) for k in [k for k in info if k.startswith(PREFIX)]}
    if not entries:
        return None
    try:
        scalars = {k: int(entries[k]) for k in _SCALARS}
    except KeyError as exc:
        raise ValueError(f"resume: the checkpoint's partial run lacks {exc}") from None
    series = {k[len("series_"):]: np.asarray(v, dtype=np.float64)
              for k, v in entries.items() if k.startswith("series_")}
    if any(v.shape[0] != scalars["done"] for v in series.values()) or not series:
        raise ValueError(f"resume: the checkpoint's partial run has {scalars['done']} "
                         "measurements but series of other lengths")
    return PartialRun(**scalars, series=series,
                      correlation_sum=entries.get("correlation_sum"))


def check_continuation(partial: PartialRun, *, n_sweeps: int, n_burnin, measure_every: int,
                       widths: dict, correlation: bool, staggered: bool) -> None:
    """ValueError, naming the argument, when ``simulate``'s arguments cannot finish ``partial``."""
    if measure_every != partial.measure_every:
        raise ValueError(f"measure_every={measure_every}, but the interrupted run being resumed "
                         f"measured every {partial.measure_every} sweeps")
    if n_burnin is not None and n_burnin != partial.n_burnin:
        raise ValueError(f"n_burnin={n_burnin}: the interrupted run being resumed did its "
                         f"{partial.n_burnin} burn-in sweeps already (give {partial.n_burnin} "
                         "or none)")
    if n_sweeps // measure_every < partial.done:
        raise ValueError(f"n_sweeps={n_sweeps}: the interrupted run being resumed measured "
                         f"{partial.done * measure_every} sweeps already (it asked for "
                         f"{partial.n_sweeps}); give at least that many")
    for name, asked in (("correlation", correlation), ("staggered", staggered)):
        if int(asked) != getattr(partial, name):
            raise ValueError(f"{name}={asked}, but the interrupted run being resumed was run "
                             f"with {name}={bool(getattr(partial, name))}; give the same")
    for name, width in widths.items():
        if name not in partial.series or partial.series[name].shape[1:] != tuple(width):
            raise ValueError(f"resume: the interrupted run's {name} rows do not fit this "
                             f"run's, {tuple(width)} (another number of chains or lattice)")


def prefill(series, partial: PartialRun) -> None:
    """Write ``partial``'s rows into the first rows of ``series`` (growing it as needed)."""
    while series.capacity < partial.done:
        series.grow()
    for name, rows in partial.series.items():
        series[name][:partial.done] = rows
