"""Checkpoints of RBM training: save the whole run, resume it bit for bit.

``fit(X, checkpoint=PATH, checkpoint_every=N, resume=True)`` (see
:meth:`~boltz.rbm.estimator.RBMEstimatorMixin.fit`) writes PATH every ``N``
epochs, at the end, and when Ctrl-C stops the run at a minibatch boundary. A
checkpoint holds the parameters, the velocities, the centring offsets
(``mu``, the running ``lam``, the sparsity average ``q``), the persistent (PCD)
or tempered (PT) chains and PT's swap counters, the update count, the
position (epochs done, minibatches done in the epoch under way and that
epoch's minibatch order), the elapsed seconds of the ``max_seconds`` budget,
the monitoring rows, the early-stopping state, the history, and the random
streams: the NumPy ``Generator``'s ``bit_generator.state`` (JSON) and, on a
torch device, the ``torch.Generator``'s state (a byte array). Resuming on the
same data with the same settings continues the same run: the result equals the
uninterrupted run's bit for bit (NumPy backend and torch on the CPU; tested in
``tests/test_checkpoint.py``). Except with ``lr_schedule="linear_time"``,
whose rates follow the wall clock.

Example
-------
>>> import numpy as np, tempfile, os
>>> from boltz.rbm import BernoulliRBM
>>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(np.float32)
>>> path = os.path.join(tempfile.mkdtemp(), "run.npz")
>>> m = BernoulliRBM(3, n_epochs=2, batch_size=20, seed=0).fit(X, checkpoint=path)
>>> read_position(path)["epoch"]
2
"""

from __future__ import annotations

import numpy as np

from ..checkpoint import checkpoint_path, data_fingerprint, generator_state, set_generator_state
from ..io import load_model, save_model

__all__ = ["save_rbm_checkpoint", "restore_rbm_checkpoint", "read_position", "CHECKPOINT_KIND"]

#: ``kind`` of an RBM checkpoint file (not a model file: ``load`` refuses it).
CHECKPOINT_KIND = "RBMCheckpoint"

_SETTINGS = ("method", "k", "batch_size", "n_chains", "n_temperatures", "centering",
             "binarize", "sparsity_target")


def _settings(model, trainer, X32) -> dict:
    out = {name: getattr(model, name, None) for name in _SETTINGS}
    out.update(kind=model.kind, shape=list(model.W_.shape), backend=trainer.bk.name,
               data=data_fingerprint(X32))
    return {k: (v if v is None or isinstance(v, (bool, int, float, str, list, dict)) else str(v))
            for k, v in out.items()}


def save_rbm_checkpoint(path, model, trainer, X32, loop: dict):
    """Write the state of ``trainer`` (and ``model``) and the loop's position ``loop`` to ``path``.

    Parameters
    ----------
    path : str or path-like
        Destination (``.npz``), written atomically.
    model : RBMBase
    trainer : boltz.rbm.trainer.Trainer
    X32 : ndarray
        The training data (its fingerprint is stored).
    loop : dict
        ``epoch`` (done), ``batch`` (done in the epoch under way), ``order`` (that
        epoch's minibatch order or ``None``), ``elapsed`` (seconds), ``X_mon``,
        ``best``, ``bad``, ``best_params`` (dict or ``None``).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    bk = trainer.bk
    trainer._download()
    arrays = {f"param_{k}": np.array(v) for k, v in model._param_arrays().items()}
    arrays.update({f"vel_{k}": bk.to_numpy(v) for k, v in trainer.vel.items()})
    for name in ("mu", "lam", "q"):
        arrays[name] = bk.to_numpy(getattr(trainer, name))
    for name in ("chain_h", "chain_v"):
        if getattr(trainer, name, None) is not None:
            arrays[name] = bk.to_numpy(getattr(trainer, name))
    if loop.get("order") is not None:
        arrays["order"] = np.asarray(bk.to_numpy(loop["order"]), np.int64)
    arrays["X_mon"] = loop["X_mon"]
    for k, v in (loop.get("best_params") or {}).items():
        arrays[f"best_{k}"] = v
    if bk.name != "numpy":
        arrays["torch_stream"] = trainer.stream.get_state().numpy()
    best = loop.get("best", -np.inf)
    extra = {
        "settings": _settings(model, trainer, X32),
        "position": {"epoch": int(loop["epoch"]), "batch": int(loop["batch"]),
                     "elapsed": float(loop["elapsed"]), "n_updates": int(trainer.n_updates)},
        "trainer": {"velocity_skipped": bool(trainer._velocity_skipped),
                    "swap_attempts": int(getattr(trainer, "swap_attempts", 0)),
                    "swap_accepts": int(getattr(trainer, "swap_accepts", 0))},
        "early_stopping": {"best": None if not np.isfinite(best) else float(best),
                           "bad": int(loop.get("bad", 0))},
        "rng": generator_state(trainer.rng),
        "history": list(getattr(model, "history_", [])),
        "n_iter": int(getattr(model, "n_iter_", 0)),
    }
    return save_model(path, CHECKPOINT_KIND, arrays, {}, extra)


def read_position(path) -> dict:
    """The position stored in a checkpoint: ``epoch``, ``batch``, ``elapsed``, ``n_updates``."""
    _, meta = load_model(checkpoint_path(path), CHECKPOINT_KIND)
    return dict(meta["extra"]["position"])


def restore_rbm_checkpoint(path, model, trainer, X32) -> dict:
    """Load ``path`` into ``model`` and ``trainer`` (made by ``fit`` for the same run).

    Raises ``ValueError`` naming the setting when the checkpoint was written by
    a run with other settings, another backend or other data.

    Returns
    -------
    dict
        The loop's position (the ``loop`` given to :func:`save_rbm_checkpoint`).
    """
    from ..io import ModelFileError

    arrays, meta = load_model(path, CHECKPOINT_KIND)
    extra = meta["extra"]
    want = _settings(model, trainer, X32)
    for key, value in want.items():
        if extra["settings"].get(key) != value:
            what = "training data" if key == "data" else key
            raise ValueError(f"checkpoint {path} was written by a run with another {what} "
                             f"({extra['settings'].get(key)!r}, this run: {value!r}); "
                             f"resume with the same settings and data, or start afresh")
    bk = trainer.bk
    try:
        for k, arr in model._param_arrays().items():
            arr[...] = arrays[f"param_{k}"]
        trainer.vel = {k: bk.asarray(np.array(arrays[f"vel_{k}"])) for k in trainer.vel}
        for name in ("mu", "lam", "q"):
            setattr(trainer, name, bk.asarray(np.array(arrays[name])))
        for name in ("chain_h", "chain_v"):
            if name in arrays:
                setattr(trainer, name, bk.asarray(np.array(arrays[name])))
        if bk.name != "numpy":
            import torch

            trainer.stream.set_state(torch.from_numpy(np.array(arrays["torch_stream"])))
    except KeyError as exc:
        raise ModelFileError(f"{path}: checkpoint lacks array {exc}") from None
    t = extra["trainer"]
    trainer._velocity_skipped = t["velocity_skipped"]
    if hasattr(trainer, "swap_attempts"):
        trainer.swap_attempts, trainer.swap_accepts = t["swap_attempts"], t["swap_accepts"]
    pos = extra["position"]
    trainer.n_updates = pos["n_updates"]
    set_generator_state(trainer.rng, extra["rng"])
    trainer.params = trainer._upload()
    bk.weights_changed()
    model.history_ = list(extra["history"])
    model.n_iter_ = int(extra["n_iter"])
    best = extra["early_stopping"]["best"]
    best_params = {k[5:]: arrays[k] for k in arrays if k.startswith("best_")} or None
    return {"epoch": pos["epoch"], "batch": pos["batch"], "elapsed": pos["elapsed"],
            "order": arrays.get("order"), "X_mon": arrays["X_mon"],
            "best": -np.inf if best is None else best, "bad": extra["early_stopping"]["bad"],
            "best_params": best_params}
