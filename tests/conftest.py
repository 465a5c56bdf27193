"""Shared paths and helpers for the test suite.

Run the tests from the repository root (``python -m pytest -q``): the end-to-end tests import
the fixture app as ``fixtures.server``, so the root must be importable; it is added to
``sys.path`` here in case pytest was started from somewhere else.

Helpers are session-scoped fixtures (not importable functions) so that hypothesis tests can use
them and test modules never import ``conftest``.
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Callable, Iterator
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
