"""Zoo: a notes app on Next.js's App Router, replayed by the generated script.

The HAR (``fixtures/zoo/nextjs/nextjs.har``, recorded in Chromium by ``record.py``) signs in,
adds two notes and deletes the second, and signs out, each with a server action: React's script
posts the form as ``multipart/form-data`` with a ``Next-Action`` header, and the answer (RSC,
status 200) names where to go next in ``x-action-redirect`` (``/notes/<uuid>;push`` after an
add: the note's id, made by the server, is only there). A ``<Link>`` fetches the list's RSC
payload. Each test starts a fresh app (a new server process: an empty store, new UUIDs,
another port) and reads the outcome from the app's own account.
"""

from __future__ import annotations

from pathlib import Path

import notes_apps
import pytest
from conftest import convert_to_file

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "nextjs" / "nextjs.har"
PASSWORD = notes_apps.PASSWORD
assert_full_lifecycle = notes_apps.assert_full_lifecycle  # for tests/test_zoo_recorded_port.py


@pytest.fixture(scope="module")
def notes_app() -> type:
    from fixtures.zoo.nextjs.server import NextNotes, built_app, missing

    if (why := missing()) is not None:
        pytest.skip(f"the Next.js zoo app cannot run: {why}")
    built_app()  # npm ci and next build, once per version of the app's sources
    return NextNotes


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp_path_factory.mktemp("nextjs"))


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_app(notes_app: type, script: tuple[Path, str, str],
                                        tmp_path: Path, user_class: str) -> None:
    notes_apps.replays_on_a_fresh_app(notes_app, HAR, script, tmp_path, user_class)


def test_the_note_id_comes_from_the_action_s_redirect(script: tuple[Path, str, str]) -> None:
    """The id the server made is read from x-action-redirect, not made up as a client's UUID;
    the forms go as multipart; where each action sends the script is checked."""
    code = script[0].read_text("utf-8")
    assert 'from_header_url(\n' in code and '"x-action-redirect",' in code
    assert "uuid4()" not in code
    assert 'files=[("_1_title", (None, "milk")), ("0", (None, \'["$K1"]\'))]' in code
    assert 'redirect_header=("x-action-redirect", r"/notes/[^/?#]+(\\?.*)?")' in code
    assert 'redirect_header=("x-action-redirect", r"/notes(\\?.*)?"),\n' in code
    assert 'query_names=("deleted",),' in code


def test_an_action_that_throws_fails_its_step(notes_app: type, script: tuple[Path, str, str],
                                              tmp_path: Path) -> None:
    """Adding "eggs" throws in the server action: Next answers 500; nothing after it is sent."""
    path, _, env_var = script
    with notes_app(failing_title="eggs") as app:
        run = notes_apps.run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = notes_apps.why(run, state)
    counts = state["counts"]
    logins = counts.get("alice/logins", 0)
    assert logins > 0 and counts.get("alice/created") == logins, why  # "milk" only
    assert run.final["5 /notes"] == (logins, logins), why
    assert "alice/deleted" not in counts and "alice/logouts" not in counts, why


def test_a_delete_the_app_refuses_with_200_fails_its_step(
        notes_app: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """The delete finds nothing on this app: the action answers 200, as a delete that worked
    does, but sends the script to /notes?missing=1, not /notes?deleted=1. The check of its
    x-action-redirect fails the step, with a message that says where it went."""
    notes_apps.refused_delete(
        notes_app, script, tmp_path, "6 /notes/{note_id}",
        "expected the x-action-redirect header to name /notes?deleted=*, "
        "got /notes?missing=1;push (no deleted)")


def test_without_correlation_the_delete_finds_nothing(notes_app: type, tmp_path: Path) -> None:
    notes_apps.without_correlation_the_delete_finds_nothing(notes_app, HAR, tmp_path)
