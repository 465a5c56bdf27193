"""``convert(source, options) -> Result``: load, run the stages, generate, format."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from fractions import Fraction

from . import ir
from .codegen.fmt import render
from .codegen.generator import generate, generate_workload
from .codegen.script_options import (
    ScriptOption,
    member_options,
    script_options,
    workload_options,
)
from .codegen.workload import Workload, plan
from .errors import BadInput
from .loader import load
from .options import Options
from .report import Report, WorkloadReport
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


class _Clock:
    """The time each stage took, for ``--timings``."""

    def __init__(self) -> None:
        self.timings: list[tuple[str, float]] = []
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings.append((stage, round(now - self.last, 6)))
        self.last = now


def _convert(source: str | os.PathLike[str] | bytes, options: Options,
             name: str | None, progress: Callable[[str], None]) -> Result:
    clock = _Clock()
    scenario, entries = _scenario(source, options, name, progress, clock)
    user_class = options.user_class or "fast"
    progress("generate")
    printed: dict[str, str] = {}
    module = generate(scenario, options, user_class, printed)
    clock.lap("generate")
    progress("format")
    code = render(module, printed)
    clock.lap("format")
    report = _report(scenario, entries, user_class, script_options(scenario, options))
    return Result(code=code, report=replace(report, timings=tuple(clock.timings)),
                  scenario=scenario)


def _scenario(source: str | os.PathLike[str] | bytes, options: Options, name: str | None,
              progress: Callable[[str], None], clock: _Clock) -> tuple[ir.Scenario, int]:
    """The recording through every stage; and how many entries it had."""
    if isinstance(source, bytes):
        data, label = source, name or "<stdin>"
    else:
        label = name or os.path.basename(os.fspath(source))
        try:
            with open(source, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise BadInput(label, f"cannot read: {exc.strerror or exc}") from None
    clock.lap("read")
    progress("load")
    scenario = load(data, label)
    del data  # the whole file (140 MB at 10,000 entries): not needed by the stages after this
    entries = len(scenario.steps) + sum(n for _, n in scenario.skipped)
    clock.lap("load")
    for stage_name, stage in PIPELINE:
        progress(stage_name)
        scenario = stage(scenario, options)
        clock.lap(stage_name)
    return scenario, entries


def _report(scenario: ir.Scenario, entries: int, user_class: str,
            script: tuple[ScriptOption, ...]) -> Report:
    return Report(
        source=scenario.source,
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
        options=script,
    )


# --- several recordings, one script (issue 13) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recording:
    """One recording of a workload and its share of the users (any positive number)."""

    source: str | os.PathLike[str] | bytes
    weight: Fraction | int | float = 1  # a float as written: 0.2 is 1/5
    name: str | None = None  # for messages; default: the file's name


@dataclass(frozen=True, slots=True)
class WorkloadResult:
    code: str
    report: WorkloadReport
    workload: Workload


def convert_workload(recordings: Sequence[Recording], options: Options | None = None, *,
                     progress: Callable[[str], None] | None = None) -> WorkloadResult:
    """Convert several HARs into one Locust script with a user class per recording.

    Each recording goes through the stages on its own, as :func:`convert` does; one generator
    pass then writes the classes, which share the run-time helpers, constants and options.
    """
    options = options or Options()
    progress = progress or _no_progress
    with _without_gc_pauses():
        clock = _Clock()
        loaded = [_scenario(r.source, options, r.name, progress, clock) for r in recordings]
        workload = plan([scenario for scenario, _ in loaded],
                        [Fraction(str(r.weight) if isinstance(r.weight, float) else r.weight)
                         for r in recordings])
        user_class = options.user_class or "fast"
        progress("generate")
        printed: dict[str, str] = {}
        module = generate_workload(workload, options, user_class, printed)
        clock.lap("generate")
        progress("format")
        code = render(module, printed)
        clock.lap("format")
    # each section names the secrets and columns as the script does
    sections = tuple(
        _report(replace(m.scenario, secrets=m.secrets, data_columns=m.columns), entries,
                user_class, member_options(m, options))
        for m, (_, entries) in zip(workload.members, loaded, strict=True))
    timings: dict[str, float] = {}  # each stage's time, summed over the recordings
    for stage, seconds in clock.timings:
        timings[stage] = round(timings.get(stage, 0.0) + seconds, 6)
    report = WorkloadReport(sections=sections, classes=tuple(m.class_name for m in
                                                             workload.members),
                            weights=tuple(m.weight for m in workload.members),
                            options=workload_options(workload, options),
                            timings=tuple(timings.items()))
    return WorkloadResult(code=code, report=report, workload=workload)
