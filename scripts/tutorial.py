#!/usr/bin/env python3
"""Run docs/tutorial.md for real, and check (or retake) its screenshots.

    python scripts/tutorial.py                 # run the tutorial, check the pictures are current
    python scripts/tutorial.py --screenshots   # run it and rewrite docs/tutorial/*.png + manifest

The commands are read from the tutorial itself, so the page cannot drift from what is tested:
every fenced ```console block is preceded by a ``<!-- tutorial: STEP -->`` comment naming the
step, and its ``$ `` lines are the commands (the other lines are sample output, not checked).
Each step has a handler here that knows how to run its commands: plain ones run to the end and
must exit 0, servers (the app, Locust's web UI) run in the background until the tutorial ends,
the distributed run starts its three processes together. A step the runner cannot do says so:
``<!-- tutorial: install: skip, ... -->``. A block without a known step is an error, so a new
block in the page needs a handler before the page can pass.

Everything runs in a fresh temporary folder, the tutorial's "empty folder", with the tools of
this Python environment on ``PATH``. The page's ports (5000 for the app, 8089 for the web UI,
5557 for the master) are replaced by free loopback ports; the recording browser is pointed at
``/usr/bin/chromium`` with loopback-only arguments. Nothing but 127.0.0.1 is contacted, and
every process is bounded by a timeout and stopped by its PID (its process group).

Screenshots are not pixel-stable, so "the pictures are current" is checked through what they
show that comes from the tool: ``docs/tutorial/screenshots.json`` records the verify page's
verdict and steps, the rows of Locust's Statistics tab, and a hash of the request names of the
generated script. A check run recomputes them; a difference, or a missing picture, fails with
the command that retakes the pictures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DOC = REPO_ROOT / "docs" / "tutorial.md"
PICTURES = REPO_ROOT / "docs" / "tutorial"
JOURNEY = PICTURES / "journey.py"
MANIFEST = PICTURES / "screenshots.json"
VERIFY_PICTURE = "verify.png"
STATISTICS_PICTURE = "locust-statistics.png"
STALE = "pictures are stale: run python scripts/tutorial.py --screenshots"

CHROMIUM = "/usr/bin/chromium"
# Loopback only: everything else goes to a proxy that does not exist, and no other name
# resolves (as fixtures/record.py launches it).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
PICTURE_WIDTH = 1200
PICTURE_MAX_HEIGHT = 1800  # keeps the PNGs at a few hundred KB

# The ports the page uses, replaced by free ones when it runs here.
DOC_PORTS = ("5000", "8089", "5557")
DIRECTIVE = re.compile(r"^<!--\s*tutorial:\s*([\w.-]+)\s*(?::\s*(.*?))?\s*-->\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")


class TutorialError(Exception):
    """A command failed, an output did not hold what the page promises, or pictures are stale."""


@dataclass(frozen=True)
class Block:
    """One fenced block of the page with the step its directive names."""

    step: str
    note: str  # the directive's text after the step ("skip, because ...")
    language: str  # console, python ...
    lines: tuple[str, ...]
    line_number: int  # of the fence, for messages

    @property
    def commands(self) -> tuple[str, ...]:
        return tuple(line[2:] for line in self.lines if line.startswith("$ "))

    @property
    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)


def parse_blocks(markdown: str) -> list[Block]:
    """The fenced blocks that a ``<!-- tutorial: STEP -->`` line precedes (blank lines may be
    between); other blocks (sample output on its own, the final script's excerpts) are prose."""
    blocks: list[Block] = []
    pending: tuple[str, str] | None = None
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        directive = DIRECTIVE.match(line)
        fence = FENCE.match(line)
        if directive:
            pending = (directive.group(1), directive.group(2) or "")
        elif fence:
            end = index + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            if pending is not None:
                blocks.append(Block(pending[0], pending[1], fence.group(1),
                                    tuple(lines[index + 1:end]), index + 1))
            pending = None
            index = end
        elif line.strip() and pending is not None:
            raise TutorialError(f"{DOC.name}:{index + 1}: text between a tutorial directive "
                                "and its block")
        index += 1
    return blocks


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TutorialError(f"the server exited ({process.returncode}) before port {port} "
                                "accepted connections")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TutorialError(f"nothing listened on 127.0.0.1:{port} after {timeout:.0f} s")


def script_names(code: str) -> list[str]:
    """The request and page names a generated script reports to Locust, in source order."""
    return re.findall(r'(?:name=|transaction\(self, )"([^"]+)"', code)


def totals(locust_output: str) -> tuple[int, int]:
    """Requests and failures of the last statistics table Locust printed (its final one)."""
    rows = re.findall(r"^\s*Aggregated\s+(\d+)\s+(\d+)\(", locust_output, re.MULTILINE)
    return (int(rows[-1][0]), int(rows[-1][1])) if rows else (0, 0)


def names_hash(names: list[str]) -> str:
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()[:16]


@dataclass
class Run:
    """One run of the tutorial: its folder, ports, background processes and what it saw."""

    workdir: Path
    screenshots: bool
    ports: dict[str, int] = field(default_factory=lambda: {p: free_port() for p in DOC_PORTS})
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    outputs: dict[int, Path] = field(default_factory=dict)  # a server's PID → its output file
    facts: dict[str, Any] = field(default_factory=dict)  # what the manifest records
    log: Callable[[str], None] = print

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.ports['5000']}"

    @property
    def env(self) -> dict[str, str]:
        """This Python's tools first on PATH (``python``, ``har2locust-plus``, ``locust``), no
        proxies: every request goes to 127.0.0.1 directly."""
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def adapt(self, command: str) -> str:
        """The page's command with its ports replaced by this run's free ports."""
        for doc_port, port in self.ports.items():
            command = re.sub(rf"(?<![\d.]){doc_port}(?!\d)", str(port), command)
        return command

    # -- processes -------------------------------------------------------------------------

    def start(self, command: str) -> subprocess.Popen[bytes]:
        """A process of its own group, so that stopping it stops what its shell started."""
        self.log(f"$ {command}  (in the background)")
        path = self.workdir / f"background-{len(self.servers) + 1}.out"
        with open(path, "w", encoding="utf-8") as out:  # a file, not a pipe: it never fills up
            process = subprocess.Popen(["bash", "-c", command], cwd=self.workdir, env=self.env,
                                       stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.servers.append(process)
        self.outputs[process.pid] = path
        return process

    def output(self, process: subprocess.Popen[bytes]) -> str:
        """What a background process printed so far."""
        return self.outputs[process.pid].read_text("utf-8", errors="replace")

    def run(self, command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run one command to its end; it must exit 0."""
        self.log(f"$ {command}")
        process = subprocess.Popen(["bash", "-c", command], cwd=self.workdir, env=self.env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(process, signal.SIGKILL)
            raise TutorialError(f"{command!r} did not end within {timeout:.0f} s") from None
        done = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
        if done.returncode != 0:
            raise TutorialError(f"{command!r} exited {done.returncode}\nstdout:\n"
                                f"{stdout[-3000:]}\nstderr:\n{stderr[-3000:]}")
        return done

    def stop_all(self) -> None:
        for process in reversed(self.servers):
            stop(process)
        self.servers.clear()


def stop(process: subprocess.Popen[Any], sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Stop a process we started, and its children, by its process group id (= its PID)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
        except ProcessLookupError:
            pass


# --- the steps ------------------------------------------------------------------------------


def step_skip(run: Run, block: Block) -> None:
    run.log(f"skipped: {block.step}: {block.note or 'not run by the script'}")


def step_app(run: Run, block: Block) -> None:
    """The app under test: the fixture notes app from this repository, as the page's
    ``fixtures/`` folder next to the tutorial folder."""
    (run.workdir / "fixtures").symlink_to(REPO_ROOT / "fixtures", target_is_directory=True)
    (command,) = block.commands
    process = run.start(run.adapt(command))
    deadline = time.monotonic() + 20
    while "LISTENING " not in run.output(process):
        if process.poll() is not None or time.monotonic() > deadline:
            raise TutorialError(f"the app did not start:\n{run.output(process)[-2000:]}")
        time.sleep(0.2)
    run.log(f"  {run.output(process).strip().splitlines()[0]}")


def step_journey(run: Run, block: Block) -> None:
    """The page shows the journey file; it must be the repository's, which the record step
    uses (``docs/tutorial/journey.py``)."""
    if block.text != JOURNEY.read_text("utf-8"):
        raise TutorialError(f"{DOC.name}:{block.line_number}: the journey shown differs from "
                            f"{JOURNEY.relative_to(REPO_ROOT)}")
    shutil.copy(JOURNEY, run.workdir / "journey.py")


def step_record(run: Run, block: Block) -> None:
    """The scripted recording, in this machine's Chromium with loopback-only arguments; the
    HAR must hold the app's requests and nothing else."""
    (command,) = block.commands
    words = shlex.split(command)
    output = words[words.index("-o") + 1]
    browser_options = [f"--browser-path={CHROMIUM}",
                       *(f"--browser-arg={arg}" for arg in CHROMIUM_ARGS)]
    done = run.run(f"{run.adapt(command)} {shlex.join(browser_options)}", timeout=120)
    run.log(done.stdout + done.stderr)
    har = json.loads((run.workdir / output).read_text("utf-8"))
    hosts = {entry["request"]["url"].split("/")[2] for entry in har["log"]["entries"]}
    if hosts != {run.host.split("/")[2]}:
        raise TutorialError(f"the recording holds other hosts than the app's: {hosts}")


def step_convert(run: Run, block: Block) -> None:
    (command,) = block.commands
    done = run.run(run.adapt(command))
    run.log(done.stderr)
    script = run.workdir / "locustfile.py"
    code = script.read_text("utf-8")
    compile(code, str(script), "exec")
    for promise in ("correlated values:", "csrf_token", "note_id", "--password VALUE"):
        if promise not in done.stderr:
            raise TutorialError(f"the conversion report lacks {promise!r}:\n{done.stderr}")
    names = script_names(code)
    if "03 /login" not in names or "03 POST /login" not in names:
        raise TutorialError(f"unexpected request names in the script: {names}")
    run.facts["script_names"] = names
    run.facts["script_names_sha256"] = names_hash(names)


def step_verify(run: Run, block: Block) -> None:
    (command,) = block.commands
    done = run.run(run.adapt(command))
    run.log(done.stdout)
    if "verdict: PASS" not in done.stdout:
        raise TutorialError(f"verify did not pass:\n{done.stdout}")
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": PICTURE_WIDTH, "height": 900})
        page.goto((run.workdir / "verify.html").as_uri())
        page.wait_for_load_state("load")
        last_round = page.locator("section.round").last
        run.facts[VERIFY_PICTURE] = {
            "verdict": page.locator("#verdict").inner_text().strip(),
            "steps": last_round.locator("ol.flow li.step .mono").all_inner_texts(),
        }
        if run.screenshots:
            screenshot(page, PICTURES / VERIFY_PICTURE)


def step_headless(run: Run, block: Block) -> None:
    (command,) = block.commands
    seconds = int(re.search(r"-t (\d+)s", command).group(1))  # type: ignore[union-attr]
    done = run.run(run.adapt(command), timeout=seconds + 60)
    output = done.stdout + done.stderr  # Locust prints its statistics to stderr
    requests, failures = totals(output)
    if not requests or failures:
        raise TutorialError(f"the headless run had failures:\n{output[-3000:]}")
    run.log(f"  {requests} requests, 0 failures")


def step_state(run: Run, block: Block) -> None:
    """The app's own account of the work: notes were created (and deleted), nothing refused."""
    (command,) = block.commands
    state = json.loads(run.run(run.adapt(command)).stdout)
    created = state["notes"]["created"].get("alice", 0)
    if not created or state["rejections"]:
        raise TutorialError(f"the app did not do the work: {state}")
    run.log(f"  the app created {created} notes and refused nothing")


def step_webui(run: Run, block: Block) -> None:
    """Start Locust's web UI, fill in its form as the page says, and read the Statistics tab
    once every request and page of the script has a row."""
    (command,) = block.commands
    run.start(run.adapt(command))
    web = run.ports["8089"]
    wait_for_port(web, 30, run.servers[-1])
    expected = set(run.facts["script_names"])
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": PICTURE_WIDTH, "height": 900})
        page.goto(f"http://127.0.0.1:{web}/")
        page.fill("input[name=userCount]", "3")
        page.fill("input[name=spawnRate]", "3")
        page.click("button[type=submit]")
        page.get_by_role("tab", name="Statistics").click()
        deadline = time.monotonic() + 60
        while True:
            rows = [tuple(row.locator("td").all_inner_texts()[:2])
                    for row in page.locator("table tbody tr").all()]
            if expected <= {name for _, name in rows}:
                break
            if time.monotonic() > deadline:
                raise TutorialError(f"Locust's Statistics tab never showed every name: {rows}")
            page.wait_for_timeout(500)
        fails = page.locator("table tbody tr td:nth-child(4)").all_inner_texts()
        if any(count.strip() != "0" for count in fails):
            raise TutorialError(f"the web UI run has failures: {rows} {fails}")
        run.facts[STATISTICS_PICTURE] = {"rows": sorted(f"{kind} {name}".strip()
                                                        for kind, name in rows)}
        if run.screenshots:
            screenshot(page, PICTURES / STATISTICS_PICTURE)
        page.get_by_role("button", name="Stop").click()
    stop(run.servers.pop())


def step_distributed(run: Run, block: Block) -> None:
    """Master and workers together, as in three terminals: the master waits for both workers,
    runs, and must end with 0 failures; the workers end when it does."""
    master_command, *worker_commands = block.commands
    seconds = int(re.search(r"-t (\d+)s", master_command).group(1))  # type: ignore[union-attr]
    master = run.start(run.adapt(master_command))
    workers = [run.start(run.adapt(command)) for command in worker_commands]
    try:
        master.wait(timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        raise TutorialError(f"the master did not end:\n{run.output(master)[-3000:]}") from None
    output = run.output(master)
    requests, failures = totals(output)
    if master.returncode != 0 or not requests or failures:
        raise TutorialError(f"the distributed run failed ({master.returncode}):\n"
                            f"{output[-3000:]}")
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            raise TutorialError("a worker did not end with the master") from None
    run.log(f"  {requests} requests, 0 failures, with {len(workers)} workers")


STEPS: dict[str, Callable[[Run, Block], None]] = {
    "install": step_skip,
    "app": step_app,
    "record-by-hand": step_skip,
    "journey.py": step_journey,
    "record": step_record,
    "convert": step_convert,
    "verify": step_verify,
    "headless": step_headless,
    "state": step_state,
    "webui": step_webui,
    "distributed": step_distributed,
}


# --- the browser and the pictures -----------------------------------------------------------


class browser:  # noqa: N801 - used like a function: `with browser() as chromium`
    """Headless Chromium of this machine (Playwright never downloads one), loopback only."""

    def __enter__(self) -> Any:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS))
        return self._browser

    def __exit__(self, *exc: object) -> None:
        self._browser.close()
        self._playwright.stop()


def screenshot(page: Any, path: Path) -> None:
    height = min(page.evaluate("document.documentElement.scrollHeight"), PICTURE_MAX_HEIGHT)
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": PICTURE_WIDTH,
                                          "height": height}, full_page=True)


def manifest_of(facts: dict[str, Any]) -> dict[str, Any]:
    return {
        VERIFY_PICTURE: facts[VERIFY_PICTURE],
        STATISTICS_PICTURE: facts[STATISTICS_PICTURE],
        "script_names_sha256": facts["script_names_sha256"],
    }


def check_pictures(facts: dict[str, Any]) -> None:
    missing = [name for name in (VERIFY_PICTURE, STATISTICS_PICTURE)
               if not (PICTURES / name).is_file()]
    if missing or not MANIFEST.is_file():
        raise TutorialError(f"{STALE} (missing: {', '.join(missing) or MANIFEST.name})")
    stored = json.loads(MANIFEST.read_text("utf-8"))
    current = manifest_of(facts)
    differing = [key for key in current if stored.get(key) != current[key]]
    if differing:
        raise TutorialError(f"{STALE} (differs: {', '.join(differing)})\nstored: "
                            f"{json.dumps({k: stored.get(k) for k in differing})}\nnow:    "
                            f"{json.dumps({k: current[k] for k in differing})}")


# --- main -----------------------------------------------------------------------------------


def run_tutorial(screenshots: bool, keep: Path | None = None) -> dict[str, Any]:
    """Run every step of the page in a fresh folder; return what the pictures show."""
    blocks = parse_blocks(DOC.read_text("utf-8"))
    unknown = [f"line {b.line_number}: {b.step}" for b in blocks if b.step not in STEPS]
    if unknown:
        raise TutorialError(f"{DOC.name}: blocks without a handler: {', '.join(unknown)}")
    missing = sorted(set(STEPS) - {b.step for b in blocks})
    if missing:
        raise TutorialError(f"{DOC.name}: steps the page no longer has: {', '.join(missing)}")
    workdir = Path(tempfile.mkdtemp(prefix="h2l-tutorial-")) if keep is None else keep
    workdir.mkdir(parents=True, exist_ok=True)
    run = Run(workdir, screenshots)
    run.log(f"tutorial folder: {workdir}; app port {run.host.rsplit(':', 1)[1]}")
    try:
        for block in blocks:
            started = time.monotonic()
            run.log(f"--- {block.step} ({DOC.name}:{block.line_number})")
            STEPS[block.step](run, block)
            run.log(f"    {block.step}: ok in {time.monotonic() - started:.1f} s")
    finally:
        run.stop_all()
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return run.facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshots", action="store_true",
                        help="retake docs/tutorial/*.png and rewrite screenshots.json")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="run in DIR and keep it (default: a temporary folder, removed)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        facts = run_tutorial(args.screenshots, args.keep)
        if args.screenshots:
            MANIFEST.write_text(json.dumps(manifest_of(facts), indent=2, ensure_ascii=False)
                                + "\n", encoding="utf-8")
            print(f"wrote {', '.join([VERIFY_PICTURE, STATISTICS_PICTURE, MANIFEST.name])} "
                  f"in {PICTURES.relative_to(REPO_ROOT)}")
        else:
            check_pictures(facts)
    except TutorialError as error:
        print(f"tutorial: FAIL: {error}", file=sys.stderr)
        return 1
    print(f"tutorial: OK in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
