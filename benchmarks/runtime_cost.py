#!/usr/bin/env python3
"""What checks and correlation cost a generated script at run time, per request.

    python benchmarks/runtime_cost.py [--seconds 8]

A load generator is CPU-bound: every microsecond the script spends checking and extracting is
taken from the load it can make. Two measurements, on the fixture HARs:

1. **Helpers, in process**: each step's checkpoint and extractions (the functions generated
   scripts contain, from ``har2locust_plus/runtime``) run against the step's *recorded*
   response, many times: microseconds per response.
2. **A request, end to end**: the same flow converted with ``--checks none`` runs in a real
   ``locust --headless`` (one FastHttpUser, no think time) against the fixture app; the Locust
   process's own CPU time (``os.wait4`` rusage) divided by its request count is the client's
   CPU per request.

The ratio (1) / (2) is the share of the generator's CPU that checks and correlation take, i.e.
roughly how many requests/s they cost. The target is ≤ 10 %.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fixtures.server import FixtureApp  # noqa: E402
from har2locust_plus import Options, ThinkTime, convert  # noqa: E402

HARS = ("notes-journey.har", "api-journey.har")


class RecordedResponse:
    """Just what the runtime helpers use of a Locust response."""

    def __init__(self, status: int, headers: dict[str, str], text: str | None) -> None:
        self.status_code = status
        self.headers = headers
        self.text = text

    def success(self) -> None:
        pass

    def failure(self, message: str) -> None:
        raise AssertionError(f"a recorded response failed its own check: {message}")


def helper_cost(har: str, rounds: int) -> tuple[float, int]:
    """Microseconds per response for the checks and extractions of one flow."""
    result = convert(REPO / "fixtures" / har, Options(think_time=ThinkTime("none"),
                                                    keep_secrets=True))
    namespace: dict = {}
    exec(compile(result.code, har, "exec"), namespace)  # the script's own helpers and constants
    calls = []
    for step in result.scenario.steps:
        recorded = step.response
        if recorded is None:
            continue
        headers = dict(recorded.headers)
        text = recorded.text

        def run(step=step, headers=headers, text=text, status=recorded.status) -> None:
            resp = RecordedResponse(status, headers, text)
            if step.checks:
                namespace["check"](resp, "step", *_check_args(step))
            for e in step.extractions:
                _extract(namespace, resp, e)
        calls.append(run)
    started = time.perf_counter()
    for _ in range(rounds):
        for call in calls:
            call()
    elapsed = time.perf_counter() - started
    return elapsed / (rounds * len(calls)) * 1e6, len(calls)


def _check_args(step) -> tuple:  # type: ignore[no-untyped-def]
    by_kind = {c.kind: c for c in step.checks}
    return (by_kind["status"].expected,
            by_kind["location"].expected if "location" in by_kind else None,
            by_kind["content_type"].expected if "content_type" in by_kind else None,
            tuple(c.expected for c in step.checks if c.kind == "contains"),
            tuple(by_kind["json_keys"].expected) if "json_keys" in by_kind else (),
            tuple((c.path[0], c.expected) for c in step.checks if c.kind == "json_value"))


def _extract(namespace: dict, resp: RecordedResponse, e) -> None:  # type: ignore[no-untyped-def]
    import re

    from lxml import etree

    if e.kind == "json":
        namespace["from_json"](resp, "step", e.var, e.path)
    elif e.kind == "header":
        namespace["from_header"](resp, "step", e.var, e.expr)
    elif e.kind == "xpath":
        namespace["from_xpath"](resp, "step", e.var, _compiled(e.expr, etree.XPath))
    elif e.kind == "location":
        namespace["from_location"](resp, "step", e.var, _compiled(e.expr, re.compile))
    else:
        namespace["from_regex"](resp, "step", e.var, _compiled(e.expr, re.compile))


_COMPILED: dict = {}


def _compiled(expr: str, factory):  # type: ignore[no-untyped-def]
    """Compiled once, as the generated scripts do at module level."""
    if expr not in _COMPILED:
        _COMPILED[expr] = factory(expr)
    return _COMPILED[expr]


def request_cost(har: str, seconds: int) -> tuple[float, int]:
    """Client CPU microseconds per request of a real Locust run (no checks in the script)."""
    result = convert(REPO / "fixtures" / har, Options(think_time=ThinkTime("none"),
                                                    checks="none", keep_secrets=True))
    with tempfile.TemporaryDirectory() as tmp, FixtureApp() as app:
        script = Path(tmp) / "locustfile.py"
        script.write_text(result.code, encoding="utf-8")
        cmd = [sys.executable, "-m", "locust", "-f", str(script), "--headless", "-u", "1",
               "-r", "1", "-t", f"{seconds}s", "--host", app.url, "--csv",
               str(Path(tmp) / "s"), "--only-summary", "--loglevel", "ERROR"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        reaped = False
        try:
            _, _, usage = os.wait4(proc.pid, 0)  # locust stops itself after --seconds
            reaped = True
        finally:
            if not reaped:
                proc.kill()
        with open(Path(tmp) / "s_stats.csv", encoding="utf-8") as handle:
            requests = int(list(csv.DictReader(handle))[-1]["Request Count"])
    cpu = usage.ru_utime + usage.ru_stime
    return cpu / max(requests, 1) * 1e6, requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    print(f"os.cpu_count() = {os.cpu_count()}")
    rows = []
    for har in HARS:
        helpers_us, steps = helper_cost(har, args.rounds)
        request_us, requests = request_cost(har, args.seconds)
        rows.append({"har": har, "steps": steps, "helpers_us_per_response": round(helpers_us, 1),
                     "client_cpu_us_per_request": round(request_us, 1),
                     "requests": requests, "share": round(helpers_us / request_us, 4)})
        print(f"{har:<22} checks+extraction {helpers_us:8.1f} µs/response | client CPU "
              f"{request_us:8.1f} µs/request ({requests} requests) | share "
              f"{helpers_us / request_us:6.1%} (target ≤ 10 %)")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
