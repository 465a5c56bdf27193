"""Zoo: the Zabbix 6.0 frontend (Debian's zabbix-frontend-php, on PHP's built-in server and
MariaDB), replayed.

The HAR (``fixtures/zoo/zabbix/zabbix.har``, recorded in Chromium by ``record.py``) signs in as
Admin (a 302 to the dashboard, whose widgets load by XHR with ``sid`` in their address), opens
the hosts' list, creates ``Zoo host <epoch ms>`` in a popup form posted by XHR (answered 200
with ``{"success": {"title": "Host added"}}``, no id), opens it from the list, changes its
description, deletes it by its row's checkbox (``hostids[<id>]``) and signs out. Each test
starts a fresh Zabbix (a new database, sessions and port; the hosts' ids from a random base)
and reads the outcome from the database's triggers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ZOO_STOP_TIMEOUT, LocustRun, locust_headless, port_other_than

from har2locust_plus import Options, ThinkTime, convert

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "zabbix" / "zabbix.har"
USERS, SECONDS = 3, 10


def _password() -> str:
    from fixtures.zoo.zabbix.server import PASSWORD

    return PASSWORD


PASSWORD = _password()


@pytest.fixture(scope="module")
def zabbix() -> type:
    """The launcher class; skips the module when the Zabbix frontend is not installed."""
    from fixtures.zoo.zabbix import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Zabbix zoo app cannot run: {reason}")
    return server.Zabbix


def _convert(tmp: Path, **options: object) -> tuple[Path, str, dict[str, str]]:
    """The script, the recorded origin and its secret's environment."""
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    [secret] = result.scenario.secrets
    return path, result.scenario.main_origin, {secret.env: PASSWORD}


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    return _convert(tmp_path_factory.mktemp("zabbix-correlated"))


def _run(script: Path, server: object, workdir: Path, env: dict[str, str],
         seconds: int = SECONDS) -> LocustRun:
    return locust_headless(script, server.url, workdir,  # type: ignore[attr-defined]
                           seconds=seconds, users=USERS,
                           extra=("--stop-timeout", ZOO_STOP_TIMEOUT), env=env)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every host the flow created was changed and deleted, none left, bob's
    untouched (also used by tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] > 0 and state["left"] == 0, why
    assert state["updated"] == state["deleted"] == state["created"], why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_server(zabbix: type, script: tuple, tmp_path: Path,
                                           user_class: str) -> None:
    path, recorded_origin, env = script
    if user_class != "fast":
        path, _, env = _convert(tmp_path, user_class=user_class)
    with zabbix(port=port_other_than(recorded_origin)) as server:
        assert urlsplit(server.url).port != urlsplit(recorded_origin).port
        run = _run(path, server, tmp_path, env)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends_and_checks(script: tuple) -> None:
    """``sid`` from the page's ``csrf-token`` meta tag; the new host's name made fresh each
    run from the time in it; its id read from the list's row that holds that name (the row's
    checkbox ``hostids[<id>]``), never by the checkbox's recorded name; each XHR form's JSON
    answer checked for its ``success`` title."""
    code = script[0].read_text("utf-8")
    assert code.count('"sid": self.csrf_token') == 2
    assert "from_html_row_value(" in code and '"tr",\n                    self.host_2,' in code
    assert "hostids[" in code and "@name='hostids[" not in code
    assert 'data={f"hostids[{self.hostid}]": self.hostid}' in code
    for title in ("Host added", "Host updated", "Host deleted"):
        assert f'json_values=(("success.title", "{title}"),)' in code


def test_without_correlation_nothing_is_created(zabbix: type, tmp_path: Path) -> None:
    """The recorded ``sid`` is the recording session's: Zabbix answers the first XHR that
    sends it 200 with ``{"error": "Access denied"}``; every iteration fails there, nothing is
    created."""
    path, _, env = _convert(tmp_path, correlate=False)
    with zabbix() as server:
        run = _run(path, server, tmp_path, env, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["sentinel_intact"], why
    assert all('step 4 POST /zabbix.php (action=notifications.get): the response has an '
               'error: "Access denied"' in failure["Error"] for failure in run.failures), why


@pytest.fixture(scope="module")
def wrong_password_server(zabbix: type) -> Iterator[object]:
    """A server where Admin's password is not the one the script is given."""
    with zabbix(password="not-the-recorded-one") as server:
        yield server


def test_wrong_password_fails_at_the_sign_in_and_creates_nothing(wrong_password_server: object,
                                                                 script: tuple,
                                                                 tmp_path: Path) -> None:
    """Zabbix answers a wrong password 200 with its form again where the recording had a 302
    to the dashboard: the sign-in fails in every iteration, and nothing is created."""
    path, _, env = script
    run = _run(path, wrong_password_server, tmp_path, env, seconds=5)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["sentinel_intact"], why
    assert all("step 2 POST /index.php" in failure["Error"] for failure in run.failures), why


def test_a_refused_create_fails_by_its_json_answer(zabbix: type, script: tuple,
                                                   tmp_path: Path) -> None:
    """A host Zabbix refuses to create (the name is taken) is answered 200 with
    ``{"error": {"title": "Cannot add host", …}}``: the step fails, quoting the error."""
    path, _, env = script
    code = path.read_text("utf-8")
    assert "self.host_2 = fresh_epoch_ms()" in code
    taken = tmp_path / "locustfile.py"
    taken.write_text(code.replace("self.host_2 = fresh_epoch_ms()", "self.host_2 = 1"), "utf-8")
    with zabbix() as server:
        base = server.sentinel + 500
        server.sql(f"INSERT INTO zabbix.hosts (hostid, host, name, status, description) "
                   f"VALUES ({base}, 'Zoo host 1', 'Zoo host 1', 0, '')")  # the name it adds
        run = _run(taken, server, tmp_path, env, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert state["created"] == 1 and state["deleted"] == 0 and state["updated"] == 0, why
    assert run.failed > 0 and all(
        "step 16 POST /zabbix.php (action=host.create)" in failure["Error"]
        and 'the response has an error: {"title": "Cannot add host"' in failure["Error"]
        and "already exists" in failure["Error"] for failure in run.failures), why
