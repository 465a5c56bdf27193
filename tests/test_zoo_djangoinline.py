"""Zoo: Django's stock admin with an inline formset (an order and its lines), replayed by Locust.

``fixtures/zoo/djangoinline/djangoinline.har`` was recorded in Chromium: the admin's login,
"Add order" with two inline lines, "Save and continue editing", a line's new quantity and the
other's "Delete?" box, "Save and continue editing", "Delete", "Log out". The formset posts
each line's id (``lines-N-id``) and its parent's (``lines-N-order``) back. Each test runs the
generated script against a fresh app on another port and compares it with the server's state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import LocustRun
from zoo_runs import delta, explain, nonzero
from zoo_runs import replay as replay_journey

# Import locust (gevent's monkey patching) at collection, before a fixture starts a thread.
import har2locust_plus.verify.core as verify_core  # noqa: I001
from har2locust_plus import Options, convert, ir

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "djangoinline" / "djangoinline.har"
PASSWORD = "admin-of-orders-5"  # alice's password in the recording
USERS = 3

pytestmark = [pytest.mark.e2e]


def _app(**kwargs: Any) -> Any:
    from fixtures.zoo.djangoinline.server import DjangoInlineApp  # the repo root is on sys.path

    return DjangoInlineApp(**kwargs)


@pytest.fixture(scope="module")
def app() -> Iterator[Any]:
    with _app() as instance:
        yield instance


def _run(app: Any, workdir: Path, seconds: int, **options: Any) -> tuple[LocustRun, dict]:
    return replay_journey(app, HAR, workdir, seconds, users=USERS, password=PASSWORD, **options)








@pytest.fixture(scope="module")
def replay(app: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[LocustRun, dict]:
    return _run(app, tmp_path_factory.mktemp("replay"), 12)


def test_generated_script_replays_the_inline_formset_flow(
        replay: tuple[LocustRun, dict]) -> None:
    assert_full_lifecycle(*replay)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration's order added with two lines, changed (one line changed,
    the other deleted), deleted (``state``: the run's delta; also used by
    tests/test_zoo_recorded_port.py)."""
    why = explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    log, lines = state["log"], state["lines"]
    added = nonzero(log["added"]).get("alice", 0)
    changed = nonzero(log["changed"]).get("alice", 0)
    assert added > 1 and set(nonzero(log["added"])) == {"alice"}, why
    # an iteration the run's end cut short may have added its order and no more
    assert 0 <= added - changed <= USERS, why
    assert nonzero(lines["created"]).get("alice", 0) == 2 * added, why
    assert nonzero(lines["changed"]).get("alice", 0) == changed, why
    assert nonzero(state["rejections"]) == {} and nonzero(state["errors"]) == {}, why
    assert state["sentinels_intact"], why


def test_the_lines_parent_is_the_order_the_flow_added() -> None:
    """``lines-N-order`` names a position as often as an object: here the order's id, which
    the add's ``Location`` handed out (recorded, Django refused the save: 200, the form again)."""
    result = convert(HAR, Options())
    [save] = [s for s in result.scenario.steps if s.request.method == "POST"
              and "change" in ir.template_preview(s.request.path)]
    fields = dict(save.request.body.fields)  # type: ignore[union-attr]
    parents = [v for k, v in fields.items() if k.endswith("-order")]
    # the four rows and the formset's empty template row (lines-__prefix__-order)
    assert len(parents) == 5 and all(v.parts == (ir.VarRef("order_id"),) for v in parents)
    assert all(not fields[f"lines-{n}-id"].is_literal for n in (0, 1))


def test_without_correlation_nothing_is_added(app: Any, tmp_path: Path) -> None:
    run, state = _run(app, tmp_path, 5, correlate=False, keep_secrets=True)
    why = explain(run, state)
    assert run.requests > 0 and run.failed > 0, why
    assert nonzero(state["log"]["added"]) == {}, why
    assert nonzero(state["rejections"]).get("csrf", 0) > 0, why
    assert state["sentinels_intact"], why


def test_verify_passes_on_a_fresh_instance(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H2L_PASSWORD", PASSWORD)
    before = app.state()
    outcome = verify_core.verify(HAR, app.url, Options())
    state = delta(before, app.state())
    assert outcome.passed, outcome.final.verdict()
    assert nonzero(state["log"]["changed"]) == nonzero(state["log"]["deleted"]) == {
        "alice": 2}, state  # two iterations
