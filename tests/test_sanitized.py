"""Chrome's default "sanitized" export drops Cookie, Set-Cookie and Authorization: say so, and
restore what the recording still tells (the access token's header, a CSRF header's cookie)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from conftest import request_calls

from har2locust_plus import Options, convert
from har2locust_plus.runtime.checks import cookie_for_header


def _har(creator: str, cookie: bool) -> bytes:
    entries = []
    for i, path in enumerate(("/", "/login", "/account")):
        headers = [{"name": "Cookie", "value": "sid=1"}] if cookie and i else []
        entries.append({
            "startedDateTime": f"2026-11-25T10:00:0{i}Z", "time": 5, "_resourceType": "document",
            "request": {"method": "GET", "url": f"https://app.test{path}", "headers": headers},
            "response": {"status": 200, "headers": [{"name": "Content-Type",
                                                     "value": "text/html"}],
                         "content": {"mimeType": "text/html", "text": "<p>x</p>"}}})
    return json.dumps({"log": {"version": "1.2", "creator": {"name": creator, "version": "1"},
                               "entries": entries}}).encode()


def _warned(data: bytes) -> bool:
    result = convert(data, name="x.har")
    return any("looks sanitized" in d.message for d in result.report.diagnostics)


@pytest.mark.parametrize(("creator", "cookie", "warned"), [
    ("WebInspector", False, True),  # Chrome, no session headers at all: sanitized export
    ("WebInspector", True, False),
    ("Firefox", False, False),  # other exporters do not sanitize: public pages are just public
])
def test_sanitized_chrome_export_is_reported(creator: str, cookie: bool, warned: bool) -> None:
    assert _warned(_har(creator, cookie)) is warned


# --- what an export without sensitive data left out, restored --------------------------------

ORIGIN = "https://app.test"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLWFsaWNl"
CSRF = "Kq8Hn2xVb7RtP0wLm4ZcY9sD3fGj6uEa"


def _fetch(build_entry, path: str, method: str = "GET", *, answer: object = None,
           sent: object = None, headers: tuple[tuple[str, str], ...] = (),
           response_headers: tuple[tuple[str, str], ...] = (), origin: str = ORIGIN,
           resource_type: str = "fetch") -> dict:
    post = None
    if isinstance(sent, str):
        post = {"mimeType": "application/x-www-form-urlencoded", "text": sent}
    elif sent is not None:
        post = {"mimeType": "application/json", "text": json.dumps(sent)}
    return build_entry(f"{origin}{path}", method, resource_type=resource_type,
                       mime="application/json", body=json.dumps(answer or {"ok": True}),
                       post_data=post, headers=list(headers),
                       response_headers=[("Content-Type", "application/json"),
                                         *response_headers])


def _journey(build_entry, login_answer: object, *after: dict,
             login: object = None) -> list[dict]:
    page = build_entry(f"{ORIGIN}/app", resource_type="document", body="<p>app</p>")
    signed_in = _fetch(build_entry, "/api/login", "POST", answer=login_answer,
                       sent=login or {"username": "alice", "password": "pw-alice-1"})
    return [page, signed_in, *after]


def _authorization(code: str) -> list[tuple[str, str]]:
    """(request, its Authorization expression) of each request of the script."""
    found = []
    for call in request_calls(code):
        headers = next((k.value for k in call.keywords if k.arg == "headers"), None)
        value = ""
        if isinstance(headers, ast.Dict):
            value = next((ast.unparse(v) for k, v in zip(headers.keys, headers.values,
                                                         strict=True)
                          if isinstance(k, ast.Constant) and k.value.lower() == "authorization"),
                         "")
        found.append((f"{call.func.attr} {ast.unparse(call.args[0]) if call.args else ''}",
                      value))
    return found


def test_the_access_token_the_login_answer_handed_out_is_sent_in_authorization_again(
        make_har, make_entry) -> None:
    entries = _journey(
        make_entry, {"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600},
        _fetch(make_entry, "/api/notes"),
        _fetch(make_entry, "/api/notes", "POST", sent={"title": "tea"}),
        _fetch(make_entry, "/oauth/revoke", "POST", sent=f"token={TOKEN}"),  # sends it itself
        _fetch(make_entry, "/api/logout", "POST"),
        _fetch(make_entry, "/api/news"),  # after the logout: the app forgot the token
        make_entry(f"{ORIGIN}/home", resource_type="document", body="<p>home</p>"),
    )
    result = convert(make_har(*entries, creator="WebInspector"), name="x.har")
    assert _authorization(result.code) == [
        ("get '/app'", ""),
        ("post '/api/login'", ""),
        ("get '/api/notes'", "f'Bearer {self.access_token}'"),
        ("post '/api/notes'", "f'Bearer {self.access_token}'"),
        ("post '/oauth/revoke'", ""),
        ("post '/api/logout'", "f'Bearer {self.access_token}'"),
        ("get '/api/news'", ""),
        ("get '/home'", ""),
    ], result.code
    assert [d.message for d in result.report.diagnostics
            if "hands out an access token" in d.message] == [
        "the recording holds no Cookie, Set-Cookie or Authorization header (an export without "
        "sensitive data): step 2 hands out an access token, which the page's script sends in "
        "Authorization: the script sends it so on its later calls (steps 3, 4, 6). Export "
        "'with sensitive data' to replay what was sent"]


@pytest.mark.parametrize(("answer", "scheme"), [
    ({"access_token": TOKEN, "token_type": "JWT"}, "JWT"),
    ({"data": {"token": TOKEN, "user": {"id": 1}}}, "Bearer"),  # Strapi's admin
    ({"jwt": TOKEN, "user": {"id": 1}}, "Bearer"),  # Strapi's content API
    ({"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}, "Token"),  # DRF's authtoken
    ({"key": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}, "Token"),  # dj-rest-auth's login
    ({"refresh": TOKEN + "r", "access": TOKEN}, "Bearer"),  # Simple JWT's pair
])
def test_the_scheme_is_the_answer_s_or_its_kind_of_token_s(make_har, make_entry,
                                                            answer: dict, scheme: str) -> None:
    entries = _journey(make_entry, answer, _fetch(make_entry, "/api/me"))
    result = convert(make_har(*entries, creator="WebInspector"), name="x.har")
    sent = _authorization(result.code)[-1][1]
    assert sent.startswith(f"f'{scheme} {{self.") and sent.endswith("}'"), sent


def test_a_generic_key_is_a_token_only_in_the_answer_to_a_login(make_har, make_entry) -> None:
    """``token``, ``access`` and ``key`` name many things: a token only where a password was
    sent (an upload's token, a captcha's, a settings key are none)."""
    entries = _journey(make_entry, {"ok": True}, _fetch(make_entry, "/api/settings", answer={
        "access": TOKEN, "key": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}),
                       _fetch(make_entry, "/api/uploads", "POST", answer={"token": TOKEN}),
                       _fetch(make_entry, "/api/me"))
    result = convert(make_har(*entries, creator="WebInspector"), name="x.har")
    assert [value for _, value in _authorization(result.code)] == [""] * 5


@pytest.mark.parametrize("case", ["cookie recorded", "authorization recorded",
                                  "token in a header of its own", "no correlation",
                                  "another origin", "a navigation"])
def test_authorization_is_left_as_recorded_where_the_recording_tells_otherwise(
        make_har, make_entry, case: str) -> None:
    answer = {"access_token": TOKEN, "token_type": "bearer"}
    later = _fetch(make_entry, "/api/me")
    entries = _journey(make_entry, answer, later)
    options = Options()
    if case == "cookie recorded":  # not sanitized: the app sends what the recording shows
        entries[0]["response"]["headers"].append({"name": "Set-Cookie", "value": "sid=1"})
    elif case == "authorization recorded":
        entries[0]["request"]["headers"].append({"name": "Authorization", "value": "Basic Og=="})
    elif case == "token in a header of its own":  # X-Auth-Token: the app's way of sending it
        later["request"]["headers"].append({"name": "X-Auth-Token", "value": TOKEN})
        entries.append(_fetch(make_entry, "/api/other"))
    elif case == "no correlation":
        options = Options(correlate=False)
    elif case == "another origin":
        entries[-1] = _fetch(make_entry, "/api/me", origin="https://cdn.test")
    elif case == "a navigation":
        entries[-1] = make_entry(f"{ORIGIN}/me", resource_type="document", body="<p>me</p>")
    result = convert(make_har(*entries, creator="WebInspector"), options, name="x.har")
    assert [value for _, value in _authorization(result.code)
            if "self.access_token" in value or value.startswith("'Bearer")] == [], result.code
    assert not [d for d in result.report.diagnostics
                if "hands out an access token" in d.message]


def _csrf_journey(build_entry, *, page: str = "<p>app</p>",
                  set_cookie: bool = False) -> list[dict]:
    first = build_entry(f"{ORIGIN}/app", resource_type="document", body=page,
                        response_headers=[("Set-Cookie", f"csrftoken={CSRF}; Path=/")]
                        if set_cookie else [])
    return [first, _fetch(build_entry, "/api/notes", "POST", sent={"title": "tea"},
                          headers=(("X-CSRFToken", CSRF),))]


def test_a_csrf_header_is_read_from_the_jar_s_cookie_named_like_it_where_none_is_recorded(
        make_har, make_entry) -> None:
    result = convert(make_har(*_csrf_journey(make_entry), creator="WebInspector"),
                     name="x.har")
    reads = [ast.unparse(node) for node in ast.walk(ast.parse(result.code))
             if isinstance(node, ast.Assign) and "cookie_for_header" in ast.unparse(node.value)]
    assert reads == [f"self.csrftoken = cookie_for_header(self, 'X-CSRFToken', '{CSRF}', "
                     "'step 2 POST /api/notes')"]
    assert '"X-CSRFToken": f"{self.csrftoken}"' in result.code
    assert "def cookie_for_header(" in result.code


@pytest.mark.parametrize("case", ["cookie recorded", "token on the page", "not a csrf header"])
def test_a_csrf_header_reads_no_cookie_by_its_name_where_the_recording_tells_otherwise(
        make_har, make_entry, case: str) -> None:
    page = f'<meta name="csrf-token" content="{CSRF}">' if case == "token on the page" \
        else "<p>app</p>"
    entries = _csrf_journey(make_entry, page=page, set_cookie=case == "cookie recorded")
    if case == "not a csrf header":
        entries[1]["request"]["headers"] = [{"name": "X-Request-Token", "value": CSRF}]
    result = convert(make_har(*entries, creator="WebInspector"), name="x.har")
    assert "cookie_for_header" not in result.code
    if case == "cookie recorded":
        assert 'from_cookie(self, "csrftoken"' in result.code
    elif case == "token on the page":
        assert "from_xpath(" in result.code


class _Cookie:
    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value


class _User:
    def __init__(self, *cookies: tuple[str, str]) -> None:
        self.client = type("Client", (), {"cookiejar": [_Cookie(*c) for c in cookies]})()


@pytest.mark.parametrize(("header", "jar", "recorded", "sent"), [
    ("X-CSRFToken", [("sessionid", "s1"), ("csrftoken", "live1")], "rec", "live1"),  # Django
    ("X-XSRF-TOKEN", [("XSRF-TOKEN", "eyJpdiI6%3D"), ("laravel_session", "s")], "eyJpdiI6=",
     "eyJpdiI6="),  # Laravel, axios: the cookie percent-decoded
    ("X-XSRF-TOKEN", [("XSRF-TOKEN", "a%2Bb")], "a%2Bb", "a%2Bb"),  # sent as the jar has it
    ("X-XSRFToken", [("_xsrf", "2|ab|cd|17")], "rec", "2|ab|cd|17"),  # Tornado, Jupyter
    ("X-CSRF-Token", [("session_P5000", "s"), ("csrf_token_P5000", '"live"')], "rec",
     "live"),  # OctoPrint, quoted
    ("x-csrftoken", [("csrftoken", "exact"), ("csrf_other", "near")], "rec", "exact"),
    ("X-CSRF-Token", [("__Host-csrf_token", "h"), ("csrf_other", "near")], "rec", "h"),
    ("X-CSRF-TOKEN", [("csrf_access_token", "a"), ("csrf_refresh_token", "r")], "rec",
     "a"),  # Flask-JWT-Extended: the access token's, but for a refresh
    ("X-CSRFToken", [("csrf_a", "a"), ("csrf_b", "b")], "rec", "rec"),  # which: not told
    ("X-CSRFToken", [("sessionid", "s1")], "rec", "rec"),  # none
])
def test_cookie_for_header_finds_the_cookie_by_the_header_s_name(
        header: str, jar: list[tuple[str, str]], recorded: str, sent: str) -> None:
    assert cookie_for_header(_User(*jar), header, recorded, "step 3 PUT /api/notes/7") == sent


def test_cookie_for_header_reads_a_refresh_s_cookie_for_a_refresh() -> None:
    user = _User(("csrf_access_token", "a"), ("csrf_refresh_token", "r"))
    assert cookie_for_header(user, "X-CSRF-TOKEN", "rec", "step 7 POST /api/auth/refresh") == "r"


BEARER_JOURNEYS = ["fixtures/api-journey.har", "fixtures/exports-journey.har",
                   "fixtures/zoo/fastapi/fastapi.har", "fixtures/zoo/nodered/nodered.har",
                   "fixtures/zoo/oauth/oauth.har", "fixtures/zoo/strapi/strapi.har"]


@pytest.mark.parametrize("path", BEARER_JOURNEYS)
def test_a_bearer_journey_exported_without_sensitive_data_sends_every_token_it_sent(
        path: str) -> None:
    """Each committed recording of an app whose page script sends a bearer token, rewritten
    as Chrome exports it by default: the script sends Authorization where the recording with
    the header does, read from the same answer (constants aside, which nothing in such a
    recording holds: Basic credentials, Strapi's ``Bearer null`` before its login)."""
    from fixtures.record import to_sanitized_har

    har = Path(__file__).resolve().parents[1] / path
    full = convert(har, name="x.har")
    sanitized = convert(json.dumps(to_sanitized_har(json.loads(har.read_text("utf-8")))).encode(),
                        name="x.har")
    expected = [(call, value if "self." in value else "")
                for call, value in _authorization(full.code)]
    assert _authorization(sanitized.code) == expected
    assert any(value for _, value in expected)
