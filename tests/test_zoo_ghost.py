"""Zoo: Ghost 5 (from npm, unmodified: Node.js, its Ember admin client and Admin API, on
SQLite), replayed.

The HAR (``fixtures/zoo/ghost/ghost.har``, recorded in Chromium by ``record.py``) signs in
(a session cookie; Ghost checks every state-changing call's ``Origin``), writes a new post (the
editor's first autosave creates it and answers its id; each later save sends the whole post
back with the ``updated_at`` the last answer held, which Ghost compares to refuse a stale
edit with ``409``), publishes it and signs out. Each test starts a fresh Ghost (its own ids,
set up through the Admin API) and reads the outcome from Ghost's database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

# the first test here may install Ghost (npm, native modules built from source: 3-5 minutes)
INSTALL_TIMEOUT = 900
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(INSTALL_TIMEOUT)]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "ghost" / "ghost.har"
USERS, SECONDS, FLOW_SECONDS = 2, 30, 12


@pytest.fixture(scope="module")
def ghost() -> type:
    """The launcher class; skips the module when Ghost cannot run here."""
    from fixtures.zoo.ghost import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Ghost zoo app cannot run: {reason}")
    return server.Ghost


def _password() -> str:
    from fixtures.zoo.ghost.server import PASSWORD

    return PASSWORD


PASSWORD = _password()  # what test_zoo_recorded_port.py gives the script


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The script, the recorded origin and the environment variable of the password."""
    return convert_to_file(HAR, tmp_path_factory.mktemp("ghost-correlated"))


def _run(script: Path, server: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         password: str = PASSWORD) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, password,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def assert_full_lifecycle(run: LocustRun, state: dict, runs: int = 2) -> None:
    """No failure; every run of the flow created its post and published it with the journey's
    text (at least ``runs``), none left a draft; the site's description saved; bob's post as it
    was (also used by
    tests/test_zoo_recorded_port.py)."""
    from fixtures.zoo.ghost.server import JOURNEY_DESCRIPTION, JOURNEY_TEXT

    why = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] >= runs and state["published"] == state["created"], why
    assert state["drafts"] == 0 and state["texts"] == [JOURNEY_TEXT], why
    assert len(set(state["slugs"])) == len(state["slugs"]), why
    assert state["description"] == JOURNEY_DESCRIPTION, why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_ghost(ghost: type, script: tuple, tmp_path: Path,
                                          user_class: str) -> None:
    """The new post's id from the first autosave's answer, each save's ``updated_at`` from the
    answer before it, the password from the script's option: every run of the flow publishes
    a post of its own, two users at once."""
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(HAR, tmp_path, user_class=user_class)
    with ghost(port=port_other_than(recorded_origin)) as server:
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends(script: tuple) -> None:
    """The post's id from the answer that made it, each save's ``updated_at`` from the answer
    before it, a moment only from the same object's member of that name (the author's
    ``created_at`` from the user's, not from a post published in the same second), the
    password an option."""
    code = script[0].read_text("utf-8")
    assert PASSWORD not in code and '"password": self.password' in code
    assert code.count('f"/ghost/api/admin/posts/{self.post_id}/?formats=') == 2  # the saves
    assert '("posts", 0, "id")' in code
    assert '("users", 0, "created_at")' in code and '"published_at",\n' not in code
    for line in code.splitlines():
        if '"created_at": self.' in line or '"updated_at": self.' in line:
            var = line.split("self.")[1].rstrip(",")
            assert var.startswith(("created_at", "updated_at")), line


def test_the_recorded_post_id_publishes_nothing(ghost: type, tmp_path: Path) -> None:
    """Without correlation: a fresh Ghost knows no post of the recorded id; the editor's
    second save (``PUT /posts/<recorded id>/``) is answered 404, which fails its step, and no
    post is published."""
    path, _, env_var = convert_to_file(HAR, tmp_path, correlate=False)
    with ghost() as server:
        run = _run(path, server, tmp_path, env_var, seconds=FLOW_SECONDS)
        state = server.state()
    why = f"{run.explain()}\nserver state: {state}"
    assert state["published"] == 0 and state["sentinel_intact"], why
    assert run.failed > 0 and all("step 38 PUT" in failure["Error"]
                                  for failure in run.failures), why


def test_a_wrong_password_fails_at_the_sign_in_and_writes_nothing(ghost: type, script: tuple,
                                                                   tmp_path: Path) -> None:
    """Ghost refuses a wrong password with a 422: the sign-in's step fails and the flow goes no
    further; nothing is created."""
    path, _, env_var = script
    with ghost() as server:
        run = _run(path, server, tmp_path, env_var, password="not-the-password",
                   seconds=FLOW_SECONDS)
        state = server.state()
    why = f"{run.explain()}\nserver state: {state}"
    assert state["created"] == 0 and state["sentinel_intact"], why
    assert run.failed > 0 and all("step 6 POST /ghost/api/admin/session" in failure["Error"]
                                  for failure in run.failures), why
