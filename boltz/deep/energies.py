"""Energies as ``torch.nn.Module``: ``forward(x)`` returns one energy per sample.

:class:`EnergyModule` implements the shared density interface of
:class:`boltz.density.Density` in torch: ``energy``, ``log_unnormalized``,
``grad_log_prob`` (``-grad E`` by autograd), optional ``log_partition`` and ``sample``,
``has(capability)``, and composition (``a + b`` is a product of experts,
``beta * a`` a tempered energy; see :mod:`boltz.deep.compose`).

``energy``/``grad_log_prob`` validate their input (shape, NaN/inf) and accept numpy
arrays as well as tensors; numpy in gives numpy out. Calling the module
directly (``model(x)``) skips the checks and is what samplers and training
objectives use in their inner loops.

Example
-------
>>> import torch
>>> from boltz.deep.energies import GaussianEnergy
>>> g = GaussianEnergy(mean=[0.0, 0.0], cov=[[1.0, 0.0], [0.0, 1.0]])
>>> x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
>>> g.energy(x).tolist(), g.grad_log_prob(x).tolist()
([2.5], [[-1.0, -2.0]])
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .._validation import check_array, check_positive_int, check_positive_scalar, check_rng
from ._utils import as_batch, make_generator

__all__ = [
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

CAPABILITIES = ("grad_log_prob", "log_partition", "sample")


def _activation(name: str) -> nn.Module:
    table = {"silu": nn.SiLU, "softplus": nn.Softplus, "elu": nn.ELU, "tanh": nn.Tanh,
             "gelu": nn.GELU}
    if name not in table:
        raise ValueError(f"activation must be one of {sorted(table)}, got {name!r}")
    return table[name]()


class EnergyModule(nn.Module):
    """Base class: a ``torch.nn.Module`` whose ``forward(x)`` returns energies ``(n,)``.

    Subclasses set ``event_shape`` and implement :meth:`forward`. The rest of the
    density interface is derived here.
    """

    event_shape: tuple = ()

    # -- dtype / device of the module's tensors -----------------------------
    @property
    def dtype(self) -> torch.dtype:
        for t in self.parameters():
            return t.dtype
        for t in self.buffers():
            if t.is_floating_point():
                return t.dtype
        return torch.get_default_dtype()

    @property
    def device(self) -> torch.device:
        for t in self.parameters():
            return t.device
        for t in self.buffers():
            return t.device
        return torch.device("cpu")

    def check_input(self, x, name: str = "x") -> torch.Tensor:
        """Validate ``x`` against ``event_shape`` and move it to this module's dtype/device."""
        return as_batch(x, self.event_shape, dtype=self.dtype, device=self.device, name=name)

    # -- the density interface ---------------------------------------------
    def energy(self, x):
        """Energy ``E(x)`` of each sample; shape ``(n,)``. numpy in, numpy out."""
        xt = self.check_input(x)
        e = self(xt)
        self._check_energy_shape(e, xt)
        return e.detach().cpu().numpy() if not isinstance(x, torch.Tensor) else e

    def log_unnormalized(self, x):
        """``log p~(x) = -E(x)``; shape ``(n,)``."""
        return -self.energy(x)

    def grad_log_prob(self, x, create_graph: bool = False):
        """Score ``grad_x log p~(x) = -grad_x E(x)`` by autograd; same shape as ``x``."""
        xt = self.check_input(x)
        with torch.enable_grad():
            xg = xt.detach().requires_grad_(True)
            e = self(xg)
            self._check_energy_shape(e, xg)
            (g,) = torch.autograd.grad(e.sum(), xg, create_graph=create_graph)
        if not isinstance(x, torch.Tensor):
            return -g.detach().cpu().numpy()
        return -g if create_graph else -g.detach()

    def log_partition(self) -> float:
        """Exact ``log Z`` (float64) where the model knows it."""
        raise NotImplementedError(
            f"{type(self).__name__} has no exact log partition function; "
            "use boltz.deep.metrics.grid_log_partition for 2D models"
        )

    def log_prob(self, x):
        """Normalized log-density; needs an exact :meth:`log_partition`."""
        return self.log_unnormalized(x) - self.log_partition()

    def sample(self, n: int, seed=None) -> torch.Tensor:
        """Exact independent samples, where available."""
        raise NotImplementedError(
            f"{type(self).__name__} has no exact sampler; use boltz.deep.samplers"
        )

    def has(self, capability: str) -> bool:
        """Whether the model offers ``capability`` (``grad_log_prob`` always, by autograd)."""
        if capability not in CAPABILITIES:
            raise ValueError(f"capability must be one of {CAPABILITIES}, got {capability!r}")
        if capability == "grad_log_prob":
            return True
        return getattr(type(self), capability) is not getattr(EnergyModule, capability)

    def _check_energy_shape(self, e, x):
        if e.shape != (x.shape[0],):
            raise ValueError(
                f"{type(self).__name__}.forward must return one energy per sample, shape "
                f"({x.shape[0]},), got {tuple(e.shape)}"
            )

    # -- composition ---------------------------------------------------------
    def __add__(self, other):
        from .compose import SumEnergy

        try:
            other = as_energy(other)
        except TypeError:
            return NotImplemented
        return SumEnergy([self, other])

    def __radd__(self, other):
        if isinstance(other, (int, float)) and other == 0:  # sum([a, b, ...])
            return self
        return self.__add__(other)

    def __mul__(self, beta):
        from .compose import TemperedEnergy

        if isinstance(beta, torch.Tensor) or not isinstance(beta, (int, float, np.floating)):
            return NotImplemented
        return TemperedEnergy(self, float(beta))

    __rmul__ = __mul__


class FunctionEnergy(EnergyModule):
    """Wrap a torch callable ``fn(x) -> (n,)`` as an :class:`EnergyModule`.

    Example
    -------
    >>> e = FunctionEnergy(lambda x: 0.5 * (x ** 2).sum(1), event_shape=(2,))
    >>> e.energy(torch.ones(1, 2)).tolist()
    [1.0]
    """

    def __init__(self, fn, event_shape, log_partition: float | None = None,
                 dtype=torch.float64):
        super().__init__()
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.event_shape = tuple(event_shape)
        self._log_z = log_partition
        self._dtype = dtype

    @property
    def dtype(self):
        return self._dtype

    def forward(self, x):
        return self.fn(x)

    def log_partition(self):
        if self._log_z is None:
            return super().log_partition()
        return float(self._log_z)

    def has(self, capability):
        if capability == "log_partition":
            return self._log_z is not None
        return super().has(capability)


def _mlp(sizes, activation):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(_activation(activation))
    return nn.Sequential(*layers)


class MLPEnergy(EnergyModule):
    """Fully connected energy ``R^dim -> R`` with smooth activations.

    Parameters
    ----------
    dim : int
        Input dimension.
    hidden : tuple of int
        Hidden layer widths.
    activation : {"silu", "softplus", "elu", "tanh", "gelu"}
        Must be smooth for Langevin sampling and score matching.

    Example
    -------
    >>> torch.manual_seed(0) and None
    >>> m = MLPEnergy(2, hidden=(16, 16))
    >>> m.energy(torch.zeros(3, 2)).shape
    torch.Size([3])
    """

    def __init__(self, dim: int, hidden=(128, 128), activation: str = "silu"):
        super().__init__()
        self.dim = check_positive_int(dim, "dim")
        hidden = tuple(check_positive_int(h, "hidden") for h in hidden)
        self.event_shape = (self.dim,)
        self.net = _mlp((self.dim, *hidden, 1), activation)

    def forward(self, x):
        return self.net(x).squeeze(-1)


class NoiseConditionalMLPEnergy(EnergyModule):
    """MLP energy ``E(x, sigma)`` for multi-level denoising score matching (NCSN-style).

    ``log sigma`` is an extra input. ``forward(x)`` evaluates the least noisy
    level (the model of the data); :meth:`energy_at` takes any sigma and
    :meth:`at_noise` gives a fixed-sigma view for annealed Langevin.

    Example
    -------
    >>> m = NoiseConditionalMLPEnergy(2, sigmas=[1.0, 0.1], hidden=(8,))
    >>> m.at_noise(1.0).energy(torch.zeros(4, 2)).shape
    torch.Size([4])
    """

    def __init__(self, dim: int, sigmas, hidden=(128, 128), activation: str = "silu"):
        super().__init__()
        self.dim = check_positive_int(dim, "dim")
        sig = check_array(sigmas, "sigmas", ndim=1)
        if np.any(sig <= 0):
            raise ValueError("sigmas must be positive")
        self.register_buffer("sigmas", torch.tensor(np.sort(sig)[::-1].copy(), dtype=torch.float32))
        self.event_shape = (self.dim,)
        self.net = _mlp((self.dim + 1, *hidden, 1), activation)

    def energy_at(self, x, sigma):
        """Energy of the noise-perturbed model at level(s) ``sigma`` (scalar or ``(n,)``)."""
        s = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)
        s = s.expand(x.shape[0]) if s.ndim == 0 else s
        return self.net(torch.cat([x, torch.log(s)[:, None]], dim=1)).squeeze(-1)

    def forward(self, x):
        return self.energy_at(x, self.sigmas[-1])

    def at_noise(self, sigma) -> EnergyModule:
        """A view of this model at a fixed noise level (shares the parameters)."""
        return _FixedNoise(self, float(sigma))


class _FixedNoise(EnergyModule):
    def __init__(self, base, sigma):
        super().__init__()
        self.base = base
        self.sigma = sigma
        self.event_shape = base.event_shape

    def forward(self, x):
        return self.base.energy_at(x, self.sigma)


class ConvEnergy(EnergyModule):
    """Small convolutional energy for images ``(channels, size, size)`` (e.g. MNIST).

    Three strided 3x3 convolutions with SiLU, global average pooling, a linear head.

    Example
    -------
    >>> m = ConvEnergy(channels=1, size=28, width=8)
    >>> m.energy(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2])
    """

    def __init__(self, channels: int = 1, size: int = 28, width: int = 32):
        super().__init__()
        c = check_positive_int(channels, "channels")
        s = check_positive_int(size, "size")
        w = check_positive_int(width, "width")
        self.event_shape = (c, s, s)
        self.net = nn.Sequential(
            nn.Conv2d(c, w, 3, stride=1, padding=1), nn.SiLU(),
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(2 * w, 4 * w, 3, stride=2, padding=1), nn.SiLU(),
        )
        self.head = nn.Linear(4 * w, 1)

    def forward(self, x):
        h = self.net(x).mean(dim=(2, 3))
        return self.head(h).squeeze(-1)


# ---------------------------------------------------------------------------
# Analytic energies
# ---------------------------------------------------------------------------
class GaussianEnergy(EnergyModule):
    """Gaussian ``N(mean, cov)``: ``E = (x - m)^T P (x - m) / 2`` with exact log Z and sampling.

    Parametrised by the mean and the Cholesky factor ``L`` of the precision
    ``P = L L^T`` (log-diagonal), so it can be trained (``learnable=True``) and
    stays positive definite. ``log Z = d log(2 pi)/2 - sum log diag L``.

    Example
    -------
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
        """Adapter from :class:`boltz.gaussian.MultivariateGaussian`."""
        return cls(gaussian.mean, gaussian.cov, learnable=learnable, dtype=dtype)

    def precision_cholesky(self) -> torch.Tensor:
        return torch.tril(self.raw_chol, -1) + torch.diag(torch.exp(torch.diagonal(self.raw_chol)))

    def forward(self, x):
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
        """The same Gaussian as a :class:`boltz.gaussian.MultivariateGaussian`."""
        from ..gaussian import MultivariateGaussian

        return MultivariateGaussian(self.mean, self.cov)

    def log_partition_tensor(self) -> torch.Tensor:
        """Differentiable ``log Z`` (a 0-d tensor)."""
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
        """The Gaussian convolved with ``N(0, sigma^2 I)`` (exact perturbed density)."""
        sigma = check_positive_scalar(sigma, "sigma", allow_zero=True)
        d = self.event_shape[0]
        return GaussianEnergy(self.mean, self.cov + sigma**2 * np.eye(d), dtype=self.dtype)


class GaussianMixtureEnergy(EnergyModule):
    """Isotropic Gaussian mixture ``sum_k w_k N(m_k, s_k^2 I)``; normalised, so ``log Z = 0``.

    Example
    -------
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
        """``log w_k + log N(x; m_k, s_k^2 I)``, shape ``(n, k)``."""
        d = self.event_shape[0]
        sq = ((x[:, None, :] - self.means[None]) ** 2).sum(-1)
        s2 = self.scales**2
        return (torch.log(self.weights) - 0.5 * sq / s2
                - 0.5 * d * torch.log(2 * math.pi * s2))

    def forward(self, x):
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
        """The mixture convolved with ``N(0, sigma^2 I)`` (exact perturbed density)."""
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

    Example
    -------
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
        return self.barrier * (x[:, 0] ** 2 - 1) ** 2 + 0.5 * (x[:, 1:] ** 2).sum(1)

    def log_partition(self):
        b = self.barrier
        log_1d = _log_quad(lambda t: math.exp(-b * (t * t - 1) ** 2), -10.0, 10.0)
        return log_1d + 0.5 * (self.event_shape[0] - 1) * math.log(2 * math.pi)


class RingsEnergy(EnergyModule):
    """Concentric rings in 2D: ``E = -log sum_k w_k exp(-(|x| - r_k)^2 / (2 width^2))``.

    ``log Z`` by radial quadrature.

    Example
    -------
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


# ---------------------------------------------------------------------------
# Adapters for classical (numpy) models
# ---------------------------------------------------------------------------
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
    ``grad_log_prob`` (so sampling and gradient-based use need ``density.has("grad_log_prob")``).
    Any classical boltz model with an ``energy`` works, e.g. an RBM's free energy.

    Example
    -------
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

    Example
    -------
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
        return -(v @ self.visible_bias) - nn.functional.softplus(
            v @ self.W + self.hidden_bias).sum(1)


def as_energy(model) -> EnergyModule:
    """Turn a boltz model into an :class:`EnergyModule`.

    ``EnergyModule`` → itself; :class:`boltz.gaussian.MultivariateGaussian` → a
    torch-native :class:`GaussianEnergy`; a fitted ``BernoulliRBM`` → its
    :class:`RBMFreeEnergy`; any other :class:`boltz.density.Density` →
    :class:`DensityEnergy`.

    Example
    -------
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
