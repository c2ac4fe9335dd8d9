"""Deep Boltzmann machine with Bernoulli layers: energy, conditionals, block Gibbs, mean field.

Layers ``x_0 = v, x_1 .. x_L`` (``L >= 2``), weights ``W_l`` of shape
``(n_l, n_{l+1})``, a bias ``b_l`` per layer; the energy and every formula on
it are in :mod:`boltz.dbm.formulas` (the odd layers are independent given the
even ones and vice versa, so block Gibbs alternates two half-steps and either
parity sums out in closed form). As a :class:`~boltz.density.DiscreteDensity`
a state is the concatenation ``[v, h_1, ..., h_L]`` of
``n_variables = sum(layer_sizes)`` binary units.

Examples
--------
>>> import numpy as np
>>> from boltz.dbm import DeepBoltzmannMachine
>>> rng = np.random.default_rng(0)
>>> dbm = DeepBoltzmannMachine.from_parameters(
...     [0.5 * rng.standard_normal((6, 4)), 0.5 * rng.standard_normal((4, 3))])
>>> dbm.layer_sizes_
(6, 4, 3)
>>> mu = dbm.mean_field(np.ones((2, 6)))       # one array per hidden layer
>>> [m.shape for m in mu]
[(2, 4), (2, 3)]
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    check_array,
    check_binary,
    check_choice,
    check_nonnegative_int,
    check_positive_int,
    check_positive_scalar,
    check_probability,
    check_rng,
)
from ..density import DiscreteDensity
from . import formulas as F
from .backend import NumpyBackend
from .estimator import LayeredEstimatorMixin
from .exact import exact_free_energy, exact_log_partition
from .persistence import MODEL_KIND, check_parameters, load_dbm, save_dbm
from .presets import PRESETS, get_preset

__all__ = ["DeepBoltzmannMachine"]

_DEFAULT = PRESETS["default"]


class DeepBoltzmannMachine(LayeredEstimatorMixin, DiscreteDensity):
    """Deep Boltzmann machine with Bernoulli visible and hidden layers.

    The constructor stores hyper-parameters only (scikit-learn style);
    :meth:`fit` runs greedy layer-wise pretraining with the weight-doubling
    correction and then joint training (see :mod:`boltz.dbm.training`).
    :meth:`from_parameters` builds a model from given weights.

    Parameters
    ----------
    n_hidden : sequence of int
        Sizes of the hidden layers, at least two (e.g. ``(500, 1000)``).
    learning_rate : float
        Initial learning rate of joint training; decays as ``lr / (1 + t / lr_decay_steps)``.
    n_epochs : int
        Epochs of joint training.
    batch_size : int
        Minibatch size.
    n_chains : int
        Persistent Gibbs chains for the model statistics.
    gibbs_steps : int
        Alternating block-Gibbs sweeps per parameter update.
    mean_field_iters : int
        Maximum mean-field iterations per minibatch (data statistics).
    mean_field_init : {"bottom_up", "persistent"}
        Where each minibatch's mean field starts: the doubled bottom-up pass,
        or each example's means from its last visit (fewer sweeps for the same
        accuracy, ``n_samples x sum(n_hidden)`` stored; see
        :func:`boltz.dbm.training.train_dbm`).
    weight_decay, momentum : float
        L2 penalty on the weights and momentum of the updates.
    lr_decay_steps : float or None
        Updates over which the learning rate halves (``None``: constant), for
        ``lr_schedule="inverse"``.
    lr_schedule : {"inverse", "linear", "linear_time"}
        ``"inverse"``: ``lr / (1 + t / lr_decay_steps)``; ``"linear"``: from
        ``lr`` down to ``final_lr_fraction * lr`` over the ``n_epochs`` of
        training (persistent chains need a small final rate to settle, as for
        RBMs trained with PCD); ``"linear_time"``: the same decay over
        ``max_seconds`` of wall time, for a fixed time budget.
    final_lr_fraction : float
        End point of the linear schedules.
    max_seconds : float or None
        Wall-time budget of joint training: it stops after the epoch during
        which the budget runs out (``None``: after ``n_epochs``). Needed by
        ``lr_schedule="linear_time"``.
    centering : bool
        Train in the centred parametrisation (Montavon & Mueller 2012).
    binarize : {None, "dynamic"} or float
        ``None``: ``X`` is binary. ``"dynamic"``: ``X`` holds probabilities in
        ``[0, 1]`` (e.g. MNIST grey levels); pretraining and joint training
        draw every minibatch afresh from them (less overfitting than one
        fixed binarization), and ``transform`` runs mean field on them. A
        number ``t``: any real ``X`` is replaced by ``X > t``.
    pretrain_epochs : int
        Epochs of CD training per RBM of the greedy stack (0: random init).
    pretrain_learning_rate : float
        Learning rate of the pretraining RBMs.
    dtype : {"float32", "float64"}
        Precision of the parameters during training (log Z is always float64).
    n_threads : int or None
        BLAS threads of joint training (``None``: as configured; 1 on a machine
        shared with other jobs).
    device : str, torch.device or None
        ``None``/``"cpu"``: NumPy. A torch device (``"cuda"``, ``"auto"``,
        ``"cpu-torch"``) runs pretraining, joint training, AIS and the bounds
        there: the same formulas on the torch backend (:mod:`boltz.dbm.backend`;
        torch is imported only then).
    seed : int, Generator or None
    verbose : bool
        Show tqdm progress bars (off by default).

    The defaults are the ``"default"`` preset; :meth:`from_preset` gives the
    others (``"mnist"``: the benchmark's tuned recipe; :mod:`boltz.dbm.presets`).

    Attributes
    ----------
    weights_ : list of ndarray
        ``W_l`` of shape ``(n_l, n_{l+1})``.
    biases_ : list of ndarray
        ``b_l`` of shape ``(n_l,)``, visible bias first.
    history_ : list of dict
        Per-epoch training diagnostics.

    Examples
    --------
    >>> import numpy as np
    >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
    >>> dbm = DeepBoltzmannMachine((3, 2), pretrain_epochs=1, n_epochs=1, batch_size=20,
    ...                            n_chains=10, seed=0).fit(X)
    >>> dbm.layer_sizes_
    (6, 3, 2)
    """

    support = (0, 1)
    model_kind = MODEL_KIND
    _binarize_modes = ("dynamic",)

    def __init__(
        self,
        n_hidden=_DEFAULT["n_hidden"],
        *,
        learning_rate: float = _DEFAULT["learning_rate"],
        n_epochs: int = _DEFAULT["n_epochs"],
        batch_size: int = _DEFAULT["batch_size"],
        n_chains: int = _DEFAULT["n_chains"],
        gibbs_steps: int = _DEFAULT["gibbs_steps"],
        mean_field_iters: int = _DEFAULT["mean_field_iters"],
        mean_field_init: str = _DEFAULT["mean_field_init"],
        weight_decay: float = _DEFAULT["weight_decay"],
        momentum: float = _DEFAULT["momentum"],
        lr_decay_steps: float | None = _DEFAULT["lr_decay_steps"],
        lr_schedule: str = _DEFAULT["lr_schedule"],
        final_lr_fraction: float = _DEFAULT["final_lr_fraction"],
        max_seconds: float | None = _DEFAULT["max_seconds"],
        centering: bool = _DEFAULT["centering"],
        binarize: str | None = _DEFAULT["binarize"],
        pretrain_epochs: int = _DEFAULT["pretrain_epochs"],
        pretrain_learning_rate: float = _DEFAULT["pretrain_learning_rate"],
        dtype: str = _DEFAULT["dtype"],
        n_threads: int | None = None,
        device=None,
        seed=None,
        verbose: bool = False,
    ):
        for name, value in locals().items():  # scikit-learn style: store every argument
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    # ------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------
    @classmethod
    def from_preset(cls, name: str = "default", **overrides):
        """An unfitted model with the named recipe of :mod:`boltz.dbm.presets`.

        Parameters
        ----------
        name : str
            ``"default"`` or ``"mnist"`` (the benchmark's tuned recipe).
        **overrides
            Constructor parameters that replace the preset's.

        Returns
        -------
        DeepBoltzmannMachine

        Examples
        --------
        >>> DeepBoltzmannMachine.from_preset("mnist", n_hidden=(20, 10)).mean_field_iters
        5
        """
        return cls(**{**get_preset(name), **overrides})

    @classmethod
    def from_parameters(cls, weights, biases=None, **params):
        """A fitted model with the given weights ``W_l`` (and biases, zeros by default).

        ``weights[l]`` has shape ``(n_l, n_{l+1})``; at least two weight
        matrices (two hidden layers) are needed.

        Parameters
        ----------
        weights : sequence of array_like
            ``W_l`` of shape ``(n_l, n_{l+1})``, bottom first (two or more).
        biases : sequence of array_like, optional
            One bias vector per layer (default zeros).
        **params
            Constructor arguments.

        Returns
        -------
        DeepBoltzmannMachine
            A fitted model.

        Examples
        --------
        >>> import numpy as np
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 1))])
        >>> m.layer_sizes_
        (3, 2, 1)
        """
        ws, bs = check_parameters(weights, biases)
        sizes = [ws[0].shape[0]] + [w.shape[1] for w in ws]
        params = {"n_hidden": tuple(sizes[1:]), **params}
        model = cls(**params)
        model._set_parameters(ws, bs)
        return model

    def _set_parameters(self, weights, biases):
        self.weights_ = [np.array(w) for w in weights]
        self.biases_ = [np.array(b) for b in biases]
        self.n_visible_ = self.weights_[0].shape[0]
        self.n_features_in_ = self.n_visible_

    def _is_fitted(self) -> bool:
        return hasattr(self, "weights_")

    # ------------------------------------------------------------------
    # shapes and layouts
    # ------------------------------------------------------------------
    @property
    def layer_sizes_(self) -> tuple:
        """``(n_visible, n_1, ..., n_L)``."""
        self._check_fitted()
        return (self.weights_[0].shape[0], *(w.shape[1] for w in self.weights_))

    @property
    def n_layers_(self) -> int:
        """Number of layers including the visible one (``L + 1``)."""
        return len(self.layer_sizes_)

    @property
    def n_variables(self) -> int:  # type: ignore[override]
        return int(sum(self.layer_sizes_))

    def split(self, x) -> list:
        """Split concatenated states ``(n, n_variables)`` into one array per layer.

        Parameters
        ----------
        x : array_like, shape (n, n_variables)
            Concatenated binary states ``[v, h_1, ..., h_L]``.

        Returns
        -------
        list of numpy.ndarray
            One ``(n, n_l)`` array per layer.

        Examples
        --------
        >>> import numpy as np
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 1))])
        >>> [s.shape for s in m.split(np.zeros((4, 6)))]
        [(4, 3), (4, 2), (4, 1)]
        """
        x = self._check_batch(x)
        return np.split(x, np.cumsum(self.layer_sizes_)[:-1], axis=1)

    @staticmethod
    def join(states) -> np.ndarray:
        """Concatenate per-layer states into ``(n, n_variables)``.

        Parameters
        ----------
        states : list of numpy.ndarray
            Per-layer states ``[v, h_1, ..., h_L]``, each ``(n, n_l)``.

        Returns
        -------
        numpy.ndarray, shape (n, n_variables)
            The concatenation.

        Examples
        --------
        >>> import numpy as np
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 1))])
        >>> m.join([np.zeros((4, 3)), np.zeros((4, 2)), np.zeros((4, 1))]).shape
        (4, 6)
        """
        return np.concatenate([np.asarray(s, np.float64) for s in states], axis=1)

    def check_visible(self, v, name: str = "v") -> np.ndarray:
        """Validate a binary batch of visible vectors ``(n, n_visible)``.

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Binary visible vectors.
        name : str, default "v"
            Name used in error messages.

        Returns
        -------
        numpy.ndarray
            The validated batch (ValueError otherwise).

        Examples
        --------
        >>> import numpy as np
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 1))])
        >>> m.check_visible([[1, 0, 1]]).shape
        (1, 3)
        """
        self._check_fitted()
        return check_binary(v, name, shape=(None, self.n_visible_), dtype=self.weights_[0].dtype)

    def _check_states(self, states, name="states"):
        if not isinstance(states, (list, tuple)) or len(states) != self.n_layers_:
            raise ValueError(f"{name} must be a list of {self.n_layers_} arrays (one per layer)")
        out = []
        n = None
        for l, (s, size) in enumerate(zip(states, self.layer_sizes_, strict=True)):
            s = check_array(s, f"{name}[{l}]", shape=(n, size), dtype=self.weights_[0].dtype)
            n = s.shape[0]
            out.append(s)
        return out

    # ------------------------------------------------------------------
    # energy (Density interface)
    # ------------------------------------------------------------------
    def energy_layers(self, states) -> np.ndarray:
        """Energy ``E(v, h_1, ..., h_L)`` of per-layer states; float64, shape ``(n,)``.

        Parameters
        ----------
        states : list of numpy.ndarray
            Per-layer states ``[v, h_1, ..., h_L]``, each ``(n, n_l)``.

        Returns
        -------
        numpy.ndarray, shape (n,)
            The energies.

        Examples
        --------
        >>> m = DeepBoltzmannMachine.from_parameters([np.ones((1, 1)), np.ones((1, 1))])
        >>> m.energy_layers([np.ones((1, 1))] * 3).tolist()
        [-2.0]
        """
        self._check_fitted()
        e = F.energy_layers(self._ops(), self.weights_, self.biases_, states)
        return np.asarray(e, dtype=np.float64)

    def energy(self, x) -> np.ndarray:
        """Joint energy of concatenated states ``[v, h_1, ..., h_L]``; shape ``(n,)``.

        Parameters
        ----------
        x : array_like, shape (n, n_variables)
            Concatenated binary states ``[v, h_1, ..., h_L]``.

        Returns
        -------
        numpy.ndarray, shape (n,)
            The energies.

        Examples
        --------
        >>> import numpy as np
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 1))])
        >>> m.energy(np.ones((1, 6))).tolist()  # zero weights and biases
        [0.0]
        """
        return self.energy_layers(self.split(x))

    def log_partition(self) -> float:
        """Exact ``log Z`` by enumeration (small models only); see :func:`exact_log_partition`.

        Returns
        -------
        float
            ``log Z``.

        Examples
        --------
        >>> import numpy as np
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 1))])
        >>> round(m.log_partition(), 4)  # 6 free units: 6 log 2
        4.1589
        """
        return exact_log_partition(self)

    def free_energy(self, v) -> np.ndarray:
        """Exact ``-log sum_h exp(-E(v, h))`` by enumerating the even hidden layers.

        Only for models whose even hidden layers (2, 4, ...) hold at most 20
        units in all; the odd layers are summed out analytically.

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Binary visible vectors.

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``F(v)``.

        Examples
        --------
        >>> import numpy as np
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 1))])
        >>> m.free_energy(np.ones((1, 3))).round(4).tolist()  # -3 log 2
        [-2.0794]
        """
        return exact_free_energy(self, v)

    # ------------------------------------------------------------------
    # conditionals and block Gibbs
    # ------------------------------------------------------------------
    def layer_input(self, states, l: int) -> np.ndarray:
        """Total input to layer ``l`` given its neighbours' states.

        Parameters
        ----------
        states : list of numpy.ndarray
            Per-layer states ``[v, h_1, ..., h_L]``, each ``(n, n_l)``.
        l : int
            Layer index (0 = visible).

        Returns
        -------
        numpy.ndarray, shape (n, n_l)
            ``b_l + x_{l-1} W_{l-1} + x_{l+1} W_l^T``.

        Examples
        --------
        >>> import numpy as np
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 1))])
        >>> m.layer_input(m.init_states(2, 0), 1).tolist()
        [[0.0, 0.0], [0.0, 0.0]]
        """
        self._check_fitted()
        return F.layer_input(self.weights_, self.biases_, states, l)

    def conditional(self, states, l: int) -> np.ndarray:
        """``p(x_l = 1 | x_{l-1}, x_{l+1})`` for every unit of layer ``l``.

        Parameters
        ----------
        states : list of numpy.ndarray
            Per-layer states ``[v, h_1, ..., h_L]``, each ``(n, n_l)``.
        l : int
            Layer index (0 = visible).

        Returns
        -------
        numpy.ndarray, shape (n, n_l)
            The probabilities.

        Examples
        --------
        >>> import numpy as np
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 1))])
        >>> m.conditional(m.init_states(1, 0), 2).tolist()
        [[0.5]]
        """
        l = check_nonnegative_int(l, "l")
        if l >= self.n_layers_:
            raise ValueError(f"l must be a layer index below {self.n_layers_}, got {l}")
        return F.sigmoid(self.layer_input(states, l))

    @staticmethod
    def _ops(seed=0):
        """The NumPy backend drawing from ``seed`` (the model's own arrays are NumPy)."""
        return NumpyBackend(seed)

    def gibbs_step(self, states, seed=None, clamp_visible: bool = False) -> list:
        """One alternating block-Gibbs sweep: odd layers given even, then even given odd.

        Returns a new list of per-layer states. With ``clamp_visible`` the
        visible layer is kept fixed (sampling the posterior over hidden layers).

        Parameters
        ----------
        states : list of numpy.ndarray
            Per-layer states ``[v, h_1, ..., h_L]``, each ``(n, n_l)``.
        seed : int, numpy.random.Generator or None
            Random seed.
        clamp_visible : bool, default False
            Keep the visible layer fixed.

        Returns
        -------
        list of numpy.ndarray
            The new per-layer states.

        Examples
        --------
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((2, 1)), np.zeros((1, 1))])
        >>> [s.shape for s in m.gibbs_step(m.init_states(3, 0), seed=0)]
        [(3, 2), (3, 1), (3, 1)]
        """
        self._check_fitted()
        return F.gibbs_sweep(self._ops(seed), self.weights_, self.biases_, states,
                             clamp_visible=clamp_visible)

    def init_states(self, n: int, seed=None) -> list:
        """Random initial states: each unit Bernoulli(1/2).

        Parameters
        ----------
        n : int
            Number of chains.
        seed : int, numpy.random.Generator or None
            Random seed.

        Returns
        -------
        list of numpy.ndarray
            Per-layer 0/1 states.

        Examples
        --------
        >>> import numpy as np
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 1))])
        >>> [s.shape for s in m.init_states(4, seed=0)]
        [(4, 3), (4, 2), (4, 1)]
        """
        n = check_positive_int(n, "n")
        rng = check_rng(seed)
        dt = self.weights_[0].dtype
        return [(rng.random((n, k)) < 0.5).astype(dt) for k in self.layer_sizes_]

    def gibbs_sample(self, n: int = 100, n_steps: int = 1000, seed=None, init=None,
                     return_states: bool = False, progress: bool = False):
        """Run ``n`` alternating block-Gibbs chains for ``n_steps`` sweeps.

        Returns the visible layer's ``p(v | h_1)`` of the final sweep (smooth
        images), or the per-layer binary states with ``return_states=True``.
        ``init`` is an optional list of per-layer starting states.

        Parameters
        ----------
        n : int, default 100
            Number of chains.
        n_steps : int, default 1000
            Sweeps.
        seed : int, numpy.random.Generator or None
            Random seed.
        init : list of numpy.ndarray, optional
            Per-layer start states.
        return_states : bool, default False
            Return the binary per-layer states instead.
        progress : bool, default False
            Show a tqdm bar over the sweeps.

        Returns
        -------
        numpy.ndarray or list of numpy.ndarray
            ``p(v | h_1)`` of shape ``(n, n_visible)``, or the per-layer states.

        Examples
        --------
        >>> import numpy as np
        >>> dbm = DeepBoltzmannMachine.from_parameters([np.zeros((4, 3)), np.zeros((3, 2))])
        >>> dbm.gibbs_sample(5, n_steps=2, seed=0).shape
        (5, 4)
        """
        self._check_fitted()
        n_steps = check_nonnegative_int(n_steps, "n_steps")
        rng = check_rng(seed)
        states = self.init_states(n, rng) if init is None else self._check_states(init, "init")
        from tqdm.auto import trange

        from ..backend import deterministic_threads

        # the model's arrays are NumPy: BLAS on one thread, same seed same bits on any count
        with deterministic_threads(None):
            for _ in trange(n_steps, disable=not progress, desc="DBM Gibbs", leave=False):
                states = self.gibbs_step(states, rng)
            return states if return_states else self.conditional(states, 0)

    # ------------------------------------------------------------------
    # mean-field variational inference
    # ------------------------------------------------------------------
    def bottom_up_init(self, v) -> list:
        """Initial mean-field guess by one bottom-up pass with doubled weights.

        Every hidden layer except the top one misses its top-down input, so
        the bottom-up input is doubled (Salakhutdinov & Larochelle 2010).

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Binary visible vectors.

        Returns
        -------
        list of numpy.ndarray
            Means of each hidden layer.

        Examples
        --------
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((2, 1)), np.zeros((1, 1))])
        >>> [mu.tolist() for mu in m.bottom_up_init(np.ones((1, 2)))]
        [[[0.5]], [[0.5]]]
        """
        return F.bottom_up(self._ops(), self.weights_, self.biases_, v)

    def mean_field(self, v, n_iter: int = 50, tol: float = 1e-6, damping: float = 0.0,
                   init="bottom_up", return_info: bool = False):
        """Mean-field posterior ``q(h) = prod Bernoulli(mu)`` given visible vectors ``v``.

        Fixed-point iteration of ``mu_l = sigmoid(b_l + mu_{l-1} W_{l-1} + W_l mu_{l+1})``
        with ``mu_0 = v``: each iteration updates the odd hidden layers, then the
        even ones (block coordinate ascent on the variational bound, which
        therefore never decreases when ``damping == 0``). With ``damping = d``
        a layer moves to ``d * mu_old + (1 - d) * mu_new``.

        Parameters
        ----------
        v : (n, n_visible) binary array
        n_iter : int
            Maximum number of iterations.
        tol : float
            Stop when no mean changes by more than ``tol``.
        damping : float in [0, 1)
        init : "bottom_up", "zeros", "half" or list of arrays
            Starting means of the hidden layers.
        return_info : bool
            Also return ``{"n_iter": ..., "max_change": ...}``.

        Returns
        -------
        list of ndarray
            ``mu_1, ..., mu_L``.

        Examples
        --------
        >>> import numpy as np
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 1))])
        >>> [mu.shape for mu in m.mean_field(np.ones((2, 3)))]
        [(2, 2), (2, 1)]
        """
        v = self.check_visible(v)
        n_iter = check_positive_int(n_iter, "n_iter")
        tol = check_positive_scalar(tol, "tol", allow_zero=True)
        damping = check_probability(damping, "damping", high_open=True)
        n = v.shape[0]
        if isinstance(init, str):
            check_choice(init, "init", {"bottom_up", "zeros", "half"})
            if init == "bottom_up":
                mus = self.bottom_up_init(v)
            else:
                fill = 0.0 if init == "zeros" else 0.5
                mus = [np.full((n, k), fill, dtype=v.dtype) for k in self.layer_sizes_[1:]]
        else:
            if not isinstance(init, (list, tuple)) or len(init) != self.n_layers_ - 1:
                raise ValueError(f"init must be a string or a list of {self.n_layers_ - 1} arrays")
            mus = [check_array(m, f"init[{i}]", shape=(n, k), dtype=v.dtype, copy=True)
                   for i, (m, k) in enumerate(zip(init, self.layer_sizes_[1:], strict=True))]
        mus, it, change = F.mean_field_sweeps(self._ops(), self.weights_, self.biases_, v, mus,
                                              n_iter, tol, damping)
        if return_info:
            return mus, {"n_iter": it, "max_change": change}
        return mus

    def variational_bound_unnormalized(self, v, mus) -> np.ndarray:
        """``-E_q[E(v, h)] + H(q)`` for mean-field means ``mus``; float64, shape ``(n,)``.

        Subtract ``log Z`` to get the lower bound on ``log p(v)``.

        Parameters
        ----------
        v : array_like, shape (n, n_visible)
            Binary visible vectors.
        mus : list of numpy.ndarray
            Mean-field means of the hidden layers.

        Returns
        -------
        numpy.ndarray, shape (n,)
            The unnormalised bound.

        Examples
        --------
        >>> import numpy as np
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 1))])
        >>> v = np.ones((1, 3))
        >>> b = m.variational_bound_unnormalized(v, m.mean_field(v))
        >>> round(float(b[0] - m.log_partition()), 4)  # exact here: -3 log 2
        -2.0794
        """
        v = self.check_visible(v)
        return F.bound_unnormalized(self._ops(), self.weights_, self.biases_, v, mus)

    def _features(self, X) -> np.ndarray:
        """Mean-field means of the top hidden layer (``transform``); ``X`` validated
        (binary, or probabilities with ``binarize="dynamic"``: mean field takes them as given)."""
        v = np.asarray(X, self.weights_[0].dtype)
        mus, _, _ = F.mean_field_sweeps(self._ops(), self.weights_, self.biases_, v,
                                        self.bottom_up_init(v), 50, 1e-6, 0.0)
        return mus[-1]

    def _log_likelihood(self, X) -> np.ndarray:
        """``score_samples``: see :func:`boltz.dbm.estimator.dbm_log_likelihood`."""
        from .estimator import dbm_log_likelihood

        return dbm_log_likelihood(self, X)

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def _fit_binary(self, X, X_val=None, *, checkpoint=None, checkpoint_every=1, resume=False,
                    comm=None):
        """Greedy pretraining with weight doubling, then joint training (``fit``).

        ``X`` is validated: binary, or probabilities with ``binarize="dynamic"``.
        See :func:`boltz.dbm.training.pretrain_dbm` and
        :func:`boltz.dbm.training.train_dbm`. ``checkpoint``/``checkpoint_every``/
        ``resume``: checkpoints of joint training, written every
        ``checkpoint_every`` epochs, at the end and on Ctrl-C, resumed bit for bit
        (:mod:`boltz.dbm.checkpoint`); pass them to ``fit``. ``comm``: joint training
        data-parallel over its ranks (pretraining is repeated on every rank), see
        :func:`boltz.dbm.training.fit_dbm`.
        """
        F.check_hidden_sizes(self.n_hidden)
        from ..backend import is_torch_device
        from .training import fit_dbm

        if is_torch_device(self.device):
            from .._validation import import_torch

            import_torch(f"DeepBoltzmannMachine(device={self.device!r})")

        return fit_dbm(self, X, X_val=X_val, checkpoint=checkpoint,
                       checkpoint_every=checkpoint_every, resume=resume, comm=comm)

    # ------------------------------------------------------------------
    # persistence
    # ------------------------------------------------------------------
    def save(self, path):
        """Save to ``path`` (``.npz`` + JSON metadata, no pickle); returns the path written.

        Parameters
        ----------
        path : str or os.PathLike
            Target file.

        Returns
        -------
        pathlib.Path
            The path written.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 2))])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     DeepBoltzmannMachine.load(m.save(pathlib.Path(d) / "m.npz")).layer_sizes_
        (3, 2, 2)
        """
        self._check_fitted()
        return save_dbm(self, path)

    @classmethod
    def load(cls, path):
        """Load a model written by :meth:`save`; raises ``ModelFileError`` for bad files.

        Parameters
        ----------
        path : str or os.PathLike
            A file written by :meth:`save`.

        Returns
        -------
        DeepBoltzmannMachine
            The model.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import numpy as np
        >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 2))])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     DeepBoltzmannMachine.load(m.save(pathlib.Path(d) / "m.npz")).layer_sizes_
        (3, 2, 2)
        """
        return load_dbm(cls, path)

