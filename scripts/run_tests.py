"""Run the test suite on every core: one pytest process per test file, several at a time.

    python scripts/run_tests.py                 # the whole suite (the README's test command)
    python scripts/run_tests.py -m "not e2e"    # arguments it does not know go to each pytest
    python scripts/run_tests.py -j 2 tests/test_cli.py tests/test_zoo_fossil.py

Most of the suite's time is spent waiting: a real application starting, a Locust run of fixed
length, a browser recording. Files run in processes of their own (``-j`` at a time, by default
twice the cores), the longest first by ``tests/durations.json``, so that the long files do not
finish last alone; ``--durations-update`` writes the times this run measured back into it. A
file marked ``pytest.mark.timing`` (its tests race the clock: a request timeout, a barrier's
20 ms, a virtual printer's progress) runs after the others, alone. A pytest-xdist worker
cannot run this suite: the tests import Locust, whose gevent patching blocks the thread
xdist's worker takes its next test from.

A line per file as it finishes; a failed file's whole output at the end; the exit status is 1
when a file failed (or ran no test), 0 otherwise. A file that fails beside the others has its
failed tests run again alone at the end (a two-core machine running four real applications and
their Locust runs at once can starve one: a database's start, a run's last flow): it fails the
suite only if they fail alone too, and its first failure is printed in full and named in the
last line either way. ``python -m pytest -q`` still runs the same tests in one process, one
after the other.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DURATIONS = ROOT / "tests" / "durations.json"
FILE_TIMEOUT = 3600.0  # seconds a file may take in all; each test has pytest-timeout's 300 s
_OUTCOME = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)")
_NO_TESTS = 5  # pytest's exit status when it collected nothing


@dataclass
class Run:
    path: str
    proc: subprocess.Popen[bytes]
    log: Path
    started: float
    again: bool = False  # run alone after it failed beside the others


def _failed_tests(output: str, path: str) -> list[str]:
    """The ids of the tests pytest's summary names as failed (``FAILED tests/x.py::test_a[b]
    - …``), to run again alone; ``[path]`` (the whole file) when an error is not a test's
    (a collection error) or none is named."""
    ids = []
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            node = line.split(" ", 1)[1].split(" - ", 1)[0].strip()
            if not node.startswith(path + "::"):
                return [path]
            ids.append(node)
    return list(dict.fromkeys(ids)) or [path]


def _arguments(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """This script's options and test files; the rest, in order, for each pytest."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        usage="%(prog)s [-j N] [--durations-update] [FILE ...] [pytest options]",
        epilog="Any other argument is passed to each pytest process.")
    parser.add_argument("-j", "--jobs", type=int, default=2 * (os.cpu_count() or 1),
                        help="files run at a time (default: twice the cores)")
    parser.add_argument("--durations-update", action="store_true",
                        help=f"write the measured times into {DURATIONS.relative_to(ROOT)}")
    args, rest = parser.parse_known_args(argv)
    if args.jobs < 1:
        parser.error("-j must be at least 1")
    # A test file is a path that ends in .py (an option's value never is).
    files = [a for a in rest if a.endswith(".py") and not a.startswith("-")]
    for name in files:
        if not Path(name).is_file():
            parser.error(f"no such test file: {name}")
    args.paths = [_name(Path(a).resolve()) for a in files]
    return args, [a for a in rest if a not in files]


def _name(path: Path) -> str:
    """A test file as the durations name it: relative to the checkout."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def _files(paths: list[str]) -> list[str]:
    if paths:
        return paths
    return sorted(_name(p) for p in (ROOT / "tests").glob("test_*.py"))


def _known() -> dict[str, float]:
    try:
        return {k: float(v) for k, v in json.loads(DURATIONS.read_text("utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def _races_the_clock(path: str) -> bool:
    """A file marked ``pytest.mark.timing`` (read, not imported)."""
    try:
        return "pytest.mark.timing" in (ROOT / path).read_text("utf-8")
    except OSError:
        return False


def _summary(output: str) -> str:
    """pytest's last line without its bars, e.g. ``12 passed, 1 skipped in 30.1s``."""
    lines = [line.strip("= ") for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a file's pytest and everything it started (its own process group)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def main(argv: list[str] | None = None) -> int:
    args, extra = _arguments(sys.argv[1:] if argv is None else argv)
    known = _known()
    default = max(known.values(), default=0.0)  # a file never measured may be long: start it early
    files = sorted(_files(args.paths), key=lambda p: -known.get(p, default))
    alone = [p for p in files if _races_the_clock(p)]
    queue = [p for p in files if p not in alone]
    logs = Path(tempfile.mkdtemp(prefix="h2l-tests-"))
    started = time.monotonic()
    running: list[Run] = []
    failed: list[Run] = []
    beside: dict[str, Path] = {}  # files that failed beside others: the log of that run
    again: dict[str, list[str]] = {}  # ... and the tests of each to run again alone
    totals: Counter[str] = Counter()
    measured: dict[str, float] = {}
    print(f"{len(files)} test files, {args.jobs} at a time, then {len(alone)} alone "
          f"(logs in {logs})", flush=True)
    try:
        while queue or alone or running:
            if alone and not queue and not running:  # the others are done: one at a time
                queue.append(alone.pop(0))
            while queue and len(running) < args.jobs:
                path = queue.pop(0)
                log = logs / (Path(path).stem + (".alone.log" if path in beside else ".log"))
                with open(log, "wb") as out:
                    proc = subprocess.Popen(
                        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                         *extra, *again.get(path, [path])],
                        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                        stderr=subprocess.STDOUT, start_new_session=True)
                running.append(Run(path, proc, log, time.monotonic(), path in beside))
            time.sleep(0.2)
            for run in list(running):
                took = time.monotonic() - run.started
                if run.proc.poll() is None and took < FILE_TIMEOUT:
                    continue
                if run.proc.poll() is None:
                    _stop(run.proc)
                    with open(run.log, "a", encoding="utf-8") as out:
                        out.write(f"\nstopped after {FILE_TIMEOUT:.0f} s\n")
                running.remove(run)
                _stop(run.proc)  # what the file's tests left behind in its group
                output = run.log.read_text("utf-8", errors="replace")
                ok = run.proc.returncode == 0 or (
                    run.proc.returncode == _NO_TESTS and "deselected" in _summary(output))
                if not ok and not run.again and not _races_the_clock(run.path):
                    # a machine this loaded can fail what passes alone: its failed tests run
                    # again, alone, after the others (not the whole file: the zoo's files take
                    # up to half an hour); the failure is printed at the end all the same
                    beside[run.path] = run.log
                    again[run.path] = _failed_tests(output, run.path)
                    alone.append(run.path)
                    if again[run.path] != [run.path]:  # the rest passed: counted now
                        for count, outcome in _OUTCOME.findall(_summary(output)):
                            if outcome in ("passed", "skipped", "xfailed", "xpassed"):
                                totals[outcome] += int(count)
                    what = ("it runs" if again[run.path] == [run.path] else
                            f"its {len(again[run.path])} failed test(s) run")
                    print(f"FAILED {run.path} beside the others: {_summary(output)}; "
                          f"{what} again alone at the end", flush=True)
                    continue
                for count, outcome in _OUTCOME.findall(_summary(output)):
                    totals[outcome.rstrip("s") if outcome.startswith("error") else outcome] += (
                        int(count))
                if not ok:
                    failed.append(run)
                measured[run.path] = round(took, 1)
                done = len(measured)
                print(f"{'ok    ' if ok else 'FAILED'} {run.path}: {_summary(output)} "
                      f"[{done} done, {time.monotonic() - started:.0f} s]", flush=True)
    except KeyboardInterrupt:
        for run in running:
            _stop(run.proc)
        print("interrupted", file=sys.stderr)
        return 130
    flaky = [path for path in beside if path not in {r.path for r in failed}]
    for path in flaky:
        print(f"\n{'=' * 30} {path}, beside the others (passed alone) {'=' * 30}")
        print(beside[path].read_text("utf-8", errors="replace"))
    for run in failed:
        print(f"\n{'=' * 30} {run.path} {'=' * 30}")
        print(run.log.read_text("utf-8", errors="replace"))
    if args.durations_update:
        DURATIONS.write_text(json.dumps({**known, **measured}, indent=1, sort_keys=True) + "\n",
                             "utf-8")
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(totals.items()))
    print(f"\n{counts or 'no tests'} in {time.monotonic() - started:.0f} s; "
          + (f"{len(failed)} file(s) failed: {' '.join(r.path for r in failed)}"
             if failed else "every file passed")
          + (f"; failed beside the others and passed alone: {' '.join(flaky)}"
             if flaky else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
