"""Property tests for the one escaping point (``codegen/escape.py``) and for the whole pipeline.

Any recorded text becomes code that compiles and evaluates back to that text; HAR text never
becomes a name, a statement or a comment. Hypothesis runs derandomized (same examples on every
run, no example database), so a failure here is reproducible and never flaky.
"""

from __future__ import annotations

import ast
import html
import io
import json
import math
import re
import tokenize
import warnings
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import black
import libcst as cst
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from lxml import etree

from har2locust_plus import Options, convert, ir
from har2locust_plus.codegen.escape import (
    NotALiteral,
    one_line,
    py_docstring,
    py_ident,
    py_regex,
    py_str,
    py_value,
    template_expr,
)
from har2locust_plus.codegen.fmt import MODE, render
from har2locust_plus.stages.headers import DROPPED, DROPPED_PREFIXES

PROPERTY = settings(max_examples=100, derandomize=True, database=None, deadline=None,
                    phases=(Phase.explicit, Phase.generate, Phase.shrink),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Code that must never run: every payload tries to leave its string literal and call pwned().
MARKER = "pwned"
PAYLOADS = [
    '"); pwned(); ("', "'); pwned(); ('", '"""; pwned(); """', "'''; pwned(); '''",
    "{pwned()}", "}}{pwned()}{{", '\\"); pwned() #', "\n pwned()\n", "\r\npwned()",
    "\u2028pwned()", "\x0cpwned()", "# pwned", "' + pwned() + '", "\x00pwned()",
    "\\N{pwned}", "__import__('os').system('pwned')",
]
TRICKY = [
    '"', "'", "\\", "{", "}", "{{", "}}", "\n", "\r", "\t", "\x00", "\x0c", "\x85", "\ufeff",
    "\ud800", "\udfff", "\U0001f600", "\u2028", "\u2029", '"""', "'''", "\\N{DASH}", "\\u1234",
    "#", " ", "é", "\u202e", *PAYLOADS,
]
ANY_CHAR = st.characters(exclude_categories=())  # includes lone surrogates and controls
TEXT = st.lists(st.one_of(st.sampled_from(TRICKY), st.text(ANY_CHAR, max_size=6)),
                max_size=6).map("".join)
# Values a *run-time* variable may hold (quote() cannot encode lone surrogates; they never
# come from a live response, which is decoded text).
RUNTIME_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
IDENT = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True).filter(
    lambda s: s.isidentifier() and s not in ("self", "origin") and not s.startswith("__"))


def source(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def evaluate(code: str, **variables: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an invalid escape sequence is a bug
        compiled = compile(code, "<generated>", "eval")
    stub = SimpleNamespace(origin="http://target.test:8089", **variables)
    return eval(compiled, {"__builtins__": {"str": str}, "self": stub, "quote": quote,
                           "quote_plus": quote_plus})


def through_black(node: cst.BaseExpression) -> str:
    """The expression as it reads after the project's formatter, as an expression again."""
    module = cst.Module([cst.SimpleStatementLine([cst.Assign(
        [cst.AssignTarget(cst.Name("value"))], node)])])
    formatted = render(module)
    assert black.format_str(formatted, mode=MODE) == formatted
    return formatted.split("=", 1)[1].strip()


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (1 != 1.0 != True, -0.0 != 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a.hex() == b.hex()
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


# --- one literal at a time -----------------------------------------------------------------


@PROPERTY
@given(TEXT)
def test_py_str_round_trips(text: str) -> None:
    code = source(py_str(text))
    code.encode("utf-8")  # lone surrogates are escaped, never written raw
    assert evaluate(code) == text
    assert evaluate(through_black(py_str(text))) == text


@PROPERTY
@given(TEXT)
def test_py_docstring_round_trips_and_survives_black(text: str) -> None:
    code = source(py_docstring(text))
    code.encode("utf-8")
    assert evaluate(code) == text
    function = cst.FunctionDef(cst.Name("f"), cst.Parameters(), cst.IndentedBlock(
        [cst.SimpleStatementLine([cst.Expr(py_docstring(text))])]))
    formatted = render(cst.Module([function]))  # black re-indents docstrings: it must still parse
    compile(formatted, "<docstring>", "exec")
    assert black.format_str(formatted, mode=MODE) == formatted


@PROPERTY
@given(TEXT)
def test_py_regex_round_trips(pattern: str) -> None:
    code = source(py_regex(pattern))
    code.encode("utf-8")
    assert evaluate(code) == pattern


@pytest.mark.parametrize("pattern", [r"/notes/(\d+)", r"a\\", "\\", 'say "hi"', r"(\?.*)?", ""])
def test_py_regex_examples(pattern: str) -> None:
    assert evaluate(source(py_regex(pattern))) == pattern


@st.composite
def templates(draw: st.DrawFn) -> tuple[ir.Template, dict[str, str]]:
    parts: list[ir.Part] = []
    values: dict[str, str] = {}
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["text", "text", "var", "host"]))
        if kind == "text":
            parts.append(draw(TEXT))
        elif kind == "host":
            parts.append(ir.HostRef())
        else:
            name = draw(IDENT)
            values.setdefault(name, draw(RUNTIME_TEXT))
            parts.append(ir.VarRef(name, draw(st.sampled_from(["raw", "url", "path"]))))
    return ir.Template(tuple(parts)), values


def expected_text(template: ir.Template, values: dict[str, str]) -> str:
    out = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, ir.HostRef):
            out.append("http://target.test:8089")
        elif part.encoding == "url":
            out.append(quote_plus(values[part.name]))
        elif part.encoding == "path":
            out.append(quote(values[part.name], safe=""))
        else:
            out.append(values[part.name])
    return "".join(out)


@PROPERTY
@given(templates())
def test_template_expr_round_trips(case: tuple[ir.Template, dict[str, str]]) -> None:
    template, values = case
    node = template_expr(template)
    code = source(node)
    code.encode("utf-8")
    assert evaluate(code, **values) == expected_text(template, values)
    assert evaluate(through_black(node), **values) == expected_text(template, values)


@PROPERTY
@given(TEXT)
def test_template_expr_literal_is_a_plain_string(text: str) -> None:
    node = template_expr(ir.Template.literal(text))
    assert isinstance(node, cst.SimpleString)
    assert evaluate(source(node)) == text


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(2**200), 2**200),
    st.sampled_from([0.0, -0.0, 1e300, -1e-300, 5e-324, 1.7976931348623157e308, 10**25, -(10**40)]),
    st.floats(allow_nan=False, allow_infinity=False), TEXT)
JSON = st.recursive(JSON_SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)), max_leaves=20)


@PROPERTY
@given(JSON)
def test_py_value_round_trips_json(value: Any) -> None:
    node = py_value(value)
    code = source(node)
    code.encode("utf-8")
    assert same(evaluate(code), value)
    assert same(evaluate(through_black(node)), value)


def test_py_value_with_template_and_run_time_leaves() -> None:
    value = {"id": ir.VarRef("note_id"), "url": ir.Template((ir.HostRef(), "/x?a={b}")),
             "tags": [ir.Template(("#", ir.VarRef("tag", "url"))), -0.0, 2**70]}
    got = evaluate(source(py_value(value)), note_id=17, tag="a b")
    assert same(got, {"id": 17, "url": "http://target.test:8089/x?a={b}",
                      "tags": ["#a+b", -0.0, 2**70]})


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, [1, {"a": math.nan}],
                                   {"x": [math.inf]}, object(), {1, 2}])
def test_py_value_rejects_values_without_a_literal(value: Any) -> None:
    with pytest.raises(NotALiteral):
        py_value(value)


@pytest.mark.parametrize("text", ["", "1a", "class", "None", "a-b", "a b", "é\u0301x!"])
def test_py_ident_rejects_what_is_not_an_identifier(text: str) -> None:
    with pytest.raises(NotALiteral):
        py_ident(text)


@PROPERTY
@given(TEXT)
def test_one_line_is_one_printable_bounded_line(text: str) -> None:
    line = one_line(text)
    assert len(line) <= 80 and line == line.strip()
    assert all(ch.isprintable() for ch in line)


# --- the whole pipeline: a hostile HAR --------------------------------------------------------


def _replayable_header(name: str) -> bool:
    low = name.lower()
    return bool(name) and low not in DROPPED and not low.startswith(DROPPED_PREFIXES) and \
        low not in ("origin", "referer", "content-type")


@dataclass
class HostileHar:
    title: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    form: list[tuple[str, str]]
    body: Any


@st.composite
def hostile_hars(draw: st.DrawFn) -> HostileHar:
    # some names the secrets stage acts on (their values become environment variables)
    header_name = st.one_of(TEXT.filter(_replayable_header),
                            st.sampled_from(["Authorization", "X-Api-Key", "X-Auth-Token"]))
    field_name = st.one_of(TEXT, TEXT.map(lambda t: t + "_password"))
    names = draw(st.lists(header_name, max_size=4, unique_by=lambda n: n.lower()))
    return HostileHar(
        title=draw(TEXT),
        path=draw(TEXT),
        query=draw(TEXT),
        headers=[(n, draw(TEXT)) for n in names],
        form=draw(st.lists(st.tuples(field_name, TEXT), min_size=1, max_size=4)),
        body=draw(JSON),
    )


def _har(case: HostileHar, make_har, make_entry) -> bytes:
    # The page carries the form's fields as hidden inputs, so the correlation stage builds
    # extractors (XPaths, regexes) out of hostile names and values too.
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in case.form)
    page = make_entry(f"http://app.test:8080/{case.path}?{case.query}", headers=case.headers,
                      body=f"<html><head><title>{html.escape(case.title)}</title></head>"
                           f"<body><form>{inputs}</form></body></html>", pageref="page_1")
    form = make_entry("http://app.test:8080/form", "POST", pageref="page_1",
                      started="2026-01-01T10:00:01.000Z", post_data={
                          "mimeType": "application/x-www-form-urlencoded",
                          "params": [{"name": k, "value": v} for k, v in case.form]})
    api = make_entry("http://app.test:8080/api", "POST", pageref="page_1",
                     mime="application/json", body="{}", started="2026-01-01T10:00:02.000Z",
                     post_data={"mimeType": "application/json", "text": json.dumps(case.body)})
    pages = [{"id": "page_1", "title": case.title, "startedDateTime": "2026-01-01T10:00:00.000Z",
              "pageTimings": {}}]
    return make_har(page, form, api, pages=pages)


def assert_no_injection(code: str) -> None:
    """HAR text may reach the code only as string literals, as the snake_case identifiers derived
    from titles, paths and field names (``def pwned``, ``self.pwned``, ``PWNED_PASSWORD``), and
    flattened to one printable line in comments."""
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.COMMENT:  # recorded names may be quoted, flattened to one line
            assert tok.string.isprintable(), f"unprintable comment: {tok.string!r}"
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            assert node.id != MARKER, f"HAR text became code at line {node.lineno}"
        elif isinstance(node, ast.Attribute) and node.attr == MARKER:
            assert isinstance(node.value, ast.Name) and node.value.id == "self", ast.dump(node)
        elif isinstance(node, (ast.ClassDef, ast.arg, ast.keyword, ast.alias)):
            assert MARKER not in (getattr(node, "name", None), getattr(node, "arg", None))


def compile_module_constants(code: str) -> None:
    """The XPaths and regexes a script compiles at import time (built from recorded text)."""
    for stmt in ast.parse(code).body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            func = ast.unparse(stmt.value.func)
            if func in ("etree.XPath", "re.compile"):
                (etree.XPath if func == "etree.XPath" else re.compile)(
                    ast.literal_eval(stmt.value.args[0]))


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == "urlencode":  # repeated form names: urlencode([(name, value), ...])
        return ast.literal_eval(node.args[0])
    return ast.literal_eval(node)


def _docstring_of_method_at(tree: ast.Module, line: int) -> str:
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and fn.lineno <= line <= (fn.end_lineno or 0) and \
                fn.name not in ("journey", "on_start"):
            return ast.get_docstring(fn, clean=False) or ""
    raise AssertionError(f"line {line} is outside a page method")


@PROPERTY
@given(case=hostile_hars())
def test_hostile_har_text_stays_inside_string_literals(
        make_har, make_entry, client_calls, case: HostileHar) -> None:
    data = _har(case, make_har, make_entry)
    code = convert(data, name="hostile.har").code  # every stage on: correlation, checks
    code.encode("utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(code, "hostile.py", "exec")
    assert_no_injection(code)
    compile_module_constants(code)

    # Without correlation every recorded value is replayed verbatim: check each one.
    code = convert(data, Options(user_class="http", correlate=False, checks="none",
                                 keep_secrets=True), name="hostile.har").code
    assert_no_injection(code)
    tree = ast.parse(code)
    get, form, api = client_calls(code)
    split = urlsplit(f"http://app.test:8080/{case.path}?{case.query}")
    assert _literal(get.args[0]) == (split.path or "/") + (f"?{split.query}" if split.query else "")
    kwargs = {kw.arg: kw.value for kw in get.keywords}
    assert _literal(kwargs["headers"]) == dict(case.headers) if case.headers else \
        "headers" not in kwargs
    data_arg = next(kw.value for kw in form.keywords if kw.arg == "data")
    sent = _literal(data_arg)
    assert (list(sent.items()) if isinstance(sent, dict) else sent) == case.form
    assert same(_literal(next(kw.value for kw in api.keywords if kw.arg == "json")), case.body)
    if case.title:  # an empty title falls back to the URL
        assert _docstring_of_method_at(tree, get.lineno).strip() == one_line(case.title).strip()


# --- examples the properties above found once (kept so they run on every commit) -------------


@pytest.mark.parametrize("name", ["\x1f", "a'b", 'a"b', "a'b\"c", "\u2028", "x]/@value | //*",
                                  "x\npwned()_password", "0_password", "\ud800_password"])
def test_odd_field_names_give_a_script_that_imports(make_har, make_entry, client_calls,
                                                    name: str) -> None:
    case = HostileHar(title="t", path="p", query="", headers=[], form=[(name, "v4lue-1234")],
                      body={})
    for options in (Options(), Options(keep_secrets=True)):
        code = convert(_har(case, make_har, make_entry), options, name="odd.har").code
        compile(code, "odd.py", "exec")
        assert_no_injection(code)
        compile_module_constants(code)


def test_data_columns_do_not_shadow_page_methods(tmp_path, make_har, make_entry) -> None:
    users = tmp_path / "users.csv"
    users.write_text("login,password\nu1,p1\n", encoding="utf-8")
    login_page = make_entry("http://app.test/login", resource_type="document")
    submit = make_entry("http://app.test/login", "POST", resource_type="document",
                        started="2026-01-01T10:00:01.000Z", post_data={
                            "mimeType": "application/x-www-form-urlencoded",
                            "params": [{"name": "login", "value": "alice"},
                                       {"name": "password", "value": "hunter22"}]})
    code = convert(make_har(login_page, submit), Options(data_file=str(users)),
                   name="data.har").code
    tree = ast.parse(code)
    methods = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assigned = {t.attr for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Attribute)}
    assert "login" in methods and not methods & assigned, sorted(methods & assigned)
