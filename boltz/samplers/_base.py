"""Blackjax-style containers shared by every sampler: a state and an ``init``/``step`` pair."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .._validation import (
    check_array,
    check_finite_scalar,
    check_nonnegative_int,
    check_positive_int,
    check_rng,
    check_spins,
)

__all__ = ["ChainState", "SamplingAlgorithm", "check_betas", "initial_spins", "parallel_ok",
           "PARALLEL_MIN_WORK", "save_state", "load_state"]

#: Smallest number of site updates per parallel region worth the cost of waking threads.
#: Below it (or with one numba thread) the serial build of a kernel runs; results are
#: identical either way, since every random stream belongs to a fixed piece of work.
PARALLEL_MIN_WORK = 1 << 17


def parallel_ok(n_items: int, work: int) -> bool:
    """Whether a kernel with ``n_items`` parallel pieces and ``work`` updates per region
    should run its parallel build."""
    import numba

    return n_items > 1 and numba.get_num_threads() > 1 and work >= PARALLEL_MIN_WORK


@dataclass
class ChainState:
    """The state of ``n_chains`` independent chains.

    Attributes
    ----------
    spins : ndarray of int8
        ``(n_chains, *site_shape)`` spins in {-1, +1} (for the multi-spin sampler,
        the bit-packed words; use ``algorithm.spins(state)`` to unpack them).
    streams : ndarray of uint64
        Random stream states, owned by the kernel (one per chain, row or block).
    betas : ndarray of float64
        Inverse temperature of each chain, shape ``(n_chains,)``.
    info : dict
        Sampler-specific extras (e.g. Wolff's clusters per sweep, acceptance counts).

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> from boltz.samplers import get_algorithm
    >>> alg = get_algorithm(IsingLattice(4, temperature=2.0), "metropolis")
    >>> state = alg.init(3, 0, "random")
    >>> state.betas.shape, alg.spins(state).shape
    ((3,), (3, 4, 4))
    """

    spins: np.ndarray
    streams: np.ndarray
    betas: np.ndarray
    info: dict = field(default_factory=dict)

    @property
    def n_chains(self) -> int:
        return int(self.betas.shape[0])


class SamplingAlgorithm(NamedTuple):
    """``init(n_chains, seed, initial) -> ChainState`` and ``step(state, n_sweeps) -> state``.

    ``step`` updates the state's arrays in place (a sweep of a 1024x1024 lattice
    should not copy it) and returns the state. ``spins(state)`` returns the
    spins as ``(n_chains, *site_shape)`` int8.

    Attributes
    ----------
    name : str
        The sampler's name.
    init : callable
        ``init(n_chains, seed, initial) -> ChainState``.
    step : callable
        ``step(state, n_sweeps) -> state``.
    spins : callable
        ``spins(state) -> ndarray`` of int8.

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> from boltz.samplers import get_algorithm
    >>> alg = get_algorithm(IsingLattice(4, temperature=2.0), "metropolis")
    >>> state = alg.step(alg.init(2, 0, "random"), 5)
    >>> alg.name, alg.spins(state).shape
    ('checkerboard_metropolis', (2, 4, 4))
    """

    name: str
    init: Callable
    step: Callable
    spins: Callable


def check_betas(beta, n_chains: int) -> np.ndarray:
    """One finite, non-negative inverse temperature per chain (scalar broadcast)."""
    if np.ndim(beta) == 0:
        b = check_finite_scalar(beta, "beta")
        betas = np.full(n_chains, b)
    else:
        betas = check_array(beta, "beta", ndim=1, shape=(n_chains,)).copy()
    if np.any(betas < 0):
        raise ValueError(f"beta must be non-negative, got {betas[betas < 0][:3].tolist()}")
    return betas


def initial_spins(initial, n_chains: int, site_shape: tuple, seed) -> np.ndarray:
    """Starting spins: ``"random"`` (infinite temperature), ``"up"``, ``"down"`` or an array.

    An array may be one configuration of ``site_shape`` (copied to every chain)
    or ``(n_chains, *site_shape)``.
    """
    n_chains = check_positive_int(n_chains, "n_chains")
    shape = (n_chains, *site_shape)
    if isinstance(initial, str):
        if initial == "random":
            rng = check_rng(seed)
            return (2 * rng.integers(0, 2, size=shape, dtype=np.int8) - 1).astype(np.int8)
        if initial == "up":
            return np.ones(shape, dtype=np.int8)
        if initial == "down":
            return -np.ones(shape, dtype=np.int8)
        raise ValueError(f"initial must be 'random', 'up', 'down' or an array, got {initial!r}")
    arr = check_spins(initial, "initial")
    size = int(np.prod(site_shape))
    if arr.size == size:
        arr = np.broadcast_to(arr.reshape(site_shape), shape)
    elif arr.size == n_chains * size:
        arr = arr.reshape(shape)
    else:
        raise ValueError(
            f"initial must hold {size} spins (one state) or {n_chains}x{size} "
            f"(one per chain), got shape {np.shape(initial)}"
        )
    return np.ascontiguousarray(arr, dtype=np.int8).copy()


def check_sweeps(n_sweeps) -> int:
    """Number of sweeps: an integer >= 0."""
    return check_nonnegative_int(n_sweeps, "n_sweeps")


_STATE_KIND = "ChainState"


def save_state(path, state: ChainState, algorithm: str | None = None,
               overwrite: bool = False):
    """Checkpoint a sampler state (spins, random streams, betas, info) to ``path`` (.npz + JSON).

    Resuming from :func:`load_state` continues the chain bit-identically: the
    streams are the kernels' whole random state. Info entries whose name starts
    with ``_`` are caches and are rebuilt; other entries must be numbers or numeric
    arrays (a torch sampler's state goes through
    :func:`~boltz.samplers.torch_lattice.state_to_numpy` first).

    Parameters
    ----------
    path : str or Path
        Target file (``.npz`` is appended when missing).
    state : ChainState
        The state to save.
    algorithm : str, optional
        The sampler's name, stored to check on loading.
    overwrite : bool
        Replace an existing file (default False: FileExistsError).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import os, tempfile
    >>> from boltz.ising import IsingLattice
    >>> from boltz.samplers import get_algorithm
    >>> alg = get_algorithm(IsingLattice(4, beta=0.4), "gibbs")
    >>> state = alg.step(alg.init(n_chains=2, seed=0), 3)
    >>> path = save_state(os.path.join(tempfile.mkdtemp(), "run.npz"), state, alg.name)
    >>> back, name = load_state(path)
    >>> bool((back.spins == state.spins).all()), name
    (True, 'checkerboard_gibbs')
    """
    from pathlib import Path

    from ..io import save_model

    if not isinstance(state, ChainState):
        raise TypeError(f"state must be a ChainState, got {type(state).__name__}")
    arrays = {}
    for name in ("spins", "streams", "betas"):
        value = getattr(state, name)
        if not isinstance(value, np.ndarray):
            raise TypeError(f"state.{name} must be a numpy array, got {type(value).__name__} "
                            "(convert a torch state with torch_lattice.state_to_numpy)")
        arrays[name] = value
    scalars = {}
    for key, value in state.info.items():
        if key.startswith("_"):
            continue
        if isinstance(value, np.ndarray) and value.dtype != object:
            arrays[f"info:{key}"] = value
        elif isinstance(value, (bool, int, float, np.integer, np.floating)):
            scalars[key] = value
        else:
            raise TypeError(f"state.info[{key!r}] is a {type(value).__name__}; only numbers and "
                            "numeric arrays can be saved")
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be True or False, got {overwrite!r}")
    target = Path(path)
    if target.suffix != ".npz":
        target = target.with_name(target.name + ".npz")
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; pass overwrite=True to replace it")
    return save_model(target, _STATE_KIND, arrays, {"algorithm": algorithm, "info": scalars})


def load_state(path) -> tuple[ChainState, str | None]:
    """Read a state written by :func:`save_state`; returns ``(state, algorithm_name)``.

    Parameters
    ----------
    path : str or Path
        A file written by :func:`save_state`.

    Returns
    -------
    (ChainState, str or None)
        The state (numpy arrays) and the algorithm name it was saved with.

    Examples
    --------
    See :func:`save_state`.
    """
    from ..io import ModelFileError, load_model

    arrays, meta = load_model(path, _STATE_KIND)
    try:
        info = {k[5:]: v for k, v in arrays.items() if k.startswith("info:")}
        info.update(meta["params"].get("info", {}))
        state = ChainState(arrays["spins"], arrays["streams"], arrays["betas"].astype(np.float64),
                           info)
    except KeyError as exc:
        raise ModelFileError(f"{path}: malformed sampler state ({exc} missing)") from None
    if state.streams.dtype not in (np.uint64, np.uint8):
        raise ModelFileError(f"{path}: streams have dtype {state.streams.dtype}, expected uint64")
    return state, meta["params"].get("algorithm")
