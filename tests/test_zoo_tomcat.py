"""Zoo: Tomcat 10's own HTML Manager (Debian's tomcat10 and tomcat10-admin), replayed.

The HAR (``fixtures/zoo/tomcat/tomcat.har``, recorded in Chromium by ``record.py``) opens the
Manager behind the browser's Basic authentication (the HAR shows the first request without
``Authorization``: the browser sent the credentials on the ``401``'s retry, which the HAR does
not show), deploys a directory of the server at a context path ``/zoo-<epoch ms>`` that the
user typed, opens the new application, opens the Manager again, and stops, starts and
undeploys the application. A new session's links carry ``;jsessionid=…`` and every link and
form action Tomcat's ``CsrfPreventionFilter`` nonce, new on every page; the Manager answers
``200`` whatever it did, with a message that starts ``OK -`` or ``FAIL -``. Each test starts
a fresh Tomcat (a new ``CATALINA_BASE``, another port) and reads the outcome from Tomcat's own
log (what it deployed and undeployed), its text Manager (what runs now) and its access log.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, port_other_than, run_against

from har2locust_plus import Options, ThinkTime, convert

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "tomcat" / "tomcat.har"
USERS, SECONDS = 3, 12
SECRET_KIND = "Basic authorization"  # the script's --basic-credentials


def credentials(password: str | None = None) -> str:
    """What ``--basic-credentials`` takes: ``user:password`` in base64."""
    from fixtures.zoo.tomcat.server import PASSWORD, USER

    return base64.b64encode(f"{USER}:{password or PASSWORD}".encode()).decode()


PASSWORD = credentials()  # what test_zoo_recorded_port.py gives the script


@pytest.fixture(scope="module")
def tomcat() -> type:
    """The launcher class; skips the module when Tomcat is not installed."""
    from fixtures.zoo.tomcat import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Tomcat zoo app cannot run: {reason}")
    return server.Tomcat


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    [env_var] = [s.env for s in result.scenario.secrets if s.kind == SECRET_KIND]
    return path, result.scenario.main_origin, env_var


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("tomcat-correlated"))


def _run(script: Path, server: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         extra: tuple[str, ...] = (), password: str = PASSWORD) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, password,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS, extra=extra)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every application deployed was undeployed (each context path once, none
    left running), nothing refused (also used by tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["deployed"] > 0 and state["deployed"] == state["undeployed"], why
    assert state["deployed_twice"] == [] and state["left"] == [], why
    assert state["refused"] == 0 and state["unauthorized"] == 0, why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_server(tomcat: type, script: tuple[Path, str, str],
                                           tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with tomcat(port=port_other_than(recorded_origin)) as server:
        assert urlsplit(server.url).port != urlsplit(recorded_origin).port
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends_back(script: tuple[Path, str, str]) -> None:
    """The first request sends the credentials the next ones were recorded with; the session
    id in a path parameter and the nonce come from the live session; the context path the
    user typed is made anew (it holds the time it was typed), also where a later request
    names it; each command's answer is checked for the Manager's "OK -" message."""
    code = script[0].read_text("utf-8")
    first = code[code.index("def manager(self)"):code.index("def post_manager_html(self)")]
    assert '"Authorization": f"Basic {self.basic_credentials}"' in first, first
    assert "/manager/html/deploy;jsessionid={quote(str(self.jsessionid), safe='')}?" in code
    # the four commands, and the Referers of the two that followed another
    assert code.count("CSRF_NONCE={quote_plus(str(self.org_apache_catalina_filters_csrf))}") \
        == 6, code
    assert 'f"/zoo-{self.deploy_path}/"' in code
    assert code.count("path=%2Fzoo-{quote_plus(str(self.deploy_path))}&") >= 3
    for verb in ("Deployed", "Stopped", "Started", "Undeployed"):
        assert f'"OK - {verb} application at context path",' in code, verb
    recorded = re.search(r"zoo-(\d{13})", HAR.read_text("utf-8"))
    assert recorded is not None
    sent = [line for line in code.splitlines() if recorded.group(1) in line]
    assert sent == [f'        """/zoo-{recorded.group(1)}/"""'], sent  # the step's docstring


def test_without_correlation_nothing_is_deployed(tomcat: type, tmp_path: Path) -> None:
    """The recorded nonces belong to another session: Tomcat's CsrfPreventionFilter answers
    each command 403, every iteration fails there and nothing is deployed."""
    path, _, env_var = _convert(tmp_path, correlate=False)
    with tomcat() as server:
        run = _run(path, server, tmp_path, env_var, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["refused"] > 0 and state["deployed"] == 0, why
    assert any("expected status 200, got 403" in failure["Error"] for failure in run.failures), \
        why


def test_a_deploy_the_manager_refuses_fails_its_step(tomcat: type, tmp_path: Path) -> None:
    """With the context path fixed (as a tool that replays the typed text verbatim would send
    it), a second deploy of it is answered 200 as well, with "FAIL - Application already
    exists at path [/zoo-…]": the check of the recorded "OK - Deployed application" message
    makes that step fail, not pass."""
    path, _, env_var = _convert(tmp_path)
    code = path.read_text("utf-8")
    assert code.count("self.deploy_path = fresh_epoch_ms()") == 1
    path.write_text(code.replace("self.deploy_path = fresh_epoch_ms()",
                                 'self.deploy_path = "1796000000000"'), "utf-8")
    with tomcat() as server:
        run = _run(path, server, tmp_path, env_var, seconds=6)
        state = server.state()
    why = _explain(run, state)
    assert state["deployed"] >= 1, why
    assert any("expected the body to contain 'OK - Deployed application at context path'"
               in failure["Error"] for failure in run.failures), why


@pytest.fixture(scope="module")
def wrong_password_server(tomcat: type) -> Iterator[object]:
    """A server where admin's password is not the one the script is given."""
    with tomcat(password="not-the-recorded-one") as server:
        yield server


def test_wrong_password_fails_at_the_first_request(
        wrong_password_server: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """Every request of the Manager needs the credentials: with the wrong ones the first is
    answered 401, where 200 was recorded, and the flow goes no further."""
    path, _, env_var = script
    run = _run(path, wrong_password_server, tmp_path, env_var, seconds=5)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    assert run.final["1 /manager/html"][0] > 0, why
    assert run.final["1 /manager/html"][0] == run.final["1 /manager/html"][1], why
    assert all(not name.startswith(("2 ", "3 ")) for name in run.final), why
    assert state["deployed"] == 0 and state["unauthorized"] > 0, why
