"""Zoo: SQLAdmin's stock model views (the admin of FastAPI and Starlette apps), replayed by Locust.

``fixtures/zoo/sqladmin/sqladmin.har`` was recorded in Chromium: SQLAdmin's login form,
"Notes", "+ New Note" (``Zoo <epoch s>``), "Save" (302 to the list), the new row's "Edit",
"Save", the row's "Delete" (SQLAdmin's script sends ``DELETE …/delete?pks=<id>`` and goes to
the URL it answers) and "Logout". The new note's id is only in the list's rows, beside bob's
sentinel notes. Each test runs the generated script (real ``locust --headless``, or ``verify``)
against a fresh app on another port and compares it with the server's own state.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun
from zoo_runs import delta, explain, nonzero
from zoo_runs import replay as replay_journey

# Import locust (gevent's monkey patching) at collection, before a fixture starts a thread.
import har2locust_plus.verify.core as verify_core  # noqa: I001
from har2locust_plus import Options, convert

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "sqladmin" / "sqladmin.har"
PASSWORD = "wonderland-42"  # alice's password in the recording
USERS = 3

pytestmark = [pytest.mark.e2e]


def _sqladmin_app(**kwargs: Any) -> Any:
    from fixtures.zoo.sqladmin.server import SQLAdminApp  # the repository root is on sys.path

    return SQLAdminApp(**kwargs)


@pytest.fixture(scope="module")
def app() -> Iterator[Any]:
    with _sqladmin_app() as instance:
        yield instance


def _run(app: Any, workdir: Path, seconds: int, har: Path = HAR,
         **options: Any) -> tuple[LocustRun, dict]:
    return replay_journey(app, har, workdir, seconds, users=USERS, password=PASSWORD, **options)








def _with_the_deletes_answer(tmp_path: Path) -> Path:
    """The recording as Chrome's DevTools exports it: with the ``DELETE``'s answer (the
    list's URL), which Playwright's HAR lost when SQLAdmin's script left the page at once."""
    data = json.loads(HAR.read_text("utf-8"))
    [entry] = [e for e in data["log"]["entries"] if e["request"]["method"] == "DELETE"]
    assert "text" not in entry["response"]["content"]  # else this test is no longer needed
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(entry["request"]["url"]))
    answer = origin + "/admin/note/list"
    entry["response"]["content"] = {"size": len(answer), "mimeType": "text/plain; charset=utf-8",
                                    "text": answer}
    path = tmp_path / "sqladmin-devtools.har"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- a: the generated script replays the whole flow on a fresh server ---------------------------


@pytest.fixture(scope="module")
def replay(app: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[LocustRun, dict]:
    return _run(app, tmp_path_factory.mktemp("replay"), 12)


def test_generated_script_replays_the_admin_flow(replay: tuple[LocustRun, dict]) -> None:
    assert_full_lifecycle(*replay)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration's note made, changed and deleted by the same user, only
    alice's (``state``: the run's delta; also used by tests/test_zoo_recorded_port.py)."""
    why = explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    notes = state["notes"]
    created, deleted = nonzero(notes["created"]), nonzero(notes["deleted"])
    assert set(created) == {"alice"} and created["alice"] > 1, why
    assert set(deleted) == {"alice"} and 0 <= created["alice"] - deleted["alice"] <= USERS, why
    assert set(nonzero(notes["updated"])) == {"alice"}, why
    assert nonzero(state["failed_logins"]) == {} and state["failed_deletes"] == 0, why
    assert nonzero(state["logouts"]).get("alice", 0) > 0, why
    assert state["sentinels_intact"], why
    left = [n for n in state["current_notes"] if n["author"] == "alice"]
    assert len(left) == created["alice"] - deleted["alice"], why


def test_the_new_notes_id_is_read_from_the_row_holding_the_title_typed() -> None:
    result = convert(HAR, Options())
    rows = {row["var"]: row for row in result.report.correlations}
    [id_row] = [row for row in rows.values() if "row" in row["how"]]
    assert id_row["used_by"] == [8, 9, 11], rows  # edit page, edit form, DELETE ?pks=
    assert "delete?pks={quote_plus(str(self." + id_row["var"] + "))}" in result.code


# --- b: a delete the server refused fails the step that asked for it ----------------------------


@pytest.fixture(scope="module")
def refusing_app() -> Iterator[Any]:
    with _sqladmin_app(refuse_deletes=True) as instance:
        yield instance


def test_a_refused_delete_fails_its_step(refusing_app: Any, tmp_path: Path) -> None:
    """SQLAdmin answers a failed delete 200, naming the list with ``?error=…``: the answer
    must name the list as recorded, without an error parameter."""
    run, state = _run(refusing_app, tmp_path, 6, har=_with_the_deletes_answer(tmp_path))
    why = explain(run, state)
    deletes, failed = run.final["11 /admin/note/delete"]
    assert deletes > 0 and failed == deletes, why
    assert state["failed_deletes"] == deletes and nonzero(state["notes"]["deleted"]) == {}, why
    messages = {row["Error"] for row in run.failures if row["Name"] == "11 /admin/note/delete"}
    assert messages and all("expected the answer to name /admin/note/list" in m
                            and "error=" in m for m in messages), why


def test_a_delete_that_worked_passes_the_same_check(app: Any, tmp_path: Path) -> None:
    run, state = _run(app, tmp_path, 6, har=_with_the_deletes_answer(tmp_path))
    assert_full_lifecycle(run, state)


# --- c: a wrong password is reported on every iteration and creates nothing ---------------------


def test_wrong_password_fails_every_iteration_and_creates_nothing(tmp_path: Path) -> None:
    with _sqladmin_app(password="not-" + PASSWORD) as wrong:
        run, state = _run(wrong, tmp_path, 5)
    why = explain(run, state)
    iterations, _ = run.final["01 /admin/login"]
    logins, failed = run.final["02 /admin/login"]
    assert iterations > 0 and 0 < logins <= iterations and failed == logins, why
    assert nonzero(state["failed_logins"]).get("alice", 0) == logins, why
    assert nonzero(state["notes"]["created"]) == {}, why
    assert state["sentinels_intact"], why


# --- d: verify -------------------------------------------------------------------------------


def test_verify_passes_on_a_fresh_instance(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H2L_PASSWORD", PASSWORD)
    before = app.state()
    outcome = verify_core.verify(HAR, app.url, Options())
    state = delta(before, app.state())
    assert outcome.passed, outcome.final.verdict()
    notes = state["notes"]
    assert (nonzero(notes["created"]) == nonzero(notes["updated"])
            == nonzero(notes["deleted"]) == {"alice": 2}), state  # two iterations
