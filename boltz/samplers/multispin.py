"""Multi-spin coding: bit-packed checkerboard Metropolis, 64 replicas per ``uint64`` word.

Bit ``b`` of word ``[g, x, y]`` is the spin (1 = +1) of replica ``64 g + b`` at
site ``(x, y)`` of a periodic 2D lattice with even sides and ``h = 0``. Every
lane draws its own acceptance bits, so the 64 replicas are independent chains;
the kernels (vectorised over each row, acceptance exact to ``2**-53``) are in
:mod:`boltz.samplers._multispin_kernels`. :func:`multispin_observables` counts each
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
from ._multispin_kernels import (
    _digit_masks,
    _merge_words,
    _multispin_kernel_par,
    _multispin_kernel_ser,
    _split_words,
)
from ._rng import make_streams

__all__ = ["multispin_metropolis", "multispin_supported", "pack_spins", "unpack_spins",
           "multispin_observables"]

# ---------------------------------------------------------------------------
# multi-spin coding: bit b of word [g, x, y] is the spin (1 = +1) of replica 64 g + b
# ---------------------------------------------------------------------------
_ONE = np.uint64(1)
_ZERO = np.uint64(0)


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
    """``floor(p * 2**53)``: the 53-digit acceptance threshold (``p >= 1`` gives
    ``2**53 - 1``: accepted with probability ``1 - 2**-53``)."""
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
    :mod:`boltz.samplers._multispin_kernels`): sharing one uniform across the 64
    replicas would make them a coupled system (common random numbers) that
    drifts together, so they would no longer be independent samples.
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
