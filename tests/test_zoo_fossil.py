"""Zoo: Fossil 2.21 (Debian's fossil, its own HTTP server and SQLite), replayed by the script.

The HAR (``fixtures/zoo/fossil/fossil.har``, recorded in Chromium by ``record.py``) logs in as
alice (a 302 that sets ``fossil-<project code>``), creates a ticket ``Zoo ticket <epoch ms>``
through "Preview" and "Submit" (each POST with the form's ``csrf``, the first characters of the
login cookie's value; the submit a 302 to ``/tktview/<uuid>``), closes it through
``/tktedit/<uuid>``, starts a forum thread (a 302 to ``/forumpost/<hash>``), replies to it (the
reply form's hidden ``fpid``) and logs out. Each test starts a fresh repository (a new project
code, so another cookie name and other hashes, another port) and reads the outcome from the
repository's own tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import (
    ZOO_STOP_TIMEOUT,
    LocustRun,
    convert_to_file,
    locust_headless,
    port_other_than,
    run_against,
)

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "fossil" / "fossil.har"
USERS, SECONDS = 1, 10  # one account: see the data file test for more users


def _password() -> str:
    from fixtures.zoo.fossil.server import PASSWORD

    return PASSWORD


PASSWORD = _password()


@pytest.fixture(scope="module")
def fossil() -> type:
    """The launcher class; skips the module when Fossil is not installed."""
    from fixtures.zoo.fossil import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Fossil zoo app cannot run: {reason}")
    return server.Fossil


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("fossil-correlated"))


def _run(script: Path, server: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         extra: tuple[str, ...] = ()) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS, extra=extra)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every ticket the flow created was commented and closed, every thread it
    started has a reply, bob's ticket untouched (also used by tests/test_zoo_recorded_port.py).
    A run stopped mid-iteration may leave one ticket or thread per user unfinished."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] > 0 and state["threads"] > 0, why
    assert state["created"] - state["closed"] <= USERS, why
    assert state["closed"] == state["commented"] or state["closed"] <= state["commented"], why
    assert state["replies"] > 0 and state["threads"] - state["replies"] <= USERS, why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_server(fossil: type, script: tuple[Path, str, str],
                                           tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with fossil(port=port_other_than(recorded_origin)) as server:
        assert urlsplit(server.url).port != urlsplit(recorded_origin).port
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends_back(script: tuple[Path, str, str]) -> None:
    """The form's ``csrf`` from the page that has it (not the login cookie it is a prefix
    of), the ticket's uuid from the create's redirect into the edit's path and form, the
    thread's hash from its redirect and the reply form's ``fpid`` from the thread's page."""
    code = script[0].read_text("utf-8")
    assert 'CSRF_XPATH = etree.XPath("//input[@name=\'csrf\']/@value")' in code
    assert '"csrf": self.csrf' in code and "fossil-" not in code
    assert 'f"/tktedit/{self.tktview_id}"' in code and '"name": self.tktview_id' in code
    assert 'f"/forumpost/{self.forumpost_id}"' in code and '"fpid": self.fpid' in code


def test_without_correlation_nothing_is_created(fossil: type, tmp_path: Path) -> None:
    """The recorded ``csrf`` is not the new login's: Fossil answers the ticket's submit 400
    (the preview before it checks nothing) where the recorded 302 was; no ticket, no
    thread."""
    path, _, env_var = _convert(tmp_path, correlate=False)
    with fossil() as server:
        run = _run(path, server, tmp_path, env_var, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["threads"] == 0, why
    assert {failure["Name"] for failure in run.failures} == {"09 /tktnew", "09 POST /tktnew"}, why
    assert all("expected status 302 to /tktview/<id>, got 400" in failure["Error"]
               for failure in run.failures), why
    assert state["sentinel_intact"], why


@pytest.fixture(scope="module")
def wrong_password_server(fossil: type) -> Iterator[object]:
    """A server where alice's password is not the one the script is given."""
    with fossil(password="not-the-recorded-one") as server:
        yield server


def test_wrong_password_fails_at_the_login_and_creates_nothing(
        wrong_password_server: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """Fossil answers a wrong password with its login form again (200), where the recorded
    302 was: every iteration fails there and nothing is created."""
    path, _, env_var = script
    run = _run(path, wrong_password_server, tmp_path, env_var, seconds=5)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    logins, failed = run.final["04 /login"]
    assert logins > 0 and failed == logins, why
    assert state["created"] == 0 and state["sentinel_intact"], why


def test_each_iteration_logs_in_with_the_next_account_of_the_data_file(fossil: type,
                                                                       tmp_path: Path) -> None:
    """``--data`` with ``--data-per iteration``: each run of the flow takes the next row of the
    CSV file (with a new cookie jar), so the tickets are created by every account of the
    file, each run's ``csrf`` read from its own login, and nothing fails. (One user: Fossil
    answers concurrent writes "database is locked" (400) now and then, a server limit.)"""
    from fixtures.zoo.fossil.server import TEAM
    from har2locust_plus import Options, ThinkTime, convert

    data = tmp_path / "users.csv"
    data.write_text("u,p\n" + "".join(f"{name},{password}\n" for name, password in TEAM),
                    "utf-8")
    result = convert(HAR, Options(think_time=ThinkTime("none"), data_file=str(data),
                                  data_per="iteration"))
    assert [column.name for column in result.scenario.data_columns] == ["u", "p"]
    path = tmp_path / "locustfile.py"
    path.write_text(result.code, "utf-8")
    with fossil() as server:
        run = locust_headless(path, server.url, tmp_path, seconds=SECONDS, users=1,
                              extra=("--stop-timeout", ZOO_STOP_TIMEOUT))
        state = server.state()
    assert_full_lifecycle(run, state)
    assert state["authors"] == sorted(name for name, _ in TEAM), _explain(run, state)
