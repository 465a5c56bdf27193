"""Zoo: Deluge 2.0 (Debian's deluged and deluge-web: Python on Twisted, its ExtJS web interface
and JSON-RPC), replayed.

The HAR (``fixtures/zoo/deluge/deluge.har``, recorded in Chromium by ``record.py``) logs in
(``auth.login`` with the password as its one positional parameter), connects the web server to
the daemon by the host id ``web.get_hosts`` lists (made at random per installation), adds a
torrent by its magnet link, sets the daemon's connection limit in the preferences, removes the
torrent and logs out. Every call is ``POST /json``; the web server's connection to the daemon is
the server's, not the session's: after the first run of the flow, ``web.connected`` answers
``true`` where the recording said ``false``. Each test starts a fresh Deluge and reads the
outcome from the daemon (its events, torrents and configuration).

One user: the torrent is the journey's magnet link, so two users at once would add the same
torrent (the daemon refuses the second).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "deluge" / "deluge.har"
# A run of the flow takes about 22 s: the page's script polls for events four times, and each
# poll waits 5 s for one (in the browser, beside the other calls; in the script, in turn)
USERS, SECONDS, FLOW_SECONDS = 1, 50, 10
# ... so a run under way when the time is up needs more than the zoo's usual 15 s to finish (a
# CI run on a busy machine ended one after it added its torrent and before it removed it)
STOP_TIMEOUT = "45"


@pytest.fixture(scope="module")
def deluge() -> type:
    """The launcher class; skips the module when Deluge is not installed."""
    from fixtures.zoo.deluge import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Deluge zoo app cannot run: {reason}")
    return server.Deluge


def _password() -> str:
    from fixtures.zoo.deluge.server import PASSWORD

    return PASSWORD


PASSWORD = _password()  # what test_zoo_recorded_port.py gives the script


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The script, the recorded origin and the environment variable of the password."""
    return convert_to_file(HAR, tmp_path_factory.mktemp("deluge-correlated"))


def _run(script: Path, server: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         password: str = PASSWORD) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, password,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS, stop_timeout=STOP_TIMEOUT)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: { {k: v for k, v in state.items() if k != 'torrents'} }"


def assert_full_lifecycle(run: LocustRun, state: dict, runs: int = 2) -> None:
    """No failure; every run of the flow added the torrent and removed it again (at least
    ``runs``: the second finds the web server connected already); none left; the preferences
    saved; bob's torrent as it was (also used by tests/test_zoo_recorded_port.py)."""
    from fixtures.zoo.deluge.server import JOURNEY_CONNECTIONS

    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["added"] >= runs and state["added"] == state["removed"], why
    assert not state["left"] and state["sentinel_intact"], why
    assert state["connections"] == JOURNEY_CONNECTIONS, why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_deluge(deluge: type, script: tuple, tmp_path: Path,
                                           user_class: str) -> None:
    """The host id from the connection manager's list, the download folder from the daemon's
    settings, the password from the script's option: every torrent added and removed, the
    setting saved, run after run."""
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(HAR, tmp_path, user_class=user_class)
    with deluge(port=port_other_than(recorded_origin)) as server:
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends(script: tuple) -> None:
    """The host id read from ``web.get_hosts``' answer by position and named after it, the
    password an option, the login's and the logout's true results checked, the state
    questions' answers not."""
    code = script[0].read_text("utf-8")
    assert '"params": [self.host_id]' in code and code.count("self.host_id") == 5
    assert '("result", 0, 0)' in code
    assert '{"method": "auth.login", "params": [self.password], "id": 2}' in code
    assert PASSWORD not in code
    assert code.count('json_values=(("result", True),)') == 2  # auth.login, delete_session
    assert '("result", False)' not in code  # web.connected, auth.check_session
    assert "/tmp/zoo-deluge-" not in code and '"move_completed_path": self.move_completed_path' \
        in code


def test_the_recorded_host_id_connects_nothing(deluge: type, tmp_path: Path) -> None:
    """Without correlation: the recorded host id names no daemon of a fresh web server; the
    first call that sends it (``web.get_host_status``) answers an error with its 200, which
    the step's check of the error member fails, and nothing is added."""
    path, _, env_var = convert_to_file(HAR, tmp_path, correlate=False)
    with deluge() as server:
        run = _run(path, server, tmp_path, env_var, seconds=15)
        state = server.state()
    why = _explain(run, state)
    assert state["added"] == 0 and state["sentinel_intact"], why
    assert run.failed > 0 and all(
        "step 14 POST /json (web.get_host_status): the response has an error" in failure["Error"]
        for failure in run.failures), why


def test_a_wrong_password_fails_at_the_login_and_adds_nothing(deluge: type, script: tuple,
                                                              tmp_path: Path) -> None:
    """Deluge answers a wrong password ``{"result": false}`` with a 200: the login's check of
    its result fails the step, and the flow goes no further."""
    path, _, env_var = script
    with deluge() as server:
        run = _run(path, server, tmp_path, env_var, password="not-the-password",
                   seconds=10)
        state = server.state()
    why = _explain(run, state)
    assert state["added"] == 0 and state["sentinel_intact"], why
    assert run.failed > 0 and all(
        "step 5 POST /json (auth.login): expected JSON result == True, got False"
        in failure["Error"] for failure in run.failures), why
