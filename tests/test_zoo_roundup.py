"""Zoo: the Roundup issue tracker 2.6 (its ``classic`` tracker), replayed by the generated script.

The HAR (``fixtures/zoo/roundup/roundup.har``, recorded in Chromium by ``record.py``) logs in
through the start page's box (``@action=Login`` and a single-use ``@csrf`` nonce), creates an
issue ``Zoo issue <epoch ms>`` with a first message (a multipart form; 302 to the new issue's
designator, ``issue<id>?@ok_message=…``), adds a second message and sets the status
(``@lastactivity``: Roundup's mid-air collision check) and logs out (a link,
``?@action=logout``). Roundup checks each POST's nonce (once, for this session and user), and
its ``Referer``, ``Origin`` and ``Host`` against the tracker's address. Each test starts a
fresh tracker (new sessions, issue and message ids from random bases, another port) and reads
the outcome from the server: the issues and messages in Roundup's database, what Roundup
answered to each action.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "roundup" / "roundup.har"
PASSWORD = "looking-glass-77"  # alice's, as recorded (fixtures/zoo/roundup/app.py)
USERS, SECONDS = 3, 10


@pytest.fixture(scope="module")
def roundup_app() -> type:
    """The launcher class; skips the module when Roundup is not installed."""
    from fixtures.zoo.roundup import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Roundup zoo app cannot run: {reason}")
    return server.RoundupApp


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("roundup"))


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS
         ) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration logged in, created its issue, changed it, and logged out;
    nothing refused; the sentinel untouched (also used by tests/test_zoo_recorded_port.py)."""
    why = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    logins = state["answers"].get("POST / Login 302", 0)
    assert logins > 0, why
    assert state["answers"] == {"POST / Login 302": logins, "POST /issue new 302": logins,
                                "POST /issue<id> edit 302": logins,
                                "GET /issue<id> logout 302": logins}, why
    assert state["issues"] == {"in-progress": logins}, why
    assert state["messages"] == 2 * logins and state["creators"] == {"alice": logins}, why
    assert state["refusals"] == {}, why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_tracker(roundup_app: type, script: tuple[Path, str, str],
                                            tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with roundup_app(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_without_correlation_nothing_is_created(roundup_app: type, tmp_path: Path) -> None:
    path, _, env_var = _convert(tmp_path, correlate=False)
    with roundup_app() as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = f"{run.explain()}\nserver state: {state}"
    assert run.failed > 0, why
    # the recorded nonce was never this session's: the login is refused, nothing is created
    assert state["refusals"].get("csrf", 0) > 0, why
    assert state["issues"] == {} and state["sentinel_intact"], why


def test_wrong_password_fails_every_iteration_and_creates_nothing(
        roundup_app: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """Roundup answers a wrong password with the same 302 as a login, to the same page, with
    ``@error_message=Invalid login`` where the recording had ``@ok_message=Welcome alice!``:
    the login step fails, naming the error, and nothing after it is sent."""
    path, _, env_var = script
    with roundup_app(password="not-the-recorded-one") as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = f"{run.explain()}\nserver state: {state}"
    attempts = state["answers"].get("POST / Login 302", 0)
    assert attempts > 0 and state["refusals"].get("wrong_password", 0) > 0, why
    assert run.final["03 / (@action=Login)"] == (attempts, attempts), why  # every login step failed
    assert "(an error: @error_message=Invalid login)" in run.explain(), why
    assert set(state["answers"]) == {"POST / Login 302"}, why  # nothing after the login
    assert state["issues"] == {} and state["sentinel_intact"], why


def test_the_script_checks_the_login_s_redirect_by_its_query_and_names_no_recorded_id(
        script: tuple[Path, str, str]) -> None:
    code = script[0].read_text("utf-8")
    login = code.split('"step 3 POST / (@action=Login)"')[1].split("with self.client")[0]
    assert 'location=r"/(\\?.*)?"' in login and 'query_names=("@ok_message",)' in login
    # the new issue's designator is read from the create's Location, not its recorded number;
    # the methods are named by route words, never by the recorded designator (issue28671)
    journey = code.split("def journey(self):")[1].split("\n    def ")[0]
    assert "self.id = from_location(" in code and "28671" not in journey
    assert "self.post_issue_edit()" in journey and "self.issue_logout()" in journey
