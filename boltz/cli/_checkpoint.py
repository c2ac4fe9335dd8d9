"""``--checkpoint PATH --checkpoint-every N --resume`` for the training commands, and Ctrl-C.

Every ``train`` command keeps a checkpoint of its run: ``--checkpoint PATH``
(default: the model path with ``.checkpoint.npz`` in place of ``.npz``),
written every ``--checkpoint-every`` epochs and when Ctrl-C stops training at a
minibatch boundary; the command then prints the one command that resumes the
run and exits 130. ``--resume`` continues the run in the checkpoint bit for bit.
A default-path checkpoint is removed once the model is saved; one named with
``--checkpoint`` is kept. An existing checkpoint is never replaced without
``--resume`` or ``--overwrite``.

Example
-------
>>> import argparse
>>> p = argparse.ArgumentParser()
>>> add_checkpoint_options(p)
>>> p.parse_args(["--resume"]).resume
True
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from ..checkpoint import checkpoint_path

__all__ = ["add_checkpoint_options", "checkpoint_options", "interrupted", "finished"]


def add_checkpoint_options(p, unit: str = "epochs", every: int = 1, suffix: str = ".npz",
                           of: str = "the model path") -> None:
    """Add ``--checkpoint``, ``--checkpoint-every`` and ``--resume`` to the parser ``p``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The ``train`` parser.
    unit : str
        What ``--checkpoint-every`` counts (``"epochs"``, ``"updates"``).
    every : int
        Its default.
    suffix : str
        The checkpoint file's suffix.
    of : str
        The output the default checkpoint path is derived from.
    """
    p.add_argument("--checkpoint", default=None,
                   help=f"checkpoint file of the run, written every --checkpoint-every {unit}, "
                        f"at the end and on Ctrl-C (default: {of} with .checkpoint{suffix}, "
                        f"removed after success)")
    p.add_argument("--checkpoint-every", type=int, default=every,
                   help=f"{unit} between checkpoints (default {every})")
    p.add_argument("--resume", action="store_true",
                   help="continue the run saved in --checkpoint (bit for bit; starts afresh "
                        "when the file does not exist yet) (default: off)")


def checkpoint_options(args, out: Path, suffix: str = ".npz", add_suffix: bool = True) -> dict:
    """The ``fit`` keywords for ``args``; refuses to replace a checkpoint without
    ``--resume``/``--overwrite``.

    Parameters
    ----------
    args : argparse.Namespace
        With ``checkpoint``, ``checkpoint_every``, ``resume`` and ``overwrite``.
    out : Path
        The command's output (the default checkpoint is named after it).
    suffix : str
        The checkpoint file's suffix.
    add_suffix : bool
        Whether a ``--checkpoint`` path without ``suffix`` gets it (else it is used as given).

    Returns
    -------
    dict
        ``checkpoint``, ``checkpoint_every``, ``resume``.
    """
    if args.checkpoint_every < 1:
        raise ValueError(f"--checkpoint-every must be a positive integer, "
                         f"got {args.checkpoint_every}")
    if args.checkpoint is None:
        path = Path(out).with_suffix(".checkpoint" + suffix)
    else:
        path = checkpoint_path(args.checkpoint, suffix) if add_suffix else Path(args.checkpoint)
        if path.resolve() == Path(out).resolve():
            raise ValueError(f"--checkpoint {path} is the model file --out; give another path")
    if path.is_dir():
        raise ValueError(f"--checkpoint {path} is a directory; give a file name")
    if path.exists() and not (args.resume or args.overwrite):
        raise FileExistsError(f"checkpoint {path} exists: pass --resume to continue that run, "
                              f"or --overwrite to start afresh")
    path.parent.mkdir(parents=True, exist_ok=True)
    args.checkpoint_file = path
    return {"checkpoint": path, "checkpoint_every": args.checkpoint_every,
            "resume": bool(args.resume)}


def resume_command(args) -> str:
    """The command line that resumes the interrupted run."""
    argv = list(getattr(args, "argv", None) or sys.argv[1:])
    argv = [a for a in argv if a != "--resume"]
    return shlex.join(["python", "-m", "boltz", *argv, "--resume"])


def interrupted(args, exc) -> int:
    """Report a Ctrl-C that stopped training (``exc``: a ``TrainingInterrupted``); returns 130."""
    if exc.checkpoint is None:  # e.g. in the DBM's greedy pretraining, which is not saved
        print(f"boltz {args.command}: interrupted before any checkpoint could be written "
              f"({exc}); nothing to resume", file=sys.stderr)
        return 130
    if getattr(exc, "updates", None) is not None:
        where = f"update {exc.updates}"
    elif exc.batch:
        where = f"epoch {exc.epoch + 1} after minibatch {exc.batch}"
    else:
        where = f"the end of epoch {exc.epoch}"
    print(f"boltz {args.command}: interrupted at {where}; checkpoint written to "
          f"{exc.checkpoint}. Resume with:\n  {resume_command(args)}", file=sys.stderr)
    return 130


def finished(args) -> None:
    """After the model is saved: remove a checkpoint at the default path (kept when named)."""
    if args.checkpoint is None:
        Path(args.checkpoint_file).unlink(missing_ok=True)
