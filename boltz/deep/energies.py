"""The catalogue of torch energies (``forward(x)`` returns one energy per sample).

One import for every energy; each lives in the module of its kind:

- :mod:`boltz.deep.base`      :class:`EnergyModule`, the torch density interface
  (``energy``, ``grad_log_prob`` by autograd, ``log_partition``, ``sample``,
  ``a + b``, ``beta * a``)
- :mod:`boltz.deep.networks`  learnable energies: :class:`FunctionEnergy`,
  :class:`MLPEnergy`, :class:`NoiseConditionalMLPEnergy`, :class:`ConvEnergy`
- :mod:`boltz.deep.analytic`  exact log Z: :class:`GaussianEnergy`,
  :class:`GaussianMixtureEnergy`, :class:`DoubleWellEnergy`, :class:`RingsEnergy`
- :mod:`boltz.deep.adapters`  numpy boltz models as energies: :class:`DensityEnergy`,
  :class:`RBMFreeEnergy`, :func:`as_energy`

Examples
--------
>>> import torch
>>> from boltz.deep.energies import GaussianEnergy
>>> g = GaussianEnergy(mean=[0.0, 0.0], cov=[[1.0, 0.0], [0.0, 1.0]])
>>> x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
>>> g.energy(x).tolist(), g.grad_log_prob(x).tolist()
([2.5], [[-1.0, -2.0]])
"""

from .adapters import DensityEnergy, RBMFreeEnergy, as_energy
from .analytic import DoubleWellEnergy, GaussianEnergy, GaussianMixtureEnergy, RingsEnergy
from .base import CAPABILITIES, EnergyModule
from .networks import ConvEnergy, FunctionEnergy, MLPEnergy, NoiseConditionalMLPEnergy

__all__ = [
    "CAPABILITIES",
    "EnergyModule",
    "FunctionEnergy",
    "MLPEnergy",
    "NoiseConditionalMLPEnergy",
    "ConvEnergy",
    "GaussianEnergy",
    "GaussianMixtureEnergy",
    "DoubleWellEnergy",
    "RingsEnergy",
    "DensityEnergy",
    "RBMFreeEnergy",
    "as_energy",
]
