"""What the tests of the zoo's two notes apps share (``test_zoo_nextjs.py``,
``test_zoo_sveltekit.py``): the same journey (sign in, add "milk" and "eggs", delete "eggs",
sign out) and the same store and account (``/zoo-state``), on two frameworks."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from conftest import LocustRun, convert_to_file, port_other_than, run_against

PASSWORD = "looking-glass-7"  # alice's, as recorded (both apps' server.py)
SENTINELS = ["bob's chair", "bob's desk", "bob's lamp"]
USERS, SECONDS = 3, 10


def run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS
        ) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def why(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration signed in, added two notes, deleted one, signed out; nothing
    refused; bob's notes untouched (also used by tests/test_zoo_recorded_port.py)."""
    because = why(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], because
    counts = state["counts"]
    logins = counts.get("alice/logins", 0)
    assert logins > 0, because
    assert counts == {"alice/logins": logins, "alice/created": 2 * logins,
                      "alice/deleted": logins, "alice/logouts": logins}, because
    assert state["notes_left"] == logins and state["sentinels"] == SENTINELS, because


def replays_on_a_fresh_app(app_type: type, har: Path, script: tuple[Path, str, str],
                           tmp_path: Path, user_class: str) -> None:
    """The journey on a fresh app on another port than the recorded one, with either user
    class."""
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(har, tmp_path, user_class=user_class)
    with app_type(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        result = run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(result, state)


def without_correlation_the_delete_finds_nothing(app_type: type, har: Path,
                                                 tmp_path: Path) -> None:
    """The recorded note id names nothing on a fresh app: the delete is refused, and the
    step fails."""
    path, _, env_var = convert_to_file(har, tmp_path, correlate=False)
    with app_type() as app:
        result = run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    because = why(result, state)
    assert result.failed > 0 and state["counts"].get("-/rejected_delete", 0) > 0, because
    assert "alice/deleted" not in state["counts"] and state["sentinels"] == SENTINELS, because


def refused_delete(app_type: type, script: tuple[Path, str, str], tmp_path: Path,
                   step: str, message: str) -> None:
    """The delete finds nothing (``refuse_deletes``), answered 200 as one that worked: the
    delete's step (``step``, its name in Locust's statistics) fails every iteration with
    ``message``, and nothing after it is sent."""
    path, _, env_var = script
    with app_type(refuse_deletes=True) as app:
        result = run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    because = why(result, state)
    counts = state["counts"]
    logins = counts.get("alice/logins", 0)
    assert logins > 0 and counts.get("alice/created") == 2 * logins, because
    assert counts.get("-/rejected_delete") == logins and "alice/deleted" not in counts, because
    assert result.final[step] == (logins, logins), because
    assert message in result.explain(), because
    assert "alice/logouts" not in counts, because
