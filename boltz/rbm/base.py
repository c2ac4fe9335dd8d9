"""The shared math of every RBM: :class:`RBMBase` (conditionals, free energy, Gibbs, exact log Z).

The visible family is fixed by subclasses (:mod:`boltz.rbm.kinds`) through the
``_visible_*`` hooks; see :mod:`boltz.rbm.model` for the energy, the
constructor arguments and the public API.

Examples
--------
>>> import numpy as np
>>> from boltz.rbm import BernoulliRBM
>>> from boltz.rbm.base import RBMBase
>>> m = BernoulliRBM.from_params(np.ones((2, 3)), np.zeros(2), np.zeros(3))
>>> isinstance(m, RBMBase), m.exact_layer()
(True, 'visible')
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .._resources import check_memory
from .._validation import (
    check_array,
    check_binary,
    check_positive_int,
    check_positive_scalar,
    check_rng,
)
from ..backend import _kernels as K
from ..backend._threads import deterministic_threads
from ..backend.numpy_backend import NumpyBackend
from ..density import Density
from ..expfam import Bernoulli
from ._docstrings import with_shared_parameters
from .estimator import RBMEstimatorMixin
from .limits import AUTO_EXACT_UNITS, MAX_EXACT_UNITS

__all__ = ["RBMBase", "one_hot"]

_CHUNK = 1 << 13
#: Stateless NumPy primitives for the model's own sampling calls.
_NUMPY = NumpyBackend()


def one_hot(codes, n_categories: int) -> np.ndarray:
    """Integer codes ``(n, G)`` in ``[0, n_categories)`` -> flattened one-hot ``(n, G*K)``.

    Parameters
    ----------
    codes : array_like of int, shape (n, G)
        Category codes in ``[0, n_categories)``.
    n_categories : int
        Number of categories ``K``.

    Returns
    -------
    numpy.ndarray, shape (n, G * K)
        The one-hot encoding, group after group.

    Examples
    --------
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


def store_arguments(model, arguments: dict) -> None:
    """Store every constructor argument as given (scikit-learn's convention: ``__init__``
    only stores; validation happens in ``fit``)."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(model, name, value)


def _bits(idx: np.ndarray, n: int) -> np.ndarray:
    return ((idx[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1).astype(np.float64)


def _warn_partial(what, done, total):
    """Ctrl-C stopped ``what`` after ``done`` of ``total`` sweeps: say so, keep the result."""
    import warnings

    from ..checkpoint import PartialResultWarning

    warnings.warn(PartialResultWarning(
        f"{what} interrupted (Ctrl-C) after {done} of {total} sweeps; returning the state "
        f"after {done} sweeps", done=done, total=total), stacklevel=3)


class RBMBase(RBMEstimatorMixin, Density):
    """Shared math of all RBMs: conditionals, free energy, Gibbs sampling, exact ``log Z``.

    Subclasses fix the visible family by overriding the ``_visible_*`` hooks. The
    constructor parameters every kind shares are written once, in
    ``boltz.rbm._docstrings.RBM_PARAMETERS``, and composed into each kind's docstring.

    Parameters
    ----------
    n_hidden : int, default 256
        Number of hidden units.
    learning_rate : float, default 0.05
        Initial learning rate.
    %(rbm_parameters)s

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.rbm import BernoulliRBM
    >>> X = (np.random.default_rng(0).random((60, 5)) < 0.3).astype(float)
    >>> BernoulliRBM(n_hidden=3, n_epochs=2, batch_size=20, seed=0).fit(X).W_.shape
    (5, 3)
    """
    __doc__ = with_shared_parameters(__doc__)

    #: Name stored in saved files.
    kind = "RBMBase"
    #: The visible exponential family (set per subclass).
    visible_family = Bernoulli
    #: Whether the visible units have an exact pseudo-likelihood (Bernoulli).
    _has_pseudo_likelihood = False
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

    # ------------------------------------------------------------------
    # parameters
    # ------------------------------------------------------------------
    @property
    def is_fitted(self) -> bool:
        """Whether the model has parameters (after ``fit``, ``from_params`` or ``load``)."""
        return getattr(self, "W_", None) is not None

    def _check_fitted(self):
        """Raise scikit-learn's ``NotFittedError`` (a ``ValueError`` and an
        ``AttributeError``, so ``hasattr(model, "n_visible_")`` is False) when unfitted."""
        if not self.is_fitted:
            raise self._not_fitted()

    @property
    def n_visible_(self) -> int:
        """Number of visible units."""
        self._check_fitted()
        return int(self.W_.shape[0])

    @property
    def n_hidden_(self) -> int:
        """Number of hidden units of the fitted model (``n_hidden``, or ``n_components``)."""
        self._check_fitted()
        return int(self.W_.shape[1])

    @property
    def event_shape(self) -> tuple:  # type: ignore[override]
        return (self.n_visible_,) if self.is_fitted else ()

    def _check_hyper(self):
        self._hidden_size()

    def init_params(self, n_visible: int, X=None, seed=None):
        """Initialise ``W_ ~ N(0, init_std^2)``, hidden biases 0 and visible biases from ``X``.

        With data, the visible biases match the data's base rates (Hinton's
        practical guide, section 8); returns ``self``.

        Parameters
        ----------
        n_visible : int
            Number of visible units.
        X : array_like, shape (n, n_visible), optional
            Data whose base rates set the visible biases.
        seed : int, numpy.random.Generator or None
            Random seed (default: the model's ``seed``).

        Returns
        -------
        RBMBase
            ``self``, initialised.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM(n_hidden=2, seed=0).init_params(3)
        >>> m.W_.shape, m.visible_bias_.tolist()
        ((3, 2), [0.0, 0.0, 0.0])
        """
        self._check_hyper()
        n_hidden = self._hidden_size()
        n_visible = check_positive_int(n_visible, "n_visible")
        # W, its momentum and its gradient (float32), before any of them is allocated
        check_memory(3 * 4 * n_visible * int(n_hidden), f"n_hidden={n_hidden}",
                     f"the {n_visible}x{n_hidden} float32 weights, momentum and gradient")
        rng = self._rng() if seed is None else check_rng(seed)
        std = check_positive_scalar(self.init_std, "init_std", allow_zero=True)
        self.W_ = (std * rng.standard_normal((n_visible, n_hidden))).astype(np.float32)
        self.hidden_bias_ = np.zeros(n_hidden, dtype=np.float32)
        self.visible_bias_ = np.zeros(n_visible, dtype=np.float32)
        self.log_z_ = None  # a log Z estimated for earlier parameters is stale
        self.n_features_in_ = self._n_input_features(n_visible)
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

        Parameters
        ----------
        W : array_like, shape (n_visible, n_hidden)
            Weights.
        visible_bias : array_like, shape (n_visible,)
            Visible biases ``a``.
        hidden_bias : array_like, shape (n_hidden,)
            Hidden biases ``c``.
        **kwargs
            Constructor arguments (and ``log_variance`` for a Gaussian RBM).

        Returns
        -------
        RBMBase
            A fitted model of the class it is called on.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> bool(abs(m.log_partition() - 5 * np.log(2)) < 1e-9)
        True
        """
        extra = {k: kwargs.pop(k) for k in ("log_variance",) if k in kwargs}
        W = check_array(W, "W", ndim=2)
        n_vis, n_hid = W.shape
        kwargs.setdefault("n_hidden", n_hid)
        model = cls(**kwargs)
        if model._hidden_size() != n_hid:
            raise ValueError(f"n_hidden={model._hidden_size()} does not match W's {n_hid} columns")
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
        self.log_z_ = None
        self.n_features_in_ = self._n_input_features(self.n_visible_)

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
        if arr.shape[1] != self.n_hidden_:
            raise ValueError(f"{name} must have shape (n, {self.n_hidden_}), got {arr.shape}")
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

    def _sample_visible_from_pre(self, pre, rng, row_scale=None, bias=None, *, bk=None,
                                 params=None):
        """Draw ``v`` given ``pre = h W^T`` (float32); returns ``(sample, mean)``.

        The natural parameters are ``row_scale[:, None] pre + bias`` (``bias``:
        the visible biases by default, or one row of biases per row). ``bk`` is
        the backend (default NumPy) and ``rng`` its random stream; ``params`` the
        parameter arrays on it (default the model's own).
        """
        bk = _NUMPY if bk is None else bk
        b = (self.visible_bias_ if params is None else params["visible_bias"]) \
            if bias is None else bias
        prob, out = bk.bernoulli(pre, row_scale, b, rng)  # row_scale None: 1
        return out, prob

    def _extra_gradients(self, v_pos, v_neg, bk=None, params=None, means=None) -> dict:
        """Log-likelihood gradients of parameters besides ``W`` and the biases (none here).

        ``means``: ``(mean_pos, mean_neg)``, the means over the rows of ``v_pos`` and
        ``v_neg`` (default ``x.mean(0)``; data-parallel training passes each rank's part,
        :meth:`boltz.distributed.rows.RowShard.mean`)."""
        return {}

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
        """Natural parameters of ``p(h | v)``: ``c + T(v) W``, float64 ``(n, n_hidden)``.

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Visible configurations.

        Returns
        -------
        numpy.ndarray, shape (n, n_hidden)
            ``c + T(v) W`` in float64.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.hidden_input(np.ones((1, 3))).tolist()
        [[3.0, 3.0]]
        """
        v = self._check_visible(v)
        return self._stats(v) @ self._w64() + self.hidden_bias_.astype(np.float64)

    def hidden_probabilities(self, v) -> np.ndarray:
        """``p(h_j = 1 | v) = sigmoid(c_j + T(v) . W[:, j])``.

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Visible configurations.

        Returns
        -------
        numpy.ndarray, shape (n, n_hidden)
            The probabilities ``p(h_j = 1 | v)``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.hidden_probabilities(np.zeros((1, 3))).tolist()
        [[0.5, 0.5]]
        """
        return special.expit(self.hidden_input(v))

    def visible_natural(self, h) -> np.ndarray:
        """Natural parameters of ``p(v | h)``: ``a + W h`` (for ``h`` binary or in [0, 1]).

        Parameters
        ----------
        h : array_like, shape (n, n_hidden)
            Hidden configurations (binary, or probabilities in [0, 1]).

        Returns
        -------
        numpy.ndarray, shape (n, n_visible)
            ``a + W h`` in float64.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.visible_natural(np.array([[1.0, 0.0]])).tolist()
        [[1.0, 1.0, 1.0]]
        """
        self._check_fitted()
        h = check_array(h, "h", ndim=(1, 2))
        if h.ndim == 1:
            h = h[None, :]
        if h.shape[1] != self.n_hidden_:
            raise ValueError(f"h must have shape (n, {self.n_hidden_}), got {h.shape}")
        return h @ self._w64().T + self.visible_bias_.astype(np.float64)

    def visible_mean(self, h) -> np.ndarray:
        """``E[v | h]``.

        Parameters
        ----------
        h : array_like, shape (n, n_hidden)
            Hidden configurations (binary, or probabilities in [0, 1]).

        Returns
        -------
        numpy.ndarray, shape (n, n_visible)
            The conditional mean of the visible units.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.visible_mean(np.zeros((1, 2))).tolist()
        [[0.5, 0.5, 0.5]]
        """
        return self._visible_mean_from_natural(self.visible_natural(h))

    def sample_hidden(self, v, seed=None) -> np.ndarray:
        """Draw ``h ~ p(h | v)``; float64 0/1 array ``(n, n_hidden)``.

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Visible configurations.
        seed : int, numpy.random.Generator or None
            Random seed.

        Returns
        -------
        numpy.ndarray, shape (n, n_hidden)
            A float64 0/1 draw.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.sample_hidden(np.ones((4, 3)), seed=0).shape
        (4, 2)
        """
        rng = check_rng(seed)
        p = self.hidden_probabilities(v)
        return (rng.random(p.shape) < p).astype(np.float64)

    def sample_visible(self, h, seed=None) -> np.ndarray:
        """Draw ``v ~ p(v | h)``.

        Parameters
        ----------
        h : array_like, shape (n, n_hidden)
            Hidden configurations (binary, or probabilities in [0, 1]).
        seed : int, numpy.random.Generator or None
            Random seed.

        Returns
        -------
        numpy.ndarray, shape (n, n_visible)
            A float64 draw of the visible units.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.sample_visible(np.zeros((4, 2)), seed=0).shape
        (4, 3)
        """
        rng = check_rng(seed)
        h = self._check_hidden(h)
        pre = (h.astype(np.float32) @ self.W_.T).astype(np.float32)
        return self._sample_visible_from_pre(pre, rng)[0].astype(np.float64)

    def _check_chain_memory(self, n_chains: int, name: str) -> None:
        """ValueError (naming ``name``) when ``n_chains`` Gibbs chains cannot fit in memory:
        visible float32/float64 copies and hidden activations per chain."""
        per_chain = 16 * self.n_visible_ + 12 * int(self.n_hidden)
        check_memory(per_chain * int(n_chains), f"{name}={n_chains}",
                     f"{n_chains} chains of {self.n_visible_} visible and {self.n_hidden} "
                     "hidden units")

    def gibbs(self, v, n_steps: int = 1, seed=None, return_hidden: bool = False,
              progress: bool | None = None, device="model"):
        """Run ``n_steps`` sweeps of block Gibbs ``h ~ p(h|v)``, ``v ~ p(v|h)`` from ``v``.

        On the NumPy backend: float32 BLAS products and fused numba sampling; on
        a torch ``device`` (default: the model's ``device``) the same formulas
        with torch ops. Returns the final ``v`` (and the last ``h`` with
        ``return_hidden``) as float64 NumPy arrays. ``progress`` shows a tqdm
        bar over the sweeps (by default only for long runs). Ctrl-C after the
        first sweep stops at a sweep boundary and returns the state reached,
        with a :class:`~boltz.checkpoint.PartialResultWarning` naming the sweeps
        done (its ``done`` attribute).

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Starting visible states (one chain per row).
        n_steps : int, default 1
            Number of sweeps.
        seed : int, numpy.random.Generator or None
            Random seed.
        return_hidden : bool, default False
            Also return the last hidden states.
        progress : bool or None, default None
            Show a tqdm bar over the sweeps; ``None``: when they come to more than
            about 1e11 multiply-adds (tens of seconds or more).
        device : str, default "model"
            Torch device to run on; ``"model"`` uses the model's ``device``.

        Returns
        -------
        v : numpy.ndarray, shape (n, n_visible)
            The final visible states (float64), after ``n_steps`` sweeps or, on
            Ctrl-C, after the sweeps done.
        h : numpy.ndarray, shape (n, n_hidden)
            The last hidden states, only with ``return_hidden=True``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((4, 2)), np.zeros(4), np.zeros(2))
        >>> m.gibbs(np.zeros((3, 4)), n_steps=2, seed=0).shape
        (3, 4)
        """
        from tqdm.auto import tqdm

        from ..backend import get_backend

        rng = check_rng(seed)
        n_steps = check_positive_int(n_steps, "n_steps")
        if isinstance(v, np.ndarray) and v.ndim == 2:
            self._check_chain_memory(v.shape[0], "v.shape[0]")
        v32 = self._check_visible(v).astype(np.float32)
        bk = get_backend(getattr(self, "device", None) if device == "model" else device)
        stream = bk.stream(rng)
        params = {k: bk.asarray(a) for k, a in self._param_arrays().items()}
        W, c = params["W"], params["hidden_bias"]
        v32 = bk.asarray(v32)
        ones = bk.full(v32.shape[0], 1.0)
        if progress is None:  # a bar when the sweeps come to more than ~1e11 multiply-adds
            progress = 2.0 * n_steps * v32.shape[0] * self.W_.size > 1e11
        h, done = None, 0
        bar = tqdm(range(n_steps), desc="Gibbs", disable=not progress, mininterval=0.5)
        try:
            with deterministic_threads(bk):
                for _ in bar:
                    _, h_new = bk.bernoulli(v32 @ W, ones, c, stream)
                    v_new, _ = self._sample_visible_from_pre(h_new @ W.T, stream, bk=bk,
                                                             params=params)
                    v32, h, done = v_new, h_new, done + 1
        except KeyboardInterrupt:
            if done == 0:
                raise
            _warn_partial("gibbs", done, n_steps)
        finally:
            bar.close()
        v = bk.to_numpy(v32).astype(np.float64)
        return (v, bk.to_numpy(h).astype(np.float64)) if return_hidden else v

    def reconstruct(self, v) -> np.ndarray:
        """Mean-field reconstruction ``E[v | h = p(h | v)]``.

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Visible configurations.

        Returns
        -------
        numpy.ndarray, shape (n, n_visible)
            ``E[v | h = p(h | v)]``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.reconstruct(np.zeros((1, 3))).round(3).tolist()
        [[0.731, 0.731, 0.731]]
        """
        return self.visible_mean(self.hidden_probabilities(v))

    def free_energy(self, v) -> np.ndarray:
        """``F(v) = -a.T(v) - log h(v) - sum_j softplus(c_j + T(v).W[:, j])`` (float64).

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Visible configurations.

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``F(v)`` per row.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.free_energy(np.zeros((1, 3))).round(4).tolist()
        [-1.3863]
        """
        return self._free_energy(self._check_visible(v))

    def _free_energy(self, v):
        """:meth:`free_energy` of checked float64 rows ``v``."""
        x = self._stats(v) @ self._w64() + self.hidden_bias_.astype(np.float64)
        return -self._visible_linear(v) - K.softplus_rowsum(x)

    def energy(self, v, h=None) -> np.ndarray:
        """Joint energy ``E(v, h)``; without ``h``, the free energy ``F(v)``.

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Visible configurations.
        h : array_like, shape (n, n_hidden)
            Hidden configurations (binary); None gives the free energy., optional

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``E(v, h)`` per row, or ``F(v)`` without ``h``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.energy(np.ones((1, 3)), np.ones((1, 2))).tolist()
        [-6.0]
        """
        if h is None:
            return self.free_energy(v)
        v = self._check_visible(v)
        h = self._check_hidden(h)
        if h.shape[0] != v.shape[0]:
            raise ValueError(f"v and h must have the same number of rows, got {len(v)}, {len(h)}")
        inter = np.einsum("ij,ij->i", self._stats(v) @ self._w64(), h)
        return -self._visible_linear(v) - h @ self.hidden_bias_.astype(np.float64) - inter

    def log_unnormalized(self, v) -> np.ndarray:
        """``log p~(v) = -F(v)``.

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Visible configurations.

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``-F(v)`` per row.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.log_unnormalized(np.zeros((1, 3))).round(4).tolist()
        [1.3863]
        """
        return -self.free_energy(v)

    def hidden_log_unnormalized(self, h) -> np.ndarray:
        """``log p~(h) = c . h + sum_i A_vis(a_i + W[i] . h)`` (``v`` summed out).

        Parameters
        ----------
        h : array_like, shape (n, n_hidden)
            Hidden configurations (binary).

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``log p~(h)`` per row.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.hidden_log_unnormalized(np.zeros((1, 2))).round(4).tolist()
        [2.0794]
        """
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
        """Which layer :meth:`log_partition` enumerates (``"hidden"``/``"visible"``), or None.

        Parameters
        ----------
        max_units : int, default MAX_EXACT_UNITS
            The largest layer that may be enumerated.

        Returns
        -------
        str or None
            ``"hidden"``, ``"visible"``, or None when neither layer is small enough.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.exact_layer(), m.exact_layer(max_units=1)
        ('hidden', None)
        """
        self._check_fitted()
        n_h = self.n_hidden_
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

        Parameters
        ----------
        max_units : int, default MAX_EXACT_UNITS
            The largest layer that may be enumerated (else ValueError).

        Returns
        -------
        float
            ``log Z``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> round(m.log_partition(), 4)  # 5 free binary units: 5 log 2
        3.4657
        """
        layer = self.exact_layer(max_units)
        if layer is None:
            raise ValueError(
                f"exact log Z needs a layer with at most {max_units} units; this model has "
                f"n_hidden={self.n_hidden_} and n_visible={self.n_visible_}; use boltz.rbm.ais"
            )
        n = self.n_hidden_ if layer == "hidden" else self.n_visible_
        fn = self._hidden_log_unnormalized if layer == "hidden" else (
            lambda v: -self.free_energy(v))
        total = -np.inf
        for start in range(0, 1 << n, _CHUNK):
            idx = np.arange(start, min(start + _CHUNK, 1 << n), dtype=np.int64)
            total = np.logaddexp(total, special.logsumexp(fn(_bits(idx, n))))
        return float(total)

    def has(self, capability):
        """Whether the model offers ``capability`` (exact ``log_partition``: a small layer).

        Parameters
        ----------
        capability : str
            A capability name of :meth:`boltz.density.Density.has`.

        Returns
        -------
        bool
            Whether it is available on this fitted model.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.has("log_partition"), m.has("sample")
        (True, False)
        """

        if capability == "log_partition":
            return self.is_fitted and self.exact_layer(AUTO_EXACT_UNITS) is not None
        if capability == "sample":
            return False  # sample() is MCMC (block Gibbs), not exact
        return super().has(capability)

    def pseudo_log_likelihood(self, v) -> np.ndarray:
        """Exact log pseudo-likelihood ``sum_i log p(v_i | v_-i)`` per row (Bernoulli visibles).

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Visible configurations.

        Returns
        -------
        numpy.ndarray, shape (n,)
            The log pseudo-likelihood per row (subclasses with Bernoulli visibles).

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.ones((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.pseudo_log_likelihood(np.ones((1, 3))).shape
        (1,)
        """
        raise NotImplementedError(f"{type(self).__name__} has no pseudo-likelihood")
