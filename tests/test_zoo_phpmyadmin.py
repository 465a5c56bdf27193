"""Zoo: phpMyAdmin from Debian's package (on MariaDB), replayed by the generated script.

The HAR (``fixtures/zoo/phpmyadmin/phpmyadmin.har``, recorded in Chromium by ``record.py``)
logs in with phpMyAdmin's cookie authentication (``token`` and ``set_session`` in the form; a
new session and ``token`` after it), opens the database ``zoo`` and its table ``notes`` from
the navigation tree (XHRs answered with JSON holding the page's HTML, each sending the
``token``), inserts ``Zoo note <epoch ms>`` with the "Insert" form (fields named by the MD5 of
their column; the answer says ``Inserted row id: <id>``), browses the table, deletes the new
row with its "Delete" link (``sql_query=DELETE FROM `notes` WHERE `notes`.`id` = <id>``) and
logs out. Each test starts a fresh server (a new MariaDB, new secret, ids from a random base,
another port) and reads the outcome from the database: triggers record every insert and delete
with the MariaDB account that made it, and phpMyAdmin logs refused logins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote_plus, urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "phpmyadmin" / "phpmyadmin.har"
USERS, SECONDS = 3, 12
DELETE_STEP = re.compile(r"\d+ /index\.php \(route=/sql\)")  # the statistics name the route


@pytest.fixture(scope="module")
def phpmyadmin() -> type:
    """The launcher class; skips the module when phpMyAdmin or MariaDB is not installed."""
    from fixtures.zoo.phpmyadmin import server

    reason = server.missing()
    if reason:
        pytest.skip(f"phpMyAdmin zoo app cannot run: {reason}")
    return server.PhpMyAdmin


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("pma-correlated"))


def _password() -> str:
    from fixtures.zoo.phpmyadmin.server import PASSWORD

    return PASSWORD


def _run(script: Path, admin: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         extra: tuple[str, ...] = ()) -> LocustRun:
    return run_against(script, admin.url, workdir, env_var, _password(),  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS, extra=extra)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def _recorded_row_id() -> str:
    """The id of the row the recording inserted (and deleted)."""
    for entry in json.loads(HAR.read_text("utf-8"))["log"]["entries"]:
        body = unquote_plus((entry["request"].get("postData") or {}).get("text", ""))
        match = re.search(r"DELETE FROM `notes` WHERE `notes`\.`id` = (\d+)", body)
        if match:
            return match.group(1)
    raise AssertionError("the recording deletes no row")


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration inserted its note and deleted that very row, and no login
    was refused (also used by tests/test_zoo_recorded_port.py)."""
    from fixtures.zoo.phpmyadmin.server import USER

    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    inserted = state["inserted"].get(USER, 0)
    assert inserted > 0 and state["denied"] == {}, why
    assert state["deleted"] == state["deleted_own"] == {USER: inserted}, why
    assert state["updated"] == {} and state["notes"] == 0, why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_server(phpmyadmin: type, script: tuple[Path, str, str],
                                           tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with phpmyadmin(port=port_other_than(recorded_origin)) as admin:
        assert urlsplit(admin.url).port != urlsplit(recorded_origin).port
        run = _run(path, admin, tmp_path, env_var)
        state = admin.state()
    assert_full_lifecycle(run, state)


def test_the_new_rows_id_is_read_from_the_insert_message(script: tuple[Path, str, str]) -> None:
    """The id is in the insert's answer only as words (``Inserted row id: <id>``); the delete
    sends it inside an SQL statement. The token of each XHR comes from the page."""
    code = script[0].read_text("utf-8")
    assert 'ROW_ID_RE = re.compile("row id: (\\\\d+)")' in code
    assert 'f"DELETE FROM `notes` WHERE `notes`.`id` = {self.row_id}"' in code
    assert _recorded_row_id() not in code
    assert '"token": self.token' in code


def _recorded_session_token() -> str:
    """The ``token`` the recording's session sent after the login (its logout sends it)."""
    for entry in json.loads(HAR.read_text("utf-8"))["log"]["entries"]:
        if "route=/logout" in entry["request"]["url"]:
            match = re.search(r"token=(\w+)", entry["request"]["postData"]["text"])
            assert match is not None
            return match.group(1)
    raise AssertionError("the recording does not log out")


def test_without_correlation_nothing_is_inserted(phpmyadmin: type, tmp_path: Path) -> None:
    """Without correlation the script sends the recorded ``token``s (the session's, which it
    takes for an API key, given as ``--token``): phpMyAdmin refuses the login's and answers
    the rest "Error: Token mismatch" (a JSON ``success: false`` with status 200)."""
    path, _, env_var = _convert(tmp_path, correlate=False)
    with phpmyadmin() as admin:
        # going on after failed steps, to show where phpMyAdmin refuses the recorded values
        run = _run(path, admin, tmp_path, env_var, seconds=6,
                   extra=("--continue-on-failure", "--token", _recorded_session_token()))
        state = admin.state()
    why = _explain(run, state)
    assert run.failed > 0, why
    assert "alice" not in state["inserted"] and state["deleted"] == {}, why
    assert state["sentinel_intact"], why


def test_a_delete_that_names_no_row_fails_its_step(phpmyadmin: type, tmp_path: Path) -> None:
    """With the row's id left as recorded (``--ignore-value``), the delete names no row on a
    fresh server: phpMyAdmin answers 200, ``"success": true``, "MySQL returned an empty result
    set (i.e. zero rows)", and the row stays. The step's check of the recorded "1 row deleted."
    makes that a failure, not a pass."""
    path, _, env_var = _convert(tmp_path, ignore_values=(f"^{_recorded_row_id()}$",))
    assert "self.row_id" not in path.read_text("utf-8")
    with phpmyadmin() as admin:
        run = _run(path, admin, tmp_path, env_var, seconds=6)
        state = admin.state()
    why = _explain(run, state)
    assert state["inserted"].get("alice", 0) > 0 and state["deleted"] == {}, why
    failed = {name: counts for name, counts in run.final.items() if counts[1]}
    assert len(failed) == 1 and DELETE_STEP.fullmatch(next(iter(failed))), why
    assert any("expected the body to contain 'row deleted.'" in failure["Error"]
               for failure in run.failures), why


@pytest.fixture(scope="module")
def wrong_password_server(phpmyadmin: type) -> Iterator[object]:
    """A server where alice's password is not the one the script is given."""
    with phpmyadmin(password="not-the-recorded-one") as admin:
        yield admin


def test_wrong_password_fails_every_iteration_and_inserts_nothing(
        wrong_password_server: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    from fixtures.zoo.phpmyadmin.server import USER

    path, _, env_var = script
    run = _run(path, wrong_password_server, tmp_path, env_var, seconds=6)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    attempts = state["denied"].get(USER, 0)
    assert attempts > 0 and USER not in state["inserted"], why
    # the login step failed
    assert run.final["02 /index.php (route=/)"] == (attempts, attempts), why
    assert state["sentinel_intact"], why
