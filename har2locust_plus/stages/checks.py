"""Checkpoints: what each replayed response must look like for the step to count as passed.

Status as recorded (each redirect hop is replayed on its own, so a 302 is checked as a 302 and
its Location as a pattern), plus, with ``--checks full``, body text that is stable across runs.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .. import ir
from ..options import Options


def add_checks(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    if options.checks == "none":
        return scenario
    steps = tuple(replace(s, checks=_checks(s, options)) if s.response is not None else s
                  for s in scenario.steps)
    return replace(scenario, steps=steps)


def _checks(step: ir.Step, options: Options) -> tuple[ir.Check, ...]:
    response = step.response
    assert response is not None
    status, origin = response.status, f"recorded status {response.status}"
    if status == 304:  # conditional headers are not replayed: expect the full answer
        status, origin = 200, "recorded 304; conditional headers are not replayed"
    checks = [ir.Check("status", status, origin)]
    location = response.header("location") or response.redirect_url
    if 300 <= status < 400 and location:
        checks.append(ir.Check("location", location_pattern(location), "recorded Location"))
    return tuple(checks)


def location_pattern(location: str) -> str:
    """A regex for the recorded Location: same route, any id or token, any query string."""
    path = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*", "", location) or "/"
    path = path.split("#", 1)[0].split("?", 1)[0]
    segments = [r"[^/?#]+" if _is_dynamic(seg) else re.escape(seg) for seg in path.split("/")]
    return "/".join(segments) + r"(\?.*)?"


def _is_dynamic(segment: str) -> bool:
    """An id, uuid or token in a path, as opposed to a route word like ``notes``."""
    return any(ch.isdigit() for ch in segment) or (
        len(segment) >= 16 and bool(re.fullmatch(r"[A-Za-z0-9_\-.~%]+", segment)))
