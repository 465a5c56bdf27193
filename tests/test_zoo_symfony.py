"""Zoo: a notes app on Symfony 5.4's stock parts (Debian's package), replayed by its script.

The HAR (``fixtures/zoo/symfony/symfony.har``, recorded in Chromium by ``record.py``) logs in
through the security bundle's form login (``_csrf_token``), creates a note through the Form
component (``note[title]``, ``note[_token]``; 303 to ``/note/<id>``), edits it (303 to the
list), opens it from the list (alice's older note first) and deletes it (``_method=DELETE``
and ``_token``, the token of that note's id), then logs out. Every CSRF token is randomized on
each render. Each test starts a fresh app (a new ``APP_SECRET``, session store, database and
port) and reads the outcome from the app's own tables. make:crud's delete ignores a stale
token and redirects to the list all the same: only the list itself shows the note is still
there.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "symfony" / "symfony.har"
PASSWORD = "console-make-62"  # alice's, as recorded (server.py)
USERS, SECONDS = 2, 12
DONE = ("created", "updated", "deleted", "logouts")


@pytest.fixture(scope="module")
def symfony() -> type:
    from fixtures.zoo.symfony.server import SymfonyNotes, missing

    if (why := missing()) is not None:
        pytest.skip(f"the Symfony zoo app cannot run: {why}")
    return SymfonyNotes


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp_path_factory.mktemp("symfony"))


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         password: str = PASSWORD) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, password,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _why(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each run of the flow logged in, created its note, updated it, deleted it
    and logged out; nothing refused; the sentinels untouched (also used by
    tests/test_zoo_recorded_port.py)."""
    because = _why(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], because
    alice = state["alice"]
    assert alice["logins"] > 0 and alice["failed_logins"] == 0, because
    assert {key: alice[key] for key in DONE} == dict.fromkeys(DONE, alice["logins"]), because
    assert alice["left"] == 0 and state["bob"]["created"] == 0, because
    assert state["csrf_refused"] == state["form_refused"] == 0, because
    assert state["sentinels_intact"], because


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_app(symfony: type, script: tuple[Path, str, str],
                                        tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(HAR, tmp_path, user_class=user_class)
    with symfony(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends(script: tuple[Path, str, str]) -> None:
    """Each token from the page whose form sends it (a new randomized text every time): the
    login's, the new and the edit forms' ``note[_token]``, the delete form's ``_token``; the
    note's id from the create's ``Location``."""
    code = script[0].read_text("utf-8")
    assert '"_csrf_token": self.csrf_token' in code
    assert code.count('"note[_token]": self.note_token') == 2
    assert 'data={"_method": "DELETE", "_token": self.token}' in code
    assert 'f"/note/{self.note_id}/edit"' in code


def test_without_correlation_nothing_is_created(symfony: type, tmp_path: Path) -> None:
    """The recorded login token is another session's: the login is refused (302 back to
    ``/login``), so nothing is made."""
    path, _, env_var = convert_to_file(HAR, tmp_path, correlate=False)
    with symfony() as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    because = _why(run, state)
    assert run.failed > 0 and state["alice"]["failed_logins"] > 0, because
    assert state["alice"]["created"] == 0 and state["sentinels_intact"], because


def test_wrong_password_fails_the_log_in_and_creates_nothing(
        symfony: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """The form login refuses: a 302 back to ``/login`` where ``/note/`` was recorded."""
    path, _, env_var = script
    with symfony(password="not-" + PASSWORD) as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    because = _why(run, state)
    attempts, failures = run.final["02 /login"]
    assert attempts > 0 and failures == attempts, because
    assert state["alice"]["failed_logins"] == attempts, because
    assert state["alice"]["created"] == 0 and state["sentinels_intact"], because


def test_a_delete_the_app_ignores_fails_the_step(symfony: type, script: tuple[Path, str, str],
                                                  tmp_path: Path) -> None:
    """make:crud's delete answers a stale token as it answers a good one: 303 to the list.
    The list it lands on still shows the note (its link), which the recorded list after the
    delete did not: the step fails, the note stays."""
    path, _, env_var = script
    with symfony(refuse_deletes=True) as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    because = _why(run, state)
    attempts, failures = run.final["12 /note/"]
    assert attempts > 0 and failures == attempts, because
    assert state["csrf_refused"] == attempts and state["alice"]["deleted"] == 0, because
