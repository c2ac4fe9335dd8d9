"""The three RBM kinds: Bernoulli, Gaussian-Bernoulli and categorical (softmax) visibles.

Each subclass of :class:`~boltz.rbm.base.RBMBase` fixes the visible
exponential family through the ``_visible_*`` hooks and its sampling hook
``_sample_visible_from_pre``, written once against a backend of
:mod:`boltz.backend`.

Examples
--------
>>> import numpy as np
>>> from boltz.rbm.kinds import BernoulliRBM
>>> BernoulliRBM.from_params(np.zeros((2, 1)), np.zeros(2), np.zeros(1)).n_visible_
2
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

from .._validation import (
    check_array,
    check_binary,
    check_finite_scalar,
    check_positive_int,
    check_positive_scalar,
    check_unit_interval,
)
from ..backend import _kernels as K
from ..expfam import Bernoulli, Categorical, Gaussian, GaussianLearnedVariance
from ._docstrings import with_shared_parameters
from .base import _NUMPY, RBMBase, store_arguments

__all__ = ["BernoulliRBM", "GaussianBernoulliRBM", "CategoricalRBM", "OutOfRangeWarning"]


def _mean0(x):
    """Mean over rows."""
    return x.mean(0)


class OutOfRangeWarning(UserWarning):
    """:class:`BernoulliRBM` input with values outside [0, 1], taken as given.

    Examples
    --------
    >>> import warnings, numpy as np
    >>> m = BernoulliRBM.from_params(np.zeros((2, 1)), np.zeros(2), np.zeros(1))
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     _ = m.transform(np.array([[2.0, 0.0]]))
    >>> w[0].category.__name__
    'OutOfRangeWarning'
    """


class BernoulliRBM(RBMBase):
    """Bernoulli–Bernoulli RBM: binary visibles ``v in {0,1}^V``, binary hiddens.

    ``F(v) = -a.v - sum_j softplus(c_j + v.W[:, j])``. Also a discrete density
    (``n_variables``, ``support=(0, 1)``), so :mod:`boltz.exact` can enumerate
    small ones.

    Parameters
    ----------
    n_hidden : int, default 256
        Number of hidden units.
    learning_rate : float or None, default None
        Initial learning rate. None: 0.05, or scikit-learn's 0.1 when the model
        is configured with scikit-learn's names (see Notes).
    batch_size : int or None, default None
        Minibatch size. None: 100, or scikit-learn's 10 when the model is
        configured with scikit-learn's names (see Notes).
    momentum : float, callable or None, default None
        Momentum of the updates, or ``epoch -> momentum``. None: 0.5, or 0
        (scikit-learn's plain SGD) when the model is configured with
        scikit-learn's names (see Notes).
    binarize : {None, "dynamic"} or float, default None
        None: ``X`` as given, binary or probabilities in [0, 1] (values outside
        are taken as given, as scikit-learn's ``BernoulliRBM`` does, with an
        :class:`OutOfRangeWarning`). ``"dynamic"``: ``X`` holds probabilities and
        each minibatch is a fresh Bernoulli draw. A number ``t``: ``X > t``.
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None, default None
        scikit-learn's name for ``seed``; wins when given (a ``RandomState`` is
        drawn from once per fit, so repeated fits differ, as in scikit-learn).
    %(rbm_parameters)s

    Notes
    -----
    **scikit-learn's names make a drop-in.** When ``n_components`` or
    ``n_iter`` is given, the model is configured as
    ``sklearn.neural_network.BernoulliRBM`` is, and the training arguments left
    at None take scikit-learn's values: ``batch_size=10``, ``momentum=0``
    (plain SGD) and ``learning_rate=0.1``, with PCD-1 (boltz's default method,
    scikit-learn's algorithm). Code written for scikit-learn thus trains the same
    algorithm. With boltz's own names (``n_hidden``, ``n_epochs``) the defaults
    are boltz's: ``batch_size=100``, ``momentum=0.5``, ``learning_rate=0.05``.
    ``random_state`` alone does not switch: scikit-learn's tools set it on any
    estimator for reproducibility, which must not change the algorithm.
    Arguments given explicitly always win.

    Examples
    --------
    >>> import numpy as np
    >>> rbm = BernoulliRBM.from_params(np.ones((2, 1)), np.zeros(2), np.zeros(1))
    >>> rbm.free_energy(np.array([[1.0, 1.0]])).round(4).tolist()
    [-2.1269]
    """
    __doc__ = with_shared_parameters(__doc__)

    kind = "BernoulliRBM"
    preset_kind = "bernoulli"
    visible_family = Bernoulli
    support = (0, 1)
    _supports_dynamic_binarization = True
    #: Training arguments left at None with scikit-learn's names (see Notes).
    _sklearn_training_defaults = {"batch_size": 10, "momentum": 0.0, "learning_rate": 0.1}

    def __init__(
        self,
        n_hidden: int = 256,
        *,
        method: str = "pcd",
        k: int = 1,
        learning_rate: float | None = None,
        n_epochs: int = 10,
        batch_size: int | None = None,
        n_chains: int | None = None,
        momentum=None,
        weight_decay: float = 0.0,
        centering: bool = False,
        binarize: str | float | None = None,
        sparsity_target: float | None = None,
        sparsity_cost: float = 0.0,
        lr_schedule="constant",
        final_lr_fraction: float = 0.01,
        max_seconds: float | None = None,
        n_temperatures: int = 10,
        init_std: float = 0.01,
        monitor_every: int = 1,
        monitor_size: int = 256,
        ais_every: int = 0,
        ais_runs: int = 100,
        ais_betas: int = 1000,
        early_stopping: bool = False,
        patience: int = 5,
        max_weight: float = 500.0,
        n_threads: int | None = 1,
        device=None,
        verbose: bool = False,
        seed=None,
        n_components: int | None = None,
        n_iter: int | None = None,
        random_state=None,
    ):
        store_arguments(self, locals())

    @property
    def n_variables(self) -> int:
        return self.n_visible_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # dynamic binarization draws from probabilities: negative values are an error
        tags.input_tags.positive_only = self.binarize == "dynamic"
        return tags

    def _threshold(self) -> float | None:
        """``binarize`` when it is a number (the threshold of ``X > t``), else ``None``."""
        b = self.binarize
        if isinstance(b, (int, float, np.number)) and not isinstance(b, bool):
            return check_finite_scalar(b, "binarize")
        return None

    def _prepare_visible(self, X, name):
        """``X > binarize`` with a numeric ``binarize``; with ``"dynamic"``, ``X`` checked to
        lie in [0, 1]; else ``X`` as given, with an :class:`OutOfRangeWarning` for values
        outside [0, 1] (scikit-learn's ``BernoulliRBM`` takes any real ``X``)."""
        t = self._threshold()
        if t is not None:
            return (X > t).astype(X.dtype)
        if self._dynamic_binarization():
            if np.any(X < 0):
                raise ValueError(f"Negative values in data passed to {type(self).__name__} "
                                 f"({name}): binarize='dynamic' draws from {name}, which must "
                                 "hold probabilities in [0, 1]")
            return check_unit_interval(X, name, dtype=X.dtype)
        if X.size and (X.min() < 0 or X.max() > 1):
            warnings.warn(
                f"{name} has values outside [0, 1] (min {X.min():.4g}, max {X.max():.4g}); "
                f"{type(self).__name__} takes them as given, as scikit-learn's BernoulliRBM "
                "does, but its visible units are binary: scale to [0, 1] "
                "(sklearn.preprocessing.minmax_scale) or set binarize to a threshold",
                OutOfRangeWarning, stacklevel=3)
        return X

    def _check_visible_values(self, arr, name):
        # binary rows, or probabilities (mean-field input: the formulas take them as given);
        # after a fit on values outside [0, 1] (taken as given, with a warning) the model's
        # own monitoring and methods take such values too
        if getattr(self, "_values_as_given", False):
            return arr
        return check_unit_interval(arr, name, dtype=arr.dtype)

    @property
    def _has_pseudo_likelihood(self) -> bool:
        """Whether the training monitor reports the pseudo-likelihood: not for grey
        training rows (flipping a probability is not a state change)."""
        return not getattr(self, "_probabilities_as_data", False)

    @property
    def _binary_visible(self) -> bool:
        """Whether the trainer may use 0/1 sparse products (not after grey training data)."""
        return not getattr(self, "_probabilities_as_data", False)

    def _note_training_data(self, X32):
        """Grey values trained on as given (no ``binarize``) need dense products."""
        grey = not self._dynamic_binarization() and not np.all((X32 == 0) | (X32 == 1))
        self._probabilities_as_data = grey or getattr(self, "_probabilities_as_data", False)
        outside = grey and X32.size and (X32.min() < 0 or X32.max() > 1)
        self._values_as_given = bool(outside) or getattr(self, "_values_as_given", False)

    def init_params(self, n_visible, X=None, seed=None):
        self._probabilities_as_data = False
        self._values_as_given = False
        return super().init_params(n_visible, X, seed)

    def _can_enumerate_visible(self):
        return True

    def pseudo_log_likelihood(self, v) -> np.ndarray:
        """Exact log pseudo-likelihood ``sum_i log p(v_i | v_-i)`` per row.

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Visible configurations.

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``sum_i log p(v_i | v_-i)`` per row.

        Examples
        --------
        >>> import numpy as np
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.pseudo_log_likelihood(np.ones((1, 3))).round(4).tolist()  # 3 log(1/2)
        [-2.0794]
        """

        v = self._check_visible(v)
        x = v @ self._w64() + self.hidden_bias_.astype(np.float64)
        return K.bernoulli_pseudo_loglik(v, x, self._w64(), self.visible_bias_.astype(np.float64))


class GaussianBernoulliRBM(RBMBase):
    """Gaussian–Bernoulli RBM: real visibles with fixed or learned per-unit variance.

    In natural parameters ``p(v_i | h) = N(var_i (a_i + W[i].h), var_i)`` and
    ``p(h_j = 1 | v) = sigmoid(c_j + v.W[:, j])``; with unit variance this is
    the usual GB-RBM. ``F(v) = sum_i v_i^2 / (2 var_i) - a.v - sum_j
    softplus(c_j + v.W[:, j]) + const`` (the constant is ``log h`` of
    :class:`~boltz.expfam.Gaussian`, or ``V log(2 pi) / 2`` when the variance
    is learned, as in :class:`~boltz.expfam.GaussianLearnedVariance`).
    Standardise the data first when the variance is fixed.

    Parameters
    ----------
    n_hidden : int, default 256
        Number of hidden units.
    variance : float, default 1.0
        The (initial) visible variance.
    learn_variance : bool, default False
        Learn a log-variance per visible unit (attribute ``log_variance_``).
    learning_rate : float, default 0.01
        Initial learning rate (the other kinds' default is 0.05).
    %(rbm_parameters)s

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(2.0, 0.5, size=(500, 2))
    >>> m = GaussianBernoulliRBM(2, learn_variance=True, n_epochs=3, seed=0).fit(X)
    >>> m.log_variance_.shape
    (2,)
    """
    __doc__ = with_shared_parameters(__doc__)

    kind = "GaussianBernoulliRBM"
    preset_kind = "gaussian"
    visible_family = Gaussian(1.0)
    _training_defaults = {"batch_size": 100, "momentum": 0.5, "learning_rate": 0.01}

    def __init__(
        self,
        n_hidden: int = 256,
        *,
        variance: float = 1.0,
        learn_variance: bool = False,
        method: str = "pcd",
        k: int = 1,
        learning_rate: float = 0.01,
        n_epochs: int = 10,
        batch_size: int = 100,
        n_chains: int | None = None,
        momentum=0.5,
        weight_decay: float = 0.0,
        centering: bool = False,
        binarize: str | None = None,
        sparsity_target: float | None = None,
        sparsity_cost: float = 0.0,
        lr_schedule="constant",
        final_lr_fraction: float = 0.01,
        max_seconds: float | None = None,
        n_temperatures: int = 10,
        init_std: float = 0.01,
        monitor_every: int = 1,
        monitor_size: int = 256,
        ais_every: int = 0,
        ais_runs: int = 100,
        ais_betas: int = 1000,
        early_stopping: bool = False,
        patience: int = 5,
        max_weight: float = 500.0,
        n_threads: int | None = 1,
        device=None,
        verbose: bool = False,
        seed=None,
        n_components: int | None = None,
        n_iter: int | None = None,
        random_state=None,
    ):
        store_arguments(self, locals())

    def _check_hyper(self):
        super()._check_hyper()
        check_positive_scalar(self.variance, "variance")

    def _init_visible(self, n_visible, X):
        self.log_variance_ = np.full(n_visible, np.log(self.variance), dtype=np.float32)
        if X is not None:
            X = np.asarray(X, np.float64)
            var = X.var(axis=0) if self.learn_variance else np.exp(self.log_variance_)
            var = np.maximum(var, 1e-4)
            if self.learn_variance:
                self.log_variance_ = np.log(var).astype(np.float32)
            self.visible_bias_ = (X.mean(axis=0) / var).astype(np.float32)

    def _set_params(self, W, visible_bias, hidden_bias, log_variance=None, **extra):
        super()._set_params(W, visible_bias, hidden_bias, **extra)
        if log_variance is None:
            log_variance = np.full(self.n_visible_, np.log(self.variance))
        self.log_variance_ = np.ascontiguousarray(
            check_array(log_variance, "log_variance", shape=(self.n_visible_,)), dtype=np.float32
        )

    def _param_arrays(self):
        return {**super()._param_arrays(), "log_variance": self.log_variance_}

    @property
    def visible_variance_(self) -> np.ndarray:
        """Per-unit visible variance ``exp(log_variance_)`` (float64)."""
        return np.exp(self.log_variance_.astype(np.float64))

    def _check_visible_values(self, arr, name):
        return arr

    def _base_rate_bias(self, X, eps=None):
        X = np.asarray(X, np.float64)
        return X.mean(axis=0) / self.visible_variance_

    def _visible_linear(self, v):
        var = self.visible_variance_
        quad = -0.5 * (v**2 / var).sum(axis=1)
        if self.learn_variance:
            const = -0.5 * np.log(2 * np.pi) * v.shape[1]
        else:
            const = -0.5 * np.sum(np.log(2 * np.pi * var))
        return v @ self.visible_bias_.astype(np.float64) + quad + const

    def _visible_log_partition(self, eta):
        var = self.visible_variance_
        out = 0.5 * (eta**2 * var).sum(axis=1)
        if self.learn_variance:
            out = out + 0.5 * np.sum(np.log(var))
        return out

    def _visible_mean_from_natural(self, eta):
        return eta * self.visible_variance_

    def _sample_visible_from_pre(self, pre, rng, row_scale=None, bias=None, *, bk=None,
                                 params=None):
        bk = _NUMPY if bk is None else bk
        p = self._param_arrays() if params is None else params
        b = p["visible_bias"] if bias is None else bias
        if row_scale is not None:
            pre = pre * row_scale[:, None]
        var = bk.exp(p["log_variance"])
        mean = (pre + b) * var
        noise = bk.normal(pre.shape, rng)
        return mean + noise * bk.sqrt(var), mean

    def grad_log_prob(self, v) -> np.ndarray:
        """Gradient ``grad_v log p~(v) = a - v / var + W sigmoid(c + v W)`` (float64).

        Real-valued visibles make the GB-RBM a continuous density, so gradient
        samplers (e.g. Langevin in :mod:`boltz.deep`) can run on its free energy.

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Visible values.

        Returns
        -------
        numpy.ndarray, shape (n, n_visible)
            ``grad_v log p~(v)``.

        Examples
        --------
        >>> import numpy as np
        >>> m = GaussianBernoulliRBM.from_params(np.zeros((2, 1)), np.zeros(2), np.zeros(1))
        >>> m.grad_log_prob(np.array([[1.0, -2.0]])).tolist()
        [[-1.0, 2.0]]
        """
        v = self._check_visible(v)
        W = self._w64()
        h = special.expit(v @ W + self.hidden_bias_.astype(np.float64))
        return self.visible_bias_.astype(np.float64) - v / self.visible_variance_ + h @ W.T

    def _extra_gradients(self, v_pos, v_neg, bk=None, params=None, means=None):
        """Gradient of the log-likelihood in ``log_variance_``: ``<v^2 / (2 var)>`` data - model
        (``means`` as in :meth:`RBMBase._extra_gradients`)."""
        if not self.learn_variance:
            return {}
        bk = _NUMPY if bk is None else bk
        mean_pos, mean_neg = means or (_mean0, _mean0)
        log_var = self.log_variance_ if params is None else params["log_variance"]
        inv = bk.exp(-log_var)
        return {"log_variance": 0.5 * inv * (mean_pos(v_pos**2) - mean_neg(v_neg**2))}

    def visible_family_for_unit(self):
        """The :mod:`boltz.expfam` family of the visible units.

        Returns
        -------
        boltz.expfam.Gaussian or boltz.expfam.GaussianLearnedVariance
            The family (with the unit variance when it is fixed).

        Examples
        --------
        >>> import numpy as np
        >>> m = GaussianBernoulliRBM.from_params(np.zeros((2, 1)), np.zeros(2), np.zeros(1))
        >>> type(m.visible_family_for_unit()).__name__
        'Gaussian'
        """
        if self.learn_variance:
            return GaussianLearnedVariance()
        return Gaussian(float(np.exp(self.log_variance_[0])))


class CategoricalRBM(RBMBase):
    """RBM with softmax (one-hot categorical) visible units.

    The visible vector is ``G`` groups of ``n_categories`` one-hot columns
    (build it with :func:`one_hot`); ``p(v_g | h) = softmax(a_g + W_g h)``.
    ``F(v) = -a.v - sum_j softplus(c_j + v.W[:, j])``.

    Parameters
    ----------
    n_hidden : int, default 256
        Number of hidden units.
    n_categories : int, default 2
        Categories per visible group (columns per one-hot group).
    bin_edges : array_like or None, default None
        ``n_categories - 1`` increasing numbers: each input column is then one real
        or integer-coded group, its category ``searchsorted(bin_edges, x, "right")``.
    learning_rate : float, default 0.05
        Initial learning rate.
    %(rbm_parameters)s

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.rbm import one_hot
    >>> X = one_hot(np.random.default_rng(0).integers(0, 3, size=(100, 4)), 3)
    >>> m = CategoricalRBM(4, n_categories=3, n_epochs=2, seed=0).fit(X)
    >>> m.W_.shape
    (12, 4)
    """
    __doc__ = with_shared_parameters(__doc__)

    kind = "CategoricalRBM"
    preset_kind = "categorical"
    visible_family = Categorical
    _binary_visible = True

    def _edges(self):
        """``bin_edges`` checked: ``n_categories - 1`` increasing finite numbers, or None."""
        if self.bin_edges is None:
            return None
        k = check_positive_int(self.n_categories, "n_categories")
        edges = check_array(self.bin_edges, "bin_edges", ndim=1, allow_empty=True)
        if edges.shape != (k - 1,) or np.any(np.diff(edges) <= 0):
            raise ValueError(f"bin_edges must be {k - 1} increasing numbers (n_categories - 1), "
                             f"got {edges.tolist()}")
        return edges

    def _prepare_visible(self, X, name):
        """With ``bin_edges``: column values -> categories ``searchsorted(edges, x, "right")``
        -> one-hot groups; else ``X`` is already one-hot (checked)."""
        edges = self._edges()
        if edges is None:
            return self._check_visible_values(X, name)
        codes = np.searchsorted(edges, X, side="right")
        n, g = codes.shape
        k = int(self.n_categories)
        out = np.zeros((n, g * k), X.dtype)
        out[np.arange(n)[:, None], np.arange(g)[None, :] * k + codes] = 1
        return out

    def _n_input_features(self, n_visible):
        return n_visible // int(self.n_categories) if self.bin_edges is not None else n_visible

    def __init__(
        self,
        n_hidden: int = 256,
        *,
        n_categories: int = 2,
        bin_edges=None,
        method: str = "pcd",
        k: int = 1,
        learning_rate: float = 0.05,
        n_epochs: int = 10,
        batch_size: int = 100,
        n_chains: int | None = None,
        momentum=0.5,
        weight_decay: float = 0.0,
        centering: bool = False,
        binarize: str | None = None,
        sparsity_target: float | None = None,
        sparsity_cost: float = 0.0,
        lr_schedule="constant",
        final_lr_fraction: float = 0.01,
        max_seconds: float | None = None,
        n_temperatures: int = 10,
        init_std: float = 0.01,
        monitor_every: int = 1,
        monitor_size: int = 256,
        ais_every: int = 0,
        ais_runs: int = 100,
        ais_betas: int = 1000,
        early_stopping: bool = False,
        patience: int = 5,
        max_weight: float = 500.0,
        n_threads: int | None = 1,
        device=None,
        verbose: bool = False,
        seed=None,
        n_components: int | None = None,
        n_iter: int | None = None,
        random_state=None,
    ):
        store_arguments(self, locals())

    def _check_hyper(self):
        super()._check_hyper()
        check_positive_int(self.n_categories, "n_categories")

    def _visible_group(self):
        return int(self.n_categories)

    def init_params(self, n_visible, X=None, seed=None):
        """Initialise as :meth:`RBMBase.init_params`; ``n_visible``: a multiple of ``n_categories``.

        Parameters
        ----------
        n_visible : int
            Number of visible columns (groups times ``n_categories``).
        X : array_like, shape (n, n_visible), optional
            One-hot data whose base rates set the visible biases.
        seed : int, numpy.random.Generator or None
            Random seed (default: the model's ``seed``).

        Returns
        -------
        CategoricalRBM
            ``self``, initialised.

        Examples
        --------
        >>> CategoricalRBM(2, n_categories=3, seed=0).init_params(6).W_.shape
        (6, 2)
        """

        if check_positive_int(n_visible, "n_visible") % check_positive_int(
                self.n_categories, "n_categories") != 0:
            raise ValueError(
                f"n_visible={n_visible} is not a multiple of n_categories={self.n_categories}"
            )
        return super().init_params(n_visible, X, seed)

    def _check_visible_values(self, arr, name):
        arr = check_binary(arr, name, dtype=arr.dtype)
        k = self.n_categories
        if arr.shape[1] % k or not np.all(arr.reshape(arr.shape[0], -1, k).sum(axis=2) == 1):
            raise ValueError(
                f"{name} must be one-hot in groups of n_categories={k} columns (see one_hot)"
            )
        return arr

    def _grouped(self, x):
        return x.reshape(x.shape[0], -1, self.n_categories)

    def _base_rate_bias(self, X, eps=None):
        X = np.asarray(X, np.float64)
        n = X.shape[0]
        mean = (X.sum(axis=0) + 1.0 / self.n_categories) / (n + 1.0)
        return np.log(mean)

    def _visible_log_partition(self, eta):
        return special.logsumexp(self._grouped(eta), axis=2).sum(axis=1)

    def _visible_mean_from_natural(self, eta):
        return special.softmax(self._grouped(eta), axis=2).reshape(eta.shape)

    def _sample_visible_from_pre(self, pre, rng, row_scale=None, bias=None, *, bk=None,
                                 params=None):
        bk = _NUMPY if bk is None else bk
        b = (self.visible_bias_ if params is None else params["visible_bias"]) \
            if bias is None else bias
        scale = bk.full(pre.shape[0], 1.0) if row_scale is None else row_scale
        prob, out = bk.categorical(pre, scale, b, int(self.n_categories), rng)
        return out, prob
