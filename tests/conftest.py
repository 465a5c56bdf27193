"""Shared paths and helpers for the test suite.

Run the tests from the repository root (``python -m pytest -q``): the end-to-end tests import
the fixture app as ``fixtures.server``, so the root must be importable; it is added to
``sys.path`` here in case pytest was started from somewhere else.

Helpers are session-scoped fixtures (not importable functions) so that hypothesis tests can use
them and test modules never import ``conftest``.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO_ROOT / "fixtures"
# The real-world HAR corpus lives beside the checkout (../shared/hars); only the CI machine has it.
CORPUS_DIR = REPO_ROOT.parent / "shared" / "hars"

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# Header names a generated script must never send as recorded (compared in lower case).
NEVER_REPLAYED = frozenset({"cookie", "content-length", "host"})


def pytest_report_header(config: pytest.Config) -> str:
    if CORPUS_DIR.is_dir():
        return f"real-world HAR corpus: {CORPUS_DIR}"
    return f"real-world HAR corpus: {CORPUS_DIR} not found, corpus tests are skipped"


@pytest.fixture(scope="session")
def make_har() -> Callable[..., bytes]:
    """``make_har(entry, ..., pages=[...], creator="...")`` → HAR 1.2 bytes."""
    return build_har


@pytest.fixture(scope="session")
def make_entry() -> Callable[..., dict[str, Any]]:
    """One HAR entry; see :func:`build_entry` for the keywords."""
    return build_entry


@pytest.fixture(scope="session")
def replayed_headers() -> Callable[[str], list[tuple[str, str]]]:
    """``replayed_headers(code)`` → ``[(where, header name), ...]`` for every header a
    generated script sends (``headers=`` arguments, ``default_headers``, ``headers.update``)."""
    return header_keys


@pytest.fixture(scope="session")
def client_calls() -> Callable[[str], list[ast.Call]]:
    """``client_calls(code)`` → the ``self.client.<method>(...)`` calls, in source order."""
    return request_calls


@dataclass
class LocustRun:
    """What a headless Locust run left behind: exit status, output and its CSV stats."""

    returncode: int
    output: str
    stats: list[dict[str, str]]  # <prefix>_stats.csv rows, the last one is "Aggregated"
    failures: list[dict[str, str]]  # <prefix>_failures.csv rows
    # request name -> (requests, failures) from --json-file, written at shutdown (the PAGE rows
    # of transactions are left out). The CSV files are rewritten once a second and not at exit,
    # so they may miss the last second of requests.
    final: dict[str, tuple[int, int]]
    exceptions: list[dict[str, str]]  # <prefix>_exceptions.csv rows (errors that were not checks)
    # (requests, failures) of every row of --json-file, PAGE rows included: what the CSV's
    # "Aggregated" row would say at the end (Locust never writes its CSV files at exit: a run
    # whose failures all came in its last second showed 0 failed there, and 3 here)
    totals: tuple[int, int] = (0, 0)

    def row(self, name: str) -> dict[str, str]:
        return next(r for r in self.stats if r["Name"] == name)

    @property
    def requests(self) -> int:
        return max(self.totals[0], int(self.row("Aggregated")["Request Count"]))

    @property
    def failed(self) -> int:
        return max(self.totals[1], int(self.row("Aggregated")["Failure Count"]))

    def explain(self) -> str:
        failures = "\n".join(f"  {r['Occurrences']}x {r['Method']} {r['Name']}: {r['Error']}"
                             for r in self.failures[:10])
        return (f"exit {self.returncode}, {self.requests} requests, {self.failed} failed\n"
                f"{failures}\nlocust output (tail):\n{self.output[-2500:]}")


@pytest.fixture(scope="session")
def run_locust() -> Callable[..., LocustRun]:
    """``run_locust(locustfile, host, workdir, seconds=8, users=5, extra=(), env=None)``: real
    ``locust --headless`` in a subprocess (``env`` added to the environment), bounded by a
    timeout and killed by its PID if it overstays."""
    return locust_headless


@pytest.fixture(scope="session")
def server_hits() -> Callable[[str], Counter[tuple[str, str, int]]]:
    """``server_hits(app.log())`` → Counter of ``(method, path, status)`` the app served
    (path without the query string), from werkzeug's request log."""
    return count_requests


# --- plain helpers behind the fixtures ---------------------------------------------------------


def build_entry(
    url: str,
    method: str = "GET",
    *,
    status: int = 200,
    headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
    response_headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
    mime: str = "text/html; charset=utf-8",
    body: str | None = None,
    post_data: dict[str, Any] | None = None,
    started: str = "2026-01-01T10:00:00.000Z",
    pageref: str | None = None,
    resource_type: str | None = None,
    redirect_url: str = "",
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "startedDateTime": started,
        "time": 12.5,
        "request": {
            "method": method,
            "url": url,
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": k, "value": v} for k, v in headers],
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": -1,
        },
        "response": {
            "status": status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": k, "value": v} for k, v in response_headers],
            "cookies": [],
            "content": {"size": len(body or ""), "mimeType": mime,
                        **({"text": body} if body is not None else {})},
            "redirectURL": redirect_url,
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 1, "wait": 10, "receive": 1.5},
    }
    if post_data is not None:
        entry["request"]["postData"] = post_data
    if pageref is not None:
        entry["pageref"] = pageref
    if resource_type is not None:
        entry["_resourceType"] = resource_type
    return entry


def build_har(*entries: dict[str, Any], pages: list[dict[str, Any]] | None = None,
              creator: str = "har2locust-plus tests") -> bytes:
    log: dict[str, Any] = {
        "version": "1.2",
        "creator": {"name": creator, "version": "1.0"},
        "entries": list(entries),
    }
    if pages is not None:
        log["pages"] = pages
    return json.dumps({"log": log}).encode("utf-8")


def _dict_keys(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Dict):
        for key in node.keys:
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                yield key.value
            elif key is not None:
                yield ast.unparse(key)  # not a literal: reported as source, still checked


def header_keys(code: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "headers":
                    found += [(f"line {node.lineno}: headers=", k) for k in _dict_keys(kw.value)]
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "update"
                    and isinstance(func.value, ast.Attribute) and func.value.attr == "headers"):
                for arg in node.args:
                    found += [(f"line {node.lineno}: headers.update", k) for k in _dict_keys(arg)]
        elif isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == "default_headers" for t in node.targets):
                found += [(f"line {node.lineno}: default_headers", k)
                          for k in _dict_keys(node.value)]
    return found


def request_calls(code: str) -> list[ast.Call]:
    calls = []
    for node in ast.walk(ast.parse(code)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "client"
                and isinstance(node.func.value.value, ast.Name)
                and node.func.value.value.id == "self"):
            calls.append(node)
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def locust_headless(locustfile: Path, host: str, workdir: Path, *, seconds: int = 8,
                    users: int = 5, extra: tuple[str, ...] = (),
                    env: dict[str, str] | None = None) -> LocustRun:
    prefix = workdir / "locust"
    cmd = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
           "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", host,
           "--csv", str(prefix), "--json-file", str(prefix), "--only-summary",
           "--loglevel", "WARNING", *extra]
    # Only 127.0.0.1 is ever contacted: no proxy from the environment may get in between.
    env = {**{k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
           **(env or {})}
    with open(workdir / "locust.out", "w+", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=env)
        try:
            returncode = proc.wait(timeout=seconds + 45)
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        out.seek(0)
        output = out.read()

    def rows(kind: str) -> list[dict[str, str]]:
        path = Path(f"{prefix}_{kind}.csv")
        assert path.exists(), f"locust wrote no {path.name}:\n{output[-3000:]}"
        with open(path, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    final_path = Path(f"{prefix}.json")
    assert final_path.exists(), f"locust wrote no {final_path.name}:\n{output[-3000:]}"
    entries = json.loads(final_path.read_text("utf-8"))
    final = {e["name"]: (e["num_requests"], e["num_failures"])
             for e in entries if e["method"] != "PAGE"}
    totals = (sum(e["num_requests"] for e in entries), sum(e["num_failures"] for e in entries))
    return LocustRun(returncode, output, rows("stats"), rows("failures"), final,
                     rows("exceptions"), totals)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_REQUEST_LINE = re.compile(r'"([A-Z]+) ([^ ?"]+)\S* HTTP/[0-9.]+" (\d{3}) ')


def convert_to_file(har: Path, workdir: Path, **options: Any) -> tuple[Path, str, str]:
    """A zoo HAR converted without think time into ``workdir/locustfile.py``: the script, the
    recorded origin and the environment variable of the recorded password."""
    from har2locust_plus import Options, ThinkTime, convert

    result = convert(har, Options(think_time=ThinkTime("none"), **options))
    path = workdir / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    [secret] = [s for s in result.scenario.secrets if s.kind == "password"]
    return path, result.scenario.main_origin, secret.env


def port_other_than(origin: str) -> int:
    """A free port of 127.0.0.1 that is not ``origin``'s: an app started on port 0 may be given
    the very port its journey was recorded on (it happened), which a test of "another port"
    must not take."""
    import socket
    from urllib.parse import urlsplit

    recorded = urlsplit(origin).port
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port != recorded:
            return port


def run_against(script: Path, url: str, workdir: Path, env_var: str, password: str, *,
                seconds: int, users: int, extra: tuple[str, ...] = (),
                stop_timeout: str | None = None) -> LocustRun:
    """``locust --headless`` of a zoo script against a fresh app, the password in ``env_var``
    (``extra``: more options, e.g. the script's ``--continue-on-failure``; ``stop_timeout``:
    the seconds a run of the flow under way may take to finish once the time is up, default
    ZOO_STOP_TIMEOUT)."""
    return locust_headless(script, url, workdir, seconds=seconds, users=users,
                           extra=("--stop-timeout", stop_timeout or ZOO_STOP_TIMEOUT, *extra),
                           env={env_var: password})


# Seconds each user gets, once the run's time is up, to finish its run of the flow: a real
# app's journey (Redmine's 17 steps on WEBrick) took longer than 5 s on a busy machine, so the
# server counted logins whose runs were cut short, and the created == deleted checks failed.
ZOO_STOP_TIMEOUT = "15"


def count_requests(log: str) -> Counter[tuple[str, str, int]]:
    return Counter((m.group(1), m.group(2), int(m.group(3)))
                   for m in _REQUEST_LINE.finditer(_ANSI.sub("", log)))


@pytest.fixture
def continue_on_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run-time helpers as a script runs them with --continue-on-failure (read as a test
    starts): a failed check marks the response and the flow goes on."""
    from har2locust_plus.runtime import checks

    options = type("Options", (), {"continue_on_failure": True})()
    monkeypatch.setitem(checks.ON_FAILURE, "continue", False)  # restored afterwards
    checks.read_failure_option(type("Environment", (), {"parsed_options": options})())
    assert checks.ON_FAILURE["continue"] is True
