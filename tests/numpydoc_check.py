"""Which public names lack a numpydoc ``Parameters``, ``Returns`` or ``Examples`` section.

Run ``python tests/numpydoc_check.py [MODULE ...]`` for the count per public module and the
list of gaps; ``tests/test_numpydoc.py`` runs the same check.

What is checked, and the exemptions:

* The public names are those of each public module's ``__all__`` (the modules the API
  reference documents: ``boltz.<name>`` not starting with ``_``, without ``boltz.cli``),
  and the public methods of the public classes among them (also those inherited from a
  private boltz base class). Constants in ``__all__`` have no docstring of their own.
* ``Parameters``: every argument of the signature (not ``self``/``cls``) is listed, in
  ``Parameters`` or ``Other Parameters``. A class documents its constructor's arguments in
  the class docstring.
* ``Returns`` (or ``Yields`` for a generator): when the code returns a value, read from the
  source (a ``return <value>``) or from a return annotation other than ``None``.
* ``Examples``: on every function, class and method.
* A method without a docstring of its own is checked against the one it inherits (as
  Sphinx shows it).
* Exempt: dunder and private (``_name``) methods; properties and attributes (NamedTuple
  and dataclass fields included), which are documented by a one-line docstring; methods
  inherited from outside boltz (``object``, ``tuple``, ``torch.nn.Module``, ...); an
  ``@abstractmethod`` needs ``Parameters`` and ``Returns`` but no ``Examples`` (its
  implementations carry them). A class without an ``__init__`` of its own (NamedTuple,
  dataclass) may list its fields under ``Attributes`` instead of ``Parameters``.
* A name re-exported by several modules is checked once, under the public module that
  defines it (or the first that lists it).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import sys
import textwrap
import warnings
from collections import defaultdict

from numpydoc.docscrape import NumpyDocString

SKIP_MODULES = {"cli"}
TORCH_MODULES = ("deep",)


def public_modules():
    import boltz

    return sorted(m.name for m in pkgutil.iter_modules(boltz.__path__)
                  if not m.name.startswith("_") and m.name not in SKIP_MODULES)


def _parse(doc):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown sections are reported as missing ones
        return NumpyDocString(inspect.cleandoc(doc or ""))


def _documented_params(parsed):
    names = set()
    for section in ("Parameters", "Other Parameters"):
        for param in parsed[section]:
            for name in param.name.split(","):
                names.add(name.strip().lstrip("*"))
    return names


def _signature_params(func, skip_first):
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    params = list(sig.parameters.values())
    if skip_first and params and params[0].name in ("self", "cls"):
        params = params[1:]
    return [p.name for p in params]


class _ReturnFinder(ast.NodeVisitor):
    def __init__(self):
        self.returns = self.yields = False

    def visit_Return(self, node):
        if node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            self.returns = True

    def visit_Yield(self, node):
        if node.value is not None:  # a bare ``yield`` (a context manager) yields nothing
            self.yields = True

    visit_YieldFrom = visit_Yield

    def _skip(self, node):  # nested functions and classes return for themselves
        pass

    visit_Lambda = _skip
    visit_ClassDef = _skip


def _returns_value(func):
    """``"returns"``, ``"yields"`` or ``None``, read from the source and the annotation."""
    func = inspect.unwrap(func)
    try:
        source = textwrap.dedent(inspect.getsource(func))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        tree = None
    if tree is not None and tree.body and isinstance(
            tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        finder = _ReturnFinder()
        for stmt in tree.body[0].body:
            finder.visit(stmt)
        if finder.yields:
            return "yields"
        if finder.returns:
            return "returns"
        return None
    annotation = getattr(func, "__annotations__", {}).get("return", None)
    if annotation in (None, "None", type(None)):
        return None
    return "returns"


def _check_callable(func, skip_first, is_abstract=False):
    parsed = _parse(inspect.getdoc(func))  # an override without a docstring inherits its base's
    missing = []
    undocumented = [p for p in _signature_params(func, skip_first)
                    if p not in _documented_params(parsed)]
    if undocumented:
        missing.append("Parameters (" + ", ".join(undocumented) + ")")
    kind = _returns_value(func)
    if kind == "returns" and not parsed["Returns"]:
        missing.append("Returns")
    if kind == "yields" and not (parsed["Yields"] or parsed["Returns"]):
        missing.append("Yields")
    if not is_abstract and not parsed["Examples"]:
        missing.append("Examples")
    return missing


def _check_class(cls):
    parsed = _parse(cls.__doc__)
    missing = []
    init = cls.__dict__.get("__init__")
    if init is None:  # inherited or generated (dataclass, NamedTuple): use the signature
        params = _signature_params(cls, skip_first=False)
    else:
        params = _signature_params(init, skip_first=True)
    documented = _documented_params(parsed)
    if init is None or dataclasses.is_dataclass(cls):  # fields may be listed as Attributes
        documented |= {n.strip() for a in parsed["Attributes"] for n in a.name.split(",")}
    undocumented = [p for p in params if p not in documented]
    if undocumented:
        missing.append("Parameters (" + ", ".join(undocumented) + ")")
    if not parsed["Examples"]:
        missing.append("Examples")
    return missing


def _boltz_defined(obj):
    return (getattr(obj, "__module__", None) or "").startswith("boltz")


def _public_methods(cls):
    """(name, function, defining class, abstract) of the boltz-defined public methods."""
    seen = set()
    for klass in cls.__mro__:
        if not _boltz_defined(klass):
            continue
        for name, attr in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            if isinstance(attr, (staticmethod, classmethod)):
                func, skip = attr.__func__, isinstance(attr, classmethod)
            elif inspect.isfunction(attr):
                func, skip = attr, True
            else:  # properties, fields, constants
                continue
            if not _boltz_defined(func):
                continue
            yield name, func, klass, skip, getattr(func, "__isabstractmethod__", False)


def _owner(obj, listing):
    parts = (getattr(obj, "__module__", "") or "").split(".")
    if len(parts) > 1 and parts[0] == "boltz" and not parts[1].startswith("_") \
            and parts[1] not in SKIP_MODULES:
        return parts[1]
    return listing


def collect(modules=None):
    """Gaps per module: ``{module: [(qualified name, [missing sections])]}``.

    Every public name (and public method) checked appears in the result, with an empty
    list when it is complete, so the caller can count both.
    """
    modules = public_modules() if modules is None else list(modules)
    result = defaultdict(list)
    checked = set()
    for short in public_modules():  # all modules, so re-exports land with their owner
        try:
            module = importlib.import_module(f"boltz.{short}")
        except ImportError:
            if short in TORCH_MODULES:
                continue
            raise
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or id(obj) in checked:
                continue
            checked.add(id(obj))
            owner = _owner(obj, short)
            qual = f"boltz.{owner}.{name}"
            if inspect.isclass(obj):
                result[owner].append((qual, _check_class(obj)))
                for mname, func, klass, skip, abstract in _public_methods(obj):
                    if id(func) in checked:
                        continue
                    checked.add(id(func))
                    # an inherited method is listed with the class (and module) defining it
                    where = _owner(klass, owner)
                    name_ = qual if klass is obj else f"boltz.{where}.{klass.__name__}"
                    result[where].append((f"{name_}.{mname}",
                                          _check_callable(func, skip, abstract)))
            else:
                result[owner].append((qual, _check_callable(obj, skip_first=False)))
    return {m: result.get(m, []) for m in modules}


def main(argv):
    report = collect(argv or None)
    total_missing = total = 0
    for module, entries in report.items():
        gaps = [(q, m) for q, m in entries if m]
        total += len(entries)
        total_missing += len(gaps)
        print(f"boltz.{module}: {len(gaps)} of {len(entries)} names incomplete")
        for qual, missing in gaps:
            print(f"    {qual}: {'; '.join(missing)}")
    print(f"total: {total_missing} of {total} names incomplete")
    return 1 if total_missing else 0


if __name__ == "__main__":
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's boltz
    sys.exit(main(sys.argv[1:]))
