"""Zoo: OctoPrint (1.11.8 from PyPI, unmodified: Tornado in front of Flask, its knockout.js UI
and REST API), replayed.

The HAR (``fixtures/zoo/octoprint/octoprint.har``, recorded in Chromium by ``record.py``) logs
in, creates a folder, uploads a G-code file into it and removes the file. OctoPrint's CSRF
protection is a double-submit cookie **named after the server's port**, ``csrf_token_P<port>``
(a host's cookies are shared by all its ports, so two OctoPrints on one machine keep apart by
name); every write sends its value in ``X-CSRF-Token``. Recorded on port 51283, the script must
read ``csrf_token_P5123`` on a server on port 5123: the name's part is the live port of
``--host``, not a part of six characters read by its shape.

The upload's body is not in the HAR (a browser's HAR leaves out uploaded files): the conversion
warns, naming the request, and the script sends it without a body, which OctoPrint refuses
(400) and the step's check reports. The tests add the file where the warning says, as a user
would (:func:`_with_upload`).

One user: the folder and file names are the journey's (a second user's upload would meet the
first's file: the page asks whether to overwrite it).

The print journey (``octoprint-print.har``) connects the bundled virtual printer, prints a file
the server holds and cancels the print, all in one page of the single-page UI: the connection
answers at once while the printer gets ready, and the user clicked "Load and Print" 12 s
later. Its script pauses there as the user did (``think``, the recorded think time inside a
page); without the pause the print is asked for too early (409).
"""

from __future__ import annotations

import math
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ZOO_STOP_TIMEOUT, LocustRun, locust_headless

from har2locust_plus import Options, ThinkTime, convert
from har2locust_plus.stages.correlate import engine

# the print journey races the virtual printer's clock (ready in time, done before the run
# ends): the file runs alone (scripts/run_tests.py)
pytestmark = [pytest.mark.e2e, pytest.mark.timing]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "octoprint" / "octoprint.har"
GCODE = REPO_ROOT / "fixtures" / "zoo" / "octoprint" / "journey.gcode"
PASSWORD = "Filament-spool-3"  # alice's (fixtures/zoo/octoprint/server.py)
FOLDER, FILE = "zoo-prints", "zoo-cube.gcode"
PATH = f"{FOLDER}/{FILE}"
UPLOAD_STEP = '"29 /api/files/local"'  # the request whose body the HAR does not hold
USERS, SECONDS = 1, 10


@pytest.fixture(scope="module")
def octoprint() -> type:
    """The launcher class; skips the module when OctoPrint cannot be installed here."""
    from fixtures.zoo.octoprint import server

    reason = server.missing()
    if reason:
        pytest.skip(f"OctoPrint zoo app cannot run: {reason}")
    server.installed()  # once per version of requirements.txt (about 30 s the first time)
    return server.OctoPrint


def _with_upload(code: str) -> str:
    """The script with the upload's body added where the conversion's warning says: the
    folder (a form field) and the file, as the browser sent them."""
    assert code.count(f"name={UPLOAD_STEP}") == 1, "the upload's request moved"
    return code.replace(f"name={UPLOAD_STEP}",
                        f'data={{"path": "{FOLDER}"}}, '
                        f'files=[("file", ("{FILE}", {GCODE.read_bytes()!r}))], '
                        f"name={UPLOAD_STEP}")


def _convert(tmp: Path, upload: bool = True, **options: object
             ) -> tuple[Path, str, dict[str, str], str]:
    """The script (the upload added), the recorded origin, its secret's environment (alice's
    password) and the conversion's warnings."""
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(_with_upload(result.code) if upload else result.code, encoding="utf-8")
    env = {s.env: PASSWORD for s in result.scenario.secrets if s.kind == "password"}
    assert list(env.values()) == [PASSWORD]
    warnings = "\n".join(d.message for d in result.scenario.diagnostics)
    return path, result.scenario.main_origin, env, warnings


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str], str]:
    return _convert(tmp_path_factory.mktemp("octoprint-correlated"))


def port_of_another_length(origin: str) -> int:
    """A free port of 127.0.0.1 with another number of digits than ``origin``'s: a cookie
    name's part read by its shape (six characters, ``P51283``) would miss ``P5123``."""
    recorded = str(urlsplit(origin).port)
    for port in range(5100, 9999) if len(recorded) != 4 else range(10100, 30000):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise AssertionError("no free port")


def _run(script: Path, server: object, workdir: Path, env: dict[str, str],
         seconds: int = SECONDS) -> LocustRun:
    return locust_headless(script, server.url, workdir,  # type: ignore[attr-defined]
                           seconds=seconds, users=USERS,
                           extra=("--stop-timeout", ZOO_STOP_TIMEOUT), env=env)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: { {k: v for k, v in state.items() if k != 'raw'} }"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; the folder made; the file uploaded into it and removed, as often as the flow
    ran (one upload at least), none left; bob's file as it was."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["folders"] == [FOLDER] and PATH not in state["files"], why
    assert state["uploaded"] and set(state["uploaded"]) == {PATH}, why
    assert state["removed"] == state["uploaded"], why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("where", ["port of another length", "recorded port"])
@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_octoprint(octoprint: type, script: tuple, tmp_path: Path,
                                              user_class: str, where: str) -> None:
    """The CSRF cookie read by the name the live server gives it (its port), the login from
    the password option, every write with the live token: the folder, the upload and the
    removal happen."""
    path, recorded_origin, env, _ = script
    if user_class != "fast":
        path, _, env, _ = _convert(tmp_path, user_class=user_class)
    port = port_of_another_length(recorded_origin) if where != "recorded port" \
        else urlsplit(recorded_origin).port
    with octoprint(port=port) as octo:
        run = _run(path, octo, tmp_path, env)
        state = octo.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends(script: tuple) -> None:
    """The cookie's name is made of the live port; the recorded port is in no cookie name; the
    upload's warning names the request; its multipart type (a boundary of no body) is not
    sent."""
    path, origin, _, warnings = script
    code = path.read_text("utf-8")
    recorded = str(urlsplit(origin).port)
    assert "self.port = live_port(self)" in code
    assert code.count('f"csrf_token_P{self.port}"') == 6
    assert f"csrf_token_P{recorded}" not in code and "cookie_name_part" not in code
    assert '"X-CSRF-Token": f"{self.csrf_token}"' in code
    assert "log.entries[59] POST /api/files/local (multipart/form-data, 466 bytes)" in warnings
    assert "WebKitFormBoundary" not in code


def test_a_port_read_by_its_shape_misses_another_length(
        octoprint: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the port is read as the port: without the rule, ``P51283`` is a part the server
    chose, read from the jar by its shape (six capitals or digits), and a server on a port of
    four digits names its cookie ``csrf_token_P5123``: the login's token is not found, nothing
    is made."""
    monkeypatch.setattr(engine, "_port_match", lambda name, step, state: None)
    path, origin, env, _ = _convert(tmp_path)
    assert "cookie_name_part" in path.read_text("utf-8")
    with octoprint(port=port_of_another_length(origin)) as octo:
        run = _run(path, octo, tmp_path, env, seconds=5)
        state = octo.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["folders"] == [] and state["uploaded"] == [], why
    assert all("step 3 POST /api/login: 0 cookies named like" in failure["Error"]
               for failure in run.failures), why


def test_the_upload_left_as_recorded_fails_at_its_step(octoprint: type,
                                                       tmp_path: Path) -> None:
    """The script as converted, the upload's body not added: OctoPrint refuses the upload (400)
    and the step's check says so; nothing is uploaded or removed (the run of the flow ends
    there)."""
    path, _, env, _ = _convert(tmp_path, upload=False)
    with octoprint() as octo:
        run = _run(path, octo, tmp_path, env, seconds=5)
        state = octo.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["folders"] == [FOLDER], why
    assert state["uploaded"] == [] and state["removed"] == [], why
    assert all("step 29 POST /api/files/local: expected status 201, got 400" in failure["Error"]
               for failure in run.failures), why


def test_wrong_password_fails_at_the_login_and_makes_nothing(octoprint: type,
                                                             tmp_path: Path) -> None:
    """OctoPrint refuses the login (403): the step fails, no folder is made."""
    path, _, env, _ = _convert(tmp_path)
    env = {name: "not-alices-password-3" for name in env}
    with octoprint() as octo:
        run = _run(path, octo, tmp_path, env, seconds=5)
        state = octo.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["folders"] == [] and state["sentinel_intact"], why
    assert all("step 3 POST /api/login" in failure["Error"] for failure in run.failures), why


# --- the print journey: the user's pauses inside one page ---------------------------------------

PRINT_HAR = REPO_ROOT / "fixtures" / "zoo" / "octoprint" / "octoprint-print.har"
PRINTED = "calibration-cube.gcode"  # in the upload folder from the start (server.py)


def _print_script(tmp: Path, **options: object) -> tuple[Path, dict[str, str], float]:
    """The print journey's script, its secret's environment and how long one run of its flow
    sleeps (the recorded pauses)."""
    result = convert(PRINT_HAR, Options(**options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    env = {s.env: PASSWORD for s in result.scenario.secrets if s.kind == "password"}
    paused = sum(s.think_before for s in result.scenario.steps) + sum(
        g.think_before for g in result.scenario.groups)
    return path, env, paused


def test_a_print_is_asked_for_when_the_user_did(octoprint: type, tmp_path: Path) -> None:
    """The whole session is one page of the single-page UI: connecting the virtual printer
    answers at once (204) and the printer gets ready meanwhile; the user clicked "Load and
    Print" seconds later. With the recorded think time the script pauses there too (``think``
    inside the page): the print starts and is cancelled, as recorded, once. The run's time is
    a second shorter than the flow's pauses, so the first run of the flow is always under way
    when it ends, and ``--stop-timeout`` lets it finish (however slow the machine) and start no
    second one."""
    path, env, paused = _print_script(tmp_path)
    code = path.read_text("utf-8")
    assert code.count("# recorded think time inside the page") >= 2 and paused >= 3, code
    with octoprint() as octo:
        run = locust_headless(path, octo.url, tmp_path, seconds=math.ceil(paused) - 1, users=1,
                              extra=("--stop-timeout", ZOO_STOP_TIMEOUT), env=env)
        state = octo.state()
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["printed"] == [PRINTED] and state["cancelled"] == [PRINTED], why


def test_without_the_pauses_the_print_is_asked_for_too_early(octoprint: type,
                                                             tmp_path: Path) -> None:
    """Why the pauses inside a page are replayed: without them (``--think-time none``, as
    every pause inside a page was before) the print is asked for right after the connection:
    OctoPrint answers 409 (the printer is not operational yet), the step fails, nothing is
    printed at first."""
    path, env, _ = _print_script(tmp_path, think_time=ThinkTime("none"))
    with octoprint() as octo:
        run = locust_headless(path, octo.url, tmp_path, seconds=3, users=1, env=env)
        state = octo.state()
    why = _explain(run, state)
    assert run.failed > 0, why
    assert any("(command=select)" in f["Error"] and "expected status 204, got 409" in f["Error"]
               for f in run.failures), why
