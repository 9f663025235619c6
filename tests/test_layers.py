"""The layers of ``src/ionflux`` (docs/ARCHITECTURE.md, issue #24).

Every module sits on a floor (``FLOORS``). The rule: an import points to the same floor or
down, and no two modules import each other, directly or round a circle. The import graph is
read from the source with :mod:`ast`, in three kinds:

- ``module``: executed on import (top level, including ``try``/``if`` blocks and class bodies);
- ``typing``: under ``if TYPE_CHECKING:`` (never executed, but still a dependency);
- ``function``: inside a function (a lazy import, executed when the function runs).

Importing ``ionflux.a.b`` from outside the package ``ionflux.a`` also runs
``ionflux/a/__init__.py``; that package import counts as an edge of the same kind (it is why a
lazy ``pipeline.stores`` import loads the builders). An upward import of any kind fails unless it
is in ``ALLOWED_UPWARD`` with a reason; an entry that no longer matches an import fails too, so
the list only shrinks (a ratchet).

Dynamic imports (``importlib.import_module``, the ``"module:function"`` names in pipeline
settings) are not seen; they are resolved at run time by the stage that runs them.

``python tests/test_layers.py`` prints the floors and every import between packages.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "ionflux"

FLOOR_NAMES = {
    0: "base: version, errors, units, versions",
    1: "io: trajectory and structure readers and writers",
    2: "storage: stores, documents and blobs of the pipeline",
    3: "science: thermo, transport, structure, md",
    4: "chempot: chemical-potential diagrams and driving forces",
    5: "kinetics: K_D",
    6: "ca: cellular-automaton predictions",
    7: "stages: the pipeline's builders and the Pipeline that runs them",
    8: "presentation: plotting, synthesis report",
    9: "entry points: cli, web, publish",
}

#: Module or package -> floor; the longest matching prefix wins.
FLOORS: dict[str, int] = {
    "ionflux": 0,  # __init__ holds __version__ only
    "ionflux.errors": 0,
    "ionflux.units": 0,
    "ionflux.versions": 0,
    "ionflux.formula": 0,
    "ionflux.io": 1,
    "ionflux.storage": 2,
    "ionflux.thermo": 3,
    "ionflux.transport": 3,
    "ionflux.structure": 3,
    "ionflux.md": 3,
    "ionflux.chempot": 4,
    "ionflux.kinetics": 5,
    "ionflux.ca": 6,
    "ionflux.stages": 7,
    "ionflux.pipeline": 7,  # names users import, re-exported from storage and stages
    "ionflux.plotting": 8,
    "ionflux.synthesis_report": 8,
    "ionflux.cli": 9,
    "ionflux.web": 9,
    "ionflux.publish": 9,
    "ionflux.__main__": 9,
}

#: Upward imports that exist today, (importer, imported, kind) -> why, and the issue that
#: removes it. Only ever remove entries.
ALLOWED_UPWARD: dict[tuple[str, str, str], str] = {}


class Edge(NamedTuple):
    importer: str
    imported: str
    kind: str  # "module", "typing" or "function"
    line: int
    via: str | None = None  # the module named in the import, when ``imported`` is its package


# -- reading the graph ----------------------------------------------------------------------

def module_names(src: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``*.py`` under the package folder ``src``."""
    names = {}
    for path in sorted(src.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(src.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _imports(tree: ast.Module) -> Iterable[tuple[ast.Import | ast.ImportFrom, str]]:
    """Every import statement of ``tree`` with its kind."""
    def walk(node: ast.AST, kind: str):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, kind
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            kind = "function"
        if isinstance(node, ast.If) and kind == "module" and _is_type_checking(node.test):
            for child in node.body:
                yield from walk(child, "typing")
            for child in node.orelse:
                yield from walk(child, kind)
            return
        for child in ast.iter_child_nodes(node):
            yield from walk(child, kind)

    for statement in tree.body:
        yield from walk(statement, "module")


def import_graph(src: Path) -> tuple[dict[str, Path], list[Edge]]:
    """Modules of the package folder ``src`` and the imports between them (see the module
    docstring), package ``__init__`` edges included."""
    modules = module_names(src)
    top = src.name

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges: list[Edge] = []
    for importer, path in modules.items():
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node, kind in _imports(ast.parse(path.read_text(), str(path))):
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [resolve(alias.name) for alias in node.names
                           if alias.name.split(".")[0] == top]
            else:
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[:len(parts) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                if base.split(".")[0] == top:
                    targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules
                               else resolve(base) for alias in node.names]
            for target in dict.fromkeys(t for t in targets if t and t != importer):
                edges.append(Edge(importer, target, kind, node.lineno))
                parent = target.rpartition(".")[0]
                while parent:  # the package __init__ files that importing target runs
                    if parent != importer and not importer.startswith(parent + "."):
                        edges.append(Edge(importer, parent, kind, node.lineno, via=target))
                    parent = parent.rpartition(".")[0]
    return modules, edges


# -- the checks -----------------------------------------------------------------------------

def floor_of(module: str, floors: Mapping[str, int]) -> int:
    matches = [p for p in floors if module == p or module.startswith(p + ".")]
    if not matches:
        raise KeyError(f"{module} has no floor: add it to FLOORS (tests/test_layers.py) and "
                       f"docs/ARCHITECTURE.md")
    return floors[max(matches, key=len)]


def cycles(edges: Iterable[Edge]) -> list[list[str]]:
    """Groups of modules that import each other round a circle (strongly connected components
    of more than one module), over every explicit import of every kind. Package ``__init__``
    edges are left out: a package importing its own modules is how re-exports work."""
    graph: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        if edge.via is None:
            graph[edge.importer].add(edge.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(found)


def upward(edges: Iterable[Edge], floors: Mapping[str, int],
           allowed: Mapping[tuple[str, str, str], str]) -> tuple[list[str], list[tuple]]:
    """Upward imports not in ``allowed`` (as messages), and entries of ``allowed`` that match
    no upward import."""
    seen: set[tuple[str, str, str]] = set()
    problems = []
    for edge in edges:
        low, high = floor_of(edge.importer, floors), floor_of(edge.imported, floors)
        if high <= low:
            continue
        key = (edge.importer, edge.imported, edge.kind)
        seen.add(key)
        if key not in allowed:
            via = f" (via {edge.via})" if edge.via else ""
            problems.append(f"{edge.importer}:{edge.line} (floor {low}) imports "
                            f"{edge.imported}{via} (floor {high}), {edge.kind}-level")
    return sorted(set(problems)), sorted(set(allowed) - seen)


# -- the tests ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def graph() -> tuple[dict[str, Path], list[Edge]]:
    return import_graph(SRC)


def test_every_module_has_a_floor_and_every_floor_a_module(graph):
    modules, _ = graph
    for module in modules:
        floor_of(module, FLOORS)
    assert [p for p in FLOORS if not any(m == p or m.startswith(p + ".") for m in modules)] == []
    assert set(FLOORS.values()) <= set(FLOOR_NAMES)


def test_no_import_circle(graph):
    _, edges = graph
    assert cycles(edges) == []


def test_no_new_upward_import_and_no_stale_allowance(graph):
    _, edges = graph
    problems, unused = upward(edges, FLOORS, ALLOWED_UPWARD)
    assert problems == [], ("imports that point up a floor (docs/ARCHITECTURE.md): move the "
                            "code down, or the import up:\n" + "\n".join(problems))
    assert unused == [], f"no longer needed, remove from ALLOWED_UPWARD: {unused}"


def test_the_checker_on_a_synthetic_package(tmp_path: Path):
    pkg = tmp_path / "toy"
    (pkg / "low").mkdir(parents=True)
    (pkg / "high").mkdir()
    files = {
        "__init__.py": "",
        "low/__init__.py": "from toy.low.a import A\n",
        "low/a.py": ("from typing import TYPE_CHECKING\n"
                     "import toy.low.b\n"
                     "if TYPE_CHECKING:\n    from toy.high import H\n"
                     "class A:\n    def f(self):\n        from toy.high.h import H\n"),
        "low/b.py": "from . import a\n",  # a <-> b: a circle
        "high/__init__.py": "",
        "high/h.py": "from toy.low import a\nfrom ..low.b import x\nimport os\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text)
    modules, edges = import_graph(pkg)
    assert set(modules) == {"toy", "toy.low", "toy.low.a", "toy.low.b", "toy.high",
                            "toy.high.h"}
    explicit = {(e.importer, e.imported, e.kind) for e in edges if e.via is None}
    assert explicit == {
        ("toy.low", "toy.low.a", "module"),
        ("toy.low.a", "toy.low.b", "module"),
        ("toy.low.a", "toy.high", "typing"),
        ("toy.low.a", "toy.high.h", "function"),
        ("toy.low.b", "toy.low.a", "module"),
        ("toy.high.h", "toy.low.a", "module"),
        ("toy.high.h", "toy.low.b", "module"),
    }
    # importing toy.high.h from toy.low.a also runs toy/high/__init__.py
    assert Edge("toy.low.a", "toy.high", "function", 7, via="toy.high.h") in edges
    # a <-> b at module level, and a -> h lazily while h -> a: one circle of three
    assert cycles(edges) == [["toy.high.h", "toy.low.a", "toy.low.b"]]

    floors = {"toy": 0, "toy.high": 1}
    problems, unused = upward(edges, floors, {})
    assert len(problems) == 3  # typing toy.high; function toy.high.h and its package
    assert all(p.startswith("toy.low.a:") for p in problems)
    allowed = {("toy.low.a", "toy.high", "typing"): "x", ("toy.low.a", "toy.high.h", "function"):
               "x", ("toy.low.a", "toy.high", "function"): "x",
               ("toy.low.b", "toy.high", "module"): "stale"}
    problems, unused = upward(edges, floors, allowed)
    assert problems == [] and unused == [("toy.low.b", "toy.high", "module")]
    with pytest.raises(KeyError, match="no floor"):
        floor_of("elsewhere.mod", floors)


def _print_structure() -> None:
    modules, edges = import_graph(SRC)
    by_floor: dict[int, list[str]] = defaultdict(list)
    for module in modules:
        by_floor[floor_of(module, FLOORS)].append(module)
    for floor in sorted(by_floor):
        print(f"floor {floor} ({FLOOR_NAMES[floor]}): {len(by_floor[floor])} modules")
    arrows: dict[tuple[str, str], set[str]] = defaultdict(set)

    def group(module: str) -> str:
        return max((p for p in FLOORS if module == p or module.startswith(p + ".")), key=len)

    for edge in edges:
        if edge.via is None and group(edge.importer) != group(edge.imported):
            arrows[group(edge.importer), group(edge.imported)].add(edge.kind)
    for (a, b), kinds in sorted(arrows.items(), key=lambda x: (-floor_of(x[0][0], FLOORS), x[0])):
        fa, fb = floor_of(a, FLOORS), floor_of(b, FLOORS)
        mark = "  UP" if fb > fa else ""
        print(f"  {a} ({fa}) -> {b} ({fb}): {', '.join(sorted(kinds))}{mark}")
    problems, _ = upward(edges, FLOORS, {})
    print("upward:", *problems, sep="\n  ")
    print("circles:", cycles(edges))


if __name__ == "__main__":
    sys.exit(_print_structure())
