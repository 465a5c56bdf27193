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
from functools import cache
from pathlib import Path

import black
import pytest
from click.testing import CliRunner

import har2locust_plus
from har2locust_plus import BadInput, Options, convert
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
