"""Which `CNNECT_*` environment variables the code reads, found in its syntax trees.

A read is one of:
- `<mapping>.get(NAME, ...)`, `.pop(NAME)`, `<mapping>[NAME]`, `NAME in <mapping>`,
  `os.getenv(NAME)`, where NAME is a string starting with `CNNECT_`, written as a literal, an
  f-string or a `+` of strings. A placeholder in it (`f"CNNECT_{name.upper()}_URL"`) stands
  for the values of the literal collection a `for` around it iterates (`for name in SERVICES`),
  for a string assigned in the same function (`prefix = f"CNNECT_{service.upper()}_"`), or,
  when it is anything else (a parameter), for every service;
- a service's extra setting, `<...>.extra.get("key")` or `<...>.extra["key"]` (also through a
  local `extra = <...>.extra`) or `<settings>.setting("key", ...)`: `load_settings` fills
  `extra` from `CNNECT_<SERVICE>_<KEY>`, so the key names the variable of the module's service
  (of every service, in shared code).
Writes (`os.environ[NAME] = ...`), messages and docstrings that merely mention a name are
not reads. Tests and the benchmark are not scanned: they are not deployed."""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

PREFIX = "CNNECT_"
SCANNED = ("shared", "services", "deploy")
_VARIABLE = re.compile(r"CNNECT_[A-Z0-9_]+")
_MAPPING_READS = frozenset({"get", "pop", "setdefault"})


@dataclass(frozen=True)
class EnvRead:
    """One variable read at one place of the code."""

    name: str
    path: str  # relative to the repository root
    line: int
    via: str  # "environ" or "extra"

    def __str__(self) -> str:
        return f"{self.name} ({self.path}:{self.line})"


def service_of(path: str) -> str | None:
    """The service a module belongs to (`services/<name>/...`), None for shared code."""
    parts = Path(path).parts
    return parts[1] if len(parts) > 2 and parts[0] == "services" else None


def scan_tree(root: Path, services: Sequence[str]) -> list[EnvRead]:
    """Every read in the deployed code under `root` (tests excluded)."""
    reads = []
    for top in SCANNED:
        for file in sorted((root / top).rglob("*.py")):
            relative = file.relative_to(root).as_posix()
            if "/tests/" in f"/{relative}":
                continue
            reads += scan_source(file.read_text(), relative, services)
    return reads


def scan_source(source: str, path: str, services: Sequence[str]) -> list[EnvRead]:
    """Every read in one module; `services` are the names a free placeholder stands for."""
    tree = ast.parse(source, filename=path)
    owner = service_of(path)
    scanner = _Scanner(path, [owner] if owner else list(services), services, _constants(tree))
    scanner.visit(tree)
    return scanner.reads


def _constants(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level names bound to a string or a literal collection of strings (dict keys)."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            strings = _literal_strings(value)
            if strings is not None:
                found[target.id] = strings
    return found


def _literal_strings(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    items: list[ast.expr | None]
    if isinstance(node, ast.Dict):
        items = list(node.keys)
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        items = list(node.elts)
    else:
        return None
    strings = [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]
    return strings if strings and len(strings) == len(items) else None


class _Scanner(ast.NodeVisitor):
    def __init__(
        self,
        path: str,
        owners: list[str],
        services: Sequence[str],
        constants: dict[str, list[str]],
    ) -> None:
        self.path = path
        self.owners = owners
        self.services = list(services)
        self.reads: list[EnvRead] = []
        # Innermost last: what a name stands for in the function or loop being visited.
        self.scopes: list[dict[str, list[str] | ast.expr]] = [dict(constants)]
        self.extras: list[set[str]] = [set()]

    # Scopes -------------------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        templates: dict[str, list[str] | ast.expr] = {}
        extras = set()
        for child in ast.walk(node):
            if isinstance(child, ast.Assign) and len(child.targets) == 1:
                target = child.targets[0]
                if not isinstance(target, ast.Name):
                    continue
                if isinstance(child.value, ast.Attribute) and child.value.attr == "extra":
                    extras.add(target.id)
                elif isinstance(child.value, ast.Constant | ast.JoinedStr | ast.BinOp):
                    templates[target.id] = child.value
        self._within(templates, extras, lambda: self.generic_visit(node))

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        bound = self._loop_bindings(node.target, node.iter)
        self._within(bound, set(), lambda: [self.visit(s) for s in node.body + node.orelse])

    def _visit_comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
    ) -> None:
        bound: dict[str, list[str] | ast.expr] = {}
        for generator in node.generators:
            bound |= self._loop_bindings(generator.target, generator.iter)
        self._within(bound, set(), lambda: self.generic_visit(node))

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comprehension

    def _within(
        self, names: dict[str, list[str] | ast.expr], extras: set[str], visit: Callable[[], object]
    ) -> None:
        self.scopes.append(names)
        self.extras.append(extras)
        try:
            visit()
        finally:
            self.scopes.pop()
            self.extras.pop()

    def _loop_bindings(
        self, target: ast.expr, iterable: ast.expr
    ) -> dict[str, list[str] | ast.expr]:
        """`for x in C`, `for k, v in C.items()`, `for k in C.keys()`: x, k stand for C."""
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Attribute)
            and iterable.func.attr in ("items", "keys")
            and not iterable.args
        ):
            iterable = iterable.func.value
        values = self._lookup(iterable.id) if isinstance(iterable, ast.Name) else None
        first = target.elts[0] if isinstance(target, ast.Tuple) and target.elts else target
        names = [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
        # A name bound to something unknown ([]) shadows any outer meaning of that name.
        bound: dict[str, list[str] | ast.expr] = {n: [] for n in names}
        if isinstance(first, ast.Name) and isinstance(values, list):
            bound[first.id] = values
        return bound

    def _lookup(self, name: str) -> list[str] | ast.expr | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    # Reads --------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if node.args and isinstance(func, ast.Attribute) and func.attr in _MAPPING_READS:
            self._read(func.value, node.args[0], node)
        elif node.args and isinstance(func, ast.Attribute) and func.attr == "setting":
            self._read_extra(node.args[0], node)
        elif node.args and _is_getenv(func):
            self._read(None, node.args[0], node)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Load):
            self._read(node.value, node.slice, node)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if len(node.ops) == 1 and isinstance(node.ops[0], ast.In):
            self._read(node.comparators[0], node.left, node)
        self.generic_visit(node)

    def _read(self, mapping: ast.expr | None, key: ast.expr, node: ast.expr) -> None:
        if mapping is not None and self._is_extra(mapping):
            self._read_extra(key, node)
            return
        for name in self._render(key):
            if _VARIABLE.fullmatch(name):
                self.reads.append(EnvRead(name, self.path, node.lineno, "environ"))

    def _read_extra(self, key: ast.expr, node: ast.expr) -> None:
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            for owner in self.owners:
                name = f"{PREFIX}{owner}_{key.value}".upper()
                self.reads.append(EnvRead(name, self.path, node.lineno, "extra"))

    def _is_extra(self, mapping: ast.expr) -> bool:
        if isinstance(mapping, ast.Attribute):
            return mapping.attr == "extra"
        return isinstance(mapping, ast.Name) and any(mapping.id in e for e in self.extras)

    # Names --------------------------------------------------------------------------------

    def _render(self, node: ast.expr) -> list[str]:
        """Every string `node` may evaluate to, as far as the rules above tell ([] if unknown)."""
        if isinstance(node, ast.Constant):
            return [node.value] if isinstance(node.value, str) else []
        if isinstance(node, ast.JoinedStr):
            parts = [self._render_part(value) for value in node.values]
            return ["".join(combo) for combo in itertools.product(*parts)]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            pairs = itertools.product(self._render(node.left), self._render(node.right))
            return [left + right for left, right in pairs]
        if isinstance(node, ast.Name):
            meaning = self._lookup(node.id)
            if isinstance(meaning, list):
                return meaning
            return self._render(meaning) if meaning is not None else []
        if _is_upper(node):
            return self._placeholder(node)
        return []

    def _render_part(self, node: ast.expr) -> list[str]:
        if isinstance(node, ast.FormattedValue):
            return self._placeholder(node.value)
        return self._render(node)

    def _placeholder(self, node: ast.expr) -> list[str]:
        """`{name}` or `{name.upper()}`: what the name stands for, else every service."""
        upper = False
        if _is_upper(node):
            assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            node, upper = node.func.value, True
        values = self._render(node)
        if not values and isinstance(node, ast.Name):
            values = self.services
        return [v.upper() for v in values] if upper else values


def _is_upper(node: ast.expr) -> bool:
    """`<expr>.upper()`."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "upper"
        and not node.args
    )


def _is_getenv(func: ast.expr) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr == "getenv"
    return isinstance(func, ast.Name) and func.id == "getenv"


def names(reads: list[EnvRead]) -> set[str]:
    """The variable names of `reads`."""
    return {r.name for r in reads}
