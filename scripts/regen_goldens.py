#!/usr/bin/env python3
"""Regenerate the golden locustfiles in tests/goldens/ from the fixture HARs.

    python scripts/regen_goldens.py           # rewrite every golden, delete stale ones
    python scripts/regen_goldens.py --check   # only report which goldens are out of date

It also rewrites ``har2locust_plus/runtime/index.json`` (what the generator knows of the
runtime modules' code, see ``codegen/runtime_index.py``) when a runtime module changed.

Each golden is what the command line prints for one fixture HAR and one set of flags, so a
golden diff in a review shows exactly how a change alters the scripts users get. Only the
project's own fixtures are used (``fixtures/*.har``): the real-world corpus is not in the repo.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from click.testing import CliRunner

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO_ROOT / "fixtures"
GOLDENS_DIR = REPO_ROOT / "tests" / "goldens"
COMMAND = "python scripts/regen_goldens.py"
INDEX_PATH = REPO_ROOT / "har2locust_plus" / "runtime" / "index.json"

# (fixture HAR stem, command-line flags). Every fixture with the defaults, plus variants.
# A workload of several recordings joins its stems with "+", each with its :WEIGHT suffix.
CASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("public-browsing", ()),
    ("notes-journey", ()),
    ("notes-journey.firefox", ()),
    ("api-journey", ()),
    ("drafts-journey", ()),
    ("exports-journey", ()),
    ("notes-journey", ("--user-class", "http")),
    ("notes-journey", ("--think-time", "none")),
    ("notes-journey", ("--checks", "status")),
    ("api-journey", ("--user-class", "http")),
    ("api-journey", ("--data", "users.csv")),
    ("notes-journey:3+api-journey:1", ()),
)


def golden_path(stem: str, flags: tuple[str, ...]) -> Path:
    """``notes-journey`` + ``--user-class http`` → ``notes-journey--user-class-http.py``;
    ``notes-journey:3+api-journey:1`` → ``notes-journey-3+api-journey-1.py``."""
    suffix = re.sub(r"[^A-Za-z0-9.]+", "-", " ".join(flags)).strip("-")
    stem = stem.replace(":", "-")
    return GOLDENS_DIR / (f"{stem}--{suffix}.py" if suffix else f"{stem}.py")


def inputs(stem: str) -> list[str]:
    """The command line's recordings: ``a:3+b:1`` → ``fixtures/a.har:3 fixtures/b.har:1``."""
    out = []
    for part in stem.split("+"):
        name, colon, weight = part.partition(":")
        out.append(f"{FIXTURES_DIR / name}.har{colon}{weight}")
    return out


def render(stem: str, flags: tuple[str, ...]) -> str:
    """The script ``har2locust-plus fixtures/<stem>.har <flags>`` writes to stdout."""
    from har2locust_plus.cli import main as cli

    result = CliRunner().invoke(cli, [*inputs(stem), "-q", *flags])
    if result.exit_code != 0:
        raise RuntimeError(f"{stem}.har {' '.join(flags)}: exit {result.exit_code}\n"
                           f"{result.stderr}")
    return result.stdout


def runtime_index_current(write: bool) -> bool:
    """Whether the shipped runtime index is current; if not and ``write``, rewrite it."""
    from har2locust_plus.codegen import runtime_index

    fresh = runtime_index.index()
    if INDEX_PATH.exists() and INDEX_PATH.read_text("utf-8") == fresh:
        return True
    if write:
        INDEX_PATH.write_text(fresh, encoding="utf-8")
    return False


def stale_goldens() -> list[Path]:
    wanted = {golden_path(stem, flags) for stem, flags in CASES}
    return sorted(p for p in GOLDENS_DIR.glob("*.py") if p not in wanted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a golden is out of date")
    args = parser.parse_args(argv)
    GOLDENS_DIR.mkdir(parents=True, exist_ok=True)
    outdated = 0
    if not runtime_index_current(write=not args.check):
        outdated += 1
        print(f"{'changed':<8} {INDEX_PATH.relative_to(REPO_ROOT)}")
    for stem, flags in CASES:
        path = golden_path(stem, flags)
        code = render(stem, flags)
        old = path.read_text("utf-8") if path.exists() else None
        if old == code:
            continue
        outdated += 1
        state = "new" if old is None else "changed"
        if not args.check:
            path.write_text(code, encoding="utf-8")
        print(f"{state:<8} {path.relative_to(REPO_ROOT)}")
    for path in stale_goldens():
        outdated += 1
        if not args.check:
            path.unlink()
        print(f"{'stale':<8} {path.relative_to(REPO_ROOT)}")
    if not outdated:
        print(f"all {len(CASES)} goldens up to date")
    return 1 if args.check and outdated else 0


if __name__ == "__main__":
    sys.exit(main())
