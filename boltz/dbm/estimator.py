"""The scikit-learn estimator surface of :class:`DeepBeliefNet` and :class:`DeepBoltzmannMachine`.

Built on scikit-learn's machinery (``BaseEstimator``, ``TransformerMixin``,
``validate_data``, tags) as the RBMs are: ``fit(X, y=None)`` ignores ``y``,
``get_params(deep)``/``set_params``, ``fit_transform``, ``n_features_in_``,
``feature_names_in_``, ``get_feature_names_out``, ``set_output``, and both
pass ``sklearn.utils.estimator_checks``. ``X`` is binary; ``binarize`` set to
a number ``t`` maps any real ``X`` to ``X > t`` first (as scikit-learn's
``BernoulliNB(binarize=t)``); the DBM's ``binarize="dynamic"`` takes
probabilities in ``[0, 1]``. scipy.sparse input is densified. ``transform``
returns the input's float dtype (float32 stays float32).

Example
-------
>>> import numpy as np
>>> from boltz.dbm import DeepBeliefNet
>>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
>>> dbn = DeepBeliefNet((4, 3), n_epochs=1, seed=0)
>>> dbn.fit_transform(X).shape, dbn.get_feature_names_out()[:2].tolist()
((60, 3), ['deepbeliefnet0', 'deepbeliefnet1'])
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_binary, check_finite_scalar, check_unit_interval

__all__ = ["LayeredEstimatorMixin", "dbm_log_likelihood"]


class LayeredEstimatorMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """scikit-learn protocol shared by the deep models (hooks: ``_fit_binary``,
    ``_features``, ``_log_likelihood`` and ``layer_sizes_``)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = False
        b = getattr(self, "binarize", None)
        tags.input_tags.positive_only = not (
            isinstance(b, (int, float, np.number)) and not isinstance(b, bool))
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _is_fitted(self) -> bool:
        raise NotImplementedError

    def __sklearn_is_fitted__(self) -> bool:
        return self._is_fitted()

    def _check_fitted(self):
        if not self._is_fitted():
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit first")

    @property
    def _n_features_out(self) -> int:
        return int(self.layer_sizes_[-1])

    #: The string values ``binarize`` may take besides ``None`` and a number.
    _binarize_modes: tuple = ()

    def _threshold(self):
        """``binarize`` when it is a number (the threshold of ``X > t``), else ``None``;
        any other value than ``None`` or one of ``_binarize_modes`` is a ``ValueError``."""
        b = getattr(self, "binarize", None)
        if isinstance(b, (int, float, np.number)) and not isinstance(b, bool):
            return check_finite_scalar(b, "binarize")
        if b is not None and b not in self._binarize_modes:
            modes = "".join(f", {m!r}" for m in self._binarize_modes)
            raise ValueError(f"binarize must be None{modes} or a number (a threshold), "
                             f"got {b!r}")
        return None

    def _validate_X(self, X, *, reset: bool):
        """``X`` checked by scikit-learn, densified, thresholded or checked to be binary
        (probabilities in [0, 1] with ``binarize="dynamic"``)."""
        X = validate_data(self, X, reset=reset, accept_sparse=("csr", "csc", "coo"),
                          dtype=(np.float64, np.float32))
        if sparse.issparse(X):
            X = X.toarray()
        t = self._threshold()
        if t is not None:
            return (X > t).astype(X.dtype)
        if np.any(X < 0):
            raise ValueError(f"Negative values in data passed to {type(self).__name__} (X): X "
                             "must be binary (or set binarize to a threshold)")
        if getattr(self, "binarize", None) == "dynamic":
            return check_unit_interval(X, "X", dtype=X.dtype)
        return check_binary(X, "X", dtype=X.dtype)

    def fit(self, X, y=None, **fit_params):
        """Train on ``X`` ``(n_samples, n_features)``; ``y`` is ignored. Returns ``self``.

        Parameters
        ----------
        X : array-like or sparse matrix
        y : ignored
        **fit_params
            Passed to the model's training (``X_val=`` for the DBM).

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.dbm import DeepBoltzmannMachine
        >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
        >>> m = DeepBoltzmannMachine((3, 2), pretrain_epochs=1, n_epochs=1, batch_size=20,
        ...                          n_chains=10, seed=0).fit(X)
        >>> m.n_features_in_
        6
        """
        X = self._validate_X(X, reset=True)
        self._fit_binary(X, **fit_params)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Top-layer features of ``X`` (see the model's ``_features``).

        Parameters
        ----------
        X : array-like or sparse matrix, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples, n_top)
            In the input's float dtype.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.dbm import DeepBoltzmannMachine
        >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
        >>> m = DeepBoltzmannMachine((3, 2), pretrain_epochs=1, n_epochs=1, batch_size=20,
        ...                          n_chains=10, seed=0).fit(X)
        >>> m.transform(X[:2]).shape
        (2, 2)
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return np.asarray(self._features(X), dtype=X.dtype)

    def score_samples(self, X) -> np.ndarray:
        """Log-likelihood of each row (float64; see the model's ``_log_likelihood``).

        Parameters
        ----------
        X : array-like or sparse matrix, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.dbm import DeepBoltzmannMachine
        >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
        >>> m = DeepBoltzmannMachine((3, 2), pretrain_epochs=1, n_epochs=1, batch_size=20,
        ...                          n_chains=10, seed=0).fit(X)
        >>> bool(np.all(m.score_samples(X[:3]) < 0))
        True
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return np.asarray(self._log_likelihood(np.asarray(X, np.float64)), np.float64)

    def score(self, X, y=None) -> float:
        """Mean log-likelihood of the rows of ``X`` (see :meth:`score_samples`).

        Parameters
        ----------
        X : array-like or sparse matrix, shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.dbm import DeepBoltzmannMachine
        >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
        >>> m = DeepBoltzmannMachine((3, 2), pretrain_epochs=1, n_epochs=1, batch_size=20,
        ...                          n_chains=10, seed=0).fit(X)
        >>> m.score(X) < 0
        True
        """
        return float(np.mean(self.score_samples(X)))


def dbm_log_likelihood(model, X) -> np.ndarray:
    """``log p(v)`` per row for :meth:`DeepBoltzmannMachine.score_samples` (float64).

    Exact when the model can be enumerated (at most 20 units in the even hidden
    layers, whose sum the free energy enumerates, and a smaller parity within
    :data:`boltz.exact.MAX_EXACT_VARIABLES`); otherwise the mean-field
    variational lower bound with an AIS estimate of ``log Z`` (100 chains,
    20,000 temperatures, seed 0; Salakhutdinov & Hinton 2009), i.e. an estimate
    of a lower bound.

    Parameters
    ----------
    model : DeepBoltzmannMachine
        Fitted.
    X : ndarray, shape (n, n_visible)
        Binary rows (grey rows have no likelihood: ``ValueError``).

    Returns
    -------
    ndarray, shape (n,)

    Example
    -------
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((2, 1)), np.zeros((1, 1))])
    >>> bool(np.isclose(dbm_log_likelihood(m, np.zeros((1, 2)))[0], -2 * np.log(2)))
    True
    """
    from ..exact import MAX_EXACT_VARIABLES
    from .exact import _MAX_FREE_ENERGY_BITS, exact_free_energy, exact_log_partition

    sizes = model.layer_sizes_
    even = sum(sizes[2::2])
    parity = min(sum(sizes[0::2]), sum(sizes[1::2]))
    X = check_binary(X, "X", dtype=np.asarray(X).dtype)
    if even <= _MAX_FREE_ENERGY_BITS and parity <= MAX_EXACT_VARIABLES:
        return -exact_free_energy(model, X) - exact_log_partition(model)
    from .ais import ais_log_partition
    from .evaluation import variational_lower_bound

    log_z = ais_log_partition(model, seed=0).log_z
    return variational_lower_bound(model, X, log_z)
