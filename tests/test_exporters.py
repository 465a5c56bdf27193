"""The same journey, exported by another tool, converts to the same script.

Every committed recording (the fixture app's and the zoo's, made in Chromium through Playwright,
with Chrome's ``_resourceType`` on each entry and the pages' titles) is rewritten as another
exporter writes it, then converted; the script must be the one the recording itself gives:
the same pages with the same names, the same steps in them, the same correlation and checks.

* **Firefox** (``fixtures/record.py``'s ``to_firefox_har``): none of Chrome's ``_`` fields,
  header names in Title-Case, no HTTP/2 pseudo headers nor client hints, a Firefox
  ``User-Agent``. What a request is (a navigation, a script's call, an image) is then read from
  the ``Sec-Fetch-Dest`` the browser sent. Only the header names' case, the ``User-Agent`` and
  the "Recorded with" line may differ.
* **A proxy** (Charles, Fiddler, mitmproxy, ZAP): none of Chrome's ``_`` fields, and no
  ``pages``: the same steps in the same pages (a page starts at a navigation, a screen of a
  single-page app at a call from another route), with the same requests, extractions and
  checks; only the names of the pages the recording had titles for differ (a proxy knows no
  titles: they are named by their first request, as any page without one).

A recording whose page's service worker sent the page's calls on (``workbox.har``) is not
rewritten: Playwright records each call twice, the worker's marked ``_serviceWorkerRef``;
neither rewrite would keep the mark, and a proxy records only the requests that reach the
network, once each (what Firefox's DevTools records of a worker's traffic was not seen here).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest

from fixtures.record import to_firefox_har
from har2locust_plus import Options, convert, ir
from har2locust_plus.codegen.fmt import render
from har2locust_plus.codegen.generator import generate
from har2locust_plus.ir import replace

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKERS = ["workbox.har"]  # recordings with a service worker's requests (see above)
RECORDINGS = sorted(path for path in (REPO_ROOT / "fixtures").rglob("*.har")
                    if not path.name.endswith(".firefox.har") and path.name not in WORKERS)


def _shape(result) -> list[tuple]:
    """Each page's method and title, and each step's page, method and recorded path."""
    scenario = result.scenario
    return [(group.method, group.title) for group in scenario.groups] + [
        (step.group, step.request.method, step.label) for step in scenario.steps]


def _comparable(code: str) -> list[str]:
    """The script's lines in lower case (header names' case is the exporter's), without the
    ``User-Agent`` and the line that names the recording browser."""
    return [line.lower() for line in code.splitlines()
            if not line.startswith("Recorded with:") and '"User-Agent": ' not in line]


def test_there_are_recordings_to_rewrite() -> None:
    assert len(RECORDINGS) >= 40, RECORDINGS
    with_workers = sorted(path.name for path in (REPO_ROOT / "fixtures").rglob("*.har")
                          if '"_serviceWorkerRef"' in path.read_text("utf-8"))
    assert with_workers == WORKERS


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda path: path.name)
def test_a_firefox_export_of_a_recording_converts_to_the_same_script(recording: Path) -> None:
    recorded = convert(recording, Options())
    firefox = convert(json.dumps(to_firefox_har(json.loads(recording.read_text()))).encode(),
                      Options(), name=recording.name)
    assert _shape(firefox) == _shape(recorded)
    assert _comparable(firefox.code) == _comparable(recorded.code)


def _as_a_proxy(value: Any) -> Any:
    """A recording as a proxy exports it: no ``_`` fields, no pages."""
    if isinstance(value, dict):
        return {key: _as_a_proxy(item) for key, item in value.items()
                if not key.startswith("_") and key not in ("pages", "pageref")}
    if isinstance(value, list):
        return [_as_a_proxy(item) for item in value]
    return value


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda path: path.name)
def test_a_proxy_export_of_a_recording_converts_to_the_same_steps(recording: Path) -> None:
    recorded = convert(recording, Options())
    proxy = convert(json.dumps(_as_a_proxy(json.loads(recording.read_text()))).encode(),
                    Options(), name=recording.name)
    assert [group.think_before for group in proxy.scenario.groups] == \
        [group.think_before for group in recorded.scenario.groups]
    assert [_comparable_step(step) for step in proxy.scenario.steps] == \
        [_comparable_step(step) for step in recorded.scenario.steps]
    # the script but for its pages' names (a proxy's pages are named by their URLs): the
    # recording's scenario under the proxy's page names is written as the proxy's script
    renamed = replace(recorded.scenario, groups=tuple(
        replace(mine, method=theirs.method, title=theirs.title)
        for mine, theirs in zip(recorded.scenario.groups, proxy.scenario.groups, strict=True)))
    printed: dict[str, str] = {}
    code = render(generate(renamed, Options(), "fast", printed), printed)
    assert _diff(code, proxy.code) == []


def _comparable_step(step: ir.Step) -> ir.Step:
    """A step but for its page's id and whether Chrome said ``xhr`` or ``fetch`` (the request's
    own headers tell only whether it was marked ``X-Requested-With``; both are a script's)."""
    kind = "fetch" if step.resource_type == "xhr" else step.resource_type
    return replace(step, page_ref=None, resource_type=kind)


def _diff(old: str, new: str) -> list[str]:
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---") and line[1:].strip()]
