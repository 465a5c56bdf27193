"""Zoo: Icinga Web 2.11 (Debian's icingaweb2, on PHP's built-in server and MariaDB), replayed.

The HAR (``fixtures/zoo/icingaweb/icingaweb.har``, recorded in Chromium by ``record.py``) logs
in as admin (a cookie check's redirects, then the form posted by XHR with its ``CSRFToken``
and ``formUID``, answered 200 with ``X-Icinga-Redirect: %2Fdashboard`` — the URL
percent-encoded — instead of a 302), opens the users' list, adds a user ``zoo-<epoch ms>``,
makes it inactive, removes it (each form answered with ``X-Icinga-Redirect``) and logs out.
Each test starts a fresh Icinga Web 2 (a new database, configuration, sessions and port) and
reads the outcome from the database's triggers.
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
HAR = REPO_ROOT / "fixtures" / "zoo" / "icingaweb" / "icingaweb.har"
USERS, SECONDS = 3, 10
NEW_USERS_PASSWORD = "zoo-user-pass-1"  # what the journey typed for the user it adds


def _password() -> str:
    from fixtures.zoo.icingaweb.server import PASSWORD

    return PASSWORD


PASSWORD = _password()


@pytest.fixture(scope="module")
def icingaweb() -> type:
    """The launcher class; skips the module when Icinga Web 2 is not installed."""
    from fixtures.zoo.icingaweb import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Icinga Web 2 zoo app cannot run: {reason}")
    return server.IcingaWeb


def _convert(tmp: Path, **options: object) -> tuple[Path, str, dict[str, str]]:
    """The script, the recorded origin and its secrets' environment: admin's password and
    the new user's (a password typed into a form is a secret too)."""
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    first, second = [s.env for s in result.scenario.secrets if s.kind == "password"]
    return path, result.scenario.main_origin, {first: PASSWORD, second: NEW_USERS_PASSWORD}


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    return _convert(tmp_path_factory.mktemp("icingaweb-correlated"))


def _run(script: Path, server: object, workdir: Path, env: dict[str, str],
         seconds: int = SECONDS) -> LocustRun:
    return locust_headless(script, server.url, workdir,  # type: ignore[attr-defined]
                           seconds=seconds, users=USERS,
                           extra=("--stop-timeout", ZOO_STOP_TIMEOUT), env=env)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every user the flow added was changed and removed, none left, bob
    untouched (also used by tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] > 0 and state["left"] == 0, why
    assert state["updated"] == state["deleted"] == state["created"], why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_server(icingaweb: type, script: tuple, tmp_path: Path,
                                           user_class: str) -> None:
    path, recorded_origin, env = script
    if user_class != "fast":
        path, _, env = _convert(tmp_path, user_class=user_class)
    with icingaweb(port=port_other_than(recorded_origin)) as server:
        assert urlsplit(server.url).port != urlsplit(recorded_origin).port
        run = _run(path, server, tmp_path, env)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends_and_checks(script: tuple) -> None:
    """Each form's ``CSRFToken`` from its page; the new user's name made fresh each run from
    the time in it; each XHR form's answer checked by where its ``X-Icinga-Redirect`` (the
    URL percent-encoded) sends the script."""
    code = script[0].read_text("utf-8")
    # the add form repeats is_active (a hidden 0, then the checkbox's 1): a list of pairs
    assert code.count('"CSRFToken": self.csrf_token') + code.count(
        '("CSRFToken", self.csrf_token)') == 4
    assert 'redirect_header=("X-Icinga-Redirect", r"/dashboard(\\?.*)?")' in code
    assert code.count('redirect_header=("X-Icinga-Redirect"') == 4


def test_without_correlation_the_login_is_refused(icingaweb: type, tmp_path: Path) -> None:
    """The recorded ``CSRFToken`` is the recording session's: Icinga Web 2 refuses the login
    with 500 ("Invalid CSRF token provided"); every iteration fails there, nothing is
    added."""
    path, _, env = _convert(tmp_path, correlate=False)
    with icingaweb() as server:
        run = _run(path, server, tmp_path, env, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["sentinel_intact"], why
    assert all("step 5 POST /authentication/login: expected status 200, got 500"
               in failure["Error"] for failure in run.failures), why


@pytest.fixture(scope="module")
def wrong_password_server(icingaweb: type) -> Iterator[object]:
    """A server where admin's password is not the one the script is given."""
    with icingaweb(password="not-the-recorded-one") as server:
        yield server


def test_wrong_password_fails_at_the_login_and_adds_nothing(wrong_password_server: object,
                                                            script: tuple,
                                                            tmp_path: Path) -> None:
    """Icinga Web 2 answers a wrong password 200 with its form again, without
    ``X-Icinga-Redirect``, where the recording had one to the dashboard: the check of that
    header fails the login in every iteration, and nothing is added."""
    path, _, env = script
    run = _run(path, wrong_password_server, tmp_path, env, seconds=5)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["sentinel_intact"], why
    assert all("step 5 POST /authentication/login: expected the X-Icinga-Redirect header to "
               "name /dashboard" in failure["Error"] for failure in run.failures), why


def test_a_refused_add_fails_by_the_header_that_was_not_sent(icingaweb: type, script: tuple,
                                                             tmp_path: Path) -> None:
    """An add Icinga Web 2 refuses (the name is taken) is answered 200 with the form and its
    error, without ``X-Icinga-Redirect``: the step fails, naming where the recording went."""
    path, _, env = script
    code = path.read_text("utf-8")
    assert "self.user_name = fresh_epoch_ms()" in code
    taken = tmp_path / "locustfile.py"
    taken.write_text(code.replace("self.user_name = fresh_epoch_ms()", "self.user_name = 1"),
                     "utf-8")
    with icingaweb() as server:
        server.sql("INSERT INTO icingaweb2.icingaweb_user (name, active, password_hash, ctime) "
                   "VALUES ('zoo-1', 1, 'x', NOW())")  # the name the script now adds
        run = _run(taken, server, tmp_path, env, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert state["created"] == 1 and state["deleted"] == 0 and state["updated"] == 0, why
    assert run.failed > 0 and all(
        "step 13 POST /user/add: expected the X-Icinga-Redirect header to name /user/list"
        in failure["Error"] for failure in run.failures), why
