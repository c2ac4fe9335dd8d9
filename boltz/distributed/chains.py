"""Chains split over ranks: each rank keeps a contiguous block of the chains of one run.

Every rank builds the same initial state (all chains, all random streams, from the
same seed), then keeps its block ``[first, end)`` of :func:`~boltz.distributed.shard_range`.
Each chain owns its stream, so the chains a rank advances are the same chains one
process would have advanced: a run split over ranks equals the run in one process.

Examples
--------
>>> import numpy as np
>>> from boltz.ising import IsingLattice
>>> from boltz.samplers import get_algorithm
>>> state = get_algorithm(IsingLattice(4), "gibbs").init(n_chains=6, seed=0)
>>> local, block = chain_block(state)
>>> block, local.spins.shape
((0, 6), (6, 4, 4))
"""

from __future__ import annotations

from .comm import get_communicator, shard_range

__all__ = ["chain_block"]


def chain_block(state, comm=None, algorithm: str = "the sampler"):
    """This rank's block of the chains of ``state`` (a ``ChainState``).

    Parameters
    ----------
    state : boltz.samplers.ChainState
        All chains, the same on every rank (spins, streams and betas have the
        chain axis first).
    comm : Communicator, optional
        Default: one process (every chain).
    algorithm : str
        Name used in the error message.

    Returns
    -------
    tuple
        ``(local_state, (first, end))``: a ChainState of copies of chains
        ``first .. end - 1`` and the block bounds.

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> from boltz.samplers import get_algorithm
    >>> state = get_algorithm(IsingLattice(4), "metropolis").init(n_chains=3, seed=0)
    >>> chain_block(state)[1]
    (0, 3)
    """
    comm = get_communicator(comm)
    n = state.n_chains
    if state.info:
        raise ValueError(f"{algorithm} keeps per-run extras ({', '.join(map(str, state.info))}) "
                         "and cannot be split over ranks; use 'metropolis' or 'gibbs'")
    if state.spins.shape[0] != n or state.streams.shape[0] != n:
        raise ValueError(f"{algorithm}'s state does not hold one row of spins and streams per "
                         "chain and cannot be split over ranks; use 'metropolis' or 'gibbs'")
    first, end = shard_range(n, comm)
    local = type(state)(state.spins[first:end].copy(), state.streams[first:end].copy(),
                        state.betas[first:end].copy(), {})
    return local, (first, end)
