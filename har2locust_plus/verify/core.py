"""``verify(har, host, options) -> Outcome``: replay once, compare with the recording, fix.

One round converts the HAR (or takes an existing locustfile), runs one user once against the
host (:mod:`.replay`), maps the requests to the recorded steps and looks for dynamic values the
script does not correlate (:mod:`.compare`). With ``fix``, the values found become correlation
rules (``Options.correlate_rules`` for bodies, ``Options.correlate_header_rules`` for headers)
and the next round regenerates and replays again, until the replay passes or nothing new turns
up. Only the host given is ever contacted.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from .. import ir
from ..core import Result, convert
from ..errors import BadInput, BadOption
from ..options import Options, ThinkTime
from ..stages.filter import _matches
from .compare import Finding, StepResult, find_missed, map_exchanges, step_results
from .replay import Exchange, Replay, load_user_class, run_once

MAX_ROUNDS = 5


@dataclass(frozen=True, slots=True)
class Round:
    """One replay and what it showed."""

    label: str  # "as converted", "with 2 replay rules" ...
    results: tuple[StepResult, ...]
    extra: tuple[Exchange, ...]  # requests that match no recorded step
    replay: Replay
    findings: tuple[Finding, ...]  # dynamic values not correlated
    rules: tuple[Finding, ...]  # replay rules the script of this round was generated with
    code: str | None  # the script replayed (None: an existing locustfile)
    scenario: ir.Scenario  # the steps replayed (the recording's, for an existing locustfile)

    @property
    def failures(self) -> tuple[StepResult, ...]:
        return tuple(r for r in self.results if r.replayed and not r.ok)

    @property
    def passed(self) -> bool:
        return (not self.failures and self.replay.error is None
                and not any(e.failure for e in self.extra)
                and any(r.replayed for r in self.results))

    def verdict(self) -> str:
        replayed = sum(r.replayed for r in self.results)
        total = len(self.results)
        if self.passed:
            return f"PASS: {replayed} of {total} steps replayed as recorded"
        if self.replay.error:
            return f"FAIL: {self.replay.error}"
        if not replayed:
            return "FAIL: no recorded step was replayed"
        first = self.failures[0] if self.failures else None
        where = ""
        if first is not None:
            label = f"step {first.number} "
            message = first.failure or ""
            where = "; first: " + (message if message.startswith(label) else
                                   f"{label}{first.method} {first.name}: {message}")
        count = len(self.failures) + sum(1 for e in self.extra if e.failure)
        return f"FAIL: {count} of {replayed} replayed requests failed{where}"


@dataclass(frozen=True, slots=True)
class Outcome:
    host: str
    source: str
    rounds: tuple[Round, ...]
    added: tuple[Finding, ...]  # rules --fix added (empty without --fix)
    skipped: tuple[tuple[str, int], ...]  # recorded entries not replayed, by reason
    correlations: tuple[dict, ...]  # the record-based correlations of the final script

    @property
    def final(self) -> Round:
        return self.rounds[-1]

    @property
    def passed(self) -> bool:
        return self.final.passed


def check_host(host: str, timeout: float = 3.0) -> str:
    """The host URL without a trailing slash, after a TCP connect to it succeeded."""
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadOption(f"--host: expected http://HOST[:PORT] or https://..., got {host!r}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BadOption(f"--host: invalid port in {host!r}") from None
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise BadOption(f"cannot connect to {parts.hostname}:{port} ({reason}): "
                        f"is the application running at {host}?") from None
    return host.rstrip("/")


def verify(har: str | Path, host: str, options: Options, *, locustfile: Path | None = None,
           fix: bool = False, timeout: float = 60.0,
           progress: Callable[[str], None] = lambda _: None) -> Outcome:
    """Replay the recording once against ``host`` and compare; with ``fix``, add replay rules
    until it passes or finds nothing new."""
    options = replace(options, think_time=ThinkTime("none"))
    converted = convert(har, options)  # bad input first, then the host
    host = check_host(host)
    only_main = _only_main_origin(converted, options)
    if only_main is not options:
        options, converted = only_main, convert(har, only_main)
    reference = convert(har, replace(options, correlate=False, keep_secrets=True,
                                     correlate_rules=(), correlate_header_rules=(),
                                     data_file=None, unique_fields=()))
    if not reference.scenario.steps:
        raise BadInput(converted.report.source, "no request is left to replay after filtering")
    with tempfile.TemporaryDirectory(prefix="har2locust-verify-") as workdir:
        rounds, rules, result = _rounds(har, host, options, converted, reference, locustfile,
                                        fix, timeout, progress, workdir)
    final_result = result if (fix and rules) or locustfile is None else None
    return Outcome(
        host=host, source=converted.report.source, rounds=tuple(rounds),
        added=tuple(rules), skipped=converted.scenario.skipped,
        correlations=tuple(final_result.report.correlations) if final_result else ())


def _rounds(har: str | Path, host: str, options: Options, converted: Result,
            reference: Result, locustfile: Path | None, fix: bool, timeout: float,
            progress: Callable[[str], None], workdir: str
            ) -> tuple[list[Round], list[Finding], Result]:
    reference_steps = reference.scenario.steps
    rounds: list[Round] = []
    rules: list[Finding] = []
    result = converted
    while True:
        label = "as converted" if not rules else f"with {len(rules)} replay rule" + (
            "s" if len(rules) > 1 else "")
        if locustfile is not None and not rules:
            label, code, path = locustfile.name, None, locustfile
            # what the script correlates is unknown: assume what a conversion would
            scenario, checks_known = reference.scenario, False
            known = _correlated(converted.scenario)
        else:
            code, scenario, checks_known = result.code, result.scenario, True
            known = _correlated(scenario)
            path = Path(workdir) / f"round{len(rounds) + 1}.py"
            path.write_text(code, encoding="utf-8")
        progress(f"round {len(rounds) + 1} ({label}): {len(scenario.steps)} steps")
        round_ = _replay_round(path, host, scenario, reference_steps, known, checks_known,
                               timeout, progress, label, code, tuple(rules))
        rounds.append(round_)
        new = _new_rules(round_.findings, rules)
        if not fix or not new or len(rounds) >= MAX_ROUNDS:
            break
        rules.extend(new)
        result = convert(har, with_rules(options, rules))
    return rounds, rules, result


def _new_rules(findings: tuple[Finding, ...], rules: list[Finding]) -> list[Finding]:
    """Findings with a regex that no rule has yet (one rule per place and regex)."""
    have = {(f.where, f.regex) for f in rules}
    new = []
    for finding in findings:
        key = (finding.where, finding.regex)
        if finding.regex is not None and key not in have:
            have.add(key)
            new.append(finding)
    return new


def with_rules(options: Options, rules: list[Finding]) -> Options:
    """The options plus the replay rules (correlation limited to rules when it was off)."""
    body = tuple((f.name, f.regex) for f in rules if f.where == "body" and f.regex)
    headers = tuple((f.name, f.where, f.regex) for f in rules if f.where != "body" and f.regex)
    return replace(
        options,
        correlate=True,
        correlate_auto=options.correlate_auto and options.correlate,
        correlate_rules=(*options.correlate_rules, *body),
        correlate_header_rules=(*options.correlate_header_rules, *headers),
    )


def _replay_round(path: Path, host: str, scenario: ir.Scenario, reference: tuple[ir.Step, ...],
                  known: set[str], checks_known: bool, timeout: float,
                  progress: Callable[[str], None], label: str, code: str | None,
                  rules: tuple[Finding, ...]) -> Round:
    extracted = {s.number: tuple(e.var for e in s.extractions) for s in scenario.steps}
    total = len(scenario.steps)
    user_class = load_user_class(path, label=label if code is None else "generated script")

    def show(exchange: Exchange) -> None:
        step = f"step {exchange.step}/{total}" if exchange.step else f"request {exchange.index}"
        result = "refused" if exchange.refused else (exchange.status or "no response")
        progress(f"  {step} {exchange.method} {exchange.url} -> {result}")

    replay = run_once(user_class, host, timeout=timeout,
                      watched=lambda n: extracted.get(n, ()) if n is not None else (),
                      progress=show)
    results, extra = step_results(scenario.steps, replay.exchanges, checks_known)
    exchanges = map_exchanges(scenario.steps, replay.exchanges)
    findings = find_missed(reference, exchanges, known)
    return Round(label=label, results=results, extra=extra, replay=replay,
                 findings=tuple(findings), rules=rules, code=code, scenario=scenario)


def _correlated(scenario: ir.Scenario) -> set[str]:
    values = set()
    for step in scenario.steps:
        values.update(e.recorded for e in step.extractions)
        values.update(g.recorded for g in step.generated)
    return values


def _only_main_origin(converted: Result, options: Options) -> Options:
    """Exclude the hosts kept besides the main origin (sibling hosts, --include-host)."""
    main = urlsplit(converted.scenario.main_origin).netloc
    others = sorted({s.request.host for s in converted.scenario.steps} - {main})
    others = [h for h in others if not _matches(main, (h,))]
    if not others:
        return options
    return replace(options, include_hosts=(), exclude_hosts=(*options.exclude_hosts, *others))
