"""No module of ours imports, directly or through others, a module that imports it back.

Function-level imports count: an import deferred into a function to dodge a cycle is still a
cycle in the design (the model zoo and the blend were one). The import graph is read from
the source with ``ast``, as ``test_import_rules`` reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tests.unit.test_import_rules import ROOT, _imports, _own_modules, write_tree

Graph = Mapping[str, set[str]]


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Our module -> the modules of ours it imports anywhere in its source."""
    paths = dict(_own_modules(root))
    return {
        module: {imported for imported, _ in _imports(root, path) if imported in paths} - {module}
        for module, path in paths.items()
    }


def cycles(graph: Graph) -> list[list[str]]:
    """Every strongly connected group of two or more modules, as a sorted list (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_module_of_ours_is_in_an_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_checker_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    files = {
        "recommender/__init__.py": "",
        "recommender/models/__init__.py": "",
        "recommender/models/zoo.py": "from recommender.models.blend import BlendModel\n",
        "recommender/models/blend.py": "def load():\n    from recommender.models import zoo\n",
        "recommender/models/base.py": "import recommender.errors\n",
        "recommender/errors.py": "",
    }
    write_tree(tmp_path, files)
    assert cycles(import_graph(tmp_path)) == [
        ["recommender.models.blend", "recommender.models.zoo"]
    ]
