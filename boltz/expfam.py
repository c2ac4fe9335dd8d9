"""Exponential-family unit types, vectorised over arrays of natural parameters.

A family has densities ``p(x | eta) = h(x) exp(eta . T(x) - A(eta))`` with
natural parameter ``eta``, sufficient statistic ``T``, base measure ``h`` and
log-partition (log-normalizer) ``A``. The mean parameter is ``mu = grad A(eta)
= E[T(x)]``. As in ``torch.distributions.ExponentialFamily`` the log-normalizer
is the core: entropy and KL follow from it (KL is the Bregman divergence of A).

These are the unit types of RBM and DBM layers: a layer's conditional given the
other layer is the family with ``eta = bias + W @ other``, and the free energy of
an RBM sums the hidden family's ``A`` (Welling, Rosen-Zvi & Hinton 2005).

Scalar families (:class:`Bernoulli`, :class:`Spin`, :class:`Gaussian`,
:class:`Poisson`) take ``eta`` with the shape of ``x``. Vector families keep
their parameters on a trailing axis: :class:`Categorical` (``K`` logits, ``x``
one-hot) and :class:`GaussianLearnedVariance` (``eta[..., 0] = mu / var``,
``eta[..., 1] = -1 / (2 var)``).

Examples
--------
>>> import numpy as np
>>> from boltz.expfam import Bernoulli
>>> eta = np.array([-1.0, 0.0, 2.0])
>>> Bernoulli.mean(eta).round(3).tolist()
[0.269, 0.5, 0.881]
>>> np.allclose(Bernoulli.natural_from_mean(Bernoulli.mean(eta)), eta)
True
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ._validation import check_array, check_binary, check_positive_scalar, check_rng

__all__ = [
    "ExponentialFamily",
    "Bernoulli",
    "Spin",
    "Categorical",
    "Gaussian",
    "GaussianLearnedVariance",
    "Poisson",
    "softplus",
    "log_sigmoid",
]

_LOG_2PI = float(np.log(2.0 * np.pi))


def softplus(x):
    """``log(1 + exp(x))`` without overflow (``np.logaddexp(0, x)``).

    Parameters
    ----------
    x : array_like

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> float(softplus(1000.0)), round(float(softplus(0.0)), 6)
    (1000.0, 0.693147)
    """
    return np.logaddexp(0.0, x)


def log_sigmoid(x):
    """``log sigmoid(x) = -softplus(-x)``, stable for large ``|x|``.

    Parameters
    ----------
    x : array_like

    Returns
    -------
    numpy.ndarray
        float64.

    Examples
    --------
    >>> float(log_sigmoid(-1000.0))
    -1000.0
    """
    return -np.logaddexp(0.0, -np.asarray(x, dtype=np.float64))


def _as_eta(eta, name="eta"):
    return check_array(eta, name, allow_empty=True)


class ExponentialFamily:
    """Base class: subclasses define ``T``, ``log h``, ``A`` and the mean map.

    Everything else (``log_prob``, ``entropy``, ``kl``, ``fit``) is derived
    from those. Methods reduce over the parameter axis of vector families so
    that ``log_prob``, ``log_partition``, ``entropy`` and ``kl`` return one
    value per unit.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.expfam import Bernoulli
    >>> isinstance(Bernoulli, ExponentialFamily), round(float(Bernoulli.log_partition(0.0)), 4)
    (True, 0.6931)
    """

    #: Size of the trailing parameter axis (``None`` for scalar families).
    param_size: int | None = None
    name = "family"

    # -- defined by each family ------------------------------------------
    def sufficient_statistics(self, x) -> np.ndarray:
        """``T(x)``: same shape as ``eta``.

        Parameters
        ----------
        x : array_like
            Values, one per unit.

        Returns
        -------
        numpy.ndarray
            ``T(x)``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.expfam import Bernoulli
        >>> Bernoulli.sufficient_statistics(np.array([0.0, 1.0])).tolist()
        [0.0, 1.0]
        """
        raise NotImplementedError

    def log_base_measure(self, x) -> np.ndarray:
        """``log h(x)``, one value per unit.

        Parameters
        ----------
        x : array_like
            Values, one per unit.

        Returns
        -------
        numpy.ndarray
            ``log h(x)`` per unit.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.expfam import Bernoulli
        >>> Bernoulli.log_base_measure(np.array([0.0, 1.0])).tolist()
        [0.0, 0.0]
        """
        raise NotImplementedError

    def log_partition(self, eta) -> np.ndarray:
        """``A(eta)``, one value per unit, computed stably.

        Parameters
        ----------
        eta : array_like
            Natural parameters (trailing parameter axis for vector families).

        Returns
        -------
        numpy.ndarray
            ``A(eta)`` per unit.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.expfam import Bernoulli
        >>> Bernoulli.log_partition(np.array([0.0])).round(4).tolist()  # log 2
        [0.6931]
        """
        raise NotImplementedError

    def mean(self, eta) -> np.ndarray:
        """Mean parameter ``mu = grad A(eta) = E[T(x)]``.

        Parameters
        ----------
        eta : array_like
            Natural parameters (trailing parameter axis for vector families).

        Returns
        -------
        numpy.ndarray
            ``mu``, the shape of ``eta``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.expfam import Bernoulli
        >>> Bernoulli.mean(np.array([0.0])).tolist()
        [0.5]
        """
        raise NotImplementedError

    def natural_from_mean(self, mu) -> np.ndarray:
        """Inverse of :meth:`mean`.

        Parameters
        ----------
        mu : array_like
            Mean parameters.

        Returns
        -------
        numpy.ndarray
            ``eta``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.expfam import Bernoulli
        >>> Bernoulli.natural_from_mean(np.array([0.5])).tolist()
        [0.0]
        """
        raise NotImplementedError

    def sample(self, eta, seed=None) -> np.ndarray:
        """One draw per unit (per row of the parameter axis for vector families).

        Parameters
        ----------
        eta : array_like
            Natural parameters (trailing parameter axis for vector families).
        seed : int, numpy.random.Generator or None
            Random seed.

        Returns
        -------
        numpy.ndarray
            One draw per unit.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.expfam import Bernoulli
        >>> Bernoulli.sample(np.zeros(4), seed=0).shape
        (4,)
        """
        raise NotImplementedError

    def expected_log_base_measure(self, eta) -> np.ndarray:
        """``E[log h(x)]`` under ``eta`` (zero for families with constant ``h = 1``).

        Parameters
        ----------
        eta : array_like
            Natural parameters (trailing parameter axis for vector families).

        Returns
        -------
        numpy.ndarray
            ``E[log h(x)]`` per unit.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.expfam import Bernoulli
        >>> Bernoulli.expected_log_base_measure(np.zeros(2)).tolist()
        [0.0, 0.0]
        """
        raise NotImplementedError

    # -- derived -----------------------------------------------------------
    def _dot(self, eta, t):
        prod = np.asarray(eta) * np.asarray(t)
        return prod.sum(axis=-1) if self.param_size is not None else prod

    def log_prob(self, x, eta) -> np.ndarray:
        """``log p(x | eta) = eta . T(x) - A(eta) + log h(x)``.

        Parameters
        ----------
        x : array_like
            Values, one per unit.
        eta : array_like
            Natural parameters (trailing parameter axis for vector families).

        Returns
        -------
        numpy.ndarray
            ``log p(x | eta)`` per unit.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.expfam import Bernoulli
        >>> Bernoulli.log_prob(np.array([1.0]), np.array([0.0])).round(4).tolist()
        [-0.6931]
        """
        eta = _as_eta(eta)
        return (
            self._dot(eta, self.sufficient_statistics(x))
            - self.log_partition(eta)
            + self.log_base_measure(x)
        )

    def entropy(self, eta) -> np.ndarray:
        """``H = A(eta) - eta . mu - E[log h(x)]``.

        Parameters
        ----------
        eta : array_like
            Natural parameters (trailing parameter axis for vector families).

        Returns
        -------
        numpy.ndarray
            The entropy per unit (nats).

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.expfam import Bernoulli
        >>> Bernoulli.entropy(np.array([0.0])).round(4).tolist()
        [0.6931]
        """
        eta = _as_eta(eta)
        return (
            self.log_partition(eta)
            - self._dot(eta, self.mean(eta))
            - self.expected_log_base_measure(eta)
        )

    def kl(self, eta_p, eta_q) -> np.ndarray:
        """``KL(p || q) = A(eta_q) - A(eta_p) - (eta_q - eta_p) . mu_p`` (Bregman divergence).

        Parameters
        ----------
        eta_p, eta_q : array_like
            Natural parameters of ``p`` and ``q``.

        Returns
        -------
        numpy.ndarray
            ``KL(p || q)`` per unit, at least 0.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.expfam import Bernoulli
        >>> Bernoulli.kl(np.array([0.0]), np.array([0.0])).tolist()
        [0.0]
        """
        eta_p, eta_q = _as_eta(eta_p, "eta_p"), _as_eta(eta_q, "eta_q")
        kl = (
            self.log_partition(eta_q)
            - self.log_partition(eta_p)
            - self._dot(eta_q - eta_p, self.mean(eta_p))
        )
        return np.maximum(kl, 0.0)

    def fit(self, x, axis: int = 0) -> np.ndarray:
        """Maximum likelihood by moment matching: ``eta = natural_from_mean(mean T(x))``.

        ``x`` holds samples along ``axis``; the result has one natural
        parameter per unit (the remaining axes).

        Parameters
        ----------
        x : array_like
            Samples along ``axis``.
        axis : int, default 0
            The sample axis.

        Returns
        -------
        numpy.ndarray
            The maximum-likelihood natural parameters.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.expfam import Bernoulli
        >>> Bernoulli.fit(np.array([[1.0], [0.0]])).tolist()
        [0.0]
        """
        t = self.sufficient_statistics(x)
        if t.shape[axis] == 0:
            raise ValueError("x must contain at least one sample along axis")
        return self.natural_from_mean(t.mean(axis=axis))

    def __repr__(self):
        return f"{type(self).__name__.strip('_').replace('Family', '')}"


class _ParameterlessFamily(ExponentialFamily):
    """A family with no fixed hyper-parameters; its one instance is also callable,
    so ``Bernoulli`` and ``Bernoulli()`` are the same object."""

    def __call__(self):
        return self


class _BernoulliFamily(_ParameterlessFamily):
    """Binary units x in {0, 1}: ``A = softplus(eta)``, ``mu = sigmoid(eta)``."""

    name = "bernoulli"
    support = (0, 1)

    def sufficient_statistics(self, x):
        return check_binary(x, "x", allow_empty=True)

    def log_base_measure(self, x):
        return np.zeros(np.shape(x))

    def log_partition(self, eta):
        return softplus(_as_eta(eta))

    def mean(self, eta):
        return special.expit(_as_eta(eta))

    def natural_from_mean(self, mu, eps: float = 1e-7):
        mu = check_array(mu, "mu", allow_empty=True)
        if np.any((mu < 0) | (mu > 1)):
            raise ValueError("mu must lie in [0, 1] for Bernoulli units")
        # Clip so that a unit that was always on or off maps to a large finite logit.
        return special.logit(np.clip(mu, eps, 1.0 - eps))

    def sample(self, eta, seed=None):
        rng = check_rng(seed)
        p = self.mean(eta)
        return (rng.random(p.shape) < p).astype(np.float64)

    def expected_log_base_measure(self, eta):
        return np.zeros(np.shape(eta))

    def variance(self, eta):
        """``Var[x] = mu (1 - mu)``."""
        mu = self.mean(eta)
        return mu * (1.0 - mu)


class _SpinFamily(_ParameterlessFamily):
    """Spins x in {-1, +1}: ``A = log(2 cosh eta)``, ``mu = tanh(eta)``."""

    name = "spin"
    support = (-1, 1)

    def sufficient_statistics(self, x):
        return check_binary(x, "x", values=(-1, 1), allow_empty=True)

    def log_base_measure(self, x):
        return np.zeros(np.shape(x))

    def log_partition(self, eta):
        eta = _as_eta(eta)
        return np.logaddexp(eta, -eta)

    def mean(self, eta):
        return np.tanh(_as_eta(eta))

    def natural_from_mean(self, mu, eps: float = 1e-7):
        mu = check_array(mu, "mu", allow_empty=True)
        if np.any(np.abs(mu) > 1):
            raise ValueError("mu must lie in [-1, 1] for spin units")
        return np.arctanh(np.clip(mu, -1.0 + eps, 1.0 - eps))

    def sample(self, eta, seed=None):
        rng = check_rng(seed)
        # P(x = +1) = sigmoid(2 eta)
        p = special.expit(2.0 * _as_eta(eta))
        return np.where(rng.random(p.shape) < p, 1.0, -1.0)

    def expected_log_base_measure(self, eta):
        return np.zeros(np.shape(eta))

    def variance(self, eta):
        """``Var[x] = 1 - tanh(eta)^2``."""
        return 1.0 - self.mean(eta) ** 2


class _CategoricalFamily(_ParameterlessFamily):
    """One-hot units over ``K`` categories: ``A = logsumexp(eta)``, ``mu = softmax(eta)``.

    ``eta`` and ``x`` carry the categories on the last axis. This
    parameterisation is over-complete (adding a constant to ``eta`` changes
    nothing); :meth:`natural_from_mean` returns the representative with
    ``eta = log mu``.
    """

    name = "categorical"
    param_size = -1  # any K, on the trailing axis

    def sufficient_statistics(self, x):
        x = check_binary(x, "x", allow_empty=True)
        if x.ndim == 0 or not np.all(x.sum(axis=-1) == 1):
            raise ValueError("x must be one-hot along its last axis for categorical units")
        return x

    def log_base_measure(self, x):
        return np.zeros(np.shape(x)[:-1])

    def log_partition(self, eta):
        return special.logsumexp(_as_eta(eta), axis=-1)

    def mean(self, eta):
        return special.softmax(_as_eta(eta), axis=-1)

    def natural_from_mean(self, mu, eps: float = 1e-12):
        mu = check_array(mu, "mu", allow_empty=True)
        if np.any(mu < 0) or not np.allclose(mu.sum(axis=-1), 1.0, atol=1e-6):
            raise ValueError("mu must be a probability vector along its last axis")
        return np.log(np.clip(mu, eps, None))

    def sample(self, eta, seed=None):
        rng = check_rng(seed)
        p = self.mean(eta)
        flat = p.reshape(-1, p.shape[-1])
        u = rng.random((flat.shape[0], 1))
        idx = (np.cumsum(flat, axis=1) < u).sum(axis=1)
        idx = np.minimum(idx, flat.shape[1] - 1)
        out = np.zeros_like(flat)
        out[np.arange(flat.shape[0]), idx] = 1.0
        return out.reshape(p.shape)

    def expected_log_base_measure(self, eta):
        return np.zeros(np.shape(eta)[:-1])

    def variance(self, eta):
        """Diagonal of the covariance of the one-hot vector, ``mu (1 - mu)``."""
        mu = self.mean(eta)
        return mu * (1.0 - mu)


class Gaussian(ExponentialFamily):
    """Real units with fixed variance ``sigma^2``: ``eta = mu / sigma^2``.

    ``T(x) = x``, ``A(eta) = sigma^2 eta^2 / 2``, ``log h(x) = -x^2 / (2 sigma^2)
    - log(2 pi sigma^2) / 2``. This is the visible layer of a Gaussian–Bernoulli
    RBM with fixed variance.

    Parameters
    ----------
    variance : float, default 1.0
        The fixed variance ``sigma^2``.

    Examples
    --------
    >>> import numpy as np
    >>> g = Gaussian(variance=4.0)
    >>> float(g.mean(np.array(0.5)))
    2.0
    """

    name = "gaussian"

    def __init__(self, variance: float = 1.0):
        self.variance_ = check_positive_scalar(variance, "variance")

    def sufficient_statistics(self, x):
        return check_array(x, "x", allow_empty=True)

    def log_base_measure(self, x):
        x = check_array(x, "x", allow_empty=True)
        return -0.5 * x**2 / self.variance_ - 0.5 * (_LOG_2PI + np.log(self.variance_))

    def log_partition(self, eta):
        return 0.5 * self.variance_ * _as_eta(eta) ** 2

    def mean(self, eta):
        return self.variance_ * _as_eta(eta)

    def natural_from_mean(self, mu):
        return check_array(mu, "mu", allow_empty=True) / self.variance_

    def sample(self, eta, seed=None):
        rng = check_rng(seed)
        mu = self.mean(eta)
        return mu + np.sqrt(self.variance_) * rng.standard_normal(mu.shape)

    def expected_log_base_measure(self, eta):
        mu = self.mean(eta)
        second = mu**2 + self.variance_
        return -0.5 * second / self.variance_ - 0.5 * (_LOG_2PI + np.log(self.variance_))

    def variance(self, eta):
        """``Var[x] = sigma^2`` for every unit.

        Parameters
        ----------
        eta : array_like
            Natural parameters (trailing parameter axis for vector families).

        Returns
        -------
        numpy.ndarray
            ``sigma^2``, the shape of ``eta``.

        Examples
        --------
        >>> import numpy as np
        >>> g = Gaussian(2.0)
        >>> g.variance(np.zeros(2)).tolist()
        [2.0, 2.0]
        """
        return np.full(np.shape(eta), self.variance_)

    def __repr__(self):
        return f"Gaussian(variance={self.variance_!r})"


class GaussianLearnedVariance(ExponentialFamily):
    """Real units with learned mean and variance.

    ``T(x) = (x, x^2)``, ``eta = (mu / var, -1 / (2 var))`` on a trailing axis
    of size 2, ``A(eta) = -eta1^2 / (4 eta2) - log(-2 eta2) / 2``,
    ``log h = -log(2 pi) / 2``.

    Examples
    --------
    >>> import numpy as np
    >>> fam = GaussianLearnedVariance()
    >>> eta = fam.natural_from_moments(np.array(1.0), np.array(4.0))
    >>> fam.mean_variance(eta)
    (1.0, 4.0)
    """

    name = "gaussian_learned_variance"
    param_size = 2

    def sufficient_statistics(self, x):
        x = check_array(x, "x", allow_empty=True)
        return np.stack([x, x**2], axis=-1)

    def log_base_measure(self, x):
        return np.full(np.shape(x), -0.5 * _LOG_2PI)

    def _check_eta(self, eta):
        eta = _as_eta(eta)
        if eta.ndim == 0 or eta.shape[-1] != 2:
            raise ValueError(f"eta must have a trailing axis of size 2, got shape {eta.shape}")
        if np.any(eta[..., 1] >= 0):
            raise ValueError("eta[..., 1] = -1/(2 var) must be negative")
        return eta

    def log_partition(self, eta):
        eta = self._check_eta(eta)
        e1, e2 = eta[..., 0], eta[..., 1]
        return -(e1**2) / (4.0 * e2) - 0.5 * np.log(-2.0 * e2)

    def mean(self, eta):
        eta = self._check_eta(eta)
        m, v = self.mean_variance(eta)
        return np.stack([m, m**2 + v], axis=-1)

    def mean_variance(self, eta):
        """Return the Gaussian's ``(mean, variance)`` for natural parameters ``eta``.

        Parameters
        ----------
        eta : array_like, shape (..., 2)
            Natural parameters ``(mu / sigma^2, -1 / (2 sigma^2))``.

        Returns
        -------
        mean, variance : numpy.ndarray
            Per unit.

        Examples
        --------
        >>> import numpy as np
        >>> glv = GaussianLearnedVariance()
        >>> eta = glv.natural_from_moments(np.array([1.0]), np.array([2.0]))
        >>> [a.tolist() for a in glv.mean_variance(eta)]
        [[1.0], [2.0]]
        """
        eta = self._check_eta(eta)
        var = -0.5 / eta[..., 1]
        m = eta[..., 0] * var
        if np.ndim(m) == 0:
            return float(m), float(var)
        return m, var

    def natural_from_moments(self, mean, variance):
        """Natural parameters from a mean and a (positive) variance.

        Parameters
        ----------
        mean : array_like
            Means.
        variance : array_like
            Positive variances.

        Returns
        -------
        numpy.ndarray, shape (..., 2)
            Natural parameters.

        Examples
        --------
        >>> import numpy as np
        >>> glv = GaussianLearnedVariance()
        >>> eta = glv.natural_from_moments(np.array([1.0]), np.array([2.0]))
        >>> eta.tolist()
        [[0.5, -0.25]]
        """
        mean = check_array(mean, "mean", allow_empty=True)
        variance = check_array(variance, "variance", allow_empty=True)
        if np.any(variance <= 0):
            raise ValueError("variance must be positive")
        return np.stack([mean / variance, -0.5 / variance], axis=-1)

    def natural_from_mean(self, mu):
        mu = check_array(mu, "mu", allow_empty=True)
        if mu.ndim == 0 or mu.shape[-1] != 2:
            raise ValueError(f"mu must have a trailing axis of size 2, got shape {mu.shape}")
        m = mu[..., 0]
        var = mu[..., 1] - m**2
        if np.any(var <= 0):
            raise ValueError("mu implies a non-positive variance (E[x^2] <= E[x]^2)")
        return self.natural_from_moments(m, var)

    def sample(self, eta, seed=None):
        rng = check_rng(seed)
        m, v = self.mean_variance(eta)
        m, v = np.asarray(m), np.asarray(v)
        return m + np.sqrt(v) * rng.standard_normal(m.shape)

    def expected_log_base_measure(self, eta):
        return np.full(np.shape(eta)[:-1], -0.5 * _LOG_2PI)

    def variance(self, eta):
        """Variance of ``x``.

        Parameters
        ----------
        eta : array_like, shape (..., 2)
            Natural parameters ``(mu / sigma^2, -1 / (2 sigma^2))``.

        Returns
        -------
        numpy.ndarray
            The variance per unit.

        Examples
        --------
        >>> import numpy as np
        >>> glv = GaussianLearnedVariance()
        >>> eta = glv.natural_from_moments(np.array([1.0]), np.array([2.0]))
        >>> glv.variance(eta).tolist()
        [2.0]
        """
        return np.asarray(self.mean_variance(eta)[1])


class _PoissonFamily(_ParameterlessFamily):
    """Count units: ``eta = log rate``, ``A = exp(eta)``, ``log h = -log x!``."""

    name = "poisson"

    def sufficient_statistics(self, x):
        x = check_array(x, "x", allow_empty=True)
        if np.any((x < 0) | (x != np.round(x))):
            raise ValueError("x must hold non-negative integers for Poisson units")
        return x

    def log_base_measure(self, x):
        return -special.gammaln(self.sufficient_statistics(x) + 1.0)

    def log_partition(self, eta):
        return np.exp(_as_eta(eta))

    def mean(self, eta):
        return np.exp(_as_eta(eta))

    def natural_from_mean(self, mu, eps: float = 1e-12):
        mu = check_array(mu, "mu", allow_empty=True)
        if np.any(mu < 0):
            raise ValueError("mu (the rate) must be non-negative for Poisson units")
        return np.log(np.maximum(mu, eps))

    def sample(self, eta, seed=None):
        rng = check_rng(seed)
        return rng.poisson(self.mean(eta)).astype(np.float64)

    def expected_log_base_measure(self, eta, tail: float = 1e-12):
        """``-E[log x!]``, summed over the support until the tail mass is below ``tail``."""
        lam = np.atleast_1d(self.mean(eta)).astype(np.float64)
        kmax = int(np.ceil(lam.max() + 12.0 * np.sqrt(lam.max() + 1.0) + 20.0))
        k = np.arange(kmax + 1, dtype=np.float64)
        logpmf = k * np.log(np.maximum(lam[..., None], 1e-300)) - lam[..., None] - special.gammaln(
            k + 1.0
        )
        out = -(np.exp(logpmf) * special.gammaln(k + 1.0)).sum(axis=-1)
        return out.reshape(np.shape(eta))

    def variance(self, eta):
        """``Var[x] = rate``."""
        return self.mean(eta)


#: Binary units in {0, 1}.
Bernoulli = _BernoulliFamily()
#: Spin units in {-1, +1}.
Spin = _SpinFamily()
#: One-hot categorical (softmax) units.
Categorical = _CategoricalFamily()
#: Poisson count units.
Poisson = _PoissonFamily()
