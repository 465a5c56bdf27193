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


@pytest.mark.parametrize("name", ["checks.py", "data.py", "rendezvous.py", "transactions.py"])
def test_a_shell_module_is_the_full_one_but_for_the_bodies(name: str) -> None:
    """A conversion parses the runtime modules with their functions' and classes' bodies left
    out (a ``pass`` each): every other part must be exactly what the full parse gives, and the
    names a shell's body stands for those the full body uses."""
    import libcst as cst

    from har2locust_plus.codegen import generator

    full = generator._runtime_module(name, full=True)
    shell = generator._runtime_module(name, full=False)
    assert len(shell.body) == len(full.body)
    assert shell.with_changes(body=[]).deep_equals(full.with_changes(body=[]))
    blocks = 0
    for ours, theirs in zip(shell.body, full.body, strict=True):
        if isinstance(theirs, (cst.FunctionDef, cst.ClassDef)):
            blocks += 1
            assert ours.with_changes(body=theirs.body).deep_equals(theirs), theirs.name.value
            assert generator._SHELL_NAMES[id(ours.body)] == \
                generator._free_names(theirs.body), theirs.name.value
            assert generator._block_code(ours, True) == generator._block_code(theirs, True)
            assert generator.unshelled(ours) is not ours
            assert generator.unshelled(ours).deep_equals(theirs)
        else:
            assert ours.deep_equals(theirs)
    assert blocks


def test_a_shell_copy_is_made_whole_with_its_changes() -> None:
    import libcst as cst

    from har2locust_plus.codegen import generator

    shell = next(stmt for stmt in generator._runtime_module("data.py", full=False).body
                 if isinstance(stmt, cst.FunctionDef))
    full = next(stmt for stmt in generator._runtime_module("data.py", full=True).body
                if isinstance(stmt, cst.FunctionDef) and stmt.name.value == shell.name.value)
    decorator = cst.Decorator(cst.Name("events"))
    copy = shell.with_changes(leading_lines=[cst.EmptyLine()], decorators=[decorator])
    whole = generator.unshelled(copy)
    assert whole.body is full.body and whole.leading_lines is copy.leading_lines
    assert whole.decorators is copy.decorators
    assert generator.unshelled(full) is full  # a full node stays as it is
    with pytest.raises(AssertionError, match="changed"):
        generator.unshelled(shell.with_changes(name=cst.Name("renamed")))


def test_the_shipped_runtime_index_is_current() -> None:
    """``runtime/index.json`` saves every conversion parsing the runtime modules; it must be
    what they give now (a stale entry would only be slower: see the next tests)."""
    from har2locust_plus.codegen import runtime_index

    shipped = (RUNTIME / runtime_index.INDEX_FILE).read_text(encoding="utf-8")
    assert shipped == runtime_index.index(), \
        "a runtime module changed: run python scripts/regen_goldens.py"
    assert set(runtime_index.MODULES) == {p.name for p in RUNTIME.glob("*.py")} - {"__init__.py"}
    for name in runtime_index.MODULES:
        assert runtime_index.blocks(name) == runtime_index.compute(runtime_index.source(name))


def test_a_module_changed_since_the_index_is_read_from_its_parse_tree() -> None:
    from har2locust_plus.codegen import runtime_index

    text = runtime_index.source("data.py")
    edited = "# a line more\n" + text.replace("def ", "def renamed_", 1)
    blocks = runtime_index._blocks("data.py", edited)
    assert blocks == runtime_index.compute(edited)
    assert blocks[0].name.startswith("renamed_")
    assert [b.line for b in blocks] == [b.line + 1 for b in runtime_index.blocks("data.py")]


@pytest.mark.parametrize("content", [
    "", "{", "[]", '{"version": 2, "modules": {}}', '{"version": 1, "modules": []}',
    '{"version": 1}',
])
def test_an_unusable_index_is_ignored(content: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing, garbled or other version's index means every module is parsed: the same
    blocks, more slowly; never an error."""
    from har2locust_plus.codegen import runtime_index

    path = tmp_path / "index.json"
    if content:
        path.write_text(content, encoding="utf-8")
    monkeypatch.setattr(runtime_index, "index_path", lambda: path)
    runtime_index._shipped.cache_clear()
    runtime_index._blocks.cache_clear()
    try:
        assert runtime_index._shipped() == {}
        for name in runtime_index.MODULES:
            assert runtime_index.blocks(name) == \
                runtime_index.compute(runtime_index.source(name))
    finally:
        runtime_index._shipped.cache_clear()
        runtime_index._blocks.cache_clear()
