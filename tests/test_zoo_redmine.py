"""Zoo: Redmine from Debian's package (Rails 6.1 on SQLite), replayed by the generated script.

The HAR (``fixtures/zoo/redmine/redmine.har``, recorded in Chromium by ``record.py``) logs in
(``authenticity_token``: Rails' per-form masked CSRF token), opens the project ``zoo`` and its
issues, creates ``Zoo issue <epoch ms>`` (302 to ``/issues/<id>``), updates it with a note and
the status "Resolved" (``_method=patch``, ``lock_version``, the token of the page's
``csrf-token`` meta tag), deletes it (rails-ujs: ``_method=delete`` with the meta tag's token)
and signs out (rails-ujs: ``POST /logout``). Each test starts a fresh instance (a new
``secret_key_base``, so new sessions and tokens; issue ids after bob's sentinel at a random id;
another port) and reads the outcome from Redmine itself: how each controller action ended in
its own log (``IssuesController#create 302`` …), refused CSRF tokens, logins, the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "redmine" / "redmine.har"
PASSWORD = "looking-glass-77"  # alice's, as recorded (fixtures/zoo/redmine/server.py)
USERS, SECONDS = 3, 10
WORK = ("IssuesController#create 302", "IssuesController#update 302",
        "IssuesController#destroy 302", "AccountController#logout 302")


@pytest.fixture(scope="module")
def redmine() -> type:
    """The launcher class; skips the module when Redmine is not installed."""
    from fixtures.zoo.redmine import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Redmine zoo app cannot run: {reason}")
    return server.Redmine


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("redmine"))


@pytest.fixture(scope="module")
def wrong_password_tracker(redmine: type) -> Iterator[object]:
    with redmine(password="not-the-recorded-one") as tracker:
        yield tracker


def _run(script: Path, tracker: object, workdir: Path, env_var: str, seconds: int = SECONDS
         ) -> LocustRun:
    return run_against(script, tracker.url, workdir, env_var,  # type: ignore[attr-defined]
                       PASSWORD, seconds=seconds, users=USERS)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration logged in, created its issue, updated it, deleted it and
    signed out; no token refused; bob's issue untouched (also used by
    tests/test_zoo_recorded_port.py)."""
    why = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    logins = state["logins"].get("alice", 0)
    assert logins > 0 and state["failed_logins"] == {}, why
    assert all(state["answers"].get(action) == logins for action in WORK), why
    assert not [a for a in state["answers"] if a.endswith((" 404", " 409", " 422", " 500"))], why
    assert state["issues"] == {} and state["refusals"] == {}, why  # each issue was deleted
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_tracker(redmine: type, script: tuple[Path, str, str],
                                            tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with redmine(port=port_other_than(recorded_origin)) as tracker:
        assert urlsplit(tracker.url).port != urlsplit(recorded_origin).port
        run = _run(path, tracker, tmp_path, env_var)
        state = tracker.state()
    assert_full_lifecycle(run, state)


def test_rails_tokens_are_read_where_rails_writes_them(script: tuple[Path, str, str]) -> None:
    """The login form's ``authenticity_token`` input; for the forms rails-ujs builds (delete,
    sign out) the ``csrf-token`` meta tag; the new issue's id from the create's Location."""
    code = script[0].read_text("utf-8")
    assert "//meta[@name='csrf-token']/@content" in code
    assert '"authenticity_token": self.' in code
    assert 'f"/issues/{self.issue_id}' in code


def test_without_correlation_every_form_is_refused(redmine: type, tmp_path: Path) -> None:
    path, _, env_var = _convert(tmp_path, correlate=False)
    with redmine() as tracker:
        run = _run(path, tracker, tmp_path, env_var, seconds=5)
        state = tracker.state()
    why = f"{run.explain()}\nserver state: {state}"
    assert run.failed > 0 and state["refusals"].get("csrf", 0) > 0, why
    assert state["logins"] == {} and "IssuesController#create 302" not in state["answers"], why
    assert state["sentinel_intact"], why


def test_wrong_password_fails_every_iteration_and_creates_nothing(
        wrong_password_tracker: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    path, _, env_var = script
    run = _run(path, wrong_password_tracker, tmp_path, env_var, seconds=5)
    state = wrong_password_tracker.state()  # type: ignore[attr-defined]
    why = f"{run.explain()}\nserver state: {state}"
    attempts = state["failed_logins"].get("alice", 0)
    assert attempts > 0 and state["logins"] == {}, why
    assert run.final["02 /login"] == (attempts, attempts), why  # the login step failed
    assert "IssuesController#create 302" not in state["answers"], why
    assert state["sentinel_intact"], why
