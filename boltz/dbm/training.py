"""Training a DBM: greedy layer-wise pretraining with weight doubling, then joint training.

Pretraining (Salakhutdinov & Hinton 2009, 2012). A stack of RBMs is trained
bottom-up, each on samples of the hidden units of the one below. In the DBM every
hidden layer but the top one receives input from two neighbours, while an RBM
layer receives it from one, so the inputs are doubled where a DBM neighbour is
missing:

- bottom RBM (v - h_1): bottom-up input doubled, ``p(h_1 | v) = sigmoid(2 v W + c)``,
  ``p(v | h_1) = sigmoid(W h_1 + b)``;
- top RBM (h_{L-1} - h_L): top-down input doubled, ``p(h_{L-1} | h_L) = sigmoid(2 W h_L + b)``;
- middle RBMs: doubled both ways, i.e. an ordinary RBM with weights ``2 W``,
  whose weights are halved when composed into the DBM.

Biases of a layer shared by two RBMs are averaged when composing.

Joint training (Salakhutdinov & Hinton 2009, Algorithm 1) maximises the
variational lower bound: for each minibatch the data-dependent statistics come
from mean-field inference, the model statistics from persistent chains run
with alternating odd/even block Gibbs (the odd layers' statistics are
Rao-Blackwellised: their conditional probabilities given the sampled even
layers are used). The chains start at data vectors with their hidden layers
drawn from the mean-field posterior, so that they begin where the data are
rather than in another phase of the model. The learning rate decays as
``lr / (1 + t / lr_decay_steps)`` or linearly to ``final_lr_fraction * lr``
over the run (``lr_schedule="linear"``), with L2 weight decay and momentum. With
``centering=True`` the gradient is taken in the centred parametrisation
``E = -sum (x_l - c_l) b'_l - sum (x_l - c_l)^T W_l (x_{l+1} - c_{l+1})``
(Montavon & Mueller 2012) with offsets ``c_l``
tracking the data means; the model itself is stored uncentred.

Training that diverges (non-finite or exploding parameters) raises
:class:`TrainingDivergedError`, naming the epoch and suggesting a smaller
learning rate.

Example
-------
>>> import numpy as np
>>> from boltz.dbm import DeepBoltzmannMachine
>>> X = (np.random.default_rng(0).random((200, 16)) < 0.3).astype(np.float32)
>>> dbm = DeepBoltzmannMachine((8, 4), n_epochs=2, pretrain_epochs=2, seed=0).fit(X)
>>> dbm.layer_sizes_
(16, 8, 4)
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np

from .._validation import (
    check_binary,
    check_choice,
    check_nonnegative_int,
    check_positive_int,
    check_positive_scalar,
    check_probability,
    check_rng,
    check_unit_interval,
)
from ..datasets import draw_binary
from ..rbm import _kernels as K
from .model import DeepBoltzmannMachine, check_hidden_sizes, sigmoid

__all__ = [
    "TrainingDivergedError", "fit_dbm", "pretrain_dbm", "train_dbm", "doubling_factors",
    "train_rbm_scaled", "init_chains_from_data",
]

#: Largest absolute weight tolerated before training is declared diverged.
MAX_ABS_WEIGHT = 1e3


class TrainingDivergedError(RuntimeError):
    """Training produced non-finite or exploding parameters."""


def _check_diverged(weights, biases, where: str, lr: float):
    for name, arrs in (("weights", weights), ("biases", biases)):
        for l, a in enumerate(arrs):
            if not np.all(np.isfinite(a)):
                raise TrainingDivergedError(
                    f"training diverged at {where}: {name}[{l}] became non-finite; "
                    f"use a smaller learning rate (now {lr:g})")
            if name == "weights" and np.max(np.abs(a)) > MAX_ABS_WEIGHT:
                raise TrainingDivergedError(
                    f"training diverged at {where}: |{name}[{l}]| exceeded {MAX_ABS_WEIGHT:g}; "
                    f"use a smaller learning rate (now {lr:g}) or more weight decay")


def doubling_factors(n_hidden_layers: int) -> list:
    """``(up, down)`` input scalings of each pretraining RBM, bottom first.

    Bottom: ``(2, 1)``; top: ``(1, 2)``; middle: ``(2, 2)``.
    """
    L = check_positive_int(n_hidden_layers, "n_hidden_layers")
    if L < 2:
        raise ValueError(f"a DBM needs at least 2 hidden layers, got {L}")
    return [(2.0 if k < L - 1 else 1.0, 2.0 if k > 0 else 1.0) for k in range(L)]


# ----------------------------------------------------------------------
# greedy pretraining
# ----------------------------------------------------------------------
def train_rbm_scaled(X, n_hidden: int, *, up: float = 1.0, down: float = 1.0,
                     n_epochs: int = 10, seed=None, init=None, **rbm_params):
    """Train a :class:`boltz.rbm.BernoulliRBM` whose up/down inputs are scaled.

    ``up = 2`` doubles the bottom-up input (bottom RBM of a DBM), ``down = 2``
    the top-down input (top RBM). ``init`` is an optional ``(W, visible_bias,
    hidden_bias)`` to start from. Returns the fitted RBM (its ``W_`` is the
    unscaled weight matrix).
    """
    from ..rbm import BernoulliRBM
    from ..rbm.training import make_trainer, train

    rng = check_rng(seed)
    X32 = _check_training_data(X, rbm_params.get("binarize"), None, np.float32)
    params = {"method": "cd", "monitor_every": 0, "n_epochs": n_epochs, **rbm_params}
    if init is None:
        rbm = BernoulliRBM(n_hidden=n_hidden, seed=rng, **params)
        rbm.init_params(X32.shape[1], X32, seed=rng)
    else:
        rbm = BernoulliRBM.from_params(*init, seed=rng, **params)
    rbm.history_, rbm.n_iter_ = [], 0
    n_epochs = check_nonnegative_int(n_epochs, "n_epochs")
    if n_epochs:
        trainer = make_trainer(rbm, X32, rng, up=up, down=down)
        train(rbm, X32, n_epochs, trainer=trainer)
    return rbm


def pretrain_dbm(X, n_hidden, *, n_epochs: int = 10, learning_rate: float = 0.05,
                 batch_size: int = 100, dtype="float32", seed=None, verbose: bool = False,
                 binarize: str | None = None, **rbm_params):
    """Greedy layer-wise pretraining with weight doubling; returns ``(weights, biases)``.

    Each RBM is a :class:`boltz.rbm.BernoulliRBM` trained with CD (its own
    training loop, with the inputs scaled as in :func:`doubling_factors`) on
    samples of the previous RBM's hidden units given its (doubled) input.
    Middle RBMs, doubled both ways, are ordinary RBMs with weights ``2 W``:
    they are trained as such and their weights halved when composed; the
    bottom and top RBMs are composed as trained (Salakhutdinov & Hinton 2012).
    A layer shared by two RBMs gets the mean of their two biases.

    ``binarize="dynamic"`` takes grey levels ``X`` in [0, 1] and trains every
    RBM on a fresh Bernoulli draw of each minibatch: the bottom RBM on draws
    of ``X``, each higher one on draws of the probabilities of the hidden units
    below given one draw of its input (rather than on one fixed sample of them).
    """
    n_hidden = check_hidden_sizes(n_hidden)
    dt = np.dtype(check_choice(str(np.dtype(dtype)), "dtype", {"float32", "float64"}))
    X = _check_training_data(X, binarize, None, np.float32)
    n_epochs = check_nonnegative_int(n_epochs, "n_epochs")
    rng = check_rng(seed)
    factors = doubling_factors(len(n_hidden))
    weights, vis_biases, hid_biases = [], [], []
    data = X
    for k, ((up, down), n_h) in enumerate(zip(factors, n_hidden, strict=True)):
        middle = up == 2.0 and down == 2.0
        t_up, t_down = (1.0, 1.0) if middle else (up, down)
        rbm = train_rbm_scaled(data, n_h, up=t_up, down=t_down, n_epochs=n_epochs, seed=rng,
                               learning_rate=learning_rate, batch_size=batch_size,
                               verbose=verbose, binarize=binarize, **rbm_params)
        W = rbm.W_.astype(dt)
        weights.append(0.5 * W if middle else W)
        vis_biases.append(rbm.visible_bias_.astype(dt))
        hid_biases.append(rbm.hidden_bias_.astype(dt))
        if k + 1 < len(n_hidden):
            # the next RBM learns from samples of this one's hidden units
            p = sigmoid(t_up * (draw_binary(data, rng, binarize) @ rbm.W_) + rbm.hidden_bias_)
            data = p if binarize else draw_binary(p, rng)
    biases = [vis_biases[0]]
    for l in range(1, len(n_hidden) + 1):
        if l < len(n_hidden):
            biases.append(0.5 * (hid_biases[l - 1] + vis_biases[l]))
        else:
            biases.append(hid_biases[l - 1])
    return weights, biases


# ----------------------------------------------------------------------
# joint training
# ----------------------------------------------------------------------
def _centred_biases(weights, biases, offsets):
    """``b'_l = b_l + W_l c_{l+1} + W_{l-1}^T c_{l-1}`` (energy unchanged up to a constant).

    Works on NumPy arrays and torch tensors alike (the device path uses it too).
    """
    return [_shift_bias(weights, b, offsets, l, +1) for l, b in enumerate(biases)]


def _uncentred_biases(weights, centred, offsets):
    """The inverse of :func:`_centred_biases`."""
    return [_shift_bias(weights, bc, offsets, l, -1) for l, bc in enumerate(centred)]


def _shift_bias(weights, b, offsets, l, sign):
    """``b + sign * (W_l c_{l+1} + W_{l-1}^T c_{l-1})`` as a new array (no in-place update)."""
    out = b
    if l + 1 < len(offsets):
        out = out + sign * (weights[l] @ offsets[l + 1])
    if l > 0:
        out = out + sign * (offsets[l - 1] @ weights[l - 1])
    return out


def init_chains_from_data(model, X, n_chains, seed=None, mean_field_iters=10):
    """Persistent chains started at data: ``v`` from ``X``, hidden layers drawn from ``q(h | v)``.

    Starting the hidden layers at random can drop the chains into a phase of
    the model far from the data (e.g. the top layer on and the first off),
    where they may stay for the whole of training; starting them from the
    mean-field posterior of data vectors puts them where the data are.
    """
    rng = check_rng(seed)
    v = X[rng.choice(X.shape[0], n_chains, replace=X.shape[0] < n_chains)].copy()
    mus = model.mean_field(v, n_iter=mean_field_iters)
    return [v] + [(rng.random(m.shape, dtype=m.dtype) < m).astype(m.dtype) for m in mus]


def _check_training_data(X, binarize, n_visible, dtype):
    """``X`` checked for :func:`train_dbm`: binary, or probabilities with ``binarize="dynamic"``."""
    layout = {"ndim": 2} if n_visible is None else {"shape": (None, n_visible)}
    if binarize is None:
        return check_binary(X, "X", dtype=dtype, **layout)
    check_choice(binarize, "binarize", {"dynamic"})
    return check_unit_interval(X, "X", dtype=dtype, **layout)


class WarmStarts:
    """Each training example's mean-field means from its last visit.

    ``means`` holds one ``(n_samples, n_l)`` array per hidden layer and ``seen``
    a boolean per example; NumPy arrays or torch tensors (the device path uses
    the same logic). :meth:`start` gives a minibatch's starting means and
    :meth:`store` records where its mean field ended.
    """

    def __init__(self, means, seen):
        self.means, self.seen = means, seen

    def start(self, idx, cold):
        """Stored means of examples ``idx``; ``cold()`` (the bottom-up pass) for unseen ones."""
        seen = self.seen[idx]
        if bool(seen.all()):
            return [m[idx] for m in self.means]
        init = cold()
        if bool(seen.any()):
            for a, m in zip(init, self.means, strict=True):
                a[seen] = m[idx[seen]]
        return init

    def store(self, idx, mus):
        """Record the means ``mus`` (hidden layers) of examples ``idx``."""
        for m, x in zip(self.means, mus, strict=True):
            m[idx] = x
        self.seen[idx] = True


def _model_statistics(model, chains, gibbs_steps, rng):
    """Advance the persistent chains; return (chains, Rao-Blackwellised layer statistics)."""
    for _ in range(gibbs_steps):
        chains = model.gibbs_step(chains, rng)
    stats = list(chains)
    for l in range(1, model.n_layers_, 2):
        stats[l] = model.conditional(chains, l)  # E[odd layer | even layers]
    return chains, stats


def train_dbm(model, X, *, n_epochs: int = 10, learning_rate: float = 0.005,
              batch_size: int = 100, n_chains: int = 100, gibbs_steps: int = 1,
              mean_field_iters: int = 10, mean_field_init: str = "bottom_up",
              weight_decay: float = 2e-4, momentum: float = 0.5,
              lr_decay_steps: float | None = 20000.0, lr_schedule: str = "inverse",
              final_lr_fraction: float = 0.01, centering: bool = False,
              offset_rate: float = 0.01, seed=None, verbose: bool = False, X_val=None,
              monitor_size: int = 500, max_seconds: float | None = None,
              max_batches: int | None = None, n_threads: int | None = None, device=None,
              binarize: str | None = None):
    """Joint training of a DBM whose parameters are set (mean field + persistent chains).

    Updates ``model.weights_``/``model.biases_`` in place, appends one dict per
    epoch to ``model.history_`` (``epoch``, ``seconds``, ``learning_rate``,
    ``train_bound_unnormalized`` = mean of ``-E_q[E] + H(q)`` on a monitoring
    subset, the same on ``X_val`` when given, and ``max_abs_weight``) and
    returns the model. Training stops early after the epoch during which
    ``max_seconds`` elapsed; ``max_batches`` caps the minibatches per epoch
    (for timing runs); ``n_threads`` caps the BLAS threads (``None``: as
    configured; 1 on a machine shared with other jobs, where a second BLAS
    thread competes with them for the cores); ``device`` (a torch device name
    such as ``"cuda"``) runs the updates there (:mod:`boltz.deep.dbm`; the model
    is written back after each epoch, and divergence is checked then). Raises
    :class:`TrainingDivergedError` when training diverges.

    ``lr_schedule``: ``"inverse"`` (``lr / (1 + t / lr_decay_steps)``),
    ``"linear"`` (down to ``final_lr_fraction * lr`` over the ``n_epochs``) or
    ``"linear_time"``: down to the final fraction over ``max_seconds`` of wall
    time, for a fixed time budget on a machine whose speed varies (training
    then ends after the epoch in which the budget runs out; the result depends
    on the timing, so the same seed no longer repeats it bit for bit).

    ``binarize="dynamic"`` takes ``X`` as probabilities in ``[0, 1]`` (e.g. grey
    levels of MNIST) and draws every minibatch afresh as ``Bernoulli(X)``, so
    the model is fitted to the mixture of product Bernoullis the probabilities
    define rather than to one binarization of them, which a DBM of 1.3 million
    weights overfits (on MNIST a 2.8-nat train/test gap after 190 epochs, 1.9
    of it the fixed draw; see the README). The monitoring subset, the data the
    chains start from and the first offsets use one draw each; ``X_val`` stays
    binary.

    ``mean_field_init="persistent"`` starts each example's mean field from its
    means at its last visit (the doubled bottom-up pass on the first visit),
    kept in ``n_samples x sum(n_hidden)`` arrays for the length of the call.
    Warm starts need fewer sweeps: on a trained MNIST DBM, with a new draw of
    the digits, 3 warm sweeps leave the bound 0.001 nats below the fixed point
    and 5 cold ones 0.002. Closer inference did not give a better model: a
    2-hour MNIST run with 3 warm sweeps scored -85.57 nats against -85.18 with
    5 cold ones (within the AIS error bars; see the README).
    """
    from ..rbm._threads import blas_threads

    with blas_threads(n_threads):
        from tqdm.auto import tqdm

        if not isinstance(model, DeepBoltzmannMachine):
            raise TypeError(f"model must be a DeepBoltzmannMachine, got {type(model).__name__}")
        model._check_fitted()
        dt = model.weights_[0].dtype
        X = _check_training_data(X, binarize, model.n_visible_, dt)
        if X_val is not None:
            X_val = check_binary(X_val, "X_val", shape=(None, model.n_visible_), dtype=dt)
        n_epochs = check_nonnegative_int(n_epochs, "n_epochs")
        lr0 = check_positive_scalar(learning_rate, "learning_rate")
        batch_size = check_positive_int(batch_size, "batch_size")
        n_chains = check_positive_int(n_chains, "n_chains")
        gibbs_steps = check_positive_int(gibbs_steps, "gibbs_steps")
        mean_field_iters = check_positive_int(mean_field_iters, "mean_field_iters")
        check_choice(mean_field_init, "mean_field_init", {"bottom_up", "persistent"})
        weight_decay = check_positive_scalar(weight_decay, "weight_decay", allow_zero=True)
        momentum = check_probability(momentum, "momentum", high_open=True)
        if lr_decay_steps is not None:
            lr_decay_steps = check_positive_scalar(lr_decay_steps, "lr_decay_steps")
        check_choice(lr_schedule, "lr_schedule", {"inverse", "linear", "linear_time"})
        final_lr_fraction = check_probability(final_lr_fraction, "final_lr_fraction")
        offset_rate = check_probability(offset_rate, "offset_rate")
        rng = check_rng(seed)
        if max_seconds is not None:
            max_seconds = check_positive_scalar(max_seconds, "max_seconds")
        elif lr_schedule == "linear_time":
            raise ValueError("lr_schedule='linear_time' needs max_seconds (the time budget)")
        if max_batches is not None:
            max_batches = check_positive_int(max_batches, "max_batches")
        t_start = time.perf_counter()

        W, b = model.weights_, model.biases_
        L1 = model.n_layers_
        if binarize is None:
            chain_source = X
        else:
            picks = rng.choice(X.shape[0], n_chains, replace=X.shape[0] < n_chains)
            chain_source = draw_binary(X[picks], rng)
        chains = init_chains_from_data(model, chain_source, n_chains, rng, mean_field_iters)
        vel_W = [np.zeros_like(w) for w in W]
        vel_b = [np.zeros_like(x) for x in b]
        grad_W = [np.empty_like(w) for w in W]
        if centering:
            mus0 = model.mean_field(draw_binary(X[:monitor_size], rng, binarize),
                                    n_iter=mean_field_iters)
            offsets = [X.mean(axis=0, dtype=np.float64).astype(dt)] + [
                m.mean(axis=0).astype(dt) for m in mus0]
        else:
            offsets = [np.zeros(k, dtype=dt) for k in model.layer_sizes_]
        monitor = draw_binary(
            X[rng.choice(X.shape[0], min(monitor_size, X.shape[0]), replace=False)], rng, binarize)
        history = getattr(model, "history_", None)
        history = [] if history is None else list(history)
        step = 0
        n_batches = int(np.ceil(X.shape[0] / batch_size))
        if max_batches is not None:
            n_batches = min(n_batches, max_batches)
        def lr_at(step):
            if lr_schedule == "inverse":
                return lr0 if lr_decay_steps is None else lr0 / (1.0 + step / lr_decay_steps)
            if lr_schedule == "linear":
                frac = step / max(n_epochs * n_batches - 1, 1)
            else:  # "linear_time"
                frac = min(1.0, (time.perf_counter() - t_start) / max_seconds)
            return lr0 * (1.0 - (1.0 - final_lr_fraction) * frac)

        on_device = None
        if device not in (None, "cpu"):
            from ..deep.dbm import JointTrainer

            on_device = JointTrainer(model, X, chains, offsets, rng, device,
                                     binarize=binarize,
                                     warm_start=mean_field_init == "persistent")
        warm = None
        if on_device is None and mean_field_init == "persistent":
            warm = WarmStarts([np.empty((X.shape[0], k), dtype=dt)
                               for k in model.layer_sizes_[1:]],
                              np.zeros(X.shape[0], dtype=bool))

        def cpu_epoch(epoch, step, chains):
            """One epoch of minibatch updates in NumPy; returns (step, lr, chains)."""
            order = rng.permutation(X.shape[0])
            lr = lr0
            bar = tqdm(range(n_batches), disable=not verbose,
                       desc=f"DBM epoch {epoch}/{n_epochs}", leave=False)
            for i in bar:
                lr = lr_at(step)
                idx = order[i * batch_size:(i + 1) * batch_size]
                v = draw_binary(X[idx], rng, binarize)
                if warm is None:
                    mus = model.mean_field(v, n_iter=mean_field_iters, tol=1e-4)
                else:
                    mus = model.mean_field(v, n_iter=mean_field_iters, tol=1e-4,
                                           init=warm.start(idx, partial(model.bottom_up_init, v)))
                    warm.store(idx, mus)
                data = [v, *mus]
                chains, neg = _model_statistics(model, chains, gibbs_steps, rng)
                if centering:
                    bc = _centred_biases(W, b, offsets)
                for l in range(L1 - 1):
                    d_lo, d_hi = data[l] - offsets[l], data[l + 1] - offsets[l + 1]
                    m_lo, m_hi = neg[l] - offsets[l], neg[l + 1] - offsets[l + 1]
                    # <d_lo d_hi>_data - <m_lo m_hi>_model as one product
                    np.dot(np.concatenate([d_lo, m_lo]).T,
                           np.concatenate([d_hi / v.shape[0], m_hi / -n_chains]),
                           out=grad_W[l])
                for l in range(L1):
                    grad = data[l].mean(axis=0) - neg[l].mean(axis=0)
                    vel_b[l] *= momentum
                    vel_b[l] += lr * grad
                for l in range(L1 - 1):  # the centred biases above use the old weights
                    K.update_parameters(W[l], vel_W[l], grad_W[l], 1.0, lr, momentum,
                                        weight_decay)
                if centering:
                    bc = [x + dv for x, dv in zip(bc, vel_b, strict=True)]
                    b[:] = _uncentred_biases(W, bc, offsets)
                    for l in range(1, L1):
                        offsets[l] = ((1 - offset_rate) * offsets[l]
                                      + offset_rate * data[l].mean(axis=0)).astype(dt)
                else:
                    for l in range(L1):
                        b[l] += vel_b[l]
                step += 1
                if step % 50 == 0:
                    _check_diverged(W, b, f"epoch {epoch}, update {step}", lr)
            bar.close()
            return step, lr, chains

        for epoch in range(1, n_epochs + 1):
            t0 = time.perf_counter()
            if on_device is not None:
                step, lr = on_device.run_epoch(
                    n_batches, batch_size, lr_at, step, momentum=momentum,
                    weight_decay=weight_decay, centering=centering, offset_rate=offset_rate,
                    mean_field_iters=mean_field_iters, gibbs_steps=gibbs_steps)
                chains = on_device.download()
            else:
                step, lr, chains = cpu_epoch(epoch, step, chains)
            _check_diverged(W, b, f"the end of epoch {epoch}", lr)
            record = {"epoch": len(history) + 1, "seconds": time.perf_counter() - t0,
                      "n_batches": n_batches, "learning_rate": lr,
                      "max_abs_weight": float(max(np.abs(w).max() for w in W))}
            record["train_bound_unnormalized"] = _mean_bound(model, monitor, mean_field_iters)
            if X_val is not None:
                record["val_bound_unnormalized"] = _mean_bound(model, X_val[:monitor_size],
                                                               mean_field_iters)
            history.append(record)
            if verbose:
                tqdm.write(f"DBM epoch {record['epoch']}: {record['seconds']:.1f}s, "
                           f"-E_q + H = {record['train_bound_unnormalized']:.2f}")
            if max_seconds is not None and time.perf_counter() - t_start >= max_seconds:
                break
        model.history_ = history
        model.chains_ = chains
        return model


def _mean_bound(model, v, n_iter):
    mus = model.mean_field(v, n_iter=n_iter)
    value = float(np.mean(model.variational_bound_unnormalized(v, mus)))
    if not np.isfinite(value):
        raise TrainingDivergedError("training diverged: the variational bound is not finite")
    return value


def fit_dbm(model, X, X_val=None):
    """Pretrain (when ``model.pretrain_epochs > 0``) and jointly train ``model`` on ``X``."""
    n_hidden = check_hidden_sizes(model.n_hidden)
    check_choice(model.dtype, "dtype", {"float32", "float64"})
    dt = np.dtype(model.dtype)
    binarize = getattr(model, "binarize", None)
    X = _check_training_data(X, binarize, None, dt)
    pretrain_epochs = check_nonnegative_int(model.pretrain_epochs, "pretrain_epochs")
    rng = check_rng(model.seed)
    if pretrain_epochs > 0:
        weights, biases = pretrain_dbm(
            X, n_hidden, n_epochs=pretrain_epochs, binarize=binarize,
            learning_rate=model.pretrain_learning_rate,
            batch_size=model.batch_size, dtype=model.dtype, seed=rng, verbose=model.verbose,
            device=getattr(model, "device", None))
    else:
        sizes = (X.shape[1], *n_hidden)
        weights = [(0.01 * rng.standard_normal((a, c))).astype(dt)
                   for a, c in zip(sizes[:-1], sizes[1:], strict=True)]
        p = np.clip(X.mean(axis=0, dtype=np.float64), 1e-3, 1 - 1e-3)
        biases = [np.log(p / (1 - p)).astype(dt)] + [np.zeros(k, dtype=dt) for k in n_hidden]
    model._set_parameters(weights, biases)
    model.history_ = []
    return train_dbm(
        model, X, n_epochs=model.n_epochs, learning_rate=model.learning_rate,
        batch_size=model.batch_size, n_chains=model.n_chains, gibbs_steps=model.gibbs_steps,
        mean_field_iters=model.mean_field_iters,
        mean_field_init=getattr(model, "mean_field_init", "bottom_up"),
        weight_decay=model.weight_decay,
        momentum=model.momentum, lr_decay_steps=model.lr_decay_steps,
        lr_schedule=model.lr_schedule, final_lr_fraction=model.final_lr_fraction,
        max_seconds=getattr(model, "max_seconds", None),
        centering=model.centering, seed=rng, verbose=model.verbose, X_val=X_val,
        n_threads=getattr(model, "n_threads", None), device=getattr(model, "device", None),
        binarize=binarize)
