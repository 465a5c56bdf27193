"""Chrome's default "sanitized" export drops Cookie, Set-Cookie and Authorization: say so."""

from __future__ import annotations

import json

import pytest

from har2locust_plus import convert


def _har(creator: str, cookie: bool) -> bytes:
    entries = []
    for i, path in enumerate(("/", "/login", "/account")):
        headers = [{"name": "Cookie", "value": "sid=1"}] if cookie and i else []
        entries.append({
            "startedDateTime": f"2026-11-25T10:00:0{i}Z", "time": 5, "_resourceType": "document",
            "request": {"method": "GET", "url": f"https://app.test{path}", "headers": headers},
            "response": {"status": 200, "headers": [{"name": "Content-Type",
                                                     "value": "text/html"}],
                         "content": {"mimeType": "text/html", "text": "<p>x</p>"}}})
    return json.dumps({"log": {"version": "1.2", "creator": {"name": creator, "version": "1"},
                               "entries": entries}}).encode()


def _warned(data: bytes) -> bool:
    result = convert(data, name="x.har")
    return any("looks sanitized" in d.message for d in result.report.diagnostics)


@pytest.mark.parametrize(("creator", "cookie", "warned"), [
    ("WebInspector", False, True),  # Chrome, no session headers at all: sanitized export
    ("WebInspector", True, False),
    ("Firefox", False, False),  # other exporters do not sanitize: public pages are just public
])
def test_sanitized_chrome_export_is_reported(creator: str, cookie: bool, warned: bool) -> None:
    assert _warned(_har(creator, cookie)) is warned
