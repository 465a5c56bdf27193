"""Zoo: Django's stock admin site, replayed by the generated script.

The HAR (``fixtures/zoo/djangoadmin/djangoadmin.har``, recorded in Chromium by ``record.py``)
logs in to ``/admin/`` (``csrfmiddlewaretoken``, the ``csrftoken`` cookie), adds a ticket,
follows the "was added" message's link to it (``/admin/tickets/ticket/<id>/change/``: the only
place the new id is handed out; the list, oldest first, shows bob's 120 older tickets), changes
it with "Save and continue editing", deletes it and logs out (a POST form). Each test starts a
fresh app (new ``SECRET_KEY`` and database, ticket ids from a random base, another port) and
reads the outcome from the server: the admin's own log (``LogEntry``: added, changed, deleted
per user), auth's signals (logins, logouts), the tickets left, bob's tickets untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "djangoadmin" / "djangoadmin.har"
PASSWORD = "admin-of-tickets-5"  # alice's, as recorded (fixtures/zoo/djangoadmin/app.py)
USERS, SECONDS = 3, 10


@pytest.fixture(scope="module")
def admin_app() -> type:
    from fixtures.zoo.djangoadmin.server import DjangoAdminApp

    return DjangoAdminApp


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("djangoadmin"))


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS
         ) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration logged in, added its ticket, changed it, deleted it and
    logged out; bob's tickets untouched (also used by tests/test_zoo_recorded_port.py)."""
    why = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    logins = state["logins"].get("alice", 0)
    assert logins > 0 and state["failed_logins"] == {}, why
    each = {"alice": logins}
    assert state["log"] == {"added": each, "changed": each, "deleted": each}, why
    assert state["logouts"] == each and state["tickets"] == [], why
    assert state["rejections"] == {} and state["sentinels_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_admin(admin_app: type, script: tuple[Path, str, str],
                                          tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with admin_app(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_the_new_id_comes_from_the_link_the_user_followed(script: tuple[Path, str, str]
                                                          ) -> None:
    code = script[0].read_text("utf-8")
    assert 'TICKET_ID_RE = re.compile("/admin/tickets/ticket/([0-9]+)/change/' \
        '(?=[\\"\'?#>\\\\s])")' in code
    assert 'f"/admin/tickets/ticket/{self.ticket_id}/change/"' in code


@pytest.fixture(scope="module")
def wrong_password_app(admin_app: type) -> Iterator[object]:
    with admin_app(password="not-the-recorded-one") as app:
        yield app


def test_wrong_password_fails_every_iteration_and_adds_nothing(
        wrong_password_app: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    path, _, env_var = script
    run = _run(path, wrong_password_app, tmp_path, env_var, seconds=5)
    state = wrong_password_app.state()  # type: ignore[attr-defined]
    why = f"{run.explain()}\nserver state: {state}"
    attempts = state["failed_logins"].get("alice", 0)
    assert attempts > 0 and state["logins"] == {}, why
    assert run.final["03 /admin/login/"] == (attempts, attempts), why
    assert state["log"]["added"] == {} and state["tickets"] == [], why
    assert state["sentinels_intact"], why


def test_without_correlation_nothing_is_added(admin_app: type, tmp_path: Path) -> None:
    path, _, env_var = _convert(tmp_path, correlate=False)
    with admin_app() as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = f"{run.explain()}\nserver state: {state}"
    assert run.failed > 0 and state["rejections"].get("csrf", 0) > 0, why
    assert state["logins"] == {} and state["log"]["added"] == {}, why
    assert state["sentinels_intact"], why
