"""The loader on real-world HAR files (../shared/hars) and on the quirks FIELD-NOTES §1 lists.

Corpus: every file with ``kind == "HAR"`` in ``manifest.json`` converts in process to code that
compiles, is black-stable, ruff-clean and replays none of the recorded Cookie/Content-Length/
Host headers; every other file is bad input: exit 2 and one ``har2locust-plus: error:`` line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import traceback
import warnings
import zlib
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

import black
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import har2locust_plus
from har2locust_plus import BadInput, Options, convert
from har2locust_plus import loader as loader_module
from har2locust_plus.cli import main as cli
from har2locust_plus.codegen.fmt import MODE
from har2locust_plus.loader import load

CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "hars"
NO_CORPUS = f"{CORPUS_DIR} not found: the real-world HAR corpus is only on the CI machine"
NEVER_REPLAYED = frozenset({"cookie", "content-length", "host"})
# The project's own lint selection (pyproject [tool.ruff.lint]) minus line length: generated
# code keeps long recorded values (user agents, tokens) on one line. Explicit, so that a newer
# ruff with other default rules does not change the verdict.
RUFF_ARGS = ("check", "--isolated", "--no-cache", "--target-version", "py310",
             "--select", "E,F,W,I,B,UP", "--ignore", "E501", "--output-format", "concise")


def _manifest() -> list[dict]:
    path = CORPUS_DIR / "manifest.json"
    return json.loads(path.read_text("utf-8")) if path.is_file() else []


MANIFEST = _manifest()
VALID = [e["file"] for e in MANIFEST if e["kind"] == "HAR"]
INVALID = [pytest.param(e["file"], id=e["file"]) for e in MANIFEST if e["kind"] != "HAR"]
_SKIP = [pytest.param(None, marks=pytest.mark.skip(reason=NO_CORPUS), id="no-corpus")]


@cache
def _converted(name: str) -> str | BaseException:
    """The generated code for a corpus file, or the exception (converted once per session)."""
    try:
        return convert(CORPUS_DIR / name).code
    except BaseException as exc:  # noqa: B036 - the test reports it with its traceback
        exc.formatted = traceback.format_exc()  # type: ignore[attr-defined]
        return exc


def _code(name: str) -> str:
    result = _converted(name)
    if isinstance(result, BaseException):
        pytest.fail(f"{name}: convert() raised\n{result.formatted}")  # type: ignore[attr-defined]
    return result


# --- the corpus ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VALID or _SKIP)
def test_corpus_har_converts(name: str, replayed_headers) -> None:
    code = _code(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # invalid escape sequences are errors in the making
        compile(code, name, "exec")
    assert black.format_str(code, mode=MODE) == code, f"{name}: output is not black-stable"
    code.encode("utf-8")  # no lone surrogates: the script can be written to disk
    sent = [(where, key) for where, key in replayed_headers(code)
            if key.lower() in NEVER_REPLAYED or key.startswith(":")]
    assert not sent, f"{name}: recorded headers replayed: {sent}"


@pytest.mark.skipif(not VALID, reason=NO_CORPUS)
def test_corpus_output_is_ruff_clean(tmp_path: Path) -> None:
    names = {}
    for i, name in enumerate(VALID):
        result = _converted(name)
        if isinstance(result, str):  # crashes are reported by test_corpus_har_converts
            path = tmp_path / f"h{i:03d}_{re.sub(r'[^A-Za-z0-9]+', '_', name)}.py"
            path.write_text(result, encoding="utf-8")
            names[path.name] = name
    proc = subprocess.run([sys.executable, "-m", "ruff", *RUFF_ARGS, "."], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    report = proc.stdout.strip()
    for file, name in names.items():
        report = report.replace(file, name)
    assert proc.returncode == 0, f"ruff findings in generated scripts:\n{report}\n{proc.stderr}"


@pytest.mark.parametrize("name", INVALID or _SKIP)
def test_corpus_bad_input_is_one_line_exit_2(name: str) -> None:
    result = CliRunner().invoke(cli, [str(CORPUS_DIR / name), "-q"])
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("har2locust-plus: error: "), lines
    assert "Traceback" not in result.output
    assert result.stdout == ""


@pytest.mark.skipif(not MANIFEST, reason=NO_CORPUS)
def test_manifest_lists_every_corpus_file() -> None:
    on_disk = {p.name for p in CORPUS_DIR.iterdir() if p.suffix == ".har"}
    assert on_disk == {e["file"] for e in MANIFEST}


# --- exporter quirks (FIELD-NOTES §1), on small HARs built here --------------------------------


def test_utf8_bom_is_accepted(make_har, make_entry) -> None:
    data = b"\xef\xbb\xbf" + make_har(make_entry("http://app.test/"))
    assert len(load(data, "bom.har").steps) == 1


def test_zlib_compressed_zhar_is_accepted(make_har, make_entry) -> None:
    data = zlib.compress(make_har(make_entry("http://app.test/")))
    assert len(load(data, "x.zhar").steps) == 1


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty"),
    (b"  \n", "the file is empty"),
    (b"\xff\xfe{", "not UTF-8"),
    (b'onInputData({"log": {}});', "JSONP"),
    (b'{"log": {"entries": [', "not JSON"),
    (b"[]", 'no "log" object'),
    (b'{"request": {}, "response": {}}', "single entry"),
    (b'{"log": []}', "log: must be an object"),
    (b'{"log": {"version": "1.2"}}', 'no "entries"'),
    (b'{"log": {"entries": {}}}', "log.entries: must be an array"),
])
def test_unusable_files_raise_bad_input_with_where(data: bytes, message: str) -> None:
    with pytest.raises(BadInput) as info:
        load(data, "in.har")
    assert message in str(info.value)
    assert str(info.value).startswith("in.har: ")
    assert "\n" not in str(info.value)


def test_deep_nesting_is_bad_input_not_a_crash() -> None:
    data = b'{"log": {"entries": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    with pytest.raises(BadInput):
        load(data, "deep.har")


def test_broken_entries_are_skipped_and_reported(make_har, make_entry) -> None:
    good = make_entry("http://app.test/")
    no_url = make_entry("http://app.test/x")
    del no_url["request"]["url"]
    har = json.loads(make_har(good))
    har["log"]["entries"] += [42, {"request": "GET /"}, no_url]
    scenario = load(json.dumps(har).encode(), "broken.har")
    assert len(scenario.steps) == 1
    assert dict(scenario.skipped) == {"malformed entry": 3}
    messages = " | ".join(d.message for d in scenario.diagnostics)
    assert "log.entries[1]" in messages and "log.entries[3]" in messages
    assert "request.url" in messages


def test_entries_that_never_reached_the_network_are_skipped(make_har, make_entry) -> None:
    safari = make_entry("http://app.test/a")
    safari["_fetchType"] = "Memory Cache"
    chrome = make_entry("http://app.test/b")
    chrome["_fromCache"] = "disk"
    firefox = make_entry("http://app.test/c")
    firefox["timings"], firefox["response"]["headersSize"] = {}, None
    firefox["response"]["content"]["comment"] = "Response bodies are not included."
    failed = make_entry("http://app.test/d", status=0)
    ws = make_entry("ws://app.test/socket", status=101)
    data_url = make_entry("data:image/png;base64,AAAA")
    scenario = load(make_har(make_entry("http://app.test/"), safari, chrome, firefox, failed, ws,
                             data_url), "quirks.har")
    assert [s.request.path.text for s in scenario.steps] == ["/"]
    assert dict(scenario.skipped) == {
        "served from the browser cache": 3,
        "failed in the browser (status 0)": 1,
        "websocket (not replayed)": 1,
        "not an http(s) URL": 1,
    }


def test_a_proxy_s_tunnels_are_skipped_and_counted(make_har, make_entry) -> None:
    """A proxy's export (Fiddler, Charles, Burp, ZAP) holds the ``CONNECT`` the browser sent it
    for each HTTPS host: the proxy's business, never the app's (replayed, the app answers 400
    or 405)."""
    tunnels = [make_entry("http://app.test:443", "CONNECT", body=""),
               make_entry("https://app.test:443/", "CONNECT", body="")]
    scenario = load(make_har(tunnels[0], make_entry("https://app.test/"), tunnels[1]),
                    "fiddler.har")
    assert [s.request.method for s in scenario.steps] == ["GET"]
    assert dict(scenario.skipped) == {loader_module.PROXY_TUNNEL: 2}


def test_entries_listed_out_of_order_are_replayed_in_the_order_they_were_sent(
        make_har, make_entry) -> None:
    """HAR 1.2 leaves the order of the entries to the exporter and asks a reader to sort them:
    an old DevTools wrote its network panel's order (Gatling's chrome61-form.har lists the
    form's POST before the GET of the form, sent 10 s earlier). A few milliseconds of
    disagreement between start times and the exporter's order (requests sent together,
    Playwright's clocks) keep the exporter's order; an entry without a start time stays
    after the one before it."""
    post = make_entry("http://app.test/form.cgi", "POST", started="2026-01-01T10:00:10.000Z")
    form = make_entry("http://app.test/form.html", started="2026-01-01T10:00:00.000Z")
    untimed = make_entry("http://app.test/untimed")
    del untimed["startedDateTime"]
    done = make_entry("http://app.test/done", started="2026-01-01T10:00:11.000Z")
    scenario = load(make_har(post, untimed, form, done), "chrome61.har")
    assert [s.request.path.text for s in scenario.steps] == [
        "/form.html", "/form.cgi", "/untimed", "/done"]
    (note,) = [d.message for d in scenario.diagnostics]
    assert note.startswith("the entries are not in the order the browser sent them "
                           "(log.entries[0] started 10.0 s before log.entries[2]")
    jitter = [make_entry("http://app.test/a", started="2026-01-01T10:00:00.010Z"),
              make_entry("http://app.test/b", started="2026-01-01T10:00:00.004Z")]
    scenario = load(make_har(*jitter), "playwright.har")
    assert [s.request.path.text for s in scenario.steps] == ["/a", "/b"]
    assert scenario.diagnostics == ()


def test_request_bodies_in_every_exporter_shape(make_har, make_entry) -> None:
    form_text = make_entry("http://app.test/f", "POST", post_data={
        "mimeType": "application/x-www-form-urlencoded", "text": "a=1&b=x+y&a=2"})
    form_params = make_entry("http://app.test/p", "POST", post_data={
        "mimeType": "application/x-www-form-urlencoded",
        "params": [{"name": "a", "value": "1"}, {"name": "b", "value": "x y"}]})
    json_b64 = make_entry("http://app.test/j", "POST", post_data={
        "mimeType": None, "encoding": "base64", "text": "eyJrIjogWzEsIDIuNV19"},
        headers=[("Content-Type", "application/json")])
    multipart = make_entry("http://app.test/m", "POST", post_data={
        "mimeType": "multipart/form-data; boundary=xyz",
        "params": [{"name": "title", "value": "hi"},
                   {"name": "upload", "fileName": "a.txt", "contentType": "text/plain",
                    "value": "file body"}]})
    raw = make_entry("http://app.test/r", "PUT", post_data={"mimeType": "text/plain",
                                                            "text": "hello"})
    steps = load(make_har(form_text, form_params, json_b64, multipart, raw), "b.har").steps
    bodies = [s.request.body for s in steps]
    assert [(k, v.text) for k, v in bodies[0].fields] == [("a", "1"), ("b", "x y"), ("a", "2")]
    assert [(k, v.text) for k, v in bodies[1].fields] == [("a", "1"), ("b", "x y")]
    assert bodies[2].value == {"k": [1, 2.5]}
    assert [(k, v.text) for k, v in bodies[3].fields] == [("title", "hi")]
    assert (bodies[3].files[0].filename, bodies[3].files[0].content) == ("a.txt", b"file body")
    assert bodies[4].text.text == "hello"


def test_chrome_pseudo_headers_and_lower_case_names_are_dropped(make_har, make_entry) -> None:
    entry = make_entry("https://app.test/x", headers=[
        (":authority", "app.test"), (":method", "GET"), (":path", "/x"), (":scheme", "https"),
        ("cookie", "s=1"), ("accept", "text/html")])
    code = convert(make_har(entry), name="chrome.har").code
    assert ":authority" not in code and "s=1" not in code
    assert '"accept": "text/html"' in code


@pytest.mark.parametrize(("sent", "expected"), [
    ([("Sec-Fetch-Dest", "document"), ("Sec-Fetch-Mode", "navigate")], "document"),
    ([("sec-fetch-dest", "iframe")], "document"),
    ([("Sec-Fetch-Dest", "empty"), ("Sec-Fetch-Mode", "cors")], "fetch"),
    ([("Sec-Fetch-Dest", "empty"), ("X-Requested-With", "XMLHttpRequest")], "xhr"),
    ([("Sec-Fetch-Dest", "empty"), ("Sec-Fetch-Mode", "no-cors")], "ping"),
    ([("Sec-Fetch-Dest", "script")], "script"),
    ([("Sec-Fetch-Dest", "style")], "stylesheet"),
    ([("Sec-Fetch-Dest", "image")], "image"),
    ([("Sec-Fetch-Dest", "font")], "font"),
    ([("Sec-Fetch-Dest", "video")], "media"),
    ([("Sec-Fetch-Dest", "serviceworker")], "other"),
    ([("Sec-Fetch-Dest", "a-destination-no-standard-names")], None),
    ([("Accept", "text/html")], None),
])
def test_a_request_s_kind_is_read_from_sec_fetch_dest_where_the_exporter_wrote_none(
        make_har, make_entry, sent: list[tuple[str, str]], expected: str | None) -> None:
    """Firefox, Safari and the proxies write no ``_resourceType``; the ``Sec-Fetch-Dest`` the
    browser sent says the same (a navigation, a script's call, a beacon, an image ...). A type
    the exporter wrote wins."""
    (step,) = load(make_har(make_entry("http://app.test/x", headers=sent)), "t.har").steps
    assert step.resource_type == expected
    (chrome,) = load(make_har(make_entry("http://app.test/x", headers=sent,
                                         resource_type="XHR")), "t.har").steps
    assert chrome.resource_type == "xhr"


def test_convert_reads_a_path_and_bytes_alike(tmp_path: Path, make_har, make_entry) -> None:
    data = make_har(make_entry("http://app.test/"))
    path = tmp_path / "same.har"
    path.write_bytes(data)
    assert convert(path).code == convert(data, name="same.har").code


def test_public_api() -> None:
    assert callable(har2locust_plus.convert)
    assert har2locust_plus.Options().think_time.mode == "recorded"
    assert isinstance(convert(
        b'{"log": {"entries": []}}', Options(), name="empty.har").code, str)


# --- the streaming reader: same result and same errors as json.loads, a window at a time ------


def _whole_file_message(data: bytes) -> str:
    """What the loader said before it streamed: json.loads's message on the whole text."""
    try:
        json.loads(data.decode("utf-8-sig"))
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    raise AssertionError("valid JSON")


def _no_msgspec(_data: bytes) -> dict:
    raise loader_module._CannotStream


@pytest.fixture
def tiny_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The streaming reader (not msgspec's) with windows of a few bytes: every value and
    separator of a small HAR crosses one."""
    monkeypatch.setattr(loader_module, "_split", _no_msgspec)
    monkeypatch.setattr(loader_module, "_WINDOW_BYTES", 3)
    monkeypatch.setattr(loader_module, "_LOW_WATER", 0)


def _big_har(make_har, make_entry) -> bytes:
    """Entries larger than the window, non-ASCII text (2-byte and 4-byte UTF-8) and a BOM."""
    entries = [make_entry(f"http://app.test/p{i}", body=("caf\u00e9 \u2014 \U0001f600 " * 20_000)
                          if i == 2 else f"page {i} \u2014 ok") for i in range(5)]
    har = json.loads(make_har(*entries, creator="Exporter \u2014 1"))
    return b"\xef\xbb\xbf" + json.dumps(har, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("window", ["msgspec", "default", "tiny"])
def test_streamed_load_equals_the_whole_file_load(make_har, make_entry, monkeypatch,
                                                  window: str) -> None:
    data = _big_har(make_har, make_entry)
    har = json.loads(data.decode("utf-8-sig"))
    if window == "msgspec":
        monkeypatch.setattr(loader_module, "_stream", lambda *_: pytest.fail("not msgspec"))
    else:
        monkeypatch.setattr(loader_module, "_split", _no_msgspec)
    if window == "tiny":
        monkeypatch.setattr(loader_module, "_WINDOW_BYTES", 3)
        monkeypatch.setattr(loader_module, "_LOW_WATER", 0)
    monkeypatch.setattr(loader_module, "_parse_json", lambda *_: pytest.fail("not streamed"))
    streamed = load(data, "big.har")
    monkeypatch.undo()
    monkeypatch.setattr(loader_module, "_split", _no_msgspec)
    monkeypatch.setattr(loader_module, "_stream", lambda _: har)  # the json.loads tree
    assert streamed == load(data, "big.har")
    assert len(streamed.steps) == 5 and streamed.creator == "Exporter \u2014 1 1.0"


def test_numbers_and_literals_cut_by_the_window_are_read_whole(tiny_window, monkeypatch) -> None:
    monkeypatch.setattr(loader_module, "_parse_json", lambda *_: pytest.fail("not streamed"))
    data = (b'{"n": 123456, "log": {"version": 1.25e+10, "entries": [123456, -7.5E-3, true,'
            b' null, false, "x"], "pages": -0}, "t": true}')
    scenario = load(data, "n.har")
    assert dict(scenario.skipped) == {"malformed entry": 6}
    assert "got a number" in scenario.diagnostics[0].message


@pytest.mark.parametrize("data", [
    b'{"log": {"entries": []}} x',  # extra data after the HAR
    b'{"log": {"entries": [1,]}}',  # trailing commas
    b'{"log": {"entries": []}, }',
    b'{"log": {"entries": [1 2]}}',
    b'{"log": {"entries": [01]}}',
    b'{"log": {"entries": [{"request": {}}, {"request": ]}}',  # in the second entry
    b'{"log": {"entries": [], "pages": [}, "version": "1.2"}',  # after the entries
    b'{"log": {"entries": [{"a": "\n"}]}}',  # a control character in a string
    b'{"log": {"entries": [], "creator": {"name": "x"}}',  # truncated after the entries
    b'\xef\xbb\xbf\xef\xbb\xbf{"log": {"entries": []}}',  # two BOMs
    b'{"log" {"entries": []}}',
])
@pytest.mark.parametrize("window", ["default", "tiny"])
def test_invalid_json_anywhere_reads_as_json_loads_says(data: bytes, window: str,
                                                        request: pytest.FixtureRequest) -> None:
    if window == "tiny":
        request.getfixturevalue("tiny_window")
    with pytest.raises(BadInput) as info:
        load(data, "in.har")
    assert str(info.value) == f"in.har: {_whole_file_message(data)}"


def test_errors_deep_in_a_large_file_keep_their_line_and_column(make_har, make_entry) -> None:
    data = _big_har(make_har, make_entry)
    fourth = [m.start() for m in re.finditer(rb'\{"startedDateTime"', data)][3]
    assert fourth > loader_module._WINDOW_BYTES  # past the first window
    for broken in (data[:fourth], data[:fourth] + b"#" + data[fourth:], data + b"]"):
        with pytest.raises(BadInput) as info:
            load(broken, "in.har")
        assert str(info.value) == f"in.har: {_whole_file_message(broken)}"


def test_bad_utf8_wins_over_an_earlier_json_error() -> None:
    with pytest.raises(BadInput, match=r"not UTF-8 text \(byte 27\)"):
        load(b'{"log": {"entries": [1,]}} \xff', "in.har")


@pytest.mark.parametrize(("data", "steps", "message"), [
    (b'{"log": {"entries": [E], "entries": [E, E]}}', 2, ""),
    (b'{"log": {"entries": [E]}, "log": {"entries": [E, E, E]}}', 3, ""),
    (b'{"log": {"entries": [E], "entries": {}}}', 0, "log.entries: must be an array"),
    (b'{"log": {"entries": {}, "entries": [E]}}', 1, ""),
    (b'{"log": {"entries": [E]}, "log": 5}', 0, "log: must be an object"),
    (b'{"\\u006cog": {"entri\\u0065s": [E]}}', 1, ""),  # escaped keys are the same keys
])
def test_the_last_of_duplicate_keys_wins_as_in_json_loads(make_entry, data: bytes, steps: int,
                                                          message: str) -> None:
    data = data.replace(b"E", json.dumps(make_entry("http://app.test/")).encode())
    if message:
        with pytest.raises(BadInput, match=message):
            load(data, "dup.har")
    else:
        assert len(load(data, "dup.har").steps) == steps


# --- msgspec's reader: the values json.loads reads, or it leaves the file to the others ------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10 ** 30), max_value=10 ** 30) |
    st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) |
    st.dictionaries(st.sampled_from(["a", "b", "name", "value", "\u00e9", ""]), inner,
                    max_size=4),
    max_leaves=12)


def _entry_like(make_entry, i: int, extra: object) -> dict:
    entry = make_entry(f"http://app.test/{i}", body=f"p{i}")
    entry["_extra"] = extra
    entry["request"]["headers"].append({"name": "X-Value", "value": extra})
    return entry


@settings(max_examples=150, deadline=None)
@given(values=st.lists(_JSON, min_size=1, max_size=4), top=_JSON,
       ensure_ascii=st.booleans(), indent=st.sampled_from([None, 0, 2]))
def test_msgspec_reads_what_json_loads_reads(make_entry, values: list, top: object,
                                              ensure_ascii: bool, indent: int | None) -> None:
    """Any JSON value in an entry (headers too), the log and the top level: msgspec's reader
    gives the scenario json.loads' tree gives, or leaves the file to the streaming reader."""
    har = {"top": top, "log": {"version": "1.2", "creator": {"name": top, "version": 1},
                               "entries": [_entry_like(make_entry, i, v)
                                           for i, v in enumerate(values)],
                               "pages": values}}
    data = json.dumps(har, ensure_ascii=ensure_ascii, indent=indent).encode("utf-8")
    try:
        split = loader_module._split(data)
    except loader_module._CannotStream:
        return  # the streaming reader's tests cover the rest
    expected = json.loads(data)
    entries = split["log"].pop("entries")
    want = loader_module._Entries.of(expected["log"].pop("entries"))
    # the members the loader reads, exactly; the others are skipped
    assert split == {"log": {k: v for k, v in expected["log"].items()
                             if k in ("creator", "browser", "pages")}}
    assert (entries.steps, entries.skipped, entries.diagnostics) == \
        (want.steps, want.skipped, want.diagnostics)


@pytest.mark.parametrize("value", [
    b"NaN", b"-Infinity", b"1e999", b'"\\ud800 lone"', b'"\\udc00"', b"1" * 30, b"-0",
    b'"\\u0000 nul"', b"1E-400",
])
def test_what_msgspec_refuses_is_read_as_json_reads_it(make_har, make_entry,
                                                       value: bytes) -> None:
    data = make_har(make_entry("http://app.test/", body="x")).replace(
        b'"entries"', b'"_odd": ' + value + b', "entries"', 1)
    assert b"_odd" in data
    scenario = load(data, "odd.har")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader_module, "_split", _no_msgspec)
        patch.setattr(loader_module, "_stream", lambda _: json.loads(data))
        assert scenario == load(data, "odd.har")


def test_a_number_python_refuses_is_bad_input_not_a_crash() -> None:
    data = b'{"log": {"entries": [' + b"7" * 5000 + b"]}}"
    with pytest.raises(BadInput, match="a number has more than"):
        load(data, "long.har")


def test_repeated_headers_are_shared_between_steps(make_har, make_entry) -> None:
    entries = [make_entry(f"http://app.test/{i}", headers=[("Accept", "text/html")],
                          response_headers=[("Server", "nginx")]) for i in range(2)]
    first, second = load(make_har(*entries), "h.har").steps
    assert first.request.headers[0] is second.request.headers[0]
    assert first.response.headers[0] is second.response.headers[0]


def test_start_times_datetime_cannot_read_are_read_by_haralyzer(make_har, make_entry) -> None:
    """RFC 1123 and other non-ISO times (some proxies write them) go through haralyzer's
    dateutil reading, imported for them only."""
    har = make_har(make_entry("http://h.test/a", started="Thu, 01 Jan 2026 10:00:05 GMT"),
                   make_entry("http://h.test/b", started="2026-01-01 11:00:07.5 +0100"))
    first, second = load(har, "t.har").steps
    assert first.started == datetime(2026, 1, 1, 10, 0, 5, tzinfo=timezone.utc)
    assert second.started == datetime(2026, 1, 1, 10, 0, 7, 500000, tzinfo=timezone.utc)
    assert second.started - first.started == timedelta(seconds=2.5)


def test_converting_an_iso_recording_does_not_import_haralyzer() -> None:
    har = Path(__file__).resolve().parents[1] / "fixtures" / "notes-journey.har"
    code = (f"import sys; from har2locust_plus import convert; convert({str(har)!r}); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('haralyzer', 'dateutil')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


_HEADER_PART = st.one_of(st.sampled_from(["", "Accept", "X-Token", "ünï"]), st.integers(0, 9),
                         st.none(), st.booleans(), st.floats(allow_nan=False), st.just([]))
_HEADER = st.one_of(
    st.fixed_dictionaries({"name": _HEADER_PART, "value": _HEADER_PART}),
    st.fixed_dictionaries({"name": _HEADER_PART}),  # no value
    st.fixed_dictionaries({"value": _HEADER_PART}),  # no name
    st.fixed_dictionaries({"name": st.text(max_size=8), "value": st.text(max_size=8),
                           "comment": st.text(max_size=3)}),
    st.sampled_from([None, "Accept: */*", 7, []]))


@settings(max_examples=400, deadline=None)
@given(st.lists(_HEADER, max_size=6))
def test_header_pairs_keep_named_headers_whatever_the_shape(raw: list) -> None:
    """The quick path (every header a {"name": non-empty str, "value": str}) gives what the
    careful one does, header by header."""
    assert loader_module._header_pairs(raw) == loader_module._header_pairs_one_by_one(raw)


def test_header_pairs_drop_unnamed_headers_and_stringify_values() -> None:
    raw = [{"name": "A", "value": "1"}, {"name": "", "value": "x"}, {"value": "y"},
           {"name": "B"}, {"name": "C", "value": None}, {"name": "D", "value": 7},
           {"name": 5, "value": "z"}, "E: 1", None]
    assert loader_module._header_pairs(raw) == [("A", "1"), ("B", ""), ("C", ""), ("D", "7")]
    assert loader_module._header_pairs("not a list") == []


def test_a_request_whose_body_the_recording_left_out_is_reported(make_har, make_entry) -> None:
    """Chromium's HAR (DevTools and Playwright alike) leaves out a file upload's body: the
    request's headers say 826 bytes of multipart were sent, ``postData`` is missing. The
    conversion says so (the script cannot send the file), naming the entry."""
    upload = make_entry("http://app.test/wp-admin/async-upload.php", "POST", headers=[
        ("Content-Type", "multipart/form-data; boundary=----WebKitFormBoundary4axm"),
        ("Content-Length", "826")])
    beacon = make_entry("http://app.test/ping", "POST", headers=[("Content-Length", "0")])
    form = make_entry("http://app.test/save", "POST", headers=[
        ("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", "7")],
        post_data={"mimeType": "application/x-www-form-urlencoded", "text": "a=1&b=2"})
    scenario = load(make_har(make_entry("http://app.test/"), upload, beacon, form), "up.har")
    [warning] = [d.message for d in scenario.diagnostics]
    assert warning.startswith("1 request(s) sent a body the recording does not hold")
    assert ("log.entries[1] POST /wp-admin/async-upload.php (multipart/form-data, 826 bytes)"
            in warning)
    result = convert(make_har(upload), Options())
    assert any("does not hold" in d.message for d in result.report.diagnostics)
    # the recorded multipart type names a boundary of a body the script does not send: left
    # out (a server parses no part, or the file the user adds, files=, gets its own boundary)
    assert "WebKitFormBoundary4axm" not in result.code and "multipart" not in result.code
    # and says so where the request is sent, to be completed there
    assert ("# the recording does not hold this request's body (a browser's HAR\n"
            in result.code)
    assert result.code.index("does not hold this request's body") < result.code.index(
        '"/wp-admin/async-upload.php"')
    assert "does not hold this" not in convert(make_har(form), Options()).code
    typed = make_entry("http://app.test/raw", "POST", headers=[
        ("Content-Type", "application/octet-stream"), ("Content-Length", "826")])
    assert '"Content-Type": "application/octet-stream"' in convert(make_har(typed),
                                                                    Options()).code


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab=&+%2F0;é/ ", max_size=40))
def test_query_parameters_decode_as_parse_qsl_and_bare_pieces_are_marked(query: str) -> None:
    from urllib.parse import parse_qsl

    params = loader_module._query(query)
    as_pairs = [(p.value.text, "") if p.bare else (p.name, p.value.text) for p in params]
    assert as_pairs == parse_qsl(query, keep_blank_values=True)
    assert all(p.bare == ("=" not in piece) for p, piece in
               zip(params, [piece for piece in query.split("&") if piece], strict=True))


def _socket(make_entry, url: str, *sent: str, received: tuple[str, ...] = ()) -> dict:
    entry = make_entry(url, status=101)
    entry["_resourceType"] = "websocket"
    entry["_webSocketMessages"] = [
        *({"type": "send", "time": 1.0, "opcode": 1, "data": data} for data in sent),
        *({"type": "receive", "time": 1.1, "opcode": 1, "data": data} for data in received)]
    return entry


def test_what_the_page_sent_over_a_websocket_is_said_not_replayed(make_har, make_entry) -> None:
    """A button whose work goes over a WebSocket (changedetection.io's pause and recheck:
    Socket.IO events ``42["watch_operation", …]``) does nothing in an HTTP replay: the entry
    is counted as skipped, and the messages the page sent are said, with their entries. A
    socket that only received, or whose Socket.IO packets are the channel's own (its
    namespace connect ``40``, pings), says nothing."""
    page = make_entry("http://app.test/")
    events = _socket(make_entry, "ws://app.test/socket.io/?EIO=4&transport=websocket", "40",
                     '42["watch_operation",{"op":"pause","uuid":"e16f"}]', "3",
                     '42["watch_operation",{"op":"recheck","uuid":"e16f"}]')
    channel_only = _socket(make_entry, "ws://app.test/socket.io/?EIO=4&transport=websocket",
                           "40", "3", "2probe", received=('42["update",{}]',))
    plain = _socket(make_entry, "wss://app.test/live", '{"subscribe": "orders"}')
    listening = _socket(make_entry, "wss://app.test/feed", received=('{"price": 1}',))
    scenario = load(make_har(page, events, channel_only, plain, listening), "ws.har")
    assert dict(scenario.skipped) == {"websocket (not replayed)": 4}
    said = [d.message for d in scenario.diagnostics if "WebSocket" in d.message]
    assert len(said) == 1, scenario.diagnostics
    assert "sent 3 message(s)" in said[0]
    assert "log.entries[1]: 2" in said[0] and "log.entries[3]: 1" in said[0]
    assert "log.entries[2]" not in said[0] and "log.entries[4]" not in said[0]
    quiet = load(make_har(page, channel_only, listening), "quiet.har")
    assert not [d for d in quiet.diagnostics if "WebSocket" in d.message]
