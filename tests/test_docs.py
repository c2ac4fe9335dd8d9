"""The examples in the docstrings run and print what they say (doctest over the package)."""

import doctest
import importlib
import pkgutil

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
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
