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
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, locust_headless

# Import locust (gevent's monkey patching) at collection, before a fixture starts a thread.
import har2locust_plus.verify.core as verify_core  # noqa: I001
from har2locust_plus import Options, ThinkTime, convert, ir

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
    """Convert, run Locust headless against ``app``; the run and what the server did."""
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))
    assert urlsplit(app.url).port != urlsplit(result.scenario.main_origin).port
    script = workdir / "locustfile.py"
    script.write_text(result.code, encoding="utf-8")
    before = app.state()
    run = locust_headless(script, app.url, workdir, seconds=seconds, users=USERS,
                          extra=("--stop-timeout", "5"), env={"H2L_PASSWORD": PASSWORD})
    return run, _delta(before, app.state())


def _delta(before: dict, after: dict) -> dict:
    """Counters of ``after`` minus ``before`` (nested dicts of numbers), the rest as after."""
    if isinstance(after, dict) and isinstance(before, dict):
        return {k: _delta(before.get(k, {} if isinstance(v, dict) else 0), v)
                for k, v in after.items()}
    if isinstance(after, int) and not isinstance(after, bool):
        return after - (before or 0)
    return after


def _nonzero(counter: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counter.items() if v}


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver: {state}"


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
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    log, lines = state["log"], state["lines"]
    added = _nonzero(log["added"]).get("alice", 0)
    changed = _nonzero(log["changed"]).get("alice", 0)
    assert added > 1 and set(_nonzero(log["added"])) == {"alice"}, why
    # an iteration the run's end cut short may have added its order and no more
    assert 0 <= added - changed <= USERS, why
    assert _nonzero(lines["created"]).get("alice", 0) == 2 * added, why
    assert _nonzero(lines["changed"]).get("alice", 0) == changed, why
    assert _nonzero(state["rejections"]) == {} and _nonzero(state["errors"]) == {}, why
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
    why = _explain(run, state)
    assert run.requests > 0 and run.failed > 0, why
    assert _nonzero(state["log"]["added"]) == {}, why
    assert _nonzero(state["rejections"]).get("csrf", 0) > 0, why
    assert state["sentinels_intact"], why


def test_verify_passes_on_a_fresh_instance(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H2L_PASSWORD", PASSWORD)
    before = app.state()
    outcome = verify_core.verify(HAR, app.url, Options())
    state = _delta(before, app.state())
    assert outcome.passed, outcome.final.verdict()
    assert _nonzero(state["log"]["changed"]) == _nonzero(state["log"]["deleted"]) == {
        "alice": 2}, state  # two iterations
