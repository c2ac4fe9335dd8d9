"""Checkpoints of long training runs and Ctrl-C at a minibatch boundary.

A checkpoint is one ``.npz`` file written by :func:`boltz.io.save_model`
(arrays plus JSON metadata, never pickle, atomically: a temporary file then
``os.replace``). It holds everything a run needs to continue exactly where it
stopped: parameters, velocities, persistent chains, centring offsets, the
schedule's position (epoch, minibatch, the epoch's minibatch order, elapsed
seconds of the time budget), the random streams (a NumPy ``Generator``'s
``bit_generator.state`` as JSON, a ``torch.Generator``'s state as a byte array)
and the history. The trainers write and read them
(:mod:`boltz.rbm.checkpoint`, :mod:`boltz.dbm.checkpoint`); this module has the
shared pieces.

Ctrl-C: :func:`deferred_interrupt` replaces the ``SIGINT`` handler while a fit
runs (main thread only) with one that sets :data:`INTERRUPT`; the training
loops look at it between minibatches and raise :class:`TrainingInterrupted`
there, so the model is never left half-updated. A second Ctrl-C raises
``KeyboardInterrupt`` at once (the default behaviour).

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> state = generator_state(rng)
>>> a = rng.random()
>>> set_generator_state(rng, state)
>>> rng.random() == a
True
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import zlib
from pathlib import Path

import numpy as np

__all__ = ["TrainingInterrupted", "PartialResultWarning", "INTERRUPT", "InterruptFlag",
           "deferred_interrupt",
           "generator_state", "set_generator_state", "data_fingerprint", "check_checkpoint_args",
           "checkpoint_path"]


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped by Ctrl-C at a minibatch boundary (a ``KeyboardInterrupt``).

    Parameters
    ----------
    message : str, default "training interrupted"
        What stopped and where.
    checkpoint : pathlib.Path or None, default None
        The checkpoint written, if any.
    epoch : int, default 0
        Epochs completed.
    batch : int, default 0
        Minibatches completed in the epoch under way.
    updates : int or None, default None
        Updates completed (trainers counted in updates).

    Attributes
    ----------
    checkpoint : pathlib.Path or None
        The checkpoint written, or ``None`` when no checkpoint path was set.
    epoch : int
        Epochs completed.
    batch : int
        Minibatches completed in the epoch under way.
    updates : int or None
        Updates completed, for trainers counted in updates rather than epochs
        (:func:`boltz.deep.fit`); ``None`` otherwise.

    Examples
    --------
    >>> issubclass(TrainingInterrupted, KeyboardInterrupt)
    True
    """

    def __init__(self, message="training interrupted", checkpoint=None, epoch=0, batch=0,
                 updates=None):
        super().__init__(message)
        self.checkpoint, self.epoch, self.batch = checkpoint, epoch, batch
        self.updates = updates


class PartialResultWarning(UserWarning):
    """A long computation stopped by Ctrl-C returned what it had done so far.

    Parameters
    ----------
    message : str
        What stopped and what is returned.
    done, total : int
        Steps (sweeps, annealing runs, ...) done, and asked for.

    Examples
    --------
    >>> w = PartialResultWarning("gibbs stopped after 2 of 9 sweeps", done=2, total=9)
    >>> w.done, w.total
    (2, 9)
    """

    def __init__(self, message, done=0, total=0):
        super().__init__(message)
        self.done, self.total = int(done), int(total)


class InterruptFlag:
    """A request to stop at the next minibatch boundary (set by Ctrl-C or by :meth:`request`).

    Examples
    --------
    >>> flag = InterruptFlag()
    >>> flag.request(); flag.pending()
    True
    >>> flag.clear(); flag.pending()
    False
    """

    def __init__(self):
        self._event = threading.Event()

    def request(self):
        """Ask the running fit to stop at its next minibatch boundary.

        Examples
        --------
        >>> flag = InterruptFlag()
        >>> flag.request(); flag.pending()
        True
        """
        self._event.set()

    def pending(self) -> bool:
        """Whether a stop was requested.

        Returns
        -------
        bool
            True after :meth:`request` until :meth:`clear`.

        Examples
        --------
        >>> InterruptFlag().pending()
        False
        """
        return self._event.is_set()

    def clear(self):
        """Forget a request.

        Examples
        --------
        >>> flag = InterruptFlag()
        >>> flag.request(); flag.clear(); flag.pending()
        False
        """
        self._event.clear()


#: The process-wide stop request the training loops poll between minibatches.
INTERRUPT = InterruptFlag()


_ACTIVE = threading.local()


@contextlib.contextmanager
def deferred_interrupt():
    """While active, Ctrl-C sets :data:`INTERRUPT` instead of raising; a second one raises.

    Yields the flag to poll. Only the outermost use in the main thread installs
    the handler and yields :data:`INTERRUPT`; a nested use (AIS run while a
    trainer holds the handler) and a use outside the main thread (where Python
    cannot install signal handlers; Ctrl-C raises wherever it lands, as usual)
    yield a flag of their own that Ctrl-C never sets, so they run to the end
    and leave the outer request pending.

    Yields
    ------
    InterruptFlag
        The flag to poll between two units of work.

    Examples
    --------
    >>> with deferred_interrupt() as flag:
    ...     flag is INTERRUPT, flag.pending()
    (True, False)
    """
    if (threading.current_thread() is not threading.main_thread()
            or getattr(_ACTIVE, "depth", 0)):
        yield InterruptFlag()
        return
    INTERRUPT.clear()

    def handler(signum, frame):
        if INTERRUPT.pending():
            raise KeyboardInterrupt
        INTERRUPT.request()

    previous = signal.signal(signal.SIGINT, handler)
    _ACTIVE.depth = 1
    try:
        yield INTERRUPT
    finally:
        _ACTIVE.depth = 0
        signal.signal(signal.SIGINT, previous)
        INTERRUPT.clear()


def generator_state(rng: np.random.Generator) -> dict:
    """The JSON-serialisable state of a NumPy ``Generator`` (``bit_generator.state``).

    Parameters
    ----------
    rng : numpy.random.Generator

    Returns
    -------
    dict
        Plain ints and strings (Python's ints hold the 128-bit PCG64 state exactly).

    Examples
    --------
    >>> generator_state(np.random.default_rng(0))["bit_generator"]
    'PCG64'
    """
    state = rng.bit_generator.state
    return json.loads(json.dumps(state, default=int))


def set_generator_state(rng: np.random.Generator, state: dict):
    """Put ``rng`` back in ``state`` (from :func:`generator_state`); checks the bit generator.

    Parameters
    ----------
    rng : numpy.random.Generator
    state : dict

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> set_generator_state(rng, generator_state(np.random.default_rng(0)))
    >>> rng.random() == np.random.default_rng(0).random()
    True
    """
    name = type(rng.bit_generator).__name__
    if state.get("bit_generator") != name:
        raise ValueError(f"checkpoint holds a {state.get('bit_generator')} stream, "
                         f"the run uses {name}")
    rng.bit_generator.state = state


def data_fingerprint(X) -> dict:
    """Shape, dtype and CRC-32 of the training data: a resumed run must see the same data.

    Parameters
    ----------
    X : ndarray

    Returns
    -------
    dict

    Examples
    --------
    >>> data_fingerprint(np.zeros((2, 3), np.float32))["shape"]
    [2, 3]
    """
    X = np.ascontiguousarray(X)
    return {"shape": list(X.shape), "dtype": str(X.dtype),
            "crc32": zlib.crc32(memoryview(X).cast("B"))}


def check_checkpoint_args(checkpoint, checkpoint_every, resume, suffix=".npz"):
    """Validate the ``fit`` arguments; returns ``(path or None, every, resume)``.

    Parameters
    ----------
    checkpoint : str, path-like or None
        The checkpoint file.
    checkpoint_every : int
        Epochs (or updates) between checkpoints.
    resume : bool
        Whether to continue the run in ``checkpoint``.
    suffix : str or None
        The suffix the path is given when it lacks it (``None``: the path as given).

    Returns
    -------
    tuple

    Examples
    --------
    >>> check_checkpoint_args("run.npz", 2, False)
    (PosixPath('run.npz'), 2, False)
    """
    from ._validation import check_positive_int

    if checkpoint is not None and not isinstance(checkpoint, (str, Path)):
        raise TypeError(f"checkpoint must be a path (str or pathlib.Path) or None, "
                        f"got {type(checkpoint).__name__}")
    every = check_positive_int(checkpoint_every, "checkpoint_every")
    if not isinstance(resume, (bool, np.bool_)):
        raise TypeError(f"resume must be True or False, got {type(resume).__name__}")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs checkpoint=PATH (the file to resume from)")
    if checkpoint is None:
        path = None
    elif suffix is None:
        path = Path(checkpoint)
    else:
        path = checkpoint_path(checkpoint, suffix)
    if path is not None and path.is_dir():
        raise ValueError(f"checkpoint {path} is a directory; give a file name")
    return path, every, bool(resume)


def checkpoint_path(path, suffix: str = ".npz") -> Path:
    """``path`` with the suffix its writer gives it (``.npz``: :func:`boltz.io.save_model`).

    Parameters
    ----------
    path : str or path-like
        The path.
    suffix : str
        The suffix.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> checkpoint_path("run").name
    'run.npz'
    """
    path = Path(path)
    return path if path.suffix == suffix else path.with_name(path.name + suffix)
