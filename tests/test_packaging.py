"""Packaging: what boltz imports is declared; a missing torch names the extra to install.

A missing torch is simulated in a fresh interpreter by a meta-path finder that
answers ``import torch`` with ``ModuleNotFoundError``, as when it is not installed
(``sys.modules["torch"] = None`` would also break scipy's array-API helpers, which
look torch up in ``sys.modules``).
"""

import configparser
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXTRA = "pip install 'boltz[torch]'"


def run_without_torch(code: str) -> subprocess.CompletedProcess:
    prelude = (
        "import sys\n"
        "class NoTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ModuleNotFoundError(\"No module named 'torch'\", name=name)\n"
        "sys.meta_path.insert(0, NoTorch())\n")
    return subprocess.run([sys.executable, "-c", prelude + code], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


SCRIPT = """
import numpy as np
import boltz, boltz.rbm, boltz.dbm, boltz.density
from boltz.cli import main
for cmd in ("rbm", "dbm", "ising", "denoise", "ebm"):
    try:
        main([cmd, "--help"])
    except SystemExit as e:
        assert e.code == 0, (cmd, e.code)
print("HELP OK")

def message(fn):
    try:
        fn()
    except ImportError as e:
        return "ImportError: " + str(e)
    return "no error"

print(message(lambda: __import__("boltz.deep")))
from boltz.rbm import BernoulliRBM
from boltz.dbm import DeepBoltzmannMachine
X = np.zeros((4, 3))
print(message(lambda: BernoulliRBM(2, device="cpu-torch").fit(X)))
print(message(lambda: DeepBoltzmannMachine((2, 2), device="cuda").fit(X)))
"""


def test_without_torch_core_and_cli_help_work_and_torch_uses_name_the_extra():
    out = run_without_torch(SCRIPT)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()[-4:]
    assert lines[0] == "HELP OK"
    for line in lines[1:]:  # boltz.deep, an RBM and a DBM on a torch device
        assert line.startswith("ImportError") and EXTRA in line, line


def test_control_with_torch_boltz_deep_imports():
    """Control: with torch present the same import works (the simulated absence is what fails)."""
    import boltz.deep  # noqa: F401


def test_imported_third_party_packages_are_declared():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    core = cfg["options"]["install_requires"].lower()
    for name in ("numpy", "scipy", "numba", "matplotlib", "tqdm", "scikit-learn",
                 "threadpoolctl", "pillow"):
        assert name in core, name
    assert "torch" in cfg["options.extras_require"]["torch"]
