"""Zoo: Redmine's optimistic locking, on an issue that exists before the journey.

The HAR (``fixtures/zoo/redmine/redmine-shared.har``, recorded in Chromium by
``record_shared.py``) logs in, opens the project's issues, the team's issue every shift adds a
note to ("The zoo's daily log", made by ``seed.rb``), adds a note (``POST /issues/<id>`` with
``_method=patch``) and signs out. The update form holds ``issue[lock_version]``, Rails'
optimistic lock: one more with every change of the issue, and an update of another version
than the issue's is refused (Redmine shows the form again: "Data has been updated by another
user"). Sent as recorded, the version is right the first time on a fresh tracker and stale
every time after: each shift but the first adds nothing. It is read from the form this run.

One user: two users at once editing one issue meet Rails' lock for real (the second save of
the same version is refused, as it would be in a browser).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "redmine" / "redmine-shared.har"
PASSWORD = "looking-glass-77"  # alice's, as recorded (fixtures/zoo/redmine/server.py)
USERS, SECONDS = 1, 12


@pytest.fixture(scope="module")
def redmine() -> type:
    """The launcher class; skips the module when Redmine is not installed."""
    from fixtures.zoo.redmine import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Redmine zoo app cannot run: {reason}")
    return server.Redmine


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp_path_factory.mktemp("redmine-shared"))


def _replay(redmine: type, path: Path, origin: str, env_var: str, workdir: Path
            ) -> tuple[LocustRun, dict, dict]:
    with redmine(port=port_other_than(origin)) as tracker:
        assert urlsplit(tracker.url).port != urlsplit(origin).port
        before = tracker.state()["shared"]
        run = run_against(path, tracker.url, workdir, env_var, PASSWORD, seconds=SECONDS,
                          users=USERS)
        return run, before, tracker.state()


def test_every_shift_adds_its_note_to_the_shared_issue(
        redmine: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    path, origin, env_var = script
    run, before, state = _replay(redmine, path, origin, env_var, tmp_path)
    why = f"{run.explain()}\nbefore: {before}\nserver state: {state}"
    logins = state["logins"].get("alice", 0)
    assert logins > 1, why  # the second shift is the one a recorded version spoils
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["answers"].get("IssuesController#update 302") == logins, why
    assert state["shared"]["notes"] == {"alice": logins}, why
    assert state["shared"]["lock_version"] == before["lock_version"] + logins, why
    assert state["shared"]["id"] == before["id"], why
    assert state["refusals"] == {} and state["sentinel_intact"], why


def test_the_version_is_read_from_the_form_of_this_run(script: tuple[Path, str, str]) -> None:
    code = script[0].read_text("utf-8")
    assert "//input[@name='issue[lock_version]']/@value" in code
    assert '"issue[lock_version]": self.issue_lock_version,' in code
    # the issue is found in the list by its subject, not by the recorded id
    assert "from_named_link(" in code and "\"The zoo's daily log\"" in code


def test_the_recorded_version_adds_a_note_once(
        redmine: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """What the version read this run is for: the same script sending the recorded version
    adds the first shift's note only, and every later update fails its step."""
    path, origin, env_var = script
    code = path.read_text("utf-8")
    stale = tmp_path / "stale_version.py"
    stale.write_text(code.replace('"issue[lock_version]": self.issue_lock_version,',
                                  f'"issue[lock_version]": "{_recorded_version()}",'), "utf-8")
    run, before, state = _replay(redmine, stale, origin, env_var, tmp_path)
    why = f"{run.explain()}\nbefore: {before}\nserver state: {state}"
    logins = state["logins"].get("alice", 0)
    assert logins > 1, why
    assert state["shared"]["notes"] == {"alice": 1}, why
    assert run.final["08 /issues/{issue_id} (_method=patch)"][1] == logins - 1, why


def _recorded_version() -> str:
    """The ``issue[lock_version]`` the recorded update sent (a multipart form)."""
    entries = json.loads(HAR.read_text("utf-8"))["log"]["entries"]
    [sent] = [re.search(r'name="issue\[lock_version\]"\r?\n\r?\n(\d+)\r?\n',
                        e["request"]["postData"]["text"])[1]
              for e in entries if e["request"]["method"] == "POST"
              and re.search(r"/issues/\d+$", e["request"]["url"])]
    return sent


def test_an_export_without_its_pages_bodies_reads_the_version_from_the_live_form(
        redmine: type, tmp_path: Path) -> None:
    """A DevTools export holds the HTML of the last page only
    (``test_chromium_left_pages.py``): the issue's form, with its version and token, is not in
    it. Both are read from this run's form (the form that posts to the issue's path), and every
    shift adds its note."""
    from fixtures.record import to_pages_lost_har

    lost = tmp_path / "redmine-shared.har"
    lost.write_text(json.dumps(to_pages_lost_har(json.loads(HAR.read_text("utf-8")))), "utf-8")
    path, origin, env_var = convert_to_file(lost, tmp_path)
    code = path.read_text("utf-8")
    assert '"issue[lock_version]": self.issue_lock_version,' in code
    assert "from_form(" in code and "//input[@name='issue[lock_version]']" not in code
    run, before, state = _replay(redmine, path, origin, env_var, tmp_path)
    why = f"{run.explain()}\nbefore: {before}\nserver state: {state}"
    logins = state["logins"].get("alice", 0)
    assert logins > 1, why
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["shared"]["notes"] == {"alice": logins}, why
    assert state["shared"]["lock_version"] == before["lock_version"] + logins, why
