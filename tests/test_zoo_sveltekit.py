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

import notes_apps
import pytest
from conftest import convert_to_file

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "sveltekit" / "sveltekit.har"
PASSWORD = notes_apps.PASSWORD
assert_full_lifecycle = notes_apps.assert_full_lifecycle  # for tests/test_zoo_recorded_port.py


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


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_app(notes_app: type, script: tuple[Path, str, str],
                                        tmp_path: Path, user_class: str) -> None:
    notes_apps.replays_on_a_fresh_app(notes_app, HAR, script, tmp_path, user_class)


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
    notes_apps.refused_delete(
        notes_app, script, tmp_path, "09 /notes/{note_id}",
        "expected JSON keys ['location'] (got ['data', 'status', 'type'])")


def test_without_correlation_the_delete_finds_nothing(notes_app: type, tmp_path: Path) -> None:
    notes_apps.without_correlation_the_delete_finds_nothing(notes_app, HAR, tmp_path)
