"""The run-time helper modules are appended to generated scripts without re-formatting
(codegen/fmt.py), so they must already be exactly what black makes of them."""

from __future__ import annotations

from pathlib import Path

import black
import pytest

from har2locust_plus.codegen.fmt import MODE

RUNTIME = Path(__file__).resolve().parents[1] / "har2locust_plus" / "runtime"


@pytest.mark.parametrize("name", ["checks.py", "data.py", "rendezvous.py", "transactions.py"])
def test_runtime_module_is_black_formatted(name: str) -> None:
    source = (RUNTIME / name).read_text(encoding="utf-8")
    assert black.format_str(source, mode=MODE) == source, (
        f"run black on har2locust_plus/runtime/{name} (target py310, default line length)")


@pytest.mark.parametrize("name", ["checks.py", "data.py", "rendezvous.py", "transactions.py"])
def test_block_text_is_what_libcst_prints(name: str) -> None:
    """The source lines the formatter copies for a runtime function or class (taken by the
    line numbers of Python's own parser) are what libcst prints of its node."""
    import libcst as cst

    from har2locust_plus.codegen import generator

    blocks = [stmt for stmt in generator._runtime_module(name).body
              if isinstance(stmt, (cst.FunctionDef, cst.ClassDef))]
    assert blocks
    for stmt in blocks:
        for with_decorators in (True, False):
            changes: dict = {"leading_lines": []}
            if not with_decorators:
                changes["decorators"] = []
            printed = cst.Module(body=[stmt.with_changes(**changes)]).code
            assert generator._block_code(stmt, with_decorators) == printed, stmt.name.value


@pytest.mark.parametrize("name", ["checks.py", "data.py", "rendezvous.py", "transactions.py"])
def test_names_from_pythons_parser_are_those_of_the_libcst_walk(name: str) -> None:
    """The helpers a helper calls are read with ast; the names must be the libcst walk's."""
    import ast

    import libcst as cst

    from har2locust_plus.codegen import generator

    nodes = {stmt.name.value: stmt for stmt in generator._runtime_module(name).body
             if isinstance(stmt, (cst.FunctionDef, cst.ClassDef))}
    trees = {stmt.name: stmt for stmt in ast.parse(generator._runtime_source(name)).body
             if isinstance(stmt, (ast.FunctionDef, ast.ClassDef))}
    assert nodes.keys() == trees.keys() and nodes
    for block, node in nodes.items():
        assert generator._ast_names(trees[block]) == generator._free_names(node), block
