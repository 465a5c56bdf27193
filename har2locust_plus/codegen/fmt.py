"""Source text from the libcst module, formatted in process by black (pinned in pyproject).

The output is exactly ``black.format_str(module.code, mode=MODE)``, obtained faster:

* The run-time helpers at the end of a module are copied from ``har2locust_plus/runtime``,
  whose files are kept black-formatted (a test checks it): they are appended as they are.
* The bodies of the user class's methods (all but the docstring) are printed by
  :mod:`.layout`, which knows black's layout for the few statement shapes the generator
  makes, and so are runs of simple statements at the top level (the module's constants).
  Black formats a skeleton of the module in which each such body or run is a placeholder
  line, so blank lines, docstrings, imports and everything else stay black's own work. A
  method or statement with anything :mod:`.layout` does not support is left whole in the
  skeleton.
* A function or class copied from a runtime module elsewhere in the module (the transaction
  and rendezvous code, helpers with a decorator) is a stub in the skeleton: the same
  decorators and leading lines, the same kind of block (which is all black's blank lines
  around it depend on), a placeholder name and a one-line body. Black's text of the stub's
  two lines is then replaced by the block's source. (So the generator need not parse the
  bodies of the runtime modules at all: its copies are shells, see
  ``generator._runtime_module``; one that black must print is made whole first.)
"""

from __future__ import annotations

import uuid

import black
import libcst as cst
from black.strings import str_width

from . import layout
from .generator import runtime_copy_code, unshelled

MODE = black.Mode(target_versions={black.TargetVersion.PY310})


def render(module: cst.Module, printed: dict[str, str] | None = None) -> str:
    """The module's source, black-formatted. ``printed``: the page bodies the generator printed
    ahead (``generate(..., printed)``), which replace their placeholder lines."""
    printed = printed or {}
    body = list(module.body)
    split = len(body)
    while split > 0 and runtime_copy_code(body[split - 1], with_decorators=True) is not None:
        split -= 1
    with layout.session():
        skeleton, bodies = _skeleton(body[:split], printed)
    source = module.with_changes(body=skeleton).code
    if bodies and ("fmt:" in source or "yapf:" in source):
        # a "# fmt: off" region could span a placeholder: black alone, on the real code
        source = module.with_changes(body=[unshelled(node) for node in body[:split]]).code
        bodies = _placeholder_lines(printed)
    head = black.format_str(source, mode=MODE)
    if bodies:
        head = _fill(head, bodies)
    tail = [runtime_copy_code(fn, with_decorators=True) for fn in body[split:]]
    return head + "".join("\n\n" + code for code in tail)


def render_plain(module: cst.Module, printed: dict[str, str] | None = None) -> str:
    """What :func:`render` must equal (for tests)."""
    code = black.format_str(module.code, mode=MODE)
    return _fill(code, _placeholder_lines(printed or {})) if printed else code


def _placeholder_lines(printed: dict[str, str]) -> dict[str, str]:
    """A page body printed ahead, by the line black makes of its placeholder statement (the
    only statement after the docstring of a method of a class: eight spaces in)."""
    return {"        " + name + "\n": text for name, text in printed.items()}


def _method_body(statements: list[cst.CSTNode], printed: dict[str, str]) -> str:
    """:func:`layout.method_body` of a method's statements after its docstring; a placeholder
    of a body printed ahead is that body."""
    if printed and len(statements) == 1:
        placeholder = _placeholder(statements[0])
        if placeholder in printed:
            return printed[placeholder]
    return layout.method_body(statements, depth=2)  # type: ignore[arg-type]


def _placeholder(stmt: cst.CSTNode) -> str | None:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and \
            isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, cst.Name):
        return stmt.body[0].value.value
    return None


def _skeleton(body: list[cst.CSTNode], printed: dict[str, str]
              ) -> tuple[list[cst.CSTNode], dict[str, str]]:
    """Top-level statements with printable method bodies replaced by placeholder lines.

    A plain method that follows a placeholder (the generator's page methods: no decorator,
    only ``self``, a one-line docstring, one blank line before it) is printed whole into the
    text of that placeholder, so black does not even see it: black's output for it is known
    exactly, and a large script has thousands of them.
    """
    parts: dict[str, list[str]] = {}  # placeholder line -> the texts it stands for
    tag = "H2L_LAYOUT_" + uuid.uuid4().hex
    out = []
    top: str | None = None  # the top-level placeholder the previous statement went into
    for node in body:
        if isinstance(node, cst.SimpleStatementLine):
            if top is not None and not node.leading_lines:
                text = _top_statement(node)
                if text is not None:
                    parts[top].append(text)
                    continue
            text = _top_statement(node.with_changes(leading_lines=[]))
            if text is not None:
                name = f"{tag}_{len(parts)}"
                top = name + "\n"
                parts[top] = [text]
                out.append(cst.SimpleStatementLine([cst.Expr(cst.Name(name))],
                                                   leading_lines=node.leading_lines))
                continue
        top = None
        code = runtime_copy_code(node, with_decorators=False)
        if code is not None:
            name = f"{tag}_{len(parts)}"
            keyword = "def" if isinstance(node, cst.FunctionDef) else "class"
            parts[f"{keyword} {name}():\n" if keyword == "def" else f"class {name}:\n"] = [code]
            parts[f"    {name}_end\n"] = [""]
            out.append(_block_stub(node, name))
            continue
        node = unshelled(node)  # black prints it whole: with its body
        if isinstance(node, cst.ClassDef) and isinstance(node.body, cst.IndentedBlock):
            members: list[cst.CSTNode] = []
            run: str | None = None  # the placeholder that the previous member ended with
            for member in node.body.body:
                whole = _whole_method(member, printed) if run is not None else None
                if whole is not None:
                    parts[run].append(whole)  # type: ignore[index]
                    continue
                stub = _stub(member, tag, parts, printed)
                run = next(reversed(parts)) if stub is not member else None
                members.append(stub)
            node = node.with_changes(body=node.body.with_changes(body=members))
        out.append(node)
    return out, {line: "".join(texts) for line, texts in parts.items()}


def _top_statement(stmt: cst.SimpleStatementLine) -> str | None:
    """Black's lines for a simple statement at the top level, if :mod:`.layout` prints it."""
    try:
        return layout.method_body([stmt], depth=0)
    except layout.Unsupported:
        return None


def _block_stub(node: cst.FunctionDef | cst.ClassDef, name: str) -> cst.CSTNode:
    """``def name():`` or ``class name:`` with the body ``name_end``, and ``node``'s
    decorators and leading lines."""
    body = cst.IndentedBlock([cst.SimpleStatementLine([cst.Expr(cst.Name(name + "_end"))])])
    if isinstance(node, cst.FunctionDef):
        return cst.FunctionDef(cst.Name(name), cst.Parameters(), body,
                               decorators=node.decorators, leading_lines=node.leading_lines,
                               lines_after_decorators=node.lines_after_decorators)
    return cst.ClassDef(cst.Name(name), body, decorators=node.decorators,
                        leading_lines=node.leading_lines,
                        lines_after_decorators=node.lines_after_decorators)


def _stub(member: cst.CSTNode, tag: str, bodies: dict[str, list[str]],
          printed: dict[str, str]) -> cst.CSTNode:
    """``member`` with its body after the docstring replaced by a placeholder, if printable."""
    if not isinstance(member, cst.FunctionDef) or not isinstance(member.body, cst.IndentedBlock):
        return member
    stmts = list(member.body.body)
    if len(stmts) < 2 or not _is_docstring(stmts[0]) or member.body.footer:
        return member
    try:
        text = _method_body(stmts[1:], printed)
    except layout.Unsupported:
        return member
    name = f"{tag}_{len(bodies)}"
    bodies["        " + name + "\n"] = [text]
    placeholder = cst.SimpleStatementLine([cst.Expr(cst.Name(name))])
    return member.with_changes(body=member.body.with_changes(body=[stmts[0], placeholder]))


def _whole_method(member: cst.CSTNode, printed: dict[str, str]) -> str | None:
    """Black's text for a method of the simplest shape, with the blank line before it."""
    if not isinstance(member, cst.FunctionDef) or member.decorators or member.asynchronous or \
            member.returns is not None or getattr(member, "type_parameters", None) is not None:
        return None
    params = member.params
    if len(params.params) != 1 or params.posonly_params or params.kwonly_params or \
            not isinstance(params.star_arg, cst.MaybeSentinel) or params.star_kwarg is not None:
        return None
    param = params.params[0]
    if param.name.value != "self" or param.annotation is not None or param.default is not None:
        return None
    if len(member.leading_lines) != 1 or member.leading_lines[0].comment is not None:
        return None
    block = member.body
    if not isinstance(block, cst.IndentedBlock) or block.footer or block.header.comment or \
            len(block.body) < 2 or not _is_docstring(block.body[0]):
        return None
    docstring = block.body[0].body[0].value.value  # type: ignore[attr-defined]
    inner = docstring[3:-3]
    if not (docstring.startswith('"""') and docstring.endswith('"""')) or not inner or \
            inner != inner.strip() or inner[0] == '"' or inner[-1] == '"' or \
            any(ch in inner for ch in "\\\n\r") or "fmt:" in inner or "yapf:" in inner:
        return None  # black would change it (or it needs a closer look): keep it in the skeleton
    header = "    def " + member.name.value + "(self):"
    if str_width(header) > layout.LINE_LENGTH:
        return None
    try:
        text = _method_body(list(block.body[1:]), printed)
    except layout.Unsupported:
        return None
    return "\n" + header + "\n        " + docstring + "\n" + text


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and \
        isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, cst.SimpleString)


def _fill(code: str, bodies: dict[str, str]) -> str:
    lines = code.splitlines(keepends=True)
    out = [bodies.pop(line, line) for line in lines]
    if bodies:  # a placeholder black moved: never expected
        raise AssertionError("layout placeholder not found in black's output")
    return "".join(out)
