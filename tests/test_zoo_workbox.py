"""Zoo: a notes app whose page's calls go through a Workbox 7 service worker.

The HAR (``fixtures/zoo/workbox/workbox.har``, recorded in Chromium by ``record.py`` with the
worker allowed) signs in (csrf-sync's ``CSRFToken``; the session is regenerated), opens the
notes page, whose worker (Google's Workbox: ``NetworkFirst`` for the API's reads,
``NetworkOnly`` for its writes) takes the page over, then adds a note (``POST /api/notes`` with
``x-csrf-token``, answered ``201`` with the note's id), marks it done (``PATCH``), deletes it
(``DELETE``) and signs out. Every call the page's script made is in the HAR twice: as the page
sent it (with the body it sent and the answer it got) and as the worker sent it on to the
server (``_serviceWorkerRef``, without either body). Replayed both, each iteration would add
two notes and leave one. Each test starts a fresh app (a new server process: an empty store,
new ids and session secret, another port) and reads the outcome from the app's own account.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "workbox" / "workbox.har"
PASSWORD = "workbox-lane-5"  # alice's, as recorded (server.py)
USERS, SECONDS = 3, 10
DONE = ("created", "marked_done", "deleted", "logouts")


@pytest.fixture(scope="module")
def workbox() -> type:
    from fixtures.zoo import node
    from fixtures.zoo.workbox.server import SITE, WorkboxNotes, missing

    if (why := missing()) is not None:
        pytest.skip(f"the Workbox zoo app cannot run: {why}")
    node.built("workbox", SITE, "built")  # npm ci, once per version of the site's sources
    return WorkboxNotes


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp_path_factory.mktemp("workbox"))


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         password: str = PASSWORD) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, password,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration signed in, added one note, marked it done, deleted it and
    signed out; nothing refused; no note left; bob's notes untouched (also used by
    tests/test_zoo_recorded_port.py)."""
    because = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], because
    counts = state["counts"]
    logins = counts.get("alice/logins", 0)
    assert logins > 0, because
    assert counts == {"alice/logins": logins, **{f"alice/{key}": logins for key in DONE}}, \
        because
    assert state["notes_left"] == [] and state["sentinels_intact"], because


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_app_each_call_once(workbox: type,
                                                       script: tuple[Path, str, str],
                                                       tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(HAR, tmp_path, user_class=user_class)
    with workbox(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_each_call_is_sent_once_with_the_page_s_body(script: tuple[Path, str, str]) -> None:
    """The HAR holds each of the page's calls twice; the script sends it once, with the body
    the page's entry holds (the worker's holds none), the token from the page and the id from
    the create's answer; the report counts the worker's requests left out."""
    code = script[0].read_text("utf-8")
    har = json.loads(HAR.read_text("utf-8"))
    calls = [(e["request"]["method"], urlsplit(e["request"]["url"]).path)
             for e in har["log"]["entries"] if "/api/" in e["request"]["url"]]
    assert calls.count(("POST", "/api/notes")) == 2  # the page's and the worker's
    assert code.count("self.client.post(\n                \"/api/notes\"") == 1 or \
        code.count('self.client.post("/api/notes"') == 1, code
    assert code.count("self.client.patch(") == 1 and code.count("self.client.delete(") == 1
    assert '"title": "Water the ferns"' in code
    assert '"x-csrf-token": f"{self.csrf_token}"' in code
    assert 'f"/api/notes/{self.note_id}"' in code
    assert "does not hold this request's body" not in code


def test_without_correlation_nothing_is_added(workbox: type, tmp_path: Path) -> None:
    """The recorded token belongs to a session of another start: csrf-sync refuses the
    sign-in (403), so nothing is added."""
    path, _, env_var = convert_to_file(HAR, tmp_path, correlate=False)
    with workbox() as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    because = f"{run.explain()}\nserver state: {state}"
    assert run.failed > 0 and state["counts"].get("-/csrf_refused", 0) > 0, because
    assert "alice/created" not in state["counts"] and state["sentinels_intact"], because
