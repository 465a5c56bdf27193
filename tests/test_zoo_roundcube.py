"""Zoo: Roundcube webmail from Debian's package (on a Dovecot IMAP server of its own),
replayed by the generated script.

The HAR (``fixtures/zoo/roundcube/roundcube.har``, recorded in Chromium by ``record.py``) logs
in (``_token`` in the form; the 302's ``Location`` carries the session's new request token,
which every AJAX call sends in ``X-Roundcube-Request`` and every form in ``_token``), creates
the contact ``Zoo Zoo <epoch s>`` in the contact frame (the browser kept no body of that
answer), reads the refreshed list (JSON whose ``exec`` script calls ``add_contact_row("<id>",
{"name": …})`` for each contact, a sentinel contact first), opens, edits and deletes the new
contact (AJAX ``POST`` with ``_cid``), creates and deletes a folder of the same name and logs
out (a link with ``_token``). Each test starts a fresh server (new IMAP server, database,
``des_key``, contact ids from a random base, another port) and reads the outcome from the
database's own triggers, the IMAP server and the messages Roundcube showed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "roundcube" / "roundcube.har"
USERS, SECONDS = 3, 12


@pytest.fixture(scope="module")
def roundcube() -> type:
    """The launcher class; skips the module when Roundcube or Dovecot cannot run here."""
    from fixtures.zoo.roundcube import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Roundcube zoo app cannot run: {reason}")
    return server.Roundcube


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("roundcube-correlated"))


def _run(script: Path, mail: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         extra: tuple[str, ...] = ()) -> LocustRun:
    from fixtures.zoo.roundcube.server import PASSWORD

    return run_against(script, mail.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS, extra=extra)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def _recorded_contact_id() -> str:
    """The id of the contact the recording created, edited and deleted."""
    for entry in json.loads(HAR.read_text("utf-8"))["log"]["entries"]:
        if "_action=delete" in entry["request"]["url"]:
            match = re.search(r"_cid=(\d+)", entry["request"]["postData"]["text"])
            assert match is not None
            return match.group(1)
    raise AssertionError("the recording deletes no contact")


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration created its contact, changed and deleted that very one,
    made and removed its folder, and logged out; nothing was refused (also used by
    tests/test_zoo_recorded_port.py)."""
    from fixtures.zoo.roundcube.server import USER

    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    contacts = state["contacts"]
    made = contacts["inserted"].get(USER, 0)
    assert made > 0 and state["refused"] == 0 and state["failed_logins"] == {}, why
    # an iteration cut short by the end of the run may have left its contact
    assert contacts["deleted"] == state["deleted_own"] == {USER: made - len(state["live"])}, why
    assert contacts["updated"].get(USER, 0) >= made - len(state["live"]), why
    assert state["folders"].get("created", 0) >= state["folders"].get("deleted", 0) > 0, why
    assert state["sentinels_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_server(roundcube: type, script: tuple[Path, str, str],
                                           tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with roundcube(port=port_other_than(recorded_origin)) as mail:
        assert urlsplit(mail.url).port != urlsplit(recorded_origin).port
        run = _run(path, mail, tmp_path, env_var)
        state = mail.state()
    assert_full_lifecycle(run, state)


def test_the_contact_id_is_read_from_its_row_in_the_list(script: tuple[Path, str, str]) -> None:
    """The list names every contact; the new one is found by the surname the client typed
    (a fresh epoch each run), not by its place; the token of each AJAX call comes from the
    login's redirect."""
    code = script[0].read_text("utf-8")
    assert re.search(r'self\.contact_id = from_row\(\s*resp,\s*"step \d+ GET / '
                     r'\(_task=addressbook, _action=list\)",\s*"contact_id",\s*CONTACT_ID_RE,'
                     r'\s*self\.surname,?\s*\)', code)
    assert "self.surname = fresh_epoch_s()" in code
    assert _recorded_contact_id() not in code
    assert '"X-Roundcube-Request": f"{self.token_2}"' in code
    assert 'contains=("Contact(s) deleted successfully.",)' in code


def test_a_delete_that_names_no_contact_fails_its_step(roundcube: type, tmp_path: Path) -> None:
    """With the contact's id left as recorded (``--ignore-value``) the edit names no contact
    on a fresh server: Roundcube answers 200 without "Successfully saved." (the message its
    script shows, ``display_message(…)``), which is checked, so the edit's step fails and the
    run of the flow ends there, instead of every step passing while nothing changed."""
    path, _, env_var = _convert(tmp_path, ignore_values=(f"^{_recorded_contact_id()}$",))
    assert "from_row" not in path.read_text("utf-8")
    with roundcube() as mail:
        run = _run(path, mail, tmp_path, env_var, seconds=6)
        state = mail.state()
    why = _explain(run, state)
    assert state["contacts"]["inserted"].get("alice", 0) > 0, why
    assert state["contacts"]["deleted"] == {} and state["contacts"]["updated"] == {}, why
    assert any("expected the body to contain 'Successfully saved.'" in failure["Error"]
               for failure in run.failures), why
    assert state["sentinels_intact"], why


def test_without_correlation_nothing_is_created(roundcube: type, tmp_path: Path) -> None:
    """Without correlation the recorded request tokens are sent: Roundcube refuses the login
    (its form's ``_token`` is the recorded one), and nothing is created."""
    path, _, env_var = _convert(tmp_path, correlate=False)
    with roundcube() as mail:
        run = _run(path, mail, tmp_path, env_var, seconds=6, extra=("--continue-on-failure",))
        state = mail.state()
    why = _explain(run, state)
    assert run.failed > 0, why
    assert state["contacts"]["inserted"] == {} and state["logins"] == {}, why
    assert state["sentinels_intact"], why


@pytest.fixture(scope="module")
def wrong_password_server(roundcube: type) -> Iterator[object]:
    """A server where alice's IMAP password is not the one the script is given."""
    with roundcube(password="not-the-recorded-one") as mail:
        yield mail


def test_wrong_password_fails_every_iteration_and_creates_nothing(
        wrong_password_server: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    from fixtures.zoo.roundcube.server import USER

    path, _, env_var = script
    run = _run(path, wrong_password_server, tmp_path, env_var, seconds=6)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    attempts = state["failed_logins"].get(USER, 0)
    assert attempts > 0 and state["contacts"]["inserted"] == {}, why
    # the login step failed
    assert run.final["02 / (_task=login, _action=login)"] == (attempts, attempts), why
    assert state["sentinels_intact"], why
