"""The scikit-learn estimator surface shared by every RBM (a base of :class:`RBMBase`).

The RBMs are scikit-learn estimators built on scikit-learn's own machinery
(``BaseEstimator``, ``TransformerMixin``, ``validate_data``, tags): they pass
``sklearn.utils.estimator_checks``, clone, grid-search and pipeline like any
transformer. What they take as ``X``:

- scipy.sparse input is accepted and densified (float32 for training; the
  model's products are dense anyway);
- float32 input stays float32 through ``transform``; integers become float64;
- :class:`BernoulliRBM`: values in ``[0, 1]``. Binary rows are data; grey
  values are probabilities: ``fit`` uses them as given in the positive phase
  (mean-field data, as scikit-learn's ``BernoulliRBM``), or draws them afresh
  every minibatch with ``binarize="dynamic"`` (``ValueError`` naming ``X``
  outside [0, 1]); a number ``binarize=t`` maps any real ``X`` to ``X > t``
  first (as scikit-learn's ``BernoulliNB(binarize=t)``). Without ``binarize``,
  values outside [0, 1] are taken as given, as scikit-learn's ``BernoulliRBM``
  takes them, with an :class:`~boltz.rbm.kinds.OutOfRangeWarning`;
- :class:`GaussianBernoulliRBM`: any finite real ``X``;
- :class:`CategoricalRBM`: one-hot groups, or with ``bin_edges`` one real or
  integer-coded column per group.

``score(X)`` is the mean log-likelihood (float): exact when the smaller layer
has at most 20 units, else with the AIS estimate of ``log Z`` (cached in
``log_z_`` by :meth:`~RBMEstimatorMixin.estimate_log_partition`, else run
with ``ais_runs``/``ais_betas``). scikit-learn's names ``n_components``,
``n_iter`` and ``random_state`` are accepted as aliases of ``n_hidden``,
``n_epochs`` and ``seed`` (when not ``None`` they take precedence), so code
written for ``sklearn.neural_network.BernoulliRBM`` runs unchanged.

Examples
--------
>>> import numpy as np
>>> from boltz.rbm import BernoulliRBM
>>> X = (np.random.default_rng(0).random((100, 8)) < 0.5).astype(float)
>>> rbm = BernoulliRBM(n_hidden=4, n_epochs=2, seed=0)
>>> rbm.get_params()["n_hidden"]
4
>>> rbm.set_params(learning_rate=0.1).fit(X).transform(X).shape
(100, 4)
>>> isinstance(rbm.score(X), float)
True
"""

from __future__ import annotations

import numpy as np
from scipy import sparse, special
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_choice, check_positive_int, check_rng, import_torch
from ..backend import blas_threads, is_torch_device

__all__ = ["RBMEstimatorMixin"]

_SPARSE_FORMATS = ("csr", "csc", "coo")


class RBMEstimatorMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Estimator methods; relies on the model math of :class:`~boltz.rbm.base.RBMBase`."""

    # -- scikit-learn aliases -------------------------------------------------
    def _hidden_size(self) -> int:
        """``n_components`` when given (scikit-learn's name), else ``n_hidden``."""
        if getattr(self, "n_components", None) is not None:
            return check_positive_int(self.n_components, "n_components")
        return check_positive_int(self.n_hidden, "n_hidden")

    def _epochs(self) -> int:
        """``n_iter`` when given (scikit-learn's name), else ``n_epochs``."""
        if getattr(self, "n_iter", None) is not None:
            return check_positive_int(self.n_iter, "n_iter")
        return check_positive_int(self.n_epochs, "n_epochs")

    def _rng(self) -> np.random.Generator:
        """A generator from ``random_state`` when given (scikit-learn's name), else ``seed``.

        A ``numpy.random.RandomState`` (accepted as scikit-learn accepts it) seeds a
        new generator with one draw from it, so it advances between fits.
        """
        rs = getattr(self, "random_state", None)
        if isinstance(rs, np.random.RandomState):
            return np.random.default_rng(rs.randint(0, 2**31 - 1))
        if rs is not None:
            return check_rng(rs, "random_state")
        return check_rng(self.seed, "seed")

    #: boltz's values of the training arguments whose default is None.
    _training_defaults = {"batch_size": 100, "momentum": 0.5, "learning_rate": 0.05}
    #: scikit-learn's values of them, for models configured with scikit-learn's names
    #: (:meth:`_sklearn_style`); ``None``: boltz's values apply either way.
    _sklearn_training_defaults = None

    def _sklearn_style(self) -> bool:
        """Whether the model is configured with scikit-learn's names (``n_components`` or
        ``n_iter`` given): then training arguments left at None take scikit-learn's
        defaults. ``random_state`` alone does not count: scikit-learn's tools set it on
        any estimator, and a seed must not change the algorithm."""
        return (getattr(self, "n_components", None) is not None
                or getattr(self, "n_iter", None) is not None)

    def _training_setting(self, name: str):
        """The value of training argument ``name`` (``batch_size``, ``momentum``,
        ``learning_rate``): as given, or for None the default of the naming style."""
        value = getattr(self, name)
        if value is not None:
            return value
        if self._sklearn_training_defaults is not None and self._sklearn_style():
            return self._sklearn_training_defaults[name]
        return self._training_defaults[name]

    @classmethod
    def from_preset(cls, name: str, **overrides):
        """A new (unfitted) model with the settings of preset ``name`` (:mod:`boltz.rbm.presets`).

        Parameters
        ----------
        name : str
            A preset name, e.g. ``"mnist-pcd"``.
        **overrides
            Constructor arguments replacing the preset's.

        Returns
        -------
        RBMBase
            ``cls(**settings)``; the preset's ``kind`` must match ``cls``.

        Examples
        --------
        >>> from boltz.rbm import BernoulliRBM
        >>> BernoulliRBM.from_preset("mnist-pcd", max_seconds=60).final_lr_fraction
        0.01
        """
        from .presets import preset

        settings = preset(name, **overrides)
        kind = settings.pop("kind")
        if getattr(cls, "preset_kind", None) != kind:
            raise ValueError(f"preset {name!r} is for kind {kind!r}, not {cls.__name__}")
        return cls(**settings)

    # -- scikit-learn protocol -------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return self.is_fitted

    @property
    def _n_features_out(self) -> int:
        """Number of features ``transform`` returns (the hidden units)."""
        return int(self.W_.shape[1])

    @property
    def components_(self) -> np.ndarray:
        """scikit-learn's name: the weights as ``(n_hidden, n_visible)``, a view of ``W_.T``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2)).components_.shape
        (2, 3)
        """
        self._check_fitted()
        return self.W_.T

    @property
    def intercept_hidden_(self) -> np.ndarray:
        """scikit-learn's name for ``hidden_bias_``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.ones(2)).intercept_hidden_
        array([1., 1.], dtype=float32)
        """
        self._check_fitted()
        return self.hidden_bias_

    @property
    def intercept_visible_(self) -> np.ndarray:
        """scikit-learn's name for ``visible_bias_``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> BernoulliRBM.from_params(np.zeros((3, 2)), np.ones(3), np.zeros(2)).intercept_visible_
        array([1., 1., 1.], dtype=float32)
        """
        self._check_fitted()
        return self.visible_bias_

    def _not_fitted(self):
        return NotFittedError(
            f"this {type(self).__name__} has no parameters yet; call fit(X) or from_params(...)")

    # -- input ------------------------------------------------------------------
    def _dynamic_binarization(self) -> bool:
        """Whether ``binarize="dynamic"`` is set."""
        b = self.binarize
        if b is None or (isinstance(b, (int, float, np.number)) and not isinstance(b, bool)):
            return False
        check_choice(b, "binarize", {"dynamic"})
        if not self._supports_dynamic_binarization:
            raise ValueError(f"binarize='dynamic' needs Bernoulli visible units; "
                             f"{type(self).__name__} does not support it")
        return True

    def _validate_X(self, X, *, reset: bool, name: str = "X"):
        """``X`` checked by scikit-learn (2-D, finite, not complex, feature count and names),
        densified, then mapped to the visible units of this kind (:meth:`_prepare_visible`)."""
        if name == "X":
            X = validate_data(self, X, reset=reset, accept_sparse=_SPARSE_FORMATS,
                              dtype=(np.float64, np.float32))
        else:
            from sklearn.utils import check_array as sk_check_array

            X = sk_check_array(X, accept_sparse=_SPARSE_FORMATS, dtype=(np.float64, np.float32),
                               input_name=name)
            if X.shape[1] != self.n_features_in_:
                raise ValueError(f"{name} has {X.shape[1]} features, but {type(self).__name__} "
                                 f"is expecting {self.n_features_in_} features as input")
        if sparse.issparse(X):
            X = X.toarray()
        return self._prepare_visible(X, name)

    def _prepare_visible(self, X, name):
        """Map validated input to visible units (identity; kinds override)."""
        return X

    def _n_input_features(self, n_visible: int) -> int:
        """Input columns that map to ``n_visible`` visible units (equal; kinds override)."""
        return n_visible

    # -- training ---------------------------------------------------------------
    def _check_device(self):
        """A torch ``device`` needs torch: a clear ``ImportError`` before any work."""
        if is_torch_device(self.device):
            import_torch(f"{type(self).__name__}(device={self.device!r})")

    def _note_training_data(self, X32):
        """Hook: what the data says about the training path (see BernoulliRBM)."""

    def fit(self, X, y=None, *, X_val=None, callbacks=None, checkpoint=None,
            checkpoint_every=1, resume=False, comm=None):
        """Initialise and train for ``n_epochs`` (alias ``n_iter``) epochs on ``X``.

        Parameters
        ----------
        X : array-like or sparse matrix, shape (n_samples, n_features)
            Training data (see the module docstring for what each kind takes).
        y : ignored
            Accepted for scikit-learn's API.
        X_val : array-like, optional
            Monitored each ``monitor_every`` epochs and, with ``ais_every > 0``,
            scored by AIS every ``ais_every`` epochs; drives early stopping.
        callbacks : sequence of callables, optional
            ``cb(model, epoch, metrics) -> bool`` (``True`` stops).
        checkpoint : str or path-like, optional
            Save the whole run there every ``checkpoint_every`` epochs, at the end
            and on Ctrl-C (:mod:`boltz.rbm.checkpoint`).
        checkpoint_every : int
            Epochs between checkpoints.
        resume : bool
            Continue the run saved at ``checkpoint`` (or start afresh when no file
            exists yet), bit for bit the run that was interrupted.
        comm : Communicator, optional
            Data-parallel training over the ranks of a :mod:`boltz.distributed`
            communicator (``init_torch_distributed()`` under ``torchrun``): every rank
            calls ``fit`` with the same ``X`` and ``seed``, takes its rows of each
            global minibatch of ``batch_size`` rows and its ``n_chains / world_size``
            persistent chains, and the gradient statistics are summed over ranks
            before each update, so every rank ends with the model one process would
            train (equal up to float rounding). ``batch_size`` and ``n_chains`` must
            be multiples of ``world_size``; ``method="pt"`` and ``checkpoint`` are
            refused (``ValueError``). Default: one process.

        Returns
        -------
        self
            Raises :class:`~boltz.rbm.limits.DivergenceError` if training diverges.
            Ctrl-C stops at a minibatch boundary with the parameters of the last
            complete update and raises :class:`~boltz.checkpoint.TrainingInterrupted`
            (a ``KeyboardInterrupt``; its ``checkpoint`` attribute is the file written).

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> X = (np.random.default_rng(0).random((60, 5)) < 0.3).astype(float)
        >>> rbm = BernoulliRBM(n_hidden=3, n_epochs=2, batch_size=20, seed=0)
        >>> rbm.fit(X).n_iter_
        2
        """
        from .training import train

        self._check_hyper()
        self._check_device()
        n_epochs = self._epochs()
        X32 = np.asarray(self._validate_X(X, reset=True), np.float32)
        rng = self._rng()
        self.init_params(X32.shape[1], X32, seed=rng)
        self._note_training_data(X32)
        X_val32 = None if X_val is None else np.asarray(
            self._validate_X(X_val, reset=False, name="X_val"), np.float32)
        self.history_ = []
        self.n_iter_ = 0
        with blas_threads(self.n_threads):
            self._trainer = train(self, X32, n_epochs, X_val=X_val32, callbacks=callbacks,
                                  rng=rng, checkpoint=checkpoint,
                                  checkpoint_every=checkpoint_every, resume=resume, comm=comm)
        return self

    def partial_fit(self, X, y=None):
        """One epoch over ``X`` (initialising on the first call); chains and momentum persist.

        Parameters
        ----------
        X : array-like or sparse matrix, shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> X = (np.random.default_rng(0).random((60, 5)) < 0.3).astype(float)
        >>> rbm = BernoulliRBM(n_hidden=3, n_epochs=2, batch_size=20, seed=0)
        >>> rbm.partial_fit(X).partial_fit(X).n_iter_
        2
        """
        from .training import make_trainer, train

        if self.lr_schedule == "linear_time":
            raise ValueError("lr_schedule='linear_time' decays over the time budget of one fit "
                             "call; partial_fit trains one epoch per call (use fit)")
        self._check_device()
        first = not self.is_fitted
        X32 = np.asarray(self._validate_X(X, reset=first), np.float32)
        if first:
            self.init_params(X32.shape[1], X32, seed=self._rng())
            self.history_ = []
            self.n_iter_ = 0
        if not hasattr(self, "history_"):  # fitted by from_params or load
            self.history_ = []
        self._note_training_data(X32)
        trainer = getattr(self, "_trainer", None)
        if (trainer is None or trainer.model is not self
                or trainer.device != self.device):
            trainer = make_trainer(self, X32, self._rng())
        trainer.binary = trainer.binary and bool(self._binary_visible)
        with blas_threads(self.n_threads):
            self._trainer = train(self, X32, 1, trainer=trainer,
                                  epoch_offset=getattr(self, "n_iter_", 0))
        return self

    # -- inference --------------------------------------------------------------
    def transform(self, X):
        """Hidden-unit probabilities ``p(h = 1 | X)``: features for a downstream model.

        Parameters
        ----------
        X : array-like or sparse matrix, shape (n_samples, n_features)
            For :class:`BernoulliRBM`, grey values in ``[0, 1]`` are mean-field
            input (the same formula with probabilities in place of bits).

        Returns
        -------
        ndarray, shape (n_samples, n_hidden)
            float32 for float32 input, else float64.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.transform(np.ones((2, 3))).tolist()
        [[0.5, 0.5], [0.5, 0.5]]
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        if X.dtype == np.float32:
            pre = self._stats(X) @ self.W_ + self.hidden_bias_
            return special.expit(pre).astype(np.float32, copy=False)
        X = np.asarray(X, np.float64)
        return special.expit(self._stats(X) @ self._w64() + self.hidden_bias_.astype(np.float64))

    def _log_z_for_scoring(self, log_z):
        from .._checks import check_optional_finite
        from .limits import AUTO_EXACT_UNITS

        log_z = check_optional_finite(log_z, "log_z")
        if log_z is not None:
            return float(log_z)
        if self.exact_layer(AUTO_EXACT_UNITS) is not None:
            return self.log_partition()
        if getattr(self, "log_z_", None) is not None:
            return float(self.log_z_)
        from .ais import ais_log_partition

        return ais_log_partition(self, n_runs=self.ais_runs, n_betas=self.ais_betas,
                                 seed=self._rng(), device=self.device).log_z

    def score_samples(self, X, log_z: float | None = None) -> np.ndarray:
        """Log-likelihood ``-F(x) - log Z`` of each row (float64).

        ``log Z`` is exact when a layer has at most 20 units; otherwise it is
        ``log_z`` if given, else the AIS estimate cached by
        :meth:`estimate_log_partition`, else a fresh AIS estimate with
        ``ais_runs`` runs and ``ais_betas`` temperatures (AIS tends to
        underestimate ``log Z``, so these log-likelihoods lean optimistic).
        For :class:`BernoulliRBM` rows of grey values the same formula is
        evaluated at the probabilities (binarize them first for a likelihood).

        Parameters
        ----------
        X : array-like or sparse matrix, shape (n_samples, n_features)
        log_z : float, optional

        Returns
        -------
        ndarray, shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.score_samples(np.ones((1, 3))).round(4).tolist()  # uniform on 2**3 states
        [-2.0794]
        """
        check_is_fitted(self)
        v = np.asarray(self._validate_X(X, reset=False), np.float64)
        return -self._free_energy(v) - self._log_z_for_scoring(log_z)

    def score(self, X, y=None, log_z: float | None = None) -> float:
        """Mean log-likelihood of the rows of ``X`` (see :meth:`score_samples`).

        Parameters
        ----------
        X : array-like or sparse matrix, shape (n_samples, n_features)
        y : ignored
        log_z : float, optional

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> round(m.score(np.ones((4, 3))), 4)  # uniform on 2**3 states
        -2.0794
        """
        return float(np.mean(self.score_samples(X, log_z=log_z)))

    def mean_log_likelihood(self, X, log_z: float | None = None) -> float:
        """Same as :meth:`score` (kept for existing callers).

        Parameters
        ----------
        X : array-like or sparse matrix, shape (n_samples, n_features)
        log_z : float, optional

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> round(m.mean_log_likelihood(np.ones((4, 3))), 4)
        -2.0794
        """
        return self.score(X, log_z=log_z)

    def estimate_log_partition(self, data=None, n_runs: int = 100, n_betas: int = 14500,
                               seed=None):
        """Estimate ``log Z`` by AIS, store it as ``log_z_`` and return the AIS result.

        Parameters
        ----------
        data : array_like, shape (n, n_visible), optional
            Data whose base rates set the AIS start distribution.
        n_runs : int, default 100
            Number of AIS chains.
        n_betas : int, default 14500
            Number of intermediate temperatures.
        seed : int, numpy.random.Generator or None
            Random seed.

        Returns
        -------
        AISResult
            The estimate and its error bars (:class:`boltz.rbm.AISResult`).

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> res = m.estimate_log_partition(n_runs=10, n_betas=50, seed=0)
        >>> round(res.log_z, 4), round(m.log_z_, 4)  # exact: 5 log 2
        (3.4657, 3.4657)
        """
        from .ais import ais_log_partition

        self._check_device()
        res = ais_log_partition(self, n_runs=n_runs, n_betas=n_betas, data=data, seed=seed,
                                device=self.device)
        self.log_z_ = res.log_z
        return res

    def sample(self, n: int = 1, seed=None, n_steps: int = 1000, init=None,
               progress: bool | None = None) -> np.ndarray:
        """Approximate samples: ``n`` block-Gibbs chains run for ``n_steps`` sweeps.

        Chains start from ``init`` (``(n, n_visible)``) or, by default, from
        the independent-units model given by the visible biases. ``progress``
        shows a tqdm bar over the sweeps (by default only for long runs); Ctrl-C
        returns the states reached, with a warning (see ``gibbs``).

        Parameters
        ----------
        n : int, default 1
            Number of chains (samples).
        seed : int, numpy.random.Generator or None
            Random seed.
        n_steps : int, default 1000
            Gibbs sweeps per chain.
        init : array_like, shape (n, n_visible), optional
            Starting states.
        progress : bool or None, default None
            Show a tqdm bar over the sweeps (``None``: for long runs).

        Returns
        -------
        numpy.ndarray, shape (n, n_visible)
            The final states (float64).

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.sample(4, seed=0, n_steps=10).shape
        (4, 3)
        """
        self._check_fitted()
        rng = check_rng(seed)
        n = check_positive_int(n, "n")
        self._check_chain_memory(n, "n")
        if init is None:
            h0 = np.zeros((n, self.n_hidden_), np.float32)
            init, _ = self._sample_visible_from_pre(h0 @ self.W_.T, rng)
        else:
            init = self._check_visible(init, "init")
            if init.shape[0] != n:
                raise ValueError(f"init must have n={n} rows, got {init.shape[0]}")
        return self.gibbs(init, n_steps=n_steps, seed=rng, progress=progress)

    # -- persistence --------------------------------------------------------------
    def save(self, path):
        """Save parameters and constructor arguments to ``path`` (``.npz`` + JSON, no pickle).

        Parameters
        ----------
        path : str or os.PathLike
            Target file (``.npz``).

        Returns
        -------
        pathlib.Path
            The path written.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> import os, tempfile
        >>> path = m.save(os.path.join(tempfile.mkdtemp(), "m.npz"))
        >>> BernoulliRBM.load(path).W_.shape
        (3, 2)
        """
        from ..io import save_model

        self._check_fitted()
        # where it ran (device) is not part of the model: a file loads and runs anywhere
        params = {k: v for k, v in self.get_params().items()
                  if (v is None or isinstance(v, (bool, int, float, str))) and k != "device"}
        if getattr(self, "bin_edges", None) is not None:
            params["bin_edges"] = [float(e) for e in self.bin_edges]
        extra = {"history": getattr(self, "history_", []), "n_iter": getattr(self, "n_iter_", 0)}
        return save_model(path, self.kind, self._param_arrays(), params, extra)

    @classmethod
    def load(cls, path):
        """Load a model saved by :meth:`save`; fails clearly on another model kind or a bad file.

        Parameters
        ----------
        path : str or os.PathLike
            A file written by :meth:`save`.

        Returns
        -------
        RBMBase
            The fitted model (ModelFileError on a bad file).

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> import os, tempfile
        >>> path = m.save(os.path.join(tempfile.mkdtemp(), "m.npz"))
        >>> BernoulliRBM.load(path).n_visible_
        3
        """
        from ..io import ModelFileError, load_model

        arrays, meta = load_model(path, cls.kind)
        if getattr(arrays.get("W"), "ndim", 0) == 2:  # metadata must agree with the arrays
            from ..io import check_metadata

            check_metadata(path, meta, {"params.n_hidden": arrays["W"].shape[1]})
        try:
            model = cls(**meta["params"])
            W = arrays.pop("W")
            vb, hb = arrays.pop("visible_bias"), arrays.pop("hidden_bias")
            extra = {k: arrays[k] for k in arrays}
            if W.ndim != 2 or vb.shape != (W.shape[0],) or hb.shape != (W.shape[1],):
                raise ValueError(f"inconsistent shapes W {W.shape}, biases {vb.shape}, {hb.shape}")
            model._set_params(W, vb, hb, **extra)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: malformed {cls.kind} file ({exc})") from None
        for name, arr in model._param_arrays().items():
            if not np.all(np.isfinite(arr)):
                raise ModelFileError(f"{path}: parameter {name} contains NaN or inf")
        model.history_ = list(meta.get("extra", {}).get("history", []))
        model.n_iter_ = int(meta.get("extra", {}).get("n_iter", 0))
        return model
