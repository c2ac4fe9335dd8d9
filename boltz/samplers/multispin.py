"""Multi-spin coding: bit-packed checkerboard Metropolis, 64 replicas per ``uint64`` word.

Bit ``b`` of word ``[g, x, y]`` is the spin (1 = +1) of replica ``64 g + b`` at
site ``(x, y)`` of a periodic 2D lattice with even sides and ``h = 0``. Every
lane draws its own acceptance bits (:func:`_acceptance_mask`), so the 64
replicas are independent chains. :func:`multispin_observables` counts each
replica's anti-aligned bonds and up spins without unpacking.

Examples
--------
>>> from boltz.ising import IsingLattice
>>> from boltz.samplers.multispin import multispin_metropolis
>>> alg = multispin_metropolis(IsingLattice(8, beta=0.4))
>>> alg.spins(alg.step(alg.init(n_chains=64, seed=0), 5)).shape
(64, 8, 8)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .._validation import check_positive_int, check_rng
from ._base import (
    ChainState,
    SamplingAlgorithm,
    check_betas,
    check_buffer,
    check_state,
    check_sweeps,
    initial_spins,
    parallel_ok,
)
from ._rng import GOLDEN, make_streams, mix64

__all__ = ["multispin_metropolis", "multispin_supported", "pack_spins", "unpack_spins",
           "multispin_observables"]

# ---------------------------------------------------------------------------
# multi-spin coding: bit b of word [g, x, y] is the spin (1 = +1) of replica 64 g + b
# ---------------------------------------------------------------------------
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


@njit(cache=True)
def _pack_kernel(spins, G):
    C, Lx, Ly = spins.shape
    words = np.zeros((G, Lx, Ly), dtype=np.uint64)
    for k in prange(G * Lx):
        g = k // Lx
        x = k - g * Lx
        for b in range(64):
            c = 64 * g + b
            if c >= C:
                break
            for y in range(Ly):
                if spins[c, x, y] > 0:
                    words[g, x, y] |= _ONE << np.uint64(b)
    return words


@njit(cache=True)
def _unpack_kernel(words, C):
    G, Lx, Ly = words.shape
    spins = np.empty((C, Lx, Ly), dtype=np.int8)
    for c in prange(C):
        g = c // 64
        b = np.uint64(c - 64 * g)
        for x in range(Lx):
            for y in range(Ly):
                spins[c, x, y] = 1 if (words[g, x, y] >> b) & _ONE else -1
    return spins


@njit(inline="always")
def _add_to_counter(planes, word):
    """Add the bits of ``word`` to 64 per-lane counters held as bit planes (a ripple
    of half adders: lane b's count is sum_k bit b of planes[k] * 2**k)."""
    carry = word
    k = 0
    while carry != _ZERO:
        t = planes[k] & carry
        planes[k] ^= carry
        carry = t
        k += 1


@njit(cache=True)
def _multispin_observables_kernel(words, C):
    """Per replica: (number of anti-aligned bonds, number of up spins), periodic lattice."""
    G, Lx, Ly = words.shape
    anti = np.zeros(C, dtype=np.int64)
    up = np.zeros(C, dtype=np.int64)
    for g in range(G):
        planes_a = np.zeros(64, dtype=np.uint64)
        planes_u = np.zeros(64, dtype=np.uint64)
        for x in range(Lx):
            xp = x + 1 if x < Lx - 1 else 0
            for y in range(Ly):
                yp = y + 1 if y < Ly - 1 else 0
                w = words[g, x, y]
                _add_to_counter(planes_a, w ^ words[g, xp, y])
                _add_to_counter(planes_a, w ^ words[g, x, yp])
                _add_to_counter(planes_u, w)
        for b in range(64):
            c = 64 * g + b
            if c >= C:
                break
            ub = np.uint64(b)
            na = 0
            nu = 0
            for k in range(64):
                na += np.int64((planes_a[k] >> ub) & _ONE) << k
                nu += np.int64((planes_u[k] >> ub) & _ONE) << k
            anti[c] = na
            up[c] = nu
    return anti, up


def pack_spins(spins) -> np.ndarray:
    """Pack ``(n_chains, Lx, Ly)`` spins into ``(ceil(n_chains/64), Lx, Ly)`` uint64 words."""
    spins = np.ascontiguousarray(spins, dtype=np.int8)
    return _pack_kernel(spins, -(-spins.shape[0] // 64))


def _check_words(words, n_chains):
    """``words`` (G, Lx, Ly) uint64 holding ``n_chains`` lanes (1 <= n_chains <= 64 G)."""
    words = np.ascontiguousarray(words, dtype=np.uint64)
    if words.ndim != 3:
        raise ValueError(f"words must have shape (n_groups, Lx, Ly), got {words.shape}")
    n_chains = check_positive_int(n_chains, "n_chains")
    if n_chains > 64 * words.shape[0]:
        raise ValueError(f"n_chains must be at most 64 * {words.shape[0]} = "
                         f"{64 * words.shape[0]} for these words, got {n_chains}")
    return words, n_chains


def unpack_spins(words, n_chains: int) -> np.ndarray:
    """Inverse of :func:`pack_spins`: ``(n_chains, Lx, Ly)`` int8 spins."""
    return _unpack_kernel(*_check_words(words, n_chains))


def multispin_observables(words, n_chains: int, J: float = 1.0):
    """Energy ``H`` and magnetisation ``sum s`` of each packed replica (h = 0, periodic)."""
    words, n_chains = _check_words(words, n_chains)
    anti, up = _multispin_observables_kernel(words, n_chains)
    n_sites = words.shape[1] * words.shape[2]
    n_bonds = 2 * n_sites
    energy = -J * (n_bonds - 2.0 * anti)
    return energy, (2 * up - n_sites).astype(np.float64)


def _probability_bits(p: float) -> np.uint64:
    """``floor(p * 2**53)``: the threshold of :func:`_acceptance_mask` (p = 1 -> 2**53 - 1
    with every lower digit treated as one, i.e. always accept)."""
    if p >= 1.0:
        return np.uint64((1 << 53) - 1)
    return np.uint64(math.floor(p * 9007199254740992.0))


def _multispin_sweeps(words, streams, p_int, invert, n_sweeps: int) -> None:
    """``n_sweeps`` sweeps in place on packed ``words`` (checked by the caller): split
    into the two colours, run the serial or parallel kernel, merge back."""
    import numba

    G, Lx, Ly = words.shape
    col0 = np.empty((G, Lx, Ly // 2), dtype=np.uint64)
    col1 = np.empty_like(col0)
    _split_words(words, col0, col1)
    threads = numba.get_num_threads()
    by_group = G >= threads
    if by_group and parallel_ok(G, G * Lx * Ly * 64 * n_sweeps):
        kernel = _multispin_kernel_par      # whole groups per thread, no barriers
    elif not by_group and parallel_ok(G * Lx, G * Lx * Ly * 32):
        kernel = _multispin_kernel_par      # blocks of rows of one colour in parallel
    else:
        kernel = _multispin_kernel_ser
    n_blocks = min(G * Lx, 4 * threads)
    kernel(col0, col1, streams, _digit_masks(p_int), invert, n_sweeps, by_group, n_blocks)
    _merge_words(words, col0, col1)


def multispin_supported(model) -> str | None:
    """``None`` when the multi-spin path applies to ``model``, else the reason it does not."""
    Lx, Ly = model.grid_shape
    if Lx == 1:
        return "the multi-spin sampler needs a 2D lattice"
    if not model.periodic:
        return "the multi-spin sampler needs periodic boundaries"
    if Lx % 2 or Ly % 2:
        return f"the multi-spin sampler needs even side lengths, got {Lx}x{Ly}"
    if np.any(np.asarray(model.field) != 0):
        return "the multi-spin sampler needs h = 0"
    return None


def multispin_metropolis(model) -> SamplingAlgorithm:
    """Bit-packed checkerboard Metropolis: 64 independent replicas per uint64 word.

    Needs a periodic 2D lattice with even sides and ``h = 0``. Every replica in
    a group of 64 shares the group's ``beta``; groups may differ. The state's
    ``spins`` are the packed words ``(n_groups, Lx, Ly)``; ``alg.spins(state)``
    unpacks them. Each lane draws its own acceptance bits (see
    ``_acceptance_mask``): sharing one uniform across the 64 replicas would make
    them a coupled system (common random numbers) that drifts together, so
    they would no longer be independent samples.
    """
    reason = multispin_supported(model)
    if reason is not None:
        raise ValueError(reason)
    site_shape = tuple(model.grid_shape)
    J = float(model.J)
    invert = np.uint64(0xFFFFFFFFFFFFFFFF) if J < 0 else np.uint64(0)

    def thresholds(betas):
        return np.array([[_probability_bits(math.exp(-4.0 * b * abs(J))),
                          _probability_bits(math.exp(-8.0 * b * abs(J)))] for b in betas],
                        dtype=np.uint64)

    def init(n_chains=64, seed=None, initial="random", beta=None):
        rng = check_rng(seed)
        spins = initial_spins(initial, n_chains, site_shape, rng)
        n = spins.shape[0]
        groups = -(-n // 64)
        if groups * 64 > n:  # idle lanes evolve too; start them random
            pad = initial_spins("random", groups * 64 - n, site_shape, rng)
            spins = np.concatenate([spins, pad])
        betas = check_betas(model.beta if beta is None else beta, n)
        group_betas = betas[::64]
        for g in range(groups):
            if np.any(betas[64 * g:64 * (g + 1)] != group_betas[g]):
                raise ValueError("multispin_metropolis needs one beta per group of 64 chains")
        words = pack_spins(spins)
        streams = make_streams(rng, (groups, site_shape[0]))
        return ChainState(words, streams, betas, {"p_int": thresholds(group_betas)})

    def step(state, n_sweeps=1):
        check_state(state, "multispin_metropolis", site_shape, lambda g: (g, site_shape[0]),
                    packed=True)
        check_buffer(state.info.get("p_int"), "state.info['p_int']", np.uint64,
                     (state.spins.shape[0], 2))
        n_sweeps = check_sweeps(n_sweeps)
        if n_sweeps:
            _multispin_sweeps(state.spins, state.streams, state.info["p_int"], invert, n_sweeps)
        return state

    def spins(state):
        return unpack_spins(state.spins, state.n_chains)

    return SamplingAlgorithm("multispin_metropolis", init, step, spins)
