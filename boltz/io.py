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

import contextlib
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from ._json import finite_json
from ._version import __version__

__all__ = ["save_model", "load_model", "check_metadata", "atomic_write", "ModelFileError",
           "FORMAT_VERSION"]

FORMAT_VERSION = 1
_META_KEY = "__boltz__"


class ModelFileError(ValueError):
    """A model file is missing, corrupted, or holds another kind of model.

    Examples
    --------
    >>> issubclass(ModelFileError, ValueError)
    True
    """


@contextlib.contextmanager
def atomic_write(path):
    """Open a temporary file beside ``path`` for binary writing; on success it replaces ``path``.

    The data are flushed and fsync'ed before the rename (and the folder after
    it), so a crash leaves either the old file or the new one, never a partial
    one; on any failure the temporary file is removed.

    Parameters
    ----------
    path : str or path-like
        The file to write.

    Yields
    ------
    file
        The open temporary file.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.bin")
    >>> with atomic_write(p) as f:
    ...     _ = f.write(b"data")
    >>> open(p, "rb").read(), os.listdir(os.path.dirname(p))
    (b'data', ['x.bin'])
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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
    meta["arrays"] = {k: {"shape": list(v.shape), "dtype": v.dtype.str}
                      for k, v in payload.items()}
    meta, non_finite = finite_json(meta)  # strict JSON; the values come back on load
    if non_finite:
        meta["non_finite"] = non_finite
    text = json.dumps(meta, allow_nan=False)
    payload[_META_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    with atomic_write(path) as f:
        np.savez(f, **payload)
    return path


def _restore_non_finite(meta: dict) -> dict:
    """Put back the NaN/inf values :func:`save_model` stored as ``null``."""
    values = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}
    for where, what in dict(meta.pop("non_finite", {}) or {}).items():
        keys = where.split(".")
        node = meta
        try:
            for key in keys[:-1]:
                node = node[int(key)] if isinstance(node, list) else node[key]
            last = int(keys[-1]) if isinstance(node, list) else keys[-1]
            node[last] = values[what]
        except (KeyError, IndexError, ValueError, TypeError):
            raise ModelFileError(f"metadata non_finite entry {where!r} is malformed") from None
    return meta


def check_metadata(path, meta: dict, expected: dict) -> None:
    """Check metadata values against those implied by the arrays; ``ModelFileError`` if not.

    Parameters
    ----------
    path : str or path-like
        The file, for the message.
    meta : dict
        Metadata from :func:`load_model`.
    expected : dict
        Dotted metadata key (``"params.n_hidden"``) to the value its arrays
        imply. A key absent from the file is skipped (older files).

    Examples
    --------
    >>> check_metadata("m.npz", {"params": {"n_hidden": 3}}, {"params.n_hidden": 3})
    >>> check_metadata("m.npz", {"params": {"n_hidden": 7}}, {"params.n_hidden": 3})
    Traceback (most recent call last):
    ...
    boltz.io.ModelFileError: m.npz: metadata params.n_hidden = 7 disagrees with the arrays (3)
    """
    for key, want in expected.items():
        node = meta
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
        else:
            got = list(node) if isinstance(node, tuple) else node
            want = list(want) if isinstance(want, tuple) else want
            if got != want:
                raise ModelFileError(f"{path}: metadata {key} = {got!r} disagrees with the "
                                     f"arrays ({want!r})")


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
    expected = f"a boltz model file (.npz archive written by save) holding {' or '.join(kinds)}"
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"{path}: cannot be read as {expected} ({exc})") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        what = f"a plain .npy array of shape {getattr(data, 'shape', '?')}"
        raise ModelFileError(f"{path}: is {what}, not {expected}")
    try:
        with data:
            if _META_KEY not in data.files:
                raise ModelFileError(f"{path}: an .npz archive without boltz metadata, not "
                                     f"{expected}")
            meta = json.loads(bytes(data[_META_KEY]).decode("utf-8"))
            arrays = {k: data[k] for k in data.files if k != _META_KEY}
    except ModelFileError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, json.JSONDecodeError, EOFError,
            UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path}: cannot be read as {expected} ({exc})") from None
    if not isinstance(meta, dict) or "kind" not in meta:
        raise ModelFileError(f"{path}: metadata is malformed")
    try:
        meta = _restore_non_finite(meta)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    _check_array_table(path, meta.pop("arrays", None), arrays)
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written by a newer format (version {meta['format_version']}); upgrade boltz"
        )
    if meta["kind"] not in kinds:
        raise ModelFileError(f"{path}: holds a {meta['kind']} model, expected {' or '.join(kinds)}")
    return arrays, meta


def _check_array_table(path, table, arrays: dict) -> None:
    """The arrays a file holds must be those, of the shapes and dtypes, its metadata lists."""
    if table is None:  # written before the table existed
        return
    if not isinstance(table, dict):
        raise ModelFileError(f"{path}: metadata 'arrays' is malformed")
    if set(table) != set(arrays):
        missing, unknown = sorted(set(table) - set(arrays)), sorted(set(arrays) - set(table))
        raise ModelFileError(f"{path}: arrays do not match the metadata (missing {missing}, "
                             f"unlisted {unknown})")
    for name, spec in table.items():
        a = arrays[name]
        try:
            shape, dtype = tuple(spec["shape"]), np.dtype(spec["dtype"])
        except (KeyError, TypeError, ValueError):
            raise ModelFileError(f"{path}: metadata of array {name!r} is malformed") from None
        if a.shape != shape or a.dtype != dtype:
            raise ModelFileError(f"{path}: array {name!r} is {a.dtype} {a.shape}, the metadata "
                                 f"says {dtype} {shape}")
