import subprocess
import sys

import boltz
from boltz.cli import main


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert boltz.__version__ in capsys.readouterr().out


def test_help_lists_usage(capsys):
    assert main([]) == 0
    assert "usage: boltz" in capsys.readouterr().out


def test_python_dash_m():
    out = subprocess.run([sys.executable, "-m", "boltz", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == f"boltz {boltz.__version__}"


def _walk(parser, path=("boltz",)):
    """Yield ``(command path, parser)`` for the parser and every subparser below it."""
    import argparse

    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, path + (name,))


def _commands():
    from boltz.cli import build_parser

    return list(_walk(build_parser()))


def test_every_command_is_walked():
    names = {" ".join(path) for path, _ in _commands()}
    for expected in ("boltz ising", "boltz denoise", "boltz rbm train", "boltz rbm eval",
                     "boltz rbm sample", "boltz dbm train", "boltz dbm eval", "boltz dbm sample",
                     "boltz ebm train", "boltz ebm pitfall"):
        assert expected in names


def test_every_option_has_help_and_its_default():
    """0 options without a description; every optional one states its default."""
    import argparse

    missing, no_default = [], []
    for path, parser in _commands():
        formatter = parser._get_formatter()
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._VersionAction,
                                   argparse._SubParsersAction)):
                continue
            name = "/".join(action.option_strings) or action.dest
            if not action.help or action.help == argparse.SUPPRESS or not action.help.strip():
                missing.append(f"{' '.join(path)} {name}")
                continue
            if action.option_strings:
                shown = formatter._expand_help(action)
                if "default" not in shown and "required" not in shown:
                    no_default.append(f"{' '.join(path)} {name}: {shown!r}")
    assert not missing, "options without help: " + ", ".join(missing)
    assert not no_default, "options whose help gives no default: " + "; ".join(no_default)


def test_help_is_plain_text(capsys):
    """No reStructuredText markup leaks into --help."""
    import re

    for path, parser in _commands():
        text = parser.format_help()
        for markup in ("``", ":class:", ":func:", ":mod:", ":data:", "::\n"):
            assert markup not in text, f"{' '.join(path)} --help shows {markup!r}"
        assert not re.search(r"`[^`]+`_", text), f"{' '.join(path)} --help shows a reST link"


def test_every_command_has_a_json_switch():
    """Each leaf command prints a human summary and its result as JSON (--json: JSON alone)."""
    for path, parser in _commands():
        has_sub = any(a.__class__.__name__ == "_SubParsersAction" for a in parser._actions)
        if len(path) > 1 and not has_sub:
            assert "--json" in parser.format_help(), " ".join(path)


def test_pitfall_summary_explains_the_fractions_and_plots(tmp_path, capsys, monkeypatch):
    import json

    import pytest

    pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    assert main(["ebm", "pitfall", "--chains", "40", "--plot", "--no-progress"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    summary = "\n".join(lines[:-1])
    assert "0.8" in summary and "heavier mode" in summary and "Langevin" in summary
    assert result["figure"] == "out/ebm/pitfall.png"
    assert (tmp_path / "out" / "ebm" / "pitfall.png").stat().st_size > 0
    # an existing figure is not replaced without --overwrite (exit 2, one line)
    assert main(["ebm", "pitfall", "--chains", "40", "--plot", "--no-progress"]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_rbm_commands_write_under_out_by_default(tmp_path, capsys, monkeypatch):
    import json

    import numpy as np

    monkeypatch.chdir(tmp_path)
    np.save("x.npy", (np.random.default_rng(0).random((60, 9)) < 0.3).astype(np.float64))
    assert main(["rbm", "train", "--data", "x.npy", "--hidden", "3", "--epochs", "1",
                 "--batch-size", "20", "--quiet"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert json.loads(out[-1])["model"] == "out/rbm/rbm.npz" and len(out) > 1
    assert (tmp_path / "out" / "rbm" / "rbm.npz").is_file()
    assert main(["rbm", "sample", "out/rbm/rbm.npz", "--n", "4", "--steps", "2", "--quiet"]) == 0
    assert (tmp_path / "out" / "rbm" / "samples.png").is_file()
    capsys.readouterr()
    assert main(["rbm", "train", "--data", "x.npy", "--hidden", "3", "--epochs", "1",
                 "--quiet"]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["rbm", "eval", "out/rbm/rbm.npz", "--data", "x.npy", "--quiet", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and json.loads(out[0])["test_loglik_exact"] < 0
