"""docs/tutorial.md, run for real by ``scripts/tutorial.py`` (issue 14).

The script reads the commands from the page and runs them in a fresh folder against the
fixture app: record along docs/tutorial/journey.py in headless Chromium (only the app's host
in the HAR), convert, verify (must PASS), a headless run (0 failures, and the app's ``/__state``
shows the notes it created), Locust's web UI driven in headless Chromium until its Statistics
tab has a row per request and page, and a distributed run (master + 2 workers). Then it checks
that the pictures in docs/tutorial/ show what the tool prints now, through their manifest. Run
as a subprocess: Playwright's sync API does not share a process with gevent's patching.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def _missing() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed (the tutorial's web UI step needs a browser)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright python package is not installed"
    return ""


@pytest.mark.e2e
@pytest.mark.skipif(bool(_missing()), reason=_missing() or "ok")
def test_tutorial_runs_and_its_pictures_are_current() -> None:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "tutorial.py")],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240)
    output = f"stdout:\n{done.stdout[-6000:]}\nstderr:\n{done.stderr[-3000:]}"
    assert done.returncode == 0, output
    assert "tutorial: OK" in done.stdout, output
    for promise in ("from 1 host", "verdict: PASS", "0 failures, with 2 workers",
                    "the app created"):
        assert promise in done.stdout, output


def _tutorial_module() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("tutorial_script",
                                                  REPO_ROOT / "scripts" / "tutorial.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_every_block_of_the_page_has_a_step_and_the_pictures_a_manifest() -> None:
    tutorial = _tutorial_module()
    blocks = tutorial.parse_blocks(tutorial.DOC.read_text("utf-8"))
    assert {b.step for b in blocks} == set(tutorial.STEPS)
    assert [b.commands for b in blocks if b.step == "distributed"][0][0].startswith(
        "H2L_PASSWORD=wonderland-42 locust -f locustfile.py --master")
    manifest = tutorial.json.loads(tutorial.MANIFEST.read_text("utf-8"))
    tutorial.check_pictures(manifest)  # the stored facts are current by definition

    stale = {**manifest, "script_names_sha256": "0" * 16}
    with pytest.raises(tutorial.TutorialError, match="pictures are stale: run python "
                       "scripts/tutorial.py --screenshots"):
        tutorial.check_pictures(stale)
