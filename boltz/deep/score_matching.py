"""Score matching: exact (Hyvärinen 2005), denoising (Vincent 2011; Song & Ermon 2019)
and sliced (Song et al. 2019).

Re-exported by :mod:`boltz.deep.objectives`.
"""

from __future__ import annotations

import numpy as np
import torch

from .._validation import check_array, check_positive_int, check_positive_scalar
from ._utils import randn
from .objective_base import Objective, _energy_grad, _flat

__all__ = ["ScoreMatching", "DenoisingScoreMatching", "SlicedScoreMatching"]


class ScoreMatching(Objective):
    """Exact (Hyvärinen 2005) score matching: ``mean(|grad E|^2 / 2 - tr Hess E)``.

    The Hessian trace costs one extra backward pass per input dimension, so
    this is meant for low-dimensional data.

    Parameters
    ----------
    max_energy : float
        Divergence threshold on the energies.

    Examples
    --------
    >>> from boltz.deep.energies import GaussianEnergy
    >>> model = GaussianEnergy([0.0], [[1.0]], learnable=True)
    >>> x = torch.tensor([[1.0], [-1.0]], dtype=torch.float64)
    >>> loss, _ = ScoreMatching()(model, x)   # mean(x^2 / 2 - 1) for N(0, 1)
    >>> loss.item()
    -0.5
    """

    name = "sm"

    def forward(self, model, x, generator=None):
        """The exact score-matching loss of one batch.

        Parameters
        ----------
        model : EnergyModule
            The energy being trained.
        x : torch.Tensor, shape (n, *event_shape)
            A batch of data, on the model's dtype and device.
        generator : torch.Generator, optional
            Unused (the loss is deterministic); accepted for the common signature.

        Returns
        -------
        loss : torch.Tensor, shape ()
            The loss to minimise (differentiable in the model's parameters).
        info : dict of str to float
            Empty.

        Examples
        --------
        >>> from boltz.deep.energies import GaussianEnergy
        >>> model = GaussianEnergy([0.0], [[0.25]], learnable=True)   # precision 4
        >>> x = torch.tensor([[0.5]], dtype=torch.float64)
        >>> loss, info = ScoreMatching()(model, x)   # (4 * 0.5)^2 / 2 - 4
        >>> loss.item(), info
        (-2.0, {})
        >>> loss.backward()   # gradients for the optimiser
        >>> model.loc.grad is not None
        True
        """
        xg, e, g = _energy_grad(model, x)
        gf = _flat(g)
        trace = torch.zeros_like(e)
        for i in range(gf.shape[1]):
            (h,) = torch.autograd.grad(gf[:, i].sum(), xg, create_graph=True)
            trace = trace + _flat(h)[:, i]
        loss = (0.5 * gf.square().sum(1) - trace).mean()
        self._check(loss, e)
        return loss, {}


class DenoisingScoreMatching(Objective):
    """Denoising score matching (Vincent 2011) at one or several noise levels.

    With one ``sigma`` the model learns the score of the data convolved with
    ``N(0, sigma^2 I)``: loss ``mean |sigma s(x~) + z|^2 / 2`` with
    ``x~ = x + sigma z``. With several ``sigmas`` each sample gets a random
    level and the model must be noise-conditional (have ``energy_at(x, sigma)``,
    e.g. :class:`~boltz.deep.energies.NoiseConditionalMLPEnergy`); the loss is
    weighted by ``sigma^2`` (Song & Ermon 2019). With ``continuous=True`` the
    level is drawn log-uniformly between the smallest and largest ``sigma``
    (a continuum of levels, as the samplers of Song et al. 2021 and Karras et
    al. 2022 need).

    Parameters
    ----------
    sigma : float or array_like
        Noise level(s); several levels train a noise-conditional energy.
    max_energy : float
        Divergence threshold on the energies.
    continuous : bool, default False
        Draw ``log sigma`` uniformly on ``[log min(sigma), log max(sigma)]``
        instead of picking one of the listed levels (needs two distinct levels).
    log_normal : (float, float), optional
        With ``continuous``: draw ``log sigma`` from a normal with this mean and
        standard deviation instead, clipped to the range (the level distribution
        of Karras et al. 2022, which concentrates training where denoising is hard).
    sigma_data : float, optional
        Weight each sample's loss by ``(sigma^2 + sigma_data^2) / sigma_data^2``
        (the loss weight of Karras et al. 2022, Eq. 8, written for the score): with a
        model parameterised as theirs (``NoiseConditionalScoreNet(skip=True)``) the
        network's own error then weighs the same at every level. Default: no weight.

    Examples
    --------
    >>> from boltz.deep.energies import NoiseConditionalMLPEnergy
    >>> torch.manual_seed(0) and None
    >>> model = NoiseConditionalMLPEnergy(2, sigmas=[1.0, 0.3, 0.1], hidden=(16,))
    >>> dsm = DenoisingScoreMatching(sigma=[1.0, 0.3, 0.1])
    >>> loss, _ = dsm(model, torch.randn(32, 2), torch.Generator().manual_seed(0))
    >>> dsm.sigmas, loss.shape
    ((1.0, 0.3, 0.1), torch.Size([]))
    """

    name = "dsm"

    def __init__(self, sigma=0.1, max_energy: float = 1e4, continuous: bool = False,
                 log_normal=None, sigma_data=None):
        super().__init__(max_energy)
        sig = np.atleast_1d(check_array(sigma, "sigma", ndim=(0, 1)))
        if np.any(sig <= 0):
            raise ValueError(f"sigma must be positive, got {sig.tolist()}")
        if not isinstance(continuous, (bool, np.bool_)):
            raise TypeError(f"continuous must be a bool, got {type(continuous).__name__}")
        if continuous and not sig.max() > sig.min():
            raise ValueError(f"continuous=True needs two distinct sigma levels, got {sig.tolist()}")
        self.sigmas = tuple(float(s) for s in sig)
        self.continuous = bool(continuous)
        self.log_normal = None
        if log_normal is not None:
            mean, std = (float(v) for v in check_array(log_normal, "log_normal", shape=(2,)))
            if not continuous or not std > 0:
                raise ValueError(f"log_normal needs continuous=True and a positive standard "
                                 f"deviation, got {log_normal!r}")
            self.log_normal = (mean, std)
        self.sigma_data = (None if sigma_data is None
                           else check_positive_scalar(sigma_data, "sigma_data"))

    def forward(self, model, x, generator=None):
        """The denoising score-matching loss of one batch.

        Parameters
        ----------
        model : EnergyModule
            The energy being trained.
        x : torch.Tensor, shape (n, *event_shape)
            A batch of data, on the model's dtype and device.
        generator : torch.Generator, optional
            Seeds the noise added to the data and the levels drawn (default: torch's
            global generator).

        Returns
        -------
        loss : torch.Tensor, shape ()
            The loss to minimise (differentiable in the model's parameters).
        info : dict of str to float
            Empty.

        Examples
        --------
        >>> from boltz.deep.energies import GaussianEnergy
        >>> model = GaussianEnergy([0.0], [[1.0]], learnable=True)
        >>> x = torch.zeros(1000, 1, dtype=torch.float64)
        >>> dsm = DenoisingScoreMatching(sigma=0.5)
        >>> a, _ = dsm(model, x, torch.Generator().manual_seed(0))
        >>> b, _ = dsm(model, x, torch.Generator().manual_seed(0))
        >>> bool(a == b)   # same seed, same noise, same loss
        True
        >>> round(a.item(), 1)   # E|z - 0.25 z|^2 / 2 = 0.75^2 / 2
        0.3
        """
        n = x.shape[0]
        if len(self.sigmas) == 1:
            sigma = torch.full((n,), self.sigmas[0], dtype=x.dtype, device=x.device)
            energy_fn = None
        else:
            if not hasattr(model, "energy_at") and not hasattr(model, "score_at"):
                raise TypeError(
                    "several noise levels need a noise-conditional model with "
                    "energy_at(x, sigma), e.g. NoiseConditionalMLPEnergy, or a score "
                    "model with score_at(x, sigma)"
                )
            if self.continuous:
                lo, hi = np.log(min(self.sigmas)), np.log(max(self.sigmas))
                if self.log_normal is None:
                    u = torch.rand((n,), generator=generator, dtype=x.dtype, device=x.device)
                    sigma = torch.exp(lo + (hi - lo) * u)
                else:
                    g = randn((n,), generator, x)
                    mean, std = self.log_normal
                    sigma = torch.exp((mean + std * g).clamp(lo, hi))
            else:
                levels = torch.tensor(self.sigmas, dtype=x.dtype, device=x.device)
                pick = torch.randint(0, len(self.sigmas), (n,), generator=generator,
                                     device=x.device)
                sigma = levels[pick]

            def energy_fn(xx):
                return model.energy_at(xx, sigma)
        z = randn(x.shape, generator, x)
        s_shape = (n, *([1] * (x.ndim - 1)))
        x_noisy = x + sigma.reshape(s_shape) * z
        if hasattr(model, "score_at"):  # a score model (boltz.deep.score_models): no energy
            e, g = None, -model.score_at(x_noisy, sigma)
        else:
            _, e, g = _energy_grad(model, x_noisy, energy_fn=energy_fn)
        # score s = -g; residual sigma * s + z
        r = _flat(z - sigma.reshape(s_shape) * g)
        per_sample = r.square().sum(1)
        if self.sigma_data is not None:
            per_sample = per_sample * (1.0 + (sigma / self.sigma_data).square())
        loss = 0.5 * per_sample.mean()
        self._check(loss, *(() if e is None else (e,)))
        return loss, {}


class SlicedScoreMatching(Objective):
    """Sliced score matching (Song et al. 2019) with random projections ``v``.

    ``variance_reduced=True`` (default) uses ``|s|^2 / 2 + v^T (grad s) v`` with
    Gaussian ``v`` (the SSM-VR form, exact expectation of the first term);
    otherwise ``(v^T s)^2 / 2 + v^T (grad s) v``.

    Parameters
    ----------
    n_projections : int
        Random projections per data point.
    variance_reduced : bool
        Use the variance-reduced estimator (the Gaussian projections' second
        moment computed exactly).
    max_energy : float
        Divergence threshold on the energies.

    Examples
    --------
    >>> from boltz.deep.energies import GaussianEnergy
    >>> model = GaussianEnergy([0.0], [[1.0]], learnable=True)
    >>> x = torch.tensor([[1.0], [-1.0]], dtype=torch.float64)
    >>> ssm = SlicedScoreMatching(n_projections=4000)
    >>> loss, _ = ssm(model, x, torch.Generator().manual_seed(0))
    >>> round(loss.item(), 1)   # exact score matching gives -0.5
    -0.5
    """

    name = "ssm"

    def __init__(self, n_projections: int = 1, variance_reduced: bool = True,
                 max_energy: float = 1e4):
        super().__init__(max_energy)
        self.n_projections = check_positive_int(n_projections, "n_projections")
        self.variance_reduced = bool(variance_reduced)

    def forward(self, model, x, generator=None):
        """The sliced score-matching loss of one batch.

        Parameters
        ----------
        model : EnergyModule
            The energy being trained.
        x : torch.Tensor, shape (n, *event_shape)
            A batch of data, on the model's dtype and device.
        generator : torch.Generator, optional
            Seeds the random projections (default: torch's global generator).

        Returns
        -------
        loss : torch.Tensor, shape ()
            The loss to minimise (differentiable in the model's parameters).
        info : dict of str to float
            Empty.

        Examples
        --------
        >>> from boltz.deep.energies import MLPEnergy
        >>> torch.manual_seed(0) and None
        >>> loss, info = SlicedScoreMatching()(MLPEnergy(2, hidden=(8,)), torch.randn(16, 2))
        >>> loss.shape, info
        (torch.Size([]), {})
        """
        xg, e, g = _energy_grad(model, x)
        s = -g
        total = 0.0
        for _ in range(self.n_projections):
            v = randn(x.shape, generator, x)
            (hv,) = torch.autograd.grad((s * v).sum(), xg, create_graph=True)
            vhv = _flat(hv * v).sum(1)
            if self.variance_reduced:
                first = 0.5 * _flat(s).square().sum(1)
            else:
                first = 0.5 * _flat(s * v).sum(1).square()
            total = total + (first + vhv).mean()
        loss = total / self.n_projections
        self._check(loss, e)
        return loss, {}
