"""Numba-jitted MCMC samplers for Ising lattices and pairwise binary MRFs.

Every sampler is a small blackjax-style pair around a pure numba kernel::

    alg = get_algorithm(model, "multispin")      # or build one from a submodule
    state = alg.init(n_chains=64, seed=0)        # ChainState: spins, streams, betas
    state = alg.step(state, n_sweeps=100)        # in place, returns the state
    spins = alg.spins(state)                     # (n_chains, *site_shape) int8

Submodules: :mod:`~boltz.samplers.lattice` (random-scan, checkerboard Metropolis
and Gibbs, multi-spin coding), :mod:`~boltz.samplers.mrf` (general pairwise MRFs
in CSR form: single-site and chromatic Gibbs), :mod:`~boltz.samplers.cluster`
(Wolff, Swendsen–Wang), :mod:`~boltz.samplers.tempering` (parallel tempering,
simulated annealing), :mod:`~boltz.samplers.grid` (spin images with per-pixel
fields and 4 or 8 neighbours: colour-class Gibbs and annealing sweeps, ICM, mean
field; what :mod:`boltz.denoising` runs on). Same seed, same chain, on any number
of threads.

Examples
--------
>>> from boltz.ising import IsingLattice
>>> from boltz.samplers import get_algorithm
>>> alg = get_algorithm(IsingLattice(16, beta=0.4), "gibbs")
>>> alg.spins(alg.step(alg.init(n_chains=2, seed=0), 3)).shape
(2, 16, 16)
"""

from __future__ import annotations

from ._base import ChainState, SamplingAlgorithm

__all__ = ["ChainState", "SamplingAlgorithm", "get_algorithm", "LATTICE_ALGORITHMS",
           "MRF_ALGORITHMS", "hamiltonian"]

#: Algorithm names for an :class:`~boltz.ising.IsingLattice`.
LATTICE_ALGORITHMS = ("metropolis", "random_metropolis", "gibbs", "multispin", "wolff",
                      "swendsen_wang")
#: Algorithm names for a :class:`~boltz.ising.PairwiseMRF`.
MRF_ALGORITHMS = ("metropolis", "random_metropolis", "gibbs", "random_gibbs", "chromatic_gibbs",
                  "wolff", "swendsen_wang")


def _is_lattice(model) -> bool:
    return hasattr(model, "grid_shape")


def get_algorithm(model, name: str) -> SamplingAlgorithm:
    """The sampler called ``name`` for ``model`` (a lattice or a pairwise MRF).

    Lattice names: ``metropolis`` (checkerboard), ``random_metropolis``, ``gibbs``
    (checkerboard heat-bath), ``multispin``, ``wolff``, ``swendsen_wang``.
    MRF names: ``metropolis``, ``random_metropolis``, ``gibbs``, ``random_gibbs``,
    ``chromatic_gibbs``, ``wolff``, ``swendsen_wang``.

    Parameters
    ----------
    model : IsingLattice or PairwiseMRF
        The model to sample.
    name : str
        One of the names above.

    Returns
    -------
    SamplingAlgorithm
        Its ``init``, ``step`` and ``spins`` functions.

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> get_algorithm(IsingLattice(4, temperature=2.0), "wolff").name
    'wolff'
    """
    from . import cluster, lattice, mrf

    if _is_lattice(model):
        table = {
            "metropolis": lattice.checkerboard_metropolis,
            "random_metropolis": lattice.random_scan_metropolis,
            "gibbs": lattice.checkerboard_gibbs,
            "multispin": lattice.multispin_metropolis,
            "wolff": cluster.wolff,
            "swendsen_wang": cluster.swendsen_wang,
        }
        names = LATTICE_ALGORITHMS
    else:
        table = {
            "metropolis": mrf.metropolis,
            "random_metropolis": lambda m: mrf.metropolis(m, scan="random"),
            "gibbs": mrf.gibbs,
            "random_gibbs": lambda m: mrf.gibbs(m, scan="random"),
            "chromatic_gibbs": mrf.chromatic_gibbs,
            "wolff": cluster.wolff,
            "swendsen_wang": cluster.swendsen_wang,
        }
        names = MRF_ALGORITHMS
    if name not in table:
        raise ValueError(f"algorithm must be one of {list(names)} for {type(model).__name__}, "
                         f"got {name!r}")
    return table[name](model)


def hamiltonian(model, spins):
    """``H(s)`` of each chain for ``spins`` of shape ``(n_chains, *site_shape)`` (numba).

    Parameters
    ----------
    model : IsingLattice or PairwiseMRF
        The model.
    spins : array_like of int, shape (n_chains, ...)
        Spins in {-1, +1}.

    Returns
    -------
    numpy.ndarray, shape (n_chains,)
        ``H(s)`` per chain (float64).

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.ising import IsingLattice
    >>> hamiltonian(IsingLattice(4, temperature=2.0), np.ones((1, 4, 4))).tolist()  # 32 bonds
    [-32.0]
    """
    import numpy as np

    spins = np.ascontiguousarray(spins, dtype=np.int8)
    if _is_lattice(model):
        from .lattice import lattice_energy

        Lx, Ly = model.grid_shape
        return lattice_energy(spins.reshape(-1, Lx, Ly), float(model.J),
                              np.ascontiguousarray(model.field, dtype=np.float64),
                              bool(model.periodic), Lx > 1)
    from .mrf import csr_energy

    return csr_energy(spins.reshape(spins.shape[0], -1), model.indptr, model.indices,
                      model.data, model.field)


# -- #22: checkpoint/resume of sampler states ---------------------------------
from ._base import load_state, save_state  # noqa: E402

__all__ += ["save_state", "load_state"]
