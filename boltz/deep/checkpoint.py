"""Checkpoints of :func:`boltz.deep.fit`: save the whole run, resume it bit for bit.

``fit(model, objective, data, checkpoint=PATH, checkpoint_every=N, resume=True)``
writes PATH (a ``torch.save`` file of tensors and plain values, read back with
``weights_only=True``, never unpickled code) every ``N`` updates, at the end,
and when Ctrl-C stops the run between two updates. A checkpoint holds the
model's and the objective's state dicts (a persistent objective's replay buffer
with its generator), the optimizer's and the learning-rate scheduler's state,
the updates done, the elapsed seconds of the ``max_seconds`` budget, the losses
and per-update info so far, the state of every ``torch.Generator`` the fit draws
from (the fit uses no global random state), the noise a noise-contrastive
objective fitted to its first batch, and the run's settings with a fingerprint
of the data. Resuming with the same model architecture, objective, data and
settings continues the same run: its parameters and replay buffer equal the
uninterrupted run's bit for bit (torch on the CPU; ``tests/test_reliability_deep_resume.py``).

Examples
--------
>>> import os, tempfile, torch
>>> from boltz.deep import DenoisingScoreMatching, MLPEnergy, fit
>>> data = torch.randn(100, 2, generator=torch.Generator().manual_seed(0))
>>> path = os.path.join(tempfile.mkdtemp(), "run.pt")
>>> res = fit(MLPEnergy(2, hidden=(8,)), DenoisingScoreMatching(0.5), data, n_steps=4,
...           batch_size=16, seed=0, progress=False, checkpoint=path)
>>> read_position(path)["step"]
4
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import torch

__all__ = ["FitRun", "save_fit_checkpoint", "restore_fit_checkpoint", "read_position",
           "state_dicts", "write_state", "read_state", "fit_settings"]

#: Version of the run section of a checkpoint.
RUN_FORMAT = 1


@dataclass
class FitRun:
    """Everything a :func:`~boltz.deep.fit` run needs to continue.

    Parameters
    ----------
    model : EnergyModule
        The model being trained.
    objective : Objective
        The objective (with its replay buffer, if persistent).
    optimizer : torch.optim.Optimizer
        The optimizer.
    scheduler : torch.optim.lr_scheduler.LRScheduler or None
        The learning-rate scheduler.
    generators : dict of str to torch.Generator
        Every generator the fit draws from, by name.
    settings : dict
        The run's settings (plain values); a resumed run must have the same.
    result : FitResult
        Losses and updates so far.
    elapsed : float
        Seconds of training done before this call (the ``max_seconds`` budget).
    data_parallel : boltz.distributed.data_parallel.DataParallel or None
        The data-parallel combiner of a ``fit(comm=...)`` run (not saved).

    Examples
    --------
    >>> FitRun(None, None, None, None, {}, {}, None).elapsed
    0.0
    """

    model: object
    objective: object
    optimizer: object
    scheduler: object
    generators: dict
    settings: dict
    result: object
    elapsed: float = 0.0
    extra: dict = field(default_factory=dict)
    data_parallel: object = None


def state_dicts(model, objective=None, optimizer=None, scheduler=None, step=None) -> dict:
    """The state dicts of a run's parts, as :func:`~boltz.deep.save_checkpoint` stores them.

    Parameters
    ----------
    model : torch.nn.Module
        The model.
    objective, optimizer, scheduler : optional
        Included when given.
    step : int, optional
        Updates done.

    Returns
    -------
    dict
        ``{"model": ..., "objective": ..., "optimizer": ..., "scheduler": ..., "step": ...}``.

    Examples
    --------
    >>> sorted(state_dicts(torch.nn.Linear(1, 1), step=2))
    ['model', 'step']
    """
    state = {"model": model.state_dict()}
    if objective is not None:
        state["objective"] = objective.state_dict()
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    if step is not None:
        state["step"] = int(step)
    return state


def write_state(path, state: dict) -> Path:
    """``torch.save(state)`` to ``path`` atomically (fsync'ed; no temporary file left on failure).

    Parameters
    ----------
    path : str or Path
        The file.
    state : dict
        Tensors and plain values.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> write_state(tempfile.mkdtemp() + "/s.pt", {"step": 1}).name
    's.pt'
    """
    from ..io import atomic_write

    path = Path(path)
    with atomic_write(path) as f:
        torch.save(state, f)
    return path


def read_state(path, map_location="cpu") -> dict:
    """Read a checkpoint with ``weights_only=True``; ``ValueError`` naming the file otherwise.

    Parameters
    ----------
    path : str or Path
        The file.
    map_location : str or torch.device
        Where the tensors go.

    Returns
    -------
    dict
        With at least a ``"model"`` state dict.

    Examples
    --------
    >>> import tempfile
    >>> p = write_state(tempfile.mkdtemp() + "/s.pt", {"model": {}})
    >>> read_state(p)
    {'model': {}}
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"checkpoint {path} is a directory, not a file")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # corrupted file or a pickle with code in it
        raise ValueError(f"{path} is not a readable boltz checkpoint: {exc}") from None
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(f"{path} is not a boltz checkpoint (no 'model' state dict)")
    return state


def _function_fingerprint(fn) -> dict:
    """A data function's name and the classes of the (non-builtin) objects it closes over,
    e.g. the toy density a ``ToyDensity.sampler()`` draws from."""
    held = []
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            kind = type(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
        if kind.__module__ != "builtins":
            held.append(f"{kind.__module__}.{kind.__qualname__}")
    return {"function": getattr(fn, "__qualname__", type(fn).__qualname__), "holds": held}


def _fingerprint(x) -> dict | None:
    """Shape, dtype and CRC-32 of a data tensor; name and closure classes of a data function."""
    if callable(x) and not isinstance(x, torch.Tensor):
        return _function_fingerprint(x)
    if not isinstance(x, torch.Tensor):
        return None
    flat = x.detach().cpu().contiguous()
    return {"shape": list(flat.shape), "dtype": str(flat.dtype),
            "crc32": zlib.crc32(flat.reshape(-1).view(torch.uint8).numpy().tobytes())}


def fit_settings(model, objective, data, **settings) -> dict:
    """The settings a resumed run must share with the checkpoint's.

    Parameters
    ----------
    model, objective
        The model and objective (their classes are compared).
    data : tensor or callable
        The data; a tensor's shape, dtype and CRC-32 are compared, and for a
        data function its name and the classes of the objects it closes over
        (a toy density's sampler: the density).
    **settings
        Plain values (batch size, learning rate, ...).

    Returns
    -------
    dict

    Examples
    --------
    >>> fit_settings(torch.nn.Linear(1, 1), torch.nn.Identity(), None, lr=0.1)["lr"]
    0.1
    """
    device = getattr(model, "device", None)
    out = {"model": type(model).__name__, "objective": type(objective).__name__,
           "data": _fingerprint(data), "device": "cpu" if device is None else device.type}
    out.update(settings)
    return out


def _lazy_noise(objective):
    """The noise module an objective keeps outside its module tree (NCE's fitted Gaussian)."""
    noise = getattr(objective, "noise", None)
    return noise if isinstance(noise, torch.nn.Module) else None


def save_fit_checkpoint(path, run: FitRun) -> Path:
    """Write ``run`` to ``path`` (atomically).

    Parameters
    ----------
    path : str or Path
        The checkpoint file.
    run : FitRun
        The run's state.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    res = run.result
    state = state_dicts(run.model, run.objective, run.optimizer, run.scheduler, res.n_steps)
    state["run"] = {
        "format": RUN_FORMAT, "settings": run.settings, "elapsed": float(run.elapsed),
        "generators": {k: g.get_state() for k, g in run.generators.items()},
        "losses": torch.tensor(res.losses, dtype=torch.float64),
        "info": [dict(i) for i in res.info],
    }
    noise = _lazy_noise(run.objective)
    if noise is not None:
        state["run"]["noise"] = noise.state_dict()
    return write_state(path, state)


def read_position(path) -> dict:
    """The position stored in a checkpoint: ``step`` (updates done) and ``elapsed`` (seconds).

    Parameters
    ----------
    path : str or Path
        A checkpoint written by :func:`~boltz.deep.fit`.

    Returns
    -------
    dict
    """
    state = read_state(path)
    run = state.get("run", {})
    return {"step": int(state.get("step", 0)), "elapsed": float(run.get("elapsed", 0.0))}


def _check_settings(path, have: dict, want: dict) -> None:
    for key, value in want.items():
        if have.get(key) != value:
            what = "training data" if key == "data" else key
            raise ValueError(f"checkpoint {path} was written by a run with another {what} "
                             f"({have.get(key)!r}, this run: {value!r}); resume with the same "
                             f"settings and data, or start afresh")


def _to_device(state, device):
    """Floating tensors of a state dict onto ``device`` (generator states stay on the CPU)."""
    if isinstance(state, dict):
        return type(state)((k, _to_device(v, device)) for k, v in state.items())
    if isinstance(state, torch.Tensor) and state.is_floating_point():
        return state.to(device)
    return state


def _restore_noise(objective, noise_state):
    from .analytic import GaussianEnergy

    noise = _lazy_noise(objective)
    if noise is None:  # fitted to the first batch of the interrupted run: rebuild it
        d = noise_state["loc"].shape[0]
        noise = GaussianEnergy(torch.zeros(d, dtype=torch.float64),
                               torch.eye(d, dtype=torch.float64))
        objective.__dict__["noise"] = noise
    noise.load_state_dict(noise_state)


def restore_fit_checkpoint(path, run: FitRun) -> None:
    """Load ``path`` into ``run`` (made by ``fit`` for the same run); updates it in place.

    Raises ``ValueError`` naming the setting when the checkpoint was written by
    a run with another model, objective, data or settings, or is not a run
    checkpoint (e.g. written by :func:`~boltz.deep.save_checkpoint` alone).

    Parameters
    ----------
    path : str or Path
        The checkpoint.
    run : FitRun
        The fresh run; its parts receive the saved states.
    """
    from ..io import ModelFileError

    state = read_state(path)
    saved = state.get("run")
    if not isinstance(saved, dict) or saved.get("format") != RUN_FORMAT:
        raise ValueError(f"checkpoint {path} holds no resumable fit run (written by "
                         f"save_checkpoint, or by another boltz version); start afresh")
    _check_settings(path, saved["settings"], run.settings)
    device = getattr(run.model, "device", None) or torch.device("cpu")
    try:
        run.model.load_state_dict(state["model"])
        run.objective.load_state_dict(_to_device(state["objective"], device))
        run.objective.to(device)
        run.optimizer.load_state_dict(state["optimizer"])
        if run.scheduler is not None:
            run.scheduler.load_state_dict(state["scheduler"])
        for name, gen in run.generators.items():
            gen.set_state(saved["generators"][name])
        if "noise" in saved:
            _restore_noise(run.objective, saved["noise"])
    except (KeyError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: checkpoint does not fit this run ({exc})") from None
    run.result.losses = saved["losses"].tolist()
    run.result.info = list(saved["info"])
    run.result.n_steps = int(state["step"])
    run.elapsed = float(saved["elapsed"])
