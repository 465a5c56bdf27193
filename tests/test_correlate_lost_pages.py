"""Correlation: a form's token sent from a page whose body the recording lacks.

An export may hold a page's answer without its body: DevTools exports a body only while it
still has it (the pages a journey left often are gone), and some exporters keep no bodies.
A form's token then has no recorded source; the script reads it from that live page (the
input of its name in the form that posts to the request's path, or for a CSRF header the
page's ``<meta name="csrf-token">``), and the conversion says so. What a user types, what a
recorded answer holds, and a request sent from another page are left as they were.
"""

from __future__ import annotations

import re

import pytest
from locust.exception import RescheduleTask
from test_correlate import (
    HTML,
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
)

from har2locust_plus import ir
from har2locust_plus.runtime import checks as runtime
from har2locust_plus.stages.correlate.rank import form_state_name

TOKEN = "Vq3xZp8LmT0rYw2KbN5sHd7JcF1gAe9u"
HEADER_TOKEN = "IjE1NDBiMTEx.aw7w7A.UCUEX4xPp6lmtuUj3JAFTLlry4w"


def lost(path: str) -> dict:
    """A page's answer whose body the recording lacks (its type kept)."""
    return entry(path, mime=HTML, body=None)


def _reads(result) -> list[str]:
    return [d.message for d in result.scenario.diagnostics
            if "whose body is not in the recording" in d.message]


class _Response:
    """What the run time reads of a response, and the failure it reports."""

    def __init__(self, text: str, url: str) -> None:
        self.text, self.url, self.failed = text, url, None
        self.status_code, self.headers = 200, {}

    def failure(self, message: str) -> None:
        self.failed = message


def _response(text: str, url: str = f"{ORIGIN}/notes/new") -> _Response:
    return _Response(text, url)


def test_a_form_token_of_a_page_not_recorded_is_read_from_that_live_page_s_form():
    result = conv(lost("/notes/new"),
                  entry("/notes", "POST", status=302, form=[
                      ("authenticity_token", TOKEN), ("note[title]", "Milk")],
                      headers=[("Referer", f"{ORIGIN}/notes/new")],
                      response_headers=[("Location", "/notes/4711")]))
    e = extraction(result, 1)
    assert (e.kind, e.expr, e.recorded) == ("form_token_or_recorded", "authenticity_token", TOKEN)
    assert e.anchors == (("/", ir.Template(("/notes",))),)
    assert form_field(step(result, 2), "authenticity_token") == ir.Template((ir.VarRef(e.var),))
    assert form_field(step(result, 2), "note[title]") == ir.Template.literal("Milk")
    [said] = _reads(result)
    assert said.startswith("step 2 sends authenticity_token, which no recorded answer holds, "
                           "from the page of step 1 (GET /notes/new)"), said
    assert not [d.message for d in result.scenario.diagnostics
                if "no recorded answer holds it, and the answer" in d.message]  # the old one


def test_the_form_is_found_by_this_run_s_action():
    """The page's other forms (a log-out ``button_to`` with its own token first, as Rails'
    per-form tokens have it) are not the one: the form posting to the request's path, with
    the object's id this run, is."""
    result = conv(entry("/notes", "POST", status=302, form=[("note[title]", "Milk")],
                        response_headers=[("Location", "/notes/4711")]),
                  lost("/notes/4711/edit"),
                  entry("/notes/4711", "POST", status=302, form=[
                      ("_method", "patch"), ("authenticity_token", TOKEN),
                      ("note[title]", "Oat milk")],
                      response_headers=[("Location", "/notes/4711")]))
    note = extraction(result, 1)
    token = extraction(result, 2)
    assert token.anchors == (("/", ir.Template(("/notes/", ir.VarRef(note.var)))),)
    live = ('<form action="/logout" method="post"><input name="authenticity_token" '
            'value="tokLogout"></form><form action="/notes/77" method="post">'
            '<input name="authenticity_token" value="tokThisRun"></form>')
    assert runtime.from_form(_response(live), "step 2", "t", "authenticity_token",
                             (("/", "/notes/77"),)) == "tokThisRun"


@pytest.mark.parametrize("action", ["", ".", "./", "http://app.test/admin/add/"])
def test_a_form_s_action_is_resolved_against_its_page(action):
    """None (Django admin's forms have no action: they post to their page), relative, or a
    whole URL."""
    live = (f'<form action="/admin/logout/" method="post"><input name="csrfmiddlewaretoken" '
            f'value="tokLogout"></form><form {"action=" + repr(action) if action else ""} '
            f'method="post"><input name="csrfmiddlewaretoken" value="tokAdd"></form>')
    resp = _response(live, url="http://app.test/admin/add/")
    assert runtime.from_form(resp, "step 2", "t", "csrfmiddlewaretoken",
                             (("/", "/admin/add/"),)) == "tokAdd"


def test_a_page_without_that_form_fails_the_step():
    resp = _response('<form action="/other"><input name="_token" value="x"></form>')
    with pytest.raises(RescheduleTask):
        runtime.from_form(resp, "step 2", "_token", "_token", (("/", "/notes"),))
    assert resp.failed.startswith("_token not found in step 2"), resp.failed


def test_a_csrf_header_of_a_page_not_recorded_is_read_from_its_meta():
    """Where the recording holds cookies (without any, the page's script as likely read the
    token from a cookie the export left out: see ``_csrf_header``)."""
    result = conv(lost("/tasks/1725"),
                  api("/api/tasks", "POST", json_body={"title": "Milk"}, response={"id": 9},
                      headers=[("X-CSRFToken", HEADER_TOKEN), ("Cookie", "session=s3ss10n"),
                               ("Referer", f"{ORIGIN}/tasks/1725")]))
    e = extraction(result, 1)
    assert (e.kind, e.expr, e.recorded) == ("page_csrf", "X-CSRFToken", HEADER_TOKEN)
    assert header(step(result, 2), "X-CSRFToken") == ir.Template((ir.VarRef(e.var),))
    assert _reads(result)
    assert "from_page_csrf(" in result.code
    hidden = '<form><input type=hidden name="csrf_token" value="tokInput"></form>'
    for head, body, want in [
            ('<meta name="csrf-param" content="authenticity_token">'
             '<meta name="csrf-token" content="tokRails">', hidden, "tokRails"),
            ('<meta name="_csrf_header" content="X-CSRF-TOKEN"><meta name="_csrf" '
             'content="tokSpring">', hidden, "tokSpring"),
            ('<meta name="viewport" content="width=device-width">', hidden, "tokInput"),
            ("", '<form><input name="csrf_token" value="typed"></form><div hx-headers=\'{"X-'
             'CSRFToken": "tokHtmx"}\'>', "tokHtmx")]:  # htmx's, Django's pattern
        resp = _response(f"<html><head>{head}</head><body>{body}</body></html>")
        assert runtime.from_page_csrf(resp, "step 1", e.var, "x-csrftoken") == want, head
    resp = _response('<html><body hx-headers=\'{"X-Other": "x"}\'><p>none</p></body></html>')
    with pytest.raises(RescheduleTask):
        runtime.from_page_csrf(resp, "step 1", e.var, "X-CSRFToken")
    assert resp.failed.startswith(f"{e.var} not found in step 1"), resp.failed


@pytest.mark.parametrize("case", ["a typed field", "not a token", "held by an answer",
                                  "the page kept its body", "sent from another page",
                                  "another origin's page"])
def test_what_a_lost_page_cannot_have_handed_out_is_left_as_recorded(case):
    """A field a user types (an e-mail, a password: never read from a page), a value that is
    no token, a value a recorded answer holds (it comes from there: here a cookie), a page
    whose body is there (it did not hand the value out), a request whose ``Referer`` names
    another page, and a page of another origin are no such source."""
    name, value = "csrfmiddlewaretoken", TOKEN
    before: list[dict] = []
    the_page = lost("/login/")
    referer = f"{ORIGIN}/login/"
    if case == "a typed field":
        name, value = "email", "alice.smith-1984@example.com"
    elif case == "not a token":
        value = "yes"
    elif case == "held by an answer":
        before = [api("/api/csrf", response={"note": f"{TOKEN} is yours"})]
    elif case == "the page kept its body":
        the_page = page("/login/", "<form method=post><input name=username></form>")
    elif case == "sent from another page":
        referer = f"{ORIGIN}/elsewhere/"
    else:
        before = [page("/", "<p>Welcome</p>")]
        the_page = {**lost("/login/"), "request": {
            **lost("/login/")["request"], "url": "http://sso.test/login/"}}
        referer = "http://sso.test/login/"
    result = conv(*before, the_page,
                  entry("/login/", "POST", status=302, form=[(name, value), ("a", "b")],
                        headers=[("Referer", referer)],
                        response_headers=[("Location", "/")]))
    last = result.scenario.steps[-1]
    assert form_field(last, name) == ir.Template.literal(value)
    assert not _reads(result)


NONCE = "6811d2a9f0"


def test_a_link_s_token_of_a_page_not_recorded_is_read_from_that_live_page_s_link():
    """``?id=<this run's>&action=trash&_nonce=…``: the link to the request's path whose other
    parameters are this request's, a relative link resolved against the page's URL."""
    result = conv(api("/api/tasks", "POST", json_body={"title": "Milk"},
                      response={"id": 1725, "ok": True}),
                  lost("/tasks/1725"),
                  entry(f"/task?id=1725&action=trash&_nonce={NONCE}",
                        headers=[("Referer", f"{ORIGIN}/tasks/1725")], body="<p>Trashed</p>"))
    task = extraction(result, 1)
    e = extraction(result, 2)
    assert (e.kind, e.expr, e.recorded) == ("link", "_nonce", NONCE)
    assert e.anchors == (("/", ir.Template(("/task",))),
                         ("id", ir.Template((ir.VarRef(task.var),))), ("action", "trash"))
    assert _reads(result)
    live = ('<a href="../task?id=51&amp;action=trash&amp;_nonce=nonceOther">trash</a>'
            '<a href="#top">top</a><a href="/task?id=77&amp;action=edit&amp;_nonce=nonceEdit">'
            'edit</a><a href="task?id=77&amp;action=trash&amp;_nonce=nonceNotThere">trash</a>'
            '<a href="../task?id=77&amp;action=trash&amp;_nonce=nonceThis">trash</a>')
    resp = _response(live, url=f"{ORIGIN}/tasks/77")
    assert runtime.from_link(resp, "step 2", e.var, "_nonce", (
        ("/", "/task"), ("id", "77"), ("action", "trash"))) == "nonceThis"


def test_a_link_token_a_recorded_answer_holds_or_of_another_page_stays():
    for before, referer in [((page("/help", f"<p>{NONCE}-code</p>"),), "/tasks/1725"),
                            ((), "/elsewhere")]:
        result = conv(*before, lost("/tasks/1725"),
                      entry(f"/task?id=5&action=trash&_nonce={NONCE}",
                            headers=[("Referer", f"{ORIGIN}{referer}")], body="<p>ok</p>"))
        last = result.scenario.steps[-1]
        assert [q.value for q in last.request.query if q.name == "_nonce"] == [
            ir.Template.literal(NONCE)]
        assert not _reads(result)


@pytest.mark.parametrize("path", ["/config/general", "/wp-admin/admin-ajax.php"])
def test_a_script_s_post_reads_a_form_s_token_only_back_to_its_page(path):
    """A form its page's script posts back to the page (Icinga Web's) holds the token; a
    script's post elsewhere (WordPress's admin-ajax.php) sends what the script holds, which
    no form need hold: left as recorded."""
    result = conv(lost("/config/general"),
                  entry(path, "POST", form=[("CSRFToken", TOKEN), ("a", "b")], mime=HTML,
                        body="<p>ok</p>", resource_type="xhr",
                        headers=[("Referer", f"{ORIGIN}/config/general")]))
    read = form_field(step(result, 2), "CSRFToken") != ir.Template.literal(TOKEN)
    assert read == (path == "/config/general")


def test_a_token_read_from_a_lost_page_serves_the_page_s_later_calls():
    """phpMyAdmin's session token: its page's form posts back to the page (read there), and
    the page's script sends the same token on every later call, some of whose answers echo
    it: each later call sends the value read (an answer after the first use is no source)."""
    result = conv(lost("/index.php"),
                  entry("/index.php?route=/config/get", "POST", mime=JSON, resource_type="xhr",
                        form=[("key", "Console"), ("token", TOKEN)],
                        body=f'{{"success": true, "token": "{TOKEN}"}}',
                        headers=[("Referer", f"{ORIGIN}/index.php")]),
                  entry(f"/index.php?route=/sql&ajax_request=true&token={TOKEN}", mime=JSON,
                        resource_type="xhr", body='{"success": true}',
                        headers=[("Referer", f"{ORIGIN}/index.php")]))
    e = extraction(result, 1)
    assert (e.kind, e.expr, e.used_by) == ("form_token_or_recorded", "token", (2, 3))
    assert form_field(step(result, 2), "token") == ir.Template((ir.VarRef(e.var),))
    assert [q.value for q in step(result, 3).request.query if q.name == "token"] == [
        ir.Template((ir.VarRef(e.var),))]


def test_a_link_posted_as_a_form_sends_the_page_s_csrf_meta():
    """Rails' ``data-method`` link (Redmine's "Sign out", ``<a data-method="post"
    href="/logout">``): its script posts a form it builds with the ``csrf-token`` meta's token
    under the ``csrf-param`` meta's name; a page without such a meta has no token for it."""
    head = ('<meta name="csrf-param" content="authenticity_token">'
            '<meta name="csrf-token" content="tokMeta">')
    body = ('<form action="/issues/5"><input name="authenticity_token" value="tokIssue"></form>'
            '<a data-method="post" rel="nofollow" href="/logout">Sign out</a>')
    resp = _response(f"<html><head>{head}</head><body>{body}</body></html>")
    assert runtime.from_form(resp, "step 14", "t", "authenticity_token",
                             (("/", "/logout"),)) == "tokMeta"
    assert runtime.from_form(resp, "step 14", "t", "authenticity_token",
                             (("/", "/issues/5"),)) == "tokIssue"
    resp = _response(f"<html><body>{body}</body></html>")
    with pytest.raises(RescheduleTask):
        runtime.from_form(resp, "step 14", "t", "authenticity_token", (("/", "/logout"),))


@pytest.mark.parametrize(("name", "token"), [
    ("__csrf_magic", "sid:4f8643c0a1b2c3d4e5f60718293a4b5c6d7e8f90,1796407880"),  # Cacti's
    ("_csrf", "0b9c3e5a-8d2f-4c61-9a7e-3f5d1c2b4a68"),  # Spring Security's, a UUID
])
def test_a_lost_page_s_token_is_read_whole_not_made_as_a_client_s_time_or_uuid(name, token):
    """A token holding a moment (Cacti's csrf-magic ``sid:…,<epoch>``) or shaped as a UUID
    (Spring Security's ``_csrf``) is the page's, whole: not a time or a UUID the client
    made."""
    result = conv(lost("/login"),
                  entry("/login", "POST", status=302, form=[(name, token), ("a", "b")],
                        headers=[("Referer", f"{ORIGIN}/login")],
                        response_headers=[("Location", "/")]))
    e = extraction(result, 1)
    assert (e.kind, e.expr, e.recorded) == ("form_token_or_recorded", name, token)
    assert form_field(step(result, 2), name) == ir.Template((ir.VarRef(e.var),))
    assert not step(result, 2).generated


def test_a_double_submit_token_a_cookie_holds_is_the_jar_s():
    """A form's token that the request's cookie also holds (double-submit) is read from the
    live jar, as any cookie's value, not from the page."""
    result = conv(lost("/login"),
                  entry("/login", "POST", status=302, form=[("csrf_token", TOKEN)],
                        headers=[("Referer", f"{ORIGIN}/login"), ("Cookie", f"csrf={TOKEN}")],
                        response_headers=[("Location", "/")]))
    assert not _reads(result)
    assert not step(result, 1).extractions


def test_a_signed_link_of_a_lost_page_is_read_whole_by_its_path():
    """Laravel's signed URL (``/notes/4711/export?expires=…&signature=…``): its expiry (a time
    the server chose, not the client) and signature both from this run's link to the note."""
    signature = "bd0fa3a905c1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3e5487d61"
    result = conv(entry("/notes", "POST", status=302, form=[("title", "Milk")],
                        response_headers=[("Location", "/notes/4711")]),
                  lost("/notes"),
                  entry(f"/notes/4711/export?expires=1796558668&signature={signature}",
                        headers=[("Referer", f"{ORIGIN}/notes")], body="<p>ok</p>"))
    note = extraction(result, 1)
    reads = {e.expr: e for e in step(result, 2).extractions}
    assert set(reads) == {"expires", "signature"}
    for e in reads.values():
        assert e.kind == "link"
        assert e.anchors == (("/", ir.Template(("/notes/", ir.VarRef(note.var), "/export"))),)
    assert {q.name: q.value for q in step(result, 3).request.query} == {
        name: ir.Template((ir.VarRef(e.var),)) for name, e in reads.items()}
    assert not step(result, 3).generated
    live = (f'<a href="{ORIGIN}/notes/51/export?expires=1796999999&amp;signature=sigOther">x</a>'
            f'<a href="{ORIGIN}/notes/77/export?expires=1796558999&amp;signature=sigThis">x</a>')
    resp = _response(live, url=f"{ORIGIN}/notes")
    anchors = (("/", "/notes/77/export"),)
    assert [runtime.from_link(resp, "step 2", "v", name, anchors)
            for name in ("expires", "signature")] == ["1796558999", "sigThis"]


def test_the_version_of_the_object_a_lost_page_s_form_edits_is_read_from_it():
    """Rails' ``issue[lock_version]`` (a short number: no token, and in many answers): the
    object's version on this run's form, as the recorded page had it; never a later
    request's source (each form has its own)."""
    result = conv(lost("/issues/2"),
                  entry("/issues/2", "POST", status=302, form=[
                      ("_method", "patch"), ("authenticity_token", TOKEN),
                      ("issue[lock_version]", "7"), ("issue[notes]", "Fed the llamas")],
                      headers=[("Referer", f"{ORIGIN}/issues/2")],
                      response_headers=[("Location", "/issues/2")]))
    reads = {e.expr: e for e in step(result, 1).extractions}
    assert set(reads) == {"authenticity_token", "issue[lock_version]"}
    assert form_field(step(result, 2), "issue[lock_version]") == ir.Template((
        ir.VarRef(reads["issue[lock_version]"].var),))
    assert form_field(step(result, 2), "issue[notes]") == ir.Template.literal("Fed the llamas")


def test_a_field_the_user_filled_in_keeps_what_was_recorded():
    """The page is not in the recording: a field named like a token may have been one the user
    filled in (an access token pasted into a settings form). Where this run's form holds no
    value for it (an empty field, or none), the recorded value is sent; a hidden token's value
    is read. The script says what it falls back to."""
    result = conv(lost("/settings"),
                  entry("/settings", "POST", status=302, form=[("api_token", TOKEN)],
                        headers=[("Referer", f"{ORIGIN}/settings")],
                        response_headers=[("Location", "/settings")]))
    e = extraction(result, 1)
    assert e.kind == "form_token_or_recorded"
    assert f'recorded="{TOKEN}"' in result.code.replace("\n", "").replace(" ", "")
    anchors = (("/", "/settings"),)
    for form, want in [('<input name="api_token" value="">', TOKEN),
                       ('<input name="other" value="x">', TOKEN),
                       ('<input type="hidden" name="api_token" value="tokLive">', "tokLive")]:
        resp = _response(f'<form method="post">{form}</form>', url=f"{ORIGIN}/settings")
        assert runtime.from_form(resp, "step 1", e.var, "api_token", anchors,
                                 recorded=TOKEN) == want, form
        assert resp.failed is None


def test_an_oauth_state_the_client_made_stays_the_client_s():
    """A single-page app's script makes the authorize link's ``state`` (and its PKCE
    challenge): no page of the recording handed it out, lost or not."""
    state = "f3a9c1e7b2d84a6f9e0c5b1a7d3e8f24"
    result = conv(lost("/"), entry(f"/authorize?response_type=code&client_id=spa&state={state}",
                                   headers=[("Referer", f"{ORIGIN}/")], body="<p>Log in</p>"))
    assert not _reads(result)
    assert not step(result, 1).extractions


def test_a_lost_page_s_anchors_hold_only_what_is_known_when_it_is_read():
    """Tomcat's manager: the form's action holds the session (``;jsessionid=…``, set by the
    page's own answer) and a nonce. The link is found by what is known when the page is read,
    never by a value that page hands out itself (an error at run time: not yet assigned)."""
    session = "9E9986703EAB1C2D3E4F5A6B7C8D9E0F"
    nonce = "4B75366997A1B2C3D4E5F60718293A4B"
    result = conv(entry("/manager/html", mime=HTML, body=None,
                        response_headers=[("Set-Cookie", f"JSESSIONID={session}; Path=/")]),
                  entry(f"/manager/html/stop;jsessionid={session}?path=/zoo&"
                        f"org.apache.catalina.filters.CSRF_NONCE={nonce}", "POST",
                        form=[("a", "b")], mime=HTML, body="<p>OK</p>",
                        headers=[("Referer", f"{ORIGIN}/manager/html")]))
    earlier = {e.var for s in result.scenario.steps if s.number < 1 for e in s.extractions}
    read = [e for e in step(result, 1).extractions if e.kind == "link"]
    assert [e.recorded for e in read] == [nonce]
    refs = [part for _, value in read[0].anchors for part in (
        value.parts if isinstance(value, ir.Template) else (value,))
        if isinstance(part, ir.VarRef)]
    assert all(ref.name in earlier for ref in refs), read[0].anchors


@pytest.mark.parametrize(("name", "state"), [
    ("view_time", True), ("@lastactivity", True), ("revision_id", True),
    ("loaded_revision_created_at", True), ("parentRevId", True), ("wpStarttime", True),
    ("rev", True), ("changecheck", True), ("sha1", True), ("rcsinfo", True),
    ("field_version", False), ("title", False), ("summary", False), ("prev", False),
    ("sha", False), ("id", False)])
def test_the_names_of_an_edit_form_s_state(name, state):
    assert form_state_name(name) is state


def test_the_state_of_the_object_a_lost_page_s_form_edits_is_read_from_it():
    """Trac's ``view_time`` (when the ticket form was shown: an edit of an older view is
    refused), read from this run's form; the recorded one where that form holds none."""
    result = conv(entry("/newticket", "POST", status=303, form=[("summary", "Zoo ticket")],
                        response_headers=[("Location", "/ticket/5")]),
                  lost("/ticket/5"),
                  entry("/ticket/5", "POST", status=303, form=[
                      ("__FORM_TOKEN", "2f7a9c1e5b3d8f0a4c6e"), ("view_time", "1796196161475052"),
                      ("comment", "Fixed")],
                      headers=[("Referer", f"{ORIGIN}/ticket/5")],
                      response_headers=[("Location", "/ticket/5")]))
    reads = {e.expr: e for e in step(result, 2).extractions}
    assert set(reads) == {"__FORM_TOKEN", "view_time"}
    assert reads["view_time"].kind == "form_input_or_recorded"
    assert form_field(step(result, 3), "comment") == ir.Template.literal("Fixed")


def test_a_page_a_form_s_post_answered_is_a_page_too():
    """Tomcat's manager answers each command's ``POST`` with the page the next form is on
    (its action's query holds the next nonce): that answer, lost, is the page read."""
    first, second = "4B75366997A1B2C3D4E5F60718293A4B", "C0E07B57A1B2C3D4E5F60718FA85ACEB"
    result = conv(lost("/manager/html"),
                  entry(f"/manager/html/stop?path=/zoo&CSRF_NONCE={first}", "POST",
                        form=[("a", "b")], mime=HTML, body=None,
                        headers=[("Referer", f"{ORIGIN}/manager/html")]),
                  entry(f"/manager/html/start?path=/zoo&CSRF_NONCE={second}", "POST",
                        form=[("a", "b")], mime=HTML, body="<p>OK</p>",
                        headers=[("Referer", f"{ORIGIN}/manager/html/stop?path=/zoo&"
                                             f"CSRF_NONCE={first}")]))
    assert [e.recorded for e in step(result, 1).extractions] == [first]
    assert [e.recorded for e in step(result, 2).extractions] == [second]


# --- the object a post made, clicked in the list it landed on -----------------------------------

TICKETS = "/admin/tickets/ticket/"


def _made_then_clicked(*, title: str = "Replace the projector bulb",
                       fields: tuple[tuple[str, str], ...] = (("priority", "low"),
                                                              ("_save", "Save")),
                       clicked: str = f"{TICKETS}16124/change/", list_body: str | None = None,
                       landed: bool = True, then: tuple[dict, ...] = ()):
    """Django admin's add: the post (its title and fields), the list it redirects to (its
    body lost unless ``list_body``), the new ticket's link followed there."""
    made = entry(f"{TICKETS}add/", "POST", status=302, form=[("title", title), *fields],
                 response_headers=[("Location", TICKETS)] if landed else [])
    listing = entry(TICKETS, mime=HTML, body=list_body,
                    headers=[("Referer", f"{ORIGIN}{TICKETS}add/")])
    return conv(made, listing, entry(clicked, headers=[("Referer", f"{ORIGIN}{TICKETS}")]),
                *then)


def test_an_object_made_then_clicked_in_a_list_not_recorded_is_read_from_its_row():
    """The id is only in the list's link (its body lost): read from the live list's row that
    holds a name the post gave the ticket, the typed title first (made new each run, so that
    two users' tickets are told apart), a button's label never."""
    result = _made_then_clicked(then=(entry(f"{TICKETS}16124/change/", "POST", status=302,
                                            form=[("title", "Replace the projector bulb")],
                                            headers=[("Referer",
                                                      f"{ORIGIN}{TICKETS}16124/change/")],
                                            response_headers=[("Location", TICKETS)]),))
    e = extraction(result, 2)
    assert (e.kind, e.path, e.recorded) == ("html_row", ("*",), "16124")
    title = form_field(step(result, 1), "title")
    assert title.parts[0] == "Replace the projector bulb " and isinstance(title.parts[1],
                                                                           ir.VarRef)
    assert [name for _, name in e.anchors] == [title, ir.Template.literal("low")]
    assert form_field(step(result, 4), "title") == title  # the edit sends this run's name
    live = ir.Template((f"{TICKETS}", ir.VarRef(e.var), "/change/"))
    assert step(result, 3).request.path == live
    assert step(result, 4).request.path == live  # the edit's post: the same variable
    [said] = [m for m in _reads(result) if m.startswith("step 3 ")]
    assert "from the page of step 2 (GET /admin/tickets/ticket/)" in said
    [made] = [d.message for d in result.scenario.diagnostics if "fresh suffix" in d.message]
    assert made.startswith("step 1 makes an object the list after it is read by (title "
                           "'Replace the projector bulb')"), made


@pytest.mark.parametrize(("fields", "first"), [
    ((("body", "A longer text about the bulb"), ("title", "Bulb")), "Bulb"),
    ((("fields[body]", "A longer text about it"), ("fields[title]", "Zoo note")), "Zoo note"),
    ((("body", "A longer text about the bulb"), ("kind", "lamp")), "A longer text about the bulb"),
])
def test_a_field_named_as_a_name_names_the_row_first(fields, first):
    """What a list shows is the object's title or name, more often than its longest text."""
    made = entry(f"{TICKETS}add/", "POST", status=302, form=list(fields),
                 response_headers=[("Location", TICKETS)])
    result = conv(made, lost(TICKETS),
                  entry(f"{TICKETS}16124/change/", headers=[("Referer", f"{ORIGIN}{TICKETS}")]))
    assert extraction(result, 2).anchors[0][1].parts[0].rstrip() == first


def test_a_typed_name_made_unique_is_this_run_s():
    """``--unique title``: the row is found by the title this run sent (and the title is not
    made unique a second time)."""
    result = conv(entry(f"{TICKETS}add/", "POST", status=302, form=[("title", "Bulb")],
                        response_headers=[("Location", TICKETS)]),
                  lost(TICKETS),
                  entry(f"{TICKETS}16124/change/", headers=[("Referer", f"{ORIGIN}{TICKETS}")]),
                  unique_fields=("title",))
    sent = form_field(step(result, 1), "title")
    assert len(sent.parts) == 2 and sent.parts[0] == "Bulb " and isinstance(sent.parts[1],
                                                                             ir.VarRef)
    assert extraction(result, 2).anchors == (("row", sent),)
    assert not [d for d in result.scenario.diagnostics if "fresh suffix" in d.message]


def test_a_name_the_client_made_comes_first():
    """``Zoo 1767261600`` (the time the client made it: new each run) tells the row best."""
    result = _made_then_clicked(title="Zoo 1767261600", fields=(("body", "first draft"),))
    e = extraction(result, 2)
    made = next(g for s in result.scenario.steps for g in s.generated
                if g.recorded == "1767261600")
    assert e.anchors[0][1] == ir.Template((ir.VarRef(made.var),))
    assert e.anchors[1][1] == ir.Template.literal("first draft")


def test_an_id_in_the_query_of_a_link_in_a_list_not_recorded_is_read_from_its_row():
    """Flask-Admin's ``/admin/note/edit/?id=50772&url=…``, then its delete form's post."""
    made = entry("/admin/note/new/", "POST", status=302, form=[("title", "Zoo note")],
                 response_headers=[("Location", "/admin/note/")])
    listing = lost("/admin/note/")
    edit = entry("/admin/note/edit/?id=50772&url=/admin/note/",
                 headers=[("Referer", f"{ORIGIN}/admin/note/")])
    delete = entry("/admin/note/delete/", "POST", status=302, form=[("id", "50772")],
                   headers=[("Referer", f"{ORIGIN}/admin/note/edit/?id=50772&url=/admin/note/")],
                   response_headers=[("Location", "/admin/note/")])
    result = conv(made, listing, edit, delete)
    e = extraction(result, 2)
    assert (e.kind, e.recorded) == ("html_row", "50772")
    assert query(step(result, 3), "id") == ir.Template((ir.VarRef(e.var),))
    assert form_field(step(result, 4), "id") == ir.Template((ir.VarRef(e.var),))
    row = ('<table><tr><td><a href="/admin/note/edit/?id=7&amp;url=%2Fadmin%2Fnote%2F">e</a>'
           '</td><td>Sentinel</td></tr><tr><td><a href="/admin/note/edit/?id=9&amp;url=%2F">e'
           '</a></td><td>Zoo note</td></tr></table>')
    pattern = __import__("re").compile(e.expr)
    assert runtime.from_html_row(_response(row), "step 2", "id", pattern, "*",
                                 ("Zoo note",)) == "9"


@pytest.mark.parametrize("case", ["no post led there", "a login's landing page",
                                  "the list's body recorded", "an id sent before",
                                  "no name typed"])
def test_an_id_clicked_in_a_list_not_recorded_stays_where_nothing_names_its_row(case):
    """A list reached by itself (the user clicked an object that was there), the page a login
    landed on (the username names no object the user made), a list with its body (the other
    rules read it), an id the journey sent before (a constant), a post that typed no name:
    no row is known, the id is sent as recorded."""
    if case == "no post led there":
        result = _made_then_clicked(landed=False)
    elif case == "a login's landing page":
        result = _made_then_clicked(fields=(("password", "s3cret-pass"),))
    elif case == "the list's body recorded":
        result = _made_then_clicked(list_body="<p>nothing here</p>")
    elif case == "an id sent before":
        result = conv(entry(f"{TICKETS}16124/"),
                      entry(f"{TICKETS}add/", "POST", status=302, form=[("title", "Bulb")],
                            response_headers=[("Location", TICKETS)]),
                      lost(TICKETS),
                      entry(f"{TICKETS}16124/change/", headers=[("Referer", f"{ORIGIN}{TICKETS}")]))
    else:
        result = _made_then_clicked(title="42", fields=())
    last = result.scenario.steps[-1]
    assert last.request.path == ir.Template.literal(f"{TICKETS}16124/change/")
    assert not any(e.kind == "html_row" for s in result.scenario.steps for e in s.extractions)


def _rows(*rows: str) -> str:
    return "<ul class='messagelist'>" + "".join(r for r in rows if r.startswith("<li")) + \
        "</ul><table>" + "".join(r for r in rows if r.startswith("<tr")) + "</table>"


@pytest.mark.parametrize(("html", "names", "found"), [
    # Django's message and the list's row both name the new ticket: one id
    (_rows('<li class="success">The ticket “<a href="/t/16/change/">Bulb</a>” was added</li>',
           '<tr><th><a href="/t/16/change/">Bulb</a></th><td>low</td></tr>',
           '<tr><th><a href="/t/3/change/">Sentinel</a></th><td>low</td></tr>'),
     ("Bulb", "low"), "16"),
    # the title is not listed: the next name decides
    (_rows('<tr><th><a href="/t/16/change/">#16</a></th><td>high</td></tr>',
           '<tr><th><a href="/t/3/change/">#3</a></th><td>low</td></tr>'),
     ("Bulb", "high"), "16"),
    # two users typed the same title: the message names this user's, beside its row
    (_rows('<li class="success">The ticket “<a href="/t/17/change/">Bulb</a>” was added</li>',
           '<tr><th><a href="/t/17/change/">Bulb</a></th></tr>',
           '<tr><th><a href="/t/16/change/">Bulb</a></th></tr>'), ("Bulb",), "17"),
    # two rows of that name, two ids (two users made it), nothing else: the step fails
    (_rows('<tr><th><a href="/t/16/change/">Bulb</a></th></tr>',
           '<tr><th><a href="/t/17/change/">Bulb</a></th></tr>'), ("Bulb", "low"), None),
    # no row holds any name: the step fails
    (_rows('<tr><th><a href="/t/3/change/">Sentinel</a></th></tr>'), ("Bulb",), None),
])
def test_a_row_is_found_by_the_first_name_a_row_holds(html, names, found):
    pattern = __import__("re").compile(r"/t/([0-9]+)/change/(?=[\"'?#])")
    resp = _response(html)
    if found is None:
        with pytest.raises(RescheduleTask):
            runtime.from_html_row(resp, "step 2", "ticket_id", pattern, "*", names)
        assert resp.failed.startswith(("step 2: 2 ids in the rows holding 'Bulb'",
                                       "ticket_id not found")), resp.failed
    else:
        assert runtime.from_html_row(resp, "step 2", "ticket_id", pattern, "*",
                                     names) == found


def test_a_form_token_that_is_part_of_a_cookie_is_read_from_the_form():
    """Fossil's ``csrf`` is the session cookie's first ten characters: the server writes it
    into each form; the cookie's value is no answer that hands it out (only a whole cookie's
    value is the jar's to send)."""
    cookie = "F5649619F4D31E7FD440236537CC608F4F733132DF8C95033E"
    result = conv(entry("/login", "POST", status=302, form=[("u", "alice")],
                        response_headers=[("Location", "/index"),
                                          ("Set-Cookie", f"fossil-6cdd={cookie}; Path=/")]),
                  lost("/tktnew"),
                  entry("/tktnew", "POST", form=[("csrf", cookie[:10]), ("title", "Tap")],
                        headers=[("Referer", f"{ORIGIN}/tktnew")]))
    e = extraction(result, 2)
    assert (e.kind, e.expr, e.recorded) == ("form_token_or_recorded", "csrf", cookie[:10])


def test_the_full_id_a_page_s_url_abbreviates_is_read_from_its_form():
    """Fossil's ``/forumpost/0da9e15ae0`` posts ``fpid=0da9e15ae0…`` (64 hex digits): only
    that page can have written the whole id; an id it does not abbreviate stays."""
    full = "0da9e15ae0" + "4c7b2e9f1a3d5c8e0b6f2a4d7c9e1b3f5a8d0c2e4f6a8b1d3c5e7f9a"
    url = entry("/forume1", "POST", status=302, form=[("title", "Tap")],
                response_headers=[("Location", "/forumpost/0da9e15ae0")])
    result = conv(url, lost("/forumpost/0da9e15ae0"),
                  entry("/forumedit", "POST", form=[("fpid", full), ("edit", "1")],
                        headers=[("Referer", f"{ORIGIN}/forumpost/0da9e15ae0")]))
    e = extraction(result, 2, "fpid")
    assert (e.kind, e.expr) == ("form_input", "fpid")
    other = conv(url, lost("/forumpost/0da9e15ae0"),
                 entry("/forumedit", "POST", form=[("fpid", "7" + full[1:]), ("edit", "1")],
                       headers=[("Referer", f"{ORIGIN}/forumpost/0da9e15ae0")]))
    assert not step(other, 2).extractions


def test_a_bracketed_query_id_is_read_from_any_link_of_the_row():
    """Adminer's ``adminer.php?…&edit=notes&where%5Bid%5D=52648``: a relative link, its
    parameter's brackets percent-encoded."""
    made = entry("/adminer.php?db=zoo&edit=notes", "POST", status=302,
                 form=[("fields[title]", "Zoo note"), ("save", "1")],
                 response_headers=[("Location", "/adminer.php?db=zoo&select=notes")])
    result = conv(made, lost("/adminer.php?db=zoo&select=notes"),
                  entry("/adminer.php?db=zoo&edit=notes&where%5Bid%5D=52648",
                        headers=[("Referer", f"{ORIGIN}/adminer.php?db=zoo&select=notes")]))
    e = extraction(result, 2)
    assert (e.kind, e.recorded, e.var) == ("html_row", "52648", "id")
    live = ("<table><tr><td><a href='adminer.php?db=zoo&amp;edit=notes&amp;where%5Bid%5D=3'>"
            "edit</a></td><td>bob's note</td></tr><tr><td><a href='adminer.php?db=zoo&amp;"
            "edit=notes&amp;where%5Bid%5D=9'>edit</a></td><td>Zoo note 1a2b</td></tr></table>")
    assert runtime.from_html_row(_response(live), "step 2", "id",
                                 __import__("re").compile(e.expr), "*",
                                 ("Zoo note 1a2b",)) == "9"


@pytest.mark.parametrize(("name", "read"), [
    ("lines-0-id", True), ("form-12-id", True), ("order[lines_attributes][0][id]", True),
    ("customer_id", False), ("id", False), ("lines-0-quantity", False)])
def test_a_row_s_id_in_a_form_of_rows_is_read_from_the_live_form(name, read):
    """Django admin's inline formset: the add's ``_continue`` lands on the change form (lost),
    whose rows' hidden ``lines-0-id`` hold the new lines' ids; a field the user may have
    typed a number into is left as recorded."""
    result = conv(entry("/admin/orders/order/add/", "POST", status=302,
                        form=[("customer", "Zoo"), ("lines-0-id", ""), ("_continue", "Save")],
                        response_headers=[("Location", "/admin/orders/order/46255/change/")]),
                  lost("/admin/orders/order/46255/change/"),
                  entry("/admin/orders/order/46255/change/", "POST", status=302,
                        form=[("customer", "Zoo"), (name, "24637"), ("lines-0-quantity", "3")],
                        headers=[("Referer", f"{ORIGIN}/admin/orders/order/46255/change/")],
                        response_headers=[("Location", "/admin/orders/order/46255/change/")]))
    reads = [e for e in step(result, 2).extractions if e.expr == name]
    assert bool(reads) is read
    if read:
        assert reads[0].kind == "form_input_or_recorded"
        assert form_field(step(result, 3), name) == ir.Template((ir.VarRef(reads[0].var),))
    else:
        assert form_field(step(result, 3), name) == ir.Template.literal("24637")


@pytest.mark.parametrize(("html", "found"), [
    # cards: each a <div>, its link and its title apart
    ('<main><div class="card"><h3>Sentinel</h3><p><a href="/t/3/change/">open</a></p></div>'
     '<div class="card"><h3>Bulb 1a2b</h3><p><a href="/t/16/change/">open</a></p></div></main>',
     "16"),
    # the one object a fresh list shows: its row is all the page around it
    ('<main><h1>Tickets</h1><section><a href="/t/16/change/">Bulb 1a2b</a></section></main>',
     "16"),
    # links side by side in one paragraph: each link is its own row
    ('<p><a href="/t/3/change/">Sentinel</a> <a href="/t/16/change/">Bulb 1a2b</a></p>', "16"),
    # a row that names it, another link of that row (an edit icon) to the same id
    ('<table><tr><td><a href="/t/3/change/">e</a></td><td>Sentinel</td></tr><tr><td>'
     '<a href="/t/16/change/">e</a> <a href="/t/16/change/?x=1">v</a></td><td>Bulb 1a2b</td>'
     '</tr></table>', "16"),
])
def test_a_row_of_a_page_not_recorded_is_the_largest_part_that_links_to_one_id(html, found):
    """The rows of a page the recording lacks are not known by tag: each link's row is the
    largest element around it that links to no other object (a table's row, an item, a
    card)."""
    pattern = __import__("re").compile(r"/t/([0-9]+)/change/(?=[\"'?#])")
    assert runtime.from_html_row(_response(html), "step 2", "ticket_id", pattern, "*",
                                 ("Bulb 1a2b",)) == found


def test_an_object_that_was_there_is_clicked_by_the_name_another_recorded_page_gives_it():
    """The list the user clicked a seeded category in is lost; the last page, recorded,
    names it in a breadcrumb: the live list's link of that name is followed (its recorded id
    where none is), as a seeded catalog's ids may differ on a fresh server."""
    crumbs = ('<nav><a href="/cats/">Categories</a> <a href="/cats/7/">Tabby cats</a></nav>'
              '<a href="/cats/9/">Other</a>')
    result = conv(lost("/cats/"),
                  entry("/cats/7/", headers=[("Referer", f"{ORIGIN}/cats/")], body=None),
                  page("/cats/7/edit/", crumbs, headers=[("Referer", f"{ORIGIN}/cats/7/")]))
    e = extraction(result, 1)
    assert (e.kind, e.path, e.recorded) == ("named_link", ("Tabby cats",), "7")
    assert step(result, 2).request.path == ir.Template(("/cats/", ir.VarRef(e.var), "/"))
    # a name two links bear, or no recorded page naming it: as recorded
    for other in ('<a href="/cats/7/">Tabby cats</a><a href="/cats/8/">Tabby cats</a>',
                  "<p>nothing</p>"):
        result = conv(lost("/cats/"),
                      entry("/cats/7/", headers=[("Referer", f"{ORIGIN}/cats/")], body=None),
                      page("/cats/7/edit/", other, headers=[("Referer", f"{ORIGIN}/cats/7/")]))
        assert step(result, 2).request.path == ir.Template.literal("/cats/7/")


def test_a_page_whose_script_dropped_its_query_is_still_the_page_a_link_was_followed_from():
    """WordPress's list after "Move to Trash" (``edit.php?trashed=1&ids=40429``) rewrites its
    address to ``edit.php`` (``history.replaceState``): the logout link clicked there names
    that as its ``Referer``. Its token is read from that live page's link; a ``Referer``
    with a parameter the page's URL lacks, or another path, names another page."""
    for referer, read in [("/wp-admin/edit.php", True), ("/wp-admin/edit.php?trashed=1", True),
                          ("/wp-admin/edit.php?trashed=1&ids=40429", True),
                          ("/wp-admin/edit.php?paged=2", False), ("/wp-admin/users.php", False)]:
        result = conv(lost("/wp-admin/edit.php?trashed=1&ids=40429"),
                      entry(f"/wp-login.php?action=logout&_wpnonce={NONCE}", status=302,
                            headers=[("Referer", f"{ORIGIN}{referer}")],
                            response_headers=[("Location", "/wp-login.php?loggedout=true")]))
        sent = query(step(result, 2), "_wpnonce")
        assert (sent != ir.Template.literal(NONCE)) == read, referer
        if read:
            e = extraction(result, 1)
            assert (e.kind, e.expr, e.recorded) == ("link", "_wpnonce", NONCE)


def _script_call(token: str, path: str = "/backend.php") -> dict:
    return entry(path, "POST", mime=JSON, resource_type="xhr", body='{"ok": true}',
                 form=[("op", "rpc"), ("csrf_token", token)],
                 headers=[("Referer", f"{ORIGIN}/index.php")])


def test_a_token_a_lost_page_s_script_sends_is_read_where_a_later_page_holds_it():
    """Tiny Tiny RSS: its main page's script sends the session's token on every call
    (``csrf_token``), which the page holds in its script (``const __csrf_token = "…"``); the
    export lacks that page, but a page recorded later holds the same token the same way:
    the lost page's live answer is read by that page's regex, and the later calls send it."""
    prefs = ('<script>\n\t\tconst __csrf_token = "' + TOKEN + '";\n\t</script><p>Preferences</p>')
    result = conv(lost("/index.php"), _script_call(TOKEN), _script_call(TOKEN),
                  page("/prefs.php", prefs), _script_call(TOKEN))
    e = extraction(result, 1)
    assert (e.kind, e.recorded) == ("regex", TOKEN)
    assert e.used_by == (2, 3, 5)
    assert "__csrf_token" in e.expr
    for number in (2, 3, 5):
        assert form_field(step(result, number), "csrf_token") == ir.Template((ir.VarRef(e.var),))
    assert any(message.startswith("step 2 sends csrf_token, which no recorded answer holds, "
                                  "from the page of step 1 (GET /index.php)")
               for message in _reads(result))
    assert not _unknown(result)
    live = '<html><script>const __csrf_token = "liveToken123abc";</script></html>'
    assert runtime.from_regex(_response(live), "step 2", e.var, re.compile(e.expr)) == \
        "liveToken123abc"


def _unknown(result) -> list[str]:
    return [d.message for d in result.scenario.diagnostics
            if "where that page holds it is not known" in d.message]


def test_a_token_a_lost_page_s_script_sends_that_nothing_recorded_holds_is_said():
    """WordPress's dashboard script sends ``_wpnonce`` from ``communityEventsData``, which no
    page recorded later holds: sent as recorded (no rule can know where the page held it),
    and said, once for the steps that send it; a value under no token's name, one a cookie
    holds (a double submit's), one an earlier answer holds and a request from a recorded page
    are not."""
    result = conv(entry("/wp-admin/", mime=HTML, body=None,
                        response_headers=[("Set-Cookie", "csrf=c00k1eT0ken99; Path=/")]),
                  entry("/wp-admin/admin-ajax.php", "POST", mime=JSON, resource_type="xhr",
                        body='{"success": true}', headers=[("Referer", f"{ORIGIN}/wp-admin/")],
                        form=[("_wpnonce", NONCE), ("timezone", "UTC"),
                              ("session", "a1b2c3d4e5f6a7b8"), ("action", "community-events"),
                              ("csrf_token", "c00k1eT0ken99")]),
                  entry("/wp-admin/admin-ajax.php", "POST", mime=JSON, resource_type="xhr",
                        body='{"success": true}', headers=[("Referer", f"{ORIGIN}/wp-admin/")],
                        form=[("_wpnonce", NONCE), ("action", "community-events")]),
                  page("/wp-admin/edit.php", "<p>Posts</p>"),
                  entry("/wp-admin/admin-ajax.php", "POST", mime=JSON, resource_type="xhr",
                        body='{"success": true}',
                        headers=[("Referer", f"{ORIGIN}/wp-admin/edit.php")],
                        form=[("_nonce", "f00dfeed77"), ("action", "heartbeat")]))
    assert form_field(step(result, 2), "_wpnonce") == ir.Template.literal(NONCE)
    [said] = _unknown(result)
    assert said.startswith(f"steps 2, 3 send _wpnonce ({NONCE}) as recorded: no recorded "
                           "answer holds it, and the page of step 1 (GET /wp-admin/)"), said


def test_a_token_an_image_s_body_holds_by_chance_is_still_the_lost_page_s():
    """An image's (a font's) body, base64 text in a HAR, holds no value a server handed out:
    a form's token that only such a body spells is still read from the lost page; the same
    text in a page's body is an answer that holds it (left as recorded, as before)."""
    for mime, read in [("image/png", True), ("font/woff2", True), (HTML, False)]:
        result = conv(entry("/logo.png", mime=mime, body=f"iVBORw0KGgo{TOKEN}AAAA"),
                      lost("/notes/new"),
                      entry("/notes", "POST", status=302, form=[
                          ("authenticity_token", TOKEN), ("note[title]", "Milk")],
                          headers=[("Referer", f"{ORIGIN}/notes/new")],
                          response_headers=[("Location", "/notes/4711")]))
        sent = form_field(step(result, 3), "authenticity_token")
        assert (sent != ir.Template.literal(TOKEN)) == read, mime


def test_a_referer_with_an_empty_query_names_the_page_without_one():
    """``Referer: …/loginuserpass.php?`` (SimpleSAMLphp's login form posts to its own URL
    with an empty query) names the page loaded as ``…/loginuserpass.php``: its answer, the
    form a script posts at once with the assertion, is the page the next post was sent from."""
    result = conv(lost("/notes/new"),
                  entry("/notes", "POST", status=302, form=[
                      ("authenticity_token", TOKEN), ("note[title]", "Milk")],
                      headers=[("Referer", f"{ORIGIN}/notes/new?")],
                      response_headers=[("Location", "/notes/4711")]))
    assert form_field(step(result, 2), "authenticity_token") != ir.Template.literal(TOKEN)


WATCH_UUID = "e16f2541-c669-4553-b280-5839d102838a"


@pytest.mark.parametrize("clicked, where", [
    (f"/edit/{WATCH_UUID}", "path"),
    (f"/watch?uuid={WATCH_UUID}", "query"),
])
def test_a_uuid_clicked_in_a_list_not_recorded_is_the_server_s_read_from_its_row(clicked,
                                                                                  where):
    """changedetection.io exported without its list's body: the new watch's ``/edit/<uuid>``
    was taken for a uuid the client made (a UUID4 no answer held), made fresh each run, and
    every run failed at its first use (a redirect to the list). A uuid that a link followed
    on a page the recording lacks sends, which no request sent before, is the server's: read
    from the live list's row that holds the address the post gave the watch."""
    result = conv(entry("/form/add", "POST", status=302,
                        form=[("url", "http://shop.test/item.html?probe=zoo")],
                        response_headers=[("Location", "/?tag=")]),
                  lost("/?tag="),
                  entry(clicked, headers=[("Referer", f"{ORIGIN}/?tag=")]))
    assert not [g for s in result.scenario.steps for g in s.generated if g.kind == "uuid4"]
    e = extraction(result, 2)
    assert (e.kind, e.recorded) == ("html_row", WATCH_UUID)
    sent = step(result, 3).request
    assert e.var in {ref.name for ref in (sent.path.refs() if where == "path"
                                          else query(step(result, 3), "uuid").refs())}
    other = clicked.replace(WATCH_UUID, "0b9f8a3e-1d2c-4b5a-9e8f-7a6b5c4d3e2f")
    live = (f'<table><tr><td><a href="http://shop.test/item.html?probe=zoo&_=0a0a0a0a">x</a>'
            f'</td><td><a href="{other}">'
            f'Edit</a></td></tr><tr><td><a href="http://shop.test/item.html?probe=zoo&_=3f9a1c2e">'
            f'Item</a></td><td><a href="{clicked}#general">Edit</a></td></tr></table>')
    resp = type("R", (), {"text": f"<html><body>{live}</body></html>"})()
    assert runtime.from_html_row(resp, "step 2", e.var, re.compile(e.expr), "*",
                                 "http://shop.test/item.html?probe=zoo&_=3f9a1c2e") == WATCH_UUID


def test_a_uuid_a_post_sent_first_is_still_the_client_s():
    """A uuid the client made and sent first in a post (Radicale's new calendar), then
    followed in a link of a page the recording lacks: still made fresh each run."""
    made = "0b9f8a3e-1d2c-4b5a-9e8f-7a6b5c4d3e2f"
    result = conv(entry("/form/add", "POST", status=302, form=[("id", made), ("name", "Zoo")],
                        response_headers=[("Location", "/?tag=")]),
                  lost("/?tag="),
                  entry(f"/edit/{made}", headers=[("Referer", f"{ORIGIN}/?tag=")]))
    assert [g.recorded for s in result.scenario.steps for g in s.generated
            if g.kind == "uuid4"] == [made]


def test_a_token_a_lost_page_s_script_posts_elsewhere_is_its_forms_token():
    """changedetection.io's edit page, exported without its body: "Delete" is its script's
    post to ``/delete?uuid=…`` with the page's CSRF token, which no form of the page posts
    to. Read from the form that posts there, it found none and sent the recorded token,
    refused (400) on a fresh server, every run. A token's name: the value of any input of
    that name on the live page (Flask-WTF's, Django's, Laravel's token serves every form of
    the session); a field the user may have typed still falls back to what was recorded."""
    token = "ImE2NTBhZWRjODFm.axcGyw.vx2AKV8ZlPtekOe6XL0X0FDv04o"
    result = conv(lost("/edit/4711"),
                  entry("/delete?uuid=4711", "POST", status=302,
                        form=[("csrf_token", token), ("note", "gone")],
                        headers=[("Referer", f"{ORIGIN}/edit/4711")],
                        response_headers=[("Location", "/")]))
    e = extraction(result, 1)
    assert (e.kind, e.expr, e.recorded) == ("form_token_or_recorded", "csrf_token", token)
    assert "page_token=True" in result.code
    live = ('<form action="/edit/4711" method="post"><input type="hidden" name="csrf_token" '
            'value="ImE2NTBhZWRjODFm.bNew.live"><input name="title" value="x"></form>')
    resp = _response(f"<html><body>{live}</body></html>", f"{ORIGIN}/edit/4711")
    assert runtime.from_form(resp, "step 1", e.var, "csrf_token", (("/", "/delete"),),
                             recorded=token, page_token=True) == "ImE2NTBhZWRjODFm.bNew.live"
    assert runtime.from_form(resp, "step 1", e.var, "note", (("/", "/delete"),),
                             recorded="gone") == "gone"
