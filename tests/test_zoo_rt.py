"""Zoo: Request Tracker 5 (Debian's request-tracker5 on SQLite), replayed by the script.

The HAR (``fixtures/zoo/rt/rt.har``, recorded in Chromium by ``record.py``) logs in as root
(a hidden ``next`` in the form; the answer a 302 that Debian's Starlet ends with its last chunk
twice), opens "New ticket", creates a ticket ``Zoo ticket <epoch ms>`` (``multipart/form-data``
with RT's hidden ``Token``; a 302 to ``Display.html?id=<id>&results=<key>``), replies through
the ticket's ``Update.html?Action=Respond;id=<id>`` (parameters separated by ``;``, as Perl's
CGI writes them), resolves it and logs out. Each test starts a fresh RT (a new database, ids
from a random base, another port, so another session cookie name: ``RT_SID_zoo.<port>``) and
reads the outcome from RT's own database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "rt" / "rt.har"
USERS, SECONDS = 3, 12


def _password() -> str:
    from fixtures.zoo.rt.server import PASSWORD

    return PASSWORD


PASSWORD = _password()


@pytest.fixture(scope="module")
def rt() -> type:
    """The launcher class; skips the module when RT is not installed."""
    from fixtures.zoo.rt import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Request Tracker zoo app cannot run: {reason}")
    return server.RequestTracker


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("rt-correlated"))


def _run(script: Path, server: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         extra: tuple[str, ...] = ()) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS, extra=extra)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every ticket the flow created was answered and resolved, bob's untouched
    (also used by tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] > 0 and state["open"] == 0, why
    assert state["replied"] == state["resolved"] == state["created"], why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_server(rt: type, script: tuple[Path, str, str],
                                           tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with rt(port=port_other_than(recorded_origin)) as server:
        assert urlsplit(server.url).port != urlsplit(recorded_origin).port
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends_back(script: tuple[Path, str, str]) -> None:
    """The ticket's id, from the create's redirect, inside the ``;`` separated parameters of
    the reply's link (the separators kept, not percent-encoded); the messages' key from each
    redirect; the form's ``Token`` from its page; and FastHttpUser takes the answers Starlet
    ends twice."""
    code = script[0].read_text("utf-8")
    assert 'f"/Ticket/Update.html?Action=Respond;id={quote_plus(str(self.id))}"' in code
    assert "Respond%3B" not in code and "self.action" not in code
    assert code.count("RESULTS_RE") == 4, code  # defined, read from each of three redirects
    assert "@events.init.add_listener\ndef end_answers_as_browsers_do(" in code


def test_without_correlation_no_ticket_is_answered(rt: type, tmp_path: Path) -> None:
    """The recorded ticket id names no ticket on a fresh server: the reply's form is answered
    404, where 200 was recorded; the flow stops there, and no ticket is answered or
    resolved."""
    path, _, env_var = _convert(tmp_path, correlate=False)
    with rt() as server:  # long enough for a failure to reach Locust's CSV before the end
        run = _run(path, server, tmp_path, env_var, seconds=10)
        state = server.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["replied"] == 0 and state["resolved"] == 0, why
    # the reply's form failed: by its message where the failures CSV (rewritten once a second)
    # has it, else by Locust's final counts (a loaded machine can end the run before the CSV)
    assert any("expected status 200, got 404" in failure["Error"] for failure in run.failures) \
        if run.failures else any(failed for name, (_, failed) in run.final.items()
                                 if "/Ticket/Update.html" in name), why
    assert state["sentinel_intact"], why


@pytest.fixture(scope="module")
def wrong_password_server(rt: type) -> Iterator[object]:
    """A server where root's password is not the one the script is given."""
    with rt(password="not-the-recorded-one") as server:
        yield server


def test_wrong_password_fails_at_the_login_and_creates_nothing(
        wrong_password_server: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """RT answers a wrong password with its login form again (200), where the recorded 302
    was: every iteration fails there and nothing is created."""
    path, _, env_var = script
    run = _run(path, wrong_password_server, tmp_path, env_var, seconds=5)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    logins, failed = run.final["02 /NoAuth/Login.html"]
    assert logins > 0 and failed == logins, why
    assert state["created"] == 0 and state["sentinel_intact"], why


def test_verify_passes_on_a_fresh_instance(rt: type, monkeypatch: pytest.MonkeyPatch) -> None:
    """``verify`` runs the script's user without Locust's runner, so without its ``init``
    event: it applies the script's reader of answers that go on after their end itself (else
    the login's answer failed there too)."""
    from har2locust_plus import Options
    from har2locust_plus.verify import core as verify_core

    monkeypatch.setenv("H2L_PASSWORD", PASSWORD)
    with rt() as server:
        outcome = verify_core.verify(HAR, server.url, Options())
        state = server.state()
    assert outcome.passed, outcome.final.verdict()
    assert state["created"] == state["replied"] == state["resolved"] == 2, state  # 2 iterations
