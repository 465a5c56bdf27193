"""Zoo: a notes app on Rails 6.1's stock parts (Debian's ``ruby-rails``), replayed by its script.

The HAR (``fixtures/zoo/rails/rails.har``, recorded in Chromium by ``record.py``) logs in
(``form_with``), creates a note (302 to ``/notes/<id>``), goes back to the list and destroys
the new note with its row's ``button_to``, then logs out with another ``button_to``. The app
has ``config.load_defaults 6.1``, so **per-form CSRF tokens**: each of those forms holds a
token for its own action, which another action refuses (422). The list shows alice's older
note first, and with two users each other's notes too: the token must come from the form of
*this* note (and of the log-out button), not from the form at the recorded place. Each test
starts a fresh app (a new ``secret_key_base``, database, first id and port) and reads the
outcome from the app's own tables.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "rails" / "rails.har"
PASSWORD = "rails-new-61"  # alice's, as recorded (server.py)
USERS, SECONDS = 2, 12
DONE = ("created", "deleted", "logouts")


@pytest.fixture(scope="module")
def rails() -> type:
    from fixtures.zoo.rails.server import RailsNotes, missing

    if (why := missing()) is not None:
        pytest.skip(f"the Rails zoo app cannot run: {why}")
    return RailsNotes


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp_path_factory.mktemp("rails"))


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         password: str = PASSWORD) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, password,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _why(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each run of the flow logged in, created its note, destroyed it and logged
    out; no token refused; the sentinels untouched (also used by
    tests/test_zoo_recorded_port.py)."""
    because = _why(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], because
    alice = state["alice"]
    assert alice["logins"] > 0 and alice["failed_logins"] == 0, because
    assert {key: alice[key] for key in DONE} == dict.fromkeys(DONE, alice["logins"]), because
    assert alice["left"] == 0 and state["bob"]["created"] == 0, because
    assert state["csrf_refused"] == 0 and state["sentinels_intact"], because


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_app(rails: type, script: tuple[Path, str, str],
                                        tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(HAR, tmp_path, user_class=user_class)
    with rails(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends(script: tuple[Path, str, str]) -> None:
    """The destroy's token from the form of the note this run made, the log-out's from the
    log-out form, each found by its action; the note's id from the create's ``Location``."""
    code = script[0].read_text("utf-8")
    assert '(("/", f"/notes/{self.note_id}"),)' in code
    assert '(("/", "/logout"),)' in code
    assert code.count(" = from_form(\n") == 2  # the two reads (not the helper's own def)
    assert "[2]" not in code  # no token read from the form at the recorded place


def test_without_correlation_nothing_is_created(rails: type, tmp_path: Path) -> None:
    """The recorded login token is another session's: Rails refuses it (422), so nothing is
    made."""
    path, _, env_var = convert_to_file(HAR, tmp_path, correlate=False)
    with rails() as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    because = _why(run, state)
    assert run.failed > 0 and state["csrf_refused"] > 0, because
    assert state["alice"]["logins"] == state["alice"]["created"] == 0, because
    assert state["sentinels_intact"], because


def test_wrong_password_fails_the_log_in_and_creates_nothing(
        rails: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """The log-in refuses: a 302 back to ``/login`` where ``/notes`` was recorded."""
    path, _, env_var = script
    with rails(password="not-" + PASSWORD) as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    because = _why(run, state)
    attempts, failures = run.final["02 /login"]
    assert attempts > 0 and failures == attempts, because
    assert state["alice"]["failed_logins"] == attempts, because
    assert state["alice"]["created"] == 0 and state["sentinels_intact"], because
