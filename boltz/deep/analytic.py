"""Energies with an exact log partition function: Gaussian, isotropic Gaussian mixture,
double well and concentric rings (the last two by quadrature).

Examples
--------
>>> from boltz.deep.analytic import GaussianMixtureEnergy
>>> GaussianMixtureEnergy([[-5.0, -5.0], [5.0, 5.0]]).log_partition()
0.0
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .._validation import check_array, check_positive_int, check_positive_scalar
from ._utils import make_generator
from .base import EnergyModule

__all__ = ["GaussianEnergy", "GaussianMixtureEnergy", "DoubleWellEnergy", "RingsEnergy"]


class GaussianEnergy(EnergyModule):
    """Gaussian ``N(mean, cov)``: ``E = (x - m)^T P (x - m) / 2`` with exact log Z and sampling.

    Parametrised by the mean and the Cholesky factor ``L`` of the precision
    ``P = L L^T`` (log-diagonal), so it can be trained (``learnable=True``) and
    stays positive definite. ``log Z = d log(2 pi)/2 - sum log diag L``.

    Parameters
    ----------
    mean : array_like, shape (d,)
        Mean.
    cov : array_like, shape (d, d)
        Symmetric positive-definite covariance.
    learnable : bool, default False
        Make the mean and the precision factor trainable parameters.
    dtype : torch.dtype, default torch.float64
        Dtype of the parameters.

    Examples
    --------
    >>> g = GaussianEnergy([1.0], [[4.0]])
    >>> round(g.log_partition(), 6) == round(0.5 * math.log(2 * math.pi * 4.0), 6)
    True
    """

    def __init__(self, mean, cov, learnable: bool = False, dtype=torch.float64):
        super().__init__()
        mean = check_array(mean, "mean", ndim=1)
        d = mean.shape[0]
        cov = check_array(cov, "cov", shape=(d, d))
        if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12):
            raise ValueError("cov must be symmetric")
        try:
            prec_chol = np.linalg.cholesky(np.linalg.inv(cov))
        except np.linalg.LinAlgError:
            raise ValueError("cov must be positive definite") from None
        self.event_shape = (d,)
        raw = np.tril(prec_chol, -1) + np.diag(np.log(np.diag(prec_chol)))
        m = torch.tensor(mean, dtype=dtype)
        r = torch.tensor(raw, dtype=dtype)
        if learnable:
            self.loc = nn.Parameter(m)
            self.raw_chol = nn.Parameter(r)
        else:
            self.register_buffer("loc", m)
            self.register_buffer("raw_chol", r)

    @classmethod
    def from_multivariate(cls, gaussian, learnable: bool = False, dtype=torch.float64):
        """Adapter from :class:`boltz.gaussian.MultivariateGaussian`.

        Parameters
        ----------
        gaussian : boltz.gaussian.MultivariateGaussian
            The Gaussian.
        learnable : bool, default False
            Trainable parameters.
        dtype : torch.dtype, default torch.float64
            Dtype of the parameters.

        Returns
        -------
        GaussianEnergy
            The same Gaussian in torch.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.gaussian import MultivariateGaussian
        >>> g = GaussianEnergy.from_multivariate(MultivariateGaussian(np.zeros(2), np.eye(2)))
        >>> round(g.log_partition(), 4)
        1.8379
        """
        return cls(gaussian.mean, gaussian.cov, learnable=learnable, dtype=dtype)

    def precision_cholesky(self) -> torch.Tensor:
        """The lower-triangular factor ``L`` of the precision ``P = L L^T``.

        Returns
        -------
        torch.Tensor, shape (d, d)
            ``L``.

        Examples
        --------
        >>> import torch
        >>> g = GaussianEnergy([0.0, 0.0], [[4.0, 0.0], [0.0, 1.0]])
        >>> g.precision_cholesky().diagonal().tolist()
        [0.5, 1.0]
        """

        return torch.tril(self.raw_chol, -1) + torch.diag(torch.exp(torch.diagonal(self.raw_chol)))

    def forward(self, x):
        """``(x - m)^T P (x - m) / 2`` of each row (without ``log Z``).

        Parameters
        ----------
        x : torch.Tensor, shape (n, d)
            A batch on this module's dtype and device.

        Returns
        -------
        torch.Tensor, shape (n,)
            The energies.

        Examples
        --------
        >>> g = GaussianEnergy([0.0, 0.0], [[1.0, 0.0], [0.0, 4.0]])
        >>> g(torch.tensor([[1.0, 2.0]], dtype=torch.float64)).tolist()  # (1 + 4 / 4) / 2
        [1.0]
        """
        z = (x - self.loc) @ self.precision_cholesky()
        return 0.5 * (z * z).sum(dim=1)

    @property
    def mean(self) -> np.ndarray:
        return self.loc.detach().cpu().double().numpy()

    @property
    def precision(self) -> np.ndarray:
        L = self.precision_cholesky().detach().cpu().double().numpy()
        return L @ L.T

    @property
    def cov(self) -> np.ndarray:
        c = np.linalg.inv(self.precision)
        return 0.5 * (c + c.T)

    def to_multivariate(self):
        """The same Gaussian as a :class:`boltz.gaussian.MultivariateGaussian`.

        Returns
        -------
        boltz.gaussian.MultivariateGaussian
            The numpy model.

        Examples
        --------
        >>> import torch
        >>> g = GaussianEnergy([0.0, 0.0], [[4.0, 0.0], [0.0, 1.0]])
        >>> g.to_multivariate().cov.round(6).tolist()
        [[4.0, 0.0], [0.0, 1.0]]
        """
        from ..gaussian import MultivariateGaussian

        return MultivariateGaussian(self.mean, self.cov)

    def log_partition_tensor(self) -> torch.Tensor:
        """Differentiable ``log Z`` (a 0-d tensor).

        Returns
        -------
        torch.Tensor
            ``log Z`` (0-d, differentiable).

        Examples
        --------
        >>> import torch
        >>> g = GaussianEnergy([0.0, 0.0], [[4.0, 0.0], [0.0, 1.0]])
        >>> round(float(g.log_partition_tensor()), 4)  # log(2 pi) + log(2)
        2.531
        """
        d = self.event_shape[0]
        return 0.5 * d * math.log(2 * math.pi) - torch.diagonal(self.raw_chol).sum()

    def log_partition(self) -> float:
        return float(self.log_partition_tensor().detach().double())

    def sample(self, n, seed=None):
        n = check_positive_int(n, "n")
        gen = make_generator(seed)
        z = torch.randn((n, self.event_shape[0]), generator=gen, dtype=torch.float64)
        chol = torch.as_tensor(np.linalg.cholesky(self.cov))
        out = self.loc.detach().double().cpu() + z @ chol.T
        return out.to(dtype=self.dtype, device=self.device)

    def at_noise(self, sigma: float) -> GaussianEnergy:
        """The Gaussian convolved with ``N(0, sigma^2 I)`` (exact perturbed density).

        Parameters
        ----------
        sigma : float
            Noise standard deviation.

        Returns
        -------
        GaussianEnergy
            ``N(mean, cov + sigma^2 I)``.

        Examples
        --------
        >>> import torch
        >>> g = GaussianEnergy([0.0, 0.0], [[4.0, 0.0], [0.0, 1.0]])
        >>> g.at_noise(1.0).to_multivariate().cov.round(6).tolist()
        [[5.0, 0.0], [0.0, 2.0]]
        """
        sigma = check_positive_scalar(sigma, "sigma", allow_zero=True)
        d = self.event_shape[0]
        return GaussianEnergy(self.mean, self.cov + sigma**2 * np.eye(d), dtype=self.dtype)


class GaussianMixtureEnergy(EnergyModule):
    """Isotropic Gaussian mixture ``sum_k w_k N(m_k, s_k^2 I)``; normalised, so ``log Z = 0``.

    Parameters
    ----------
    means : array_like, shape (k, d)
        Component means.
    scales : float or array_like, shape (k,), default 1.0
        Component standard deviations.
    weights : array_like, shape (k,), optional
        Mixture weights (default equal).
    dtype : torch.dtype, default torch.float64
        Dtype of the parameters.

    Examples
    --------
    >>> gm = GaussianMixtureEnergy([[-5.0, -5.0], [5.0, 5.0]], scales=1.0, weights=[0.2, 0.8])
    >>> gm.log_partition()
    0.0
    >>> gm.sample(1000, seed=0).shape
    torch.Size([1000, 2])
    """

    def __init__(self, means, scales=1.0, weights=None, dtype=torch.float64):
        super().__init__()
        means = check_array(means, "means", ndim=2)
        k, d = means.shape
        scales = np.broadcast_to(check_array(scales, "scales", ndim=(0, 1)), (k,)).copy()
        if np.any(scales <= 0):
            raise ValueError("scales must be positive")
        if weights is None:
            weights = np.full(k, 1.0 / k)
        weights = check_array(weights, "weights", shape=(k,))
        if np.any(weights <= 0) or not np.isclose(weights.sum(), 1.0):
            raise ValueError("weights must be positive and sum to 1")
        self.event_shape = (d,)
        self.register_buffer("means", torch.tensor(means, dtype=dtype))
        self.register_buffer("scales", torch.tensor(scales, dtype=dtype))
        self.register_buffer("weights", torch.tensor(weights, dtype=dtype))

    def component_log_prob(self, x):
        """``log w_k + log N(x; m_k, s_k^2 I)``, shape ``(n, k)``.

        Parameters
        ----------
        x : torch.Tensor, shape (n, d)
            Points.

        Returns
        -------
        torch.Tensor, shape (n, k)
            Per-component weighted log-densities.

        Examples
        --------
        >>> import torch
        >>> gm = GaussianMixtureEnergy([[-1.0], [1.0]], scales=1.0)
        >>> gm.component_log_prob(torch.zeros(3, 1, dtype=torch.float64)).shape
        torch.Size([3, 2])
        """
        d = self.event_shape[0]
        sq = ((x[:, None, :] - self.means[None]) ** 2).sum(-1)
        s2 = self.scales**2
        return (torch.log(self.weights) - 0.5 * sq / s2
                - 0.5 * d * torch.log(2 * math.pi * s2))

    def forward(self, x):
        """``-log sum_k w_k N(x; m_k, s_k^2 I)`` (the mixture is normalised).

        Parameters
        ----------
        x : torch.Tensor, shape (n, d)
            A batch on this module's dtype and device.

        Returns
        -------
        torch.Tensor, shape (n,)
            The energies, ``-log p(x)``.

        Examples
        --------
        >>> gm = GaussianMixtureEnergy([[0.0, 0.0]])
        >>> round(gm(torch.zeros(1, 2, dtype=torch.float64)).item(), 4)  # log(2 pi)
        1.8379
        """
        return -torch.logsumexp(self.component_log_prob(x), dim=1)

    def log_partition(self):
        return 0.0

    def sample(self, n, seed=None):
        n = check_positive_int(n, "n")
        gen = make_generator(seed)
        w = self.weights.detach().cpu()
        idx = torch.multinomial(w, n, replacement=True, generator=gen)
        z = torch.randn((n, self.event_shape[0]), generator=gen, dtype=w.dtype)
        out = self.means.cpu()[idx] + self.scales.cpu()[idx, None] * z
        return out.to(dtype=self.dtype, device=self.device)

    def at_noise(self, sigma: float) -> GaussianMixtureEnergy:
        """The mixture convolved with ``N(0, sigma^2 I)`` (exact perturbed density).

        Parameters
        ----------
        sigma : float
            Noise standard deviation.

        Returns
        -------
        GaussianMixtureEnergy
            Scales ``sqrt(s_k^2 + sigma^2)``.

        Examples
        --------
        >>> import torch
        >>> gm = GaussianMixtureEnergy([[-1.0], [1.0]], scales=1.0)
        >>> gm.at_noise(1.0).log_partition()
        0.0
        """
        sigma = check_positive_scalar(sigma, "sigma", allow_zero=True)
        scales = np.sqrt(self.scales.cpu().numpy() ** 2 + sigma**2)
        return GaussianMixtureEnergy(self.means.cpu().numpy(), scales,
                                     self.weights.cpu().numpy(), dtype=self.dtype)


def _log_quad(f, a, b) -> float:
    from scipy.integrate import quad

    val, err = quad(f, a, b, limit=200, epsabs=0.0, epsrel=1e-11)
    return math.log(val)


class DoubleWellEnergy(EnergyModule):
    """Double well ``E = barrier (x_0^2 - 1)^2 + |x_{1:}|^2 / 2``; log Z by 1D quadrature.

    Parameters
    ----------
    dim : int, default 2
        Dimension.
    barrier : float, default 2.0
        Height of the barrier at ``x_0 = 0``.
    dtype : torch.dtype, default torch.float64
        Dtype of the parameters.

    Examples
    --------
    >>> dw = DoubleWellEnergy(dim=2, barrier=2.0)
    >>> float(dw.energy(torch.tensor([[1.0, 0.0]], dtype=torch.float64))[0])
    0.0
    """

    def __init__(self, dim: int = 2, barrier: float = 2.0, dtype=torch.float64):
        super().__init__()
        self.event_shape = (check_positive_int(dim, "dim"),)
        self.barrier = check_positive_scalar(barrier, "barrier")
        self._dtype = dtype

    @property
    def dtype(self):
        return self._dtype

    def forward(self, x):
        """``barrier (x_0^2 - 1)^2 + |x_{1:}|^2 / 2`` of each row.

        Parameters
        ----------
        x : torch.Tensor, shape (n, dim)
            A batch on this module's dtype and device.

        Returns
        -------
        torch.Tensor, shape (n,)
            The energies.

        Examples
        --------
        >>> dw = DoubleWellEnergy(dim=2, barrier=2.0)
        >>> dw(torch.tensor([[0.0, 0.0], [1.0, 2.0]], dtype=torch.float64)).tolist()
        [2.0, 2.0]
        """
        return self.barrier * (x[:, 0] ** 2 - 1) ** 2 + 0.5 * (x[:, 1:] ** 2).sum(1)

    def log_partition(self):
        b = self.barrier
        log_1d = _log_quad(lambda t: math.exp(-b * (t * t - 1) ** 2), -10.0, 10.0)
        return log_1d + 0.5 * (self.event_shape[0] - 1) * math.log(2 * math.pi)


class RingsEnergy(EnergyModule):
    """Concentric rings in 2D: ``E = -log sum_k w_k exp(-(|x| - r_k)^2 / (2 width^2))``.

    ``log Z`` by radial quadrature.

    Parameters
    ----------
    radii : sequence of float, default (1.0, 2.0, 3.0)
        Ring radii.
    width : float, default 0.2
        Radial standard deviation.
    weights : sequence of float, optional
        Ring weights (default equal).
    dtype : torch.dtype, default torch.float64
        Dtype of the parameters.

    Examples
    --------
    >>> r = RingsEnergy(radii=[1.0, 2.0], width=0.2)
    >>> r.log_partition() > 0
    True
    """

    def __init__(self, radii=(1.0, 2.0, 3.0), width: float = 0.2, weights=None,
                 dtype=torch.float64):
        super().__init__()
        radii = check_array(radii, "radii", ndim=1)
        if np.any(radii < 0):
            raise ValueError("radii must be non-negative")
        if weights is None:
            weights = np.full(len(radii), 1.0 / len(radii))
        weights = check_array(weights, "weights", shape=(len(radii),))
        self.width = check_positive_scalar(width, "width")
        self.event_shape = (2,)
        self.register_buffer("radii", torch.tensor(radii, dtype=dtype))
        self.register_buffer("log_weights", torch.tensor(np.log(weights), dtype=dtype))

    def forward(self, x):
        """``-log sum_k w_k exp(-(|x| - r_k)^2 / (2 width^2))`` of each row.

        Parameters
        ----------
        x : torch.Tensor, shape (n, 2)
            A batch on this module's dtype and device.

        Returns
        -------
        torch.Tensor, shape (n,)
            The energies.

        Examples
        --------
        >>> r = RingsEnergy(radii=[1.0, 2.0], width=0.2)
        >>> round(r(torch.tensor([[0.0, 1.0]], dtype=torch.float64)).item(), 4)  # log 2
        0.6931
        """
        r = torch.sqrt((x * x).sum(1) + 1e-12)
        z = -0.5 * ((r[:, None] - self.radii[None]) / self.width) ** 2
        return -torch.logsumexp(z + self.log_weights, dim=1)

    def log_partition(self):
        radii = self.radii.cpu().numpy()
        w = np.exp(self.log_weights.cpu().numpy())
        s = self.width

        def integrand(r):
            return 2 * math.pi * r * float(np.sum(w * np.exp(-0.5 * ((r - radii) / s) ** 2)))

        return _log_quad(integrand, 0.0, float(radii.max() + 40 * s))
