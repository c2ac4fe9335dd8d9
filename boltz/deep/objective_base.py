"""The base class of the training objectives of
:mod:`boltz.deep.objectives` and the helpers they share.
"""

from __future__ import annotations

import torch
from torch import nn

from .._validation import check_positive_scalar
from ._utils import TrainingDivergedError

__all__ = ["Objective"]


class Objective(nn.Module):
    """Base class: ``forward(model, x, generator=None) -> (loss, info)``.

    Parameters
    ----------
    max_energy : float
        Energies above this in magnitude raise ``TrainingDivergedError``.
    """

    name = "objective"

    def __init__(self, max_energy: float = 1e4):
        super().__init__()
        self.max_energy = check_positive_scalar(max_energy, "max_energy")

    def _check(self, loss, *energies):
        if not bool(torch.isfinite(loss)):
            raise TrainingDivergedError(
                f"{self.name}: the loss became {float(loss)}; training diverged "
                "(lower the learning rate or the sampler step size, or raise the regulariser)"
            )
        for e in energies:
            big = float(e.detach().abs().max())
            if not big <= self.max_energy:
                raise TrainingDivergedError(
                    f"{self.name}: |energy| reached {big:.3g} > max_energy={self.max_energy:g}; "
                    "training diverged (energies blow up; raise the regulariser or lower lr)"
                )


def _flat(v):
    return v.reshape(v.shape[0], -1)


def _energy_grad(model, x, create_graph=True, energy_fn=None):
    xg = x.detach().requires_grad_(True)
    e = model(xg) if energy_fn is None else energy_fn(xg)
    (g,) = torch.autograd.grad(e.sum(), xg, create_graph=create_graph)
    return xg, e, g
