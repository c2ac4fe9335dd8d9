"""Single-spin samplers for Ising lattices (2D square lattice or 1D chain), numba-jitted.

Spins live in an ``int8`` array of shape ``(n_chains, Lx, Ly)``; a chain of
``L`` sites is stored as ``Lx = 1`` with no vertical bonds. The Hamiltonian is
``H(s) = -J sum_<ij> s_i s_j - sum_i h_i s_i`` and chain ``c`` samples
``p(s) ∝ exp(-beta_c H(s))``.

Algorithms (each a :class:`~boltz.samplers.SamplingAlgorithm`):

- :func:`random_scan_metropolis`: ``L*L`` single-spin Metropolis moves at random sites per sweep.
- :func:`checkerboard_metropolis`: Metropolis over the even, then the odd sublattice.
- :func:`checkerboard_gibbs`: heat-bath (Gibbs) over the two sublattices.
- :func:`multispin_metropolis`: bit-packed checkerboard Metropolis, 64 independent
  replicas per ``uint64`` word (2D, periodic, even sizes, ``h = 0``); the fast path.

Checkerboard kernels run the rows of one colour in parallel (``prange``), each row
with its own random stream, so results do not depend on the thread count. On a
periodic lattice with an odd side the two colours are not independent; the rows
are then updated one after another (still an exact sweep, only not parallel).

Example
-------
>>> from boltz.ising import IsingLattice
>>> from boltz.samplers.lattice import checkerboard_gibbs
>>> model = IsingLattice(8, beta=0.3)
>>> alg = checkerboard_gibbs(model)
>>> state = alg.init(n_chains=4, seed=0)
>>> state = alg.step(state, n_sweeps=10)
>>> alg.spins(state).shape
(4, 8, 8)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .._validation import check_rng
from ._base import (
    ChainState,
    SamplingAlgorithm,
    check_betas,
    check_sweeps,
    initial_spins,
    parallel_ok,
)
from ._rng import _INV53, _S11, GOLDEN, make_streams, mix64

__all__ = [
    "random_scan_metropolis",
    "checkerboard_metropolis",
    "checkerboard_gibbs",
    "multispin_metropolis",
    "lattice_energy",
    "lattice_sweeps",
    "pack_spins",
    "unpack_spins",
    "multispin_observables",
]


# ---------------------------------------------------------------------------
# numba kernels
# ---------------------------------------------------------------------------
@njit(inline="always")
def _neighbour_sum(sp, x, y, Lx, Ly, periodic, vertical):
    t = 0
    if y > 0:
        t += sp[x, y - 1]
    elif periodic:
        t += sp[x, Ly - 1]
    if y < Ly - 1:
        t += sp[x, y + 1]
    elif periodic:
        t += sp[x, 0]
    if vertical:
        if x > 0:
            t += sp[x - 1, y]
        elif periodic:
            t += sp[Lx - 1, y]
        if x < Lx - 1:
            t += sp[x + 1, y]
        elif periodic:
            t += sp[0, y]
    return t


@njit(cache=True)
def _tables(J, h0, betas, gibbs):
    """Per chain: table[c, (s+1)//2, t+4] = move probability for spin s with neighbour sum t."""
    C = betas.shape[0]
    table = np.empty((C, 2, 9))
    for c in range(C):
        b = betas[c]
        for si in range(2):
            s = 2 * si - 1
            for ti in range(9):
                f = J * (ti - 4) + h0
                if gibbs:
                    # probability that the new spin is +1 (independent of s)
                    table[c, si, ti] = 1.0 / (1.0 + math.exp(-2.0 * b * f))
                else:
                    dE = 2.0 * s * f
                    table[c, si, ti] = 1.0 if dE <= 0.0 else math.exp(-b * dE)
    return table


@njit(cache=True)
def _thresholds(J, h0, betas, gibbs):
    """``_tables`` as 64-bit integer thresholds: a move happens iff ``r <= thr`` for a
    uniform 64-bit ``r``, i.e. with probability ``(thr + 1) / 2**64`` (p = 1 -> 2**64 - 1)."""
    tab = _tables(J, h0, betas, gibbs)
    out = np.empty(tab.shape, dtype=np.uint64)
    flat = tab.reshape(-1)
    res = out.reshape(-1)
    for i in range(flat.shape[0]):
        p = flat[i]
        if p >= 1.0:
            res[i] = np.uint64(0xFFFFFFFFFFFFFFFF)
        elif p <= 0.0:
            res[i] = np.uint64(0)  # probability 2**-64: negligible
        else:
            # p * 2**64 in two 32-bit halves keeps all 53 bits of p
            hi = math.floor(p * 4294967296.0)
            lo = math.floor((p * 4294967296.0 - hi) * 4294967296.0)
            res[i] = (np.uint64(hi) << np.uint64(32)) | np.uint64(lo)
    return out


@njit(inline="always")
def _update_row(sp, x, start, Lx, Ly, J, hrow, uniform, tab, beta, st, periodic, vertical,
                gibbs):
    """Update sites ``start, start+2, ...`` of row ``x``; ``st`` is the row's stream state.

    With a uniform field the move is branch-free: one random word per site,
    compared with an integer threshold (a data-dependent accept branch is
    mispredicted about half the time near T_c, which costs more than the draw).
    Returns the advanced stream state (kept in a register inside the row).
    """
    row = sp[x]
    has_up = vertical and (x > 0 or periodic)
    has_dn = vertical and (x < Lx - 1 or periodic)
    up = sp[x - 1 if x > 0 else Lx - 1]
    dn = sp[x + 1 if x < Lx - 1 else 0]
    for y in range(start, Ly, 2):
        t = 0
        if y > 0:
            t += row[y - 1]
        elif periodic:
            t += row[Ly - 1]
        if y < Ly - 1:
            t += row[y + 1]
        elif periodic:
            t += row[0]
        if has_up:
            t += up[y]
        if has_dn:
            t += dn[y]
        s = row[y]
        if uniform:
            st += GOLDEN
            r = mix64(st)
            if gibbs:
                row[y] = 1 if r <= tab[0, t + 4] else -1
            else:
                row[y] = -s if r <= tab[(s + 1) >> 1, t + 4] else s
        elif gibbs:
            p_up = 1.0 / (1.0 + math.exp(-2.0 * beta * (J * t + hrow[y])))
            st += GOLDEN
            row[y] = 1 if (mix64(st) >> _S11) * _INV53 < p_up else -1
        else:
            dE = 2.0 * s * (J * t + hrow[y])
            if dE <= 0.0:
                row[y] = -s
            else:
                st += GOLDEN
                if (mix64(st) >> _S11) * _INV53 < math.exp(-beta * dE):
                    row[y] = -s
    return st


@njit(inline="always")
def _checkerboard_kernel_body(spins, streams, J, h, uniform, betas, periodic, vertical, n_sweeps,
                         gibbs, rows_parallel):
    C, Lx, Ly = spins.shape
    tables = _thresholds(J, h[0, 0], betas, gibbs)
    flat = streams.reshape(-1)
    for _ in range(n_sweeps):
        if rows_parallel:
            for colour in range(2):
                for k in prange(C * Lx):
                    c = k // Lx
                    x = k - c * Lx
                    flat[k] = _update_row(spins[c], x, (colour + x) & 1, Lx, Ly, J, h[x],
                                          uniform, tables[c], betas[c], flat[k], periodic,
                                          vertical, gibbs)
        else:
            for c in prange(C):
                for colour in range(2):
                    for x in range(Lx):
                        k = c * Lx + x
                        flat[k] = _update_row(spins[c], x, (colour + x) & 1, Lx, Ly, J, h[x],
                                              uniform, tables[c], betas[c], flat[k], periodic,
                                              vertical, gibbs)


@njit(parallel=True, cache=True)
def _checkerboard_kernel_par(spins, streams, J, h, uniform, betas, periodic, vertical, n_sweeps,
                         gibbs, rows_parallel):
    _checkerboard_kernel_body(spins, streams, J, h, uniform, betas, periodic, vertical, n_sweeps,
                              gibbs, rows_parallel)


@njit(cache=True)
def _checkerboard_kernel_ser(spins, streams, J, h, uniform, betas, periodic, vertical, n_sweeps,
                         gibbs, rows_parallel):
    _checkerboard_kernel_body(spins, streams, J, h, uniform, betas, periodic, vertical, n_sweeps,
                              gibbs, rows_parallel)


@njit(inline="always")
def _random_scan_kernel_body(spins, streams, J, h, uniform, betas, periodic, vertical, n_sweeps):
    C, Lx, Ly = spins.shape
    n = Lx * Ly
    tables = _thresholds(J, h[0, 0], betas, False)
    flat = streams.reshape(-1)
    lo32 = np.uint64(0xFFFFFFFF)
    s32 = np.uint64(32)
    uLx = np.uint64(Lx)
    uLy = np.uint64(Ly)
    for c in prange(C):
        sp = spins[c]
        k = c * Lx
        st = flat[k]
        tab = tables[c]
        beta = betas[c]
        for _ in range(n_sweeps * n):
            # the two 32-bit halves of one word pick the row and the column; any
            # site-selection law leaves p invariant, and this one is uniform to 2**-32
            st += GOLDEN
            r = mix64(st)
            x = np.int64(((r >> s32) * uLx) >> s32)
            y = np.int64(((r & lo32) * uLy) >> s32)
            t = _neighbour_sum(sp, x, y, Lx, Ly, periodic, vertical)
            s = sp[x, y]
            st += GOLDEN
            r = mix64(st)
            if uniform:
                sp[x, y] = -s if r <= tab[(s + 1) >> 1, t + 4] else s
            else:
                dE = 2.0 * s * (J * t + h[x, y])
                if dE <= 0.0 or (r >> _S11) * _INV53 < math.exp(-beta * dE):
                    sp[x, y] = -s
        flat[k] = st


@njit(parallel=True, cache=True)
def _random_scan_kernel_par(spins, streams, J, h, uniform, betas, periodic, vertical, n_sweeps):
    _random_scan_kernel_body(spins, streams, J, h, uniform, betas, periodic, vertical, n_sweeps)


@njit(cache=True)
def _random_scan_kernel_ser(spins, streams, J, h, uniform, betas, periodic, vertical, n_sweeps):
    _random_scan_kernel_body(spins, streams, J, h, uniform, betas, periodic, vertical, n_sweeps)


@njit(cache=True)
def lattice_energy(spins, J, h, periodic, vertical):
    """Hamiltonian ``-J sum_<ij> s_i s_j - sum_i h_i s_i`` of each chain, shape ``(n_chains,)``."""
    C, Lx, Ly = spins.shape
    out = np.empty(C)
    for c in prange(C):
        sp = spins[c]
        bonds = 0
        field = 0.0
        for x in range(Lx):
            for y in range(Ly):
                s = sp[x, y]
                field += h[x, y] * s
                if y < Ly - 1:
                    bonds += s * sp[x, y + 1]
                elif periodic:
                    bonds += s * sp[x, 0]
                if vertical:
                    if x < Lx - 1:
                        bonds += s * sp[x + 1, y]
                    elif periodic:
                        bonds += s * sp[0, y]
        out[c] = -J * bonds - field
    return out


# ---------------------------------------------------------------------------
# multi-spin coding: bit b of word [g, x, y] is the spin (1 = +1) of replica 64 g + b
# ---------------------------------------------------------------------------
_ONE = np.uint64(1)
_ZERO = np.uint64(0)


@njit(inline="always")
def _acceptance_mask(k1, k0, p1, p2, s):
    """Lanes accepting a move: ``k1`` lanes with probability ``p1``, ``k0`` lanes with ``p2``.

    Lane ``b`` has its own uniform ``U_b = 0.u1 u2 ... u53`` made of bit ``b`` of
    successive random words and compares it with its threshold (``p1`` or ``p2``,
    as ``p_int / 2**53``) digit by digit, most significant first, stopping as
    soon as every lane is decided (about ``log2(lanes) + 2`` words on average).
    No lane's decision uses another lane's bits, so the 64 replicas stay
    independent; the result is exact up to the 53-bit resolution of ``p``.
    Returns ``(mask, stream)``.
    """
    accept = _ZERO
    undecided = k1 | k0
    bit = 52
    while undecided != _ZERO and bit >= 0:
        s += GOLDEN
        r = mix64(s)
        sh = np.uint64(bit)
        pb = (k1 & (_ZERO - ((p1 >> sh) & _ONE))) | (k0 & (_ZERO - ((p2 >> sh) & _ONE)))
        accept |= undecided & pb & ~r     # u_j = 0 < p_j = 1: U < p
        undecided &= ~(pb ^ r)            # u_j == p_j: still undecided
        bit -= 1
    return accept, s


@njit(inline="always")
def _multispin_row(words, streams, g, x, colour, p_int, invert):
    """Update the sites of one colour in row ``x`` of group ``g`` (64 replicas per word)."""
    G, Lx, Ly = words.shape
    xm = x - 1 if x > 0 else Lx - 1
    xp = x + 1 if x < Lx - 1 else 0
    p1 = p_int[g, 0]
    p2 = p_int[g, 1]
    s = streams[g, x]
    for y in range((colour + x) & 1, Ly, 2):
        ym = y - 1 if y > 0 else Ly - 1
        yp = y + 1 if y < Ly - 1 else 0
        w = words[g, x, y]
        # a_k: lanes where the bond to neighbour k is unsatisfied
        a1 = (w ^ words[g, xm, y]) ^ invert
        a2 = (w ^ words[g, xp, y]) ^ invert
        a3 = (w ^ words[g, x, ym]) ^ invert
        a4 = (w ^ words[g, x, yp]) ^ invert
        # bit-sliced count of unsatisfied bonds: >= 2, exactly 1, or 0
        ge2 = (a1 & a2) | (a3 & a4) | ((a1 ^ a2) & (a3 ^ a4))
        anyb = a1 | a2 | a3 | a4
        k1 = anyb & ~ge2
        k0 = ~anyb
        # dE = 4|J| (k=1) or 8|J| (k=0): accept with p1 or p2 = p1 * p1
        acc, s = _acceptance_mask(k1, k0, p1, p2, s)
        words[g, x, y] = w ^ (ge2 | acc)
    streams[g, x] = s


@njit(inline="always")
def _multispin_kernel_body(words, streams, p_int, invert, n_sweeps, groups_parallel):
    G, Lx, Ly = words.shape
    if groups_parallel:
        # one parallel region for the whole run: each thread sweeps whole groups
        for g in prange(G):
            for _ in range(n_sweeps):
                for colour in range(2):
                    for x in range(Lx):
                        _multispin_row(words, streams, g, x, colour, p_int, invert)
    else:
        # rows of one colour in parallel: two parallel regions per sweep
        for _ in range(n_sweeps):
            for colour in range(2):
                for k in prange(G * Lx):
                    g = k // Lx
                    _multispin_row(words, streams, g, k - g * Lx, colour, p_int, invert)


@njit(parallel=True, cache=True)
def _multispin_kernel_par(words, streams, p_int, invert, n_sweeps, groups_parallel):
    _multispin_kernel_body(words, streams, p_int, invert, n_sweeps, groups_parallel)


@njit(cache=True)
def _multispin_kernel_ser(words, streams, p_int, invert, n_sweeps, groups_parallel):
    _multispin_kernel_body(words, streams, p_int, invert, n_sweeps, groups_parallel)


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


def unpack_spins(words, n_chains: int) -> np.ndarray:
    """Inverse of :func:`pack_spins`: ``(n_chains, Lx, Ly)`` int8 spins."""
    return _unpack_kernel(np.ascontiguousarray(words, dtype=np.uint64), int(n_chains))


def multispin_observables(words, n_chains: int, J: float = 1.0):
    """Energy ``H`` and magnetisation ``sum s`` of each packed replica (h = 0, periodic)."""
    anti, up = _multispin_observables_kernel(words, int(n_chains))
    n_sites = words.shape[1] * words.shape[2]
    n_bonds = 2 * n_sites
    energy = -J * (n_bonds - 2.0 * anti)
    return energy, (2 * up - n_sites).astype(np.float64)


# ---------------------------------------------------------------------------
# Python wrappers
# ---------------------------------------------------------------------------
def _lattice_params(model):
    field = np.ascontiguousarray(model.field, dtype=np.float64)
    uniform = bool(np.all(field == field.flat[0]))
    return float(model.J), field, uniform, bool(model.periodic), bool(model.grid_shape[0] > 1)


def _bipartite(model) -> bool:
    Lx, Ly = model.grid_shape
    return not model.periodic or (Ly % 2 == 0 and (Lx == 1 or Lx % 2 == 0))


def lattice_sweeps(model, spins, streams, betas, n_sweeps, kind):
    """Run ``n_sweeps`` sweeps of ``kind`` in place on ``spins`` (n_chains, Lx, Ly)."""
    J, field, uniform, periodic, vertical = _lattice_params(model)
    C, Lx, Ly = spins.shape
    if kind == "random_scan_metropolis":
        kernel = (_random_scan_kernel_par if parallel_ok(C, C * Lx * Ly * n_sweeps)
                  else _random_scan_kernel_ser)
        kernel(spins, streams, J, field, uniform, betas, periodic, vertical, n_sweeps)
        return
    gibbs = kind == "checkerboard_gibbs"
    import numba

    if (_bipartite(model) and C < numba.get_num_threads()
            and parallel_ok(C * Lx, C * Lx * Ly // 2)):
        kernel, rows = _checkerboard_kernel_par, True      # rows of one colour in parallel
    elif parallel_ok(C, C * Lx * Ly * n_sweeps):
        kernel, rows = _checkerboard_kernel_par, False     # chains in parallel
    else:
        kernel, rows = _checkerboard_kernel_ser, False
    kernel(spins, streams, J, field, uniform, betas, periodic, vertical, n_sweeps, gibbs, rows)


def _single_spin_algorithm(model, kind):
    site_shape = tuple(model.grid_shape)

    def init(n_chains=1, seed=None, initial="random", beta=None):
        rng = check_rng(seed)
        spins = initial_spins(initial, n_chains, site_shape, rng)
        streams = make_streams(rng, (spins.shape[0], site_shape[0]))
        betas = check_betas(model.beta if beta is None else beta, spins.shape[0])
        return ChainState(spins, streams, betas)

    def step(state, n_sweeps=1):
        n_sweeps = check_sweeps(n_sweeps)
        if n_sweeps:
            lattice_sweeps(model, state.spins, state.streams, state.betas, n_sweeps, kind)
        return state

    return SamplingAlgorithm(kind, init, step, lambda state: state.spins)


def random_scan_metropolis(model) -> SamplingAlgorithm:
    """Metropolis with uniformly random sites, ``Lx*Ly`` proposals per sweep."""
    return _single_spin_algorithm(model, "random_scan_metropolis")


def checkerboard_metropolis(model) -> SamplingAlgorithm:
    """Metropolis sweeping the even then the odd sublattice."""
    return _single_spin_algorithm(model, "checkerboard_metropolis")


def checkerboard_gibbs(model) -> SamplingAlgorithm:
    """Heat-bath (Gibbs) sweeping the even then the odd sublattice."""
    return _single_spin_algorithm(model, "checkerboard_gibbs")


def _probability_bits(p: float) -> np.uint64:
    """``floor(p * 2**53)``: the threshold of :func:`_acceptance_mask` (p = 1 -> 2**53 - 1
    with every lower digit treated as one, i.e. always accept)."""
    if p >= 1.0:
        return np.uint64((1 << 53) - 1)
    return np.uint64(math.floor(p * 9007199254740992.0))


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
        n_sweeps = check_sweeps(n_sweeps)
        if n_sweeps:
            import numba

            G, Lx, Ly = state.spins.shape
            by_group = G >= numba.get_num_threads()
            if by_group and parallel_ok(G, G * Lx * Ly * 64 * n_sweeps):
                kernel = _multispin_kernel_par      # whole groups per thread, no barriers
            elif not by_group and parallel_ok(G * Lx, G * Lx * Ly * 32):
                kernel = _multispin_kernel_par      # rows of one colour in parallel
            else:
                kernel = _multispin_kernel_ser
            kernel(state.spins, state.streams, state.info["p_int"], invert, n_sweeps, by_group)
        return state

    def spins(state):
        return unpack_spins(state.spins, state.n_chains)

    return SamplingAlgorithm("multispin_metropolis", init, step, spins)
