"""Zoo: Flask-Smorest's ETags and pagination header, Flask-JWT-Extended's JWTs in cookies with
double-submit CSRF, driven by the app's own page.

``fixtures/zoo/smorest/smorest.har`` was recorded in Chromium: sign in (JWT cookies and the
readable ``csrf_access_token`` / ``csrf_refresh_token``), two pages of notes (the second by
``X-Pagination``'s ``next_page``), add a note (its id in the ``201``'s JSON), read it (its
``ETag``), change it (``PUT`` with ``If-Match``: a new ``ETag``), delete it (``If-Match`` the
``PUT``'s ``ETag``), renew the session (``POST /api/auth/refresh``: a new
``csrf_access_token``) and sign out with the new token. Each test runs the generated script
(real ``locust --headless``, or ``verify``) against a fresh app on another port (new JWT
secret, new database, ids from another random base) and compares it with what the server
itself did (``/__state``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import LocustRun
from zoo_runs import delta, explain, nonzero
from zoo_runs import replay as replay_journey

# Import locust (gevent's monkey patching) at collection, before a fixture starts a thread.
import har2locust_plus.verify.core as verify_core  # noqa: I001
from har2locust_plus import Options, convert

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "smorest" / "smorest.har"
PASSWORD = "etag-and-cookies-7"  # alice's password in the recording
USERS = 3
NOTE = "/api/notes/<int:note_id>"

pytestmark = [pytest.mark.e2e]


def _smorest_app(**kwargs: Any) -> Any:
    from fixtures.zoo.smorest.server import SmorestApp  # the repository root is on sys.path

    return SmorestApp(**kwargs)


@pytest.fixture(scope="module")
def app() -> Iterator[Any]:
    """One fresh instance shared by the module; tests compare state before and after."""
    with _smorest_app() as instance:
        yield instance


def _run(app: Any, workdir: Path, seconds: int, **options: Any) -> tuple[LocustRun, dict]:
    return replay_journey(app, HAR, workdir, seconds, users=USERS, password=PASSWORD, **options)


# --- a: the generated script replays the whole flow on a fresh server ---------------------------


@pytest.fixture(scope="module")
def replay(app: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[LocustRun, dict]:
    return _run(app, tmp_path_factory.mktemp("replay"), 12)


def test_generated_script_replays_the_flow(replay: tuple[LocustRun, dict]) -> None:
    assert_full_lifecycle(*replay)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every iteration that added a note read, changed and deleted that note,
    renewed its session and signed out (``state``: the run's delta; also used by
    tests/test_zoo_recorded_port.py)."""
    why = explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    created = nonzero(state["created"])
    assert created.get("alice", 0) > 1, why
    # an iteration stopped at the run's end may have stopped anywhere after its login
    done = [nonzero(state[kind]).get("alice", 0)
            for kind in ("created", "read", "updated", "deleted", "refreshes", "logouts")]
    assert done == sorted(done, reverse=True) and done[0] - done[-1] <= USERS, why
    assert nonzero(state["logins"])["alice"] - done[-1] <= USERS, why
    assert nonzero(state["refused"]) == {} and state["csrf_refused"] == 0, why
    assert nonzero(state["failed_logins"]) == {}, why
    assert len(state["notes"]["alice"]) == created["alice"] - state["deleted"]["alice"], why
    assert state["notes"]["bob"] == [] and state["old_notes_intact"], why


def test_the_csrf_tokens_come_from_the_cookie_jar_and_if_match_from_the_last_etag() -> None:
    result = convert(HAR, Options())
    sources = {(row["var"], row["source_step"], row["how"]) for row in result.report.correlations}
    assert sources == {("csrf_access_token", 5, "cookie csrf_access_token"),
                       ("note_id", 5, "JSON ['id']"),
                       ("etag", 6, "header ETag"), ("etag", 8, "header ETag"),
                       ("csrf_refresh_token", 7, "cookie csrf_refresh_token")}, sources
    code = result.code
    # the steps after the refresh (step 7) read csrf_access_token again: it set a new one
    assert code.count('from_cookie(\n                self, "csrf_access_token"') == 4, code
    assert code.count('"If-Match": f"{self.etag}"') == 2
    assert 'f"/api/notes/{self.note_id}"' in code


def test_the_put_refused_for_an_expired_token_is_left_out_and_its_retry_kept() -> None:
    """Recorded: PUT → 401 "Token has expired" → POST /api/auth/refresh → the same PUT, 200.
    A replay's token is fresh: replaying the refused PUT would update the note (200 where
    401 was recorded: the step fails) and the retry would then be refused (412: its If-Match
    names the note before the first update)."""
    result = convert(HAR, Options())
    assert dict(result.scenario.skipped) == {
        "refused for its credentials, then sent again with renewed ones": 1}
    labels = [step.label for step in result.scenario.steps]
    assert labels[5:9] == ["GET /api/notes/{note_id}", "POST /api/auth/refresh",
                           "PUT /api/notes/{note_id}", "DELETE /api/notes/{note_id}"], labels
    assert [step.response.status for step in result.scenario.steps].count(401) == 0
    assert any("entry 7 PUT /api/notes/26005 (answered 401, sent again as entry 9)" in d.message
               for d in result.scenario.diagnostics)


# --- b: without correlation the flow cannot work -------------------------------------------------


@pytest.fixture(scope="module")
def uncorrelated(app: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[LocustRun, dict]:
    return _run(app, tmp_path_factory.mktemp("uncorrelated"), 5, correlate=False)


def test_without_correlation_the_csrf_check_refuses_and_the_run_fails(
        uncorrelated: tuple[LocustRun, dict]) -> None:
    run, state = uncorrelated
    why = explain(run, state)
    assert run.requests > 0 and run.failed > 0, why
    assert nonzero(state["created"]) == {} and state["csrf_refused"] > 0, why
    assert state["refused"].get("401 POST /api/notes/", 0) > 0, why
    assert state["old_notes_intact"], why


# --- c: a wrong password is reported on every iteration and creates nothing ---------------------


def test_wrong_password_fails_every_iteration_and_creates_nothing(tmp_path: Path) -> None:
    with _smorest_app(password="not-" + PASSWORD) as wrong:
        run, state = _run(wrong, tmp_path, 5)
    why = explain(run, state)
    iterations, _ = run.final["01 /"]
    logins, login_failures = run.final["02 /api/auth/login"]
    assert iterations > 0 and 0 < logins <= iterations and login_failures == logins, why
    assert nonzero(state["failed_logins"]).get("alice", 0) == logins, why
    assert nonzero(state["logins"]) == {} and nonzero(state["created"]) == {}, why
    # the flow stopped at the login: nothing was sent with a token it did not get
    assert set(nonzero(state["refused"])) == {"401 POST /api/auth/login"}, why


# --- d: verify -------------------------------------------------------------------------------


def test_verify_passes_on_a_fresh_instance(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H2L_PASSWORD", PASSWORD)  # generated scripts read it from the environment
    before = app.state()
    outcome = verify_core.verify(HAR, app.url, Options())
    state = delta(before, app.state())
    assert outcome.passed, outcome.final.verdict()
    assert (nonzero(state["created"]) == nonzero(state["updated"]) == nonzero(state["deleted"])
            == nonzero(state["refreshes"]) == {"alice": 2}), state  # two iterations
    assert nonzero(state["refused"]) == {}, state
