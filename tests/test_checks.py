"""Checkpoints (issue 4): what each replayed response must look like, and what they must not use.

1. ``e2e``: scripts generated from the fixture HARs run with real ``locust --headless`` against a
   fresh fixture app: 0 failures; against a sabotaged app (``title``, ``500``, ``rename-field``,
   a wrong password) exactly the right steps fail, with one readable message per step in
   ``s_failures.csv`` and no row in ``s_exceptions.csv``.
2. Snippet and value choice: on the fixture HARs, every valid HAR of the real-world corpus
   (``../shared/hars``) and small hand-built HARs, no ``contains``/``json_value``/``json_keys``
   check uses a value that may change per run (digits, uuids, times, correlated or generated
   values, secrets, values the client sent); ``--checks none|status``.
3. The run-time helper (``har2locust_plus.runtime.checks``) with a fake response: every failure
   message format, ``success()`` for a recorded error status replayed as is.
"""

from __future__ import annotations

import ast
import html
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import locust_headless
from hypothesis import given
from hypothesis import strategies as st
from locust.exception import RescheduleTask

from har2locust_plus import Options, ThinkTime, convert, ir
from har2locust_plus.cli import main as cli
from har2locust_plus.loader import load
from har2locust_plus.runtime import checks as runtime
from har2locust_plus.stages import PIPELINE, checks

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "fixtures"
CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "hars"
NO_CORPUS = f"{CORPUS_DIR} not found: the real-world HAR corpus is only on the CI machine"
PASSWORD = "wonderland-42"  # the fixture account's password (H2L_PASSWORD in generated scripts)
ORIGIN = "http://127.0.0.1:5000"

BODY_CHECKS = ("contains", "json_value", "json_keys")


# --- 1. end to end: real Locust against a fresh / sabotaged fixture app -------------------------


@dataclass
class Replay:
    code: str
    output: str
    stats: list[dict[str, str]]  # s_stats.csv
    failures: list[dict[str, str]]  # s_failures.csv
    exceptions: list[dict[str, str]]  # s_exceptions.csv
    final: dict[str, tuple[int, int]]  # name -> (requests, failures), written at exit

    @property
    def requests(self) -> int:
        return sum(n for n, _ in self.final.values())

    @property
    def failed(self) -> int:
        return sum(f for _, f in self.final.values())

    def failing_steps(self) -> set[str]:
        return {name for name, (_, failed) in self.final.items() if failed}

    def messages(self) -> dict[str, list[str]]:
        """Stats name -> the messages s_failures.csv groups the step's failures under."""
        grouped: dict[str, list[str]] = {}
        for row in self.failures:
            if row["Method"] != "PAGE":  # a page's row repeats its first failing request's
                grouped.setdefault(row["Name"], []).append(_message(row["Error"]))
        return grouped

    def explain(self) -> str:
        rows = "\n".join(f"  {r['Occurrences']}x {r['Method']} {r['Name']}: {r['Error']}"
                         for r in self.failures[:10])
        return (f"{self.requests} requests, {self.failed} failed, final={self.final}\n{rows}\n"
                f"exceptions={self.exceptions[:3]}\nlocust output (tail):\n{self.output[-2000:]}")


def _message(error: str) -> str:
    """The text of a ``CatchResponseError('...')`` cell: a checkpoint failure, no exception."""
    match = re.fullmatch(r"CatchResponseError\((.*)\)", error, re.S)
    assert match, f"not a checkpoint failure: {error!r}"
    return ast.literal_eval(match.group(1))


def _replay(har: str, tmp_path: Path, *, sabotage: Iterable[str] = (),
            password: str = PASSWORD, seconds: int = 4, extra: tuple[str, ...] = ()) -> Replay:
    """Convert a fixture HAR, start a new app, run ``locust --headless -u 2`` against it
    (``extra``: more of Locust's or the script's options)."""
    from fixtures.server import FixtureApp  # the repository root is on sys.path (conftest)

    code = convert(FIXTURES / har, Options(think_time=ThinkTime("none"))).code
    script = tmp_path / "locustfile.py"
    script.write_text(code, encoding="utf-8")
    with FixtureApp(sabotage=sabotage) as app:
        run = locust_headless(script, app.url, tmp_path, seconds=seconds, users=2,
                              env={"H2L_PASSWORD": password}, extra=extra)
    return Replay(code, run.output, run.stats, run.failures, run.exceptions, run.final)


def _assert_failures(run: Replay, expected: dict[str, str]) -> None:
    """Exactly the ``expected`` steps fail, every time they run, each under one message."""
    assert run.requests > 0, run.explain()
    assert run.exceptions == [], run.explain()
    assert "Traceback" not in run.output, run.explain()
    assert run.failing_steps() == set(expected), run.explain()
    for name in expected:
        requests, failed = run.final[name]
        assert failed == requests, (name, run.explain())
    assert run.messages() == {name: [message] for name, message in expected.items()}, \
        run.explain()
    stats = {r["Name"]: r for r in run.stats}
    for row in run.failures:  # one row per step and message, counting all its failures
        assert row["Method"] == stats[row["Name"]]["Type"], row
        assert int(row["Occurrences"]) == int(stats[row["Name"]]["Failure Count"]) > 0, row


@pytest.mark.e2e
@pytest.mark.parametrize("har", ["notes-journey.har", "api-journey.har"])
def test_correct_replay_against_a_fresh_app_has_no_failures(har: str, tmp_path: Path) -> None:
    run = _replay(har, tmp_path)
    assert any("contains" in c or "json_keys" in c for c in _check_calls(run.code))
    assert run.requests > 0 and run.failed == 0, run.explain()
    assert run.failures == [] and run.exceptions == [], run.explain()
    assert "Traceback" not in run.output, run.explain()


NOTES_TITLE = ("expected the body to contain '<title>Notes — My notes</title>' "
               "(got the page 'Notes — Something went wrong')")
RENAMED = "expected JSON keys ['title'] (got ['body', 'created_at', 'id', 'name'])"


@pytest.mark.e2e
@pytest.mark.parametrize(("har", "sabotage", "expected"), [
    pytest.param("notes-journey.har", "title", {
        "04 /notes": f"step 4 GET /notes: {NOTES_TITLE}",
        "07 /notes": f"step 7 GET /notes: {NOTES_TITLE}",
        "09 /notes": f"step 9 GET /notes: {NOTES_TITLE}",
    }, id="title"),
    pytest.param("notes-journey.har", "ignore-delete", {
        "09 /notes": "step 9 GET /notes: the page still names /notes/<id>: the delete before "
                     "did not remove it",
    }, id="ignore-delete"),
    pytest.param("api-journey.har", "500", {
        "4 /api/notes/{note_id}": "step 4 GET /api/notes/{note_id}: expected status 200, got 500 "
                                  "(the answer's error: \"internal server error (sabotaged)\")",
    }, id="500"),
    pytest.param("api-journey.har", "rename-field", {
        "3 /api/notes": f"step 3 POST /api/notes: {RENAMED}",
        "4 /api/notes/{note_id}": f"step 4 GET /api/notes/{{note_id}}: {RENAMED}",
        "5 /api/notes/{note_id}": f"step 5 PUT /api/notes/{{note_id}}: {RENAMED}",
    }, id="rename-field"),
])
@pytest.mark.parametrize("go_on", [False, True], ids=["stops", "continue-on-failure"])
def test_sabotaged_app_fails_the_right_steps(har: str, sabotage: str, expected: dict[str, str],
                                             go_on: bool, tmp_path: Path) -> None:
    run = _replay(har, tmp_path, sabotage=[sabotage],
                  extra=("--continue-on-failure",) if go_on else ())
    number = lambda name: int(name.split()[0])  # noqa: E731
    last = max(run.final, key=number)
    if go_on:
        _assert_failures(run, expected)
        # the flow went on past the failed checkpoints: the steps after them ran and passed
        assert run.final[last][0] > 0 and last not in expected, run.explain()
    else:
        # the first failed step ends each run of the flow: no step after it is sent
        first = min(expected, key=number)
        _assert_failures(run, {first: expected[first]})
        assert last == first, run.explain()


@pytest.mark.e2e
def test_wrong_password_fails_the_login_and_the_notes_page(tmp_path: Path) -> None:
    run = _replay("notes-journey.har", tmp_path, password="not-the-password")
    _assert_failures(run, {
        "03 /login": "step 3 POST /login: expected status 302 to /notes, got 200 (the page shows "
                     "an error: 'Invalid username or password')",
    })
    # the failed login ends each run of the flow: nothing after it is sent
    assert set(run.final) == {"01 /", "02 /login", "03 /login"}, run.explain()
    share = run.failed / run.requests
    print(f"wrong password: {run.failed}/{run.requests} requests failed ({share:.1%})")
    assert share >= 0.30, run.explain()


# --- 2. snippet and value choice ------------------------------------------------------------------

UUID_LIKE = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-+/=]{20,}")
TIME_LIKE = re.compile(r"\d|\b(ago|just now|today|yesterday|tomorrow)\b", re.I)
# The last word of a key that names an id, a time or a token (createdAt, access_token, _id ...).
DYNAMIC_WORDS = frozenset({
    "id", "ids", "uuid", "guid", "key", "token", "nonce", "hash", "sig", "signature", "session",
    "sid", "csrf", "xsrf", "slug", "ref", "code", "time", "timestamp", "ts", "date", "at", "on",
    "expires", "expiry", "created", "updated", "modified", "etag",
})


def _last_word(key: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower()
    return [w for w in re.split(r"[_\-. ]+", words) if w][-1] if words.strip("_-. ") else ""


def _text(snippet: str) -> str:
    """The visible text of an HTML snippet."""
    return html.unescape(re.sub(r"<[^>]+>", "", snippet)).strip()


def _sent_values(steps: Iterable[ir.Step]) -> set[str]:
    """Query, form, multipart and JSON values the recorded requests sent (as recorded)."""
    values: set[str] = set()

    def add(template: ir.Template) -> None:
        values.update(p for p in template.parts if isinstance(p, str))

    for step in steps:
        request = step.request
        for param in request.query:
            add(param.value)
        body = request.body
        if isinstance(body, (ir.FormBody, ir.MultipartBody)):
            for _, value in body.fields:
                add(value)
        elif isinstance(body, ir.JsonBody):
            for leaf in ir.json_leaves(body.value):
                if isinstance(leaf, str):
                    values.add(leaf)
                elif isinstance(leaf, ir.Template):
                    add(leaf)
    return values


@dataclass(frozen=True)
class Converted:
    scenario: ir.Scenario
    sent: set[str]  # what the replayed requests sent, as recorded (before any stage ran)
    correlated: set[str]  # extracted and generated values, as recorded
    secrets: set[str]


def _inspect(source: Path | bytes, options: Options | None = None) -> Converted:
    """Run the conversion pipeline (convert() without code generation) and collect the values
    a check must not use. A path is converted by convert() itself."""
    options = options or Options()
    data = source if isinstance(source, bytes) else source.read_bytes()
    name = "test.har" if isinstance(source, bytes) else source.name
    if isinstance(source, Path) and source.parent == FIXTURES:
        scenario = convert(source, options).scenario
    else:
        scenario = load(data, name)
        for _, stage in PIPELINE:
            scenario = stage(scenario, options)
    recorded = {s.entry_index: s for s in load(data, name).steps}
    sent = _sent_values(recorded[s.entry_index] for s in scenario.steps)
    correlated = {e.recorded for s in scenario.steps for e in s.extractions}
    correlated |= {g.recorded for s in scenario.steps for g in s.generated}
    secrets = {s.recorded for s in scenario.secrets} | {c.recorded for c in scenario.data_columns}
    return Converted(scenario, sent, correlated, secrets)


def _status_or_count(check: ir.Check) -> bool:
    """A json_value check that is an API's status member (``"Code": 200``) or a count of the
    objects an unsafe request changed (``"deletedCount": 1``): small numbers, by design."""
    from har2locust_plus.stages.checks import CHANGED_COUNT, STATUS_CODE_KEY

    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(check.path[-1])).lower()
    value = check.expected
    number = int(value) if isinstance(value, str) and value.isdigit() else value
    if type(number) is not int:
        return False
    if check.origin == "recorded count of changes":
        return bool(CHANGED_COUNT.fullmatch(key)) and 1 <= number <= 1000
    return bool(STATUS_CODE_KEY.fullmatch(key)) and -1 <= number <= 999


def _changing_values_in_checks(conv: Converted) -> list[str]:
    """Every contains/json_value/json_keys check that uses a value that may change per run."""
    # Values of 1-2 characters ("en", "1", "on") occur in any text: not counted.
    forbidden = {v for v in conv.sent | conv.correlated | conv.secrets if len(v) >= 3}
    problems = []
    for step in conv.scenario.steps:
        for check in step.checks:
            where = f"step {step.number} {step.label}: {check.kind} {check.expected!r}"
            if check.kind == "contains":
                text = _text(check.expected)
                if TIME_LIKE.search(text) or UUID_LIKE.search(text) or TOKEN_LIKE.search(text):
                    problems.append(f"{where}: digits, time, uuid or token")
                found = [v for v in forbidden if v.lower() in text.lower()]
                if found:
                    problems.append(f"{where}: contains {found[:3]}")
            elif check.kind == "json_value" and _status_or_count(check):
                continue  # an API's own small status code, or how many objects it changed
            elif check.kind == "json_value":
                key, value = check.path[-1], check.expected
                if not isinstance(key, str) or _last_word(key) in DYNAMIC_WORDS:
                    problems.append(f"{where}: under an id/time/token-like key {key!r}")
                if not isinstance(value, (bool, str)):
                    problems.append(f"{where}: not a word or a boolean")
                elif isinstance(value, str) and (
                        value in conv.sent | conv.correlated | conv.secrets
                        or TIME_LIKE.search(value) or UUID_LIKE.search(value)
                        or TOKEN_LIKE.search(value)):
                    problems.append(f"{where}: a sent, correlated, secret or changing value")
            elif check.kind == "json_keys":  # a pair: a key inside a member's object
                keys = [k for key in check.expected
                        for k in ((key,) if isinstance(key, str) else key)]
                found = [k for k in keys if k in conv.correlated | conv.secrets
                         or UUID_LIKE.fullmatch(k) or k.isdigit() or "@" in k
                         or TOKEN_LIKE.fullmatch(k)]
                if found:
                    problems.append(f"{where}: keys that are ids or correlated values {found}")
    return problems


def _manifest() -> list[dict[str, Any]]:
    path = CORPUS_DIR / "manifest.json"
    return json.loads(path.read_text("utf-8")) if path.is_file() else []


CORPUS = [pytest.param(e["file"], id=e["file"]) for e in _manifest() if e["kind"] == "HAR"]


@pytest.mark.parametrize("har", ["notes-journey.har", "api-journey.har", "public-browsing.har",
                                 "notes-journey.firefox.har"])
def test_fixture_checks_use_no_changing_values(har: str) -> None:
    conv = _inspect(FIXTURES / har)
    kinds = {c.kind for s in conv.scenario.steps for c in s.checks}
    assert {"status", "content_type", "contains"} <= kinds
    assert _changing_values_in_checks(conv) == []
    if har.startswith("notes-journey"):  # what the checks had to avoid is really there
        assert {"alice", "Groceries", "milk, eggs, flour"} <= conv.sent
        assert PASSWORD in conv.secrets and len(conv.correlated) >= 2


def test_the_inspection_itself_flags_changing_values() -> None:
    """The property above is not vacuous: checks built from changing values are reported."""
    conv = _inspect(FIXTURES / "notes-journey.har")
    note_id = next(e.recorded for s in conv.scenario.steps for e in s.extractions
                   if e.var == "note_id")
    bad = (ir.Check("contains", "<title>Notes of alice</title>"),
           ir.Check("contains", f"<h1>Note {note_id}</h1>"),
           ir.Check("contains", "<h1>Groceries</h1>"),
           ir.Check("contains", "<h2>Edited just now</h2>"),
           ir.Check("json_value", "active", path=("sessionToken",)),
           ir.Check("json_value", "Groceries", path=("title",)),
           ir.Check("json_keys", ("id", note_id)),
           ir.Check("json_keys", ("data", ("data", note_id))))
    steps = (replace(conv.scenario.steps[0], checks=bad), *conv.scenario.steps[1:])
    problems = _changing_values_in_checks(replace(
        conv, scenario=replace(conv.scenario, steps=steps)))
    for check in bad:  # every one of them is reported
        assert any(f"{check.kind} {check.expected!r}:" in p for p in problems), (check, problems)


@pytest.mark.skipif(not CORPUS, reason=NO_CORPUS)
@pytest.mark.parametrize("har", CORPUS or [None])
def test_corpus_checks_use_no_changing_values(har: str) -> None:
    conv = _inspect(CORPUS_DIR / har)
    assert _changing_values_in_checks(conv) == []


# --- hand-built HARs --------------------------------------------------------------------------


def _checks(conv: Converted, kind: str | None = None) -> list[tuple[int, ir.Check]]:
    return [(s.number, c) for s in conv.scenario.steps for c in s.checks
            if kind is None or c.kind == kind]


@pytest.fixture
def site(make_har: Callable[..., bytes], make_entry: Callable[..., dict[str, Any]]):
    """``site(*entries)``: HAR bytes; ``site.page(path, head_and_body)``,
    ``site.json(path, obj)``, ``site.login(username)`` build entries on one origin, in order."""

    class Builder:
        seconds = 0

        def _entry(self, path: str, method: str = "GET", **kwargs: Any) -> dict[str, Any]:
            self.seconds += 1
            return make_entry(f"{ORIGIN}{path}", method, resource_type=kwargs.pop(
                "resource_type", "document"), started=f"2026-01-01T10:00:{self.seconds:02d}.000Z",
                **kwargs)

        def page(self, path: str, body: str, **kwargs: Any) -> dict[str, Any]:
            return self._entry(path, body=f"<!doctype html><html><head>{body}</html>", **kwargs)

        def json(self, path: str, data: Any, **kwargs: Any) -> dict[str, Any]:
            return self._entry(path, body=json.dumps(data), mime="application/json",
                               resource_type="fetch", **kwargs)

        def login(self, username: str) -> dict[str, Any]:
            text = f"username={username}&password=s3cret-Passw0rd"
            return self._entry("/login", "POST", status=302, body=None,
                               response_headers=[("Location", "/home")], redirect_url="/home",
                               headers=[("Content-Type", "application/x-www-form-urlencoded")],
                               post_data={"mimeType": "application/x-www-form-urlencoded",
                                          "text": text, "params": [
                                              {"name": "username", "value": username},
                                              {"name": "password", "value": "s3cret-Passw0rd"}]})

        def __call__(self, *entries: dict[str, Any]) -> bytes:
            return make_har(*entries)

    return Builder()


def test_a_title_with_a_number_falls_back_to_a_stable_heading(site) -> None:
    conv = _inspect(site(
        site.page("/inbox", "<title>Inbox (3) — Mail</title><body><h1>Inbox</h1>"),
        site.page("/drafts", "<title>Drafts (12) — Mail</title><body><p>none</p>"),
    ))
    assert [(n, c.expected) for n, c in _checks(conv, "contains")] == [(1, "<h1>Inbox</h1>")]
    assert _changing_values_in_checks(conv) == []


def test_a_title_with_the_username_typed_earlier_gets_no_title_check(site) -> None:
    conv = _inspect(site(
        site.page("/", "<title>Shop — Welcome</title>"),
        site.login("marvin"),
        site.page("/home", "<title>Hello marvin — Shop</title><body><h1>Your orders</h1>"),
        site.page("/profile", "<title>Marvin's profile</title><body><h2>Profile of marvin</h2>"),
    ))
    assert "marvin" in conv.sent and "s3cret-Passw0rd" in conv.secrets
    assert [(n, c.expected) for n, c in _checks(conv, "contains")] == [
        (1, "<title>Shop — Welcome</title>"), (3, "<h1>Your orders</h1>")]
    assert _changing_values_in_checks(conv) == []


def test_the_same_url_recorded_with_different_titles_gets_no_snippet(site) -> None:
    conv = _inspect(site(
        site.page("/status", "<title>Status — all good</title>"),
        site.page("/about", "<title>About us</title>"),
        site.page("/status", "<title>Status — degraded</title>"),
    ))
    assert [(n, c.expected) for n, c in _checks(conv, "contains")] == [
        (2, "<title>About us</title>")]
    # a heading both recordings share is stable: it is checked on both steps
    conv = _inspect(site(
        site.page("/status", "<title>Status — all good</title><body><h1>System status</h1>"),
        site.page("/status", "<title>Status — degraded</title><body><h1>System status</h1>"),
    ))
    assert [(n, c.expected) for n, c in _checks(conv, "contains")] == [
        (1, "<h1>System status</h1>"), (2, "<h1>System status</h1>")]


def test_json_checks_keys_and_only_constant_values(site) -> None:
    # token and created_at are letters only: only their keys keep them out of json_value
    conv = _inspect(site(site.json("/api/session", {
        "id": 5, "token": "AbCdEfGhIjKlMnOpQrSt", "created_at": "yesterday",
        "status": "active", "ok": True})))
    assert [c.expected for _, c in _checks(conv, "json_keys")] == [
        ("id", "token", "created_at", "status", "ok")]
    assert [(c.path, c.expected) for _, c in _checks(conv, "json_value")] == [
        (("status",), "active"), (("ok",), True)]
    assert [c.expected for _, c in _checks(conv, "content_type")] == ["json"]


def test_json_keys_that_are_data_are_not_checked(site) -> None:
    """An object keyed by ids (Syncthing's ``/rest/stats/device`` by the device's own ID,
    another on every server), by numbers, addresses or dates: those keys are data; the
    member names beside them are still checked."""
    conv = _inspect(site(site.json("/rest/stats/device", {
        "CLM3VWZ-MNQHLFQ-ECZ3JBI-HMYYIQS-OMPVDO4-BK5DMVO-LJ3CQ6Y-IWLT7AR": {"lastSeen": "x"},
        "45520": {}, "alice@example.com": {}, "2026-12-04": {},
        "0f8fad5b-d9cb-469f-a165-70867728950e": {}, "version": "v1", "ipv6": True,
        "sha256Perf": 1})))
    assert [c.expected for _, c in _checks(conv, "json_keys")] == [
        ("version", "ipv6", "sha256Perf")]


def test_json_values_under_camel_case_id_time_and_token_keys_are_not_checked(site) -> None:
    conv = _inspect(site(site.json("/api/me", {
        "accessToken": "AbCdEfGhIjKlMnOpQrSt", "createdAt": "yesterday",
        "authorSlug": "francis-bacon", "sessionKey": "abcdefgh", "userId": "marvin",
        "state": "ready"})))
    assert [(c.path, c.expected) for _, c in _checks(conv, "json_value")] == [
        (("state",), "ready")]


def test_a_time_said_relative_to_now_is_not_checked(site) -> None:
    """Superset's ``changed_on_delta_humanized``: "a second ago" when recorded, "now" on a
    quicker replay (the check failed every run); Django's naturaltime in a page's text."""
    conv = _inspect(site(
        site.json("/api/v1/dashboard/5", {"result": {
            "changed_on_delta_humanized": "a second ago", "created_on_humanized": "now",
            "lastSeen": "just now", "owner": "an hour ago", "label": "now",
            "status": "published"}}),
        site.page("/notes", "<title>Notes</title><body><p class=when>a minute ago</p>"
                  "<p class=ok>Saved today</p><p class=kind>Shared notes</p></body>")))
    assert [(c.path, c.expected) for _, c in _checks(conv, "json_value")] == [
        (("result", "status"), "published")]
    snippets = " ".join(c.expected for _, c in _checks(conv, "contains"))
    assert "ago" not in snippets and "today" not in snippets, snippets
    # a span of time is no moment: pretix's message stays checked
    assert not checks.RELATIVE_TIME.search(
        "If this takes longer than a few minutes, please contact us.")
    assert all(checks.RELATIVE_TIME.search(moment) for moment in (
        "a second ago", "now", "Just now", "edited 3 hours ago", "Yesterday at noon"))


def test_json_values_that_say_where_the_server_s_work_is_are_not_checked(site) -> None:
    """Syncthing's folder was ``"state": "idle"`` when recorded and is ``"scanning"`` on a
    replay now and then; a job ``queued``, a pod ``Running`` move by themselves too. A state the
    user's action set (``draft``, ``done``) and what stands beside them are still checked."""
    conv = _inspect(site(site.json("/rest/db/status", {
        "state": "idle", "folderState": "syncing", "phase": "Running", "job_status": "queued",
        "stage": "in-progress", "kind": "folder", "noteState": "draft", "status": "done"})))
    assert [(c.path, c.expected) for _, c in _checks(conv, "json_value")] == [
        (("kind",), "folder"), (("noteState",), "draft"), (("status",), "done")]


def test_json_values_the_client_sent_are_not_checked(site) -> None:
    entry = site.json("/api/notes", {"title": "Shopping", "kind": "memo", "archived": False},
                     method="POST", status=201, headers=[("Content-Type", "application/json")],
                     post_data={"mimeType": "application/json",
                                "text": json.dumps({"title": "Shopping"})})
    conv = _inspect(site(entry))
    assert [(c.path, c.expected) for _, c in _checks(conv, "json_value")] == [
        (("kind",), "memo")]


def test_a_redirect_is_checked_with_a_location_pattern_without_ids(site) -> None:
    conv = _inspect(site(
        site._entry("/notes", "POST", status=302, body=None,
                   response_headers=[("Location", f"{ORIGIN}/notes/4711?created=1")],
                   redirect_url=f"{ORIGIN}/notes/4711?created=1"),
        site.page("/notes/4711", "<title>A note</title>"),
    ))
    step = conv.scenario.steps[0]
    assert [(c.kind, c.expected) for c in step.checks] == [
        ("status", 302), ("location", r"/notes/[^/?#]+(\?.*)?"), ("query_names", ("created",))]
    pattern = step.checks[1].expected
    assert re.fullmatch(pattern, "/notes/982211") and re.fullmatch(pattern, "/notes/x?a=1")
    assert not re.fullmatch(pattern, "/notes") and not re.fullmatch(pattern, "/login")


@pytest.mark.parametrize(("recorded", "pattern"), [
    # a route's long words and scripts are its own: WordPress's settings page (a refused save
    # lands elsewhere), SimpleSAMLphp's SP page, PostfixAdmin's list, a versioned API
    ("/wp-admin/options-general.php?settings-updated=true",
     r"/wp\-admin/options\-general\.php(\?.*)?"),
    ("/simplesaml/module.php/core/authenticate.php?as=default-sp",
     r"/simplesaml/module\.php/core/authenticate\.php(\?.*)?"),
    ("/accounts/password-reset-complete/", r"/accounts/password\-reset\-complete/(\?.*)?"),
    ("/api/v2/notes/4711", r"/api/v2/notes/[^/?#]+(\?.*)?"),
    # ids and tokens still are not
    ("/browse/ZOO-12", r"/browse/[^/?#]+(\?.*)?"),
    ("/reports/report-4711.html", r"/reports/[^/?#]+(\?.*)?"),
    ("/s/QwErTyUiOpAsDfGhJk", r"/s/[^/?#]+(\?.*)?"),
])
def test_a_redirect_s_route_words_are_kept_its_ids_are_not(recorded: str, pattern: str) -> None:
    from har2locust_plus.stages.checks import location_pattern

    assert location_pattern(recorded) == pattern


@pytest.mark.parametrize(("recorded", "names"), [
    ("/?%40ok_message=Welcome+alice%21", ("@ok_message",)),  # Roundup: names are decoded
    ("/post.php?post=133903&action=edit&message=10&action=x", ("post", "action", "message")),
    ("/cb?code=abc&state=xyz#frag", ("code", "state")),
    ("/issue4711?issue4711&flag&=x", ("flag",)),  # a name holding an id is not checked
    ("/notes/12", ()),
])
def test_a_redirect_s_query_names_are_checked_not_its_values(recorded: str,
                                                             names: tuple[str, ...]) -> None:
    from har2locust_plus.stages.checks import query_names

    assert query_names(recorded) == names


def _redirect_problem(location: str, recorded: str) -> str | None:
    from har2locust_plus.stages.checks import location_pattern, query_names

    resp = FakeResponse(302, {"Location": location})
    return runtime.checkpoint_problem(resp, 302, location_pattern(recorded), None, (), (), (),
                                      False, None, query_names(recorded))


@pytest.mark.parametrize(("location", "recorded", "problem"), [
    # Roundup answers a wrong password, or a refused nonce, with the same 302 as a login
    ("/?%40error_message=Invalid+login", "/?%40ok_message=Welcome+alice%21",
     "expected a redirect to /?@ok_message=*, got /?%40error_message=Invalid+login "
     "(an error: @error_message=Invalid login)"),
    ("/?%40welcome=alice", "/?%40ok_message=Welcome+alice%21",
     "expected a redirect to /?@ok_message=*, got /?%40welcome=alice (no @ok_message)"),
    ("/?%40ok_message=Welcome+bob%21", "/?%40ok_message=Welcome+alice%21", None),
    # an error the recording did not have, beside the recorded names
    ("/cb?code=&state=s&error=access_denied&error_description=Denied", "/cb?code=c&state=s",
     "expected a redirect to /cb?code=*&state=*, got /cb?code=&state=s&error=access_denied&"
     "error_description=Denied (an error: error=access_denied)"),
    ("/login?error", "/login", "expected a redirect to /login, got /login?error (an error: error)"),
    ("/wp-login.php?login_error=1", "/wp-login.php", "expected a redirect to /wp-login.php, "
     "got /wp-login.php?login_error=1 (an error: login_error=1)"),
    ("/notes/7?_failed=yes", "/notes/12", "expected a redirect to /notes/<id>, got "
     "/notes/7?_failed=yes (an error: _failed=yes)"),
    # a recorded error redirect is what the recording showed; other names are no errors
    ("/login?error=1", "/login?error=2", None),
    ("/notes/7?terror=1&errand=2&mirror=3", "/notes/12", None),
    ("/notes/7?created=1&sort=-id", "/notes/12?created=1", None),
])
def test_a_redirect_that_names_an_error_or_lacks_a_recorded_name_fails(
        location: str, recorded: str, problem: str | None) -> None:
    assert _redirect_problem(location, recorded) == problem


@given(names=st.lists(st.text(st.characters(codec="utf-8", exclude_characters="&=#"),
                              min_size=1, max_size=8), max_size=4),
       values=st.lists(st.text(max_size=8), min_size=8, max_size=8))
def test_any_values_of_the_recorded_names_pass(names: list[str], values: list[str]) -> None:
    """Whatever the names (encoded as a server would) and the values this run, the same names
    pass, unless a name says the work failed and the recording did not have it."""
    from urllib.parse import quote_plus

    names = [name for name in names if not runtime.ERROR_PARAMETER.fullmatch(name)]
    query = "&".join(f"{quote_plus(n)}={quote_plus(v)}"
                     for n, v in zip(names, values[:len(names)], strict=True))
    recorded = "&".join(f"{quote_plus(n)}=r" for n in names)
    assert _redirect_problem(f"/notes/7?{query}", f"/notes/12?{recorded}") is None


def test_a_304_expects_the_full_answer(site) -> None:
    conv = _inspect(site(site.page("/", "<title>Home page</title>"),
                        site._entry("/about", status=304, body=None)))
    step = conv.scenario.steps[1]
    assert step.response.status == 304
    assert [(c.kind, c.expected) for c in step.checks] == [("status", 200)]


def _check_calls(code: str) -> list[dict[str, Any]]:
    """The generated ``check(resp, step, status, **kwargs)`` calls: keyword -> value (its
    source text where it holds run-time values: ``gone=(f"/notes/{self.note_id}",)``)."""
    return [{kw.arg: _literal_or_source(kw.value) for kw in node.keywords if kw.arg}
            for node in ast.walk(ast.parse(code))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "check"]


def _literal_or_source(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


def _catch_responses(code: str) -> int:
    return sum(1 for node in ast.walk(ast.parse(code)) if isinstance(node, ast.keyword)
               and node.arg == "catch_response")


def _cli(har_bytes: bytes, *args: str) -> str:
    result = CliRunner().invoke(cli, ["-", "-q", *args], input=har_bytes)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_checks_none_emits_no_check_and_no_catch_response(site) -> None:
    data = site(site.page("/", "<title>Home page</title>"), site.json("/api/x", {"ok": True}),
               site.login("marvin"))
    code = _cli(data, "--checks", "none")
    assert _check_calls(code) == [] and _catch_responses(code) == 0
    assert "def check(" not in code and "catch_response" not in code
    assert _checks(_inspect(data, Options(checks="none"))) == []
    full = _cli(data)  # the same HAR with the default --checks full
    assert len(_check_calls(full)) == 3 and _catch_responses(full) == 3


def test_checks_none_keeps_catch_response_only_where_a_value_is_taken(tmp_path: Path) -> None:
    """Extractions fail the request themselves when the value is missing (stop_flow)."""
    result = CliRunner().invoke(cli, [str(FIXTURES / "notes-journey.har"), "-q",
                                      "--checks", "none"])
    assert result.exit_code == 0, result.output
    code = result.stdout
    assert _check_calls(code) == [] and "def check(" not in code
    scenario = convert(FIXTURES / "notes-journey.har", Options(checks="none")).scenario
    assert _catch_responses(code) == sum(1 for s in scenario.steps if s.extractions) > 0


def test_checks_status_only_checks_status_and_location(site) -> None:
    data = site(site.page("/", "<title>Home page</title>"), site.json("/api/x", {"ok": True}),
               site.login("marvin"), site.page("/home", "<title>Home</title>"))
    conv = _inspect(data, Options(checks="status"))
    assert {c.kind for _, c in _checks(conv)} == {"status", "location"}
    calls = _check_calls(_cli(data, "--checks", "status"))
    assert calls == [{}, {}, {"location": r"/home(\?.*)?"}, {}]


# --- 3. the run-time helper -----------------------------------------------------------------------


class FakeResponse:
    """What check() uses of a Locust response (catch_response=True)."""

    def __init__(self, status_code: int, headers: dict[str, str] | None = None,
                 text: str = "") -> None:
        self.status_code = status_code
        self.headers = headers or {}
        self.text = text
        self.calls: list[tuple[str, ...]] = []

    def success(self) -> None:
        self.calls.append(("success",))

    def failure(self, message: str) -> None:
        self.calls.append(("failure", message))


NOTE = json.dumps({"id": 7, "name": "x", "body": "y", "created_at": "2026-01-01"})


@pytest.mark.parametrize(("resp", "expected", "message"), [
    (FakeResponse(500), dict(status=200), "expected status 200, got 500 with an empty body"),
    (FakeResponse(200, text="<p>login</p>"), dict(status=302, location=r"/notes(\?.*)?"),
     "expected status 302 to /notes, got 200"),
    # what came instead: the error the page shows (ikiwiki's expired session), else its title
    (FakeResponse(200, text='<title>Error</title><p class="error">Error: Your login session '
                            'has expired.\n</p>'), dict(status=302, location=r"/(\?.*)?"),
     "expected status 302 to /, got 200 (the page shows an error: 'Error: Your login session "
     "has expired.')"),
    (FakeResponse(200, text="<title>editing index</title><form>"),
     dict(status=302, location=r"/(\?.*)?"),
     "expected status 302 to /, got 200 (the page 'editing index')"),
    # ids and tokens a page names are left out: the failures of one kind count on one row
    (FakeResponse(200, text="<title>Note 4711 \u2014 edit</title>"),
     dict(status=302, location=r"/(\?.*)?"),
     "expected status 302 to /, got 200 (the page 'Note <id> \u2014 edit')"),
    (FakeResponse(200, text='<p class="error">Invalid token 9f8e7d6c5b4a, error 500</p>'),
     dict(status=302), "expected status 302, got 200 (the page shows an error: 'Invalid token "
                       "<id>, error 500')"),
    # an API's refusal says why in a member of its answer (DRF, OAuth 2.0, most others)
    (FakeResponse(403, text='{"detail": "CSRF Failed: CSRF token missing."}'),
     dict(status=201), 'expected status 201, got 403 (the answer\'s detail: "CSRF Failed: CSRF '
                       'token missing.")'),
    (FakeResponse(400, text='{"error": "invalid_grant", "error_description": "Code 7d3f9a2b1c '
                            'expired"}'), dict(status=200),
     'expected status 200, got 400 (the answer\'s error_description: "Code <id> expired")'),
    (FakeResponse(404, text='{"id": 7}'), dict(status=200), "expected status 200, got 404"),
    # a challenge says what the server asks for (credentials a sanitized export left out)
    (FakeResponse(401, {"WWW-Authenticate": 'Basic realm="Tomcat Manager Application"'},
                  "<title>401 Unauthorized</title>"), dict(status=200),
     "expected status 200, got 401: the server asks for credentials ('Basic realm=\"Tomcat "
     "Manager Application\"')"),
    (FakeResponse(200, {"Content-Type": "text/html"}, "<title>Ticket a1b2c3d4e5f6 (2026)</title>"),
     dict(status=200, contains=("Welcome",)),
     "expected the body to contain 'Welcome' (got the page 'Ticket <id> (<id>)')"),
    (FakeResponse(302, {"Location": "http://127.0.0.1:5000/login?next=%2Fnotes"}),
     dict(status=200), "expected status 200, got 302 to /login?next=%2Fnotes"),
    (FakeResponse(301, {"Location": "/old"}), dict(status=302, location=r"/notes/[^/?#]+(\?.*)?"),
     "expected status 302 to /notes/<id>, got 301 to /old"),
    (FakeResponse(302, {"Location": "/login"}), dict(status=302, location=r"/notes/[^/?#]+(\?.*)?"),
     "expected a redirect to /notes/<id>, got /login"),
    (FakeResponse(302), dict(status=302, location=r"/(\?.*)?"),
     "expected a redirect to /, got no Location header"),
    (FakeResponse(200, {"Content-Type": "application/json"}, "{}"),
     dict(status=200, content_type="html"), "expected html content, got application/json"),
    (FakeResponse(200, text="{}"), dict(status=200, content_type="json"),
     "expected json content, got no Content-Type"),
    (FakeResponse(200, {"Content-Type": "text/html"}, "<title>Oops</title>"),
     dict(status=200, content_type="html", contains=("<title>Notes — My notes</title>",)),
     "expected the body to contain '<title>Notes — My notes</title>' (got the page 'Oops')"),
    (FakeResponse(200, {"Content-Type": "text/html"},
                  "<html><head><TITLE lang=en>\n  Log  in &amp;\n  go </TITLE>"),
     dict(status=200, contains=("Welcome",)),
     "expected the body to contain 'Welcome' (got the page 'Log in & go')"),
    (FakeResponse(200, {"Content-Type": "text/html"}, "<p>Sorry</p>"),
     dict(status=200, contains=("Welcome",)), "expected the body to contain 'Welcome'"),
    (FakeResponse(200, {"Content-Type": "text/html"}, " \n"),
     dict(status=200, contains=("Welcome",)),
     "expected the body to contain 'Welcome' (got an empty body)"),
    (FakeResponse(200, text="[1, 2]"), dict(status=200, json_keys=("id",)),
     "expected a JSON object"),
    (FakeResponse(200, text="<html>"), dict(status=200, json_values=(("ok", True),)),
     "expected a JSON object"),
    (FakeResponse(201, text=NOTE), dict(status=201, json_keys=("id", "title", "body")),
     "expected JSON keys ['title'] (got ['body', 'created_at', 'id', 'name'])"),
    (FakeResponse(200, text='{"status": "failed"}'),
     dict(status=200, json_values=(("status", "active"),)),
     "expected JSON status == 'active', got 'failed'"),
    (FakeResponse(200, text='{"ok": false}'), dict(status=200, json_values=(("ok", True),)),
     "expected JSON ok == True, got False"),
    (FakeResponse(200, text="{}"), dict(status=200, json_values=(("status", "active"),)),
     "expected JSON status == 'active', got None"),
    (FakeResponse(200, text='{"save": {"result": "Failure"}}'),
     dict(status=200, json_values=(("save.result", "Success"),)),
     "expected JSON save.result == 'Success', got 'Failure'"),
    (FakeResponse(200, text='{"data": {"createNote": 1}}'),
     dict(status=200, json_values=(("data.createNote.ok", True),)),
     "expected JSON data.createNote.ok == True, got None"),
    (FakeResponse(200, text='{"data": {"createNote": {"ok": 1}}}'),
     dict(status=200, json_values=(("data.createNote.ok", True),)),
     "expected JSON data.createNote.ok == True, got 1"),
    (FakeResponse(200, text='{"save": {"result": {"a": [1]}}}'),
     dict(status=200, json_values=(("save.result", "Success"),)),
     "expected JSON save.result == 'Success', got {'a': [1]}"),
    (FakeResponse(200, text='{"data": null, "errors": [{"message": "title too long"}]}'),
     dict(status=200, content_type=None, json_keys=("data",), no_error=True),
     'the response has errors: [{"message": "title too long"}]'),
    (FakeResponse(200, text='{"jsonrpc": "2.0", "id": 3, "error": {"code": -32000}}'),
     dict(status=200, json_keys=("result",), no_error=True),
     'the response has an error: {"code": -32000}'),
    (FakeResponse(200, text=json.dumps({"error": "x" * 500})), dict(status=200, no_error=True),
     'the response has an error: "' + "x" * 116 + "..."),
], ids=["status", "status-to", "status-error-shown", "status-title", "status-title-id",
        "status-error-token", "status-json-detail", "status-json-oauth", "status-json-other",
        "status-challenge", "contains-title-ids", "status-got-to",
        "status-to-got-to", "location", "no-location", "content-type", "no-content-type",
        "contains", "contains-title-said",
        "contains-no-title", "contains-empty-body", "json-list",
        "json-invalid", "json-keys", "json-value", "json-bool", "json-missing-value",
        "json-deep-value", "json-deep-not-a-dict", "json-deep-int-is-not-true",
        "json-deep-container", "graphql-errors", "json-rpc-error", "long-error-quoted-briefly"])
def test_check_failure_messages(resp: FakeResponse, expected: dict[str, Any],
                                message: str) -> None:
    with pytest.raises(RescheduleTask):  # a failed step ends the run of the flow
        runtime.check(resp, "step 4 GET /api/notes/{note_id}", **expected)
    assert resp.calls == [("failure", f"step 4 GET /api/notes/{{note_id}}: {message}")]
    args = [expected.get(name, default) for name, default in (
        ("status", None), ("location", None), ("content_type", None), ("contains", ()),
        ("json_keys", ()), ("json_values", ()), ("no_error", False))]
    assert runtime.checkpoint_problem(resp, *args) == message


def test_check_passes_without_marking_the_response() -> None:
    resp = FakeResponse(200, {"Content-Type": "application/json; charset=utf-8"},
                        '{"status": "active", "ok": true, "id": 9}')
    runtime.check(resp, "step 1 GET /api", 200, content_type="json", json_keys=("status", "id"),
                  json_values=(("status", "active"), ("ok", True)))
    assert resp.calls == []
    resp = FakeResponse(302, {"Location": "http://127.0.0.1:8089/notes/982211?x=1"})
    runtime.check(resp, "step 5 POST /notes", 302, location=r"/notes/[^/?#]+(\?.*)?")
    assert resp.calls == []


def test_a_recorded_error_status_replayed_as_is_is_a_success() -> None:
    resp = FakeResponse(404, {"Content-Type": "text/html"}, "<h1>Not Found</h1>")
    runtime.check(resp, "step 3 GET /v2/user/user1", 404)
    assert resp.calls == [("success",)]
    resp = FakeResponse(404)
    with pytest.raises(RescheduleTask):
        runtime.check(resp, "step 3 GET /v2/user/user1", 200)
    assert resp.calls == [
        ("failure", "step 3 GET /v2/user/user1: expected status 200, got 404 with an empty body")]


def test_continue_on_failure_marks_the_step_and_goes_on(continue_on_failure: None) -> None:
    resp = FakeResponse(500)
    runtime.check(resp, "step 3 POST /notes", 302)
    assert resp.calls == [
        ("failure", "step 3 POST /notes: expected status 302, got 500 with an empty body")]


def test_without_a_command_line_a_failed_step_stops_the_flow() -> None:
    """``verify``, and Locust used as a library, have no parsed options: the default holds."""
    runtime.read_failure_option(type("Environment", (), {"parsed_options": None})())
    assert runtime.ON_FAILURE == {"continue": False}


def test_a_failed_checkpoint_keeps_its_message_when_the_flow_stops(
        continue_on_failure: None) -> None:
    resp = FakeResponse(302, {"Location": "/login"})
    runtime.check(resp, "step 4 GET /notes", 200, content_type="html")
    with pytest.raises(RescheduleTask):
        runtime.from_xpath(resp, "step 4 GET /notes", "csrf_token", lambda tree: [])
    assert resp.calls == [("failure", "step 4 GET /notes: expected status 200, got 302 to /login")]
    resp = FakeResponse(200, {"Content-Type": "application/json"}, "{}")
    with pytest.raises(RescheduleTask):
        runtime.from_json(resp, "step 2 POST /api/login", "access_token", ("access_token",))
    assert resp.calls == [("failure", "access_token not found in step 2 POST /api/login")]


@pytest.mark.parametrize(("text", "came"), [
    ("<html><title>signin</title><form>", " (the page 'signin')"),
    ('<title>Error</title><p class="error">Error: Your login session has expired.</p>',
     " (the page shows an error: 'Error: Your login session has expired.')"),
    ("", " with an empty body"),
    ("<p>no title</p>", ""),
])
def test_a_value_not_found_says_what_came_instead(text: str, came: str) -> None:
    """ikiwiki's sign-in form again (a wrong password) holds no ``rcsinfo``: the failure names
    the page that came, or the error it shows, as a status failure does."""
    resp = FakeResponse(200, {"Content-Type": "text/html"}, text)
    with pytest.raises(RescheduleTask):
        runtime.from_xpath(resp, "step 3 POST /ikiwiki.cgi", "rcsinfo", lambda tree: [])
    assert resp.calls == [("failure", f"rcsinfo not found in step 3 POST /ikiwiki.cgi{came}")]


@pytest.mark.parametrize(("pattern", "readable"), [
    (r"/notes/[^/?#]+(\?.*)?", "/notes/<id>"),
    (r"/(\?.*)?", "/"),
    (re.escape("/a-b.c/") + r"[^/?#]+/edit(\?.*)?", "/a-b.c/<id>/edit"),
])
def test_location_patterns_read_as_routes(pattern: str, readable: str) -> None:
    assert runtime.readable(pattern) == readable


def _post_redirect_get(site, landing: str, then: str = "") -> Converted:
    """POST /notes/4711/delete → 302 /notes → GET /notes showing ``landing``; ``then``: the
    same list again, as a later visit shows it."""
    entries = [
        site.page("/notes", "<title>Notes</title><ul><li>Milk</li></ul>"),
        site._entry("/notes/4711/delete", "POST", status=302, body=None,
                    response_headers=[("Location", f"{ORIGIN}/notes")],
                    redirect_url=f"{ORIGIN}/notes"),
        site.page("/notes", f"<title>Notes</title>{landing}<ul></ul>"),
    ]
    if then:
        entries.append(site.page("/notes", f"<title>Notes</title>{then}<ul></ul>"))
    return _inspect(site(*entries))


def test_the_page_a_post_redirected_to_is_checked_for_its_message(site) -> None:
    """Post, redirect, get: the message is on the page after the post only (Flask-Admin's
    "Record was successfully deleted." or, when the id was wrong, "Record does not exist.", on
    the same list, after the same 302): that step checks it, the other visits do not."""
    conv = _post_redirect_get(site, '<div class="alert alert-success">Record was successfully '
                                    "deleted.</div>", then="<p>Nothing new.</p>")
    assert [number for number, _ in _checks(conv, "contains")
            if "deleted" in _.expected] == [3]
    [landing] = [c for c in conv.scenario.steps[2].checks if "deleted" in str(c.expected)]
    assert landing == ir.Check("contains", ">Record was successfully deleted.<",
                               "recorded message")
    assert not any("Nothing new" in str(c.expected) for c in conv.scenario.steps[3].checks)


def test_a_message_with_an_element_of_its_own_tag_inside_is_checked_up_to_it(site) -> None:
    """Adminer: the count of rows deleted, then the time and, in a hidden ``div`` of the
    message's own, the query that did it; a delete that named no row says "0 items have been
    affected." on the same page."""
    conv = _post_redirect_get(site, "<div class='message'>1 item has been affected. <span "
                                    "class='time'>11:40:58</span> <a href='#sql-3'>SQL "
                                    "command</a>\n<div id='sql-3' class='hidden'><pre>DELETE "
                                    "FROM notes</pre></div></div>")
    assert ir.Check("contains", "item has been affected.", "recorded message") in \
        conv.scenario.steps[2].checks


@pytest.mark.parametrize("landing", [
    '<span class="status">Status:</span>',  # a label, not a message
    '<div class="flash">Deleted note 4711.</div>',  # an id: not stable
    '<div class="message">open</div>',
])
def test_a_landing_page_s_label_or_changing_text_is_no_message(site, landing: str) -> None:
    conv = _post_redirect_get(site, landing)
    assert [c.expected for c in conv.scenario.steps[2].checks if c.kind == "contains"] == [
        "<title>Notes</title>"]


@pytest.mark.parametrize(("page", "shown"), [
    ('<ul class="errorlist"><li>This field is required.</li></ul>', "This field is required."),
    ('<p class="errornote">Please correct the error below.</p>',
     "Please correct the error below."),
    ('<div id="error_explanation"><h2>1 error prohibited this note</h2></div>',
     "1 error prohibited this note"),
    ('<div class="alert alert-danger" role="alert">Wrong&nbsp;password</div>',
     "Wrong password"),
    ('<p class="error-message">We can&#x27;t validate your session (csrf failure).</p>',
     "We can't validate your session (csrf failure)."),
    ('<div id="login_error"><strong>Error:</strong> The password is incorrect.</div>',
     "Error: The password is incorrect."),
    ('<div class="field fieldWithErrors"><label>Title</label></div>', "Title"),
    ('<div class="alert alert-danger"><button class="close">&times;</button>\n Notes are kept.'
     "</div>", "Notes are kept."),  # Flask-Admin's flash, without its close button
    ('<div class="validation-summary-errors"><ul><li>Name is required</li></ul></div>',
     "Name is required"),
    # CGI::FormBuilder (ikiwiki's sign-in form, a wrong password): the summary's word in
    # fb_invalid is no message; the field's fb_message is
    ('<p>1 error(s) were encountered with your submission. Please correct the fields <span '
     'class="fb_invalid">highlighted</span> below.</p><div class="fb_field" id="signin_'
     'password_field"><input class="fb_password" name="password" type="password" /> <span '
     'class="fb_message">Invalid entry</span></div>', "Invalid entry"),
    # not an error shown: empty or a mark, a button, a word that only looks like one
    ('<div class="error"></div><span class="errors"> * </span>', None),
    ('<button class="btn btn-danger">Delete</button>', None),
    ('<div class="terror">Boo</div><div id="errorContainer">Hidden text</div>', None),
    ('<div class="error"\n>Disk full</div\n>', "Disk full"),
    # Calibre-Web's flash: its id names no error, its class does (every class and id counts)
    ('<div id="flash_danger" class="alert alert-danger">Found an existing account for this '
     'Email address</div>', "Found an existing account for this Email address"),
    ('<div class="alert alert-danger" id="flash_danger">Shelf exists</div>', "Shelf exists"),
    ('<div id="flash_danger" class="btn-danger">Delete</div>', None),
])
def test_a_page_that_shows_an_error(page: str, shown: str | None) -> None:
    from har2locust_plus.stages.checks import error_shown

    assert runtime.error_shown(page) == shown == error_shown(page)
    resp = FakeResponse(200, {"Content-Type": "text/html"}, text=f"<html>{page}</html>")
    problem = runtime.checkpoint_problem(resp, 200, None, "html", (), (), (), False,
                                         no_error_shown=True)
    assert problem == (f"the page shows an error: {shown!r}" if shown else None)


def test_the_error_patterns_are_the_run_time_s() -> None:
    from har2locust_plus.stages import checks as stage

    assert stage.ERROR_ELEMENT.pattern == runtime.ERROR_ELEMENT.pattern
    assert stage.ERROR_WORD.pattern == runtime.ERROR_WORD.pattern
    assert stage.ERROR_ATTR.pattern == runtime.ERROR_ATTR.pattern
    assert stage.DAV_STATUS.pattern == runtime.DAV_STATUS.pattern


@given(st.text(max_size=300))
def test_error_shown_reads_any_text(text: str) -> None:
    shown = runtime.error_shown(text)
    assert shown is None or (sum(ch.isalpha() for ch in shown) >= 3 and "<" not in shown)
    if not re.search(r"error|danger|invalid-feedback|fb_message", text, re.I):
        assert shown is None


def test_a_form_post_that_showed_no_error_must_show_none(site) -> None:
    """A post answered 200 either way (an HTML fragment, a form shown again): the replay may
    not show an error where the recording showed none; nor the page its redirect lands on."""
    ok = site._entry("/notes/7/comments", "POST", body='<li class="comment">Nice</li>')
    refused = site._entry("/notes/8/comments", "POST",
                          body='<ul class="errorlist"><li>Too short.</li></ul><li>x</li>')
    conv = _inspect(site(ok))
    assert ("no_error_shown", True) in [(c.kind, c.expected) for c in
                                        conv.scenario.steps[0].checks]
    conv = _inspect(site(refused))  # the recording showed one: what it shows is not checked
    assert "no_error_shown" not in [c.kind for c in conv.scenario.steps[0].checks]
    conv = _post_redirect_get(site, "<p>Saved.</p>")
    assert [c.kind for c in conv.scenario.steps[2].checks].count("no_error_shown") == 1
    assert "no_error_shown" not in [c.kind for c in conv.scenario.steps[0].checks]  # a GET


# --- a short plain-text answer to an unsafe request is checked whole ----------------------------


def _plain(site, path: str, text: str, method: str = "POST", **kwargs: Any) -> dict[str, Any]:
    return site._entry(path, method, body=text, mime=kwargs.pop("mime", "text/plain"),
                       resource_type="xhr", **kwargs)


def test_a_plain_text_answer_naming_a_url_is_checked_like_a_location(site) -> None:
    """SQLAdmin's ``DELETE …/delete?pks=7`` answers the list's URL, and its script goes there;
    a failed delete answers the list with ``?error=…``: same route, the recorded names."""
    conv = _inspect(site(_plain(site, "/admin/note/delete?pks=7", f"{ORIGIN}/admin/note/list",
                                method="DELETE"),
                         _plain(site, "/orders/15/cancel", "/orders/15?cancelled=1")))
    assert [(n, c.expected) for n, c in _checks(conv, "body_url")] == [
        (1, (r"/admin/note/list(\?.*)?", ())),
        (2, (r"/orders/[^/?#]+(\?.*)?", ("cancelled",)))]
    assert _checks(conv, "body_is") == []


@pytest.mark.parametrize(("answer", "expected"), [
    ("OK", "OK"), ("  Deleted\n", "Deleted"), ("success", "success"),
    ("Saved successfully", "Saved successfully"),
    ("Saved 3 rows", None),  # a number changes per run
    ("Welcome, marvin", None),  # what the client sent
    ("Content and some headers removed from HAR to save space", None),  # a placeholder
    ("x" * 41, None), ("line one\nline two", None), ("<b>Saved</b>", None),
])
def test_a_short_plain_text_answer_is_checked_whole(site, answer: str,
                                                    expected: str | None) -> None:
    conv = _inspect(site(site.login("marvin"), _plain(site, "/api/notes/7/archive", answer)))
    assert [c.expected for _, c in _checks(conv, "body_is")] == (
        [expected] if expected else [])
    html = _inspect(site(site.login("marvin"),
                         _plain(site, "/api/notes/7/archive", answer, mime="text/html")))
    kinds = [c.kind for c in html.scenario.steps[-1].checks]  # (Express's res.send, PHP's echo)
    assert kinds[:2] == ["status", "content_type"] and kinds.count("body_is") == bool(expected)


def test_plain_text_answers_not_checked_whole(site) -> None:
    conv = _inspect(site(
        _plain(site, "/ping", "pong", method="GET"),  # not a change: only its status
        _plain(site, "/api/flag", "on", mime="application/json"),  # JSON has its own checks
        _plain(site, "/style.css", "body { background:cyan }", mime="text/css"),  # content
        _plain(site, "/api/vote", "Thanks"), _plain(site, "/api/vote", "Already voted"),
        site.login("marvin"),
        _plain(site, "/profile/save", "/users/marvin"),  # a URL naming what the client sent
    ))
    assert _checks(conv, "body_is") == [] and _checks(conv, "body_url") == []


@pytest.mark.parametrize(("text", "message"), [
    ("http://127.0.0.1:8089/admin/note/list?error=404%3A+Object+not+found",
     "expected the answer to name /admin/note/list, got "
     "http://127.0.0.1:8089/admin/note/list?error=404%3A+Object+not+found "
     "(an error: error=404: Object not found)"),
    ("http://127.0.0.1:8089/admin/login", "expected the answer to name /admin/note/list, "
                                           "got 'http://127.0.0.1:8089/admin/login'"),
    ("", "expected the answer to name /admin/note/list, got ''"),
])
def test_a_plain_text_answer_naming_another_url_fails(text: str, message: str) -> None:
    resp = FakeResponse(200, {"Content-Type": "text/plain"}, text)
    resp.url = "http://127.0.0.1:8089/admin/note/delete?pks=7"
    problem = runtime.checkpoint_problem(resp, 200, None, None, (), (), (), False,
                                         body_url=(r"/admin/note/list(\?.*)?", ()))
    assert problem == message
    resp = FakeResponse(200, {"Content-Type": "text/plain"},
                        "http://127.0.0.1:8089/admin/note/list\n")
    resp.url = "http://127.0.0.1:8089/admin/note/delete?pks=7"
    assert runtime.checkpoint_problem(resp, 200, None, None, (), (), (), False,
                                      body_url=(r"/admin/note/list(\?.*)?", ())) is None


def test_a_plain_text_answer_must_be_the_recorded_one() -> None:
    resp = FakeResponse(200, {"Content-Type": "text/plain"}, "ERROR: no such note")
    assert runtime.checkpoint_problem(resp, 200, None, None, (), (), (), False,
                                      body_is="OK") == (
        "expected the answer 'OK', got 'ERROR: no such note'")
    resp = FakeResponse(200, {"Content-Type": "text/plain"}, "OK\r\n")
    assert runtime.checkpoint_problem(resp, 200, None, None, (), (), (), False,
                                      body_is="OK") is None


# --- an API's own status in a 200 answer: {"code": 200, "msg": "操作成功"} ---------------------


def _api_answer(site, answer: dict) -> Converted:
    return _inspect(site(site._entry("/api/notes", "POST", body=json.dumps(answer),
                                     mime="application/json")))


@pytest.mark.parametrize(("answer", "expected"), [
    # RuoYi and many Spring Boot "result" wrappers; refused: {"code": 500, "msg": "…"}
    ({"code": 200, "msg": "操作成功", "data": {"id": 7}}, [("code", 200), ("msg", "操作成功")]),
    ({"errcode": 0, "errmsg": "ok"}, [("errcode", 0)]),  # WeChat
    ({"resultCode": "0000", "resultMsg": "成功"}, [("resultCode", "0000"), ("resultMsg", "成功")]),
    ({"Code": 200, "Message": None, "IsSuccess": True}, [("Code", 200), ("IsSuccess", True)]),
    # a success flag written as a number: pgAdmin's make_json_response, MongoDB's "ok"
    ({"success": 1, "errormsg": "", "info": "", "result": None, "data": None},
     [("success", 1)]),
    ({"ok": 1.0, "n": 1}, [("ok", 1.0)]),
    ({"success": 0, "errormsg": "Could not find"},  # the recording's own refusal: no flag
     [("errormsg", "Could not find")]),
    # a widget that could not reach its service when recorded (WordPress's community events,
    # offline): the refusal's flag is not expected of the replay, whatever the host reaches
    ({"success": False, "data": {"events": []}}, []),
    ({"success": True, "exists": False}, [("success", True)]),  # "exists": a state
    ({"successCount": 1, "isOk": 1}, [("isOk", 1)]),  # a count of them is not a flag
])
def test_an_apis_status_member_beside_its_message_is_checked(site, answer, expected) -> None:
    conv = _api_answer(site, answer)
    values = [(c.path, c.expected) for c in conv.scenario.steps[0].checks
              if c.kind == "json_value"]
    assert sorted(values, key=str) == sorted(((tuple(p.split(".")), v) for p, v in expected),
                                             key=str)


def test_the_host_the_client_addressed_echoed_in_json_is_not_checked(
        make_har: Callable[..., bytes], make_entry: Callable[..., dict[str, Any]]) -> None:
    """httpbin and Postman Echo answer the request's headers: ``"Host": "httpbin.org"`` is the
    host the client addressed, another when the script runs against a copy (``--host``)."""
    for origin, host in (("https://httpbin.org", "httpbin.org"),
                         ("http://localhost:8080", "localhost:8080")):
        echo = {"headers": {"Host": host, "Accept": "application/json"},
                "host_name": host.partition(":")[0], "status": "active"}
        har = make_har(make_entry(f"{origin}/anything", "POST", body=json.dumps(echo),
                                  mime="application/json"))
        values = {(".".join(c.path), c.expected) for step in _inspect(har).scenario.steps
                  for c in step.checks if c.kind == "json_value"}
        assert ("status", "active") in values  # a word the server says is still checked
        assert not {path for path, _ in values} & {"headers.Host", "host_name"}, values


@pytest.mark.parametrize("answer", [
    {"sold": 3, "status": 26, "available": 400},  # Petstore's inventory: a count per status
    {"code": 483920, "msg": "sent"},  # a one-time code, not a status
    {"code": 200},  # nothing beside it says it is the answer's status
])
def test_a_count_or_a_code_named_like_a_status_is_not(site, answer) -> None:
    conv = _api_answer(site, answer)
    assert not any(c.kind == "json_value" and c.path[-1] in ("status", "code")
                   for c in conv.scenario.steps[0].checks)


@pytest.mark.parametrize(("answer", "expected"), [
    # Transmission: {"torrent-duplicate": …} when nothing was added, "result" still "success"
    ({"arguments": {"torrent-added": {"id": 7}}, "result": "success"},
     ("arguments", "torrent-added")),
    ({"data": {"createNote": {"id": "n1"}}}, ("data", "createNote")),  # GraphQL's mutation
    ({"data": {"id": 7, "name": "x"}}, None),  # more keys than one: data, some optional
    ({"data": {"4711": {"x": 1}}}, None),  # keyed by an id
    ({"success": False, "data": {"error": "offline"}}, None),  # the recording's refusal
])
def test_the_one_key_of_a_writes_envelope_is_checked(site, answer, expected) -> None:
    """A member whose object has one key, which says what happened: the write's answer must
    have it (a read's one-key object may be a map of one entry: not checked)."""
    def nested(conv: Converted) -> list[tuple[str, str]]:
        return [k for c in conv.scenario.steps[0].checks if c.kind == "json_keys"
                for k in c.expected if isinstance(k, tuple)]

    assert nested(_api_answer(site, answer)) == ([expected] if expected else [])
    read = _inspect(site(site._entry("/api/notes", body=json.dumps(answer),
                                     mime="application/json")))
    assert nested(read) == []


def test_a_write_answered_with_another_outcome_key_fails_the_step() -> None:
    """Transmission adds nothing when the torrent is there already, and says so only by the
    key inside ``arguments``: the step fails, naming both."""
    duplicate = FakeResponse(200, {"Content-Type": "application/json"}, json.dumps(
        {"arguments": {"torrent-duplicate": {"id": 3}}, "result": "success"}))
    with pytest.raises(RescheduleTask):
        runtime.check(duplicate, "step 8 POST /rpc", 200, content_type="json",
                      json_keys=("arguments", "result", ("arguments", "torrent-added")),
                      json_values=(("result", "success"),))
    assert duplicate.calls == [("failure", "step 8 POST /rpc: expected JSON key "
                                "arguments.torrent-added (got arguments: ['torrent-duplicate'])")]
    added = FakeResponse(200, {"Content-Type": "application/json"}, json.dumps(
        {"arguments": {"torrent-added": {"id": 3}}, "result": "success"}))
    runtime.check(added, "step 8 POST /rpc", 200, content_type="json",
                  json_keys=("arguments", "result", ("arguments", "torrent-added")))
    assert ("failure" not in [c[0] for c in added.calls])
    flat = FakeResponse(200, {"Content-Type": "application/json"}, json.dumps(
        {"arguments": None, "result": "success"}))
    with pytest.raises(RescheduleTask):
        runtime.check(flat, "s", 200, json_keys=(("arguments", "torrent-added"),))
    assert flat.calls == [("failure", "s: expected JSON key arguments.torrent-added "
                           "(got arguments: None)")]


def test_a_refusal_answered_200_with_its_own_status_fails_the_step() -> None:
    """What the script does with RuoYi's refusal: HTTP 200, ``{"code": 500, "msg": …}``."""
    refused = FakeResponse(200, {"Content-Type": "application/json"},
                           json.dumps({"code": 500, "msg": "用户不存在/密码错误"}))
    with pytest.raises(RescheduleTask):
        runtime.check(refused, "step 2 POST /login", 200, content_type="json",
                      json_values=(("code", 200), ("msg", "操作成功")))
    assert refused.calls == [("failure", "step 2 POST /login: expected JSON code == 200, got 500")]


def test_markup_a_server_types_as_json_is_checked_as_a_page() -> None:
    """tt-rss answers its preferences' panels ``text/json``: the page text is checked, as a
    page's, with the recorded type; JSON (or JSONP) under that type is not."""
    from har2locust_plus.stages.checks import _markup_as_json

    assert _markup_as_json(["<div dojoType='dijit.layout.BorderContainer'><h3>Labels</h3></div>"])
    assert not _markup_as_json(['{"html": "<div>x</div>"}'])
    assert not _markup_as_json(['cb({"a": 1})', "<div>x</div>"])
    assert not _markup_as_json(["Created label <b>Zoo label</b>"])


def test_markup_typed_as_json_gets_the_page_checks(site) -> None:
    body = ("<div class='panel'><h2>Label editor</h2><form><input name='caption'></form>"
            "</div>")
    conv = _inspect(site(site._entry("/backend.php?op=labels", body=body,
                                     mime="text/json; charset=utf-8")))
    kinds = {c.kind: c.expected for c in conv.scenario.steps[0].checks}
    assert kinds["content_type"] == "json" and "no_error" not in kinds
    assert "Label editor" in kinds["contains"]


def test_a_refusal_answered_200_with_a_numeric_success_flag_of_0_fails_the_step() -> None:
    refused = FakeResponse(200, {"Content-Type": "application/json"},
                           json.dumps({"success": 0, "errormsg": "Server group not found."}))
    with pytest.raises(RescheduleTask):
        runtime.check(refused, "step 25 DELETE /browser/server_group/obj/{id}", 200,
                      content_type="json", json_values=(("success", 1),))
    assert refused.calls == [("failure", "step 25 DELETE /browser/server_group/obj/{id}: "
                              "expected JSON success == 1, got 0")]


# --- messages and titles in other scripts -----------------------------------------------------


@pytest.mark.parametrize(("landing", "expected"), [
    ('<div class="alert alert-success"><i class="icon-ok"></i> 保存成功！</div>', "保存成功！"),
    ('<div class="alert alert-success">保存成功</div>', ">保存成功<"),
    ('<div class="alert alert-success"><button class="close">&times;</button> Gespeichert: '
     "Änderungen übernommen.</div>", "Gespeichert: Änderungen übernommen."),
])
def test_a_message_in_another_script_is_checked(site, landing: str, expected: str) -> None:
    """A Chinese or German app's "Saved" after the redirect of a post: words without spaces
    (or with letters outside ASCII) are a message as much as "Record saved." is."""
    conv = _post_redirect_get(site, landing)
    assert ir.Check("contains", expected, "recorded message") in conv.scenario.steps[2].checks


@pytest.mark.parametrize("landing", [
    '<span class="status">状态：</span>',  # a label
    '<div class="message">第3条</div>',  # a number in it
])
def test_a_label_or_a_number_in_another_script_is_no_message(site, landing: str) -> None:
    conv = _post_redirect_get(site, landing)
    assert [c.expected for c in conv.scenario.steps[2].checks if c.kind == "contains"] == [
        "<title>Notes</title>"]


def test_a_two_character_title_in_another_script_is_checked(site) -> None:
    conv = _inspect(site(site.page("/notes", "<title>笔记</title><ul></ul>")))
    assert ir.Check("contains", "<title>笔记</title>", "recorded page text") in \
        conv.scenario.steps[0].checks


# --- how many objects an unsafe request changed, as its answer counts them ----------------------


@pytest.mark.parametrize(("answer", "expected"), [
    ({"acknowledged": True, "deletedCount": 1}, [(("deletedCount",), 1)]),  # MongoDB
    ({"result": {"modifiedCount": 1, "matchedCount": 1}},
     [(("result", "modifiedCount"), 1), (("result", "matchedCount"), 1)]),
    ({"affectedRows": 1}, [(("affectedRows",), 1)]),  # MySQL drivers
    ({"changes": 2, "lastID": 7}, [(("changes",), 2)]),  # SQLite's
])
def test_the_count_of_what_an_unsafe_request_changed_is_checked(site, answer, expected) -> None:
    """A replay that sent an id of another run changes nothing and is answered the same 200
    with ``"deletedCount": 0``: the recorded count makes that a failure."""
    conv = _inspect(site(site._entry("/api/notes/4711", "DELETE", body=json.dumps(answer),
                                     mime="application/json")))
    counts = [(c.path, c.expected) for c in conv.scenario.steps[0].checks
              if c.origin == "recorded count of changes"]
    assert counts == expected


@pytest.mark.parametrize(("method", "answer"), [
    ("GET", {"deletedCount": 1}),  # a page that reads: nothing was changed by it
    ("DELETE", {"deletedCount": 0}),  # nothing changed in the recording either
    ("DELETE", {"count": 5}),  # a count of something else
])
def test_no_count_of_changes_where_the_request_changed_nothing(site, method, answer) -> None:
    conv = _inspect(site(site._entry("/api/notes/4711", method, body=json.dumps(answer),
                                     mime="application/json")))
    assert not any(c.origin == "recorded count of changes"
                   for c in conv.scenario.steps[0].checks)


def test_a_delete_that_changed_nothing_fails_its_step() -> None:
    nothing = FakeResponse(200, {"Content-Type": "application/json"},
                           json.dumps({"acknowledged": True, "deletedCount": 0}))
    with pytest.raises(RescheduleTask):
        runtime.check(nothing, "step 9 DELETE /api/notes/{note_id}", 200, content_type="json",
                      json_values=(("acknowledged", True), ("deletedCount", 1)))
    assert nothing.calls == [("failure", "step 9 DELETE /api/notes/{note_id}: expected JSON "
                                         "deletedCount == 1, got 0")]


_MANAGER = ('<title>/manager</title><body><table><tr><td class="row-left" width="10%"><small>'
            '<strong>Message:</strong></small>&nbsp;</td>\n  <td class="row-left"><pre>{}\n'
            '</pre></td></tr></table>')


@pytest.mark.parametrize(("shown", "checked"), [
    ("OK - Deployed application at context path [&#47;zoo-1796395330617]",
     "OK - Deployed application at context path"),  # Tomcat's Manager
    ("OK - Stopped application at context path [&#47;]",
     "OK - Stopped application at context path"),
    ("Record updated successfully.", "Record updated successfully."),
])
def test_the_message_after_a_message_label_is_checked(site, shown: str, checked: str) -> None:
    """Tomcat's Manager answers every command 200, its outcome in the cell after "Message:"
    ("OK - …", or "FAIL - Application already exists at path […]"): the recorded message's
    words, without the context path (it holds a time), are checked."""
    conv = _inspect(site(
        site.page("/manager/html", "<title>/manager</title>"),
        site.page("/manager/html/deploy", _MANAGER.format(shown), method="POST",
                  post_data={"mimeType": "application/x-www-form-urlencoded",
                             "text": "deployPath=%2Fzoo-1796395330617",
                             "params": [{"name": "deployPath", "value": "/zoo-1796395330617"}]}),
    ))
    assert (2, ir.Check("contains", checked, "recorded message")) in _checks(conv, "contains")
    assert _changing_values_in_checks(conv) == []


@pytest.mark.parametrize("shown", ["&nbsp;", "42", "Milk and honey"])
def test_no_message_check_after_a_label_without_stable_words(site, shown: str) -> None:
    """Nothing but a space or a number, or what the client sent (echoed input)."""
    conv = _inspect(site(
        site.page("/manager/html/deploy", _MANAGER.format(shown), method="POST",
                  post_data={"mimeType": "application/x-www-form-urlencoded",
                             "text": "a=Milk+and+honey",
                             "params": [{"name": "a", "value": "Milk and honey"}]}),
    ))
    assert [c.origin for _, c in _checks(conv, "contains")] == ["recorded page text"]


# --- WebDAV's multi-status: the outcome is inside -------------------------------------------------

DAV_OK = ('<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"><D:response><D:href>/a/b/</D:href>'
          '<D:propstat><D:prop><D:displayname/></D:prop><D:status>HTTP/1.1 {code} X</D:status>'
          '</D:propstat></D:response></D:multistatus>')


def _dav(method: str, recorded: str, status: int = 207) -> list[ir.Check]:
    from test_correlate import conv, entry, step

    result = conv(entry("/a/b/", method, status=status, mime="application/xml; charset=utf-8",
                        body=recorded, raw=("application/xml", "<propertyupdate/>")))
    return list(step(result, 1).checks)


@pytest.mark.parametrize("method", ["PROPPATCH", "DELETE", "MOVE", "COPY", "MKCOL", "LOCK"])
def test_a_changes_multi_status_with_only_successes_is_checked_inside(method: str) -> None:
    checks = _dav(method, DAV_OK.format(code="200 OK"))
    assert [c.kind for c in checks if c.kind == "dav_ok"] == ["dav_ok"], checks


@pytest.mark.parametrize(("method", "code"), [
    ("PROPFIND", "200 OK"),  # a read lists what is there: another user's lacks a property
    ("REPORT", "200 OK"),
    ("PROPPATCH", "403 Forbidden"),  # a refusal was recorded: nothing stable to check
    ("GET", "200 OK"),
])
def test_reads_and_recorded_refusals_get_no_check_inside(method: str, code: str) -> None:
    assert "dav_ok" not in {c.kind for c in _dav(method, DAV_OK.format(code=code))}


def test_xml_that_is_no_multi_status_gets_no_check_inside() -> None:
    checks = _dav("PROPPATCH", "<status>HTTP/1.1 200 OK</status>", status=200)
    assert "dav_ok" not in {c.kind for c in checks}


@pytest.mark.parametrize(("code", "problem"), [
    ("200 OK", None),
    ("201 Created", None),
    ("403 Forbidden", "the multi-status answer holds '403 Forbidden'"),
    ("423 Locked", "the multi-status answer holds '423 Locked'"),
    ("424 Failed Dependency", "the multi-status answer holds '424 Failed Dependency'"),
])
def test_the_run_time_check_reads_each_status_inside(code: str, problem: str | None) -> None:
    body = DAV_OK.format(code=code).replace(" X</D:status>", "</D:status>")
    resp = FakeResponse(207, {"Content-Type": "application/xml"}, text=body)
    assert runtime.checkpoint_problem(resp, 207, None, None, (), (), (), False,
                                      dav_ok=True) == problem


# --- a batch's answers: each with its own status -------------------------------------------------


def _batch(*statuses: int) -> dict:
    return {"responses": [{"status": code, "path": f"/v1/buckets/b{i}", "headers": {},
                           "body": {"data": {"id": f"b{i}"}} if code < 400 else {
                               "code": code, "error": "Precondition Failed",
                               "message": "Resource was modified meanwhile"}}
                          for i, code in enumerate(statuses)]}


def test_a_batch_whose_answers_all_worked_is_checked_inside(site) -> None:
    """Kinto's ``/v1/batch`` (Microsoft Graph's ``$batch``, Facebook's batch) answers 200
    whatever each request inside met: a 412 inside passed as a 200 before."""
    conv = _inspect(site(site.json("/v1/batch", _batch(200, 201), method="POST"),
                         site.json("/v2/batch", _batch(201, 412), method="POST")))
    kinds = {n: {c.kind for c in conv.scenario.steps[n - 1].checks} for n in (1, 2)}
    assert "no_error" in kinds[1]
    assert "no_error" not in kinds[2]  # a refusal was recorded: not asked of the replay


@pytest.mark.parametrize(("answer", "problem"), [
    (_batch(200, 201), None),
    (_batch(201, 412), "answer 2 of the batch has status 412: 'Resource was modified "
                       "meanwhile'"),
    ([{"code": 200, "headers": [], "body": "{}"}, {"code": 404, "headers": [], "body": ""}],
     "answer 2 of the batch has status 404"),
    ({"responses": [{"status": 412}]}, None),  # no body or headers beside it: no batch
    ({"responses": [{"status": "412", "body": {}}]}, None),
])
def test_the_run_time_check_reads_each_answer_of_a_batch(answer: object,
                                                         problem: str | None) -> None:
    resp = FakeResponse(200, {"Content-Type": "application/json"}, text=json.dumps(answer))
    assert runtime.checkpoint_problem(resp, 200, None, None, (), (), (), True) == problem


@pytest.mark.parametrize("document", [
    _batch(200, 201), _batch(201, 412), [{"code": 200, "headers": []}], {"responses": []},
    {"responses": [{"status": 200}]}, {"responses": [{"status": True, "body": {}}]},
    {"responses": [{"status": 99, "body": {}}]}, [{"status": 200, "body": 1}, "x"], {}, [], 3,
])
def test_the_conversion_and_the_run_time_read_a_batch_alike(document: object) -> None:
    """The run time's ``batch_answers`` (copied into scripts, which import no converter) and
    the checks stage's ``_batch_statuses`` are one rule written twice."""
    assert [a["status"] for a in runtime.batch_answers(document)] == \
        checks._batch_statuses(document)


# --- Secure cookies, sent back to a server on this machine as the browser sends them -----------


class _SetsCookies:
    """An answer as http.cookiejar reads it: its headers from ``info()``."""

    def __init__(self, *set_cookies: str) -> None:
        import email.message

        self.headers = email.message.Message()
        for value in set_cookies:
            self.headers["Set-Cookie"] = value

    def info(self) -> Any:
        return self.headers


SECURE_SESSION = "tryton_session=alice:7:9f2c61d0; Secure; HttpOnly; Path=/; SameSite=Strict"


def _sent_back(jar: Any, origin: str) -> tuple[str | None, str]:
    """The Cookie header each client sends after ``origin`` set SECURE_SESSION: geventhttpclient
    asks the jar itself (FastHttpUser); python-requests copies the jar into one of its own for
    each request (HttpUser)."""
    import urllib.request

    import requests

    jar.extract_cookies(_SetsCookies(SECURE_SESSION),
                        urllib.request.Request(f"{origin}/zoo/session/login"))
    request = urllib.request.Request(f"{origin}/zoo/rpc/")
    jar.add_cookie_header(request)
    merged = requests.cookies.merge_cookies(requests.cookies.RequestsCookieJar(), jar)
    prepared = requests.Request("POST", f"{origin}/zoo/rpc/").prepare()
    return request.get_header("Cookie"), requests.cookies.get_cookie_header(merged, prepared) or ""


@pytest.mark.parametrize(("origin", "sent"), [
    ("http://127.0.0.1:8000", True),
    ("http://127.8.9.10", True),
    ("http://localhost:8000", True),
    ("http://app.localhost", True),
    ("http://[::1]:8000", True),
    ("https://shop.example", True),  # as any jar does
    ("http://shop.example", False),  # no browser sends it there either
    ("http://127.0.0.1.example", False),
])
def test_a_secure_cookie_goes_back_over_http_to_a_loopback_host_as_in_the_browser(
        origin: str, sent: bool) -> None:
    """Tryton marks its session cookie ``Secure`` on any scheme; a browser keeps it and sends
    it back to ``http://127.0.0.1`` (a loopback host is a secure origin to it), python's jars
    did not: every call after the login answered 401. With the script's policy both clients
    send it back to a loopback host, as the browser did, and nowhere else over http."""
    from http.cookiejar import CookieJar

    jar = CookieJar()
    runtime.send_secure_cookies_as_browsers_do(jar)
    fast, http = _sent_back(jar, origin)
    assert (fast == "tryton_session=alice:7:9f2c61d0") is sent
    assert (http == "tryton_session=alice:7:9f2c61d0") is sent
    if origin.startswith("http://127.0.0.1:"):  # what the jars did without it
        assert _sent_back(CookieJar(), origin) == (None, "")


def test_the_script_sets_the_policy_only_when_a_recorded_answer_sets_a_secure_cookie(
        make_har: Callable[..., bytes], make_entry: Callable[..., dict[str, Any]]) -> None:
    def script(set_cookie: str, user_class: str = "fast") -> str:
        har = make_har(make_entry(f"{ORIGIN}/login", "POST", response_headers=[
            ("Set-Cookie", set_cookie)], mime="text/html", body="<title>In</title>"))
        return convert(har, Options(user_class=user_class), name="case.har").code

    assert "send_secure_cookies_as_browsers_do(self.client.cookiejar)\n" in script(
        SECURE_SESSION)
    assert "send_secure_cookies_as_browsers_do(self.client.cookies)\n" in script(
        "sid=abc; path=/; secure", "http")
    assert "send_secure_cookies_as_browsers_do" not in script("sid=abc; Path=/; HttpOnly")
    assert "send_secure_cookies_as_browsers_do" not in script("secure=1; Path=/")


# --- a delete the app ignored: the list it lands on still names the object ----------------------


def _made_then_deleted_har(site, *, delete: dict[str, Any] | None = None, after: str = "",
                           before: str = '<a href="/notes/4711">Milk</a>') -> bytes:
    """Add a note (302 to /notes/4711), the list naming it (``before``), delete it
    (``delete``: the request; a form's ``_method=DELETE`` by default), 302 to the list, the
    list (``after`` in it)."""
    form = {"mimeType": "application/x-www-form-urlencoded", "text": "_method=DELETE",
            "params": [{"name": "_method", "value": "DELETE"}]}
    entries = (
        site._entry("/notes", "POST", status=302, body=None,
                    response_headers=[("Location", f"{ORIGIN}/notes/4711")],
                    redirect_url=f"{ORIGIN}/notes/4711"),
        site.page("/notes/4711", "<title>Milk</title><body><p>Milk</p>"),
        site.page("/notes", f"<title>Notes</title><body><ul><li>{before}</li>"
                            '<li><a href="/notes/47110">Eggs</a></li></ul>'),
        site._entry("/notes/4711", "POST", status=303, body=None,
                    response_headers=[("Location", f"{ORIGIN}/notes")],
                    redirect_url=f"{ORIGIN}/notes",
                    headers=[("Content-Type", "application/x-www-form-urlencoded")],
                    post_data=form) if delete is None else delete,
        site.page("/notes", f"<title>Notes</title><body><ul>{after}"
                            '<li><a href="/notes/47110">Eggs</a></li></ul>'),
    )
    first = datetime.fromisoformat(entries[0]["startedDateTime"].replace("Z", "+00:00"))
    for n, entry in enumerate(entries):  # a ``delete`` made before them: sent in its place
        entry["startedDateTime"] = (first + timedelta(seconds=n)).isoformat()
    return site(*entries)


def _made_then_deleted(site, **kwargs: Any) -> Converted:
    return _inspect(_made_then_deleted_har(site, **kwargs))


def _gone(conv: Converted) -> list[tuple[int, ir.Check]]:
    return _checks(conv, "gone")


def test_the_list_a_delete_lands_on_may_not_name_the_object_any_more(site) -> None:
    """Symfony's make:crud ignores a delete whose token is stale and redirects to the list
    all the same (303); so does Rails' ``destroy`` when a callback refuses. The recorded list
    named the note before the delete and not after: the replayed list may not name it
    (``/notes/<the id read this run>``, as a whole path: ``/notes/47110`` is another)."""
    conv = _made_then_deleted(site)
    [(step, check)] = _gone(conv)
    var = conv.scenario.steps[0].extractions[0].var
    assert step == 5 and check.expected == (ir.Template(("/notes/", ir.VarRef(var))),)
    assert f'gone=(f"/notes/{{self.{var}}}",)' in convert(_made_then_deleted_har(site)).code
    for method, extra in (("DELETE", {}), ("POST", {"path": "/notes/4711/delete"})):
        delete = site._entry(extra.get("path", "/notes/4711"), method, status=302, body=None,
                             response_headers=[("Location", f"{ORIGIN}/notes")],
                             redirect_url=f"{ORIGIN}/notes")
        assert [n for n, _ in _gone(_made_then_deleted(site, delete=delete))] == [5], method


@pytest.mark.parametrize(("before", "after", "why"), [
    ('<a href="/notes/4711">Milk</a>', '<li><a href="/notes/4711/restore">Undo</a></li>',
     "the recorded list still names it (an undo link)"),
    ("Milk", "", "no recorded list named it before the delete"),
])
def test_no_gone_check_where_the_recording_does_not_show_the_object_leave(
        site, before: str, after: str, why: str) -> None:
    assert _gone(_made_then_deleted(site, before=before, after=after)) == [], why


def test_no_gone_check_after_a_post_that_deletes_nothing(site) -> None:
    """A form's post that is no delete (an update) lands on the same list: nothing is gone."""
    update = site._entry("/notes/4711", "POST", status=303, body=None,
                         response_headers=[("Location", f"{ORIGIN}/notes")],
                         redirect_url=f"{ORIGIN}/notes")
    assert _gone(_made_then_deleted(site, delete=update)) == []


@pytest.mark.parametrize(("text", "problem"), [
    ('<a href="/notes/47110">Eggs</a>', None),
    ('<a href="/notes/4711">Milk</a>', "the page still names /notes/<id>: the delete before "
                                       "did not remove it"),
    ('<a href="http://h/notes/4711/edit">edit</a>', "the page still names /notes/<id>: the "
                                                     "delete before did not remove it"),
])
def test_gone_fails_a_page_that_still_names_the_object(text: str, problem: str | None) -> None:
    resp = FakeResponse(200, {"Content-Type": "text/html"}, text)
    assert runtime.checkpoint_problem(resp, 200, None, None, (), (), (), False,
                                      gone=("/notes/4711",)) == problem


def test_a_nested_resource_s_delete_names_the_object_by_its_last_id(site) -> None:
    """``/boards/<board>/cards/<card>/delete``: the card is gone from the board's page, the
    board is not; what may not be named any more is the card's whole path."""
    entries = [
        site._entry("/boards", "POST", status=302, body=None,
                    response_headers=[("Location", f"{ORIGIN}/boards/9311")],
                    redirect_url=f"{ORIGIN}/boards/9311"),
        site._entry("/boards/9311/cards", "POST", status=302, body=None,
                    response_headers=[("Location", f"{ORIGIN}/boards/9311")],
                    redirect_url=f"{ORIGIN}/boards/9311"),
        site.page("/boards/9311", '<title>Board</title><body><a href="/boards/9311/cards/5521">'
                                  'Milk</a>'),
        site._entry("/boards/9311/cards/5521/delete", "POST", status=302, body=None,
                    response_headers=[("Location", f"{ORIGIN}/boards/9311")],
                    redirect_url=f"{ORIGIN}/boards/9311"),
        site.page("/boards/9311", '<title>Board</title><body><a href="/boards/9311">Board</a>'),
    ]
    [(step, check)] = _gone(_inspect(site(*entries)))
    [board, card] = check.expected[0].refs()
    assert step == 5 and check.expected[0].parts == ("/boards/", board, "/cards/", card)


def _trashed_by_link_har(site, link: str, *, before: str, after: str = "",
                         made: str = "/notes/4711") -> bytes:
    """Add a note (302 to ``made``), the list (``before``), a link that deletes (``link``,
    a GET), 302 to the list, the list (``after``)."""
    return site(
        site._entry("/notes", "POST", status=302, body=None,
                    response_headers=[("Location", f"{ORIGIN}{made}")],
                    redirect_url=f"{ORIGIN}{made}"),
        site.page(made, "<title>Milk</title><body><p>Milk</p>"),
        site.page("/notes", f"<title>Notes</title><body><ul><li>{before}</li>"
                            '<li><a href="/notes/47110">Eggs</a></li></ul>'),
        site._entry(link, "GET", status=302, body=None,
                    response_headers=[("Location", f"{ORIGIN}/notes?trashed=1")],
                    redirect_url=f"{ORIGIN}/notes?trashed=1"),
        site.page("/notes?trashed=1", f"<title>Notes</title><body><ul>{after}"
                                      '<li><a href="/notes/47110">Eggs</a></li></ul>'),
    )


def test_a_link_that_trashes_names_the_object_by_its_parameter_not_its_nonce(site) -> None:
    """WordPress's ``post.php?post=4711&action=trash&_wpnonce=…``, a GET: the list after it
    may not link to ``post=<the id read this run>`` (not ``repost=``, not ``post=47110``); the
    nonce, which the list also stopped showing, proves the request and names nothing."""
    before = ('<a href="/post.php?post=4711&amp;action=edit">Milk</a> <a href="/post.php?'
              'post=4711&amp;action=trash&amp;_wpnonce=9f3ac41b7e">Trash</a>')
    har = _trashed_by_link_har(site, "/post.php?post=4711&action=trash&_wpnonce=9f3ac41b7e",
                               before=before, after='<a href="/edit.php?ids=4711">Undo</a>')
    conv = _inspect(har)
    [(step, check)] = _gone(conv)
    [var] = check.expected[0].refs()
    assert step == 5 and check.expected[0].parts == ("post=", var)
    assert f'gone=(f"post={{self.{var.name}}}",)' in convert(har).code


def test_a_uuid_a_delete_link_sends_is_gone_wherever_the_list_names_it(site) -> None:
    """changedetection.io's ``/api/delete?uuid=<uuid>``: the list links to the watch as
    ``/edit/<uuid>``, never as ``uuid=…``; a value that long names one object alone."""
    uuid = "3f0c9a1e-8b7d-4c2e-9a6f-1d2e3f4a5b6c"
    har = _trashed_by_link_har(site, f"/api/delete?uuid={uuid}", made=f"/edit/{uuid}",
                               before=f'<a href="/edit/{uuid}">Milk</a>')
    [(step, check)] = _gone(_inspect(har))
    [var] = check.expected[0].refs()
    assert step == 5 and check.expected[0].parts == (var,)


@pytest.mark.parametrize(("link", "why"), [
    ("/task?id=1&action=trash&_nonce=9f3ac41b7e", "the id is sent as recorded (no variable): "
                                                  "only the nonce was read, and names nothing"),
    ("/notes?id=4711&action=archive", "archiving is no delete"),
])
def test_no_gone_check_for_a_link_that_names_no_object_it_deletes(site, link: str,
                                                                  why: str) -> None:
    before = f'<a href="{link.replace("&", "&amp;")}">Trash</a> <a href="/notes/4711">Milk</a>'
    assert _gone(_inspect(_trashed_by_link_har(site, link, before=before))) == [], why


@pytest.mark.parametrize(("text", "problem"), [
    ('<a href="/post.php?post=47110&amp;action=edit">Eggs</a>', None),
    ('<a href="/post.php?repost=4711">Eggs</a>', None),
    ('<a href="/post.php?post=4711&amp;action=edit">Milk</a>',
     "the page still names post=<id>: the delete before did not remove it"),
    ('<a href="/p?ids=4711">Undo</a>', None),
])
def test_gone_fails_a_page_that_still_links_with_the_object_s_parameter(
        text: str, problem: str | None) -> None:
    resp = FakeResponse(200, {"Content-Type": "text/html"}, text)
    assert runtime.checkpoint_problem(resp, 200, None, None, (), (), (), False,
                                      gone=("post=4711",)) == problem


@pytest.mark.parametrize("named", ["/notes/4711", "post=4711",
                                   "3f0c9a1e-8b7d-4c2e-9a6f-1d2e3f4a5b6c"])
@given(before=st.text(alphabet="ab=/-_&;?1 ", max_size=6),
       after=st.text(alphabet="ab=/-_&;?1 ", max_size=6))
def test_the_stage_and_the_run_time_check_agree_on_what_a_page_names(
        named: str, before: str, after: str) -> None:
    text = before + named + after
    resp = FakeResponse(200, {"Content-Type": "text/html"}, text)
    said = runtime.checkpoint_problem(resp, 200, None, None, (), (), (), False, gone=(named,))
    assert (said is not None) == checks._links_to(text, named)


def test_a_word_the_user_typed_is_no_delete(site) -> None:
    """DokuWiki's edit summary ``summary=delete`` (the user's words, under no action's name)
    says nothing about what the request does."""
    link = "/notes/4711/edit?summary=delete"
    before = '<a href="/notes/4711">Milk</a>'
    assert _gone(_inspect(_trashed_by_link_har(site, link, before=before))) == []
    assert _gone(_inspect(_trashed_by_link_har(site, "/notes/4711/edit?op=delete",
                                               before=before))) != []


@pytest.mark.parametrize(("text", "problem"), [
    ('<tr><td>Zoo 1796141584194</td><td><a href="/edit/?id=4711">Edit</a></td></tr>',
     "the page still names id=<id>: the delete before did not remove it"),
    ('<tr><td>Zoo 1796141584301</td><td><a href="/edit/?id=4711">Edit</a></td></tr>', None),
])
def test_an_id_the_database_gave_again_is_not_the_object_the_delete_removed(
        text: str, problem: str | None) -> None:
    """SQLite hands a deleted row's id to the next row made (a rowid without AUTOINCREMENT):
    another user's new note may bear ``id=4711`` when this user's list comes. The object is
    still there only where its name, which this run made, is too."""
    resp = FakeResponse(200, {"Content-Type": "text/html"}, text)
    assert runtime.checkpoint_problem(resp, 200, None, None, (), (), (), False,
                                      gone=(("id=4711", 1796141584194),)) == problem


def test_the_gone_check_of_a_named_object_asks_for_its_name_too() -> None:
    """Flask-Admin on SQLite (``fixtures/zoo/flaskadmin``): the note's title holds the time the
    client made it; the list after the delete shows neither its id nor that time."""
    code = convert(FIXTURES / "zoo" / "flaskadmin" / "flaskadmin.har").code
    assert 'gone=((f"id={self.id}", f"{self.title}"),)' in code


def test_a_made_slug_with_a_hyphen_is_any_in_a_redirect_s_check():
    """A value the run makes (a slug made unique, a server's slug of a typed title) in a
    redirect's check pattern is escaped there (``zoo\\-garden``): it is found as written and
    that segment may be any (it was never found when it held a ``-`` or a ``.``)."""
    from har2locust_plus.stages.checks import _made_segments, location_pattern

    pattern = location_pattern("/projects/zoo-garden/edit")
    made = _made_segments(pattern, {re.escape("zoo-garden"), re.escape("notes_v1.2")})
    assert made == r"/projects/[^/?#]+/edit(\?.*)?"
    assert re.fullmatch(made, "/projects/zoo-garden-3f9a1c2e/edit")
    assert _made_segments(location_pattern("/n/notes_v1.2"),
                          {re.escape("notes_v1.2")}) == r"/n/[^/?#]+(\?.*)?"
