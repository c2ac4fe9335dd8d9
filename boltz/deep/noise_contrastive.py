"""Noise-contrastive estimation (Gutmann & Hyvärinen 2010) with a learned ``log Z``.

Re-exported by :mod:`boltz.deep.objectives`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn.functional import softplus

from .._validation import check_positive_scalar
from .objective_base import Objective, _flat

__all__ = ["NoiseContrastiveEstimation"]


class NoiseContrastiveEstimation(Objective):
    """Noise-contrastive estimation with a learned ``log Z`` (Gutmann & Hyvärinen 2010).

    The model's normalised log-density is ``-E(x) - log_z``; a logistic
    classifier with logit ``-E(x) - log_z - log p_n(x) - log nu`` separates the
    data from ``nu`` times as many noise samples. ``noise`` must be normalised
    (have ``log_partition`` and ``sample``); by default it is a Gaussian with the
    mean and ``noise_scale^2`` times the covariance of the first batch.

    Parameters
    ----------
    noise : Density or EnergyModule, optional
        The noise distribution (default: a Gaussian fitted to each batch, widened
        by ``noise_scale``).
    noise_ratio : float
        Noise samples per data sample.
    noise_scale : float
        Widening of the default noise.
    max_energy : float
        Divergence threshold on the energies.

    Examples
    --------
    >>> from boltz.deep.energies import GaussianEnergy
    >>> nce = NoiseContrastiveEstimation(noise=GaussianEnergy([0.0], [[4.0]]))
    >>> model = GaussianEnergy([0.0], [[1.0]], learnable=True)
    >>> x = torch.randn(64, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> loss, info = nce(model, x, torch.Generator().manual_seed(1))
    >>> info   # the learned log Z starts at 0
    {'log_z': 0.0}
    >>> [name for name, _ in nce.named_parameters()]
    ['log_z']
    """

    name = "nce"

    def __init__(self, noise=None, noise_ratio: float = 1.0, noise_scale: float = 1.2,
                 max_energy: float = 1e4):
        super().__init__(max_energy)
        self.noise_ratio = check_positive_scalar(noise_ratio, "noise_ratio")
        self.noise_scale = check_positive_scalar(noise_scale, "noise_scale")
        if noise is not None and not (noise.has("sample") and noise.has("log_partition")):
            raise TypeError("noise must be a normalised energy with sample() and log_partition()")
        # kept out of the module tree: the state dict holds only the learned log Z
        self.__dict__["noise"] = noise
        self.log_z = nn.Parameter(torch.zeros((), dtype=torch.float64))

    def _make_noise(self, x):
        from .energies import GaussianEnergy

        flat = _flat(x).detach().double().cpu().numpy()
        if flat.shape[0] < 2:
            raise ValueError("NCE needs at least two samples in the first batch to fit the noise")
        cov = np.atleast_2d(np.cov(flat.T)) * self.noise_scale**2
        cov = cov + 1e-6 * np.trace(cov) / len(cov) * np.eye(len(cov))
        return GaussianEnergy(flat.mean(0), cov)

    def forward(self, model, x, generator=None):
        """The NCE (logistic) loss of one batch against fresh noise samples.

        The first call without ``noise`` fits the default Gaussian noise to ``x``.

        Parameters
        ----------
        model : EnergyModule
            The energy being trained.
        x : torch.Tensor, shape (n, *event_shape)
            A batch of data, on the model's dtype and device.
        generator : torch.Generator, optional
            Seeds the noise samples (default: torch's global generator).

        Returns
        -------
        loss : torch.Tensor, shape ()
            The loss to minimise (differentiable in the model's parameters).
        info : dict of str to float
            ``log_z``: the current learned ``log Z``.

        Examples
        --------
        >>> from boltz.deep.energies import GaussianEnergy
        >>> model = GaussianEnergy([0.0], [[1.0]], learnable=True)
        >>> x = torch.randn(64, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        >>> nce = NoiseContrastiveEstimation()
        >>> loss, info = nce(model, x, torch.Generator().manual_seed(1))
        >>> round(float(nce.noise.cov[0, 0]) / x.var().item(), 2)   # noise_scale^2 = 1.44
        1.44
        >>> loss.item() > 0
        True
        """
        if self.noise is None:
            if x.ndim != 2:
                raise ValueError("the default NCE noise needs flat data (n, d); pass noise=")
            self.__dict__["noise"] = self._make_noise(x)
        n = x.shape[0]
        m = max(1, int(round(self.noise_ratio * n)))
        seed = None if generator is None else int(
            torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
        y = self.noise.sample(m, seed=seed).to(dtype=x.dtype, device=x.device)
        both = torch.cat([x, y], dim=0)
        log_noise = (-self.noise(both.to(self.noise.dtype).to(self.noise.device))
                     - self.noise.log_partition()).to(x.device)
        e = model(both)
        logit = (-e - self.log_z - math.log(self.noise_ratio)).double() - log_noise.double()
        loss = softplus(-logit[:n]).mean() + self.noise_ratio * softplus(logit[n:]).mean()
        self._check(loss, e)
        return loss, {"log_z": float(self.log_z.detach())}
