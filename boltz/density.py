"""The shared interface: every model is an unnormalized log-density.

A model defines an energy ``E(x)``; its unnormalized log-density is
``log p~(x) = -E(x)`` and ``p(x) = p~(x) / Z``. ``Z`` is usually intractable,
but ratios, gradients ``grad_x log p~`` and conditionals are not, and
that is all samplers and training objectives need.

Every method is batched over the leading axis: ``x`` has shape
``(n, *event_shape)`` and ``energy(x)`` has shape ``(n,)``.

Required: :meth:`Density.energy`. Optional capabilities a model may add by
overriding: :meth:`Density.grad_log_prob` (continuous models), :meth:`Density.log_partition`
(where it is exact) and :meth:`Density.sample` (where exact sampling exists).
:meth:`Density.has` tells which ones a model offers.

Composition lives here too: a product of experts is a (weighted) sum of
energies, ``a + b`` or ``ProductOfExperts([a, b], weights=[1, 2])``, and
tempering scales the energy, ``beta * a``.

Examples
--------
>>> import numpy as np
>>> from boltz.density import EnergyFunction
>>> quad = EnergyFunction(lambda x: 0.5 * (x ** 2).sum(axis=1),
...                       grad_log_prob=lambda x: -x, event_shape=(2,))
>>> two = quad + quad          # product of experts: energies add
>>> float(two.energy(np.array([[1.0, 1.0]]))[0])
2.0
>>> float((0.5 * two).energy(np.array([[1.0, 1.0]]))[0])
1.0
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np

from ._validation import check_array, check_finite_scalar, check_positive_scalar

__all__ = [
    "Density",
    "DiscreteDensity",
    "EnergyFunction",
    "ProductOfExperts",
    "Tempered",
    "CAPABILITIES",
    "flatten_experts",
]

#: Optional capabilities a density may implement on top of ``energy``.
CAPABILITIES = ("grad_log_prob", "log_partition", "sample")


class Density:
    """Base class of all models: an unnormalized log-density ``-E(x)``.

    Subclasses implement :meth:`energy` and, optionally, :meth:`grad_log_prob`,
    :meth:`log_partition` and :meth:`sample`. ``event_shape`` is the shape of
    one state (``()`` until a subclass sets it).

    Examples
    --------
    >>> import numpy as np
    >>> class Quadratic(Density):
    ...     event_shape = (1,)
    ...     def energy(self, x):
    ...         return 0.5 * np.asarray(x, dtype=float)[:, 0] ** 2
    >>> Quadratic().log_unnormalized(np.array([[2.0]])).tolist()
    [-2.0]
    """

    event_shape: tuple = ()

    # -- required ---------------------------------------------------------
    def energy(self, x) -> np.ndarray:
        """Energy ``E(x)`` of each state in the batch ``x``; shape ``(n,)``.

        Parameters
        ----------
        x : array_like, shape (n, ...)
            A batch of states.

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``E(x)``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.gaussian import MultivariateGaussian
        >>> g = MultivariateGaussian(np.zeros(2), np.eye(2))
        >>> g.energy(np.array([[1.0, 1.0]])).tolist()
        [1.0]
        """
        raise NotImplementedError(f"{type(self).__name__} must implement energy(x)")

    # -- derived ----------------------------------------------------------
    def log_unnormalized(self, x) -> np.ndarray:
        """Unnormalized log-density ``log p~(x) = -E(x)``; shape ``(n,)``.

        Parameters
        ----------
        x : array_like, shape (n, ...)
            A batch of states.

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``-E(x)``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.gaussian import MultivariateGaussian
        >>> g = MultivariateGaussian(np.zeros(2), np.eye(2))
        >>> g.log_unnormalized(np.array([[1.0, 1.0]])).tolist()
        [-1.0]
        """
        return -self.energy(x)

    def log_prob(self, x) -> np.ndarray:
        """Normalized log-density; needs the exact :meth:`log_partition`.

        Parameters
        ----------
        x : array_like, shape (n, ...)
            A batch of states.

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``-E(x) - log Z``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.gaussian import MultivariateGaussian
        >>> g = MultivariateGaussian(np.zeros(2), np.eye(2))
        >>> g.log_prob(np.zeros((1, 2))).round(4).tolist()  # -log(2 pi)
        [-1.8379]
        """
        return self.log_unnormalized(x) - self.log_partition()

    # -- optional capabilities -------------------------------------------
    def grad_log_prob(self, x) -> np.ndarray:
        """Gradient ``grad_x log p~(x) = -grad_x E(x)``, same shape as ``x``.

        Parameters
        ----------
        x : array_like, shape (n, ...)
            A batch of states.

        Returns
        -------
        numpy.ndarray, shape (n, ...)
            The gradient of each state (its score).

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.gaussian import MultivariateGaussian
        >>> g = MultivariateGaussian(np.zeros(2), np.eye(2))
        >>> g.grad_log_prob(np.array([[1.0, 2.0]])).tolist()
        [[-1.0, -2.0]]
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no grad_log_prob (is it continuous?)")

    def log_partition(self) -> float:
        """Exact ``log Z`` in float64, where the model can compute it.

        Returns
        -------
        float
            ``log Z``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.gaussian import MultivariateGaussian
        >>> g = MultivariateGaussian(np.zeros(2), np.eye(2))
        >>> round(g.log_partition(), 4)
        1.8379
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no exact log partition function; "
            "use boltz.exact for small discrete models or an AIS estimator"
        )

    def sample(self, n: int, seed=None) -> np.ndarray:
        """Exact independent samples, shape ``(n, *event_shape)``, where available.

        Parameters
        ----------
        n : int
            Number of samples.
        seed : int, numpy.random.Generator or None
            Random seed.

        Returns
        -------
        numpy.ndarray, shape (n, ...)
            The samples.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.gaussian import MultivariateGaussian
        >>> g = MultivariateGaussian(np.zeros(2), np.eye(2))
        >>> g.sample(3, seed=0).shape
        (3, 2)
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no exact sampler; use an MCMC sampler from boltz.samplers"
        )

    def has(self, capability: str) -> bool:
        """Whether this model overrides the optional ``capability``.

        ``capability`` is one of ``"grad_log_prob"``, ``"log_partition"``, ``"sample"``.

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
        >>> import numpy as np
        >>> from boltz.gaussian import MultivariateGaussian
        >>> g = MultivariateGaussian(np.zeros(2), np.eye(2))
        >>> g.has("grad_log_prob"), g.has("sample")
        (True, True)
        """
        if capability not in CAPABILITIES:
            raise ValueError(f"capability must be one of {CAPABILITIES}, got {capability!r}")
        return getattr(type(self), capability) is not getattr(Density, capability)

    # -- composition ------------------------------------------------------
    def __add__(self, other):
        if not isinstance(other, Density):
            return NotImplemented
        return ProductOfExperts([self, other])

    def __mul__(self, beta):
        if not isinstance(beta, numbers.Real):
            return NotImplemented
        return Tempered(self, beta)

    __rmul__ = __mul__

    # -- helpers for subclasses -----------------------------------------
    def _check_batch(self, x, name: str = "x", dtype=np.float64) -> np.ndarray:
        """Validate a batch of states against ``event_shape``."""
        want = (None,) + tuple(self.event_shape)
        return check_array(x, name, dtype=dtype, shape=want)


class DiscreteDensity(Density):
    """A density over ``n_variables`` variables that each take a value in ``support``.

    ``support`` is a pair such as ``(0, 1)`` (binary units) or ``(-1, 1)``
    (spins). This is what :mod:`boltz.exact` needs to enumerate the model.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.exact import log_partition
    >>> class Independent(DiscreteDensity):
    ...     n_variables, support = 2, (0, 1)
    ...     def energy(self, x):
    ...         return -np.asarray(x, dtype=float).sum(1)
    >>> round(log_partition(Independent()), 4)  # 2 log(1 + e)
    2.6265
    """

    n_variables: int
    support: tuple = (0, 1)

    @property
    def event_shape(self) -> tuple:  # type: ignore[override]
        return (self.n_variables,)

    def _check_batch(self, x, name: str = "x", dtype=np.float64) -> np.ndarray:
        arr = super()._check_batch(x, name, dtype)
        lo, hi = self.support
        if not np.all((arr == lo) | (arr == hi)):
            raise ValueError(f"{name} must contain only the values {lo} and {hi}")
        return arr


class EnergyFunction(Density):
    """Wrap plain callables as a :class:`Density`.

    Parameters
    ----------
    energy : callable
        Maps a batch ``(n, *event_shape)`` to energies ``(n,)``.
    grad_log_prob : callable, optional
        Maps a batch to ``-grad E``; gives the model the ``grad_log_prob`` capability.
    log_partition : float, optional
        Exact ``log Z`` when known.
    event_shape : tuple
        Shape of one state.

    Examples
    --------
    >>> import numpy as np
    >>> e = EnergyFunction(lambda x: (x ** 2).sum(1), event_shape=(3,))
    >>> e.energy(np.ones((2, 3))).tolist()
    [3.0, 3.0]
    """

    def __init__(
        self,
        energy: Callable,
        *,
        grad_log_prob: Callable | None = None,
        log_partition: float | None = None,
        event_shape: tuple = (),
    ):
        if not callable(energy):
            raise TypeError(f"energy must be callable, got {type(energy).__name__}")
        if grad_log_prob is not None and not callable(grad_log_prob):
            raise TypeError(f"grad_log_prob must be callable or None, "
                            f"got {type(grad_log_prob).__name__}")
        self._energy = energy
        self._grad_log_prob = grad_log_prob
        self._log_z = None if log_partition is None else check_finite_scalar(
            log_partition, "log_partition"
        )
        self.event_shape = tuple(event_shape)

    def energy(self, x):
        return np.asarray(self._energy(self._check_batch(x)), dtype=np.float64)

    def grad_log_prob(self, x):
        if self._grad_log_prob is None:
            return super().grad_log_prob(x)
        return np.asarray(self._grad_log_prob(self._check_batch(x)), dtype=np.float64)

    def log_partition(self):
        if self._log_z is None:
            return super().log_partition()
        return self._log_z

    def has(self, capability):
        if capability == "grad_log_prob":
            return self._grad_log_prob is not None
        if capability == "log_partition":
            return self._log_z is not None
        return super().has(capability)


def flatten_experts(experts, weights, product_type) -> tuple[list, list]:
    """Validate weighted experts and inline nested products of type ``product_type``.

    Shared by :class:`ProductOfExperts` and the torch ``SumEnergy``: weights
    default to 1, must be finite and one per expert, experts must share an
    ``event_shape``, and a nested product's experts join the outer list with
    their weights multiplied. Returns ``(experts, weights)``.

    Parameters
    ----------
    experts : sequence of Density
        The experts.
    weights : sequence of float or None
        One weight per expert (default all 1).
    product_type : type
        The product class whose nested instances are inlined.

    Returns
    -------
    experts : list
        The flat list of experts.
    weights : list of float
        Their weights.

    Examples
    --------
    >>> import numpy as np
    >>> e = EnergyFunction(lambda x: x[:, 0], event_shape=(1,))
    >>> experts, weights = flatten_experts([ProductOfExperts([e, e], [1.0, 2.0]), e], [3.0, 1.0],
    ...                                    ProductOfExperts)
    >>> len(experts), weights
    (3, [3.0, 6.0, 1.0])
    """
    if weights is None:
        weights = [1.0] * len(experts)
    weights = [check_finite_scalar(w, f"weights[{i}]") for i, w in enumerate(weights)]
    if len(weights) != len(experts):
        raise ValueError(
            f"weights must have one entry per expert ({len(experts)}), got {len(weights)}"
        )
    shapes = {tuple(e.event_shape) for e in experts}
    if len(shapes) > 1:
        raise ValueError(f"experts must share one event_shape, got {sorted(shapes)}")
    flat_e, flat_w = [], []
    for e, w in zip(experts, weights, strict=True):
        if isinstance(e, product_type):
            flat_e.extend(e.experts)
            flat_w.extend(w * wi for wi in e.weights)
        else:
            flat_e.append(e)
            flat_w.append(w)
    return flat_e, flat_w


class ProductOfExperts(Density):
    """Product of experts: ``E(x) = sum_k w_k E_k(x)``, i.e. ``p ∝ prod_k p_k^{w_k}``.

    Only regions every expert likes keep mass (an AND of experts; Hinton 2002).
    Nested products are flattened. The gradient ``grad_log_prob`` is the weighted sum of the
    experts' gradients, so it exists when every expert has one.

    Parameters
    ----------
    experts : sequence of Density
        At least one, all with the same ``event_shape``.
    weights : sequence of float, optional
        One finite weight per expert (default: all 1).

    Examples
    --------
    >>> import numpy as np
    >>> a = EnergyFunction(lambda x: x[:, 0] ** 2, event_shape=(1,))
    >>> b = EnergyFunction(lambda x: (x[:, 0] - 1) ** 2, event_shape=(1,))
    >>> poe = ProductOfExperts([a, b], weights=[1.0, 3.0])
    >>> float(poe.energy(np.array([[0.5]]))[0])
    1.0
    """

    def __init__(self, experts: Sequence[Density], weights: Sequence[float] | None = None):
        experts = list(experts)
        if not experts:
            raise ValueError("experts must contain at least one Density")
        for i, e in enumerate(experts):
            if not isinstance(e, Density):
                raise TypeError(f"experts[{i}] must be a Density, got {type(e).__name__}")
        flat_e, flat_w = flatten_experts(experts, weights, ProductOfExperts)
        self.experts = tuple(flat_e)
        self.weights = tuple(flat_w)
        self.event_shape = tuple(experts[0].event_shape)

    def energy(self, x):
        total = None
        for e, w in zip(self.experts, self.weights, strict=True):
            term = w * np.asarray(e.energy(x), dtype=np.float64)
            total = term if total is None else total + term
        return total

    def grad_log_prob(self, x):
        missing = [type(e).__name__ for e in self.experts if not e.has("grad_log_prob")]
        if missing:
            raise NotImplementedError(f"experts without grad_log_prob: {missing}")
        total = None
        for e, w in zip(self.experts, self.weights, strict=True):
            term = w * np.asarray(e.grad_log_prob(x), dtype=np.float64)
            total = term if total is None else total + term
        return total

    def has(self, capability):
        if capability == "grad_log_prob":
            return all(e.has("grad_log_prob") for e in self.experts)
        return super().has(capability)


class Tempered(Density):
    """Tempered density ``E_beta(x) = beta * E(x)``, i.e. ``p_beta ∝ p~^beta``.

    ``beta`` is an inverse temperature >= 0. The gradient scales by ``beta``;
    at ``beta == 1`` the base model's exact ``log Z`` and sampler carry over.

    Parameters
    ----------
    base : Density
        The model (a tempered model is unwrapped: the betas multiply).
    beta : float
        Inverse temperature, at least 0.

    Examples
    --------
    >>> import numpy as np
    >>> e = EnergyFunction(lambda x: x[:, 0] ** 2, event_shape=(1,))
    >>> hot = Tempered(e, 0.5)
    >>> float(hot.energy(np.array([[2.0]]))[0]), (2.0 * hot).beta
    (2.0, 1.0)
    """

    def __init__(self, base: Density, beta: float):
        if not isinstance(base, Density):
            raise TypeError(f"base must be a Density, got {type(base).__name__}")
        self.beta = check_positive_scalar(beta, "beta", allow_zero=True)
        if isinstance(base, Tempered):
            self.beta *= base.beta
            base = base.base
        self.base = base
        self.event_shape = tuple(base.event_shape)

    def energy(self, x):
        return self.beta * np.asarray(self.base.energy(x), dtype=np.float64)

    def grad_log_prob(self, x):
        return self.beta * np.asarray(self.base.grad_log_prob(x), dtype=np.float64)

    def log_partition(self):
        if self.beta == 1.0:
            return self.base.log_partition()
        return super().log_partition()

    def sample(self, n, seed=None):
        if self.beta == 1.0:
            return self.base.sample(n, seed)
        return super().sample(n, seed)

    def has(self, capability):
        if capability == "grad_log_prob":
            return self.base.has("grad_log_prob")
        if capability in ("log_partition", "sample"):
            return self.beta == 1.0 and self.base.has(capability)
        return super().has(capability)

    def __getattr__(self, name):
        # Discrete models expose n_variables / support; forward them so a
        # tempered discrete model can still be enumerated exactly.
        if name in ("n_variables", "support"):
            return getattr(self.base, name)
        raise AttributeError(name)
