"""Zoo: Cacti 1.2 (Debian's cacti, on PHP's built-in server and MariaDB), replayed by the script.

The HAR (``fixtures/zoo/cacti/cacti.har``, recorded in Chromium by ``record.py``) logs in as
admin (csrf-magic's ``__csrf_magic``: ``sid:<sha1>,<epoch seconds>``, in the form and in the
page's script, a new one after the login), opens the Devices list, creates a device ``Zoo
device <epoch ms>`` (an XHR POST answered by a 302 to ``host.php?header=false&action=edit&id=
<id>``), saves notes on it, ticks its checkbox in the list (a field named ``chk_<id>``),
chooses "Delete" (a confirmation page whose hidden ``selected_items`` is a PHP-serialized list
of ids) and continues. Each test starts a fresh Cacti (a new database with devices' ids from a
random base, a new CSRF secret, another port) and reads the outcome from the database's
triggers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "cacti" / "cacti.har"
USERS, SECONDS = 3, 10


def _password() -> str:
    from fixtures.zoo.cacti.server import PASSWORD

    return PASSWORD


PASSWORD = _password()


@pytest.fixture(scope="module")
def cacti() -> type:
    """The launcher class; skips the module when Cacti is not installed."""
    from fixtures.zoo.cacti import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Cacti zoo app cannot run: {reason}")
    return server.Cacti


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("cacti-correlated"))


def _run(script: Path, server: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         extra: tuple[str, ...] = ()) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS, extra=extra)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every device the flow created was updated and deleted, none left, bob's
    untouched (also used by tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] > 0 and state["left"] == 0, why
    assert state["updated"] == state["deleted"] == state["created"], why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_server(cacti: type, script: tuple[Path, str, str],
                                           tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with cacti(port=port_other_than(recorded_origin)) as server:
        assert urlsplit(server.url).port != urlsplit(recorded_origin).port
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends_back(script: tuple[Path, str, str]) -> None:
    """The new device's id from the create's redirect, in the edit's query and inside the
    name of the list's checkbox; the serialized ``selected_items`` from the confirmation
    page; csrf-magic's token from each page that has it."""
    code = script[0].read_text("utf-8")
    assert 'f"chk_{self.id}": "on"' in code, code
    assert '"selected_items": self.selected_items' in code
    assert code.count('"__csrf_magic": self.') >= 2


def test_without_correlation_nothing_is_changed(cacti: type, tmp_path: Path) -> None:
    """The recorded token is not this session's: csrf-magic drops the login, so the console
    answers with the login form again (200, where the console was recorded): the check of the
    console's title fails at step 3 in every iteration, and nothing is created."""
    path, _, env_var = _convert(tmp_path, correlate=False)
    with cacti() as server:
        run = _run(path, server, tmp_path, env_var, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0, why
    assert state["sentinel_intact"], why
    assert {failure["Name"] for failure in run.failures} == {
        "03 /index.php", "02 POST /index.php (action=login)"}, why
    assert all("step 3 GET /index.php: expected the body to contain '<title>Console </title>'"
               in failure["Error"] for failure in run.failures), why


@pytest.fixture(scope="module")
def wrong_password_server(cacti: type) -> Iterator[object]:
    """A server where admin's password is not the one the script is given."""
    with cacti(password="not-the-recorded-one") as server:
        yield server


def test_wrong_password_fails_at_the_login_and_creates_nothing(
        wrong_password_server: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """Cacti answers a wrong password with its login form again (200), where the recorded
    302 was: every iteration fails there and nothing is created."""
    path, _, env_var = script
    run = _run(path, wrong_password_server, tmp_path, env_var, seconds=5)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    logins, failed = run.final["02 /index.php (action=login)"]
    assert logins > 0 and failed == logins, why
    assert state["created"] == 0 and state["sentinel_intact"], why


def test_the_checkbox_named_by_the_recorded_id_deletes_nothing(cacti: type, tmp_path: Path,
                                                               script: tuple[Path, str, str]
                                                               ) -> None:
    """Why the id inside the checkbox's name is filled in: with the name as recorded
    (``chk_<recorded id>``), Cacti's confirmation lists the recorded id (an empty line where
    the device's name would be), "Continue" deletes no device and answers the same 302 — a
    replay with no failure that deletes nothing, every device the flow created left."""
    path, _, env_var = script
    code = path.read_text("utf-8")
    assert 'f"chk_{self.id}"' in code
    stale = tmp_path / "locustfile.py"
    stale.write_text(code.replace('f"chk_{self.id}"', f'"{_recorded_checkbox()}"'), "utf-8")
    with cacti() as server:
        run = _run(stale, server, tmp_path, env_var, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0, why  # the hazard: nothing looks wrong
    assert state["created"] > 0 and state["deleted"] == 0, why
    assert state["left"] == state["created"] and state["sentinel_intact"], why


def _recorded_checkbox() -> str:
    """The name of the list's checkbox the recording ticked: ``chk_<id>``."""
    import json
    import re

    entries = json.loads(HAR.read_text("utf-8"))["log"]["entries"]
    texts = [(e["request"].get("postData") or {}).get("text", "") for e in entries]
    [name] = {m.group(0) for text in texts for m in re.finditer(r"chk_\d+", text)}
    return name
