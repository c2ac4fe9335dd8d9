"""boltz.rbm and boltz.backend import one way: no cycles, no boltz.deep (issue #17).

Reads every import of every module under ``boltz/`` with :mod:`ast`, those
inside functions included, and finds the strongly connected components of the
module graph (Tarjan). ``python tests/test_rbm_imports.py`` prints all cycles
of the package.
"""

import ast
import pathlib

import boltz

ROOT = pathlib.Path(boltz.__file__).parent


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: pathlib.Path, modules: set) -> set:
    """The boltz modules ``path`` imports (any scope); ``from pkg import name`` counts
    ``pkg.name`` when that is a module, else ``pkg``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod
                       for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in modules:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def import_graph() -> dict:
    paths = sorted(ROOT.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


def cycles(graph: dict) -> list:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def _ours(name):
    return name.startswith(("boltz.rbm", "boltz.backend"))


def test_no_import_cycle_touches_rbm_or_backend():
    bad = [c for c in cycles(import_graph()) if any(_ours(m) for m in c)]
    assert bad == []


def test_rbm_and_backend_do_not_import_deep_or_dbm():
    graph = import_graph()
    for mod, deps in graph.items():
        if _ours(mod):
            assert not any(d.startswith(("boltz.deep", "boltz.dbm")) for d in deps), (mod, deps)


def test_the_cycle_finder_finds_a_cycle():
    """Control: a graph with a cycle is reported."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


if __name__ == "__main__":
    for c in cycles(import_graph()):
        print(" <-> ".join(c))
