"""Single-spin samplers for Ising lattices (2D square lattice or 1D chain), numba-jitted.

Spins live in an ``int8`` array of shape ``(n_chains, Lx, Ly)``; a chain of
``L`` sites is stored as ``Lx = 1`` with no vertical bonds. The Hamiltonian is
``H(s) = -J sum_<ij> s_i s_j - sum_i h_i s_i`` and chain ``c`` samples
``p(s) ∝ exp(-beta_c H(s))``.

Algorithms (each a :class:`~boltz.samplers.SamplingAlgorithm`):

- :func:`random_scan_metropolis`: ``L*L`` single-spin Metropolis moves at random sites per sweep.
- :func:`checkerboard_metropolis`: Metropolis over the even, then the odd sublattice.
- :func:`checkerboard_gibbs`: heat-bath (Gibbs) over the two sublattices.
- :func:`~boltz.samplers.multispin.multispin_metropolis` (re-exported here): bit-packed
  checkerboard Metropolis, 64 independent replicas per ``uint64`` word.

On a periodic 2D lattice with even sides and a uniform field the checkerboard
kernels run on the colour-split layout of :mod:`~boltz.samplers.checkerboard`
(one contiguous array per colour, 32-bit random numbers, integer thresholds).

Checkerboard kernels run the rows of one colour in parallel (``prange``), each row
with its own random stream, so results do not depend on the thread count. On a
periodic lattice with an odd side the two colours are not independent; the rows
are then updated one after another (still an exact sweep, only not parallel).

Examples
--------
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
    check_state,
    check_sweeps,
    initial_spins,
    parallel_ok,
)
from ._rng import _INV53, _S11, GOLDEN, make_streams, mix64
from .checkerboard import colour_sweeps, colour_thresholds
from .multispin import (  # noqa: F401 (re-exported: the multi-spin sampler used to live here)
    multispin_metropolis,
    multispin_observables,
    multispin_supported,
    pack_spins,
    unpack_spins,
)

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
# Python wrappers
# ---------------------------------------------------------------------------
def _lattice_params(model):
    field = np.ascontiguousarray(model.field, dtype=np.float64)
    uniform = bool(np.all(field == field.flat[0]))
    return float(model.J), field, uniform, bool(model.periodic), bool(model.grid_shape[0] > 1)


def _bipartite(model) -> bool:
    Lx, Ly = model.grid_shape
    return not model.periodic or (Ly % 2 == 0 and (Lx == 1 or Lx % 2 == 0))


def _colour_split_ok(model) -> bool:
    """Whether the colour-split kernel applies: periodic 2D, even sides, uniform field."""
    Lx, Ly = model.grid_shape
    field = np.asarray(model.field)
    return (bool(model.periodic) and Lx > 1 and Lx % 2 == 0 and Ly % 2 == 0
            and bool(np.all(field == field.flat[0])))


def lattice_sweeps(model, spins, streams, betas, n_sweeps, kind):
    """Run ``n_sweeps`` sweeps of ``kind`` in place on ``spins`` (n_chains, Lx, Ly)
    (``streams`` (n_chains, Lx) uint64, ``betas`` (n_chains,) float64; checked first)."""
    check_state(ChainState(spins, streams, betas), kind, tuple(model.grid_shape),
                lambda c: (c, model.grid_shape[0]))
    if kind not in ("random_scan_metropolis", "checkerboard_metropolis", "checkerboard_gibbs"):
        raise ValueError("kind must be 'random_scan_metropolis', 'checkerboard_metropolis' or "
                         f"'checkerboard_gibbs', got {kind!r}")
    n_sweeps = check_sweeps(n_sweeps)
    if n_sweeps:
        _lattice_sweeps(model, spins, streams, betas, n_sweeps, kind)


def _lattice_sweeps(model, spins, streams, betas, n_sweeps, kind):
    J, field, uniform, periodic, vertical = _lattice_params(model)
    C, Lx, Ly = spins.shape
    if kind == "random_scan_metropolis":
        kernel = (_random_scan_kernel_par if parallel_ok(C, C * Lx * Ly * n_sweeps)
                  else _random_scan_kernel_ser)
        kernel(spins, streams, J, field, uniform, betas, periodic, vertical, n_sweeps)
        return
    gibbs = kind == "checkerboard_gibbs"
    import numba

    if _colour_split_ok(model):
        thr, ok = colour_thresholds(J, float(field.flat[0]), betas, gibbs)
        if ok:
            rows = C < numba.get_num_threads() and parallel_ok(C * Lx, C * Lx * Ly // 2)
            par = rows or parallel_ok(C, C * Lx * Ly * n_sweeps)
            h0 = float(field.flat[0])
            if gibbs:
                mode = 3 if h0 == 0.0 else 0
            else:
                mode = 2 if h0 == 0.0 and J > 0 else 1
            colour_sweeps(spins, streams, thr, n_sweeps, mode, par, rows)
            return
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
        check_state(state, kind, site_shape, lambda c: (c, site_shape[0]))
        n_sweeps = check_sweeps(n_sweeps)
        if n_sweeps:
            _lattice_sweeps(model, state.spins, state.streams, state.betas, n_sweeps, kind)
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
