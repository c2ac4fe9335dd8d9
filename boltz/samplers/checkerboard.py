"""Colour-split checkerboard kernels: the fast single-site path of the square lattice.

On a periodic ``Lx x Ly`` lattice with even sides the two checkerboard colours
are stored as two contiguous ``(Lx, Ly / 2)`` arrays: colour ``c`` holds the
sites ``(x, y)`` with ``(x + y) % 2 == c`` at column ``y // 2``. In row ``x``
the sites of colour ``c`` sit at ``y = 2 j + o`` with ``o = (x + c) % 2``; their
four neighbours in the other colour are ``B[x - 1, j]``, ``B[x + 1, j]``,
``B[x, j]`` and ``B[x, j - 1 + 2 o]`` -- unit-stride loads, so the row update
is a loop numba/LLVM can vectorise.

Random numbers: the row's SplitMix64 stream (the same stream as the general
kernel's, one per chain and row) is evaluated counter-style, ``mix64(s + k
GOLDEN)`` for ``k = 1, 2, ...`` (no loop-carried dependence), and every 64-bit
output gives two 31-bit uniforms ``u``. A move with probability ``p`` happens
iff ``u <= round(p 2**31) - 1``: the move probability is exact up to ``2**-32``.
The caller only takes this path when every non-zero move probability is at
least :data:`MIN_PROBABILITY` (relative error below ``2**-20``); colder runs use
the general 53-bit kernel.

Examples
--------
>>> import numpy as np
>>> from boltz.samplers.checkerboard import split_colours, merge_colours
>>> s = np.arange(16, dtype=np.int8).reshape(1, 4, 4)
>>> bool(np.array_equal(merge_colours(*split_colours(s)), s))
True
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._rng import GOLDEN, mix64

__all__ = ["split_colours", "merge_colours", "colour_thresholds", "colour_sweeps",
           "MIN_PROBABILITY"]

#: Smallest non-zero move probability the 32-bit comparison handles (2**-12):
#: its relative rounding error is then below 2**-20.
MIN_PROBABILITY = 2.0 ** -12

_S33 = np.uint64(33)
_ONE = np.uint64(1)
_LO32 = np.uint64(0xFFFFFFFF)


@njit(cache=True)
def split_colours(spins):
    """``(C, Lx, Ly)`` spins -> the two colour arrays ``(C, Lx, Ly // 2)`` (even sides).

    Parameters
    ----------
    spins : ndarray of int8, shape (C, Lx, Ly)

    Returns
    -------
    (ndarray, ndarray)
        Colour 0 (``x + y`` even) and colour 1, each ``(C, Lx, Ly // 2)``.

    Examples
    --------
    >>> import numpy as np
    >>> c0, c1 = split_colours(np.arange(8, dtype=np.int8).reshape(1, 2, 4))
    >>> c0.tolist(), c1.tolist()
    ([[[0, 2], [5, 7]]], [[[1, 3], [4, 6]]])
    """
    C, Lx, Ly = spins.shape
    W = Ly // 2
    out0 = np.empty((C, Lx, W), dtype=np.int8)
    out1 = np.empty((C, Lx, W), dtype=np.int8)
    for c in range(C):
        for x in range(Lx):
            o = x & 1
            for j in range(W):
                out0[c, x, j] = spins[c, x, 2 * j + o]
                out1[c, x, j] = spins[c, x, 2 * j + 1 - o]
    return out0, out1


@njit(cache=True)
def merge_colours_into(spins, col0, col1):
    """Inverse of :func:`split_colours`, written into ``spins`` in place."""
    C, Lx, W = col0.shape
    for c in range(C):
        for x in range(Lx):
            o = x & 1
            for j in range(W):
                spins[c, x, 2 * j + o] = col0[c, x, j]
                spins[c, x, 2 * j + 1 - o] = col1[c, x, j]


def merge_colours(col0, col1) -> np.ndarray:
    """Inverse of :func:`split_colours`: ``(C, Lx, 2 W)`` spins.

    Parameters
    ----------
    col0, col1 : ndarray of int8, shape (C, Lx, W)

    Returns
    -------
    ndarray of int8, shape (C, Lx, 2 W)

    Examples
    --------
    >>> import numpy as np
    >>> s = np.arange(8, dtype=np.int8).reshape(1, 2, 4)
    >>> bool(np.array_equal(merge_colours(*split_colours(s)), s))
    True
    """
    C, Lx, W = col0.shape
    spins = np.empty((C, Lx, 2 * W), dtype=np.int8)
    merge_colours_into(spins, col0, col1)
    return spins


def colour_thresholds(J: float, h: float, betas, gibbs: bool):
    """Per chain, 31-bit integer thresholds of the move probabilities, shape ``(C, 2, 5)``.

    A move with probability ``p`` happens iff ``u <= round(p 2**31) - 1`` for a
    uniform 31-bit ``u``. Metropolis: ``thr[c, (s + 1) // 2, (t + 4) // 2]`` is the
    flip of spin ``s`` with neighbour sum ``t``; heat bath: ``thr[c, 0, (t + 4) // 2]``
    is the probability that the new spin is +1. Returns ``(thresholds, ok)``; ``ok``
    is False when a non-zero probability is below :data:`MIN_PROBABILITY` (the
    caller then uses the 53-bit kernel).

    Parameters
    ----------
    J, h : float
        Coupling and uniform field.
    betas : array of float, shape (C,)
    gibbs : bool
        Heat bath (True) or Metropolis.

    Returns
    -------
    (ndarray of int32, bool)

    Examples
    --------
    >>> thr, ok = colour_thresholds(1.0, 0.0, [0.0], gibbs=False)
    >>> thr[0, 1].tolist(), ok                          # beta = 0: every move happens
    ([2147483647, 2147483647, 2147483647, 2147483647, 2147483647], True)
    """
    betas = np.asarray(betas, dtype=np.float64)
    f = J * np.arange(-4.0, 5.0, 2.0) + h            # local field for t = -4, -2, 0, 2, 4
    s = np.array([-1.0, 1.0])[:, None]
    b = betas[:, None, None]
    if gibbs:
        p = np.broadcast_to(0.5 * (1.0 + np.tanh(b * f)), (betas.shape[0], 2, 5))
    else:
        p = np.exp(np.minimum(0.0, -2.0 * b * s * f))  # min(1, exp(-beta dE)), dE = 2 s f
    p = np.asarray(p, dtype=np.float64)
    positive = p[p > 0]
    ok = bool(positive.size == 0 or positive.min() >= MIN_PROBABILITY)
    thr = np.rint(p * 2147483648.0).astype(np.int64) - 1
    return np.ascontiguousarray(thr.astype(np.int32)), ok


@njit(inline="always")
def _fill_uniforms(buf, st, n):
    """``buf[:n]`` <- 31-bit uniforms (int32) from the stream at ``st``; returns the new state."""
    pairs = (n + 1) >> 1
    for k in range(pairs):
        r = mix64(st + GOLDEN * np.uint64(k + 1))
        buf[2 * k] = np.int32(r >> _S33)
        buf[2 * k + 1] = np.int32((r & _LO32) >> _ONE)
    return st + GOLDEN * np.uint64(pairs)


@njit(inline="always")
def _neighbour_sums(tt, bm, bu, bd, o):
    """``tt[j]`` <- the four other-colour neighbours of site ``j`` of the row (int8)."""
    W = tt.shape[0]
    if o == 0:     # horizontal neighbours bm[j - 1], bm[j]
        tt[0] = bu[0] + bd[0] + bm[W - 1] + bm[0]
        for j in range(_ONE, np.uint64(W)):
            tt[j] = bu[j] + bd[j] + bm[j - _ONE] + bm[j]
    else:          # horizontal neighbours bm[j], bm[j + 1]
        for j in range(np.uint64(W - 1)):
            tt[j] = bu[j] + bd[j] + bm[j] + bm[j + _ONE]
        tt[W - 1] = bu[W - 1] + bd[W - 1] + bm[W - 1] + bm[0]


@njit(inline="always")
def _pick(t, thr):
    """``thr[(t + 4) // 2]`` for ``t`` in {-4, -2, 0, 2, 4}, as selects (vectorisable)."""
    return (thr[0] if t == -4 else thr[1] if t == -2 else thr[2] if t == 0
            else thr[3] if t == 2 else thr[4])


@njit(inline="always")
def _colour_row(a, bm, bu, bd, o, thr, buf, tt, mode):
    """Update row ``a`` of one colour; ``bm``/``bu``/``bd``: the other colour's rows
    ``x``, ``x - 1``, ``x + 1``; ``o``: the row's column offset (0 or 1).

    ``thr`` is ``(2, 5)`` int32: a move happens iff ``u <= thr[i, (t + 4) // 2]`` for
    the 31-bit uniform ``u`` (``i`` = (s + 1) // 2 for Metropolis; row 0 for the heat
    bath, where the move sets the spin to +1). ``mode``: 0 heat bath, 1 Metropolis,
    2 Metropolis at ``h = 0`` with ``J > 0`` (then only ``k = s t`` matters), 3 heat
    bath at ``h = 0``.
    """
    W = a.shape[0]
    _neighbour_sums(tt, bm, bu, bd, o)
    if mode == 0:
        for j in range(np.uint64(W)):
            a[j] = np.int8(1) if buf[j] <= _pick(tt[j], thr[0]) else np.int8(-1)
    elif mode == 1:
        for j in range(np.uint64(W)):
            s = a[j]
            t = tt[j]
            up = buf[j] <= _pick(t, thr[1])
            dn = buf[j] <= _pick(t, thr[0])
            a[j] = s ^ (np.int8(-2) if (up if s > 0 else dn) else np.int8(0))
    elif mode == 3:
        # h = 0: P(+1 | -t) = 1 - P(+1 | t), so one threshold per |t| decides whether the
        # new spin follows the sign of t (t = 0: +1 with probability 1/2)
        q0 = thr[0, 2]
        q2 = thr[0, 3]
        q4 = thr[0, 4]
        for j in range(np.uint64(W)):
            t = tt[j]
            q = q4 if (t == 4) | (t == -4) else (q2 if (t == 2) | (t == -2) else q0)
            v = np.int8(1) if buf[j] <= q else np.int8(-1)
            a[j] = -v if t < 0 else v
    else:
        t2 = thr[1, 3]
        t4 = thr[1, 4]
        for j in range(np.uint64(W)):
            k = tt[j] * a[j]
            flip = (k <= 0) | (buf[j] <= (t4 if k == 4 else t2))
            a[j] = a[j] ^ (np.int8(-2) if flip else np.int8(0))


@njit(inline="always")
def _update_colour_row(col, other, streams, thr, c, x, colour, buf, tt, mode):
    Lx = col.shape[1]
    xm = x - 1 if x > 0 else Lx - 1
    xp = x + 1 if x < Lx - 1 else 0
    W = col.shape[2]
    streams[c, x] = _fill_uniforms(buf, streams[c, x], W)
    _colour_row(col[c, x], other[c, x], other[c, xm], other[c, xp], (x + colour) & 1,
                thr[c], buf, tt, mode)


@njit(cache=True)
def _colour_rows(col0, col1, streams, thr, c, colour, x0, x1, buf, tt, mode):
    """Rows ``x0 .. x1 - 1`` of ``colour`` in chain ``c``. The row code is inlined here
    once (compiled once, shared by the serial and parallel kernels); a call costs
    little next to a row range."""
    col, other = (col0, col1) if colour == 0 else (col1, col0)
    for x in range(x0, x1):
        _update_colour_row(col, other, streams, thr, c, x, colour, buf, tt, mode)


@njit(inline="always")
def _colour_body(col0, col1, streams, thr, n_sweeps, mode, rows_parallel):
    C, Lx, W = col0.shape
    if rows_parallel:
        for _ in range(n_sweeps):
            for colour in range(2):
                for k in prange(C * Lx):
                    buf = np.empty(W + 1, dtype=np.int32)
                    tt = np.empty(W, dtype=np.int8)
                    c = k // Lx
                    x = k - c * Lx
                    _colour_rows(col0, col1, streams, thr, c, colour, x, x + 1, buf, tt, mode)
    else:
        for c in prange(C):
            buf = np.empty(W + 1, dtype=np.int32)
            tt = np.empty(W, dtype=np.int8)
            for _ in range(n_sweeps):
                for colour in range(2):
                    _colour_rows(col0, col1, streams, thr, c, colour, 0, Lx, buf, tt, mode)


@njit(parallel=True, cache=True)
def _colour_kernel_par(col0, col1, streams, thr, n_sweeps, mode, rows_parallel):
    _colour_body(col0, col1, streams, thr, n_sweeps, mode, rows_parallel)


@njit(cache=True)
def _colour_kernel_ser(col0, col1, streams, thr, n_sweeps, mode, rows_parallel):
    _colour_body(col0, col1, streams, thr, n_sweeps, mode, rows_parallel)


def colour_sweeps(spins, streams, thr, n_sweeps: int, mode: int, parallel: bool,
                  rows_parallel: bool) -> None:
    """``n_sweeps`` checkerboard sweeps in place on ``spins`` ``(C, Lx, Ly)`` (even sides,
    periodic), with thresholds from :func:`colour_thresholds` and one stream per chain and row.

    ``mode`` is 0 (heat bath), 1 (Metropolis), 2 (Metropolis at ``h = 0``, ``J > 0``) or
    3 (heat bath at ``h = 0``).

    Parameters
    ----------
    spins : ndarray of int8, shape (C, Lx, Ly)
    streams : ndarray of uint64, shape (C, Lx)
    thr : ndarray of int32, shape (C, 2, 5)
    n_sweeps, mode : int
    parallel, rows_parallel : bool
        Run the parallel build; parallelise over the rows of one colour (else chains).

    Returns
    -------
    None

    Examples
    --------
    >>> import numpy as np
    >>> s = np.ones((1, 4, 4), dtype=np.int8)
    >>> thr, _ = colour_thresholds(1.0, 0.0, [0.0], gibbs=False)
    >>> colour_sweeps(s, np.zeros((1, 4), dtype=np.uint64), thr, 1, 2, False, False)
    >>> int(s.sum())                                     # beta = 0: every spin flips
    -16
    """
    col0, col1 = split_colours(spins)
    kernel = _colour_kernel_par if parallel else _colour_kernel_ser
    kernel(col0, col1, streams, thr, int(n_sweeps), int(mode), bool(rows_parallel))
    merge_colours_into(spins, col0, col1)

