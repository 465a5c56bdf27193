"""Zoo: a sign-up on Redmine (self-registration with automatic activation), replayed.

The HAR (``fixtures/zoo/redmine/redmine-signup.har``, recorded in Chromium by
``record_signup.py``) opens the login form, follows "Register", signs up ``keeper`` with
``keeper@zoo.example`` (``user[password]`` and ``user[password_confirmation]``), lands on "My
account" (Redmine signs the new account in) and signs out. A login and an address are taken
once: sent as recorded, every run but the first is refused ("Login has already been taken",
the form again). The conversion sees a sign-up (a new password sent twice) and each run signs
up an account of its own: the recorded name with a fresh suffix.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "redmine" / "redmine-signup.har"
PASSWORD = "looking-glass-77"  # the new account's, as recorded
USERS, SECONDS = 3, 10


@pytest.fixture(scope="module")
def redmine() -> type:
    """The launcher class; skips the module when Redmine is not installed."""
    from fixtures.zoo.redmine import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Redmine zoo app cannot run: {reason}")
    return server.Redmine


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp_path_factory.mktemp("redmine-signup"))


def _replay(redmine: type, path: Path, origin: str, env_var: str, workdir: Path
            ) -> tuple[LocustRun, dict]:
    with redmine(port=port_other_than(origin), self_registration=True) as tracker:
        assert urlsplit(tracker.url).port != urlsplit(origin).port
        run = run_against(path, tracker.url, workdir, env_var, PASSWORD, seconds=SECONDS,
                          users=USERS)
        return run, tracker.state()


def test_each_run_signs_up_an_account_of_its_own(
        redmine: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    path, origin, env_var = script
    run, state = _replay(redmine, path, origin, env_var, tmp_path)
    why = f"{run.explain()}\nserver state: {state}"
    made = state["answers"].get("AccountController#register 302", 0)
    assert made > USERS, why  # more runs than users: a user's second run signs up again
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    # one answer 200 per run, the form's (GET): a refused sign-up would be another
    assert state["answers"].get("AccountController#register 200") == made, why
    assert run.final["3 /account/register"] == (made, 0), why
    accounts = state["accounts"]
    assert len(accounts) == made == len(set(accounts)), why
    assert all(login.startswith("keeper") and login != "keeper" for login in accounts), why
    assert state["answers"].get("AccountController#logout 302") == made, why
    assert state["refusals"] == {} and state["sentinel_intact"], why


def test_the_account_s_name_and_address_are_made_per_run(script: tuple[Path, str, str]
                                                           ) -> None:
    code = script[0].read_text("utf-8")
    assert '("user[login]", f"keeper{self.user_login_suffix}")' in code
    assert '("user[mail]", f"keeper{self.user_mail_suffix}@zoo.example")' in code
    assert '("pref[hide_mail]", "0")' in code  # a checkbox of the address, not an address
    assert '"user[firstname]", "Kim"' in code  # a person's name is not taken once


def test_the_recorded_account_is_signed_up_once(
        redmine: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """What the suffix is for: the same script sending the recorded name and address signs
    up one account; every later run's sign-up fails its step."""
    path, origin, env_var = script
    code = path.read_text("utf-8")
    recorded = tmp_path / "recorded_account.py"
    recorded.write_text(code.replace('f"keeper{self.user_login_suffix}"', '"keeper"')
                        .replace('f"keeper{self.user_mail_suffix}@zoo.example"',
                                 '"keeper@zoo.example"'), "utf-8")
    run, state = _replay(redmine, recorded, origin, env_var, tmp_path)
    why = f"{run.explain()}\nserver state: {state}"
    assert state["accounts"] == ["keeper"], why
    sent, failed = run.final["3 /account/register"]
    assert sent > 1 and failed == sent - 1, why
