"""Zoo: Syncthing 1.19 (Debian's syncthing: Go, its AngularJS GUI and REST API), replayed.

The HAR (``fixtures/zoo/syncthing/syncthing.har``, recorded in Chromium by ``record.py``)
logs in to the GUI (HTTP Basic), adds a folder ``Zoo folder <epoch ms>``, renames it and
removes it. The GUI saves each time by sending **the whole configuration** it read just before
(``GET /rest/config`` → ``PUT /rest/config``), changed; its CSRF cookie and header are named
by the device (``CSRF-Token-<first five of the device ID>``); its script long-polls the event
stream. Each test starts a fresh device (new keys, so new cookie names; new configuration and
port) and reads the outcome from Syncthing's own ``ConfigSaved`` events and configuration.

One user: the folder's ID is random text the GUI made up (``qinoc-krrda``), the same in every
run of the script, so two users at once would add the same folder.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ZOO_STOP_TIMEOUT, LocustRun, locust_headless, port_other_than

import har2locust_plus.core
from har2locust_plus import Options, ThinkTime, convert

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "syncthing" / "syncthing.har"
USERS, SECONDS = 1, 10
CAROL = ("carols-folder", "Carol's folder")  # added by someone else before the run


@pytest.fixture(scope="module")
def syncthing() -> type:
    """The launcher class; skips the module when Syncthing is not installed."""
    from fixtures.zoo.syncthing import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Syncthing zoo app cannot run: {reason}")
    return server.Syncthing


def _credentials(password: str | None = None) -> str:
    from fixtures.zoo.syncthing.server import PASSWORD, USER

    return base64.b64encode(f"{USER}:{password or PASSWORD}".encode()).decode()


SECRET_KIND = "Basic authorization"  # the script's --basic-credentials
CREDENTIALS = _credentials()  # what test_zoo_recorded_port.py gives the script


def _convert(tmp: Path, **options: object) -> tuple[Path, str, dict[str, str]]:
    """The script, the recorded origin and its secret's environment (the GUI's Basic
    credentials)."""
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    # without correlation the whole configuration is sent, the GUI's (hashed) password in
    # it: given as recorded
    env = {s.env: CREDENTIALS if s.kind == SECRET_KIND else s.recorded
           for s in result.scenario.secrets}
    assert CREDENTIALS in env.values()
    return path, result.scenario.main_origin, env


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    return _convert(tmp_path_factory.mktemp("syncthing-correlated"))


def _run(script: Path, server: object, workdir: Path, env: dict[str, str],
         seconds: int = SECONDS) -> LocustRun:
    return locust_headless(script, server.url, workdir,  # type: ignore[attr-defined]
                           seconds=seconds, users=USERS,
                           extra=("--stop-timeout", ZOO_STOP_TIMEOUT), env=env)


def _replay(server_class: type, path: Path, workdir: Path, env: dict[str, str],
            seconds: int = SECONDS, **server: object) -> tuple[LocustRun, dict, dict]:
    """A run on a fresh device where Carol added a folder first: the run, the state, and
    Carol's folder as the server had it before the run."""
    with server_class(**server) as sync:
        carol = sync.add_folder(*CAROL)
        run = _run(path, sync, workdir, env, seconds)
        state = sync.state()
    return run, state, carol


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: { {k: v for k, v in state.items() if k != 'folders'} }"


def _kept(state: dict, folder: dict) -> bool:
    now = state["folders"].get(folder["id"], {})
    return (now.get("label"), now.get("path")) == (folder["label"], folder["path"])


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every folder the flow added was renamed and removed; none left; bob's
    folder as it was (also used by tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] > 0 and state["left"] == 0, why
    assert state["created"] == state["updated"] == state["deleted"], why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_device(syncthing: type, script: tuple, tmp_path: Path,
                                           user_class: str) -> None:
    """Every save sends the configuration the server has then, with the user's change: the
    folder comes, is renamed, goes, and Carol's folder, which the recording never saw, stays
    as she added it."""
    path, recorded_origin, env = script
    if user_class != "fast":
        path, _, env = _convert(tmp_path, user_class=user_class)
    run, state, carol = _replay(syncthing, path, tmp_path, env,
                                port=port_other_than(recorded_origin))
    assert_full_lifecycle(run, state)
    assert _kept(state, carol), _explain(run, state)


def test_a_whole_document_sent_as_recorded_undoes_what_others_did(
        syncthing: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the read-modify-write matters: the same script with the recorded configuration
    sent whole (the documents stage left out) "passes" with no failure, while it removes
    Carol's folder. (Bob's folder keeps its place: its path, a directory of the server, is
    read from the live configuration; before that rule it was moved to the recording's.)"""
    monkeypatch.setattr(har2locust_plus.core, "PIPELINE", tuple(
        stage for stage in har2locust_plus.core.PIPELINE if stage[0] != "documents"))
    path, _, env = _convert(tmp_path)
    assert "edited_json" not in path.read_text("utf-8")
    run, state, carol = _replay(syncthing, path, tmp_path, env, seconds=5)
    why = _explain(run, state)
    assert run.failed == 0 and state["created"] > 0, why
    assert not _kept(state, carol) and carol["id"] not in state["folders"], why


def test_what_the_script_sends(script: tuple) -> None:
    """Each save: the document read just before, live, with the recorded change (the folder
    added with its label made fresh from the time, renamed, removed by its id); the cookie's
    and the header's names read from the jar; no long poll."""
    code = script[0].read_text("utf-8")
    assert code.count("= json_document(") == 3 and code.count("json=edited_json(") == 3
    assert '"$add": [' in code and '"label": f"Zoo folder {self.' in code
    assert '"$remove": [{"id": "qinoc-krrda"}]' in code
    assert "folders/bobs-sentinel" not in code  # bob's folder as recorded: never sent
    assert list(script[2]) == ["H2L_BASIC_CREDENTIALS"]  # not the GUI's hashed password
    assert '"CSRF\\\\-Token\\\\-([A-Z0-9]{5})",' in code  # cookie_name_part's pattern
    assert "/rest/events?since" not in code and "/rest/events/disk" not in code


def test_without_correlation_nothing_is_added(syncthing: type, tmp_path: Path) -> None:
    """The recorded device's cookie name and CSRF token: the fresh device answers every
    request of the page's script 403, and no folder is added."""
    path, _, env = _convert(tmp_path, correlate=False)
    with syncthing() as server:
        run = _run(path, server, tmp_path, env, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["sentinel_intact"], why
    assert any("403" in failure["Error"] for failure in run.failures), why


def test_a_refused_save_fails_at_its_step(syncthing: type, script: tuple,
                                          tmp_path: Path) -> None:
    """A folder of the id the GUI made is there already: Syncthing refuses the configuration
    (400), the save's step fails, and the rename and the removal are never sent."""
    path, _, env = script
    with syncthing() as server:
        server.add_folder("qinoc-krrda", "Someone else's")
        run = _run(path, server, tmp_path, env, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert state["created"] == 0 and state["sentinel_intact"], why
    assert state["folders"]["qinoc-krrda"]["label"] == "Someone else's", why
    assert run.failed > 0 and all(
        "step 58 PUT /rest/config: expected status 200, got 400" in failure["Error"]
        for failure in run.failures), why


@pytest.fixture(scope="module")
def wrong_password_server(syncthing: type) -> Iterator[object]:
    """A device whose GUI password is not the one the script is given."""
    with syncthing(password="not-the-recorded-one-99") as server:
        yield server


def test_wrong_password_fails_at_the_first_step_and_adds_nothing(
        wrong_password_server: object, script: tuple, tmp_path: Path) -> None:
    path, _, env = script
    run = _run(path, wrong_password_server, tmp_path, env, seconds=5)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["sentinel_intact"], why
    assert all(failure["Name"].startswith("01 ") for failure in run.failures), why
    assert urlsplit(wrong_password_server.url).hostname == "127.0.0.1"  # type: ignore[attr-defined]
