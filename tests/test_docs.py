"""Documentation: the docstring examples run and print what they say (doctest over the
package), and the Sphinx site builds with warnings as errors."""

import doctest
import importlib
import pkgutil
import sys

import pytest

import boltz


def _modules():
    names = []
    for info in pkgutil.walk_packages(boltz.__path__, prefix="boltz."):
        if info.name == "boltz.__main__":  # runs the CLI on import
            continue
        if info.name.startswith(("boltz.deep", "boltz.backend.torch", "boltz.dbm.torch")):
            try:
                import torch  # noqa: F401
            except ImportError:
                continue
        names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    module = importlib.import_module(name)
    try:
        result = doctest.testmod(module,
                                 optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    finally:
        if "matplotlib.pyplot" in sys.modules:  # the plotting examples leave figures open
            sys.modules["matplotlib.pyplot"].close("all")
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


_SPHINX_PACKAGES = ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme")


def _missing_sphinx_packages():
    missing = []
    for name in _SPHINX_PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def test_documentation_builds_without_warnings(tmp_path):
    """The Sphinx site (user guide, API reference, gallery of the quick demos) builds with -W."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    missing = _missing_sphinx_packages()
    if missing:
        pytest.skip(f"docs not built: {', '.join(missing)} not installed (pip install '.[docs]')")
    repo = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(repo), MPLBACKEND="Agg")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(repo / "docs"), str(tmp_path / "html")],
        cwd=repo, env=env, capture_output=True, text=True, timeout=1200)
    print(f"docs build: {time.perf_counter() - t0:.0f} s, load {os.getloadavg()}")
    assert proc.returncode == 0, f"sphinx -W failed:\n{proc.stderr[-5000:]}"
    html = tmp_path / "html"
    for page in ("index.html", "api/index.html", "user_guide/index.html",
                 "auto_examples/index.html", "cli.html"):
        assert (html / page).is_file(), page
    # the API reference lists every name of a module's __all__
    from boltz import datasets

    api = (html / "api" / "datasets.html").read_text(encoding="utf-8")
    for name in datasets.__all__:
        assert name in api, name
