"""Mark the steps where users meet (``--rendezvous``); the generator makes them wait there.

A selector names a step by its number in the generated flow (``3``) or as ``METHOD /path``.
The path is the recorded one, matched whole; ``*`` stands for any characters (``/`` included)
and is the only wildcard. The method is matched case-insensitively, ``*`` or no method at all
matches any. The query string takes part only when the selector has a ``?``. Each marked step
is its own rendezvous point, named after the step (``step 3 POST /api/orders``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .. import ir
from ..errors import BadOption
from ..ir import replace
from ..options import Options

_SHOWN = 6  # steps listed when a selector matches nothing


def mark_rendezvous(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    names: dict[int, str] = {}
    for selector in options.rendezvous:
        matches = _matcher(selector)
        found = [step for step in scenario.steps if matches(step)]
        if not found:
            raise BadOption(f"--rendezvous {selector!r}: no step matches; {_available(scenario)}")
        for step in found:
            names[step.number] = f"step {step.number} {step.label}"
    if not names:
        return scenario
    steps = tuple(replace(step, rendezvous=names[step.number]) if step.number in names else step
                  for step in scenario.steps)
    scenario = replace(scenario, steps=steps)
    for name in names.values():
        scenario = scenario.with_diagnostic(ir.Severity.INFO, f"rendezvous point before {name}")
    return scenario


def _matcher(selector: str) -> Callable[[ir.Step], bool]:
    text = selector.strip()
    if text.isdecimal():  # what int() takes (isdigit also takes '²')
        return lambda step: step.number == int(text)
    method, _, path = text.rpartition(" ")
    method = method.strip()
    if not path.startswith("/") or (method and method != "*" and not method.isalpha()):
        raise BadOption(f"--rendezvous {selector!r}: expected a step number or 'METHOD /path' "
                        "(the path may contain *)")
    pattern = re.compile(".*".join(re.escape(part) for part in path.split("*")))

    def matches(step: ir.Step) -> bool:
        recorded = ir.template_preview(step.request.path)
        if "?" in path and step.request.raw_query:
            recorded += "?" + step.request.raw_query
        return (method in ("", "*") or step.request.method.upper() == method.upper()) and \
            pattern.fullmatch(recorded) is not None

    return matches


def _available(scenario: ir.Scenario) -> str:
    if not scenario.steps:
        return "the flow has no steps left after filtering"
    shown = ", ".join(f"{step.number} {step.label}" for step in scenario.steps[:_SHOWN])
    more = f", … ({len(scenario.steps)} in all)" if len(scenario.steps) > _SHOWN else ""
    return f"steps are: {shown}{more}"
