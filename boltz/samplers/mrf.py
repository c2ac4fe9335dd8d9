"""Samplers for general pairwise binary MRFs with spins in {-1, +1}, numba-jitted.

The model is ``p(s) ∝ exp(-beta H(s))`` with ``H(s) = -1/2 s^T J s - h^T s``,
``J`` symmetric with zero diagonal and stored in CSR form (``indptr``,
``indices``, ``data``), so dense and scipy.sparse couplings, frustrated or
not, go through the same kernels. Spins are ``int8`` of shape ``(n_chains, n)``.

- :func:`metropolis`: single-site Metropolis, systematic (0..n-1) or random scan.
- :func:`gibbs`: single-site heat-bath, systematic or random scan.
- :func:`chromatic_gibbs`: heat-bath over the colour classes of a greedy graph
  colouring; sites of one colour are conditionally independent, so each colour
  is updated in parallel blocks (``prange``), each block with its own stream.

The kernels :func:`csr_sweeps` and :func:`chromatic_sweeps` take plain arrays
and are reusable elsewhere (Boltzmann machines, denoising posteriors).

Examples
--------
>>> import numpy as np
>>> from boltz.ising import PairwiseMRF
>>> from boltz.samplers.mrf import chromatic_gibbs
>>> J = np.array([[0, 1.0, -1.0], [1.0, 0, 0.5], [-1.0, 0.5, 0]])
>>> alg = chromatic_gibbs(PairwiseMRF(J, h=[0.1, 0.0, -0.2]))
>>> state = alg.step(alg.init(n_chains=2, seed=1), n_sweeps=5)
>>> state.spins.shape
(2, 3)
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
    check_csr_chains,
    check_state,
    check_sweeps,
    initial_spins,
    parallel_ok,
)
from ._rng import make_streams, next_double

__all__ = [
    "metropolis",
    "gibbs",
    "chromatic_gibbs",
    "csr_sweeps",
    "chromatic_sweeps",
    "greedy_coloring",
    "colour_blocks",
    "csr_energy",
]

#: Sites per parallel block (and random stream) in the chromatic sampler.
BLOCK = 256


@njit(inline="always")
def _local_field(sp, i, indptr, indices, data, h):
    f = h[i]
    for k in range(indptr[i], indptr[i + 1]):
        f += data[k] * sp[indices[k]]
    return f


@njit(inline="always")
def _update(sp, i, indptr, indices, data, h, beta, streams, k, gibbs):
    f = _local_field(sp, i, indptr, indices, data, h)
    if gibbs:
        p_up = 1.0 / (1.0 + math.exp(-2.0 * beta * f))
        sp[i] = 1 if next_double(streams, k) < p_up else -1
    else:
        s = sp[i]
        dE = 2.0 * s * f
        if dE <= 0.0 or next_double(streams, k) < math.exp(-beta * dE):
            sp[i] = -s


@njit(inline="always")
def _csr_sweeps_body(spins, streams, indptr, indices, data, h, betas, n_sweeps, gibbs, random_scan):
    """In place: ``n_sweeps`` single-site sweeps of every chain (one stream per chain)."""
    C, n = spins.shape
    for c in prange(C):
        sp = spins[c]
        for _ in range(n_sweeps):
            for j in range(n):
                i = int(next_double(streams, c) * n) if random_scan else j
                _update(sp, i, indptr, indices, data, h, betas[c], streams, c, gibbs)


@njit(parallel=True, cache=True)
def _csr_sweeps_par(spins, streams, indptr, indices, data, h, betas, n_sweeps, gibbs, random_scan):
    _csr_sweeps_body(spins, streams, indptr, indices, data, h, betas, n_sweeps, gibbs, random_scan)


@njit(cache=True)
def _csr_sweeps_ser(spins, streams, indptr, indices, data, h, betas, n_sweeps, gibbs, random_scan):
    _csr_sweeps_body(spins, streams, indptr, indices, data, h, betas, n_sweeps, gibbs, random_scan)


@njit(inline="always")
def _chromatic_sweeps_body(spins, streams, indptr, indices, data, h, betas, n_sweeps, order,
                     block_start, block_ptr):
    """In place: heat-bath over colour classes.

    ``order[block_start[b]:block_start[b+1]]`` are the sites of block ``b``;
    blocks ``block_ptr[col]:block_ptr[col+1]`` make up colour ``col``.
    ``streams`` has shape ``(n_chains, n_blocks)``.
    """
    C = spins.shape[0]
    n_colours = block_ptr.shape[0] - 1
    for _ in range(n_sweeps):
        for col in range(n_colours):
            b0 = block_ptr[col]
            nb = block_ptr[col + 1] - b0
            for k in prange(C * nb):
                c = k // nb
                b = b0 + k - c * nb
                sp = spins[c]
                st = streams[c]
                for pos in range(block_start[b], block_start[b + 1]):
                    _update(sp, order[pos], indptr, indices, data, h, betas[c], st, b, True)


@njit(parallel=True, cache=True)
def _chromatic_sweeps_par(spins, streams, indptr, indices, data, h, betas, n_sweeps, order,
                     block_start, block_ptr):
    _chromatic_sweeps_body(spins, streams, indptr, indices, data, h, betas, n_sweeps, order,
                           block_start, block_ptr)


@njit(cache=True)
def _chromatic_sweeps_ser(spins, streams, indptr, indices, data, h, betas, n_sweeps, order,
                     block_start, block_ptr):
    _chromatic_sweeps_body(spins, streams, indptr, indices, data, h, betas, n_sweeps, order,
                           block_start, block_ptr)


@njit(cache=True)
def csr_energy(spins, indptr, indices, data, h):
    """``H(s) = -1/2 s^T J s - h^T s`` of each chain, shape ``(n_chains,)``."""
    C, n = spins.shape
    out = np.empty(C)
    for c in prange(C):
        sp = spins[c]
        e = 0.0
        for i in range(n):
            f = 0.0
            for k in range(indptr[i], indptr[i + 1]):
                f += data[k] * sp[indices[k]]
            e -= sp[i] * (0.5 * f + h[i])
        out[c] = e
    return out


@njit(cache=True)
def _greedy_coloring_kernel(indptr, indices, order):
    n = indptr.shape[0] - 1
    colour = -np.ones(n, dtype=np.int64)
    used = -np.ones(n + 1, dtype=np.int64)  # used[col] == i: col taken by a neighbour of i
    for i in order:
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if colour[j] >= 0:
                used[colour[j]] = i
        col = 0
        while used[col] == i:
            col += 1
        colour[i] = col
    return colour


def greedy_coloring(indptr, indices) -> np.ndarray:
    """Proper colouring of the graph, largest degree first (Welsh–Powell); colour per site."""
    indptr = np.asarray(indptr, dtype=np.int64)
    indices = np.asarray(indices, dtype=np.int64)
    degree = np.diff(indptr)
    order = np.argsort(-degree, kind="stable").astype(np.int64)
    return _greedy_coloring_kernel(indptr, indices, order)


def colour_blocks(colours, block: int = BLOCK):
    """``(order, block_start, block_ptr)`` arrays for :func:`chromatic_sweeps`."""
    colours = np.asarray(colours, dtype=np.int64)
    order = np.argsort(colours, kind="stable").astype(np.int64)
    n_colours = int(colours.max()) + 1
    counts = np.bincount(colours, minlength=n_colours)
    starts, ptr = [], [0]
    pos = 0
    for cnt in counts:
        for b in range(0, cnt, block):
            starts.append(pos + b)
        pos += cnt
        ptr.append(len(starts))
    starts.append(pos)
    return order, np.asarray(starts, dtype=np.int64), np.asarray(ptr, dtype=np.int64)


def _check_field_betas(h, betas, C, n):
    if not isinstance(h, np.ndarray) or h.dtype != np.float64 or h.shape != (n,):
        raise ValueError(f"h must be a float64 array of shape ({n},)")
    if not isinstance(betas, np.ndarray) or betas.dtype != np.float64 or betas.shape != (C,):
        raise ValueError(f"betas must be a float64 array of shape ({C},)")


def csr_sweeps(spins, streams, indptr, indices, data, h, betas, n_sweeps, gibbs=True,
               random_scan=False, *, _trusted=False):
    """In place: ``n_sweeps`` single-site sweeps (Gibbs or Metropolis) of every chain.

    ``spins`` (n_chains, n) int8, ``streams`` (n_chains,) uint64, CSR couplings,
    field ``h`` (n,), ``betas`` (n_chains,). Chains run in parallel when large enough.
    Every array is checked first (``_trusted``: the caller built them).
    """
    if not _trusted:
        check_csr_chains(spins, streams, (), indptr, indices, data)
        _check_field_betas(h, betas, *spins.shape)
    C, n = spins.shape
    kernel = _csr_sweeps_par if parallel_ok(C, C * (n + data.shape[0]) * n_sweeps) \
        else _csr_sweeps_ser
    kernel(spins, streams, indptr, indices, data, h, betas, n_sweeps, gibbs, random_scan)


def _check_blocks(order, block_start, block_ptr, n):
    for name, arr in (("order", order), ("block_start", block_start), ("block_ptr", block_ptr)):
        if not isinstance(arr, np.ndarray) or arr.dtype != np.int64 or arr.ndim != 1:
            raise TypeError(f"{name} must be a 1-D int64 array")
    if order.shape != (n,) or (n and (order.min() < 0 or order.max() >= n)):
        raise ValueError(f"order must hold {n} site indices in [0, {n})")
    n_blocks = block_start.shape[0] - 1
    if (n_blocks < 1 or block_start[0] != 0 or block_start[-1] > n
            or np.any(np.diff(block_start) < 0)):
        raise ValueError(f"block_start must be non-decreasing from 0 to at most {n}")
    if (block_ptr.shape[0] < 2 or block_ptr[0] != 0 or block_ptr[-1] > n_blocks
            or np.any(np.diff(block_ptr) < 0)):
        raise ValueError(f"block_ptr must be non-decreasing from 0 to at most {n_blocks}")
    return n_blocks


def chromatic_sweeps(spins, streams, indptr, indices, data, h, betas, n_sweeps, order,
                     block_start, block_ptr, *, _trusted=False):
    """In place: heat-bath over colour classes (see :func:`colour_blocks`).

    ``order[block_start[b]:block_start[b+1]]`` are the sites of block ``b``;
    blocks ``block_ptr[col]:block_ptr[col+1]`` make up colour ``col``;
    ``streams`` has shape ``(n_chains, n_blocks)``. Blocks of one colour run in parallel.
    Every array is checked first (``_trusted``: the caller built them).
    """
    if not _trusted:
        if not isinstance(spins, np.ndarray) or spins.ndim != 2:
            raise TypeError("spins must be a 2-D int8 array (n_chains, n_sites)")
        n_blocks = _check_blocks(order, block_start, block_ptr, spins.shape[1])
        check_csr_chains(spins, streams, (n_blocks,), indptr, indices, data)
        _check_field_betas(h, betas, *spins.shape)
    C, n = spins.shape
    n_colours = block_ptr.shape[0] - 1
    kernel = (_chromatic_sweeps_par
              if parallel_ok(C * (block_start.shape[0] - 1) // n_colours, C * n // n_colours)
              else _chromatic_sweeps_ser)
    kernel(spins, streams, indptr, indices, data, h, betas, n_sweeps, order, block_start,
           block_ptr)


def _csr(model):
    return (np.asarray(model.indptr, dtype=np.int64), np.asarray(model.indices, dtype=np.int64),
            np.asarray(model.data, dtype=np.float64), np.asarray(model.field, dtype=np.float64))


def _init_factory(model, n_streams):
    n = int(model.n_variables)

    def init(n_chains=1, seed=None, initial="random", beta=None):
        rng = check_rng(seed)
        spins = initial_spins(initial, n_chains, (n,), rng)
        streams = make_streams(rng, (spins.shape[0], n_streams))
        betas = check_betas(model.beta if beta is None else beta, spins.shape[0])
        return ChainState(spins, streams, betas)

    return init


def _single_site(model, gibbs, scan):
    if scan not in ("systematic", "random"):
        raise ValueError(f"scan must be 'systematic' or 'random', got {scan!r}")
    indptr, indices, data, h = _csr(model)
    n_sites = int(model.n_variables)
    name = ("gibbs" if gibbs else "metropolis") + ("" if scan == "systematic" else "_random")

    def step(state, n_sweeps=1):
        check_state(state, name, (n_sites,), lambda c: (c, 1))
        n_sweeps = check_sweeps(n_sweeps)
        if n_sweeps:
            csr_sweeps(state.spins, state.streams[:, 0], indptr, indices, data, h, state.betas,
                       n_sweeps, gibbs, scan == "random", _trusted=True)
        return state

    return SamplingAlgorithm(name, _init_factory(model, 1), step, lambda s: s.spins)


def metropolis(model, scan: str = "systematic") -> SamplingAlgorithm:
    """Single-site Metropolis on a pairwise MRF; ``scan`` is ``"systematic"`` or ``"random"``."""
    return _single_site(model, False, scan)


def gibbs(model, scan: str = "systematic") -> SamplingAlgorithm:
    """Single-site heat-bath on a pairwise MRF; ``scan`` is ``"systematic"`` or ``"random"``."""
    return _single_site(model, True, scan)


def chromatic_gibbs(model, colours=None) -> SamplingAlgorithm:
    """Heat-bath over colour classes (greedy colouring unless ``colours`` is given)."""
    indptr, indices, data, h = _csr(model)
    if colours is None:
        colours = greedy_coloring(indptr, indices)
    colours = np.asarray(colours, dtype=np.int64)
    if colours.shape != (model.n_variables,):
        raise ValueError(f"colours must have shape ({model.n_variables},), got {colours.shape}")
    rows = np.repeat(np.arange(model.n_variables), np.diff(indptr))
    clash = rows[colours[rows] == colours[indices]]
    if clash.size:
        raise ValueError(f"colours is not a proper colouring: site {int(clash[0])} shares its "
                         "colour with a neighbour")
    order, block_start, block_ptr = colour_blocks(colours)

    n_sites, n_blocks = int(model.n_variables), block_start.shape[0] - 1

    def step(state, n_sweeps=1):
        check_state(state, "chromatic_gibbs", (n_sites,), lambda c: (c, n_blocks))
        n_sweeps = check_sweeps(n_sweeps)
        if n_sweeps:
            chromatic_sweeps(state.spins, state.streams, indptr, indices, data, h, state.betas,
                             n_sweeps, order, block_start, block_ptr, _trusted=True)
        return state

    alg = SamplingAlgorithm("chromatic_gibbs", _init_factory(model, block_start.shape[0] - 1),
                            step, lambda s: s.spins)
    return alg
