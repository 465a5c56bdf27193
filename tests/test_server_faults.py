"""Generated scripts under server faults (issue 15, items 7-13): a failure that names the step,
never a Python exception in the script.

1. ``e2e``: one flow recorded against a well-behaved app, replayed with real ``locust --headless``
   (both user classes) against a raw-socket server whose every path takes turns answering
   normally and in a broken way: a JSON body nested 100,000 deep, XHTML with an encoding
   declaration, a page that is only a comment, an unknown charset, a token with invalid UTF-8
   (U+FFFD, which no header can carry), a redirect to another origin with the recorded path,
   no answer within ``--request-timeout``, a body cut short, a connection closed without an
   answer. Locust's exception table stays empty, every failure names its step, and the
   server's own log shows the values it handed out coming back.
2. The run-time helpers (``har2locust_plus.runtime.checks``) with fake responses.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
import socket
import socketserver
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import locust_headless
from locust.exception import RescheduleTask

from har2locust_plus import Options, ThinkTime, convert
from har2locust_plus.runtime import checks as runtime
from har2locust_plus.stages.checks import location_pattern

# a slow answer must outlast --request-timeout and the run's 5 s must see each fault: the
# file runs alone (scripts/run_tests.py), never beside others that load the machine
pytestmark = [pytest.mark.timing]

RECORDED = "http://127.0.0.1:5000"
TITLE = "<title>Fault page</title>"
SLOW = 3.0  # seconds the server sits on a request it will not answer in time
TIMEOUT = "1"  # --request-timeout for the runs


# --- the server: each path takes turns answering normally and in a broken way ----------------


@dataclass
class Faults:
    """What the server handed out and what came back (its own state, for the assertions)."""

    turns: dict[str, Iterator[str]] = field(default_factory=dict)
    issued: dict[str, str] = field(default_factory=dict)  # value -> how it was served
    received: list[tuple[str, str]] = field(default_factory=list)  # (path, value sent back)
    served: Counter[tuple[str, str]] = field(default_factory=Counter)  # (path, mode)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def mode(self, path: str, modes: tuple[str, ...]) -> str:
        with self.lock:
            mode = next(self.turns.setdefault(path, itertools.cycle(modes)))
            self.served[path, mode] += 1
            return mode

    def issue(self, mode: str) -> str:
        with self.lock:
            value = f"tok{len(self.issued):04d}x{mode[:4]}abcdef"
            self.issued[value] = mode
            return value


MODES = {
    "/page": ("html", "xhtml", "comment", "bogus-charset"),
    "/login": ("relative", "same-origin", "other-origin"),
    "/api/token": ("json", "deep", "fffd"),
    "/api/me": ("json", "slow", "cut-short", "closed"),
}


def _answer(faults: Faults, method: str, path: str, headers: dict[str, str],
            body: bytes) -> bytes | None:
    """The raw HTTP answer for one request (None: close without answering)."""
    mode = faults.mode(path, MODES.get(path, ("404",)))
    if path == "/page":
        token = faults.issue(mode)
        page = f'<html><head>{TITLE}</head><body><form method="post" action="/login">' \
               f'<input type="hidden" name="csrf_token" value="{token}"></form></body></html>'
        if mode == "xhtml":
            page = '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n' + page.replace(
                "<html>", '<html xmlns="http://www.w3.org/1999/xhtml">')
        if mode == "comment":
            page = "<!-- nothing here yet -->"
        charset = "x-bogus-42" if mode == "bogus-charset" else "utf-8"
        return _response(200, page.encode(), f"text/html; charset={charset}")
    if path == "/login" and method == "POST":
        sent = dict(pair.split("=", 1) for pair in body.decode("latin-1").split("&") if pair)
        with faults.lock:
            faults.received.append((path, sent.get("csrf_token", "")))
        where = {"relative": "/home", "same-origin": f"http://127.0.0.1:{faults.port}/home",
                 "other-origin": "http://elsewhere.invalid/home"}[mode]
        return _response(302, b"", "text/html", [("Location", where)])
    if path == "/api/token":
        token = faults.issue(mode)
        data = json.dumps({"token": token, "token_type": "bearer"}).encode()
        if mode == "deep":
            data = b'{"token": ' + b"[" * 100_000 + b"]" * 100_000 + b', "token_type": "x"}'
        if mode == "fffd":
            data = data.replace(b"abcdef", b"ab\xff\xfeef")
        return _response(200, data, "application/json")
    if path == "/api/me":
        with faults.lock:
            faults.received.append((path, headers.get("authorization", "")))
        if mode == "slow":
            time.sleep(SLOW)
        if mode == "cut-short":
            return _response(200, b'{"name": "alice"}', "application/json")[:-5]
        if mode == "closed":
            return None
        return _response(200, b'{"name": "alice"}', "application/json")
    return _response(404, b"not found", "text/plain")


def _response(status: int, body: bytes, content_type: str,
              headers: list[tuple[str, str]] = ()) -> bytes:  # type: ignore[assignment]
    head = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}", "Connection: close",
            *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(SLOW + 2)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip()
                       for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
            length = int(headers.get("content-length", "0"))
            while len(body) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                body += chunk
            answer = _answer(self.server.faults, method, target.split("?")[0],  # type: ignore
                             headers, body)
            if answer is not None:
                sock.sendall(answer)
        except OSError:
            pass  # the client gave up (a timeout): nothing to answer


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="module")
def faults() -> Iterator[Faults]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.faults = Faults(port=server.server_address[1])  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        yield server.faults  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- the recording: the same flow against a well-behaved app ----------------------------------


def _har(make_har: Any, make_entry: Any) -> bytes:
    csrf, token = "tok9999xreczzzzzz", "tok8888xrecyyyyyy"
    page = f'<html><head>{TITLE}</head><body><form method="post" action="/login">' \
           f'<input type="hidden" name="csrf_token" value="{csrf}"></form></body></html>'
    form = {"mimeType": "application/x-www-form-urlencoded",
            "text": f"csrf_token={csrf}&q=notes",
            "params": [{"name": "csrf_token", "value": csrf}, {"name": "q", "value": "notes"}]}
    login = {"mimeType": "application/json", "text": '{"user": "alice"}'}
    return make_har(
        make_entry(f"{RECORDED}/page", body=page, started="2026-01-01T10:00:00.000Z"),
        make_entry(f"{RECORDED}/login", "POST", status=302, post_data=form, mime="text/html",
                   body="", response_headers=[("Location", "/home")], redirect_url="/home",
                   headers=[("Content-Type", "application/x-www-form-urlencoded")],
                   started="2026-01-01T10:00:01.000Z"),
        make_entry(f"{RECORDED}/api/token", "POST", post_data=login, mime="application/json",
                   body=json.dumps({"token": token, "token_type": "bearer"}),
                   headers=[("Content-Type", "application/json")],
                   started="2026-01-01T10:00:02.000Z"),
        make_entry(f"{RECORDED}/api/me", headers=[("Authorization", f"Bearer {token}")],
                   mime="application/json", body='{"name": "alice"}',
                   started="2026-01-01T10:00:03.000Z"),
    )


EXPECTED = {  # stats name -> failure messages the broken answers must give (among others)
    "1 /page": {f"step 1 GET /page: expected the body to contain {TITLE!r}"},
    "2 /login": {"step 2 POST /login: expected a redirect to /home, "
                 "got http://elsewhere.invalid/home"},
    "3 /api/token": {"step 3 POST /api/token: expected a JSON object",
                     "step 3 POST /api/token: token cannot be sent in a header: "
                     "it contains U+FFFD"},
    "4 /api/me": {"step 4 GET /api/me: no response in time "
                  "(the --request-timeout option sets the limit)"},
}
STEP_MESSAGE = re.compile(r"step \d+ (GET|POST) /\S*: \S")


def _message(error: str) -> str:
    match = re.fullmatch(r"CatchResponseError\((.*)\)", error, re.S)
    assert match, f"not a failure the script reported: {error!r}"
    return ast.literal_eval(match.group(1))


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_server_faults_fail_the_step_never_the_script(
        user_class: str, faults: Faults, make_har: Any, make_entry: Any,
        tmp_path: Path) -> None:
    code = convert(_har(make_har, make_entry), Options(
        user_class=user_class, think_time=ThinkTime("none")), name="faults.har").code  # type: ignore[arg-type]
    assert "sent_in=(\"header\",)" in code
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(code, encoding="utf-8")
    with faults.lock:
        faults.received.clear()
        faults.served.clear()
    run = locust_headless(locustfile, f"http://127.0.0.1:{faults.port}", tmp_path, seconds=5,
                          users=4, extra=("--request-timeout", TIMEOUT))
    explain = f"{user_class}: {run.explain()}"
    assert run.exceptions == [], explain
    messages: dict[str, set[str]] = {}
    for row in run.failures:
        message = _message(row["Error"])
        assert STEP_MESSAGE.match(message) or " not found in step " in message, explain
        messages.setdefault(row["Name"], set()).add(message)
    for name, expected in EXPECTED.items():
        assert expected <= messages.get(name, set()), f"{name}: {messages.get(name)}\n{explain}"
    cut = [m for m in messages["4 /api/me"] if "no complete response" in m]
    assert cut, explain  # the body cut short, the connection closed without an answer
    # every broken way was served at least once, and the working ones passed
    assert {mode for (_, mode) in faults.served} >= {m for ms in MODES.values() for m in ms}
    assert not [m for ms in messages.values() for m in ms if "xhtml" in m or "bogus" in m]
    # the server's own log: the csrf tokens of the XHTML page and of the page in an unknown
    # charset came back; only tokens it issued in a sendable form reached the API
    with faults.lock:
        back = {faults.issued.get(value) for path, value in faults.received if path == "/login"}
        bearer = [value for path, value in faults.received if path == "/api/me"]
    assert {"html", "xhtml", "bogus-charset"} <= back, explain
    assert bearer and all(faults.issued.get(v.removeprefix("Bearer ")) == "json"
                          for v in bearer), bearer[:5]


# --- 2. the run-time helpers, with fake responses ---------------------------------------------


class FakeResponse:
    """What the helpers use of a Locust response (catch_response=True)."""

    def __init__(self, status_code: int = 200, headers: dict[str, str] | None = None,
                 text: str = "", *, url: str = "http://127.0.0.1:8089/x",
                 error: Exception | None = None, exception: Exception | None = None,
                 charset_error: bool = False) -> None:
        self.status_code = status_code
        self.headers = headers or {}
        self._text = text
        self.content = text.encode("utf-8")
        self.url = url
        self.error = error
        self.request_meta = {"exception": exception}
        self.charset_error = charset_error
        self.calls: list[tuple[str, ...]] = []

    @property
    def text(self) -> str:
        if self.charset_error:  # FastHttpUser with charset=x-bogus-42
            raise LookupError("unknown encoding: x-bogus-42")
        return self._text

    def success(self) -> None:
        self.calls.append(("success",))

    def failure(self, message: str) -> None:
        self.calls.append(("failure", message))


STEP = "step 2 GET /api/me"


@pytest.mark.usefixtures("continue_on_failure")
def test_json_nested_too_deep_is_no_json_object() -> None:
    resp = FakeResponse(text="[" * 100_000 + "]" * 100_000)
    assert runtime.parsed_json(resp) is None
    runtime.check(resp, STEP, 200, json_keys=("id",))
    assert resp.calls == [("failure", f"{STEP}: expected a JSON object")]
    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    assert runtime.brief(deep, repr) == "(nested too deep to show)"
    resp = FakeResponse(text=json.dumps({"status": ["x" * 200]}))
    runtime.check(resp, STEP, 200, json_values=(("status", "ok"),))
    assert resp.calls == [("failure", f"{STEP}: expected JSON status == 'ok', got ['{'x' * 75}...")]


def test_html_lxml_refuses_is_no_tree_and_xhtml_is_read() -> None:
    xhtml = ('\ufeff<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/'
             'xhtml"><body><input name="csrf" value="abc"/></body></html>')
    tree = runtime.parsed_html(FakeResponse(text=xhtml))
    assert tree is not None and tree.xpath("//@value") == ["abc"]
    for text in ("<!-- only a comment -->", "   ", ""):
        assert runtime.parsed_html(FakeResponse(text=text)) is None
    resp = FakeResponse(text="<!-- only a comment -->")
    with pytest.raises(RescheduleTask):
        runtime.from_xpath(resp, STEP, "csrf", lambda tree: tree.xpath("//@value"))
    assert resp.calls == [("failure", f"csrf not found in {STEP}")]


def test_an_unknown_charset_is_read_as_utf8() -> None:
    resp = FakeResponse(text='{"name": "Zoë"}', charset_error=True)
    assert runtime.body_text(resp) == '{"name": "Zoë"}'
    runtime.check(resp, STEP, 200, contains=("Zoë",), json_values=(("name", "Zoë"),))
    assert resp.calls == []


class HTTPParseError(Exception):
    """Stands in for geventhttpclient's (the helpers know no client's types)."""


class BadStatus(Exception):
    code = 503


@pytest.mark.parametrize(("resp", "problem"), [
    (FakeResponse(0, error=TimeoutError("timed out")),
     "no response in time (the --request-timeout option sets the limit)"),
    (FakeResponse(200, exception=HTTPParseError("Incomplete response.")),
     "no complete response (HTTPParseError: Incomplete response.)"),
    (FakeResponse(0, error=ConnectionRefusedError(111, "Connection refused")),
     "no complete response (ConnectionRefusedError: [Errno 111] Connection refused)"),
    (FakeResponse(503, error=BadStatus(), exception=BadStatus()), None),
    (FakeResponse(200), None),
], ids=["timeout", "cut-short", "refused", "error-status", "fine"])
@pytest.mark.usefixtures("continue_on_failure")
def test_transport_errors_fail_the_step(resp: FakeResponse, problem: str | None) -> None:
    assert runtime.transport_problem(resp) == problem
    runtime.check(resp, STEP, 200)
    if problem:
        assert resp.calls == [("failure", f"{STEP}: {problem}")]
        assert runtime.body_text(resp) == ""  # the body is not read again
        resp = FakeResponse(0, error=TimeoutError("timed out"))
        with pytest.raises(RescheduleTask):  # no check (--checks none): the extraction says it
            runtime.from_json(resp, STEP, "token", ("token",))
        assert resp.calls == [("failure", f"{STEP}: no response in time (the --request-timeout"
                                          " option sets the limit)")]


@pytest.mark.parametrize(("value", "sent_in", "problem"), [
    ("ab\ufffdcd", ("header",), "it contains U+FFFD"),
    ("ab\r\nX-Evil: 1", ("header",), "it contains U+000D"),
    ("ab\x7f", ("header",), "it contains U+007F"),
    ("naïve token\t1", ("header",), None),
    (42, ("header", "path"), None),
    ("../admin", ("path",), "it contains U+002F"),
    ("", ("path",), "it is empty"),
    ("a1-b2_c3.d~", ("header", "path"), None),
    ("ab\ufffdcd", (), None),
])
def test_extracted_values_are_checked_for_where_they_are_sent(
        value: object, sent_in: tuple[str, ...], problem: str | None) -> None:
    resp = FakeResponse(text=json.dumps({"token": value}))
    if problem is None:
        assert runtime.from_json(resp, STEP, "token", ("token",), sent_in=sent_in) == value
        assert resp.calls == []
        return
    with pytest.raises(RescheduleTask):
        runtime.from_json(resp, STEP, "token", ("token",), sent_in=sent_in)
    where = sent_in[0]
    assert resp.calls == [("failure", f"{STEP}: token cannot be sent in a {where}: {problem}")]


@pytest.mark.parametrize(("location", "recorded", "problem"), [
    ("/home", "/home", None),
    ("http://127.0.0.1:8089/home?x=1", "/home", None),
    ("HTTP://127.0.0.1:8089/home", "/home", None),
    ("http://elsewhere.invalid/home", "/home",
     "expected a redirect to /home, got http://elsewhere.invalid/home"),
    ("https://127.0.0.1:8089/home", "/home",
     "expected a redirect to /home, got https://127.0.0.1:8089/home"),
    ("//elsewhere.invalid/home", "/home",
     "expected a redirect to /home, got //elsewhere.invalid/home"),
    ("http://[::1/home", "/home", "expected a redirect to /home, got http://[::1/home"),
    ("https://sso.example.com/authorize?client=7", "https://sso.example.com/authorize", None),
    ("/authorize", "https://sso.example.com/authorize",
     "expected a redirect to https://sso.example.com/authorize, got /authorize"),
])
def test_a_redirect_off_the_host_must_go_where_the_recording_went(
        location: str, recorded: str, problem: str | None) -> None:
    pattern = location_pattern(recorded, "http://127.0.0.1:5000")
    resp = FakeResponse(302, {"Location": location}, url="http://127.0.0.1:8089/login")
    assert runtime.checkpoint_problem(resp, 302, pattern, None, (), (), (), False) == problem


HERE = "http://127.0.0.1:8089"


@pytest.mark.parametrize(("status", "location", "recorded", "goes_to"), [
    (302, "/notes/7", "/notes/42", HERE + "/notes/7"),
    (303, "edit?post=7&action=edit", "/wp/edit?post=42&action=edit",
     HERE + "/wp/edit?post=7&action=edit"),  # relative to the request's URL, /wp/new
    (302, " /notes/7#top ", "/notes/42", HERE + "/notes/7"),  # no fragment is sent
    (301, "HTTP://127.0.0.1:8089/x", "/x", HERE + "/x"),
    (307, "https://sso.example.com/authorize?client=7", "https://sso.example.com/authorize",
     "https://sso.example.com/authorize?client=7"),
    # not where the recording went (its check fails): the recorded URL, nowhere new
    (302, "http://elsewhere.invalid/notes/7", "/notes/42", "/notes/42"),
    (302, "https://127.0.0.1:8089/notes/7", "/notes/42", "/notes/42"),
    (302, "//elsewhere.invalid/notes/7", "/notes/42", "/notes/42"),
    (302, "/authorize", "https://sso.example.com/authorize", "https://sso.example.com/authorize"),
    (302, "http://[::1/x", "/x", "/x"),
    (302, "javascript:alert(1)", "/x", "/x"),
    # no redirect at all
    (200, "/notes/7", "/notes/42", "/notes/42"),
    (302, None, "/notes/42", "/notes/42"),
    (0, None, "/notes/42", "/notes/42"),  # a transport error
    (304, "/notes/7", "/notes/42", "/notes/42"),  # not modified: no redirect
    (300, "/notes/7", "/notes/42", "/notes/42"),  # multiple choices: browsers do not follow
])
def test_a_followed_redirect_goes_to_the_live_location_on_the_recorded_origin(
        status: int, location: str | None, recorded: str, goes_to: str) -> None:
    resp = FakeResponse(status, {"Location": location} if location is not None else {},
                        url=HERE + "/wp/new")
    assert runtime.redirected(resp, recorded, HERE) == goes_to


def test_a_followed_redirect_needs_a_host_for_a_recorded_path() -> None:
    resp = FakeResponse(302, {"Location": "/notes/7"}, url=HERE + "/notes")
    assert runtime.redirected(resp, "/notes/42", None) == "/notes/42"
    assert runtime.redirected(resp, "/notes/42", HERE + "/app/") == HERE + "/notes/7"


def test_location_patterns_keep_an_origin_the_recording_left_for() -> None:
    here = "http://127.0.0.1:5000"
    assert location_pattern("/notes/42", here) == r"/notes/[^/?#]+(\?.*)?"
    assert location_pattern("http://127.0.0.1:5000/notes", here) == r"/notes(\?.*)?"
    assert location_pattern("http://127.0.0.1:80/notes", "http://127.0.0.1") == r"/notes(\?.*)?"
    assert location_pattern("//sso.example.com/a", "https://x.example") == \
        re.escape("https://sso.example.com") + r"/a(\?.*)?"
    assert runtime.readable(location_pattern("https://sso.example.com/login?next=/", here)) == \
        "https://sso.example.com/login"


class Parser:
    def __init__(self) -> None:
        self.options: dict[str, dict[str, Any]] = {}

    def add_argument(self, name: str, **kwargs: Any) -> None:
        self.options[name] = kwargs


@dataclass
class Env:
    parsed_options: Any = None


def test_request_timeout_option_and_its_default_agree() -> None:
    parser = Parser()
    runtime.request_timeout_option(parser)
    default = parser.options["--request-timeout"]["default"]
    assert runtime.request_timeout(Env()) == default == 30.0  # har2locust-plus verify: no CLI

    @dataclass
    class Options:
        request_timeout: float

    assert runtime.request_timeout(Env(Options(2.5))) == 2.5


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_generated_scripts_set_the_timeout_for_every_request(
        user_class: str, make_har: Any, make_entry: Any) -> None:
    code = convert(_har(make_har, make_entry), Options(user_class=user_class),  # type: ignore
                   name="faults.har").code
    tree = ast.parse(code)
    listeners = [f for f in tree.body if isinstance(f, ast.FunctionDef)
                 and [ast.unparse(d) for d in f.decorator_list]
                 == ["events.init_command_line_parser.add_listener"]]
    assert [f.name for f in listeners] == ["request_timeout_option", "failure_option"]
    init = next(f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
                and f.name == "__init__")
    calls = [c for c in ast.walk(tree) if isinstance(c, ast.Call)
             and ast.unparse(c.func).startswith("self.client.")
             and not ast.unparse(c.func).endswith(".clear")]  # the per-iteration cookie reset
    assert len(calls) == 4
    if user_class == "fast":
        assert "self.network_timeout = self.connection_timeout = request_timeout(environment)" \
            in ast.unparse(init)
        assert not any(k.arg == "timeout" for c in calls for k in c.keywords)
    else:
        assert "self.request_timeout = request_timeout(environment)" in ast.unparse(init)
        assert all([ast.unparse(k.value) for k in c.keywords if k.arg == "timeout"]
                   == ["self.request_timeout"] for c in calls)


# --- bytes after the end of an answer, on a connection the server closes -----------------------


def _serve_once(answer: bytes) -> tuple[str, threading.Thread]:
    """A server on 127.0.0.1 that answers one connection's request with ``answer``, then
    closes it (waiting at most 10 s for it)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)

    def serve() -> None:
        with server:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                conn.recv(65536)
                conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.getsockname()[1]}", thread


_CLOSING = (b"HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Type: text/html\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")


@pytest.mark.parametrize(("rest", "whole"), [
    (b"0\r\n\r\n0\r\n\r\n", True),  # Request Tracker's Starlet: the last chunk twice
    (b"5\r\nhello\r\n0\r\n\r\ngarbage", True),
    (b"5\r\nhel", False),  # cut short: still a failure
])
def test_bytes_after_a_whole_answer_on_a_closing_connection_are_dropped(rest: bytes,
                                                                       whole: bool) -> None:
    """FastHttpUser's client failed such an answer ("Data after `Connection: close`") that the
    recording browser and Python's clients take: every run of Request Tracker's flow ended at
    its login. With the listener the scripts register on ``init``, the answer is taken; one
    that is not whole still fails."""
    from locust.contrib.fasthttp import FastHttpSession
    from locust.env import Environment

    runtime.end_answers_as_browsers_do(None)
    runtime.end_answers_as_browsers_do(None)  # once only, however often it is called
    url, thread = _serve_once(_CLOSING + rest)
    events = Environment().events
    errors: list[object] = []
    events.request.add_listener(lambda **meta: errors.append(meta["exception"]))
    session = FastHttpSession(url, events.request, None, network_timeout=5,
                              connection_timeout=5)
    resp = session.get("/", allow_redirects=False)
    thread.join(timeout=15)
    assert len(errors) == 1
    assert (errors[0] is None and resp.status_code == 302) is whole, errors
