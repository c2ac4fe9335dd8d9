"""Parallel tempering (replica exchange) and simulated annealing.

:func:`parallel_tempering` runs ``n_replicas`` copies of a ladder of inverse
temperatures ``beta_0, ..., beta_{K-1}`` with any base sampler whose kernel
takes one ``beta`` per chain, and after every sweep proposes swaps between
neighbouring rungs (even pairs, then odd pairs, alternating), accepted with
probability ``min(1, exp((beta_k - beta_{k+1}) (E_k - E_{k+1})))``
(Swendsen & Wang 1986; Hukushima & Nemoto 1996). Chains keep their spins;
the rungs move between chains, so a swap costs O(1).

:func:`simulated_annealing` sweeps once at each ``beta`` of a cooling schedule
(:func:`cooling_schedule`) and keeps the lowest-energy state seen.

Examples
--------
>>> import numpy as np
>>> from boltz.ising import IsingLattice
>>> from boltz.samplers.tempering import parallel_tempering
>>> pt = parallel_tempering(IsingLattice(8), betas=np.linspace(0.2, 0.6, 5))
>>> state = pt.step(pt.init(seed=0), n_sweeps=20)
>>> pt.spins_at(state, 4).shape     # the chains now at beta = 0.6
(1, 8, 8)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validation import (
    check_array,
    check_choice,
    check_finite_scalar,
    check_positive_int,
    check_positive_scalar,
    check_rng,
)
from ._base import ChainState, check_sweeps

__all__ = ["parallel_tempering", "ParallelTempering", "simulated_annealing",
           "AnnealingResult", "cooling_schedule"]


def _ladder(betas) -> np.ndarray:
    ladder = check_array(betas, "betas", ndim=1)
    if ladder.shape[0] < 2:
        raise ValueError(f"betas must hold at least 2 inverse temperatures, got {ladder.shape[0]}")
    if np.any(ladder < 0):
        raise ValueError("betas must be non-negative")
    return ladder


class ParallelTempering(NamedTuple):
    """``init``/``step`` pair plus ``spins_at(state, k)`` and ``swap_rates(state)``."""

    name: str
    init: object
    step: object
    spins: object
    spins_at: object
    swap_rates: object


def parallel_tempering(model, betas, base: str = "gibbs", comm=None) -> ParallelTempering:
    """Replica exchange over the ladder ``betas`` with sampler ``base`` at each rung.

    ``base`` is any name :func:`~boltz.samplers.get_algorithm` accepts except
    ``multispin`` (whose replicas share one beta per word). ``init(n_replicas=1,
    seed)`` makes ``n_replicas * len(betas)`` chains; ``step`` runs one base sweep
    then one round of swaps, ``n_sweeps`` times.

    With a communicator ``comm`` (:mod:`boltz.distributed`) the chains are split in
    contiguous blocks over the ranks; after each sweep the ranks gather the chain
    energies (one float per chain) and every rank makes the same swap decisions
    from the shared generator, so temperatures move between ranks, never spins.
    Each chain keeps its own random stream, so the run equals one process's with
    the same seed; ``spins_at`` returns the chains of this rank at a rung.

    Parameters
    ----------
    model : IsingLattice or PairwiseMRF
        The model.
    betas : array_like, shape (K,)
        The ladder of inverse temperatures.
    base : str, default "gibbs"
        Base sampler at each rung.
    comm : boltz.distributed.Communicator, optional
        Spread the chains over ranks (default: one process).

    Returns
    -------
    ParallelTempering
        ``init``, ``step``, ``spins``, ``spins_at`` and ``swap_rates``.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.ising import IsingLattice
    >>> pt = parallel_tempering(IsingLattice(4), betas=[0.2, 0.4])
    >>> pt.spins_at(pt.step(pt.init(n_replicas=2, seed=0), 5), 1).shape
    (2, 4, 4)
    """
    from ..distributed import get_communicator
    from ..distributed.chains import chain_block
    from . import get_algorithm, hamiltonian

    comm = get_communicator(comm)

    ladder = _ladder(betas)
    if base == "multispin":
        raise ValueError("base='multispin' cannot be tempered (one beta per 64 replicas); "
                         "use 'metropolis' or 'gibbs'")
    alg = get_algorithm(model, base)
    K = ladder.shape[0]

    def init(n_replicas=1, seed=None, initial="random"):
        R = check_positive_int(n_replicas, "n_replicas")
        rng = check_rng(seed)
        inner = alg.init(n_chains=R * K, seed=rng, initial=initial,
                         beta=np.tile(ladder, R))
        block = (0, R * K)
        if comm.world_size > 1:                       # this rank's chains (and streams)
            inner, block = chain_block(inner, comm, base)
        chain_at = np.arange(R * K).reshape(R, K)     # chain holding rung k of set r
        info = {"inner": inner, "chain_at": chain_at, "rng": rng, "parity": 0,
                "accepted": np.zeros(K - 1), "attempted": np.zeros(K - 1), "block": block}
        return ChainState(inner.spins, inner.streams, inner.betas, info)

    def check(state):
        if not isinstance(state, ChainState) or not isinstance(state.info, dict):
            raise TypeError(f"state must be a ChainState made by parallel_tempering's init, "
                            f"got {type(state).__name__}")
        inner = state.info.get("inner")
        if not isinstance(inner, ChainState):
            raise TypeError("state.info['inner'] must be the base sampler's ChainState, got "
                            f"{type(inner).__name__} (a state from another sampler?)")
        n = inner.betas.shape[0] if isinstance(inner.betas, np.ndarray) else 0
        block = state.info.setdefault("block", (0, n))
        if (not isinstance(block, tuple) or len(block) != 2 or block[1] - block[0] != n
                or block[0] < 0):
            raise ValueError(f"state.info['block'] must be (first, end) of this rank's {n} "
                             "chains")
        chain_at = state.info.get("chain_at")
        if comm.world_size > 1:     # the permutation check below covers every rank's chains
            n = chain_at.size if isinstance(chain_at, np.ndarray) else -1
        if (not isinstance(chain_at, np.ndarray) or chain_at.dtype.kind not in "iu"
                or chain_at.ndim != 2 or chain_at.shape[1] != K or chain_at.size != n):
            raise ValueError(f"state.info['chain_at'] must be an integer array of shape "
                             f"(n_replicas, {K}) covering the {n} inner chains")
        if not np.array_equal(np.sort(chain_at, axis=None), np.arange(n)):
            raise ValueError("state.info['chain_at'] must be a permutation of the chain indices")
        for key in ("accepted", "attempted"):
            value = state.info.get(key)
            if not isinstance(value, np.ndarray) or value.shape != (K - 1,):
                raise ValueError(f"state.info[{key!r}] must be an array of shape ({K - 1},)")
        if not isinstance(state.info.get("rng"), np.random.Generator):
            raise TypeError("state.info['rng'] must be a numpy Generator")
        if state.info.get("parity") not in (0, 1):
            raise ValueError("state.info['parity'] must be 0 or 1")
        return inner, chain_at, state.info["rng"]

    def step(state, n_sweeps=1):
        inner, chain_at, rng = check(state)
        alg.step(inner, 0)                     # the base sampler checks its own state
        n_sweeps = check_sweeps(n_sweeps)
        for _ in range(n_sweeps):
            alg.step(inner, 1)
            energy = hamiltonian(model, alg.spins(inner))
            if comm.world_size > 1:               # one float per chain crosses ranks
                energy = np.concatenate(comm.all_gather(energy))
            parity = state.info["parity"]
            for k in range(parity, K - 1, 2):
                a, b = chain_at[:, k], chain_at[:, k + 1]
                log_r = (ladder[k] - ladder[k + 1]) * (energy[a] - energy[b])
                accept = np.log(rng.random(a.shape[0])) < np.minimum(log_r, 0.0)
                chain_at[accept, k], chain_at[accept, k + 1] = b[accept], a[accept]
                state.info["accepted"][k] += accept.sum()
                state.info["attempted"][k] += accept.shape[0]
            state.info["parity"] = 1 - parity
            first, end = state.info["block"]
            rung_betas = np.empty(chain_at.size)
            rung_betas[chain_at.ravel()] = np.tile(ladder, chain_at.shape[0])
            inner.betas[:] = rung_betas[first:end]
        return state

    def spins_at(state, k):
        spins = alg.spins(state.info["inner"])
        first, end = state.info.get("block", (0, spins.shape[0]))
        chains = state.info["chain_at"][:, k]
        return spins[chains[(chains >= first) & (chains < end)] - first]

    def swap_rates(state):
        att = state.info["attempted"]
        return np.divide(state.info["accepted"], att, out=np.full(K - 1, np.nan),
                         where=att > 0)

    return ParallelTempering(f"parallel_tempering[{base}]", init, step,
                             lambda s: alg.spins(s.info["inner"]), spins_at, swap_rates)


def cooling_schedule(n_steps: int, t_start: float, t_end: float, kind: str = "geometric"):
    """Inverse temperatures for annealing from ``t_start`` down to ``t_end``.

    ``kind``: ``"geometric"`` (T multiplied by a constant each step),
    ``"linear"`` (T decreases linearly) or ``"linear_beta"`` (beta increases linearly).
    """
    n = check_positive_int(n_steps, "n_steps")
    t0 = check_positive_scalar(t_start, "t_start")
    t1 = check_positive_scalar(t_end, "t_end")
    check_choice(kind, "kind", ("geometric", "linear", "linear_beta"))
    if kind == "geometric":
        temps = np.geomspace(t0, t1, n)
    elif kind == "linear":
        temps = np.linspace(t0, t1, n)
    else:
        return np.linspace(1.0 / t0, 1.0 / t1, n)
    return 1.0 / temps


class AnnealingResult(NamedTuple):
    """Final spins, the best state and energy found per chain, and the energy trace."""

    spins: np.ndarray
    best_spins: np.ndarray
    best_energy: np.ndarray
    energy_trace: np.ndarray
    betas: np.ndarray


def simulated_annealing(model, schedule, n_chains: int = 1, seed=None, base: str = "metropolis",
                        initial="random") -> AnnealingResult:
    """One sweep of ``base`` at each inverse temperature of ``schedule``; keep the best state.

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> r = simulated_annealing(IsingLattice(8), cooling_schedule(200, 5.0, 0.5), seed=0)
    >>> float(r.best_energy[0]) <= -100
    True
    """
    from . import get_algorithm, hamiltonian

    betas = _ladder(schedule) if np.ndim(schedule) else np.array(
        [check_finite_scalar(schedule, "schedule")])
    if base == "multispin":
        raise ValueError("base='multispin' cannot be annealed (its acceptance thresholds are "
                         "fixed at init); use 'metropolis' or 'gibbs'")
    alg = get_algorithm(model, base)
    state = alg.init(n_chains=n_chains, seed=seed, initial=initial, beta=betas[0])
    trace = np.empty((betas.shape[0], state.n_chains))
    best = alg.spins(state).copy()
    best_e = hamiltonian(model, best)
    for t, b in enumerate(betas):
        state.betas[:] = b
        alg.step(state, 1)
        spins = alg.spins(state)
        e = hamiltonian(model, spins)
        trace[t] = e
        better = e < best_e
        best[better] = spins[better]
        best_e = np.where(better, e, best_e)
    return AnnealingResult(alg.spins(state).copy(), best, best_e, trace, betas)
