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
           "PARALLEL_MIN_WORK", "save_state", "load_state", "check_state", "check_buffer"]

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


def _first_bad_spin_py(flat):
    bad = np.flatnonzero((flat != 1) & (flat != -1))
    return int(bad[0]) if bad.size else -1


_first_bad_spin_jit = None


def first_bad_spin(spins: np.ndarray) -> int:
    """Flat index of the first entry of ``spins`` (int8) that is not -1 or +1, else -1.

    One pass, no temporaries (numba), so checking a large lattice costs far less
    than one sweep of it.

    Parameters
    ----------
    spins : ndarray of int8
        Any shape, C-contiguous.

    Returns
    -------
    int
        The flat index, or -1 when every entry is ±1.

    Examples
    --------
    >>> first_bad_spin(np.array([1, -1, 5], dtype=np.int8))
    2
    """
    global _first_bad_spin_jit
    flat = spins.reshape(-1)
    if flat.size < 4096:
        return _first_bad_spin_py(flat)
    if _first_bad_spin_jit is None:
        from numba import njit

        @njit(nogil=True)
        def _any_bad(u):
            # branch-free, so it vectorises: (x + 1) & 0xFD is 0 exactly for x = -1, +1
            acc = np.uint8(0)
            for i in range(u.shape[0]):
                acc |= np.uint8(u[i] + np.uint8(1)) & np.uint8(0xFD)
            return acc != 0

        _first_bad_spin_jit = _any_bad
    if not _first_bad_spin_jit(flat.view(np.uint8)):
        return -1
    return _first_bad_spin_py(flat)


def check_buffer(arr, name: str, dtype, shape: tuple) -> np.ndarray:
    """``arr`` must be a C-contiguous, writeable numpy array of ``dtype`` and ``shape``.

    The arrays a kernel updates in place go through here before it runs: a wrong
    type or dtype is a TypeError, a wrong shape or layout a ValueError, each naming
    ``name`` and what was expected.

    Parameters
    ----------
    arr : object
        The candidate array.
    name : str
        Its name in messages (e.g. ``"state.spins"``).
    dtype : numpy dtype
        The required dtype.
    shape : tuple of int
        The required shape.

    Returns
    -------
    ndarray
        ``arr`` itself.

    Examples
    --------
    >>> check_buffer(np.zeros((2, 3), dtype=np.int8), "spins", np.int8, (2, 3)).shape
    (2, 3)
    """
    dtype = np.dtype(dtype)
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{name} must be a numpy {dtype} array of shape {shape}, "
                        f"got {type(arr).__name__}")
    if arr.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}, got {arr.dtype}")
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} for this sampler, "
                         f"got {arr.shape} (a state from another sampler or model?)")
    if not (arr.flags.c_contiguous and arr.flags.writeable):
        raise ValueError(f"{name} must be C-contiguous and writeable (it is updated in place)")
    return arr


def check_csr_chains(spins, streams, streams_tail: tuple, indptr, indices, data) -> None:
    """Arguments of a CSR kernel (:mod:`~boltz.samplers.mrf`, :mod:`~boltz.samplers.cluster`)
    checked so that no index can leave its array: ``spins`` (C, n) int8, ``streams``
    ``(C, *streams_tail)`` uint64, ``indptr`` (n+1,) int64 non-decreasing from 0 to
    ``nnz``, ``indices`` int64 in ``[0, n)``, ``data`` float64 of length ``nnz``.

    Parameters
    ----------
    spins, streams : ndarray
        The chains and their random streams (updated in place).
    streams_tail : tuple of int
        Trailing shape of ``streams`` after the chain axis.
    indptr, indices, data : ndarray
        The couplings in CSR form.

    Returns
    -------
    None

    Examples
    --------
    >>> check_csr_chains(np.ones((1, 2), np.int8), np.zeros(1, np.uint64), (),
    ...                  np.array([0, 1, 2]), np.array([1, 0]), np.ones(2))
    """
    if not isinstance(spins, np.ndarray) or spins.ndim != 2:
        raise TypeError("spins must be a 2-D int8 array (n_chains, n_sites)")
    C, n = spins.shape
    check_buffer(spins, "spins", np.int8, (C, n))
    check_buffer(streams, "streams", np.uint64, (C, *streams_tail))
    for name, arr, dtype in (("indptr", indptr, np.int64), ("indices", indices, np.int64),
                             ("data", data, np.float64)):
        if not isinstance(arr, np.ndarray) or arr.dtype != dtype or arr.ndim != 1:
            raise TypeError(f"{name} must be a 1-D {np.dtype(dtype)} array")
    if indptr.shape[0] != n + 1 or indptr[0] != 0 or np.any(np.diff(indptr) < 0):
        raise ValueError(f"indptr must be non-decreasing from 0 with {n + 1} entries")
    nnz = int(indptr[-1])
    if indices.shape[0] != nnz or data.shape[0] != nnz:
        raise ValueError(f"indices and data must hold indptr[-1] = {nnz} entries, got "
                         f"{indices.shape[0]} and {data.shape[0]}")
    if nnz and (indices.min() < 0 or indices.max() >= n):
        raise ValueError(f"indices must lie in [0, {n})")


def check_state(state, algorithm: str, site_shape: tuple, streams_shape=None, *,
                packed: bool = False) -> ChainState:
    """Check that ``state`` belongs to sampler ``algorithm`` before any kernel touches it.

    Verifies the type, ``betas`` (1-D float64, finite, >= 0, at least one chain),
    ``spins`` (int8 ``(n_chains, *site_shape)`` with values ±1, or for ``packed``
    uint64 words ``(ceil(n_chains / 64), *site_shape)``) and ``streams``.

    Parameters
    ----------
    state : ChainState
        The state passed to ``step``.
    algorithm : str
        The sampler's name, for messages.
    site_shape : tuple of int
        Sites of one chain.
    streams_shape : callable, optional
        ``n_rows -> shape`` of ``state.streams`` (``n_rows``: chains, or packed
        groups); None skips the streams check.
    packed : bool
        Spins are multi-spin words.

    Returns
    -------
    ChainState
        ``state`` itself.

    Raises
    ------
    TypeError, ValueError
        Naming the field of ``state`` and what was expected.

    Examples
    --------
    >>> st = ChainState(np.ones((2, 3), np.int8), np.zeros(2, np.uint64), np.ones(2))
    >>> check_state(st, "wolff", (3,), lambda c: (c,)).n_chains
    2
    """
    if not isinstance(state, ChainState):
        raise TypeError(f"state must be a ChainState made by {algorithm}.init, "
                        f"got {type(state).__name__}")
    betas = state.betas
    if not isinstance(betas, np.ndarray) or betas.dtype != np.float64 or betas.ndim != 1:
        got = (f"{betas.dtype} array of shape {betas.shape}" if isinstance(betas, np.ndarray)
               else type(betas).__name__)
        raise TypeError(f"state.betas must be a 1-D float64 array (one per chain), got {got}")
    if betas.shape[0] == 0:
        raise ValueError("state.betas must hold at least one chain, got an empty array")
    if not np.all(np.isfinite(betas)) or np.any(betas < 0):
        raise ValueError("state.betas must be finite and >= 0, got "
                         f"{betas[~(np.isfinite(betas) & (betas >= 0))][:3].tolist()}")
    n_rows = -(-betas.shape[0] // 64) if packed else betas.shape[0]
    dtype = np.uint64 if packed else np.int8
    spins = check_buffer(state.spins, "state.spins", dtype, (n_rows, *site_shape))
    if not packed:
        bad = first_bad_spin(spins)
        if bad >= 0:
            raise ValueError(f"state.spins must hold -1 or +1, got {int(spins.flat[bad])} "
                             f"at flat index {bad}")
    if streams_shape is not None:
        check_buffer(state.streams, "state.streams", np.uint64, streams_shape(n_rows))
    if not isinstance(state.info, dict):
        raise TypeError(f"state.info must be a dict, got {type(state.info).__name__}")
    return state


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
