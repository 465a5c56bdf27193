"""Zoo: Transmission 3.00 (Debian's transmission-daemon: C, its jQuery web interface and
JSON-RPC), replayed.

The HAR (``fixtures/zoo/transmission/transmission.har``, recorded in Chromium by
``record.py``) opens the web interface (HTTP Basic), uploads ``journey.torrent``, renames the
torrent and removes it. Every call is a ``POST /transmission/rpc`` whose JSON body the page's
script types ``Content-Type: json`` (jQuery's ``contentType``: no media type at all); the
first is refused ``409`` with the session id every later call must send; a torrent is named by
the number the daemon counts (the launcher makes it differ from run to run); the daemon
answers ``"result": "success"`` to the removal of a number no torrent has. Each test starts a
fresh daemon and reads the outcome from its own log and RPC.

One user: the torrent is the journey's file, so two users at once would add the same torrent
(the daemon answers the second ``torrent-duplicate``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ZOO_STOP_TIMEOUT, LocustRun, locust_headless, port_other_than

import har2locust_plus.loader
from har2locust_plus import Options, ThinkTime, convert

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "transmission" / "transmission.har"
USERS, SECONDS = 1, 10


@pytest.fixture(scope="module")
def transmission() -> type:
    """The launcher class; skips the module when Transmission is not installed."""
    from fixtures.zoo.transmission import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Transmission zoo app cannot run: {reason}")
    return server.Transmission


def _credentials(password: str | None = None) -> str:
    from fixtures.zoo.transmission.server import PASSWORD, USER

    return base64.b64encode(f"{USER}:{password or PASSWORD}".encode()).decode()


SECRET_KIND = "Basic authorization"  # the script's --basic-credentials
CREDENTIALS = _credentials()  # what test_zoo_recorded_port.py gives the script


def _convert(tmp: Path, **options: object) -> tuple[Path, str, dict[str, str]]:
    """The script, the recorded origin and its secret's environment (the Basic credentials)."""
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    env = {s.env: CREDENTIALS if s.kind == SECRET_KIND else s.recorded
           for s in result.scenario.secrets}
    assert list(env.values()) == [CREDENTIALS]
    return path, result.scenario.main_origin, env


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    return _convert(tmp_path_factory.mktemp("transmission-correlated"))


def _run(script: Path, server: object, workdir: Path, env: dict[str, str],
         seconds: int = SECONDS) -> LocustRun:
    return locust_headless(script, server.url, workdir,  # type: ignore[attr-defined]
                           seconds=seconds, users=USERS,
                           extra=("--stop-timeout", ZOO_STOP_TIMEOUT), env=env)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: { {k: v for k, v in state.items() if k != 'torrents'} }"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every torrent the flow added was renamed, then removed under its new name;
    none left; bob's torrent as it was (also used by tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["added"] > 0 and state["left"] == 0, why
    assert state["added"] == state["removed_renamed"], why
    assert state["removed_unrenamed"] == 0 and state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_daemon(transmission: type, script: tuple, tmp_path: Path,
                                           user_class: str) -> None:
    """The session id from the refusal, the torrent's number from the add's answer, the
    download directory from the daemon's settings: every torrent added, renamed, removed."""
    path, recorded_origin, env = script
    if user_class != "fast":
        path, _, env = _convert(tmp_path, user_class=user_class)
    with transmission(port=port_other_than(recorded_origin)) as daemon:
        run = _run(path, daemon, tmp_path, env)
        state = daemon.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends(script: tuple) -> None:
    """The RPC bodies as JSON (their recorded type kept), the number and the directory read
    from the answers; the refused first call kept, its session id read from its header."""
    code = script[0].read_text("utf-8")
    assert 'check(resp, "step 2 POST /transmission/rpc (method=session-get)", 409)' in code
    assert '"X-Transmission-Session-Id": f"{self.transmission_session_id}"' in code
    assert code.count('"ids": [self.torrent_added_id]') == 3 and "[76]" not in code
    assert '"download-dir": self.download_dir' in code and "/tmp/zoo-transmission-" not in code
    assert '("arguments", "torrent-added", "id")' in code
    assert '"Content-Type": "json"' in code and "data='{" not in code
    assert code.count('json_values=(("result", "success"),)') >= 10


def test_a_json_body_typed_otherwise_was_sent_as_recorded_text(
        transmission: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why a JSON body is JSON whatever its type says: read as text (as before), the number
    the daemon gave the recorded torrent is sent as recorded; on a fresh daemon the rename of
    that number is refused (the step's check of "result" fails) and the torrent stays."""
    monkeypatch.setattr(har2locust_plus.loader, "_sent_as_json", lambda text, headers: False)
    path, _, env = _convert(tmp_path)
    assert "[76]" in path.read_text("utf-8")
    with transmission() as daemon:
        run = _run(path, daemon, tmp_path, env, seconds=5)
        state = daemon.state()
    why = _explain(run, state)
    assert state["added"] > 0 and state["removed_renamed"] == 0, why
    assert state["left"] == 1 and state["sentinel_intact"], why
    assert run.failed > 0 and any("torrent-rename-path requires 1 torrent" in failure["Error"]
                                  for failure in run.failures), why


def test_without_correlation_nothing_is_added(transmission: type, tmp_path: Path) -> None:
    """The recorded session id: the daemon refuses every call 409 and adds nothing."""
    path, _, env = _convert(tmp_path, correlate=False)
    with transmission() as daemon:
        run = _run(path, daemon, tmp_path, env, seconds=5)
        state = daemon.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["added"] == 0 and state["sentinel_intact"], why
    assert any("409" in failure["Error"] for failure in run.failures), why


def test_a_refused_add_fails_at_its_step(transmission: type, script: tuple,
                                         tmp_path: Path) -> None:
    """The torrent is there already (someone added it): the daemon answers the add
    ``"success"`` with ``torrent-duplicate``, not ``torrent-added``; the add's step fails by
    its check of the key that says what happened (before it would have failed for want of the
    number it hands out), and the rename and the removal are never sent."""
    from fixtures.zoo.transmission.server import TORRENT

    path, _, env = script
    with transmission() as daemon:
        theirs = daemon.add(TORRENT.read_bytes())
        run = _run(path, daemon, tmp_path, env, seconds=5)
        state = daemon.state()
    why = _explain(run, state)
    assert state["removed_renamed"] == state["removed_unrenamed"] == 0, why
    assert [t["name"] for t in state["torrents"] if t["id"] == theirs["id"]] == [
        theirs["name"]], why
    assert run.failed > 0 and all(
        "step 8 POST /transmission/rpc (method=torrent-add): expected JSON key "
        "arguments.torrent-added (got arguments: ['torrent-duplicate'])"
        in failure["Error"] for failure in run.failures), why


@pytest.fixture(scope="module")
def wrong_password_server(transmission: type) -> Iterator[object]:
    """A daemon whose RPC password is not the one the script is given."""
    with transmission(password="not-the-recorded-one-99") as server:
        yield server


def test_wrong_password_fails_at_the_first_step_and_adds_nothing(
        wrong_password_server: object, script: tuple, tmp_path: Path) -> None:
    """Every run fails at its first request (401, then 403 once the daemon has seen 100 wrong
    passwords and refuses everyone until it restarts); nothing is added."""
    path, _, env = script
    run = _run(path, wrong_password_server, tmp_path, env, seconds=5)
    state = wrong_password_server.stopped_state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    assert run.failed > 0 and state["added"] == 0 and state["sentinel_kept"], why
    assert all("step 1 GET /transmission/web/: expected status 200, got 40" in failure["Error"]
               for failure in run.failures), why
