"""Zoo: a notes site on Express 4 and its stock middleware, replayed by the generated script.

The HAR (``fixtures/zoo/express/express.har``, recorded in Chromium by ``record.py``) signs in
with passport-local (csrf-sync's ``CSRFToken`` in the form; the session is regenerated: a new
``connect.sid`` and a new token), adds a note (302 to ``/notes/<24 hex digits>``), marks it
done by the page's script (``PATCH /api/notes/<id>`` with ``x-csrf-token`` from ``<meta
name="csrf-token">``), saves a new text (``POST /notes/<id>?_method=PUT``, method-override,
answered by Express's ``res.redirect("back")``: to the ``Referer``), deletes it
(``?_method=DELETE``) and signs out. Each test starts a fresh site (a new server process: an
empty store, new ids and session secret, another port) and reads the outcome from the
site's own account.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "express" / "express.har"
PASSWORD = "express-lane-9"  # alice's, as recorded (server.py)
USERS, SECONDS = 3, 10
DONE = ("created", "marked_done", "updated", "deleted", "logouts")


@pytest.fixture(scope="module")
def express() -> type:
    from fixtures.zoo import node
    from fixtures.zoo.express.server import SITE, ExpressNotes, missing

    if (why := missing()) is not None:
        pytest.skip(f"the Express zoo app cannot run: {why}")
    node.built("express", SITE, "built")  # npm ci, once per version of the site's sources
    return ExpressNotes


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp_path_factory.mktemp("express"))


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         password: str = PASSWORD) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, password,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _why(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration signed in, added its note, marked it done, saved it,
    deleted it and signed out; nothing refused; bob's notes untouched (also used by
    tests/test_zoo_recorded_port.py)."""
    because = _why(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], because
    counts = state["counts"]
    logins = counts.get("alice/logins", 0)
    assert logins > 0, because
    assert counts == {"alice/logins": logins, **{f"alice/{key}": logins for key in DONE}}, \
        because
    assert state["notes_left"] == [] and state["sentinels_intact"], because


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_site(express: type, script: tuple[Path, str, str],
                                         tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(HAR, tmp_path, user_class=user_class)
    with express(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_the_token_comes_from_the_page_after_sign_in_and_the_id_from_the_redirect(
        script: tuple[Path, str, str]) -> None:
    """The sign-in regenerates the session, so its token is another from then on: the forms
    and the script's ``x-csrf-token`` send the one the notes page hands out; the note's id is
    the add's ``Location``, sent in paths, the forms' ``?_method=`` URLs and the API's."""
    code = script[0].read_text("utf-8")
    assert code.count('"CSRFToken": self.csrf_token') == 5  # sign-in, add, save, delete, out
    assert '"x-csrf-token": f"{self.csrf_token}"' in code
    assert 'f"/notes/{self.note_id}?_method=PUT"' in code
    assert 'f"/api/notes/{self.note_id}"' in code


def test_without_correlation_nothing_is_added(express: type, tmp_path: Path) -> None:
    """The recorded tokens belong to sessions of another start: csrf-sync refuses the
    sign-in (403), so nothing is added."""
    path, _, env_var = convert_to_file(HAR, tmp_path, correlate=False)
    with express() as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    because = _why(run, state)
    assert run.failed > 0 and state["counts"].get("-/csrf_refused", 0) > 0, because
    assert "alice/created" not in state["counts"] and state["sentinels_intact"], because


def test_wrong_password_fails_every_iteration_and_adds_nothing(
        express: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """passport-local refuses: a 302 to ``/login?failed=1`` where ``/notes`` was recorded."""
    path, _, env_var = script
    with express(password="not-" + PASSWORD) as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    because = _why(run, state)
    attempts, failures = run.final["02 /login"]
    assert attempts > 0 and failures == attempts, because
    assert state["counts"].get("alice/failed_logins", 0) == attempts, because
    assert "alice/created" not in state["counts"] and state["sentinels_intact"], because
