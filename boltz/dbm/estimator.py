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

__all__ = ["LayeredEstimatorMixin"]


class LayeredEstimatorMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """scikit-learn protocol shared by the deep models (hooks: ``_fit_binary``,
    ``_features``, ``_log_likelihood`` and ``layer_sizes_``)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = False
        tags.input_tags.positive_only = self._threshold() is None
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

    def _threshold(self):
        """``binarize`` when it is a number (the threshold of ``X > t``), else ``None``."""
        b = getattr(self, "binarize", None)
        if isinstance(b, (int, float, np.number)) and not isinstance(b, bool):
            return check_finite_scalar(b, "binarize")
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
        """
        return float(np.mean(self.score_samples(X)))
