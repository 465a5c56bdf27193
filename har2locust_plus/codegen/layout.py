"""Black's layout for the narrow subset of statements generated method bodies are made of.

:func:`method_body` prints the statements of a generated method (after its docstring) exactly
as black 26 (stable style, line length 88) would, or raises :class:`Unsupported` when a
statement is outside the subset this printer is proven on; the caller then leaves that method
to black. The subset: simple statements ``expr``, ``target = expr`` and ``pass`` (one per line,
comment lines before them, a trailing comment only when the line fits), and ``with call as
name:`` blocks of those; expressions are names, attribute chains, calls with positional and
keyword arguments, string and number literals, dict/list/tuple displays, ``-number``,
``a * b`` and simple subscripts.

Black's rules for these shapes (no magic trailing commas, no invisible parentheses that
survive): a line that fits in 88 columns (``str_width``) stays; otherwise it is split at its
last bracket (which must end the expression), the head and tail must fit; the body stays on one
line when it fits, except a collection display with two or more elements, which always
explodes; otherwise one element per line with a trailing comma, each element laid out by the
same rule; an element without brackets is left as it is, even too long.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import libcst as cst
from black.mode import Mode
from black.numerics import format_float_or_int_string, format_hex, format_scientific_notation
from black.strings import normalize_string_prefix, normalize_string_quotes, str_width

LINE_LENGTH = 88
_MODE = Mode()


class Unsupported(Exception):
    """Outside the subset: black formats this one."""


# --- light statements -----------------------------------------------------------------------
#
# The generator writes the statements of page methods (5,900 requests at 10,000 entries) as
# these three classes instead of libcst nodes, which cost several times as much to make. They
# hold only the generator's own syntax: names of functions and attributes, keywords, and
# comments (made one printable line by ``escape.one_line``). Every value from the recording in
# them is a libcst node made by ``escape.py``, as before: HAR text still becomes code only
# there. Each prints exactly as the libcst statement it stands for (``generator.to_cst``), and
# a test checks the printed methods against black on those.


class Call:
    """``func(arg, keyword=arg, ...)``: ``func`` a dotted name, each argument a pair
    (``""`` or ``"keyword="``, a libcst expression or a :class:`Call`)."""

    __slots__ = ("func", "args")

    def __init__(self, func: str, args: tuple[tuple[str, Any], ...] = ()) -> None:
        self.func = func
        self.args = args


class Line:
    """A simple statement ``[target = ]expr[  # trailing]``, after its comment lines (each a
    whole comment, ``# ...``); ``target`` a dotted name."""

    __slots__ = ("expr", "target", "comments", "trailing")

    def __init__(self, expr: Any, target: str = "", comments: tuple[str, ...] = (),
                 trailing: str = "") -> None:
        self.expr = expr
        self.target = target
        self.comments = comments
        self.trailing = trailing


class Block:
    """``with call[ as name]:`` and its statements."""

    __slots__ = ("call", "name", "body", "comments")

    def __init__(self, call: Call, name: str, body: list[Line | Block],
                 comments: tuple[str, ...] = ()) -> None:
        self.call = call
        self.name = name
        self.body = body
        self.comments = comments  # whole comment lines before it, as Line's


# --- flat rendering -----------------------------------------------------------------------


@functools.lru_cache(maxsize=1 << 16)
def _string(value: str) -> str:
    if "\n" in value or "\r" in value or value.endswith(('"""', "'''")):
        raise Unsupported("multiline string")
    if _PLAIN_STRING.fullmatch(value):
        # no prefix, no quote or backslash inside: all black does is prefer double quotes
        # (what normalize_string_quotes returns for these, at a fraction of its cost)
        return '"' + value[1:-1] + '"'
    value = normalize_string_prefix(value, _MODE)
    return normalize_string_quotes(value)


_PLAIN_STRING = re.compile(r"'[^'\"\\]*'|\"[^'\"\\]*\"")


def _number(text: str) -> str:
    # black.numerics.normalize_numeric_literal, on text instead of a leaf
    text = text.lower()
    if text.startswith(("0b", "0b")):
        return text
    if text.startswith("0x"):
        return format_hex(text)
    if "e" in text:
        return format_scientific_notation(text)
    if text.endswith("j"):
        raise Unsupported("complex")
    if text.endswith("l"):
        raise Unsupported("long")
    return format_float_or_int_string(text)


def _no_parens(node: cst.CSTNode) -> None:
    if getattr(node, "lpar", None) or getattr(node, "rpar", None):
        raise Unsupported("parenthesized")


_LOCAL = threading.local()  # .flat: flat() of the nodes being printed, by id
_PASS = cst.Name("pass")


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Share :func:`flat`'s cache between the bodies printed inside (the caller keeps the
    nodes alive until it ends): the generator shares nodes, such as a header dict that many
    requests send, between methods."""
    if "flat" in _LOCAL.__dict__:
        yield
        return
    _LOCAL.flat = {}
    _LOCAL.code = {}  # libcst's source of f-string expressions, by id
    _LOCAL.lines = {}  # lay_out of shared displays and calls, by (id, depth, prefix, suffix)
    try:
        yield
    finally:
        del _LOCAL.flat, _LOCAL.code, _LOCAL.lines  # ids are valid while the nodes are alive


def flat(node: cst.CSTNode) -> str:
    """``node`` on one line, spaced and normalized as black does."""
    cache = _LOCAL.__dict__.get("flat")
    if cache is None:  # outside a session: ids may be reused, nothing is kept
        return _flat(node)
    text = cache.get(id(node))
    if text is None:
        text = cache[id(node)] = _flat(node)
    return text


def _flat(node: cst.CSTNode) -> str:
    printer = _PRINTERS.get(type(node))
    if printer is None:
        raise Unsupported(type(node).__name__)
    if printer is not _tuple:
        _no_parens(node)
    return printer(node)


def _tuple(node: cst.Tuple) -> str:
    if len(node.lpar) != 1 or len(node.rpar) != 1:
        raise Unsupported("tuple parens")
    items = [_element(e) for e in node.elements]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _attribute(node: cst.Attribute) -> str:
    if not isinstance(node.value, (cst.Name, cst.Attribute, cst.Call)):
        raise Unsupported("attribute base")
    return flat(node.value) + "." + node.attr.value


def _unary(node: cst.UnaryOperation) -> str:
    if not isinstance(node.operator, cst.Minus) or \
            not isinstance(node.expression, (cst.Integer, cst.Float)):
        raise Unsupported("unary operation")
    return "-" + flat(node.expression)


def _binary(node: cst.BinaryOperation) -> str:
    if not isinstance(node.operator, cst.Multiply):
        raise Unsupported("binary operation")
    return flat(node.left) + " * " + flat(node.right)


def _subscript(node: cst.Subscript) -> str:
    if len(node.slice) != 1:
        raise Unsupported("subscript")
    index = node.slice[0].slice
    if isinstance(index, cst.Index) and index.star is None and \
            isinstance(index.value, (cst.SimpleString, cst.Integer, cst.Name)):
        inner = flat(index.value)
    elif isinstance(index, cst.Slice) and index.lower is None and index.step is None and \
            isinstance(index.upper, cst.Integer):
        inner = ":" + flat(index.upper)
    else:
        raise Unsupported("subscript")
    if not isinstance(node.value, (cst.Name, cst.Attribute)):
        raise Unsupported("subscript base")
    return flat(node.value) + "[" + inner + "]"


def _fstring_code(node: cst.FormattedString) -> str:
    """The f-string's source as libcst prints it (black leaves what is inside it alone).

    Assembled here, with libcst printing only the expressions, each once (the generator
    shares them): libcst's printer on thousands of whole f-strings was a tenth of the format
    stage. Anything beyond ``{expression}`` goes to libcst whole.
    """
    out = [node.start]
    for part in node.parts:
        if type(part) is cst.FormattedStringText:
            out.append(part.value)
        elif type(part) is cst.FormattedStringExpression and part.conversion is None and \
                part.format_spec is None and part.equal is None and \
                type(part.whitespace_before_expression) is cst.SimpleWhitespace and \
                type(part.whitespace_after_expression) is cst.SimpleWhitespace:
            out += ("{", part.whitespace_before_expression.value, _code(part.expression),
                    part.whitespace_after_expression.value, "}")
        else:
            return cst.Module([]).code_for_node(node)
    out.append(node.end)
    return "".join(out)


def _code(node: cst.CSTNode) -> str:
    """libcst's own source for ``node``, once per node in a session."""
    cache = _LOCAL.__dict__.get("code")
    if cache is None:
        return cst.Module([]).code_for_node(node)
    text = cache.get(id(node))
    if text is None:
        text = cache[id(node)] = cst.Module([]).code_for_node(node)
    return text


_PRINTERS: dict[type, Callable[[Any], str]] = {  # exact types: no subclass is expected
    cst.Tuple: _tuple,
    cst.Name: lambda node: node.value,
    cst.Attribute: _attribute,
    cst.Call: lambda node: flat(node.func) + "(" + ", ".join(_arg(a) for a in node.args) + ")",
    cst.SimpleString: lambda node: _string(node.value),
    cst.FormattedString: lambda node: _string(_fstring_code(node)),
    cst.Integer: lambda node: _number(node.value),
    cst.Float: lambda node: _number(node.value),
    cst.UnaryOperation: _unary,
    cst.BinaryOperation: _binary,
    cst.Dict: lambda node: "{" + ", ".join(_dict_element(e) for e in node.elements) + "}",
    cst.List: lambda node: "[" + ", ".join(_element(e) for e in node.elements) + "]",
    cst.Subscript: _subscript,
    Call: lambda node: node.func + "(" + ", ".join(k + flat(v) for k, v in node.args) + ")",
}


def _arg(arg: cst.Arg) -> str:
    if arg.star:
        raise Unsupported("star arg")
    return (arg.keyword.value + "=" if arg.keyword else "") + flat(arg.value)


def _element(el: cst.BaseElement) -> str:
    if not isinstance(el, cst.Element):
        raise Unsupported("starred")
    return flat(el.value)


def _dict_element(el: cst.BaseDictElement) -> str:
    if not isinstance(el, cst.DictElement):
        raise Unsupported("starred")
    return flat(el.key) + ": " + flat(el.value)


# --- splitting ----------------------------------------------------------------------------


def _fits(depth: int, text: str) -> bool:
    if text.isascii():  # str_width is the length then, without building the indented line
        return 4 * depth + len(text) <= LINE_LENGTH
    return str_width("    " * depth + text) <= LINE_LENGTH


def _has_brackets(node: cst.CSTNode) -> bool:
    return not isinstance(node, (cst.Name, cst.SimpleString, cst.FormattedString, cst.Integer,
                                 cst.Float)) and not (
        isinstance(node, cst.Attribute) and not _has_brackets(node.value)) and not (
        isinstance(node, cst.UnaryOperation) and not _has_brackets(node.expression))


def _brackets(node: cst.CSTNode) -> tuple[str, list[tuple[str, cst.CSTNode]], str, bool]:
    """(head up to the last opening bracket, the elements inside, closing, is a display)."""
    if type(node) is Call:
        return node.func + "(", list(node.args), ")", False
    if isinstance(node, cst.Call):
        items = []
        for a in node.args:
            if a.star:
                raise Unsupported("star arg")
            items.append((a.keyword.value + "=" if a.keyword else "", a.value))
        return flat(node.func) + "(", items, ")", False
    if isinstance(node, cst.Dict):
        items = []
        for e in node.elements:
            if not isinstance(e, cst.DictElement):
                raise Unsupported("starred")
            items.append((flat(e.key) + ": ", e.value))
        return "{", items, "}", True
    if isinstance(node, (cst.List, cst.Tuple)):
        flat(node)  # validates
        items = []
        for e in node.elements:
            if not isinstance(e, cst.Element):
                raise Unsupported("starred")
            items.append(("", e.value))
        return ("[" if isinstance(node, cst.List) else "("), items, \
            ("]" if isinstance(node, cst.List) else ")"), True
    raise Unsupported("no trailing bracket pair")


def lay_out(node: cst.CSTNode, depth: int, prefix: str, suffix: str, out: list[str]) -> None:
    """Append the lines black makes of the logical line ``prefix + node + suffix``.

    A libcst display or call is laid out once per place in a session: the generator shares
    them between requests (the same headers, the same check arguments)."""
    if type(node) in _SHARED:
        cache = _LOCAL.__dict__.get("lines")
        if cache is not None:
            key = (id(node), depth, prefix, suffix)
            lines = cache.get(key)
            if lines is None:
                lines = []
                _lay_out(node, depth, prefix, suffix, lines)
                cache[key] = lines
            out.extend(lines)
            return
    _lay_out(node, depth, prefix, suffix, out)


_SHARED = frozenset({cst.Dict, cst.List, cst.Tuple, cst.Call})


def _lay_out(node: cst.CSTNode, depth: int, prefix: str, suffix: str, out: list[str]) -> None:
    indent = "    " * depth
    text = prefix + flat(node) + suffix
    if _fits(depth, text):
        out.append(indent + text)
        return
    if not _has_brackets(node):
        out.append(indent + text)  # nothing to split on: black leaves it too long
        return
    head, items, closing, display = _brackets(node)
    if not items:
        raise Unsupported("empty brackets")
    if not _fits(depth, prefix + head) or not _fits(depth, closing + suffix):
        raise Unsupported("head or tail too long")
    out.append(indent + prefix + head)
    one_tuple = isinstance(node, cst.Tuple) and len(items) == 1
    body = ", ".join(p + flat(v) for p, v in items) + ("," if one_tuple else "")
    if not (display and len(items) > 1) and _fits(depth + 1, body):
        out.append(indent + "    " + body)
    elif len(items) == 1:
        p, v = items[0]
        lay_out(v, depth + 1, p, "," if one_tuple else "", out)
    else:
        for p, v in items:
            lay_out(v, depth + 1, p, ",", out)
    out.append(indent + closing + suffix)


# --- statements ---------------------------------------------------------------------------


def _comment(comment: cst.Comment) -> str:
    return _comment_text(comment.value)


def _comment_text(text: str) -> str:
    """A whole comment (``# ...``) as black leaves it, or Unsupported."""
    rest = text[2:]
    if not text.startswith("# ") or not rest or rest != rest.strip() or rest[0].isspace() or \
            "type:" in text or "fmt:" in text or "yapf:" in text or \
            not text.isprintable():  # also no line breaks
        raise Unsupported("comment")
    return text


def _leading(lines: cst.CSTNode, depth: int, out: list[str]) -> None:
    for line in lines:
        if line.comment is None or not line.indent or line.whitespace.value:
            raise Unsupported("blank line")
        out.append("    " * depth + _comment(line.comment))


def statement(stmt: cst.BaseStatement | Line | Block, depth: int, out: list[str]) -> None:
    kind = type(stmt)
    if kind is Line:
        for comment in stmt.comments:  # type: ignore[union-attr]
            out.append("    " * depth + _comment_text(comment))
        _simple(stmt.expr, stmt.target + " = " if stmt.target else "",  # type: ignore[union-attr]
                "  " + _comment_text(stmt.trailing) if stmt.trailing else "",  # type: ignore[union-attr]
                depth, out)
        return
    if kind is Block:
        for comment in stmt.comments:  # type: ignore[union-attr]
            out.append("    " * depth + _comment_text(comment))
        lay_out(stmt.call, depth, "with ",  # type: ignore[union-attr]
                (" as " + stmt.name if stmt.name else "") + ":", out)  # type: ignore[union-attr]
        if not stmt.body:  # type: ignore[union-attr]
            raise Unsupported("empty with")
        for inner in stmt.body:  # type: ignore[union-attr]
            statement(inner, depth + 1, out)
        return
    _leading(stmt.leading_lines, depth, out)  # type: ignore[union-attr]
    if isinstance(stmt, cst.SimpleStatementLine):
        if len(stmt.body) != 1:
            raise Unsupported("several statements on a line")
        small = stmt.body[0]
        suffix = ""
        if stmt.trailing_whitespace.comment is not None:
            suffix = "  " + _comment(stmt.trailing_whitespace.comment)
        if isinstance(small, cst.Pass):
            node, prefix = _PASS, ""
        elif isinstance(small, cst.Expr):
            node, prefix = small.value, ""
        elif isinstance(small, cst.Assign) and len(small.targets) == 1 and \
                isinstance(small.targets[0].target, (cst.Name, cst.Attribute)):
            prefix, node = flat(small.targets[0].target) + " = ", small.value
            if _has_brackets(small.targets[0].target):
                raise Unsupported("target")
        else:
            raise Unsupported(type(small).__name__)
        _simple(node, prefix, suffix, depth, out)
        return
    if isinstance(stmt, cst.With):
        if len(stmt.items) != 1 or stmt.asynchronous or \
                isinstance(stmt.lpar, cst.LeftParen) or \
                not isinstance(stmt.body, cst.IndentedBlock) or stmt.body.header.comment or \
                stmt.body.footer:
            raise Unsupported("with")
        item = stmt.items[0]
        if item.asname is not None and not isinstance(item.asname.name, cst.Name) or \
                not isinstance(item.item, cst.Call):
            raise Unsupported("with item")
        target = f" as {item.asname.name.value}" if item.asname else ""  # type: ignore[attr-defined]
        lay_out(item.item, depth, "with ", target + ":", out)
        if not stmt.body.body:
            raise Unsupported("empty with")
        for inner in stmt.body.body:
            statement(inner, depth + 1, out)
        return
    raise Unsupported(type(stmt).__name__)


def _simple(node: Any, prefix: str, suffix: str, depth: int, out: list[str]) -> None:
    """``prefix + node + suffix``: an expression statement or an assignment (``prefix`` is
    ``target = ``), with its trailing comment in ``suffix``."""
    if suffix:
        text = prefix + flat(node) + suffix
        if not _fits(depth, text):
            raise Unsupported("long line with a comment")
        out.append("    " * depth + text)
        return
    if isinstance(node, (cst.SimpleString, cst.FormattedString)):
        raise Unsupported("string statement")  # docstring-like
    if prefix and _has_brackets(node) and not isinstance(node, (cst.Call, Call)):
        raise Unsupported("assignment of a display")
    if prefix and not _has_brackets(node) and not _fits(depth, prefix + flat(node)):
        raise Unsupported("long assignment")
    lay_out(node, depth, prefix, "", out)


def method_body(statements: list[cst.BaseStatement], depth: int) -> str:
    """Lines black makes of ``statements`` at ``depth``, each ending in a newline."""
    out: list[str] = []
    with session():
        for stmt in statements:
            statement(stmt, depth, out)
    return "".join(line + "\n" for line in out)
