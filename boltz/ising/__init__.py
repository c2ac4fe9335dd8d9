"""Ising models and pairwise binary MRFs, exact references, observables and runs.

- :class:`IsingLattice`: 2D square lattice or 1D chain, periodic or open, J, h, beta.
- :class:`PairwiseMRF`: general pairwise MRF / fully-visible Boltzmann machine on spins.
- :mod:`boltz.ising.exact`: Onsager and Kaufman exact results, ``T_C``.
- :mod:`boltz.ising.lattices`: triangular, honeycomb and simple cubic lattices
  (as :class:`PairwiseMRF` with their geometry and critical temperatures).
- :func:`scan`: one :func:`simulate` per model (temperatures, fields), on Dask with ``client=``.
- :func:`simulate`: run a sampler and collect observables into an :class:`IsingRun`
  with error bars (energy, magnetisation, susceptibility, specific heat, Binder
  cumulant, correlation function and second-moment correlation length,
  staggered magnetisation).

Examples
--------
>>> from boltz.ising import IsingLattice, simulate
>>> run = simulate(IsingLattice(16, temperature=3.0), "wolff", n_sweeps=200, seed=0)
>>> run.energy.error > 0
True
"""

from .exact import (
    BETA_C,
    T_C,
    kaufman_energy,
    kaufman_log_partition,
    onsager_energy,
    onsager_free_energy,
    onsager_magnetization,
    onsager_specific_heat,
)
from .lattices import (
    CUBIC_T_C,
    HONEYCOMB_T_C,
    TRIANGULAR_T_C,
    LatticeModel,
    cubic_lattice,
    honeycomb_lattice,
    triangular_lattice,
)
from .models import IsingLattice, PairwiseMRF, binary_to_spins, spins_to_binary
from .observables import (
    IsingRun,
    correlation_length,
    lattice_geometry,
    simulate,
    spin_correlation,
    staggered_magnetization,
    structure_factors,
)
from .scan import scan

__all__ = [
    "IsingLattice",
    "PairwiseMRF",
    "IsingRun",
    "simulate",
    "scan",
    "spin_correlation",
    "spins_to_binary",
    "binary_to_spins",
    "T_C",
    "BETA_C",
    "onsager_energy",
    "onsager_free_energy",
    "onsager_magnetization",
    "onsager_specific_heat",
    "kaufman_log_partition",
    "kaufman_energy",
    "LatticeModel",
    "triangular_lattice",
    "honeycomb_lattice",
    "cubic_lattice",
    "TRIANGULAR_T_C",
    "HONEYCOMB_T_C",
    "CUBIC_T_C",
    "lattice_geometry",
    "structure_factors",
    "correlation_length",
    "staggered_magnetization",
]
