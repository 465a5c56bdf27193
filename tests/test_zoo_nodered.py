"""Zoo: Node-RED 4.1 (from npm: Node.js, Express, its flow editor and admin API), replayed.

The HAR (``fixtures/zoo/nodered/nodered.har``, recorded in Chromium by ``record.py``) logs in
to the editor (OAuth 2.0's password grant, then a bearer token), imports a flow tab, deploys,
renames the tab, deploys, deletes it and deploys. Each deploy sends **the whole flows
document** the editor read (``GET /flows`` → ``POST /flows``), changed, with the revision the
last answer gave. Each test starts a fresh Node-RED where Carol deployed a flow of her own
first, and reads the outcome from every flows document the server saved.

One user: two editors deploying at once refuse one another (409: another revision), in the
browser too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ZOO_STOP_TIMEOUT, LocustRun, locust_headless, port_other_than

import har2locust_plus.core
from har2locust_plus import Options, ThinkTime, convert

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "nodered" / "nodered.har"
USERS, SECONDS = 1, 10
CAROL = ("ca401000000000a1", "Carol's flow")  # deployed by someone else before the run


@pytest.fixture(scope="module")
def nodered() -> type:
    """The launcher class; skips the module when Node.js is missing or too old."""
    from fixtures.zoo.nodered import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Node-RED zoo app cannot run: {reason}")
    return server.NodeRed


def _password() -> str:
    from fixtures.zoo.nodered.server import PASSWORD

    return PASSWORD


PASSWORD = _password()


def _convert(tmp: Path, **options: object) -> tuple[Path, str, dict[str, str]]:
    """The script, the recorded origin and its secret's environment (alice's password)."""
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    env = {s.env: PASSWORD if s.kind == "password" else s.recorded
           for s in result.scenario.secrets}
    assert PASSWORD in env.values()
    return path, result.scenario.main_origin, env


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    return _convert(tmp_path_factory.mktemp("nodered-correlated"))


def _run(script: Path, server: object, workdir: Path, env: dict[str, str],
         seconds: int = SECONDS) -> LocustRun:
    return locust_headless(script, server.url, workdir,  # type: ignore[attr-defined]
                           seconds=seconds, users=USERS,
                           extra=("--stop-timeout", ZOO_STOP_TIMEOUT), env=env)


def _replay(server_class: type, path: Path, workdir: Path, env: dict[str, str],
            seconds: int = SECONDS, **server: object) -> tuple[LocustRun, dict]:
    """A run on a fresh Node-RED where Carol deployed a flow first."""
    with server_class(**server) as red:
        red.add_flow(*CAROL)
        run = _run(path, red, workdir, env, seconds)
        state = red.state()
    return run, state


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every tab the flow made was renamed and deleted; none left; bob's flow as
    it was (also used by tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] > 0 and state["left"] == 0, why
    assert state["created"] == state["renamed"] == state["deleted"], why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_node_red(nodered: type, script: tuple, tmp_path: Path,
                                             user_class: str) -> None:
    """Every deploy sends the flows the server has then, with the user's change: the tab
    comes, is renamed, goes, and Carol's flow, which the recording never saw, stays."""
    path, recorded_origin, env = script
    if user_class != "fast":
        path, _, env = _convert(tmp_path, user_class=user_class)
    run, state = _replay(nodered, path, tmp_path, env, port=port_other_than(recorded_origin))
    assert_full_lifecycle(run, state)
    assert state["tabs"].get(CAROL[0]) == CAROL[1], _explain(run, state)


def test_the_whole_flows_sent_as_recorded_undo_what_others_did(
        nodered: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the read-modify-write matters: the same script with the recorded flows sent whole
    (the documents stage left out; the revision still read live) "passes" with no failure,
    while every deploy removes Carol's flow."""
    monkeypatch.setattr(har2locust_plus.core, "PIPELINE", tuple(
        stage for stage in har2locust_plus.core.PIPELINE if stage[0] != "documents"))
    path, _, env = _convert(tmp_path)
    assert "edited_json" not in path.read_text("utf-8")
    run, state = _replay(nodered, path, tmp_path, env, seconds=5)
    why = _explain(run, state)
    assert run.failed == 0 and state["created"] > 0, why
    assert CAROL[0] not in state["tabs"], why


def test_what_the_script_sends(script: tuple) -> None:
    """Each deploy: the flows read at the start, live, with the recorded change (the tab and
    its nodes added after the tabs, renamed, removed by id) and the revision the last deploy
    answered; the bearer token from the login."""
    code = script[0].read_text("utf-8")
    assert code.count("= json_document(") == 1 and code.count("json=edited_json(") == 3
    assert '"$after": [' in code and '"$add": [' in code and '"$remove": [' in code
    assert '"label": f"Zoo flow {self.' in code
    assert "Bob's tick" not in code.split("class ", 1)[1].split("def json_document")[0]
    assert '"rev": self.rev' in code
    assert '"Authorization": f"Bearer {self.access_token}"' in code


def test_without_correlation_nothing_is_deployed(nodered: type, tmp_path: Path) -> None:
    """The recorded bearer token: the fresh server answers every admin call 401."""
    path, _, env = _convert(tmp_path, correlate=False)
    with nodered() as red:
        run = _run(path, red, tmp_path, env, seconds=5)
        state = red.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["sentinel_intact"], why
    assert any("401" in failure["Error"] for failure in run.failures), why


@pytest.fixture(scope="module")
def wrong_password_server(nodered: type) -> Iterator[object]:
    """A Node-RED whose editor password is not the one the script is given."""
    with nodered(password="not-the-recorded-one-99") as server:
        yield server


def test_wrong_password_fails_at_the_login_and_deploys_nothing(
        wrong_password_server: object, script: tuple, tmp_path: Path) -> None:
    path, _, env = script
    run = _run(path, wrong_password_server, tmp_path, env, seconds=5)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["sentinel_intact"], why
    assert all("/auth/token" in failure["Error"] for failure in run.failures), why
