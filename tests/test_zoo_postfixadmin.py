"""Zoo: PostfixAdmin 3.3 (Debian's postfixadmin, on PHP's built-in server and SQLite), replayed.

The HAR (``fixtures/zoo/postfixadmin/postfixadmin.har``, recorded in Chromium by
``record.py``) logs in as the superadmin (the form's ``token``), adds a domain
``zoo-<epoch ms>.example``, adds the mailbox ``zoo`` to it, renames it, deletes it (a form
posting the address and the ``token``), deletes the domain and logs out. Each test starts a
fresh PostfixAdmin (a new database, sessions and port) and reads the outcome from the
database's triggers.
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
HAR = REPO_ROOT / "fixtures" / "zoo" / "postfixadmin" / "postfixadmin.har"
USERS, SECONDS = 3, 10
MAILBOX_PASSWORD = "zoo-mail-pass-42"  # what the journey typed for the mailbox it adds


def _password() -> str:
    from fixtures.zoo.postfixadmin.server import PASSWORD

    return PASSWORD


PASSWORD = _password()


@pytest.fixture(scope="module")
def postfixadmin() -> type:
    """The launcher class; skips the module when PostfixAdmin is not installed."""
    from fixtures.zoo.postfixadmin import server

    reason = server.missing()
    if reason:
        pytest.skip(f"PostfixAdmin zoo app cannot run: {reason}")
    return server.PostfixAdmin


def _convert(tmp: Path, **options: object) -> tuple[Path, str, dict[str, str]]:
    """The script, the recorded origin and its secrets' environment: the superadmin's
    password and the new mailbox's."""
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    first, second = [s.env for s in result.scenario.secrets if s.kind == "password"]
    return path, result.scenario.main_origin, {first: PASSWORD, second: MAILBOX_PASSWORD}


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    return _convert(tmp_path_factory.mktemp("postfixadmin-correlated"))


def _run(script: Path, server: object, workdir: Path, env: dict[str, str],
         seconds: int = SECONDS) -> LocustRun:
    return locust_headless(script, server.url, workdir,  # type: ignore[attr-defined]
                           seconds=seconds, users=USERS,
                           extra=("--stop-timeout", ZOO_STOP_TIMEOUT), env=env)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every domain the flow added got a mailbox, which was renamed and deleted,
    then the domain was deleted; none left, bob's untouched (also used by
    tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["domains_created"] > 0 and state["left"] == 0, why
    assert (state["mailboxes_created"] == state["mailboxes_updated"]
            == state["mailboxes_deleted"] == state["domains_deleted"]
            == state["domains_created"]), why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_server(postfixadmin: type, script: tuple, tmp_path: Path,
                                           user_class: str) -> None:
    path, recorded_origin, env = script
    if user_class != "fast":
        path, _, env = _convert(tmp_path, user_class=user_class)
    with postfixadmin(port=port_other_than(recorded_origin)) as server:
        assert urlsplit(server.url).port != urlsplit(recorded_origin).port
        run = _run(path, server, tmp_path, env)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends(script: tuple) -> None:
    """Each form's ``token`` from its page; the domain's name made fresh each run from the
    time in it; the mailbox's address (which the list shows in every row's form, the four
    default aliases' first) made from that same time, not read from the list by its place."""
    code = script[0].read_text("utf-8")
    assert code.count('"token": self.token') >= 5
    assert 'f"zoo-{self.value_domain}.example"' in code
    assert '"delete": f"zoo@zoo-{self.value_domain}.example"' in code
    assert "edit=zoo%40zoo-{quote_plus(str(self.value_domain))}.example" in code
    assert "@name='delete']/@value)[" not in code


def test_without_correlation_nothing_is_added(postfixadmin: type, tmp_path: Path) -> None:
    """The recorded ``token`` is the recording session's: PostfixAdmin answers the login 200
    with its form again where the recording had a 302, and nothing is added."""
    path, _, env = _convert(tmp_path, correlate=False)
    with postfixadmin() as server:
        run = _run(path, server, tmp_path, env, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["domains_created"] == 0 and state["sentinel_intact"], why
    assert all("step 2 POST /login.php: expected status 302 to main.php, got 200"
               in failure["Error"] for failure in run.failures), why


@pytest.fixture(scope="module")
def wrong_password_server(postfixadmin: type) -> Iterator[object]:
    """A server where the superadmin's password is not the one the script is given."""
    with postfixadmin(password="not-the-recorded-one-99") as server:
        yield server


def test_wrong_password_fails_at_the_login_and_adds_nothing(wrong_password_server: object,
                                                            script: tuple,
                                                            tmp_path: Path) -> None:
    path, _, env = script
    run = _run(path, wrong_password_server, tmp_path, env, seconds=5)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    assert run.failed > 0 and state["domains_created"] == 0 and state["sentinel_intact"], why
    assert all("step 2 POST /login.php" in failure["Error"] for failure in run.failures), why


def test_a_refused_add_fails_at_its_step(postfixadmin: type, script: tuple,
                                         tmp_path: Path) -> None:
    """A domain PostfixAdmin refuses to add (it exists) is answered 200 with the form and its
    error where the recording had a 302: the step fails, and nothing of the flow's follows."""
    path, _, env = script
    code = path.read_text("utf-8")
    assert "self.value_domain = fresh_epoch_ms()" in code
    taken = tmp_path / "locustfile.py"
    taken.write_text(code.replace("self.value_domain = fresh_epoch_ms()",
                                  "self.value_domain = 1"), "utf-8")
    with postfixadmin() as server:
        server.sql("INSERT INTO domain (domain, description, aliases, mailboxes, maxquota, "
                   "quota, transport, backupmx, created, modified, active, password_expiry) "
                   "VALUES ('zoo-1.example', 'taken', 10, 10, 10, 2048, 'virtual', 0, "
                   "datetime('now'), datetime('now'), 1, 365)")
        run = _run(taken, server, tmp_path, env, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert state["domains_created"] == 1 and state["mailboxes_created"] == 0, why
    assert run.failed > 0 and all(
        "step 6 POST /edit.php: expected status 302 to edit.php, got 200" in failure["Error"]
        for failure in run.failures), why
