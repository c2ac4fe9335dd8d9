"""Numba kernels of the multi-spin sampler (:mod:`boltz.samplers.multispin`).

Layout: the packed words ``(G, Lx, Ly)`` are split into the two checkerboard
colours, ``(G, Lx, Ly / 2)`` each (colour ``c`` holds the sites with
``(x + y) % 2 == c`` at column ``y // 2``), so a row of one colour and its four
neighbour rows in the other colour are unit-stride arrays.

Acceptance: a lane with one unsatisfied bond (``k1``) flips with ``p1 =
exp(-4 beta |J|)``, one with none (``k0``) with ``p2 = exp(-8 beta |J|)``. Each
lane compares its own uniform ``U = 0.u1 u2 ...`` with ``p`` digit by digit
(``u_d`` = bit ``b`` of the ``d``-th random word), most significant first; the
first digit where they differ decides (``U < p`` iff ``u_d = 0`` there). Every
word takes :data:`LOCKSTEP_DIGITS` digits in lockstep, a loop without branches
or loop-carried state that LLVM vectorises across the row (4 words per AVX2
instruction); the few lanes still undecided (a word has one with probability
about ``1 - (1 - 2**-8)**54``, 19%) continue in compacted rounds of
:data:`TAIL_DIGITS` digits up to digit 53. So a lane accepts with probability
exactly ``floor(p 2**53) / 2**53`` (error below ``2**-53`` per decision), and no
lane's decision uses another lane's bits: the 64 replicas stay independent.

Random numbers: the row's SplitMix64 stream (Steele, Lea & Flood 2014), one per
group and row, evaluated counter-style: word ``j`` of a row takes draws ``j D +
1 .. j D + D`` (``mix64(s + k GOLDEN)``), the tail rounds the draws after them.
Rows never share draws, so a run gives the same chains on any thread count.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._rng import GOLDEN, mix64

_ONE = np.uint64(1)
_ZERO = np.uint64(0)

#: Digits of the acceptance comparison every lane takes in lockstep (see _word).
LOCKSTEP_DIGITS = 8
#: Digits per round for the few lanes still undecided after them (see _finish_row).
TAIL_DIGITS = 4
#: Digit masks per threshold: 53 digits, then zeros (a lane equal to ``p`` on all 53
#: digits has ``U >= p``: rejected, whatever later digits say).
_N_MASKS = 53 + TAIL_DIGITS


@njit(inline="always")
def _classes(w, n1, n2, n3, n4, invert):
    """Lanes of word ``w`` with >= 2, exactly 1 and no unsatisfied bonds to ``n1..n4``."""
    a1 = (w ^ n1) ^ invert
    a2 = (w ^ n2) ^ invert
    a3 = (w ^ n3) ^ invert
    a4 = (w ^ n4) ^ invert
    # bit-sliced count of unsatisfied bonds: >= 2, exactly 1, or 0
    ge2 = (a1 & a2) | (a3 & a4) | ((a1 ^ a2) & (a3 ^ a4))
    anyb = a1 | a2 | a3 | a4
    return ge2, anyb & ~ge2, ~anyb


@njit(inline="always")
def _digits(und, k1, acc, c, m_x, m_2, first, n):
    """Digits ``first .. first + n - 1`` of every undecided lane's comparison ``U < p``.

    Lane ``b`` of the ``d``-th random word (stream draw ``c + d GOLDEN``) is digit
    ``first + d`` of lane ``b``'s uniform ``U``; ``p``'s digit is ``m_2`` (k = 0
    lanes, threshold ``p2``) or ``m_2 ^ m_x`` (``k1`` lanes, ``p1``), as all-ones
    or zero words. A lane is decided at its first digit that differs from ``p``'s:
    accepted when ``U``'s digit is 0 there. Returns ``(undecided, accepted)``.
    """
    for d in range(n):
        r = mix64(c + np.uint64(d) * GOLDEN)
        pb = m_2[first + d] ^ (k1 & m_x[first + d])
        acc |= und & pb & ~r      # u = 0 < p = 1: U < p
        und &= ~(pb ^ r)          # u == p: still undecided
    return und, acc


@njit(inline="always")
def _word(w, n1, n2, n3, n4, invert, c, m_x, m_2):
    """New word after the lockstep digits, with its undecided lanes and its k = 1 lanes."""
    ge2, k1, k0 = _classes(w, n1, n2, n3, n4, invert)
    # dE <= 0 (>= 2 unsatisfied bonds) flips; dE = 4|J| (k1) or 8|J| (k0) with p1, p2
    und, acc = _digits(k1 | k0, k1, ge2, c, m_x, m_2, 0, LOCKSTEP_DIGITS)
    return w ^ acc, und, k1


@njit(inline="always")
def _finish_row(a, und, k1s, idx, acc, s, m_x, m_2):
    """Decide the lanes of row ``a`` left undecided (``und``) by the lockstep digits.

    The words that still have such lanes (a few per row) are compacted into
    ``und``/``k1s``/``idx`` and given :data:`TAIL_DIGITS` more digits per round,
    their draws following the row's lockstep draws in the stream, until no lane
    is undecided or all 53 digits are used. Returns the stream state.
    """
    n = 0
    for j in range(a.shape[0]):     # branch-free compaction
        u = und[j]
        idx[n] = j
        und[n] = u
        k1s[n] = k1s[j]
        n += u != _ZERO
    first = LOCKSTEP_DIGITS
    step = np.uint64(TAIL_DIGITS) * GOLDEN
    while n > 0 and first < 53:
        c = s + GOLDEN
        for i in range(np.uint64(n)):
            und[i], acc[i] = _digits(und[i], k1s[i], _ZERO, c, m_x, m_2, first, TAIL_DIGITS)
            c += step
        s += np.uint64(n) * step
        first += TAIL_DIGITS
        m = 0
        for i in range(n):
            a[idx[i]] ^= acc[i]
            u = und[i]
            idx[m] = idx[i]
            und[m] = u
            k1s[m] = k1s[i]
            m += u != _ZERO
        n = m
    return s


@njit(inline="always")
def _multispin_row(a, bm, bu, bd, o, m_x, m_2, s, invert, scratch):
    """Update row ``a`` of one colour (words ``a[j]`` at ``y = 2 j + o``) from the other
    colour's rows ``bm`` (same ``x``), ``bu`` (``x - 1``), ``bd`` (``x + 1``); ``s``:
    the row's stream. Word ``j`` takes draws ``j D + 1 .. j D + D`` (D = lockstep
    digits) of the stream: no loop-carried state, so the loop vectorises."""
    H = a.shape[0]
    und = scratch[0]
    k1s = scratch[1]
    step = np.uint64(LOCKSTEP_DIGITS) * GOLDEN
    c = s + GOLDEN
    if o == 0:      # same-row neighbours bm[j] and bm[j - 1]
        a[0], und[0], k1s[0] = _word(a[0], bm[0], bm[H - 1], bu[0], bd[0], invert, c, m_x, m_2)
        c += step
        for j in range(np.uint64(1), np.uint64(H)):
            a[j], und[j], k1s[j] = _word(a[j], bm[j], bm[j - 1], bu[j], bd[j], invert, c,
                                         m_x, m_2)
            c += step
    else:           # same-row neighbours bm[j] and bm[j + 1]
        for j in range(np.uint64(H - 1)):
            a[j], und[j], k1s[j] = _word(a[j], bm[j], bm[j + 1], bu[j], bd[j], invert, c,
                                         m_x, m_2)
            c += step
        j = H - 1
        a[j], und[j], k1s[j] = _word(a[j], bm[j], bm[0], bu[j], bd[j], invert, c, m_x, m_2)
    s += np.uint64(H) * step
    return _finish_row(a, und, k1s, scratch[2], scratch[3], s, m_x, m_2)


@njit(cache=True)
def _multispin_rows(col0, col1, streams, masks, invert, colour, r0, r1, scratch):
    """Rows ``r0 .. r1 - 1`` (row ``r`` = group ``r // Lx``, row ``r % Lx``) of ``colour``.
    Compiled once, called by the serial and the parallel kernel."""
    col, other = (col0, col1) if colour == 0 else (col1, col0)
    Lx = col.shape[1]
    for r in range(r0, r1):
        g = r // Lx
        x = r - g * Lx
        xm = x - 1 if x > 0 else Lx - 1
        xp = x + 1 if x < Lx - 1 else 0
        streams[g, x] = _multispin_row(col[g, x], other[g, x], other[g, xm], other[g, xp],
                                       (x + colour) & 1, masks[g, 0], masks[g, 1],
                                       streams[g, x], invert, scratch)


@njit(inline="always")
def _multispin_kernel_body(col0, col1, streams, masks, invert, n_sweeps, groups_parallel,
                           n_blocks):
    G, Lx, H = col0.shape
    if groups_parallel:
        # one parallel region for the whole run: each thread sweeps whole groups
        for g in prange(G):
            scratch = np.empty((4, H), dtype=np.uint64)
            for _ in range(n_sweeps):
                for colour in range(2):
                    _multispin_rows(col0, col1, streams, masks, invert, colour, g * Lx,
                                    (g + 1) * Lx, scratch)
    else:
        # blocks of rows of one colour in parallel: two parallel regions per sweep
        n_rows = G * Lx
        for _ in range(n_sweeps):
            for colour in range(2):
                for k in prange(n_blocks):
                    scratch = np.empty((4, H), dtype=np.uint64)
                    _multispin_rows(col0, col1, streams, masks, invert, colour,
                                    k * n_rows // n_blocks, (k + 1) * n_rows // n_blocks,
                                    scratch)


@njit(parallel=True, cache=True)
def _multispin_kernel_par(col0, col1, streams, masks, invert, n_sweeps, groups_parallel,
                          n_blocks):
    _multispin_kernel_body(col0, col1, streams, masks, invert, n_sweeps, groups_parallel,
                           n_blocks)


@njit(cache=True)
def _multispin_kernel_ser(col0, col1, streams, masks, invert, n_sweeps, groups_parallel,
                          n_blocks):
    _multispin_kernel_body(col0, col1, streams, masks, invert, n_sweeps, groups_parallel,
                           n_blocks)


@njit(cache=True)
def _digit_masks(p_int):
    """``(G, 2, _N_MASKS)`` words: ``[g, 0, d]`` = digit d of p1 XOR digit d of p2 and
    ``[g, 1, d]`` = digit d of p2 (all-ones or zero; digit 0 is the 2**-1 place)."""
    G = p_int.shape[0]
    masks = np.zeros((G, 2, _N_MASKS), dtype=np.uint64)
    for g in range(G):
        for d in range(53):
            sh = np.uint64(52 - d)
            m1 = _ZERO - ((p_int[g, 0] >> sh) & _ONE)
            m2 = _ZERO - ((p_int[g, 1] >> sh) & _ONE)
            masks[g, 0, d] = m1 ^ m2
            masks[g, 1, d] = m2
    return masks


@njit(cache=True)
def _split_words(words, col0, col1):
    """Checkerboard colours of ``words`` into ``col0``/``col1`` ``(G, Lx, Ly // 2)``:
    colour ``c`` holds the sites with ``(x + y) % 2 == c`` at column ``y // 2``."""
    G, Lx, H = col0.shape
    for g in range(G):
        for x in range(Lx):
            o = x & 1
            for j in range(H):
                col0[g, x, j] = words[g, x, 2 * j + o]
                col1[g, x, j] = words[g, x, 2 * j + 1 - o]


@njit(cache=True)
def _merge_words(words, col0, col1):
    """Inverse of :func:`_split_words`, in place into ``words``."""
    G, Lx, H = col0.shape
    for g in range(G):
        for x in range(Lx):
            o = x & 1
            for j in range(H):
                words[g, x, 2 * j + o] = col0[g, x, j]
                words[g, x, 2 * j + 1 - o] = col1[g, x, j]


@njit(cache=True)
def _acceptance_counts(p_int, k1, k0, n_words, n_rounds, seed):
    """Test hook: run the acceptance decisions (lockstep digits, then the staged tail)
    on ``n_words`` words with lanes ``k1`` (threshold ``p_int[0]``) and ``k0``
    (``p_int[1]``), ``n_rounds`` times; return the per-lane acceptance counts."""
    masks = _digit_masks(p_int.reshape(1, 2))
    m_x, m_2 = masks[0, 0], masks[0, 1]
    scratch = np.empty((4, n_words), dtype=np.uint64)
    a = np.empty(n_words, dtype=np.uint64)
    counts = np.zeros(64, dtype=np.int64)
    s = np.uint64(seed)
    step = np.uint64(LOCKSTEP_DIGITS) * GOLDEN
    for _ in range(n_rounds):
        c = s + GOLDEN
        for j in range(n_words):
            und, acc = _digits(k1 | k0, k1, _ZERO, c, m_x, m_2, 0, LOCKSTEP_DIGITS)
            a[j] = acc
            scratch[0, j] = und
            scratch[1, j] = k1
            c += step
        s += np.uint64(n_words) * step
        s = _finish_row(a, scratch[0], scratch[1], scratch[2], scratch[3], s, m_x, m_2)
        for j in range(n_words):
            for b in range(64):
                counts[b] += (a[j] >> np.uint64(b)) & _ONE
    return counts
