"""Saving and loading :class:`~boltz.dbm.DeepBoltzmannMachine` (``.npz`` + JSON, no pickle),
and the checks of its parameter lists.

Examples
--------
>>> import numpy as np
>>> from boltz.dbm.persistence import check_parameters
>>> ws, bs = check_parameters([np.zeros((3, 2)), np.zeros((2, 2))])
>>> [b.shape for b in bs]
[(3,), (2,), (2,)]
"""

from __future__ import annotations

import numpy as np

from .._validation import check_array
from ..io import ModelFileError, check_metadata, load_model, save_model

__all__ = ["MODEL_KIND", "check_parameters", "save_dbm", "load_dbm"]

MODEL_KIND = "DeepBoltzmannMachine"


def check_parameters(weights, biases=None):
    """Check the weights ``W_l`` and biases of a DBM; returns ``(weights, biases)`` as arrays.

    ``weights[l]`` has shape ``(n_l, n_{l+1})``, at least two of them; biases
    default to zeros. All float32 stays float32, anything else becomes float64.

    Parameters
    ----------
    weights : list of 2-d arrays
    biases : list of 1-d arrays, optional

    Returns
    -------
    (list, list)

    Examples
    --------
    >>> check_parameters([np.zeros((3, 2))])
    Traceback (most recent call last):
    ...
    ValueError: weights must hold at least 2 matrices (2 hidden layers), got 1
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
    return ws, bs


def save_dbm(model, path):
    """Write a fitted DBM to ``path``; returns the path written.

    Parameters
    ----------
    model : DeepBoltzmannMachine
    path : str or Path

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 2))])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save_dbm(m, pathlib.Path(d) / "m.npz").suffix
    '.npz'
    """
    arrays = {f"W{l}": w for l, w in enumerate(model.weights_)}
    arrays.update({f"b{l}": b for l, b in enumerate(model.biases_)})
    params = model.get_params()
    if not isinstance(params["seed"], (int, type(None))):
        params["seed"] = None
    params["n_hidden"] = list(model.layer_sizes_[1:])
    # where it ran is not part of the model: a file loads and runs anywhere
    params.pop("device", None)
    extra = {"n_layers": model.n_layers_, "history": getattr(model, "history_", [])}
    return save_model(path, MODEL_KIND, arrays, params, extra)


def load_dbm(cls, path):
    """Read a DBM written by :func:`save_dbm` as an instance of ``cls``.

    Parameters
    ----------
    cls : type
        :class:`~boltz.dbm.DeepBoltzmannMachine` (or a subclass).
    path : str or Path

    Returns
    -------
    DeepBoltzmannMachine

    Raises
    ------
    ModelFileError
        For a foreign or malformed file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 2))])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     load_dbm(DeepBoltzmannMachine, save_dbm(m, pathlib.Path(d) / "m.npz")).n_layers_
    3
    """
    arrays, meta = load_model(path, MODEL_KIND)
    try:
        n_layers = int(meta["extra"]["n_layers"])
        weights = [arrays[f"W{l}"] for l in range(n_layers - 1)]
        check_metadata(path, meta, {"params.n_hidden": [w.shape[-1] for w in weights]})
        if len(arrays) != 2 * n_layers - 1:
            raise ValueError(f"extra.n_layers = {n_layers} but the file holds {len(arrays)} "
                             f"arrays (expected W0..W{n_layers - 2}, b0..b{n_layers - 1})")
        biases = [arrays[f"b{l}"] for l in range(n_layers)]
        params = dict(meta["params"])
        params.pop("n_hidden", None)
        model = cls.from_parameters(weights, biases, **params)
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: malformed {MODEL_KIND} file ({exc})") from None
    model.history_ = list(meta["extra"].get("history", []))
    return model
