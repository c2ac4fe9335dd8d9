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
import inspect
import json
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
    """An ``ArgumentParser`` whose subparsers (at any depth) use :class:`HelpFormatter`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


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


def prepare_output(path, overwrite: bool, suffixes=None) -> Path:
    """Check an output path (suffix, no clobbering) and create its folder."""
    path = Path(path)
    if suffixes and path.suffix not in suffixes:
        raise ValueError(f"--out must end in {' or '.join(suffixes)}, got {str(path)!r}")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass --overwrite to replace it, or give "
                              "another output path")
    if path.exists() and path.is_dir():
        raise ValueError(f"--out {path} is a directory; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def report(args, lines, result: dict) -> None:
    """Print the human summary (unless ``--json``), then ``result`` as the last line."""
    if not getattr(args, "json", False):
        for line in lines:
            print(line)
    print(json.dumps(result))


def with_progress(fn, show: bool, **kwargs):
    """Call ``fn(**kwargs)``, adding ``progress=show`` when ``fn`` takes a ``progress`` argument."""
    if "progress" in inspect.signature(fn).parameters:
        kwargs["progress"] = show
    return fn(**kwargs)


def close_figure(fig) -> None:
    """Close a saved matplotlib figure, so that a long session does not accumulate them."""
    import matplotlib.pyplot as plt

    plt.close(fig)
