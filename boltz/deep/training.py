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
    path = Path(path)
    state = {"model": model.state_dict()}
    if objective is not None:
        state["objective"] = objective.state_dict()
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    if step is not None:
        state["step"] = int(step)
    from ..io import atomic_write

    with atomic_write(path) as f:  # fsync'ed; no partial or temporary file on failure
        torch.save(state, f)
    return path


def load_checkpoint(path, model, objective=None, map_location="cpu", optimizer=None,
                    scheduler=None):
    """Load a checkpoint written by :func:`save_checkpoint` with ``weights_only=True``.

    Parameters
    ----------
    path : str or Path
    model : torch.nn.Module
        Receives the model state.
    objective, optimizer, scheduler : optional
        Receive their states when the checkpoint has them.
    map_location : str or torch.device

    Returns
    -------
    torch.nn.Module
        ``model``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # corrupted file or a pickle with code in it
        raise ValueError(f"{path} is not a readable boltz checkpoint: {exc}") from None
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(f"{path} is not a boltz checkpoint (no 'model' state dict)")
    model.load_state_dict(state["model"])
    if objective is not None and "objective" in state:
        objective.load_state_dict(state["objective"])
    if optimizer is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and "scheduler" in state:
        scheduler.load_state_dict(state["scheduler"])
    return model


def _batches(data, model, batch_size, gen):
    if callable(data) and not isinstance(data, torch.Tensor):
        def draw():
            x = data(batch_size, gen)
            return as_batch(x, model.event_shape, dtype=model.dtype, device=model.device,
                            name="data batch")
        return draw
    x = as_batch(data, model.event_shape, dtype=model.dtype, device=model.device, name="data")
    n = x.shape[0]
    cpu_gen = gen if gen.device.type == "cpu" else make_generator(int(
        torch.randint(0, 2**62, (1,), generator=gen, device=gen.device)))

    def draw():
        if batch_size >= n:
            return x
        idx = torch.randint(0, n, (batch_size,), generator=cpu_gen)
        return x[idx.to(x.device)]
    return draw


def fit(model, objective, data, *, n_steps: int = 1000, batch_size: int = 256, lr: float = 1e-3,
        weight_decay: float = 0.0, grad_clip: float | None = None, device=None, seed=None,
        progress: bool = True, checkpoint=None, checkpoint_every: int | None = None,
        on_divergence: str = "raise", lr_schedule: str = "constant",
        optimizer=None, comm=None) -> FitResult:
    """Train ``model`` by minimising ``objective`` with Adam.

    Parameters
    ----------
    model : EnergyModule
    objective : Objective
        E.g. :class:`~boltz.deep.objectives.ContrastiveDivergence`.
    data : tensor/array ``(N, *event_shape)`` or callable ``(n, generator) -> batch``
        A fixed data set (minibatches drawn with replacement) or a sampler.
    n_steps, batch_size, lr, weight_decay, grad_clip
    device : None, "cpu", "cuda", "auto" or torch.device
        Where to train; model and objective are moved there.
    seed : int, torch.Generator or None
        Seeds minibatches, sampler noise and projections.
    progress : bool
        tqdm progress bar.
    checkpoint : path, optional
        Where to save state dicts (every ``checkpoint_every`` steps and at the end):
        model, objective (with its replay buffer), optimizer, scheduler and step.
    lr_schedule : {"constant", "cosine"}
        ``"cosine"`` decays the learning rate to zero, which averages out the
        gradient noise of stochastic objectives at the end of training.
    on_divergence : {"raise", "stop"}
        ``"raise"`` re-raises :class:`TrainingDivergedError`; ``"stop"`` stops,
        keeps the last parameters and reports ``diverged=True`` with the message.
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
    if checkpoint_every is not None:
        checkpoint_every = check_positive_int(checkpoint_every, "checkpoint_every")
    dev = resolve_device(device)
    if dev is not None:
        model.to(dev)
        objective.to(dev)
    gen = make_generator(seed, model.device)
    draw = _batches(data, model, batch_size, gen)
    params = [p for p in list(model.parameters()) + list(objective.parameters())
              if p.requires_grad]
    if not params:
        raise ValueError("the model and objective have no trainable parameters")
    dp = None
    if comm is not None:
        from ..distributed.data_parallel import DataParallel

        dp = DataParallel(comm, params)
        draw_gen, gen = dp.generators(gen)
        draw = dp.shard(_batches(data, model, batch_size, draw_gen))
        if dp.comm.rank != 0:
            checkpoint = None
    opt = optimizer or torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    sched = None
    if lr_schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=n_steps)
    result = FitResult()
    steps = range(n_steps)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = steps = tqdm(steps, desc=f"fit {getattr(objective, 'name', '')}", leave=False)
    model.train()
    try:
        for t in steps:
            x = draw()
            loss, info = objective(model, x, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if dp is not None:
                loss = dp.average(loss)
            if grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(params, grad_clip)
            opt.step()
            if sched is not None:
                sched.step()
            result.losses.append(float(loss.detach()))
            result.info.append(info)
            result.n_steps = t + 1
            if bar is not None and t % 25 == 0:
                bar.set_postfix(loss=f"{result.losses[-1]:.4g}")
            if checkpoint is not None and checkpoint_every and (t + 1) % checkpoint_every == 0:
                save_checkpoint(checkpoint, model, objective, opt, sched, step=t + 1)
    except TrainingDivergedError as exc:
        msg = f"training diverged at step {result.n_steps + 1}: {exc}"
        if on_divergence == "raise":
            raise TrainingDivergedError(msg) from exc
        result.diverged, result.message = True, msg
    finally:
        if bar is not None:
            bar.close()
        model.eval()
    if checkpoint is not None and not result.diverged:
        save_checkpoint(checkpoint, model, objective, opt, sched, step=result.n_steps)
    return result
