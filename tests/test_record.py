"""The command group and ``har2locust-plus record``, with a real browser (no mock of Playwright).

Recording tests run the real entry point in a subprocess against the fixture app on 127.0.0.1,
with Debian's Chromium and launch switches that keep every request on loopback; every process
is bounded by a timeout and killed by its PID.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from har2locust_plus.cli import main as cli

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "fixtures"
NOTES_JOURNEY = FIXTURES / "journeys" / "notes.py"
CHROMIUM = "/usr/bin/chromium"
PREFIX = "har2locust-plus: error: "
# Only 127.0.0.1 is reachable: no other name resolves, and everything else goes to a dead proxy.
LOOPBACK_ONLY = ("--browser-arg=--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                 "--browser-arg=--proxy-server=http://127.0.0.1:9",
                 "--browser-arg=--proxy-bypass-list=127.0.0.1")
BROWSER = ("--browser-path", CHROMIUM, *LOOPBACK_ONLY)
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason=f"no Chromium at {CHROMIUM}")
COMMAND_MODULES = ("har2locust_plus.cli_common", "har2locust_plus.convert_command",
                   "har2locust_plus.verify.command", "har2locust_plus.record.command",
                   "har2locust_plus.record.recorder", "har2locust_plus.cli")


def h2l(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
        cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    """The real entry point (``run()``), bounded by ``timeout``."""
    environment = {**{k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
                   "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "har2locust_plus", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env=environment)


def one_error_line(done: subprocess.CompletedProcess[str], status: int = 2) -> str:
    lines = done.stderr.splitlines()
    assert done.returncode == status, (done.returncode, done.stderr)
    assert lines and lines[-1].startswith(PREFIX), lines
    assert [line for line in lines if line.startswith(PREFIX)] == [lines[-1]]
    return lines[-1].removeprefix(PREFIX)


# --- the command group ----------------------------------------------------------------------------


def test_help_lists_the_three_commands_with_examples() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:")[1]
    for name in ("convert", "verify", "record"):
        assert f"\n  {name} " in commands
    assert "har2locust-plus record https://" in result.stdout


@pytest.mark.parametrize("command", ["convert", "verify", "record"])
def test_each_command_has_its_own_help_with_examples(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.stderr
    assert "Examples:" in result.stdout and f"har2locust-plus {command} " in result.stdout


def test_the_old_single_command_form_and_explicit_convert_write_the_same(tmp_path: Path) -> None:
    har = str(FIXTURES / "notes-journey.har")
    old = h2l(har, "-q", "-o", str(tmp_path / "old.py"))
    explicit = h2l("convert", har, "-q", "-o", str(tmp_path / "explicit.py"))
    assert (old.returncode, explicit.returncode) == (0, 0), old.stderr + explicit.stderr
    assert (tmp_path / "old.py").read_text("utf-8") == (tmp_path / "explicit.py").read_text()


def test_a_har_named_like_a_command_is_given_with_a_path(tmp_path: Path) -> None:
    (tmp_path / "verify").write_bytes((FIXTURES / "public-browsing.har").read_bytes())
    for args in (["./verify"], ["convert", "verify"]):
        result = h2l(*args, "-q", cwd=tmp_path)
        assert result.returncode == 0 and "class VerifyUser" in result.stdout, result.stderr


def test_verify_goes_through_the_group() -> None:
    result = CliRunner().invoke(cli, ["verify", str(FIXTURES / "public-browsing.har")])
    assert result.exit_code == 2
    assert result.stderr == (f"{PREFIX}Missing option '--host'. "
                             "(see har2locust-plus verify --help)\n")


@pytest.mark.parametrize("args", [(), ("--no-such-option",), ("record",), ("record", "-x"),
                                  ("verify",)])
def test_usage_errors_of_the_group_and_commands_are_one_line(args: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(PREFIX)


def test_version_on_the_group() -> None:
    result = CliRunner().invoke(cli, ["-V"])
    assert result.exit_code == 0 and "har2locust-plus, version" in result.stdout


def test_no_command_module_imports_the_entry_point() -> None:
    """cli.py groups the commands; a command importing it back would make a cycle."""
    package = REPO_ROOT / "har2locust_plus"
    offenders = []
    for path in package.rglob("*.py"):
        if path.name == "__main__.py" or path == package / "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom):
                target = "." * node.level + (node.module or "")
                names = {alias.name for alias in node.names}
                if target in ("har2locust_plus.cli", ".cli", "..cli") or \
                        target in ("har2locust_plus", ".", "..") and "cli" in names:
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
            elif isinstance(node, ast.Import):
                if any(alias.name == "har2locust_plus.cli" for alias in node.names):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_each_cli_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, timeout=60, cwd=REPO_ROOT,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stderr


def test_converting_never_imports_playwright_or_the_recorder(tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        import sys
        import har2locust_plus.cli
        sys.argv = ["har2locust-plus", {str(FIXTURES / "notes-journey.har")!r}, "-q",
                    "-o", {str(tmp_path / "x.py")!r}]
        try:
            har2locust_plus.cli.main()
        except SystemExit as exc:
            assert not exc.code, exc.code
        loaded = [m for m in sys.modules
                  if m.split(".")[0] == "playwright" or m.startswith("har2locust_plus.record")
                  or m.startswith("har2locust_plus.verify")]
        assert loaded == [], loaded
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=REPO_ROOT,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "x.py").exists()


def test_a_conversion_needs_no_package_the_cli_did_not_import(tmp_path: Path) -> None:
    """Whoever imports the command line has what a conversion needs: a conversion run after
    new third-party imports are refused still works (a smoke harness checking what generated
    scripts import does this; lazily importing black from the package broke it once).
    Optional speed-ups (msgspec) fall back to the standard library."""
    code = textwrap.dedent(f"""
        import importlib.abc, sys
        import har2locust_plus.cli
        loaded = {{m.split(".")[0] for m in sys.modules}}

        class Refuse(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in loaded:
                    return None
                raise ModuleNotFoundError(f"refused: {{name}}")

        sys.meta_path.insert(0, Refuse())
        sys.argv = ["har2locust-plus", {str(FIXTURES / "notes-journey.har")!r}, "-q",
                    "-o", {str(tmp_path / "x.py")!r}]
        har2locust_plus.cli.main()
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=REPO_ROOT,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stderr
    assert "class NotesJourneyUser" in (tmp_path / "x.py").read_text("utf-8")


# --- record: refused before any browser starts ----------------------------------------------------


def test_headless_without_a_script_is_refused() -> None:
    message = one_error_line(h2l("record", "http://127.0.0.1:9/", "-o", "x.har", "--headless"))
    assert message.startswith("--headless needs --script")


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "file:///etc/passwd", "http://", "x:port"])
def test_a_url_that_is_not_http_is_refused(url: str) -> None:
    message = one_error_line(h2l("record", url, "-o", "x.har", "--script", str(NOTES_JOURNEY)))
    assert message.startswith(f"{url}: expected an http:// or https:// URL")


def test_a_bad_journey_file_is_refused_before_launching(tmp_path: Path) -> None:
    missing = one_error_line(h2l("record", "http://127.0.0.1:9/", "-o", "x.har",
                                 "--script", str(tmp_path / "nope.py")))
    assert missing == f"{tmp_path / 'nope.py'}: no such file"
    empty = tmp_path / "empty.py"
    empty.write_text("def trip(page):\n    pass\n", "utf-8")
    message = one_error_line(h2l("record", "http://127.0.0.1:9/", "-o", "x.har",
                                 "--script", str(empty)))
    assert message == f"{empty}: no journey(page) function"
    broken = tmp_path / "broken.py"
    broken.write_text("def journey(page):\n    return (\n", "utf-8")
    assert one_error_line(h2l("record", "http://127.0.0.1:9/", "-o", "x.har",
                              "--script", str(broken))).startswith(f"{broken}: line ")


def test_without_playwright_one_line_says_what_to_install(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "playwright"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("no playwright here")\n', "utf-8")
    done = h2l("record", "http://127.0.0.1:9/", "-o", str(tmp_path / "x.har"),
               "--script", str(NOTES_JOURNEY),
               env={"PYTHONPATH": os.pathsep.join([str(tmp_path / "shadow"), str(REPO_ROOT)])})
    assert one_error_line(done) == \
        "record needs Playwright: pip install 'har2locust-plus[record]'"


def test_a_browser_path_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    message = one_error_line(h2l("record", "http://127.0.0.1:9/", "-o", str(tmp_path / "x.har"),
                                 "--script", str(NOTES_JOURNEY), "--browser-path", "/nonexistent"))
    assert message == "--browser-path /nonexistent: no such executable file"


def test_no_browser_at_all_says_what_to_install(tmp_path: Path) -> None:
    (tmp_path / "browsers").mkdir()
    (tmp_path / "bin").mkdir()
    done = h2l("record", "http://127.0.0.1:9/", "-o", str(tmp_path / "x.har"),
               "--script", str(NOTES_JOURNEY),
               env={"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "browsers"),
                    "PATH": str(tmp_path / "bin")})
    message = one_error_line(done)
    assert "python -m playwright install chromium" in message and "--browser-path" in message
    assert not (tmp_path / "x.har").exists()


# --- record: with Chromium ------------------------------------------------------------------------


@needs_chromium
def test_an_unreachable_url_is_one_line_and_leaves_no_har(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    done = h2l("record", url, "-o", str(tmp_path / "x.har"), "--script", str(NOTES_JOURNEY),
               *BROWSER)
    assert one_error_line(done) == f"{url}: cannot open: net::ERR_CONNECTION_REFUSED"
    assert os.listdir(tmp_path) == []


@needs_chromium
@pytest.mark.e2e
def test_record_a_journey_convert_and_run_it_with_locust(tmp_path: Path, run_locust) -> None:
    """Record with a script, convert in the same command, and the script passes under Locust
    against a fresh app that never saw the recording."""
    from fixtures.server import FixtureApp

    har, locustfile = tmp_path / "cap.har", tmp_path / "locustfile.py"
    with FixtureApp() as app:
        done = h2l("record", app.url + "/", "--script", str(NOTES_JOURNEY), "-o", str(har),
                   "--convert", str(locustfile), *BROWSER)
        recorded = app.state()
    assert done.returncode == 0, done.stderr
    assert recorded["notes"]["created"] == {"alice": 1}, recorded
    summary = next(line for line in done.stderr.splitlines() if line.startswith("recorded "))
    assert summary.endswith(f"from 1 host ({app.url.removeprefix('http://')}) → {har}")
    assert f"wrote {locustfile}" in done.stderr and "next: locust -f" in done.stderr

    entries = json.loads(har.read_text("utf-8"))["log"]["entries"]
    assert any(e["response"]["content"].get("text") for e in entries)  # bodies embedded
    assert any(h["name"].lower() == "set-cookie" for e in entries
               for h in e["response"]["headers"])  # nothing sanitized
    assert any(e["request"]["method"] == "POST" and e["request"].get("postData", {}).get("text")
               for e in entries)

    with FixtureApp() as fresh:
        run = run_locust(locustfile, fresh.url, tmp_path, seconds=5, users=2,
                         env={"H2L_PASSWORD": "wonderland-42"})
        state = fresh.state()
    assert run.requests > 0 and run.failed == 0, run.explain()
    assert sum(state["notes"]["created"].values()) > 0, state
    assert sum(state["logins"]["form"].values()) > 0, state


@needs_chromium
def test_a_journey_that_raises_still_writes_what_was_recorded(tmp_path: Path) -> None:
    from fixtures.server import FixtureApp

    journey = tmp_path / "journey.py"
    journey.write_text(textwrap.dedent("""\
        def journey(page):
            page.click("#login-link")
            page.wait_for_url("**/login")
            raise RuntimeError("the button moved")
    """), "utf-8")
    har = tmp_path / "cap.har"
    with FixtureApp() as app:
        done = h2l("record", app.url + "/", "--script", str(journey), "-o", str(har),
                   "--convert", str(tmp_path / "x.py"), *BROWSER)
    message = one_error_line(done)
    assert message.startswith(f"{journey}:4: RuntimeError: the button moved (the ")
    urls = [e["request"]["url"] for e in json.loads(har.read_text("utf-8"))["log"]["entries"]]
    assert app.url + "/login" in urls
    assert not (tmp_path / "x.py").exists()  # a failed journey is not converted


def test_context_options_may_not_set_the_har_recording(tmp_path: Path) -> None:
    from har2locust_plus.errors import BadOption
    from har2locust_plus.record import record

    with pytest.raises(BadOption, match=r"^context_options: record_har_content, record_har_path "
                                        r"are set by the recorder$"):
        record("http://127.0.0.1:9/", str(tmp_path / "x.har"), journey=lambda page: None,
               context_options={"record_har_path": "y.har", "record_har_content": "omit",
                                "locale": "fr-FR"})
    assert os.listdir(tmp_path) == []


@needs_chromium
def test_context_options_reach_the_browser_context(tmp_path: Path) -> None:
    """The Python API's ``context_options`` go to ``new_context`` (the fixture recorders set
    locale, viewport and service workers), beside the recorder's own HAR options."""
    from fixtures.server import FixtureApp
    from har2locust_plus.record import record

    seen: list[object] = []
    har = tmp_path / "cap.har"
    with FixtureApp() as app:
        summary = record(app.url + "/about", str(har), browser_path=CHROMIUM,
                         launch_args=tuple(arg.removeprefix("--browser-arg=")
                                           for arg in LOOPBACK_ONLY),
                         journey=lambda page: seen.append(page.evaluate(
                             "[navigator.language, innerWidth, innerHeight]")),
                         context_options={"locale": "fr-FR",
                                          "viewport": {"width": 1024, "height": 600}})
    assert seen == [["fr-FR", 1024, 600]]
    assert summary.entries > 0
    entries = json.loads(har.read_text("utf-8"))["log"]["entries"]
    assert {h["value"] for h in entries[0]["request"]["headers"]
            if h["name"].lower() == "accept-language"} == {"fr-FR"}
    assert any(e["response"]["content"].get("text") for e in entries)  # still embedded


SLEEPY_JOURNEY = """\
import pathlib

def journey(page):
    home = page.url
    with page.expect_navigation(url=home.rstrip("/") + "/about"):
        page.click("#about-link")
    with page.expect_navigation(url=home):
        page.click("#home-link")
    pathlib.Path({marker!r}).touch()
    page.wait_for_timeout(60_000)
"""


@needs_chromium
@pytest.mark.parametrize(("sig", "whom", "status"), [(signal.SIGINT, "group", 130),
                                                      (signal.SIGTERM, "pid", 143)])
def test_a_signal_mid_journey_saves_what_was_recorded(tmp_path: Path, sig: signal.Signals,
                                                       whom: str, status: int) -> None:
    """SIGINT to the whole process group, as a terminal's Ctrl-C does (Playwright's driver gets
    it too), or SIGTERM to the PID: the HAR holds the pages visited so far."""
    from fixtures.server import FixtureApp

    marker, har = tmp_path / "sleeping", tmp_path / "cap.har"
    journey = tmp_path / "journey.py"
    journey.write_text(SLEEPY_JOURNEY.format(marker=str(marker)), "utf-8")
    env = {**{k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
           "PYTHONPATH": str(REPO_ROOT)}
    with FixtureApp() as app:
        proc = subprocess.Popen(
            [sys.executable, "-m", "har2locust_plus", "record", app.url + "/", "--script",
             str(journey), "-o", str(har), *BROWSER], cwd=REPO_ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)  # a process group of its own, like a shell's job
        try:
            deadline = time.monotonic() + 60
            while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert marker.exists(), proc.communicate(timeout=30)
            if whom == "group":
                os.killpg(proc.pid, sig)
            else:
                os.kill(proc.pid, sig)
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    assert proc.returncode == status, stderr
    assert f"(stopped by {sig.name})" in stderr
    entries = json.loads(har.read_text("utf-8"))["log"]["entries"]
    urls = [e["request"]["url"] for e in entries]
    assert urls.count(app.url + "/") == 2 and app.url + "/about" in urls, urls


INTERACTIVE = """\
import pathlib, sys
from har2locust_plus.record import record

def progress(line):
    if line.startswith("recording"):
        pathlib.Path({marker!r}).touch()

summary = record({url!r}, {har!r}, headless=True, browser_path={chromium!r},
                 launch_args={args!r}, progress=progress)
print(summary.line())
print(summary.stopped_by)
"""


@needs_chromium
def test_ctrl_c_ends_an_interactive_recording_and_saves_it(tmp_path: Path) -> None:
    """Without a journey the recording waits for the window to be closed; Ctrl-C (to the
    process group) ends it too, as a normal end. Headless through the Python API: the
    command refuses --headless by hand, and the test machine has no display."""
    from fixtures.server import FixtureApp

    marker, har = tmp_path / "recording", tmp_path / "cap.har"
    args = tuple(arg.removeprefix("--browser-arg=") for arg in LOOPBACK_ONLY)
    with FixtureApp() as app:
        code = INTERACTIVE.format(marker=str(marker), url=app.url + "/about", har=str(har),
                                  chromium=CHROMIUM, args=args)
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO_ROOT,
                                env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert marker.exists(), proc.communicate(timeout=30)
            os.killpg(proc.pid, signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    assert proc.returncode == 0, stderr
    assert stdout.splitlines()[-1] == str(int(signal.SIGINT))
    assert stdout.startswith("recorded ") and "on 1 page from 1 host" in stdout
    urls = [e["request"]["url"] for e in json.loads(har.read_text("utf-8"))["log"]["entries"]]
    assert urls[0] == app.url + "/about"


def _loop_in_a_greenlet(step):  # type: ignore[no-untyped-def]
    """Run ``step()`` as an asyncio task in a greenlet of its own, as Playwright's sync API runs
    its event loop; return the task and what escaped the loop (``None``: nothing)."""
    import asyncio

    greenlet = pytest.importorskip("greenlet")
    loop = asyncio.new_event_loop()
    task = loop.create_task(step())

    def dispatcher() -> BaseException | None:
        try:
            loop.run_until_complete(task)
        except BaseException as exc:  # what a signal let out of the loop
            return exc
        return None

    try:
        escaped = greenlet.greenlet(dispatcher).switch()
        if not task.done():
            loop.run_until_complete(task)
    finally:
        loop.close()
    return task, escaped


def test_a_signal_inside_the_event_loop_does_not_end_its_task() -> None:
    """The handler runs wherever the main thread is. Raised inside a task step of Playwright's
    event loop (the driver's reader, say), the stop would end that task and the connection with
    it (CI saw "Playwright connection closed"): it must leave the loop as a callback's
    exception instead, with every task intact."""
    from har2locust_plus.record.recorder import RecordingStopped, _SignalStop

    async def step() -> str:
        signal.raise_signal(signal.SIGINT)  # the handler runs here, inside the task's step
        await asyncio_sleep0()
        return "the task went on"

    with _SignalStop() as stop:
        task, escaped = _loop_in_a_greenlet(step)
    assert isinstance(escaped, RecordingStopped) and stop.signum == signal.SIGINT
    assert task.result() == "the task went on"


def test_a_signal_in_the_recording_greenlet_is_raised_there() -> None:
    from har2locust_plus.record.recorder import RecordingStopped, _SignalStop

    with _SignalStop() as stop, pytest.raises(RecordingStopped):
        signal.raise_signal(signal.SIGTERM)
    assert stop.signum == signal.SIGTERM
    with _SignalStop() as stop:
        stop.disarm()
        signal.raise_signal(signal.SIGINT)  # ignored while the HAR is saved
    assert stop.signum is None


def test_a_stop_handed_to_the_loop_after_the_journey_ended_is_dropped() -> None:
    """The journey may return between the signal and the loop's next turn: the HAR is being
    saved then, and the stop must not interrupt that."""
    from har2locust_plus.record.recorder import _SignalStop

    with _SignalStop() as stop:
        async def step() -> str:
            signal.raise_signal(signal.SIGINT)
            stop.disarm()  # the recording ends before the loop runs the handed-over stop
            await asyncio_sleep0()
            return "saved"

        task, escaped = _loop_in_a_greenlet(step)
    assert escaped is None and task.result() == "saved" and stop.signum == signal.SIGINT


async def asyncio_sleep0() -> None:
    import asyncio

    await asyncio.sleep(0)


# --- bodies the browser did not keep ----------------------------------------------------------


def _entry(method: str, url: str, status: int, kind: str, content: dict) -> dict:
    return {"request": {"method": method, "url": url}, "_resourceType": kind,
            "response": {"status": status, "content": content}}


def test_answers_whose_body_the_browser_dropped_are_named_in_a_warning() -> None:
    """Chromium drops an answer's body when the page leaves at once (SQLAdmin's script goes
    to the URL its DELETE answered): the HAR says ``"size": -1`` and holds no text. Silent,
    a value only that answer hands out would simply not be correlated."""
    from har2locust_plus.record.recorder import _summary

    lost = {"size": -1, "mimeType": "text/plain"}
    entries = [
        _entry("GET", "http://127.0.0.1:5/admin/", 200, "document", {"size": 9, "text": "<p>hi"}),
        _entry("DELETE", "http://127.0.0.1:5/admin/note/delete?pks=7", 200, "xhr", lost),
        _entry("POST", "http://127.0.0.1:5/login", 302, "document", lost),  # a redirect
        _entry("POST", "http://127.0.0.1:5/logout", 204, "fetch", lost),  # no body to lose
        _entry("GET", "http://127.0.0.1:5/app.js", 200, "script", lost),  # not the app's answer
        _entry("POST", "http://127.0.0.1:5/notes", 200, "fetch", {"size": 0}),  # empty
    ]
    summary = _summary(json.dumps({"log": {"entries": entries}}), "x.har", None)
    assert summary.lost == ("DELETE /admin/note/delete",)
    assert summary.warning() == (
        "warning: the body of 1 answer is not in the HAR (DELETE /admin/note/delete): the "
        "page left before the browser handed it over; what only it hands out is not "
        "correlated, and its text is not checked")
    entries = [_entry("POST", f"http://127.0.0.1:5/n{i}", 200, "xhr", lost) for i in range(5)]
    warning = _summary(json.dumps({"log": {"entries": entries}}), "x.har", None).warning()
    assert warning is not None and warning.startswith(
        "warning: the bodies of 5 answers are not in the HAR (POST /n0, POST /n1, POST /n2, …)")
    assert _summary(json.dumps({"log": {"entries": entries[:0]}}), "x.har", None).warning() is None


def test_a_page_s_body_read_while_the_browser_held_it_fills_the_har_in_order() -> None:
    """SAML's posting page: the login's answer leaves at once (its script posts the
    assertion), so Chromium's HAR holds no body for it. The body read while the answer was
    held (``_PageBodies``) goes into that entry, and only into an answer to the same method and
    URL that was kept: a redirect, a non-text answer or an entry with a body of its own takes
    none, and the next answer to one URL gets the next body."""
    import base64

    from har2locust_plus.record.recorder import _PageBodies

    lost = {"size": -1, "mimeType": "text/html; charset=UTF-8"}
    login = "http://127.0.0.1:5/idp/login.php"
    entries = [
        _entry("GET", login, 200, "document", {"size": 5, "mimeType": "text/html",
                                                "text": "<form>"}),
        _entry("POST", login, 302, "document", dict(lost)),  # a redirect: nothing kept
        _entry("POST", login, 200, "document", dict(lost)),
        _entry("POST", login, 200, "document", dict(lost)),
        _entry("POST", login, 200, "document", dict(lost)),
        _entry("GET", "http://127.0.0.1:5/report.pdf", 200, "document",
               {"size": -1, "mimeType": "application/pdf"}),
        _entry("POST", "http://127.0.0.1:5/other", 200, "document", dict(lost)),
    ]
    kept = _PageBodies()
    kept.bodies = {("GET", login): [("<form>", False)],
                   ("POST", login): [("<input name=SAMLResponse>", False),
                                     (base64.b64encode(b"second \xff").decode(), True),
                                     (base64.b64encode("<p>é</p>".encode()).decode(), True)]}
    har = json.loads(kept.fill_in(json.dumps({"log": {"entries": entries}})))
    contents = [e["response"]["content"] for e in har["log"]["entries"]]
    assert contents[0] == {"size": 5, "mimeType": "text/html", "text": "<form>"}
    assert "text" not in contents[1] and "text" not in contents[5] and "text" not in contents[6]
    assert contents[2]["text"] == "<input name=SAMLResponse>" and contents[2]["size"] == 25
    assert contents[3]["encoding"] == "base64" and contents[3]["size"] == 8  # not UTF-8
    # the protocol's base64 of a page's text is kept as text
    assert contents[4]["text"] == "<p>é</p>" and "encoding" not in contents[4]
    assert contents[4]["size"] == 9
    assert contents[2]["comment"].startswith("read while the browser held the answer")
    untouched = json.dumps({"log": {"entries": entries[:1]}})
    assert _PageBodies().fill_in(untouched) == untouched


def test_a_script_s_answer_read_while_held_fills_the_har_unless_it_streams() -> None:
    """pretix's checkout: its script posts the order (XHR) and goes at once to the URL the
    JSON answer names, so Chromium's HAR holds no body for it, and the order's code and
    secret in that URL had no source. A script's answer with a length is read while held (as
    a page's is) and goes into its entry; one without a length or an event stream is never
    read (it would be held until it ends), so it takes no body: the next answer to its URL
    keeps its own."""
    from har2locust_plus.record.recorder import _PageBodies

    def script(length: str | None, kind: str = "application/json") -> dict:
        entry = _entry("POST", "http://127.0.0.1:5/conf/checkout/confirm/", 200, "xhr",
                       {"size": -1, "mimeType": kind})
        entry["response"]["headers"] = [{"name": "Content-Type", "value": kind}] + (
            [{"name": "Content-Length", "value": length}] if length else [])
        return entry

    entries = [script(None), script("7", "text/event-stream"), script("21"), script("9")]
    kept = _PageBodies()
    kept.bodies = {("POST", "http://127.0.0.1:5/conf/checkout/confirm/"): [
        ('{"redirect": "/o/AB1/"}', False), ('{"ok": 1}', False)]}
    har = json.loads(kept.fill_in(json.dumps({"log": {"entries": entries}})))
    contents = [e["response"]["content"] for e in har["log"]["entries"]]
    assert "text" not in contents[0] and "text" not in contents[1]
    assert contents[2]["text"] == '{"redirect": "/o/AB1/"}' and contents[3]["text"] == '{"ok": 1}'


def test_a_script_s_request_unanswered_at_the_end_is_left_out() -> None:
    """With the script's answers held, Playwright writes a request still waiting at the end
    (Syncthing's long poll, ``/rest/events``) as one that failed for no reason (status -1, no
    failure text), where it left it out before: left out again. A request that failed says
    why (net::ERR_…) and is kept; so is a page's."""
    from har2locust_plus.record.recorder import _PageBodies

    def unanswered(kind: str, failure: str | None = None) -> dict:
        entry = _entry("GET", f"http://127.0.0.1:5/rest/events?{kind}", -1, kind,
                       {"size": -1, "mimeType": "x-unknown"})
        entry["response"]["headers"] = []
        if failure:
            entry["response"]["_failureText"] = failure
        return entry

    answered = _entry("GET", "http://127.0.0.1:5/rest/events?since=3", 200, "xhr",
                      {"size": 2, "mimeType": "application/json", "text": "[]"})
    entries = [answered, unanswered("xhr"), unanswered("fetch"),
               unanswered("xhr", "net::ERR_CONNECTION_REFUSED"), unanswered("document")]
    text = json.dumps({"log": {"entries": entries}}, indent=2)
    kept = _PageBodies()
    kept.sessions = [object()]  # a page was watched
    left = json.loads(kept.fill_in(text))["log"]["entries"]
    assert [e["request"]["url"].split("?")[1] for e in left] == ["since=3", "xhr", "document"]
    assert left[1]["response"]["_failureText"] == "net::ERR_CONNECTION_REFUSED"
    assert _PageBodies().fill_in(text) == text  # no page watched: the HAR as written


def test_the_summary_names_hosts_without_the_user_information_of_urls() -> None:
    """An XHR opened with a user and a password is recorded with them in its URL; the line
    the recorder prints names the host only, never the password."""
    from har2locust_plus.record.recorder import _summary

    body = {"size": 9, "text": "<p>hi"}
    entries = [_entry("GET", "http://127.0.0.1:5/.web/", 200, "document", body),
               _entry("PROPFIND", "http://alice:s3cret-pw@127.0.0.1:5/alice/", 207, "xhr", body)]
    summary = _summary(json.dumps({"log": {"entries": entries}}), "x.har", None)
    assert summary.hosts == ("127.0.0.1:5",)
    assert "s3cret-pw" not in summary.line()
