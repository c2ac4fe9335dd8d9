"""Classical (numpy) boltz models as torch energies: :func:`as_energy`.

A :class:`boltz.gaussian.MultivariateGaussian` becomes a torch-native
:class:`~boltz.deep.analytic.GaussianEnergy`, a fitted ``BernoulliRBM`` its
:class:`RBMFreeEnergy`, and any other :class:`boltz.density.Density` a
:class:`DensityEnergy` (energy in numpy, gradient from the density's grad_log_prob).

Examples
--------
>>> import numpy as np
>>> from boltz.gaussian import MultivariateGaussian
>>> type(as_energy(MultivariateGaussian([0.0], np.eye(1)))).__name__
'GaussianEnergy'
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._validation import check_rng
from .analytic import GaussianEnergy
from .base import EnergyModule

__all__ = ["DensityEnergy", "RBMFreeEnergy", "as_energy"]


class _NumpyEnergyFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, density):
        ctx.density = density
        ctx.save_for_backward(x)
        arr = x.detach().cpu().double().numpy()
        e = np.asarray(density.energy(arr), dtype=np.float64)
        return torch.as_tensor(e, dtype=x.dtype, device=x.device)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        density = ctx.density
        if not density.has("grad_log_prob"):
            raise NotImplementedError(
                f"{type(density).__name__} has no grad_log_prob, so its energy cannot be "
                "differentiated"
            )
        s = np.asarray(density.grad_log_prob(x.detach().cpu().double().numpy()), dtype=np.float64)
        if s.shape != tuple(x.shape):
            raise TypeError(
                f"{type(density).__name__}.grad_log_prob returned shape {s.shape}, not the "
                f"gradient shape {tuple(x.shape)}; it is not a density gradient"
            )
        g = -torch.as_tensor(s, dtype=x.dtype, device=x.device)
        return grad_out.reshape(-1, *([1] * (x.ndim - 1))) * g, None


class DensityEnergy(EnergyModule):
    """Use a numpy :class:`boltz.density.Density` as a torch energy.

    The energy runs in numpy (float64); gradients come from the density's
    ``grad_log_prob`` (so sampling and gradient-based use need
    ``density.has("grad_log_prob")``).
    Any classical boltz model with an ``energy`` works, e.g. an RBM's free energy.

    Parameters
    ----------
    density : Density
        A numpy boltz model.

    Examples
    --------
    >>> from boltz.gaussian import MultivariateGaussian
    >>> g = DensityEnergy(MultivariateGaussian([0.0, 0.0], np.eye(2)))
    >>> g.grad_log_prob(torch.ones(1, 2, dtype=torch.float64)).tolist()
    [[-1.0, -1.0]]
    """

    def __init__(self, density):
        super().__init__()
        from ..density import Density

        if not isinstance(density, Density):
            raise TypeError(f"density must be a boltz Density, got {type(density).__name__}")
        self.density = density
        self.event_shape = tuple(density.event_shape)

    @property
    def dtype(self):
        return torch.float64

    def forward(self, x):
        """The density's energy (numpy, float64), differentiable through its ``grad_log_prob``.

        Parameters
        ----------
        x : torch.Tensor, shape (n, *event_shape)
            A batch.

        Returns
        -------
        torch.Tensor, shape (n,)
            ``density.energy(x)``, in the dtype and on the device of ``x``.

        Examples
        --------
        >>> from boltz.gaussian import MultivariateGaussian
        >>> e = DensityEnergy(MultivariateGaussian([0.0], np.eye(1)))
        >>> e(torch.tensor([[2.0]], dtype=torch.float64)).tolist()
        [2.0]
        """
        return _NumpyEnergyFn.apply(x, self.density)

    def log_partition(self):
        return float(self.density.log_partition())

    def has(self, capability):
        if capability == "grad_log_prob":
            return self.density.has("grad_log_prob")
        if capability in ("log_partition", "sample"):
            return self.density.has(capability)
        return super().has(capability)

    def sample(self, n, seed=None):
        rng = check_rng(seed if not isinstance(seed, torch.Generator) else int(
            torch.randint(0, 2**62, (1,), generator=seed)))
        return torch.as_tensor(self.density.sample(n, seed=rng), dtype=torch.float64)


class RBMFreeEnergy(EnergyModule):
    """The free energy of a fitted :class:`boltz.rbm.BernoulliRBM` as a torch energy.

    ``F(v) = -a.v - sum_j softplus(c_j + v.W[:, j])`` (float64, parameters copied
    as buffers, or as trainable parameters with ``learnable=True``). It is
    defined for real ``v`` too (the continuous relaxation), so gradient samplers
    and composition with other energies apply.

    Parameters
    ----------
    rbm : boltz.rbm.BernoulliRBM
        A fitted RBM.
    learnable : bool, default False
        Copy the parameters as trainable parameters (else buffers).

    Examples
    --------
    >>> from boltz.rbm import BernoulliRBM
    >>> rbm = BernoulliRBM.from_params(np.ones((2, 1)), np.zeros(2), np.zeros(1))
    >>> RBMFreeEnergy(rbm).energy(np.array([[1.0, 1.0]])).round(4).tolist()
    [-2.1269]
    """

    def __init__(self, rbm, learnable: bool = False):
        super().__init__()
        if type(rbm).__name__ != "BernoulliRBM" or not hasattr(rbm, "W_"):
            raise TypeError(
                f"rbm must be a fitted boltz.rbm.BernoulliRBM, got {type(rbm).__name__}"
            )
        tensors = {
            "W": torch.as_tensor(np.asarray(rbm.W_, dtype=np.float64)),
            "visible_bias": torch.as_tensor(np.asarray(rbm.visible_bias_, dtype=np.float64)),
            "hidden_bias": torch.as_tensor(np.asarray(rbm.hidden_bias_, dtype=np.float64)),
        }
        for name, t in tensors.items():
            if learnable:
                setattr(self, name, nn.Parameter(t))
            else:
                self.register_buffer(name, t)
        self.event_shape = (self.W.shape[0],)

    def forward(self, v):
        """Free energy ``F(v) = -a.v - sum_j softplus(c_j + v.W[:, j])`` of each row.

        Parameters
        ----------
        v : torch.Tensor, shape (n, n_visible)
            Visible vectors (binary, or real for the continuous relaxation), float64.

        Returns
        -------
        torch.Tensor, shape (n,)
            The free energies.

        Examples
        --------
        >>> from boltz.rbm import BernoulliRBM
        >>> rbm = BernoulliRBM.from_params(np.ones((2, 1)), np.zeros(2), np.zeros(1))
        >>> F = RBMFreeEnergy(rbm)
        >>> round(F(torch.zeros(1, 2, dtype=torch.float64)).item(), 4)  # -log 2
        -0.6931
        """
        return -(v @ self.visible_bias) - nn.functional.softplus(
            v @ self.W + self.hidden_bias).sum(1)


def as_energy(model) -> EnergyModule:
    """Turn a boltz model into an :class:`EnergyModule`.

    ``EnergyModule`` → itself; :class:`boltz.gaussian.MultivariateGaussian` → a
    torch-native :class:`GaussianEnergy`; a fitted ``BernoulliRBM`` → its
    :class:`RBMFreeEnergy`; any other :class:`boltz.density.Density` →
    :class:`DensityEnergy`.

    Parameters
    ----------
    model : EnergyModule or Density
        The model.

    Returns
    -------
    EnergyModule
        The torch energy.

    Examples
    --------
    >>> from boltz.gaussian import MultivariateGaussian
    >>> type(as_energy(MultivariateGaussian([0.0], np.eye(1)))).__name__
    'GaussianEnergy'
    """
    from ..density import Density
    from ..gaussian import MultivariateGaussian

    if isinstance(model, EnergyModule):
        return model
    if isinstance(model, MultivariateGaussian):
        return GaussianEnergy.from_multivariate(model)
    if type(model).__name__ == "BernoulliRBM" and hasattr(model, "W_"):
        return RBMFreeEnergy(model)
    if isinstance(model, Density):
        return DensityEnergy(model)
    raise TypeError(
        f"cannot use a {type(model).__name__} as an energy; expected an EnergyModule "
        "or a boltz Density"
    )
