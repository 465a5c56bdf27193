"""Zoo: an htmx 2 board on Flask-WTF and Flask-Login, replayed by the generated script.

The HAR (``fixtures/zoo/htmx/htmx.har``, recorded in Chromium by ``record.py``) logs in with a
form (hidden ``csrf_token``), then every request is htmx's: the CSRF token travels in
``X-CSRFToken`` from ``<body hx-headers='{"X-CSRFToken": …}'>`` (JSON in an attribute, the only
place the board shows it); a card is added by ``hx-post`` and its fragment holds the card's URLs
only in ``hx-get`` / ``hx-delete`` (the edit fragment: ``hx-put``); "Close the board" answers
``HX-Redirect: /boards/<n>/summary``; the board's script sets a ``tz`` cookie no response sets,
which adding a card needs. Each test starts a fresh app (new secret key, card and
board ids from a random base, another port) and reads the server's own counters.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "htmx" / "htmx.har"
PASSWORD = "cards-on-the-table-3"  # alice's, as recorded (fixtures/zoo/htmx/app.py)
USERS, SECONDS = 3, 8
EACH = ("logins", "created", "updated", "deleted", "closed", "summaries", "logouts")


@pytest.fixture(scope="module")
def htmx_app() -> type:
    from fixtures.zoo.htmx.server import HtmxApp

    return HtmxApp


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS
         ) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration logged in, added, changed and deleted its card, closed its
    board, opened that board's summary and logged out (also used by
    tests/test_zoo_recorded_port.py)."""
    why = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    logins = state["logins"].get("alice", 0)
    assert logins > 0 and all(state[kind] == {"alice": logins} for kind in EACH), why
    assert state["cards"] == [] and state["rejections"] == {}, why
    assert state["failed_logins"] == {} and state["sentinels_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_board(htmx_app: type, tmp_path: Path, user_class: str
                                          ) -> None:
    path, recorded_origin, env_var = _convert(tmp_path, user_class=user_class)
    with htmx_app(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_the_values_htmx_carries_are_read_where_htmx_reads_them(tmp_path: Path) -> None:
    code = _convert(tmp_path)[0].read_text("utf-8")
    assert "from_json_island(" in code and "@hx-headers" in code  # X-CSRFToken
    assert 'CARD_ID_RE = re.compile("/cards/([0-9]+)/edit(?=[\\"\'?#>\\\\s])")' in code
    assert 'from_header_url(' in code and '"HX-Redirect"' in code  # /boards/<n>/summary
    assert 'set_cookie(self, "tz", "UTC")' in code  # document.cookie of the board's script


def test_a_wrong_password_changes_nothing(htmx_app: type, tmp_path: Path) -> None:
    path, _, env_var = _convert(tmp_path)
    with htmx_app(password="not-the-recorded-one") as app:
        run = _run(path, app, tmp_path, env_var, seconds=4)
        state = app.state()
    why = f"{run.explain()}\nserver state: {state}"
    attempts = state["failed_logins"].get("alice", 0)
    assert attempts > 0 and state["logins"] == {} and state["created"] == {}, why
    assert run.final["02 /login"] == (attempts, attempts), why
    assert state["sentinels_intact"], why
