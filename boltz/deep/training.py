"""A small training loop for torch energies, with checkpoints and device handling.

Examples
--------
>>> import torch
>>> from boltz.deep.energies import GaussianEnergy
>>> from boltz.deep.objectives import ScoreMatching
>>> data = torch.randn(500, 2, dtype=torch.float64) * 2.0 + 1.0
>>> model = GaussianEnergy([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], learnable=True)
>>> result = fit(model, ScoreMatching(), data, n_steps=300, lr=0.05, seed=0, progress=False)
>>> result.n_steps, result.diverged
(300, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from .._validation import check_choice, check_positive_int, check_positive_scalar
from ._utils import TrainingDivergedError, as_batch, make_generator, resolve_device

__all__ = ["fit", "FitResult", "save_checkpoint", "load_checkpoint", "TrainingDivergedError"]


@dataclass
class FitResult:
    """Outcome of :func:`fit`: loss per step, steps done, and divergence status.

    Parameters
    ----------
    losses : list of float
        The loss after each update.
    n_steps : int
        Updates done.
    diverged : bool
        Whether training stopped on a divergence (``on_divergence="stop"``).
    message : str
        What diverged, if anything.
    info : list
        Per-step extra output of the objective.

    Examples
    --------
    >>> FitResult(losses=[1.0, 0.5], n_steps=2).diverged
    False
    """

    losses: list = field(default_factory=list)
    n_steps: int = 0
    diverged: bool = False
    message: str = ""
    info: list = field(default_factory=list)


def save_checkpoint(path, model, objective=None, optimizer=None, scheduler=None,
                    step: int | None = None) -> Path:
    """Save the state dicts (tensors and plain values, never pickled objects).

    Parameters
    ----------
    path : str or Path
        Written atomically (a temporary file, then renamed).
    model : torch.nn.Module
    objective : Objective, optional
        With a persistent objective its replay buffer (chains and generator) is included.
    optimizer, scheduler : optional
        ``torch.optim`` optimizer and learning-rate scheduler, to resume training.
    step : int, optional
        Training steps done.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, torch
    >>> from boltz.deep.energies import MLPEnergy
    >>> m = MLPEnergy(2, hidden=(4,))
    >>> opt = torch.optim.Adam(m.parameters())
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_checkpoint(d + "/c.pt", m, optimizer=opt, step=3)
    ...     sorted(torch.load(p, weights_only=True))
    ['model', 'optimizer', 'step']
    """
    from .checkpoint import state_dicts, write_state

    return write_state(path, state_dicts(model, objective, optimizer, scheduler, step))


def load_checkpoint(path, model, objective=None, map_location="cpu", optimizer=None,
                    scheduler=None):
    """Load a checkpoint written by :func:`save_checkpoint` with ``weights_only=True``.

    Parameters
    ----------
    path : str or Path
        The checkpoint file.
    model : torch.nn.Module
        Receives the model state.
    objective, optimizer, scheduler : optional
        Receive their states when the checkpoint has them.
    map_location : str or torch.device, default "cpu"
        Where the tensors are loaded.

    Returns
    -------
    torch.nn.Module
        ``model``.

    Examples
    --------
    >>> import tempfile, torch
    >>> from boltz.deep.energies import MLPEnergy
    >>> torch.manual_seed(0) and None
    >>> a, b = MLPEnergy(2, hidden=(4,)), MLPEnergy(2, hidden=(4,))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = load_checkpoint(save_checkpoint(d + "/c.pt", a), b)
    >>> x = torch.randn(3, 2)
    >>> bool(torch.equal(a(x), b(x)))
    True
    """
    from .checkpoint import read_state

    state = read_state(path, map_location)
    model.load_state_dict(state["model"])
    if objective is not None and "objective" in state:
        objective.load_state_dict(state["objective"])
    if optimizer is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and "scheduler" in state:
        scheduler.load_state_dict(state["scheduler"])
    return model


def _batches(data, model, batch_size, gen):
    """``(draw, x, index_generator)``: a minibatch function, the data tensor (``None`` for a
    data function) and the CPU generator that draws the minibatch indices."""
    if callable(data) and not isinstance(data, torch.Tensor):
        def draw():
            x = data(batch_size, gen)
            return as_batch(x, model.event_shape, dtype=model.dtype, device=model.device,
                            name="data batch")
        return draw, None, gen
    x = as_batch(data, model.event_shape, dtype=model.dtype, device=model.device, name="data")
    n = x.shape[0]
    cpu_gen = gen if gen.device.type == "cpu" else make_generator(int(
        torch.randint(0, 2**62, (1,), generator=gen, device=gen.device)))

    def draw():
        if batch_size >= n:
            return x
        idx = torch.randint(0, n, (batch_size,), generator=cpu_gen)
        return x[idx.to(x.device)]
    return draw, x, cpu_gen


def _check_resume_options(checkpoint, checkpoint_every, resume, max_seconds):
    """``(path or None, every or None, resume, max_seconds)`` after checking them."""
    from ..checkpoint import check_checkpoint_args

    path, every, resume = check_checkpoint_args(
        checkpoint, 1 if checkpoint_every is None else checkpoint_every, resume, suffix=None)
    if max_seconds is not None:
        max_seconds = check_positive_scalar(max_seconds, "max_seconds")
    return path, None if checkpoint_every is None else every, resume, max_seconds


def _trainable(model, objective) -> list:
    params = [p for p in list(model.parameters()) + list(objective.parameters())
              if p.requires_grad]
    if not params:
        raise ValueError("the model and objective have no trainable parameters")
    return params


def _optimizer(params, optimizer, lr, weight_decay, lr_schedule, n_steps):
    opt = optimizer or torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    sched = None
    if lr_schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=n_steps)
    return opt, sched


def _make_run(model, objective, data, *, device, seed, optimizer, lr, weight_decay, lr_schedule,
              n_steps, batch_size, grad_clip, comm=None):
    """``(run, draw, generator, params)``: a fresh :class:`~boltz.deep.checkpoint.FitRun` on
    ``device`` with its minibatch function, main generator and trainable parameters."""
    from .checkpoint import FitRun, fit_settings

    dev = resolve_device(device)
    if dev is not None:
        model.to(dev)
        objective.to(dev)
    gen = make_generator(seed, model.device)
    params = _trainable(model, objective)
    dp, draw_gen = None, gen
    if comm is not None:
        from ..distributed.data_parallel import DataParallel

        dp = DataParallel(comm, params)
        draw_gen, gen = dp.generators(gen)
    draw, x, index_gen = _batches(data, model, batch_size, draw_gen)
    if dp is not None:
        draw = dp.shard(draw)
    x = data if x is None else x  # a data function is fingerprinted by name
    opt, sched = _optimizer(params, optimizer, lr, weight_decay, lr_schedule, n_steps)
    settings = dict(batch_size=batch_size, lr=lr, weight_decay=weight_decay, grad_clip=grad_clip,
                    lr_schedule=lr_schedule, optimizer=type(opt).__name__)
    if sched is not None:  # the cosine schedule's length is part of its state
        settings["n_steps"] = n_steps
    generators = {"main": gen} if index_gen is gen else {"main": gen, "batches": index_gen}
    run = FitRun(model, objective, opt, sched, generators,
                 fit_settings(model, objective, x, **settings), FitResult())
    run.data_parallel = dp
    return run, draw, gen, params


def _update(run, draw, gen, params, grad_clip) -> None:
    """One minibatch update; appends its loss and info to ``run.result``."""
    x = draw()
    loss, info = run.objective(run.model, x, gen)
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if run.data_parallel is not None:            # gradients and loss over the global batch
        loss = run.data_parallel.average(loss)
    if grad_clip is not None:
        torch.nn.utils.clip_grad_norm_(params, grad_clip)
    run.optimizer.step()
    if run.scheduler is not None:
        run.scheduler.step()
    run.result.losses.append(float(loss.detach()))
    run.result.info.append(info)
    run.result.n_steps += 1


def _stop_on_interrupt(run, path, clock) -> None:
    """Between two updates: honour a Ctrl-C (write the checkpoint, raise TrainingInterrupted)."""
    from ..checkpoint import INTERRUPT, TrainingInterrupted
    from .checkpoint import save_fit_checkpoint

    if not INTERRUPT.pending():
        return
    step = run.result.n_steps
    if path is not None:
        run.elapsed = clock()
        save_fit_checkpoint(path, run)
    exc = TrainingInterrupted(f"training interrupted after update {step}", checkpoint=path,
                              updates=step)
    exc.result = run.result
    raise exc


def _train_loop(run, draw, gen, params, *, n_steps, grad_clip, path, every, max_seconds, bar):
    """Updates until ``n_steps`` are done, the time budget runs out, or Ctrl-C."""
    import time

    from .checkpoint import save_fit_checkpoint

    t_start = time.perf_counter() - run.elapsed

    def clock():
        return time.perf_counter() - t_start

    res = run.result
    while res.n_steps < n_steps:
        _stop_on_interrupt(run, path, clock)
        _update(run, draw, gen, params, grad_clip)
        if bar is not None:
            bar.update(1)
            if res.n_steps % 25 == 1:
                bar.set_postfix(loss=f"{res.losses[-1]:.4g}")
        if path is not None and every and res.n_steps % every == 0 and res.n_steps < n_steps:
            run.elapsed = clock()
            save_fit_checkpoint(path, run)
        if max_seconds is not None and clock() >= max_seconds:
            res.message = f"time budget of {max_seconds:g} s used up after {res.n_steps} updates"
            break
    run.elapsed = clock()


def fit(model, objective, data, *, n_steps: int = 1000, batch_size: int = 256, lr: float = 1e-3,
        weight_decay: float = 0.0, grad_clip: float | None = None, device=None, seed=None,
        progress: bool = True, checkpoint=None, checkpoint_every: int | None = None,
        on_divergence: str = "raise", lr_schedule: str = "constant",
        optimizer=None, resume: bool = False, max_seconds: float | None = None,
        comm=None) -> FitResult:
    """Train ``model`` by minimising ``objective`` with Adam.

    Parameters
    ----------
    model : EnergyModule
        The energy to train (its parameters are updated in place).
    objective : Objective
        E.g. :class:`~boltz.deep.objectives.ContrastiveDivergence`.
    data : tensor/array ``(N, *event_shape)`` or callable ``(n, generator) -> batch``
        A fixed data set (minibatches drawn with replacement) or a sampler.
    n_steps : int, default 1000
        Parameter updates.
    batch_size : int, default 256
        Samples per update.
    lr : float, default 1e-3
        Adam's learning rate.
    weight_decay : float, default 0.0
        Adam's weight decay.
    grad_clip : float, optional
        Clip the gradient's global norm to this value (default: no clipping).
    device : None, "cpu", "cuda", "auto" or torch.device
        Where to train; model and objective are moved there.
    seed : int, torch.Generator or None
        Seeds minibatches, sampler noise and projections.
    progress : bool
        tqdm progress bar.
    checkpoint : str or path-like, optional
        Where to save the whole run (every ``checkpoint_every`` updates, at the end,
        and when Ctrl-C stops it): model, objective (with its replay buffer),
        optimizer, scheduler, updates done, losses, elapsed time and the state of
        every generator the fit draws from (:mod:`boltz.deep.checkpoint`). Ctrl-C
        during ``fit`` stops between two updates, writes the checkpoint and raises
        :class:`~boltz.checkpoint.TrainingInterrupted` (a ``KeyboardInterrupt``;
        its ``checkpoint``, ``updates`` and ``result`` attributes say where it stopped).
    checkpoint_every : int, optional
        Updates between checkpoints (default: only at the end and on Ctrl-C).
    lr_schedule : {"constant", "cosine"}
        ``"cosine"`` decays the learning rate to zero, which averages out the
        gradient noise of stochastic objectives at the end of training.
    on_divergence : {"raise", "stop"}
        ``"raise"`` re-raises :class:`TrainingDivergedError`; ``"stop"`` stops,
        keeps the last parameters and reports ``diverged=True`` with the message.
    optimizer : torch.optim.Optimizer, optional
        Used instead of Adam (``lr`` and ``weight_decay`` are then its own).
    resume : bool, default False
        Continue the run saved at ``checkpoint`` bit for bit (or start afresh when
        the file does not exist yet): the model, objective and data must be made
        the same way and the settings must be those of the saved run (a
        ``ValueError`` names the one that differs). ``n_steps`` is the total,
        counting the updates already done.
    max_seconds : float, optional
        Stop after the update in which this many seconds of training (counted
        over resumed runs too) have passed; ``FitResult.message`` says so.
    comm : boltz.distributed.Communicator, optional
        Data-parallel training over its ranks (:mod:`boltz.distributed.data_parallel`):
        every rank draws the same global batch of ``batch_size`` rows and keeps its
        share, gradients and loss are averaged over the global batch, the objective's
        noise and replay buffer are per rank. Every rank passes the same arguments;
        checkpoints are written by rank 0 only. Default: one process.

    Returns
    -------
    FitResult
        The loss per update, the updates done and the divergence status.

    Examples
    --------
    >>> import torch
    >>> from boltz.deep import DenoisingScoreMatching, MLPEnergy
    >>> data = torch.randn(500, 1, generator=torch.Generator().manual_seed(0)) + 2.0
    >>> res = fit(MLPEnergy(1, hidden=(8,)), DenoisingScoreMatching(0.5), data, n_steps=20,
    ...           seed=0, progress=False)
    >>> res.n_steps, res.diverged
    (20, False)
    """
    n_steps = check_positive_int(n_steps, "n_steps")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_scalar(lr, "lr")
    weight_decay = check_positive_scalar(weight_decay, "weight_decay", allow_zero=True)
    if grad_clip is not None:
        grad_clip = check_positive_scalar(grad_clip, "grad_clip")
    check_choice(on_divergence, "on_divergence", ("raise", "stop"))
    check_choice(lr_schedule, "lr_schedule", ("constant", "cosine"))
    path, every, resume, max_seconds = _check_resume_options(checkpoint, checkpoint_every,
                                                             resume, max_seconds)
    from ..checkpoint import deferred_interrupt
    from .checkpoint import restore_fit_checkpoint, save_fit_checkpoint

    run, draw, gen, params = _make_run(
        model, objective, data, device=device, seed=seed, optimizer=optimizer, lr=lr,
        weight_decay=weight_decay, lr_schedule=lr_schedule, n_steps=n_steps,
        batch_size=batch_size, grad_clip=grad_clip, comm=comm)
    if resume and comm is not None and run.data_parallel.comm.world_size > 1:
        raise ValueError("resume takes a one-process run; a data-parallel checkpoint holds "
                         "rank 0's generators only")
    if run.data_parallel is not None and run.data_parallel.comm.rank != 0:
        path = None                              # rank 0 writes the checkpoints
    if resume and path is not None and path.is_file():
        restore_fit_checkpoint(path, run)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_steps, initial=run.result.n_steps,
                   desc=f"fit {getattr(objective, 'name', '')}", leave=False)
    model.train()
    try:
        with deferred_interrupt():
            _train_loop(run, draw, gen, params, n_steps=n_steps, grad_clip=grad_clip, path=path,
                        every=every, max_seconds=max_seconds, bar=bar)
    except TrainingDivergedError as exc:
        msg = f"training diverged at step {run.result.n_steps + 1}: {exc}"
        if on_divergence == "raise":
            raise TrainingDivergedError(msg) from exc
        run.result.diverged, run.result.message = True, msg
    finally:
        if bar is not None:
            bar.close()
        model.eval()
    if path is not None and not run.result.diverged:
        save_fit_checkpoint(path, run)
    return run.result
