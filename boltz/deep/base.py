"""The torch density interface: :class:`EnergyModule`, whose ``forward(x)`` returns energies.

:class:`EnergyModule` implements the shared density interface of
:class:`boltz.density.Density` in torch: ``energy``, ``log_unnormalized``,
``grad_log_prob`` (``-grad E`` by autograd), optional ``log_partition`` and ``sample``,
``has(capability)``, and composition (``a + b`` is a product of experts,
``beta * a`` a tempered energy).

``energy``/``grad_log_prob`` validate their input (shape, NaN/inf) and accept numpy
arrays as well as tensors; numpy in gives numpy out. Calling the module
directly (``model(x)``) skips the checks and is what samplers and training
objectives use in their inner loops.

The composite energies behind ``+`` and ``*`` live in :mod:`boltz.deep.compose`,
which builds on this module; it installs them in :data:`COMPOSITION` when it is
imported (every import of :mod:`boltz.deep` imports it), so the base class does
not import the module above it.

Examples
--------
>>> import torch
>>> from boltz.deep.analytic import GaussianEnergy
>>> g = GaussianEnergy(mean=[0.0, 0.0], cov=[[1.0, 0.0], [0.0, 1.0]])
>>> x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
>>> g.energy(x).tolist(), g.grad_log_prob(x).tolist()
([2.5], [[-1.0, -2.0]])
>>> type(g + g).__name__, type(0.5 * g).__name__
('SumEnergy', 'TemperedEnergy')
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._utils import as_batch

__all__ = ["EnergyModule", "CAPABILITIES", "COMPOSITION"]

CAPABILITIES = ("grad_log_prob", "log_partition", "sample")

#: ``"sum"`` (experts -> energy), ``"temper"`` ((energy, beta) -> energy) and
#: ``"as_energy"`` (model -> energy), installed by :mod:`boltz.deep.compose`.
COMPOSITION: dict = {}


def _composition(name: str):
    try:
        return COMPOSITION[name]
    except KeyError:
        raise RuntimeError("energy composition needs boltz.deep.compose; import boltz.deep "
                           "(which loads it) first") from None


class EnergyModule(nn.Module):
    """Base class: a ``torch.nn.Module`` whose ``forward(x)`` returns energies ``(n,)``.

    Subclasses set ``event_shape`` and implement ``forward``. The rest of the
    density interface is derived here.

    Parameters
    ----------
    *args, **kwargs
        Passed to ``torch.nn.Module``, which takes none: subclasses call
        ``super().__init__()``.

    Examples
    --------
    >>> import torch
    >>> class Quadratic(EnergyModule):
    ...     event_shape = (2,)
    ...     def forward(self, x):
    ...         return 0.5 * (x ** 2).sum(1)
    >>> q = Quadratic()
    >>> q.energy(torch.ones(1, 2)).tolist(), q.grad_log_prob(torch.ones(1, 2)).tolist()
    ([1.0], [[-1.0, -1.0]])
    >>> q.has("log_partition")
    False
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
        """Validate ``x`` against ``event_shape`` and move it to this module's dtype/device.

        Parameters
        ----------
        x : array_like or torch.Tensor, shape (n, ...)
            A batch of samples.
        name : str, default "x"
            Name used in error messages.

        Returns
        -------
        torch.Tensor
            ``x`` on this module's dtype and device.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(2), torch.eye(2))
        >>> g.check_input([[1.0, 2.0]]).shape
        torch.Size([1, 2])
        """
        return as_batch(x, self.event_shape, dtype=self.dtype, device=self.device, name=name)

    # -- the density interface ---------------------------------------------
    def energy(self, x):
        """Energy ``E(x)`` of each sample; shape ``(n,)``. numpy in, numpy out.

        Parameters
        ----------
        x : array_like or torch.Tensor, shape (n, ...)
            A batch of samples.

        Returns
        -------
        numpy.ndarray or torch.Tensor, shape (n,)
            ``E(x)``, of the type of ``x``.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(2), torch.eye(2))
        >>> import numpy as np
        >>> g.energy(np.array([[1.0, 1.0]])).tolist()
        [1.0]
        """
        xt = self.check_input(x)
        e = self(xt)
        self._check_energy_shape(e, xt)
        return e.detach().cpu().numpy() if not isinstance(x, torch.Tensor) else e

    def log_unnormalized(self, x):
        """``log p~(x) = -E(x)``; shape ``(n,)``.

        Parameters
        ----------
        x : array_like or torch.Tensor, shape (n, ...)
            A batch of samples.

        Returns
        -------
        numpy.ndarray or torch.Tensor, shape (n,)
            ``-E(x)``.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(2), torch.eye(2))
        >>> import numpy as np
        >>> g.log_unnormalized(np.array([[1.0, 1.0]])).tolist()
        [-1.0]
        """
        return -self.energy(x)

    def grad_log_prob(self, x, create_graph: bool = False):
        """Gradient ``grad_x log p~(x) = -grad_x E(x)`` by autograd; same shape as ``x``.

        Parameters
        ----------
        x : array_like or torch.Tensor, shape (n, ...)
            A batch of samples.
        create_graph : bool, default False
            Keep the graph (to differentiate the gradient again).

        Returns
        -------
        numpy.ndarray or torch.Tensor
            The gradient (the score), the shape of ``x``.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(2), torch.eye(2))
        >>> import numpy as np
        >>> g.grad_log_prob(np.array([[1.0, 2.0]])).tolist()
        [[-1.0, -2.0]]
        """
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
        """Exact ``log Z`` (float64) where the model knows it.

        Returns
        -------
        float
            ``log Z``.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(2), torch.eye(2))
        >>> round(g.log_partition(), 4)  # log(2 pi)
        1.8379
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no exact log partition function; "
            "use boltz.deep.metrics.grid_log_partition for 2D models"
        )

    def log_prob(self, x):
        """Normalized log-density; needs an exact :meth:`log_partition`.

        Parameters
        ----------
        x : array_like or torch.Tensor, shape (n, ...)
            A batch of samples.

        Returns
        -------
        numpy.ndarray or torch.Tensor, shape (n,)
            ``-E(x) - log Z``.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(2), torch.eye(2))
        >>> import numpy as np
        >>> g.log_prob(np.zeros((1, 2))).round(4).tolist()
        [-1.8379]
        """
        return self.log_unnormalized(x) - self.log_partition()

    def sample(self, n: int, seed=None) -> torch.Tensor:
        """Exact independent samples, where available.

        Parameters
        ----------
        n : int
            Number of samples.
        seed : int, torch.Generator or None
            Random seed.

        Returns
        -------
        torch.Tensor, shape (n, ...)
            The samples.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(2), torch.eye(2))
        >>> g.sample(3, seed=0).shape
        torch.Size([3, 2])
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no exact sampler; use boltz.deep.samplers"
        )

    def has(self, capability: str) -> bool:
        """Whether the model offers ``capability`` (``grad_log_prob`` always, by autograd).

        Parameters
        ----------
        capability : {"grad_log_prob", "log_partition", "sample"}
            The capability.

        Returns
        -------
        bool
            Whether the model offers it.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(2), torch.eye(2))
        >>> g.has("grad_log_prob"), g.has("log_partition")
        (True, True)
        """
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
        try:
            other = _composition("as_energy")(other)
        except TypeError:
            return NotImplemented
        return _composition("sum")([self, other])

    def __radd__(self, other):
        if isinstance(other, (int, float)) and other == 0:  # sum([a, b, ...])
            return self
        return self.__add__(other)

    def __mul__(self, beta):
        if isinstance(beta, torch.Tensor) or not isinstance(beta, (int, float, np.floating)):
            return NotImplemented
        return _composition("temper")(self, float(beta))

    __rmul__ = __mul__
