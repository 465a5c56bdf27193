"""``convert(source, options) -> Result``: load, run the stages, generate, format."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from . import ir
from .codegen.fmt import render
from .codegen.generator import generate
from .codegen.script_options import script_options
from .errors import BadInput
from .loader import load
from .options import Options
from .report import Report
from .stages import PIPELINE


@dataclass(frozen=True, slots=True)
class Result:
    code: str
    report: Report
    scenario: ir.Scenario


def convert(source: str | os.PathLike[str] | bytes, options: Options | None = None, *,
            name: str | None = None,
            progress: Callable[[str], None] | None = None) -> Result:
    """Convert a HAR (a path, or its bytes) into Locust code and a report.

    Reads ``source`` and nothing else; raises :class:`BadInput` for input it cannot use.
    ``progress``, if given, is called with each stage's name as the stage starts.
    """
    with _without_gc_pauses():
        return _convert(source, options or Options(), name, progress or _no_progress)


def _no_progress(stage: str) -> None:
    pass


@contextmanager
def _without_gc_pauses() -> Iterator[None]:
    """Pause Python's cycle collector while converting.

    A conversion holds millions of long-lived objects (the parsed HAR, the IR, libcst nodes)
    and makes no reference cycles worth collecting; the collector's full passes rescan all of
    them again and again, which made a 140 MB recording 1.5x slower, growing faster than the
    input. Whatever cycles there are get collected when it is switched back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _convert(source: str | os.PathLike[str] | bytes, options: Options,
             name: str | None, progress: Callable[[str], None]) -> Result:
    timings: list[tuple[str, float]] = []
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings.append((stage, round(now - clock, 6)))
        clock = now

    if isinstance(source, bytes):
        data, label = source, name or "<stdin>"
    else:
        label = name or os.path.basename(os.fspath(source))
        try:
            with open(source, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise BadInput(label, f"cannot read: {exc.strerror or exc}") from None
    lap("read")
    progress("load")
    scenario = load(data, label)
    del data  # the whole file (140 MB at 10,000 entries): not needed by the stages after this
    entries = len(scenario.steps) + sum(n for _, n in scenario.skipped)
    lap("load")
    for stage_name, stage in PIPELINE:
        progress(stage_name)
        scenario = stage(scenario, options)
        lap(stage_name)

    user_class = options.user_class or "fast"
    progress("generate")
    module = generate(scenario, options, user_class)
    lap("generate")
    progress("format")
    code = render(module)
    lap("format")
    report = Report(
        source=label,
        entries=entries,
        steps=len(scenario.steps),
        pages=len(scenario.groups),
        main_origin=scenario.main_origin,
        user_class={"fast": "FastHttpUser", "http": "HttpUser"}[user_class],
        skipped=scenario.skipped,
        diagnostics=scenario.diagnostics,
        correlations=tuple(scenario.extra.get("correlations", ())),
        secrets=scenario.secrets,
        data_columns=scenario.data_columns,
        options=script_options(scenario, options),
    )
    return Result(code=code, report=replace(report, timings=tuple(timings)), scenario=scenario)
