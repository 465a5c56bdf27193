#!/usr/bin/env python3
"""Benchmark har2locust-plus on large synthetic HARs against a plain ``json.load`` baseline.

    python benchmarks/run.py [--sizes 1000,10000] [--runs 3] [--slow 60] [--seed 1]
                             [--vs-har2locust] [--one-core]

For every size N it generates (once, cached in ``benchmarks/.cache/``) a HAR of N entries with
``make_har.py``, then measures, in a fresh process per run:

(a) ``python -c "import json,sys; json.load(open(sys.argv[1]))" FILE``  (the floor: reading and
    parsing the JSON, interpreter start-up included);
(b) ``har2locust-plus FILE -o /dev/null -q --timings``  (the whole conversion, start-up and
    imports included), whose per-stage timings are read from stderr;
(c) with ``--one-core``: (b) with ``H2L_NO_FORK=1``, everything in one process (what both
    cores bring);
(d) with ``--vs-har2locust``: ``har2locust FILE > /dev/null``, har2locust 0.9.4 (the peer this
    tool is compared with, which does no correlation, checks or secrets), installed on first
    use into its own virtualenv in ``benchmarks/.cache/`` from the package index, with ruff,
    which its formatting step runs. It runs in an empty folder, so that no ``pyproject.toml``
    configures that ruff.

The commands of one run are measured one after the other, then the next run: a drift in the
machine's speed affects all of them alike.

Wall time is ``time.perf_counter()`` around spawn → exit; peak RSS and CPU time come from the
``rusage`` that ``os.wait4()`` returns for exactly that child (so one run's ``ru_maxrss`` is not
mixed with another's, unlike ``RUSAGE_CHILDREN``, which is a maximum over all children). Each
figure is the median over the runs. A size whose first conversion takes longer than ``--slow``
seconds is measured only once. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_har  # noqa: E402

CACHE = HERE / ".cache"
HAR2LOCUST = "har2locust==0.9.4"
HAR2LOCUST_VENV = CACHE / "har2locust-0.9.4"
JSON_LOAD = "import json,sys; json.load(open(sys.argv[1], encoding='utf-8'))"
_TIMING = re.compile(r"^\s*(\S.*?)\s+([0-9.]+) ms\s*$")


def compile_package() -> None:
    """Write the package's bytecode, as ``pip install`` does for an installed copy (and did for
    har2locust's). An editable install on a machine with ``PYTHONDONTWRITEBYTECODE`` set (as
    this project's development machine has) would otherwise compile every module of the
    package on every run: about 0.17 s of start-up that no installed copy pays."""
    spec = importlib.util.find_spec("har2locust_plus")
    if spec is not None and spec.origin:
        compileall.compile_dir(Path(spec.origin).parent, quiet=1)


def cli_command() -> list[str]:
    """The console script installed next to this interpreter, else ``python -m``."""
    for candidate in (Path(sys.executable).parent / "har2locust-plus",
                      shutil.which("har2locust-plus")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return [str(candidate)]
    return [sys.executable, "-m", "har2locust_plus"]


def har_for(size: int, seed: int) -> Path:
    CACHE.mkdir(exist_ok=True)
    ignore = CACHE / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n!.gitignore\n")
    path = CACHE / f"synthetic-{size}-seed{seed}-v{make_har.GENERATOR_VERSION}.har"
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        fd, tmp = tempfile.mkstemp(dir=CACHE, suffix=".tmp")
        os.close(fd)
        try:
            # in a process of its own: Linux keeps a process's peak RSS across fork and exec,
            # so every conversion this one starts afterwards would report at least the
            # generator's peak (a first run on a new machine measured 576 MB for all three)
            subprocess.run([sys.executable, str(Path(make_har.__file__)), str(size), tmp,
                            "--seed", str(seed)], check=True)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        print(f"  {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s",
              file=sys.stderr, flush=True)
    return path


def har2locust_command() -> tuple[list[str], dict[str, str]]:
    """har2locust 0.9.4's console script and the environment it needs (its formatting step
    runs ``ruff`` from PATH), installed into ``benchmarks/.cache/`` on first use."""
    script = HAR2LOCUST_VENV / "bin" / "har2locust"
    if not script.exists():
        print(f"installing {HAR2LOCUST} into {HAR2LOCUST_VENV} ...", file=sys.stderr, flush=True)
        CACHE.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(HAR2LOCUST_VENV)], check=True)
        subprocess.run([str(HAR2LOCUST_VENV / "bin" / "pip"), "install", "--quiet", HAR2LOCUST,
                        "ruff"], check=True)
    env = dict(os.environ, PATH=f"{HAR2LOCUST_VENV / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return [str(script)], env


def measure(argv: list[str], timeout: float, env: dict[str, str] | None = None,
            cwd: str | None = None) -> dict:
    """Run ``argv`` once; wall seconds, peak RSS (MB) and CPU seconds of that process (the
    CPU time includes the processes it forked and waited for; the peak RSS is the largest of
    them, not their sum)."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, env=env, cwd=cwd)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                raise RuntimeError(f"timed out after {timeout:.0f} s: {' '.join(argv)}")
            time.sleep(0.01)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {' '.join(argv)}\n{stderr[-2000:]}")
    return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024,  # Linux: KiB
            "cpu": usage.ru_utime + usage.ru_stime, "stderr": stderr}


def stage_timings(stderr: str) -> dict[str, float]:
    found = {}
    for line in stderr.splitlines():
        match = _TIMING.match(line)
        if match:
            found[match.group(1)] = float(match.group(2)) / 1000
    return found


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def bench(size: int, args: argparse.Namespace, cli: list[str]) -> dict:
    path = har_for(size, args.seed)
    contenders: dict[str, tuple[list[str], dict[str, str] | None, str | None]] = {
        "json": ([sys.executable, "-c", JSON_LOAD, str(path)], None, None),
        "ours": ([*cli, str(path), "-o", os.devnull, "-q", "--timings"], None, None),
    }
    if args.one_core:
        contenders["one core"] = (contenders["ours"][0], dict(os.environ, H2L_NO_FORK="1"),
                                  None)
    if args.vs_har2locust:
        command, env = har2locust_command()
        contenders["har2locust"] = ([*command, str(path)], env, args.empty_dir)
    runs: dict[str, list[dict]] = {name: [] for name in contenders}
    stages: list[dict[str, float]] = []
    for run in range(args.runs):
        for name, (argv, env, cwd) in contenders.items():
            runs[name].append(measure(argv, args.timeout, env, cwd))
        stages.append(stage_timings(runs["ours"][-1]["stderr"]))
        print(f"  {size:>6} entries run {run + 1}: " + ", ".join(
            f"{name} {r[-1]['wall']:.2f} s" for name, r in runs.items())
            + f"; ours {runs['ours'][-1]['rss_mb']:.0f} MB", file=sys.stderr, flush=True)
        if run == 0 and args.runs > 1 and runs["ours"][-1]["wall"] > args.slow:
            print(f"  (conversion over {args.slow:.0f} s: one run only for this size)",
                  file=sys.stderr, flush=True)
            break
    result = {"entries": size, "mb": path.stat().st_size / 1e6, "runs": len(stages),
              "others": [name for name in contenders if name not in ("json", "ours")]}
    for key in contenders:
        for metric in ("wall", "rss_mb", "cpu"):
            result[f"{key}_{metric}"] = median([r[metric] for r in runs[key]])
    for key in result["others"]:  # run by run: both measured within seconds of each other
        ratios = [o["wall"] / t["wall"] for o, t in zip(runs["ours"], runs[key], strict=True)]
        result[f"{key}_paired"] = (median(ratios), min(ratios), max(ratios))
    names = list(dict.fromkeys(name for s in stages for name in s))
    result["stages"] = {n: median([s[n] for s in stages if n in s]) for n in names}
    return result


def print_report(results: list[dict], cli: list[str], startup: float | None) -> None:
    print(f"os.cpu_count() = {os.cpu_count()}   python {sys.version.split()[0]}   "
          f"cli: {' '.join(cli)}")
    if startup is not None:
        print(f"start-up (imports, and converting an empty recording): {startup:.2f} s")
    header = (f"{'entries':>8} {'MB':>7} {'runs':>4} | {'json.load s':>11} {'ours s':>9} "
              f"{'ratio':>6} | {'json RSS MB':>11} {'our RSS MB':>10} {'ratio':>6} | "
              f"{'json CPU s':>10} {'our CPU s':>9}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['entries']:>8} {r['mb']:>7.1f} {r['runs']:>4} | {r['json_wall']:>11.2f} "
              f"{r['ours_wall']:>9.2f} {r['ours_wall'] / r['json_wall']:>6.1f} | "
              f"{r['json_rss_mb']:>11.0f} {r['ours_rss_mb']:>10.0f} "
              f"{r['ours_rss_mb'] / r['json_rss_mb']:>6.1f} | {r['json_cpu']:>10.2f} "
              f"{r['ours_cpu']:>9.2f}")
    others = [name for name in results[0]["others"]] if results else []
    if others:
        print("\nmedians of the same runs (wall s; peak RSS MB; CPU s); paired: the median of "
              "ours/it run by run (min-max), steadier on a busy machine:")
        print(f"{'entries':>8} | {'command':<12} {'wall s':>7} {'ours/it':>8} "
              f"{'paired':>16} | {'RSS MB':>7} | {'CPU s':>6}")
        for r in results:
            for name in ("ours", *others):
                ratio = r["ours_wall"] / r[f"{name}_wall"]
                paired = r.get(f"{name}_paired")
                pair = f"{paired[0]:.2f} ({paired[1]:.2f}-{paired[2]:.2f})" if paired else ""
                print(f"{r['entries']:>8} | {name:<12} {r[f'{name}_wall']:>7.2f} {ratio:>8.2f} "
                      f"{pair:>16} | {r[f'{name}_rss_mb']:>7.0f} | {r[f'{name}_cpu']:>6.2f}")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        factor = large["entries"] / small["entries"]
        print(f"\nscaling {large['entries']}/{small['entries']} entries (x{factor:g} input): "
              f"time x{large['ours_wall'] / small['ours_wall']:.1f} "
              f"(json.load x{large['json_wall'] / small['json_wall']:.1f}), "
              f"CPU x{large['ours_cpu'] / small['ours_cpu']:.1f}, "
              f"peak RSS x{large['ours_rss_mb'] / small['ours_rss_mb']:.1f}")
    for r in results:
        total = sum(r["stages"].values()) or float("nan")
        print(f"\nper-stage timings at {r['entries']} entries (median of {r['runs']} run(s); "
              f"sum {total:.2f} s of {r['ours_wall']:.2f} s wall):")
        for name, seconds in r["stages"].items():
            print(f"  {name:<16} {seconds:>9.3f} s {100 * seconds / total:>5.1f} %")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000",
                        help="comma-separated entry counts (default 1000,10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per size (median reported)")
    parser.add_argument("--slow", type=float, default=60.0,
                        help="a size whose first conversion takes longer runs only once")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds before one measurement is killed")
    parser.add_argument("--vs-har2locust", action="store_true",
                        help="also time har2locust 0.9.4 (installed into benchmarks/.cache/)")
    parser.add_argument("--one-core", action="store_true",
                        help="also time the conversion in one process (H2L_NO_FORK=1)")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    cli = cli_command()
    compile_package()
    with tempfile.TemporaryDirectory() as empty_dir, tempfile.TemporaryDirectory() as scratch:
        # start-up: a conversion of an empty recording (imports, and the first conversion's
        # one-time costs)
        empty = os.path.join(scratch, "empty.har")
        with open(empty, "w", encoding="utf-8") as handle:
            handle.write('{"log": {"version": "1.2", "creator": {"name": "bench", '
                         '"version": "1"}, "entries": []}}')
        startup = median([measure([*cli, empty, "-o", os.devnull, "-q"], 120)["wall"]
                          for _ in range(3)])
        args.empty_dir = empty_dir
        results = [bench(size, args, cli) for size in sizes]
    print_report(results, cli, startup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
