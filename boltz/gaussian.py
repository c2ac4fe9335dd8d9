"""Multivariate Gaussian as a density: the continuous model with every capability.

``E(x) = (x - m)^T P (x - m) / 2`` with precision ``P = C^{-1}``; exact
``log Z = d log(2 pi) / 2 - log det P / 2``, gradient ``grad_log_prob = -P (x - m)`` and exact
sampling. A product of Gaussian experts is again Gaussian (precisions add),
which makes it the reference for composition and for continuous samplers.

Examples
--------
>>> import numpy as np
>>> from boltz.gaussian import MultivariateGaussian
>>> a = MultivariateGaussian(mean=[0.0, 0.0], cov=np.eye(2))
>>> b = MultivariateGaussian(mean=[2.0, 0.0], cov=np.eye(2))
>>> a.product(b).mean.tolist()
[1.0, 0.0]
"""

from __future__ import annotations

import numpy as np

from ._validation import check_array, check_positive_int, check_rng
from .density import Density

__all__ = ["MultivariateGaussian"]


class MultivariateGaussian(Density):
    """Gaussian ``N(mean, cov)`` with energy, grad_log_prob, exact log Z and exact sampling.

    Parameters
    ----------
    mean : array, shape (d,)
    cov : array, shape (d, d), symmetric positive definite

    Examples
    --------
    >>> import numpy as np
    >>> g = MultivariateGaussian([0.0, 0.0], np.eye(2))
    >>> round(g.log_partition(), 6)  # log(2 pi)
    1.837877
    >>> g.grad_log_prob(np.array([[1.0, 2.0]])).tolist()
    [[-1.0, -2.0]]
    """

    def __init__(self, mean, cov):
        self.mean = check_array(mean, "mean", ndim=1)
        d = self.mean.shape[0]
        self.cov = check_array(cov, "cov", shape=(d, d))
        if not np.allclose(self.cov, self.cov.T, rtol=1e-10, atol=1e-12):
            raise ValueError("cov must be symmetric")
        try:
            self._chol = np.linalg.cholesky(self.cov)
        except np.linalg.LinAlgError:
            raise ValueError("cov must be positive definite") from None
        self.precision = np.linalg.inv(self.cov)
        self.precision = 0.5 * (self.precision + self.precision.T)
        self.event_shape = (d,)

    @classmethod
    def from_precision(cls, mean, precision):
        """Build from a mean and a precision (inverse covariance) matrix.

        Parameters
        ----------
        mean : array_like, shape (d,)
            Mean.
        precision : array_like, shape (d, d)
            Symmetric positive-definite precision matrix.

        Returns
        -------
        MultivariateGaussian
            The Gaussian with covariance ``inv(precision)``.

        Examples
        --------
        >>> import numpy as np
        >>> MultivariateGaussian.from_precision(np.zeros(2), 4 * np.eye(2)).cov.tolist()
        [[0.25, 0.0], [0.0, 0.25]]
        """
        precision = check_array(precision, "precision", ndim=2)
        return cls(mean, np.linalg.inv(precision))

    def energy(self, x):
        """Energy ``(x - mu)^T P (x - mu) / 2`` of each row.

        Parameters
        ----------
        x : array_like, shape (n, d)
            Points.

        Returns
        -------
        numpy.ndarray, shape (n,)
            The energies.

        Examples
        --------
        >>> import numpy as np
        >>> g = MultivariateGaussian(np.zeros(2), np.eye(2))
        >>> g.energy(np.array([[1.0, 1.0]])).tolist()
        [1.0]
        """

        x = self._check_batch(x)
        d = x - self.mean
        return 0.5 * np.einsum("ni,ij,nj->n", d, self.precision, d)

    def grad_log_prob(self, x):
        """Gradient ``grad_x log p(x) = -P (x - mu)`` of each row.

        Parameters
        ----------
        x : array_like, shape (n, d)
            Points.

        Returns
        -------
        numpy.ndarray, shape (n, d)
            The gradients (the scores).

        Examples
        --------
        >>> import numpy as np
        >>> g = MultivariateGaussian(np.zeros(2), np.eye(2))
        >>> g.grad_log_prob(np.array([[1.0, -2.0]])).tolist()
        [[-1.0, 2.0]]
        """

        x = self._check_batch(x)
        return -(x - self.mean) @ self.precision

    def log_partition(self):
        """Exact ``log Z = (d log(2 pi) + log det Sigma) / 2``.

        Returns
        -------
        float
            ``log Z``.

        Examples
        --------
        >>> import numpy as np
        >>> g = MultivariateGaussian(np.zeros(2), np.eye(2))
        >>> round(g.log_partition(), 4)  # log(2 pi)
        1.8379
        """

        d = self.mean.shape[0]
        logdet_cov = 2.0 * np.log(np.diag(self._chol)).sum()
        return float(0.5 * d * np.log(2 * np.pi) + 0.5 * logdet_cov)

    def sample(self, n, seed=None):
        """Exact samples.

        Parameters
        ----------
        n : int
            Number of samples.
        seed : int, numpy.random.Generator or None
            Random seed.

        Returns
        -------
        numpy.ndarray, shape (n, d)
            The samples.

        Examples
        --------
        >>> import numpy as np
        >>> g = MultivariateGaussian(np.zeros(2), np.eye(2))
        >>> g.sample(5, seed=0).shape
        (5, 2)
        """

        n = check_positive_int(n, "n")
        rng = check_rng(seed)
        z = rng.standard_normal((n, self.mean.shape[0]))
        return self.mean + z @ self._chol.T

    def product(self, other: MultivariateGaussian) -> MultivariateGaussian:
        """The normalised product of two Gaussian experts (precisions add).

        Parameters
        ----------
        other : MultivariateGaussian
            The other expert, same dimension.

        Returns
        -------
        MultivariateGaussian
            The normalised product.

        Examples
        --------
        >>> import numpy as np
        >>> g = MultivariateGaussian(np.zeros(2), np.eye(2))
        >>> g.product(g).cov.tolist()
        [[0.5, 0.0], [0.0, 0.5]]
        """
        if not isinstance(other, MultivariateGaussian):
            raise TypeError(f"other must be a MultivariateGaussian, got {type(other).__name__}")
        if other.mean.shape != self.mean.shape:
            raise ValueError("both Gaussians must have the same dimension")
        prec = self.precision + other.precision
        cov = np.linalg.inv(prec)
        cov = 0.5 * (cov + cov.T)
        mean = cov @ (self.precision @ self.mean + other.precision @ other.mean)
        return MultivariateGaussian(mean, cov)
