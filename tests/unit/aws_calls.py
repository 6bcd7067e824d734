"""What the code calls on AWS, read from its source with ``ast``: for each adapter class, the
boto3 client operations each of its methods can reach (through its own methods, the module's
helpers and ``DynamoDBTable``), and for each entry point, the port methods its code calls.
``tests/unit/test_iam_least_privilege.py`` turns them into IAM actions and checks the template."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = ("philomath", "skill", "listening", "nlu", "recommender", "playback")
# Client attributes that are not AWS API operations.
NOT_OPERATIONS = frozenset({"close", "get_waiter", "meta", "exceptions", "get_paginator"})
# Waiters poll an operation: ``get_waiter("table_exists")`` calls DescribeTable.
WAITERS = {"table_exists": "describe_table"}


def module_path(module: str) -> Path:
    base = ROOT / module.replace(".", "/")
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _is_client(node: ast.expr) -> bool:
    """``self._client`` or a parameter named ``client``."""
    if isinstance(node, ast.Attribute) and node.attr == "_client":
        return isinstance(node.value, ast.Name) and node.value.id == "self"
    return isinstance(node, ast.Name) and node.id == "client"


class _Unit:
    """A method or function: the client operations it calls and what else it calls."""

    def __init__(self, node: ast.FunctionDef) -> None:
        self.operations: set[str] = set()
        self.calls: set[str] = set()  # "self.m", "attr.m" (on self.attr), or "f" (module)
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            func = call.func
            if isinstance(func, ast.Attribute) and _is_client(func.value):
                if func.attr == "get_waiter" and isinstance(call.args[0], ast.Constant):
                    self.operations.add(WAITERS[str(call.args[0].value)])
                elif func.attr not in NOT_OPERATIONS:
                    self.operations.add(func.attr)
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                if func.value.id == "self":
                    self.calls.add(f"self.{func.attr}")
            elif (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Attribute)
                and isinstance(func.value.value, ast.Name)
                and func.value.value.id == "self"
            ):
                self.calls.add(f"{func.value.attr}.{func.attr}")
            elif isinstance(func, ast.Name):
                self.calls.add(func.id)


def class_operations(module: str, class_name: str) -> dict[str, set[str]]:
    """Method name -> every client operation it can reach."""
    tree = ast.parse(module_path(module).read_text())
    functions = {n.name: _Unit(n) for n in tree.body if isinstance(n, ast.FunctionDef)}
    (cls,) = (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name)
    methods = {n.name: _Unit(n) for n in cls.body if isinstance(n, ast.FunctionDef)}
    delegates = _delegates(cls)  # self attribute -> (module, class) it delegates to
    resolved: dict[str, set[str]] = {}

    def reach(unit: _Unit, seen: frozenset[str]) -> set[str]:
        found = set(unit.operations)
        for target in unit.calls:
            owner, _, name = target.rpartition(".")
            if owner == "self" and name in methods and name not in seen:
                found |= reach(methods[name], seen | {name})
            elif owner in delegates:
                found |= class_operations(*delegates[owner]).get(name, set())
            elif not owner and target in functions and target not in seen:
                found |= reach(functions[target], seen | {target})
        return found

    for name, unit in methods.items():
        resolved[name] = reach(unit, frozenset({name}))
    return resolved


def _delegates(cls: ast.ClassDef) -> dict[str, tuple[str, str]]:
    found = {}
    for node in ast.walk(cls):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "DynamoDBTable"
        ):
            for target in node.targets:
                if isinstance(target, ast.Attribute):
                    found[target.attr] = ("recommender.storage.dynamodb_table", "DynamoDBTable")
    return found


def function_operations(module: str, function: str) -> set[str]:
    tree = ast.parse(module_path(module).read_text())
    (node,) = (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    return _Unit(node).operations


def import_closure(entries: Iterable[str], exclude: Iterable[str] = ()) -> set[str]:
    """Our modules ``entries`` import, directly or not, function-level imports included
    (the composition root imports lazily); ``exclude``d modules are not followed."""
    skip, seen, todo = set(exclude), set[str](), list(entries)
    while todo:
        module = todo.pop()
        if module in seen or module in skip or not module_path(module).exists():
            continue
        seen.add(module)
        for node in ast.walk(ast.parse(module_path(module).read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                todo.append(node.module)
                todo.extend(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                todo.extend(alias.name for alias in node.names)
    return {m for m in seen if m.split(".")[0] in OWN}


def iam_action(service: str, operation: str) -> str:
    # IAM has no action of their own for these: listing is ListBucket, HEAD is GetObject.
    special = {("s3", "list_objects_v2"): "s3:ListBucket", ("s3", "head_object"): "s3:GetObject"}
    if (service, operation) in special:
        return special[(service, operation)]
    return f"{service}:{''.join(p.title() for p in re.split('_', operation))}"


def called_receivers(modules: Iterable[str], receivers: set[str]) -> set[str]:
    """Method names called on a receiver named like a port (``store``, ``self._store``,
    ``backends.store``): the code names its port attributes after the port."""
    names = set()
    for module in modules:
        for node in ast.walk(ast.parse(module_path(module).read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = node.func.value
            name = receiver.attr if isinstance(receiver, ast.Attribute) else None
            if isinstance(receiver, ast.Name):
                name = receiver.id
            if name is not None and name.lstrip("_") in receivers:
                names.add(node.func.attr)
    return names
