"""``boltz --help`` (and every subcommand's) stays cheap: building the parser and
printing any help imports none of scikit-learn, SciPy's stats, pandas or torch."""

import json
import os
import subprocess
import sys
from pathlib import Path

import boltz

HEAVY = ("sklearn", "pandas", "torch", "scipy.stats")

# Prints the heavy modules imported after running CODE (a string of statements).
PROBE = """
import json, sys
{code}
heavy = {heavy!r}
found = [m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy)]
print(json.dumps(sorted(found)))
"""


def _heavy_after(code: str) -> list:
    env = {**os.environ, "PYTHONPATH": str(Path(boltz.__file__).parents[1])}
    out = subprocess.run([sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _help_of(*argv) -> str:
    return ("import contextlib, io\nfrom boltz.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as buf:\n"
            f"    try: main({list(argv)!r})\n"
            "    except SystemExit as exc: assert exc.code == 0, exc.code\n"
            "assert 'usage: boltz' in buf.getvalue()\n")


def test_top_level_and_ising_help_import_nothing_heavy():
    assert _heavy_after(_help_of("--help")) == []
    assert _heavy_after(_help_of("ising", "--help")) == []


def test_every_subcommand_help_imports_nothing_heavy():
    walk = ("import argparse\nfrom boltz.cli import build_parser\n"
            "def walk(p):\n"
            "    yield p\n"
            "    for a in p._actions:\n"
            "        if isinstance(a, argparse._SubParsersAction):\n"
            "            for sub in a.choices.values(): yield from walk(sub)\n"
            "helps = [p.format_help() for p in walk(build_parser())]\n"
            "assert len(helps) >= 10 and any('--preset' in h for h in helps)\n")
    assert _heavy_after(walk) == []
    # control: the probe sees what the DBM estimator imports
    found = _heavy_after(walk + "import boltz.dbm.model\n")
    assert "sklearn" in found and "scipy.stats" in found
