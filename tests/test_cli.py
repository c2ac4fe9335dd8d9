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
