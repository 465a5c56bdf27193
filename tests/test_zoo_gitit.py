"""Zoo: Gitit 0.15 (Debian's gitit: Haskell, Happstack, a git repository), replayed by the script.

The HAR (``fixtures/zoo/gitit/gitit.har``, recorded in Chromium by ``record.py``) logs in as
alice (a 303 that sets a random ``sid``), types the address of a new page ``Zoo page <epoch
ms>`` (Gitit answers 404 and offers to create it; the address percent-encodes its spaces),
creates it, edits it (the form's ``sha1``: the page's last commit), deletes it (the form's
``filetodelete``) and logs out. Each test starts a fresh wiki (a new repository, so other
commits, another port) and reads the outcome from the repository's history.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "gitit" / "gitit.har"
# one user: Gitit's git store has no lock of its own, so two saves at once meet git's
# index.lock and one is answered 500 ("Unable to create '.../index.lock': File exists"), a
# server limit that a load test with more users shows as it should
USERS, SECONDS = 1, 10


def _password() -> str:
    from fixtures.zoo.gitit.server import PASSWORD

    return PASSWORD


PASSWORD = _password()


@pytest.fixture(scope="module")
def gitit() -> type:
    """The launcher class; skips the module when Gitit is not installed."""
    from fixtures.zoo.gitit import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Gitit zoo app cannot run: {reason}")
    return server.Gitit


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("gitit-correlated"))


def _run(script: Path, server: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         users: int = USERS) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=users)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every page the flow created was edited and deleted, none left, bob's
    untouched (also used by tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] > 0 and state["left"] == 0, why
    assert state["edited"] == state["deleted"] == state["created"], why
    assert state["authors"] == ["alice"] and state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_server(gitit: type, script: tuple[Path, str, str],
                                           tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with gitit(port=port_other_than(recorded_origin)) as server:
        assert urlsplit(server.url).port != urlsplit(recorded_origin).port
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends_back(script: tuple[Path, str, str]) -> None:
    """The page's name is made again each run from the time in it (the address typed with
    its spaces percent-encoded: the time after ``%20`` is found), the form's ``sha1`` and
    ``filetodelete`` are read from their pages, and the login's ``destination`` follows the
    host under test."""
    code = script[0].read_text("utf-8")
    assert 'f"/Zoo%20page%20{self.timestamp}"' in code
    assert "self.timestamp = fresh_epoch_ms()" in code
    assert '"sha1": self.sha1' in code and '"filetodelete": self.filetodelete' in code
    assert '"destination": f"{self.origin}/"' in code


def test_without_correlation_the_login_goes_to_the_recorded_host(gitit: type,
                                                                  tmp_path: Path) -> None:
    """The login form's ``destination`` names the recorded host (the page's own address):
    without correlation Gitit sends the new login there, a check of the redirect fails at step
    5, and nothing is created."""
    path, _, env_var = _convert(tmp_path, correlate=False)
    with gitit() as server:
        run = _run(path, server, tmp_path, env_var, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["sentinel_intact"], why
    assert all("step 5 POST /_login: expected a redirect to /, got http://127.0.0.1:"
               in failure["Error"] for failure in run.failures), why


def test_the_recorded_sha1_fails_the_edit(gitit: type, tmp_path: Path,
                                          script: tuple[Path, str, str]) -> None:
    """With the edit form's ``sha1`` as recorded (a commit of the recording's repository),
    Gitit answers the edit's save 500 where the recorded 303 was: the page is created, never
    edited or deleted."""
    import json

    path, _, env_var = script
    entries = json.loads(HAR.read_text("utf-8"))["log"]["entries"]
    [recorded] = {param["value"] for entry in entries
                  for param in (entry["request"].get("postData") or {}).get("params") or ()
                  if param["name"] == "sha1"}
    stale = tmp_path / "locustfile.py"
    stale.write_text(path.read_text("utf-8").replace('"sha1": self.sha1', f'"sha1": "{recorded}"'),
                     "utf-8")
    with gitit() as server:
        run = _run(stale, server, tmp_path, env_var, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert state["created"] > 0 and state["edited"] == state["deleted"] == 0, why
    assert run.failed > 0 and all("step 17 POST /Zoo%20page%20{timestamp}: expected status 303"
                                  " to /<id>, got 500" in failure["Error"]
                                  for failure in run.failures), why


@pytest.fixture(scope="module")
def wrong_password_server(gitit: type) -> Iterator[object]:
    """A server where alice's password is not the one the script is given."""
    with gitit(password="not-the-recorded-one") as server:
        yield server


def test_wrong_password_fails_at_the_login_and_creates_nothing(
        wrong_password_server: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """Gitit answers a wrong password with its login form again (200), where the recorded
    303 was: every iteration fails there and nothing is created."""
    path, _, env_var = script
    run = _run(path, wrong_password_server, tmp_path, env_var, seconds=5)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    logins, failed = run.final["05 /_login"]
    assert logins > 0 and failed == logins, why
    assert state["created"] == 0 and state["sentinel_intact"], why
