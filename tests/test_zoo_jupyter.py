"""Zoo: Jupyter Notebook 6.4 from Debian's package, replayed by the generated script.

The HAR (``fixtures/zoo/jupyter/jupyter.har``, recorded in Chromium by ``record.py``) logs in
with the password (Tornado's ``_xsrf`` cookie as a hidden field), lists the notebook directory
(each API call sends the cookie's value as ``X-XSRFToken``), makes a folder with "New" →
"Folder" (``POST /api/contents``: 201, and the *server* names it ``Untitled Folder``, or
``Untitled Folder 1`` when that exists), renames it ``zoo-<epoch ms>`` (``PATCH
/api/contents/Untitled%20Folder``), deletes it (``DELETE /api/contents/zoo-<epoch ms>``) and
logs out. Each test starts a fresh server (a new notebook directory with bob's two folders,
a new cookie secret, another port) and reads the outcome from the server: the folders on disk,
and its own access log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "jupyter" / "jupyter.har"
USERS, SECONDS = 3, 12


@pytest.fixture(scope="module")
def notebook() -> type:
    """The launcher class; skips the module when Debian's jupyter-notebook is not installed."""
    from fixtures.zoo.jupyter import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Jupyter zoo app cannot run: {reason}")
    return server.Notebook


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("jupyter-correlated"))


def _password() -> str:
    from fixtures.zoo.jupyter.server import PASSWORD

    return PASSWORD


def _run(script: Path, server: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         extra: tuple[str, ...] = ()) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, _password(),  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS, extra=extra)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict, kept: tuple[str, ...] = ()) -> None:
    """No failure; each login made one folder, renamed it and deleted it, nothing was refused,
    and only bob's folders (and ``kept``) are left (also used by test_zoo_recorded_port.py)."""
    from fixtures.zoo.jupyter.server import SENTINELS

    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    logins = state["logins"]
    assert logins > 0 and state["failed_logins"] == 0 and state["xsrf_refused"] == 0, why
    assert state["api"] == {"201 POST": logins, "200 PATCH": logins, "204 DELETE": logins}, why
    assert state["folders"] == sorted((*SENTINELS, *kept)), why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_server(notebook: type, script: tuple[Path, str, str],
                                           tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with notebook(port=port_other_than(recorded_origin)) as server:
        assert urlsplit(server.url).port != urlsplit(recorded_origin).port
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_the_folder_the_server_named_is_the_one_renamed(notebook: type,
                                                         script: tuple[Path, str, str],
                                                         tmp_path: Path) -> None:
    """A folder called ``Untitled Folder`` is already there: the server names each new one
    ``Untitled Folder 1``, ``2`` …, and the script renames the one it made, read from the 201
    answer. The recorded name would rename the folder that was there (and "pass")."""
    path, _, env_var = script
    with notebook() as server:
        (server.notebooks / "Untitled Folder").mkdir()
        (server.notebooks / "Untitled Folder" / "keep.txt").write_text("keep\n", "utf-8")
        run = _run(path, server, tmp_path, env_var, seconds=6)
        state = server.state()
        kept = (server.notebooks / "Untitled Folder" / "keep.txt").read_text("utf-8")
    assert_full_lifecycle(run, state, kept=("Untitled Folder",))
    assert kept == "keep\n", _explain(run, state)


def test_the_names_are_read_and_made_where_the_journey_sends_them(
        script: tuple[Path, str, str]) -> None:
    code = script[0].read_text("utf-8")
    assert re.search(r'self\.name = from_json\(\s*resp,\s*"step 12 POST /api/contents",\s*'
                     r'"name",\s*\("name",\),?\s*\)', code), code
    assert "f\"/api/contents/{quote(str(self.name), safe='')}\"" in code
    assert 'json={"path": f"zoo-{self.path}"}' in code
    assert 'f"/api/contents/zoo-{self.path}"' in code  # the client's name, made once per run
    assert '"X-XSRFToken": f"{self.xsrf}"' in code


def test_without_correlation_nothing_is_made(notebook: type, tmp_path: Path) -> None:
    path, _, env_var = _convert(tmp_path, correlate=False)
    with notebook() as server:
        # going on after failed steps, to show where the server refuses the recorded values
        run = _run(path, server, tmp_path, env_var, seconds=6, extra=("--continue-on-failure",))
        state = server.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["xsrf_refused"] > 0, why
    assert "201 POST" not in state["api"], why
    assert state["sentinel_intact"], why


@pytest.fixture(scope="module")
def wrong_password_server(notebook: type) -> Iterator[object]:
    """A server whose password is not the one the script is given."""
    with notebook(password="not-the-recorded-one") as server:
        yield server


def test_wrong_password_fails_every_iteration_and_makes_nothing(
        wrong_password_server: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    path, _, env_var = script
    run = _run(path, wrong_password_server, tmp_path, env_var, seconds=6)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    attempts = state["failed_logins"]
    assert attempts > 0 and state["logins"] == 0 and state["api"] == {}, why
    assert run.final["02 /login"] == (attempts, attempts), why  # the login step failed
    assert state["sentinel_intact"], why
