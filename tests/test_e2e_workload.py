"""Issue 13, part 3, end to end: a workload of two recordings run by real Locust.

notes-journey.har (form login, create and delete a note) and api-journey.har (API login,
create, update and delete a note) with weights 3:1 make one script. Run headless with 20 users
against a fresh fixture app, Locust itself shares them out 15/5 (its "All users spawned" line),
nothing fails, and the app's own counters show both flows ran whole: form logins and API logins,
every created note deleted, every API note updated. The classes still run alone by name.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import locust_headless

from har2locust_plus import Options, ThinkTime
from har2locust_plus.core import Recording, convert_workload

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PASSWORD = "wonderland-42"  # alice's password, a secret of both recordings (--password)
SPAWNED = re.compile(r"All users spawned: (\{.*?\}) \((\d+) total users\)")

pytestmark = pytest.mark.e2e


def _app():
    from fixtures.server import FixtureApp  # the repository root is on sys.path (conftest)

    return FixtureApp()


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = convert_workload(
        [Recording(FIXTURES / "notes-journey.har", 3), Recording(FIXTURES / "api-journey.har", 1)],
        Options(think_time=ThinkTime("none")))
    path = tmp_path_factory.mktemp("workload") / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    return path


def _explain(run, state: dict) -> str:
    summary = {k: state[k] for k in ("logins", "notes", "rejections")}
    return f"{run.explain()}\nstate={summary}"


def test_weighted_classes_share_the_users_and_both_flows_complete(script: Path,
                                                                  tmp_path: Path) -> None:
    with _app() as app:
        run = locust_headless(
            script, app.url, tmp_path, seconds=30, users=20,
            # INFO: Locust's own report of the users per class; --stop-timeout: each user
            # finishes its iteration, so every created note is deleted
            extra=("--stop-timeout", "10", "--loglevel", "INFO"),
            env={"H2L_PASSWORD": PASSWORD})
        state = app.state()
    assert run.returncode == 0, _explain(run, state)
    spawned = SPAWNED.findall(run.output)
    assert spawned, _explain(run, state)
    counts, total = spawned[-1]
    assert json.loads(counts) == {"ApiJourneyUser": 5, "NotesJourneyUser": 15}
    assert total == "20"
    assert run.requests > 0 and run.failed == 0, _explain(run, state)
    assert run.exceptions == [], _explain(run, state)
    # each class's requests and pages have rows of their own
    names = {r["Name"] for r in run.stats}
    assert {"NotesJourney 03 /login", "ApiJourney 2 /api/login"} <= names, sorted(names)
    assert {"NotesJourney 03 POST /login", "ApiJourney 1 Notes — API client"} <= names
    # the server: both flows, whole iterations only
    form = state["logins"]["form"].get("alice", 0)
    api = state["logins"]["api"].get("alice", 0)
    notes = state["notes"]
    assert form > 0 and api > 0, _explain(run, state)
    assert state["logins"]["failed"] == {}, _explain(run, state)
    assert notes["created"].get("alice", 0) == form + api, _explain(run, state)
    assert notes["created"] == notes["deleted"], _explain(run, state)
    assert notes["updated"].get("alice", 0) == api, _explain(run, state)  # only the API updates
    assert sum(state["rejections"].values()) == 0, _explain(run, state)


def test_one_class_runs_alone_by_name(script: Path, tmp_path: Path) -> None:
    listed = subprocess.run([sys.executable, "-m", "locust", "-f", str(script), "--list"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path,
                            env={k: v for k, v in os.environ.items() if not k.startswith("H2L_")})
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["Available", "Users:", "NotesJourneyUser",
                                     "ApiJourneyUser"], listed.stdout
    with _app() as app:
        run = locust_headless(script, app.url, tmp_path, seconds=3, users=2,
                              extra=("--stop-timeout", "5", "ApiJourneyUser"),
                              env={"H2L_PASSWORD": PASSWORD})
        state = app.state()
    assert run.returncode == 0 and run.failed == 0, _explain(run, state)
    assert state["logins"]["api"].get("alice", 0) > 0, _explain(run, state)
    assert state["logins"]["form"] == {}, _explain(run, state)
    assert not [r for r in run.stats if r["Name"].startswith("NotesJourney")]
