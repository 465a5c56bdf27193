"""Zoo: Radicale 3.1 (Debian's radicale, WebDAV: CalDAV and CardDAV), replayed by the script.

The HAR (``fixtures/zoo/radicale/radicale.har``, recorded in Chromium by ``record.py``) is
Radicale's own web interface: its script opens every request with the user and the password
(``XMLHttpRequest.open(method, url, true, user, password)``), which Chromium records as the
URL's user information (``http://alice:…@127.0.0.1:…/``), with no ``Authorization`` header;
``PROPFIND`` logs in and lists the collections (207 Multi-Status), ``MKCOL`` makes an address
book at ``/alice/<random hex in a UUID's shape>/``, ``PROPPATCH`` changes it and ``DELETE``
removes it (both answered by a multi-status). Each test starts a fresh Radicale (new storage,
users file and port) and reads the outcome from its log and storage folder.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, port_other_than, run_against

from har2locust_plus import Options, ThinkTime, convert

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "radicale" / "radicale.har"
USERS, SECONDS = 3, 10
SECRET_KIND = "Basic authorization"  # the script's --basic-credentials


def credentials(password: str | None = None) -> str:
    """What ``--basic-credentials`` takes: ``user:password`` in base64."""
    from fixtures.zoo.radicale.server import PASSWORD, USER

    return base64.b64encode(f"{USER}:{password or PASSWORD}".encode()).decode()


PASSWORD = credentials()  # what test_zoo_recorded_port.py gives the script


@pytest.fixture(scope="module")
def radicale() -> type:
    """The launcher class; skips the module when Radicale is not installed."""
    from fixtures.zoo.radicale import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Radicale zoo app cannot run: {reason}")
    return server.Radicale


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    [env_var] = [s.env for s in result.scenario.secrets if s.kind == SECRET_KIND]
    return path, result.scenario.main_origin, env_var


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("radicale-correlated"))


def _run(script: Path, server: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         password: str = PASSWORD) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, password,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every address book the flow made was changed and deleted, none left,
    nothing refused, bob's untouched (also used by tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["made"] > 0 and state["left"] == 0 and state["refused"] == 0, why
    assert state["renamed"] == state["deleted"] == state["made"], why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_server(radicale: type, script: tuple[Path, str, str],
                                           tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with radicale(port=port_other_than(recorded_origin)) as server:
        assert urlsplit(server.url).port != urlsplit(recorded_origin).port
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends(script: tuple[Path, str, str]) -> None:
    """The URL's user information becomes Basic credentials, a secret of the script (the
    password nowhere in it); the collection's random name is made fresh each run, the same
    in its MKCOL, PROPPATCH and DELETE; the changes' multi-status answers are checked."""
    from fixtures.zoo.radicale.server import PASSWORD as RECORDED

    code = script[0].read_text("utf-8")
    assert code.count('"Authorization": f"Basic {self.basic_credentials}"') == 8  # each DAV request
    assert RECORDED not in code and "alice:" not in code and "@127.0.0.1" not in code
    assert "self.uuid = str(uuid.uuid4())" in code
    assert code.count('f"/alice/{self.uuid}/"') == 3
    assert code.count("dav_ok=True") == 2


def test_wrong_password_is_refused_and_makes_nothing(radicale: type, script: tuple[Path, str, str],
                                                    tmp_path: Path) -> None:
    """Wrong credentials: Radicale answers the first PROPFIND 401, where 207 was recorded;
    every iteration ends there and nothing is made."""
    path, _, env_var = script
    with radicale() as server:
        run = _run(path, server, tmp_path, env_var, seconds=5,
                   password=credentials("not-the-recorded-one"))
        state = server.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["made"] == 0 and state["sentinel_intact"], why
    assert all("expected status 207, got 401" in failure["Error"] for failure in run.failures), \
        why
