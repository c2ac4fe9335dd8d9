"""Conventions shared by every ``boltz`` subcommand.

- Help: every option says what it does and its default (:class:`HelpFormatter`
  appends ``(default: ...)`` unless the help text already names the default).
- Output: files go to ``out/<command>/`` unless ``-o``/``--out`` says otherwise,
  and an existing file is replaced only with ``--overwrite``.
- Result: a few plain lines for a person, then the result as one JSON object on
  the last line; ``--json`` prints the JSON line alone.
"""

from __future__ import annotations

import argparse
import errno
import inspect
import os
import sys
from pathlib import Path

OUT_ROOT = Path("out")


class HelpFormatter(argparse.HelpFormatter):
    """``(default: ...)`` after every option's help; one-paragraph descriptions wrapped,
    multi-line ones (the examples in epilogs) kept as written."""

    def _fill_text(self, text, width, indent):
        if "\n" in text:
            return "\n".join(indent + line for line in text.splitlines())
        return super()._fill_text(text, width, indent)

    def _get_help_string(self, action):
        text = action.help or ""
        if not action.option_strings or "default" in text or action.default is argparse.SUPPRESS:
            return text
        if action.required:
            return f"{text} (required)"
        if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            return f"{text} (default: {'on' if action.default else 'off'})"
        if action.default is None:
            return f"{text} (default: none)"
        if isinstance(action.default, (list, tuple)):
            return f"{text} (default: {' '.join(str(v) for v in action.default)})"
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose subparsers (at any depth) use :class:`HelpFormatter`.

    A usage error prints one line, ``PROG: error: MESSAGE (see PROG --help)``, and
    exits 2 (argparse's own prints the usage block first).
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        one_line = " ".join(str(message).split())
        self.exit(2, f"{self.prog}: error: {one_line} (see '{self.prog} --help')\n")


def default_out(command: str, name: str) -> Path:
    """``out/<command>/<name>``: where a command writes when ``-o`` is not given."""
    return OUT_ROOT / command / name


def add_output_options(p, command: str, name: str | None, what: str) -> None:
    """``-o/--out`` (a file under ``out/<command>/`` by default), ``--overwrite``, ``--json``."""
    if name is not None:
        p.add_argument("-o", "--out", default=str(default_out(command, name)),
                       help=f"{what} to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    add_json_option(p)


def add_json_option(p) -> None:
    p.add_argument("--json", action="store_true",
                   help="print only the result as one JSON object (no summary lines)")


#: argument names that hold input files, which no command may write to
INPUT_ARGS = ("model", "data", "train_data", "input", "resume")


def input_paths(args) -> list[Path]:
    """The input files named on the command line (``model``, ``--data``, ...), when files."""
    paths = []
    for name in INPUT_ARGS:
        value = getattr(args, name, None)
        if isinstance(value, str) and value and Path(value).exists():
            paths.append(Path(value))
    return paths


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def prepare_output(path, overwrite: bool, suffixes=None, inputs=(), option: str = "--out"
                   ) -> Path:
    """Check an output path and create its folder; returns it as a ``Path``.

    Parameters
    ----------
    path : str or Path
        The output file.
    overwrite : bool
        Whether an existing file may be replaced (``--overwrite``).
    suffixes : sequence of str, optional
        Accepted suffixes.
    inputs : sequence of path-like
        Input files: the output may never be one of them, even with ``overwrite``.
    option : str
        The option's name, for messages.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        Wrong suffix, or the path is one of ``inputs``.
    IsADirectoryError
        The path is a directory.
    FileExistsError
        The file exists and ``overwrite`` is false.
    NotADirectoryError
        Its folder is a file.
    PermissionError
        Its folder cannot be written (checked now, not after hours of training).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> prepare_output(d / "new" / "m.npz", False, (".npz",)).parent.is_dir()
    True
    """
    path = Path(path)
    if str(path) in ("", "."):
        raise ValueError(f"{option} must name a file, got {str(path)!r}")
    for source in inputs:
        if _same_file(path, Path(source)):
            raise ValueError(f"{option} {path} is an input file of this command; it is never "
                             "overwritten (give another output path)")
    if suffixes and path.suffix not in suffixes:
        raise ValueError(f"{option} must end in {' or '.join(suffixes)}, got {str(path)!r}")
    if path.is_dir():
        raise IsADirectoryError(f"{option} {path} is a directory; give a file name")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{option} {path} exists; pass --overwrite to replace it, or give "
                              "another output path")
    for parent in (path.parent, *path.parent.parents):
        if parent.exists():
            if not parent.is_dir():
                raise NotADirectoryError(f"{option} {path}: {parent} is a file, not a folder")
            break
    path.parent.mkdir(parents=True, exist_ok=True)
    if not os.access(path.parent, os.W_OK):
        raise PermissionError(errno.EACCES, f"cannot write to the folder {path.parent}",
                              str(path.parent))
    return path


def report(args, lines, result: dict) -> None:
    """Print the human summary (unless ``--json``), then ``result`` as the last line.

    The JSON line is strict: a NaN or infinite value is printed as ``null`` and
    its key is listed under ``"non_finite"`` (see :func:`boltz._json.dumps`).
    """
    from .._json import dumps

    if not getattr(args, "json", False):
        for line in lines:
            print(line)
    print(dumps(result))


def status(args, message: str) -> None:
    """Say on stderr what the next wait without a progress bar is doing (``MESSAGE ...``).

    Like the progress bars, it goes to stderr (``--json`` keeps stdout to the JSON
    line) and is left out with ``--quiet`` or ``--no-progress``.

    Examples
    --------
    >>> import argparse, contextlib, io
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     status(argparse.Namespace(quiet=False), "estimating the noise")
    ...     status(argparse.Namespace(quiet=True), "not shown")
    >>> err.getvalue().splitlines()
    ['estimating the noise ...']
    """
    if getattr(args, "quiet", False) or getattr(args, "no_progress", False):
        return
    print(f"{message} ...", file=sys.stderr, flush=True)


#: exceptions that mean bad usage or input (exit 2); every other failure exits 1
USAGE_ERRORS = (ValueError, TypeError, LookupError, FileNotFoundError, FileExistsError,
                IsADirectoryError, NotADirectoryError)


def exit_code(exc: BaseException, args=None) -> int:
    """2 for bad usage or input, 1 for a runtime failure (divergence, a failed write, memory).

    A ``PermissionError`` on one of the command's input files is bad input (2);
    on anything else, such as the output folder, it is a failed write (1).

    Parameters
    ----------
    exc : BaseException
    args : argparse.Namespace, optional
        The parsed arguments, to tell inputs from outputs.

    Returns
    -------
    int

    Examples
    --------
    >>> exit_code(ValueError("bad")), exit_code(MemoryError()), exit_code(OSError("disk"))
    (2, 1, 1)
    """
    if isinstance(exc, PermissionError):
        name = getattr(exc, "filename", None)
        inputs = input_paths(args) if args is not None else []
        return 2 if name and any(_same_file(Path(name), p) for p in inputs) else 1
    if isinstance(exc, USAGE_ERRORS):
        return 2
    return 1


def error_message(exc: BaseException) -> str:
    """One line describing ``exc`` (its type added where the message alone is unclear).

    Examples
    --------
    >>> error_message(ValueError("--n must be positive,  got 0"))
    '--n must be positive, got 0'
    >>> error_message(MemoryError())
    'out of memory (MemoryError)'
    """
    if isinstance(exc, MemoryError):
        text = f"out of memory (MemoryError{': ' + str(exc) if str(exc) else ''})"
    elif isinstance(exc, OSError) and exc.strerror and not isinstance(
            exc, (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError)):
        where = f" {exc.filename}" if exc.filename else ""
        text = f"{exc.strerror}{where}"
    elif isinstance(exc, (ValueError, TypeError, FileNotFoundError, FileExistsError,
                          IsADirectoryError, NotADirectoryError)) and str(exc):
        text = str(exc)
    elif isinstance(exc, KeyError):
        text = f"unknown key {exc}"
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return " ".join(text.split())


def print_error(command: str, exc: BaseException) -> None:
    """``boltz COMMAND: error: MESSAGE`` on stderr, one line."""
    print(f"boltz {command}: error: {error_message(exc)}", file=sys.stderr, flush=True)


def with_progress(fn, show: bool, **kwargs):
    """Call ``fn(**kwargs)``, adding ``progress=show`` when ``fn`` takes a ``progress`` argument."""
    if "progress" in inspect.signature(fn).parameters:
        kwargs["progress"] = show
    return fn(**kwargs)


def load_npy(path, option: str = "--data"):
    """``np.load(path)`` of a plain (non-pickled) array; ``ValueError`` naming ``option`` and
    the file when it is not one (pickled objects, a corrupted or truncated file).

    Parameters
    ----------
    path : str or Path
        The ``.npy`` file.
    option : str
        The option that named it, for the message.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> p = Path(tempfile.mkdtemp()) / "a.npy"
    >>> np.save(p, np.ones((2, 2))); load_npy(p).shape
    (2, 2)
    """
    import numpy as np

    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise
        text = " ".join(str(exc).split(".")[0].split()) or type(exc).__name__
        raise ValueError(f"{option} {path} is not a plain .npy array ({text}); pickled "
                         f"objects are never loaded") from None


def check_data_matrix(X, option: str = "--data", spec=None, n_columns: int | None = None):
    """``X`` if it is a 2-D array ``(n_samples, n_features)``, else ``ValueError`` naming
    ``option`` (a 1-D file is not silently scored as one row).

    Parameters
    ----------
    X : numpy.ndarray
        The loaded data.
    option : str
        The option that named the file, for the message.
    spec : str, optional
        The file, for the message.
    n_columns : int, optional
        The number of columns the model expects.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> check_data_matrix(np.zeros((2, 3))).shape
    (2, 3)
    >>> check_data_matrix(np.zeros(3))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --data must hold a 2-D array (n_samples, n_features), one sample per row; ...
    """
    import numpy as np

    where = f" ({spec})" if spec is not None and spec != "mnist" else ""
    shape = tuple(getattr(X, "shape", ()))
    cols = "n_features" if n_columns is None else str(n_columns)
    if len(shape) != 2:
        hint = f" (a single sample needs shape (1, {shape[0]}))" if len(shape) == 1 else ""
        raise ValueError(f"{option}{where} must hold a 2-D array (n_samples, {cols}), one sample "
                         f"per row; got shape {shape}{hint}")
    if shape[0] == 0:
        raise ValueError(f"{option}{where} holds no samples (shape {shape})")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{option}{where} must hold real numbers, got dtype {X.dtype}")
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        raise ValueError(f"{option}{where} contains NaN or infinite values")
    if n_columns is not None and shape[1] != n_columns:
        raise ValueError(f"{option}{where} must have {n_columns} columns (the model's visible "
                         f"units), got shape {shape}")
    return X


def save_array(path, array) -> None:
    """``np.save`` to ``path`` atomically (fsync'ed; no partial or temporary file on failure).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> p = Path(tempfile.mkdtemp()) / "a.npy"
    >>> save_array(p, np.arange(3)); np.load(p).tolist()
    [0, 1, 2]
    """
    import numpy as np

    from ..io import atomic_write

    with atomic_write(path) as f:
        np.save(f, array)


def save_figure(fig, path, **kwargs) -> None:
    """``fig.savefig`` to ``path`` atomically, in the format its suffix names, then close it.

    Examples
    --------
    >>> import tempfile, matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> p = Path(tempfile.mkdtemp()) / "f.png"
    >>> save_figure(plt.figure(), p); p.stat().st_size > 0
    True
    """
    from ..io import atomic_write

    path = Path(path)
    try:
        with atomic_write(path) as f:
            fig.savefig(f, format=path.suffix.lstrip(".") or "png", **kwargs)
    finally:
        close_figure(fig)


def close_figure(fig) -> None:
    """Close a saved matplotlib figure, so that a long session does not accumulate them."""
    import matplotlib.pyplot as plt

    plt.close(fig)
