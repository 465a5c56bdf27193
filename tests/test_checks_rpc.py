"""Checkpoints for APIs that report errors inside a 200 (issue 12, class 9).

1. The operation of an RPC-style request (GraphQL ``operationName`` or query text, JSON-RPC
   ``method``, SOAP, front-controller selectors such as ``?page=start&do=edit``) is part of the
   key checks are decided by: recordings of different operations on one URL keep their own
   checks, recordings of one operation must still agree.
2. Constant JSON values are checked at any depth (``save.result == "Success"``), never ids,
   tokens, times, counts or echoed input, and only a few per step.
3. A response with an ``error``/``errors`` member the recording did not have fails, POST too
   (``--checks full`` only); the run-time helper survives any JSON.
4. ``e2e``: real ``locust --headless`` (both user classes) against a small JSON-RPC + GraphQL
   server on 127.0.0.1 that answers refused operations with 200 and an error member.
"""

from __future__ import annotations

import ast
import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import build_entry, build_har, locust_headless
from hypothesis import given, settings
from hypothesis import strategies as st

from har2locust_plus import Options, ThinkTime, convert, ir
from har2locust_plus.loader import load
from har2locust_plus.runtime import checks as runtime
from har2locust_plus.stages import PIPELINE

ORIGIN = "http://127.0.0.1:5000"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


# --- building HARs ------------------------------------------------------------------------------


def _post_json(path: str, body: Any, answer: Any, **kwargs: Any) -> dict[str, Any]:
    return build_entry(f"{ORIGIN}{path}", "POST", mime=JSON, body=json.dumps(answer),
                       headers=[("Content-Type", JSON)], resource_type="fetch",
                       post_data={"mimeType": JSON, "text": json.dumps(body)}, **kwargs)


def _graphql(operation: str | None, query: str, answer: Any, **variables: Any) -> dict[str, Any]:
    body = {"operationName": operation, "query": query, "variables": variables}
    return _post_json("/graphql", body, answer)


def _json_rpc(method: str, params: dict[str, Any], answer: Any, number: int = 1
              ) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": number, "method": method, "params": params}
    return _post_json("/rpc", body, {"jsonrpc": "2.0", "id": number, **answer})


def _form(path: str, fields: dict[str, str], answer: Any) -> dict[str, Any]:
    text = "&".join(f"{k}={v}" for k, v in fields.items())
    return build_entry(f"{ORIGIN}{path}", "POST", mime=JSON, body=json.dumps(answer),
                       headers=[("Content-Type", FORM)], resource_type="fetch",
                       post_data={"mimeType": FORM, "text": text, "params": [
                           {"name": k, "value": v} for k, v in fields.items()]})


def _page(path_and_query: str, head_and_body: str) -> dict[str, Any]:
    return build_entry(f"{ORIGIN}{path_and_query}", resource_type="document",
                       body=f"<!doctype html><html><head>{head_and_body}</html>")


def _steps(*entries: dict[str, Any], options: Options | None = None) -> list[ir.Step]:
    """The pipeline's steps (checks decided) for a HAR of these entries."""
    scenario = load(build_har(*entries), "test.har")
    for _, stage in PIPELINE:
        scenario = stage(scenario, options or Options())
    return list(scenario.steps)


def _by_kind(step: ir.Step) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for check in step.checks:
        value = ".".join(map(str, check.path)) if check.kind == "json_value" else check.expected
        found.setdefault(check.kind, []).append(
            (value, check.expected) if check.kind == "json_value" else value)
    return found


def _values(step: ir.Step) -> list[tuple[str, Any]]:
    return _by_kind(step).get("json_value", [])


# --- 1. the operation ---------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "operation"), [
    (_graphql("CreateNote", "mutation CreateNote { createNote { ok } }", {}), "CreateNote"),
    (_graphql(None, "mutation AddTag($t: String!) { addTag(t: $t) { ok } }", {}), "AddTag"),
    (_graphql(None, "mutation { createNote(title: \"x\") { ok } }", {}), "createNote"),
    (_graphql(None, "{ recent: notes(last: 3) { title } }", {}), "notes"),
    (_json_rpc("note.save", {"title": "x"}, {"result": True}), "note.save"),
    (_post_json("/api/pay", {"method": "card", "amount": 3}, {}), "method=card"),
    (_form("/api.php", {"action": "edit", "title": "Main", "token": "ab+\\"}, {}), "action=edit"),
    (_page("/index.php?page=start&do=edit", "<title>x</title>"), "page=start, do=edit"),
    (_page("/notes?page=2", "<title>x</title>"), None),  # pagination, not an operation
    (_page("/ad?mode=http://x.example/p&view=wide", "<title>x</title>"), "view=wide"),
    (_page("/doku.php?id=start&do=edit&rev=1712", "<title>x</title>"), "do=edit"),
    (_page("/index.php?route=/sql&db=zoo&pos=0", "<title>x</title>"), "route=/sql"),
    (_page("/index.php?route=/", "<title>x</title>"), "route=/"),
    (_page("/notes/7", "<title>x</title>"), None),
    (_page("/?_task=addressbook&_action=list&_cid=7", "<title>x</title>"),
     "_task=addressbook, _action=list"),
    (_form("/issue4711", {"@template": "item", "@action": "edit", "@csrf": "x"}, {}),
     "@action=edit"),  # Roundup
    (_page("/issue4711?:action=logout", "<title>x</title>"), ":action=logout"),
    (_post_json("/api/notes", {"title": "x"}, {}), None),
    (build_entry(f"{ORIGIN}/ws", "POST", headers=[
        ("Content-Type", "text/xml"), ("SOAPAction", '"http://tempuri.org/GetUser"')],
        post_data={"mimeType": "text/xml", "text": "<Envelope/>"}), "GetUser"),
    (build_entry(f"{ORIGIN}/ws", "POST", headers=[("Content-Type", "application/soap+xml")],
                 post_data={"mimeType": "application/soap+xml", "text": (
                     '<s:Envelope xmlns:s="x"><s:Header/><s:Body>\n  <m:DeleteNote xmlns:m="y">'
                     "<m:id>4</m:id></m:DeleteNote></s:Body></s:Envelope>")}), "DeleteNote"),
], ids=["graphql-operation-name", "graphql-named-query", "graphql-anonymous-mutation",
        "graphql-alias", "json-rpc", "json-selector", "form-action", "front-controller",
        "pagination", "url-is-no-selector", "dokuwiki", "route", "route-home", "rest-get",
        "underscored", "at-sign", "colon",
        "rest-post", "soap-action", "soap-body"])
def test_the_operation_of_a_request(entry: dict[str, Any], operation: str | None) -> None:
    step, = load(build_har(entry), "test.har").steps
    assert step.request.operation == operation
    method, path = step.request.method, ir.template_preview(step.request.path)
    assert step.label == (f"{method} {path} ({operation})" if operation else f"{method} {path}")


def test_a_request_s_name_in_locust_s_statistics_names_its_operation() -> None:
    """Every step of a front controller has the same path: its row in Locust's statistics
    says what it asked for."""
    har = build_har(_page("/?_task=addressbook&_action=list", "<title>x</title>"),
                    _graphql("Login", "mutation Login { login { ok } }", {"data": {}}),
                    _page("/notes/7", "<title>x</title>"))
    code = convert(har, Options(think_time=ThinkTime("none"))).code
    names = re.findall(r'name="([^"]+)"', code)
    assert names == ["1 / (_task=addressbook, _action=list)", "2 /graphql (Login)", "3 /notes/7"]


def test_two_graphql_operations_on_one_path_each_get_their_own_checks() -> None:
    login = {"data": {"login": {"ok": True, "status": "Welcome", "token": "AbCdEfGhIjKlMnOp"}}}
    create = {"data": {"createNote": {"ok": True, "note": {"id": "17", "state": "draft"}}}}
    steps = _steps(
        _graphql("Login", "mutation Login($u: String!) { login(u: $u) { ok } }", login, u="al"),
        _graphql("CreateNote", "mutation CreateNote { createNote { ok } }", create),
        _graphql("Login", "mutation Login($u: String!) { login(u: $u) { ok } }", login, u="al"),
    )
    assert [s.label for s in steps] == [
        "POST /graphql (Login)", "POST /graphql (CreateNote)", "POST /graphql (Login)"]
    # keyed by path alone, the two answers shared no value: only status would be left
    assert _values(steps[0]) == _values(steps[2]) == [
        ("data.login.ok", True), ("data.login.status", "Welcome")]
    assert _values(steps[1]) == [("data.createNote.ok", True), ("data.createNote.note.state",
                                                                 "draft")]
    assert all("no_error" in _by_kind(s) for s in steps)


def test_recordings_of_one_operation_must_still_agree() -> None:
    first = {"result": {"state": "saved", "mode": "fast", "ok": True}}
    second = {"result": {"state": "queued", "mode": "fast", "ok": 1}}  # 1 is not True
    steps = _steps(_json_rpc("note.save", {"n": 1}, first, 1),
                   _json_rpc("note.list", {}, {"result": {"state": "listed"}}, 2),
                   _json_rpc("note.save", {"n": 2}, second, 3))
    assert _values(steps[0]) == _values(steps[2]) == [("result.mode", "fast")]
    assert _values(steps[1]) == [("result.state", "listed")]


def test_front_controller_pages_keep_their_own_title() -> None:
    # "edit" was sent, but as the operation: a title saying "Editing" is not echoed input;
    # the page name was sent too and may be user input: a title showing it is not checked
    steps = _steps(_page("/index.php?page=start&do=show", "<title>Viewing — Wiki</title>"),
                   _page("/index.php?page=start&do=edit", "<title>Editing — Wiki</title>"),
                   _page("/index.php?page=start&do=show", "<title>Viewing — Wiki</title>"),
                   _page("/index.php?page=start&do=diff", "<title>Start: changes</title>"))
    assert [_by_kind(s).get("contains") for s in steps] == [
        ["<title>Viewing — Wiki</title>"], ["<title>Editing — Wiki</title>"],
        ["<title>Viewing — Wiki</title>"], None]


def test_a_page_and_its_scripts_json_for_one_operation_each_get_their_own_checks() -> None:
    """phpMyAdmin answers ``index.php?route=/sql`` with a page, and with JSON holding the page
    when its script asks: a JSON answer is never checked for HTML, nor the page for JSON."""
    xhr = build_entry(f"{ORIGIN}/index.php?route=/sql&ajax_request=true", mime=JSON,
                      body=json.dumps({"success": True, "message": "<p>rows</p>"}),
                      resource_type="xhr")
    steps = _steps(_page("/index.php?route=/sql", "<title>Browse</title>"), xhr)
    assert _by_kind(steps[0])["content_type"] == ["html"]
    assert _by_kind(steps[0])["contains"] == ["<title>Browse</title>"]
    assert _by_kind(steps[1])["content_type"] == ["json"]
    assert ("success", True) in _values(steps[1]) and "contains" not in _by_kind(steps[1])


def _postback(fields: dict[str, str], answer: str, *, asynchronous: bool = False,
              mime: str = "text/html; charset=utf-8") -> dict[str, Any]:
    """A WebForms postback of ``fields`` (``__VIEWSTATE`` added) to /Orders.aspx."""
    fields = {"__VIEWSTATE": "/wEPDwUKMTY1NDU2MTA1Mg9kFgICAw9kFgICAQ8PFgIeBFRleHQFBUhlbGxvZGRk",
              **fields}
    text = "&".join(f"{k}={v}" for k, v in fields.items())
    headers = [("Content-Type", FORM)] + ([("X-MicrosoftAjax", "Delta=true")]
                                          if asynchronous else [])
    return build_entry(f"{ORIGIN}/Orders.aspx", "POST", mime=mime, body=answer, headers=headers,
                       resource_type="xhr" if asynchronous else "document",
                       post_data={"mimeType": FORM, "text": text, "params": [
                           {"name": k, "value": v} for k, v in fields.items()]})


@pytest.mark.parametrize(("fields", "asynchronous", "operation"), [
    ({"__EVENTTARGET": "List$ctl00$DeleteButton", "__EVENTARGUMENT": ""}, True,
     "postback=List$ctl00$DeleteButton"),
    ({"Scripts": "OrdersPanel|AddButton", "__EVENTTARGET": "", "Item": "pens"}, True,
     "postback=AddButton"),
    ({"Scripts": "OrdersPanel|AddButton", "__ASYNCPOST": "true"}, False, "postback=AddButton"),
    ({"__EVENTTARGET": "", "Item": "a|b"}, False, None),  # a full postback by a button
    ({"__EVENTTARGET": "javascript:alert(1)"}, False, None),  # not a control's name
], ids=["event-target", "async-by-header", "async-by-field", "full-postback", "no-control"])
def test_the_operation_of_an_asp_net_postback(fields: dict[str, str], asynchronous: bool,
                                               operation: str | None) -> None:
    step, = load(build_har(_postback(fields, "<p>x</p>", asynchronous=asynchronous)),
                 "test.har").steps
    assert step.request.operation == operation


def test_a_form_field_with_a_bar_is_no_postback_without_view_state() -> None:
    step, = load(build_har(_form("/save", {"Scripts": "a|b", "__ASYNCPOST": "true"}, {})),
                 "test.har").steps
    assert step.request.operation is None


_SAVED = '<div class="alert alert-success" role="alert">Your changes were saved.</div>'


@pytest.mark.parametrize(("answers", "message"), [
    ([_SAVED, _SAVED], ">Your changes were saved.<"),
    (['<span id="Msg" class="message">Order deleted</span>'], ">Order deleted<"),
    (['<p class="flash notice">Signed out &amp; done</p>'], ">Signed out &amp; done<"),
    (['<div role="status">Queued for review</div>'], ">Queued for review<"),
    ([_SAVED, '<div class="alert">Saved as a draft.</div>'], None),  # recordings disagree
    (['<div class="alert">3 notes deleted</div>'], "notes deleted"),  # not the count
    (['<div class="alert">Note Shopping saved</div>'], None),  # echoes what was sent
    (['<div class="summary">Nothing yet</div>'], None),  # not a message's class
    (['<div class="alert"><b>Saved</b></div>'], None),  # too short a phrase in markup
    (['<div class="alert">Note added</div>'], ">Note added<"),  # "add" was sent: no word
    (['<div class="alert alert-success"><img src="ok.png"> 3 notes deleted.</div>'],
     "notes deleted."),  # after an icon, between the numbers
    (['<div class="alert"><i class="icon"></i>Saved. (Query took 0.0006 seconds.)</div>'],
     "Query took"),  # the longest phrase first
], ids=["bootstrap-alert", "label", "entities", "role-status", "disagree", "digits", "echo",
        "other-class", "markup", "sent-part-of-a-word", "after-an-icon", "phrases"])
def test_an_unsafe_request_s_answer_is_checked_for_its_message(
        answers: list[str], message: str | None) -> None:
    entries = [_form("/notes/save", {"title": "Shopping", "n": str(i), "do": "add"}, {})
               for i in range(len(answers))]
    for entry, answer in zip(entries, answers, strict=True):
        entry["response"]["content"] = {"size": len(answer), "mimeType": "text/html",
                                        "text": f"<html><title>Notes</title>{answer}</html>"}
        entry["response"]["headers"] = [{"name": "Content-Type", "value": "text/html"}]
    steps = _steps(*entries)
    expected = ["<title>Notes</title>"] + ([message] if message else [])
    assert all(_by_kind(step).get("contains") == expected for step in steps)


@pytest.mark.parametrize(("message", "expected"), [
    ('<div class="alert alert-success"><img src="x.gif"> 1 row deleted.</div>',
     "row deleted."),
    ('<div class="alert">Note saved</div>', ">Note saved<"),
    ('<div class="alert">Note "Shopping" saved</div>', None),  # echoed input
    ('<div class="alert">Saved "as draft"</div>', None),  # escaped in JSON: not as sent
], ids=["json-held-html", "plain", "echo", "escaped"])
def test_a_json_answer_s_html_message_is_checked_as_the_script_reads_it(
        message: str, expected: str | None) -> None:
    """phpMyAdmin, Drupal's AJAX, ``{"html": …}``: the message is HTML in a JSON string; the
    check is a phrase found in the answer as sent (the script searches its text)."""
    answer = {"success": True, "message": message}
    step, = _steps(_form("/index.php", {"route": "/sql", "sql_query": "DELETE x",
                                        "title": "Shopping"}, answer))
    assert _by_kind(step).get("contains") == ([expected] if expected else None)


@pytest.mark.parametrize(("answer", "expected"), [
    ({"action": "delete", "exec": 'this.display_message("Contact(s) deleted successfully.",'
                                  '"confirmation",0);\nthis.set_rowcount("1 – 1 of 1");'},
     "Contact(s) deleted successfully."),
    ({"ok": 1, "js": "toastr.success('Note saved'); reload();"}, "Note saved"),
    ({"ok": 1, "js": 'showMessage("Note Shopping saved")'}, None),  # echoes what was sent
    ({"ok": 1, "js": 'showMessage("Saved 3 notes")'}, None),  # a count
    ({"ok": 1, "js": 'render("Saved it")'}, None),  # not a call that shows a message
    # the first argument names the message's kind (Zabbix's popup script): not the message
    ({"body": "<form></form>", "script_inline": "init({warning}) {\n if (warning !== null) {"
      "const box = makeMessageBox('warning', warning, null, true)[0];}}"}, None),
    ({"ok": 1, "js": 'notify("Success", "Note saved");showMessage("Note saved.")'},
     "Note saved."),
], ids=["roundcube-exec", "toastr", "echo", "digits", "other-call", "kind-only", "kind-first"])
def test_a_message_a_script_call_shows_is_checked_as_written(
        answer: dict[str, Any], expected: str | None) -> None:
    """Roundcube answers an AJAX call with a script for its page (``exec``); its outcome is
    only in ``display_message(…)``. The check is the message as the answer holds it."""
    step, = _steps(_form("/", {"_task": "addressbook", "_action": "delete", "_cid": "45520",
                               "title": "Shopping"}, answer))
    assert _by_kind(step).get("contains") == ([expected] if expected else None)


def test_a_message_in_a_page_s_inline_script_is_checked() -> None:
    entry = _form("/", {"_task": "addressbook", "_action": "save", "_cid": "45520"}, {})
    html = ('<html><title>Zoo Mail :: Contact</title><script>rcmail.add_label({"a":"b"});'
            'rcmail.display_message("Successfully saved.","confirmation",0);</script></html>')
    entry["response"]["content"] = {"size": len(html), "mimeType": "text/html", "text": html}
    entry["response"]["headers"] = [{"name": "Content-Type", "value": "text/html"}]
    step, = _steps(entry)
    assert _by_kind(step)["contains"] == ["<title>Zoo Mail :: Contact</title>",
                                          "Successfully saved."]


def test_a_body_the_har_lacks_gets_no_checks_and_leaves_its_group_s_alone() -> None:
    """Roundcube's contact frame: the first "save" answer was replaced before the browser kept
    its body, the second was kept. Unknown is not empty: the first step gets only its status
    checked, the second its message."""
    first = _form("/", {"_task": "addressbook", "_action": "save", "n": "1"}, {})
    second = _form("/", {"_task": "addressbook", "_action": "save", "n": "2"}, {})
    first["response"]["content"] = {"size": -1, "mimeType": "text/html"}
    html = '<html><script>rcmail.display_message("Successfully saved.","ok")</script></html>'
    second["response"]["content"] = {"size": len(html), "mimeType": "text/html", "text": html}
    for entry in (first, second):
        entry["response"]["headers"] = [{"name": "Content-Type", "value": "text/html"}]
    unknown, known = _steps(first, second)
    assert [c.kind for c in unknown.checks] == ["status"]
    assert _by_kind(known)["contains"] == ["Successfully saved."]


def test_a_page_s_message_is_not_checked_on_a_get() -> None:
    step, = _steps(_page("/notes", f"<title>Notes</title></head><body>{_SAVED}</body>"))
    assert _by_kind(step)["contains"] == ["<title>Notes</title>"]


# --- 2. constant values at any depth ------------------------------------------------------------


def test_deep_constant_values_are_checked_but_never_ids_tokens_times_counts_or_input() -> None:
    answer = {"edit": {
        "pageid": 12, "newrevid": 1713, "newtimestamp": "yesterday", "title": "Shopping List",
        "nochange": False, "result": "Success", "contentmodel": "wikitext", "count": "many",
        "user": {"sessionToken": "AbCdEfGhIjKlMnOp", "name": "marvin", "role": "editor"},
        "n4711": {"state": "open"}, "Shopping": {"state": "open"},
        "f47ac10b": {"kind": "note"}}}
    step, = _steps(_form("/api.php", {"action": "edit", "title": "Shopping",
                                      "text": "marvin"}, answer))
    assert step.label == "POST /api.php (action=edit)"
    assert _values(step) == [("edit.result", "Success"), ("edit.contentmodel", "wikitext"),
                             ("edit.user.role", "editor")]  # "nochange": a state, not checked
    # "edit" was sent as the operation, not as user input: the path may go through it


def _nested(depth: int) -> str:
    return '{"inner": ' * depth + '{"state": "bottom"}' + "}" * depth


def test_only_a_few_values_per_step_and_huge_or_deep_answers_stay_bounded() -> None:
    wide = {f"flag_{chr(97 + i // 26)}{chr(97 + i % 26)}": "ready" for i in range(300)}
    steps = _steps(_post_json("/api/wide", {"x": 1}, wide),
                   build_entry(f"{ORIGIN}/api/deep", mime=JSON, body=_nested(300)),
                   build_entry(f"{ORIGIN}/api/deeper", mime=JSON, body=_nested(5000)),
                   _post_json("/api/list", {"x": 1}, [{"ok": True}]))
    assert len(_values(steps[0])) == 4
    assert _by_kind(steps[1]) == {"status": [200], "content_type": ["json"],
                                  "no_error": [True], "json_keys": [("inner",)]}
    assert _by_kind(steps[2]) == {"status": [200], "content_type": ["json"]}  # too deep to parse
    assert _by_kind(steps[3]).get("no_error") == [True] and not _values(steps[3])


def test_checks_stay_free_of_changing_values_in_graphql_answers() -> None:
    answer = {"data": {"notes": {"edges": [{"node": {"id": "Tm90ZTox", "state": "open"}}],
                                 "totalCount": 1, "pageInfo": {"hasNextPage": False,
                                                               "endCursor": "YXJyYXk"}},
                       "me": {"createdAt": "today", "accessToken": "tok", "role": "admin"}}}
    step, = _steps(_graphql("Notes", "query Notes { notes { edges { node { id } } } }", answer))
    assert _values(step) == [("data.me.role", "admin")]  # hasNextPage: more notes, True


@pytest.mark.parametrize(("answer", "checked"), [
    # a state or a setting: another run of the flow, another user or another server's set-up
    # answers otherwise while the work went well (Deluge's web server is connected after the
    # first run; a list has a next page once other users added to it)
    ({"connected": False, "admin": True, "hasNextPage": False, "configInSync": True,
      "promptPhpErrors": False, "enabled": True}, []),
    # how the request's own work went: true where it says it went well ...
    ({"deleted": True, "wp-auth-check": True, "loggedIn": True, "isSuccess": True},
     [("deleted", True), ("wp-auth-check", True), ("loggedIn", True), ("isSuccess", True)]),
    ({"uploaded": True, "saved": True, "acknowledged": True, "status": True},
     [("uploaded", True), ("saved", True), ("acknowledged", True), ("status", True)]),
    # ... false where it says it failed; the recording's own refusal is not asked of a replay
    ({"error": False, "has_errors": False, "failed": False}, [
        ("error", False), ("has_errors", False), ("failed", False)]),
    ({"deleted": False, "success": False, "error": True, "failed": True}, []),
])
def test_a_boolean_is_checked_only_where_it_says_how_the_work_went(answer: dict,
                                                                   checked: list) -> None:
    step, = _steps(_post_json("/api/notes/delete", {"x": 1}, answer))
    assert _values(step) == checked


@pytest.mark.parametrize(("method", "answer", "checked"), [
    ("auth.login", {"result": True}, [("result", True)]),  # Deluge: false, wrong password
    ("auth.delete_session", {"result": True}, [("result", True)]),
    ("notes.remove", {"result": True}, [("result", True)]),
    ("auth.login", {"result": False}, []),  # the recording's refusal
    # questions: their answer is a state (the web server stays connected after a run)
    ("web.connected", {"result": False}, []),
    ("web.connected", {"result": True}, []),
    ("auth.check_session", {"result": False}, []),
    ("system.isReady", {"result": True}, []),
    ("web.get_events", {"result": {"enabled": True, "theme": "gray"}},
     [("result.theme", "gray")]),
])
def test_a_remote_procedure_s_boolean_result_is_checked_when_it_did_something(
        method: str, answer: dict, checked: list) -> None:
    step, = _steps(_json_rpc(method, [], answer))
    assert _values(step) == checked


SETTINGS = {"serial": {"encoding": "ascii", "log": False}, "gui": {"user": "alice",
                                                                   "theme": "default"}}


@pytest.mark.parametrize(("entry", "checked"), [
    # a read of the server's settings: each value is how this server is set up (OctoPrint's
    # serial encoding, Syncthing's GUI user); the keys still are its answer's
    (build_entry(f"{ORIGIN}/api/settings", mime=JSON, body=json.dumps(SETTINGS)), []),
    (build_entry(f"{ORIGIN}/rest/config", mime=JSON, body=json.dumps(SETTINGS)), []),
    (_json_rpc("core.get_config", [], {"result": SETTINGS}), []),
    (_json_rpc("getPreferences", [], {"result": SETTINGS}), []),
    # their change says how it went; another read is no settings' read
    (_json_rpc("core.set_config", [{"max": 1}], {"result": True}), [("result", True)]),
    (_post_json("/api/settings", {"x": 1}, {"saved": True, "state": "applied"}),
     [("saved", True), ("state", "applied")]),
    (build_entry(f"{ORIGIN}/api/notes", mime=JSON, body=json.dumps(SETTINGS)),
     [("serial.encoding", "ascii"), ("gui.user", "alice"), ("gui.theme", "default")]),
])
def test_a_read_of_the_server_s_settings_checks_no_value(entry: dict, checked: list) -> None:
    step, = _steps(entry)
    assert _values(step) == checked
    assert "json_keys" in _by_kind(step)


# --- 3. error members ---------------------------------------------------------------------------


def test_a_batch_answer_is_checked_for_errors_in_each_of_its_answers() -> None:
    """Moodle's AJAX service and JSON-RPC batches answer a list, one object per call, each
    with its own error member: no_error, unless the recording had an error in one."""
    fine = [{"error": False, "data": {"n": 1}}]
    failed = [{"error": True, "exception": {"message": "x"}}]
    ok, = _steps(_post_json("/lib/ajax/service.php", [{"methodname": "a"}], fine))
    bad, = _steps(_post_json("/lib/ajax/service.php", [{"methodname": "a"}], failed))
    assert _by_kind(ok).get("no_error") == [True]
    assert "no_error" not in _by_kind(bad)


def test_no_error_is_checked_unless_the_recording_had_an_error() -> None:
    ok = _json_rpc("note.save", {"title": "x"}, {"result": {"ok": True}, "error": None})
    refused = _json_rpc("note.delete", {"id": 4}, {"error": {"code": -32000}}, 2)
    partial = _graphql("Notes", "query Notes { notes { title } }",
                       {"data": {"notes": []}, "errors": [{"message": "partial"}]})
    steps = _steps(ok, refused, partial)
    assert [("no_error" in _by_kind(s)) for s in steps] == [True, False, False]
    assert all(s.request.method == "POST" for s in steps)
    status_only = _steps(ok, options=Options(checks="status"))
    assert [c.kind for c in status_only[0].checks] == ["status"]  # --checks full only


def _check_calls(code: str) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id == "check"]


def test_generated_check_names_the_operation_and_passes_no_error(tmp_path: Path) -> None:
    har = tmp_path / "rpc.har"
    har.write_bytes(build_har(_json_rpc("note.save", {"title": "x"},
                                        {"result": {"save": {"result": "Success"}}})))
    code = convert(har, Options()).code
    call, = _check_calls(code)
    assert ast.literal_eval(call.args[1]) == "step 1 POST /rpc (note.save)"
    assert {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords} == {
        "content_type": "json", "json_keys": ("jsonrpc", "id", "result", ("result", "save")),
        "json_values": (("result.save.result", "Success"),),
        "no_error": True}


class FakeResponse:
    def __init__(self, text: str, content_type: str = JSON) -> None:
        self.status_code = 200
        self.headers = {"Content-Type": content_type}
        self.text = text
        self.calls: list[tuple[str, ...]] = []

    def success(self) -> None:
        self.calls.append(("success",))

    def failure(self, message: str) -> None:
        self.calls.append(("failure", message))


STEP = "step 7 POST /graphql (createNote)"


@pytest.mark.parametrize(("text", "message"), [
    ('{"data": null, "errors": [{"message": "title too long"}]}',
     'the response has errors: [{"message": "title too long"}]'),
    ('{"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "Método"}}',
     'the response has an error: {"code": -32601, "message": "Método"}'),
    ('{"error": "bad token"}', 'the response has an error: "bad token"'),
    ('{"error": null, "errors": [], "data": {}}', None),
    ('{"error": 0, "result": 1}', None),
    ("[1, 2]", None), ('"error"', None), ("17", None), ("null", None), ("", None),
    ("not json {", None),
    ("[" * 100_000 + "]" * 100_000, None),  # too deep for json: no exception
    ('{"errors": ' + "[" * 50_000 + "]" * 50_000 + "}", None),  # too deep: not parsed
    ('[{"error": false, "data": {"n": 1}}, {"error": true, "exception": '
     '{"message": "Invalid sesskey", "errorcode": "invalidsesskey"}}]',
     'the response has an error: {"message": "Invalid sesskey", "errorcode": "invalidsesskey"}'),
    ('[{"jsonrpc": "2.0", "id": 1, "result": 3}, {"jsonrpc": "2.0", "id": 2, "error": '
     '{"code": -32600}}]', 'the response has an error: {"code": -32600}'),
    ('[{"error": false, "data": []}, {"error": false, "data": {}}]', None),
], ids=["graphql", "json-rpc", "string", "empty-members", "zero", "list", "string-doc",
        "number", "null", "empty", "invalid", "too-deep", "too-deep-member", "moodle-batch",
        "json-rpc-batch", "batch-fine"])
@pytest.mark.usefixtures("continue_on_failure")
def test_the_run_time_error_member_check(text: str, message: str | None) -> None:
    resp = FakeResponse(text)
    runtime.check(resp, STEP, 200, content_type="json", no_error=True)
    assert resp.calls == ([("failure", f"{STEP}: {message}")] if message else [])


@pytest.mark.usefixtures("continue_on_failure")
def test_an_error_member_is_quoted_briefly_even_when_deep_or_huge() -> None:
    deep = "[" * 900 + "]" * 900  # parses, but json.dumps of it may hit the recursion limit
    resp = FakeResponse('{"errors": ' + deep + "}")
    runtime.check(resp, STEP, 200, no_error=True)
    (kind, message), = resp.calls
    assert kind == "failure" and message.startswith(f"{STEP}: the response has errors: [[[")
    assert len(message) < len(STEP) + 160
    resp = FakeResponse(json.dumps({"errors": [{"message": "x" * 10_000}] * 100}))
    runtime.check(resp, STEP, 200, no_error=True)
    assert len(resp.calls[0][1]) < len(STEP) + 160 and resp.calls[0][1].endswith("...")


@pytest.mark.usefixtures("continue_on_failure")
def test_deep_values_at_run_time_handle_any_shape() -> None:
    for text in ('{"save": "Success"}', '{"save": [1]}', "[]", '{"save": {"result": null}}',
                 "[" * 100_000):
        resp = FakeResponse(text)
        runtime.check(resp, STEP, 200, json_values=(("save.result", "Success"),))
        assert resp.calls and resp.calls[0][0] == "failure", text
    resp = FakeResponse('{"save": {"result": "Success", "more": ' + "[" * 500 + "]" * 500 + "}}")
    runtime.check(resp, STEP, 200, json_values=(("save.result", "Success"),), no_error=True)
    assert resp.calls == []


# --- 4. end to end: real Locust against an RPC server that refuses with 200 ---------------------


class RpcApp:
    """JSON-RPC (``/rpc``) and GraphQL-shaped (``/graphql``) notes on 127.0.0.1.

    ``refuse``: ``note.create`` and ``CreateNote`` answer 200 with an error member, as such
    APIs do, and create nothing. ``notes`` is the server's own state.
    """

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.notes: dict[int, str] = {}
        self.lock = threading.Lock()
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                answer = app.rpc(body) if self.path == "/rpc" else app.graphql(body)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", JSON)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def create(self, title: str) -> int | None:
        if self.refuse:
            return None
        with self.lock:
            number = 1000 + len(self.notes)
            self.notes[number] = title
            return number

    def rpc(self, body: dict[str, Any]) -> dict[str, Any]:
        head = {"jsonrpc": "2.0", "id": body.get("id")}
        if body.get("method") == "note.create":
            number = self.create(body["params"]["title"])
            if number is None:
                return {**head, "error": {"code": -32000, "message": "quota exceeded"}}
            return {**head, "result": {"note": {"id": number, "state": "saved"}}}
        with self.lock:
            title = self.notes.get(body["params"]["id"])
        if title is None:
            return {**head, "error": {"code": -32004, "message": "no such note"}}
        return {**head, "result": {"note": {"id": body["params"]["id"], "state": "saved"}}}

    def graphql(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("operationName") == "CreateNote":
            if self.create(body["variables"]["title"]) is None:
                return {"data": {"createNote": None}, "errors": [{"message": "not allowed"}]}
            return {"data": {"createNote": {"ok": True}}}
        with self.lock:
            return {"data": {"stats": {"status": "ready", "notes": len(self.notes)}}}

    def __enter__(self) -> RpcApp:
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def _rpc_har() -> bytes:
    """A recorded journey: create a note over GraphQL, read the stats (same URL), create one
    over JSON-RPC and read it back by the id the create handed out."""
    return build_har(
        _graphql("CreateNote", "mutation CreateNote($title: String!) { createNote(title: "
                 "$title) { ok } }", {"data": {"createNote": {"ok": True}}}, title="Eggs"),
        _graphql("Stats", "query Stats { stats { status notes } }",
                 {"data": {"stats": {"status": "ready", "notes": 1}}}),
        _json_rpc("note.create", {"title": "Milk"},
                  {"result": {"note": {"id": 4711, "state": "saved"}}}, 1),
        _json_rpc("note.get", {"id": 4711},
                  {"result": {"note": {"id": 4711, "state": "saved"}}}, 2),
    )


@pytest.fixture(scope="module")
def rpc_scripts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Path]]:
    folder = tmp_path_factory.mktemp("rpc")
    har = folder / "rpc.har"
    har.write_bytes(_rpc_har())

    def script(user_class: str) -> Path:
        path = folder / f"locustfile_{user_class}.py"
        if not path.exists():
            options = Options(think_time=ThinkTime("none"), user_class=user_class)  # type: ignore[arg-type]
            path.write_text(convert(har, options).code, encoding="utf-8")
        return path

    yield script


@pytest.mark.e2e
@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_an_rpc_error_inside_a_200_fails_the_step_that_got_it(
        user_class: str, rpc_scripts: Callable[[str], Path], tmp_path: Path) -> None:
    script = rpc_scripts(user_class)
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    with RpcApp() as app:  # note.get asks for the id note.create handed out (correlated)
        good = locust_headless(script, app.url, tmp_path / "good", seconds=3, users=1)
        created = dict(app.notes)
    assert good.failed == 0 and good.requests > 0, good.explain()
    creates = good.final["1 /graphql (CreateNote)"][0] + good.final["3 /rpc (note.create)"][0]
    # the one user may be stopped while a create is on its way: served, not counted
    assert 0 < creates <= len(created) <= creates + 1, good.explain()
    assert set(created.values()) == {"Eggs", "Milk"}, created

    (tmp_path / "stops").mkdir()
    with RpcApp(refuse=True) as app:  # by default the refused create ends each run
        stops = locust_headless(script, app.url, tmp_path / "stops", seconds=3, users=1)
        assert app.notes == {}
    assert set(stops.final) == {"1 /graphql (CreateNote)"} and stops.failed == stops.requests > 0, \
        stops.explain()

    with RpcApp(refuse=True) as app:  # going on, the other create is refused too
        bad = locust_headless(script, app.url, tmp_path / "bad", seconds=3, users=1,
                              extra=("--continue-on-failure",))
        assert app.notes == {}  # the server refused every create
    failed = {name: counts for name, counts in bad.final.items() if counts[1]}
    assert set(failed) == {"1 /graphql (CreateNote)", "3 /rpc (note.create)"}, bad.explain()
    assert all(requests == failures for requests, failures in failed.values()), bad.explain()
    # a different operation on the same path passes; after the refused create there is no id
    # to read back, so the flow restarts before step 4
    assert bad.final["2 /graphql (Stats)"][0] > 0 and "4 /rpc (note.get)" not in bad.final, \
        bad.explain()
    messages = {row["Name"]: _message(row["Error"]) for row in bad.failures
                if row["Method"] != "PAGE"}  # page rows repeat their request's failure
    assert messages == {
        "1 /graphql (CreateNote)": 'step 1 POST /graphql (CreateNote): the response has errors: '
                      '[{"message": "not allowed"}]',
        "3 /rpc (note.create)": 'step 3 POST /rpc (note.create): the response has an error: '
                  '{"code": -32000, "message": "quota exceeded"}',
    }, bad.explain()
    assert bad.exceptions == [] and "Traceback" not in bad.output, bad.explain()


def _message(error: str) -> str:
    """The text of a ``CatchResponseError('...')`` cell of s_failures.csv."""
    match = re.fullmatch(r"CatchResponseError\((.*)\)", error, re.S)
    assert match, f"not a checkpoint failure: {error!r}"
    return ast.literal_eval(match.group(1))


@given(st.lists(st.one_of(st.text(st.characters(codec="ascii", exclude_characters="<>"),
                                  max_size=30),
                          st.sampled_from(["<br>", "<img src=x>", "<b>", "</b>", " 1 ", "0.5",
                                           "(#12)", ". ", "&amp;"])), max_size=12))
@settings(max_examples=300)
def test_message_phrases_are_words_of_the_message_as_written(pieces: list[str]) -> None:
    """Each phrase is a run of the message's own text (markup gone, spaces joined), holds no
    digit, markup or entity, and so is the same in a page and in a JSON string."""
    from har2locust_plus.stages.checks import _message_phrases

    inner = "".join(pieces)
    text = " ".join(re.sub(r"<[^>]*>", " ", inner).split())
    for phrase in _message_phrases(inner):
        assert phrase in text
        assert not any(ch.isdigit() or ch in '<>&"\\/' for ch in phrase)
        assert json.dumps(phrase)[1:-1] == phrase
