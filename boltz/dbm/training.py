"""Training a DBM: greedy pretraining (:mod:`boltz.dbm.pretraining`), then joint training.

Joint training (Salakhutdinov & Hinton 2009, Algorithm 1) maximises the
variational lower bound; the epoch itself (mean field for the data statistics,
persistent block-Gibbs chains for the model's, the centred momentum update) is
:class:`boltz.dbm.joint.JointState`, written once and run on the NumPy backend
or a torch device. This module is the driver: input checks, the persistent
chains' start at data vectors with hidden layers drawn from the mean-field
posterior (so that they begin where the data are rather than in another phase
of the model), the learning-rate schedule (``lr / (1 + t / lr_decay_steps)``,
or linear to ``final_lr_fraction * lr`` over the epochs or over
``max_seconds`` of wall time), the centring offsets' start, per-epoch
monitoring and the time budget.

Training that diverges (non-finite or exploding parameters) raises
:class:`TrainingDivergedError`, naming the epoch and suggesting a smaller
learning rate.

Examples
--------
>>> import numpy as np
>>> from boltz.dbm import DeepBoltzmannMachine
>>> X = (np.random.default_rng(0).random((200, 16)) < 0.3).astype(np.float32)
>>> dbm = DeepBoltzmannMachine((8, 4), n_epochs=2, pretrain_epochs=2, seed=0).fit(X)
>>> dbm.layer_sizes_
(16, 8, 4)
"""

from __future__ import annotations

import time

import numpy as np

from .._validation import (
    check_binary,
    check_choice,
    check_nonnegative_int,
    check_positive_int,
    check_positive_scalar,
    check_probability,
    check_rng,
)
from ..checkpoint import TrainingInterrupted
from ..datasets import draw_binary
from ..distributed.comm import get_communicator
from ..distributed.rows import RowShard, start_data_parallel
from .backend import get_backend
from .checkpoint import restore_dbm_checkpoint, save_dbm_checkpoint
from .exact import check_dbm
from .formulas import check_hidden_sizes
from .joint import JointState, TrainingDivergedError, WarmStarts, check_diverged
from .pretraining import check_training_data, doubling_factors, pretrain_dbm, train_rbm_scaled

__all__ = [
    "TrainingDivergedError", "fit_dbm", "pretrain_dbm", "train_dbm", "doubling_factors",
    "train_rbm_scaled", "init_chains_from_data", "WarmStarts",
]

_HOST = get_backend(None, 0)  # the model's own NumPy arrays (no draws)


def init_chains_from_data(model, X, n_chains, seed=None, mean_field_iters=10):
    """Persistent chains started at data: ``v`` from ``X``, hidden layers drawn from ``q(h | v)``.

    Starting the hidden layers at random can drop the chains into a phase of
    the model far from the data (e.g. the top layer on and the first off),
    where they may stay for the whole of training; starting them from the
    mean-field posterior of data vectors puts them where the data are.

    Parameters
    ----------
    model : DeepBoltzmannMachine
    X : (n, n_visible) binary array
    n_chains : int
    seed : int, Generator or None
    mean_field_iters : int

    Returns
    -------
    list of arrays, one ``(n_chains, n_l)`` per layer

    Examples
    --------
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 2))])
    >>> [c.shape for c in init_chains_from_data(m, np.ones((4, 3)), 5, seed=0)]
    [(5, 3), (5, 2), (5, 2)]
    """
    rng = check_rng(seed)
    v = X[rng.choice(X.shape[0], n_chains, replace=X.shape[0] < n_chains)].copy()
    mus = model.mean_field(v, n_iter=mean_field_iters)
    return [v] + [(rng.random(m.shape, dtype=m.dtype) < m).astype(m.dtype) for m in mus]


def train_dbm(model, X, *, n_epochs: int = 10, learning_rate: float = 0.005,
              batch_size: int = 100, n_chains: int = 100, gibbs_steps: int = 1,
              mean_field_iters: int = 10, mean_field_init: str = "bottom_up",
              weight_decay: float = 2e-4, momentum: float = 0.5,
              lr_decay_steps: float | None = 20000.0, lr_schedule: str = "inverse",
              final_lr_fraction: float = 0.01, centering: bool = False,
              offset_rate: float = 0.01, seed=None, verbose: bool = False, X_val=None,
              monitor_size: int = 500, max_seconds: float | None = None,
              max_batches: int | None = None, n_threads: int | None = None, device=None,
              binarize: str | None = None, checkpoint=None, checkpoint_every: int = 1,
              resume: bool = False, comm=None):
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
    such as ``"cuda"`` or ``"cpu-torch"``) runs the same epoch there
    (:mod:`boltz.dbm.joint` on the torch backend; the model is written back after each
    epoch). Raises
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

    Parameters
    ----------
    model : DeepBoltzmannMachine
        A model with parameters (pretrained or :meth:`~DeepBoltzmannMachine.from_parameters`).
    X : array_like, shape (n_samples, n_visible)
        Binary training data (probabilities with ``binarize="dynamic"``).
    n_epochs : int, default 10
        Epochs.
    learning_rate : float, default 0.005
        Initial learning rate.
    batch_size : int, default 100
        Minibatch size.
    n_chains : int, default 100
        Persistent chains.
    gibbs_steps : int, default 1
        Gibbs sweeps of the chains per update.
    mean_field_iters : int, default 10
        Mean-field sweeps per minibatch.
    mean_field_init : {"bottom_up", "persistent"}, default "bottom_up"
        Start of the mean field (see above).
    weight_decay : float, default 2e-4
        L2 penalty on the weights.
    momentum : float, default 0.5
        Momentum.
    lr_decay_steps : float or None, default 20000.0
        Time constant of the ``"inverse"`` schedule (in updates).
    lr_schedule : {"inverse", "linear", "linear_time"}, default "inverse"
        Learning-rate schedule (see above).
    final_lr_fraction : float, default 0.01
        Last rate of the linear schedules, as a fraction of the first.
    centering : bool, default False
        Centred gradients (Montavon & Müller 2012).
    offset_rate : float, default 0.01
        Update rate of the centring offsets.
    seed : int, numpy.random.Generator or None
        Random seed.
    verbose : bool, default False
        Progress bars and one line per epoch.
    X_val : array_like, optional
        Validation data (its bound is recorded).
    monitor_size : int, default 500
        Rows monitored per epoch.
    max_seconds : float, optional
        Time budget.
    max_batches : int, optional
        Cap on the minibatches per epoch.
    n_threads : int or None
        BLAS threads of the NumPy path. ``None``: one, so that the result has
        the same bits on any machine (:func:`boltz.backend.deterministic_threads`);
        more run OpenBLAS's float32 products on more threads, which round
        differently, so the bits then depend on ``n_threads``. A torch CPU
        device always runs on one intra-op thread, for the same reason.
    device : str, optional
        Torch device to train on.
    binarize : {None, "dynamic"}, default None
        See above.

    checkpoint : str or path-like, optional
        Save the run there every ``checkpoint_every`` epochs, at the end and on
        Ctrl-C (:mod:`boltz.dbm.checkpoint`). Ctrl-C stops at a minibatch
        boundary and raises :class:`~boltz.checkpoint.TrainingInterrupted` (a
        ``KeyboardInterrupt``).
    checkpoint_every : int, default 1
        Epochs between checkpoints.
    resume : bool, default False
        Continue the run saved at ``checkpoint``, bit for bit (or start afresh
        when there is no file yet).
    comm : Communicator, optional
        Data-parallel training over the ranks of a :mod:`boltz.distributed`
        communicator: every rank calls ``train_dbm`` with the same model, ``X`` and
        ``seed``; each takes its rows of every global minibatch of ``batch_size``
        rows (mean field on them) and advances its ``n_chains / world_size``
        persistent chains, drawing the random numbers one process draws for them;
        the gradient statistics are summed over ranks before each update, so every
        rank ends with the model one process trains (equal up to float rounding),
        and ``model.chains_`` holds all chains. ``batch_size`` and ``n_chains``
        must be multiples of ``world_size``; ``checkpoint`` is refused
        (``ValueError``). Default: one process.

    Returns
    -------
    DeepBoltzmannMachine
        ``model``, trained in place.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((6, 3)), np.zeros((3, 2))])
    >>> m = train_dbm(m, X, n_epochs=1, batch_size=20, n_chains=10, seed=0)
    >>> len(m.history_)
    1
    """
    from ..checkpoint import check_checkpoint_args, deferred_interrupt

    ckpt = check_checkpoint_args(checkpoint, checkpoint_every, resume)
    comm = get_communicator(comm)
    if comm.world_size > 1 and ckpt[0] is not None:
        raise ValueError("checkpoint is not supported with comm (world_size > 1): each rank "
                         "holds only its block of the persistent chains; train without "
                         "checkpoint, or save the model after training")
    with _thread_settings(device, n_threads), deferred_interrupt():
        return _train(model, X, n_epochs=n_epochs, learning_rate=learning_rate,
                      batch_size=batch_size, n_chains=n_chains, gibbs_steps=gibbs_steps,
                      mean_field_iters=mean_field_iters, mean_field_init=mean_field_init,
                      weight_decay=weight_decay, momentum=momentum,
                      lr_decay_steps=lr_decay_steps, lr_schedule=lr_schedule,
                      final_lr_fraction=final_lr_fraction, centering=centering,
                      offset_rate=offset_rate, seed=seed, verbose=verbose, X_val=X_val,
                      monitor_size=monitor_size, max_seconds=max_seconds,
                      max_batches=max_batches, device=device, binarize=binarize, ckpt=ckpt,
                      comm=comm)


def _thread_settings(device, n_threads):
    """Context: one thread (same bits on any thread count), or the BLAS threads asked for."""
    from ..backend import blas_threads, deterministic_threads, is_torch_device

    if is_torch_device(device):
        from ..backend.torch_backend import torch_device

        return deterministic_threads(torch_device(device))
    return deterministic_threads(None) if n_threads is None else blas_threads(n_threads)


def _train(model, X, *, n_epochs, learning_rate, batch_size, n_chains, gibbs_steps,
           mean_field_iters, mean_field_init, weight_decay, momentum, lr_decay_steps,
           lr_schedule, final_lr_fraction, centering, offset_rate, seed, verbose, X_val,
           monitor_size, max_seconds, max_batches, device, binarize, ckpt, comm):
    from tqdm.auto import tqdm

    model = check_dbm(model)
    dt = model.weights_[0].dtype
    X = check_training_data(X, binarize, model.n_visible_, dt)
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
    start_data_parallel(comm, X, batch_size, n_chains, model.weights_ + model.biases_)
    t_start = time.perf_counter()

    # the chains, offsets and monitoring set start on the host, from the NumPy generator
    if binarize is None:
        chain_source = X
    else:
        picks = rng.choice(X.shape[0], n_chains, replace=X.shape[0] < n_chains)
        chain_source = draw_binary(X[picks], rng)
    chains = init_chains_from_data(model, chain_source, n_chains, rng, mean_field_iters)
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

    # the NumPy backend shares the generator; a torch one is seeded by one draw of it
    ops = get_backend(device, rng)
    chain_rows = RowShard(n_chains, comm)  # all chains drawn as in one process, a block kept
    state = JointState(ops, model, X, [chain_rows.take(c) for c in chains], offsets,
                       binarize=binarize, warm_start=mean_field_init == "persistent",
                       warm_starts=WarmStarts, comm=comm, n_chains=n_chains)
    path, every, resume = ckpt
    settings = {"layer_sizes": list(model.layer_sizes_), "dtype": str(dt), "n_chains": n_chains,
                "batch_size": batch_size, "n_batches": n_batches, "gibbs_steps": gibbs_steps,
                "mean_field_init": mean_field_init, "centering": bool(centering),
                "binarize": binarize}
    loop = {"epoch": 0, "batch": 0, "order": None, "step": 0, "elapsed": 0.0,
            "history": history}
    if resume and path.is_file():
        loop = restore_dbm_checkpoint(path, state, rng, X, settings)
        monitor, history = loop["monitor"], loop["history"]
    t_start = time.perf_counter() - loop["elapsed"]

    def save(epoch, batch=0, order=None, at_step=None):
        if path is not None:
            save_dbm_checkpoint(path, state, rng, X, settings, {
                "epoch": epoch, "batch": batch, "order": order, "monitor": monitor,
                "step": step if at_step is None else at_step, "history": history,
                "elapsed": time.perf_counter() - t_start})
        return path

    step, done = loop["step"], loop["epoch"]
    chains = state.download()
    for epoch in range(loop["epoch"] + 1, n_epochs + 1):
        t0 = time.perf_counter()
        try:
            step, lr = state.run_epoch(
                n_batches, batch_size, lr_at, step, momentum=momentum,
                weight_decay=weight_decay, mean_field_iters=mean_field_iters,
                gibbs_steps=gibbs_steps, centering=centering, offset_rate=offset_rate,
                progress=verbose, label=f"epoch {epoch}", desc=f"DBM epoch {epoch}/{n_epochs}",
                start_batch=loop["batch"], order=loop["order"])
        except TrainingInterrupted as exc:
            model.history_, model.chains_ = history, state.download()
            exc.epoch = epoch - 1
            exc.checkpoint = save(epoch - 1, exc.batch, exc.order, exc.step)
            raise
        loop["batch"], loop["order"], done = 0, None, epoch
        chains = state.download()
        check_diverged(_HOST, model.weights_, model.biases_,
                       f"the end of epoch {epoch}", lr)
        record = {"epoch": len(history) + 1, "seconds": time.perf_counter() - t0,
                  "n_batches": n_batches, "learning_rate": lr,
                  "max_abs_weight": float(max(np.abs(w).max() for w in model.weights_))}
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
        if epoch % every == 0 and epoch < n_epochs:
            save(epoch)
    model.history_ = history
    model.chains_ = chains if comm.world_size == 1 else [
        np.concatenate(comm.all_gather(c)) for c in chains]
    save(done)
    return model


def _mean_bound(model, v, n_iter):
    mus = model.mean_field(v, n_iter=n_iter)
    value = float(np.mean(model.variational_bound_unnormalized(v, mus)))
    if not np.isfinite(value):
        raise TrainingDivergedError("training diverged: the variational bound is not finite")
    return value


def fit_dbm(model, X, X_val=None, *, checkpoint=None, checkpoint_every=1, resume=False,
            comm=None):
    """Pretrain (when ``model.pretrain_epochs > 0``) and jointly train ``model`` on ``X``.

    Parameters
    ----------
    model : DeepBoltzmannMachine
        Its constructor parameters are the recipe.
    X : (n, n_visible) array
    X_val : binary array, optional
        Monitored each epoch.
    checkpoint, checkpoint_every, resume
        Checkpoints of joint training (see :func:`train_dbm`); a resumed run
        skips pretraining and starts from the checkpoint's parameters.
    comm : Communicator, optional
        Joint training data-parallel over the ranks of a :mod:`boltz.distributed`
        communicator (see :func:`train_dbm`); the greedy pretraining runs on every
        rank, the same on each for the same seed, and rank 0's result is used.

    Returns
    -------
    DeepBoltzmannMachine
        ``model``, fitted.

    Examples
    --------
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> X = (np.random.default_rng(0).random((40, 6)) < 0.3).astype(np.float32)
    >>> m = fit_dbm(DeepBoltzmannMachine((4, 3), n_epochs=1, pretrain_epochs=1, seed=0), X)
    >>> len(m.history_)
    1
    """
    n_hidden = check_hidden_sizes(model.n_hidden)
    check_choice(model.dtype, "dtype", {"float32", "float64"})
    dt = np.dtype(model.dtype)
    binarize = getattr(model, "binarize", None)
    if binarize is not None and not isinstance(binarize, str):
        binarize = None  # a threshold: X arrives binarized by DeepBoltzmannMachine.fit
    X = check_training_data(X, binarize, None, dt)
    pretrain_epochs = check_nonnegative_int(model.pretrain_epochs, "pretrain_epochs")
    rng = check_rng(model.seed)
    from ..checkpoint import check_checkpoint_args

    path, _, resume = check_checkpoint_args(checkpoint, checkpoint_every, resume)
    if resume and path.is_file():
        from .checkpoint import checkpoint_parameters

        weights, biases = checkpoint_parameters(path)
    elif pretrain_epochs > 0:
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
        binarize=binarize, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
        resume=resume, comm=comm)
