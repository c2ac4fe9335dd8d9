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
from ._common import Parser, exit_code, print_error

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
    parser.add_argument("--debug", action="store_true",
                        help="on a failure, show the Python traceback instead of one line")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def _check_device_option(args) -> None:
    """``--device``: ValueError naming the option and the accepted names, before any work."""
    device = getattr(args, "device", None)
    if device is None or device == "cpu":
        return
    try:
        from ..backend.torch_backend import torch_device
    except ImportError:
        raise ValueError(f"--device {device} needs PyTorch: pip install 'boltz[torch]'") from None
    try:
        torch_device(device)
    except (ValueError, TypeError) as exc:
        reason = str(exc).split(";")[0].split(": Expected")[0]
        raise ValueError(f"--device {device!r} is not usable ({reason}); accepted: cpu, "
                         f"cpu-torch, cuda, cuda:N, auto") from None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 2 for bad usage or input and 1 for a runtime failure
        (divergence, a failed write, out of memory), each with one line
        ``boltz COMMAND: error: ...`` on stderr and no traceback (``--debug``
        shows it); 130 after Ctrl-C. A command that stops on Ctrl-C may raise
        ``KeyboardInterrupt("...")`` with a message (e.g. where a checkpoint
        was written), which is printed.

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
        _check_device_option(args)
        return int(args.func(args) or 0)
    except KeyboardInterrupt as exc:
        if args.debug:
            raise
        message = " ".join(str(exc).split()) or "interrupted (Ctrl-C)"
        print(f"boltz {args.command}: {message}", file=sys.stderr, flush=True)
        return 130
    except Exception as exc:  # noqa: BLE001 -- the command line reports, never crashes
        if args.debug:
            raise
        print_error(args.command, exc)
        return exit_code(exc, args)
