"""Zoo: Directus 10 (from npm: its Vue admin app and REST API on Express and Knex, SQLite),
replayed.

The HAR (``fixtures/zoo/directus/directus.har``, recorded in Chromium by ``record.py``) signs
alice in (``POST /auth/login`` in session mode: an HttpOnly cookie), opens the notes, creates
one (its UUID in the create's answer), comments on it (``POST /activity/comment`` naming it in
JSON), ticks it done with a new body (``PATCH /items/notes/<id>``) and signs out. The app asks
for alice's presets and notifications with her id and her role's id in the query's filters
(UUIDs the server made at bootstrap). Each test starts a fresh Directus (every id its own) and
reads the outcome from its database.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

INSTALL_TIMEOUT = 900  # the first test installs Directus (npm, its SQLite module compiled)
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(INSTALL_TIMEOUT)]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "directus" / "directus.har"
USERS, SECONDS = 2, 20


@pytest.fixture(scope="module")
def directus() -> type:
    """The launcher class; skips the module when Directus cannot be installed here."""
    from fixtures.zoo.directus import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Directus zoo app cannot run: {reason}")
    server.installed()  # once per version (about three minutes the first time)
    return server.Directus


def _password() -> str:
    from fixtures.zoo.directus.server import PASSWORD

    return PASSWORD


PASSWORD = _password()  # what test_zoo_recorded_port.py gives the script


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The script, the recorded origin and the environment variable of the password."""
    return convert_to_file(HAR, tmp_path_factory.mktemp("directus-correlated"))


def _run(script: Path, server: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         password: str = PASSWORD) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, password,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict, runs: int = 2) -> None:
    """No failure; every run of the flow made a note of its own, commented on it and ticked it
    done (at least ``runs``), no comment on any other note, bob's note as it was (also used
    by tests/test_zoo_recorded_port.py)."""
    from fixtures.zoo.directus.server import JOURNEY_DONE_BODY

    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] >= runs and state["done"] == state["created"], why
    assert state["commented"] == state["comments"] == state["created"], why
    assert state["bodies"] == [JOURNEY_DONE_BODY] and state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_directus(directus: type, script: tuple, tmp_path: Path,
                                             user_class: str) -> None:
    """The session cookie, alice's and her role's ids from her profile, the note's id from
    the create's answer: every note made, commented on and done, run after run, by two users
    at once."""
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(HAR, tmp_path, user_class=user_class)
    with directus(port=port_other_than(recorded_origin)) as server:
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends(script: tuple) -> None:
    """Alice's id and her role's from her profile (named by the resource, not the ``data``
    wrapper), the note's from the create's answer; the route of the note's page, which no
    request asked for (the app's own), with the note's id read this run, in the ``Referer``
    and in the ``last_page`` the app saves; no recorded id or the password in the flow."""
    code = script[0].read_text("utf-8")
    flow = code.split("def journey(self):")[1].split("\nclass ")[0].split("\ndef ")[0]
    for var in ("user_id", "role_id", "note_id"):
        assert f"self.{var} = from_json(" in flow, var
    assert "quote_plus(str(self.user_id))" in flow and "quote_plus(str(self.role_id))" in flow
    assert 'f"/items/notes/{self.note_id}"' in flow
    assert '"item": self.note_id,' in flow
    assert '"Referer": f"{self.origin}/admin/content/notes/{quote(str(self.note_id), ' \
        "safe='')}\"" in flow
    assert '"last_page": f"/content/notes/{quote(str(self.note_id), safe=\'\')}"' in flow
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", flow)
    assert PASSWORD not in code and "self.password" in flow


def test_a_wrong_password_fails_at_the_login_and_makes_nothing(directus: type, script: tuple,
                                                               tmp_path: Path) -> None:
    """Directus answers a wrong password 401: the login's step fails, the flow goes no
    further."""
    path, _, env_var = script
    with directus() as server:
        run = _run(path, server, tmp_path, env_var, password="not-the-password", seconds=10)
        state = server.state()
    why = _explain(run, state)
    assert state["created"] == 0 and state["comments"] == 0 and state["sentinel_intact"], why
    assert run.failed > 0 and all("POST /auth/login" in failure["Error"] and "401" in
                                  failure["Error"] for failure in run.failures), why
