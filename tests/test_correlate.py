"""Unit tests of the correlation stage (issue 3), on small HARs built in the test.

Each test converts a HAR with :func:`har2locust_plus.convert` and inspects the correlated
scenario (``result.scenario.steps``: extractions, generated values, templates with
``ir.VarRef``) and, where it matters, the generated code (which must always compile).
The last tests pin the exact correlations of the fixture app's recordings.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from har2locust_plus import Options, convert, ir

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ORIGIN = "http://app.test"
HTML = "text/html; charset=utf-8"
JSON = "application/json"
STARTED = "2026-01-01T10:00:00.000Z"  # epoch 1767261600
EPOCH_S = 1767261600


# --- building HARs ------------------------------------------------------------------------------


def entry(path: str, method: str = "GET", *, status: int = 200,
          headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
          response_headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
          mime: str = HTML, body: str | None = None, json_body: Any = None,
          form: list[tuple[str, str]] | None = None, raw: tuple[str, str] | None = None,
          resource_type: str = "document") -> dict[str, Any]:
    """One HAR entry on ORIGIN. Request bodies: json_body, form (pairs) or raw (mime, text)."""
    request_headers = list(headers)
    post: dict[str, Any] | None = None
    if json_body is not None:
        post = {"mimeType": JSON, "text": json.dumps(json_body)}
    elif form is not None:
        from urllib.parse import urlencode
        post = {"mimeType": "application/x-www-form-urlencoded", "text": urlencode(form),
                "params": [{"name": k, "value": v} for k, v in form]}
    elif raw is not None:
        post = {"mimeType": raw[0], "text": raw[1]}
    if post is not None:
        request_headers.append(("Content-Type", post["mimeType"]))
    response: dict[str, Any] = {
        "status": status, "statusText": "", "httpVersion": "HTTP/1.1",
        "headers": [{"name": k, "value": v} for k, v in
                    [*response_headers, *([("Content-Type", mime)] if body is not None else [])]],
        "cookies": [], "redirectURL": dict(response_headers).get("Location", ""),
        "content": {"size": len(body or ""), "mimeType": mime,
                    **({"text": body} if body is not None else {})},
        "headersSize": -1, "bodySize": -1,
    }
    request: dict[str, Any] = {
        "method": method, "url": ORIGIN + path, "httpVersion": "HTTP/1.1",
        "headers": [{"name": k, "value": v} for k, v in request_headers],
        "queryString": [], "cookies": [], "headersSize": -1, "bodySize": -1,
    }
    if post is not None:
        request["postData"] = post
    return {"startedDateTime": STARTED, "time": 10, "request": request, "response": response,
            "cache": {}, "timings": {"send": 1, "wait": 8, "receive": 1},
            "_resourceType": resource_type}


def api(path: str, method: str = "GET", *, response: Any = None, **kwargs: Any) -> dict:
    """An XHR/fetch entry answering JSON."""
    body = None if response is None else json.dumps(response)
    return entry(path, method, mime=JSON, body=body, resource_type="fetch", **kwargs)


def page(path: str, html: str, **kwargs: Any) -> dict:
    return entry(path, body=f"<!DOCTYPE html><html><head><title>t</title></head>"
                            f"<body>{html}</body></html>", **kwargs)


def conv(*entries: dict, **options: Any):
    har = {"log": {"version": "1.2", "creator": {"name": "tests", "version": "1"},
                   "entries": list(entries)}}
    result = convert(json.dumps(har).encode(), Options(**options), name="t.har")
    compile(result.code, "locustfile.py", "exec")  # whatever was correlated, it is Python
    return result


def step(result, number: int) -> ir.Step:
    found = [s for s in result.scenario.steps if s.number == number]
    assert len(found) == 1, [s.number for s in result.scenario.steps]
    return found[0]


def extraction(result, number: int, var: str | None = None) -> ir.Extraction:
    items = step(result, number).extractions
    if var is not None:
        items = tuple(e for e in items if e.var == var)
    assert len(items) == 1, step(result, number).extractions
    return items[0]


def header(s: ir.Step, name: str) -> ir.Template:
    return next(h.value for h in s.request.headers if h.name.lower() == name.lower())


def query(s: ir.Step, name: str) -> ir.Template:
    return next(q.value for q in s.request.query if q.name == name)


def form_field(s: ir.Step, name: str) -> ir.Template:
    assert isinstance(s.request.body, ir.FormBody)
    return next(v for k, v in s.request.body.fields if k == name)


def value_at(result, var: str, number: int) -> str | None:
    """The recorded value ``self.<var>`` holds when step ``number`` is sent."""
    value = None
    for s in result.scenario.steps:
        if s.number >= number:
            break
        for e in s.extractions:
            if e.var == var:
                value = e.recorded
        for g in s.generated:
            if g.var == var:
                value = g.recorded
    return value


def whole(var: str, encoding: str = "raw") -> ir.Template:
    return ir.Template((ir.VarRef(var, encoding),))  # type: ignore[arg-type]


def all_refs(result) -> set[str]:
    """Every correlated variable any request of the flow sends (not secrets from the env)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, ir.VarRef):
            if value.scope == "self":
                found.add(value.name)
        elif isinstance(value, ir.Template):
            found.update(r.name for r in value.refs() if r.scope == "self")
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    secrets = {secret.name for secret in result.scenario.secrets}  # options, not correlations
    for s in result.scenario.steps:
        r = s.request
        walk([r.path, *(q.value for q in r.query), *(h.value for h in r.headers)])
        body = r.body
        if isinstance(body, (ir.FormBody, ir.MultipartBody)):
            walk([v for _, v in body.fields])
        elif isinstance(body, ir.JsonBody):
            walk(body.value)
        elif isinstance(body, ir.RawBody) and body.text is not None:
            walk(body.text)
    return found - secrets


def nothing_correlated(result) -> bool:
    return (not any(s.extractions or s.generated for s in result.scenario.steps)
            and not all_refs(result) and result.report.correlations == ())


# --- sources: what a response hands out -----------------------------------------------------


def test_source_json_leaf_deep_inside_objects_and_arrays():
    token = "sk_9f8e7d6c5b4a3f2e"
    result = conv(
        api("/api/session", "POST", json_body={"user": "bob"},
            response={"data": {"items": [{"kind": "x"}, {"session": {"key": token}}]}}),
        api("/api/me", headers=[("X-Session-Key", token)], response={"ok": 1}),
    )
    e = extraction(result, 1)
    assert (e.kind, e.path, e.recorded, e.used_by) == (
        "json", ("data", "items", 1, "session", "key"), token, (2,))
    assert header(step(result, 2), "X-Session-Key") == whole(e.var)
    assert "from_json(" in result.code and f"self.{e.var} = from_json(" in result.code


def test_source_hidden_input():
    token = "Zx81-hGfQ0pLmN72vB"
    result = conv(
        page("/signup", f'<form method="post" action="/signup">'
                        f'<input type="hidden" name="authenticity_token" value="{token}">'
                        f'<input name="email"></form>'),
        entry("/signup", "POST", status=302, response_headers=[("Location", "/")],
              form=[("authenticity_token", token), ("email", "a@b.example")]),
    )
    e = extraction(result, 1)
    assert (e.var, e.kind, e.expr) == (
        "authenticity_token", "xpath", "//input[@name='authenticity_token']/@value")
    assert form_field(step(result, 2), "authenticity_token") == whole("authenticity_token")
    assert form_field(step(result, 2), "email") == ir.Template.literal("a@b.example")


def test_source_meta_csrf_token_used_in_a_header():
    token = "mEtA-7c1d2e3f4a5b6c"
    result = conv(
        entry("/dash", body=f'<!DOCTYPE html><html><head><meta name="csrf-token" '
                            f'content="{token}"></head><body>x</body></html>'),
        api("/api/save", "POST", headers=[("X-CSRF-Token", token)], json_body={"a": 1},
            response={"saved": True}),
    )
    e = extraction(result, 1)
    assert (e.kind, e.expr, e.recorded) == ("xpath", "//meta[@name='csrf-token']/@content",
                                            token)
    assert header(step(result, 2), "X-CSRF-Token") == whole(e.var)


def test_source_link_and_form_action_path_segments():
    doc, cart = "d8f3a9c2e1", "cart-20260101-7731"
    result = conv(
        page("/docs", f'<a href="/docs/{doc}/edit">edit</a>'
                      f'<form method="post" action="/carts/{cart}/checkout"></form>'),
        entry(f"/docs/{doc}/edit", body="<p>editor</p>"),
        entry(f"/carts/{cart}/checkout", "POST", status=302, response_headers=[("Location", "/")],
              form=[("x", "1")]),
    )
    by_value = {e.recorded: e for e in step(result, 1).extractions}
    assert set(by_value) == {doc, cart}
    assert all(e.kind == "regex" for e in by_value.values())
    assert step(result, 2).request.path.parts == (
        "/docs/", ir.VarRef(by_value[doc].var), "/edit")
    assert step(result, 3).request.path.parts == (
        "/carts/", ir.VarRef(by_value[cart].var), "/checkout")
    assert by_value[doc].var == "doc_id" and by_value[cart].var == "cart_id"


def test_source_inline_script_assignment():
    key = "k_7f3a9b2c4d5e"
    result = conv(
        page("/", f'<script>window.config = {{"apiKey": "{key}", "debug": false}};</script>'),
        api(f"/api/search?q=shoes&key={key}", response={"hits": []}),
    )
    e = extraction(result, 1)
    assert (e.kind, e.recorded) == ("regex", key)
    assert e.var in ("api_key", "apikey")  # identifier() does not split camelCase
    assert query(step(result, 2), "key") == whole(e.var)
    assert query(step(result, 2), "q") == ir.Template.literal("shoes")


def test_source_location_path_segment():
    result = conv(
        entry("/orders", "POST", status=302, response_headers=[("Location", "/orders/731/confirm")],
              form=[("item", "book")]),
        entry("/orders/731/confirm", body="<p>ok</p>"),
    )
    e = extraction(result, 1)
    assert (e.var, e.kind, e.recorded) == ("order_id", "location", "731")
    assert step(result, 2).request.path.parts == ("/orders/", ir.VarRef("order_id"), "/confirm")
    assert "from_location(" in result.code


def test_source_custom_token_header():
    token = "hdr-5b4c3d2e1f0a"
    result = conv(
        api("/api/csrf", response_headers=[("X-CSRF-Token", token)], response={"ok": 1}),
        api("/api/items", "POST", headers=[("X-CSRF-Token", token)], json_body={"n": 1},
            response={"ok": 1}),
    )
    e = extraction(result, 1)
    assert (e.var, e.kind, e.expr) == ("csrf_token", "header", "X-CSRF-Token")
    assert header(step(result, 2), "X-CSRF-Token") == whole("csrf_token")


def test_source_etag_becomes_if_match():
    etag = '"v7-33a1b2c3d4"'
    result = conv(
        api("/api/doc/ab12cd34", response_headers=[("ETag", etag)], response={"text": "x"}),
        api("/api/doc/ab12cd34", "PUT", headers=[("If-Match", etag)], json_body={"text": "y"},
            response={"text": "y"}),
    )
    e = extraction(result, 1)
    assert (e.var, e.kind, e.expr, e.recorded) == ("etag", "header", "ETag", etag)
    assert header(step(result, 2), "If-Match") == whole("etag")


def test_source_short_plain_text_body():
    token = "tk_93jf82hd"
    result = conv(
        entry("/api/token", mime="text/plain", body=f"{token}\n", resource_type="fetch"),
        api("/api/use", "POST", json_body={"token": token, "n": 3}, response={"ok": 1}),
    )
    e = extraction(result, 1)
    assert (e.kind, e.recorded) == ("regex", token)
    assert step(result, 2).request.body == ir.JsonBody({"token": ir.VarRef(e.var), "n": 3})


# --- uses: where a request sends it back ----------------------------------------------------


@pytest.fixture
def login_token():
    token = "acc_4f9a8b7c6d5e4f3a2b1c"
    login = api("/api/login", "POST", json_body={"user": "bob", "pw": "secret-pw"},
                response={"access_token": token, "expires_in": 3600})
    return token, login


def test_use_in_path_segment_query_value_and_bearer_header(login_token):
    token, login = login_token
    result = conv(
        login,
        api(f"/api/share/{token}?t={token}&page=2",
            headers=[("Authorization", f"Bearer {token}")], response={"ok": 1}),
    )
    s = step(result, 2)
    assert s.request.path.parts == ("/api/share/", ir.VarRef("access_token"))
    assert query(s, "t") == whole("access_token")
    assert query(s, "page") == ir.Template.literal("2")
    assert header(s, "Authorization") == ir.Template(("Bearer ", ir.VarRef("access_token")))
    assert extraction(result, 1).used_by == (2,)
    assert 'f"Bearer {self.access_token}"' in result.code


def test_use_in_form_field_json_leaf_and_raw_body_token(login_token):
    token, login = login_token
    xml = f"<req><auth>{token}</auth><n>17</n></req>"
    result = conv(
        login,
        entry("/form", "POST", form=[("tok", token), ("x", "y")], body="<p>ok</p>"),
        api("/api/j", "POST", json_body={"deep": [{"tok": token}], "other": "keep"},
            response={"ok": 1}),
        entry("/raw", "POST", raw=("application/xml", xml), body="<p>ok</p>"),
    )
    assert form_field(step(result, 2), "tok") == whole("access_token")
    assert step(result, 3).request.body == ir.JsonBody(
        {"deep": [{"tok": ir.VarRef("access_token")}], "other": "keep"})
    raw = step(result, 4).request.body
    assert isinstance(raw, ir.RawBody)
    assert raw.text == ir.Template(("<req><auth>", ir.VarRef("access_token"),
                                    "</auth><n>17</n></req>"))
    assert extraction(result, 1).used_by == (2, 3, 4)


# --- encodings ------------------------------------------------------------------------------


def test_url_encoded_query_value():
    token = "ab+cd/ef==12345678"
    result = conv(
        api("/api/t", response={"token": token}),
        api("/api/u?t=ab%2Bcd%2Fef%3D%3D12345678&z=1", response={"ok": 1}),
    )
    assert query(step(result, 2), "t") == whole("token")
    # the generated URL percent-encodes the live value (a raw + or / would change it)
    tree = ast.parse(result.code)
    urls = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)
            and "/api/u?" in ast.unparse(n)]
    assert urls and "self.token" in urls[0] and "quote" in urls[0], urls


def test_percent_encoded_path_segment():
    name = "Q1 report/77"
    result = conv(
        api("/api/files", "POST", json_body={"n": 1}, response={"file": {"name": name}}),
        api("/api/files/Q1%20report%2F77", response={"ok": 1}),
    )
    parts = step(result, 2).request.path.parts
    assert parts[0] == "/api/files/" and isinstance(parts[1], ir.VarRef)
    assert parts[1].encoding == "path"
    assert len(parts) == 2


def test_json_escaped_value():
    token = 'q"w/é\\x-12345678'
    text = '{"token": "q\\"w\\/\\u00e9\\\\x-12345678"}'  # escaped as a server may write it
    assert json.loads(text)["token"] == token
    result = conv(
        entry("/api/t", mime=JSON, body=text, resource_type="fetch"),
        api("/api/u", "POST", json_body={"token": token}, response={"ok": 1}),
        entry("/f", "POST", form=[("token", token)], body="<p>ok</p>"),
    )
    assert step(result, 2).request.body == ir.JsonBody({"token": ir.VarRef("token")})
    assert form_field(step(result, 3), "token") == whole("token")
    assert extraction(result, 1).used_by == (2, 3)


# --- the short-id rule ----------------------------------------------------------------------


def test_short_id_matches_only_whole_values():
    result = conv(
        api("/api/items", "POST", json_body={"name": "pen"}, response={"id": 17, "count": 3}),
        api("/api/items/17/logo/17px/2017?year=2017&size=17px&item=17",
            response={"ok": 1}),
        entry("/raw", "POST", raw=("text/plain", "item 17 of 2017"), body="<p>ok</p>"),
        api("/api/x", "POST", json_body={"item": 17, "note": "17", "year": 2017},
            response={"ok": 1}),
    )
    s = step(result, 2)
    assert s.request.path.parts == ("/api/items/", ir.VarRef("item_id"), "/logo/17px/2017")
    assert query(s, "year") == ir.Template.literal("2017")
    assert query(s, "size") == ir.Template.literal("17px")
    assert query(s, "item") == whole("item_id")
    raw = step(result, 3).request.body
    assert raw.text == ir.Template.literal("item 17 of 2017")
    assert step(result, 4).request.body.value["item"] == ir.VarRef("item_id")
    assert step(result, 4).request.body.value["year"] == 2017


def test_short_id_not_taken_from_unstructured_sources():
    result = conv(
        # a link without a name of its own (a name would find it: test_correlate_classes)
        page("/list", '<a href="/items/17">»</a><script>var page = "17";</script>'
                      '<p>17 items</p>'),
        api("/api/stats", response={"count": 17, "total": "17"}),
        entry("/items/17", body="<p>item</p>"),
        entry("/api/n", mime="text/plain", body="42", resource_type="fetch"),
        api("/api/items/42", response={"ok": 1}),
    )
    assert nothing_correlated(result), result.report.correlations
    assert step(result, 3).request.path == ir.Template.literal("/items/17")


# --- nearest source -------------------------------------------------------------------------


def test_rotating_csrf_token_uses_the_nearest_page():
    tokens = ["tokA-11111111aaaa", "tokB-22222222bbbb", "tokC-33333333cccc"]
    entries = []
    for i, token in enumerate(tokens):
        entries.append(page(f"/form{i}", f'<form method="post" action="/submit{i}">'
                                         f'<input type="hidden" name="csrf" value="{token}">'
                                         f'</form>'))
        entries.append(entry(f"/submit{i}", "POST", form=[("csrf", token), ("n", str(i))],
                             body="<p>done</p>"))
    result = conv(*entries)
    for i, token in enumerate(tokens):
        source, post = 2 * i + 1, 2 * i + 2
        e = extraction(result, source)
        assert (e.recorded, e.used_by) == (token, (post,))
        assert form_field(step(result, post), "csrf") == whole(e.var)
    assert [(r["source_step"], r["used_by"]) for r in result.report.correlations] == [
        (1, [2]), (3, [4]), (5, [6])]


def test_nearest_source_even_when_an_older_page_had_the_same_token():
    token = "same-token-1234567"
    result = conv(
        page("/a", f'<input type="hidden" name="csrf" value="{token}">'),
        page("/b", f'<input type="hidden" name="csrf" value="{token}">'),
        entry("/c", "POST", form=[("csrf", token)], body="<p>ok</p>"),
    )
    assert step(result, 1).extractions == ()
    assert extraction(result, 2).used_by == (3,)


def test_structured_source_beats_a_link_on_a_later_page():
    token = "aa11bb22cc33dd44"
    result = conv(
        page("/a", f'<input type="hidden" name="token" value="{token}">'),
        page("/b", f'<a href="/go/{token}">go</a>'),
        entry(f"/go/{token}", body="<p>ok</p>"),
    )
    e = extraction(result, 1)
    assert e.kind == "xpath" and e.used_by == (3,)
    assert step(result, 2).extractions == ()


# --- constants and generated values ---------------------------------------------------------


def test_value_the_client_sent_first_is_a_constant():
    user, title = "alice_smith", "My first note"
    result = conv(
        entry("/login", "POST", form=[("username", user), ("password", "wonderland-42")],
              status=302, response_headers=[("Location", "/home")]),
        api("/api/notes", "POST", json_body={"title": title, "owner": user},
            response={"title": title, "owner": user, "password": "wonderland-42"}),
        page("/home", f'<input name="username" value="{user}">'
                      f'<input name="title" value="{title}">'
                      f'<script>var owner = "{user}";</script>'),
        api(f"/api/users/{user}", response={"username": user}),
        api(f"/api/users/{user}/notes?title=My+first+note", response={"ok": 1}),
        entry("/again", "POST", form=[("username", user), ("title", title)], body="<p>ok</p>"),
    )
    assert nothing_correlated(result), result.report.correlations
    assert step(result, 5).request.path == ir.Template.literal(f"/api/users/{user}/notes")


def test_uuid4_and_epoch_ms_are_regenerated():
    request_id = "3f2b8c1e-9d4a-4c7b-8e6f-1a2b3c4d5e6f"
    ms = str(EPOCH_S * 1000 + 123)
    result = conv(
        api(f"/api/poll?_={ms}", headers=[("X-Request-ID", request_id)], response={"ok": 1}),
        api("/api/again", "POST", headers=[("X-Request-ID", request_id)],
            json_body={"sent_at": int(ms), "id": request_id}, response={"ok": 1}),
    )
    first = step(result, 1)
    kinds = {g.kind: g for g in first.generated}
    assert set(kinds) == {"uuid4", "epoch_ms"}
    assert kinds["uuid4"].recorded == request_id and kinds["epoch_ms"].recorded == ms
    uuid_var, ms_var = kinds["uuid4"].var, kinds["epoch_ms"].var
    assert header(first, "X-Request-ID") == whole(uuid_var)
    assert query(first, "_") == whole(ms_var)
    second = step(result, 2)
    assert second.generated == ()  # the same recorded value: the same fresh value
    assert header(second, "X-Request-ID") == whole(uuid_var)
    assert second.request.body == ir.JsonBody({"sent_at": ir.VarRef(ms_var),
                                               "id": ir.VarRef(uuid_var)})
    assert not any(s.extractions for s in result.scenario.steps)
    assert "uuid.uuid4()" in result.code and "time.time() * 1000" in result.code


def test_old_timestamp_and_uuid_from_a_response_are_not_generated():
    uid = "3f2b8c1e-9d4a-4c7b-8e6f-1a2b3c4d5e6f"
    result = conv(
        api("/api/new", "POST", json_body={"x": 1}, response={"uuid": uid}),
        api(f"/api/things/{uid}?since=1500000000000", response={"ok": 1}),
    )
    s = step(result, 2)
    assert s.generated == ()
    assert s.request.path.parts == ("/api/things/", ir.VarRef("uuid"))
    assert query(s, "since") == ir.Template.literal("1500000000000")
    assert extraction(result, 1).kind == "json"


@pytest.mark.parametrize("where", ["body", "header", "upper case"])
def test_a_uuid_a_response_handed_out_is_never_made_up_again(where: str):
    """The server made the note's UUID; no source reads it again (a sentence, a header of no
    known kind, an RSC row without a key): a new random UUID would name nothing, so it is sent
    as recorded, and the report says so. A UUID no response holds is still the client's own,
    made up each run."""
    uid = "3f2b8c1e-9d4a-4c7b-8e6f-1a2b3c4d5e6f"
    made = "0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"
    holds = {"body": {"body": f"Created {uid} for you", "mime": "text/plain"},
             "header": {"body": "0:{}", "response_headers": [("X-Where", f"/n/{uid};x")],
                        "mime": "text/x-component"},
             "upper case": {"body": f'1:["{uid.upper()}"]', "mime": "text/x-component"}}[where]
    result = conv(
        entry("/notes", "POST", form=[("title", "milk")], **holds),
        entry(f"/notes/{uid}", "POST", form=[("id", uid)], headers=[("X-Request-ID", made)],
              body="<p>deleted</p>"),
    )
    second = step(result, 2)
    assert second.request.path == ir.Template.literal(f"/notes/{uid}")
    assert form_field(second, "id") == ir.Template.literal(uid)
    assert [(g.kind, g.recorded) for g in second.generated] == [("uuid4", made)]
    warnings = [d.message for d in result.scenario.diagnostics]
    assert [m for m in warnings if uid[:10] in m] == [
        f"step 2 sends {uid[:10]}…{uid[-8:]}, which the response of step 1 handed out, but no "
        "place in it to read it again was found: it is sent as recorded (if the server made "
        "it, a fresh server may know no such id)"]
    assert "uuid.uuid4()" in result.code and f'"/notes/{uid}"' in result.code


# --- options --------------------------------------------------------------------------------


def test_ignore_value_option():
    token = "abcdef123456"
    entries = (api("/api/t", response={"token": token, "other": "zz99yy88xx77"}),
               api("/api/u", headers=[("X-A", token), ("X-B", "zz99yy88xx77")],
                   response={"ok": 1}))
    assert {e.recorded for e in step(conv(*entries), 1).extractions} == {
        token, "zz99yy88xx77"}
    result = conv(*entries, ignore_values=("^abcdef",))
    assert [e.recorded for e in step(result, 1).extractions] == ["zz99yy88xx77"]
    assert header(step(result, 2), "X-A") == ir.Template.literal(token)


def test_correlate_rule_option():
    key = "wk_55aa66bb77"
    entries = (page("/", f'<!-- widget {key} -->'),  # a comment: no built-in source
               api(f"/api/widget?w={key}", response={"ok": 1}))
    assert nothing_correlated(conv(*entries))
    pattern = r'<!-- widget (\S+) -->'
    result = conv(*entries, correlate_rules=(("widget_key", pattern),))
    e = extraction(result, 1)
    assert (e.var, e.kind, e.expr, e.recorded) == ("widget_key", "regex", pattern, key)
    assert query(step(result, 2), "w") == whole("widget_key")


def test_no_correlate_option_leaves_every_value_recorded(login_token):
    token, login = login_token
    result = conv(login, api("/api/me", headers=[("Authorization", f"Bearer {token}")],
                             response={"ok": 1}), correlate=False, keep_secrets=True)
    assert nothing_correlated(result)
    assert token in result.code  # replayed verbatim (secrets kept inline on request)


# --- variable names -------------------------------------------------------------------------


def test_variable_names_are_unique_valid_and_never_shadow_methods():
    values = {  # JSON keys that make poor attribute names
        "class": "v-class-1111111", "from": "v-from-22222222", "journey": "v-jrny-3333333",
        "client": "v-clnt-4444444", "host": "v-host-55555555", "login": "v-login-6666666",
        "2fa": "v-2fa-777777777", "émoji": "v-emoji-88888888", "on_start": "v-ons-99999999",
        "origin": "v-orig-aaaa1aaa", "check": "v-chk-bbbbb1bbbb", "wait_time": "v-wt-cccc1cccc",
    }
    result = conv(
        entry("/login", body="<!DOCTYPE html><html><body>login page</body></html>"),
        api("/api/bag", response={"a": values, "b": {k: v.upper() for k, v in values.items()}}),
        api("/api/use", "POST", json_body={"x": list(values.values()),
                                           "y": [v.upper() for v in values.values()]},
            response={"ok": 1}),
    )
    variables = [e.var for e in step(result, 2).extractions]
    assert len(variables) == 2 * len(values) == len(set(variables))
    methods = {g.method for g in result.scenario.groups}
    tree = ast.parse(result.code)
    user_class = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    members = {n.name for n in user_class.body if isinstance(n, ast.FunctionDef)} | {
        t.id for n in user_class.body if isinstance(n, ast.Assign) for t in n.targets
        if isinstance(t, ast.Name)}
    import keyword

    from locust import FastHttpUser
    for var in variables:
        assert var.isidentifier() and not keyword.iskeyword(var), var
        assert var not in methods and var not in members, var
        assert not hasattr(FastHttpUser, var), var
        assert var not in ("origin",), var


def test_repeated_names_from_different_sources_get_distinct_variables():
    result = conv(
        api("/api/a", response={"token": "first-token-111111"}),
        api("/api/b", response={"token": "second-token-22222"}),
        api("/api/c", headers=[("X-T1", "first-token-111111"), ("X-T2", "second-token-22222")],
            response={"ok": 1}),
    )
    # same JSON path on two steps, both values sent by step 3: two variables, else the second
    # extraction would overwrite the first before step 3 sends it
    first, second = extraction(result, 1), extraction(result, 2)
    s = step(result, 3)
    assert header(s, "X-T1") == whole(first.var)
    assert header(s, "X-T2") == whole(second.var)
    assert first.var != second.var


def test_ids_of_nested_resources_get_their_own_variables():
    result = conv(
        api("/api/projects", "POST", json_body={"name": "p"}, response={"id": 501234}),
        api("/api/projects/501234/tasks", "POST", json_body={"t": "x"}, response={"id": 777123}),
        api("/api/projects/501234/tasks/777123", response={"ok": 1}),
        api("/api/projects/501234/tasks/777123", "DELETE", response={"ok": 1}),
    )
    assert extraction(result, 1).var == "project_id"
    assert extraction(result, 2).var == "task_id"
    assert step(result, 3).request.path.parts == (
        "/api/projects/", ir.VarRef("project_id"), "/tasks/", ir.VarRef("task_id"))
    assert extraction(result, 1).used_by == (2, 3, 4)
    assert extraction(result, 2).used_by == (3, 4)


def test_a_rotating_token_keeps_one_variable_until_an_old_value_is_sent_again():
    entries = [
        page("/a", '<input type="hidden" name="csrf" value="tokA-11111111aaaa">'),
        entry("/a", "POST", form=[("csrf", "tokA-11111111aaaa")], body="<p>ok</p>"),
        page("/b", '<input type="hidden" name="csrf" value="tokB-22222222bbbb">'),
        entry("/b", "POST", form=[("csrf", "tokB-22222222bbbb"), ("old", "tokA-11111111aaaa")],
              body="<p>ok</p>"),
    ]
    result = conv(*entries)
    s = step(result, 4)
    csrf, old = form_field(s, "csrf").parts[0], form_field(s, "old").parts[0]
    assert csrf.name != old.name
    assert value_at(result, csrf.name, 4) == "tokB-22222222bbbb"
    assert value_at(result, old.name, 4) == "tokA-11111111aaaa"
    assert value_at(result, form_field(step(result, 2), "csrf").parts[0].name, 2) == (
        "tokA-11111111aaaa")
    # without the old value sent again: one variable, re-assigned by each page
    result = conv(*entries[:3], entry("/b", "POST", form=[("csrf", "tokB-22222222bbbb")],
                                      body="<p>ok</p>"))
    assert extraction(result, 1).var == extraction(result, 3).var == "csrf"


# --- which response values become sources (the first pass over the requests) ---------------
# Only values some later request may look up are turned into sources; these pin the cases the
# first pass must foresee (a value it missed would silently stay a recorded constant).


def test_a_source_after_the_last_use_is_not_needed_and_the_nearest_before_it_is_used():
    token = "tok-5f4e3d2c1b0a9988"
    result = conv(
        api("/api/a", response={"token": token}),
        api("/api/b", response={"token": token}),
        api("/api/use", headers=[("X-Token", token)], response={"ok": 1}),
        api("/api/c", response={"token": token}),  # after the last use
    )
    assert step(result, 1).extractions == ()
    assert extraction(result, 2).used_by == (3,)
    assert step(result, 4).extractions == ()


def test_a_value_sent_back_is_not_taken_again_from_a_later_response():
    token = "tok-0a1b2c3d4e5f6a7b"
    result = conv(
        api("/api/a", response={"token": token}),
        api("/api/use1", headers=[("X-Token", token)], response={"token": token}),
        api("/api/use2", headers=[("X-Token", token)], response={"ok": 1}),
    )
    # step 2 sent it before its response handed it out again: that response is no source
    assert extraction(result, 1).used_by == (2, 3)
    assert step(result, 2).extractions == ()


def test_token_after_an_equals_sign_inside_a_header_value():
    token = "sess0123456789abcdef"
    result = conv(
        api("/api/login", "POST", json_body={"u": "x"}, response={"session": token}),
        api("/api/me", headers=[("X-Session", f"sid={token}; lang=en")], response={"ok": 1}),
    )
    assert header(step(result, 2), "X-Session") == ir.Template(
        ("sid=", ir.VarRef("session"), "; lang=en"))


def test_json_int_leaf_of_a_request_body_and_a_bare_json_string_response():
    result = conv(
        api("/api/orders", "POST", json_body={"sku": "a"}, response={"order_id": 987654321}),
        api("/api/token", response="tk_0123456789abcdef"),
        api("/api/pay", "POST", json_body={"order": 987654321, "t": "tk_0123456789abcdef"},
            response={"ok": 1}),
    )
    assert extraction(result, 1).as_int
    assert step(result, 3).request.body == ir.JsonBody(
        {"order": ir.VarRef("order_id"), "t": ir.VarRef("value")})


def test_the_first_pass_foresees_every_lookup(monkeypatch, login_token):
    """Every value the substitution looks up was collected by the first pass, with a last
    step no earlier than the lookup (else a source it needs would never be indexed)."""
    import importlib
    stage = importlib.import_module("har2locust_plus.stages.correlate.engine")
    first_pass: list[dict[str, int]] = []
    misses: list[tuple[str, int]] = []
    real_wanted, real_lookup = stage._wanted_values, stage._lookup

    def wanted_values(steps, tokens):
        wanted = real_wanted(steps, tokens)
        first_pass.append(dict(wanted))  # a copy: the stage drops the values sent
        return wanted

    def lookup(value, step, state, **kwargs):
        if first_pass[-1].get(value, -1) < step.number:
            misses.append((value, step.number))
        return real_lookup(value, step, state, **kwargs)

    monkeypatch.setattr(stage, "_wanted_values", wanted_values)
    monkeypatch.setattr(stage, "_lookup", lookup)
    token, login = login_token
    conv(login,
         api(f"/api/share/{token}/x%2Fy?t={token}&n=17&s=a=b", "POST",
             headers=[("Authorization", f"Bearer {token}"), ("Cookie", f"sid={token}; a=b")],
             json_body={"deep": [{"tok": token, "n": 17, "f": 1.5, "b": True}], "s": "x=y"},
             response={"ok": 1}),
         entry("/form", "POST", form=[("tok", token), ("x", "y z")], body="<p>ok</p>"),
         entry("/raw", "POST", raw=("text/plain", f"k={token}&m=abc.def.ghi12345"),
               body="<p>ok</p>"))
    for har in ("notes-journey.har", "api-journey.har", "public-browsing.har"):
        convert(FIXTURES / har, Options())
    assert len(first_pass) == 4 and not misses, misses


# --- the fixture app's recordings: exactly these correlations, nothing else ----------------


def rows(har: str) -> set[tuple[str, int, str, tuple[int, ...]]]:
    result = convert(FIXTURES / har, Options())
    compile(result.code, har, "exec")
    return {(r["var"], r["source_step"], r["how"], tuple(r["used_by"]))
            for r in result.report.correlations}


@pytest.mark.parametrize("har", ["notes-journey.har", "notes-journey.firefox.har"])
def test_notes_journey_correlations_are_exactly(har):
    assert rows(har) == {
        ("csrf_token", 2, "input csrf_token", (3,)),
        ("csrf_token", 4, "input csrf_token", (5,)),
        ("note_id", 5, "Location segment 2", (6, 8)),
        ("csrf_token", 7, "input csrf_token", (8,)),
    }


def test_api_journey_correlations_are_exactly():
    assert rows("api-journey.har") == {
        ("access_token", 2, "JSON ['access_token']", (3, 4, 5, 6)),
        ("request_id", 3, "generated (uuid4)", (3,)),
        ("note_id", 3, "JSON ['id']", (4, 5, 6)),
    }


def test_fixture_constants_stay_literal():
    for har in ("notes-journey.har", "api-journey.har"):
        result = convert(FIXTURES / har, Options(keep_secrets=True))
        code = result.code
        for constant in ("alice", "wonderland-42"):
            assert f'"{constant}"' in code, (har, constant)
        for s in result.scenario.steps:
            body = s.request.body
            if isinstance(body, ir.FormBody):
                for name, value in body.fields:
                    if name in ("username", "password", "title", "body"):
                        assert value.is_literal, (har, s.number, name)
            if isinstance(body, ir.JsonBody):
                for name in ("username", "password", "title", "body"):
                    if name in body.value:
                        assert isinstance(body.value[name], str), (har, s.number, name)


def test_public_browsing_has_no_correlations():
    result = convert(FIXTURES / "public-browsing.har", Options())
    assert result.report.correlations == ()


# --- property: every variable holds the recorded value when a request sends it ---------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

KEYS = ("token", "csrf", "id")


@st.composite
def flows(draw):
    """Steps whose JSON responses hand out tokens under a few keys (sometimes again) and whose
    requests send any earlier tokens back in headers."""
    issued: list[str] = []
    steps = []
    for i in range(draw(st.integers(2, 7))):
        sends = draw(st.lists(st.sampled_from(issued), max_size=4, unique=True)) if issued else []
        response = {}
        for key in draw(st.lists(st.sampled_from(KEYS), max_size=3, unique=True)):
            reuse = draw(st.sampled_from(issued)) if issued and draw(st.integers(0, 4)) == 0 \
                else None
            response[key] = reuse or f"{key}-{i:02d}-{len(issued):02d}-abcdefgh"
            if reuse is None:
                issued.append(response[key])
        steps.append((sends, response))
    return steps


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flows())
def test_every_variable_holds_the_sent_value(flow):
    entries = [api(f"/api/s{i}", headers=[(f"X-V{j}", v) for j, v in enumerate(sends)],
                   response=response or {"ok": 1})
               for i, (sends, response) in enumerate(flow)]
    result = conv(*entries)
    for i, (sends, _) in enumerate(flow):
        s = step(result, i + 1)
        for j, value in enumerate(sends):
            template = header(s, f"X-V{j}")
            if template.is_literal:
                assert template.text == value
                continue
            assert template == whole(template.parts[0].name), template
            assert value_at(result, template.parts[0].name, s.number) == value, (i + 1, j)


# --- the parse the HTML sources are read from --------------------------------------------------

_HTML_PIECES = st.sampled_from([
    "<!DOCTYPE html>", "<html>", "</html>", "<head>", "</head>", "<body>", "</body>",
    "<body class=x>", "<meta name=csrf content='t0k3n-1'>", "<title>T</title>", "<p>", "</p>",
    "<div id=a>", "</div>", "<input name=n value=v1>", "<a href='/x?y=1&amp;z=2'>", "</a>",
    "<pre>k_93f0a7c1e2</pre>", "<script>var t = 'x';</script>", "<!-- c -->", "text",
    "&amp;", "&#x41;", " ", "\n", "<table><tr><td>1</td></tr></table>", "<br>", "<span>",
    "<form action=/f>", "</form>", "<li>", "<p>two</p><p>blocks</p>",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_HTML_PIECES, min_size=1, max_size=14).map("".join))
def test_the_plain_parse_is_lxml_html_s_tree(text: str) -> None:
    """parse_html reads pages with plain lxml elements; the tree (and so every XPath the
    script runs with lxml.html) must be exactly lxml.html.fromstring's, fragments included
    (where that is no element but a comment, parse_html raises ValueError: no XPath takes
    a comment, and the script's parsed_html gives None)."""
    from lxml import etree
    from lxml import html as lxml_html

    from har2locust_plus.stages.correlate.html import parse_html

    def tree(parse: Any) -> list[bytes] | str:  # every top element: recovery may make two
        try:
            element = parse(text)
        except (etree.ParserError, ValueError) as exc:
            return type(exc).__name__
        if not isinstance(element.tag, str):  # a comment
            return "ValueError"
        root = element.getroottree().getroot()
        return [element.tag.encode()] + [etree.tostring(top)
                                         for top in (root, *root.itersiblings())]

    assert tree(parse_html) == tree(lxml_html.fromstring)


def test_a_fragment_with_two_bodies_is_merged_as_lxml_html_merges_it() -> None:
    from lxml import etree
    from lxml import html as lxml_html

    from har2locust_plus.stages.correlate.html import parse_html

    text = "<p>a</p><body><input name=n value=v></body><body><p>b</p></body>"
    assert etree.tostring(parse_html(text).getroottree()) == \
        etree.tostring(lxml_html.fromstring(text).getroottree())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_HTML_PIECES | st.sampled_from(["<td>a<!-- c -->b</td>", "<p><?pi x?></p>",
                                                 "<code>", "</code>", "<b>", "</b>"]),
                min_size=1, max_size=14).map("".join))
def test_the_text_elements_are_the_xpath_s(text: str) -> None:
    """Element-text sources walk the tree once instead of evaluating one XPath per tag: the
    elements (and their order, which numbers them in the script's XPath) must be the same."""
    from lxml import etree

    from har2locust_plus.stages.correlate.html import TEXT_TAGS, _text_elements, parse_html

    try:
        tree = parse_html(text)
    except (etree.ParserError, ValueError):
        return
    xpath = etree.XPath("|".join(f"//{tag}[not(*)]" for tag in TEXT_TAGS))
    assert list(_text_elements(tree)) == xpath(tree)
