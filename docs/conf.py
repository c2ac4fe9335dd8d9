"""Sphinx configuration of the boltz documentation.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (``pip install .[docs]``).
The API reference is generated at build time from each public module's
``__all__`` (see :func:`write_api_pages`), so a new public name or module
appears without editing these files. The gallery runs the quick demos only
(``GALLERY_EXECUTE``); the others are shown with their code and measured
run times, not executed.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import boltz  # noqa: E402

project = "boltz"
author = "the boltz developers"
copyright = "2026, the boltz developers"
release = version = boltz.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "cli_generated.rst"]
templates_path = ["_templates"]
html_theme = "pydata_sphinx_theme"
html_title = f"boltz {version}"
html_static_path = []
html_theme_options = {"navigation_depth": 2, "show_toc_level": 2}
default_role = "py:obj"

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# pickling the gallery's callables is not possible; Sphinx would warn on every build
suppress_warnings = ["config.cache"]

# --------------------------------------------------------------------------
# API reference: one page per public module, listing its __all__
# --------------------------------------------------------------------------

#: Documented in this order first; any other public module is appended.
API_ORDER = ["density", "expfam", "exact", "gaussian", "diagnostics", "ising", "samplers",
             "denoising", "rbm", "dbm", "deep", "datasets", "io", "plotting"]
API_SKIP = {"cli"}
#: Modules that need torch (their pages are skipped, with a note, when it is missing).
TORCH_MODULES = {"deep"}


def public_modules():
    found = [m.name for m in pkgutil.iter_modules(boltz.__path__)
             if not m.name.startswith("_") and m.name not in API_SKIP]
    return [m for m in API_ORDER if m in found] + sorted(set(found) - set(API_ORDER))


def _documentable(module, name):
    obj = getattr(module, name, None)
    return obj is not None and (callable(obj) or isinstance(obj, type))


def write_api_pages():
    """Write ``docs/api/<module>.rst`` (autosummary of ``__all__``) and ``docs/api/index.rst``."""
    api = DOCS / "api"
    # stale pages of names that left __all__ would be orphans (a warning, so an error)
    shutil.rmtree(api, ignore_errors=True)
    api.mkdir()
    pages = []
    for short in public_modules():
        full = f"boltz.{short}"
        try:
            module = importlib.import_module(full)
        except ImportError as exc:  # torch missing: say so instead of failing
            body = f"{full} could not be imported here ({exc}); install boltz[torch].\n"
            names, constants = [], []
        else:
            names = [n for n in getattr(module, "__all__", []) if _documentable(module, n)]
            constants = [n for n in getattr(module, "__all__", []) if n not in names]
            body = ""
        title = f"``{full}``"
        lines = [title, "=" * len(title), "", f".. automodule:: {full}", "   :no-members:", "",
                 f".. currentmodule:: {full}", ""]
        if body:
            lines += [body, ""]
        if names:
            lines += [".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
            lines += [f"   {n}" for n in names] + [""]
        if constants:
            lines += ["Constants", "---------", ""]
            for n in constants:
                value = repr(getattr(module, n))
                if len(value) > 70:
                    value = value[:67] + "..."
                lines += [f".. data:: {n}", f"   :value: {value}", "   :no-index:", ""]
        (api / f"{short}.rst").write_text("\n".join(lines))
        pages.append(short)
    index = ["API reference", "=============", "",
             "Every public name of every public module (each module's ``__all__``), with its "
             "parameters, return values and an example.", "", ".. toctree::", "   :maxdepth: 1",
             ""] + [f"   {p}" for p in pages] + [""]
    (api / "index.rst").write_text("\n".join(index))


write_api_pages()


def write_cli_help():
    """Write ``docs/cli_generated.rst``: the ``--help`` of every command, as printed."""
    import argparse

    from boltz.cli import build_parser

    def walk(parser, path):
        yield path, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, path + [name])

    os.environ["COLUMNS"] = "88"
    lines = []
    for path, parser in walk(build_parser(), ["boltz"]):
        if len(path) == 1:
            continue
        title = " ".join(path)
        lines += [title, "-" * len(title), "", ".. code-block:: text", ""]
        lines += ["   " + line if line else "" for line in parser.format_help().splitlines()]
        lines.append("")
    text = "\n".join(lines)
    out = DOCS / "cli_generated.rst"
    if not out.exists() or out.read_text() != text:
        out.write_text(text)


write_cli_help()

# --------------------------------------------------------------------------
# Gallery: the demos; only the quick ones are executed
# --------------------------------------------------------------------------

#: Demos executed while building (each well under 20 s in its --quick mode).
#: Under load 12 on the 2-core machine: denoise_binary_image 22 s, score_pitfall 14 s;
#: ising_phase_transition --quick took 46 s there (28 s alone at load 7) and is shown
#: unexecuted.
GALLERY_EXECUTE = ["denoise_binary_image", "score_pitfall"]
GALLERY_OUT = DOCS / "_build" / "gallery-out"


def _demo_argv(gallery_conf, script_vars):
    name = Path(script_vars["src_file"]).stem
    return ["--quick", "--out", str(GALLERY_OUT / name)]


sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "demos"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/(" + "|".join(GALLERY_EXECUTE) + r")\.py$",
    "ignore_pattern": r"__init__\.py|/_",
    "reset_argv": _demo_argv,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "show_memory": False,
    "plot_gallery": "True",
}
