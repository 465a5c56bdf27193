"""Issue 12: the classes of values real applications hand out and take back, one test each.

Small HARs built in the test (helpers from ``test_correlate``); each checks what the
correlation stage made of them and, where the run-time extraction is a regex or an XPath, that
it finds the recorded value again in the recorded response (decoded as the script will).
"""

from __future__ import annotations

import json
import re
import urllib.request
from http.cookiejar import Cookie, CookieJar
from types import SimpleNamespace
from urllib.parse import quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html
from test_correlate import (
    EPOCH_S,
    JSON,
    ORIGIN,
    api,
    conv,
    entry,
    extraction,
    form_field,
    header,
    page,
    query,
    step,
    value_at,
)

from har2locust_plus import ir
from har2locust_plus.runtime import checks as runtime
from har2locust_plus.runtime.data import fresh_token
from har2locust_plus.stages.correlate.sources import js_unescape

TOKEN = "Zk3pQ9xW2vL7nB4m"


def found_by_regex(e: ir.Extraction, text: str) -> str:
    match = re.search(e.expr, text)
    assert match, e.expr
    return runtime.decoded(match.group(1), e.decode) if e.decode else match.group(1)


def found_by_xpath(e: ir.Extraction, text: str) -> str:
    resp = SimpleNamespace(text=text, __dict__={})
    resp = type("R", (), {"text": text})()
    return runtime.from_xpath(resp, "step", e.var, etree.XPath(e.expr))


# --- 1. double-submit tokens: cookie → header ------------------------------------------------


def test_a_set_cookie_value_sent_as_a_header_is_read_from_the_live_jar():
    result = conv(
        entry("/", response_headers=[("Set-Cookie", f"csrftoken={TOKEN}; Path=/; SameSite=Lax")],
              body="<p>spa</p>"),
        api("/api/login", "POST", headers=[("X-CSRFToken", TOKEN)], json_body={"u": "a"},
            response={"ok": True}))
    generated = step(result, 2).generated
    assert [(g.kind, g.name) for g in generated] == [("cookie", "csrftoken")]
    assert header(step(result, 2), "X-CSRFToken") == ir.Template((ir.VarRef(generated[0].var),))
    assert 'from_cookie(self, "csrftoken", "step 2 POST /api/login")' in result.code
    assert TOKEN not in result.code.split("def from_cookie")[0].split('"""', 2)[2]


def test_a_cookie_only_in_the_recorded_cookie_header_and_a_percent_encoded_one():
    encoded = "eyJpdiI6IkFi%2BQ%3D%3D"  # Laravel's XSRF-TOKEN: the script sends it decoded
    result = conv(
        entry("/", body="<p>x</p>"),
        api("/api/a", "POST", headers=[("Cookie", f"sid=abc; XSRF-TOKEN={encoded}"),
                                      ("X-XSRF-TOKEN", "eyJpdiI6IkFi+Q==")],
            json_body={"x": 1}, response={"ok": True}))
    (generated,) = step(result, 2).generated
    assert (generated.kind, generated.name, generated.decode) == ("cookie", "XSRF-TOKEN", "url")
    assert re.search(r'decoded\(\s*from_cookie\(self, "XSRF-TOKEN", "step 2 POST /api/a"\), '
                     r'"url"\s*\)', result.code)


def test_a_cookie_named_by_the_server_s_instance_and_its_header_follow_the_live_name():
    """Syncthing names its CSRF cookie by the device (``CSRF-Token-V2P2U``, the device ID's
    first characters) and its GUI sends it back as ``X-CSRF-Token-V2P2U``: on another device
    both names differ. The part is read from the jar's cookie names by the name's shape, once,
    and both the cookie read and the header's name follow it."""
    result = conv(
        entry("/", response_headers=[("Set-Cookie", f"CSRF-Token-V2P2U={TOKEN}")],
              body="<p>gui</p>"),
        api("/rest/system/status", headers=[("X-CSRF-Token-V2P2U", TOKEN)],
            response={"myID": "x"}),
        api("/rest/config", headers=[("X-CSRF-Token-V2P2U", TOKEN)], response={"v": 1}))
    part, cookie = step(result, 2).generated
    assert (part.kind, part.recorded, part.name) == (
        "cookie_part", "V2P2U", r"CSRF\-Token\-([A-Z0-9]{5})")
    assert cookie.name_template == ir.Template(("CSRF-Token-", ir.VarRef(part.var)))
    named = ir.Template(("X-CSRF-Token-", ir.VarRef(part.var)))
    assert [h.name_template for h in step(result, 2).request.headers
            if h.name.startswith("X-CSRF")] == [named]
    assert [g.kind for g in step(result, 3).generated] == ["cookie"]  # the part: read once
    (row,) = [c for c in result.report.correlations if c["var"] == part.var]
    assert (row["source_step"], row["used_by"]) == (2, [2, 3])  # the report says where
    assert f'f"X-CSRF-Token-{{self.{part.var}}}": ' in result.code
    assert f'from_cookie(\n                self, f"CSRF-Token-{{self.{part.var}}}"' in result.code \
        or f'from_cookie(self, f"CSRF-Token-{{self.{part.var}}}"' in result.code


@pytest.mark.parametrize("sent", ["x-csrf-token-v2p2u", "X-Csrf-Token-V2p2u"])
def test_the_header_named_by_a_cookie_s_part_follows_it_in_any_case(sent: str) -> None:
    """An HTTP/2 recording writes every header name in lower case (``x-csrf-token-v2p2u``), a
    proxy or Firefox may write another case than the cookie's (``CSRF-Token-V2P2U``): header
    names are case-insensitive, and the part the server chose is still found in the name. A
    part inside a longer word of a name is not (``x-csrf-token-v2p2ux``)."""
    for name, found in ((sent, True), (sent + "x", False)):
        result = conv(
            entry("/", response_headers=[("Set-Cookie", f"CSRF-Token-V2P2U={TOKEN}")],
                  body="<p>gui</p>"),
            api("/rest/config", headers=[(name, TOKEN)], response={"v": 1}))
        parts = [g for g in step(result, 2).generated if g.kind == "cookie_part"]
        (header,) = [h for h in step(result, 2).request.headers if h.name == name]
        if found:
            (part,) = parts
            assert header.name_template == ir.Template((name[:-5], ir.VarRef(part.var)))
        else:
            assert header.name_template is None


def test_a_letters_only_part_is_the_server_s_where_a_response_header_names_it():
    """A third of Syncthing's device IDs begin with five letters (``XSMAO``): the part is
    the server's because its own header says so, ``X-Syncthing-Id: XSMAOXM-U5PMDHS-…``. The
    same name without such a header (``CSRF-Token-ABCDE``) is left as recorded."""
    device = "XSMAOXM-U5PMDHS-MZJ433T-RT75TD6"
    for says, expected in ((True, r"CSRF\-Token\-([A-Z0-9]{5})"), (False, None)):
        headers = [("Set-Cookie", f"CSRF-Token-XSMAO={TOKEN}")]
        if says:
            headers.append(("X-Syncthing-Id", device))
        result = conv(
            entry("/", response_headers=headers, body="<p>gui</p>"),
            api("/rest/config", headers=[("X-CSRF-Token-XSMAO", TOKEN)], response={"v": 1}))
        parts = [g for g in step(result, 2).generated if g.kind == "cookie_part"]
        assert [g.name for g in parts] == ([expected] if expected else [])
        assert any(h.name_template is not None
                   for h in step(result, 2).request.headers) is says


def test_a_cookie_name_without_a_part_of_letters_and_digits_stays_as_recorded():
    result = conv(
        entry("/", response_headers=[("Set-Cookie", f"XSRF-TOKEN={TOKEN}")], body="<p>x</p>"),
        api("/api/a", headers=[("X-XSRF-TOKEN", TOKEN)], response={"ok": True}))
    (cookie,) = step(result, 2).generated
    assert cookie.name_template is None
    assert all(h.name_template is None for h in step(result, 2).request.headers)


@pytest.mark.parametrize("name", ["ikiwiki_session_Zoo%20wiki", "sess%2Dab12cd", "app%5F2fa8"])
def test_a_percent_escape_in_a_cookie_s_name_is_no_part_the_server_chose(name: str) -> None:
    """ikiwiki names its session cookie by the wiki's name, escaped: ``ikiwiki_session_Zoo%20wiki``.
    "20wiki" (an escape's digits, then a word) is not a part the server named per instance: the
    cookie is read by its whole recorded name, with no ``cookie_name_part``. A part between
    the separators ``-``, ``_``, ``.`` still is (``CSRF-Token-V2P2U``, above)."""
    result = conv(
        entry("/", response_headers=[("Set-Cookie", f"{name}={TOKEN}; Path=/")],
              body="<p>x</p>"),
        api("/api/a", "POST", headers=[("X-Session", TOKEN)], json_body={"x": 1},
            response={"ok": True}))
    (cookie,) = step(result, 2).generated
    assert (cookie.kind, cookie.name, cookie.name_template) == ("cookie", name, None)
    assert "cookie_name_part" not in result.code


def test_a_cookie_named_by_the_server_s_port_is_read_by_the_live_port():
    """OctoPrint names its cookies by its port (``csrf_token_P5000``: a host's cookies are
    shared by all its ports) and its script sends the value back in ``X-CSRF-Token``. A
    replay on another port gets another name, of another length too (``P46575`` → ``P5123``):
    the part is the live port of ``--host`` (``live_port``), read once, not a part of six
    characters read by its shape; the variable is named without it."""
    origin = "http://127.0.0.1:46575"
    for name, template in (("csrf_token_P46575", ("csrf_token_P", "46575", "")),
                           ("session-46575", ("session-", "46575", "")),
                           ("remember.46575.id", ("remember.", "46575", ".id"))):
        result = _on(
            entry("/", response_headers=[("Set-Cookie", f"{name}={TOKEN}")], body="<p>ui</p>"),
            api("/api/login", "POST", headers=[("X-CSRF-Token", TOKEN)],
                json_body={"user": "a"}, response={"name": "a"}),
            api("/api/files", "POST", headers=[("X-CSRF-Token", TOKEN)],
                json_body={"x": 1}, response={"done": True}), origin=origin)
        port, cookie = step(result, 2).generated
        assert (port.kind, port.recorded) == ("port", "46575"), name
        before, _, after = template
        assert cookie.name_template == ir.Template(ir.merge_parts(
            [before, ir.VarRef(port.var), after])), name
        assert [g.kind for g in step(result, 3).generated] == ["cookie"]  # the port: once
        (row,) = [c for c in result.report.correlations if c["var"] == port.var]
        assert (row["how"], row["used_by"]) == ("the port of --host", [2, 3])
        assert f"self.{port.var} = live_port(self)" in result.code
        assert "cookie_name_part" not in result.code and "46575" not in name.join(
            result.code.split("live_port(self)")[1:2]).split("def ")[0]
        if name.startswith("csrf_token"):
            assert cookie.var == "csrf_token"  # not csrf_token_p46575


def test_a_port_inside_another_part_is_no_port():
    """The port's digits inside a longer number or glued to a word: no port (the name as
    before)."""
    origin = "http://127.0.0.1:46575"
    for name in ("sid_146575", "tokenP46575x", "csrf_token_P465750"):
        result = _on(
            entry("/", response_headers=[("Set-Cookie", f"{name}={TOKEN}")], body="<p>ui</p>"),
            api("/api/login", "POST", headers=[("X-CSRF-Token", TOKEN)],
                json_body={"user": "a"}, response={"ok": True}), origin=origin)
        assert "port" not in [g.kind for g in step(result, 2).generated], name


def _on(*entries: dict, origin: str):
    """``conv`` of the entries moved to ``origin``."""
    for e in entries:
        e["request"]["url"] = origin + e["request"]["url"][len(ORIGIN):]
    return conv(*entries)


@pytest.mark.parametrize(("host", "port"), [("http://127.0.0.1:5123", "5123"),
                                            ("http://octopi.local", "80"),
                                            ("https://octopi.local/", "443")])
def test_the_live_port_is_the_host_s_or_its_scheme_s(host, port):
    assert runtime.live_port(SimpleNamespace(host=host)) == port


def _jar_user(*names: str) -> SimpleNamespace:
    jar = CookieJar()
    for name in names:
        jar.set_cookie(Cookie(0, name, "v", None, False, "127.0.0.1", False, False, "/", True,
                              False, None, False, None, None, {}))
    fired: list[dict] = []
    return SimpleNamespace(client=SimpleNamespace(cookiejar=jar), fired=fired, environment=(
        SimpleNamespace(events=SimpleNamespace(request=SimpleNamespace(
            fire=lambda **kw: fired.append(kw))))))


def test_cookie_name_part_reads_the_live_name_or_fails_the_step():
    shape = r"CSRF\-Token\-([A-Z0-9]{5})"
    assert runtime.cookie_name_part(_jar_user("sessionid-CLM3V", "CSRF-Token-CLM3V"), shape,
                                    "step 2") == "CLM3V"
    assert runtime.cookie_name_part(_jar_user("auth0_session"), r"auth0_session".replace(
        "auth0", "([a-z0-9]{5})"), "step 2") == "auth0"  # a fixed name matches its own shape
    for names in ((), ("CSRF-Token-AAAA1", "CSRF-Token-BBBB2")):
        user = _jar_user(*names)
        with pytest.raises(runtime.RescheduleTask):
            runtime.cookie_name_part(user, shape, "step 2 GET /rest/config")
        assert f"step 2 GET /rest/config: {len(names)} cookies named like" in str(
            user.fired[0]["exception"])


def test_from_cookie_reads_the_jar_of_either_user_class():
    jar = CookieJar()
    jar.set_cookie(Cookie(0, "csrftoken", "live-value-123", None, False, "127.0.0.1", False,
                          False, "/", True, False, None, False, None, None, {}))
    fast = SimpleNamespace(client=SimpleNamespace(cookiejar=jar))
    http = SimpleNamespace(client=SimpleNamespace(cookies=jar))
    assert runtime.from_cookie(fast, "csrftoken", "step 2") == "live-value-123"
    assert runtime.from_cookie(http, "csrftoken", "step 2") == "live-value-123"
    fired = []
    missing = SimpleNamespace(client=SimpleNamespace(cookiejar=CookieJar()), environment=(
        SimpleNamespace(events=SimpleNamespace(request=SimpleNamespace(
            fire=lambda **kw: fired.append(kw))))))
    with pytest.raises(runtime.RescheduleTask):
        runtime.from_cookie(missing, "csrftoken", "step 2 POST /x")
    assert "step 2 POST /x: no cookie csrftoken" in str(fired[0]["exception"])


# --- 2. values in a redirect's query and fragment, and in links' queries ----------------------


def test_an_authorization_code_in_a_location_query_and_a_token_in_a_fragment():
    code, access = "SplxlOBeZQQYbYS6WxSbIA", "2YotnFZFEjr1zCsicMWpAA"
    result = conv(
        entry("/authorize", "POST", status=302, form=[("ok", "1")], response_headers=[
            ("Location", f"http://app.test/callback?code={code}&state=xyz")]),
        entry("/callback?code=" + code + "&state=xyz", body="<p>cb</p>"),
        api("/token", "POST", form=[("code", code), ("grant_type", "authorization_code")],
            response={"ok": True}),
        entry("/implicit", status=302, response_headers=[
            ("Location", f"/app#access_token={access}&token_type=bearer")]),
        api("/api/me", headers=[("Authorization", f"Bearer {access}")], response={"ok": 1}))
    e = extraction(result, 1)
    assert (e.kind, e.decode) == ("location", "url")
    assert re.search(e.expr, f"/callback?code={code}&state=xyz").group(1) == code
    assert query(step(result, 2), "code") == ir.Template((ir.VarRef(e.var),))
    body = step(result, 3).request.body
    assert dict(body.fields)["code"] == ir.Template((ir.VarRef(e.var),))
    assert dict(body.fields)["grant_type"] == ir.Template.literal("authorization_code")
    token = extraction(result, 4)
    assert re.search(token.expr, f"/app#access_token={access}&token_type=bearer").group(1) \
        == access


@pytest.mark.parametrize("amp", ["&amp;", "&#038;", "&#38;"])
def test_a_nonce_in_a_link_query_written_with_entities(amp):
    nonce = "4f48a1c9e2"
    html = f'<a href="/logout?next=%2Fhome{amp}_nonce={nonce}">Log out</a>'
    result = conv(page("/list", html), entry(f"/logout?next=%2Fhome&_nonce={nonce}",
                                             body="<p>ok</p>"))
    e = extraction(result, 1)
    assert e.kind == "regex" and found_by_regex(e, result.scenario.steps[0].response.text) \
        == nonce
    assert query(step(result, 2), "_nonce") == ir.Template((ir.VarRef(e.var),))
    assert query(step(result, 2), "next") == ir.Template.literal("/home")


def test_a_nonce_in_an_html_fragment_returned_by_xhr():
    nonce = "9a8b7c6d5e"
    fragment = f'<tr><td><a href="/task?id=12&amp;_nonce={nonce}">delete</a></td></tr>'
    result = conv(entry("/rows", body=fragment, resource_type="fetch"),
                  entry(f"/task?id=12&_nonce={nonce}", body="<p>ok</p>"))
    e = extraction(result, 1)
    assert (e.kind, e.expr, e.anchors) == ("link", "_nonce", (("id", "12"),))
    resp = type("R", (), {"text": fragment})()
    assert runtime.from_link(resp, "step 1", "nonce", "_nonce", e.anchors) == nonce


# --- 3. tokens inside inline scripts and embedded JSON ----------------------------------------


@pytest.mark.parametrize("where", ["form", "query", "json", "multipart"])
def test_a_js_string_token_ending_in_plus_backslash_survives_every_encoding(where):
    value = "ab12/cd+ef\\"
    script = '<script>window.app = {"csrfToken":"ab12\\/cd\\u002Bef\\\\"};</script>'
    if where == "form":
        use = entry("/save", "POST", form=[("token", value)], body="<p>ok</p>")
    elif where == "query":
        from urllib.parse import quote_plus
        use = entry("/save?token=" + quote_plus(value), body="<p>ok</p>")
    elif where == "json":
        use = api("/save", "POST", json_body={"token": value}, response={"ok": 1})
    else:
        use = entry("/save", "POST", raw=(
            "multipart/form-data; boundary=XyZ",
            f'--XyZ\r\nContent-Disposition: form-data; name="token"\r\n\r\n{value}\r\n--XyZ--\r\n'),
            body="<p>ok</p>")
    result = conv(page("/", script), use)
    e = extraction(result, 1)
    assert (e.kind, e.decode, e.recorded) == ("regex", "js", value)
    assert found_by_regex(e, result.scenario.steps[0].response.text) == value
    assert ir.VarRef(e.var) in [p for t in _templates(step(result, 2)) for p in t.parts] or \
        any(getattr(r, "name", None) == e.var for t in _templates(step(result, 2))
            for r in t.refs())


def _templates(s: ir.Step) -> list[ir.Template]:
    body = s.request.body
    out = [q.value for q in s.request.query]
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        out += [v for _, v in body.fields]
    elif isinstance(body, ir.JsonBody):
        out += [ir.Template((leaf,)) if isinstance(leaf, ir.VarRef) else leaf
                for leaf in ir.json_leaves(body.value) if isinstance(leaf, (ir.VarRef,
                                                                            ir.Template))]
    return out


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))
@settings(max_examples=200, derandomize=True)
def test_js_unescape_undoes_json_and_javascript_escaping(text):
    assert js_unescape(json.dumps(text)[1:-1]) == text
    assert runtime.js_string(json.dumps(text)[1:-1]) == text
    assert js_unescape(json.dumps(text, ensure_ascii=False).replace("/", "\\/")[1:-1]) == text


def test_json_in_a_data_attribute_and_a_json_script():
    a, b = "k1Lm2Nop3Qr4St5U", "z9Yx8Wv7Ut6Sr5Qp"
    data = json.dumps({"props": {"csrf": a}}).replace('"', "&quot;")
    html = (f'<div id="app" data-page="{data}"></div>'
            f'<script type="application/json" id="boot">{json.dumps({"nonce": b})}</script>')
    result = conv(page("/", html),
                  api("/api/x", "POST", headers=[("X-CSRF", a), ("X-Nonce", b)],
                      json_body={}, response={"ok": 1}))
    by_value = {e.recorded: e for e in step(result, 1).extractions}
    assert by_value[a].path == ("props", "csrf") and by_value[b].path == ("nonce",)
    tree = lxml_html.fromstring(result.scenario.steps[0].response.text)
    assert json.loads(tree.xpath(by_value[a].expr)[0])["props"]["csrf"] == a
    assert "from_json_island(" in result.code


# --- 4. values shown as page text -------------------------------------------------------------


def test_an_api_key_shown_in_a_pre_element():
    key = "k_93fa0c1d2e3f4a5b"
    result = conv(page("/account", f'<h1>Your key</h1><pre id="api-key">\n  {key}\n</pre>'),
                  api("/api/items", headers=[("X-Flask-API-Key", key)], response={"ok": 1}))
    e = extraction(result, 1)
    assert e.expr == "normalize-space(//pre[@id='api-key'])"
    tree = lxml_html.fromstring(result.scenario.steps[0].response.text)
    assert tree.xpath(e.expr) == key
    assert header(step(result, 2), "X-Flask-API-Key") == ir.Template((ir.VarRef(e.var),))


def test_words_shown_as_text_are_not_sources():
    result = conv(page("/", "<td>administrator</td><td>Weekly</td>"),
                  api("/api/x", "POST", json_body={"role": "administrator"}, response={"ok": 1}))
    assert step(result, 1).extractions == ()


# --- 5. short ids under compound keys, and the creator of an object --------------------------


def test_a_short_id_under_a_compound_key_is_sent_back_under_another_name():
    result = conv(api("/api/items", "POST", json_body={"title": "t"},
                      response={"itemid": 734, "userid": 3}),
                  api("/api/items?parent=734", response={"ok": 1}),
                  api("/api/bulk", "POST", json_body={"ids": [734]}, response={"ok": 1}))
    e = extraction(result, 1, "itemid")
    assert query(step(result, 2), "parent") == ir.Template((ir.VarRef(e.var),))
    assert step(result, 3).request.body.value == {"ids": [ir.VarRef(e.var)]}


def test_the_created_id_wins_over_an_older_equal_constant():
    result = conv(
        page("/new", '<form><input type="hidden" name="issues" value="1"></form>'),
        entry("/items", "POST", form=[("issues", "1"), ("title", "x")], status=302,
              response_headers=[("Location", "/items/1")]),
        api("/api/items/1", response={"id": 1, "title": "x"}),
        api("/api/items/1", "DELETE", response={"ok": True}),
        entry("/items", "POST", form=[("issues", "1"), ("title", "y")], body="<p>ok</p>"))
    e = extraction(result, 2)
    assert e.kind == "location" and e.recorded == "1"
    assert step(result, 4).request.path.parts[-1] == ir.VarRef(e.var)
    assert dict(step(result, 5).request.body.fields)["issues"] == ir.Template.literal("1")


def test_an_object_id_comes_from_the_create_not_from_a_later_list():
    result = conv(api("/graphql", "POST", json_body={"operationName": "CreateNote"},
                      response={"data": {"createNote": {"id": "4821"}}}),
                  api("/graphql", "POST", json_body={"operationName": "Notes"},
                      response={"data": {"notes": [{"id": "4821"}, {"id": "77"}]}}),
                  api("/graphql", "POST", json_body={"operationName": "DeleteNote",
                                                     "variables": {"id": "4821"}},
                      response={"data": {"deleteNote": True}}))
    assert extraction(result, 1).path == ("data", "createNote", "id")
    assert step(result, 2).extractions == ()


# --- 5b. values in a URL a JSON body hands out --------------------------------------------------


def test_an_id_in_a_url_a_json_body_hands_out_is_read_from_that_url():
    """Livewire's ``effects.redirect``, a checkout's ``redirect``: the page's script goes to the
    URL, and the short code in it (under no id's name) comes back later."""
    result = conv(
        api("/api/orders", "POST", json_body={"sku": 1}, response={
            "ok": True, "effects": {"redirect": "http://app.test/orders/A7K2/confirmation?ref=Q9"}}),
        entry("/orders/A7K2/confirmation?ref=Q9", body="<p>thanks</p>"),
        api("/api/orders/A7K2", response={"state": "paid"}))
    e = extraction(result, 1)
    assert (e.kind, e.path, e.recorded, e.var) == ("json", ("effects", "redirect"), "A7K2",
                                                   "order_id")
    assert step(result, 2).request.path.parts == ("/orders/", ir.VarRef(e.var), "/confirmation")
    assert query(step(result, 2), "ref") == ir.Template.literal("Q9")  # short, no id's name
    assert step(result, 3).request.path.parts == ("/api/orders/", ir.VarRef(e.var))
    assert "self.order_id = from_json_url(" in result.code
    # the script's helper finds it in the live body, without the scheme and host
    resp = type("R", (), {"text": json.dumps({"effects": {"redirect": "https://x.test/orders/"
                                                            "B8M3/confirmation"}}),
                          "headers": {}, "status_code": 200})()
    found = runtime.from_json_url(resp, "step 1", e.var, e.path, re.compile(e.expr))
    assert found == "B8M3"


def test_a_token_in_a_json_url_query_is_read_from_that_url():
    upload = "https://uploads.app.test/u/7?X-Amz-Signature=9f8e7d6c5b4a39281706&ok=1"
    result = conv(api("/api/uploads", "POST", json_body={"name": "a.png"},
                      response={"upload_url": upload}),
                  entry("/u/7?X-Amz-Signature=9f8e7d6c5b4a39281706&ok=1", "PUT",
                        raw=("image/png", "x"), body=""))
    e = extraction(result, 1, "x_amz_signature")
    assert (e.kind, e.decode) == ("json", "url")
    assert query(step(result, 2), "X-Amz-Signature") == ir.Template((ir.VarRef(e.var),))


def test_a_value_that_is_a_json_leaf_itself_is_read_as_the_leaf():
    result = conv(api("/api/notes", "POST", json_body={"t": 1}, response={
                      "links": {"self": "/api/notes/48213"}, "id": 48213}),
                  api("/api/notes/48213", response={"ok": 1}))
    assert extraction(result, 1).path == ("id",)


def test_json_urls_hand_out_no_route_word_version_or_constant_the_client_sent():
    result = conv(api("/api/v2/session", "POST", json_body={"u": "a"}, response={
                      "home": "/api/v2/home", "avatar": "//cdn.test/a/123456789.png",
                      "next": "/api/v2/items?page=2&limit=50"}),
                  api("/api/v2/home", response={"ok": 1}),
                  api("/api/v2/items?page=2&limit=50", response={"ok": 1}),
                  api("/a/123456789/avatar", response={"ok": 1}))
    assert [s.extractions for s in result.scenario.steps] == [(), (), (), ()]


# --- 5c. values in URLs other response headers name ---------------------------------------------


@pytest.mark.parametrize(("name", "value", "url"), [
    ("HX-Redirect", "/contacts/57", "/contacts/57"),  # htmx: the browser goes there
    ("HX-Location", '{"path": "/contacts/57", "target": "#main"}', "/contacts/57"),
    ("X-Inertia-Location", "http://app.test/contacts/57", "http://app.test/contacts/57"),
    ("Operation-Location", "/api/operations/57", "/api/operations/57"),  # a job to poll
    ("Content-Location", "/contacts/57?v=2", "/contacts/57?v=2"),
    ("Refresh", "0; URL='/contacts/57'", "/contacts/57"),
    # Next.js's server action that redirected; React's script goes there
    ("x-action-redirect", "/contacts/57;push", "/contacts/57"),
    ("x-action-redirect", "/contacts/57?tab=2;replace", "/contacts/57?tab=2"),
    ("X-Remix-Redirect", "/contacts/57", "/contacts/57"),  # Remix, React Router
    ("X-Up-Location", "/contacts/57", "/contacts/57"),  # Unpoly
    # Icinga Web 2 answers an XHR's redirect so: rawurlencode(absolute URL)
    ("X-Icinga-Redirect", "http%3A%2F%2Fapp.test%2Fcontacts%2F57%3Ftab%3D2",
     "http://app.test/contacts/57?tab=2"),
    ("X-Redirect", "/contacts/57", "/contacts/57"),  # any other "…-redirect" header
])
def test_an_id_in_a_url_another_response_header_names(name: str, value: str, url: str):
    result = conv(entry("/contacts", "POST", form=[("n", "a")], body="<p>saved</p>",
                        response_headers=[(name, value)]),
                  entry(url.removeprefix("http://app.test"), body="<p>contact</p>"))
    e = extraction(result, 1)
    assert (e.kind, e.header, e.recorded) == ("location", name, "57")
    assert ir.VarRef(e.var) in step(result, 2).request.path.parts
    assert f"self.{e.var} = from_header_url(" in result.code
    # the script's helper reads the live header the same way
    live = value.replace("57", "58")
    if name.endswith("-Redirect"):  # a 2xx answer naming where the script goes: checked
        assert any(c.kind == "redirect_header" for c in step(result, 1).checks)
    resp = type("R", (), {"headers": {name: live}, "text": "", "status_code": 200})()
    assert runtime.from_header_url(resp, "step 1", e.var, name, re.compile(e.expr)) == "58"


def test_a_value_a_server_action_returned_in_its_rsc_answer_is_read_again():
    """Next.js answers a server action (and a ``<Link>``) with an RSC payload: rows of JSON
    after an id. What the action returned is found by its key, as in a script; the action's own
    id (the ``Next-Action`` header, a hash the build fixed, which the page's payload also
    names under "id") is never correlated."""
    action = "40a788a69c12e42881c87ea72fcefaa4bce301b54d"
    note = "Vx93kQpL2mZr8TtY"
    rsc = ('0:{"a":"$@1","f":"","b":"QdIJk5r1QSgXMwRxRcPrR"}\n'
           f'1:{{"id":"{note}","title":"milk"}}\n')
    result = conv(
        entry("/notes", body=f'<form><script>self.__next_f.push([1,"{{\\"id\\":\\"{action}'
                             '\\"}"])</script></form>'),
        entry("/notes", "POST", headers=[("Next-Action", action)], raw=("text/plain", "[]"),
              mime="text/x-component", body=rsc),
        entry(f"/notes/{note}", "POST", headers=[("Next-Action", action)],
              raw=("text/plain", f'["{note}"]'), mime="text/x-component", body="0:{}"),
    )
    e = extraction(result, 2)
    assert (e.kind, e.recorded, e.var) == ("regex", note, "id")
    assert found_by_regex(e, rsc) == note
    assert step(result, 3).request.path.parts == ("/notes/", ir.VarRef("id"))
    assert all(header(step(result, n), "Next-Action") == ir.Template.literal(action)
               for n in (2, 3))
    assert step(result, 1).extractions == ()


@pytest.mark.parametrize("name", ["Refresh", "HX-Location", "HX-Redirect", "refresh",
                                  "x-action-redirect", "X-Icinga-Redirect"])
@given(value=st.text(st.sampled_from(list("0123456789 ;,.=:/'\"{}[]urlURLpath-xsecr%3AF2h")),
                     max_size=40))
@settings(max_examples=150, derandomize=True, deadline=None)
def test_the_script_reads_a_header_url_as_the_conversion_did(name: str, value: str):
    from har2locust_plus.stages.correlate.location import header_url

    assert runtime.header_url(name, value) == header_url(name, value)


def test_a_header_url_that_is_no_url_hands_out_nothing():
    result = conv(entry("/contacts", "POST", form=[("n", "a")], body="<p>saved</p>",
                        response_headers=[("Refresh", "30"), ("HX-Location", "{bad json 57")]),
                  entry("/contacts/57", body="<p>contact</p>"))
    assert step(result, 1).extractions == ()


# --- 6. false correlations ----------------------------------------------------------------------


def test_page_1_is_not_a_user_id_and_small_flags_stay_literal():
    result = conv(api("/api/login", "POST", json_body={"u": "a"},
                      response={"user": {"id": 1, "hour": 15}, "token": TOKEN}),
                  api("/api/list?page=1&interval=15&trashed=1", headers=[
                      ("Authorization", f"Bearer {TOKEN}")], response={"ok": 1}))
    s = step(result, 2)
    for name, value in (("page", "1"), ("interval", "15"), ("trashed", "1")):
        assert query(s, name) == ir.Template.literal(value)


def test_route_words_in_a_location_are_not_sources():
    result = conv(entry("/accounts/login/", "POST", form=[("u", "a")], status=302,
                        response_headers=[("Location", "/accounts/profile/callback")]),
                  entry("/accounts/profile/callback", body="<p>x</p>"))
    assert step(result, 1).extractions == ()
    assert step(result, 2).request.path == ir.Template.literal("/accounts/profile/callback")


@pytest.mark.parametrize("code", ["ED3HP", "LDEGQ"])
def test_two_values_in_one_location_path_are_each_read_whatever_the_other_is(code: str):
    """pretix's order page, /order/<code>/<secret>/: the secret's regex may not hold the
    recorded code (a fresh server's order has another: the flow stopped at its confirmation),
    nor be named after it (``ed3hp_id``); a code of capitals without a digit is one too."""
    secret = "vosd88gqz7nb0g6u"
    result = conv(entry("/conf/checkout/confirm/", "POST", form=[("ok", "1")], status=302,
                        response_headers=[("Location", f"/conf/order/{code}/{secret}/?thanks=1")]),
                  entry(f"/conf/order/{code}/{secret}/?thanks=1", body="<p>Thank you!</p>"))
    extractions = step(result, 1).extractions
    assert [e.var for e in extractions] == ["order_id", "order_id_2"]
    live = "/conf/order/Q7XK2/0a1b2c3d4e5f6g7h/?thanks=1"
    assert [re.search(e.expr, live).group(1) for e in extractions] == [
        "Q7XK2", "0a1b2c3d4e5f6g7h"]
    assert step(result, 2).request.path == ir.Template((
        "/conf/order/", ir.VarRef("order_id"), "/", ir.VarRef("order_id_2"), "/"))


@pytest.mark.parametrize(("segment", "value"), [
    ("LDEGQ", True), ("API", False), ("FAQ", False), ("Order", False), ("orders", False)])
def test_a_code_in_capitals_in_a_json_answer_s_url_is_read(segment: str, value: bool):
    """pretix's checkout answers its script {"redirect": "/conf/order/LDEGQ/<secret>/"}; a
    route word in capitals (shorter than five letters) or a word is no value."""
    url = f"/conf/{segment}/p8xekd8htjbelx82/"
    result = conv(api("/conf/checkout/confirm/", "POST", form=[("ok", "1")],
                      response={"ready": True, "redirect": url + "?thanks=1"}),
                  entry(url + "?thanks=1", body="<p>Thank you!</p>"))
    found = {e.recorded for e in step(result, 1).extractions}
    assert found == ({segment, "p8xekd8htjbelx82"} if value else {"p8xekd8htjbelx82"})


LOST_CODE, LOST_SECRET = "P9CJ7", "j905cckvevt09e5a"


def _after_a_lost_answer(*between: dict, path: str = f"/conf/order/{LOST_CODE}/{LOST_SECRET}/",
                         method: str = "POST", before: tuple[dict, ...] = ()):
    """pretix's checkout as a DevTools export holds it: the order's XHR answered JSON whose
    body the browser dropped (the page left at once), then the page that answer named."""
    return conv(*before, page("/conf/checkout/confirm/", "<form method=post></form>"),
                api("/conf/checkout/confirm/", method, form=[("ok", "1")] if method == "POST"
                    else None),
                *between, entry(path + ("" if "?" in path else "?thanks=1"),
                                body="<p>Thank you!</p>"))


def test_the_ids_of_a_page_an_answer_not_recorded_named_are_read_by_the_url_s_shape():
    """Read from that answer's live body, where its JSON names the URL (with its slashes
    escaped or not); the conversion says so."""
    result = _after_a_lost_answer()
    extractions = step(result, 2).extractions
    assert [(e.var, e.kind, e.recorded) for e in extractions] == [
        ("order_id", "regex", LOST_CODE), ("order_id_2", "regex", LOST_SECRET)]
    for body in ('{"ready": true, "redirect": "/conf/order/KK9X9/0a1b2c3d4e5f6g7h/?thanks=1"}',
                 '{"redirect":"http:\\/\\/shop.test\\/conf\\/order\\/KK9X9\\/0a1b2c3d4e5f6g7h\\/"}'):
        assert [re.search(e.expr, body).group(1) for e in extractions] == [
            "KK9X9", "0a1b2c3d4e5f6g7h"], body
    assert step(result, 3).request.path == ir.Template((
        "/conf/order/", ir.VarRef("order_id"), "/", ir.VarRef("order_id_2"), "/"))
    warnings = [d.message for d in result.scenario.diagnostics]
    assert any(m.startswith(f"step 3 goes to a page whose path holds {LOST_CODE}") and
               "the answer of step 2 (POST /conf/checkout/confirm/) is not in the recording"
               in m for m in warnings), warnings


def test_a_query_value_of_a_page_an_answer_not_recorded_named_is_read_from_it():
    """``/conf/done?order=<token>`` after the lost answer: the parameter's value in the live
    answer (``&`` also as JSON may escape it), decoded as a query's."""
    token = "4f7aZ9c2e1b8Qx0d"
    result = _after_a_lost_answer(path=f"/conf/done/?lang=en&order={token}")
    e = extraction(result, 2)
    assert (e.var, e.kind, e.recorded, e.decode) == ("order", "regex", token, "url")
    for body in ('{"redirect": "/conf/done/?lang=en&order=Kx81aZ0bq3Ty7P2m"}',
                 '{"redirect": "/conf/done/?lang=en\\u0026order=Kx81aZ0bq3Ty7P2m"}'):
        assert re.search(e.expr, body).group(1) == "Kx81aZ0bq3Ty7P2m", body
    assert query(step(result, 3), "order") == ir.Template((ir.VarRef("order"),))
    assert query(step(result, 3), "lang") == ir.Template.literal("en")


@pytest.mark.parametrize("case", ["a short number", "held by a recorded answer",
                                  "another write in between", "a GET's answer",
                                  "a path, no token", "no page", "the page after"])
def test_a_value_after_an_answer_not_recorded_is_left_as_recorded_unless_only_it_can_hold_it(
        case: str):
    """A short number (a JSON id, not a URL, is as likely); a value a recorded answer holds
    (it comes from there, or nowhere); a page after another write (not that answer's page);
    a GET's answer (the page's own polling) are no such source."""
    path = f"/conf/order/{LOST_CODE}/{LOST_SECRET}/"
    if case == "a short number":
        result = _after_a_lost_answer(path="/notes/4711/")
    elif case == "held by a recorded answer":
        shown = page("/conf/", f"<p>{LOST_CODE}: {LOST_SECRET}</p>")
        result = _after_a_lost_answer(before=(shown,))
    elif case == "another write in between":
        result = _after_a_lost_answer(api("/conf/log", "POST", form=[("a", "b")],
                                          response={"ok": True}))
    elif case == "a GET's answer":
        result = _after_a_lost_answer(method="GET")
    elif case == "a path, no token":  # an Akamai pixel's lost answer, then the page's own
        result = _after_a_lost_answer(path="/load/?endpoint=/api/component/footer-promo")
    elif case == "the page after":  # the answer named the first page, not the second
        result = _after_a_lost_answer(page("/conf/thanks/", "<p>Thanks</p>"))
    else:  # the page's script's next call, not a page the answer named
        result = conv(page("/conf/", "<p>x</p>"),
                      api("/conf/checkout/confirm/", "POST", form=[("ok", "1")]),
                      api(f"/conf/api/orders/{LOST_CODE}/{LOST_SECRET}", response={"a": 1}))
    rows = result.scenario.extra["correlations"]
    assert all(row["how"] != "URL in an answer not recorded" for row in rows), rows
    assert not any("is not in the recording" in d.message
                   for d in result.scenario.diagnostics)
    if case in ("another write in between", "a GET's answer", "the page after"):
        assert step(result, len(result.scenario.steps)).request.path == \
            ir.Template.literal(path)


def test_a_location_extraction_that_fails_quotes_the_location():
    """The step's failure says what came instead of the value: the Location the server sent
    (not "with an empty body", which a redirect always has)."""
    fired = []
    resp = SimpleNamespace(headers={"Location": "/conf/?require_cookie=true"}, status_code=302,
                           text="", content=b"", __dict__={},
                           failure=lambda message: fired.append(message))
    pattern = re.compile(r"^/conf/order/[^/?#]+/([^/?#]+)")
    with pytest.raises(runtime.RescheduleTask):
        runtime.from_location(resp, "step 8 POST /conf/checkout/confirm/", "order_id_2",
                              pattern)
    assert fired == ["step 8 POST /conf/checkout/confirm/: order_id_2 not found in its "
                     "Location '/conf/?require_cookie=true'"]


def test_constants_in_scripts_and_button_labels_are_not_sources():
    html = ('<script>var cfg = {grant_type: "authorization_code", client_id: "my-spa-client"};'
            '</script><form><input type="submit" name="go" value="Sign in now"></form>')
    result = conv(page("/", html),
                  entry("/token", "POST", form=[("grant_type", "authorization_code"),
                                                ("client_id", "my-spa-client"),
                                                ("go", "Sign in now")], body="<p>ok</p>"))
    assert step(result, 1).extractions == ()


# --- 7. client-made values inside longer strings ----------------------------------------------


def test_an_epoch_inside_a_name_is_made_fresh():
    name = f"Report {EPOCH_S * 1000 + 123}"
    result = conv(api("/api/reports", "POST", json_body={"name": name, "n": "x1"},
                      response={"ok": 1}))
    value = step(result, 1).request.body.value["name"]
    assert isinstance(value, ir.Template) and value.parts[0] == "Report "
    (generated,) = step(result, 1).generated
    assert generated.kind == "epoch_ms" and value.parts[1] == ir.VarRef(generated.var)


# --- 8. each iteration a new user -------------------------------------------------------------


@pytest.mark.parametrize(("user_class", "jar"), [("fast", "self.client.cookiejar.clear()"),
                                                 ("http", "self.client.cookies.clear()")])
def test_each_iteration_starts_with_an_empty_cookie_jar(user_class, jar):
    entries = (entry("/", body="<p>x</p>"), entry("/b", body="<p>y</p>"))
    code = conv(*entries, user_class=user_class).code
    journey = code.split("def journey(self):")[1].split("def ")[0]
    assert journey.index(jar) < journey.index("self.")  + len(jar) + 1
    assert jar not in conv(*entries, user_class=user_class,
                           new_user_each_iteration=False).code


def test_a_nonce_per_object_is_read_from_the_link_of_that_object():
    rows = ('<a href="/task?id=9001&amp;action=trash&amp;_nonce=aa11bb22cc">Trash</a>'
            '<a href="/task?id=1725&amp;action=trash&amp;_nonce=6811d240c7">Trash</a>')
    result = conv(entry("/tasks", "POST", form=[("title", "x")], status=302,
                        response_headers=[("Location", "/tasks/1725")]),
                  page("/tasks", rows),
                  entry("/task?id=1725&action=trash&_nonce=6811d240c7", body="<p>ok</p>"))
    task = extraction(result, 1)
    nonce = extraction(result, 2)
    assert nonce.kind == "link" and nonce.expr == "_nonce"
    assert nonce.anchors == (("id", ir.VarRef(task.var)), ("action", "trash"))
    assert query(step(result, 3), "_nonce") == ir.Template((ir.VarRef(nonce.var),))
    # at run time: the link of the object this user created, not the first row
    page_now = "<html><body>" + rows.replace("1725", "4242") + "</body></html>"
    resp = type("R", (), {"text": page_now})()
    assert runtime.from_link(resp, "step 2", "nonce", "_nonce",
                             (("id", 4242), ("action", "trash"))) == "6811d240c7"
    assert re.search(r'from_link\(\s*resp,\s*"step 2 GET /tasks",\s*"nonce",\s*"_nonce",\s*'
                     r'\(\("id", self\.task_id\), \("action", "trash"\)\)', result.code)


def test_fresh_epoch_ms_never_repeats_in_a_process():
    """Users that name objects "Report <ms>" in the same millisecond must not collide."""
    from har2locust_plus.runtime.data import fresh_epoch_ms

    values = [fresh_epoch_ms() for _ in range(2000)]
    assert len(set(values)) == 2000 and values == sorted(values)
    code = conv(api("/api/r", "POST", json_body={"name": f"Report {EPOCH_S * 1000 + 5}"},
                    response={"ok": 1})).code
    assert "fresh_epoch_ms()" in code and "def fresh_epoch_ms():" in code


def test_a_nonce_link_named_by_a_name_the_client_made_is_found_by_that_name():
    """MediaWiki's logout link ``?title=…&returnto=Zoo+note+<epoch ms>&…``: an anchor that holds
    a value the client made up (not whole) is matched with that value as sent this run."""
    made = EPOCH_S * 1000 + 321
    links = (f'<a href="/logout?returnto=Report+1700000000000&amp;_nonce=0ld0ld0ld0">x</a>'
             f'<a href="/logout?returnto=Report+{made}&amp;_nonce=n0nce9f8e7d">Log out</a>')
    result = conv(api("/api/reports", "POST", json_body={"name": f"Report {made}"},
                      response={"ok": 1}),
                  page("/reports", links),
                  entry(f"/logout?returnto=Report+{made}&_nonce=n0nce9f8e7d", body="<p>ok</p>"))
    (generated,) = step(result, 1).generated
    nonce = extraction(result, 2)
    assert nonce.kind == "link" and nonce.expr == "_nonce"
    assert nonce.anchors == (("returnto", ir.Template(("Report ", ir.VarRef(generated.var)))),)
    assert query(step(result, 3), "_nonce") == ir.Template((ir.VarRef(nonce.var),))
    assert f'(("returnto", f"Report {{self.{generated.var}}}"),)' in result.code
    # at run time: the link of the name made this run
    resp = type("R", (), {"text": "<html><body>" + links.replace(str(made), "1799999999999")
                                  + "</body></html>"})()
    assert runtime.from_link(resp, "step 2", "nonce", "_nonce",
                             (("returnto", "Report 1799999999999"),)) == "n0nce9f8e7d"


def test_an_anchor_made_up_after_the_link_page_stays_as_recorded():
    made = EPOCH_S * 1000 + 654
    links = f'<a href="/go?ref=Report+{made}&amp;_nonce=n0nce1a2b3c">Go</a>'
    result = conv(page("/reports", links),
                  api("/api/reports", "POST", json_body={"name": f"Report {made}"},
                      response={"ok": 1}),
                  entry(f"/go?ref=Report+{made}&_nonce=n0nce1a2b3c", body="<p>ok</p>"))
    assert extraction(result, 1).anchors == (("ref", f"Report {made}"),)


@pytest.mark.parametrize("value", ["Special:UserLogout", "UserLogout", "urn:ietf:params:oauth",
                                   "mediawiki.action.edit", "HTTPServerError"])
def test_names_in_a_namespace_and_camel_case_names_are_words(value):
    from har2locust_plus.stages.correlate.sources import token_like

    assert not token_like(value)
    result = conv(page("/", f'<a href="/index.php?title={value}&amp;returnto=Main+Page1">x</a>'
                            f'<input type="hidden" name="grant" value="{value}">'),
                  entry(f"/index.php?title={value}&returnto=Main+Page1", body="<p>ok</p>"))
    assert step(result, 1).extractions == ()


@pytest.mark.parametrize("value", ["QwErTyUiOpAsDfGh", "aBcDeFgHiJkLmNoP", "Ab:Cd:Ef:Gh:Ij:Kl1"])
def test_a_random_mix_of_cases_is_still_a_token(value):
    from har2locust_plus.stages.correlate.sources import token_like

    assert token_like(value)


# --- short ids handed out only in links --------------------------------------------------------


def _list_then_open(rows: str, opened: str, *more: dict):
    return conv(entry("/admin/tickets/ticket/add/", "POST", form=[("title", "x")], status=302,
                      response_headers=[("Location", "/admin/tickets/ticket/")]),
                page("/admin/tickets/ticket/", rows),
                entry(opened, body="<p>ok</p>"), *more)


def test_a_short_id_only_in_a_followed_link_is_read_from_the_first_link_of_its_shape():
    """Django's admin: the add redirects to the list, whose "was added" message links the new
    ticket before the list's rows (oldest first: other users' tickets)."""
    rows = ('<ul class="messagelist"><li><a href="/admin/tickets/ticket/2236/change/">new</a>'
            '</li></ul><a href="/admin/tickets/ticket/add/">Add</a>'
            '<input type="checkbox" name="_selected_action" value="1017">'
            '<a href="/admin/tickets/ticket/1017/change/">Bob 1</a>')
    result = _list_then_open(rows, "/admin/tickets/ticket/2236/change/",
                             entry("/admin/tickets/ticket/2236/delete/", "POST",
                                   form=[("post", "yes")], body="<p>gone</p>"))
    ticket = extraction(result, 2)
    assert (ticket.var, ticket.kind) == ("ticket_id", "regex")
    assert step(result, 3).request.path == ir.Template(
        ("/admin/tickets/ticket/", ir.VarRef("ticket_id", "raw"), "/change/"))
    assert step(result, 4).request.path.parts[1] == ir.VarRef("ticket_id", "raw")
    live = rows.replace("2236", "5150")
    assert re.search(ticket.expr, live).group(1) == "5150"


def test_a_followed_link_beats_a_list_checkbox_of_the_same_page():
    rows = ('<a href="/admin/tickets/ticket/2236/change/">new</a>'
            '<input type="checkbox" name="_selected_action" value="2236">')
    result = _list_then_open(rows, "/admin/tickets/ticket/2236/change/")
    assert extraction(result, 2).kind == "regex"  # the link, not //input[@name=...]


@pytest.mark.parametrize(("rows", "opened"), [
    # the first link of that shape is another page: the one clicked is no source of its own
    ('<a href="/blog/page/1/">1</a><a href="/blog/page/2/">2</a>', "/blog/page/2/"),
    # relative links and percent-encoded paths are not read
    ('<a href="2236/change/">new</a>', "/admin/tickets/ticket/2236/change/"),
    ('<a href="/admin/t%C3%A9/2236/">new</a>', "/admin/t%C3%A9/2236/"),
])
def test_a_short_id_in_a_link_that_is_not_the_first_of_its_shape_stays_literal(rows, opened):
    result = _list_then_open(rows, opened)
    assert step(result, 2).extractions == ()
    assert step(result, 3).request.path.is_literal


def test_the_creator_still_wins_over_a_link_to_the_object():
    result = conv(entry("/things", "POST", form=[("t", "x")], status=302,
                        response_headers=[("Location", "/things/4711")]),
                  page("/things/4711", '<a href="/things/4711/edit">Edit</a>'),
                  entry("/things/4711/edit", body="<p>ok</p>"))
    assert step(result, 3).request.path.parts[1] == ir.VarRef(extraction(result, 1).var, "raw")
    assert step(result, 2).extractions == ()


def test_a_catalog_id_in_a_link_is_read_by_the_links_name_not_its_place():
    """Only the page answering an unsafe request (or its redirect's target) hands out a short
    id by the first link of its shape, and only an id no page showed before: elsewhere the
    first link of a shape may be another item next time. A catalog's link is found by its
    name instead (the recorded id where the live page has no link of that name)."""
    sidebar = '<a href="/products/1418">Lamp</a><a href="/products/944">Desk</a>'
    browsed = conv(page("/", sidebar), entry("/products/1418", body="<p>lamp</p>"))
    e = extraction(browsed, 1)
    assert (e.kind, e.path) == ("named_link", ("Lamp",))
    reviewed = conv(page("/", sidebar),
                    entry("/products/944/reviews", "POST", form=[("stars", "5")], status=302,
                          response_headers=[("Location", "/products/944/reviews/77")]),
                    page("/products/944/reviews/77", sidebar),
                    entry("/products/1418", body="<p>lamp</p>"))
    # each from the page the click was made from (no Referer here: the page right before),
    # by its name, not as the made page's first link of the shape
    assert [(x.kind, x.path, x.used_by) for x in step(reviewed, 1).extractions] == [
        ("named_link", ("Desk",), (2, 3))]
    assert [(x.kind, x.path, x.used_by) for x in step(reviewed, 3).extractions] == [
        ("named_link", ("Lamp",), (4,))]


# --- htmx: JSON in hx-headers, URLs in hx-* attributes and formaction ---------------------------


def test_a_csrf_token_in_hx_headers_is_read_from_that_json():
    token = "IjRhY2YxZTk0NzYi.aw-gXg.csf_4ClvDBYZ"
    result = conv(entry("/board", body=f"<!DOCTYPE html><html><head><title>t</title></head>"
                                       f"<body hx-headers='{{\"X-CSRFToken\": \"{token}\"}}'>"
                                       f"<p>x</p></body></html>"),
                  entry("/cards", "POST", form=[("title", "x")], headers=[("X-CSRFToken", token)],
                        body="<li>x</li>"))
    e = extraction(result, 1)
    assert (e.kind, e.expr, e.path) == ("xpath", "(//*[@hx-headers])[1]/@hx-headers",
                                        ("X-CSRFToken",))
    assert header(step(result, 2), "X-CSRFToken") == ir.Template((ir.VarRef(e.var),))


@pytest.mark.parametrize("attr", ["hx-delete", "hx-get", "data-hx-put", "formaction"])
def test_a_short_id_in_an_htmx_or_formaction_url_of_a_created_fragment(attr):
    tag = "button"
    fragment = f'<li id="card-2145"><{tag} {attr}="/cards/2145/x">Go</{tag}></li>'
    result = conv(entry("/cards", "POST", form=[("title", "x")], body=fragment),
                  entry("/cards/2145/x", "DELETE", body=""))
    assert step(result, 2).request.path.parts[1] == ir.VarRef(extraction(result, 1).var, "raw")


def test_the_script_reads_nonce_links_from_the_attributes_the_conversion_read():
    from har2locust_plus.stages.correlate.html import URL_ATTRS

    page_now = ("<html><body><button hx-post=\"/task?id=7&amp;_nonce=n0nce1234a\">x</button>"
                "<button formaction=\"/task?id=8&amp;_nonce=n0nce5678b\">y</button></body></html>")
    resp = type("R", (), {"text": page_now})()
    assert runtime.from_link(resp, "s", "v", "_nonce", (("id", 8),)) == "n0nce5678b"
    assert runtime.from_link(resp, "s", "v", "_nonce", (("id", 7),)) == "n0nce1234a"
    import inspect
    source = inspect.getsource(runtime.from_link)
    assert all(f"//@{attr}" in source for attr in URL_ATTRS)


@pytest.mark.parametrize("element", [
    '<meta http-equiv="Refresh" content="0; URL=\'/jobs/4711/status\'">',
    '<iframe src="/jobs/4711/status"></iframe>',
    '<frameset><frame src="/jobs/4711/status"></frameset>',
    '<map name="m"><area shape="rect" coords="0,0,9,9" href="/jobs/4711/status"></map>',
])
def test_a_short_id_in_a_refresh_frame_or_area_url_of_a_created_page(element):
    result = conv(entry("/jobs", "POST", form=[("kind", "export")],
                        body=f"<html><head>{element}</head><body>x</body></html>"),
                  entry("/jobs/4711/status", body="<p>done</p>"))
    assert step(result, 2).request.path.parts[1] == ir.VarRef(extraction(result, 1).var, "raw")


def test_a_ticket_in_a_frame_url_is_read_at_run_time_from_that_frame():
    page_now = ('<html><body><iframe src="/viewer?doc=7&amp;ticket=a8f3k2l9q0"></iframe>'
                '<iframe src="/viewer?doc=8&amp;ticket=b7e2j1k8p9"></iframe></body></html>')
    resp = type("R", (), {"text": page_now})()
    assert runtime.from_link(resp, "s", "v", "ticket", (("doc", 8),)) == "b7e2j1k8p9"


# --- XML bodies: SOAP, JSF partial responses, S3-style results ---------------------------------

SOAP_LOGIN = ('<?xml version="1.0" encoding="utf-8"?>'
              '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
              '<soap:Body><LoginResponse xmlns="urn:shop"><SessionId>S3ss10n-7f3a9c2e81</SessionId>'
              '<UserId>4711</UserId></LoginResponse></soap:Body></soap:Envelope>')
JSF_PARTIAL = ('<?xml version=\'1.0\' encoding=\'UTF-8\'?>\n<partial-response id="j_id1"><changes>'
               '<update id="form:grid"><![CDATA[<table><tr><td>x</td></tr></table>]]></update>'
               '<update id="j_id1:javax.faces.ViewState:0"><![CDATA[-642038453954:-19067189384]]>'
               '</update></changes></partial-response>')


def _xml(path: str, text: str, method: str = "POST", **kwargs) -> dict:
    return entry(path, method, mime="text/xml; charset=utf-8", body=text,
                 resource_type="xhr", **kwargs)


def test_a_soap_session_id_and_a_short_user_id_are_read_from_the_envelope():
    call = ('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>'
            '<SessionId>S3ss10n-7f3a9c2e81</SessionId></soap:Header><soap:Body><GetOrders>'
            '<UserId>4711</UserId></GetOrders></soap:Body></soap:Envelope>')
    result = conv(_xml("/soap", SOAP_LOGIN, raw=("text/xml", "<Login/>")),
                  _xml("/soap", "<ok/>", raw=("text/xml", call)))
    session = extraction(result, 1, "session_id")
    user = extraction(result, 1, "user_id")
    assert (session.kind, session.expr) == ("xml", "string((//*[local-name()='SessionId'])[1])")
    assert user.expr == "string((//*[local-name()='UserId'])[1])"
    assert step(result, 2).request.body.text.parts == (
        call[:call.index("S3ss")], ir.VarRef("session_id"),
        call[call.index("</SessionId>"):call.index("4711")], ir.VarRef("user_id"),
        call[call.index("</UserId>"):])
    assert "from_xml(" in result.code and "etree.XPath(" in result.code
    # the script reads the live envelope, whatever its namespace prefixes
    live = SOAP_LOGIN.replace("soap:", "s:").replace(":soap=", ":s=").replace("4711", "5150")
    resp = type("R", (), {"text": live, "headers": {}})()
    assert runtime.from_xml(resp, "s", "v", etree.XPath(user.expr)) == "5150"


def test_a_short_value_in_an_xml_request_stays_literal_under_a_counting_name():
    result = conv(_xml("/soap", SOAP_LOGIN, raw=("text/xml", "<Login/>")),
                  _xml("/soap", "<ok/>", raw=("text/xml", "<GetOrders><Page>4711</Page>"
                                                           "</GetOrders>")))
    assert step(result, 2).request.body.text.is_literal


def test_a_jsf_view_state_is_read_from_its_update_by_id():
    result = conv(_xml("/app/orders.xhtml", JSF_PARTIAL),
                  entry("/app/orders.xhtml", "POST",
                        form=[("javax.faces.ViewState", "-642038453954:-19067189384")],
                        body="<p>x</p>"))
    e = extraction(result, 1)
    assert (e.var, e.kind) == ("view_state", "xml")
    assert e.expr == ("string(//*[local-name()='update']"
                      "[@id='j_id1:javax.faces.ViewState:0'])")
    resp = type("R", (), {"text": JSF_PARTIAL.replace("642038453954", "111"), "headers": {}})()
    assert runtime.from_xml(resp, "s", "v", etree.XPath(e.expr)) == "-111:-19067189384"


def test_an_s3_upload_id_is_read_and_xml_that_is_no_xml_hands_out_nothing():
    started = ('<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult '
               'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k.bin</Key>'
               '<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>'
               '</InitiateMultipartUploadResult>')
    upload = "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
    result = conv(_xml("/b/k.bin?uploads", started),
                  entry(f"/b/k.bin?partNumber=1&uploadId={upload}", "PUT",
                        raw=("application/octet-stream", "x"), body=""))
    assert extraction(result, 1).var == "upload_id"
    broken = conv(_xml("/b/k.bin?uploads", started[:-20]),
                  entry(f"/b/k.bin?partNumber=1&uploadId={upload}", "PUT",
                        raw=("application/octet-stream", "x"), body=""))
    assert step(broken, 1).extractions == ()
    failures: list[str] = []
    resp = type("R", (), {"text": "<not xml", "headers": {}, "failure": failures.append,
                          "status_code": 200, "error": None})()
    with pytest.raises(runtime.RescheduleTask):
        runtime.from_xml(resp, "step 1", "upload_id", etree.XPath("string(//x)"))
    assert failures == ["upload_id not found in step 1"]


# --- cookies the page's script set -----------------------------------------------------------


def test_a_cookie_no_response_sets_is_put_into_the_jar_before_it_is_sent():
    """``document.cookie = "tz=…"``: the jar would never hold it; session-like names (a browser
    used before the recording) are left out, and each value is set once, again when it changes."""
    login = entry("/", body="<p>x</p>",
                  response_headers=[("Set-Cookie", "sessionid=s3ss10nabcdef12; Path=/")])
    sent = "sessionid=s3ss10nabcdef12; tz=Europe%2FBerlin; consent=all; laravel_session=old"
    result = conv(login,
                  entry("/prefs", "POST", form=[("a", "b")], headers=[("Cookie", sent)],
                        body="<p>y</p>"),
                  entry("/more", headers=[("Cookie", sent)], body="<p>z</p>"),
                  entry("/again", headers=[("Cookie", sent.replace("all", "none"))],
                        body="<p>z</p>"))
    assert [(g.kind, g.name, g.recorded) for g in step(result, 2).generated] == [
        ("set_cookie", "tz", "Europe%2FBerlin"), ("set_cookie", "consent", "all")]
    assert step(result, 3).generated == ()
    assert [(g.name, g.recorded) for g in step(result, 4).generated] == [("consent", "none")]
    assert 'set_cookie(self, "tz", "Europe%2FBerlin")' in result.code
    assert "from http.cookiejar import Cookie" in result.code
    # the report names the requests that sent each value (it named none)
    uses = {(row["var"], row["source_step"]): row["used_by"]
            for row in result.report.correlations}
    assert uses[("tz", 2)] == [2, 3, 4] and uses[("consent", 2)] == [2, 3]
    assert uses[("consent", 4)] == [4]


def test_a_double_submit_token_the_client_made_is_made_fresh_and_sent_as_the_jar_holds_it():
    token = "7b0f3d2e-9c41-4a57-8e6b-2f1d0c9a8b7e"
    result = conv(entry("/", body="<p>x</p>", response_headers=[("Set-Cookie", "lang=en")]),
                  api("/api/save", "POST", json_body={"a": 1}, response={"ok": 1},
                      headers=[("Cookie", f"XSRF-TOKEN={token}"), ("X-XSRF-TOKEN", token)]))
    made, set_jar, read = step(result, 2).generated
    assert (made.kind, set_jar.kind, set_jar.var) == ("uuid4", "set_cookie", made.var)
    assert read.kind == "cookie" and header(step(result, 2), "X-XSRF-TOKEN").parts == (
        ir.VarRef(read.var),)


@pytest.mark.parametrize("client", ["fast", "http"])
@pytest.mark.parametrize(("host", "domain"), [
    ("http://127.0.0.1:8089", "127.0.0.1"), ("http://localhost:8089", "localhost.local"),
    ("https://Shop.Example.com", "shop.example.com"), ("http://[::1]:8089", "[::1].local"),
    ("http://user:pw@app:80", "app.local")])
def test_set_cookie_puts_the_cookie_into_either_jar_for_the_host_under_test(client, host,
                                                                            domain):
    from http.cookiejar import CookieJar

    import requests

    jar = CookieJar() if client == "fast" else requests.Session().cookies
    session = SimpleNamespace(cookiejar=jar) if client == "fast" else SimpleNamespace(cookies=jar)
    user = SimpleNamespace(client=session, host=host)
    runtime.set_cookie(user, "tz", "UTC")
    runtime.set_cookie(user, "tz", "Europe%2FBerlin")
    assert [(c.name, c.value, c.domain) for c in jar] == [("tz", "Europe%2FBerlin", domain)]
    request = urllib.request.Request(host.replace("user:pw@", "") + "/board")
    jar.add_cookie_header(request)
    assert request.get_header("Cookie") == "tz=Europe%2FBerlin"
    other = urllib.request.Request("http://elsewhere.test/board")
    jar.add_cookie_header(other)
    assert other.get_header("Cookie") is None


def test_no_cookie_is_set_from_a_recording_without_set_cookie_nor_a_servers_csrf_cookie():
    sent = "tz=UTC; csrftoken=Zq8sT0k3nFr0mB3f0r3Th3R3c0rd1ng"
    bare = conv(entry("/", body="<p>x</p>"),
                entry("/a", headers=[("Cookie", sent)], body="<p>y</p>"))
    assert step(bare, 2).generated == ()  # an exporter that dropped Set-Cookie (sanitized)
    kept = conv(entry("/", body="<p>x</p>", response_headers=[("Set-Cookie", "lang=en")]),
                entry("/a", headers=[("Cookie", sent)], body="<p>y</p>"))
    assert [g.name for g in step(kept, 2).generated] == ["tz"]


def _jwt(seed: str) -> str:
    return f"eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySWQiOiIxIiwic2VlZCI6Ii{seed}In0.Q2xr8mZ{seed}pT3v"


def test_a_token_the_login_answered_that_the_script_keeps_in_a_cookie_comes_from_the_answer():
    """Strapi's admin panel: ``POST /admin/login`` answers ``{"data": {"token": …}}`` (and sets
    an HttpOnly refresh cookie); the panel's script keeps the token in a ``jwtToken`` cookie
    and sends it as ``Authorization: Bearer``. No response sets ``jwtToken``: the script's jar
    never holds it, so the header is read from the login's answer, and the cookie is put into
    the jar from that same variable (before this, every request after the login failed:
    "no cookie jwtToken")."""
    token = _jwt("Zk3p")
    sent = [("Cookie", f"refresh=r3fr3shT0k3nValue99; jwtToken={token}"),
            ("Authorization", f"Bearer {token}")]
    result = conv(
        page("/admin", "<div id=app></div>"),
        api("/admin/login", "POST", json_body={"email": "a@b.c", "password": "pw-secret-1"},
            response={"data": {"token": token}},
            response_headers=[("Set-Cookie", "refresh=r3fr3shT0k3nValue99; Path=/admin; "
                               "HttpOnly")]),
        api("/admin/users/me", headers=sent, response={"data": {"firstname": "Alice"}}),
        api("/admin/notes", headers=sent, response={"data": []}))
    [read] = step(result, 2).extractions
    assert (read.kind, read.path) == ("json", ("data", "token"))
    for number in (3, 4):
        assert header(step(result, number), "Authorization").parts == (
            "Bearer ", ir.VarRef(read.var))
    [jar] = step(result, 3).generated
    assert (jar.kind, jar.name, jar.var) == ("set_cookie", "jwtToken", read.var)
    assert step(result, 4).generated == ()  # the same value: set once
    assert "from_cookie" not in result.code.split("\ndef ")[0]
    assert f'set_cookie(self, "jwtToken", self.{read.var})' in result.code


def test_a_session_cookie_the_script_set_with_a_value_from_before_the_recording_stays_out():
    """The same cookie holding a token no response of the recording handed out (a browser
    signed in before the recording started): not put into the jar, as before."""
    token = _jwt("Old1")
    result = conv(
        page("/", "<p>x</p>", response_headers=[("Set-Cookie", "lang=en")]),
        api("/api/me", headers=[("Cookie", f"jwtToken={token}")], response={"ok": 1}))
    assert step(result, 2).generated == ()


@pytest.mark.parametrize("placeholder", ["null", "undefined", "None", "[object Object]"])
def test_a_bearer_placeholder_before_the_login_is_no_secret(placeholder):
    """``Authorization: Bearer null``: the panel's script sends what it has before the login,
    JavaScript's null as text (in a key header or an ``api_key`` parameter alike). Nothing to
    ask the user for (the script demanded a ``--bearer-token`` and stopped at its start):
    sent as recorded."""
    result = conv(
        page("/admin", "<div id=app></div>"),
        api("/admin/init?api_key=" + quote_plus(placeholder),
            headers=[("Authorization", f"Bearer {placeholder}"), ("X-Api-Key", placeholder)],
            response={"data": {}}))
    assert result.scenario.secrets == ()
    assert header(step(result, 2), "Authorization") == ir.Template.literal(
        f"Bearer {placeholder}")
    assert header(step(result, 2), "X-Api-Key") == ir.Template.literal(placeholder)
    assert query(step(result, 2), "api_key") == ir.Template.literal(placeholder)
    # a real key in the same places stays a secret (the rule is the placeholders, not places)
    real = conv(page("/admin", "<div id=app></div>"),
                api("/admin/init?api_key=k3yV4lu3", response={"data": {}}))
    assert [s.kind for s in real.scenario.secrets] == ["api key"]


def test_the_server_s_words_are_sent_as_recorded_not_read_from_a_list_of_them():
    """Strapi's schemas name each content type by a key (``"api::note.note": {…}``), and lists
    repeat the name (``contentTypes[0].uid``, ``permissions[0].subject``); every later request
    has it in its path. The app's vocabulary, the same on any server: no variable, and no
    read by a list's position (which another server's order would break); a leaf whose own
    path spells its value is none either. An id used as a key (digits) stays a value."""
    uid = "api::note.note"
    doc = "k2v9x4mq7r1tz8wb3n6pj5ds"
    result = conv(
        page("/admin", "<div id=app></div>"),
        api("/admin/permissions", response={"data": [{"subject": uid, "action": "read"}]}),
        api("/admin/meta", response={"data": {"schemas": {
            uid: {"attributes": {"locale": {"target": uid}}},
            "plugin::i18n.locale": {"plugin": "i18n"}}}}),
        api("/content-manager/init", response={"data": {"contentTypes": [{"uid": uid}]}}),
        api("/i18n/locales", response=[]),
        api(f"/content-manager/collection-types/{uid}", "POST", json_body={"title": "t"},
            status=201, response={"data": {"documentId": doc}}),
        api(f"/content-manager/collection-types/{uid}/{doc}", response={"data": {}}),
        api("/api/by-id", response={"byId": {"17024": {"title": "t"}}, "ids": [17024]}),
        api("/api/things/17024", response={}))
    assert step(result, 5).request.path == ir.Template.literal("/i18n/locales")
    assert step(result, 6).request.path == ir.Template.literal(
        f"/content-manager/collection-types/{uid}")
    [made] = step(result, 6).extractions
    assert step(result, 7).request.path.parts == (
        f"/content-manager/collection-types/{uid}/", ir.VarRef(made.var))
    for number in (2, 3, 4):
        assert step(result, number).extractions == ()
    assert step(result, 9).request.path.parts[-1] == ir.VarRef(
        step(result, 8).extractions[0].var)


# --- WordPress: return addresses, one key in several script objects, fragments ----------------


@pytest.mark.parametrize("address", ["http://127.0.0.1:8089/zoo-post-1796195270714/",
                                     "/zoo-post-1796195270714/", "//127.0.0.1:8089/p/12/"])
def test_a_return_address_in_a_nonce_link_is_no_anchor(address):
    """WordPress's "Log out?" link ``wp-login.php?action=logout&redirect_to=<this page>&
    _wpnonce=…``: digits in the return address (the port, the post's name) do not make it the
    link of an object; the nonce is read from the page nearest to its use."""
    from urllib.parse import quote

    nonce = "fb7340d631"
    bar = f"<a href='/wp-login.php?action=logout&#038;_wpnonce={nonce}'>Log Out</a>"
    expired = (f'<a href="/wp-login.php?action=logout&amp;redirect_to={quote(address, safe="")}'
               f'&amp;_wpnonce={nonce}">Log out?</a>')
    result = conv(page("/zoo-post-1796195270714/", expired + bar),
                  page("/wp-admin/edit.php", bar),
                  entry(f"/wp-login.php?action=logout&_wpnonce={nonce}", body="<p>bye</p>"))
    assert step(result, 1).extractions == ()
    e = extraction(result, 2)
    assert e.kind == "regex" and e.anchors == () and found_by_regex(e, bar) == nonce
    assert query(step(result, 3), "_wpnonce") == ir.Template((ir.VarRef(e.var),))


def test_a_nonce_link_of_an_object_keeps_its_id_anchor_and_drops_its_return_address():
    rows = ('<a href="/post.php?post=4711&amp;action=trash&amp;redirect_to=%2Fedit.php%3Fp%3D2'
            '&amp;_wpnonce=024bde2c05">Trash</a>')
    result = conv(entry("/post-new.php", "POST", form=[("t", "x")], status=302,
                        response_headers=[("Location", "/post.php?post=4711&action=edit")]),
                  page("/edit.php", rows),
                  entry("/post.php?post=4711&action=trash&_wpnonce=024bde2c05", body="<p>ok</p>"))
    nonce = extraction(result, 2)
    assert nonce.kind == "link"
    assert [k for k, _ in nonce.anchors] == ["post", "action"]


def test_a_key_repeated_in_several_script_objects_is_found_by_its_object():
    """``wp_localize_script`` writes one ``var <name> = {…};`` per script: the dashboard has
    ``wpApiSettings = {"nonce": A}`` before ``communityEventsData = {"nonce": B}``; a request
    that sends B reads it from its object, not from the first ``"nonce"`` of the page."""
    rest, events = "2f984ef65d", "b1b4af5888"
    scripts = (f'<script>var wpApiSettings = {{"root":"http:\\/\\/h\\/wp-json\\/",'
               f'"nonce":"{rest}","versionString":"wp\\/v2\\/"}};</script>'
               f'<script id="dashboard-js-extra">\nvar communityEventsData = {{"nonce":"{events}",'
               f'"cache":"","time_format":"g:i a"}};\n</script>')
    result = conv(page("/wp-admin/", scripts),
                  entry("/wp-admin/admin-ajax.php", "POST",
                        form=[("_wpnonce", events), ("action", "get-community-events")],
                        body="{}"),
                  api("/wp-json/wp/v2/posts/9", "POST", headers=[("X-WP-Nonce", rest)],
                      json_body={"title": "x"}, response={"id": 9}))
    by_value = {e.expr: e for e in step(result, 1).extractions}
    [owned] = [e for e in by_value.values() if "communityEventsData" in e.expr]
    [first] = [e for e in by_value.values() if "communityEventsData" not in e.expr]
    text = f"<html><body>{scripts}</body></html>"
    assert found_by_regex(owned, text) == events and found_by_regex(first, text) == rest
    assert form_field(step(result, 2), "_wpnonce") == ir.Template((ir.VarRef(owned.var),))
    assert header(step(result, 3), "X-WP-Nonce") == ir.Template((ir.VarRef(first.var),))
    # a live page whose objects hold other values, in the same places
    live = text.replace(rest, "0a0a0a0a0a").replace(events, "1b1b1b1b1b")
    assert found_by_regex(owned, live) == "1b1b1b1b1b"


def test_a_key_repeated_in_a_script_with_no_named_object_stays_literal():
    scripts = ('<script>f({"nonce":"2f984ef65d"}); g({"nonce":"b1b4af5888"});</script>')
    result = conv(page("/", scripts),
                  entry("/ajax", "POST", form=[("_wpnonce", "b1b4af5888")], body="{}"))
    assert step(result, 1).extractions == ()
    assert form_field(step(result, 2), "_wpnonce").is_literal


@pytest.mark.parametrize("location", ["http://h:1/zoo-post-17/#comment-3", "/zoo-post-17/#c",
                                      "/zoo-post-17/?replytocom=2#respond"])
def test_a_redirect_check_ignores_the_fragment(location):
    """``wp-comments-post.php`` answers 302 to ``/<post>/#comment-<id>``: the fragment stays in
    the browser, so the recorded route is checked without it."""
    from har2locust_plus.stages.checks import location_pattern

    resp = type("R", (), {"url": "http://h:1/wp-comments-post.php", "status_code": 302,
                          "headers": {"Location": location}})()
    pattern = location_pattern("http://h:1/zoo-post-1796195489047/#comment-2", "http://h:1")
    assert re.fullmatch(pattern, runtime.redirect_to(resp, location))


# --- Referer: the page as requested this run --------------------------------------------------


def _referer(s: ir.Step) -> ir.Template:
    return header(s, "Referer")


def test_a_referer_naming_a_page_of_the_flow_is_that_page_as_requested_this_run():
    """Trac's logout (and many "back to where you were" answers) redirects to the Referer: a
    recorded ticket id there names nothing on a fresh server."""
    result = conv(entry("/newticket", "POST", form=[("summary", "x")], status=303,
                        response_headers=[("Location", f"{ORIGIN}/ticket/18736")]),
                  entry("/ticket/18736", body="<p>ticket</p>"),
                  entry("/logout", "POST", form=[("logout", "")], status=303,
                        headers=[("Referer", f"{ORIGIN}/ticket/18736")],
                        response_headers=[("Location", f"{ORIGIN}/ticket/18736")]))
    ticket = extraction(result, 1)
    assert _referer(step(result, 3)).parts == (ir.HostRef(), "/ticket/",
                                               ir.VarRef(ticket.var))
    assert f'"Referer": f"{{self.origin}}/ticket/{{self.{ticket.var}}}"' in result.code


def test_a_referer_with_a_correlated_query_value_is_percent_encoded_like_the_url():
    token = "Zk3pQ9xW2vL7nB4m+/="
    result = conv(page("/", f'<a href="/search?t={quote_plus(token)}&amp;q=1">s</a>'),
                  entry(f"/search?t={quote_plus(token)}&q=1", body="<p>r</p>"),
                  entry("/more", headers=[("Referer", f"{ORIGIN}/search?t={quote_plus(token)}"
                                                     "&q=1")], body="<p>m</p>"))
    live = ir.request_url(step(result, 2).request, ORIGIN)
    assert not live.is_literal
    assert _referer(step(result, 3)).parts == (ir.HostRef(), *live.parts)


def test_a_referer_naming_a_literal_page_or_no_page_of_the_flow_stays_as_recorded():
    result = conv(entry("/about", body="<p>a</p>"),
                  entry("/x", headers=[("Referer", f"{ORIGIN}/about")], body="<p>x</p>"),
                  entry("/y", headers=[("Referer", f"{ORIGIN}/never-requested/17")],
                        body="<p>y</p>"),
                  entry("/z", headers=[("Referer", "https://elsewhere.example/17")],
                        body="<p>z</p>"))
    assert _referer(step(result, 2)).parts == (ir.HostRef(), "/about")
    assert _referer(step(result, 3)).parts == (ir.HostRef(), "/never-requested/17")
    assert _referer(step(result, 4)).is_literal


@pytest.mark.parametrize("key", ["post_id", "parent_id", "id"])
def test_zero_names_no_object(key):
    """WordPress's comment form has ``comment_parent=0`` ("no parent"); the media library then
    asks for ``post_id=0`` ("not attached"): the same zero is no value handed out."""
    result = conv(page("/post/", '<input type="hidden" name="comment_parent" value="0">'
                                 '<input type="hidden" name="thread_id" value="00">'),
                  entry("/ajax", "POST", form=[(key, "0"), ("thread", "00")], body="{}"))
    assert step(result, 1).extractions == ()
    assert form_field(step(result, 2), key).is_literal


def test_a_form_value_naming_a_page_of_the_flow_is_that_page_as_requested_this_run():
    """WordPress's forms post ``_wp_http_referer`` (the page they were on) and redirect there;
    a ``return_to`` query value does the same."""
    result = conv(api("/wp-json/wp/v2/posts", "POST", json_body={"title": "x"},
                      response={"id": 8845}),
                  entry("/wp-admin/post.php?post=8845&action=edit", body="<p>edit</p>"),
                  entry("/wp-admin/post.php", "POST",
                        form=[("_wp_http_referer", "/wp-admin/post.php?post=8845&action=edit"),
                              ("note", "/wp-admin/post.php?post=1&action=edit")],
                        body="<p>saved</p>"),
                  entry("/login?return_to=%2Fwp-admin%2Fpost.php%3Fpost%3D8845%26action%3Dedit",
                        body="<p>login</p>"))
    post = extraction(result, 1)
    live = (ir.VarRef(post.var, "url"),)
    assert form_field(step(result, 3), "_wp_http_referer").parts == (
        "/wp-admin/post.php?post=", *live, "&action=edit")
    assert form_field(step(result, 3), "note").is_literal  # names no page of the flow
    assert query(step(result, 4), "return_to").parts == (
        "/wp-admin/post.php?post=", *live, "&action=edit")


@pytest.mark.parametrize("name", ["is_editing", "has_comments", "notify_enabled", "page"])
def test_a_short_value_from_a_flag_or_a_count_is_no_id(name):
    """Wagtail's editor has ``<input name="is_editing" value="1">``; its editing-session ping
    goes to ``…/page/4/1/``, where ``1`` is a session's id, not that flag."""
    result = conv(page("/admin/pages/4/edit/", f'<input type="checkbox" name="{name}" value="1">'),
                  entry("/admin/editing-sessions/ping/wagtailcore/page/4/1/", "POST",
                        form=[("x", "y")], body="{}"))
    assert step(result, 1).extractions == ()
    assert step(result, 2).request.path.is_literal


# --- URLs in data-* attributes (Stimulus values, data-url) -----------------------------------


def test_a_short_id_in_a_data_attribute_url_of_a_created_page():
    """Wagtail's editor pings ``data-w-swap-src-value``'s URL: the page id and the editing
    session's id, both handed out only there."""
    body = ('<html><body><form data-controller="w-swap" data-w-swap-src-value='
            '"/admin/editing-sessions/ping/wagtailcore/page/4711/93/">'
            '<input type="hidden" name="revision_id" value="93"></form></body></html>')
    result = conv(entry("/admin/pages/add/", "POST", form=[("title", "x")], body=body),
                  entry("/admin/editing-sessions/ping/wagtailcore/page/4711/93/", "POST",
                        form=[("is_editing", "1")], body="{}"))
    path = step(result, 2).request.path.parts
    assert [type(p) for p in path] == [str, ir.VarRef, str, ir.VarRef, str], path
    by_var = {e.var: e for e in step(result, 1).extractions}
    assert {by_var[p.name].kind for p in path if isinstance(p, ir.VarRef)} == {"regex"}
    live = body.replace("4711", "5150").replace("93", "17")
    assert [found_by_regex(by_var[p.name], live) for p in path
            if isinstance(p, ir.VarRef)] == ["5150", "17"]


def test_a_nonce_in_a_data_attribute_url_is_read_from_that_attribute():
    rows = ('<tr><td>7</td><td><button data-url="/task?id=7&amp;_nonce=n0nce1234a">x</button>'
            '</td></tr><tr><td>8</td><td><button data-url="/task?id=8&amp;_nonce=n0nce5678b">'
            'y</button></td></tr>')
    result = conv(page("/tasks", rows),
                  entry("/task?id=8&_nonce=n0nce5678b", "POST", form=[("done", "yes")],
                        body="<p>ok</p>"))
    (e,) = step(result, 1).extractions
    assert (e.kind, e.expr) == ("link", "_nonce")
    page_now = rows.replace("n0nce1234a", "fresh1234a").replace("n0nce5678b", "fresh5678b")
    resp = type("R", (), {"text": f"<html><body><table>{page_now}</table></body></html>"})()
    assert runtime.from_link(resp, "s", "v", "_nonce", e.anchors) == "fresh5678b"


def test_the_script_reads_the_data_attribute_urls_the_conversion_read():
    import inspect

    from har2locust_plus.stages.correlate.html import DATA_URL_XPATH

    source = inspect.getsource(runtime.from_link)
    flat = re.sub(r'"\s+"', "", source)  # the string's pieces joined
    assert DATA_URL_XPATH in flat
    tree = etree.fromstring('<div data-a="/x?n=1" data-b="{&quot;u&quot;: 1}" data-c="https://h/y"'
                            ' data-d="x/z" title="/t"/>')
    assert etree.XPath(DATA_URL_XPATH)(tree) == ["/x?n=1", "https://h/y"]


# --- one- and two-character values: only from a source of their name ------------------------


def _edit_then_ping(inputs: str, *before: dict):
    return conv(*before, page("/admin/pages/4711/edit/", f"<form>{inputs}</form>"),
                entry("/admin/ping/", "POST", form=[("revision_id", "2")], body="{}",
                      mime="application/json"))


def test_a_short_value_from_an_input_of_another_name_stays_literal():
    """Wagtail's editor: <input name=owner value=2> had become the ping's revision_id."""
    result = _edit_then_ping('<input type="hidden" name="owner" value="2">')
    assert step(result, 1).extractions == ()
    assert form_field(step(result, 2), "revision_id") == ir.Template.literal("2")


def test_a_short_value_from_an_input_of_its_name_is_read_even_if_sent_before():
    """The revision's "2" was sent before as another thing (the home page's /pages/2/)."""
    result = _edit_then_ping('<input type="hidden" name="owner" value="2">'
                             '<input type="hidden" name="revision_id" value="2">',
                             page("/admin/pages/2/", "<p>home</p>"))
    e = extraction(result, 2)
    assert (e.kind, e.expr) == ("xpath", "//input[@name='revision_id']/@value")
    assert form_field(step(result, 3), "revision_id") == ir.Template((ir.VarRef(e.var),))


@pytest.mark.parametrize(("source", "key", "place", "agree"), [
    ("revision_id", "revision_id", None, True),
    ("revisionId", "revision", None, True),
    ("page_id", "", "/pages", True),
    ("category_ids", "categories", None, False),  # "categorie": no plural rule for -ies here
    ("owner", "revision_id", None, False),
    ("page_id", "", "/4711", False),
    ("id", "", "/notes", False),
    ("id", "id", None, True),
])
def test_names_agree(source, key, place, agree):
    from har2locust_plus.stages.correlate.rank import names_agree

    assert names_agree(source, key, place) is agree


# --- ids in the one URL of its shape a page's script requests --------------------------------


def test_a_short_id_in_a_script_url_of_any_page_is_read_from_that_page():
    """Wagtail opens an editing session per editor load; its id (the second number) is only in
    the editor's data-w-swap-src-value, and the same digits were sent before as a page id."""
    def editor(session: str) -> dict:
        return page("/admin/pages/4711/edit/",
                    '<form data-w-swap-src-value="/admin/editing-sessions/ping/wagtailcore/'
                    f'page/4711/{session}/"></form>')

    ping = "/admin/editing-sessions/ping/wagtailcore/page/4711/{}/"
    result = conv(page("/admin/pages/2/", "<p>home</p>"), editor("1"),
                  entry(ping.format(1), "POST", body="{}", mime="application/json"),
                  editor("2"), entry(ping.format(2), "POST", body="{}", mime="application/json"))
    for ping_step, source_step in ((3, 2), (5, 4)):
        ref = step(result, ping_step).request.path.parts[-2]
        assert isinstance(ref, ir.VarRef), step(result, ping_step).request.path
        assert any(e.var == ref.name for e in step(result, source_step).extractions)


def test_an_id_in_a_script_url_that_is_not_the_only_one_of_its_shape_stays_literal():
    body = ('<div data-src="/api/cards/1/"></div><div data-src="/api/cards/2/"></div>')
    result = conv(page("/board", body), entry("/api/cards/2/", body="{}",
                                              mime="application/json"))
    assert step(result, 2).request.path.is_literal


# --- --unique on a slug -----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "joined"), [
    ("lunch-rota-for-the-keepers", "lunch-rota-for-the-keepers-"),
    ("lunch_rota", "lunch_rota_"),
    ("Lunch rota", "Lunch rota "),
    ("lunch", "lunch-"),  # one word in a field named as a slug: a slug still
])
def test_a_unique_suffix_keeps_a_slug_a_slug(value, joined):
    result = conv(page("/new", "<form></form>"),
                  entry("/pages", "POST", form=[("slug", value)], body="<p>ok</p>"),
                  unique_fields=("slug",))
    parts = form_field(step(result, 2), "slug").parts
    assert parts[0] == joined and isinstance(parts[1], ir.VarRef)


# --- a bare query parameter (a cache-buster) ---------------------------------------------------


def test_a_bare_query_parameter_stays_bare_and_its_epoch_is_made_fresh():
    """``&1796195493617``: written back without "=", and made fresh like ``_=<epoch ms>``."""
    ms = str(EPOCH_S * 1000 + 617)
    result = conv(api("/api/login", "POST", json_body={"u": "a"},
                      response={"token": "Zk3pQ9xW2vL7nB4mQ"}),
                  api(f"/api/items?token=Zk3pQ9xW2vL7nB4mQ&{ms}", response={"ok": 1}))
    token, buster = step(result, 2).request.query
    assert (buster.name, buster.bare) == ("", True)
    assert [type(p) for p in buster.value.parts] == [ir.VarRef]
    assert '&{quote_plus(str(self.' in result.code and f"{ms}=" not in result.code
    url = ir.request_url(step(result, 2).request, ORIGIN)
    assert ir.template_preview(url) == "/api/items?token={token}&{" + \
        buster.value.parts[0].name + "}"


def test_a_literal_bare_query_parameter_is_sent_as_recorded():
    result = conv(page("/search?q=zoo&debug", "<p>x</p>"))
    assert ir.request_url(step(result, 1).request, ORIGIN) == ir.Template.literal(
        "/search?q=zoo&debug")


# --- a followed link on a page of what exists, found by its name -----------------------------


SECTIONS = ('<a href="/admin/pages/4711/" aria-label="Explore child pages of \'Team notes\'">'
            '<span>Team</span> notes</a><a href="/admin/pages/4711/edit/">Edit</a>'
            '<a href="/admin/pages/4712/">Minutes</a><a href="/admin/pages/4713/">Edit</a>')


def _sections_then_open(rows: str, opened: str):
    return conv(page("/admin/pages/2/", rows), entry(opened, body="<p>ok</p>"))


@pytest.mark.parametrize("between", [
    [], [api("/api/counters", response={"unread": 3},
             headers=[("Referer", f"{ORIGIN}/admin/pages/2/")])],
    [api("/api/counters", response={"unread": 3}), api("/api/notify", response={"n": 0})]])
def test_a_link_clicked_after_the_page_s_own_calls_is_still_the_page_s(between):
    """The page's script calls its API after the page loads (counters, notifications, a poll)
    before the user clicks a link: the click's ``Referer`` names the page (the headers stage
    made it the host's), so the link is looked for on that page, not on the last call's
    answer, which on a fresh server left the clicked id as recorded."""
    result = conv(page("/admin/pages/2/", SECTIONS), *between,
                  entry("/admin/pages/4711/", body="<p>ok</p>",
                        headers=[("Referer", f"{ORIGIN}/admin/pages/2/")]))
    e = extraction(result, 1)
    assert (e.kind, e.path, e.recorded) == ("named_link", ("Team notes",), "4711")
    assert result.scenario.steps[-1].request.path.parts[1] == ir.VarRef(e.var, "raw")


@pytest.mark.parametrize(("referer", "read"), [
    ("/admin/pages/2/?deleted=1", True), ("/admin/pages/2/", True),
    ("/admin/pages/2/?page=2", False), ("/admin/pages/3/", False)])
def test_a_link_clicked_on_a_page_whose_script_dropped_its_query_is_the_page_s(referer, read):
    """A page whose script dropped parameters from its address (``history.replaceState``:
    a list after a delete, ``?deleted=1`` gone once its message showed) is the page a click's
    ``Referer`` names without them; a parameter the page's URL lacks, or another path, names
    another page, whose links are not this page's."""
    result = conv(page("/admin/pages/2/?deleted=1", SECTIONS),
                  api("/api/counters", response={"unread": 3}),
                  entry("/admin/pages/4711/", body="<p>ok</p>",
                        headers=[("Referer", f"{ORIGIN}{referer}")]))
    kinds = [e.kind for s in result.scenario.steps for e in s.extractions]
    assert kinds == (["named_link"] if read else []), referer


def test_a_click_whose_referer_names_no_recorded_page_is_the_next_request_s():
    """A ``Referer`` on the origin under test that names no page of the recording (the page
    was loaded before the recording started, or it is the request's own URL, as some tools
    write it) says nothing: the click is the previous page's, as without a ``Referer``."""
    for referer in ("/admin/pages/99/", "/admin/pages/4711/"):
        result = conv(page("/admin/pages/2/", SECTIONS),
                      entry("/admin/pages/4711/", body="<p>ok</p>",
                            headers=[("Referer", f"{ORIGIN}{referer}")]))
        assert [e.kind for e in step(result, 1).extractions] == ["named_link"], referer


def test_a_short_id_in_a_link_of_a_list_is_read_by_the_links_name():
    """Wagtail's explorer: bob's section, clicked by its name, has another id on a new server."""
    result = _sections_then_open(SECTIONS, "/admin/pages/4711/")
    e = extraction(result, 1)
    assert (e.kind, e.path, e.recorded) == ("named_link", ("Team notes",), "4711")
    assert step(result, 2).request.path.parts[1] == ir.VarRef(e.var, "raw")
    assert 'from_named_link(' in result.code and '"Team notes",' in result.code
    pattern = re.compile(e.expr)

    def live(rows: str) -> str:
        resp = type("R", (), {"text": f"<html><body>{rows}</body></html>"})()
        return runtime.from_named_link(resp, "s", e.var, pattern, "Team notes", "4711")

    assert live(SECTIONS.replace("4711", "5150")) == "5150"
    assert live('<a href="/admin/pages/9/" title="Team notes">x</a>') == "9"  # by its title
    assert live('<a href="/admin/pages/9/">Minutes</a>') == "4711"  # no such link: recorded
    assert live('<a href="/admin/pages/8/">Team notes</a><a href="/admin/pages/9/">'
                'Team notes</a>') == "4711"  # two objects of that name: recorded


@pytest.mark.parametrize(("rows", "why"), [
    ('<a href="/admin/pages/4711/">Notes</a><a href="/admin/pages/4712/">Notes</a>',
     "a name on two objects' links"),
    ('<a href="/admin/pages/4711/">Section 4711</a>', "the id in the name"),
    ('<a href="/admin/pages/4711/">»</a>', "too short to be a name"),
    ('<a href="/admin/pages/4711/"><img src="/i.png"></a>', "no name"),
])
def test_a_list_link_without_a_name_of_its_own_stays_literal(rows, why):
    result = _sections_then_open(rows, "/admin/pages/4711/")
    assert step(result, 1).extractions == (), why
    assert step(result, 2).request.path.is_literal, why


def test_the_script_names_links_as_the_conversion_does():
    import inspect

    from har2locust_plus.stages.correlate.html import link_names

    anchor = lxml_html.fromstring('<a href="/x/1/" aria-label="A  label" title="T">'
                                  '  Team\n <b>notes</b> </a>')
    assert link_names(anchor) == ("Team notes", "A  label", "T")
    source = inspect.getsource(runtime.from_named_link)
    assert '" ".join("".join(anchor.itertext()).split())' in source
    assert '(text, anchor.get("aria-label"), anchor.get("title"))' in source


# --- values a data-* attribute holds for the page's script -----------------------------------


def test_a_token_and_an_id_in_data_attributes_are_read_from_them():
    """<div id="app" data-csrf-token="…" data-note-id="4711">: a page's script reads them."""
    body = ('<div id="app" data-csrf-token="Zk3pQ9xW2vL7nB4mQxx" data-note-id="4711"'
            ' data-controller="editor" data-editor-token-value="T0k3nForStimulus99"></div>')
    result = conv(page("/notes/latest", body),
                  api("/api/notes/4711", "PUT", headers=[("X-CSRF-Token", "Zk3pQ9xW2vL7nB4mQxx"),
                                                         ("X-Editor", "T0k3nForStimulus99")],
                      json_body={"a": 1}, response={"ok": 1}))
    by_var = {e.var: e for e in step(result, 1).extractions}
    assert {v: e.expr for v, e in by_var.items()} == {
        "csrf_token": "normalize-space(//@data-csrf-token)",
        "note_id": "normalize-space(//@data-note-id)",
        "editor_token": "normalize-space(//@data-editor-token-value)"}
    assert step(result, 2).request.path.parts[1] == ir.VarRef("note_id", "raw")
    assert header(step(result, 2), "X-CSRF-Token") == ir.Template((ir.VarRef("csrf_token"),))
    live = body.replace("Zk3pQ9xW2vL7nB4mQxx", "NewT0kenFromServer1").replace("4711", "5150")
    assert found_by_xpath(by_var["csrf_token"], live) == "NewT0kenFromServer1"
    assert found_by_xpath(by_var["note_id"], live) == "5150"


@pytest.mark.parametrize(("body", "sent"), [
    # a list's rows: data-id names no one object
    ('<li data-note-id="4711">a</li><li data-note-id="4712">b</li>', "/api/notes/4711"),
    # a short value under a name that is no id's
    ('<div data-count="4711"></div>', "/api/notes/4711"),
    # a word is no token
    ('<div data-theme="dark-mode-enabled"></div>', "/api/themes/dark-mode-enabled"),
])
def test_data_attributes_that_name_no_one_object_stay_literal(body, sent):
    result = conv(page("/notes", body), api(sent, response={"ok": 1}))
    assert step(result, 1).extractions == ()


def test_tokens_in_repeated_data_attributes_are_read_by_position():
    body = ('<button data-nonce="n0nceAAAA1111">x</button>'
            '<button data-nonce="n0nceBBBB2222">y</button>')
    result = conv(page("/tasks", body), entry("/tasks/done", "POST",
                                              form=[("nonce", "n0nceBBBB2222")], body="ok"))
    e = extraction(result, 1)
    assert e.expr == "normalize-space((//@data-nonce)[2])"
    assert found_by_xpath(e, body.replace("BBBB", "CCCC")) == "n0nceCCCC2222"


@pytest.mark.parametrize("body", ['<body><!-- c -->',
                                  '<body><!-- <div data-url="/x/Zk3pQ9xW2vL7nB4mQxx"> -->'])
def test_a_page_that_is_only_a_comment_hands_out_nothing_and_breaks_nothing(body):
    """lxml gives the comment itself for such a page, which no XPath takes (a traceback in
    the conversion and, at run time, in the script)."""
    result = conv(entry("/a", body=body), entry("/x/Zk3pQ9xW2vL7nB4mQxx", body="<p>x</p>"))
    assert step(result, 1).extractions == ()
    failures = []
    resp = type("R", (), {"text": body, "failure": lambda self, m: failures.append(m)})()
    assert runtime.parsed_html(resp) is None
    with pytest.raises(runtime.RescheduleTask):  # the value is missing: the flow stops
        runtime.from_xpath(resp, "s", "v", etree.XPath("//@value"))
    assert failures == ["v not found in s"]


# --- long values: view state, SAML responses; ASP.NET AJAX partial-page answers --------------


def _b64(n: int, seed: int) -> str:
    """``n`` bytes of base64 that look random (``+``, ``/`` and ``=`` in them)."""
    import base64
    import random
    return base64.b64encode(random.Random(seed).randbytes(n)).decode()


def test_a_hidden_input_of_tens_of_kilobytes_is_read_again():
    """ASP.NET's ``__VIEWSTATE`` (JSF's client-side state, a SAML response: the same) is
    often far longer than any token, and a stale one is refused ("viewstate MAC failed")."""
    state, validation = _b64(30_000, 1), _b64(60, 2)
    body = (f'<form method="post" action="./Orders.aspx"><input type="hidden" name="__VIEWSTATE"'
            f' id="__VIEWSTATE" value="{state}" /><input type="hidden" '
            f'name="__EVENTVALIDATION" value="{validation}" /></form>')
    result = conv(page("/Orders.aspx", body), entry("/Orders.aspx", "POST", form=[
        ("__VIEWSTATE", state), ("__EVENTVALIDATION", validation), ("Item", "pens")],
        body="<p>saved</p>"))
    by_var = {e.var: e for e in step(result, 1).extractions}
    assert set(by_var) == {"viewstate", "eventvalidation"}
    assert found_by_xpath(by_var["viewstate"], body) == state
    assert form_field(step(result, 2), "__VIEWSTATE") == ir.Template((ir.VarRef("viewstate"),))
    assert state not in result.code


def test_a_long_json_leaf_is_read_again_and_a_long_text_token_is_not():
    saml, text_token = _b64(6_000, 3), "Tk" + "x7" * 2_100
    result = conv(
        api("/sso/start", response={"samlRequest": saml}),
        page("/help", f"<p>{text_token}</p>"),
        entry("/sso/acs", "POST", form=[("SAMLRequest", saml), ("note", text_token)],
              body="<p>ok</p>"))
    (e,) = step(result, 1).extractions
    assert e.path == ("samlRequest",)
    assert form_field(step(result, 3), "SAMLRequest") == ir.Template((ir.VarRef(e.var),))
    assert step(result, 2).extractions == ()  # a value found in a page's words: 4,096 at most
    assert form_field(step(result, 3), "note") == ir.Template((text_token,))


@pytest.mark.parametrize("value, is_base64", [
    ("/wEPDwUKMTY1NDU2MTA1Mg9kFgICAw9kFgICAQ8PFgIeBFRleHQFBUhlbGxvZGRk", True),  # __VIEWSTATE
    ("/T/rPJJQt5dKm1KLaWNjIaRhtV71W3vq/YCam+DpA1NcAA8yUGsdsiPDuWRoiQa7Tq==", True),
    ("/notes/17", False),
    ("/api/v1/users/12345/orders/67890/items/abcdefghijklmnopqrstuvwxyz0123", False),
    ("/search/a+b=", False),
    ("/vbyKqkqpOuXF2n3Fx9q2Ayd1t3Oe9nM6UlKZaBwnAVyO8dcsCs4u", True),  # Stripes' _sourcePage
    ("/Users/JohnSmith2020/Documents", False),
    ("/category/Electronics/Laptops2024", False),
])
def test_base64_that_starts_with_a_slash_is_a_token_not_a_path(value, is_base64):
    body = f'<form><input type="hidden" name="state" value="{value}"></form>'
    result = conv(page("/form", body),
                  entry("/form", "POST", form=[("state", value)], body="<p>ok</p>"))
    assert bool(step(result, 1).extractions) is is_base64


def test_random_base64_that_starts_with_a_slash_is_a_token():
    """One random token in 64 starts with a slash (an encrypted ``_sourcePage``, a nonce):
    each must still be correlated. Seeded, so the same 2,000 draws every run."""
    import base64
    import random

    from har2locust_plus.stages.correlate.rank import base64_token
    draws = random.Random(7)
    tokens = [base64.b64encode(draws.randbytes(draws.randrange(15, 400))).decode()
              for _ in range(60_000)]
    slashed = [t for t in tokens if t.startswith("/")]
    assert len(slashed) > 500
    assert sum(map(base64_token, slashed)) / len(slashed) > 0.99


def _delta(fields: list[tuple[str, str, str]]) -> str:
    return "".join(f"{len(content)}|{kind}|{name}|{content}|" for kind, name, content in fields)


def _update_panel_answer(state: str, validation: str, panel: str) -> str:
    return _delta([("#", "", "4"), ("updatePanel", "UpdatePanel1", panel),
                   ("hiddenField", "__EVENTTARGET", ""), ("hiddenField", "__VIEWSTATE", state),
                   ("hiddenField", "__EVENTVALIDATION", validation),
                   ("asyncPostBackControlIDs", "", ""), ("updatePanelIDs", "", "tUpdatePanel1"),
                   ("asyncPostBackTimeout", "", "90"), ("pageTitle", "", "Orders | Shop")])


def test_an_update_panel_answer_hands_out_the_view_state_the_next_postback_sends():
    """An UpdatePanel's asynchronous postback is answered with length-prefixed fields, not
    HTML; the page's script copies each hiddenField into the form for the next postback."""
    (s1, v1), (s2, v2), (s3, v3) = ((_b64(3_000 + i, i), _b64(40, 10 + i)) for i in range(3))
    ajax = [("X-MicrosoftAjax", "Delta=true"), ("X-Requested-With", "XMLHttpRequest")]

    def postback(state: str, validation: str, item: str) -> list[tuple[str, str]]:
        return [("ScriptManager1", "UpdatePanel1|Add"), ("__VIEWSTATE", state),
                ("__EVENTVALIDATION", validation), ("Item", item), ("__ASYNCPOST", "true")]

    plain = "text/plain; charset=utf-8"
    answers = [_update_panel_answer(s2, v2, "<span>1 order</span>"),
               _update_panel_answer(s3, v3, "<span>2 | orders</span>")]
    result = conv(
        page("/Orders.aspx", f'<form><input type="hidden" name="__VIEWSTATE" value="{s1}">'
             f'<input type="hidden" name="__EVENTVALIDATION" value="{v1}"></form>'),
        entry("/Orders.aspx", "POST", headers=ajax, form=postback(s1, v1, "pens"), mime=plain,
              body=answers[0], resource_type="xhr"),
        entry("/Orders.aspx", "POST", headers=ajax, form=postback(s2, v2, "ink"), mime=plain,
              body=answers[1], resource_type="xhr"))
    by_var = {e.var: e for e in step(result, 2).extractions}
    assert set(by_var) == {"viewstate_2", "eventvalidation_2"}
    assert by_var["viewstate_2"].kind == "regex"
    assert found_by_regex(by_var["viewstate_2"], answers[0]) == s2
    assert found_by_regex(by_var["eventvalidation_2"], answers[1]) == v3  # the next answer too
    assert form_field(step(result, 3), "__VIEWSTATE") == ir.Template((ir.VarRef("viewstate_2"),))
    assert form_field(step(result, 2), "__VIEWSTATE") == ir.Template((ir.VarRef("viewstate"),))
    assert s2 not in result.code and s3 not in result.code


def _postback_flow(answers: list[str]):
    ajax = [("X-MicrosoftAjax", "Delta=true"), ("X-Requested-With", "XMLHttpRequest")]
    return conv(page("/Orders.aspx", "<form><input name=Item></form>"), *(
        entry("/Orders.aspx", "POST", headers=ajax, form=[("Item", f"item {i}")],
              mime="text/plain; charset=utf-8", body=answer, resource_type="xhr")
        for i, answer in enumerate(answers)))


def test_an_update_panel_answer_that_reports_an_error_with_200_fails_its_step():
    """A postback that failed on the server is answered 200 with only an error field: the
    step checks for a field every answer that worked holds."""
    worked = [_update_panel_answer(_b64(100, i), _b64(40, i), "<b>ok</b>") for i in range(2)]
    result = _postback_flow(worked)
    (contains,) = [c for c in step(result, 2).checks if c.kind == "contains"]
    assert contains.expected == "|asyncPostBackControlIDs|"
    assert 'contains=("|asyncPostBackControlIDs|",)' in result.code
    failed = "62|error|500|Validation of viewstate MAC failed. If this application is hosted|"
    resp = type("R", (), {"status_code": 200, "headers": {}, "text": failed})()
    assert runtime.checkpoint_problem(resp, 200, None, None, (contains.expected,), (), (),
                                      False) == \
        "expected the body to contain '|asyncPostBackControlIDs|'"
    resp.text = worked[0]
    resp.__dict__.pop("_parsed", None)
    assert runtime.checkpoint_problem(resp, 200, None, None, (contains.expected,), (), (),
                                      False) is None


@pytest.mark.parametrize("answer", [
    _delta([("error", "500", "The state information is invalid")]),  # recorded failing
    _delta([("#", "", "4"), ("pageRedirect", "", "/Login.aspx?ReturnUrl=%2f")]),
    "12345",  # not such an answer
])
def test_no_answer_field_is_required_when_a_recorded_answer_lacks_it(answer):
    from har2locust_plus.stages.correlate.delta import delta_fields
    assert (delta_fields(answer) is None) is (answer == "12345")
    result = _postback_flow([answer])
    assert [c.kind for c in step(result, 2).checks] == ["status"]


_DELTA_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)


@given(st.lists(st.tuples(st.text("abcdefghijklmnopqrstuvwxyzA#", min_size=1, max_size=12),
                          st.text("_$abcXYZ019", max_size=12), _DELTA_TEXT), max_size=8))
@settings(max_examples=300, deadline=None)
def test_update_panel_fields_are_split_by_their_lengths(fields):
    """Contents may hold bars and line breaks: only the lengths delimit them."""
    from har2locust_plus.stages.correlate.delta import delta_fields
    answer = [("#", "", "4"), *fields]
    assert delta_fields(_delta(answer)) == answer
    assert delta_fields(_delta(answer) + "x") is None
    if any(content for _, _, content in answer):  # one length off: not such an answer
        assert delta_fields(_delta(answer)[:-1]) is None


@pytest.mark.parametrize("text", ["12345", "1|#||4", "2|#||4|", "1|x||4|", "4|#||4|", "1|#||4|x",
                                  "9" * 5000 + "|#||4|",  # more digits than int() takes
                                  "\u00b2|#||4|", "\u0661|#||4|"])  # digits int() takes or not
def test_text_that_is_not_an_update_panel_answer(text):
    from har2locust_plus.stages.correlate.delta import delta_fields
    assert delta_fields(text) is None


# --- Livewire: the component's snapshot in wire:snapshot, posted back whole -------------------


def test_a_livewire_snapshot_is_read_from_its_attribute_then_from_each_answer():
    """Livewire 3 writes a component's state, with a checksum signed by the app's key, as JSON
    into ``wire:snapshot``; each update posts it back whole as a JSON string and gets the next
    one in ``components[0].snapshot``. A fresh server's key refuses the recorded checksum."""
    import html as html_module
    snapshot = json.dumps({"data": {"count": 1, "label": "my counter"},
                           "memo": {"id": "AbC123xyzQwErTy", "name": "counter"},
                           "checksum": "3f8a9c1e7b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d"},
                          separators=(",", ":"))
    after = snapshot.replace('"count":1', '"count":2').replace("3f8a9c1e", "9b7c5d3e")
    body = (f'<div wire:snapshot="{html_module.escape(snapshot)}" wire:effects="[]" '
            f'wire:id="AbC123xyzQwErTy"><button wire:click="increment">+</button></div>')

    def update(state: str) -> dict:
        return api("/livewire/update", "POST", response={"components": [
            {"snapshot": after, "effects": {"html": "<div>2</div>"}}]},
            json_body={"components": [{"snapshot": state, "updates": {},
                                       "calls": [{"method": "increment", "params": []}]}]})

    result = conv(page("/counter", body), update(snapshot), update(after))
    (e,) = step(result, 1).extractions
    assert e.expr == "string(//@*[name()='wire:snapshot'])"
    assert found_by_xpath(e, body) == snapshot  # spaces inside the JSON kept
    sent = step(result, 2).request.body.value["components"][0]["snapshot"]
    assert sent == ir.VarRef(e.var)
    (e2,) = step(result, 2).extractions
    assert e2.path == ("components", 0, "snapshot")
    assert "3f8a9c1e" not in result.code.split('"""', 2)[2].split("def from_")[0]


def test_json_in_a_data_attribute_sent_back_whole_is_read_whole():
    config = '{"token": "T0k3nValue99", "flags": [1, 2]}'
    body = f"<div id=app data-config='{config}'></div>"
    result = conv(page("/app", body),
                  entry("/save", "POST", form=[("config", config)], body="<p>ok</p>"))
    (e,) = step(result, 1).extractions
    assert e.expr == "string(//@data-config)" and found_by_xpath(e, body) == config


# --- HTML in a JSON answer: Drupal's AJAX commands, Livewire's effects, {"html": "<form>"} ------


def _drupal_flow(inserted: str):
    first, second = "form-Qx7Lm2Np9Rs4Tv6Wy8Za1Bc3De5Fg", "form-Hj2Kl4Mn6Pq8Rs0Tu2Vw4Xy6Za8Bc"
    page_body = (f'<form action="/node/add" method="post"><input type="hidden" '
                 f'name="form_build_id" value="{first}"><input name="title"></form>')
    commands = [{"command": "settings", "settings": {"ajaxPageState": {"theme": "olivero"}}},
                {"command": "insert", "method": "replaceWith", "selector": "#edit-wrapper",
                 "data": inserted.format(build_id=second)}]
    return first, second, conv(
        page("/node/add", page_body),
        api("/node/add?ajax_form=1&_wrapper_format=drupal_ajax", "POST",
            form=[("form_build_id", first), ("_triggering_element_name", "add_more")],
            response=commands),
        entry("/node/add", "POST", form=[("form_build_id", second), ("title", "x")],
              body="<p>saved</p>"))


def test_a_form_in_a_json_answer_hands_out_its_hidden_inputs():
    """Drupal rebuilds a form over AJAX: the JSON answer's insert command holds the new form,
    whose form_build_id the next submit sends."""
    inserted = ('<form action="/node/add" method="post"><input type="hidden" '
                'name="form_build_id" value="{build_id}"><input name="title"></form>')
    first, second, result = _drupal_flow(inserted)
    (e,) = step(result, 2).extractions
    assert (e.kind, e.path, e.expr) == ("json_html", (1, "data"),
                                        "//input[@name='form_build_id']/@value")
    assert form_field(step(result, 3), "form_build_id") == ir.Template((ir.VarRef(e.var),))
    assert re.search(r"from_json_html\(\s*resp,\s*\"step 2 POST /node/add\",\s*\"form_build_id"
                     r"(_2)?\",\s*FORM_BUILD_ID(_2)?_XPATH,\s*\(1, \"data\"\)", result.code)
    # the page's input and the answer's are read with one XPath: one constant for both
    assert result.code.count("""= etree.XPath("//input[@name='form_build_id']/@value")""") == 1
    compile(result.code, "locustfile.py", "exec")
    resp = type("R", (), {"text": step(result, 2).response.text,
                          "failure": lambda self, m: None})()
    assert runtime.from_json_html(resp, "s", "v", etree.XPath(e.expr), e.path) == second


@pytest.mark.parametrize("inserted", [
    "<p>no form here: {build_id}</p>",  # only text that mentions it: no XPath source
    "<!-- {build_id} -->",
])
def test_html_in_json_without_an_element_holding_the_value_hands_nothing_out(inserted):
    _, second, result = _drupal_flow(inserted)
    assert step(result, 2).extractions == ()
    assert form_field(step(result, 3), "form_build_id") == ir.Template((second,))


def test_a_missing_fragment_stops_the_flow_at_run_time():
    failures = []
    resp = type("R", (), {"text": '{"html": 3}', "failure": lambda self, m: failures.append(m)})()
    with pytest.raises(runtime.RescheduleTask):
        runtime.from_json_html(resp, "step 2", "v", etree.XPath("//@value"), ("html",))
    assert failures == ["v not found in step 2"]


# --- ids a message states, sent inside a longer text -----------------------------------------

_INSERTED = {"success": True, "message": '<div class="alert alert-success" role="alert">\n'
             '  <img src="dot.gif" alt=""> 1 row inserted.<br>Inserted row id: 47480\n</div>'}
_DELETE = "DELETE FROM `notes` WHERE `notes`.`id` = 47480"


def test_an_id_the_insert_answer_states_is_sent_inside_an_sql_statement():
    """phpMyAdmin: the new row's id is only in the insert's message; the delete sends it in
    the SQL of its link."""
    text = json.dumps(_INSERTED)
    result = conv(api("/index.php?route=/table/replace", "POST", form=[("title", "milk")],
                      response=_INSERTED),
                  api("/index.php?route=/sql", "POST",
                      form=[("sql_query", _DELETE), ("limit", "47480")], response={"ok": 1}))
    e = extraction(result, 1)
    assert (e.kind, e.var, e.expr) == ("regex", "row_id", r"row id: (\d+)")
    assert found_by_regex(e, text.replace("47480", "5")) == "5"
    sent = form_field(step(result, 2), "sql_query")
    assert sent.parts == ("DELETE FROM `notes` WHERE `notes`.`id` = ", ir.VarRef("row_id"))
    assert form_field(step(result, 2), "limit") == ir.Template.literal("47480")  # no id's place


@pytest.mark.parametrize("sent", [
    "mutation { deleteUser(id: 3107) { ok } }",
    'mutation { deleteUser(userId: "3107") { ok } }',
    "SELECT * FROM users WHERE user_id=3107",
    "id:3107 AND state:open",
])
def test_an_id_stated_in_words_is_found_under_an_ids_name_in_any_text(sent: str):
    result = conv(entry("/admin/users", "POST", form=[("name", "ann")],
                        body="<p class=notice>User ID 3107 created.</p>"),
                  api("/graphql", "POST", json_body={"query": sent}, response={"ok": 1}))
    e = extraction(result, 1)
    assert e.kind == "regex" and found_by_regex(e, "<p>User ID 55 created.</p>") == "55"
    body = step(result, 2).request.body
    assert isinstance(body, ir.JsonBody) and ir.VarRef(e.var) in body.value["query"].parts


@pytest.mark.parametrize(("answer", "method"), [
    ("<p>Inserted row id: 47480</p>", "GET"),  # a page that shows what exists
    ("<p>Deleted id: 47480, kept id: 12</p>", "POST"),  # a list of ids under one name
    ("<p>47480 rows inserted</p>", "POST"),  # no id's name
    ("<p>Paid: 47480</p>", "POST"),  # "paid" is a word, not an id's name
])
def test_no_stated_id_without_a_single_ids_name_in_an_unsafe_answer(answer: str, method: str):
    result = conv(entry("/rows", method, form=[("t", "x")] if method == "POST" else None,
                        body=answer),
                  entry("/sql", "POST", form=[("sql_query", _DELETE)]))
    assert step(result, 1).extractions == ()
    assert form_field(step(result, 2), "sql_query") == ir.Template.literal(_DELETE)


@given(st.sampled_from(["id", "note_id", "noteId", "`id`", '"id"', "itemid"]),
       st.sampled_from([" = ", "=", ": ", "==", " => "]), st.integers(0, 10**12),
       st.text(st.characters(codec="utf-8"), max_size=20))
@settings(max_examples=200)
def test_named_ids_finds_a_number_bound_to_an_ids_name(name: str, bind: str, number: int,
                                                      before: str):
    from har2locust_plus.stages.correlate.stated import named_ids

    text = f"{before} WHERE {name}{bind}{number} LIMIT 1"
    found = [(start, digits) for start, digits, _ in named_ids(text)]
    assert (text.index(f"{bind}{number} LIMIT") + len(bind), str(number)) in found
    assert all(text[start:start + len(digits)] == digits for start, digits in found)


@given(st.sampled_from(["paid", "valid", "limit", "count", "page", "width"]),
       st.sampled_from([" = ", "=", ": "]), st.integers(0, 10**12))
def test_named_ids_finds_nothing_under_other_names(name: str, bind: str, number: int):
    from har2locust_plus.stages.correlate.stated import named_ids

    assert list(named_ids(f"SELECT 1 WHERE {name}{bind}{number} AND x")) == []


# --- a moment the server handed out, sent back whole: a version stamp ----------------------------

_POST_ID = "6750a1b2c3d4e5f6a7b8c9d0"


def _ghost_post(updated_at: str, title: str) -> dict:
    return {"posts": [{"id": _POST_ID, "title": title, "updated_at": updated_at,
                       "published_at": None, "status": "draft"}]}


def test_an_updated_at_the_server_handed_out_is_sent_back_from_the_live_answer():
    """Ghost's admin API refuses an edit whose ``updated_at`` is not the post's ("Saving
    failed! Someone else is editing this post."): each save sends the stamp of the last
    answer."""
    first, second = "2026-12-03T04:10:11.000Z", "2026-12-03T04:10:15.482Z"
    result = conv(
        api("/ghost/api/admin/posts/", "POST", json_body={"posts": [{"title": "x"}]},
            response=_ghost_post(first, "x"), status=201),
        api(f"/ghost/api/admin/posts/{_POST_ID}/", "PUT",
            json_body={"posts": [{"title": "y", "updated_at": first}]},
            response=_ghost_post(second, "y")),
        api(f"/ghost/api/admin/posts/{_POST_ID}/", "PUT",
            json_body={"posts": [{"title": "z", "updated_at": second}]},
            response=_ghost_post("2026-12-03T04:10:19.001Z", "z")))
    stamps = [e for n in (1, 2) for e in step(result, n).extractions
              if e.path == ("posts", 0, "updated_at")]
    assert [e.recorded for e in stamps] == [first, second]
    for number, stamp in ((2, stamps[0]), (3, stamps[1])):
        body = step(result, number).request.body
        assert isinstance(body, ir.JsonBody)
        assert body.value["posts"][0]["updated_at"] == ir.VarRef(stamp.var)


@pytest.mark.parametrize("value", [
    "2026-12-03",  # a date a person picks
    "2026-12-03T04:10",  # to the minute: a time a person picks
])
def test_a_date_or_a_minute_handed_out_and_sent_back_stays_literal(value: str):
    result = conv(api("/api/events", "POST", json_body={"title": "x"},
                      response={"id": "ev_9f8e7d6c5b4a", "starts": value}),
                  api("/api/events/ev_9f8e7d6c5b4a", "PUT",
                      json_body={"title": "y", "starts": value}, response={"ok": True}))
    body = step(result, 2).request.body
    assert isinstance(body, ir.JsonBody) and body.value["starts"] == value


def test_a_time_the_client_sent_first_and_the_server_echoed_stays_literal():
    stamp = "2022-08-07T16:56:54.227Z"  # a request generator's registeredAt, echoed back
    result = conv(api("/api/status/200", "POST", json_body={"registeredAt": stamp},
                      response={"requestPayload": {"registeredAt": stamp}}),
                  api("/api/status/201", "POST", json_body={"registeredAt": stamp},
                      response={"ok": True}))
    body = step(result, 2).request.body
    assert isinstance(body, ir.JsonBody) and body.value["registeredAt"] == stamp


# --- an object's version, sent back for optimistic locking ------------------------------------


def _edit_form(name: str, version: str) -> dict:
    return page("/thing/9/edit", (
        '<form method="post" action="/thing/9">'
        '<input type="hidden" name="csrf" value="a8f3k2l9x0q1w2e3r4t5">'
        f'<input type="hidden" name="{name}" value="{version}">'
        '<textarea name="text">hello</textarea><input type="submit" name="save" value="Save">'
        '</form>'))


def _edit(name: str, version: str, text: str) -> dict:
    return entry("/thing/9", "POST", status=303, body="",
                 response_headers=[("Location", f"{ORIGIN}/thing/9")],
                 form=[("csrf", "a8f3k2l9x0q1w2e3r4t5"), (name, version), ("text", text),
                       ("save", "Save")])


@pytest.mark.parametrize(("name", "first", "second"), [
    ("version", "3", "4"),  # Trac's wiki, a JPA entity's @Version in a Spring form
    ("issue[lock_version]", "0", "1"),  # Redmine (Rails' lock_version): 0 is a version too
    ("originalVersion", "5", "6"),  # Confluence
    ("rev", "12", "13"),
])
def test_a_version_a_form_holds_is_sent_back_from_the_form_of_this_run(
        name: str, first: str, second: str):
    """An edit form's version of the object (optimistic locking): one more with every change,
    and the server refuses an edit of another version than the object's. Sent as recorded,
    the second edit of an existing object (and every run's after the first) is refused."""
    result = conv(_edit_form(name, first), _edit(name, first, "a"), page("/thing/9", "<p>a</p>"),
                  _edit_form(name, second), _edit(name, second, "b"))
    for form_at, sent_at, version in ((1, 2, first), (4, 5, second)):
        field = form_field(step(result, sent_at), name)
        assert field.parts[0] == ir.VarRef(field.parts[0].name), field  # type: ignore[union-attr]
        read = extraction(result, form_at, field.parts[0].name)  # type: ignore[union-attr]
        assert read.recorded == version
        assert read.expr == f"//input[@name='{name}']/@value"


def test_a_version_a_json_answer_holds_is_sent_back_from_the_latest_answer():
    """Grafana's folders, Spring Data REST, Kubernetes' resourceVersion: each save sends the
    version the last answer gave the object."""
    result = conv(
        page("/", "<p>x</p>"),
        api("/api/folders/abc", response={"uid": "abc", "version": 7, "title": "x"}),
        api("/api/folders/abc", "PUT", json_body={"version": 7, "title": "y"},
            response={"uid": "abc", "version": 8, "title": "y"}),
        api("/api/folders/abc", "PUT", json_body={"version": 8, "title": "z"},
            response={"uid": "abc", "version": 9, "title": "z"}))
    for sent_at, read_at in ((3, 2), (4, 3)):
        body = step(result, sent_at).request.body
        assert isinstance(body, ir.JsonBody) and isinstance(body.value["version"], ir.VarRef)
        read = extraction(result, read_at, body.value["version"].name)
        assert read.path == ("version",) and read.as_int


def test_a_version_is_read_only_for_a_version_of_the_same_object():
    """A version is in too many places by chance: never a count's or an id's source, never
    from a list's row that is not the object sent (by its id), never from a link (which
    version to look at is the user's choice)."""
    result = conv(
        page("/wiki/Start?action=history", '<a href="/wiki/Start?version=3">v3</a>'),
        api("/api/notes", response={"items": [{"id": 11, "title": "a", "version": 3},
                                               {"id": 12, "title": "b", "version": 3}]}),
        api("/api/notes/13", "PUT", json_body={"id": 13, "title": "c", "version": 3},
            response={"ok": True}),
        api("/api/notes/11", "PUT", json_body={"title": "d", "version": 3},
            response={"ok": True}),
        api("/api/notes", "GET", headers=[("X-Page", "3")], response=[]),
        entry("/wiki/Start?version=3"),
        api("/api/notes/12", "PUT", json_body={"id": 12, "title": "e", "version": 3},
            response={"ok": True}))
    assert step(result, 3).request.body.value["version"] == 3  # type: ignore[union-attr]
    assert step(result, 4).request.body.value["version"] == 3  # type: ignore[union-attr]
    assert header(step(result, 5), "X-Page").is_literal
    assert query(step(result, 6), "version").is_literal
    # the row of the object sent, by its id
    sent = step(result, 7).request.body.value["version"]  # type: ignore[union-attr]
    assert isinstance(sent, ir.VarRef)
    assert extraction(result, 2, sent.name).path == ("items", 1, "version")


@pytest.mark.parametrize("etag", ['"3"', 'W/"3"', '"0"'])
def test_a_short_etag_is_sent_back_in_if_match(etag: str):
    """Spring Data REST's ETag is the entity's version in quotes: ``"0"``, ``"3"``."""
    result = conv(
        page("/", "<p>x</p>"),
        api("/api/people/4", response={"name": "a"}, response_headers=[("ETag", etag)]),
        api("/api/people/4", "PUT", json_body={"name": "b"}, headers=[("If-Match", etag)],
            response={"name": "b"}))
    sent = header(step(result, 3), "If-Match")
    assert not sent.is_literal
    assert extraction(result, 2).kind == "header" and extraction(result, 2).recorded == etag


_RECORDS = "/v1/buckets/zoo/collections/tasks/records"
_WALK = "f89af014-9661-49dc-8c1e-2b5c0a9d7e11"


def _kinto_records(*later: dict, list_etag: str = '"1796682489806"') -> tuple[dict, ...]:
    """Two records made, the list read (its ETag: the collection's, equal to the newest
    record's version when recorded), then ``later``."""
    return (
        page("/", "<p>x</p>"),
        api(_RECORDS, "POST", json_body={"data": {"title": "Buy milk"}}, status=201,
            response={"data": {"id": "9713d686-3946-49d3-a1c2-77e0b2f4c3d5",
                               "last_modified": 1796682488121}},
            response_headers=[("ETag", '"1796682488121"')]),
        api(_RECORDS, "POST", json_body={"data": {"title": "Walk the dog"}}, status=201,
            response={"data": {"id": _WALK, "last_modified": 1796682489806}},
            response_headers=[("ETag", '"1796682489806"')]),
        api(_RECORDS + "?_sort=-last_modified", response={"data": [
            {"id": _WALK, "last_modified": 1796682489806},
            {"id": "9713d686-3946-49d3-a1c2-77e0b2f4c3d5", "last_modified": 1796682488121}]},
            response_headers=[("ETag", list_etag)]),
        api(_RECORDS, "HEAD", response_headers=[("ETag", list_etag)]),
        *later)


def test_an_if_match_is_the_etag_of_the_object_it_names_not_of_a_list():
    """Kinto: the delete's ``If-Match`` holds the record's version, which the list's ETag (the
    collection's timestamp) equals only while nobody else wrote to it: read from the answer
    that made the record (or one for its own URL), never from the list's."""
    result = conv(*_kinto_records(
        api(f"{_RECORDS}/{_WALK}", "DELETE", headers=[("If-Match", '"1796682489806"')],
            response={"data": {"id": _WALK, "deleted": True}})))
    sent = header(step(result, 6), "If-Match")
    assert not sent.is_literal
    (ref,) = sent.refs()
    made = extraction(result, 3, ref.name)
    assert (made.kind, made.expr) == ("header", "ETag")
    assert not any(e.kind == "header" for n in (4, 5) for e in step(result, n).extractions)


def test_an_if_match_is_read_from_the_latest_answer_for_its_own_url():
    result = conv(*_kinto_records(
        api(f"{_RECORDS}/{_WALK}", response={"data": {"id": _WALK}},
            response_headers=[("ETag", '"1796682489806"')]),
        api(f"{_RECORDS}/{_WALK}", "DELETE", headers=[("If-Match", '"1796682489806"')],
            response={"data": {"id": _WALK, "deleted": True}})))
    (ref,) = header(step(result, 7), "If-Match").refs()
    assert extraction(result, 6, ref.name).expr == "ETag"


def test_an_if_match_only_a_list_s_etag_holds_is_sent_as_recorded():
    """No answer for the object's URL or from its making holds it: a list's ETag is no
    version of the object (sent as recorded, a 412 says so; a list's would pass alone and
    fail once another user writes)."""
    result = conv(*_kinto_records(
        api(f"{_RECORDS}/9713d686-3946-49d3-a1c2-77e0b2f4c3d5", "DELETE",
            headers=[("If-Match", '"1796682490001"')], response={"data": {"deleted": True}}),
        list_etag='"1796682490001"'))
    assert header(step(result, 6), "If-Match").is_literal


_EXECUTE = "/api/v1/sqllab/execute/"


def test_a_random_id_the_page_s_script_made_for_what_it_asks_is_made_fresh_each_run():
    """Superset's SQL Lab sends a nanoid it made with each query it runs, unique in the
    server's table: sent as recorded, every run after the first got a 500. Made fresh, shaped
    like it; a later request that sends it again sends the same."""
    result = conv(
        page("/sqllab/", "<p>x</p>"),
        api(_EXECUTE, "POST", json_body={"client_id": "Zv4GPmGqktQ", "sql": "SELECT 1"},
            response={"query_id": 7, "status": "success"}),
        api("/api/v1/query/", "POST", json_body={"clientId": "Zv4GPmGqktQ"},
            response={"ok": True}))
    (made,) = step(result, 2).generated
    assert (made.kind, made.recorded) == ("token", "Zv4GPmGqktQ")
    body = step(result, 2).request.body.value  # type: ignore[union-attr]
    assert body["client_id"] == ir.VarRef(made.var)
    assert step(result, 3).request.body.value["clientId"] == ir.VarRef(made.var)  # type: ignore
    assert f'self.{made.var} = fresh_token("Zv4GPmGqktQ")' in result.code
    # also where the page it was sent from is not in the recording (DevTools' export)
    lost = conv(entry("/sqllab/", body=None, resource_type="document"),
                *[api(_EXECUTE, "POST", json_body={"client_id": "Zv4GPmGqktQ", "sql": "1"},
                      response={"query_id": 7})])
    assert [g.kind for g in step(lost, 2).generated] == ["token"]
    fresh = fresh_token("Zv4GPmGqktQ")
    assert len(fresh) == 11 and re.fullmatch(r"[A-Za-z0-9]+", fresh) and fresh != "Zv4GPmGqktQ"


@pytest.mark.parametrize("case", ["oauth", "handed out", "sent before", "a key", "words",
                                  "a GET", "names what it shows", "a bare id"])
def test_an_id_that_may_be_the_server_s_is_not_made_up(case: str):
    """An OAuth client's id (registered), one an answer or an earlier request held, one under
    a key's name or one that names what a page showed, a name in words, one a GET sends: not
    the client's own new id."""
    value = "aBcD1234EfGh5678"
    key, path, method = "client_id", _EXECUTE, "POST"
    body: dict = {}
    before = [page("/sqllab/", "<p>x</p>")]
    if case == "oauth":
        body = {"grant_type": "password", "username": "alice"}
    elif case == "handed out":
        before.append(api("/api/config", response={"app": {"id": value}}))
    elif case == "sent before":
        before.append(api("/api/warm", "POST", json_body={"last": value}, response={}))
    elif case == "a key":
        key = "api_key"
    elif case == "words":
        value = "MyQuery1Draft"
        key = "name"
    elif case == "a GET":
        method = "GET"
    elif case == "names what it shows":  # a video a page the recording lacks showed
        key, value = "video_id", "dQw4w9WgXcQ"
    elif case == "a bare id":
        key = "id"
    entries = [*before, api(path if method == "POST" else f"{path}?{key}={value}", method,
                            json_body={key: value, **body} if method == "POST" else None,
                            response={"ok": True})]
    result = conv(*entries)
    assert not any(g.kind == "token" for s in result.scenario.steps for g in s.generated)
    assert "fresh_token" not in result.code
    assert case == "handed out" or value in result.code  # (that one: read from the answer)


def test_a_short_id_three_objects_share_by_chance_is_read_from_the_one_its_key_names():
    """Superset on a fresh database: the SQL Lab tab, the saved query and the dashboard the
    journey made were all 2; every 2 was read from the tab's answer (the dashboard's URL
    became /superset/dashboard/{tabstateview_id}/)."""
    result = conv(
        page("/sqllab/", "<p>x</p>"),
        api("/tabstateview/", "POST", json_body={"label": "t"}, response={"id": 2}),
        api("/api/v1/saved_query/", "POST", json_body={"label": "q"}, status=201,
            response={"id": 2, "result": {"label": "q"}}),
        api("/tabstateview/2", "PUT", json_body={"saved_query_id": 2}, response={"ok": 1}),
        entry("/dashboard/new/", status=302,
              response_headers=[("Location", "/superset/dashboard/2/?edit=true")],
              resource_type="document"),
        page("/superset/dashboard/2/?edit=true", "<p>d</p>"),
        api("/api/v1/dashboard/2", "PUT", json_body={"dashboard_title": "D"},
            response={"id": 2}))
    tab = step(result, 4).request.path.refs()
    saved = step(result, 4).request.body.value["saved_query_id"]  # type: ignore[union-attr]
    assert [r.name for r in tab] == ["tabstateview_id"]
    assert isinstance(saved, ir.VarRef) and saved.name == "saved_query_id", saved
    for number in (6, 7):  # the dashboard's page and its API
        refs = step(result, number).request.path.refs()
        assert [r.name for r in refs] == ["dashboard_id"], (number, refs)


def test_a_code_of_capitals_the_server_made_is_read_from_the_made_page_s_link():
    """pretalx: the submission the wizard made is ``/zoocon/me/submissions/9ZNJR9/`` (six
    capitals and digits, or all capitals: ``XDLDDD``), first shown in the link of the page
    the post led to, whose attributes are unquoted (a minified page). Sent as recorded, every
    replay failed 404 at the edit; the organiser's pages after it use the same code. A code a
    page showed before the post, and a route word of capitals, stay as they were."""
    result = conv(
        page("/zoocon/cfp", '<a href="/zoocon/me/submissions/OLDONE/">old</a>'),
        entry("/zoocon/submit/ODk39Q/profile/", "POST", status=302, form=[("bio", "b")],
              response_headers=[("Location", "/zoocon/me/submissions/")]),
        page("/zoocon/me/submissions/",
             "<tr><td><a href=/zoocon/me/submissions/9ZNJR9/>Zoo</a>"
             "<tr><td><a href=/zoocon/me/submissions/OLDONE/>Old</a>"
             "<a href=/zoocon/me/submissions/XDLDDD/>X</a>"),
        page("/zoocon/me/submissions/9ZNJR9/", "<p>edit</p>"),
        page("/orga/event/zoocon/submissions/9ZNJR9/accept?next=%2Forga%2Fsubmissions"
             "%2F9ZNJR9%2F", "<p>accept</p>"),
        page("/zoocon/me/submissions/OLDONE/", "<p>old</p>"))
    for number in (4, 5):
        assert [r.name for r in step(result, number).request.path.refs()] == [
            "submission_id"], number
    ex = extraction(result, 3, "submission_id")
    assert found_by_regex(ex, "<a href=/zoocon/me/submissions/ABC123/>Zoo</a>") == "ABC123"
    assert step(result, 6).request.path.is_literal  # shown before the post: not made by it


@pytest.mark.parametrize("shelf_first", [True, False])
def test_a_short_id_a_path_sends_twice_names_two_objects(shelf_first: bool) -> None:
    """Calibre-Web on a fresh database: the shelf and the book the journey made were both 2,
    and ``POST /shelf/add/2/2`` read both segments from one of them; every run after the first
    put the first run's book on its shelf, with 0 failures. The second segment reads another
    object's id; the first, the one the route's words name (shelf, add), whichever was made
    first."""
    side = '<a href="/shelf/2">Holiday</a>'
    shelf = [page("/shelf/create", "<form></form>"),
             entry("/shelf/create", "POST", status=302, form=[("title", "Holiday")],
                   response_headers=[("Location", "/shelf/2")]),
             page("/shelf/2", side)]
    book = [api("/upload", "POST", response={"location": "/admin/book/2"}),
            page("/admin/book/2", side + "<form></form>"),
            entry("/admin/book/2", "POST", status=302, form=[("title", "B")],
                  response_headers=[("Location", "/book/2")]),
            page("/book/2", side + '<a href="/shelf/add/2/2">Add</a>')]
    result = conv(*(shelf + book if shelf_first else book + shelf),
                  entry("/shelf/add/2/2", "POST", status=204, form=[("x", "1")]))
    assert [r.name for r in step(result, 8).request.path.refs()] == ["shelf_id", "book_id"]
    # only the shelf made: the book is one the recording did not make (sent as recorded)
    result = conv(*shelf, entry("/shelf/add/2/2", "POST", status=204, form=[("x", "1")]))
    assert [p if isinstance(p, str) else p.name for p in step(result, 4).request.path.parts
            ] == ["/shelf/add/", "shelf_id", "/2"]


def test_one_digit_under_the_word_that_names_what_a_post_made_is_its_id():
    """Label Studio: ``POST /api/projects`` answers ``{"id": 2}``; the data manager then asks
    ``?project=2`` and posts ``"project": "2"``. Sent as recorded, every run read the tasks of
    the recording's project 2, another user's on a busy server, and annotated and deleted
    them with 0 failures. Not a count's or a position's word (``page``), not a word that names
    nothing made (``tab``), not a list's element."""
    result = conv(
        page("/projects/", "<p>x</p>"),
        api("/api/projects", "POST", json_body={"title": "Probe"}, status=201,
            response={"id": 2, "title": "Probe", "created_by": {"id": 1}}),
        api("/api/tasks?page=2&project=2&tab=2", response={"tasks": []}),
        api("/api/dm/views", "POST", json_body={"project": "2"}, status=201,
            response={"id": 7, "project": 2}),
        api("/api/rows", "POST", json_body={"q": "x"}, response={"rows": [{"id": 3}]}),
        api("/api/dm/views?row=3", response={"ok": True}))
    sent = {q.name: q.value for q in step(result, 3).request.query}
    assert [r.name for r in sent["project"].refs()] == ["project_id"], sent
    assert sent["page"].is_literal and sent["tab"].is_literal, sent
    body = step(result, 4).request.body.value  # type: ignore[union-attr]
    assert isinstance(body["project"], ir.Template | ir.VarRef), body
    assert query(step(result, 6), "row").is_literal  # a list's row: by its place, no


# --- the name a 201 Created answer gives the object it made ---------------------------------------


def _made_folder(name: str) -> dict:
    return api("/api/contents", "POST", json_body={"type": "directory"}, status=201,
               response={"name": name, "path": name, "type": "directory",
                         "created": "2026-01-01T10:00:00.123456Z"},
               response_headers=[("Location", f"/api/contents/{quote_plus(name)}")])


def test_a_name_the_server_chose_in_a_201_answer_is_read_from_it():
    """Jupyter names a new folder ``Untitled Folder`` (``Untitled Folder 1`` when that exists):
    words, but the server's choice, which the next request sends back in its path."""
    result = conv(_made_folder("Untitled Folder"),
                  api("/api/contents/Untitled%20Folder", "PATCH", json_body={"path": "zoo"},
                      response={"name": "zoo", "path": "zoo"}))
    e = extraction(result, 1)
    assert (e.kind, e.path, e.recorded) == ("json", ("name",), "Untitled Folder")
    assert step(result, 2).request.path.parts == ("/api/contents/", ir.VarRef(e.var, "path"))


@pytest.mark.parametrize("answer", [
    {"status": 200, "method": "POST"},  # not "Created"
    {"status": 201, "method": "POST", "key": "type"},  # not the object's name
    {"status": 200, "method": "GET"},  # a listing
])
def test_words_in_other_answers_stay_words(answer: dict):
    key = answer.get("key", "name")
    first = api("/api/contents", answer["method"], status=answer["status"],
                json_body={"type": "directory"} if answer["method"] == "POST" else None,
                response={key: "Untitled Folder"})
    result = conv(first, api("/api/contents/Untitled%20Folder", "PATCH",
                             json_body={"path": "zoo"}, response={"name": "zoo"}))
    assert step(result, 1).extractions == ()
    assert step(result, 2).request.path.is_literal


def test_a_name_the_client_made_with_an_epoch_is_the_same_in_a_later_path():
    """The rename sends ``{"path": "zoo-<epoch ms>"}``, made fresh each run; the delete's path
    names the same folder: the same variable, not the recorded time."""
    made = str(EPOCH_S * 1000 + 4321)
    result = conv(_made_folder("Untitled Folder"),
                  api("/api/contents/Untitled%20Folder", "PATCH",
                      json_body={"path": f"zoo-{made}"},
                      response={"name": f"zoo-{made}", "path": f"zoo-{made}"}),
                  api(f"/api/contents/zoo-{made}", "DELETE", status=204),
                  api(f"/api/items/{made}", "DELETE", status=204),
                  api(f"/api/items/{EPOCH_S * 1000 + 999}", "DELETE", status=204))
    [generated] = step(result, 2).generated
    body = step(result, 2).request.body
    assert isinstance(body, ir.JsonBody)
    assert body.value["path"] == ir.Template(("zoo-", ir.VarRef(generated.var)))
    assert step(result, 3).request.path.parts == (
        "/api/contents/zoo-", ir.VarRef(generated.var, "raw"))
    assert step(result, 4).request.path.parts == ("/api/items/", ir.VarRef(generated.var, "raw"))
    assert step(result, 5).request.path.is_literal  # a time and nothing else: a server's id


# --- 9. a listing's rows, by the name the client gave ------------------------------------------


def _contact_list(rows: list[tuple[str, str]]) -> dict:
    """Roundcube's answer to its contact list: JSON whose ``exec`` is a script for the page."""
    calls = "".join(f'this.add_contact_row("{cid}",{{"name":"{name}"}},"person",'
                    f'{{"name":"{name}","ID":"{cid}"}});\n' for cid, name in rows)
    return {"action": "list", "env": {"pagecount": 1}, "exec": calls}


def _row_journey(rows: list[tuple[str, str]], made: int, cid: str):
    return conv(
        entry("/?_task=addressbook", "POST", form=[("_surname", f"Zoo {made}")],
              body="<p>saved</p>"),
        api("/?_task=addressbook&_action=list&_remote=1", response=_contact_list(rows)),
        entry(f"/?_task=addressbook&_cid={cid}&_action=show", body="<p>shown</p>"),
        entry("/?_task=addressbook&_action=delete", "POST",
              form=[("_cid", cid), ("_remote", "1")], mime="application/json",
              body='{"action":"delete"}', resource_type="xhr"))


def test_an_id_in_a_script_s_rows_is_read_by_the_row_of_the_name_the_client_gave():
    """The new contact is the second row: a regex of the call's shape would read the first
    (another contact's id). The row that holds the client's epoch is the user's."""
    made = EPOCH_S + 17
    result = _row_journey([("45505", "Sentinel Contact"), ("45520", f"Zoo Zoo {made}")], made,
                          "45520")
    (generated,) = step(result, 1).generated
    assert generated.kind == "epoch_s" and generated.in_name
    contact = extraction(result, 2)
    assert contact.kind == "row" and contact.var == "contact_id"
    assert contact.anchors == (("row", ir.VarRef(generated.var)),)
    assert query(step(result, 3), "_cid") == ir.Template((ir.VarRef("contact_id"),))
    assert form_field(step(result, 4), "_cid") == ir.Template((ir.VarRef("contact_id"),))
    assert re.search(r'from_row\(\s*resp,\s*"step 2 GET /[^"]*",\s*"contact_id",\s*'
                     rf'CONTACT_ID_RE,\s*self\.{generated.var},?\s*\)',
                     result.code)
    # at run time the script finds this run's row, wherever it is in the list
    body = json.dumps(_contact_list([("100", "Zoo Zoo 1799999999"), ("7", "Sentinel Contact"),
                                     ("31337", "Zoo Zoo 1799999998")]))
    resp = type("R", (), {"text": body})()
    pattern = re.compile(contact.expr)
    assert runtime.from_row(resp, "step 2", "contact_id", pattern, 1799999998) == "31337"
    assert runtime.from_row(resp, "step 2", "contact_id", pattern, "1799999999") == "100"


def test_a_row_without_a_name_of_the_client_s_is_not_correlated():
    """The user opened the sentinel, whose row holds nothing the client made: which row is
    not known, so the id is sent as recorded rather than read from a row by its place."""
    made = EPOCH_S + 17
    result = _row_journey([("45505", "Sentinel Contact"), ("45520", f"Zoo Zoo {made}")], made,
                          "45505")
    assert not step(result, 2).extractions
    assert query(step(result, 3), "_cid") == ir.Template(("45505",))


def test_the_row_after_the_named_one_is_not_read_by_that_name():
    """Roundcube selects the next contact after a delete: the id the user then opened follows
    the named row. The text between two ids may be either's row, so it names neither."""
    made = EPOCH_S + 17
    result = _row_journey([("45520", f"Zoo Zoo {made}"), ("45505", "Sentinel Contact")], made,
                          "45505")
    assert not step(result, 2).extractions


def test_a_name_in_two_rows_of_other_ids_picks_neither():
    made = EPOCH_S + 17
    result = _row_journey([("45505", f"Zoo Zoo {made}"), ("45520", f"Zoo Zoo {made}")], made,
                          "45520")
    assert not step(result, 2).extractions


def test_from_row_fails_the_step_when_no_row_or_two_ids_hold_the_name():
    from locust.exception import RescheduleTask

    pattern = re.compile(r'add_contact_row\(\\"([^"\'\\<>\s]+)\\"')
    body = json.dumps(_contact_list([("5", "Zoo 1"), ("6", "Zoo 1"), ("7", "Other")]))

    class Resp:
        text = body
        failed: list[str] = []

        def failure(self, message):
            self.failed.append(message)

    for name, problem in (("Zoo 1", "2 rows hold 'Zoo 1'"), ("Absent", "contact_id not found")):
        resp = Resp()
        resp.__dict__["_parsed"] = {}
        with pytest.raises(RescheduleTask):
            runtime.from_row(resp, "step 2", "contact_id", pattern, name)
        assert problem in resp.failed[-1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10**6), st.text(
    st.characters(whitelist_categories=("Ll", "Lu", "Nd", "Zs")), min_size=1, max_size=20)),
    min_size=1, max_size=6), st.data())
def test_the_script_reads_a_row_as_the_conversion_found_it(rows, data):
    """Whatever the other rows, from_row over the recorded answer with the recorded name gives
    the recorded id, when the conversion made it a row source."""
    from har2locust_plus.stages.correlate.rows import row_sources
    from har2locust_plus.stages.correlate.sources import Wanted

    made = EPOCH_S + data.draw(st.integers(0, 999))
    position = data.draw(st.integers(0, len(rows)))
    listing = [(str(cid), name) for cid, name in rows]
    cid = str(10**7 + made % 1000)
    listing.insert(position, (cid, f"Zoo {made}"))
    text = json.dumps(_contact_list(listing))
    found = list(row_sources(SimpleNamespace(number=2),  # type: ignore[arg-type]
                             text, [json.loads(text)["exec"]], Wanted({cid: 9}, 2)))
    (source,) = found
    assert source.kind == "row" and source.value == cid
    ((side, tokens),) = source.anchors
    assert side == "row" and str(made) in tokens.split()
    resp = type("R", (), {"text": text})()
    assert runtime.from_row(resp, "s", "v", re.compile(source.expr), made) == cid


def test_fresh_epoch_s_never_repeats_in_a_process_and_only_names_use_it():
    from har2locust_plus.runtime.data import fresh_epoch_s

    values = [fresh_epoch_s() for _ in range(50)]
    assert len(set(values)) == 50 and values == sorted(values)
    named = conv(api("/api/r", "POST", json_body={"name": f"Report {EPOCH_S + 5}"},
                     response={"ok": 1})).code
    assert "fresh_epoch_s()" in named and "def fresh_epoch_s():" in named
    alone = conv(api("/api/r", "POST", json_body={"at": str(EPOCH_S + 5), "n": "x"},
                     response={"ok": 1})).code
    assert "int(time.time())" in alone and "fresh_epoch_s" not in alone


def _items_journey(items: list[dict], made: int, item_id: int):
    return conv(api("/api/items", "POST", json_body={"name": f"Zoo {made}"},
                    response={"ok": True}),
                api("/api/items", response={"items": items}),
                api(f"/api/items/{item_id}", "DELETE", response={"ok": True}))


def test_an_id_in_a_json_array_is_read_from_the_element_of_the_client_s_name():
    """The create answered no id; the list that follows holds it at position 1. On a fresh
    server, or with other users, position 1 is anyone's item: the element that holds the
    name the client gave is the user's."""
    made = EPOCH_S + 17
    result = _items_journey([{"id": 45505, "name": "Sentinel"},
                             {"id": 45520, "name": f"Zoo {made}"}], made, 45520)
    (generated,) = step(result, 1).generated
    item = extraction(result, 2)
    assert (item.kind, item.path) == ("json_row", ("items", 1, "id"))
    assert item.anchors == (("row", ir.VarRef(generated.var)),)
    assert re.search(r'from_json_row\(\s*resp,\s*"step 2 GET /api/items",\s*"item_id",\s*'
                     rf'\("items",\),\s*\("id",\),\s*self\.{generated.var},', result.code)
    body = json.dumps({"items": [{"id": 9, "name": "Zoo 1799999999"}, {"id": 7, "name": "S"},
                                 {"id": 31337, "name": "Zoo 1799999998", "tags": ["x"]}]})
    resp = type("R", (), {"text": body})()
    assert runtime.from_json_row(resp, "s", "item_id", ("items",), ("id",), 1799999998) == 31337


def test_an_array_element_without_the_client_s_name_is_read_by_its_position_as_before():
    result = _items_journey([{"id": 45505, "name": "Sentinel"}, {"id": 45520, "name": "Other"}],
                            EPOCH_S + 17, 45520)
    item = extraction(result, 2)
    assert (item.kind, item.path, item.anchors) == ("json", ("items", 1, "id"), ())


def _labels_journey(labels: list[dict], *, typed: str = "Zoo label", method: str = "POST"):
    """tt-rss: the caption typed (a prompt()), an answer without the id, the tree, an edit."""
    create = (entry("/backend.php", "POST", form=[("op", "add"), ("caption", typed)],
                    mime=JSON, body="Created label <b>Zoo label</b>") if method == "POST"
              else api(f"/backend.php?op=add&caption={quote_plus(typed)}", response={}))
    return conv(create, api("/backend.php?op=tree", response={"items": [
                    {"id": "root", "name": "Labels", "items": labels}]}),
                entry("/backend.php", "POST", form=[("op", "save"), ("id", "50719"),
                                                    ("caption", "Zoo label renamed")],
                      mime=JSON, body=""))


def test_an_id_in_a_json_array_is_read_from_the_element_of_the_name_the_user_typed():
    """tt-rss's new label: its id only in the label tree the page reads next, sorted by name,
    where admin's other labels come first on another server. The element whose leaf is the
    caption the user typed (sent whole by the creation) is the user's, found by that leaf
    (``exact``: "Zoo label renamed" holds "Zoo label" too)."""
    result = _labels_journey([{"bare_id": 50719, "name": "Zoo label", "type": "label"}])
    item = extraction(result, 2)
    assert (item.kind, item.path) == ("json_row", ("items", 0, "items", 0, "bare_id"))
    assert item.anchors == (("exact", ir.Template(("Zoo label",))),)
    assert re.search(r'from_json_row\(\s*resp,\s*"step 2 GET /backend.php[^"]*",\s*"bare_id",'
                     r'\s*\("items", 0, "items"\),\s*\("bare_id",\),\s*"Zoo label",\s*exact=True,'
                     r'\s*\)', result.code)
    body = json.dumps({"items": [{"items": [
        {"bare_id": 3, "name": "Archive"}, {"bare_id": 9, "name": "Zoo label renamed"},
        {"bare_id": 50800, "name": "Zoo label"}]}]})
    resp = type("R", (), {"text": body})()
    assert runtime.from_json_row(resp, "s", "bare_id", ("items", 0, "items"), ("bare_id",),
                                 "Zoo label", exact=True) == 50800


def test_with_unique_the_element_is_found_by_the_name_this_run_made():
    """``--unique caption``: the creation sends ``f"Zoo label {self.caption_suffix}"``; the
    element is found by that name, not the recorded one (no element holds it on this run)."""
    labels = [{"bare_id": 50719, "name": "Zoo label"}]
    create = entry("/backend.php", "POST", form=[("op", "add"), ("caption", "Zoo label")],
                   mime=JSON, body="Created")
    result = conv(create, api("/backend.php?op=tree", response={"items": [{"items": labels}]}),
                  entry("/backend.php", "POST", form=[("op", "save"), ("id", "50719")],
                        mime=JSON, body=""), unique_fields=("caption",))
    (anchor,) = extraction(result, 2).anchors
    (made,) = [g for g in step(result, 1).generated if g.kind == "unique"]
    assert anchor == ("exact", ir.Template(("Zoo label ", ir.VarRef(made.var))))
    assert f'f"Zoo label {{self.{made.var}}}",\n' in result.code


@pytest.mark.parametrize("case", ["not typed", "typed in a GET", "two hold it", "a token"])
def test_an_element_is_read_by_a_typed_name_only_when_the_user_sent_it_and_it_alone_holds_it(
        case: str):
    labels = [{"bare_id": 50719, "name": "Zoo label"}]
    if case == "not typed":
        result = _labels_journey(labels, typed="Other label")
    elif case == "typed in a GET":
        result = _labels_journey(labels, method="GET")
    elif case == "two hold it":
        result = _labels_journey([{"bare_id": 50719, "name": "Zoo label", "kind": "x"},
                                  {"bare_id": 50720, "name": "Zoo label", "kind": "y"}])
    else:  # a token sent whole is no name a user typed (and is correlated, if handed out)
        token = "Zk3pQ9xW2vL7nB4mXy12"
        result = _labels_journey([{"bare_id": 50719, "name": token}], typed=token)
    item = extraction(result, 2)
    assert (item.kind, item.anchors) == ("json", ()), case  # by its position, as before


def test_from_json_row_fails_the_step_when_no_element_or_two_values_hold_the_name():
    from locust.exception import RescheduleTask

    body = json.dumps([{"id": 5, "name": "Zoo 1"}, {"id": 6, "name": "Zoo 1"},
                       {"id": 7, "name": "Other"}])

    class Resp:
        text = body
        failed: list[str] = []

        def failure(self, message):
            self.failed.append(message)

    for name, problem in (("Zoo 1", "2 items hold 'Zoo 1'"), ("Absent", "item_id not found")):
        resp = Resp()
        resp.__dict__["_parsed"] = {}
        with pytest.raises(RescheduleTask):
            runtime.from_json_row(resp, "step 2", "item_id", (), ("id",), name)
        assert problem in resp.failed[-1]


def test_a_link_named_by_what_the_client_made_is_found_by_that_name_this_run():
    """A note titled ``Zoo <epoch>`` (made fresh each run) is opened from the list by its
    link: the link's name is the title as sent this run, not the recorded one (no link would
    bear it, and the recorded id, another run's note, would be sent)."""
    made = EPOCH_S + 17
    links = (f'<ul><li><a href="/notes/45505">Sentinel</a></li>'
             f'<li><a href="/notes/45520">Zoo {made}</a></li></ul>')
    result = conv(entry("/notes", "POST", form=[("title", f"Zoo {made}")], status=302,
                        response_headers=[("Location", "/notes")]),
                  page("/notes", links),
                  entry("/notes/45520", body="<p>note</p>",
                        headers=[("Referer", f"{ORIGIN}/notes")]))
    (generated,) = step(result, 1).generated
    note = extraction(result, 2)
    assert note.kind == "named_link"
    assert note.anchors == (("name", ir.Template(("Zoo ", ir.VarRef(generated.var)))),)
    assert f'f"Zoo {{self.{generated.var}}}",\n' in result.code
    page_now = ("<html><body>" + links.replace(str(made), "1799999999").replace(
        "45520", "777") + "</body></html>")
    resp = type("R", (), {"text": page_now})()
    resp.__dict__["_parsed"] = {}
    assert runtime.from_named_link(resp, "s", "note_id", re.compile(note.expr),
                                   "Zoo 1799999999", "45520") == "777"


# --- 10. a token as a field's name (Joomla) --------------------------------------------------


JOOMLA_TOKEN = "3f9a1c2b7d8e4f60a1b2c3d4e5f60718"


def _joomla_login_page(token: str) -> str:
    return (f'<form action="/index.php?option=com_users&amp;task=user.login" method="post">'
            f'<input name="username"><input type="hidden" name="return" value="aW5kZXgucGhw">'
            f'<input type="hidden" name="{token}" value="1"></form>'
            f'<a href="/index.php?option=com_users&amp;task=user.logout&amp;{token}=1">Out</a>')


def test_a_csrf_token_that_is_a_field_s_name_is_read_from_the_page():
    """Joomla's form token is the *name* of a hidden input with the value 1, sent as
    ``<token>=1`` in a form and in the logout link's query: both names become the variable,
    read at run time from the input of that shape."""
    result = conv(page("/index.php/login", _joomla_login_page(JOOMLA_TOKEN)),
                  entry("/index.php?option=com_users&task=user.login", "POST",
                        form=[("username", "alice"), ("return", "aW5kZXgucGhw"),
                              (JOOMLA_TOKEN, "1")], status=303,
                        response_headers=[("Location", "/index.php")]),
                  entry(f"/index.php?option=com_users&task=user.logout&{JOOMLA_TOKEN}=1",
                        status=303, response_headers=[("Location", "/")]))
    token = extraction(result, 1, "form_token")
    assert token.kind == "xpath" and token.used_by == (2, 3)
    body = step(result, 2).request.body
    assert isinstance(body, ir.FormBody)
    assert body.names == ((2, ir.Template((ir.VarRef("form_token"),))),)
    (logout,) = [q for q in step(result, 3).request.query if q.name == JOOMLA_TOKEN]
    assert logout.name_template == ir.Template((ir.VarRef("form_token"),))
    code = result.code
    assert "self.form_token: \"1\"," in code
    assert "task=user.logout&{quote_plus(str(self.form_token))}=1" in code
    assert JOOMLA_TOKEN not in code.split("def transaction")[0].split('"""', 2)[2]
    # at run time: the name of this run's input of that shape, wherever it is
    fresh = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    tree = lxml_html.fromstring("<html><body><input type='hidden' name='task' value='1'>"
                                + _joomla_login_page(fresh) + "</body></html>")
    assert etree.XPath(token.expr)(tree) == [fresh]


def test_field_names_that_are_words_or_not_handed_out_stay_as_recorded():
    from har2locust_plus.stages.correlate.sources import token_name

    assert token_name(JOOMLA_TOKEN) and not token_name("remember_me_checkbox")
    assert not token_name("abcdefghijklmnopqrst") and not token_name("12345678901234567")
    result = conv(page("/login", "<form><input name='q'></form>"),
                  entry("/login", "POST", form=[("username", "a"), (JOOMLA_TOKEN, "1")],
                        status=303, response_headers=[("Location", "/")]))
    body = step(result, 2).request.body
    assert isinstance(body, ir.FormBody) and body.names == ()
    assert f'"{JOOMLA_TOKEN}": "1"' in result.code


def _table_journey(rows: list[tuple[str, str]], made: int, note_id: str):
    table = "<table>" + "".join(
        f'<tr><td>{name}</td><td><a href="/notes/{nid}">Show</a> '
        f'<a href="/notes/{nid}/edit">Edit</a></td></tr>' for nid, name in rows) + "</table>"
    return conv(entry("/notes", "POST", form=[("title", f"Zoo {made}")], status=302,
                      response_headers=[("Location", "/notes")]),
                page("/notes", table),
                entry(f"/notes/{note_id}/edit", body="<p>edit</p>",
                      headers=[("Referer", f"{ORIGIN}/notes")]))


def test_an_id_in_a_table_row_is_read_from_the_row_of_the_client_s_name():
    """A scaffold's index after a create: every row has "Show" and "Edit" links, so no link's
    name names the new note, and its row is not the first. The row whose text holds the title
    the client typed (a fresh epoch each run) is the user's."""
    made = EPOCH_S + 17
    result = _table_journey([("45505", "Sentinel"), ("45520", f"Zoo {made}")], made, "45520")
    (generated,) = step(result, 1).generated
    note = extraction(result, 2)
    assert (note.kind, note.path) == ("html_row", ("tr",))
    assert note.anchors == (("row", ir.VarRef(generated.var)),)
    assert re.search(rf'from_html_row\(\s*resp,\s*"step 2 GET /notes",\s*"note_id",\s*'
                     rf'NOTE_ID_RE,\s*"tr",\s*self\.{generated.var},', result.code)
    live = ('<html><body><table><tr><td>Zoo 1799999999</td><td><a href="/notes/9">Show</a>'
            '</td></tr><tr><td>Other</td><td><a href="/notes/8">Show</a></td></tr>'
            '<tr><td>Zoo 1799999998</td><td><a href="/notes/31337">Show</a> <a href='
            '"/notes/31337/edit">Edit</a></td></tr></table></body></html>')
    resp = type("R", (), {"text": live})()
    resp.__dict__["_parsed"] = {}
    assert runtime.from_html_row(resp, "s", "note_id", re.compile(note.expr), "tr",
                                 1799999998) == "31337"


def test_a_table_row_without_the_client_s_name_is_no_row_source():
    result = _table_journey([("45505", "Sentinel"), ("45520", "Other")], EPOCH_S + 17, "45520")
    assert all(e.kind != "html_row" for e in step(result, 2).extractions)


def _admin_list_journey(rows: list[tuple[int, str]], made: int, record_id: int):
    """Flask-Admin's list after a create: each row has an edit link (``?id=``) and a delete
    form with a hidden ``id``; the create redirected to the list, which is ordered by id."""
    def row(i: int, name: str) -> str:
        return (f'<tr><td><a href="/admin/note/edit/?id={i}&amp;url=%2Fadmin%2Fnote%2F">e</a>'
                f'<form method="POST" action="/admin/note/delete/"><input name="id" '
                f'type="hidden" value="{i}"><input name="url" type="hidden" '
                f'value="/admin/note/"><button>d</button></form></td><td>{name}</td></tr>')
    table = "<table>" + "".join(row(i, name) for i, name in rows) + "</table>"
    return conv(entry("/admin/note/new/", "POST", form=[("title", f"Zoo {made}")], status=302,
                      response_headers=[("Location", "/admin/note/")]),
                page("/admin/note/", table),
                entry("/admin/note/delete/", "POST", form=[("id", str(record_id)),
                                                           ("url", "/admin/note/")],
                      status=302, response_headers=[("Location", "/admin/note/")],
                      headers=[("Referer", f"{ORIGIN}/admin/note/")]))


def test_an_input_value_in_a_table_row_is_read_from_the_row_of_the_client_s_name():
    """Before, ``(//input[@name='id']/@value)[2]``: the second row's, on a fresh server or
    with other users anyone's record, which the replay then deleted."""
    made = EPOCH_S + 17
    result = _admin_list_journey([(45505, "Sentinel"), (45520, f"Zoo {made}")], made, 45520)
    (generated,) = step(result, 1).generated
    record = extraction(result, 2)
    assert (record.kind, record.expr, record.path) == (
        "html_row_value", ".//input[@name='id']/@value", ("tr",))
    assert record.anchors == (("row", ir.VarRef(generated.var)),)
    assert form_field(step(result, 3), "id") == ir.Template((ir.VarRef(record.var),))
    live = ('<html><body><table><tr><td><input name="id" value="7"></td><td>Zoo 1799999999'
            '</td></tr><tr><td><input name="id" value="31337"></td><td>Zoo 1799999998</td></tr>'
            '</table></body></html>')
    resp = type("R", (), {"text": live})()
    resp.__dict__["_parsed"] = {}
    assert runtime.from_html_row_value(resp, "s", "id", etree.XPath(record.expr), "tr",
                                       1799999998) == "31337"


def test_an_input_value_in_a_row_without_the_client_s_name_keeps_its_position():
    result = _admin_list_journey([(45505, "Sentinel"), (45520, "Other")], EPOCH_S + 17, 45520)
    record = extraction(result, 2)
    assert (record.kind, record.expr) == ("xpath", "(//input[@name='id']/@value)[2]")


def _checkbox_list_journey(rows: list[tuple[int, str]], made: int, record_id: int):
    """Zabbix's hosts list after a create answered by JSON without the id: each row's
    checkbox is named by its host's id (``hostids[45520]``, valued the same); the next request
    sends the id of the row the user opened."""
    def row(i: int, name: str) -> str:
        return (f'<tr><td><input type="checkbox" name="hostids[{i}]" value="{i}"></td>'
                f'<td><a href="#" data-x="1">{name}</a></td><td>Linux servers</td></tr>')
    table = "<table>" + "".join(row(i, name) for i, name in rows) + "</table>"
    return conv(entry("/zabbix.php?action=host.create", "POST", form=[("host", f"Zoo {made}")],
                      mime="application/json", body='{"success": {"title": "Host added"}}'),
                page("/zabbix.php?action=host.list", table),
                entry("/zabbix.php?action=popup.host.edit", "POST",
                      form=[("hostid", str(record_id))], mime="application/json",
                      body='{"header": "Host"}'))


def test_an_input_named_by_its_row_s_id_is_read_from_the_row_of_the_client_s_name():
    """Before, ``//input[@name='hostids[45520]']/@value``: an XPath that names the id it
    reads, which on a fresh server (another id) finds nothing. Now the row of the client's
    name gives it, from the input of the same shape of name."""
    made = EPOCH_S + 17
    result = _checkbox_list_journey([(45505, "Sentinel"), (45520, f"Zoo {made}"),
                                     (45531, "Other")], made, 45520)
    (generated,) = step(result, 1).generated
    record = extraction(result, 2)
    assert (record.kind, record.var, record.path) == ("html_row_value", "hostids", ("tr",))
    assert record.anchors == (("row", ir.VarRef(generated.var)),)
    assert "45520" not in record.expr
    assert form_field(step(result, 3), "hostid") == ir.Template((ir.VarRef(record.var),))
    live = ('<html><body><table><tr><td><input name="hostids[7]" value="7"></td><td>Zoo '
            '1799999999</td></tr><tr><td><input name="hostids[31337]" value="31337">'
            '<input name="hostids[x1]" value="9"><input name="other[12]" value="12"></td>'
            '<td>Zoo 1799999998</td></tr></table></body></html>')
    resp = type("R", (), {"text": live})()
    resp.__dict__["_parsed"] = {}
    assert runtime.from_html_row_value(resp, "s", "hostids", etree.XPath(record.expr), "tr",
                                       1799999998) == "31337"


@pytest.mark.parametrize(("prefix", "suffix"), [("chk_", ""), ("item-", "-sel"), ("a[", "][b]")])
def test_the_xpath_of_an_id_named_input_takes_that_shape_only(prefix, suffix):
    from har2locust_plus.stages.correlate.html import _id_named_xpath

    xpath = etree.XPath(_id_named_xpath(prefix, suffix))
    names = [f"{prefix}31337{suffix}", f"{prefix}{suffix}", f"{prefix}12x{suffix}",
             f"x{prefix}44{suffix}", f"{prefix}55{suffix}x", f"{prefix}66"]
    row = etree.fromstring("<tr>" + "".join(f'<input name="{n}" value="{i}"/>'
                                            for i, n in enumerate(names)) + "</tr>")
    assert xpath(row) == ["0"] + (["5"] if not suffix else [])


def test_an_input_named_by_its_id_without_the_client_s_name_stays_as_recorded():
    """No row names the object by what the client made: the id is sent as recorded, not
    read by an XPath that names it."""
    result = _checkbox_list_journey([(45505, "Sentinel"), (45520, "Other")], EPOCH_S + 17,
                                    45520)
    assert step(result, 2).extractions == ()
    assert form_field(step(result, 3), "hostid") == ir.Template(("45520",))


def _address_list_journey(made: int, local: str = "zoo"):
    """PostfixAdmin: a domain named by the time the client made, then its list of addresses,
    each row with a delete form (the four default aliases first, then the mailbox the user
    added, whose row holds nothing the others do not but the local part); then the delete."""
    domain = f"zoo-{made}.example"
    rows = "".join(f'<tr><td>{a}@{domain}</td><td><form method="post" action="delete.php">'
                   f'<input type="hidden" name="delete" value="{a}@{domain}"><input '
                   f'type="hidden" name="token" value="4f1c9a7e2b6d8c03"><button>del</button>'
                   f'</form></td></tr>'
                   for a in ("abuse", "hostmaster", "postmaster", "webmaster", local))
    links = "".join(f'<a href="editactive.php?table=mailbox&amp;id={a}%40{domain}&amp;'
                    f'active=0&amp;token=4f1c9a7e2b6d8c03">YES</a>' for a in (local,))
    return conv(entry("/edit.php?table=domain", "POST", form=[("value[domain]", domain)],
                      status=302, response_headers=[("Location", "edit.php?table=domain")]),
                page(f"/list-virtual.php?domain={domain}", f"<table>{rows}</table>{links}"),
                entry("/delete.php", "POST", form=[("table", "mailbox"),
                                                   ("delete", f"{local}@{domain}"),
                                                   ("token", "4f1c9a7e2b6d8c03")],
                      status=302, response_headers=[("Location", "list-virtual.php")]))


def test_a_name_holding_the_client_s_time_is_made_from_it_not_read_by_its_place():
    """Before, ``(//input[@name='delete']/@value)[5]`` (the fifth row's, anyone's on another
    server), or the first link whose query holds the session's token: the address the user
    gave, which the list shows back, is made from the time the client made."""
    made = EPOCH_S * 1000 + 17
    result = _address_list_journey(made)
    (generated,) = step(result, 1).generated
    assert form_field(step(result, 3), "delete") == ir.Template(
        ("zoo@zoo-", ir.VarRef(generated.var), ".example"))
    assert all(e.var != "delete" for e in step(result, 2).extractions)


def test_a_name_without_the_client_s_time_is_still_read_from_the_page():
    """A value that holds no time the client made (a seeded account's address) is the
    server's word: read from the page as before."""
    result = conv(page("/list", '<form><input name="delete" value="ops@seed.example">'
                                '<input name="token" value="4f1c9a7e2b6d8c03"></form>'),
                  entry("/delete.php", "POST", form=[("delete", "ops@seed.example"),
                                                     ("token", "4f1c9a7e2b6d8c03")],
                        status=302, response_headers=[("Location", "/list")]))
    assert form_field(step(result, 2), "delete") == ir.Template(
        (ir.VarRef(extraction(result, 1, "delete").var),))


def _long_poll_journey(poll_ms: float, second_at: str = "2026-01-01T10:00:01.000Z"):
    """A page's script long-polls events (sent at 10:00:00, answered ``poll_ms`` later with a
    folder the user is about to save); the save is sent at ``second_at``."""
    token = "qj2jnjjari7f3c9e1b2d"
    poll = api("/rest/events?since=16", response=[{"data": {"folder": token}}])
    poll["startedDateTime"], poll["time"] = "2026-01-01T10:00:00.000Z", poll_ms
    save = api("/rest/config", "PUT", json_body={"folders": [{"id": token}]}, response={})
    save["startedDateTime"] = second_at
    return conv(poll, save)


def test_a_long_poll_answered_after_a_request_was_sent_is_not_its_source():
    """Syncthing's GUI long-polls its events; the poll that names the folder the user saves
    was answered after the save was sent (it reports the save): before, the save's own id was
    read from it."""
    result = _long_poll_journey(poll_ms=5000)
    assert step(result, 1).extractions == ()
    assert '"folders": [{"id": "qj2jnjjari7f3c9e1b2d"}]' in result.code


@pytest.mark.parametrize("poll_ms, second_at", [
    (500, "2026-01-01T10:00:01.000Z"),  # answered before the save was sent
    (5000, "2026-01-01T10:00:00.000Z"),  # one time for every entry: the clock tells nothing
    (900, "2026-01-01T10:00:00.500Z"),  # overlapping by less than a second: a tool's clock
])
def test_an_answer_complete_before_the_request_or_of_unknown_time_stays_a_source(poll_ms,
                                                                                 second_at):
    result = _long_poll_journey(poll_ms, second_at)
    assert [e.var for e in step(result, 1).extractions] == ["folder"]


def test_an_id_in_a_row_link_s_query_is_read_from_the_row_of_the_client_s_name():
    """``<a href="/edit.php?id=45520&amp;mode=full">Edit</a>`` in every row: the id is a
    query value; the row of the client's name gives it, whatever the other parameters."""
    made = EPOCH_S + 17

    def row(i: int, name: str) -> str:
        return f'<tr><td>{name}</td><td><a href="/edit.php?id={i}&amp;mode=full">Edit</a></td></tr>'

    result = conv(entry("/add.php", "POST", form=[("title", f"Zoo {made}")], status=302,
                        response_headers=[("Location", "/list.php")]),
                  page("/list.php", "<table>" + row(45505, "Sentinel") + row(45520, f"Zoo {made}")
                       + "</table>"),
                  entry("/edit.php?id=45520&mode=full", body="<p>e</p>",
                        headers=[("Referer", f"{ORIGIN}/list.php")]))
    note = extraction(result, 2)
    assert (note.kind, note.var) == ("html_row", "id")
    assert query(step(result, 3), "id") == ir.Template((ir.VarRef("id"),))
    live = ('<html><body><table><tr><td>Zoo 1799999998</td><td><a href="/edit.php?mode=x&amp;'
            'id=31337">Edit</a></td></tr><tr><td>Zoo 1</td><td><a href="/edit.php?id=9">Edit'
            '</a></td></tr></table></body></html>')
    resp = type("R", (), {"text": live})()
    resp.__dict__["_parsed"] = {}
    assert runtime.from_html_row(resp, "s", "id", re.compile(note.expr), "tr",
                                 1799999998) == "31337"


def test_a_form_action_s_session_tokens_do_not_anchor_each_other():
    """Keycloak's login form posts to ``?session_code=…&execution=…&client_id=app&tab_id=…``:
    three values the same page makes for this session. Each is read from the form whose
    action holds it, found by the parameters that stay (``client_id``), not by the other two's
    recorded values, which a fresh server never shows."""
    code, tab, execution = "2mcZ7T5q1xYtN8pKdA4wLbR9sVf3Gh", "Qm3xT8bN2vKp", \
        "6d7f2a1e-8b3c-4d5e-9f0a-1b2c3d4e5f6a"
    action = (f"/realms/zoo/login-actions/authenticate?session_code={code}"
              f"&execution={execution}&client_id=app&tab_id={tab}")
    form = f'<form action="{action.replace("&", "&amp;")}" method="post"></form>'
    result = conv(page("/realms/zoo/auth", form),
                  entry(action, "POST", status=302, body="",
                        form=[("username", "alice")]))
    anchors = {e.expr: e.anchors for e in result.scenario.steps[0].extractions}
    assert anchors == {name: (("client_id", "app"),)
                       for name in ("session_code", "execution", "tab_id")}
    fresh = form.replace(code, "NEWcode8Xk2Lm9Qp4Rz7vAbCdEf").replace(tab, "NEWtab5Yz9Q")
    resp = type("R", (), {"text": f"<html><body>{fresh}</body></html>"})()
    assert runtime.from_link(resp, "step 1", "tab", "tab_id", anchors["tab_id"]) == \
        "NEWtab5Yz9Q"


# --- an object's id beside its name in one path segment --------------------------------------

CATALOGUE = ('<a href="/catalogue/zoo-mug_4702/" title="Zoo mug">Zoo mug</a>'
             '<a href="/catalogue/zoo-teapot_4711/" title="Zoo teapot">'
             '<img src="/media/t.jpg" alt="Zoo teapot"></a>'
             '<a href="/catalogue/zoo-teapot_4711/" title="Zoo teapot">Zoo teapot</a>')


def test_an_id_beside_the_objects_name_in_a_path_segment_is_read_from_the_link_named_so():
    """django-oscar's /catalogue/<slug>_<id>/: the product's id, then its basket form action,
    from the catalogue's link named by the product (a new shop numbers its products anew)."""
    result = conv(page("/catalogue/", CATALOGUE),
                  entry("/catalogue/zoo-teapot_4711/",
                        headers=[("Referer", ORIGIN + "/catalogue/")],
                        body='<form action="/basket/add/4711/" method="post"></form>'),
                  entry("/basket/add/4711/", "POST", form=[("quantity", "1")],
                        headers=[("Referer", ORIGIN + "/catalogue/zoo-teapot_4711/")],
                        status=302, response_headers=[("Location", "/catalogue/zoo-teapot_4711/")]))
    e = extraction(result, 1)
    assert (e.kind, e.path, e.recorded) == ("named_link", ("Zoo teapot",), "4711")
    var = ir.VarRef(e.var, "raw")
    assert step(result, 2).request.path.parts == ("/catalogue/zoo-teapot_", var, "/")
    assert step(result, 3).request.path.parts == ("/basket/add/", var, "/")
    resp = type("R", (), {"text": CATALOGUE.replace("4711", "93")})()
    assert runtime.from_named_link(resp, "s", e.var, re.compile(e.expr), "Zoo teapot",
                                   "4711") == "93"


@pytest.mark.parametrize(("segment", "expected"), [
    ("zoo-teapot_52745", ("zoo-teapot_", "52745", "")),  # Oscar's slug_pk
    ("42-blue-mug", ("", "42", "-blue-mug")),  # Rails' to_param
    ("post-17", ("post-", "17", "")),
    ("page-2", None), ("top-10", None), ("chapter_3", ("chapter_", "3", "")),
    ("report-2024-01", None),  # a date
    ("2024-01-report", None),
    ("v-2", None),  # no word of three letters
    ("abc-0123", None),  # a leading zero: no id
    ("52745", None), ("zoo", None), ("image_1.png", None),
])
def test_a_path_segment_holds_an_id_beside_a_name(segment, expected):
    from har2locust_plus.stages.correlate.sources import slug_id

    assert slug_id(segment) == expected


def test_an_id_beside_a_name_in_a_link_without_a_name_of_its_own_stays_literal():
    rows = '<a href="/catalogue/zoo-teapot_4711/"><img src="/t.jpg"></a>'
    result = conv(page("/catalogue/", rows),
                  entry("/catalogue/zoo-teapot_4711/",
                        headers=[("Referer", ORIGIN + "/catalogue/")], body="<p>ok</p>"))
    assert step(result, 1).extractions == ()
    assert step(result, 2).request.path.is_literal


# --- an object's number the page after a purchase states -------------------------------------

THANK_YOU = ('<p class="lead">Your order has been placed - your order number is\n'
             '        <strong>100231</strong>.</p>')


def _purchase(thank_you: str, then: str = "/accounts/orders/100231/"):
    return conv(entry("/checkout/preview/", "POST", form=[("action", "place_order")],
                      status=302, response_headers=[("Location", "/checkout/thank-you/")]),
                entry("/checkout/thank-you/", body=thank_you),
                page("/accounts/orders/", f'<a href="{then}">100231</a>'),
                entry(then, headers=[("Referer", ORIGIN + "/accounts/orders/")],
                      body="<p>Order #100231</p>"))


@pytest.mark.parametrize("thank_you", [
    THANK_YOU,
    "<h1>Thank you!</h1><p>Order #100231 is confirmed.</p>",  # Shopify, WooCommerce
    "<p>Your order no. <b>100231</b> ships today</p>",
    "<p>ORDER NUMBER: 100231</p>",
])
def test_the_number_the_thank_you_page_states_is_the_orders(thank_you):
    """django-oscar: after "Place order", the redirect's page states the order number, which
    the order history's link then names (a new shop numbers orders anew)."""
    result = _purchase(thank_you)
    e = extraction(result, 2)
    assert (e.kind, e.var) == ("regex", "order_no")
    assert found_by_regex(e, thank_you.replace("100231", "100007")) == "100007"
    assert step(result, 4).request.path.parts == ("/accounts/orders/", ir.VarRef("order_no", "raw"),
                                                  "/")


@pytest.mark.parametrize(("thank_you", "why"), [
    ("<p>Showing page number 100231</p>", "a page's number is no object"),
    ("<p>order number 100231, order number 100232</p>", "two numbers under one name"),
    ("<p>Your order 100231 is on its way</p>", "no number's name"),
])
def test_no_stated_number_without_an_objects_single_number(thank_you, why):
    result = _purchase(thank_you)
    assert step(result, 2).extractions == (), why


def test_a_number_a_page_of_what_exists_states_is_no_source():
    result = conv(page("/accounts/orders/", "<p>Your last order number is 100231</p>"),
                  entry("/accounts/orders/100231/", body="<p>ok</p>"))
    assert step(result, 1).extractions == ()
    assert step(result, 2).request.path.is_literal


def test_a_formsets_bounds_are_no_ids():
    """Django's formset management form: form-MAX_NUM_FORMS=1000 is a bound, not an id."""
    form = ('<form method="post"><input type="hidden" name="form-MAX_NUM_FORMS" value="1000">'
            '<input type="hidden" name="form-0-id" value="49670"></form>')
    result = conv(page("/basket/", form),
                  entry("/basket/", "POST", form=[("form-MAX_NUM_FORMS", "1000"),
                                                  ("form-0-id", "49670")]))
    assert form_field(step(result, 2), "form-MAX_NUM_FORMS") == ir.Template.literal("1000")
    assert not form_field(step(result, 2), "form-0-id").is_literal


# --- a key that names a position or a count, and an object's id under it -----------------------


def _inline_formset(sent_order: str, *, inputs: bool = True, key: str = "lines-0-order"):
    """Django's admin with an inline formset: the add redirects to the new order's page, whose
    formset holds each line's id and its parent's (``lines-0-order``), posted back on save."""
    hidden = (f'<input type="hidden" name="{key}" value="52307">'
              '<input type="hidden" name="lines-0-id" value="1407">') if inputs else ""
    return conv(
        entry("/admin/orders/order/add/", "POST", status=302, form=[("customer", "Zoo")],
              response_headers=[("Location", "/admin/orders/order/52307/change/")]),
        page("/admin/orders/order/52307/change/", f'<form method="post">{hidden}</form>'),
        entry("/admin/orders/order/52307/change/", "POST", status=302,
              form=[("lines-0-id", "1407"), (key, sent_order), ("lines-0-quantity", "3")],
              response_headers=[("Location", "/admin/orders/order/52307/change/")]))


def test_an_inline_formsets_parent_id_is_the_new_objects_under_a_key_like_a_position():
    """``order`` names a position as often as an object (``NOT_ID_KEYS``); Django's inline
    formset sends its parent's id as ``lines-0-order``: under such a structured key, it is the
    order's id when the order's creator (the add's ``Location``, ``/order/52307/``) handed it
    out. Sent as recorded, Django refused the save (200, the form again: "The inline value did
    not match the parent instance")."""
    for inputs in (True, False):
        result = _inline_formset("52307", inputs=inputs)
        assert form_field(step(result, 3), "lines-0-order").parts == (ir.VarRef("order_id"),)
        assert form_field(step(result, 3), "lines-0-id").is_literal is not inputs
        assert form_field(step(result, 3), "lines-0-quantity") == ir.Template.literal("3")


def test_a_position_key_takes_no_id_that_is_not_its_objects():
    """``?order=``, ``page=`` alone are positions: the new order's id is no source of them,
    nor of a structured key's value that is not the order's."""
    for inputs in (True, False):
        result = _inline_formset("52307", inputs=inputs, key="order")
        assert form_field(step(result, 3), "order") == ir.Template.literal("52307")
    result = _inline_formset("5", key="lines-0-order")  # a position: not the order's id
    assert form_field(step(result, 3), "lines-0-order") == ir.Template.literal("5")
    result = _inline_formset("52307", key="lines-0-page")  # another thing's name
    assert form_field(step(result, 3), "lines-0-page") == ir.Template.literal("52307")


# --- an id a message states after "Save", sent inside an encoded query -----------------------

# Adminer's rows after "Save": every row has the same checkbox and "edit" link but for its id
# (``where%5Bid%5D=<id>``, percent-encoded inside the page's own query); only the message
# says which row the insert made
_ROWS = ("<div class='message'>{message}</div><table>"
         "<tr><td><input type='checkbox' name='check[]' value='where%5Bid%5D=14911'> "
         "<a href='adminer.php?edit=notes&amp;where%5Bid%5D=14911'>edit</a><td>14911<td>bob's"
         "<tr><td><input type='checkbox' name='check[]' value='where%5Bid%5D=14920'> "
         "<a href='adminer.php?edit=notes&amp;where%5Bid%5D=14920'>edit</a><td>14920<td>mine"
         "</table>")


def _inserted_then_deleted(message: str):
    return conv(entry("/adminer.php?edit=notes", "POST", form=[("fields[title]", "mine")],
                      status=302, response_headers=[("Location", "adminer.php?select=notes")]),
                page("/adminer.php?select=notes", _ROWS.format(message=message)),
                page("/adminer.php?edit=notes&where%5Bid%5D=14920", "<form></form>",
                     headers=[("Referer", ORIGIN + "/adminer.php?select=notes")]),
                entry("/adminer.php?select=notes", "POST",
                      form=[("check[]", "where%5Bid%5D=14920"), ("delete", "Delete")]))


@pytest.mark.parametrize(("message", "var", "expr"), [
    ("Item 14920 has been inserted.", "item_id", r"Item (\d+) has been inserted"),
    ("Record 14920 was created", "record_id", r"Record (\d+) was created"),
    ("Ticket #14920 has been submitted.", "ticket_no", r"Ticket #(\d+)"),  # its number
])
def test_the_id_a_message_says_was_made_is_sent_inside_an_encoded_query(message, var, expr):
    """Adminer: "Item 14920 has been inserted." on the page "Save" redirects to; the edit's
    link sends ``where%5Bid%5D=14920`` in its query, the delete's checkbox as its value. The
    checkboxes are no source by their position: on a fresh server, with other users, the row
    at the recorded place is anyone's."""
    result = _inserted_then_deleted(message)
    e = extraction(result, 2)
    assert (e.kind, e.var, e.expr) == ("regex", var, expr)
    assert found_by_regex(e, message.replace("14920", "7")) == "7"
    [param] = [q for q in step(result, 3).request.query if q.name == "where[id]"]
    assert param.value.parts == (ir.VarRef(var),)
    assert form_field(step(result, 4), "check[]").parts == ("where%5Bid%5D=", ir.VarRef(var))


@pytest.mark.parametrize(("message", "why"), [
    ("Page 14920 was added.", "a page's number is no object"),
    ("14920 items have been inserted.", "a count, no object's noun before it"),
    ("Item 14920 has been deleted.", "not made"),
    ("Item 14920 has been inserted. Item 14921 has been inserted.", "two under one noun"),
])
def test_no_id_from_a_message_that_names_no_single_made_object(message, why):
    result = _inserted_then_deleted(message)
    assert step(result, 2).extractions == (), why
    [param] = [q for q in step(result, 3).request.query if q.name == "where[id]"]
    assert param.value == ir.Template.literal("14920"), why
    assert form_field(step(result, 4), "check[]") == ir.Template.literal("where%5Bid%5D=14920")


def test_a_token_in_each_rows_form_is_still_read_by_its_position():
    """Roundup: each row's form has a CSRF token of its own, any of them good: the one at the
    recorded place is read (its value names no row)."""
    rows = ("<table><tr><td><form><input type='hidden' name='@csrf' value='aZ3kQ9xW2vL7nB4m'>"
            "</form><tr><td><form><input type='hidden' name='@csrf' value='bY4mP8wV1uK6mA3n'>"
            "</form></table>")
    result = conv(page("/issue", rows),
                  entry("/issue", "POST", form=[("@csrf", "bY4mP8wV1uK6mA3n")]))
    e = extraction(result, 1)
    assert (e.kind, e.expr) == ("xpath", "(//input[@name='@csrf']/@value)[2]")


@pytest.mark.parametrize("encoded", ["where%5Bid%5D=14920", "where%5bid%5d=14920",
                                     "val[&where%5Bid%5D%3D14920]", "where[id]=14920"])
def test_named_ids_reads_an_ids_name_percent_encoded_in_a_query(encoded):
    from har2locust_plus.stages.correlate.stated import named_ids

    assert [(digits, name) for _, digits, name in named_ids(encoded)] == [("14920", "id")]


# --- JSON behind an anti-XSSI prefix ------------------------------------------------------------


@pytest.mark.parametrize("prefix", [")]}'\n", ")]}',\n", "while(1);", "for (;;);"])
@pytest.mark.parametrize("mime", ["application/json", "text/plain"])
def test_a_json_answer_behind_an_anti_xssi_prefix_hands_out_its_values(prefix, mime):
    """Gerrit answers ``)]}'`` and a line break before every JSON document (AngularJS's
    convention; Google's ``while(1);``, Facebook's ``for (;;);``): the page's script strips it
    before it reads the token it sends back; so do the correlation and the script."""
    answer = api("/a/accounts/self", response={})
    answer["response"]["content"].update(
        mimeType=mime, text=prefix + json.dumps({"_account_id": 1000096, "token": TOKEN}))
    result = conv(answer, api("/a/changes/", "POST", json_body={"subject": "x"},
                              headers=[("X-Gerrit-Auth", TOKEN)], response={"ok": 1}))
    e = extraction(result, 1)
    assert (e.kind, e.path) == ("json", ("token",))
    assert header(step(result, 2), "X-Gerrit-Auth").parts == (ir.VarRef(e.var),)
    assert "from_json(" in result.code


# --- a key in a path segment's own syntax: OData's Notes(4711), a format suffix 4711.json -------


_GUID = "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5"


@pytest.mark.parametrize(("created", "sent", "parts"), [
    (4711, "/odata/Notes(4711)", ("/odata/Notes(", "id", ")")),
    ("A1B2C3D4", "/odata/Notes('A1B2C3D4')", ("/odata/Notes('", "id", "')")),
    (_GUID, f"/odata/Notes(guid'{_GUID}')", ("/odata/Notes(guid'", "id", "')")),
    (4711, "/notes/4711.json", ("/notes/", "id", ".json")),
    (_GUID, f"/notes/{_GUID}.xml", ("/notes/", "id", ".xml")),
])
def test_a_key_in_a_path_segments_own_syntax_is_the_created_objects(created, sent, parts):
    """OData addresses an entity as ``Notes(4711)`` (``Notes('…')``, v2's ``guid'…'``); Rails,
    Django REST framework and Laravel take ``/notes/4711.json``: the key the create answered
    is sent inside the segment, the rest of it kept."""
    result = conv(api("/odata/Notes", "POST", json_body={"Title": "x"},
                      response={"id": created, "Title": "x"}, status=201),
                  api(sent, "PATCH", json_body={"Title": "y"}, response={}))
    e = extraction(result, 1)
    path = step(result, 2).request.path.parts
    assert [p.name if isinstance(p, ir.VarRef) else p for p in path] == [
        parts[0], e.var, parts[2]]


@pytest.mark.parametrize("segment", ["report.json", "Orders(OrderID=4711,Line=2)",
                                     "Notes('4711)", "jquery-3.6.0.js"])
def test_no_key_in_a_segment_of_another_shape(segment):
    from har2locust_plus.stages.correlate.sources import keyed_id

    assert keyed_id(segment) is None


# --- the number the answer that made an object gives it: GitHub's and Gitea's issues ----------


@pytest.mark.parametrize("key", ["number", "_number"])
def test_the_number_a_create_answers_is_the_objects(key):
    """GitHub and Gitea answer a new issue with ``{"id": 123456789, "number": 1347, …}`` and
    address it by the number (``/repos/o/r/issues/1347``); Gerrit's changes by ``_number``."""
    result = conv(api("/repos/o/r/issues", "POST", json_body={"title": "x"},
                      response={"id": 123456789, key: 1347, "title": "x"}, status=201),
                  api("/repos/o/r/issues/1347", "PATCH", json_body={"state": "closed"},
                      response={}))
    e = extraction(result, 1)
    assert (e.kind, e.path) == ("json", (key,))
    assert step(result, 2).request.path.parts == ("/repos/o/r/issues/", ir.VarRef(e.var, "raw"))


@pytest.mark.parametrize(("method", "response"), [
    ("GET", {"number": 1347}),  # shown, not made by this request
    ("POST", {"items": [{"number": 1347}]}),  # a list's: a position or a count
    ("POST", {"number": "1347"}),  # a string: a label ("Number: 1347" shown as text)
])
def test_a_number_not_made_by_the_request_stays_a_count(method, response):
    result = conv(api("/repos/o/r/issues", method, json_body={"t": 1} if method == "POST" else None,
                      response=response),
                  api("/repos/o/r/issues/1347", "PATCH", json_body={"state": "closed"},
                      response={}))
    assert step(result, 1).extractions == ()
    assert step(result, 2).request.path.is_literal


# --- a path parameter's token: the servlet containers' ;jsessionid= in a new session's links ---


_SESSION = "9E9986703ED0811EC945649B0072941A"


@pytest.mark.parametrize("segment", [f"deploy;jsessionid={_SESSION}",
                                     f"list;JSESSIONID={_SESSION.lower()}",
                                     f"deploy;v=2;jsessionid={_SESSION}"])
def test_a_path_parameters_token_is_read_alone_the_rest_of_the_segment_kept(segment):
    """Tomcat and Jetty write the session id into every link of a new session's first page
    (``/manager/html/deploy;jsessionid=9E99…?nonce=…``): the token is the session's (here its
    cookie's), the rest of the segment (the route) is kept, not read from some link whose
    text happens to end the same way (``undeploy;jsessionid=…`` ends with it)."""
    session = segment.rsplit("=", 1)[1]
    result = conv(page("/app/", f'<form method="post" action="/app/{segment}"></form>'
                               f'<form method="post" action="/app/un{segment}"></form>',
                       response_headers=[("Set-Cookie", f"JSESSIONID={session}; Path=/app")]),
                  entry(f"/app/{segment}", "POST", form=[("a", "b")],
                        headers=[("Cookie", f"JSESSIONID={session}")]))
    parts = step(result, 2).request.path.parts
    before = "/app/" + segment[:-len(session)]
    assert [p.name if isinstance(p, ir.VarRef) else p for p in parts][0] == before, parts
    [ref] = [p for p in parts if isinstance(p, ir.VarRef)]
    assert value_at(result, ref.name, 2) == session or any(
        c["var"] == ref.name and "cookie" in c["how"] for c in result.report.correlations)


@pytest.mark.parametrize("segment", ["list;v=2", "notes;page=3", "a;b", "x;=123456789abc"])
def test_no_path_parameter_token_in_a_segment_without_one(segment):
    from har2locust_plus.stages.correlate.sources import path_param

    assert path_param(segment) is None


def test_a_segment_holding_a_time_the_client_made_is_made_again_not_read_back():
    """The user typed a name holding the time (``/zoo-1796395330617``, Tomcat's context path)
    into a form; the answer then names it (a link, a message) and a later request's path
    holds it: made again from the same fresh time, never read from the answer (which lists
    every user's)."""
    name = f"zoo-{EPOCH_S * 1000 + 123}"  # typed a moment after the recording started
    result = conv(page("/deploy", '<form method="post"><input name="path"></form>'),
                  entry("/deploy", "POST", form=[("path", "/" + name)],
                        body=f'<a href="/{name}/">/{name}</a><pre>OK - Deployed [/{name}]</pre>'),
                  page(f"/{name}/", "<h1>Zoo notes</h1>"))
    [made] = step(result, 2).generated
    parts = step(result, 3).request.path.parts
    assert [p.name if isinstance(p, ir.VarRef) else p for p in parts] == [
        "/zoo-", made.var, "/"], parts
    assert not step(result, 2).extractions


@pytest.mark.parametrize("name", ["HX-Current-URL", "Referer"])
def test_a_header_naming_the_page_the_user_is_on_follows_that_pages_live_url(name):
    """htmx sends the page the user is on with every request (``HX-Current-URL``), as the
    browser sends the ``Referer``: when that page's URL held a created id, the header names
    the page as this run requested it, not the recorded id."""
    result = conv(entry("/boards", "POST", form=[("title", "x")], status=302,
                        response_headers=[("Location", "/boards/670/summary")]),
                  page("/boards/670/summary", "<h1>Board</h1>"),
                  entry("/logout", "POST", form=[("a", "b")],
                        headers=[(name, f"{ORIGIN}/boards/670/summary")]))
    var = extraction(result, 1).var
    parts = header(step(result, 3), name).parts
    assert [p.name if isinstance(p, (ir.VarRef, ir.HostRef)) and hasattr(p, "name") else p
            for p in parts[1:]] == ["/boards/", var, "/summary"], parts


def test_parameters_after_a_semicolon_in_a_query_value_are_each_looked_up():
    """Perl's CGI (Request Tracker) writes links with ``;`` between parameters
    (``Update.html?Action=Respond;id=11828``); a browser's HAR and Python's parser see one
    value, ``Respond;id=11828``. The id in it is the created ticket's, and the separators stay
    as recorded: percent-encoded, the server saw one parameter and no ``id`` (400)."""
    result = conv(entry("/Ticket/Create.html", "POST", form=[("Subject", "x")], status=302,
                        response_headers=[("Location",
                                           f"{ORIGIN}/Ticket/Display.html?id=11828")]),
                  page("/Ticket/Display.html?id=11828",
                       '<a href="/Ticket/Update.html?Action=Respond;id=11828">Reply</a>'),
                  entry("/Ticket/Update.html?Action=Respond;id=11828"))
    var = extraction(result, 1).var
    value = query(step(result, 3), "Action")
    assert [p.name if isinstance(p, ir.VarRef) else p for p in value.parts] == [
        "Respond;id=", var], value
    url = ir.request_url(step(result, 3).request, ORIGIN)
    assert ir.template_preview(url) == f"/Ticket/Update.html?Action=Respond;id={{{var}}}"


def test_a_query_without_semicolons_is_encoded_as_before():
    """``;`` inside a value recorded percent-encoded stays encoded."""
    result = conv(entry("/items", "POST", form=[("a", "b")], status=302,
                        response_headers=[("Location", f"{ORIGIN}/items?id=11828")]),
                  entry("/items?id=11828&q=a%3Bb%3Dc"))
    url = ir.template_preview(ir.request_url(step(result, 2).request, ORIGIN))
    assert url.endswith("&q=a%3Bb%3Dc"), url


# --- an object's id inside a form field's name (Cacti's chk_<id>, a cart's cart[<id>][qty]) ----


def _created_then_posted(field_name: str, value: str = "on", *, created: str = "40752",
                         where: str = "location") -> object:
    """A create whose answer hands out ``created`` (a Location's ``id``, or a JSON ``id``),
    then a list's form posting a field named ``field_name``."""
    if where == "location":
        made = entry("/host.php", "POST", form=[("description", "a")], status=302,
                     response_headers=[("Location", f"/host.php?action=edit&id={created}")])
    else:
        made = entry("/api/items", "POST", json_body={"name": "a"}, mime=JSON,
                     body=json.dumps({"id": created, "name": "a"}), status=201)
    return conv(made,
                page("/host.php", "<form><input type='checkbox' name='x'></form>"),
                entry("/host.php", "POST", form=[("drp_action", "1"), (field_name, value)]))


@pytest.mark.parametrize(("field_name", "expected"), [
    ("chk_40752", 'f"chk_{self.id}": "on"'),
    ("cart[40752][qty]", 'f"cart[{self.id}][qty]": "on"'),
    ("item-40752", 'f"item-{self.id}": "on"'),
    ("delete[40752]", 'f"delete[{self.id}]": "on"'),
])
def test_an_id_inside_a_form_field_name_is_filled_in(field_name, expected):
    """A list's form names its checkboxes or quantities by the row's id: the id a response
    handed out is filled into the name, the rest kept."""
    result = _created_then_posted(field_name)
    assert expected in result.code, result.code
    body = step(result, 3).request.body
    assert isinstance(body, ir.FormBody) and [i for i, _ in body.names] == [1]


def test_a_uuid_inside_a_form_field_name_from_json_is_filled_in():
    uuid = "3f1c2a9e-8b7d-4c6e-9f01-23456789abcd"
    result = _created_then_posted(f"qty[{uuid}]", "2", created=uuid, where="json")
    assert 'f"qty[{self.item_id}]": "2"' in result.code, result.code


@pytest.mark.parametrize("field_name", [
    "form-0-id",  # a formset's index
    "lines-1-quantity",
    "chk_7",  # one digit: a position as often as an id
    "chk_99999",  # not handed out
    "40752",  # a name that is only a number: a position as often as an id
    "chk_40752x",  # not between separators
])
def test_field_names_without_a_handed_out_id_stay_as_recorded(field_name):
    result = _created_then_posted(field_name)
    body = step(result, 3).request.body
    assert isinstance(body, ir.FormBody) and body.names == (), result.code
    assert f'"{field_name}": "on"' in result.code


@pytest.mark.parametrize("typed", ["Zoo%20page%20{t}", "Zoo+page+{t}", "zoo%2D{t}",
                                   "Zoo%20page%20{t}.page"])
def test_a_time_after_a_percent_escape_in_a_typed_path_is_made_again(typed):
    """A page address the user typed with spaces (Gitit's ``/Zoo%20page%201796408490591``):
    the time follows ``%20``, whose ``20`` is no digit of it; every request naming the page
    sends this run's time, the escapes kept as recorded."""
    made = str(EPOCH_S * 1000 + 321)
    segment = typed.format(t=made)
    result = conv(page(f"/{segment}", "<p>There is no page</p>", status=404),
                  page(f"/_edit/{segment}", "<form><textarea name='t'></textarea></form>"),
                  entry(f"/{segment}", "POST", form=[("t", "x")], status=303,
                        response_headers=[("Location", f"/{segment}")]))
    [generated] = step(result, 1).generated
    head, tail = segment.split(made)
    for number, prefix in ((1, "/"), (2, "/_edit/"), (3, "/")):
        parts = step(result, number).request.path.parts
        assert parts == tuple(p for p in (prefix + head, ir.VarRef(generated.var, "raw"), tail)
                              if p), parts


def test_digits_after_a_percent_escape_that_are_no_time_stay_as_recorded():
    """``%20`` followed by digits that make no time near the recording (an order number)
    stays, and the escape's own digits never join a run: ``Order%201796`` is no time."""
    result = conv(page("/Order%20201796408490591", "<p>x</p>"),
                  page("/Order%201796", "<p>x</p>"))
    assert step(result, 1).request.path.is_literal and step(result, 2).request.path.is_literal


@pytest.mark.parametrize("method", ["MKCOL", "PUT", "MKCALENDAR"])
def test_a_random_name_in_a_uuids_shape_that_a_put_or_mkcol_makes_is_made_fresh(method):
    """Radicale's web interface names a new collection by random hex in a UUID's shape (not a
    version 4 one: ``…-1e75-…``): the request that makes it names it, so it is the client's,
    made fresh each run, and the later requests naming it send the same."""
    name = "12247397-5b77-1e75-47a2-050709ccfa8c"
    result = conv(entry(f"/alice/{name}/", method, status=201, body=""),
                  entry(f"/alice/{name}/", "PROPPATCH", status=207, body="<multistatus/>",
                        raw=("text/xml", "<propertyupdate/>")),
                  entry(f"/alice/{name}/", "DELETE", status=200, body=""))
    [made] = step(result, 1).generated
    assert made.kind == "uuid4"
    for number in (1, 2, 3):
        assert step(result, number).request.path.parts == (
            "/alice/", ir.VarRef(made.var, "raw"), "/"), number


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "PROPPATCH"])
def test_a_uuid_of_another_version_that_no_request_makes_stays_as_recorded(method):
    """A UUID not of version 4 in a path a request only reads or changes (an app's fixed id,
    a time-based UUID a server gave elsewhere) is sent as recorded."""
    name = "12247397-5b77-1e75-87a2-050709ccfa8c"
    result = conv(entry(f"/things/{name}", method, status=200, body=""))
    assert step(result, 1).request.path.is_literal


def test_an_id_inside_a_query_parameters_name_is_filled_in():
    """A list's form sent by GET names its checkboxes by the row's id: ``?chk_40752=on``."""
    made = entry("/host.php", "POST", form=[("description", "a")], status=302,
                 response_headers=[("Location", "/host.php?action=edit&id=40752")])
    result = conv(made, page("/host.php", "<p>list</p>"),
                  entry("/host.php?action=delete&chk_40752=on&chk_7=on"))
    [param] = [q for q in step(result, 3).request.query if q.name == "chk_40752"]
    assert param.name_template == ir.Template(("chk_", ir.VarRef("id")))
    assert 'f"/host.php?action=delete&chk_{quote_plus(str(self.id))}=on&chk_7=on"' in \
        result.code, result.code


def test_an_id_inside_a_multipart_fields_name_is_filled_in():
    boundary = "----zoo"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"drp_action\"\r\n\r\n1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"chk_40752\"\r\n\r\non\r\n"
            f"--{boundary}--\r\n")
    made = entry("/host.php", "POST", form=[("description", "a")], status=302,
                 response_headers=[("Location", "/host.php?action=edit&id=40752")])
    result = conv(made, page("/host.php", "<p>list</p>"),
                  entry("/host.php", "POST",
                        raw=(f"multipart/form-data; boundary={boundary}", body)))
    request_body = step(result, 3).request.body
    assert isinstance(request_body, ir.MultipartBody), request_body
    assert request_body.names == ((1, ir.Template(("chk_", ir.VarRef("id")))),)
    assert '(f"chk_{self.id}", (None, "on"))' in result.code, result.code


# --- Transmission: RPC bodies typed otherwise, numbers, directories, a refusal's session id --


def _rpc(method: str, arguments: dict, response: object, *, mime: str = "json",
         session: str = "sess-0123456789abcdefghij") -> dict:
    """A JSON-RPC call whose body the page's script types ``mime`` (jQuery's ``"json"``)."""
    body = json.dumps({"method": method, "arguments": arguments})
    return api("/transmission/rpc", "POST", response=response, raw=(mime, body),
               headers=[("X-Transmission-Session-Id", session)])


@pytest.mark.parametrize("mime", ["json", "text/plain;charset=UTF-8", "application/x-json",
                                  # jQuery's default type over JSON.stringify()'s text
                                  "application/x-www-form-urlencoded; charset=UTF-8"])
def test_a_json_body_typed_otherwise_is_json_and_its_values_are_correlated(mime: str) -> None:
    """fetch() or sendBeacon() with a string types it ``text/plain``, jQuery's ``contentType:
    'json'`` types it ``json``: the body is still a JSON object, and the number the add's
    answer gave the torrent is found inside it (as recorded text it was sent as ``[76]`` to a
    daemon that numbers it 23; typed as a form, the whole text was sent percent-encoded as the
    name of one empty field)."""
    result = conv(
        _rpc("torrent-add", {"metainfo": "ZDg6YW5ub3VuY2U="},
             {"arguments": {"torrent-added": {"id": 76, "name": "a.bin"}}, "result": "success"},
             mime=mime),
        _rpc("torrent-remove", {"ids": [76]}, {"arguments": {}, "result": "success"}, mime=mime))
    remove = step(result, 2)
    assert isinstance(remove.request.body, ir.JsonBody)
    assert remove.request.body.value == {"method": "torrent-remove",
                                         "arguments": {"ids": [ir.VarRef("torrent_added_id")]}}
    assert extraction(result, 1).path == ("arguments", "torrent-added", "id")
    assert header(remove, "Content-Type").text == mime  # sent as recorded beside json=
    assert f'"Content-Type": "{mime}"' in result.code and "json={" in result.code


@pytest.mark.parametrize(("text", "typed"), [
    ('{"a": 1}', False),  # no Content-Type header: json= would add one the browser never sent
    ("[1, 2", True),  # not JSON
    ('"just a string"', True),  # JSON, but no object or array
    ("a=1&b=2", True),
])
def test_other_bodies_stay_as_recorded_text(text: str, typed: bool) -> None:
    sent = api("/log", "POST", response={"ok": True}, raw=("text/plain", text))
    if not typed:
        sent["request"]["headers"] = [h for h in sent["request"]["headers"]
                                      if h["name"] != "Content-Type"]
    result = conv(sent)
    body = step(result, 1).request.body
    assert isinstance(body, ir.RawBody) and body.text.text == text


def test_a_form_stays_a_form() -> None:
    result = conv(api("/save", "POST", response={"ok": True}, form=[("title", "{a}")]))
    assert isinstance(step(result, 1).request.body, ir.FormBody)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=12).filter(lambda v: isinstance(v, (dict, list))))
@settings(max_examples=60, deadline=None)
def test_a_json_body_under_any_type_keeps_its_value(value: object) -> None:
    """Whatever JSON object or array a ``text/plain`` body holds, the request sends that value
    (correlation aside: no response hands anything out)."""
    result = conv(api("/beacon", "POST", response=None, status=204,
                      raw=("text/plain;charset=UTF-8", json.dumps(value))))
    body = step(result, 1).request.body
    assert isinstance(body, ir.JsonBody) and body.value == value


@pytest.mark.parametrize(("key", "value", "correlated"), [
    ("download-dir", "/var/lib/transmission/downloads", True),
    ("savePath", "/srv/torrents", True),
    ("home", "/home/alice", True),
    ("next", "/dashboard/settings", False),  # a URL of the site
    ("url", "/var/lib/transmission/downloads", False),
    ("download-dir", "//cdn.example/x", False),
])
def test_a_directory_of_the_server_is_correlated_though_it_starts_with_a_slash(
        key: str, value: str, correlated: bool) -> None:
    """Transmission's settings name where it saves (``"download-dir"``), and the page's script
    sends that back with every torrent it adds: another daemon, another directory. A value
    under a key that names no directory stays a URL, never correlated whole."""
    result = conv(api("/settings", response={"arguments": {key: value}}),
                  api("/add", "POST", json_body={"where": value, "file": "x"},
                      response={"ok": True}))
    sent = step(result, 2).request.body.value["where"]
    assert isinstance(sent, ir.VarRef) is correlated, sent


def test_a_value_outside_any_list_is_read_before_the_same_in_a_list_element() -> None:
    """The directory is in the daemon's settings and, later, in the first torrent of a list:
    read from the settings (another run may list no torrent, or someone else's first)."""
    where = "/var/lib/transmission/downloads"
    result = conv(api("/settings", response={"download-dir": where}),
                  api("/torrents", response={"torrents": [{"id": 3, "downloadDir": where}]}),
                  api("/add", "POST", json_body={"download-dir": where, "file": "x"},
                      response={"ok": True}))
    assert extraction(result, 1).path == ("download-dir",)
    assert not step(result, 2).extractions


def test_the_session_id_a_409_hands_out_is_read_from_it() -> None:
    """Transmission refuses a call without its session id ``409`` and hands it out in the
    refusal's header; the page's script sends the call again with it, and every call after."""
    sid = "7rwwV0s9KDxZtB3PqLw8C7850EE6abcd"
    refused = api("/transmission/rpc", "POST", status=409, response=None,
                  raw=("json", '{"method":"session-get"}'),
                  response_headers=[("X-Transmission-Session-Id", sid)])
    result = conv(refused, _rpc("session-get", {}, {"arguments": {}, "result": "success"},
                                session=sid))
    assert extraction(result, 1).kind == "header"
    assert header(step(result, 2), "X-Transmission-Session-Id").parts == (
        ir.VarRef("transmission_session_id"),)


# --- a date or time the server put in a form's input ------------------------------------------


def test_a_date_the_server_put_in_a_form_is_read_from_it_under_that_name_only() -> None:
    """Zabbix's maintenance period (``active_since`` now, ``active_till`` now and a day),
    Redmine's new issue (``issue[start_date]`` today): the user sent the defaults unchanged,
    as a browser sends what the server put there. Recorded, they are another day's: a period
    made, and ended, in the past. Only from an input of the very name it is sent under: the
    same date under another name, in a path or from a JSON answer stays as recorded (a date a
    person picks)."""
    html = ('<form method="post" action="/maint">'
            '<input type="text" name="active_since" value="2026-12-05 04:40">'
            '<input type="text" name="active_till" value="2026-12-06 04:40">'
            '<input type="date" name="issue[start_date]" value="2026-12-05">'
            '<input name="name" value=""></form>')
    result = conv(
        page("/maint/new", html),
        api("/calendar", response={"today": "2026-12-05"}),
        entry("/maint", "POST", form=[("active_since", "2026-12-05 04:40"),
                                      ("active_till", "2026-12-06 04:40"),
                                      ("issue[start_date]", "2026-12-05"),
                                      ("due_date", "2026-12-05"), ("name", "Zoo m")],
              status=302, response_headers=[("Location", "/maint")]),
        entry("/calendar/2026-12-05", body="<p>day</p>"))
    fields = dict(step(result, 3).request.body.fields)
    assert fields["active_since"].parts == (ir.VarRef("active_since"),)
    assert fields["active_till"].parts == (ir.VarRef("active_till"),)
    assert fields["issue[start_date]"].parts == (ir.VarRef("issue_start_date"),)
    assert fields["due_date"].text == "2026-12-05" and fields["name"].text == "Zoo m"
    assert step(result, 4).request.path.text == "/calendar/2026-12-05"
    assert extraction(result, 1, "active_since").expr == \
        "//input[@name='active_since']/@value"


# --- a form's fields the page filled in, sent back unchanged -----------------------------------


SETTINGS_FORM = """<form method="post" action="/admin/settings">
<input type="hidden" name="csrf" value="9f8e7d6c5b4a39281706f5e4d3c2b1a0">
<input type="hidden" name="action" value="save">
<input type="text" name="site_name" value="Team wiki">
<input type="email" name="admin_email" value="carol@example.test">
<input type="number" name="per_page" value="20">
<input type="text" name="tagline" value="Notes of the team">
<input type="checkbox" name="open" value="1" checked>
<select name="timezone"><optgroup label="Europe"><option value="UTC">UTC</option>
<option value="Europe/Paris" selected="selected">Paris</option></optgroup></select>
<select name="lang"><option value="en">English</option><option value="fr">French</option>
</select>
<textarea name="footer">Made by the team</textarea>
<input type="submit" name="go" value="Save"></form>
<p>Today: Team wiki</p>"""


def test_fields_a_settings_form_showed_are_read_from_it_when_sent_back_unchanged() -> None:
    """The user changed the tagline and saved: the other fields went back as the page showed
    them, the server's current settings. Sent as recorded, a replay against a server whose
    settings differ (another site name, set by someone else) writes the recording's over them
    and "passes". Read from the live form, as a browser sends them (a select's selected
    option, a textarea's text too); a field the user changed, a hidden constant, a checkbox's
    and a button's value, a select with no option selected stay as recorded."""
    result = conv(page("/admin/settings", SETTINGS_FORM),
                  entry("/admin/settings", "POST", form=[
                      ("csrf", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"), ("action", "save"),
                      ("site_name", "Team wiki"), ("admin_email", "carol@example.test"),
                      ("per_page", "20"), ("tagline", "What we know"), ("open", "1"),
                      ("timezone", "Europe/Paris"), ("lang", "en"),
                      ("footer", "Made by the team"), ("go", "Save")], status=302,
                      response_headers=[("Location", "/admin/settings")]))
    fields = dict(step(result, 2).request.body.fields)
    for name, var in (("site_name", "site_name"), ("admin_email", "admin_email"),
                      ("per_page", "per_page"), ("csrf", "csrf"), ("timezone", "timezone"),
                      ("footer", "footer")):
        assert fields[name].parts == (ir.VarRef(var),), name
    # no option selected: the browser sent the first, which another server may not list first
    for name, value in (("action", "save"), ("tagline", "What we know"), ("open", "1"),
                        ("go", "Save"), ("lang", "en")):
        assert fields[name].text == value, name
    assert extraction(result, 1, "site_name").expr == "//input[@name='site_name']/@value"
    assert extraction(result, 1, "timezone").expr == \
        "(//select[@name='timezone']//option[@selected])[1]/@value"
    live = lxml_html.fromstring(SETTINGS_FORM.replace(' selected="selected"', "").replace(
        '<option value="UTC">', '<option value="UTC" selected>'))
    assert live.xpath(extraction(result, 1, "timezone").expr) == ["UTC"]
    assert live.xpath(extraction(result, 1, "footer").expr) == "Made by the team"


def test_a_filled_field_is_read_only_for_itself_and_never_from_a_login_form() -> None:
    """The page's value counts for that very field: the same words sent under another name,
    or in a query, stay as recorded; and a form asking for a password holds the user's own
    (the data file's), not the page's."""
    login = ('<form method="post" action="/login"><input name="username" value="alice">'
             '<input type="password" name="password" value=""></form>')
    result = conv(page("/admin/settings", SETTINGS_FORM), page("/login", login),
                  entry("/search?q=Team+wiki", body="<p>found</p>"),
                  entry("/login", "POST", form=[("username", "alice"), ("password", "pw-1")],
                        status=302, response_headers=[("Location", "/")]),
                  entry("/rename", "POST", form=[("title", "Team wiki")], status=302,
                        response_headers=[("Location", "/")]))
    assert query(step(result, 3), "q").text == "Team wiki"
    assert dict(step(result, 4).request.body.fields)["username"].text == "alice"
    assert dict(step(result, 5).request.body.fields)["title"].text == "Team wiki"


# --- a script the server writes for the session ---------------------------------------------------

SCRIPT_TOKEN = "IjVlM2Qy.axPEnw.RXyjpAfwlh4RFe-fkHgXavhDp"
JS = "application/javascript"


def _session_script(token: str = SCRIPT_TOKEN, quote: str = "'") -> dict:
    body = (f"define('utils', [], function() {{\n  pgAdmin['csrf_token_header'] = "
            f"'X-pgA-CSRFToken';\n  pgAdmin[{quote}csrf_token{quote}] = {quote}{token}{quote};\n"
            f"  var build = 'a1b2c3d4e5f6a7b8c9d0';\n}});")
    return entry("/browser/js/utils.js?ver=91800", mime=JS, body=body, resource_type="script")


@pytest.mark.parametrize("quote", ["'", '"'])
def test_a_token_a_script_file_sets_is_read_from_it_the_script_kept_as_a_step(quote: str):
    result = conv(
        page("/browser/", "<div id=app></div>"),
        _session_script(quote=quote),
        entry("/static/app.js", mime=JS, body="var x = 'q9w8e7r6t5y4u3i2o1p0';",
              resource_type="script"),
        api("/preferences", headers=[("X-pgA-CSRFToken", SCRIPT_TOKEN)], response={"a": 1}),
        api("/browser/server_group/obj/", "POST", headers=[("X-pgA-CSRFToken", SCRIPT_TOKEN)],
            json_body={"name": "g"}, response={"node": {"_id": 5}}))
    assert [s.label for s in result.scenario.steps] == [
        "GET /browser/", "GET /browser/js/utils.js", "GET /preferences",
        "POST /browser/server_group/obj/"]
    e = extraction(result, 2)
    assert e.kind == "regex" and e.recorded == SCRIPT_TOKEN and e.used_by == (3, 4)
    assert found_by_regex(e, result.scenario.steps[1].response.text) == SCRIPT_TOKEN
    var = ir.Template((ir.VarRef(e.var),))
    assert header(step(result, 3), "X-pgA-CSRFToken") == header(step(result, 4),
                                                               "X-pgA-CSRFToken") == var
    assert dict(result.scenario.skipped) == {"static asset (keep with --keep-static)": 1}
    assert any("kept as steps, though static: entry 2 GET /browser/js/utils.js" in d.message
               for d in result.scenario.diagnostics)


def test_a_script_file_stays_out_when_a_page_or_nothing_later_hands_out_its_token():
    handed = conv(  # the page holds the token too: the page is its source
        page("/", f'<meta name="csrf-token" content="{SCRIPT_TOKEN}">'),
        _session_script(),
        api("/api/a", "POST", headers=[("X-CSRF-Token", SCRIPT_TOKEN)], json_body={"x": 1},
            response={"ok": True}))
    assert [s.label for s in handed.scenario.steps] == ["GET /", "POST /api/a"]
    assert extraction(handed, 1).recorded == SCRIPT_TOKEN
    before = conv(  # the token was sent before the script came
        page("/", "<p>x</p>"),
        api("/api/a", "POST", headers=[("X-CSRF-Token", SCRIPT_TOKEN)], json_body={"x": 1},
            response={"ok": True}),
        _session_script())
    assert [s.label for s in before.scenario.steps] == ["GET /", "POST /api/a"]
    unnamed = conv(  # sent, but not as a credential: a constant of the code, say
        page("/", "<p>x</p>"), _session_script(),
        api("/api/a", "POST", json_body={"build": "a1b2c3d4e5f6a7b8c9d0"}, response={"ok": 1}))
    assert [s.label for s in unnamed.scenario.steps] == ["GET /", "POST /api/a"]
    assert all("kept as steps" not in d.message for d in unnamed.scenario.diagnostics)
    for cached in (("Last-Modified", "Sat, 05 Dec 2026 07:59:31 GMT"),  # a file of the disk's
                   ("Cache-Control", "public, max-age=31536000, immutable"),  # a build's
                   ("Cache-Control", "max-age=86400")):
        script = _session_script()
        script["response"]["headers"].append({"name": cached[0], "value": cached[1]})
        filed = conv(page("/", "<p>x</p>"), script,
                     api("/api/a", headers=[("X-CSRF-Token", SCRIPT_TOKEN)], response={"ok": 1}))
        assert [s.label for s in filed.scenario.steps] == ["GET /", "GET /api/a"], cached
    kept = conv(page("/", "<p>x</p>"), _session_script(),  # --keep-static: kept anyway
                api("/api/a", headers=[("X-CSRF-Token", SCRIPT_TOKEN)], response={"ok": 1}),
                keep_static=True)
    assert extraction(kept, 2).recorded == SCRIPT_TOKEN


@settings(max_examples=60, deadline=None)
@given(key=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True),
       token=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9+/=._-]{11,39}", fullmatch=True).filter(
           lambda t: any(c.isdigit() for c in t) and any(c.isalpha() for c in t)),
       quote=st.sampled_from(["'", '"']), noise=st.sampled_from(["", "x = 1;\n", "a[0] = 2;"]))
def test_a_member_set_by_its_quoted_name_is_found_again_by_its_regex(key, token, quote, noise):
    """``obj['key'] = '…'`` in an inline script: the run-time regex finds the same string."""
    html = f"<script>{noise}cfg[{quote}{key}{quote}] = {quote}{token}{quote};</script>"
    result = conv(page("/", html), api("/a", "POST", json_body={"token": token},
                                       response={"ok": 1}))
    e = extraction(result, 1)
    assert e.recorded == token
    assert found_by_regex(e, result.scenario.steps[0].response.text) == token


# --- a route's words that hold a digit are no values -------------------------------------------


@pytest.mark.parametrize(("segment", "is_route_word"), [
    ("v2", True), ("saml2", True), ("oauth2", True), ("ipv6", True), ("v1.0", True),
    ("saml2-acs.php", True), ("index2.html", True), ("UserLogin.aspx", True),
    ("4711", False), ("ZOO-12", False), ("report-4711.html", False), ("abc123", False),
    ("a1b2c3d4", False), ("9f8e7d.php", False), ("v2024", False), ("v1.2024", False),
])
def test_a_route_word_with_a_digit_is_told_from_an_id(segment: str, is_route_word: bool) -> None:
    from har2locust_plus.stages.correlate.sources import route_word

    assert route_word(segment) is is_route_word


def test_a_route_word_in_a_redirect_is_not_read_as_a_value() -> None:
    """SimpleSAMLphp's SP redirects to ``/simplesaml/saml2/idp/SSOService.php?SAMLRequest=…``
    and later the browser goes to ``/simplesaml/saml2/idp/SingleLogoutService.php``: ``saml2``
    is the route's, as in every request, not a value the redirect handed out; the request
    the SP's form posts to (``saml2-acs.php``) is named by the route too."""
    saml = _b64(300, 7)
    result = conv(
        entry("/sp/login", status=302, response_headers=[
            ("Location", f"{ORIGIN}/simplesaml/saml2/idp/SSOService.php?"
                         f"SAMLRequest={quote_plus(saml)}")]),
        page("/simplesaml/saml2/idp/SSOService.php",
             '<form method="post" action="/simplesaml/module.php/saml/sp/saml2-acs.php/sp">'
             '<input type="hidden" name="SAMLResponse" value="PHNhbWw+eDwvc2FtbD4="></form>'),
        entry("/simplesaml/module.php/saml/sp/saml2-acs.php/sp", "POST",
              form=[("SAMLResponse", "PHNhbWw+eDwvc2FtbD4=")], body="<p>ok</p>"),
        entry("/simplesaml/saml2/idp/SingleLogoutService.php", body="<p>bye</p>"))
    assert step(result, 4).request.path == ir.Template.literal(
        "/simplesaml/saml2/idp/SingleLogoutService.php")
    assert step(result, 3).request.path.is_literal
    assert form_field(step(result, 3), "SAMLResponse") == ir.Template(
        (ir.VarRef("saml_response"),))
    assert {e.var for s in result.scenario.steps for e in s.extractions} == {"saml_response"}


def test_a_token_sent_right_after_an_answer_without_its_body_is_reported() -> None:
    """A page that posts a form as soon as it loads (SAML's assertion, OAuth's form_post)
    leaves without its body in a browser's HAR. A form's token by a name that says so
    (``SAMLResponse``) is read from that live page's form (see
    ``test_correlate_lost_pages.py``); a value under another name is sent as recorded, which
    a fresh server refuses: the conversion says which value, where, and why."""
    assertion = _b64(600, 9)

    def posting(name: str) -> dict:
        return page("/idp/login", f'<form method="post" action="/sp/acs"><input '
                                  f'type="hidden" name="{name}" value="{assertion}"></form>')

    def lost(name: str) -> dict:
        entry = json.loads(json.dumps(posting(name)))
        del entry["response"]["content"]["text"]
        return entry

    def acs(name: str) -> dict:
        return entry("/sp/acs", "POST", form=[(name, assertion), ("RelayState", "/home")],
                     body="<p>welcome</p>")

    def warnings(*entries: dict) -> list[str]:
        return [d.message for d in conv(*entries).scenario.diagnostics
                if "no recorded answer holds it" in d.message]

    [message] = warnings(lost("wresult"), acs("wresult"))
    assert message.startswith("step 2 sends wresult (800 characters) as recorded: no "
                              "recorded answer holds it, and the answer of step 1 (GET "
                              "/idp/login) has no body in the recording")
    assert warnings(posting("wresult"), acs("wresult")) == []  # read from the page's input
    short = entry("/sp/acs", "POST", form=[("RelayState", "/home")], body="<p>welcome</p>")
    assert warnings(lost("wresult"), short) == []  # nothing that looks made by a server
    result = conv(lost("SAMLResponse"), acs("SAMLResponse"))
    [message] = [d.message for d in result.scenario.diagnostics
                 if "no recorded answer holds" in d.message]
    assert message.startswith("step 2 sends SAMLResponse, which no recorded answer holds, "
                              "from the page of step 1 (GET /idp/login)"), message
    e = extraction(result, 1)
    assert (e.kind, e.expr, e.anchors) == ("form_token_or_recorded", "SAMLResponse",
                                           (("/", ir.Template(("/sp/acs",))),))


@pytest.mark.parametrize(("method", "answer", "var"), [
    # Deluge's web interface: the daemons it knows, each as [id, host, port, user, version]
    ("web.get_hosts", [["5f912cf476a44b5fa0e7fda343e0aa01", "127.0.0.1", 58846, "localclient",
                        "2.0.3"]], "host_id"),
    ("Notes.getNote", {"result_id": 1}, "note_id"),  # (the object's own name wins below)
    ("notes.create", "5f912cf476a44b5fa0e7fda343e0aa01", "note_id"),  # its whole result
    ("session.listDevices", [["dev-5f912cf476a44b5fa0e7"]], "device_id"),
])
def test_a_remote_procedure_s_result_is_named_after_what_it_answers(method, answer, var):
    """JSON-RPC wraps every answer in ``result``: a value read from it (by position) is named
    by the procedure (``web.get_hosts`` → ``host_id``), not ``result``."""
    value = "5f912cf476a44b5fa0e7fda343e0aa01"
    if isinstance(answer, dict):  # a named member is named by its key, as anywhere
        answer, var = {"note": value}, "note"
    elif method == "session.listDevices":
        value = answer[0][0]
    result = conv(
        api("/json", "POST", json_body={"method": method, "params": [], "id": 1},
            response={"result": answer, "error": None, "id": 1}),
        api("/json", "POST", json_body={"method": "web.connect", "params": [value], "id": 2},
            response={"result": None, "error": None, "id": 2}))
    assert extraction(result, 1).var == var
    assert f'"params": [self.{var}]' in result.code and value not in result.code


_JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                         st.text("abcdef0123456789", min_size=0, max_size=24))
_JSON = st.recursive(_JSON_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["result", "id", "data", "token", "0"]), inner, max_size=3)),
    max_leaves=8)
_ANSWER = st.one_of(st.text("abcdef0123456789", min_size=8, max_size=24), _JSON)  # bare too
_METHODS = st.sampled_from(["web.get_hosts", "notes.create", "auth.login", "get", ""])


@settings(max_examples=60, deadline=None)
@given(answer=_ANSWER, method=_METHODS)
def test_any_json_answer_of_a_remote_procedure_converts(answer, method):
    """Whatever a JSON-RPC procedure answers (a bare string, a list, nested arrays, an empty
    path to the value), the conversion names and reads what a later call sends back from it,
    without an error (a bare answer once indexed an empty member path)."""
    sent = next((leaf for leaf in ir.json_leaves(answer) if isinstance(leaf, str)
                 and len(leaf) >= 8), "0123456789abcdef")
    result = conv(
        api("/json", "POST", json_body={"method": method, "params": [], "id": 1},
            response=answer),
        api("/json", "POST", json_body={"method": "web.connect", "params": [sent], "id": 2},
            response={"result": None, "error": None, "id": 2}))
    assert result.code


# --- a moment to the second: from the same object's member of that name -----------------------

MADE = "2026-12-05T22:22:42.000Z"  # the second the server set itself up in
SEEN = "2026-12-05T22:22:49.000Z"
EDITED = "2026-12-05T22:22:55.000Z"


def test_a_moment_is_read_from_the_same_object_s_member_of_that_name() -> None:
    """Ghost sends a post back whole, its author and tiers inside, each with its own
    ``created_at``/``updated_at``; what the server made while setting itself up shares one
    second. A moment is a version stamp (Ghost's ``updated_at``), but not one of a kind: it is
    read only from a member of the same name of the object with the same id, never from
    another object's member (a post's ``published_at`` for its author's ``created_at``, one
    tier's ``updated_at`` for another's). With no such source it is sent as recorded."""
    result = conv(
        api("/api/users/me/", response={"users": [
            {"id": "u1", "name": "Alice", "created_at": MADE, "last_seen": SEEN}]}),
        api("/api/posts/", response={"posts": [
            {"id": "p0", "title": "Welcome", "published_at": MADE},
            {"id": "p9", "title": "Other", "published_at": SEEN}]}),
        api("/api/tiers/", response={"tiers": [
            {"id": "t1", "name": "Free", "created_at": MADE, "updated_at": MADE},
            {"id": "t2", "name": "Paid", "created_at": MADE, "updated_at": EDITED}]}),
        api("/api/posts/p7/", "PUT", json_body={"posts": [{
            "id": "p7", "title": "Mine", "published_at": MADE,
            "authors": [{"id": "u1", "created_at": MADE, "last_seen": SEEN}],
            "tiers": [{"id": "t2", "updated_at": EDITED}, {"id": "t3", "updated_at": MADE}],
        }]}, response={"posts": [{"id": "p7", "updated_at": EDITED}]}),
    )
    sent = step(result, 4).request.body.value["posts"][0]
    author, paid, other = sent["authors"][0], sent["tiers"][0], sent["tiers"][1]

    def source(ref: object) -> tuple:
        assert isinstance(ref, ir.VarRef), ref
        found, = (e for s in result.scenario.steps for e in s.extractions if e.var == ref.name)
        return found.path

    assert source(author["created_at"]) == ("users", 0, "created_at")
    assert source(author["last_seen"]) == ("users", 0, "last_seen")
    assert source(paid["updated_at"]) == ("tiers", 1, "updated_at")
    # no tier t3 and no post p7 was listed: nothing of theirs to read (not t1's, not p0's)
    assert other["updated_at"] == MADE and sent["published_at"] == MADE


def test_a_moment_of_an_object_without_an_id_needs_only_the_member_s_name() -> None:
    """A settings document's ``updated_at`` read and sent back (no id on either side): read by
    its name; a member of another name that holds the same second is no source."""
    result = conv(
        api("/api/settings/", response={"settings": {"title": "Zoo", "updatedAt": EDITED},
                                        "server": {"started_at": EDITED}}),
        api("/api/settings/", "PUT", json_body={"settings": {"title": "Zoo 2",
                                                             "updated_at": EDITED},
                                                "since": EDITED},
            response={"settings": {"title": "Zoo 2"}}),
    )
    sent = step(result, 2).request.body.value
    ref = sent["settings"]["updated_at"]
    assert isinstance(ref, ir.VarRef)
    assert extraction(result, 1, ref.name).path == ("settings", "updatedAt")
    assert sent["since"] == EDITED


# --- a JSON-RPC call's id is the client's count ------------------------------------------------


def test_a_json_rpc_call_s_id_is_sent_as_recorded_never_read_from_an_answer() -> None:
    """Every JSON-RPC call carries an ``id``, the client's count of its calls (Tryton's client
    counted to 36 in its journey), which the answer repeats. Lists answered before held
    objects whose ids were 19, 20 …: a call's own ``id`` was once read from such a list by
    position (``result[11]['id']``), a wrong correlation that fails the step when the list
    differs. The call's ``id`` is sent as recorded; an id among its parameters is still read
    from the answer that gave it, and an answer's repeated ``id`` is no source."""
    menu = [{"id": n, "name": f"menu {n}"} for n in range(19, 26)]  # not 18
    result = conv(
        api("/rpc/", "POST", json_body={"id": 17, "method": "model.ir.ui.menu.read",
                                        "params": [[1], {}]},
            response={"id": 17, "result": menu}),
        api("/rpc/", "POST", json_body={"id": 18, "method": "model.res.user.create",
                                        "params": [[{"login": "zoo"}], {}]},
            response={"id": 18, "result": [48213]}),
        api("/rpc/", "POST", json_body={"id": 19, "method": "model.res.user.write",
                                        "params": [[48213], {"active": False}, {}]},
            response={"id": 19, "result": None}),
        api("/rpc/", "POST", json_body={"id": 20, "jsonrpc": "2.0", "method": "notes.read",
                                        "params": [18]},
            response={"id": 20, "jsonrpc": "2.0", "result": {}}),
    )
    assert [s.request.body.value["id"] for s in result.scenario.steps] == [17, 18, 19, 20]
    write = step(result, 3).request.body.value
    assert isinstance(write["params"][0][0], ir.VarRef)
    assert extraction(result, 2).path == ("result", 0)
    # 18 was the create call's own id, repeated by its answer: sent as recorded
    assert step(result, 4).request.body.value["params"] == [18]
    assert not step(result, 1).extractions and '"id": 19,' in result.code


def test_an_id_read_this_run_inside_the_url_of_a_route_never_requested() -> None:
    """A single-page app's route is never requested: after the user opens the note the create
    answered, its ``Referer`` names ``/app/notes/<id>``, and it sends the route as data too
    (Directus's ``{"last_page": "/content/notes/<id>"}``, a form's ``return_to``). The id in
    those URLs is the one read this run; a word, a short number or a value no request reads
    stays as recorded, and so does the scheme and host of a full URL."""
    note = "5039ee92-2216-43ce-856c-e56f836853e8"
    other = "7c0e5a1b-93d4-4f5e-8a2b-1c3d4e5f6a7b"  # handed out, never read by a request
    route = f"{ORIGIN}/app/notes/{note}"
    result = conv(
        api("/api/notes", "POST", json_body={"title": "n"},
            response={"data": {"id": note, "owner": other}}),
        api(f"/api/notes/{note}", headers=[("Referer", route)], response={"data": {}}),
        api("/api/me/page", "PATCH", headers=[("Referer", route)],
            json_body={"last_page": f"/content/notes/{note}", "pages": [
                f"/content/notes/{note}?tab={note}#{note}", f"/owners/{other}",
                "/content/notes/12", f"{ORIGIN}/content/notes/{note}", f"notes/{note}"]},
            response={"ok": True}),
        entry("/logout", "POST", headers=[("Referer", route)],
              form=[("return_to", f"/app/notes/{note}"), ("next", f"/app/notes/{note}x")],
              status=204),
    )
    var = extraction(result, 1).var
    path_ref, raw_ref = ir.VarRef(var, "path"), ir.VarRef(var)
    for number in (2, 3, 4):
        assert header(step(result, number), "Referer") == ir.Template(
            (ir.HostRef(), "/app/notes/", path_ref)), number
    body = step(result, 3).request.body.value
    assert body["last_page"] == ir.Template(("/content/notes/", path_ref))
    assert body["pages"] == [
        # the query value and the fragment, whole tokens, were replaced by the pass already
        ir.Template(("/content/notes/", path_ref, "?tab=", raw_ref, "#", raw_ref)),
        f"/owners/{other}", "/content/notes/12",
        ir.Template((ir.HostRef(), "/content/notes/", path_ref)), f"notes/{note}"]
    fields = dict(step(result, 4).request.body.fields)
    assert fields["return_to"] == ir.Template(("/app/notes/", path_ref))
    assert fields["next"] == ir.Template.literal(f"/app/notes/{note}x")
    assert '"Referer": f"{self.origin}/app/notes/{quote(str(self.note_id), safe=\'\')}"' \
        in result.code


def test_an_id_in_a_wrapper_object_is_named_by_the_resource_the_request_asked_for() -> None:
    """``{"data": {"id": …}}`` (Directus, JSON:API, many REST APIs wrap their object so) says
    nothing of what the object is: the id is named by the request's resource, and a route's
    word for the signed-in user's own object (``/users/me``) by the kind before it."""
    user, note = "5ce686a1-8528-4a78-a18b-3475d0c2a7d9", "5039ee92-2216-43ce-856c-e56f836853e8"
    result = conv(
        api("/users/me", response={"data": {"id": user, "role": {"id": "r-4f1e2d3c4b5a"}}}),
        api("/items/notes", "POST", json_body={"title": "n"}, response={"data": {"id": note}}),
        api(f"/items/notes/{note}?owner={user}", "PATCH", json_body={"done": True},
            response={"data": {"id": note}}),
    )
    assert extraction(result, 1).var == "user_id"
    assert extraction(result, 2).var == "note_id"


def test_an_unsafe_request_to_the_user_s_own_route_makes_nothing() -> None:
    """WordPress's editor saves the user's settings with ``POST /wp/v2/users/me`` (answered
    with the user, ``{"id": 1}``), then asks for ``/categories/1``, the default category: the
    answer names the signed-in user, no new object, so the category's 1 is not read from it.
    An object a request to another route made is still read (``/notes`` answering 1)."""
    result = conv(
        api("/wp/v2/users/me", "POST", json_body={"meta": {"x": 1}},
            response={"id": 1, "name": "alice"}),
        api("/wp/v2/categories/1", response={"id": 1, "name": "Uncategorized"}),
        api("/wp/v2/notes", "POST", json_body={"title": "n"}, response={"id": 1}),
        api("/wp/v2/notes/1", "DELETE", response={"deleted": True}),
    )
    assert not step(result, 1).extractions
    assert step(result, 2).request.path == ir.Template.literal("/wp/v2/categories/1")
    assert extraction(result, 3).var == "note_id"
    assert step(result, 4).request.path.parts[-1] == ir.VarRef("note_id", "raw")


def test_a_signed_link_per_object_is_read_from_the_link_of_the_object_the_flow_made() -> None:
    """Laravel's temporary signed routes (``URL::temporarySignedRoute``), like any signed URL
    per object: a list shows one link per note, ``/notes/<id>/export?expires=…&signature=…``,
    all made at once (the same ``expires``), each with its own signature of its whole URL. The
    flow opens the export of the note it made, not the first of the list: both halves are read
    from the link whose path is that note's (found by its path at run time), never the first
    link's (another note's signature: 403)."""
    old, new, expires = "22750", "22751", "1796558668"
    signatures = {old: "7a0eb75c2a741ffbebcbceb015fc5552ed79a95fa4ed88a50b233849ac204c7a",
                  new: "bd0fa3a9056124cb9d48a649373e8c56bf84fac5ca2e5db01b964d93e5487d61"}

    def signed(note: str) -> str:
        return f"{ORIGIN}/notes/{note}/export?expires={expires}&amp;signature={signatures[note]}"

    listing = "".join(f'<li><a href="/notes/{n}">n</a> <a href="{signed(n)}">Export</a></li>'
                      for n in (old, new))
    result = conv(
        entry("/notes", "POST", form=[("title", "Call the plumber")], status=302,
              response_headers=[("Location", f"{ORIGIN}/notes/{new}")]),
        page("/notes", f"<ul>{listing}</ul>"),
        page(f"/notes/{new}/export?expires={expires}&signature={signatures[new]}", "<pre/>"),
    )
    note_id = extraction(result, 1).var
    path = ir.Template(("/notes/", ir.VarRef(note_id), "/export"))
    links = {e.expr: e for e in step(result, 2).extractions}
    assert set(links) == {"expires", "signature"}
    for e in links.values():
        assert (e.kind, e.anchors) == ("link", (("/", path),)), e
    assert query(step(result, 3), "signature") == ir.Template(
        (ir.VarRef(links["signature"].var),))
    # the run-time reader takes the link of that path; a path no link has stops the flow
    resp = type("R", (), {"text": f"<ul>{listing}</ul>",
                          "headers": {"Content-Type": "text/html"}})()
    for note in (old, new):
        anchors = (("/", f"/notes/{note}/export"),)
        assert runtime.from_link(resp, "s", "v", "signature", anchors) == signatures[note]
        assert runtime.from_link(resp, "s", "v", "expires", anchors) == expires


def test_a_link_path_naming_an_object_not_known_yet_is_no_anchor() -> None:
    """A list whose links name objects the flow never saw before (the page itself shows them
    first) anchors nothing by path: the link's nonce is read as before, from the first link
    holding it, when that is the recorded one; a per-session path parameter
    (``;jsessionid=…``, Tomcat's Manager) names no object."""
    nonce = "4B7536699704048E45F260A69FCA3948"
    session = "9E9986703ED0811EC945649B0072941A"
    result = conv(
        page("/manager/html", f'<a href="/manager/html/list;jsessionid={session}'
                              f'?CSRF_NONCE={nonce}">list</a>'
                              f'<a href="/items/31337/delete?nonce={TOKEN}">x</a>'),
        entry(f"/manager/html/list?CSRF_NONCE={nonce}"),
        entry(f"/items/31337/delete?nonce={TOKEN}", "POST", status=204),
    )
    kinds = {e.expr if e.kind == "link" else e.var: (e.kind, e.anchors)
             for e in step(result, 1).extractions}
    assert ("regex", ()) in kinds.values(), kinds  # the CSRF nonce: the first such link
    assert kinds["nonce"] == ("link", ()), kinds  # 31337 was never handed out before


def test_a_link_found_by_its_other_parameters_keeps_no_stale_path() -> None:
    """A nonce per object in a list's links whose path holds a number no answer handed out
    (a year): the link is found by the object's id in its query, as before; its recorded path
    would find no link on a fresh server. Only where nothing else tells the link from the
    page's first is the recorded path kept (the step then fails, saying so)."""
    nonces = {"4700": "Qm9vb2sxMjM0NTY3", "4711": "Zk3pQ9xW2vL7nB4m"}
    links = "".join(f'<a href="/archive/2026/trash?id={n}&amp;nonce={t}">x</a>'
                    for n, t in nonces.items())
    result = conv(
        entry("/notes", "POST", form=[("title", "Milk")], status=302,
              response_headers=[("Location", f"{ORIGIN}/notes/4711")]),
        page("/archive", links),
        entry(f"/archive/2026/trash?id=4711&nonce={nonces['4711']}", "POST", status=204),
    )
    note_id = extraction(result, 1).var
    [link] = [e for e in step(result, 2).extractions if e.kind == "link"]
    assert link.anchors == (("id", ir.VarRef(note_id)),), link


@pytest.mark.parametrize(("segment", "encoding"), [
    ("0u7FiUwDpia0EJVyPm8W6GZEnQQ=", "segment"),  # base64's padding, written as it is
    ("(S(lit3py55t21z5v55vlm25s55))", "segment"),  # ASP.NET's cookieless session
    ("0u7FiUwDpia0EJVyPm8W6GZEnQQ%3D", "path"),  # the recording encoded it: so does the script
    ("Zk3pQ9xW2vL7nB4mQ2", "raw"),
])
def test_a_path_segment_read_at_run_time_is_written_as_the_recording_wrote_it(segment,
                                                                               encoding):
    """A server may compare a path as written (a signature over it), not decoded: a token a
    ``Location`` hands out is sent back in the path encoded as the browser sent it, ``=`` and
    ``(`` left as they are where the recording left them (Mono's cookieless session takes
    ``%28…%29`` too: what the browser sent is the safe choice, not always the only one)."""
    result = conv(
        entry("/start", status=302, response_headers=[("Location", f"/img/{segment}/photo")]),
        entry(f"/img/{segment}/photo", body="<p>photo</p>"),
        entry(f"/img/{segment}/edit", body="<p>edit</p>"))
    e = extraction(result, 1)
    for number in (2, 3):
        [ref] = step(result, number).request.path.refs()
        assert (ref.name, ref.encoding) == (e.var, encoding)
    code = result.code
    if encoding == "segment":
        assert "path_segment(self." in code and "\ndef path_segment(value):" in code
        assert runtime.path_segment(found_by_regex(e, f"/img/{segment}/photo")) == segment
    else:
        assert "path_segment" not in code


@given(st.text(max_size=30))
def test_path_segment_keeps_one_segment_and_decodes_to_the_value(value):
    from urllib.parse import unquote
    written = runtime.path_segment(value)
    assert "/" not in written and "?" not in written and "#" not in written
    assert unquote(written) == value


def _button_to(note: int, token: str) -> str:
    """A row of a Rails list: the note's ``button_to`` form, its per-form token."""
    return (f'<tr><td>Note</td><td><form class="button_to" method="post" action="/notes/{note}">'
            '<input type="hidden" name="_method" value="delete"><input type="submit" '
            f'value="Destroy"><input type="hidden" name="authenticity_token" value="{token}">'
            '</form></td></tr>')


PER_FORM = {4711: "tok4711AbCdEfGhIjKlMnOpQrSt", 4712: "tok4712AbCdEfGhIjKlMnOpQrSt",
            0: "tokLogoutAbCdEfGhIjKlMnOpQrSt"}
LOGOUT_FORM = ('<form class="button_to" method="post" action="/logout"><input type="hidden" '
               f'name="authenticity_token" value="{PER_FORM[0]}"></form>')


def test_a_token_per_form_is_read_from_the_form_of_the_object_this_run_made():
    """Rails' per-form CSRF tokens (``load_defaults`` 5.0 and later): each ``button_to`` holds
    a token for its own action, which another action refuses. The destroy of the note this run
    made sends the token of the form whose action is that note's, found by the action (the
    note's id read this run), not by its place in the list (alice's older note comes first,
    and other users' notes on a fresh server); the log-out's, by its action too."""
    html = _button_to(4711, PER_FORM[4711]) + _button_to(4712, PER_FORM[4712]) + LOGOUT_FORM
    result = conv(
        entry("/notes", "POST", status=302, form=[("note[title]", "Milk")],
              response_headers=[("Location", "/notes/4712")]),
        page("/notes", html),
        entry("/notes/4712", "POST", status=302, response_headers=[("Location", "/notes")],
              form=[("_method", "delete"), ("authenticity_token", PER_FORM[4712])]),
        entry("/logout", "POST", status=302, response_headers=[("Location", "/login")],
              form=[("authenticity_token", PER_FORM[0])]))
    note = extraction(result, 1)
    tokens = {e.recorded: e for e in step(result, 2).extractions}
    destroy, logout = tokens[PER_FORM[4712]], tokens[PER_FORM[0]]
    assert (destroy.kind, destroy.expr) == ("form_input", "authenticity_token")
    assert destroy.anchors == (("/", ir.Template(("/notes/", ir.VarRef(note.var)))),)
    assert (logout.kind, logout.anchors) == ("form_input", (("/", ir.Template(("/logout",))),))
    assert form_field(step(result, 3), "authenticity_token") == \
        ir.Template((ir.VarRef(destroy.var),))
    # at run time: this run's note is another id, in another place of the list
    live = _button_to(51, "tokOtherUsersNote") + LOGOUT_FORM + _button_to(77, "tokThisRun")
    resp = type("R", (), {"text": f"<html><body><table>{live}</table></body></html>"})()
    assert runtime.from_form(resp, "step 2", "t", "authenticity_token",
                             (("/", "/notes/77"),)) == "tokThisRun"
    assert runtime.from_form(resp, "step 2", "t", "authenticity_token",
                             (("/", "/logout"),)) == PER_FORM[0]


def test_forms_of_one_action_with_different_tokens_keep_the_recorded_place():
    """Several forms posting to one action without an object in it (``/cart``, a product's
    id in a hidden field): which one the user sent is not told by the action."""
    forms = "".join(f'<form method="post" action="/cart"><input type="hidden" name="token" '
                    f'value="{value}"></form>' for value in ("Zk3pQ9xW2vL7nB4mA1", TOKEN))
    result = conv(page("/shop", forms), entry("/cart", "POST", form=[("token", TOKEN)],
                                              body="<p>ok</p>"))
    e = extraction(result, 1)
    assert (e.kind, e.expr) == ("xpath", "(//input[@name='token']/@value)[2]")


def test_an_object_s_two_forms_of_one_action_keep_the_recorded_place():
    """A note's page with its edit form and its ``button_to`` destroy, both posting to
    ``/notes/4712`` with tokens of their own (Rails: per action *and* method): the action does
    not tell which form the user sent."""
    forms = "".join(f'<form method="post" action="/notes/4712"><input type="hidden" '
                    f'name="_method" value="{method}"><input type="hidden" '
                    f'name="authenticity_token" value="{value}"></form>'
                    for method, value in (("patch", "Zk3pQ9xW2vL7nB4mA1"), ("delete", TOKEN)))
    result = conv(
        entry("/notes", "POST", status=302, form=[("note[title]", "Milk")],
              response_headers=[("Location", "/notes/4712")]),
        page("/notes/4712", forms),
        entry("/notes/4712", "POST", status=302, response_headers=[("Location", "/notes")],
              form=[("_method", "delete"), ("authenticity_token", TOKEN)]))
    e = next(e for e in step(result, 2).extractions if e.recorded == TOKEN)
    assert (e.kind, e.expr) == ("xpath", "(//input[@name='authenticity_token']/@value)[2]")


# --- the object a post made, in the only row of the list it led to ----------------------------

WATCH = "e16f2541-c669-4553-b280-5839d102838a"
WATCHED = "http://shop.test/item.html?probe=zoo"


def _watch_row(uuid: str, shown: str, url: str = WATCHED) -> str:
    return (f'<tr id="{uuid}" data-watch-uuid="{uuid}"><td><input name="uuids" '
            f'type="checkbox" value="{uuid} "></td><td><a href="{url}">{shown}</a></td>'
            f'<td><a href="/edit/{uuid}#general">Edit</a></td></tr>')


def _watch_list(*rows: str, flash: str = "Watch added.") -> str:
    return (f'<p class="flash">{flash}</p><table><thead><tr><th>Page</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _watch_journey(*rows: str, flash: str = "Watch added.", url: str = WATCHED):
    return conv(
        entry("/form/add", "POST", status=302, form=[("url", url), ("processor", "text")],
              response_headers=[("Location", "/?tag=")]),
        page("/?tag=", _watch_list(*rows, flash=flash)),
        entry(f"/edit/{WATCH}", headers=[("Referer", f"{ORIGIN}/?tag=")]),
        entry(f"/delete?uuid={WATCH}", "POST", status=302, form=[("confirm", "yes")],
              headers=[("Referer", f"{ORIGIN}/edit/{WATCH}")],
              response_headers=[("Location", "/")]))


def test_the_id_of_what_a_post_made_is_read_from_the_row_that_holds_its_typed_name():
    """changedetection.io: "Watch" a page's address (typed), the list the post led to holds
    the new watch in its only row (``<tr data-watch-uuid="e16f…">``), and the flash says no
    id. Read from the first row (as before), every user and every run after one left a
    watch behind edited and deleted the same, oldest watch, without a failure (the delete
    still answered 302). Read from the row whose text or links hold the address this run
    typed (made new each run, a parameter of its own, so that it still leads there)."""
    result = _watch_journey(_watch_row(WATCH, WATCHED))
    e = extraction(result, 2)
    assert (e.kind, e.path, e.recorded, e.var) == ("html_row_value", ("tr",), WATCH,
                                                   "watch_uuid")
    url = form_field(step(result, 1), "url")
    assert url.parts[0] == WATCHED + "&_=" and isinstance(url.parts[1], ir.VarRef)
    assert e.anchors == (("row", url),)
    assert step(result, 3).request.path == ir.Template(("/edit/", ir.VarRef(e.var)))
    assert query(step(result, 4), "uuid") == ir.Template((ir.VarRef(e.var),))
    # the run time: the row holding this run's address, wherever the list puts it, also
    # once the row shows the page's title instead (its link still leads there)
    mine, other = f"{WATCHED}&_=3f9a1c2e", "0b9f8a3e-1d2c-4b5a-9e8f-7a6b5c4d3e2f"
    live = _watch_list(_watch_row(other, WATCHED, f"{WATCHED}&_=77aa00bb"),
                       _watch_row(WATCH, "Item 42", mine))
    resp = type("R", (), {"text": f"<html><body>{live}</body></html>"})()
    assert runtime.from_html_row_value(resp, "step 2", e.var, etree.XPath(e.expr), "tr",
                                       mine) == WATCH


@pytest.mark.parametrize("rows, flash, why", [
    ((_watch_row(WATCH, WATCHED),), f"Watch {WATCH} added.", "the message names it too"),
    ((_watch_row(WATCH, WATCHED), _watch_row("0b9f8a3e-1d2c-4b5a-9e8f-7a6b5c4d3e2f", WATCHED)),
     "Watch added.", "two rows hold the typed name"),
    ((_watch_row(WATCH, "Item 42", "http://elsewhere.test/"),), "Watch added.",
     "no row holds a name the post gave"),
    ((_watch_row(WATCH, "text", "http://elsewhere.test/"),), "Watch added.",
     "the row holds a value chosen from a list (processor=text), not the typed address"),
])
def test_the_id_of_what_a_post_made_is_not_read_from_a_row_that_cannot_be_told(rows, flash,
                                                                                why):
    """Where the id is also outside the row, or no row, or two rows, hold the name the post
    gave, the row rule reads nothing (the other rules decide, as before)."""
    result = _watch_journey(*rows, flash=flash)
    assert not [e for s in result.scenario.steps for e in s.extractions
                if e.kind.startswith("html_row")], why
    assert not isinstance(form_field(step(result, 1), "url").parts[-1], ir.VarRef), why


# --- what the page writes with the host it was asked for ---------------------------------------

FILE_TOKEN = "AbC123xYz789QwE45"


def test_a_value_in_an_absolute_link_is_read_by_a_regex_that_holds_no_host():
    """Plone writes every link absolute, with the host and port it was asked for
    (``http://127.0.0.1:18601/Plone/…``). A regex cut from the text before the value holds
    that host: run against another host or port, it finds nothing and every run stops at
    its first step. The host part is any host."""
    host = ORIGIN.split("//")[1]
    result = conv(
        page("/files", f'<p>Your file:</p><a href="{ORIGIN}/d/{FILE_TOKEN}/get">get it</a>'),
        entry(f"/d/{FILE_TOKEN}/get", headers=[("Referer", f"{ORIGIN}/files")]))
    e = extraction(result, 1)
    assert e.kind == "regex" and host not in e.expr.replace("\\", ""), e.expr
    elsewhere = f'<a href="http://10.1.2.3:9000/d/{FILE_TOKEN}/get">get it</a>'
    assert re.search(e.expr, elsewhere).group(1) == FILE_TOKEN
    assert step(result, 2).request.path == ir.Template(("/d/", ir.VarRef(e.var), "/get"))


@pytest.mark.parametrize("segment", ["plonejsi18n", "jsi18n", "a11y-settings", "l10n"])
def test_a_numeronym_in_a_path_is_a_route_word_no_value(segment):
    """``/Plone/plonejsi18n`` (Plone's catalog view, named in a ``data-i18ncatalogurl``):
    a word with a digit, no value the server handed out. Read from the page as an id, the
    step failed on every server whose page wrote another host."""
    result = conv(
        page("/Plone", f'<div data-i18ncatalogurl="{ORIGIN}/Plone/{segment}"></div>'),
        entry(f"/Plone/{segment}?domain=widgets", mime=JSON, body="{}",
              resource_type="xhr", headers=[("Referer", f"{ORIGIN}/Plone")]))
    assert not step(result, 1).extractions
    assert step(result, 2).request.path.is_literal


# --- the name the server made from the title typed ---------------------------------------------


@pytest.mark.parametrize("made", ["harbour-meeting-minutes", "harbour-meeting-minutes-1"])
def test_a_slug_the_server_made_from_the_typed_title_is_read_from_the_location(made):
    """Plone (and most CMSs) names a new page by its title: "Harbour Meeting Minutes" →
    ``/Plone/harbour-meeting-minutes``, ``…-1`` where that is taken. Only words, it was kept as
    a route word: every user but the first, and every run once a page of that name stayed,
    edited and deleted the first user's page. The segment of the add's ``Location`` that is
    the typed title made a slug is the page's name, read each run."""
    result = conv(
        entry("/Plone/++add++Document", "POST", status=302,
              form=[("form.widgets.IDublinCore.title", "Harbour Meeting Minutes"),
                    ("form.buttons.save", "Save")],
              response_headers=[("Location", f"{ORIGIN}/Plone/{made}/view")]),
        page(f"/Plone/{made}/view", "<h1>Harbour Meeting Minutes</h1>"),
        entry(f"/Plone/{made}/edit", headers=[("Referer", f"{ORIGIN}/Plone/{made}/view")]))
    e = extraction(result, 1)
    assert (e.kind, e.recorded) == ("location", made)
    assert step(result, 3).request.path == ir.Template(("/Plone/", ir.VarRef(e.var), "/edit"))
    # the redirect's check takes any name there (another user's add made "…-1")
    [where] = [c.expected for c in step(result, 1).checks if c.kind == "location"]
    assert re.fullmatch(where, "/Plone/harbour-meeting-minutes-2/view")


def test_a_route_word_that_is_no_typed_title_stays():
    """A ``Location`` of route words that no sent name makes (``/accounts/profile/``) stays."""
    result = conv(
        entry("/accounts/login/", "POST", status=302,
              form=[("username", "alice"), ("note", "Harbour Meeting Minutes")],
              response_headers=[("Location", f"{ORIGIN}/accounts/profile/")]),
        page("/accounts/profile/", "<h1>Profile</h1>"),
        entry("/accounts/profile/edit", headers=[("Referer", f"{ORIGIN}/accounts/profile/")]))
    assert not step(result, 1).extractions


def test_a_value_at_the_start_of_a_body_outside_any_url_still_gets_its_regex():
    """The text before a value a few characters into a body (``{"id":792041,…}``) is in no
    URL: its regex is cut as before (a first version took "no URL" for a host ending before
    the text's start and found no regex: verify --fix could not read a note's id)."""
    from har2locust_plus.stages.correlate.sources import boundary_regex

    pattern = boundary_regex('{"id":792041,"title":"x"}', "792041")
    assert pattern is not None and re.search(pattern, '{"id":5,"title":"y"}').group(1) == "5"
