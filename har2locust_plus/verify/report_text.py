"""The verify result as a step-by-step table (stdout) and as a JSON-ready dict (``--report``)."""

from __future__ import annotations

from typing import Any

from .compare import Finding, StepResult
from .cookies import COOKIE
from .core import Outcome, Round
from .replay import Exchange

NAME_WIDTH = 34
MESSAGE_WIDTH = 70


def shorten(value: str, width: int = 24) -> str:
    """``0PjUmYm21P…8gMg4``: long values keep their two ends."""
    value = value.replace("\n", " ")
    return value if len(value) <= width else value[:width - 9] + "…" + value[-8:]


def status_text(result: StepResult) -> str:
    recorded = "-" if result.recorded_status is None else str(result.recorded_status)
    if not result.replayed:
        return f"{recorded} → not replayed"
    return f"{recorded} → {'refused' if result.refused else result.replayed_status or 'none'}"


def result_text(result: StepResult) -> str:
    if not result.replayed:
        return ""
    if result.problem:
        return "FAIL " + result.problem
    return f"ok ({result.checks} checks)" if result.checks else "ok"


def missing_text(result: StepResult) -> str:
    """``step 3: keys of the recorded JSON missing in the replay: data.note``, or ""."""
    if not result.missing_keys:
        return ""
    iteration = "iteration 2, " if result.iteration == 2 else ""
    return (f"{iteration}step {result.number}: keys of the recorded JSON missing in the "
            f"replay: {', '.join(result.missing_keys)}")


def table_lines(round_: Round) -> list[str]:
    """One line per recorded step, then the other requests, iteration 2's differences and
    the verdict."""
    rows = [("step", "request", "recorded → replayed", "result", "extracted")]
    rows += [_row(r) for r in round_.results]
    rows += [_extra_row(e) for e in round_.extra if e.iteration == 1]
    again = [_row(r) for r in round_.differing]
    again += [_extra_row(e) for e in round_.extra if e.iteration == 2 and e.failure]
    widths = [max(len(row[i]) for row in rows + again) for i in range(4)]
    lines = [_line(row, widths) for row in rows]
    replayed = sum(r.replayed for r in round_.again)
    if again:
        lines.append(f"iteration 2 (the same user again): {len(round_.differing)} of "
                     f"{len(round_.again)} "
                     "steps differ from iteration 1:")
        lines += [_line(row, widths) for row in again]
    elif replayed:
        lines.append(f"iteration 2 (the same user again): {replayed} of {len(round_.again)} "
                     "steps as in iteration 1")
    elif round_.replay.iterations < 2 and any(r.replayed for r in round_.results):
        lines.append("iteration 2: not run (iteration 1 ended early)")
    notes = [missing_text(r) for r in (*round_.results, *round_.differing)]
    lines += [f"note: {note}" for note in notes if note]
    lines += [f"note: {note}" for note in taken_once_notes(round_)]
    if round_.replay.stopped:
        lines.append(f"note: {round_.replay.stopped}")
    lines.append(f"verdict: {round_.verdict()}")
    return lines


def taken_once_notes(round_: Round) -> list[str]:
    """One note per step that failed only in iteration 2 and sends typed values."""
    by_step: dict[int, list[tuple[str, str]]] = {}
    for number, name, value in round_.taken:
        by_step.setdefault(number, []).append((name, value))
    notes = []
    for number, fields in by_step.items():
        sent = ", ".join(f"{name} {shorten(value)!r}" for name, value in fields[:4])
        names = " ".join(f"--unique {name}" for name in dict.fromkeys(n for n, _ in fields))
        notes.append(f"step {number} passed in iteration 1 and failed in iteration 2: what "
                     f"the first run made may be in its way (a name the server takes once); "
                     f"it sends as typed {sent}: convert with {names} (--fix does)")
    return notes


def _row(r: StepResult) -> tuple[str, str, str, str, str]:
    request = f"{r.method} {r.name}"
    if len(request) > NAME_WIDTH:
        request = request[:NAME_WIDTH - 1] + "…"
    variables = ", ".join(f"{k}={shorten(v)}" for k, v in r.variables)
    return (str(r.number), request, status_text(r), shorten(result_text(r), MESSAGE_WIDTH),
            variables)


def _extra_row(e: Exchange) -> tuple[str, str, str, str, str]:
    return ("-", f"{e.method} {e.name}"[:NAME_WIDTH], f"? → {e.status or 'none'}",
            shorten("FAIL " + e.failure if e.failure else "ok", MESSAGE_WIDTH), "")


def _line(row: tuple[str, str, str, str, str], widths: list[int]) -> str:
    return (f"{row[0]:>{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  "
            f"{row[3]:<{widths[3]}}  {row[4]}").rstrip()


def finding_line(finding: Finding) -> str:
    uses = ", ".join(str(n) for n in finding.used_by)
    if finding.where == COOKIE:
        return (f"  cookie {finding.name}: {finding.context} sends the recorded "
                f"{shorten(finding.value)} (step{'s' if len(finding.used_by) > 1 else ''} "
                f"{uses}), the live cookie (set by step {finding.source_step}) holds "
                f"{shorten(finding.replayed)}; rule: read it from the cookie jar")
    where = "body" if finding.where == "body" else f"header {finding.where}"
    rule = f"regex {finding.regex!r}" if finding.regex else "no regex found in the recorded text"
    return (f"  {finding.name}: {shorten(finding.value)} from step {finding.source_step} "
            f"({where}), sent back by step{'s' if len(finding.used_by) > 1 else ''} {uses}; "
            f"{rule}")


def outcome_lines(outcome: Outcome, *, fix: bool) -> list[str]:
    """Every round's table, what replay-based correlation found, and what --fix added."""
    lines: list[str] = []
    for number, round_ in enumerate(outcome.rounds, start=1):
        if len(outcome.rounds) > 1 or fix:
            lines.append(f"round {number}: {round_.label}")
        lines += table_lines(round_)
        if round_.findings:
            lines.append("found by replay (dynamic values the script does not correlate):")
            lines += [finding_line(f) for f in round_.findings]
        lines.append("")
    if fix:
        if outcome.added:
            lines.append(f"--fix added {len(outcome.added)} correlation rule"
                         f"{'s' if len(outcome.added) > 1 else ''}:")
            lines += [finding_line(f) for f in outcome.added]
        if outcome.unique_added:
            lines.append("--fix made these fields unique per run (--unique): "
                         + ", ".join(outcome.unique_added))
        if not outcome.added and not outcome.unique_added:
            lines.append("--fix: nothing to add")
    elif outcome.final.findings:
        lines.append("run again with --fix to add these as correlation rules")
    return lines


# --- JSON ------------------------------------------------------------------------------------


def finding_dict(finding: Finding) -> dict[str, Any]:
    rule: dict[str, Any] | None = None
    if finding.where == COOKIE:
        rule = {"cookie": finding.name, "value": finding.value}
    elif finding.regex:
        rule = {"name": finding.name, "regex": finding.regex}
        if finding.where != "body":
            rule["header"] = finding.where
    return {"name": finding.name, "source_step": finding.source_step,
            "used_by": list(finding.used_by), "where": finding.where,
            "recorded": finding.value, "replayed": finding.replayed,
            "context": finding.context, "regex": finding.regex,
            "verified_on_replay": finding.verified_on_replay, "rule": rule}


def step_dict(result: StepResult) -> dict[str, Any]:
    return {"step": result.number, "method": result.method, "name": result.name,
            "recorded_status": result.recorded_status,
            "replayed_status": result.replayed_status, "replayed": result.replayed,
            "ok": result.ok, "failure": result.failure, "checks": result.checks,
            "variables": dict(result.variables), "refused": result.refused,
            "elapsed_ms": result.elapsed_ms, "iteration": result.iteration,
            "json_error": result.json_error, "missing_keys": list(result.missing_keys)}


def round_dict(round_: Round) -> dict[str, Any]:
    return {
        "label": round_.label,
        "passed": round_.passed,
        "verdict": round_.verdict(),
        "seconds": round_.replay.seconds,
        "error": round_.replay.error,
        "stopped": round_.replay.stopped,
        "iterations": round_.replay.iterations,
        "steps": [step_dict(r) for r in round_.results],
        "iteration_2": {"steps": [step_dict(r) for r in round_.again],
                        "differing": [r.number for r in round_.differing],
                        "failed": [r.number for r in round_.new_in_again],
                        "typed": [{"step": number, "field": name, "value": value}
                                  for number, name, value in round_.taken]},
        "other_requests": [{"method": e.method, "name": e.name, "url": e.url,
                            "status": e.status, "failure": e.failure, "refused": e.refused,
                            "iteration": e.iteration}
                           for e in round_.extra],
        "found": [finding_dict(f) for f in round_.findings],
    }


def outcome_dict(outcome: Outcome) -> dict[str, Any]:
    return {
        "source": outcome.source,
        "host": outcome.host,
        "verdict": "pass" if outcome.passed else "fail",
        "summary": outcome.final.verdict(),
        "rounds": [round_dict(r) for r in outcome.rounds],
        "added_rules": [finding_dict(f) for f in outcome.added],
        "added_unique": list(outcome.unique_added),
        "correlations": list(outcome.correlations),
        "skipped": dict(outcome.skipped),
    }
