"""Zoo: pgAdmin 4 (9.18 from PyPI, unmodified, in server mode: Flask, Flask-Security's login,
Flask-WTF's CSRF protection, its React browser and REST API), replayed.

The HAR (``fixtures/zoo/pgadmin/pgadmin.har``, recorded in Chromium by ``record.py``) logs in
(the form's CSRF token from the login page's script), opens the browser, creates a server
group, renames it and removes it. Every request of the browser sends Flask-WTF's CSRF token in
``X-pgA-CSRFToken``, which the page's script reads from **a script the server writes for the
session**: ``/browser/js/utils.js?ver=91800`` sets ``pgAdmin['csrf_token'] = '…'``. A static
asset by every sign (its type, its name, its version query), it is the token's only source. The
group is named by the number SQLite gives it (bob's groups, made by the launcher, make it
differ from run to run). Each test starts a fresh pgAdmin and reads the outcome from its
configuration database.

One user: a server group's name is unique per account, and every user of the script is alice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ZOO_STOP_TIMEOUT, LocustRun, locust_headless, port_other_than

import har2locust_plus.stages.filter
from har2locust_plus import Options, ThinkTime, convert

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "pgadmin" / "pgadmin.har"
PASSWORD = "Elephant-tusk-7"  # alice's (fixtures/zoo/pgadmin/server.py)
USERS, SECONDS = 1, 10


@pytest.fixture(scope="module")
def pgadmin() -> type:
    """The launcher class; skips the module when pgAdmin cannot be installed here."""
    from fixtures.zoo.pgadmin import server

    reason = server.missing()
    if reason:
        pytest.skip(f"pgAdmin zoo app cannot run: {reason}")
    server.installed()  # once per version of requirements.txt (a minute the first time)
    return server.PgAdmin


def _convert(tmp: Path, **options: object) -> tuple[Path, str, dict[str, str]]:
    """The script, the recorded origin and its secret's environment (alice's password)."""
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    env = {s.env: PASSWORD if s.kind == "password" else s.recorded
           for s in result.scenario.secrets}
    assert list(env.values()) == [PASSWORD]
    return path, result.scenario.main_origin, env


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    return _convert(tmp_path_factory.mktemp("pgadmin-correlated"))


def _run(script: Path, server: object, workdir: Path, env: dict[str, str],
         seconds: int = SECONDS) -> LocustRun:
    return locust_headless(script, server.url, workdir,  # type: ignore[attr-defined]
                           seconds=seconds, users=USERS,
                           extra=("--stop-timeout", ZOO_STOP_TIMEOUT), env=env)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: { {k: v for k, v in state.items() if k != 'log'} }"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every group the flow created was renamed, then removed under its new name;
    none left; nothing else removed; bob's groups as they were (also used by
    tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] > 0 and state["left"] == [], why
    assert state["created"] == state["renamed"] == state["removed"], why
    assert state["others_removed"] == 0 and state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_pgadmin(pgadmin: type, script: tuple, tmp_path: Path,
                                            user_class: str) -> None:
    """The login form's token from the login page's script, the header's token from the
    session's script file, the group's number from the creation's answer: every group
    created, renamed, removed."""
    path, recorded_origin, env = script
    if user_class != "fast":
        path, _, env = _convert(tmp_path, user_class=user_class)
    with pgadmin(port=port_other_than(recorded_origin)) as pga:
        run = _run(path, pga, tmp_path, env)
        state = pga.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends(script: tuple) -> None:
    """The session's script is a step, its token read from it and sent by every later
    request; the group's number read from the creation's answer."""
    code = script[0].read_text("utf-8")
    assert '"/browser/js/utils.js?ver=91800"' in code
    assert "CSRF_TOKEN_RE" in code and "csrf_token[\\\"']?\\\\]" in code
    assert code.count('"X-pgA-CSRFToken": f"{self.csrf_token_2}"') == 21
    assert '"csrf_token": self.csrf_token' in code
    assert 'f"/browser/server_group/obj/{self.id}"' in code
    assert '("node", "_id")' in code and '"id": int(self.id)' in code


def test_the_session_s_script_left_out_sends_the_recorded_token(
        pgadmin: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why a static script that hands out a token is kept: left out as every other static
    asset (as before), the header sends the recorded token, which pgAdmin refuses for the live
    session (401 at the first request that sends it); no group is created."""
    monkeypatch.setattr(har2locust_plus.stages.filter, "_scripts_handing_out",
                        lambda scripts, kept, order: {})
    path, _, env = _convert(tmp_path)
    assert "utils.js" not in path.read_text("utf-8")
    with pgadmin() as pga:
        run = _run(path, pga, tmp_path, env, seconds=5)
        state = pga.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["sentinel_intact"], why
    assert all("step 4 GET /preferences/get_all: expected status 200, got 401" in failure["Error"]
               for failure in run.failures), why


def test_without_correlation_nothing_is_created(pgadmin: type, tmp_path: Path) -> None:
    """The recorded tokens: the login is refused (its form's token is another session's), and
    no group is created."""
    path, _, env = _convert(tmp_path, correlate=False)
    with pgadmin() as pga:
        run = _run(path, pga, tmp_path, env, seconds=5)
        state = pga.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["sentinel_intact"], why


@pytest.fixture(scope="module")
def wrong_password_server(pgadmin: type) -> Iterator[object]:
    """A pgAdmin where alice's password is not the one the script is given."""
    with pgadmin() as server:
        yield server


def test_wrong_password_fails_at_the_login_and_creates_nothing(
        wrong_password_server: object, script: tuple, tmp_path: Path) -> None:
    """Every run fails at the login's step (pgAdmin answers the form with the login page
    again, not the browser), and no group is created."""
    path, _, env = script
    env = {name: "not-alices-password-3" for name in env}
    run = _run(path, wrong_password_server, tmp_path, env, seconds=5)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["sentinel_intact"], why
    assert all("step 2 POST /authenticate/login" in failure["Error"]
               for failure in run.failures), why
