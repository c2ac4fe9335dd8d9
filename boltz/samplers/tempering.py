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


def parallel_tempering(model, betas, base: str = "gibbs") -> ParallelTempering:
    """Replica exchange over the ladder ``betas`` with sampler ``base`` at each rung.

    ``base`` is any name :func:`~boltz.samplers.get_algorithm` accepts except
    ``multispin`` (whose replicas share one beta per word). ``init(n_replicas=1,
    seed)`` makes ``n_replicas * len(betas)`` chains; ``step`` runs one base sweep
    then one round of swaps, ``n_sweeps`` times.
    """
    from . import get_algorithm, hamiltonian

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
        chain_at = np.arange(R * K).reshape(R, K)     # chain holding rung k of set r
        info = {"inner": inner, "chain_at": chain_at, "rng": rng, "parity": 0,
                "accepted": np.zeros(K - 1), "attempted": np.zeros(K - 1)}
        return ChainState(inner.spins, inner.streams, inner.betas, info)

    def step(state, n_sweeps=1):
        n_sweeps = check_sweeps(n_sweeps)
        inner = state.info["inner"]
        chain_at = state.info["chain_at"]
        rng = state.info["rng"]
        for _ in range(n_sweeps):
            alg.step(inner, 1)
            energy = hamiltonian(model, alg.spins(inner))
            parity = state.info["parity"]
            for k in range(parity, K - 1, 2):
                a, b = chain_at[:, k], chain_at[:, k + 1]
                log_r = (ladder[k] - ladder[k + 1]) * (energy[a] - energy[b])
                accept = np.log(rng.random(a.shape[0])) < np.minimum(log_r, 0.0)
                chain_at[accept, k], chain_at[accept, k + 1] = b[accept], a[accept]
                state.info["accepted"][k] += accept.sum()
                state.info["attempted"][k] += accept.shape[0]
            state.info["parity"] = 1 - parity
            inner.betas[chain_at.ravel()] = np.tile(ladder, chain_at.shape[0])
        return state

    def spins_at(state, k):
        spins = alg.spins(state.info["inner"])
        return spins[state.info["chain_at"][:, k]]

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
