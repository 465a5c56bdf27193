"""Zoo: a notes app on SvelteKit 2's form actions, replayed by the generated script.

The HAR (``fixtures/zoo/sveltekit/sveltekit.har``, recorded in Chromium by ``record.py``) signs
in, adds two notes and deletes the second, and signs out, each with a form action that
SvelteKit's script posts (``x-sveltekit-action: true``) and SvelteKit answers 200 with JSON:
``{"type": "redirect", "location": "/notes/<uuid>"}`` after an add (the note's id, made by the
server, is only there), ``{"type": "failure", …}`` when an action refuses. Each page's data
comes from ``__data.json``. Each test starts a fresh app (a new server process: an empty store,
new UUIDs, another port, its ``ORIGIN``) and reads the outcome from the app's own account.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "sveltekit" / "sveltekit.har"
PASSWORD = "looking-glass-7"  # alice's, as recorded (fixtures/zoo/sveltekit/server.py)
SENTINELS = ["bob's chair", "bob's desk", "bob's lamp"]
USERS, SECONDS = 3, 10


@pytest.fixture(scope="module")
def notes_app() -> type:
    from fixtures.zoo.sveltekit.server import SvelteNotes, built_app, missing

    if (why := missing()) is not None:
        pytest.skip(f"the SvelteKit zoo app cannot run: {why}")
    built_app()  # npm ci and vite build, once per version of the app's sources
    return SvelteNotes


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp_path_factory.mktemp("sveltekit"))


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS
         ) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _why(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration signed in, added two notes, deleted one, signed out; nothing
    refused; bob's notes untouched (also used by tests/test_zoo_recorded_port.py)."""
    why = _why(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    counts = state["counts"]
    logins = counts.get("alice/logins", 0)
    assert logins > 0, why
    assert counts == {"alice/logins": logins, "alice/created": 2 * logins,
                      "alice/deleted": logins, "alice/logouts": logins}, why
    assert state["notes_left"] == logins and state["sentinels"] == SENTINELS, why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_app(notes_app: type, script: tuple[Path, str, str],
                                        tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(HAR, tmp_path, user_class=user_class)
    with notes_app(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_the_note_id_comes_from_the_action_s_json_redirect(
        script: tuple[Path, str, str]) -> None:
    """The id the server made is read from the answer's JSON ``location``; each action's
    answer must be the redirect it was."""
    code = script[0].read_text("utf-8")
    assert 'self.note_id = from_json_url(' in code and '("location",)' in code
    assert "uuid4()" not in code
    assert code.count('json_values=(("type", "redirect"),)') == 5  # every action


def test_a_delete_the_app_refuses_with_200_fails_its_step(
        notes_app: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """The delete finds nothing on this app: ``fail(404)``, which SvelteKit answers with
    status 200 and ``"type": "failure"``, without the ``location`` a redirect has. The check of
    the answer's keys (then of its type) fails the step."""
    path, _, env_var = script
    with notes_app(refuse_deletes=True) as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = _why(run, state)
    counts = state["counts"]
    logins = counts.get("alice/logins", 0)
    assert logins > 0 and counts.get("alice/created") == 2 * logins, why
    assert counts.get("-/rejected_delete") == logins and "alice/deleted" not in counts, why
    assert run.final["09 /notes/{note_id}"] == (logins, logins), why
    assert "expected JSON keys ['location'] (got ['data', 'status', 'type'])" in run.explain(), \
        why
    assert "alice/logouts" not in counts, why


def test_without_correlation_the_delete_finds_nothing(notes_app: type, tmp_path: Path) -> None:
    path, _, env_var = convert_to_file(HAR, tmp_path, correlate=False)
    with notes_app() as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = _why(run, state)
    assert run.failed > 0 and state["counts"].get("-/rejected_delete", 0) > 0, why
    assert "alice/deleted" not in state["counts"] and state["sentinels"] == SENTINELS, why
