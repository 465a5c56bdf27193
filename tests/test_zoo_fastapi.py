"""Zoo: FastAPI with fastapi-users' JWT login, recorded through FastAPI's own docs (Swagger UI).

``fixtures/zoo/fastapi/fastapi.har`` was recorded in Chromium on ``/docs``: "Authorize" (the
OAuth2 password form, posted with Swagger UI's ``Authorization: Basic Og==``), then "Try it
out" on ``GET /users/me``, ``POST /items/`` (the server makes the item's UUID), ``GET``,
``PATCH`` and ``DELETE /items/{item_id}`` with the id pasted from that answer, ``GET /items/``
and logout. Each test runs the generated script (real ``locust --headless``, or ``verify``)
against a fresh app on another port (a new JWT secret, a new database) and compares it with
what the server itself did (``/__state``).
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
HAR = REPO_ROOT / "fixtures" / "zoo" / "fastapi" / "fastapi.har"
PASSWORD = "wonderland-42"  # alice's password in the recording
USERS = 3

pytestmark = [pytest.mark.e2e]


def _fastapi_app(**kwargs: Any) -> Any:
    from fixtures.zoo.fastapi.server import FastAPIApp  # the repository root is on sys.path

    return FastAPIApp(**kwargs)


@pytest.fixture(scope="module")
def app() -> Iterator[Any]:
    """One fresh instance shared by the module; tests compare state before and after."""
    with _fastapi_app() as instance:
        yield instance


@pytest.fixture(scope="module")
def wrong_password_app() -> Iterator[Any]:
    with _fastapi_app(password="not-" + PASSWORD) as instance:
        yield instance


def _run(app: Any, workdir: Path, seconds: int, **options: Any) -> tuple[LocustRun, dict]:
    return replay_journey(app, HAR, workdir, seconds, users=USERS, password=PASSWORD, **options)








# --- a: the generated script replays the whole flow on a fresh server ---------------------------


@pytest.fixture(scope="module")
def replay(app: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[LocustRun, dict]:
    return _run(app, tmp_path_factory.mktemp("replay"), 12)


def test_generated_script_replays_the_swagger_ui_flow(replay: tuple[LocustRun, dict]) -> None:
    assert_full_lifecycle(*replay)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every iteration that made an item read, changed and deleted that item and
    logged out (``state``: the run's delta; also used by tests/test_zoo_recorded_port.py)."""
    why = explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    items = state["items"]
    created = nonzero(items["created"])
    assert created.get("alice", 0) > 1, why
    # an iteration stopped at the run's end may have logged in or made its item and no more
    assert nonzero(items["read"]) == nonzero(items["updated"]) == nonzero(
        items["deleted"]) == nonzero(state["logouts"]), why
    assert 0 <= created["alice"] - items["deleted"].get("alice", 0) <= USERS, why
    assert nonzero(state["failed_logins"]) == {} and nonzero(state["refused"]) == {}, why
    assert state["sentinels_intact"], why
    left = [i for i in state["current_items"] if i["owner"] == "alice"]
    assert len(left) == created["alice"] - items["deleted"].get("alice", 0), why


def test_the_token_and_the_new_items_id_come_from_the_answers_json() -> None:
    result = convert(HAR, Options())
    sources = {(row["var"], row["source_step"], row["how"]) for row in result.report.correlations}
    assert ("access_token", 3, "JSON ['access_token']") in sources, sources
    assert ("item_id", 5, "JSON ['id']") in sources, sources
    assert '"Authorization": f"Bearer {self.access_token}"' in result.code
    assert 'f"/items/{self.item_id}"' in result.code


def test_swagger_uis_empty_client_credentials_are_sent_as_recorded() -> None:
    """``Authorization: Basic Og==`` (no client id, no secret): nothing to ask for."""
    result = convert(HAR, Options())
    assert [s.kind for s in result.scenario.secrets] == ["password"]
    assert '"Authorization": "Basic Og=="' in result.code


# --- b: without correlation the flow cannot work -------------------------------------------------


@pytest.fixture(scope="module")
def uncorrelated(app: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[LocustRun, dict]:
    return _run(app, tmp_path_factory.mktemp("uncorrelated"), 5, correlate=False,
                keep_secrets=True)


def test_without_correlation_nothing_is_created_and_the_run_fails(
        uncorrelated: tuple[LocustRun, dict]) -> None:
    run, state = uncorrelated
    why = explain(run, state)
    assert run.requests > 0 and run.failed > 0, why
    assert nonzero(state["items"]["created"]) == {}, why  # the recorded JWT: another secret
    assert state["refused"].get("401 GET /users/me", 0) > 0, why
    assert state["sentinels_intact"], why


# --- c: a wrong password is reported on every iteration and creates nothing ---------------------


def test_wrong_password_fails_every_iteration_and_creates_nothing(
        wrong_password_app: Any, tmp_path: Path) -> None:
    run, state = _run(wrong_password_app, tmp_path, 5)
    why = explain(run, state)
    iterations, _ = run.final["01 /docs"]
    login_requests, login_failures = run.final["03 /auth/jwt/login"]
    assert iterations > 0 and 0 < login_requests <= iterations, why
    assert login_failures == login_requests, why  # 400 LOGIN_BAD_CREDENTIALS
    assert nonzero(state["failed_logins"]).get("alice", 0) == login_requests, why
    assert nonzero(state["logins"]) == {} and nonzero(state["items"]["created"]) == {}, why
    # the flow stopped at the login: nothing was sent with a token it did not get
    assert set(nonzero(state["refused"])) == {"400 POST /auth/jwt/login"}, why
    assert state["sentinels_intact"], why


# --- d: verify -------------------------------------------------------------------------------


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H2L_PASSWORD", PASSWORD)  # generated scripts read it from the environment


def test_verify_passes_on_a_fresh_instance(app: Any, password: None) -> None:
    before = app.state()
    outcome = verify_core.verify(HAR, app.url, Options())
    state = delta(before, app.state())
    assert outcome.passed, outcome.final.verdict()
    items = state["items"]
    assert (nonzero(items["created"]) == nonzero(items["updated"])
            == nonzero(items["deleted"]) == {"alice": 2}), state  # two iterations
    assert nonzero(state["refused"]) == {}, state
