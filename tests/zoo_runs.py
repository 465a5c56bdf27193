"""What the zoo's replay tests share: convert a journey, run it with real Locust against a
fresh app, and read what the server did during the run (``/__state``, before and after)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conftest import LocustRun, locust_headless

from har2locust_plus import Options, ThinkTime, convert


def replay(app: Any, har: Path, workdir: Path, seconds: int, *, users: int, password: str,
           **options: Any) -> tuple[LocustRun, dict]:
    """Convert ``har`` (no think time), run it headless against ``app`` (on another port than
    recorded) with ``users``; the run and the server's counters' change during it."""
    result = convert(har, Options(think_time=ThinkTime("none"), **options))
    assert urlsplit(app.url).port != urlsplit(result.scenario.main_origin).port
    script = workdir / "locustfile.py"
    script.write_text(result.code, encoding="utf-8")
    before = app.state()
    run = locust_headless(script, app.url, workdir, seconds=seconds, users=users,
                          extra=("--stop-timeout", "5"), env={"H2L_PASSWORD": password})
    return run, delta(before, app.state())


def delta(before: dict, after: dict) -> dict:
    """Counters of ``after`` minus ``before`` (nested dicts of numbers), the rest as after."""
    if isinstance(after, dict) and isinstance(before, dict):
        return {k: delta(before.get(k, {} if isinstance(v, dict) else 0), v)
                for k, v in after.items()}
    if isinstance(after, int) and not isinstance(after, bool):
        return after - (before or 0)
    return after


def nonzero(counter: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counter.items() if v}


def explain(run: LocustRun, state: dict) -> str:
    """The run and the server's account, for an assertion's message."""
    return f"{run.explain()}\nserver: {state}"
