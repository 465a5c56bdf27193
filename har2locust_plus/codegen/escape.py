"""The one place where recorded text becomes code: every HAR string passes through here.

Each function returns a libcst node that *evaluates to* the given value; no caller ever
formats HAR text into source. ``repr`` is Python's own literal encoder (``json.dumps`` is not:
it turns emoji into surrogate pairs). Floats NaN/Infinity are rejected because ``repr`` would
make them bare names.
"""

from __future__ import annotations

import functools
import keyword
import math
from typing import Any

import libcst as cst

from .. import ir


class NotALiteral(ValueError):
    """A value that has no Python literal (NaN, an unknown type)."""


def py_str(text: str) -> cst.SimpleString:
    """A string literal equal to ``text``."""
    if not isinstance(text, str):
        raise NotALiteral(f"expected str, got {type(text).__name__}")
    return _str_literal(str(text))


@functools.lru_cache(maxsize=1 << 16)
def _str_literal(text: str) -> cst.SimpleString:
    # Nodes are immutable, so one node serves every use of a value: header names, content
    # types and labels repeat thousands of times in a large recording.
    return cst.SimpleString(repr(text))


def py_docstring(text: str) -> cst.SimpleString:
    """A triple-quoted literal equal to ``text`` (for docstrings, which black keeps as is)."""
    body = "".join(
        "\\\\" if ch == "\\" else '\\"' if ch == '"' else
        ch if (ch.isprintable() or ch == "\n") and ch not in "\u2028\u2029" else repr(ch)[1:-1]
        for ch in text)
    return cst.SimpleString(f'"""{body}"""')


def py_regex(pattern: str) -> cst.SimpleString:
    """A regex literal, raw (``r"..."``) when that spells the same string."""
    if pattern.isprintable() and '"' not in pattern and not pattern.endswith("\\") and \
            "\n" not in pattern:
        return cst.SimpleString(f'r"{pattern}"')
    return py_str(pattern)


def py_bytes(data: bytes) -> cst.SimpleString:
    return cst.SimpleString(repr(bytes(data)))


def py_number(value: int | float) -> cst.BaseExpression:
    if isinstance(value, float) and not math.isfinite(value):
        raise NotALiteral(f"{value!r} has no JSON or Python literal")
    literal: cst.BaseExpression = (
        cst.Integer(repr(abs(value))) if isinstance(value, int) else cst.Float(repr(abs(value))))
    if value < 0 or (isinstance(value, float) and math.copysign(1.0, value) < 0):
        return cst.UnaryOperation(cst.Minus(), literal)
    return literal


def py_ident(text: str) -> str:
    """``text`` itself when it is a usable identifier; raises otherwise (callers sanitize)."""
    if not text.isidentifier() or keyword.iskeyword(text):
        raise NotALiteral(f"{text!r} is not a valid Python identifier")
    return text


@functools.lru_cache(maxsize=1 << 12)
def self_attr(name: str) -> cst.Attribute:
    return cst.Attribute(cst.Name("self"), cst.Name(py_ident(name)))


@functools.lru_cache(maxsize=1 << 12)
def var_expr(ref: ir.VarRef) -> cst.BaseExpression:
    """``self.<name>`` (or a module constant), percent-encoded where the recording was."""
    expr: cst.BaseExpression = (cst.Name(py_ident(ref.name)) if ref.scope == "module"
                                else self_attr(ref.name))
    if ref.encoding == "raw":
        return expr
    if ref.encoding == "int":  # a JSON number sent back, found as text (a Location id)
        return cst.Call(cst.Name("int"), [cst.Arg(expr)])
    if ref.encoding == "segment":  # runtime/checks.py (the safe characters hold both quotes)
        return cst.Call(cst.Name("path_segment"), [cst.Arg(expr)])
    func = "quote_plus" if ref.encoding == "url" else "quote"
    args = [cst.Arg(cst.Call(cst.Name("str"), [cst.Arg(expr)]))]
    if ref.encoding == "path":
        args.append(cst.Arg(py_str(""), keyword=cst.Name("safe"), equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))))
    return cst.Call(cst.Name(func), args)


def host_expr() -> cst.Attribute:
    return self_attr("origin")


@functools.lru_cache(maxsize=1 << 14)
def template_expr(template: ir.Template) -> cst.BaseExpression:
    """A literal when there is nothing to fill in, else an f-string (``{``/``}`` escaped).

    Cached like :func:`py_str`: the same Referer or URL is sent by many requests."""
    if template.is_literal:
        return py_str(template.text)
    if len(template.parts) == 1 and isinstance(template.parts[0], ir.HostRef):
        return host_expr()
    parts: list[cst.BaseFormattedStringContent] = []
    for part in template.parts:
        if isinstance(part, str):
            if part:
                parts.append(cst.FormattedStringText(_fstring_text(part)))
        elif isinstance(part, ir.HostRef):
            parts.append(cst.FormattedStringExpression(host_expr()))
        else:
            parts.append(cst.FormattedStringExpression(var_expr(part)))
    return cst.FormattedString(parts=parts, start='f"', end='"')


def _fstring_text(text: str) -> str:
    """The source of a literal part inside ``f"..."``."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch in "{}":
            out.append(ch * 2)
        elif ch.isprintable() and ch not in "\u2028\u2029":
            out.append(ch)
        else:
            out.append(repr(ch)[1:-1])
    return "".join(out)


def py_value(value: Any) -> cst.BaseExpression:
    """A JSON-like value (leaves may be templates or run-time values) as an expression."""
    if value is None or isinstance(value, bool):
        return _CONSTANTS[value]
    if isinstance(value, (int, float)):
        return py_number(value)
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, ir.Template):
        return template_expr(value)
    if isinstance(value, ir.VarRef):
        return var_expr(value)
    if isinstance(value, ir.HostRef):
        return host_expr()
    if isinstance(value, dict):
        return dict_display([dict_element(py_str(str(k)), py_value(v))
                             for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        elements = [cst.Element(py_value(v)) for v in value]
        return _List(elements) if isinstance(value, list) else _Tuple(elements)
    if isinstance(value, bytes):
        return py_bytes(value)
    raise NotALiteral(f"no literal for {type(value).__name__}")


# Nodes are immutable: displays share their (default) brackets and whitespace instead of
# making new ones for each of the thousands of JSON bodies and header dicts of a recording
# (the generator uses the same two for its dicts).
_CONSTANTS = {value: cst.Name(repr(value)) for value in (None, True, False)}
dict_display = functools.partial(cst.Dict, lbrace=cst.LeftCurlyBrace(),
                                 rbrace=cst.RightCurlyBrace())
dict_element = functools.partial(cst.DictElement,
                                 whitespace_before_colon=cst.SimpleWhitespace(""),
                                 whitespace_after_colon=cst.SimpleWhitespace(" "))
_List = functools.partial(cst.List, lbracket=cst.LeftSquareBracket(),
                          rbracket=cst.RightSquareBracket())
_Tuple = functools.partial(cst.Tuple, lpar=(cst.LeftParen(),), rpar=(cst.RightParen(),))


def one_line(text: str, limit: int = 80) -> str:
    """Shorten recorded text for a docstring or message: one line, printable, bounded."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
