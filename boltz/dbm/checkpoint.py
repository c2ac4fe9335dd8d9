"""Checkpoints of DBM joint training: save the whole run, resume it bit for bit.

``DeepBoltzmannMachine.fit(X, checkpoint=PATH, checkpoint_every=N, resume=True)``
(and :func:`boltz.dbm.training.train_dbm` with the same keywords) writes PATH
every ``N`` epochs of joint training, at its end, and when Ctrl-C stops it at
a minibatch boundary. A checkpoint holds the weights and biases, their
velocities, the centring offsets, the persistent chains, the warm-start means
(``mean_field_init="persistent"``), the monitoring rows, the update count (the
``"inverse"`` and ``"linear"`` schedules' position), the epochs and
minibatches done with the epoch's minibatch order, the elapsed seconds of the
``max_seconds`` budget, the history and the random streams (the NumPy
``Generator``'s state as JSON; on a torch device also the ``torch.Generator``'s
state). Greedy pretraining is not checkpointed: a resumed ``fit`` skips it and
takes the parameters from the checkpoint.

Example
-------
>>> import numpy as np, tempfile, os
>>> from boltz.dbm import DeepBoltzmannMachine
>>> X = (np.random.default_rng(0).random((40, 6)) < 0.5).astype(np.float32)
>>> path = os.path.join(tempfile.mkdtemp(), "run.npz")
>>> m = DeepBoltzmannMachine((4, 3), n_epochs=2, pretrain_epochs=1, batch_size=20, n_chains=10,
...                          seed=0).fit(X, checkpoint=path)
>>> read_position(path)["epoch"]
2
"""

from __future__ import annotations

import numpy as np

from ..checkpoint import checkpoint_path, data_fingerprint, generator_state, set_generator_state
from ..io import ModelFileError, load_model, save_model

__all__ = ["save_dbm_checkpoint", "restore_dbm_checkpoint", "checkpoint_parameters",
           "read_position", "CHECKPOINT_KIND"]

#: ``kind`` of a DBM checkpoint file (not a model file: ``load`` refuses it).
CHECKPOINT_KIND = "DBMCheckpoint"


def _list(arrays, prefix):
    out, i = [], 0
    while f"{prefix}{i}" in arrays:
        out.append(arrays[f"{prefix}{i}"])
        i += 1
    return out


def save_dbm_checkpoint(path, state, rng, X, settings: dict, loop: dict):
    """Write the joint-training ``state`` (:class:`~boltz.dbm.joint.JointState`) to ``path``.

    Parameters
    ----------
    path : str or path-like
        Destination (``.npz``), written atomically.
    state : JointState
    rng : numpy.random.Generator
        The run's host generator (the NumPy backend's own).
    X : ndarray
        The training data (its fingerprint is stored).
    settings : dict
        The run's settings (JSON); a resumed run must have the same.
    loop : dict
        ``epoch``, ``batch``, ``order``, ``step``, ``elapsed``, ``monitor``, ``history``.

    Returns
    -------
    pathlib.Path
    """
    ops, model = state.ops, state.model
    state.download()
    arrays = {}
    for prefix, arrs in (("W", model.weights_), ("b", model.biases_)):
        for i, a in enumerate(arrs):
            arrays[f"{prefix}{i}"] = np.array(a)
    for prefix, arrs in (("vel_W", state.vel_W), ("vel_b", state.vel_b),
                         ("offset", state.offsets), ("chain", state.chains)):
        for i, a in enumerate(arrs):
            arrays[f"{prefix}{i}"] = np.array(ops.to_numpy(a))
    if state.warm is not None:
        for i, a in enumerate(state.warm.means):
            arrays[f"warm{i}"] = np.array(ops.to_numpy(a))
        arrays["warm_seen"] = np.array(ops.to_numpy(state.warm.seen))
    if loop.get("order") is not None:
        arrays["order"] = np.asarray(ops.to_numpy(loop["order"]), np.int64)
    arrays["monitor"] = np.asarray(loop["monitor"])
    if ops.name != "numpy":
        arrays["torch_stream"] = ops.gen.get_state().numpy()
    extra = {"settings": dict(settings, data=data_fingerprint(X), backend=ops.name),
             "position": {k: loop[k] for k in ("epoch", "batch", "step", "elapsed")},
             "rng": generator_state(rng), "history": list(loop["history"])}
    return save_model(path, CHECKPOINT_KIND, arrays, {}, extra)


def read_position(path) -> dict:
    """The position in a checkpoint: ``epoch``, ``batch``, ``step``, ``elapsed``."""
    _, meta = load_model(checkpoint_path(path), CHECKPOINT_KIND)
    return dict(meta["extra"]["position"])


def checkpoint_parameters(path):
    """The weights and biases stored in a checkpoint (what a resumed ``fit`` starts from)."""
    arrays, _ = load_model(checkpoint_path(path), CHECKPOINT_KIND)
    return _list(arrays, "W"), _list(arrays, "b")


def restore_dbm_checkpoint(path, state, rng, X, settings: dict) -> dict:
    """Load ``path`` into ``state`` and ``rng``; returns the loop position (see the save).

    Raises ``ValueError`` naming the setting when the checkpoint comes from a
    run with other settings, another backend or other data.
    """
    arrays, meta = load_model(path, CHECKPOINT_KIND)
    extra = meta["extra"]
    ops = state.ops
    want = dict(settings, data=data_fingerprint(X), backend=ops.name)
    for key, value in want.items():
        have = extra["settings"].get(key)
        if have != value:
            what = "training data" if key == "data" else key
            raise ValueError(f"checkpoint {path} was written by a run with another {what} "
                             f"({have!r}, this run: {value!r}); resume with the same settings "
                             f"and data, or start afresh")
    try:
        for dst, src in zip(state.W + state.b, _list(arrays, "W") + _list(arrays, "b"),
                            strict=True):
            dst[...] = ops.asarray(src)
        for name, prefix in (("vel_W", "vel_W"), ("vel_b", "vel_b"), ("offsets", "offset"),
                             ("chains", "chain")):
            setattr(state, name, [ops.copy(a) for a in _list(arrays, prefix)])
        if state.warm is not None:
            state.warm.means = [ops.copy(a) for a in _list(arrays, "warm")]
            state.warm.seen = ops.copy(arrays["warm_seen"])
        if ops.name != "numpy":
            import torch

            ops.gen.set_state(torch.from_numpy(np.array(arrays["torch_stream"])))
    except (KeyError, ValueError) as exc:
        raise ModelFileError(f"{path}: malformed DBM checkpoint ({exc})") from None
    state.download()
    set_generator_state(rng, extra["rng"])
    pos = extra["position"]
    return dict(pos, order=arrays.get("order"), monitor=arrays["monitor"],
                history=list(extra["history"]))
