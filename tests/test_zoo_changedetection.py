"""Zoo: changedetection.io (0.60.10 from PyPI, unmodified: Flask, Flask-WTF's CSRF, Flask-Login,
its watch list with Socket.IO live updates), replayed.

The HAR (``fixtures/zoo/changedetection/changedetection.har``, recorded in Chromium by
``record.py``) logs in, watches a page on 127.0.0.1 (its address typed into the quick "Watch"
form), edits the new watch (a title, a check interval of 45 minutes), edits it again to delete
it, and logs out. Every form has Flask-WTF's hidden ``csrf_token``. The new watch's uuid is in
no answer of the post that made it (302 to ``/?tag=``, a flash with no id): only the list shows
it, in the row of that watch (``<tr data-watch-uuid="…">``, its ``/edit/<uuid>`` link). Read
by its place in the list (where the recording had it), three users edit and delete each
other's watches; read from the row that holds the address this run typed (made new each run:
a ``&_=`` parameter of its own), each user edits and deletes its own.

The typed address leads to a page of the recording instance's own static server: on a later
instance nothing serves it there, the replay's watches fail to fetch (connection refused),
which the app shows on the watch and nothing here depends on.

The server's account is the app's own watch files (``server.py``): each watch the replay made
was edited and deleted by the same run of the flow, none twice, bob's watch untouched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ZOO_STOP_TIMEOUT, LocustRun, locust_headless, port_other_than

from har2locust_plus import Options, Result, ThinkTime, convert, ir
from har2locust_plus.stages.correlate import engine

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "changedetection" / "changedetection.har"
PASSWORD = "Watch-tower-7"  # the instance's (fixtures/zoo/changedetection/server.py)
TITLE = "Zoo price list"  # what the journey names its watch
USERS, SECONDS = 3, 20


@pytest.fixture(scope="module")
def changedetection() -> type:
    """The launcher class; skips the module when changedetection.io cannot be installed."""
    from fixtures.zoo.changedetection import server

    reason = server.missing()
    if reason:
        pytest.skip(f"changedetection.io zoo app cannot run: {reason}")
    server.installed()  # once per version of requirements.txt (about a minute the first time)
    return server.ChangeDetection


def _convert(tmp: Path, **options: object) -> tuple[Path, Result, dict[str, str]]:
    """The script, the conversion and its secret's environment (the password)."""
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    env = {s.env: PASSWORD for s in result.scenario.secrets if s.kind == "password"}
    assert list(env.values()) == [PASSWORD]
    return path, result, env


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result, dict[str, str]]:
    return _convert(tmp_path_factory.mktemp("changedetection-correlated"))


def _run(script: Path, server: object, workdir: Path, env: dict[str, str],
         seconds: int = SECONDS) -> LocustRun:
    return locust_headless(script, server.url, workdir,  # type: ignore[attr-defined]
                           seconds=seconds, users=USERS,
                           extra=("--stop-timeout", ZOO_STOP_TIMEOUT), env=env)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: { {k: v for k, v in state.items() if k != 'journal'} }"


def assert_full_lifecycle(run: LocustRun, state: dict, users: int = USERS) -> None:
    """No failure; every watch the flow made had an address of its own (the recorded one and
    a ``&_=`` parameter), was edited (the journey's title) and then deleted, none edited or
    deleted twice; at most one watch per user left, a run of the flow under way when the time
    was up (edited or not); bob's watch as it was (also used by
    tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    created, edited, deleted = state["created"], state["edited"], state["deleted"]
    assert created and deleted, why
    assert len(set(edited)) == len(edited) and len(set(deleted)) == len(deleted), why
    assert set(deleted) <= set(edited) <= set(created), why  # edited before it was deleted
    urls = list(state["created_urls"].values())
    assert len(set(urls)) == len(urls) and all("&_=" in url for url in urls), why
    left = set(state["watches"])
    assert left == set(created) - set(deleted) and len(left) <= users, why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_changedetection(changedetection: type, script: tuple,
                                                    tmp_path: Path, user_class: str) -> None:
    """Three users: each form's token from the live page, the new watch's uuid from the
    list's row that holds the address this run typed; every watch made, edited and deleted
    by the run of the flow that made it."""
    path, result, env = script
    if user_class != "fast":
        path, _, env = _convert(tmp_path, user_class=user_class)
    with changedetection(port=port_other_than(result.scenario.main_origin)) as cd:
        run = _run(path, cd, tmp_path, env)
        state = cd.state()
    assert_full_lifecycle(run, state)


def test_the_new_watch_is_read_from_its_row_by_the_typed_address(script: tuple) -> None:
    """The list after "Watch" shows the new watch's uuid only in its row: read from the row
    (``html_row_value``) whose text or links hold the address this run typed; the address is
    the recorded one with a ``&_=`` parameter of the run's own, in the quick form and in the
    edit form alike; the uuid goes to both edits and the delete."""
    _, result, _ = script
    steps = {s.number: s for s in result.scenario.steps}
    [(number, row)] = [(s.number, e) for s in steps.values() for e in s.extractions
                       if e.kind == "html_row_value"]
    assert (row.var, row.path) == ("watch_uuid", ("tr",)), row
    assert steps[number].request.path == ir.Template(("/",)), number
    assert steps[number - 1].request.path == ir.Template(("/form/add/quickwatch",)), number
    [(where, url)] = row.anchors
    assert where == "row" and isinstance(url, ir.Template)
    address, suffix = url.parts
    assert address.endswith("/price-list.html?zoo=journey&_=") and isinstance(suffix, ir.VarRef)
    edits = [s for s in steps.values() if s.request.method == "POST" and
             s.request.path == ir.Template(("/edit/", ir.VarRef(row.var)))]
    assert len(edits) == 1, edits
    for step in (steps[number - 1], *edits):
        [sent] = [value for name, value in step.request.body.fields if name == "url"]
        assert sent == url, step.number
    code = result.code
    assert 'f"/edit/{self.watch_uuid}"' in code and "from_html_row_value(" in code
    assert 'f"/delete?uuid={quote_plus(str(self.watch_uuid))}"' in code


def test_the_conversion_says_only_that_the_address_is_made_new(script: tuple) -> None:
    """Nothing to warn about: the Socket.IO channel's messages are its own packets and
    pushes (no work went over it), every body is there. The one note: the typed address gets
    a suffix each run."""
    _, result, _ = script
    said = [(d.severity, d.message) for d in result.scenario.diagnostics]
    print(*said, sep="\n")
    assert [severity for severity, _ in said] == [ir.Severity.INFO], said
    assert said[0][1].startswith("step 5 makes an object the list after it is read by (url "
                                 "'http://127.0.0.1:"), said


def test_the_uuid_read_by_its_place_in_the_list_meets_other_users_watches(
        changedetection: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the new watch is read from the row that holds the typed address: without it, the
    uuid is the list's second ``data-watch-uuid`` (where the recording had it, after bob's),
    and three users at once edit and delete each other's watches: a watch another user just
    deleted answers 500 or sends the edit back to the list, and the users' own watches are
    left behind."""
    monkeypatch.setattr(engine, "_made_rows", lambda step, found, text, state: found)
    path, result, env = _convert(tmp_path)
    code = path.read_text("utf-8")
    assert "from_html_row_value(" not in code and "(//@data-watch-uuid)[2]" in code
    with changedetection(port=port_other_than(result.scenario.main_origin)) as cd:
        run = _run(path, cd, tmp_path, env, seconds=10)
        state = cd.state()
    why = _explain(run, state)
    assert run.failed > 0 and len(state["watches"]) > USERS, why
