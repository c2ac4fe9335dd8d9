"""Imports of :mod:`boltz.dbm` point one way (issue #17): no cycle among its modules,
counting the imports inside functions too, and nothing from :mod:`boltz.deep`."""

import ast
from pathlib import Path

import boltz

PACKAGE = Path(boltz.__file__).parent


def module_imports(path: Path, name: str) -> set:
    """Every ``boltz`` module that the file imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("boltz"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if not target.startswith("boltz"):
                continue
            found.add(target)
            # "from . import formulas" imports the submodule
            found.update(f"{target}.{a.name}" for a in node.names
                         if (PACKAGE.parent / f"{target}.{a.name}".replace(".", "/")).with_suffix(
                             ".py").exists())
    return found


def dbm_graph() -> dict:
    graph = {}
    for path in sorted((PACKAGE / "dbm").glob("*.py")):
        name = "boltz.dbm" if path.name == "__init__.py" else f"boltz.dbm.{path.stem}"
        graph[name] = module_imports(path, name)
    return graph


def find_cycle(graph: dict):
    """A cycle among the graph's nodes as a list, or None (depth-first search)."""
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph or nxt == "boltz.dbm":
                continue  # the package's __init__ re-exports; importing it is not a layer
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, stack + [nxt])
                if found:
                    return found
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None


def test_no_import_cycle_among_dbm_modules():
    graph = dbm_graph()
    assert len(graph) >= 10 and "boltz.dbm.formulas" in graph["boltz.dbm.model"]
    assert find_cycle(graph) is None, find_cycle(graph)
    # control: the cycle the refactor removed (model -> evaluation -> model) is found
    bad = {**graph, "boltz.dbm.exact": graph["boltz.dbm.exact"] | {"boltz.dbm.model"}}
    assert find_cycle(bad) is not None


def test_dbm_does_not_import_deep():
    for name, imports in dbm_graph().items():
        assert not any(i.startswith("boltz.deep") for i in imports), (name, imports)
