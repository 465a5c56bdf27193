"""Source text from the libcst module, formatted in process by black (pinned in pyproject).

The output is exactly ``black.format_str(module.code, mode=MODE)``, obtained faster:

* The run-time helpers at the end of a module are copied from ``har2locust_plus/runtime``,
  whose files are kept black-formatted (a test checks it): they are appended as they are.
* The bodies of the user class's methods (all but the docstring) are printed by
  :mod:`.layout`, which knows black's layout for the few statement shapes the generator
  makes. Black formats a skeleton of the module in which each such body is a placeholder
  line, so blank lines, docstrings, imports and everything else stay black's own work. A
  method with anything :mod:`.layout` does not support is left whole in the skeleton.
"""

from __future__ import annotations

import uuid

import black
import libcst as cst

from . import layout
from .generator import runtime_function_code

MODE = black.Mode(target_versions={black.TargetVersion.PY310})


def render(module: cst.Module) -> str:
    body = list(module.body)
    split = len(body)
    while split > 0 and _is_runtime_copy(body[split - 1]):
        split -= 1
    skeleton, bodies = _skeleton(body[:split])
    source = module.with_changes(body=skeleton).code
    if bodies and ("fmt:" in source or "yapf:" in source):
        # a "# fmt: off" region could span a placeholder: black alone, on the real code
        source, bodies = module.with_changes(body=body[:split]).code, {}
    head = black.format_str(source, mode=MODE)
    if bodies:
        head = _fill(head, bodies)
    tail = [cst.Module(body=[fn.with_changes(leading_lines=[])]).code for fn in body[split:]]
    return head + "".join("\n\n" + code for code in tail)


def render_plain(module: cst.Module) -> str:
    """What :func:`render` must equal (for tests)."""
    return black.format_str(module.code, mode=MODE)


def _skeleton(body: list[cst.CSTNode]) -> tuple[list[cst.CSTNode], dict[str, str]]:
    """Top-level statements with printable method bodies replaced by placeholder lines."""
    bodies: dict[str, str] = {}
    tag = "H2L_LAYOUT_" + uuid.uuid4().hex
    out = []
    for node in body:
        if isinstance(node, cst.ClassDef) and isinstance(node.body, cst.IndentedBlock):
            members = []
            for member in node.body.body:
                members.append(_stub(member, tag, bodies))
            node = node.with_changes(body=node.body.with_changes(body=members))
        out.append(node)
    return out, bodies


def _stub(member: cst.CSTNode, tag: str, bodies: dict[str, str]) -> cst.CSTNode:
    if not isinstance(member, cst.FunctionDef) or not isinstance(member.body, cst.IndentedBlock):
        return member
    stmts = list(member.body.body)
    if len(stmts) < 2 or not _is_docstring(stmts[0]) or member.body.footer:
        return member
    try:
        text = layout.method_body(stmts[1:], depth=2)
    except layout.Unsupported:
        return member
    name = f"{tag}_{len(bodies)}"
    bodies["        " + name + "\n"] = text
    placeholder = cst.SimpleStatementLine([cst.Expr(cst.Name(name))])
    return member.with_changes(body=member.body.with_changes(body=[stmts[0], placeholder]))


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and \
        isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, cst.SimpleString)


def _fill(code: str, bodies: dict[str, str]) -> str:
    lines = code.splitlines(keepends=True)
    out = [bodies.pop(line, line) for line in lines]
    if bodies:  # a placeholder black moved: never expected
        raise AssertionError("layout placeholder not found in black's output")
    return "".join(out)


def _is_runtime_copy(node: cst.CSTNode) -> bool:
    """A function copied unchanged from a (black-formatted) runtime module."""
    if not isinstance(node, cst.FunctionDef):
        return False
    code = runtime_function_code().get(node.name.value)
    return code is not None and code == cst.Module(body=[node.with_changes(leading_lines=[])]).code
