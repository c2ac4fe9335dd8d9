"""Restricted Boltzmann machines built on the exponential-family units of :mod:`boltz.expfam`.

Every RBM here has Bernoulli hidden units ``h in {0,1}^H`` and visible units of
one exponential family with sufficient statistic ``T(v)`` and base measure
``h(v)``. The joint energy is::

    E(v, h) = -a . T(v) - log h(v) - c . h - T(v)^T W h

so each layer's conditional is its family with natural parameter
``bias + W . other``: ``p(h_j = 1 | v) = sigmoid(c_j + T(v) . W[:, j])`` and
``p(v_i | h)`` has natural parameter ``a_i + W[i] . h``. Summing out ``h`` gives
the free energy (Welling, Rosen-Zvi & Hinton 2005)::

    F(v) = -a . T(v) - log h(v) - sum_j softplus(c_j + T(v) . W[:, j])

and ``log_unnormalized(v) = -F(v)``. Summing out ``v`` instead gives
``log p~(h) = c . h + sum_i A_vis(a_i + W[i] . h)``, which is how
:meth:`RBMBase.log_partition` enumerates the smaller layer exactly.

Public API (stable)
-------------------
Classes: :class:`BernoulliRBM`, :class:`GaussianBernoulliRBM`,
:class:`CategoricalRBM` (all subclasses of :class:`RBMBase`, a
:class:`~boltz.density.Density`), and the error :class:`DivergenceError`.

Constructor (shared by all three; scikit-learn style, it only stores values)::

    BernoulliRBM(n_hidden=256, *, method="pcd", k=1, learning_rate=0.05,
                 n_epochs=10, batch_size=100, n_chains=None, momentum=0.5,
                 weight_decay=0.0, centering=False, binarize=None, sparsity_target=None,
                 sparsity_cost=0.0, lr_schedule="constant", final_lr_fraction=0.1,
                 max_seconds=None, n_temperatures=10, init_std=0.01, monitor_every=1,
                 monitor_size=256, ais_every=0, ais_runs=100, ais_betas=1000,
                 early_stopping=False, patience=5, max_weight=500.0,
                 n_threads=1, device=None, verbose=False, seed=None)
    GaussianBernoulliRBM(n_hidden, *, variance=1.0, learn_variance=False, ...)
    CategoricalRBM(n_hidden, *, n_categories=2, ...)

``method`` is ``"cd"``, ``"pcd"`` or ``"pt"`` (parallel tempering, Bernoulli
visibles). ``n_threads`` caps BLAS threads in training, sampling and AIS
(default 1: most products are numba kernels, and multi-threaded BLAS thrashes
on these small products when the machine is busy; ``None``: BLAS default).
``device`` (``BernoulliRBM``, methods ``"cd"``/``"pcd"``) trains on a torch
device instead: ``"cuda"``, ``"auto"`` (CUDA when available), any torch device
name, or ``"cpu-torch"`` (torch on the CPU, mostly for testing); ``None`` or
``"cpu"`` is the NumPy/numba path. Only then is torch imported
(:mod:`boltz.deep.rbm`). ``binarize="dynamic"`` (``BernoulliRBM``) takes ``X``
as probabilities in ``[0, 1]``, e.g. MNIST grey levels, and trains on a fresh
Bernoulli draw of every minibatch (*dynamic binarization*; less overfitting
than one fixed binarization). Fitted
attributes: ``W_`` (float32, ``(n_visible, n_hidden)``),
``visible_bias_`` (``(n_visible,)``), ``hidden_bias_`` (``(n_hidden,)``),
``n_visible_``, ``history_`` (one dict of metrics per epoch), ``n_iter_``;
``GaussianBernoulliRBM`` adds ``log_variance_`` (``(n_visible,)``).
:meth:`RBMBase.from_params` builds a fitted model from given arrays.

Methods: ``fit(X, X_val=None, callbacks=None)``, ``partial_fit(X)``,
``transform(X)`` (= ``hidden_probabilities``), ``score_samples(X)``,
``score(X)``, ``sample(n, seed, n_steps, init)``, ``get_params``/``set_params``,
``save(path)``/``load(path)``; model math: ``free_energy(v)``,
``energy(v, h=None)`` (joint energy, or the free energy without ``h``),
``log_unnormalized(v)``, ``hidden_input(v)``, ``hidden_probabilities(v)``,
``visible_natural(h)``, ``visible_mean(h)``, ``sample_hidden(v, seed)``,
``sample_visible(h, seed)``, ``gibbs(v, n_steps, seed)``, ``reconstruct(v)``,
``hidden_log_unnormalized(h)``, ``log_partition()`` (exact, smaller layer
<= 25 units), ``pseudo_log_likelihood(v)`` (Bernoulli visibles).

Example
-------
>>> import numpy as np
>>> from boltz.rbm import BernoulliRBM
>>> X = (np.random.default_rng(0).random((200, 6)) < 0.3).astype(float)
>>> rbm = BernoulliRBM(n_hidden=3, n_epochs=5, batch_size=20, seed=0).fit(X)
>>> rbm.W_.shape, rbm.transform(X[:2]).shape
((6, 3), (2, 3))
>>> bool(np.isfinite(rbm.log_partition()))
True
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .._validation import (
    check_array,
    check_binary,
    check_positive_int,
    check_positive_scalar,
    check_rng,
)
from ..density import Density
from ..expfam import Bernoulli, Categorical, Gaussian, GaussianLearnedVariance
from . import _kernels as K
from ._threads import blas_threads
from .estimator import RBMEstimatorMixin

__all__ = [
    "RBMBase",
    "BernoulliRBM",
    "GaussianBernoulliRBM",
    "CategoricalRBM",
    "DivergenceError",
    "MAX_EXACT_UNITS",
    "AUTO_EXACT_UNITS",
    "one_hot",
]

#: Largest layer :meth:`RBMBase.log_partition` enumerates (``2**25`` states).
MAX_EXACT_UNITS = 25
#: Largest layer enumerated *automatically* (``score_samples``, evaluation, CLI):
#: ``2**20`` states take seconds, ``2**25`` can take many minutes.
AUTO_EXACT_UNITS = 20
_CHUNK = 1 << 13


class DivergenceError(RuntimeError):
    """Training diverged: a parameter became NaN/inf or exceeded ``max_weight``."""


def one_hot(codes, n_categories: int) -> np.ndarray:
    """Integer codes ``(n, G)`` in ``[0, n_categories)`` -> flattened one-hot ``(n, G*K)``.

    Example
    -------
    >>> one_hot(np.array([[0, 2]]), 3).tolist()
    [[1.0, 0.0, 0.0, 0.0, 0.0, 1.0]]
    """
    k = check_positive_int(n_categories, "n_categories")
    codes = check_array(codes, "codes", ndim=2)
    if np.any((codes < 0) | (codes >= k) | (codes != np.round(codes))):
        raise ValueError(f"codes must be integers in [0, {k}), got values outside that range")
    n, g = codes.shape
    out = np.zeros((n, g, k))
    out[np.arange(n)[:, None], np.arange(g)[None, :], codes.astype(np.int64)] = 1.0
    return out.reshape(n, g * k)


def _bits(idx: np.ndarray, n: int) -> np.ndarray:
    return ((idx[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1).astype(np.float64)


class RBMBase(RBMEstimatorMixin, Density):
    """Shared math of all RBMs: conditionals, free energy, Gibbs sampling, exact ``log Z``.

    Subclasses fix the visible family by overriding the ``_visible_*`` hooks.
    See the module docstring for the constructor arguments.
    """

    #: Name stored in saved files.
    kind = "RBMBase"
    #: The visible exponential family (set per subclass).
    visible_family = Bernoulli
    #: Whether ``method="pt"`` is available.
    _supports_pt = False
    #: Whether ``binarize="dynamic"`` is available (Bernoulli visibles).
    _supports_dynamic_binarization = False

    def __init__(
        self,
        n_hidden: int = 256,
        *,
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
        final_lr_fraction: float = 0.1,
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
    ):
        self.n_hidden = n_hidden
        self.method = method
        self.k = k
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.n_chains = n_chains
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.centering = centering
        self.binarize = binarize
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.lr_schedule = lr_schedule
        self.final_lr_fraction = final_lr_fraction
        self.max_seconds = max_seconds
        self.n_temperatures = n_temperatures
        self.init_std = init_std
        self.monitor_every = monitor_every
        self.monitor_size = monitor_size
        self.ais_every = ais_every
        self.ais_runs = ais_runs
        self.ais_betas = ais_betas
        self.early_stopping = early_stopping
        self.patience = patience
        self.max_weight = max_weight
        self.n_threads = n_threads
        self.device = device
        self.verbose = verbose
        self.seed = seed

    # ------------------------------------------------------------------
    # parameters
    # ------------------------------------------------------------------
    @property
    def is_fitted(self) -> bool:
        """Whether the model has parameters (after ``fit``, ``from_params`` or ``load``)."""
        return getattr(self, "W_", None) is not None

    def _check_fitted(self):
        if not self.is_fitted:
            raise ValueError(
                f"this {type(self).__name__} has no parameters yet; call fit(X) or from_params(...)"
            )

    @property
    def n_visible_(self) -> int:
        self._check_fitted()
        return int(self.W_.shape[0])

    @property
    def event_shape(self) -> tuple:  # type: ignore[override]
        return (self.n_visible_,) if self.is_fitted else ()

    def _check_hyper(self):
        check_positive_int(self.n_hidden, "n_hidden")

    def init_params(self, n_visible: int, X=None, seed=None):
        """Initialise ``W_ ~ N(0, init_std^2)``, hidden biases 0 and visible biases from ``X``.

        With data, the visible biases match the data's base rates (Hinton's
        practical guide, section 8); returns ``self``.
        """
        self._check_hyper()
        n_visible = check_positive_int(n_visible, "n_visible")
        rng = check_rng(self.seed if seed is None else seed)
        std = check_positive_scalar(self.init_std, "init_std", allow_zero=True)
        self.W_ = (std * rng.standard_normal((n_visible, self.n_hidden))).astype(np.float32)
        self.hidden_bias_ = np.zeros(self.n_hidden, dtype=np.float32)
        self.visible_bias_ = np.zeros(n_visible, dtype=np.float32)
        self._init_visible(n_visible, X)
        return self

    def _init_visible(self, n_visible, X):
        if X is not None:
            self.visible_bias_ = self._base_rate_bias(X).astype(np.float32)

    @classmethod
    def from_params(cls, W, visible_bias, hidden_bias, **kwargs):
        """A fitted model with the given parameters (copied to float32).

        Extra keyword arguments go to the constructor; ``log_variance=`` sets
        the per-unit log-variance of a :class:`GaussianBernoulliRBM`.

        Example
        -------
        >>> import numpy as np
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> bool(abs(m.log_partition() - 5 * np.log(2)) < 1e-9)
        True
        """
        extra = {k: kwargs.pop(k) for k in ("log_variance",) if k in kwargs}
        W = check_array(W, "W", ndim=2)
        n_vis, n_hid = W.shape
        kwargs.setdefault("n_hidden", n_hid)
        model = cls(**kwargs)
        if model.n_hidden != n_hid:
            raise ValueError(f"n_hidden={model.n_hidden} does not match W's {n_hid} columns")
        model._set_params(
            W,
            check_array(visible_bias, "visible_bias", shape=(n_vis,)),
            check_array(hidden_bias, "hidden_bias", shape=(n_hid,)),
            **extra,
        )
        return model

    def _set_params(self, W, visible_bias, hidden_bias, **extra):
        self._check_hyper()
        self.W_ = np.ascontiguousarray(W, dtype=np.float32)
        self.visible_bias_ = np.ascontiguousarray(visible_bias, dtype=np.float32)
        self.hidden_bias_ = np.ascontiguousarray(hidden_bias, dtype=np.float32)
        if self.n_visible_ % self._visible_group() != 0:
            raise ValueError(
                f"n_visible={self.n_visible_} is not a multiple of n_categories="
                f"{self._visible_group()}"
            )
        if extra:
            raise TypeError(f"unexpected parameters for {type(self).__name__}: {sorted(extra)}")

    def _param_arrays(self) -> dict:
        """Named parameter arrays (what is saved and what training updates)."""
        return {"W": self.W_, "visible_bias": self.visible_bias_, "hidden_bias": self.hidden_bias_}

    def _w64(self):
        return self.W_.astype(np.float64)

    # ------------------------------------------------------------------
    # visible-family hooks (Bernoulli defaults)
    # ------------------------------------------------------------------
    def _visible_group(self) -> int:
        return 1

    def _check_visible(self, v, name="v", dtype=np.float64):
        self._check_fitted()
        arr = check_array(v, name, dtype=dtype, ndim=(1, 2))
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.shape[1] != self.n_visible_:
            raise ValueError(
                f"{name} must have shape (n, {self.n_visible_}) for this model, got {arr.shape}"
            )
        return self._check_visible_values(arr, name)

    def _check_visible_values(self, arr, name):
        return check_binary(arr, name, dtype=arr.dtype)

    def _check_hidden(self, h, name="h"):
        self._check_fitted()
        arr = check_array(h, name, ndim=(1, 2))
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.shape[1] != self.n_hidden:
            raise ValueError(f"{name} must have shape (n, {self.n_hidden}), got {arr.shape}")
        return check_binary(arr, name)

    def _base_rate_bias(self, X, eps=None):
        """Visible natural parameters of the independent (W = 0) model fitted to ``X``."""
        mean = np.asarray(X).mean(axis=0, dtype=np.float64)
        # Shrink towards 1/2 so that never-on pixels get a large finite logit.
        n = np.asarray(X).shape[0]
        eps = 1.0 / (n + 2) if eps is None else eps
        return special.logit(np.clip(mean, eps, 1 - eps))

    def _visible_linear(self, v):
        """``a . T(v) + log h(v)`` per row, float64."""
        return v @ self.visible_bias_.astype(np.float64)

    def _visible_log_partition(self, eta):
        """``sum_i A_vis(eta_i)`` per row of natural parameters ``eta``."""
        return K.softplus_rowsum(eta)

    def _visible_mean_from_natural(self, eta):
        return special.expit(eta)

    def _sample_visible_from_pre(self, pre, rng, row_scale=None, bias=None):
        """Draw ``v`` given ``pre = h W^T`` (float32); returns ``(sample, mean)``."""
        n = pre.shape[0]
        scale = np.ones(n, dtype=np.float32) if row_scale is None else row_scale
        b = self.visible_bias_ if bias is None else bias
        prob = np.empty_like(pre)
        out = np.empty_like(pre)
        K.bernoulli_from_preactivation(pre, scale, b, K.new_key(rng), prob, out)
        return out, prob

    def _visible_log_partition_base(self, bias):
        """``sum_i A_vis(bias_i)`` of the W = 0 model with visible biases ``bias``."""
        return float(self._visible_log_partition(np.asarray(bias, np.float64)[None, :])[0])

    # ------------------------------------------------------------------
    # conditionals and energies
    # ------------------------------------------------------------------
    def _stats(self, v):
        """``T(v)`` seen by the weights (``v`` itself for every family here)."""
        return v

    def hidden_input(self, v) -> np.ndarray:
        """Natural parameters of ``p(h | v)``: ``c + T(v) W``, float64 ``(n, n_hidden)``."""
        v = self._check_visible(v)
        return self._stats(v) @ self._w64() + self.hidden_bias_.astype(np.float64)

    def hidden_probabilities(self, v) -> np.ndarray:
        """``p(h_j = 1 | v) = sigmoid(c_j + T(v) . W[:, j])``."""
        return special.expit(self.hidden_input(v))

    def visible_natural(self, h) -> np.ndarray:
        """Natural parameters of ``p(v | h)``: ``a + W h`` (for ``h`` binary or in [0, 1])."""
        self._check_fitted()
        h = check_array(h, "h", ndim=(1, 2))
        if h.ndim == 1:
            h = h[None, :]
        if h.shape[1] != self.n_hidden:
            raise ValueError(f"h must have shape (n, {self.n_hidden}), got {h.shape}")
        return h @ self._w64().T + self.visible_bias_.astype(np.float64)

    def visible_mean(self, h) -> np.ndarray:
        """``E[v | h]``."""
        return self._visible_mean_from_natural(self.visible_natural(h))

    def sample_hidden(self, v, seed=None) -> np.ndarray:
        """Draw ``h ~ p(h | v)``; float64 0/1 array ``(n, n_hidden)``."""
        rng = check_rng(seed)
        p = self.hidden_probabilities(v)
        return (rng.random(p.shape) < p).astype(np.float64)

    def sample_visible(self, h, seed=None) -> np.ndarray:
        """Draw ``v ~ p(v | h)``."""
        rng = check_rng(seed)
        h = self._check_hidden(h)
        pre = (h.astype(np.float32) @ self.W_.T).astype(np.float32)
        return self._sample_visible_from_pre(pre, rng)[0].astype(np.float64)

    def gibbs(self, v, n_steps: int = 1, seed=None, return_hidden: bool = False):
        """Run ``n_steps`` sweeps of block Gibbs ``h ~ p(h|v)``, ``v ~ p(v|h)`` from ``v``.

        float32 BLAS products and fused numba sampling; returns the final ``v``
        (and the last ``h`` with ``return_hidden``).

        Example
        -------
        >>> import numpy as np
        >>> m = BernoulliRBM.from_params(np.zeros((4, 2)), np.zeros(4), np.zeros(2))
        >>> m.gibbs(np.zeros((3, 4)), n_steps=2, seed=0).shape
        (3, 4)
        """
        rng = check_rng(seed)
        n_steps = check_positive_int(n_steps, "n_steps")
        v32 = self._check_visible(v).astype(np.float32)
        ones = np.ones(v32.shape[0], dtype=np.float32)
        h = np.empty((v32.shape[0], self.n_hidden), dtype=np.float32)
        ph = np.empty_like(h)
        with blas_threads(self.n_threads):
            for _ in range(n_steps):
                pre = v32 @ self.W_
                K.bernoulli_from_preactivation(pre, ones, self.hidden_bias_, K.new_key(rng), ph, h)
                v32, _ = self._sample_visible_from_pre(h @ self.W_.T, rng)
        v = v32.astype(np.float64)
        return (v, h.astype(np.float64)) if return_hidden else v

    def reconstruct(self, v) -> np.ndarray:
        """Mean-field reconstruction ``E[v | h = p(h | v)]``."""
        return self.visible_mean(self.hidden_probabilities(v))

    def free_energy(self, v) -> np.ndarray:
        """``F(v) = -a.T(v) - log h(v) - sum_j softplus(c_j + T(v).W[:, j])`` (float64)."""
        v = self._check_visible(v)
        x = self._stats(v) @ self._w64() + self.hidden_bias_.astype(np.float64)
        return -self._visible_linear(v) - K.softplus_rowsum(x)

    def energy(self, v, h=None) -> np.ndarray:
        """Joint energy ``E(v, h)``; without ``h``, the free energy ``F(v)``."""
        if h is None:
            return self.free_energy(v)
        v = self._check_visible(v)
        h = self._check_hidden(h)
        if h.shape[0] != v.shape[0]:
            raise ValueError(f"v and h must have the same number of rows, got {len(v)}, {len(h)}")
        inter = np.einsum("ij,ij->i", self._stats(v) @ self._w64(), h)
        return -self._visible_linear(v) - h @ self.hidden_bias_.astype(np.float64) - inter

    def log_unnormalized(self, v) -> np.ndarray:
        """``log p~(v) = -F(v)``."""
        return -self.free_energy(v)

    def hidden_log_unnormalized(self, h) -> np.ndarray:
        """``log p~(h) = c . h + sum_i A_vis(a_i + W[i] . h)`` (``v`` summed out)."""
        h = self._check_hidden(h)
        return self._hidden_log_unnormalized(h)

    def _hidden_log_unnormalized(self, h):
        eta = h @ self._w64().T + self.visible_bias_.astype(np.float64)
        return h @ self.hidden_bias_.astype(np.float64) + self._visible_log_partition(eta)

    # ------------------------------------------------------------------
    # exact log Z
    # ------------------------------------------------------------------
    def _can_enumerate_visible(self) -> bool:
        return False

    def exact_layer(self, max_units: int = MAX_EXACT_UNITS) -> str | None:
        """Which layer :meth:`log_partition` enumerates (``"hidden"``/``"visible"``), or None."""
        self._check_fitted()
        n_h = self.n_hidden
        n_v = self.n_visible_ if self._can_enumerate_visible() else None
        if n_v is not None and n_v < n_h and n_v <= max_units:
            return "visible"
        if n_h <= max_units:
            return "hidden"
        return None

    def log_partition(self, max_units: int = MAX_EXACT_UNITS) -> float:
        """Exact ``log Z`` in float64 by enumerating the smaller layer (at most ``max_units``).

        The other layer is summed out analytically: over ``h`` states,
        ``log Z = logsumexp_h [c.h + sum_i A_vis(a_i + W[i].h)]``; over ``v``
        states (binary visibles), ``log Z = logsumexp_v [-F(v)]``. Costs
        ``2**units`` rows of a matrix product, streamed in chunks.
        """
        layer = self.exact_layer(max_units)
        if layer is None:
            raise ValueError(
                f"exact log Z needs a layer with at most {max_units} units; this model has "
                f"n_hidden={self.n_hidden} and n_visible={self.n_visible_}; use boltz.rbm.ais"
            )
        n = self.n_hidden if layer == "hidden" else self.n_visible_
        fn = self._hidden_log_unnormalized if layer == "hidden" else (
            lambda v: -self.free_energy(v))
        total = -np.inf
        for start in range(0, 1 << n, _CHUNK):
            idx = np.arange(start, min(start + _CHUNK, 1 << n), dtype=np.int64)
            total = np.logaddexp(total, special.logsumexp(fn(_bits(idx, n))))
        return float(total)

    def has(self, capability):
        if capability == "log_partition":
            return self.is_fitted and self.exact_layer(AUTO_EXACT_UNITS) is not None
        if capability == "sample":
            return False  # sample() is MCMC (block Gibbs), not exact
        return super().has(capability)

    def pseudo_log_likelihood(self, v) -> np.ndarray:
        """Exact log pseudo-likelihood ``sum_i log p(v_i | v_-i)`` per row (Bernoulli visibles)."""
        raise NotImplementedError(f"{type(self).__name__} has no pseudo-likelihood")


class BernoulliRBM(RBMBase):
    """Bernoulli–Bernoulli RBM: binary visibles ``v in {0,1}^V``, binary hiddens.

    ``F(v) = -a.v - sum_j softplus(c_j + v.W[:, j])``. Also a discrete density
    (``n_variables``, ``support=(0, 1)``), so :mod:`boltz.exact` can enumerate
    small ones. See the module docstring for the constructor arguments.

    Example
    -------
    >>> import numpy as np
    >>> rbm = BernoulliRBM.from_params(np.ones((2, 1)), np.zeros(2), np.zeros(1))
    >>> rbm.free_energy(np.array([[1.0, 1.0]])).round(4).tolist()
    [-2.1269]
    """

    kind = "BernoulliRBM"
    visible_family = Bernoulli
    support = (0, 1)
    _supports_pt = True
    _supports_dynamic_binarization = True
    _binary_visible = True

    @property
    def n_variables(self) -> int:
        return self.n_visible_

    def _can_enumerate_visible(self):
        return True

    def pseudo_log_likelihood(self, v) -> np.ndarray:
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

    Parameters (besides the shared ones)
    ------------------------------------
    variance : float
        The (initial) visible variance.
    learn_variance : bool
        Learn a log-variance per visible unit (attribute ``log_variance_``).

    Example
    -------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(2.0, 0.5, size=(500, 2))
    >>> m = GaussianBernoulliRBM(2, learn_variance=True, n_epochs=3, seed=0).fit(X)
    >>> m.log_variance_.shape
    (2,)
    """

    kind = "GaussianBernoulliRBM"
    visible_family = Gaussian(1.0)

    def __init__(self, n_hidden: int = 256, *, variance: float = 1.0,
                 learn_variance: bool = False, **kwargs):
        kwargs.setdefault("learning_rate", 0.01)
        super().__init__(n_hidden, **kwargs)
        self.variance = variance
        self.learn_variance = learn_variance

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

    def _sample_visible_from_pre(self, pre, rng, row_scale=None, bias=None):
        b = self.visible_bias_ if bias is None else bias
        if row_scale is not None:
            pre = pre * row_scale[:, None]
        var = np.exp(self.log_variance_)
        mean = ((pre + b) * var).astype(np.float32)
        noise = rng.standard_normal(pre.shape, dtype=np.float32)
        return mean + noise * np.sqrt(var).astype(np.float32), mean

    def score(self, v) -> np.ndarray:
        """Score ``grad_v log p~(v) = a - v / var + W sigmoid(c + v W)`` (float64).

        Real-valued visibles make the GB-RBM a continuous density, so gradient
        samplers (e.g. Langevin in :mod:`boltz.deep`) can run on its free energy.
        """
        v = self._check_visible(v)
        W = self._w64()
        h = special.expit(v @ W + self.hidden_bias_.astype(np.float64))
        return self.visible_bias_.astype(np.float64) - v / self.visible_variance_ + h @ W.T

    def _extra_gradients(self, v_pos, v_neg):
        """Gradient of the log-likelihood in ``log_variance_``: ``<v^2 / (2 var)>`` data - model."""
        if not self.learn_variance:
            return {}
        inv = np.exp(-self.log_variance_)
        g = 0.5 * inv * ((v_pos**2).mean(axis=0) - (v_neg**2).mean(axis=0))
        return {"log_variance": g.astype(np.float32)}

    def visible_family_for_unit(self):
        """The :mod:`boltz.expfam` family of the visible units."""
        if self.learn_variance:
            return GaussianLearnedVariance()
        return Gaussian(float(np.exp(self.log_variance_[0])))


class CategoricalRBM(RBMBase):
    """RBM with softmax (one-hot categorical) visible units.

    The visible vector is ``G`` groups of ``n_categories`` one-hot columns
    (build it with :func:`one_hot`); ``p(v_g | h) = softmax(a_g + W_g h)``.
    ``F(v) = -a.v - sum_j softplus(c_j + v.W[:, j])``.

    Example
    -------
    >>> import numpy as np
    >>> X = one_hot(np.random.default_rng(0).integers(0, 3, size=(100, 4)), 3)
    >>> m = CategoricalRBM(4, n_categories=3, n_epochs=2, seed=0).fit(X)
    >>> m.W_.shape
    (12, 4)
    """

    kind = "CategoricalRBM"
    visible_family = Categorical
    _binary_visible = True

    def __init__(self, n_hidden: int = 256, *, n_categories: int = 2, **kwargs):
        super().__init__(n_hidden, **kwargs)
        self.n_categories = n_categories

    def _check_hyper(self):
        super()._check_hyper()
        check_positive_int(self.n_categories, "n_categories")

    def _visible_group(self):
        return int(self.n_categories)

    def init_params(self, n_visible, X=None, seed=None):
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

    def _sample_visible_from_pre(self, pre, rng, row_scale=None, bias=None):
        n = pre.shape[0]
        scale = np.ones(n, dtype=np.float32) if row_scale is None else row_scale
        b = self.visible_bias_ if bias is None else bias
        prob = np.empty_like(pre)
        out = np.empty_like(pre)
        K.categorical_from_preactivation(pre, scale, b, int(self.n_categories), K.new_key(rng),
                                         prob, out)
        return out, prob
