"""Where each top-level function and class of a runtime module starts and ends, and which names
it uses: what the generator needs to copy the module's code into a script without parsing the
bodies with libcst (see ``generator._runtime_module``).

It is read from Python's parse tree of the module. Parsing the four modules and walking their
trees took about 0.1 s of every conversion, a sixth of converting a typical recording, for
facts that change only when the package does; so they are shipped, computed, in
``runtime/index.json`` beside the modules, each module's entry with the SHA-256 of the text it
was computed from. An entry is used only while it matches the module's text: a module edited
since is read from its parse tree again, as before (slower, never different). A test keeps the
shipped index current; ``python scripts/regen_goldens.py`` rewrites it.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import json
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.abc import Traversable

INDEX_FILE = "index.json"
INDEX_VERSION = 1
# every module of har2locust_plus/runtime that scripts get code from (a test checks the list)
MODULES = ("checks.py", "data.py", "rendezvous.py", "transactions.py")


@dataclasses.dataclass(frozen=True)
class Block:
    """A top-level ``def`` (not ``async def``) or ``class`` of a runtime module. Lines are
    1-based."""

    name: str
    is_class: bool
    first: int  # its first decorator's line, else ``line``
    line: int  # the line of ``def``/``class``
    body: int  # the first line of its body (a docstring is part of the body)
    last: int
    names: frozenset[str]  # :func:`ast_names` of the whole statement
    body_names: frozenset[str]  # :func:`ast_names` of the body's statements


def blocks(filename: str) -> tuple[Block, ...]:
    """The blocks of ``har2locust_plus/runtime/<filename>``, in the module's order."""
    return _blocks(filename, source(filename))


@functools.cache
def source(filename: str) -> str:
    return resources.files("har2locust_plus.runtime").joinpath(filename).read_text("utf-8")


@functools.cache
def _blocks(filename: str, text: str) -> tuple[Block, ...]:
    entry = _shipped().get(filename)
    if entry is not None and entry.get("sha256") == _digest(text):
        return tuple(Block(name, bool(is_class), first, line, body, last, frozenset(names),
                           frozenset(body_names))
                     for name, is_class, first, line, body, last, names, body_names
                     in entry["blocks"])
    return compute(text)


def compute(text: str) -> tuple[Block, ...]:
    """The blocks of a module's source, from Python's parse tree."""
    out = []
    for stmt in ast.parse(text).body:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            out.append(Block(
                name=stmt.name,
                is_class=isinstance(stmt, ast.ClassDef),
                first=stmt.decorator_list[0].lineno if stmt.decorator_list else stmt.lineno,
                line=stmt.lineno,
                body=stmt.body[0].lineno,
                last=stmt.end_lineno or stmt.lineno,
                names=frozenset(ast_names(stmt)),
                body_names=frozenset().union(*(ast_names(s) for s in stmt.body)),
            ))
    return tuple(out)


def index() -> str:
    """The text of ``runtime/index.json``, computed afresh: one line per block, so that a
    change to a module shows as the lines of the blocks it changed."""
    modules = []
    for filename in MODULES:
        text = source(filename)
        rows = ",\n".join(
            "   " + json.dumps([b.name, int(b.is_class), b.first, b.line, b.body, b.last,
                               sorted(b.names), sorted(b.body_names)])
            for b in compute(text))
        modules.append(f' {json.dumps(filename)}: {{"sha256": {json.dumps(_digest(text))}, '
                       f'"blocks": [\n{rows}\n ]}}')
    return (f'{{"version": {INDEX_VERSION}, "modules": {{\n' + ",\n".join(modules)
            + "\n}}\n")


def index_path() -> Traversable:
    return resources.files("har2locust_plus.runtime").joinpath(INDEX_FILE)


@functools.cache
def _shipped() -> dict[str, dict]:
    """The shipped index's modules; none if it is missing, unreadable or of another version
    (every module is then parsed)."""
    try:
        data = json.loads(index_path().read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
        return {}
    modules = data.get("modules")
    return modules if isinstance(modules, dict) else {}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def ast_names(node: ast.AST) -> set[str]:
    """The names ``generator._free_names`` finds in the same code, read from Python's own parse
    tree (about ten times quicker than walking libcst's; a test compares the two on the
    runtime modules): names used or bound, functions', classes' and parameters' names, and
    ``None``/``True``/``False``."""
    names: set[str] = set()
    for item in ast.walk(node):
        if isinstance(item, ast.Name):
            names.add(item.id)
        elif isinstance(item, ast.Constant) and (
                item.value is None or item.value is True or item.value is False):
            names.add(repr(item.value))  # libcst's names, ast's constants
        elif isinstance(item, ast.arg):
            names.add(item.arg)
        elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(item.name)
        elif isinstance(item, ast.ExceptHandler) and item.name:
            names.add(item.name)
        elif isinstance(item, (ast.Global, ast.Nonlocal)):
            names.update(item.names)
        elif isinstance(item, ast.alias):
            names.add((item.asname or item.name).split(".")[0])
            names.add(item.name.split(".")[0])
        elif isinstance(item, ast.ImportFrom) and item.module:
            names.add(item.module.split(".")[0])  # libcst's walk names the module too
    return names
