"""Zoo: Wagtail's stock admin (Wagtail 7/8 on Django 5), replayed by the generated script.

The HAR (``fixtures/zoo/wagtailcms/wagtailcms.har``, recorded in Chromium by ``record.py``)
logs in, clicks through the page explorer to bob's "Team notes" section, adds a note page and
publishes it (302 to the section, whose message links the new page's editor), opens the editor
(which opens an editing session and pings it at the URL of its ``data-w-swap-src-value``),
saves a draft (302 back to the editor: a new session, pinged again), deletes the page and logs
out (a POST form). Each test starts a fresh Wagtail (new ``SECRET_KEY``, a new copy of the
database, new pages' ids from a random base, another port) and reads the outcome from the
server: Wagtail's audit log (created, published, edited, deleted per user), auth's signals
(logins, logouts), the pages left, bob's pages untouched, CSRF refusals and server errors.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "wagtailcms" / "wagtailcms.har"
PASSWORD = "editor-of-notes-7"  # alice's, as recorded (fixtures/zoo/wagtailcms/app.py)
USERS, SECONDS = 3, 14
# a page's slug is unique among its siblings: several users at once need a fresh one per run,
# which the conversion gives a slug the user typed by itself (no --unique needed)
UNIQUE: tuple[str, ...] = ()


@pytest.fixture(scope="module")
def wagtail_app() -> type:
    from fixtures.zoo.wagtailcms.server import WagtailApp, missing

    if (why := missing()) is not None:
        pytest.skip(why)
    return WagtailApp


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    """Converted as a user would, without options: a page's slug is unique among its
    siblings, and the conversion gives each run's slug a fresh suffix by itself."""
    return convert_to_file(HAR, tmp, **{"unique_fields": UNIQUE, **options})


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("wagtailcms"))


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS
         ) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration logged in, created, published, edited, deleted its page and
    logged out; bob's pages untouched (also used by tests/test_zoo_recorded_port.py)."""
    from fixtures.zoo.wagtailcms.record import expected_actions

    why = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    logins = state["logins"].get("alice", 0)
    assert logins > 0 and state["failed_logins"] == {}, why
    assert state["actions"] == expected_actions(logins), why
    assert state["logouts"] == {"alice": logins} and state["pages"] == [], why
    assert state["rejections"] == {} and state["errors"] == {}, why
    assert state["sentinels_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_wagtail(wagtail_app: type, script: tuple[Path, str, str],
                                            tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with wagtail_app(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_the_ids_come_from_where_wagtail_hands_them_out(script: tuple[Path, str, str]) -> None:
    """The new page's id from the message's edit link, the editing session's from the
    editor's data-w-swap-src-value (each editor load opens a new one), the revision from its
    input; no short value from an input of another name (<input name=owner value=2>)."""
    code = script[0].read_text("utf-8")
    pings = [line for line in code.splitlines()
             if 'f"/admin/editing-sessions/ping/wagtailcore/page/{self.' in line]
    assert len(pings) == 2 and all(p.strip().endswith("}/\",") for p in pings), pings
    # the session's id: the second number of the editor's ping URL, the page's free
    assert '"/admin/editing\\\\-sessions/ping/wagtailcore/page/[0-9]+/([0-9]+)/' in code
    # (a multipart field, as the editor's script posts it)
    assert '("revision_id", (None, f"{self.revision_id}"))' in code
    assert "self.owner" not in code
    # the slug the user typed: a fresh one each run, in the add and in the edit
    assert code.count('f"lunch-rota-for-the-zoo-keepers-{self.slug_suffix}"') == 2, code


def test_wrong_password_fails_the_login_and_adds_nothing(wagtail_app: type,
                                                         script: tuple[Path, str, str],
                                                         tmp_path: Path) -> None:
    path, _, env_var = script
    with wagtail_app(password="not-the-recorded-one") as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = f"{run.explain()}\nserver state: {state}"
    attempts = state["failed_logins"].get("alice", 0)
    assert attempts > 0 and state["logins"] == {}, why
    assert run.final["03 /admin/login/"] == (attempts, attempts), why
    # the failed login ends each run of the flow: nothing after it is sent
    assert max(int(name.split()[0]) for name in run.final) == 3, why
    assert state["actions"] == {} and state["pages"] == [] and state["sentinels_intact"], why


def test_without_correlation_nothing_is_published(wagtail_app: type, tmp_path: Path) -> None:
    path, _, env_var = _convert(tmp_path, correlate=False)
    with wagtail_app() as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = f"{run.explain()}\nserver state: {state}"
    assert run.failed > 0 and state["rejections"].get("csrf", 0) > 0, why
    assert state["logins"] == {} and state["actions"] == {}, why
    assert state["sentinels_intact"], why
