"""Zoo: Flask-Admin's stock model views (over Flask-SQLAlchemy, behind Flask-Login), replayed
by the generated script.

The HAR (``fixtures/zoo/flaskadmin/flaskadmin.har``, recorded in Chromium by ``record.py``)
logs in (Flask-WTF's hidden ``csrf_token``), opens the notes list (bob's notes first, ordered
by id), creates ``Zoo <epoch>`` (``SecureForm``'s ``csrf_token``, a multipart form; "Save"
redirects to the list), opens the new note's "Edit Record" link, saves a new body, deletes the
note with its row's form (hidden ``id`` and ``csrf_token``) and logs out. The new note's id is
only in the list: every row has the same edit link and delete form but for the id. Each test
starts a fresh app (new secret key, database, ids from a random base, another port) and reads
the server's own account (SQLAlchemy's ORM events).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "flaskadmin" / "flaskadmin.har"
PASSWORD = "admin-of-notes-5"  # alice's, as recorded (fixtures/zoo/flaskadmin/app.py)
USERS, SECONDS = 3, 8
EACH = ("logins", "created", "updated", "deleted", "deleted_own", "logouts")


@pytest.fixture(scope="module")
def flaskadmin_app() -> type:
    from fixtures.zoo.flaskadmin.server import FlaskAdminApp, missing

    reason = missing()
    if reason:
        pytest.skip(f"Flask-Admin zoo app cannot run: {reason}")
    return FlaskAdminApp


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS
         ) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration logged in, created, changed and deleted its own note and
    logged out; bob's notes are untouched (also used by tests/test_zoo_recorded_port.py)."""
    why = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    logins = state["logins"].get("alice", 0)
    assert logins > 0 and all(state[kind] == {"alice": logins} for kind in EACH), why
    assert state["notes"] == [] and state["failed_logins"] == {}, why
    assert state["sentinels_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_app(flaskadmin_app: type, tmp_path: Path,
                                        user_class: str) -> None:
    path, recorded_origin, env_var = _convert(tmp_path, user_class=user_class)
    with flaskadmin_app(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_the_new_note_s_id_is_read_from_its_row_by_its_title(tmp_path: Path) -> None:
    """The list's rows all hold a hidden ``id`` input; the new note's row is the one whose
    text holds the title the client typed (a fresh epoch each run), not the recorded place."""
    code = _convert(tmp_path)[0].read_text("utf-8")
    assert re.search(r'self\.id = from_html_row_value\(\s*resp, "step \d+ GET /admin/note/", '
                     r'"id", ID_XPATH, "tr", self\.title\s*\)', code)
    assert "ID_XPATH = etree.XPath(\".//input[@name='id']/@value\")" in code
    assert "(//input[@name='id']/@value)[" not in code


def test_without_correlation_nothing_is_created(flaskadmin_app: type, tmp_path: Path) -> None:
    """The recorded ``csrf_token``s are refused (the login's by Flask-WTF, the create's by
    ``SecureForm``, which shows the form again with 200): the steps fail, nothing is made."""
    path, _, env_var = _convert(tmp_path, correlate=False)
    with flaskadmin_app() as app:
        run = run_against(path, app.url, tmp_path, env_var, PASSWORD, seconds=4, users=USERS,
                          extra=("--continue-on-failure",))
        state = app.state()
    why = f"{run.explain()}\nserver state: {state}"
    assert run.failed > 0 and state["created"] == {} and state["deleted"] == {}, why
    assert state["sentinels_intact"], why


def test_a_wrong_password_changes_nothing(flaskadmin_app: type, tmp_path: Path) -> None:
    path, _, env_var = _convert(tmp_path)
    with flaskadmin_app(password="not-the-recorded-one") as app:
        run = _run(path, app, tmp_path, env_var, seconds=4)
        state = app.state()
    why = f"{run.explain()}\nserver state: {state}"
    assert run.failed > 0 and state["failed_logins"].get("alice", 0) > 0, why
    assert state["created"] == {} and state["sentinels_intact"], why


def test_a_delete_the_app_refuses_fails_on_the_page_it_redirects_to(
        flaskadmin_app: type, tmp_path: Path) -> None:
    """A refused delete (``on_model_delete`` raises ``ValidationError``, as Flask-Admin
    documents) redirects to the same list as one that worked, with the same 302: only the
    message on that list tells ("Notes are kept for a day." in an error alert, for "Record was
    successfully deleted."). The step after the delete fails, naming the error; nothing else
    after the delete is sent."""
    path, _, env_var = _convert(tmp_path)
    code = path.read_text("utf-8")
    assert '"Record was successfully deleted."' in code and "no_error_shown=True" in code
    with flaskadmin_app(refuse_deletes=True) as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = f"{run.explain()}\nserver state: {state}"
    logins = state["logins"].get("alice", 0)
    assert logins > 0 and state["deleted"] == {} and state["logouts"] == {}, why
    [landing] = [name for name in run.final if name.startswith("12 ")]
    assert run.final[landing] == (logins, logins), why  # the list after each delete failed
    # the list says why: the error Flask-Admin flashed (checked before the missing message)
    assert "the page shows an error: 'Notes are kept for a day.'" in run.explain(), why
