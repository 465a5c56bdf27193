"""``render`` (black on a skeleton + the layout printer) equals plain black, byte for byte."""

from __future__ import annotations

import json
import random
from pathlib import Path

import black
import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import har2locust_plus.core as core
from har2locust_plus import BadInput, Options, ThinkTime, convert, ir
from har2locust_plus.codegen import fmt, layout
from har2locust_plus.codegen.generator import generate, generate_workload

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO_ROOT / "fixtures"
CORPUS_DIR = REPO_ROOT.parent / "shared" / "hars"  # as in conftest.py

VARIANTS = {
    "default": Options(),
    "http": Options(user_class="http"),
    "no-think": Options(think_time=ThinkTime(mode="none")),
    "status-checks": Options(checks="status"),
    "range-think": Options(think_time=ThinkTime(mode="range", low=1, high=3)),
}


def _assert_identical(source, options: Options | None = None, name: str | None = None) -> None:
    """The script equals black's formatting of the same module written entirely in libcst
    (page methods too, which a conversion prints ahead from light statements)."""
    options = options or Options()
    result = convert(source, options, name=name)
    module = generate(result.scenario, options, options.user_class or "fast")
    assert result.code == black.format_str(module.code, mode=fmt.MODE)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("har", sorted(p.name for p in FIXTURES_DIR.glob("*.har")))
def test_fixtures_identical_to_black(har: str, variant: str) -> None:
    _assert_identical(FIXTURES_DIR / har, VARIANTS[variant])


@pytest.mark.parametrize("options", [
    Options(rendezvous=("1", "3"), rendezvous_users="2"),
    Options(data_file="users.csv", unique_fields=("title",), transactions=False),
    Options(user_class="http", rendezvous=("2",), checks="status"),
    Options(data_file="users.csv", data_per="iteration", new_user_each_iteration=False,
            think_time=ThinkTime(mode="range", low=1, high=2)),
], ids=["rendezvous", "data-unique-no-transactions", "http-rendezvous", "data-per-iteration"])
def test_runtime_blocks_and_constants_identical_to_black(options: Options) -> None:
    """The rendezvous and transaction code, decorated helpers and the module's constants are
    printed without black (stubs and top-level runs): still black's text exactly."""
    _assert_identical(FIXTURES_DIR / "notes-journey.har", options)


def test_workload_identical_to_black() -> None:
    options = Options(rendezvous=("2",))
    result = core.convert_workload([core.Recording(FIXTURES_DIR / "notes-journey.har", 3),
                                    core.Recording(FIXTURES_DIR / "api-journey.har", 1)],
                                   options)
    module = generate_workload(result.workload, options, "fast")
    assert result.code == black.format_str(module.code, mode=fmt.MODE)


def _entry(url: str, method: str = "GET", headers=(), body=None, mime="text/html",
           status=200, text="", title_ref="page_1") -> dict:
    request = {"method": method, "url": url, "httpVersion": "HTTP/1.1",
               "headers": [{"name": n, "value": v} for n, v in headers],
               "queryString": [], "cookies": [], "headersSize": -1, "bodySize": -1}
    if body is not None:
        request["postData"] = {"mimeType": body[0], "text": body[1]}
    return {"pageref": title_ref, "startedDateTime": "2024-01-01T00:00:00.000Z", "time": 5,
            "request": request,
            "response": {"status": status, "statusText": "OK", "httpVersion": "HTTP/1.1",
                         "headers": [{"name": "Content-Type", "value": mime}], "cookies": [],
                         "content": {"size": len(text), "mimeType": mime, "text": text},
                         "redirectURL": "", "headersSize": -1, "bodySize": -1},
            "cache": {}, "timings": {"send": 1, "wait": 3, "receive": 1}}


HOSTILE_TITLES = [
    "日本語のとても長いページタイトル" * 6,
    'quotes \' and " and """ triple and \\ backslash \\',
    "x" * 79 + '"',
    "",
    "   spaces   around   ",
    "😀 emoji " * 12,
    "# fmt: off",
    "tab\tand\x0bvertical",
]


def _hostile_har(seed: int) -> bytes:
    rnd = random.Random(seed)
    pages, entries = [], []
    long_value = "v" * rnd.randint(60, 300)
    for i, title in enumerate(HOSTILE_TITLES):
        ref = f"page_{i}"
        pages.append({"id": ref, "title": title, "startedDateTime": "2024-01-01T00:00:00.000Z",
                      "pageTimings": {}})
        path = rnd.choice(["/a", "/" + "長" * rnd.randint(1, 40), "/q'uo\"te\\s",
                           "/p/" + "seg" * rnd.randint(1, 30)])
        headers = [("Accept", "text/html"), ("X-Long", long_value[: rnd.randint(1, 300)]),
                   ("X-Quote", 'a"b\'c\\d'), ("X-CJK", "值" * rnd.randint(0, 60))]
        entries.append(_entry("https://example.com" + path + f"?i={i}&t={title[:20]}",
                              headers=headers, title_ref=ref,
                              text=f"<html><title>{title}</title></html>"))
        body = rnd.choice([("application/json", json.dumps(
            {"k" * rnd.randint(1, 50): ["x" * rnd.randint(0, 90), {"n": [1, 2.5, None, True]}],
             "empty": "", "list": [], "obj": {}, "q": 'it\'s "q"'})),
            ("application/x-www-form-urlencoded", "a=1&b=" + "z" * rnd.randint(0, 120) + "&a=2"),
            ("application/x-www-form-urlencoded", ""), ("text/plain", ""),
            ("text/plain", "raw \\ body 'with' \"quotes\" " * rnd.randint(1, 6))])
        entries.append(_entry("https://example.com/api/" + "x" * rnd.randint(1, 80), "POST",
                              headers=headers[:2], body=body, mime="application/json",
                              text=json.dumps({"id": "abc" * rnd.randint(1, 20), "ok": True}),
                              title_ref=ref))
    return json.dumps({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
                               "pages": pages, "entries": entries}}).encode()


@pytest.mark.parametrize("variant", ["default", "http"])
@pytest.mark.parametrize("seed", range(4))
def test_hostile_hars_identical_to_black(seed: int, variant: str) -> None:
    try:
        _assert_identical(_hostile_har(seed), VARIANTS[variant], name="hostile.har")
    except BadInput as exc:  # pragma: no cover - the fixture HAR must stay loadable
        pytest.fail(f"hostile HAR rejected: {exc}")


def _corpus() -> list:
    manifest = CORPUS_DIR / "manifest.json"
    if not manifest.exists():
        return []
    return [CORPUS_DIR / e["file"] for e in json.loads(manifest.read_text("utf-8"))
            if e.get("kind") == "HAR"]


@pytest.mark.skipif(not (CORPUS_DIR / "manifest.json").exists(),
                    reason="the real-world HAR corpus (../shared/hars) is not here")
def test_corpus_identical_to_black() -> None:
    for path in _corpus():
        try:
            _assert_identical(path)
        except BadInput:
            continue


# --- the layout printer alone, on random statements of the generated shapes ---------------

def _random_expr(rnd: random.Random, depth: int = 0) -> str:
    kind = rnd.choice(["str", "str", "fstr", "num", "name", "attr"] +
                      (["call", "dict", "list", "tuple"] if depth < 3 else []))
    alphabet = "abc xyz'\"\\é日😀{}"
    if kind == "str":
        return repr("".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60))))
    if kind == "fstr":
        text = "".join(rnd.choice("abc/é日") for _ in range(rnd.randint(0, 40)))
        return 'f"' + text + '{self.origin}' + text + '"'
    if kind == "num":
        return rnd.choice(["0", "200", "-1", "2.5", "1e3", "0XFF", "1_000"])
    if kind == "name":
        return rnd.choice(["resp", "True", "None", "X" * rnd.randint(1, 40)])
    if kind == "attr":
        return "self." + "v" * rnd.randint(1, 40)
    n = rnd.randint(0, 5)
    items = [_random_expr(rnd, depth + 1) for _ in range(n)]
    if kind == "call":
        func = rnd.choice(["check", "self.client.get", "from_json", "quote_plus", "f" * 30])
        args = [rnd.choice(["", "", "name=", "headers="]) + item for item in items]
        args.sort(key=lambda a: "=" in a.split("(")[0].split("'")[0].split('"')[0])
        return func + "(" + ", ".join(args) + ")"
    if kind == "dict":
        return "{" + ", ".join(f"{_random_expr(rnd, 9)}: {item}" for item in items) + "}"
    if kind == "list":
        return "[" + ", ".join(items) + "]"
    return "(" + ", ".join(items) + ("," if n == 1 else "") + ")"


def _random_statement(rnd: random.Random) -> str:
    call = _random_expr(rnd, 2) if rnd.random() < 0.2 else \
        rnd.choice(["check", "self.client.post", "rendezvous"]) + "(" + ", ".join(
            _random_expr(rnd, 1) for _ in range(rnd.randint(0, 6))) + ")"
    shape = rnd.randint(0, 3)
    if shape == 0:
        return call
    if shape == 1:
        return f"self.{'t' * rnd.randint(1, 50)} = {call}"
    if shape == 2:
        return f"with {call} as resp:\n    # a comment\n    {call}"
    return "time.sleep(2.5)  # recorded think time"


def test_layout_matches_black_on_random_statements() -> None:
    rnd = random.Random(1)
    printed = 0
    for _ in range(1000):
        stmt = _random_statement(rnd)
        source = "class A:\n    def f(self):\n" + "".join(
            "        " + line + "\n" for line in stmt.splitlines())
        module = cst.parse_module(source)
        method = module.body[0].body.body[0]
        try:
            text = layout.method_body(list(method.body.body), depth=2)
        except layout.Unsupported:
            continue
        printed += 1
        expected = black.format_str(source, mode=fmt.MODE).split("\n", 2)[2]
        assert text == expected, source
    assert printed > 300


@settings(max_examples=400, deadline=None)
@given(st.text(), st.sampled_from(["", "f", "r", "b", "rb"]))
def test_string_literals_normalized_like_black(text: str, prefix: str) -> None:
    """The layout printer's quote handling (with its fast path) is black's, for any literal."""
    literal = prefix + (repr(text.encode("utf-8", "surrogatepass")) if "b" in prefix
                        else repr(text))
    if "b" in prefix:
        literal = prefix.replace("b", "") + literal
    if "r" in prefix and ("\\" in literal[2:-1] or literal.endswith("\\'")):
        return  # a raw literal cannot spell every text: not one the generator makes
    try:
        cst.parse_expression(literal)
    except cst.ParserSyntaxError:
        return
    try:
        ours = layout._string(literal)
    except layout.Unsupported:
        return
    expected = black.format_str(f"x = {literal}\n", mode=fmt.MODE)
    assert f"x = {ours}\n" == expected


@pytest.mark.parametrize("parts", [
    ("/notes/", ir.VarRef("note_id", "path"), "/edit"),
    ("?q=", ir.VarRef("token", "url"), "&x={1}"),
    (ir.HostRef(), "/a'b\"c"),
    (ir.VarRef("csrf_token"), " and \\ back"),
    (ir.VarRef("NOTE_ID_RE", scope="module"), "é\t"),
])
def test_fstrings_printed_like_black(parts: tuple) -> None:
    from har2locust_plus.codegen.escape import template_expr

    node = template_expr(ir.Template(parts))
    assert isinstance(node, cst.FormattedString)
    with layout.session():
        ours = layout.flat(node)
    expected = black.format_str(cst.Module([]).code_for_node(cst.SimpleStatementLine([
        cst.Assign([cst.AssignTarget(cst.Name("x"))], node)])), mode=fmt.MODE)
    assert f"x = {ours}\n" == expected
