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
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures.record import to_firefox_har
from har2locust_plus import Options, convert

REPO_ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = sorted(path for path in (REPO_ROOT / "fixtures").rglob("*.har")
                    if not path.name.endswith(".firefox.har"))


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


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda path: path.name)
def test_a_firefox_export_of_a_recording_converts_to_the_same_script(recording: Path) -> None:
    recorded = convert(recording, Options())
    firefox = convert(json.dumps(to_firefox_har(json.loads(recording.read_text()))).encode(),
                      Options(), name=recording.name)
    assert _shape(firefox) == _shape(recorded)
    assert _comparable(firefox.code) == _comparable(recorded.code)
