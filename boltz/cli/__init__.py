"""The ``boltz`` command line.

Each subcommand lives in its own module in this package (``boltz/cli/ising.py``,
``boltz/cli/denoise.py``, ...) and defines ``register(subparsers)``, which adds
its parser and sets ``func`` to a callable taking the parsed arguments and
returning an exit code. Subcommands are discovered at start-up, so adding one
touches no other file. Heavy imports happen inside ``func``, keeping
``boltz --help`` fast. The conventions every subcommand follows (help text with
defaults, ``out/<command>/``, a summary and a JSON line) are in
:mod:`boltz.cli._common`.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from .._version import __version__
from ._common import Parser

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every discovered subcommand.

    Returns
    -------
    argparse.ArgumentParser
        Its subparsers, at every depth, format help with
        :class:`boltz.cli._common.HelpFormatter`.

    Examples
    --------
    >>> "denoise" in build_parser().format_help()
    True
    """
    parser = Parser(
        prog="boltz",
        description="Energy-based models: Ising models, image denoising, RBMs, DBMs, torch EBMs.",
        epilog="Run 'boltz COMMAND --help' for a command's options. Files go to out/COMMAND/ "
               "unless -o/--out says otherwise; each command prints a short summary and then "
               "its result as one JSON line (--json: the JSON line only).",
    )
    parser.add_argument("--version", action="version", version=f"boltz {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for bad input (one line on stderr, no traceback), 1 for
        a runtime failure reported by the command.

    Examples
    --------
    >>> main(["--help"])  # doctest: +SKIP
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for the resume command
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError, FileExistsError) as exc:
        print(f"boltz {args.command}: error: {exc}", file=sys.stderr)
        return 2
