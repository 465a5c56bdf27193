"""End-to-end foundation: a script generated from a fixture HAR, run by real Locust.

The fixture app is started fresh (another port than the recording, ``--host`` points Locust at
it); Locust runs headless in a subprocess bounded by a timeout and killed by its PID. Results
come from Locust's own statistics and from the app's request log and ``/__state``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from har2locust_plus import convert

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

pytestmark = pytest.mark.e2e


def _locustfile(har: str, tmp_path: Path) -> Path:
    path = tmp_path / "locustfile.py"
    path.write_text(convert(FIXTURES / har).code, encoding="utf-8")
    return path


def test_public_browsing_replays_without_failures(tmp_path: Path, run_locust,
                                                  server_hits) -> None:
    from fixtures.server import FixtureApp

    script = _locustfile("public-browsing.har", tmp_path)
    with FixtureApp() as app:
        app.state()  # the first logged request sets werkzeug's logger up (see headers tests)
        run = run_locust(script, app.url, tmp_path, seconds=8, users=5)
        state = app.state()
        hits = server_hits(app.log())

    assert run.returncode == 0, run.explain()
    pages = [r for r in run.stats if r["Name"] != "Aggregated" and r["Type"] != "PAGE"]
    assert [r["Name"] for r in pages] == ["1 /", "2 /about", "3 /"], run.explain()
    for row in pages:
        assert int(row["Request Count"]) > 0, run.explain()
        assert int(row["Failure Count"]) == 0, run.explain()
    assert run.failures == [], run.explain()

    # The server really served the pages, each as a full 200 (no replayed If-None-Match → 304),
    # and no static asset was fetched (skipped by default).
    assert hits[("GET", "/", 200)] >= int(run.row("1 /")["Request Count"]) > 0
    assert hits[("GET", "/about", 200)] >= int(run.row("2 /about")["Request Count"]) > 0
    assert not [key for key in hits if key[2] == 304 or key[1].startswith("/static/")], hits
    assert state["rejections"] == {}, state
    assert state["logins"] == {"form": {}, "api": {}, "failed": {}}, state


def test_notes_journey_script_runs(tmp_path: Path, run_locust) -> None:
    """The form journey runs under Locust without crashing; its failures are the business of
    the correlation tests (test_e2e_correlation.py), not asserted here."""
    from fixtures.server import FixtureApp

    script = _locustfile("notes-journey.har", tmp_path)
    # Recorded secrets (alice's password) are options, by default from H2L_* variables.
    secrets = {name: "wonderland-42"
               for name in re.findall(r'"(H2L_\w+)"', script.read_text("utf-8"))}
    with FixtureApp() as app:
        run = run_locust(script, app.url, tmp_path, seconds=5, users=2, env=secrets)
        app.state()  # the app survived the run

    assert run.returncode in (0, 1), run.explain()  # 1: some requests failed, allowed here
    assert run.requests > 0, run.explain()
    assert "Traceback" not in run.output, run.explain()
