"""Imports point one way and never in a circle.

The layers are declared as import-linter contracts in ``pyproject.toml``
(``[tool.importlinter]``); grimp reads every import, also those inside functions.
These tests run the contracts, look for import cycles between modules directly,
and check on planted violations that both checks do fail.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

grimp = pytest.importorskip("grimp", reason="import-linter (dev extra) is not installed")
pytest.importorskip("importlinter", reason="import-linter (dev extra) is not installed")

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(config: Path, cwd: Path, pythonpath: Path):
    """Run import-linter on ``config``; returns (exit code, output)."""
    code = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    out = subprocess.run(
        [sys.executable, "-c", code, str(config), "--no-cache"],
        capture_output=True, text=True, cwd=cwd,
        env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )
    return out.returncode, out.stdout + out.stderr


def import_cycles(graph, ignored=()) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), the
    imports in ``ignored`` (pairs ``(importer, imported)``) left out."""
    ignored = set(ignored)
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    counter = [0]

    def visit(root):
        # iterative Tarjan: (module, iterator over its imports)
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if (v, w) in ignored:
                    continue
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.find_modules_directly_imported_by(w)))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        cycles.append(sorted(comp))

    for m in sorted(graph.modules):
        if m not in index:
            visit(m)
    return cycles


def _ignored_imports(contract_id: str) -> list[tuple[str, str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract["id"] == contract_id:
            return [tuple(s.strip() for s in imp.split("->"))
                    for imp in contract.get("ignore_imports", [])]
    raise AssertionError(f"no contract {contract_id!r} in pyproject.toml")


def test_import_contracts_are_kept():
    code, out = lint_imports(ROOT / "pyproject.toml", ROOT, ROOT)
    assert code == 0, out


def test_no_import_cycles_between_modules():
    graph = grimp.build_graph("boltz", include_external_packages=False)
    cycles = import_cycles(graph, _ignored_imports("no-cycles"))
    assert cycles == [], f"import cycles: {cycles}"


def test_cycle_finder_sees_a_planted_cycle():
    """Control: one extra import from the bottom of the stack back to the top must show."""
    graph = grimp.build_graph("boltz", include_external_packages=False)
    graph.add_import(importer="boltz._validation", imported="boltz.denoising.pipeline")
    cycles = import_cycles(graph, _ignored_imports("no-cycles"))
    assert any({"boltz._validation", "boltz.denoising.pipeline"} <= set(c) for c in cycles)


def test_contracts_fail_on_violations_inside_functions(tmp_path):
    """Control: a package whose only cycle and only upward import sit inside functions
    breaks both contract types used in pyproject.toml."""
    pkg = tmp_path / "planted"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "low.py").write_text(textwrap.dedent("""
        def f():
            from . import high
            return high
    """))
    (pkg / "high.py").write_text(textwrap.dedent("""
        def g():
            from . import low
            return low
    """))
    config = tmp_path / "contracts.toml"
    config.write_text(textwrap.dedent("""
        [tool.importlinter]
        root_packages = ["planted"]

        [[tool.importlinter.contracts]]
        name = "layers"
        type = "layers"
        containers = ["planted"]
        layers = ["high", "low"]

        [[tool.importlinter.contracts]]
        name = "acyclic"
        type = "acyclic_siblings"
        ancestors = ["planted"]
    """))
    code, out = lint_imports(config, tmp_path, tmp_path)
    assert code != 0, out
    assert "planted.low is not allowed to import planted.high" in out, out
    assert "No cycles are allowed in planted" in out, out
