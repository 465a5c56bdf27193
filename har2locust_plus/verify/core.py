"""``verify(har, host, options) -> Outcome``: replay, compare with the recording, fix.

One round converts the HAR (or takes an existing locustfile), runs one user for two iterations
of the flow against the host (:mod:`.replay`), maps each iteration's requests to the recorded
steps, compares them (status and checks, JSON shapes: :mod:`.shapes`) and looks in iteration 1
for dynamic values the script does not correlate (:mod:`.compare`, :mod:`.cookies`). With
``fix``, the values found become correlation rules (``Options.correlate_rules`` for bodies,
``Options.correlate_header_rules`` for headers, ``Options.correlate_cookie_rules`` for values
read from a cookie) and the next round regenerates and replays again, until the replay passes or
nothing new turns up. Only the host given is ever contacted.
"""

from __future__ import annotations

import re
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from .. import ir
from ..core import Result, convert
from ..errors import BadInput, BadOption
from ..loader import load
from ..options import Options, ThinkTime
from ..stages.filter import _matches
from .compare import Finding, StepResult, find_missed, map_exchanges, step_results
from .cookies import COOKIE, find_cookie_values, recorded_request_cookies
from .replay import Exchange, Replay, load_user_class, run_flow

MAX_ROUNDS = 5
ITERATIONS = 2  # one user runs the flow twice: what the first run leaves behind shows


@dataclass(frozen=True, slots=True)
class Round:
    """One replay (one user, two iterations of the flow) and what it showed."""

    label: str  # "as converted", "with 2 replay rules" ...
    results: tuple[StepResult, ...]  # iteration 1
    extra: tuple[Exchange, ...]  # requests that match no recorded step (both iterations)
    replay: Replay
    findings: tuple[Finding, ...]  # dynamic values not correlated
    rules: tuple[Finding, ...]  # replay rules the script of this round was generated with
    code: str | None  # the script replayed (None: an existing locustfile)
    scenario: ir.Scenario  # the steps replayed (the recording's, for an existing locustfile)
    again: tuple[StepResult, ...] = ()  # iteration 2, the same user again (empty: not run)
    # (step, field, recorded value): what a step that failed only in iteration 2 sends as
    # the user typed it (see taken_once)
    taken: tuple[tuple[int, str, str], ...] = ()

    @property
    def failures(self) -> tuple[StepResult, ...]:
        """Iteration 1's failing steps, then the steps that fail only in iteration 2."""
        return (*(r for r in self.results if r.replayed and not r.ok), *self.new_in_again)

    @property
    def new_in_again(self) -> tuple[StepResult, ...]:
        """Iteration 2's failing steps that passed (or did not run) in iteration 1: state the
        first iteration left behind."""
        first = {r.number: r for r in self.results}
        return tuple(r for r in self.again if r.replayed and not r.ok
                     and not (first[r.number].replayed and not first[r.number].ok))

    @property
    def differing(self) -> tuple[StepResult, ...]:
        """Iteration 2's steps whose outcome differs from iteration 1's (status or result)."""
        first = {r.number: r for r in self.results}
        return tuple(r for r in self.again if (r.replayed_status, r.ok) != (
            first[r.number].replayed_status, first[r.number].ok))

    def failing_extra(self, iteration: int) -> int:
        return sum(1 for e in self.extra if e.failure and e.iteration == iteration)

    @property
    def passed(self) -> bool:
        return (not self.failures and self.replay.error is None
                and not any(e.failure for e in self.extra)
                and any(r.replayed for r in self.results))

    def verdict(self) -> str:
        replayed = sum(r.replayed for r in self.results)
        total = len(self.results)
        if self.passed:
            twice = ", in 2 iterations" if any(r.replayed for r in self.again) else ""
            return f"PASS: {replayed} of {total} steps replayed as recorded{twice}"
        if self.replay.error:
            return f"FAIL: {self.replay.error}"
        if not replayed:
            return "FAIL: no recorded step was replayed"
        first_failures = [r for r in self.results if r.replayed and not r.ok]
        count = len(first_failures) + self.failing_extra(1)
        later = len(self.new_in_again) + self.failing_extra(2)
        if count:
            more = f"; in iteration 2, {later} more" if later else ""
            return (f"FAIL: {count} of {replayed} replayed requests failed"
                    f"{_first(first_failures)}{more}")
        again = sum(r.replayed for r in self.again)
        return (f"FAIL: iteration 2 (the same user again): {later} of {again} replayed "
                f"requests failed{_first(list(self.new_in_again))}")


def _first(failures: list[StepResult]) -> str:
    if not failures:
        return ""
    first = failures[0]
    label = f"step {first.number} "
    message = first.problem or ""
    return "; first: " + (message if message.startswith(label) else
                          f"{label}{first.method} {first.name}: {message}")


@dataclass(frozen=True, slots=True)
class Outcome:
    host: str
    source: str
    rounds: tuple[Round, ...]
    added: tuple[Finding, ...]  # rules --fix added (empty without --fix)
    unique_added: tuple[str, ...]  # fields --fix made unique per run (see taken_once)
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
    """Replay the recording (one user, two iterations) against ``host`` and compare; with
    ``fix``, add replay rules until it passes or finds nothing new."""
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
    cookies = _recorded_cookies(har, reference.scenario, converted.report.source)
    with tempfile.TemporaryDirectory(prefix="har2locust-verify-") as workdir:
        rounds, rules, unique, result = _rounds(har, host, options, converted, reference,
                                                cookies, locustfile, fix, timeout, progress,
                                                workdir)
    final_result = result if (fix and (rules or unique)) or locustfile is None else None
    return Outcome(
        host=host, source=converted.report.source, rounds=tuple(rounds),
        added=tuple(rules), unique_added=tuple(unique), skipped=converted.scenario.skipped,
        correlations=tuple(final_result.report.correlations) if final_result else ())


def _rounds(har: str | Path, host: str, options: Options, converted: Result,
            reference: Result, cookies: dict[int, dict[str, str]], locustfile: Path | None,
            fix: bool, timeout: float,
            progress: Callable[[str], None], workdir: str
            ) -> tuple[list[Round], list[Finding], list[str], Result]:
    reference_steps = reference.scenario.steps
    rounds: list[Round] = []
    rules: list[Finding] = []
    unique: list[str] = []  # fields made unique per run by --fix
    result = converted
    while True:
        label = "as converted" if not rules else f"with {len(rules)} replay rule" + (
            "s" if len(rules) > 1 else "")
        if unique:
            label += (" and " if rules else ", with ") + "--unique " + " ".join(unique)
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
        round_ = _replay_round(path, host, scenario, reference_steps, cookies, known,
                               checks_known, timeout, progress, label, code, tuple(rules))
        rounds.append(round_)
        new = _new_rules(round_.findings, rules)
        # a name taken once: only once no rule is new (a value the script missed may be why
        # the second run failed), and only for what a converted script sent
        fields = [] if new or code is None else [
            name for name in dict.fromkeys(name for _, name, _ in round_.taken)
            if name not in unique and name not in options.unique_fields]
        if not fix or not (new or fields) or len(rounds) >= MAX_ROUNDS:
            break
        rules.extend(new)
        unique.extend(fields)
        result = convert(har, replace(with_rules(options, rules),
                                      unique_fields=(*options.unique_fields, *unique)))
    return rounds, rules, unique, result


def _new_rules(findings: tuple[Finding, ...], rules: list[Finding]) -> list[Finding]:
    """Findings that no rule covers yet (one rule per place and regex; per cookie and value)."""
    have = {_rule_key(f) for f in rules}
    new = []
    for finding in findings:
        key = _rule_key(finding)
        if (finding.regex is not None or finding.where == COOKIE) and key not in have:
            have.add(key)
            new.append(finding)
    return new


def _rule_key(finding: Finding) -> tuple[str, str | None]:
    if finding.where == COOKIE:
        return f"{COOKIE}:{finding.name}", finding.value
    return finding.where, finding.regex


def with_rules(options: Options, rules: list[Finding]) -> Options:
    """The options plus the replay rules (correlation limited to rules when it was off)."""
    body = tuple((f.name, f.regex) for f in rules if f.where == "body" and f.regex)
    headers = tuple((f.name, f.where, f.regex) for f in rules
                    if f.where not in ("body", COOKIE) and f.regex)
    cookies = tuple((f.name, f.value) for f in rules if f.where == COOKIE)
    return replace(
        options,
        correlate=True,
        correlate_auto=options.correlate_auto and options.correlate,
        correlate_rules=(*options.correlate_rules, *body),
        correlate_header_rules=(*options.correlate_header_rules, *headers),
        correlate_cookie_rules=(*options.correlate_cookie_rules, *cookies),
    )


def _replay_round(path: Path, host: str, scenario: ir.Scenario, reference: tuple[ir.Step, ...],
                  cookies: dict[int, dict[str, str]], known: set[str], checks_known: bool,
                  timeout: float, progress: Callable[[str], None], label: str,
                  code: str | None, rules: tuple[Finding, ...]) -> Round:
    extracted = {s.number: tuple(e.var for e in s.extractions) for s in scenario.steps}
    total = len(scenario.steps)
    user_class = load_user_class(path, label=label if code is None else "generated script")

    def show(exchange: Exchange) -> None:
        step = f"step {exchange.step}/{total}" if exchange.step else f"request {exchange.index}"
        if exchange.iteration > 1:
            step = f"iteration {exchange.iteration} {step}"
        result = "refused" if exchange.refused else (exchange.status or "no response")
        progress(f"  {step} {exchange.method} {exchange.url} -> {result}")

    replay = run_flow(user_class, host, iterations=ITERATIONS, timeout=timeout,
                      watched=lambda n: extracted.get(n, ()) if n is not None else (),
                      progress=show)
    first, second = replay.of_iteration(1), replay.of_iteration(2)
    results, extra = step_results(scenario.steps, first, checks_known)
    again, extra_again = step_results(scenario.steps, second, checks_known, iteration=2) \
        if second else ((), ())
    exchanges = map_exchanges(scenario.steps, first)
    findings = find_missed(reference, exchanges, known)
    findings += find_cookie_values(reference, first, map_exchanges(reference, first), cookies,
                                   known | {f.value for f in findings})
    round_ = Round(label=label, results=results, extra=(*extra, *extra_again), replay=replay,
                   findings=tuple(findings), rules=rules, code=code, scenario=scenario,
                   again=again)
    return replace(round_, taken=taken_once(round_)) if round_.new_in_again else round_


def taken_once(round_: Round) -> tuple[tuple[int, str, str], ...]:
    """What each step that passed in iteration 1 and failed in iteration 2 sends as the user
    typed it: ``(step, field, value)`` of the form and JSON fields whose recorded value holds
    a letter and no earlier recorded answer showed (not a form's constant, not a value the
    server handed out), sent as recorded. The first run made what such a value names (a
    project ``Garden``, a tag, a slug), and the server takes a name once: the second run is
    refused. ``--unique FIELD`` gives each run its own."""
    steps = {s.number: s for s in round_.scenario.steps}
    shown: list[str] = []
    found: list[tuple[int, str, str]] = []
    failed = {r.number for r in round_.new_in_again}
    for step in round_.scenario.steps:
        if step.number in failed:
            found += [(step.number, name, value) for name, value in _typed(steps[step.number])
                      if not any(value in text for text in shown)]
        response = step.response
        if response is not None:
            shown += [response.text or "", *(v for _, v in response.headers)]
    return tuple(found)


def _typed(step: ir.Step) -> list[tuple[str, str]]:
    """The literal text fields of a request's form or JSON body (JSON: an object's members)
    that hold a letter and are no password."""
    body = step.request.body
    pairs: list[tuple[str, object]] = []
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        pairs = [(k, v.text) for k, v in body.fields if v.is_literal]
    elif isinstance(body, ir.JsonBody):
        def leaves(node: object, key: str) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    leaves(v, k)
            elif isinstance(node, list):
                for v in node:
                    leaves(v, key)
            elif key:
                pairs.append((key, node))
        leaves(body.value, "")
    return [(k, v) for k, v in pairs if isinstance(v, str) and 2 <= len(v) <= MAX_NAME
            and any(c.isalpha() for c in v) and not _NOT_A_NAME.search(v)
            and not _PASSWORD.search(k) and k not in _PROTOCOL_KEYS]


MAX_NAME = 80  # a name is short: a longer text (a description, a query) is no name taken once
_NOT_A_NAME = re.compile(r"[\n{}()]")  # code or text of several lines
_PASSWORD = re.compile(r"pass|pwd|secret|token|csrf", re.I)
# what a protocol sends beside the values (GraphQL, JSON-RPC, Rails' forms)
_PROTOCOL_KEYS = frozenset({"query", "operationName", "method", "jsonrpc", "_method", "utf8",
                            "commit", "submit", "action"})


def _correlated(scenario: ir.Scenario) -> set[str]:
    values = set()
    for step in scenario.steps:
        values.update(e.recorded for e in step.extractions if e.recorded)
        values.update(g.recorded for g in step.generated)
    return values


def _recorded_cookies(har: str | Path, reference: ir.Scenario, label: str
                      ) -> dict[int, dict[str, str]]:
    """Step number → the cookies the recorded request sent (conversion drops the ``Cookie``
    header, so the HAR is loaded again, without the stages)."""
    try:
        raw = load(Path(har).read_bytes(), label)
    except OSError:
        return {}
    by_entry = recorded_request_cookies(raw.steps)
    return {s.number: by_entry[s.entry_index] for s in reference.steps
            if s.entry_index in by_entry}


def _only_main_origin(converted: Result, options: Options) -> Options:
    """Exclude the hosts kept besides the main origin (sibling hosts, --include-host)."""
    main = urlsplit(converted.scenario.main_origin).netloc
    others = sorted({s.request.host for s in converted.scenario.steps} - {main})
    others = [h for h in others if not _matches(main, (h,))]
    if not others:
        return options
    return replace(options, include_hosts=(), exclude_hosts=(*options.exclude_hosts, *others))
