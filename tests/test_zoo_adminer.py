"""Zoo: Adminer from Debian's package (on MariaDB), replayed by the generated script.

The HAR (``fixtures/zoo/adminer/adminer.har``, recorded in Chromium by ``record.py``) logs in
(a ``token`` in the form; a 302 to a relative ``adminer.php?username=alice&db=zoo``), opens
``notes``, inserts a note with "New item" (a 302 back to the rows, which say "Item <id> has
been inserted."), edits the new row through its link (``where%5Bid%5D=<id>``), deletes it by
its checkbox (``check[]`` valued ``where%5Bid%5D=<id>``, in a ``multipart/form-data`` form) and
logs out. Every form's ``token`` is derived anew from the session on each page. Each test
starts a fresh server (a new MariaDB, ids from a random base, another port) and reads the
outcome from the database: triggers record every change with the MariaDB account that made
it, and MariaDB counts the connections it refused.
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
HAR = REPO_ROOT / "fixtures" / "zoo" / "adminer" / "adminer.har"
USERS, SECONDS = 3, 12


@pytest.fixture(scope="module")
def adminer() -> type:
    """The launcher class; skips the module when Adminer or MariaDB is not installed."""
    from fixtures.zoo.adminer import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Adminer zoo app cannot run: {reason}")
    return server.Adminer


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("adminer-correlated"))


def _password() -> str:
    from fixtures.zoo.adminer.server import PASSWORD

    return PASSWORD


def _run(script: Path, admin: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         extra: tuple[str, ...] = ()) -> LocustRun:
    return run_against(script, admin.url, workdir, env_var, _password(),  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS, extra=extra)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def _recorded_row_id() -> str:
    """The id of the row the recording inserted (and edited, and deleted)."""
    for entry in json.loads(HAR.read_text("utf-8"))["log"]["entries"]:
        match = re.search(r"where%5Bid%5D=(\d+)", entry["request"]["url"])
        if match:
            return match.group(1)
    raise AssertionError("the recording edits no row")


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration inserted its note, then updated and deleted that very row,
    and no login was refused (also used by tests/test_zoo_recorded_port.py)."""
    from fixtures.zoo.adminer.server import USER

    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    inserted = state["inserted"].get(USER, 0)
    assert inserted > 0 and state["denied"] == 0, why
    assert state["updated"] == state["deleted"] == state["deleted_own"] == {USER: inserted}, why
    assert state["notes"] == 0 and state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_server(adminer: type, script: tuple[Path, str, str],
                                           tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with adminer(port=port_other_than(recorded_origin)) as admin:
        assert urlsplit(admin.url).port != urlsplit(recorded_origin).port
        run = _run(path, admin, tmp_path, env_var)
        state = admin.state()
    assert_full_lifecycle(run, state)


def test_the_new_rows_id_is_read_from_the_insert_message(script: tuple[Path, str, str]) -> None:
    """The rows page lists every note, the new one among them, each with the same links and
    checkbox but for the id; only the message says which row the insert made ("Item <id> has
    been inserted."). The edit's link and the delete's checkbox send that id inside an
    encoded query (``where%5Bid%5D=<id>``); no row is read by its position."""
    code = script[0].read_text("utf-8")
    assert 'ITEM_ID_RE = re.compile("Item (\\\\d+) has been inserted")' in code, code
    # the edit's GET and POST (and their Referers), the edit form's id, the delete's checkbox
    assert code.count("edit=notes&where%5Bid%5D={quote_plus(str(self.item_id))}") == 4, code
    assert '("fields[id]", (None, f"{self.item_id}"))' in code
    assert '"check[]": f"where%5Bid%5D={self.item_id}"' in code
    assert _recorded_row_id() not in code
    assert "check[]']/@value" not in code


def test_without_correlation_nothing_is_changed(adminer: type, tmp_path: Path) -> None:
    """The recorded ``token``s belong to another session: Adminer refuses each form ("Invalid
    CSRF token"), so nothing is inserted and every iteration fails at the login."""
    path, _, env_var = _convert(tmp_path, correlate=False)
    with adminer() as admin:
        run = _run(path, admin, tmp_path, env_var, seconds=6, extra=("--continue-on-failure",))
        state = admin.state()
    why = _explain(run, state)
    assert run.failed > 0, why
    assert "alice" not in state["inserted"] and state["deleted"] == {}, why
    assert state["sentinel_intact"], why


def test_a_delete_that_names_no_row_fails_its_step(adminer: type, tmp_path: Path) -> None:
    """With the row's id left as recorded (``--ignore-value``), the edit and the delete name
    no row on a fresh server: Adminer still answers each with its 302, the rows after the
    delete say "0 items have been affected.", and the row stays. The check of the recorded
    "1 item has been affected." makes that step fail, not pass. (The update of no row is
    not seen: Adminer says "Item has been updated." either way.)"""
    path, _, env_var = _convert(tmp_path, ignore_values=(f"^{_recorded_row_id()}$",))
    assert "self.item_id" not in path.read_text("utf-8")
    with adminer() as admin:
        run = _run(path, admin, tmp_path, env_var, seconds=6)
        state = admin.state()
    why = _explain(run, state)
    assert state["inserted"].get("alice", 0) > 0 and state["deleted"] == {}, why
    failed = {name: counts for name, counts in run.final.items() if counts[1]}
    assert list(failed) == ["12 /adminer.php"] and failed["12 /adminer.php"][0] > 0, why
    assert any("expected the body to contain 'item has been affected.'" in failure["Error"]
               for failure in run.failures), why


@pytest.fixture(scope="module")
def wrong_password_server(adminer: type) -> Iterator[object]:
    """A server where alice's password is not the one the script is given."""
    with adminer(password="not-the-recorded-one") as admin:
        yield admin


def test_wrong_password_fails_every_iteration_and_inserts_nothing(
        wrong_password_server: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """Adminer answers any login with its 302 (the credentials go into the session) and
    connects on the page it redirects to: that page answers 403 with "Access denied" (later
    "Too many unsuccessful logins"), where 200 was recorded: every iteration fails there."""
    from fixtures.zoo.adminer.server import USER

    path, _, env_var = script
    before = wrong_password_server.state()["denied"]  # type: ignore[attr-defined]
    run = _run(path, wrong_password_server, tmp_path, env_var, seconds=6)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    logins, _ = run.final["02 /adminer.php"]
    assert logins > 0 and run.final["03 /adminer.php"] == (logins, logins), why
    assert len(run.final) == 3, why  # nothing after the failed step
    assert state["denied"] > before and USER not in state["inserted"], why
    assert state["sentinel_intact"], why
