"""Deep Boltzmann machine with Bernoulli layers: energy, conditionals, block Gibbs, mean field.

Layers are ``x_0 = v`` (visible) and ``x_1 .. x_L`` (hidden, ``L >= 2``), with
weights ``W_l`` of shape ``(n_l, n_{l+1})`` between neighbouring layers and a
bias ``b_l`` per layer. The joint energy is (Salakhutdinov & Hinton 2009, eq. 1)

    E(v, h_1, ..., h_L) = - sum_l b_l . x_l - sum_{l<L} x_l^T W_l x_{l+1}.

Units of one layer are conditionally independent given the two neighbouring
layers, ``p(x_l = 1 | rest) = sigmoid(b_l + x_{l-1} W_{l-1} + W_l x_{l+1})``, and
the odd layers (1, 3, ...) are independent given the even layers (0, 2, ...)
and vice versa. So block Gibbs alternates two half-steps, and either parity can
be summed out in closed form (softplus), which is what exact enumeration and
AIS use.

As a :class:`~boltz.density.DiscreteDensity` a state is the concatenation
``[v, h_1, ..., h_L]`` of ``n_variables = sum(layer_sizes)`` binary units.

Example
-------
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

from collections.abc import Sequence

import numpy as np
from scipy import special

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
from ..expfam import softplus

__all__ = ["DeepBoltzmannMachine", "sigmoid", "check_hidden_sizes"]

MODEL_KIND = "DeepBoltzmannMachine"


def sigmoid(x):
    """Logistic function, computed without overflow warnings.

    Float arrays with at least one dimension use the RBM package's SIMD route
    (:func:`boltz.rbm._kernels.logistic`); anything else ``scipy.special.expit``.
    """
    if (isinstance(x, np.ndarray) and x.ndim >= 1 and x.size
            and x.dtype in (np.float32, np.float64)):
        from ..rbm._kernels import logistic

        return logistic(x)
    return special.expit(x)


def check_hidden_sizes(n_hidden, name: str = "n_hidden", min_layers: int = 2) -> tuple:
    """Check a sequence of at least ``min_layers`` positive hidden-layer sizes."""
    if isinstance(n_hidden, (int, np.integer)) or not isinstance(n_hidden, Sequence | np.ndarray):
        raise TypeError(f"{name} must be a sequence of layer sizes, got {n_hidden!r}")
    sizes = tuple(check_positive_int(n, f"{name}[{i}]") for i, n in enumerate(n_hidden))
    if len(sizes) < min_layers:
        raise ValueError(f"{name} must list at least {min_layers} hidden layers, got {len(sizes)}")
    return sizes


def _bernoulli_entropy(mu):
    """Entropy (nats) of independent Bernoulli units, summed over the last axis."""
    mu = np.asarray(mu, dtype=np.float64)
    return -(special.xlogy(mu, mu) + special.xlogy(1.0 - mu, 1.0 - mu)).sum(axis=-1)


def layer_input(weights, biases, states, l):
    """Total input ``b_l + x_{l-1} W_{l-1} + x_{l+1} W_l^T`` to layer ``l``.

    ``states`` is a list with one ``(n, n_k)`` array per layer; only layers
    ``l - 1`` and ``l + 1`` are read.
    """
    total = biases[l]
    if l > 0:
        total = total + states[l - 1] @ weights[l - 1]
    if l < len(biases) - 1:
        total = total + states[l + 1] @ weights[l].T
    return total


def marginal_log_unnormalized(weights, biases, states, parity, base_biases=None, beta=1.0):
    """``log sum_{x_other} exp(-E)`` with the layers of the other parity summed out.

    ``states`` holds arrays for the layers of ``parity`` (0: even layers
    0, 2, ...; 1: odd layers); entries of the other parity are ignored. With
    ``base_biases`` and ``beta`` the energy is the AIS path
    ``(1 - beta) E_base + beta E`` where ``E_base = -sum_l a_l . x_l``. Float64.
    """
    n_layers = len(biases)
    out = 0.0
    for l in range(n_layers):
        b = biases[l] if base_biases is None else (1 - beta) * base_biases[l] + beta * biases[l]
        if l % 2 == parity:
            out = out + np.asarray(states[l], np.float64) @ np.asarray(b, np.float64)
        else:
            neighbours = 0.0
            if l > 0:
                neighbours = neighbours + states[l - 1] @ weights[l - 1]
            if l < n_layers - 1:
                neighbours = neighbours + states[l + 1] @ weights[l].T
            inp = np.asarray(b, np.float64) + beta * np.asarray(neighbours, np.float64)
            out = out + softplus(inp).sum(axis=1)
    return np.asarray(out, dtype=np.float64)


class DeepBoltzmannMachine(DiscreteDensity):
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
        Where each minibatch's mean field starts. ``"bottom_up"``: the doubled
        bottom-up pass. ``"persistent"``: each example's means from its last
        visit (the bottom-up pass on the first), which needs fewer sweeps for
        the same accuracy (on MNIST 3 warm sweeps beat 5 cold ones) at the cost
        of storing ``n_samples x sum(n_hidden)`` means during training. Its one
        2-hour MNIST run scored no better than 5 cold sweeps (see the README).
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
    binarize : {None, "dynamic"}
        ``None``: ``X`` is binary. ``"dynamic"``: ``X`` holds probabilities in
        ``[0, 1]`` (e.g. MNIST grey levels); pretraining and joint training
        draw every minibatch afresh from them
        (:func:`boltz.dbm.training.pretrain_dbm`,
        :func:`boltz.dbm.training.train_dbm`). Less overfitting than training
        on one fixed binarization.
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
        ``"cpu-torch"``) runs pretraining, joint training and AIS there
        (:mod:`boltz.deep.dbm`; torch is imported only then).
    seed : int, Generator or None
    verbose : bool
        Show tqdm progress bars.

    Attributes
    ----------
    weights_ : list of ndarray
        ``W_l`` of shape ``(n_l, n_{l+1})``.
    biases_ : list of ndarray
        ``b_l`` of shape ``(n_l,)``, visible bias first.
    history_ : list of dict
        Per-epoch training diagnostics.
    """

    support = (0, 1)

    def __init__(
        self,
        n_hidden=(500, 1000),
        *,
        learning_rate: float = 0.005,
        n_epochs: int = 10,
        batch_size: int = 100,
        n_chains: int = 100,
        gibbs_steps: int = 1,
        mean_field_iters: int = 10,
        mean_field_init: str = "bottom_up",
        weight_decay: float = 2e-4,
        momentum: float = 0.5,
        lr_decay_steps: float | None = 20000.0,
        lr_schedule: str = "inverse",
        final_lr_fraction: float = 0.01,
        max_seconds: float | None = None,
        centering: bool = False,
        binarize: str | None = None,
        pretrain_epochs: int = 10,
        pretrain_learning_rate: float = 0.05,
        dtype: str = "float32",
        n_threads: int | None = None,
        device=None,
        seed=None,
        verbose: bool = False,
    ):
        self.n_hidden = n_hidden
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.n_chains = n_chains
        self.gibbs_steps = gibbs_steps
        self.mean_field_iters = mean_field_iters
        self.mean_field_init = mean_field_init
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.lr_decay_steps = lr_decay_steps
        self.lr_schedule = lr_schedule
        self.final_lr_fraction = final_lr_fraction
        self.max_seconds = max_seconds
        self.centering = centering
        self.binarize = binarize
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_learning_rate = pretrain_learning_rate
        self.dtype = dtype
        self.n_threads = n_threads
        self.device = device
        self.seed = seed
        self.verbose = verbose

    _PARAM_NAMES = (
        "n_hidden", "learning_rate", "n_epochs", "batch_size", "n_chains", "gibbs_steps",
        "mean_field_iters", "mean_field_init", "weight_decay", "momentum", "lr_decay_steps",
        "lr_schedule", "final_lr_fraction", "max_seconds", "centering", "binarize",
        "pretrain_epochs", "pretrain_learning_rate", "dtype", "n_threads", "device", "seed",
        "verbose",
    )

    def get_params(self) -> dict:
        """Constructor parameters as a dict (scikit-learn convention)."""
        return {k: getattr(self, k) for k in self._PARAM_NAMES}

    # ------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------
    @classmethod
    def from_parameters(cls, weights, biases=None, **params):
        """A fitted model with the given weights ``W_l`` (and biases, zeros by default).

        ``weights[l]`` has shape ``(n_l, n_{l+1})``; at least two weight
        matrices (two hidden layers) are needed.
        """
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"weights must be a list of 2-d arrays, got {type(weights).__name__}")
        dt = np.float32 if all(np.asarray(a).dtype == np.float32 for a in
                               list(weights) + list(biases or [])) else np.float64
        ws = [check_array(w, f"weights[{i}]", ndim=2, dtype=dt) for i, w in enumerate(weights)]
        if len(ws) < 2:
            raise ValueError(f"weights must hold at least 2 matrices (2 hidden layers), "
                             f"got {len(ws)}")
        sizes = [ws[0].shape[0]] + [w.shape[1] for w in ws]
        for i in range(1, len(ws)):
            if ws[i].shape[0] != ws[i - 1].shape[1]:
                raise ValueError(
                    f"weights[{i}] must have {ws[i - 1].shape[1]} rows to follow weights[{i - 1}]"
                    f" of shape {ws[i - 1].shape}, got {ws[i].shape}")
        if biases is None:
            bs = [np.zeros(n, dtype=dt) for n in sizes]
        else:
            if not isinstance(biases, (list, tuple)) or len(biases) != len(sizes):
                raise ValueError(f"biases must be a list of {len(sizes)} vectors (one per layer)")
            bs = [check_array(b, f"biases[{i}]", shape=(n,), dtype=dt)
                  for i, (b, n) in enumerate(zip(biases, sizes, strict=True))]
        params = {"n_hidden": tuple(sizes[1:]), **params}
        model = cls(**params)
        model._set_parameters(ws, bs)
        return model

    def _set_parameters(self, weights, biases):
        self.weights_ = [np.array(w) for w in weights]
        self.biases_ = [np.array(b) for b in biases]
        self.n_visible_ = self.weights_[0].shape[0]

    def _check_fitted(self):
        if not hasattr(self, "weights_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit first")

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
        """Split concatenated states ``(n, n_variables)`` into one array per layer."""
        x = self._check_batch(x)
        return np.split(x, np.cumsum(self.layer_sizes_)[:-1], axis=1)

    @staticmethod
    def join(states) -> np.ndarray:
        """Concatenate per-layer states into ``(n, n_variables)``."""
        return np.concatenate([np.asarray(s, np.float64) for s in states], axis=1)

    def check_visible(self, v, name: str = "v") -> np.ndarray:
        """Validate a binary batch of visible vectors ``(n, n_visible)``."""
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
        """Energy ``E(v, h_1, ..., h_L)`` of per-layer states; float64, shape ``(n,)``."""
        self._check_fitted()
        xs = [np.asarray(s, np.float64) for s in states]
        e = 0.0
        for l, b in enumerate(self.biases_):
            e = e - xs[l] @ np.asarray(b, np.float64)
        for l, w in enumerate(self.weights_):
            e = e - np.einsum("ni,ni->n", xs[l] @ np.asarray(w, np.float64), xs[l + 1])
        return np.asarray(e, dtype=np.float64)

    def energy(self, x) -> np.ndarray:
        """Joint energy of concatenated states ``[v, h_1, ..., h_L]``; shape ``(n,)``."""
        return self.energy_layers(self.split(x))

    def log_partition(self) -> float:
        """Exact ``log Z`` by enumeration (small models only); see :func:`exact_log_partition`."""
        from .evaluation import exact_log_partition

        return exact_log_partition(self)

    def free_energy(self, v) -> np.ndarray:
        """Exact ``-log sum_h exp(-E(v, h))`` by enumerating the even hidden layers.

        Only for models whose even hidden layers (2, 4, ...) hold at most 20
        units in all; the odd layers are summed out analytically.
        """
        from .evaluation import exact_free_energy

        return exact_free_energy(self, v)

    # ------------------------------------------------------------------
    # conditionals and block Gibbs
    # ------------------------------------------------------------------
    def layer_input(self, states, l: int) -> np.ndarray:
        """Total input to layer ``l`` given its neighbours' states."""
        self._check_fitted()
        return layer_input(self.weights_, self.biases_, states, l)

    def conditional(self, states, l: int) -> np.ndarray:
        """``p(x_l = 1 | x_{l-1}, x_{l+1})`` for every unit of layer ``l``."""
        l = check_nonnegative_int(l, "l")
        if l >= self.n_layers_:
            raise ValueError(f"l must be a layer index below {self.n_layers_}, got {l}")
        return sigmoid(self.layer_input(states, l))

    def _sample_parity(self, states, parity, rng):
        for l in range(parity, self.n_layers_, 2):
            p = sigmoid(layer_input(self.weights_, self.biases_, states, l))
            states[l] = (rng.random(p.shape, dtype=p.dtype) < p).astype(p.dtype)
        return states

    def gibbs_step(self, states, seed=None, clamp_visible: bool = False) -> list:
        """One alternating block-Gibbs sweep: odd layers given even, then even given odd.

        Returns a new list of per-layer states. With ``clamp_visible`` the
        visible layer is kept fixed (sampling the posterior over hidden layers).
        """
        self._check_fitted()
        rng = check_rng(seed)
        states = list(states)
        states = self._sample_parity(states, 1, rng)
        v = states[0]
        states = self._sample_parity(states, 0, rng)
        if clamp_visible:
            states[0] = v
        return states

    def init_states(self, n: int, seed=None) -> list:
        """Random initial states: each unit Bernoulli(1/2)."""
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

        Example
        -------
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

        for _ in trange(n_steps, disable=not progress, desc="DBM Gibbs", leave=False):
            states = self.gibbs_step(states, rng)
        if return_states:
            return states
        return self.conditional(states, 0)

    # ------------------------------------------------------------------
    # mean-field variational inference
    # ------------------------------------------------------------------
    def bottom_up_init(self, v) -> list:
        """Initial mean-field guess by one bottom-up pass with doubled weights.

        Every hidden layer except the top one misses its top-down input, so
        the bottom-up input is doubled (Salakhutdinov & Larochelle 2010).
        """
        mus = [v]
        L = self.n_layers_ - 1
        for l in range(1, L + 1):
            scale = 2.0 if l < L else 1.0
            mus.append(sigmoid(self.biases_[l] + scale * (mus[l - 1] @ self.weights_[l - 1])))
        return mus[1:]

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
        states = [v, *mus]
        # the visible layer is clamped: its input to layer 1 is computed once
        bottom = self.biases_[1] + v @ self.weights_[0]
        change = np.inf
        it = 0
        for it in range(1, n_iter + 1):  # noqa: B007
            change = 0.0
            for parity in (1, 0):
                for l in range(1 if parity else 2, self.n_layers_, 2):
                    if l == 1:
                        new = sigmoid(bottom + states[2] @ self.weights_[1].T)
                    else:
                        new = sigmoid(layer_input(self.weights_, self.biases_, states, l))
                    if damping:
                        new = damping * states[l] + (1.0 - damping) * new
                    change = max(change, float(np.max(np.abs(new - states[l]))))
                    states[l] = new
            if change <= tol:
                break
        if return_info:
            return states[1:], {"n_iter": it, "max_change": change}
        return states[1:]

    def variational_bound_unnormalized(self, v, mus) -> np.ndarray:
        """``-E_q[E(v, h)] + H(q)`` for mean-field means ``mus``; float64, shape ``(n,)``.

        Subtract ``log Z`` to get the lower bound on ``log p(v)``.
        """
        v = self.check_visible(v)
        states = [v, *mus]
        # E is linear in each layer and layers of q are independent, so
        # E_q[E(v, h)] = E(v, mu_1, ..., mu_L).
        neg_energy = -self.energy_layers(states)
        entropy = sum(_bernoulli_entropy(m) for m in mus)
        return neg_energy + entropy

    def transform(self, v, **mean_field_kwargs) -> np.ndarray:
        """Mean-field means of the top hidden layer (features)."""
        return self.mean_field(v, **mean_field_kwargs)[-1]

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def fit(self, X, X_val=None):
        """Greedy pretraining with weight doubling, then joint training; returns ``self``.

        ``X`` is a binary ``(n_samples, n_visible)`` array, or probabilities
        with ``binarize="dynamic"``. See
        :func:`boltz.dbm.training.pretrain_dbm` and :func:`boltz.dbm.training.train_dbm`.
        """
        check_hidden_sizes(self.n_hidden)
        from .training import fit_dbm

        return fit_dbm(self, X, X_val=X_val)

    # ------------------------------------------------------------------
    # persistence
    # ------------------------------------------------------------------
    def save(self, path):
        """Save to ``path`` (``.npz`` + JSON metadata, no pickle); returns the path written."""
        from ..io import save_model

        self._check_fitted()
        arrays = {f"W{l}": w for l, w in enumerate(self.weights_)}
        arrays.update({f"b{l}": b for l, b in enumerate(self.biases_)})
        params = self.get_params()
        if not isinstance(params["seed"], (int, type(None))):
            params["seed"] = None
        params["n_hidden"] = list(self.layer_sizes_[1:])
        # where it ran is not part of the model: a file loads and runs anywhere
        params.pop("device", None)
        extra = {"n_layers": self.n_layers_, "history": getattr(self, "history_", [])}
        return save_model(path, MODEL_KIND, arrays, params, extra)

    @classmethod
    def load(cls, path):
        """Load a model written by :meth:`save`; raises ``ModelFileError`` for bad files."""
        from ..io import ModelFileError, load_model

        try:
            arrays, meta = load_model(path, MODEL_KIND)
        except TypeError as exc:  # e.g. a plain .npy array instead of an .npz archive
            raise ModelFileError(f"{path}: not a boltz model file ({exc})") from None
        try:
            n_layers = int(meta["extra"]["n_layers"])
            weights = [arrays[f"W{l}"] for l in range(n_layers - 1)]
            biases = [arrays[f"b{l}"] for l in range(n_layers)]
            params = dict(meta["params"])
            params.pop("n_hidden", None)
            model = cls.from_parameters(weights, biases, **params)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: malformed {MODEL_KIND} file ({exc})") from None
        model.history_ = list(meta["extra"].get("history", []))
        return model

    def __repr__(self):
        sizes = self.layer_sizes_ if hasattr(self, "weights_") else ("?", *self.n_hidden)
        return f"{type(self).__name__}({'-'.join(str(s) for s in sizes)})"
