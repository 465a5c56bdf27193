"""Header hygiene and redirect hops (FIELD-NOTES §1 and §5).

Recorded Cookie/Content-Length/Host (any case), HTTP/2 pseudo headers and conditional headers
are never replayed; Origin and Referer follow the host under test; every redirect hop is its own
request, so the client must not follow redirects itself (else the target is fetched twice).
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

from har2locust_plus import Options, convert

RECORDED = "http://rec.example.test:5000"
TARGET = "http://127.0.0.1:8089"
NEVER = [
    "Cookie", "COOKIE", "cookie", "Content-Length", "content-length", "CONTENT-LENGTH", "Host",
    "host", ":authority", ":method", ":path", ":scheme", "If-None-Match", "if-none-match",
    "If-Modified-Since", "Connection", "Accept-Encoding", "sec-fetch-mode",
    "Upgrade-Insecure-Requests",
]
KEPT = [("X-Custom", "one"), ("Accept", "text/html"), ("Authorization", "Basic dTpw")]
USER_CLASSES = ["fast", "http"]


def _convert(data: bytes, user_class: str = "fast", **options) -> str:
    return convert(data, Options(user_class=user_class, **options), name="rec.har").code


def _pages(make_har, make_entry, headers: list[tuple[str, str]]) -> bytes:
    """Two page loads and a form POST, all sending ``headers``."""
    return make_har(
        make_entry(f"{RECORDED}/", headers=headers, resource_type="document"),
        make_entry(f"{RECORDED}/login", headers=headers, resource_type="document",
                   started="2026-01-01T10:00:01.000Z"),
        make_entry(f"{RECORDED}/login", "POST", headers=headers, resource_type="document",
                   started="2026-01-01T10:00:02.000Z", post_data={
                       "mimeType": "application/x-www-form-urlencoded", "text": "a=1"}),
    )


def _headers_of(call: ast.Call) -> dict[str, ast.expr]:
    for kw in call.keywords:
        if kw.arg == "headers" and isinstance(kw.value, ast.Dict):
            pairs = zip(kw.value.keys, kw.value.values, strict=True)
            return {ast.literal_eval(k): v for k, v in pairs}
    return {}


def _value(node: ast.expr) -> str:
    """Evaluate a header value expression with ``self.origin`` = TARGET."""
    return eval(compile(ast.Expression(node), "<header>", "eval"),
                {"__builtins__": {}, "self": SimpleNamespace(origin=TARGET)})


# --- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("user_class", USER_CLASSES)
def test_unsafe_recorded_headers_are_never_replayed(make_har, make_entry, replayed_headers,
                                                    user_class: str) -> None:
    headers = [(name, "recorded-value-1") for name in NEVER] + KEPT
    code = _convert(_pages(make_har, make_entry, headers), user_class)
    sent = {name for _, name in replayed_headers(code)}
    assert not sent & set(NEVER)
    assert {name for name, _ in KEPT} <= sent  # everything else still goes out
    assert "recorded-value-1" not in code


@pytest.mark.parametrize("method", ["PUT", "POST", "PATCH", "DELETE"])
def test_if_none_match_star_on_a_write_is_kept(make_har, make_entry, client_calls,
                                               method: str) -> None:
    # "create it, do not overwrite one that exists" (Kinto's buckets, WebDAV's new files):
    # dropped, every run after the first overwrote the object the first made
    data = make_har(
        make_entry(f"{RECORDED}/", resource_type="document"),
        make_entry(f"{RECORDED}/v1/buckets/zoo", method, status=201,
                   headers=[("If-None-Match", "*"), ("Content-Type", "application/json")],
                   post_data={"mimeType": "application/json", "text": '{"data": {}}'},
                   started="2026-01-01T10:00:01.000Z"),
        make_entry(f"{RECORDED}/v1/buckets", headers=[("If-None-Match", "*")],
                   started="2026-01-01T10:00:02.000Z"),
        make_entry(f"{RECORDED}/v1/buckets/zoo", "PUT", headers=[("If-None-Match", '"17"')],
                   post_data={"mimeType": "application/json", "text": '{"data": {}}'},
                   started="2026-01-01T10:00:03.000Z"),
    )
    _, write, read, other = client_calls(_convert(data))
    assert ast.literal_eval(_headers_of(write)["If-None-Match"]) == "*"
    assert "If-None-Match" not in _headers_of(read)  # a GET's: a cache validator
    assert "If-None-Match" not in _headers_of(other)  # a recorded version: not a condition


def test_shared_headers_move_to_the_class_and_stay_safe(make_har, make_entry,
                                                        replayed_headers) -> None:
    code = _convert(_pages(make_har, make_entry, [("Cookie", "s=1"), ("X-Custom", "one")]))
    assert [w.split(": ")[1] for w, name in replayed_headers(code) if name == "X-Custom"] == [
        "default_headers"]
    http = _convert(_pages(make_har, make_entry, [("Cookie", "s=1"), ("X-Custom", "one")]),
                    "http")
    assert [w.split(": ")[1] for w, name in replayed_headers(http) if name == "X-Custom"] == [
        "headers.update"]


def test_a_duplicate_header_is_sent_once(make_har, make_entry, client_calls) -> None:
    entry = make_entry(f"{RECORDED}/", headers=[("X-A", "1"), ("x-a", "2")])
    (call,) = client_calls(_convert(make_har(entry)))
    assert {k: ast.literal_eval(v) for k, v in _headers_of(call).items()} == {"X-A": "1"}


def test_multipart_content_type_is_left_to_the_client(make_har, make_entry,
                                                      replayed_headers) -> None:
    entry = make_entry(f"{RECORDED}/upload", "POST", headers=[
        ("Content-Type", "multipart/form-data; boundary=----recorded")], post_data={
        "mimeType": "multipart/form-data; boundary=----recorded",
        "params": [{"name": "f", "fileName": "a.txt", "value": "x"}]})
    code = _convert(make_har(make_entry(f"{RECORDED}/", resource_type="document"), entry))
    assert "Content-Type" not in {name for _, name in replayed_headers(code)}
    assert "----recorded" not in code


@pytest.mark.parametrize("user_class", USER_CLASSES)
def test_origin_and_referer_follow_the_host_under_test(make_har, make_entry, client_calls,
                                                       user_class: str) -> None:
    data = make_har(
        make_entry(f"{RECORDED}/", resource_type="document",
                   headers=[("Referer", "https://search.example.org/?q=notes")]),
        make_entry(f"{RECORDED}/login", "POST", resource_type="document",
                   headers=[("Origin", RECORDED), ("Referer", f"{RECORDED}/login?next=%2F")],
                   post_data={"mimeType": "application/x-www-form-urlencoded", "text": "a=1"}),
    )
    code = _convert(data, user_class)
    home, login = client_calls(code)
    # a referer from another site is kept as recorded
    assert ast.literal_eval(_headers_of(home)["Referer"]) == "https://search.example.org/?q=notes"
    assert _value(_headers_of(login)["Origin"]) == TARGET
    assert _value(_headers_of(login)["Referer"]) == f"{TARGET}/login?next=%2F"
    assert RECORDED not in code.split('"""', 2)[2].replace(f'host = "{RECORDED}"', "")
    assert 'self.origin = self.host.rstrip("/")' in code


def test_a_page_named_origin_does_not_clash_with_self_origin(make_har, make_entry) -> None:
    data = make_har(
        make_entry(f"{RECORDED}/", resource_type="document"),
        make_entry(f"{RECORDED}/origin", resource_type="document",
                   headers=[("Referer", f"{RECORDED}/")]),
    )
    tree = ast.parse(_convert(data))
    methods = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    assert "on_start" in methods and "origin" not in methods


# --- redirects --------------------------------------------------------------------------------


def _redirect_har(make_har, make_entry) -> bytes:
    """GET /logout → 302 Location: / → GET /, as browsers record it (two entries)."""
    return make_har(
        make_entry(f"{RECORDED}/logout", status=302, resource_type="document", mime="",
                   response_headers=[("Location", "/")], redirect_url="/"),
        make_entry(f"{RECORDED}/", resource_type="document", body="<title>Notes — Home</title>",
                   started="2026-01-01T10:00:00.100Z"),
    )


def _recorded_url(call: ast.Call) -> str:
    """The URL a request call sends: its literal, or the recorded one a redirect's follower
    falls back to (``redirected(resp, "/", self.host)``)."""
    url = call.args[0]
    if isinstance(url, ast.Call) and ast.unparse(url.func) == "redirected":
        assert [ast.unparse(a) for a in (url.args[0], url.args[2])] == ["resp", "self.host"]
        url = url.args[1]
    return ast.literal_eval(url)


def _follows(call: ast.Call) -> bool:
    url = call.args[0]
    return isinstance(url, ast.Call) and ast.unparse(url.func) == "redirected"


def test_fast_http_user_never_follows_redirects(make_har, make_entry, client_calls) -> None:
    code = _convert(_redirect_har(make_har, make_entry), "fast")
    (user,) = [n for n in ast.walk(ast.parse(code))
               if isinstance(n, ast.ClassDef) and n.name.endswith("User")]
    attributes = {t.id: stmt.value for stmt in user.body if isinstance(stmt, ast.Assign)
                  for t in stmt.targets if isinstance(t, ast.Name)}
    assert ast.literal_eval(attributes["max_redirects"]) == 0
    assert [_recorded_url(c) for c in client_calls(code)] == ["/logout", "/"]


def test_http_user_passes_allow_redirects_false_on_every_request(make_har, make_entry,
                                                                 client_calls) -> None:
    code = _convert(_redirect_har(make_har, make_entry), "http")
    calls = client_calls(code)
    assert [_recorded_url(c) for c in calls] == ["/logout", "/"]
    for call in calls:
        flags = {kw.arg: kw.value for kw in call.keywords}
        assert isinstance(flags.get("allow_redirects"), ast.Constant)
        assert flags["allow_redirects"].value is False
    assert "max_redirects" not in code


def test_redirect_hop_checks_status_and_location(make_har, make_entry, client_calls) -> None:
    code = _convert(_redirect_har(make_har, make_entry))
    assert 'check(resp, "step 1 GET /logout", 302, location=' in code


@pytest.mark.parametrize(("location", "next_url"), [
    ("/", f"{RECORDED}/"),
    (f"{RECORDED}/", f"{RECORDED}/"),
    ("/#top", f"{RECORDED}/"),  # a browser sends no fragment
    ("HTTP://REC.example.test:5000/", f"{RECORDED}/"),
    ("edit?post=7&action=edit", f"{RECORDED}/edit?post=7&action=edit"),  # relative to /logout
    ("/notes/caf\u00e9 list", f"{RECORDED}/notes/caf%C3%A9%20list"),  # the browser encodes
])
@pytest.mark.parametrize("user_class", USER_CLASSES)
def test_the_request_a_redirect_made_goes_where_the_live_response_redirects(
        make_har, make_entry, client_calls, location: str, next_url: str,
        user_class: str) -> None:
    code = _convert(make_har(
        make_entry(f"{RECORDED}/logout", status=302, resource_type="document", mime="",
                   response_headers=[("Location", location)]),
        make_entry(next_url, resource_type="document", started="2026-01-01T10:00:00.100Z"),
    ), user_class)
    first, follower = client_calls(code)
    assert not _follows(first) and _follows(follower)
    assert _recorded_url(follower) == next_url.removeprefix(RECORDED)
    assert "\ndef redirected(resp, recorded, host):" in code


@pytest.mark.parametrize("checks", ["none", "status", "full"])
def test_the_response_of_a_redirect_is_kept_for_the_request_it_makes(
        make_har, make_entry, checks: str) -> None:
    code = _convert(_redirect_har(make_har, make_entry), checks=checks)
    compile(code, "locustfile.py", "exec")
    method = next(n for n in ast.walk(ast.parse(code))
                  if isinstance(n, ast.FunctionDef) and n.name == "logout")
    text = ast.unparse(method)
    if checks == "none":  # no with-block: the response is kept by an assignment
        assert "resp = self.client.get('/logout'" in text, text
    else:
        assert "self.client.get('/logout'" in text and "as resp:" in text, text
    assert "redirected(resp, '/', self.host)" in text, text


def _two_steps(make_har, make_entry, first_status: int, location: str, next_url: str,
               **next_entry) -> str:
    return _convert(make_har(
        make_entry(f"{RECORDED}/save", "POST", status=first_status, resource_type="document",
                   response_headers=[("Location", location)] if location else []),
        make_entry(next_url, resource_type="document", started="2026-01-01T10:00:00.100Z",
                   **next_entry),
    ))


@pytest.mark.parametrize(("status", "location", "next_url"), [
    (302, "/done", f"{RECORDED}/elsewhere"),  # the next request is not the redirect's
    (302, "/done?x=1", f"{RECORDED}/done?x=2"),
    (302, "/done", "http://other.example.test:5000/done"),
    (200, "/done", f"{RECORDED}/done"),  # a Location without a redirect
    (304, "/done", f"{RECORDED}/done"),
    (302, "", f"{RECORDED}/done"),  # a redirect without a Location
    (302, "http://[::1/done", f"{RECORDED}/done"),  # a Location urlsplit refuses
])
def test_a_request_no_redirect_made_keeps_its_recorded_url(
        make_har, make_entry, client_calls, status: int, location: str, next_url: str) -> None:
    code = _two_steps(make_har, make_entry, status, location, next_url)
    assert not any(_follows(c) for c in client_calls(code))
    assert "def redirected(" not in code


def test_a_redirect_followed_into_another_recorded_page_keeps_its_recorded_url(
        make_har, make_entry, client_calls) -> None:
    """The follower's method cannot see the response of another page's method."""
    code = _convert(make_har(
        make_entry(f"{RECORDED}/save", "POST", status=302, resource_type="document",
                   response_headers=[("Location", "/done")], pageref="page_1"),
        make_entry(f"{RECORDED}/done", resource_type="document", pageref="page_2",
                   started="2026-01-01T10:00:00.100Z"),
    pages=[{"id": "page_1", "title": "Save", "startedDateTime": "2026-01-01T10:00:00.000Z"},
           {"id": "page_2", "title": "Done", "startedDateTime": "2026-01-01T10:00:00.100Z"}]))
    assert [_recorded_url(c) for c in client_calls(code)] == ["/save", "/done"]
    assert not any(_follows(c) for c in client_calls(code))


@pytest.mark.e2e
@pytest.mark.parametrize("user_class", USER_CLASSES)
def test_redirect_target_is_fetched_once_per_hop(make_har, make_entry, run_locust, server_hits,
                                                 tmp_path: Path, user_class: str) -> None:
    from fixtures.server import FixtureApp

    script = tmp_path / "locustfile.py"
    script.write_text(_convert(_redirect_har(make_har, make_entry), user_class), "utf-8")
    users = 2
    with FixtureApp() as app:
        # One request first: werkzeug sets its logger up on the first request it logs, and
        # requests that arrive concurrently with that first one go unlogged.
        app.state()
        run = run_locust(script, app.url, tmp_path, seconds=3, users=users)
        hits = server_hits(app.log())
    logouts, homes = hits[("GET", "/logout", 302)], hits[("GET", "/", 200)]
    assert run.failed == 0 and logouts > 0, run.explain()
    # one GET / per GET /logout; a user stopped between the two hops may miss its last one
    assert logouts - users <= homes <= logouts, (hits, run.final)
    # and Locust saw each of them as a request of its own (a followed redirect is not reported)
    assert run.final["2 /"][0] <= homes <= run.final["2 /"][0] + users, (hits, run.final)
