"""End-to-end correlation (issue 3): generated scripts run by real Locust against a fresh app.

Each test converts a recorded HAR of the fixture app, starts a *new* app process (new secret
key, new CSRF tokens, new id base, a different port than the recording) and runs the script with
``locust --headless`` as a subprocess, bounded by a timeout and killed by its PID. Results come
from Locust's CSV files and from the app's own counters (``GET /__state``), so "0 failures" is
backed by what the server really did: logged in, created, updated and deleted the objects.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import locust_headless

from har2locust_plus import Options, ThinkTime, convert

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "fixtures"

pytestmark = pytest.mark.e2e

USERS = 5


def _app(**kwargs):
    from fixtures.server import FixtureApp  # the repository root is on sys.path (conftest)

    return FixtureApp(**kwargs)


def _script(har: str, tmp_path: Path, **options) -> tuple[Path, str]:
    """Convert a fixture HAR; return the script path and the recorded origin."""
    result = convert(FIXTURES / har, Options(think_time=ThinkTime("none"), **options))
    path = tmp_path / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    return path, result.scenario.main_origin


def _run_locust(script: Path, host: str, seconds: int, tmp_path: Path) -> dict:
    """Run Locust headless; return {"requests", "failures", "failure_rows", "exceptions", ...}."""
    run = locust_headless(
        script, host, tmp_path, seconds=seconds, users=USERS,
        extra=("--stop-timeout", "5"),  # let each user finish its iteration: created == deleted
        env={"H2L_PASSWORD": "wonderland-42"})  # the fixture account's password: a secret
    return {"returncode": run.returncode, "output": run.output, "stats": run.stats,
            "requests": run.requests, "failures": run.failed,
            "failure_rows": run.failures, "exceptions": run.exceptions}


def _explain(run: dict, state: dict | None = None) -> str:
    failures = "\n".join(f"  {r['Occurrences']}× {r['Method']} {r['Name']}: {r['Error']}"
                         for r in run["failure_rows"][:10])
    summary = state and {k: state[k] for k in ("logins", "notes", "rejections")}
    return (f"requests={run['requests']} failures={run['failures']}\n{failures}\n"
            f"exceptions={run['exceptions'][:3]}\nstate={summary}\n"
            f"locust output tail:\n{run['output'][-2000:]}")


def _total(counter: dict[str, int]) -> int:
    return sum(counter.values())


@pytest.mark.parametrize("har", ["notes-journey.har", "notes-journey.firefox.har"])
def test_form_journey_replays_against_a_fresh_app(har: str, tmp_path: Path) -> None:
    script, recorded_origin = _script(har, tmp_path)
    with _app() as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run_locust(script, app.url, 9, tmp_path)
        state = app.state()
    assert run["requests"] > 0, _explain(run, state)
    assert run["failures"] == 0, _explain(run, state)
    assert run["exceptions"] == [], _explain(run, state)
    created, deleted = state["notes"]["created"], state["notes"]["deleted"]
    assert state["logins"]["form"].get("alice", 0) > 0, _explain(run, state)
    assert state["logins"]["failed"] == {}, _explain(run, state)
    assert created.get("alice", 0) > 0, _explain(run, state)
    assert created == deleted, _explain(run, state)  # every iteration deleted its own note
    # one login and one note per iteration: the server saw whole iterations only
    assert state["logins"]["form"]["alice"] == created["alice"], _explain(run, state)
    assert _total(state["rejections"]) == 0, _explain(run, state)
    assert not [n for n in state["current_notes"] if n["owner"] == "alice"]


def test_api_journey_replays_against_a_fresh_app(tmp_path: Path) -> None:
    script, recorded_origin = _script("api-journey.har", tmp_path)
    with _app() as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run_locust(script, app.url, 9, tmp_path)
        state = app.state()
    assert run["requests"] > 0, _explain(run, state)
    assert run["failures"] == 0, _explain(run, state)
    assert run["exceptions"] == [], _explain(run, state)
    notes = state["notes"]
    logins = state["logins"]["api"].get("alice", 0)
    assert logins > 0, _explain(run, state)
    assert notes["created"].get("alice", 0) == logins, _explain(run, state)
    assert notes["created"] == notes["updated"] == notes["deleted"], _explain(run, state)
    assert _total(state["rejections"]) == 0, _explain(run, state)
    # a fresh uuid4 per iteration: every X-Request-ID accepted, none reused
    assert len(state["request_ids"]) == logins == len(set(state["request_ids"]))


def _clean_replay(har: str, tmp_path: Path, user_class: str,
                  must_have: str = "") -> tuple[dict, dict]:
    """Convert a fixture HAR, run it for 6 s against a fresh app: the run (no failure, no
    exception) and the app's state."""
    script, _ = _script(har, tmp_path, user_class=user_class)
    assert must_have in script.read_text("utf-8")
    with _app() as app:
        run = _run_locust(script, app.url, 6, tmp_path)
        state = app.state()
    assert run["requests"] > 0, _explain(run, state)
    assert run["failures"] == 0, _explain(run, state)
    assert run["exceptions"] == [], _explain(run, state)
    return run, state


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_a_redirect_is_followed_to_where_the_live_server_sends_it(user_class: str,
                                                                   tmp_path: Path) -> None:
    """WordPress's draft save: ``POST /drafts`` → 302 ``/post.php?post=<new id>&action=edit``.
    The id is short and under a key that names no id, so no rule may correlate it; the
    browser's next request is the live Location, and so is the script's."""
    run, state = _clean_replay("drafts-journey.har", tmp_path, user_class)
    drafts = state["drafts"]
    assert drafts.get("created", 0) > 0, (drafts, _explain(run, state))
    # every draft saved was opened in its editor, and no editor of another id was asked for;
    # a user stopped between the save and its redirect may miss its last one
    assert drafts["created"] - USERS <= drafts.get("opened", 0) <= drafts["created"], drafts
    assert drafts.get("missing", 0) == 0, (drafts, _explain(run, state))
    assert _total(state["rejections"]) == 0, _explain(run, state)


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_an_id_inside_the_urls_an_api_hands_out_is_followed(user_class: str,
                                                            tmp_path: Path) -> None:
    """An export job: ``POST /api/exports`` → 202 ``{"links": {"status":
    "/api/exports/<id>/status"}}``, whose answer links the download: the id is only ever part
    of a URL in a JSON body. Then an import: 202 with an empty body and the URL to poll in
    ``Operation-Location``."""
    run, state = _clean_replay("exports-journey.har", tmp_path, user_class,
                               must_have="self.export_id = from_json_url(")
    imports = state["imports"]
    assert imports.get("created", 0) > 0 and imports.get("missing", 0) == 0, imports
    assert imports["created"] - USERS <= imports.get("polled", 0) <= imports["created"]
    exports = state["exports"]
    created = exports.get("created", 0)
    assert created > 0, (exports, _explain(run, state))
    # each export polled and downloaded by its owner (a user stopped mid-flow may miss its last)
    assert created - USERS <= exports.get("downloaded", 0) <= exports.get("polled", 0) <= created
    assert exports.get("missing", 0) == 0, (exports, _explain(run, state))
    assert _total(state["rejections"]) == 0, _explain(run, state)


def test_without_correlation_the_replay_fails(tmp_path: Path) -> None:
    script, _ = _script("notes-journey.har", tmp_path, correlate=False)
    code = script.read_text(encoding="utf-8")
    assert "from_xpath" not in code and "self.csrf_token" not in code
    with _app() as app:
        run = _run_locust(script, app.url, 3, tmp_path)
        state = app.state()
    assert run["failures"] > 0, _explain(run, state)
    assert _total(state["notes"]["created"]) == 0, _explain(run, state)
    assert _total(state["rejections"]) > 0, _explain(run, state)  # stale CSRF token → 400


def test_missing_source_fails_the_flow_by_name_without_exceptions(tmp_path: Path) -> None:
    script, _ = _script("notes-journey.har", tmp_path)
    with _app(sabotage=["no-csrf"]) as app:
        run = _run_locust(script, app.url, 3, tmp_path)
        state = app.state()
    assert run["failures"] > 0, _explain(run, state)
    errors = [r["Error"] for r in run["failure_rows"]]
    assert any("csrf_token not found in step 2" in e for e in errors), _explain(run, state)
    assert run["exceptions"] == [], _explain(run, state)
    assert "Traceback" not in run["output"], _explain(run, state)
    # the flow stopped at step 2: step 3 (POST /login) was never sent with a stale token
    assert state["logins"]["form"] == {} and _total(state["notes"]["created"]) == 0
    assert not [r for r in run["stats"] if r["Name"].startswith("03 ")], _explain(run, state)
