"""Which browser ``record`` drives: Playwright's own Chromium, or one already installed."""

from __future__ import annotations

import os
import shutil
import sys

from ..errors import BadOption, Har2LocustError

# Names of Chromium-based browsers on PATH, most to least likely to be a plain Chromium.
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
              "microsoft-edge", "microsoft-edge-stable")
MACOS_PATHS = (
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
)
WINDOWS_PATHS = (  # under %ProgramFiles%, %ProgramFiles(x86)% and %LocalAppData%
    r"Chromium\Application\chrome.exe",
    r"Google\Chrome\Application\chrome.exe",
    r"Microsoft\Edge\Application\msedge.exe",
)
# Quiet, for a recording that holds the site's traffic only: no first-run pages, no
# background fetches of components, safe-browsing lists or sync data.
QUIET_ARGS = ("--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync")
INSTALL_HINT = ("install Playwright's Chromium (python -m playwright install chromium) or "
                "Chromium/Chrome, or give --browser-path PATH")


class NoBrowser(Har2LocustError):
    """No browser to record with."""


def find_browser(browser_path: str | None, playwright_chromium: str | None) -> str | None:
    """The executable to launch: ``browser_path`` if given, ``None`` for Playwright's own
    Chromium (``playwright_chromium``, when it is installed), else an installed Chromium-based
    browser found on PATH or in the usual install folders."""
    if browser_path:
        if not (os.path.isfile(browser_path) and os.access(browser_path, os.X_OK)):
            raise BadOption(f"--browser-path {browser_path}: no such executable file")
        return browser_path
    if playwright_chromium and os.path.isfile(playwright_chromium):
        return None
    installed = _installed_browsers()
    if installed:
        return installed[0]
    raise NoBrowser(f"no browser to record with: {INSTALL_HINT}")


def _installed_browsers() -> list[str]:
    found = [path for name in PATH_NAMES if (path := shutil.which(name))]
    if sys.platform == "darwin":
        found += [path for path in MACOS_PATHS if os.path.isfile(path)]
    if sys.platform == "win32":
        roots = [os.environ.get(name) for name in ("ProgramFiles", "ProgramFiles(x86)",
                                                   "LocalAppData")]
        found += [path for root in roots if root for tail in WINDOWS_PATHS
                  if os.path.isfile(path := os.path.join(root, tail))]
    return found


def browser_args(extra: tuple[str, ...] = ()) -> list[str]:
    """The browser's command-line switches: the quiet ones, ``--no-sandbox`` as root (Chromium
    refuses to start as root with its sandbox), then the user's ``extra``."""
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return [*QUIET_ARGS, *(["--no-sandbox"] if as_root else []), *extra]
