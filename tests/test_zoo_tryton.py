"""Zoo: Tryton 8.0 (``trytond`` from PyPI, its web client sao from npm: JSON-RPC on werkzeug,
SQLite), replayed.

The HAR (``fixtures/zoo/tryton/tryton.har``, recorded in Chromium by ``record.py``) signs alice in
(``common.db.login`` twice: the client asks which factors the account needs, then sends the
password in an object of named parameters, the language last), opens the users' list, makes a
user named by the time (``model.res.user.create`` answers its id) and deactivates it
(``model.res.user.write`` with that id and the ``_timestamp`` the read answered: Tryton refuses
a write over a newer one), then signs out. The session is a cookie Tryton marks ``Secure`` on
any scheme, which a browser sends to a loopback host over plain http, and Python's cookie jars
do not. Every call's ``id`` is the client's count of its calls. Each test starts a fresh Tryton
(users numbered from a random base) and reads the outcome from its database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "tryton" / "tryton.har"
# One Locust user: Tryton itself fails a read of the users' list while another session of the
# same account signs out (res.user's "sessions" field searches ir.session, then reads the rows
# it found, which the sign-out may have deleted in between: "You are trying to read records
# "11" of "Session" that don't exist"). Two users at once as alice hit it about once in
# twenty runs of the flow on a loaded machine; it is the server's race, not the script's.
USERS, SECONDS = 1, 20


@pytest.fixture(scope="module")
def tryton() -> type:
    """The launcher class; skips the module when Tryton cannot be installed here."""
    from fixtures.zoo.tryton import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Tryton zoo app cannot run: {reason}")
    return server.Tryton


def _password() -> str:
    from fixtures.zoo.tryton.server import PASSWORD

    return PASSWORD


PASSWORD = _password()  # what test_zoo_recorded_port.py gives the script


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The script, the recorded origin and the environment variable of the password."""
    return convert_to_file(HAR, tmp_path_factory.mktemp("tryton-correlated"))


def _run(script: Path, server: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         password: str = PASSWORD) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, password,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: { {k: v for k, v in state.items() if k != 'logins'} }"


def assert_full_lifecycle(run: LocustRun, state: dict, runs: int = 2) -> None:
    """No failure; every run of the flow made a user of its own and deactivated it (at least
    ``runs``), none made and left active, bob as he was (also used by
    tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] >= runs and state["made"] == state["created"], why
    assert state["active"] == 0 and state["sentinel_intact"], why
    assert len(set(state["logins"])) == state["created"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_tryton(tryton: type, script: tuple, tmp_path: Path,
                                           user_class: str) -> None:
    """The session cookie sent as the browser sent it, the new user's id from the create's
    answer, its ``_timestamp`` from the read: every user made and deactivated, run after
    run."""
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(HAR, tmp_path, user_class=user_class)
    with tryton(port=port_other_than(recorded_origin)) as server:
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends(script: tuple) -> None:
    """The Secure cookie policy set at the start; the password by name in the login's object,
    the language after it as recorded (not taken for a positional password); every call's
    ``id`` as recorded (the client's count, never read from an answer); the user made read
    from the create's answer."""
    code = script[0].read_text("utf-8")
    assert "send_secure_cookies_as_browsers_do(self.client.cookiejar)" in code
    assert '{"device_cookie": None, "password": self.password},\n' in code
    assert code.count('"en",') >= 2 and "self.password_2" not in code
    assert PASSWORD not in code
    assert '"id": 36,' in code and '"id": self.' not in code and "result_id_" not in code
    write = code.index('"method": "model.res.user.write"')
    assert "[self.user_id_4],\n" in code[write:write + 200]
    assert code.count("self.user_id_4") >= 3 and "self.timestamp" in code


def test_without_the_browser_s_cookie_policy_no_call_is_signed_in(
        tryton: type, script: tuple, tmp_path: Path) -> None:
    """The same script without its first line of on_start: the cookie jar keeps the Secure
    session cookie and never sends it over http, so the first call after the login answers
    401, the step fails and no user is made."""
    path, _, env_var = script
    code = path.read_text("utf-8")
    line = "        send_secure_cookies_as_browsers_do(self.client.cookiejar)\n"
    assert line in code
    unsent = tmp_path / "locustfile.py"
    unsent.write_text(code.replace(line, ""), "utf-8")
    with tryton() as server:
        run = _run(unsent, server, tmp_path, env_var, seconds=10)
        state = server.state()
    why = _explain(run, state)
    assert state["created"] == 0 and state["made"] == 0 and state["sentinel_intact"], why
    assert run.failed > 0 and all(
        "step 9 POST /zoo/rpc/ (model.res.user.device.renew): expected status 200, got 401"
        in failure["Error"] for failure in run.failures), why


def test_a_wrong_password_fails_at_the_login_and_makes_nothing(tryton: type, script: tuple,
                                                               tmp_path: Path) -> None:
    """Tryton answers a wrong password 401: the login's step fails, the flow goes no further."""
    path, _, env_var = script
    with tryton() as server:
        run = _run(path, server, tmp_path, env_var, password="not-the-password", seconds=10)
        state = server.state()
    why = _explain(run, state)
    assert state["created"] == 0 and state["sentinel_intact"], why
    assert run.failed > 0 and all(
        "step 8 POST /zoo/session/login (common.db.login): expected status 200, got 401"
        in failure["Error"] for failure in run.failures), why
