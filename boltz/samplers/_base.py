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
           "PARALLEL_MIN_WORK"]

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
