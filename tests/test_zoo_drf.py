"""Zoo: a Django REST framework API used through DRF's own browsable API, replayed by Locust.

``fixtures/zoo/drf/drf.har`` was recorded in Chromium: DRF's login form (Django's
``LoginView``), the tickets list, its HTML form's "POST" (``201``, the new ticket's ``url`` in
``Location`` and on the page), the ticket's page, "PUT" and "DELETE" (sent by DRF's script with
``X-CSRFToken``), the list and "Log out" (a ``POST`` form). Each test runs the generated script
(real ``locust --headless``, or ``verify``) against a fresh app on another port and compares it
with the server's own state (``/__state``).
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
HAR = REPO_ROOT / "fixtures" / "zoo" / "drf" / "drf.har"
PASSWORD = "api-of-tickets-7"  # alice's password in the recording
USERS = 3

pytestmark = [pytest.mark.e2e]


def _drf_app(**kwargs: Any) -> Any:
    from fixtures.zoo.drf.server import DrfApp  # the repository root is on sys.path

    return DrfApp(**kwargs)


@pytest.fixture(scope="module")
def app() -> Iterator[Any]:
    with _drf_app() as instance:
        yield instance


def _run(app: Any, workdir: Path, seconds: int, **options: Any) -> tuple[LocustRun, dict]:
    return replay_journey(app, HAR, workdir, seconds, users=USERS, password=PASSWORD, **options)








# --- a: the generated script replays the whole flow on a fresh server ---------------------------


@pytest.fixture(scope="module")
def replay(app: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[LocustRun, dict]:
    return _run(app, tmp_path_factory.mktemp("replay"), 12)


def test_generated_script_replays_the_browsable_api_flow(
        replay: tuple[LocustRun, dict]) -> None:
    assert_full_lifecycle(*replay)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration's ticket made, changed and deleted, only alice's
    (``state``: the run's delta; also used by tests/test_zoo_recorded_port.py)."""
    why = explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    tickets = state["tickets"]
    created, deleted = nonzero(tickets["created"]), nonzero(tickets["deleted"])
    assert set(created) == {"alice"} and created["alice"] > 1, why
    assert set(deleted) == {"alice"} and 0 <= created["alice"] - deleted["alice"] <= USERS, why
    assert set(nonzero(tickets["updated"])) == {"alice"}, why
    assert nonzero(state["logouts"]).get("alice", 0) > 0, why
    assert nonzero(state["rejections"]) == {} and nonzero(state["errors"]) == {}, why
    assert nonzero(state["failed_logins"]) == {} and state["sentinels_intact"], why


def test_the_new_tickets_id_comes_from_the_201s_location() -> None:
    result = convert(HAR, Options())
    rows = {(row["var"], row["source_step"], row["how"]): row["used_by"]
            for row in result.report.correlations}
    assert rows.get(("ticket_id", 4, "Location segment 3")) == [5, 6, 7], rows


# --- b: without correlation nothing is created ---------------------------------------------------


def test_without_correlation_nothing_is_created(app: Any, tmp_path: Path) -> None:
    run, state = _run(app, tmp_path, 5, correlate=False, keep_secrets=True)
    why = explain(run, state)
    assert run.requests > 0 and run.failed > 0, why
    assert nonzero(state["tickets"]["created"]) == {}, why
    assert nonzero(state["rejections"]).get("csrf", 0) > 0, why  # the recorded tokens
    assert state["sentinels_intact"], why


# --- c: a wrong password is reported on every iteration and creates nothing ---------------------


def test_wrong_password_fails_every_iteration_and_creates_nothing(tmp_path: Path) -> None:
    with _drf_app(password="not-" + PASSWORD) as wrong:
        run, state = _run(wrong, tmp_path, 5)
    why = explain(run, state)
    iterations, _ = run.final["01 /api-auth/login/"]
    logins, failed = run.final["02 /api-auth/login/"]
    assert iterations > 0 and 0 < logins <= iterations and failed == logins, why
    assert nonzero(state["failed_logins"]).get("alice", 0) == logins, why
    assert nonzero(state["tickets"]["created"]) == {}, why


# --- d: verify -------------------------------------------------------------------------------


def test_verify_passes_on_a_fresh_instance(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H2L_PASSWORD", PASSWORD)
    before = app.state()
    outcome = verify_core.verify(HAR, app.url, Options())
    state = delta(before, app.state())
    assert outcome.passed, outcome.final.verdict()
    tickets = state["tickets"]
    assert (nonzero(tickets["created"]) == nonzero(tickets["updated"])
            == nonzero(tickets["deleted"]) == {"alice": 2}), state  # two iterations
