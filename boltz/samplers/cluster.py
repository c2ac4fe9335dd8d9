"""Cluster updates at zero field: Wolff (1989) and Swendsen–Wang (1987), numba-jitted.

Both work on any pairwise model given in CSR form (an :class:`~boltz.ising.IsingLattice`
through its bond graph, or a :class:`~boltz.ising.PairwiseMRF`) with ``h = 0``.
A bond ``(i, j)`` is *satisfied* when ``J_ij s_i s_j > 0``; satisfied bonds are
activated with probability ``1 - exp(-2 beta |J_ij|)`` (Fortuin–Kasteleyn), so
frustrated couplings are handled correctly (the clusters just get less useful).

- :func:`wolff`: grow one cluster from a random seed site and flip it. One
  *sweep* is ``clusters_per_sweep`` clusters (default: fixed so that about ``N``
  spins are flipped per sweep; see :func:`calibrate_wolff`), which makes
  autocorrelation times comparable with single-spin sweeps.
- :func:`swendsen_wang`: activate all bonds, then flip every cluster with
  probability 1/2; one sweep is one such update.

Examples
--------
>>> from boltz.ising import IsingLattice
>>> from boltz.samplers.cluster import wolff
>>> alg = wolff(IsingLattice(16, beta=0.44))
>>> state = alg.step(alg.init(n_chains=2, seed=0), n_sweeps=5)
>>> alg.spins(state).shape
(2, 16, 16)
"""

from __future__ import annotations

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

__all__ = ["wolff", "swendsen_wang", "wolff_clusters", "swendsen_wang_sweeps",
           "calibrate_wolff", "bond_probabilities"]


@njit(inline="always")
def _wolff_clusters_body(spins, streams, indptr, indices, data, padd, n_clusters):
    """In place: ``n_clusters`` Wolff cluster flips per chain; returns spins flipped per chain."""
    C, n = spins.shape
    flipped = np.zeros(C, dtype=np.int64)
    for c in prange(C):
        sp = spins[c]
        stack = np.empty(n, dtype=np.int64)
        members = np.empty(n, dtype=np.int64)
        mark = np.zeros(n, dtype=np.int64)  # mark[i] == id: site i is in cluster id
        p = padd[min(np.int64(c), padd.shape[0] - 1)]
        total = 0
        for cid in range(1, n_clusters + 1):
            seed = int(next_double(streams, c) * n)
            mark[seed] = cid
            stack[0] = seed
            members[0] = seed
            top = 1
            size = 1
            while top > 0:
                top -= 1
                i = stack[top]
                si = sp[i]       # spins are flipped once the cluster is complete
                for k in range(indptr[i], indptr[i + 1]):
                    j = indices[k]
                    if mark[j] == cid:
                        continue
                    w = data[k] * si * sp[j]
                    if w > 0.0:  # satisfied bond
                        if next_double(streams, c) < p[k]:
                            mark[j] = cid
                            stack[top] = j
                            members[size] = j
                            top += 1
                            size += 1
            for m in range(size):
                sp[members[m]] = -sp[members[m]]
            total += size
        flipped[c] = total
    return flipped


@njit(parallel=True, cache=True)
def _wolff_clusters_par(spins, streams, indptr, indices, data, padd, n_clusters):
    return _wolff_clusters_body(spins, streams, indptr, indices, data, padd, n_clusters)


@njit(cache=True)
def _wolff_clusters_ser(spins, streams, indptr, indices, data, padd, n_clusters):
    return _wolff_clusters_body(spins, streams, indptr, indices, data, padd, n_clusters)


@njit(inline="always")
def _find(parent, i):
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:  # path compression
        nxt = parent[i]
        parent[i] = root
        i = nxt
    return root


@njit(inline="always")
def _swendsen_wang_sweeps_body(spins, streams, indptr, indices, data, padd, n_sweeps):
    """In place: ``n_sweeps`` Swendsen–Wang updates of every chain."""
    C, n = spins.shape
    for c in prange(C):
        sp = spins[c]
        parent = np.empty(n, dtype=np.int64)
        flip = np.empty(n, dtype=np.int8)
        p = padd[min(np.int64(c), padd.shape[0] - 1)]
        for _ in range(n_sweeps):
            for i in range(n):
                parent[i] = i
            for i in range(n):
                for k in range(indptr[i], indptr[i + 1]):
                    j = indices[k]
                    if j <= i:   # each bond once (CSR holds both (i, j) and (j, i))
                        continue
                    w = data[k] * sp[i] * sp[j]
                    if w > 0.0 and next_double(streams, c) < p[k]:
                        ri = _find(parent, i)
                        rj = _find(parent, j)
                        if ri != rj:
                            parent[ri] = rj
            for i in range(n):
                flip[i] = -1
            for i in range(n):
                r = _find(parent, i)
                if flip[r] < 0:
                    flip[r] = 1 if next_double(streams, c) < 0.5 else 0
                if flip[r] == 1:
                    sp[i] = -sp[i]


@njit(parallel=True, cache=True)
def _swendsen_wang_sweeps_par(spins, streams, indptr, indices, data, padd, n_sweeps):
    _swendsen_wang_sweeps_body(spins, streams, indptr, indices, data, padd, n_sweeps)


@njit(cache=True)
def _swendsen_wang_sweeps_ser(spins, streams, indptr, indices, data, padd, n_sweeps):
    _swendsen_wang_sweeps_body(spins, streams, indptr, indices, data, padd, n_sweeps)


def bond_probabilities(data, betas) -> np.ndarray:
    """``1 - exp(-2 beta |J_k|)`` per chain and CSR entry; one row when all betas agree."""
    betas = np.asarray(betas, dtype=np.float64)
    rows = betas[:1] if np.all(betas == betas[0]) else betas
    return -np.expm1(-2.0 * rows[:, None] * np.abs(np.asarray(data))[None, :])


def _check_padd(padd, C, nnz):
    if (not isinstance(padd, np.ndarray) or padd.dtype != np.float64 or padd.ndim != 2
            or padd.shape[0] not in (1, C) or padd.shape[1] != nnz):
        raise ValueError(f"padd must be a float64 array of shape (1 or {C}, {nnz})")


def wolff_clusters(spins, streams, indptr, indices, data, betas, n_clusters, padd=None,
                   *, _trusted=False):
    """In place: ``n_clusters`` Wolff cluster flips per chain; returns spins flipped per chain.

    ``padd`` (from :func:`bond_probabilities`) may be passed to skip recomputing it.
    Every array is checked first (``_trusted``: the caller built them).
    """
    if not _trusted:
        check_csr_chains(spins, streams, (), indptr, indices, data)
    C, n = spins.shape
    padd = bond_probabilities(data, betas) if padd is None else padd
    _check_padd(padd, C, data.shape[0])
    kernel = _wolff_clusters_par if parallel_ok(C, C * n_clusters * 64) else _wolff_clusters_ser
    return kernel(spins, streams, indptr, indices, data, padd, n_clusters)


def swendsen_wang_sweeps(spins, streams, indptr, indices, data, betas, n_sweeps, padd=None,
                         *, _trusted=False):
    """In place: ``n_sweeps`` Swendsen–Wang updates of every chain (arrays checked first
    unless ``_trusted``)."""
    if not _trusted:
        check_csr_chains(spins, streams, (), indptr, indices, data)
    C, n = spins.shape
    padd = bond_probabilities(data, betas) if padd is None else padd
    _check_padd(padd, C, data.shape[0])
    kernel = (_swendsen_wang_sweeps_par if parallel_ok(C, C * n * n_sweeps)
              else _swendsen_wang_sweeps_ser)
    kernel(spins, streams, indptr, indices, data, padd, n_sweeps)


def _cached_padd(state, data):
    # keyed on the bonds too: a cached row from another model would index past its end
    key = (state.betas.tobytes(), id(data), data.shape[0])
    if state.info.get("_padd_key") != key:
        state.info["_padd"] = bond_probabilities(data, state.betas)
        state.info["_padd_key"] = key
    return state.info["_padd"]


def _graph(model):
    if np.any(np.asarray(model.field) != 0):
        raise ValueError("cluster updates (Wolff, Swendsen-Wang) need zero field h = 0")
    if hasattr(model, "to_mrf") and not hasattr(model, "indptr"):
        mrf = model.to_mrf()
    else:
        mrf = model
    return (np.asarray(mrf.indptr, dtype=np.int64), np.asarray(mrf.indices, dtype=np.int64),
            np.asarray(mrf.data, dtype=np.float64))


def _site_shape(model):
    return tuple(getattr(model, "grid_shape", (model.n_variables,)))


def _init(model, n_sites, site_shape, extra):
    def init(n_chains=1, seed=None, initial="random", beta=None):
        rng = check_rng(seed)
        spins = initial_spins(initial, n_chains, site_shape, rng)
        streams = make_streams(rng, (spins.shape[0],))
        betas = check_betas(model.beta if beta is None else beta, spins.shape[0])
        return ChainState(spins.reshape(spins.shape[0], n_sites), streams, betas, dict(extra))

    return init


def wolff(model, clusters_per_sweep: int | None = None) -> SamplingAlgorithm:
    """Wolff single-cluster updates (``h = 0``).

    ``clusters_per_sweep`` fixes how many clusters make one sweep; by default
    ``state.info["clusters_per_sweep"]`` starts at 1 and :func:`calibrate_wolff`
    sets it from the mean cluster size (do that during burn-in, then keep it fixed,
    so that each sweep is the same Markov kernel).
    """
    indptr, indices, data = _graph(model)
    site_shape = _site_shape(model)
    n = int(np.prod(site_shape))
    cps = 1 if clusters_per_sweep is None else int(clusters_per_sweep)
    if cps < 1:
        raise ValueError(f"clusters_per_sweep must be a positive integer, got {cps}")

    def step(state, n_sweeps=1):
        check_state(state, "wolff", (n,), lambda c: (c,))
        cps_now = state.info.get("clusters_per_sweep")
        if (isinstance(cps_now, bool) or not isinstance(cps_now, (int, np.integer))
                or cps_now < 1):
            raise ValueError("state.info['clusters_per_sweep'] must be a positive integer, "
                             f"got {cps_now!r}")
        n_sweeps = check_sweeps(n_sweeps)
        if n_sweeps:
            flipped = wolff_clusters(state.spins, state.streams, indptr, indices, data,
                                     state.betas, n_sweeps * state.info["clusters_per_sweep"],
                                     _cached_padd(state, data), _trusted=True)
            state.info["flipped"] = state.info.get("flipped", 0) + flipped
            state.info["clusters"] = (state.info.get("clusters", 0)
                                      + n_sweeps * state.info["clusters_per_sweep"])
        return state

    return SamplingAlgorithm("wolff", _init(model, n, site_shape, {"clusters_per_sweep": cps}),
                             step, lambda s: s.spins.reshape(s.spins.shape[0], *site_shape))


def calibrate_wolff(algorithm, state, n_clusters: int = 100, burnin_sweeps: int = 0):
    """Set ``clusters_per_sweep`` so that one sweep flips about ``N`` spins on average.

    First equilibrates: batches of ``n_clusters`` clusters per chain until
    ``burnin_sweeps * N`` spins have been flipped per chain (clusters grown from
    a random start are tiny, so the cluster size must be measured after
    burn-in). Then measures the mean cluster size over ``n_clusters`` more
    clusters. All of this counts as burn-in; afterwards every sweep is the same
    fixed number of clusters, i.e. one fixed Markov kernel.
    """
    from .._validation import check_nonnegative_int, check_positive_int

    n_clusters = check_positive_int(n_clusters, "n_clusters")
    burnin_sweeps = check_nonnegative_int(burnin_sweeps, "burnin_sweeps")
    n = state.spins.shape[1]
    state.info["clusters_per_sweep"] = 1
    state.info.pop("flipped", None)
    flipped = 0.0
    while flipped < burnin_sweeps * n:
        algorithm.step(state, n_clusters)
        flipped = float(np.mean(state.info["flipped"]))
    state.info.pop("flipped", None)
    algorithm.step(state, n_clusters)
    mean_size = float(np.mean(state.info["flipped"])) / n_clusters
    state.info["clusters_per_sweep"] = max(1, int(round(n / mean_size)))
    state.info.pop("flipped", None)
    state.info.pop("clusters", None)
    return state


def swendsen_wang(model) -> SamplingAlgorithm:
    """Swendsen–Wang multi-cluster updates (``h = 0``); one sweep flips each cluster w.p. 1/2."""
    indptr, indices, data = _graph(model)
    site_shape = _site_shape(model)
    n = int(np.prod(site_shape))

    def step(state, n_sweeps=1):
        check_state(state, "swendsen_wang", (n,), lambda c: (c,))
        n_sweeps = check_sweeps(n_sweeps)
        if n_sweeps:
            swendsen_wang_sweeps(state.spins, state.streams, indptr, indices, data, state.betas,
                                 n_sweeps, _cached_padd(state, data), _trusted=True)
        return state

    return SamplingAlgorithm("swendsen_wang", _init(model, n, site_shape, {}), step,
                             lambda s: s.spins.reshape(s.spins.shape[0], *site_shape))
