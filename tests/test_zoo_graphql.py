"""Zoo (issue 12): a GraphQL API (ariadne) whose errors come back as HTTP 200, replayed by Locust.

``fixtures/zoo/graphql/graphql.har`` was recorded in Chromium: a fetch() page logs in with the
``Login`` mutation (its token then travels as ``X-Auth-Token``), creates, updates and deletes a
note and logs out; every call is ``POST /graphql``, told apart only by ``operationName``. A
refused operation answers ``200 {"data": {"op": null}, "errors": [...]}``. Each test runs the
generated script (real ``locust --headless``, or ``verify``) against a fresh app on another port
and compares it with what the server itself did (``/__state``): logins, notes created, updated
and deleted, operations refused, bob's sentinel notes untouched.

"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, locust_headless

# Import locust (gevent's monkey patching) at collection, before a fixture starts a thread.
import har2locust_plus.verify.core as verify_core  # noqa: I001
from har2locust_plus import Options, ThinkTime, convert

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "graphql" / "graphql.har"
PASSWORD = "wonderland-42"  # alice's password in the recording

pytestmark = [pytest.mark.e2e]


def _graphql_app(**kwargs: Any) -> Any:
    from fixtures.zoo.graphql.server import GraphQLApp  # the repository root is on sys.path

    return GraphQLApp(**kwargs)


@pytest.fixture(scope="module")
def app() -> Iterator[Any]:
    """One fresh instance shared by the module; tests compare state before and after."""
    with _graphql_app() as instance:
        yield instance


@pytest.fixture(scope="module")
def wrong_password_app() -> Iterator[Any]:
    with _graphql_app(password="not-" + PASSWORD) as instance:
        yield instance


def _run(app: Any, workdir: Path, seconds: int, **options: Any) -> tuple[LocustRun, dict]:
    """Convert, run Locust headless against ``app``; the run and what the server did."""
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))
    assert urlsplit(app.url).port != urlsplit(result.scenario.main_origin).port
    script = workdir / "locustfile.py"
    script.write_text(result.code, encoding="utf-8")
    before = app.state()
    run = locust_headless(script, app.url, workdir, seconds=seconds, users=3,
                          extra=("--stop-timeout", "5"), env={"H2L_PASSWORD": PASSWORD})
    return run, _delta(before, app.state())


def _delta(before: dict, after: dict) -> dict:
    """Counters of ``after`` minus ``before`` (nested dicts of numbers), the rest as after."""
    if isinstance(after, dict) and isinstance(before, dict):
        return {k: _delta(before.get(k, {} if isinstance(v, dict) else 0), v)
                for k, v in after.items()}
    if isinstance(after, int) and not isinstance(after, bool):
        return after - (before or 0)
    return after


def _nonzero(counter: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counter.items() if v}


def _explain(run: LocustRun, state: dict) -> str:
    summary = {k: v for k, v in state.items() if k != "current_notes"}
    return f"{run.explain()}\nserver: {summary}"


# --- a: the generated script replays the whole flow on a fresh server ---------------------------


@pytest.fixture(scope="module")
def replay(app: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[LocustRun, dict]:
    return _run(app, tmp_path_factory.mktemp("replay"), 12)


def test_generated_script_replays_the_graphql_flow(replay: tuple[LocustRun, dict]) -> None:
    assert_full_lifecycle(*replay)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration logged in, made, changed and deleted its note, logged out
    (``state``: the run's delta; also used by tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    notes, logins = state["notes"], _nonzero(state["logins"])
    assert logins.get("alice", 0) > 1, why
    assert _nonzero(notes["created"]) == _nonzero(notes["updated"]) == _nonzero(
        notes["deleted"]) == _nonzero(state["logouts"]) == logins, why
    assert _nonzero(state["rejections"]) == {}, why
    assert state["sentinels_intact"], why
    assert not [n for n in state["current_notes"] if n["owner"] == "alice"], why


def test_every_refused_operation_is_reported(replay: tuple[LocustRun, dict]) -> None:
    run, state = replay
    refused = sum(state["rejections"].values())
    assert run.failed >= refused, _explain(run, state)


# --- b: without correlation the flow cannot work -------------------------------------------------


@pytest.fixture(scope="module")
def uncorrelated(app: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[LocustRun, dict]:
    return _run(app, tmp_path_factory.mktemp("uncorrelated"), 5, correlate=False,
                keep_secrets=True)


def test_without_correlation_nothing_is_created(uncorrelated: tuple[LocustRun, dict]) -> None:
    run, state = uncorrelated
    why = _explain(run, state)
    assert run.requests > 0, why
    assert _nonzero(state["notes"]["created"]) == {}, why  # the recorded token is stale
    # the first operation that needs the token is refused, and ends each run of the flow
    assert state["rejections"].get("Notes: not authenticated", 0) > 0, why
    assert state["operations"].get("CreateNote", 0) == 0, why
    assert state["sentinels_intact"], why


def test_without_correlation_the_run_reports_failures(
        uncorrelated: tuple[LocustRun, dict]) -> None:
    run, state = uncorrelated
    assert run.failed > 0, _explain(run, state)


# --- c: a wrong password is reported on every iteration and creates nothing ---------------------


def test_wrong_password_fails_every_iteration_and_creates_nothing(
        wrong_password_app: Any, tmp_path: Path) -> None:
    run, state = _run(wrong_password_app, tmp_path, 5)
    why = _explain(run, state)
    iterations, _ = run.final["01 /"]
    login_requests, login_failures = run.final["02 /graphql (Login)"]
    assert iterations > 0 and login_requests == iterations, why
    assert login_failures == login_requests, why  # 200 {"data": {"login": null}, "errors"}
    assert _nonzero(state["failed_logins"]).get("alice", 0) == iterations, why
    assert _nonzero(state["logins"]) == {} and _nonzero(state["notes"]["created"]) == {}, why
    # the flow stopped at the login: no operation was sent with a token it did not get
    assert set(_nonzero(state["operations"])) == {"Login"}, why
    assert state["sentinels_intact"], why


# --- d: verify -------------------------------------------------------------------------------


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H2L_PASSWORD", PASSWORD)  # generated scripts read it from the environment


def test_verify_passes_on_a_fresh_instance(app: Any, password: None) -> None:
    before = app.state()
    outcome = verify_core.verify(HAR, app.url, Options())
    state = _delta(before, app.state())
    assert outcome.passed, outcome.final.verdict()
    notes = state["notes"]
    assert (_nonzero(notes["created"]) == _nonzero(notes["updated"])
            == _nonzero(notes["deleted"]) == {"alice": 2}), state  # two iterations
    assert _nonzero(state["rejections"]) == {}, state


def test_verify_fails_with_the_wrong_password(wrong_password_app: Any, password: None) -> None:
    before = wrong_password_app.state()
    outcome = verify_core.verify(HAR, wrong_password_app.url, Options())
    state = _delta(before, wrong_password_app.state())
    assert not outcome.passed
    assert outcome.final.verdict().startswith("FAIL"), outcome.final.verdict()
    assert _nonzero(state["notes"]["created"]) == {}, state


def test_verify_fails_when_the_server_refuses_with_errors_in_200(app: Any,
                                                                  password: None) -> None:
    before = app.state()
    outcome = verify_core.verify(HAR, app.url, Options(correlate=False, keep_secrets=True))
    state = _delta(before, app.state())
    assert sum(state["rejections"].values()) > 0, state  # the server did refuse
    assert not outcome.passed, outcome.final.verdict()


# --- where the conversion goes wrong (no server needed) ------------------------------------------


def _recorded_create_id() -> str:
    """The id step 4's CreateNote handed out in the recording."""
    for entry in json.loads(HAR.read_text(encoding="utf-8"))["log"]["entries"]:
        body = json.loads(entry["request"].get("postData", {}).get("text") or "{}")
        if body.get("operationName") == "CreateNote":
            return json.loads(entry["response"]["content"]["text"])["data"]["createNote"]["id"]
    raise AssertionError("no CreateNote in the recording")


def test_note_id_comes_from_the_mutation_that_created_the_note() -> None:
    report = convert(HAR, Options(think_time=ThinkTime("none"))).report
    sources = {c["source_step"] for c in report.correlations
               if c["preview"] == _recorded_create_id()}
    assert sources == {4}
