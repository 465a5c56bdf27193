"""Zoo: Trac 1.6 with TracAccountManager's login form, replayed by the generated script.

The HAR (``fixtures/zoo/trac/trac.har``, recorded in Chromium by ``record.py``) logs in
(``__FORM_TOKEN``, the value of the ``trac_form_token`` cookie), creates a ticket ``Zoo ticket
<epoch ms>`` (303 to ``/ticket/<id>``), comments on it and resolves it as fixed (``start_time`` /
``view_time``: the ticket's last change in microseconds, Trac's mid-air collision check; 303 to
``/ticket/<id>#comment:1``) and logs out (a POST form; Trac sends the user back to the page the
``Referer`` names, the ticket). Each test starts a fresh tracker (a new environment and
sessions, ticket ids after bob's sentinel at a random id, another port) and reads the outcome
from the server: the tickets in Trac's database, what Trac answered to each POST.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "trac" / "trac.har"
PASSWORD = "looking-glass-77"  # alice's, as recorded (fixtures/zoo/trac/app.py)
USERS, SECONDS = 3, 10


@pytest.fixture(scope="module")
def trac_app() -> type:
    """The launcher class; skips the module when Trac is not installed."""
    from fixtures.zoo.trac import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Trac zoo app cannot run: {reason}")
    return server.TracApp


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("trac"))


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS
         ) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration logged in, created its ticket, commented on it and resolved
    it, and logged out; nothing refused; bob's ticket untouched (also used by
    tests/test_zoo_recorded_port.py)."""
    why = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    logins = state["answers"].get("POST /login 303", 0)
    assert logins > 0 and "POST /login 200" not in state["answers"], why
    assert state["answers"] == {"POST /login 303": logins, "POST /newticket 303": logins,
                                "POST /ticket/<id> 303": logins,
                                "POST /logout 303": logins}, why
    assert state["tickets"] == {"closed:fixed": logins}, why
    assert state["comments"] == logins and state["reporters"] == {"alice": logins}, why
    assert state["refusals"] == {}, why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_tracker(trac_app: type, script: tuple[Path, str, str],
                                            tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with trac_app(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_the_logout_referer_is_the_ticket_of_this_run(script: tuple[Path, str, str]) -> None:
    """Trac's logout sends the user back to the ``Referer``: the recorded ticket id there
    would be a 404 on a fresh tracker; the script sends the ticket it created."""
    code = script[0].read_text("utf-8")
    logout = code.split('"/logout"')[1].split("catch_response")[0]
    assert '"Referer": f"{self.origin}/ticket/{self.ticket_id}"' in logout
    # the mid-air collision check's times come from the ticket page of this run
    assert '"start_time": self.' in code and '"view_time": self.' in code


def test_without_correlation_nothing_is_created(trac_app: type, tmp_path: Path) -> None:
    path, _, env_var = _convert(tmp_path, correlate=False)
    with trac_app() as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = f"{run.explain()}\nserver state: {state}"
    assert run.failed > 0, why
    # the recorded __FORM_TOKEN is not this session's cookie: every POST refused
    assert state["refusals"].get("form_token", 0) > 0, why
    assert state["tickets"] == {} and state["sentinel_intact"], why


def test_wrong_password_fails_every_iteration_and_creates_nothing(
        trac_app: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    path, _, env_var = script
    with trac_app(password="not-the-recorded-one") as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = f"{run.explain()}\nserver state: {state}"
    attempts = state["answers"].get("POST /login 200", 0)
    assert attempts > 0 and state["refusals"].get("wrong_password") == attempts, why
    assert "POST /login 303" not in state["answers"], why
    assert run.final["03 /login"] == (attempts, attempts), why  # the login step failed
    assert state["tickets"] == {} and state["sentinel_intact"], why
