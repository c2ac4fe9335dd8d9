"""Learnable neural energies: wrapped callables, MLPs, noise-conditional MLPs, conv nets.

Examples
--------
>>> import torch
>>> from boltz.deep.networks import MLPEnergy
>>> torch.manual_seed(0) and None
>>> MLPEnergy(2, hidden=(16,)).energy(torch.zeros(3, 2)).shape
torch.Size([3])
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._validation import check_array, check_positive_int
from .base import EnergyModule

__all__ = ["FunctionEnergy", "MLPEnergy", "NoiseConditionalMLPEnergy", "ConvEnergy"]


def _activation(name: str) -> nn.Module:
    table = {"silu": nn.SiLU, "softplus": nn.Softplus, "elu": nn.ELU, "tanh": nn.Tanh,
             "gelu": nn.GELU}
    if name not in table:
        raise ValueError(f"activation must be one of {sorted(table)}, got {name!r}")
    return table[name]()


class FunctionEnergy(EnergyModule):
    """Wrap a torch callable ``fn(x) -> (n,)`` as an :class:`EnergyModule`.

    Parameters
    ----------
    fn : callable
        ``fn(x) -> (n,)`` energies of a torch batch.
    event_shape : tuple of int
        Shape of one sample.
    log_partition : float, optional
        The exact ``log Z``, when known.
    dtype : torch.dtype, default torch.float64
        Dtype of the parameters.

    Examples
    --------
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
        """Energies ``fn(x)`` of a batch, without input checks (samplers call this).

        Parameters
        ----------
        x : torch.Tensor, shape (n, *event_shape)
            A batch on this module's dtype and device.

        Returns
        -------
        torch.Tensor, shape (n,)
            ``fn(x)``.

        Examples
        --------
        >>> e = FunctionEnergy(lambda x: x.abs().sum(1), event_shape=(2,))
        >>> e(torch.tensor([[1.0, -2.0]], dtype=torch.float64)).tolist()
        [3.0]
        """
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


def _check_hidden(hidden) -> tuple:
    """Hidden widths as a tuple of positive ints; ``TypeError`` naming ``hidden`` otherwise."""
    if isinstance(hidden, (int, np.integer)) or not isinstance(hidden, (tuple, list)):
        raise TypeError(f"hidden must be a tuple of layer widths, e.g. hidden=({hidden!r},), "
                        f"got {type(hidden).__name__} {hidden!r}")
    return tuple(check_positive_int(h, f"hidden[{i}]") for i, h in enumerate(hidden))


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

    Examples
    --------
    >>> torch.manual_seed(0) and None
    >>> m = MLPEnergy(2, hidden=(16, 16))
    >>> m.energy(torch.zeros(3, 2)).shape
    torch.Size([3])
    """

    def __init__(self, dim: int, hidden=(128, 128), activation: str = "silu"):
        super().__init__()
        self.dim = check_positive_int(dim, "dim")
        hidden = _check_hidden(hidden)
        self.event_shape = (self.dim,)
        self.net = _mlp((self.dim, *hidden, 1), activation)

    def forward(self, x):
        """Energies of a batch, without input checks (samplers and objectives call this).

        Parameters
        ----------
        x : torch.Tensor, shape (n, dim)
            A batch on this module's dtype (float32 by default) and device.

        Returns
        -------
        torch.Tensor, shape (n,)
            The network's output, one energy per row.

        Examples
        --------
        >>> torch.manual_seed(0) and None
        >>> m = MLPEnergy(2, hidden=(8,))
        >>> m(torch.zeros(5, 2)).shape
        torch.Size([5])
        """
        return self.net(x).squeeze(-1)


class NoiseConditionalMLPEnergy(EnergyModule):
    """MLP energy ``E(x, sigma)`` for multi-level denoising score matching (NCSN-style).

    ``log sigma`` is an extra input. ``forward(x)`` evaluates the least noisy
    level (the model of the data); :meth:`energy_at` takes any sigma and
    :meth:`at_noise` gives a fixed-sigma view for annealed Langevin.

    Parameters
    ----------
    dim : int
        Dimension of ``x``.
    sigmas : sequence of float
        The noise levels.
    hidden : sequence of int, default (128, 128)
        Hidden layer widths.
    activation : str, default "silu"
        Activation function name.

    Examples
    --------
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
        self.net = _mlp((self.dim + 1, *_check_hidden(hidden), 1), activation)

    def energy_at(self, x, sigma):
        """Energy of the noise-perturbed model at level(s) ``sigma`` (scalar or ``(n,)``).

        Parameters
        ----------
        x : torch.Tensor, shape (n, dim)
            A batch (float32, like the parameters).
        sigma : float or torch.Tensor, shape () or (n,)
            One noise level for the batch, or one per sample.

        Returns
        -------
        torch.Tensor, shape (n,)
            ``E(x, sigma)``.

        Examples
        --------
        >>> torch.manual_seed(0) and None
        >>> m = NoiseConditionalMLPEnergy(2, sigmas=[1.0, 0.1], hidden=(8,))
        >>> x = torch.zeros(3, 2)
        >>> m.energy_at(x, torch.tensor([1.0, 0.5, 0.1])).shape
        torch.Size([3])
        >>> bool(torch.equal(m.energy_at(x, 0.1), m(x)))  # forward: the least noisy level
        True
        """
        s = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)
        s = s.expand(x.shape[0]) if s.ndim == 0 else s
        return self.net(torch.cat([x, torch.log(s)[:, None]], dim=1)).squeeze(-1)

    def forward(self, x):
        """Energies at the least noisy level ``sigmas[-1]`` (the model of the data).

        Parameters
        ----------
        x : torch.Tensor, shape (n, dim)
            A batch (float32, like the parameters).

        Returns
        -------
        torch.Tensor, shape (n,)
            ``E(x, min(sigmas))``.

        Examples
        --------
        >>> torch.manual_seed(0) and None
        >>> m = NoiseConditionalMLPEnergy(2, sigmas=[1.0, 0.1], hidden=(8,))
        >>> m(torch.zeros(4, 2)).shape
        torch.Size([4])
        """
        return self.energy_at(x, self.sigmas[-1])

    def at_noise(self, sigma) -> EnergyModule:
        """A view of this model at a fixed noise level (shares the parameters).

        Annealed Langevin samples each level through such a view.

        Parameters
        ----------
        sigma : float
            The noise level.

        Returns
        -------
        EnergyModule
            ``x -> E(x, sigma)``; training this model changes the view too.

        Examples
        --------
        >>> torch.manual_seed(0) and None
        >>> m = NoiseConditionalMLPEnergy(2, sigmas=[1.0, 0.1], hidden=(8,))
        >>> x = torch.randn(3, 2)
        >>> bool(torch.equal(m.at_noise(1.0)(x), m.energy_at(x, 1.0)))
        True
        """
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

    Parameters
    ----------
    channels : int, default 1
        Image channels.
    size : int, default 28
        Image side.
    width : int, default 32
        Channels of the convolutions.

    Examples
    --------
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
        """Energies of a batch of images, without input checks.

        Parameters
        ----------
        x : torch.Tensor, shape (n, channels, size, size)
            A batch of images (float32, like the parameters).

        Returns
        -------
        torch.Tensor, shape (n,)
            One energy per image.

        Examples
        --------
        >>> torch.manual_seed(0) and None
        >>> m = ConvEnergy(channels=1, size=8, width=4)
        >>> m(torch.rand(3, 1, 8, 8)).shape
        torch.Size([3])
        """
        h = self.net(x).mean(dim=(2, 3))
        return self.head(h).squeeze(-1)
