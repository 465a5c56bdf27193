"""Zoo: Tiny Tiny RSS (Debian's ``tt-rss``, unmodified, on ``php -S`` and MariaDB), replayed.

The HAR (``fixtures/zoo/ttrss/ttrss.har``, recorded in Chromium by ``record.py``) logs in,
opens the preferences' Labels tab, creates a label (its caption typed into the browser's own
``prompt()``), renames it in its dialog and removes it. The page gives its script the
session's CSRF token in an inline script (``const __csrf_token = "…"``), sent as a form field
with every ``backend.php`` call; the new label's id is in no answer to its creation
("Created label <b>Zoo label</b>"), only in the label tree the page reads next, **a list**:
``{"items": [{"id": "root", "items": [{"bare_id": 50719, "name": "Zoo label", …}]}]}``. Read by
its position, it is whichever label sorts first: on a server where the user has another
label, the replay renames and removes that one, and Locust counts no failure. Each test
starts a fresh instance (a random base for the labels' ids) and reads the outcome from the
database's own triggers.

One user: labels are named by the user, and every user of the script is admin (two labels of
one name are two elements the script cannot tell apart: its step fails).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ZOO_STOP_TIMEOUT, LocustRun, locust_headless, port_other_than

from har2locust_plus import Options, ThinkTime, convert
from har2locust_plus.stages.correlate import json_body

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "ttrss" / "ttrss.har"
PASSWORD = "read-all-the-feeds-5"  # admin's (fixtures/zoo/ttrss/server.py)
USERS, SECONDS = 1, 10
OTHER_LABEL = "Archive"  # admin's own label, made before the run: it sorts first


@pytest.fixture(scope="module")
def ttrss() -> type:
    """The launcher class; skips the module when Tiny Tiny RSS is not installed."""
    from fixtures.zoo.ttrss import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Tiny Tiny RSS zoo app cannot run: {reason}")
    return server.TinyTinyRss


def _convert(tmp: Path, **options: object) -> tuple[Path, str, dict[str, str]]:
    """The script, the recorded origin and its secret's environment (admin's password)."""
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    env = {s.env: PASSWORD if s.kind == "password" else s.recorded
           for s in result.scenario.secrets}
    assert list(env.values()) == [PASSWORD]
    return path, result.scenario.main_origin, env


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    return _convert(tmp_path_factory.mktemp("ttrss-correlated"))


def _run(script: Path, server: object, workdir: Path, env: dict[str, str],
         seconds: int = SECONDS) -> LocustRun:
    return locust_headless(script, server.url, workdir,  # type: ignore[attr-defined]
                           seconds=seconds, users=USERS,
                           extra=("--stop-timeout", ZOO_STOP_TIMEOUT), env=env)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: { {k: v for k, v in state.items() if k != 'rows'} }"


def assert_full_lifecycle(run: LocustRun, state: dict, left: tuple[str, ...] = ()) -> None:
    """No failure; every label the flow created was renamed, then removed under its new name;
    no other label changed; ``left`` what is left of admin's (also used by
    tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] > 0 and state["left"] == sorted(left), why
    assert state["created"] == state["renamed"] == state["deleted"], why
    assert state["others_changed"] == 0 and state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_instance(ttrss: type, script: tuple, tmp_path: Path,
                                             user_class: str) -> None:
    """The CSRF token from the page's script, the label's id from the tree's element that
    holds the caption the user typed (admin's other label sorts first): every label created,
    renamed, removed; admin's other label and bob's left alone."""
    path, recorded_origin, env = script
    if user_class != "fast":
        path, _, env = _convert(tmp_path, user_class=user_class)
    with ttrss(port=port_other_than(recorded_origin), admin_labels=(OTHER_LABEL,)) as rss:
        run = _run(path, rss, tmp_path, env)
        state = rss.state()
    assert_full_lifecycle(run, state, left=(OTHER_LABEL,))


def test_what_the_script_sends(script: tuple) -> None:
    code = script[0].read_text("utf-8")
    assert code.count('"csrf_token": self.csrf_token') >= 8
    assert 'self.bare_id = from_json_row(' in code and '"Zoo label",\n' in code
    assert "exact=True" in code and '("items", 0, "items", 0, "bare_id")' not in code


def test_a_label_read_by_its_place_in_the_tree_is_another_label(
        ttrss: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the element is found by the caption: read by its position (as before), the id is
    admin's other label's, which sorts first; the first run of the flow renames and removes
    that label (the later ones, with it gone, their own), and Locust counts no failure (the
    answers are the same 200s): the worst outcome."""
    monkeypatch.setattr(json_body, "json_row_names",
                        lambda *args: ())
    path, _, env = _convert(tmp_path)
    assert '("items", 0, "items", 0, "bare_id")' in path.read_text("utf-8")
    with ttrss(admin_labels=(OTHER_LABEL,)) as rss:
        run = _run(path, rss, tmp_path, env, seconds=5)
        state = rss.state()
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0, why  # Locust saw nothing wrong
    assert state["others_changed"] >= 2 and OTHER_LABEL not in state["left"], why
    (archive,) = [label for kind, label, _, caption in state["rows"]
                  if (kind, caption) == ("insert", OTHER_LABEL)]
    assert ["update", archive, "1", "Zoo label renamed"] in state["rows"], why  # renamed
    assert ["delete", archive, "1", "Zoo label renamed"] in state["rows"], why  # and removed


def test_without_correlation_nothing_is_created(ttrss: type, tmp_path: Path) -> None:
    """The recorded CSRF token: tt-rss refuses every call, and no label is created."""
    path, _, env = _convert(tmp_path, correlate=False)
    with ttrss() as rss:
        run = _run(path, rss, tmp_path, env, seconds=5)
        state = rss.state()
    why = _explain(run, state)
    assert state["created"] == 0 and state["sentinel_intact"], why
    assert run.failed > 0, why


@pytest.fixture(scope="module")
def wrong_password_server(ttrss: type) -> Iterator[object]:
    with ttrss(password="not-the-recorded-one-7") as server:
        yield server


def test_wrong_password_fails_and_creates_nothing(wrong_password_server: object,
                                                  script: tuple, tmp_path: Path) -> None:
    path, _, env = script
    run = _run(path, wrong_password_server, tmp_path, env, seconds=5)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == 0 and state["sentinel_intact"], why
