"""scikit-learn-style interface shared by every RBM class (a mixin of :class:`RBMBase`).

``fit``, ``partial_fit``, ``transform``, ``fit_transform``, ``score_samples``,
``score``, ``sample``, ``get_params``/``set_params`` and ``save``/``load``
follow scikit-learn's conventions (the constructor only stores its
arguments, ``fit`` returns ``self``, fitted attributes end in ``_``), so an
RBM drops into a ``sklearn.pipeline.Pipeline`` as a feature extractor;
scikit-learn itself is never imported.

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
"""

from __future__ import annotations

import inspect

import numpy as np

from .._validation import (
    check_array,
    check_choice,
    check_positive_int,
    check_rng,
    check_unit_interval,
)
from ..backend import blas_threads

__all__ = ["RBMEstimatorMixin"]


def _param_names(cls) -> list[str]:
    names = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for p in inspect.signature(init).parameters.values():
            if p.name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            if p.name not in names:
                names.append(p.name)
    return sorted(names)


class RBMEstimatorMixin:
    """Estimator methods; relies on the model math of :class:`~boltz.rbm.model.RBMBase`."""

    # -- parameters -------------------------------------------------------
    @classmethod
    def _get_param_names(cls):
        return _param_names(cls)

    def get_params(self, deep: bool = True) -> dict:
        """Constructor arguments as a dict (scikit-learn convention).

        Parameters
        ----------
        deep : bool, default True
            Ignored (no nested estimators).

        Returns
        -------
        dict
            Argument name -> value.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> BernoulliRBM(n_hidden=7).get_params()["n_hidden"]
        7
        """
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set constructor arguments; returns ``self``.

        Parameters
        ----------
        **params
            Constructor arguments by name (ValueError on an unknown one).

        Returns
        -------
        RBMBase
            ``self``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> BernoulliRBM().set_params(k=3).k
        3
        """
        valid = set(self._get_param_names())
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; "
                    f"valid parameters: {sorted(valid)}"
                )
            setattr(self, name, value)
        return self

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

    def __repr__(self):
        return f"{type(self).__name__}(n_hidden={self.n_hidden!r})"

    # -- training ---------------------------------------------------------
    def _dynamic_binarization(self) -> bool:
        """Whether ``binarize="dynamic"`` is set (checked: ``None`` or ``"dynamic"``)."""
        if self.binarize is None:
            return False
        check_choice(self.binarize, "binarize", {"dynamic"})
        if not self._supports_dynamic_binarization:
            raise ValueError(f"binarize='dynamic' needs Bernoulli visible units; "
                             f"{type(self).__name__} does not support it")
        return True

    def _check_training_data(self, X, name="X"):
        """``X`` (or ``X_val``) as float32: binary, or for ``X`` with
        ``binarize="dynamic"`` probabilities in [0, 1]."""
        # Validate in float32, the training dtype: a float64 copy of MNIST alone
        # is 376 MB and took about a quarter of a 60k-image epoch.
        if name == "X" and self._dynamic_binarization():
            X = check_unit_interval(X, name, ndim=2, dtype=np.float32)
            if self.is_fitted and X.shape[1] != self.n_visible_:
                raise ValueError(f"{name} must have shape (n, {self.n_visible_}) for this "
                                 f"model, got {X.shape}")
            return X
        X = check_array(X, name, ndim=2, dtype=np.float32)
        if self.is_fitted:
            X = self._check_visible(X, name, dtype=np.float32)
        else:
            X = self._check_visible_values(X, name)
        return X

    def fit(self, X, y=None, *, X_val=None, callbacks=None):
        """Initialise and train for ``n_epochs`` epochs on ``X`` ``(n_samples, n_visible)``.

        ``X_val`` (optional) is monitored each ``monitor_every`` epochs and, with
        ``ais_every > 0``, scored by AIS every ``ais_every`` epochs; it drives
        early stopping. ``callbacks`` are ``cb(model, epoch, metrics) -> bool``
        (``True`` stops). Raises :class:`~boltz.rbm.limits.DivergenceError` if
        training diverges. Returns ``self``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_visible)
            Training data (binary, one-hot or real, by the visible family).
        y : None
            Ignored (scikit-learn convention).
        X_val : array_like, shape (n_val, n_visible), optional
            Validation data (monitoring, AIS scores, early stopping).
        callbacks : list of callable, optional
            ``cb(model, epoch, metrics) -> bool``; ``True`` stops training.

        Returns
        -------
        RBMBase
            ``self``, fitted.

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
        n_epochs = check_positive_int(self.n_epochs, "n_epochs")
        X32 = self._check_training_data(X, "X")
        rng = check_rng(self.seed)
        self.init_params(X32.shape[1], X32, seed=rng)
        X_val32 = None if X_val is None else self._check_training_data(X_val, "X_val")
        self.history_ = []
        self.n_iter_ = 0
        with blas_threads(self.n_threads):
            self._trainer = train(self, X32, n_epochs, X_val=X_val32, callbacks=callbacks,
                                  rng=rng)
        return self

    def partial_fit(self, X, y=None):
        """One epoch over ``X`` (initialising on the first call); chains and momentum persist.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_visible)
            Training data (binary, one-hot or real, by the visible family).
        y : None
            Ignored (scikit-learn convention).

        Returns
        -------
        RBMBase
            ``self``.

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
        if not self.is_fitted:
            X = (self._check_training_data(X) if self._dynamic_binarization()
                 else self._check_visible_values(check_array(X, "X", ndim=2), "X"))
            self.init_params(X.shape[1], X, seed=check_rng(self.seed))
            self.history_ = []
            self.n_iter_ = 0
        if not hasattr(self, "history_"):  # fitted by from_params or load
            self.history_ = []
        X32 = self._check_training_data(X)
        trainer = getattr(self, "_trainer", None)
        if (trainer is None or trainer.model is not self
                or trainer.device != self.device):
            trainer = make_trainer(self, X32, check_rng(self.seed))
        with blas_threads(self.n_threads):
            self._trainer = train(self, X32, 1, trainer=trainer,
                                  epoch_offset=getattr(self, "n_iter_", 0))
        return self

    # -- inference --------------------------------------------------------
    def transform(self, X) -> np.ndarray:
        """Hidden-unit probabilities ``p(h = 1 | X)``: features for a downstream model.

        Parameters
        ----------
        X : array_like, shape (n, n_visible)
            Visible data.

        Returns
        -------
        numpy.ndarray, shape (n, n_hidden)
            ``p(h_j = 1 | x)`` per row.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.transform(np.ones((2, 3))).tolist()
        [[0.5, 0.5], [0.5, 0.5]]
        """
        return self.hidden_probabilities(X)

    def fit_transform(self, X, y=None, **fit_params):
        """``fit(X)`` then ``transform(X)``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_visible)
            Training data (binary, one-hot or real, by the visible family).
        y : None
            Ignored (scikit-learn convention).
        **fit_params
            Keyword arguments of :meth:`fit`.

        Returns
        -------
        numpy.ndarray, shape (n_samples, n_hidden)
            The hidden probabilities of ``X`` after fitting.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> X = (np.random.default_rng(0).random((60, 5)) < 0.3).astype(float)
        >>> rbm = BernoulliRBM(n_hidden=3, n_epochs=2, batch_size=20, seed=0)
        >>> rbm.fit_transform(X).shape
        (60, 3)
        """
        return self.fit(X, **fit_params).transform(X)

    def score_samples(self, X, log_z: float | None = None) -> np.ndarray:
        """Log-likelihood ``-F(x) - log Z`` of each row (float64).

        ``log Z`` is exact when a layer has at most 20 units; otherwise pass
        ``log_z`` (e.g. from :func:`boltz.rbm.ais.ais_log_partition`) or call
        :meth:`estimate_log_partition` first, whose AIS estimate is cached as
        ``log_z_`` (note AIS tends to underestimate ``log Z``, so these
        log-likelihoods lean optimistic).

        Parameters
        ----------
        X : array_like, shape (n, n_visible)
            Visible data.
        log_z : float, optional
            ``log Z`` to use (default: exact when possible, else the cached ``log_z_``).

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``log p(x)`` per row (float64).

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> m.score_samples(np.ones((1, 3))).round(4).tolist()  # uniform on 2**3 states
        [-2.0794]
        """
        if log_z is None:
            from .limits import AUTO_EXACT_UNITS

            if self.exact_layer(AUTO_EXACT_UNITS) is not None:
                log_z = self.log_partition()
            elif getattr(self, "log_z_", None) is not None:
                log_z = self.log_z_
            else:
                raise ValueError(
                    "log Z is intractable for this model size; pass log_z= or call "
                    "estimate_log_partition(X_train) first"
                )
        return -self.free_energy(X) - float(log_z)

    def mean_log_likelihood(self, X, log_z: float | None = None) -> float:
        """Average log-likelihood of the rows of ``X`` (see :meth:`score_samples`).

        Not called ``score``: in boltz ``score(x)`` is always the gradient
        ``grad_x log p~(x)`` of the shared density interface (which only the
        real-valued :class:`GaussianBernoulliRBM` has).

        Parameters
        ----------
        X : array_like, shape (n, n_visible)
            Visible data.
        log_z : float, optional
            ``log Z`` to use (see :meth:`score_samples`).

        Returns
        -------
        float
            The mean of ``log p(x)`` over the rows.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.rbm import BernoulliRBM
        >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
        >>> round(m.mean_log_likelihood(np.ones((4, 3))), 4)
        -2.0794
        """
        return float(np.mean(self.score_samples(X, log_z=log_z)))

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

        res = ais_log_partition(self, n_runs=n_runs, n_betas=n_betas, data=data, seed=seed,
                                device=self.device)
        self.log_z_ = res.log_z
        return res

    def sample(self, n: int = 1, seed=None, n_steps: int = 1000, init=None,
               progress: bool = False) -> np.ndarray:
        """Approximate samples: ``n`` block-Gibbs chains run for ``n_steps`` sweeps.

        Chains start from ``init`` (``(n, n_visible)``) or, by default, from
        the independent-units model given by the visible biases. ``progress``
        shows a tqdm bar over the sweeps (off by default).

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
        progress : bool, default False
            Show a tqdm bar over the sweeps.

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
        if init is None:
            h0 = np.zeros((n, self.n_hidden), np.float32)
            init, _ = self._sample_visible_from_pre(h0 @ self.W_.T, rng)
        else:
            init = self._check_visible(init, "init")
            if init.shape[0] != n:
                raise ValueError(f"init must have n={n} rows, got {init.shape[0]}")
        return self.gibbs(init, n_steps=n_steps, seed=rng, progress=progress)

    # -- persistence ------------------------------------------------------
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
