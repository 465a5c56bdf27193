"""Zoo: a notes app on Laravel 8's stock parts (Debian's package), replayed by the generated script.

The HAR (``fixtures/zoo/laravel/laravel.har``, recorded in Chromium by ``record.py``) logs in
(``_token``; the session regenerated with a new token), adds a note (302 to an absolute
``http://…/notes/<id>``), marks it done with axios (``X-XSRF-TOKEN``: the ``XSRF-TOKEN``
cookie, encrypted with the app's key and a new IV on every answer, sent back URL-decoded),
opens its export through the list's temporary signed link (one per note, alice's older note's
first: ``?expires=…&signature=<HMAC of the whole URL>``), saves a new text (``_method=PUT``,
``back()``), deletes it (``_method=DELETE``) and logs out. Each test starts a fresh app (a new
``APP_KEY``, database and port: every recorded cookie, token and signature is worthless) and
reads the outcome from the app's own tables.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "laravel" / "laravel.har"
PASSWORD = "artisan-brew-41"  # alice's, as recorded (server.py)
USERS, SECONDS = 2, 12
DONE = ("exports", "created", "done", "updated", "deleted", "logouts")


@pytest.fixture(scope="module")
def laravel() -> type:
    from fixtures.zoo.laravel.server import LaravelNotes, missing

    if (why := missing()) is not None:
        pytest.skip(f"the Laravel zoo app cannot run: {why}")
    return LaravelNotes


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp_path_factory.mktemp("laravel"))


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         password: str = PASSWORD) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, password,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _why(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each run of the flow logged in, added its note, marked it done, exported
    it through its own signed link, saved a new text, deleted it and logged out; nothing
    refused; the sentinels untouched (also used by tests/test_zoo_recorded_port.py)."""
    because = _why(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], because
    alice = state["alice"]
    assert alice["logins"] > 0 and alice["failed_logins"] == 0, because
    assert {key: alice[key] for key in DONE} == dict.fromkeys(DONE, alice["logins"]), because
    assert alice["left"] == 0 and state["bob"]["created"] == 0, because
    assert state["csrf_refused"] == state["bad_signature"] == 0, because
    assert state["sentinels_intact"], because


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_app(laravel: type, script: tuple[Path, str, str],
                                        tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(HAR, tmp_path, user_class=user_class)
    with laravel(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends(script: tuple[Path, str, str]) -> None:
    """The form token from the page after the log-in (the session was regenerated), the
    note's id from the add's absolute ``Location``, ``X-XSRF-TOKEN`` as the jar holds the
    cookie at that moment (URL-decoded), and both halves of the signed link read from the
    link to *this* note's export, found by its path: alice's older note's link comes first,
    with the same ``expires`` and another signature."""
    code = script[0].read_text("utf-8")
    assert code.count('"_token": self.token') == 5  # log in, add, save, delete, log out
    assert 'f"/notes/{self.note_id}/done"' in code
    assert 'decoded(\n                from_cookie(self, "XSRF-TOKEN"' in code
    assert '"X-XSRF-TOKEN": f"{self.xsrf_token}"' in code
    for name in ("expires", "signature"):
        assert f'"{name}",\n                    (("/", f"/notes/{{self.note_id}}/export"),),' \
            in code, name


def test_without_correlation_nothing_is_added(laravel: type, tmp_path: Path) -> None:
    """The recorded token belongs to a session of another start, encrypted with another
    key: ``VerifyCsrfToken`` refuses the log-in (419), so nothing is added."""
    path, _, env_var = convert_to_file(HAR, tmp_path, correlate=False)
    with laravel() as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    because = _why(run, state)
    assert run.failed > 0 and state["csrf_refused"] > 0, because
    assert state["alice"]["created"] == 0 and state["sentinels_intact"], because


def test_wrong_password_fails_the_log_in_and_adds_nothing(
        laravel: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """``Auth::attempt`` refuses: a 302 back to ``/login`` where ``/notes`` was recorded."""
    path, _, env_var = script
    with laravel(password="not-" + PASSWORD) as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    because = _why(run, state)
    attempts, failures = run.final["02 /login"]
    assert attempts > 0 and failures == attempts, because
    assert state["alice"]["failed_logins"] == attempts, because
    assert state["alice"]["created"] == 0 and state["sentinels_intact"], because
