"""Stochastic-gradient training of RBMs: CD-k, PCD-k and parallel tempering.

The log-likelihood gradient of an RBM is a difference of two expectations,
``<T(v) p(h|v)^T>_data - <T(v) h^T>_model``. The positive phase uses the
minibatch; the negative phase approximates the model expectation with

- ``"cd"``: ``k`` block-Gibbs sweeps started at the minibatch (Hinton 2002);
- ``"pcd"``: ``k`` sweeps of persistent chains that survive between updates
  (Tieleman 2008) — the chains keep their last hidden sample, as in
  scikit-learn's ``BernoulliRBM``, so one update costs three float32 matrix
  products plus one for the gradient;
- ``"pt"``: persistent chains at ``n_temperatures`` inverse temperatures
  ``beta = 1 ... 0`` with swaps between neighbours (Desjardins et al. 2010),
  Bernoulli visibles only; statistics come from the ``beta = 1`` chain.

Optional extras: centring (Montavon & Müller 2012; Melchior, Fischer &
Wiskott 2016): the gradient is taken for the offset energy
``-(v - mu) W (h - lam)`` with ``mu`` the data mean and ``lam`` a running mean
of ``p(h|v)``, and converted back to the plain parameters, which is what the
model stores; momentum, L2 weight decay, a sparsity target on the hidden
activations (Lee et al. 2008; Hinton's guide, section 11), and learning-rate
schedules (``"constant"``, ``"linear"`` decay to ``final_lr_fraction``,
``"exponential"`` decay to it, ``"linear_time"``: the linear decay spread
over the ``max_seconds`` time budget instead of the epochs, or a callable
``epoch -> lr``). With ``max_seconds`` set, training ends after the epoch in
which the budget runs out, whatever the schedule.

Products with 0/1 matrices (Bernoulli/one-hot visibles, sampled hiddens) are
sparse row sums in numba when few units are on, else float32 BLAS; sampling
uses NumPy's SIMD ``exp`` and a numba finishing loop; the parameter update is
one fused kernel that also reports ``max |W|``, so divergence (NaN/inf, or
weights beyond ``max_weight``) stops training with a
:class:`~boltz.rbm.model.DivergenceError` at the batch where it happens. With
``n_threads >= 2`` a worker thread computes the positive phase while the
persistent chains advance (same result, two cores).

What works on binarized MNIST (``benchmarks/rbm_mnist.py``): centred PCD-1,
no momentum, ``learning_rate=0.02`` decaying linearly to 1%. A constant rate
leaves the model oscillating with its persistent chains; the final small
rates are what settle it.

:func:`train` is what ``fit``/``partial_fit`` call; use those.
"""

from __future__ import annotations

import time

import numpy as np

from .._validation import (
    check_choice,
    check_nonnegative_int,
    check_positive_int,
    check_positive_scalar,
    check_probability,
    check_rng,
)
from ..backend import is_torch_device
from ..datasets import draw_binary
from ..distributed.comm import get_communicator
from .trainer import Trainer

__all__ = ["Trainer", "learning_rate_at", "make_trainer", "momentum_at"]

_SCHEDULES = ("constant", "linear", "exponential", "linear_time")


def time_budget(model) -> float | None:
    """``model.max_seconds`` checked (``None``: no budget); ``"linear_time"`` needs one."""
    budget = getattr(model, "max_seconds", None)
    if budget is not None:
        return check_positive_scalar(budget, "max_seconds")
    if model.lr_schedule == "linear_time":
        raise ValueError("lr_schedule='linear_time' needs max_seconds (the time budget)")
    return None


def learning_rate_at(model, epoch: int, n_epochs: int, elapsed: float = 0.0) -> float:
    """The learning rate of (0-based) ``epoch`` under ``model.lr_schedule``.

    ``elapsed`` is the training time so far in seconds, which ``"linear_time"``
    decays over (down to ``final_lr_fraction`` when it reaches ``max_seconds``).
    """
    lr0 = check_positive_scalar(model._training_setting("learning_rate"), "learning_rate")
    sched = model.lr_schedule
    if callable(sched):
        return check_positive_scalar(sched(epoch), "lr_schedule(epoch)", allow_zero=True)
    check_choice(sched, "lr_schedule", _SCHEDULES)
    final = check_probability(model.final_lr_fraction, "final_lr_fraction", low_open=True)
    if sched == "linear_time":
        return lr0 * (1.0 - (1.0 - final) * min(1.0, elapsed / time_budget(model)))
    frac = epoch / max(n_epochs - 1, 1)
    if sched == "linear":
        return lr0 * (1.0 - (1.0 - final) * frac)
    if sched == "exponential":
        return lr0 * final**frac
    return lr0


def momentum_at(model, epoch: int) -> float:
    """Momentum of ``epoch``: a number, or a callable ``epoch -> momentum``."""
    momentum = model._training_setting("momentum")
    m = momentum(epoch) if callable(momentum) else momentum
    return check_probability(m, "momentum", high_open=True)


def run_epoch(trainer: Trainer, X32, lr: float, momentum: float, epoch: int):
    """One pass over ``X32`` in shuffled minibatches; raises on divergence."""
    trainer.run_epoch(X32, lr, momentum, epoch)


def uses_torch(model) -> bool:
    """Whether ``model.device`` asks for the torch backend (anything but ``None``/``"cpu"``)."""
    return is_torch_device(getattr(model, "device", None))


def make_trainer(model, X32, seed=None, *, up: float = 1.0, down: float = 1.0, comm=None):
    """A :class:`~boltz.rbm.trainer.Trainer` on the backend of ``model.device``
    (a torch device imports torch only then), data-parallel over ``comm`` if given."""
    return Trainer(model, X32, seed, up=up, down=down, comm=comm)


def epoch_metrics(model, X_monitor, X_val, epoch, rng) -> dict:
    """Reconstruction error and (Bernoulli visibles) exact pseudo-likelihood, per sample."""
    out = {}
    rec = model.reconstruct(X_monitor)
    out["recon_error"] = float(((X_monitor - rec) ** 2).sum(axis=1).mean())
    if model._has_pseudo_likelihood:
        out["pseudo_loglik"] = float(model.pseudo_log_likelihood(X_monitor).mean())
    if X_val is not None:
        rec = model.reconstruct(X_val)
        out["val_recon_error"] = float(((X_val - rec) ** 2).sum(axis=1).mean())
        if model._has_pseudo_likelihood:
            out["val_pseudo_loglik"] = float(model.pseudo_log_likelihood(X_val).mean())
    return out


def train(model, X32, n_epochs, *, X_val=None, callbacks=(), trainer=None, epoch_offset=0,
          X_val_full=None, rng=None, checkpoint=None, checkpoint_every=1, resume=False,
          comm=None):
    """Train ``model`` in place for ``n_epochs`` passes over ``X32``; returns the trainer.

    Appends one dict of metrics per epoch to ``model.history_``. ``callbacks``
    are called as ``cb(model, epoch, metrics)``; a callback returning ``True``
    stops training, and so does the end of the ``model.max_seconds`` budget
    (after the epoch in which it runs out; the time counts from this call).
    Early stopping (``model.early_stopping``) watches the validation AIS
    log-likelihood when computed, else the validation pseudo-likelihood, else
    minus the validation reconstruction error, and
    restores the best parameters seen.

    ``checkpoint`` (a path) is written every ``checkpoint_every`` epochs, at the
    end and on Ctrl-C (:mod:`boltz.rbm.checkpoint`); with ``resume`` an existing
    checkpoint is loaded first and the run continues from its position. Ctrl-C
    stops at a minibatch boundary and raises
    :class:`~boltz.checkpoint.TrainingInterrupted` (a ``KeyboardInterrupt``).

    ``comm`` (a :mod:`boltz.distributed` communicator) trains data-parallel over its
    ranks (see :class:`~boltz.rbm.trainer.Trainer`); checkpoints are refused then
    (``ValueError``: each rank holds only its block of the persistent chains).
    """
    from ..checkpoint import deferred_interrupt

    if comm is not None and get_communicator(comm).world_size > 1 and checkpoint is not None:
        raise ValueError("checkpoint is not supported with comm (world_size > 1): each rank "
                         "holds only its block of the persistent chains; train without "
                         "checkpoint, or save the model after fit")
    with deferred_interrupt():
        return _train(model, X32, n_epochs, X_val=X_val, callbacks=callbacks, trainer=trainer,
                      epoch_offset=epoch_offset, X_val_full=X_val_full, rng=rng,
                      checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                      resume=resume, comm=comm)


def _train(model, X32, n_epochs, *, X_val, callbacks, trainer, epoch_offset, X_val_full, rng,
           checkpoint, checkpoint_every, resume, comm=None):
    from tqdm.auto import tqdm

    from ..checkpoint import TrainingInterrupted, check_checkpoint_args
    from .checkpoint import restore_rbm_checkpoint, save_rbm_checkpoint

    checkpoint, checkpoint_every, resume = check_checkpoint_args(checkpoint, checkpoint_every,
                                                                  resume)
    rng = check_rng(model.seed if rng is None else rng)
    if trainer is None:
        trainer = make_trainer(model, X32, rng, comm=comm)
    monitor_every = check_nonnegative_int(model.monitor_every, "monitor_every")
    ais_every = check_nonnegative_int(model.ais_every, "ais_every")
    monitor_size = check_positive_int(model.monitor_size, "monitor_size")
    patience = check_positive_int(model.patience, "patience")
    budget = time_budget(model)
    if model.early_stopping and X_val is None:
        raise ValueError("early_stopping=True needs validation data: fit(X, X_val=...)")
    mon_idx = trainer.rng.choice(X32.shape[0], size=min(monitor_size, X32.shape[0]), replace=False)
    X_mon = draw_binary(X32[np.sort(mon_idx)], trainer.rng, trainer.binarize).astype(np.float64)
    X_val_mon = None
    if X_val is not None:
        X_val_mon = X_val[:monitor_size].astype(np.float64)
    loop = {"epoch": epoch_offset, "batch": 0, "order": None, "elapsed": 0.0, "best": -np.inf,
            "bad": 0, "best_params": None}
    if resume and checkpoint.is_file():
        loop = restore_rbm_checkpoint(checkpoint, model, trainer, X32)
        X_mon = loop["X_mon"]
        epoch_offset = 0
    best, best_params, bad = loop["best"], loop["best_params"], loop["bad"]
    first = loop["epoch"] - epoch_offset

    def save(epoch, batch=0, order=None):
        if checkpoint is not None:
            save_rbm_checkpoint(checkpoint, model, trainer, X32, {
                "epoch": epoch, "batch": batch, "order": order, "X_mon": X_mon,
                "elapsed": time.perf_counter() - t_start, "best": best, "bad": bad,
                "best_params": best_params})
        return checkpoint

    bar = tqdm(range(first, n_epochs), desc=type(model).__name__, disable=not model.verbose,
               leave=True)
    t_start = time.perf_counter() - loop["elapsed"]
    for e in bar:
        epoch = epoch_offset + e
        lr = learning_rate_at(model, epoch, max(n_epochs + epoch_offset, 1),
                              elapsed=time.perf_counter() - t_start)
        mom = momentum_at(model, epoch)
        t0 = time.perf_counter()
        try:
            trainer.run_epoch(X32, lr, mom, epoch, start_batch=loop["batch"],
                              order=loop["order"])
        except TrainingInterrupted as exc:
            bar.close()
            exc.checkpoint = save(epoch, exc.batch, exc.order)
            raise
        loop["batch"], loop["order"] = 0, None
        metrics = {"epoch": epoch + 1, "seconds": time.perf_counter() - t0,
                   "learning_rate": lr, "momentum": mom}
        if monitor_every and (epoch + 1) % monitor_every == 0:
            metrics.update(epoch_metrics(model, X_mon, X_val_mon, epoch, rng))
        if ais_every and X_val is not None and (epoch + 1) % ais_every == 0:
            from .ais import ais_log_partition

            res = ais_log_partition(model, n_runs=model.ais_runs, n_betas=model.ais_betas,
                                    data=X32, seed=trainer.rng)
            full = X_val if X_val_full is None else X_val_full
            metrics["val_loglik_ais"] = float(
                np.mean(-model.free_energy(full.astype(np.float64))) - res.log_z)
        if getattr(trainer, "swap_attempts", 0):
            metrics["pt_swap_rate"] = trainer.swap_accepts / trainer.swap_attempts
        model.history_.append(metrics)
        model.n_iter_ = epoch + 1
        # significant digits, not decimals: a decayed learning rate (1e-5) must not show as 0
        bar.set_postfix({k: f"{v:.4g}" for k, v in metrics.items()
                         if k not in ("epoch", "momentum")})
        stop = budget is not None and time.perf_counter() - t_start >= budget
        if model.early_stopping:
            score = next((metrics[k] for k in ("val_loglik_ais", "val_pseudo_loglik")
                          if k in metrics), None)
            if score is None and "val_recon_error" in metrics:
                score = -metrics["val_recon_error"]
            if score is not None:
                if score > best:
                    best, bad = score, 0
                    best_params = {k: v.copy() for k, v in model._param_arrays().items()}
                else:
                    bad += 1
                    if bad >= patience:
                        stop = True
        try:
            for cb in callbacks or ():
                if cb(model, epoch + 1, metrics):
                    stop = True
        except KeyboardInterrupt as exc:  # e.g. Ctrl-C in a callback: the epoch is complete
            bar.close()
            path = save(epoch + 1)
            raise TrainingInterrupted(f"training interrupted after epoch {epoch + 1}",
                                      checkpoint=path, epoch=epoch + 1) from exc
        if stop:
            break
        if (epoch + 1) % checkpoint_every == 0 and e + 1 < n_epochs:
            save(epoch + 1)
    bar.close()
    save(model.n_iter_)
    if model.early_stopping and best_params is not None:
        for name, arr in best_params.items():
            getattr(model, name + "_")[...] = arr
        model.best_score_ = best
    return trainer
