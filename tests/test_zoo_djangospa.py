"""Zoo app "djangospa" (issue 12): a Django SPA whose CSRF token travels cookie → header.

``fixtures/zoo/djangospa/djangospa.har`` was recorded by real Chromium clicking the SPA's
buttons (``fixtures/zoo/djangospa/record.py``). The generated script runs with real Locust
against FRESH app processes (new ``SECRET_KEY``, new SQLite database, report ids from another
random base, sentinel reports, another port), and the server's own counters (``/__state``) say
what really happened. One app process per scenario, shared by the tests that read it.

What the app asks of a converter (see ``fixtures/zoo/README.md``):

* class 1: ``X-CSRFToken`` is the ``csrftoken`` cookie, set by step 1 and rotated by the login
  (step 2); it is in no body. A replayed recorded token is refused with 403.
* class 7: the create (step 4) sends ``"Report " + Date.now()``; names are unique per owner,
  trash included, so a replayed name is refused with 409.
* class 5: the report's id is handed out by the create's JSON (step 4); the list (steps 3, 5)
  also shows it, next to the user's sentinel and, under load, other iterations' reports.
* class 6: ``"kind": "weekly"`` is a client constant that the list happens to show too.
* class 9: the update answers a foreign or unknown id with HTTP 200 ``{"ok": false, "error":
  "stale"}``, a wrong password with 200 ``{"ok": false, "error": ...}``.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, locust_headless, request_calls

# Import locust (gevent's monkey patching) at collection, before the launcher's stdout thread
# runs: patching later deadlocks (see tests/test_verify.py).
import har2locust_plus.verify.core as verify_core  # noqa: I001
from har2locust_plus import Options, Result, ThinkTime, convert

REPO_ROOT = Path(__file__).resolve().parents[1]
ZOO_APP = REPO_ROOT / "fixtures" / "zoo" / "djangospa"
HAR = ZOO_APP / "djangospa.har"
# a script corrected by hand (before the engine handled this app): the app is satisfiable
REFERENCE = ZOO_APP / "reference_locustfile.py"
PASSWORD = "tea-and-scones-7"  # alice's password in the recording (and the app's default)
USERS = 3

pytestmark = [pytest.mark.e2e]


def _app(**kwargs: Any) -> Any:
    from fixtures.zoo.djangospa.server import DjangoSpaApp  # repository root on sys.path

    return DjangoSpaApp(**kwargs)


def _recorded() -> dict[str, Any]:
    """What the recording handed out: the csrftoken cookies, the created report, its name."""
    entries = json.loads(HAR.read_text("utf-8"))["log"]["entries"]
    tokens = [c.split("=", 1)[1].split(";", 1)[0]
              for e in entries for h in e["response"]["headers"]
              if h["name"].lower() == "set-cookie" and (c := h["value"]).startswith("csrftoken=")]
    create = next(e for e in entries if e["request"]["method"] == "POST"
                  and urlsplit(e["request"]["url"]).path == "/api/reports")
    return {"tokens": tokens, "origin": "{0.scheme}://{0.netloc}".format(
                urlsplit(entries[0]["request"]["url"])),
            "name": json.loads(create["request"]["postData"]["text"])["name"],
            "id": json.loads(create["response"]["content"]["text"])["id"]}


RECORDED = _recorded()


def _convert(**options: Any) -> Result:
    return convert(HAR, Options(think_time=ThinkTime("none"), **options))


def _password_env(result: Result) -> dict[str, str]:
    """The environment variable the conversion named for the recorded password."""
    names = [s.env for s in result.scenario.secrets if s.kind == "password"]
    assert len(names) == 1, result.scenario.secrets
    return {names[0]: PASSWORD}


@dataclass
class Run:
    """One Locust run against one fresh app process, and what the server says it did."""

    locust: LocustRun
    state: dict[str, Any]
    url: str

    def explain(self) -> str:
        keys = ("logins", "failed_logins", "logouts", "created", "updated", "deleted",
                "rejections", "sentinels_intact")
        return f"{self.locust.explain()}\nserver: {({k: self.state[k] for k in keys})}"

    def requests(self, path_suffix: str) -> tuple[int, int]:
        """(requests, failures) of the request name ending with ``path_suffix``."""
        return next(v for name, v in self.locust.final.items() if name.endswith(path_suffix))


def _run(result: Result, tmp: Path, seconds: int, app: Any | None = None) -> Run:
    """Run the script against ``app``, or against a fresh instance started for this run."""
    if app is None:
        with _app() as fresh:
            return _run(result, tmp, seconds, fresh)
    assert urlsplit(app.url).port != urlsplit(RECORDED["origin"]).port
    script = tmp / "locustfile.py"
    script.write_text(result.code, encoding="utf-8")
    run = locust_headless(script, app.url, tmp, seconds=seconds, users=USERS,
                          extra=("--stop-timeout", "5"), env=_password_env(result))
    return Run(run, app.state(), app.url)


@pytest.fixture(scope="module")
def converted() -> Result:
    return _convert()


@pytest.fixture(scope="module")
def fresh_run(converted: Result, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(converted, tmp_path_factory.mktemp("djangospa-fresh"), 15)


@pytest.fixture(scope="module")
def uncorrelated_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(_convert(correlate=False), tmp_path_factory.mktemp("djangospa-raw"), 5)


@pytest.fixture(scope="module")
def wrong_password_app() -> Iterator[Any]:
    """An instance where alice's password is not the recorded one (shared by c and d)."""
    with _app(password="not-" + PASSWORD) as app:
        yield app


@pytest.fixture(scope="module")
def wrong_password_run(converted: Result, wrong_password_app: Any,
                       tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(converted, tmp_path_factory.mktemp("djangospa-pw"), 6, wrong_password_app)


# --- the generated code: one test per pattern, no server needed ---------------------------------


def _strings(code: str) -> list[str]:
    return [n.value for n in ast.walk(ast.parse(code))
            if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_the_recording_is_what_the_tests_assume(converted: Result) -> None:
    assert len(RECORDED["tokens"]) == 2  # step 1 sets csrftoken, the login rotates it
    assert RECORDED["tokens"][0] != RECORDED["tokens"][1]
    assert RECORDED["name"].startswith("Report ") and RECORDED["name"][7:].isdigit()
    assert converted.report.steps == 8


def test_csrf_header_comes_from_the_live_cookie(converted: Result) -> None:
    strings = _strings(converted.code)
    assert not [t for t in RECORDED["tokens"] if t in strings]


def test_report_name_is_made_fresh(converted: Result) -> None:
    epoch = RECORDED["name"].removeprefix("Report ")
    assert not [s for s in _strings(converted.code) if epoch in s]


def test_report_id_comes_from_the_create(converted: Result) -> None:
    by_id = [c for c in converted.report.correlations if c["preview"] == str(RECORDED["id"])]
    assert [(c["source_step"], c["used_by"]) for c in by_id] == [(4, [6, 7])], by_id


def test_client_constant_kind_stays_literal(converted: Result) -> None:
    create = [c for c in request_calls(converted.code)
              if c.func.attr == "post" and ast.literal_eval(c.args[0]) == "/api/reports"]
    body = next(k.value for k in create[0].keywords if k.arg == "json")
    assert isinstance(body, ast.Dict)
    kind = next(v for k, v in zip(body.keys, body.values, strict=True)
                if isinstance(k, ast.Constant) and k.value == "kind")
    assert isinstance(kind, ast.Constant) and kind.value == "weekly", ast.unparse(kind)


def test_request_id_is_a_fresh_uuid_and_update_checks_the_body(converted: Result) -> None:
    assert [c["used_by"] for c in converted.report.correlations
            if c["how"] == "generated (uuid4)"] == [[6]]
    # the update's refusal is HTTP 200 {"ok": false, "error": "stale"}: only a body check sees it
    patch = next(c for c in request_calls(converted.code) if c.func.attr == "patch")
    assert "catch_response" in {k.arg for k in patch.keywords}
    assert "('ok', True)" in converted.code.replace('"', "'")


# --- a. the generated script against a fresh instance --------------------------------------------


# The checks are functions so that tests/test_zoo_recorded_port.py can make them too.


def assert_no_failures(run: Run) -> None:
    assert run.locust.requests > 0, run.explain()
    assert run.locust.failed == 0, run.explain()
    assert run.locust.exceptions == [], run.explain()
    assert run.state["rejections"] == {}, run.explain()  # no CSRF, duplicate, stale refusal


def assert_whole_lifecycle(run: Run, users: int) -> None:
    state, explain = run.state, run.explain()
    logins = state["logins"].get("alice", 0)
    assert logins >= users, explain
    # every iteration: login, create, update, delete, logout of its own report
    assert state["created"] == state["updated"] == state["deleted"] == {"alice": logins}, explain
    assert state["logouts"] == {"alice": logins}, explain
    assert len(set(state["request_ids"])) == logins, explain
    mine = [r for r in state["reports"] if r["owner"] == "alice" and r["name"].startswith("Report")]
    assert len(mine) == logins and all(r["trashed"] and r["status"] == "final" for r in mine)


def assert_sentinels_alone(run: Run) -> None:
    state = run.state
    assert state["sentinels_intact"], run.explain()
    bobs = [r for r in state["reports"] if r["owner"] == "bob"]
    assert bobs == [s | {"trashed": False} for s in state["sentinels"] if s["owner"] == "bob"]
    assert state["failed_logins"] == {}, run.explain()


def test_fresh_instance_replays_without_failures(fresh_run: Run) -> None:
    assert_no_failures(fresh_run)


def test_fresh_instance_sees_the_whole_lifecycle(fresh_run: Run) -> None:
    assert_whole_lifecycle(fresh_run, USERS)


def test_fresh_instance_leaves_the_sentinels_alone(fresh_run: Run) -> None:
    assert_sentinels_alone(fresh_run)


# --- b. without correlation the replay fails --------------------------------------------------


def test_without_correlation_the_replay_fails(uncorrelated_run: Run) -> None:
    run, state = uncorrelated_run, uncorrelated_run.state
    assert run.locust.failed > 0, run.explain()
    # the recorded report id does not exist on a fresh instance: nothing is ever deleted
    assert state["deleted"] == {} and state["updated"] == {}, run.explain()
    assert state["sentinels_intact"], run.explain()
    assert sum(state["rejections"].values()) > 0, run.explain()


# --- c. a different password: failures on every iteration, nothing created ---------------------


def test_wrong_password_fails_every_iteration_and_creates_nothing(wrong_password_run: Run) -> None:
    run, state = wrong_password_run, wrong_password_run.state
    iterations, _ = run.requests("/")
    logins, login_failures = run.requests("/api/login")
    assert iterations > 0, run.explain()
    assert logins == login_failures >= iterations - USERS, run.explain()  # in flight at the stop
    assert state["logins"] == {} and state["created"] == {}, run.explain()
    assert state["updated"] == {} and state["deleted"] == {}, run.explain()
    assert state["sentinels_intact"], run.explain()


def test_wrong_password_is_refused_for_the_password(wrong_password_run: Run) -> None:
    run, state = wrong_password_run, wrong_password_run.state
    assert state["failed_logins"].get("alice", 0) > 0, run.explain()
    assert "csrf" not in state["rejections"], run.explain()
    # answered 200 {"ok": false, "error": ...}: the step-2 body check must be what fails
    assert any(r["Name"].endswith("/api/login")
               and ("JSON" in r["Error"] or "the response has an error" in r["Error"])
               for r in run.locust.failures), run.explain()


# --- d. verify --------------------------------------------------------------------------------


@pytest.fixture
def password_env(monkeypatch: pytest.MonkeyPatch, converted: Result) -> None:
    for name, value in _password_env(converted).items():
        monkeypatch.setenv(name, value)
    # the hand-corrected reference script predates H2L_ variables: it reads PASSWORD
    monkeypatch.setenv("PASSWORD", PASSWORD)


def _verify(host: str, locustfile: Path | None = None) -> verify_core.Outcome:
    return verify_core.verify(HAR, host, Options(), locustfile=locustfile, timeout=30)


@pytest.mark.usefixtures("password_env")
def test_the_hand_corrected_reference_script_passes() -> None:
    with _app() as app:
        outcome = _verify(app.url, REFERENCE)
        state = app.state()
    assert outcome.passed, [(s.number, s.failure) for s in outcome.final.failures]
    for counter in ("logins", "created", "updated", "deleted", "logouts"):
        assert state[counter] == {"alice": 2}, state  # verify replays two iterations
    assert state["rejections"] == {} and state["sentinels_intact"], state


@pytest.mark.usefixtures("password_env")
def test_verify_passes_on_a_fresh_instance() -> None:
    with _app() as app:
        outcome = _verify(app.url)
        state = app.state()
    failures = [(s.number, s.failure) for s in outcome.final.failures]
    assert outcome.passed, failures
    assert state["created"] == state["deleted"] == {"alice": 2}, state  # two iterations


@pytest.mark.usefixtures("password_env")
def test_verify_fails_with_the_wrong_password(wrong_password_app: Any,
                                              wrong_password_run: Run) -> None:
    outcome = _verify(wrong_password_app.url)
    assert not outcome.passed
    assert outcome.final.failures[0].number == 2  # the login, not some later symptom
    assert wrong_password_app.state()["created"] == {}
