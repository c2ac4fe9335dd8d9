"""Composition of energies: products of experts, tempering, conditioning.

A product of experts ``p ∝ prod_k p_k^{w_k}`` is a weighted sum of energies,
``E = sum_k w_k E_k`` (an AND: only regions every expert likes keep mass;
Hinton 2002). Scores add the same way. Tempering scales an energy
(``p_beta ∝ p~^beta``); conditioning fixes some coordinates and leaves an
energy over the others.

Examples
--------
>>> import torch
>>> from boltz.deep.energies import GaussianEnergy
>>> a = GaussianEnergy([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])
>>> b = GaussianEnergy([2.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])
>>> poe = a + b                       # SumEnergy: E = E_a + E_b
>>> x = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
>>> poe.grad_log_prob(x).tolist()             # = grad_a + grad_b
[[2.0, -2.0]]
>>> (0.5 * poe).energy(x).tolist()   # (0.5 + 2.5) / 2
[1.5]
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._validation import check_array, check_positive_scalar
from ..density import flatten_experts
from .adapters import as_energy
from .base import COMPOSITION, EnergyModule

__all__ = ["SumEnergy", "TemperedEnergy", "ConditionedEnergy", "product_of_experts"]


class SumEnergy(EnergyModule):
    """Product of experts as the weighted sum of expert energies.

    Nested sums are flattened. Experts may be any :class:`EnergyModule` or boltz
    :class:`~boltz.density.Density` (adapted with :func:`~boltz.deep.adapters.as_energy`).

    Parameters
    ----------
    experts : sequence of EnergyModule or Density
        The experts.
    weights : sequence of float, optional
        One weight per expert (default all 1).

    Examples
    --------
    >>> import torch
    >>> from boltz.deep import GaussianEnergy
    >>> g = GaussianEnergy(torch.zeros(1), torch.eye(1))
    >>> SumEnergy([g, g], weights=[1.0, 3.0]).energy(torch.ones(1, 1, dtype=torch.float64)).tolist()
    [2.0]
    """

    def __init__(self, experts, weights=None):
        super().__init__()
        experts = [as_energy(e) for e in experts]
        if not experts:
            raise ValueError("experts must contain at least one energy")
        flat_e, flat_w = flatten_experts(experts, weights, SumEnergy)
        self.experts = nn.ModuleList(flat_e)
        self.weights = tuple(flat_w)
        self.event_shape = tuple(experts[0].event_shape)

    @property
    def dtype(self):
        return self.experts[0].dtype

    @property
    def device(self):
        return self.experts[0].device

    def forward(self, x):
        """``sum_k w_k E_k(x)``, each expert evaluated in its own dtype.

        Parameters
        ----------
        x : torch.Tensor, shape (n, *event_shape)
            A batch.

        Returns
        -------
        torch.Tensor, shape (n,)
            The weighted sum of the experts' energies.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy
        >>> a = GaussianEnergy(torch.zeros(1), torch.eye(1))
        >>> b = GaussianEnergy(torch.ones(1), torch.eye(1))
        >>> x = torch.tensor([[2.0]], dtype=torch.float64)
        >>> SumEnergy([a, b], weights=[1.0, 2.0])(x).tolist()  # 2 + 2 * 0.5
        [3.0]
        """
        total = None
        for e, w in zip(self.experts, self.weights, strict=True):
            term = w * e(x.to(e.dtype))
            total = term if total is None else total + term
        return total


def product_of_experts(experts, weights=None) -> SumEnergy:
    """``E = sum_k w_k E_k``: the product of experts ``prod_k p_k^{w_k}`` (unnormalised).

    Parameters
    ----------
    experts : sequence of EnergyModule or Density
        The experts.
    weights : sequence of float, optional
        One weight per expert (default all 1).

    Returns
    -------
    SumEnergy
        The weighted sum of energies.

    Examples
    --------
    >>> import torch
    >>> from boltz.deep import GaussianEnergy
    >>> g = GaussianEnergy(torch.zeros(1), torch.eye(1))
    >>> product_of_experts([g, g]).energy(torch.ones(1, 1, dtype=torch.float64)).tolist()
    [1.0]
    """
    return SumEnergy(experts, weights)


class TemperedEnergy(EnergyModule):
    """``E_beta = beta * E`` (inverse temperature ``beta >= 0``).

    At ``beta == 1`` the base model's exact ``log Z`` and sampler carry over.

    Parameters
    ----------
    base : EnergyModule or Density
        The model.
    beta : float
        Inverse temperature, at least 0.

    Examples
    --------
    >>> import torch
    >>> from boltz.deep import GaussianEnergy
    >>> g = GaussianEnergy(torch.zeros(1), torch.eye(1))
    >>> TemperedEnergy(g, 0.5).energy(torch.full((1, 1), 2.0, dtype=torch.float64)).tolist()
    [1.0]
    """

    def __init__(self, base, beta: float):
        super().__init__()
        base = as_energy(base)
        beta = check_positive_scalar(beta, "beta", allow_zero=True)
        if isinstance(base, TemperedEnergy):
            beta *= base.beta
            base = base.base
        self.base = base
        self.beta = beta
        self.event_shape = tuple(base.event_shape)

    @property
    def dtype(self):
        return self.base.dtype

    @property
    def device(self):
        return self.base.device

    def forward(self, x):
        """``beta * E(x)``.

        Parameters
        ----------
        x : torch.Tensor, shape (n, *event_shape)
            A batch.

        Returns
        -------
        torch.Tensor, shape (n,)
            The tempered energies.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(1), torch.eye(1))
        >>> TemperedEnergy(g, 3.0)(torch.ones(1, 1, dtype=torch.float64)).tolist()
        [1.5]
        """
        return self.beta * self.base(x)

    def log_partition(self):
        if self.beta == 1.0:
            return self.base.log_partition()
        return super().log_partition()

    def sample(self, n, seed=None):
        if self.beta == 1.0:
            return self.base.sample(n, seed)
        return super().sample(n, seed)

    def has(self, capability):
        if capability in ("log_partition", "sample"):
            return self.beta == 1.0 and self.base.has(capability)
        return super().has(capability)


class ConditionedEnergy(EnergyModule):
    """Condition a flat energy ``E(x)``, ``x in R^d``, on ``x[fixed] = values``.

    The result is an energy over the ``d - k`` free coordinates (in their
    original order); :meth:`complete` puts the fixed values back.

    Parameters
    ----------
    base : EnergyModule or Density
        An energy over flat vectors ``(n, d)``.
    fixed : sequence of int
        Indices of the fixed coordinates.
    values : sequence of float
        Their values.

    Examples
    --------
    >>> from boltz.deep.energies import GaussianEnergy
    >>> g = GaussianEnergy([0.0, 0.0], [[1.0, 0.5], [0.5, 1.0]])
    >>> c = ConditionedEnergy(g, fixed=[1], values=[2.0])   # p(x0 | x1 = 2)
    >>> c.event_shape
    (1,)
    >>> c.complete(torch.zeros(1, 1, dtype=torch.float64)).tolist()
    [[0.0, 2.0]]
    """

    def __init__(self, base, fixed, values):
        super().__init__()
        base = as_energy(base)
        if len(base.event_shape) != 1:
            raise ValueError(
                f"conditioning needs a flat event_shape (d,), got {tuple(base.event_shape)}"
            )
        d = base.event_shape[0]
        fixed = np.atleast_1d(np.asarray(fixed))
        if fixed.dtype.kind not in "iu" or fixed.ndim != 1:
            raise TypeError("fixed must be a sequence of integer coordinate indices")
        if np.any(fixed < 0) or np.any(fixed >= d) or len(set(fixed.tolist())) != len(fixed):
            raise ValueError(f"fixed must hold distinct indices in [0, {d}), got {fixed.tolist()}")
        if len(fixed) >= d:
            raise ValueError("at least one coordinate must stay free")
        values = check_array(values, "values", shape=(len(fixed),))
        free = np.setdiff1d(np.arange(d), fixed)
        self.base = base
        self.event_shape = (len(free),)
        self.register_buffer("fixed_index", torch.as_tensor(fixed, dtype=torch.long))
        self.register_buffer("free_index", torch.as_tensor(free, dtype=torch.long))
        self.register_buffer("fixed_values", torch.as_tensor(values, dtype=base.dtype))
        self._d = d

    @property
    def dtype(self):
        return self.base.dtype

    @property
    def device(self):
        return self.base.device

    def complete(self, x_free: torch.Tensor) -> torch.Tensor:
        """Full vectors ``(n, d)`` with the fixed coordinates filled in.

        Parameters
        ----------
        x_free : torch.Tensor, shape (n, d - k)
            Values of the free coordinates, in their original order.

        Returns
        -------
        torch.Tensor, shape (n, d)
            ``x_free`` at the free indices, ``values`` at the fixed ones.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(3), torch.eye(3))
        >>> c = ConditionedEnergy(g, fixed=[1], values=[5.0])
        >>> c.complete(torch.tensor([[1.0, 2.0]], dtype=torch.float64)).tolist()
        [[1.0, 5.0, 2.0]]
        """
        n = x_free.shape[0]
        full = x_free.new_empty((n, self._d))
        full[:, self.free_index] = x_free
        full[:, self.fixed_index] = self.fixed_values.to(x_free.dtype).expand(n, -1)
        return full

    def forward(self, x):
        """The base energy at the completed vectors, ``E(complete(x))``.

        Parameters
        ----------
        x : torch.Tensor, shape (n, d - k)
            The free coordinates.

        Returns
        -------
        torch.Tensor, shape (n,)
            The conditional energies (equal to ``-log p(x_free | x_fixed)`` up to a
            constant).

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(2), torch.eye(2))
        >>> c = ConditionedEnergy(g, fixed=[0], values=[2.0])
        >>> c(torch.tensor([[1.0]], dtype=torch.float64)).tolist()  # (4 + 1) / 2
        [2.5]
        """
        return self.base(self.complete(x))


# ``a + b`` and ``beta * a`` on every EnergyModule build these (see boltz.deep.base)
COMPOSITION.update(sum=SumEnergy, temper=TemperedEnergy, as_energy=as_energy)
