"""Saving and loading models as ``.npz`` arrays plus JSON metadata, never pickle.

A file holds the model's arrays and one extra entry, ``__boltz__``, a JSON
document with the model ``kind`` (e.g. ``"BernoulliRBM"``), the format version,
the boltz version and the model's hyper-parameters. Loading checks the kind,
so a file of another model type fails clearly, and reads with
``allow_pickle=False``, so a crafted file cannot run code.

Examples
--------
>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "m.npz")
>>> save_model(path, "Demo", {"W": np.eye(2)}, {"lr": 0.1}).name
'm.npz'
>>> arrays, meta = load_model(path, "Demo")
>>> arrays["W"].tolist(), meta["params"]["lr"]
([[1.0, 0.0], [0.0, 1.0]], 0.1)
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

from ._version import __version__

__all__ = ["save_model", "load_model", "ModelFileError", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_META_KEY = "__boltz__"


class ModelFileError(ValueError):
    """A model file is missing, corrupted, or holds another kind of model.

    Examples
    --------
    >>> issubclass(ModelFileError, ValueError)
    True
    """


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def save_model(path, kind: str, arrays: dict, params: dict | None = None,
               extra: dict | None = None) -> Path:
    """Write ``arrays`` and JSON metadata (``kind``, ``params``, ``extra``) to ``path``.

    The ``.npz`` suffix is added when missing. Returns the path written.

    Parameters
    ----------
    path : str or path-like
        Destination (``.npz`` appended when missing); written atomically.
    kind : str
        The model kind, checked by :func:`load_model`.
    arrays : dict of str to array_like
        Numeric arrays (object arrays are refused).
    params : dict, optional
        Constructor arguments (JSON).
    extra : dict, optional
        Anything else JSON-serialisable (history, ...).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> path = save_model(tempfile.mkdtemp() + "/m", "demo", {"W": np.eye(2)}, {"n": 2})
    >>> path.suffix
    '.npz'
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    for name, arr in arrays.items():
        if name == _META_KEY:
            raise ValueError(f"array name {_META_KEY!r} is reserved")
        a = np.asarray(arr)
        if a.dtype == object:
            raise TypeError(f"arrays[{name!r}] has dtype object; only numeric arrays are saved")
    meta = {
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "boltz_version": __version__,
        "params": _jsonable(params or {}),
        "extra": _jsonable(extra or {}),
    }
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    payload[_META_KEY] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **payload)
    os.replace(tmp, path)
    return path


def load_model(path, kind: str | tuple[str, ...]) -> tuple[dict, dict]:
    """Read a file written by :func:`save_model`; returns ``(arrays, metadata)``.

    ``kind`` is the expected model kind (or a tuple of accepted kinds). Raises
    :class:`ModelFileError` naming the file when it is not a boltz model file,
    is corrupted, or holds another kind of model.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_model`.
    kind : str or tuple of str
        Accepted model kinds.

    Returns
    -------
    arrays : dict of str to numpy.ndarray
    metadata : dict
        ``kind``, ``format_version``, ``boltz_version``, ``params``, ``extra``.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ModelFileError
        Not a boltz model file, corrupted, or another kind.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> path = save_model(tempfile.mkdtemp() + "/m.npz", "demo", {"W": np.eye(2)}, {"n": 2})
    >>> arrays, meta = load_model(path, "demo")
    >>> arrays["W"].shape, meta["params"]
    ((2, 2), {'n': 2})
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    try:
        with np.load(path, allow_pickle=False) as data:
            if _META_KEY not in data.files:
                raise ModelFileError(f"{path}: not a boltz model file (no metadata)")
            meta = json.loads(bytes(data[_META_KEY]).decode("utf-8"))
            arrays = {k: data[k] for k in data.files if k != _META_KEY}
    except ModelFileError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, json.JSONDecodeError, EOFError) as exc:
        raise ModelFileError(f"{path}: cannot be read as a boltz model file ({exc})") from None
    if not isinstance(meta, dict) or "kind" not in meta:
        raise ModelFileError(f"{path}: metadata is malformed")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written by a newer format (version {meta['format_version']}); upgrade boltz"
        )
    if meta["kind"] not in kinds:
        raise ModelFileError(f"{path}: holds a {meta['kind']} model, expected {' or '.join(kinds)}")
    return arrays, meta
