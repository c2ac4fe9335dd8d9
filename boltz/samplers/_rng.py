"""Counter-based random streams for numba kernels (SplitMix64).

Each stream is one ``uint64`` word: a Weyl counter advanced by the golden
ratio constant and passed through the SplitMix64 finaliser (Steele, Lea &
Flood 2014). Kernels keep one stream per chain (or per chain and lattice row,
or per chain and block of sites), so a run does not depend on how numba
schedules threads: the same seed gives the same chain on 1 or 16 cores.

Streams start at independent random 64-bit offsets drawn from the user's seed;
with 2**64 states, overlaps between streams of any practical length are
negligible.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._validation import check_rng

__all__ = ["make_streams", "next_u64", "next_double", "step_double", "counter_double", "mix64",
           "GOLDEN"]

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


@njit(inline="always")
def mix64(z):
    """SplitMix64 output function of the counter value ``z``."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(inline="always")
def next_u64(streams, i):
    """Advance stream ``streams[i]`` and return 64 random bits."""
    s = streams[i] + GOLDEN
    streams[i] = s
    return mix64(s)


@njit(inline="always")
def next_double(streams, i):
    """Uniform double in [0, 1) with 53 random bits from stream ``streams[i]``."""
    return (next_u64(streams, i) >> _S11) * _INV53


@njit(inline="always")
def step_double(state):
    """Advance a stream state held in a local variable; return ``(state, uniform in [0, 1))``.

    The same draws as :func:`next_double`, for kernels that keep a row's stream in a
    register while they sweep the row and store it back once.
    """
    state = state + GOLDEN
    return state, (mix64(state) >> _S11) * _INV53


@njit(inline="always")
def counter_double(key, idx):
    """Uniform double in [0, 1) for counter ``idx`` under ``key``, stateless.

    Counter-based: draw ``idx`` of a kernel call needs no shared stream state,
    so rows can be processed in any order or in parallel with the same result.
    """
    return (mix64(key + np.uint64(idx) * GOLDEN) >> _S11) * _INV53


def make_streams(seed, shape) -> np.ndarray:
    """``uint64`` stream states of the given shape, drawn from ``seed`` (int, Generator, None)."""
    rng = check_rng(seed)
    return rng.integers(0, np.iinfo(np.uint64).max, size=shape, dtype=np.uint64,
                        endpoint=True)
