"""Rendezvous points (issue 5): users gather at a marked request, then send it together.

From the inside out: the stage that marks steps (``--rendezvous`` selectors and their errors),
the options, the generated code (nothing without the option; a verbatim copy of
``runtime/rendezvous.py`` with it), the run-time barrier itself driven in process with gevent,
and real Locust runs — one local process, and one master with two workers — against an
instrumented loopback server that logs the moment each request arrives. Every subprocess is
bounded by a timeout and killed by its PID.
"""

from __future__ import annotations

import ast
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from har2locust_plus import Options, ThinkTime, convert
from har2locust_plus.cli import main
from har2locust_plus.errors import BadOption

RUNTIME = Path(__file__).resolve().parents[1] / "har2locust_plus" / "runtime" / "rendezvous.py"
BURST = "/api/burst"  # the request the e2e users gather for
START_HTML = "<html><head><title>Start</title></head><body><h1>Start</h1></body></html>"
# users released together within 20 ms, after a timeout of a second: the file runs alone
# (scripts/run_tests.py)
pytestmark = [pytest.mark.timing]


# --- a recording ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def har(make_har: Callable[..., bytes], make_entry: Callable[..., dict[str, Any]]) -> bytes:
    """GET /start (a page), GET /api/burst (xhr), POST /api/orders?src=web (xhr)."""
    origin = "http://127.0.0.1:8000"
    return make_har(
        make_entry(origin + "/start", body=START_HTML, resource_type="document",
                   response_headers=[("Content-Type", "text/html; charset=utf-8")],
                   started="2026-01-01T10:00:00.000Z"),
        make_entry(origin + BURST, body='{"ok": true}', mime="application/json",
                   resource_type="xhr", response_headers=[("Content-Type", "application/json")],
                   started="2026-01-01T10:00:00.050Z"),
        make_entry(origin + "/api/orders?src=web", "POST", body='{"id": "a1"}',
                   mime="application/json", resource_type="xhr",
                   post_data={"mimeType": "application/json", "text": '{"item": 7}'},
                   response_headers=[("Content-Type", "application/json")],
                   started="2026-01-01T10:00:00.100Z"),
    )


@pytest.fixture(scope="module")
def burst_har(make_har: Callable[..., bytes], make_entry: Callable[..., dict[str, Any]]) -> bytes:
    """The two GETs the instrumented server answers."""
    origin = "http://127.0.0.1:8000"
    return make_har(
        make_entry(origin + "/start", body=START_HTML, resource_type="document",
                   response_headers=[("Content-Type", "text/html; charset=utf-8")],
                   started="2026-01-01T10:00:00.000Z"),
        make_entry(origin + BURST, body='{"ok": true}', mime="application/json",
                   resource_type="xhr", response_headers=[("Content-Type", "application/json")],
                   started="2026-01-01T10:00:00.050Z"),
    )


def _marked(har: bytes, *selectors: str) -> dict[int, str]:
    scenario = convert(har, Options(rendezvous=selectors)).scenario
    return {step.number: step.rendezvous for step in scenario.steps if step.rendezvous}


# --- the stage -----------------------------------------------------------------------------


@pytest.mark.parametrize("selector, numbers", [
    ("2", [2]),
    ("GET /api/burst", [2]),
    ("get /api/burst", [2]),  # the method is matched case-insensitively
    ("POST /api/*", [3]),
    ("* /api/*", [2, 3]),
    ("/api/*", [2, 3]),  # no method: any
    ("POST /api/orders", [3]),  # the query string only counts when the selector has a '?'
    ("POST /api/orders?src=*", [3]),
    ("GET /*", [1, 2]),
])
def test_selectors(har: bytes, selector: str, numbers: list[int]) -> None:
    assert sorted(_marked(har, selector)) == numbers


def test_each_marked_step_is_its_own_point(har: bytes) -> None:
    marked = _marked(har, "2", "POST /api/orders")
    assert marked == {2: "step 2 GET /api/burst", 3: "step 3 POST /api/orders"}
    report = convert(har, Options(rendezvous=("2",))).report
    assert any("rendezvous point before step 2 GET /api/burst" in d.message
               for d in report.diagnostics)


def test_no_option_marks_nothing(har: bytes) -> None:
    assert _marked(har) == {}


@pytest.mark.parametrize("selector, message", [
    ("POST /nope", "--rendezvous 'POST /nope': no step matches; steps are: 1 GET /start, "
                   "2 GET /api/burst, 3 POST /api/orders"),
    ("9", "--rendezvous '9': no step matches"),
    ("GET /API/BURST", "no step matches"),  # paths are case-sensitive
    ("checkout", "expected a step number or 'METHOD /path'"),
    ("GET api/burst", "expected a step number or 'METHOD /path'"),
])
def test_bad_selectors(har: bytes, selector: str, message: str) -> None:
    with pytest.raises(BadOption) as caught:
        convert(har, Options(rendezvous=(selector,)))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("users, timeout, message", [
    ("0", 10.0, "--rendezvous-users"),
    ("-3", 10.0, "--rendezvous-users"),
    ("150%", 10.0, "--rendezvous-users"),
    ("0%", 10.0, "--rendezvous-users"),
    ("half", 10.0, "--rendezvous-users"),
    ("100%", 0.0, "--rendezvous-timeout"),
    ("100%", -1.0, "--rendezvous-timeout"),
    ("100%", float("nan"), "--rendezvous-timeout"),
])
def test_bad_policies(users: str, timeout: float, message: str) -> None:
    with pytest.raises(BadOption, match=message):
        Options(rendezvous_users=users, rendezvous_timeout=timeout)


@pytest.mark.parametrize("users", ["1", "10", "50%", "12.5%", "100%"])
def test_good_policies(users: str) -> None:
    assert Options(rendezvous_users=users).rendezvous_users == users


# --- the generated code --------------------------------------------------------------------


def test_no_rendezvous_code_without_the_option(har: bytes) -> None:
    code = convert(har, Options(transactions=False)).code  # transactions use gevent too
    assert "rendezvous" not in code.lower()
    assert "RENDEZVOUS" not in code and "Event()" not in code  # no barrier code at all


def _script(har: bytes, user_class: str = "fast", **options: Any) -> str:
    return convert(har, Options(rendezvous=("GET " + BURST,), user_class=user_class,
                                **options)).code  # type: ignore[arg-type]


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_generated_code_waits_right_before_the_request(har: bytes, user_class: str) -> None:
    code = _script(har, user_class, rendezvous_users="3", rendezvous_timeout=2.5)
    compile(code, "locustfile.py", "exec")
    tree = ast.parse(code)
    assert "har2locust_plus" not in code  # self-contained
    constants = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
                 if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                 and isinstance(node.value, ast.Constant)}
    assert constants["RENDEZVOUS_USERS"] == "3" and constants["RENDEZVOUS_TIMEOUT"] == 2.5
    method = next(node for node in ast.walk(tree)
                  if isinstance(node, ast.FunctionDef) and "rendezvous(self" in ast.unparse(node)
                  and node.name != "rendezvous")
    body = method.body[-1].body if isinstance(method.body[-1], ast.With) else method.body
    calls = [ast.unparse(stmt) for stmt in body]  # inside the page's transaction
    wait = next(i for i, text in enumerate(calls) if text.startswith("rendezvous(self"))
    assert calls[wait] == "rendezvous(self, 'step 2 GET /api/burst')"
    assert "self.client.get('/api/burst'" in calls[wait + 1]
    assert code.count("rendezvous(self, ") == 1


def test_generated_code_is_a_copy_of_the_tested_runtime(har: bytes) -> None:
    """Every definition of runtime/rendezvous.py reaches the script unchanged, before the user
    class; only the two constants' values change."""
    runtime = ast.parse(RUNTIME.read_text(encoding="utf-8"))
    generated = ast.parse(_script(har))
    copied = [ast.unparse(node) for node in generated.body]
    user_class = next(i for i, node in enumerate(generated.body)
                      if isinstance(node, ast.ClassDef) and node.name.endswith("User"))
    for node in runtime.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            assert ast.unparse(node) in copied, node.name
            assert copied.index(ast.unparse(node)) < user_class


def test_generated_code_has_no_unused_or_missing_names(har: bytes, tmp_path: Path) -> None:
    pytest.importorskip("ruff")
    script = tmp_path / "locustfile.py"
    script.write_text(_script(har), encoding="utf-8")
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated",
                           "--select", "F", str(script)],
                          capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_odd_paths_become_safe_literals(make_har: Callable[..., bytes],
                                        make_entry: Callable[..., dict[str, Any]]) -> None:
    path = "/it's/%22quoted%22/{x}\\"
    har = make_har(make_entry("http://127.0.0.1:8000" + path, resource_type="document"))
    code = convert(har, Options(rendezvous=("1",))).code
    call = next(node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name) and node.func.id == "rendezvous")
    assert ast.literal_eval(call.args[1]) == f"step 1 GET {path}"


def test_cli_options(har: bytes, tmp_path: Path) -> None:
    source = tmp_path / "flow.har"
    source.write_bytes(har)
    out = tmp_path / "locustfile.py"
    runner = CliRunner()
    done = runner.invoke(main, [str(source), "-q", "-o", str(out), "--rendezvous", "2",
                                "--rendezvous", "POST /api/orders", "--rendezvous-users", "50%",
                                "--rendezvous-timeout", "4"])
    assert done.exit_code == 0, done.output
    code = out.read_text(encoding="utf-8")
    assert 'RENDEZVOUS_USERS = "50%"' in code and "RENDEZVOUS_TIMEOUT = 4.0" in code
    assert code.count("rendezvous(self, ") == 2
    for args, message in ((["--rendezvous", "PUT /x"], "no step matches"),
                          (["--rendezvous", "2", "--rendezvous-users", "0"],
                           "--rendezvous-users"),
                          (["--rendezvous", "2", "--rendezvous-timeout", "0"],
                           "--rendezvous-timeout")):
        failed = runner.invoke(main, [str(source), "-q", "-o", str(out), *args])
        assert failed.exit_code == 2
        assert failed.output.startswith("har2locust-plus: error: ") and message in failed.output


def test_settings_from_environment_and_locust_options(burst_har: bytes, tmp_path: Path) -> None:
    """The constants are the defaults; H2L_* variables beat them, locust options beat both."""
    script = tmp_path / "locustfile.py"
    script.write_text(convert(burst_har, Options(rendezvous=("2",))).code, encoding="utf-8")
    show = ("import runpy, sys; g = runpy.run_path(sys.argv[1]); "
            "print(g['RENDEZVOUS_USERS'], g['RENDEZVOUS_TIMEOUT'])")
    env = {**_clean_env(), "H2L_RENDEZVOUS_USERS": "7", "H2L_RENDEZVOUS_TIMEOUT": "2.5"}
    shown = subprocess.run([sys.executable, "-c", show, str(script)], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    assert shown.stdout.split() == ["7", "2.5"], shown.stderr[-2000:]
    listed = subprocess.run([sys.executable, "-m", "locust", "-f", str(script), "--list",
                             "--rendezvous-users", "3", "--rendezvous-timeout", "1"],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and "Available Users" in listed.stdout, listed.stderr[-2000:]


# --- the run-time barrier, in process --------------------------------------------------------


class FakeRunner:
    """What the rendezvous uses of a Locust runner: custom messages and the user count.
    Messages go straight to the listener, as with Locust's LocalRunner."""

    def __init__(self, user_count: int) -> None:
        self.user_count = user_count
        self.listeners: dict[str, Callable[..., None]] = {}

    def register_message(self, msg_type: str, listener: Callable[..., None],
                         concurrent: bool = False) -> None:
        assert msg_type not in self.listeners
        self.listeners[msg_type] = listener

    def send_message(self, msg_type: str, data: Any = None, client_id: str | None = None) -> None:
        msg = SimpleNamespace(type=msg_type, data=data, node_id="local")
        self.listeners[msg_type](environment=None, msg=msg)


@pytest.fixture(scope="module")
def rt() -> Iterator[Any]:
    """runtime/rendezvous.py, imported; its listeners leave locust's global events after."""
    from locust import events

    from har2locust_plus.runtime import rendezvous as module

    yield module
    for hook, listener in ((events.init_command_line_parser, module.add_rendezvous_arguments),
                           (events.init, module.setup_rendezvous),
                           (events.test_start, module.arm_rendezvous),
                           (events.test_stopping, module.stop_rendezvous),
                           (events.quitting, module.stop_rendezvous)):
        hook.remove_listener(listener)


@pytest.fixture
def barrier(rt: Any) -> Iterator[Callable[..., SimpleNamespace]]:
    """``barrier(running, users, timeout)`` → a local rendezvous set up as Locust's init does."""
    made: list[FakeRunner] = []

    def make(running: int = 3, users: str = "100%", timeout: float = 5.0) -> SimpleNamespace:
        runner = FakeRunner(running)
        options = SimpleNamespace(rendezvous_users=users, rendezvous_timeout=timeout)
        environment = SimpleNamespace(runner=runner, parsed_options=options)
        rt.setup_rendezvous(environment)
        made.append(runner)
        return SimpleNamespace(runner=runner, environment=environment,
                               gate=rt.rendezvous_gates[runner],
                               coordinator=rt.rendezvous_coordinators[runner])

    yield make
    for runner in made:
        rt.rendezvous_gates.pop(runner)
        rt.rendezvous_coordinators.pop(runner).watcher.kill()


def _waiters(local: SimpleNamespace, name: str, count: int) -> list[Any]:
    """``count`` users waiting at ``name``; each greenlet returns the moment it was released."""
    import gevent

    from har2locust_plus.runtime.rendezvous import rendezvous

    user = SimpleNamespace(environment=local.environment)

    def wait() -> float:
        rendezvous(user, name)  # what the generated code calls
        return time.monotonic()

    greenlets = [gevent.spawn(wait) for _ in range(count)]
    gevent.sleep(0.01)  # let them arrive
    return greenlets


def _released(greenlets: list[Any], within: float = 3.0) -> list[float]:
    import gevent

    gevent.joinall(greenlets, timeout=within)
    assert all(g.ready() for g in greenlets), "still waiting"
    return [g.value for g in greenlets]


def test_a_full_group_goes_at_once_and_the_point_rearms(barrier: Callable[..., Any]) -> None:
    import gevent

    local = barrier(running=3)
    for _round in range(3):
        first = _waiters(local, "buy", 2)
        gevent.sleep(0.2)
        assert not any(g.ready() for g in first)  # 2 of 3: they wait
        times = _released(first + _waiters(local, "buy", 1))
        assert max(times) - min(times) < 0.02  # one loop turn (microseconds on an idle box)
        assert local.coordinator.groups == {}  # re-armed for the next round


def test_the_timeout_releases_fewer_users(barrier: Callable[..., Any]) -> None:
    import gevent

    local = barrier(running=3, users="5", timeout=0.5)
    start = time.monotonic()
    first = _waiters(local, "buy", 2)
    gevent.sleep(0.3)
    second = _waiters(local, "buy", 1)  # restarts the clock
    times = _released(first + second)
    assert max(times) - min(times) < 0.02
    assert 0.8 <= min(times) - start <= 1.5  # 0.3 s + 0.5 s after the last arrival (+ a tick)


def test_points_are_independent(barrier: Callable[..., Any]) -> None:
    import gevent

    local = barrier(running=2)
    at_a, at_b = _waiters(local, "a", 1), _waiters(local, "b", 1)
    gevent.sleep(0.2)
    assert not any(g.ready() for g in at_a + at_b)
    _released(at_a + _waiters(local, "a", 1))
    assert not at_b[0].ready()
    _released(at_b + _waiters(local, "b", 1))


def test_a_user_stopped_while_waiting_does_not_count(barrier: Callable[..., Any]) -> None:
    import gevent

    local = barrier(running=3)
    stays, stopped = _waiters(local, "buy", 2)
    stopped.kill()  # what Locust does to a user on ramp-down or stop
    assert local.coordinator.groups["buy"].size() == 1
    later = _waiters(local, "buy", 1)
    gevent.sleep(0.2)
    assert not stays.ready()  # 2 waiting of 3: the stopped one is not counted
    _released([stays, *later, *_waiters(local, "buy", 1)])
    assert local.gate.waiters == {}


def test_a_ramp_down_completes_the_group(barrier: Callable[..., Any]) -> None:
    local = barrier(running=4, users="75%")  # 3 of 4
    waiting = _waiters(local, "buy", 2)
    local.runner.user_count = 2  # two users stopped elsewhere in the flow: 75% of 2 is 2
    _released(waiting, within=0.5)  # the coordinator's watcher notices


def test_stop_releases_everyone_and_start_rearms(rt: Any, barrier: Callable[..., Any]) -> None:
    import gevent

    local = barrier(running=3)
    waiting = _waiters(local, "buy", 2)
    rt.stop_rendezvous(environment=local.environment)
    _released(waiting, within=0.5)
    _released(_waiters(local, "buy", 1), within=0.5)  # while stopping: no waiting
    local.environment.parsed_options.rendezvous_users = "2"  # changed in the web UI
    rt.arm_rendezvous(environment=local.environment)
    again = _waiters(local, "buy", 1)
    gevent.sleep(0.2)
    assert not again[0].ready()
    _released(again + _waiters(local, "buy", 1))


def test_a_single_user_run_does_not_wait(rt: Any) -> None:
    """locust.run_single_user (debugging) has no runner: nobody to wait for."""
    rt.rendezvous(SimpleNamespace(environment=SimpleNamespace(runner=None)), "buy")


@pytest.mark.parametrize("users, running, size", [
    ("100%", 10, 10), ("50%", 3, 2), ("12.5%", 8, 1), ("100%", 0, 1), ("5", 100, 5), ("5", 2, 5),
])
def test_group_size(rt: Any, users: str, running: int, size: int) -> None:
    assert rt.group_size(users, running) == size


def test_settings(rt: Any) -> None:
    parsed = SimpleNamespace(rendezvous_users="7", rendezvous_timeout=2.5)
    assert rt.rendezvous_settings(SimpleNamespace(parsed_options=parsed)) == ("7", 2.5)
    no_options = SimpleNamespace(parsed_options=None)
    assert rt.rendezvous_settings(no_options) == (rt.RENDEZVOUS_USERS, rt.RENDEZVOUS_TIMEOUT)
    for users, timeout in (("0", 1.0), ("101%", 1.0), ("x", 1.0), ("5", 0.0)):
        bad = SimpleNamespace(rendezvous_users=users, rendezvous_timeout=timeout)
        with pytest.raises(ValueError, match="--rendezvous-"):
            rt.rendezvous_settings(SimpleNamespace(parsed_options=bad))


# --- real Locust runs against an instrumented server ---------------------------------------

# A loopback server that writes "<time.monotonic()> <path>" for every request it receives.
ARRIVAL_SERVER = r'''
import sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = open(sys.argv[1], "a", buffering=1, encoding="utf-8")
LOCK = threading.Lock()
PAGES = {"/start": ("text/html; charset=utf-8", sys.argv[2].encode()),
         "/api/burst": ("application/json", b'{"ok": true}')}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        arrived = time.monotonic()
        with LOCK:
            LOG.write(f"{arrived:.6f} {self.path}\n")
        mime, body = PAGES.get(self.path, ("text/plain", b"not found"))
        self.send_response(200 if self.path in PAGES else 404)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.request_queue_size = 128  # all users connect at once
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
'''


def _clean_env() -> dict[str, str]:
    """No proxies (everything is loopback), no rendezvous settings from the caller."""
    return {k: v for k, v in os.environ.items()
            if not k.lower().endswith("_proxy") and not k.startswith("H2L_")}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Processes:
    """Subprocesses of one test: started with a log file each, killed by PID at the end."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *args: str, env: dict[str, str] | None = None,
              stdout: int | None = None) -> subprocess.Popen[bytes]:
        log = open(self.tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the proc)
        proc = subprocess.Popen([sys.executable, *args], cwd=self.tmp_path,
                                stdout=stdout or log, stderr=log, stdin=subprocess.DEVNULL,
                                env={**_clean_env(), **(env or {})})
        log.close()
        self.procs.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            if proc.stdout:
                proc.stdout.close()


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.kill_all()


def _arrival_server(procs: Processes) -> tuple[str, Callable[[str], list[float]]]:
    """Start the server; return its URL and ``arrivals(path)`` → sorted arrival times."""
    script = procs.tmp_path / "arrival_server.py"
    script.write_text(ARRIVAL_SERVER, encoding="utf-8")
    log = procs.tmp_path / "arrivals.txt"
    server = procs.start("server", str(script), str(log), START_HTML, stdout=subprocess.PIPE)
    assert server.stdout is not None
    ready, _, _ = select.select([server.stdout], [], [], 15)
    assert ready, "the arrival server did not start"
    port = int(server.stdout.readline())

    def arrivals(path: str) -> list[float]:
        lines = log.read_text(encoding="utf-8").splitlines()
        return sorted(float(line.split()[0]) for line in lines if line.split()[1] == path)

    return f"http://127.0.0.1:{port}", arrivals


def _bursts(times: list[float], gap: float = 0.3) -> list[list[float]]:
    """Arrival times split where nothing arrived for ``gap`` seconds."""
    bursts: list[list[float]] = []
    for t in times:
        if bursts and t - bursts[-1][-1] < gap:
            bursts[-1].append(t)
        else:
            bursts.append([t])
    return bursts


def _spread_ms(burst: list[float]) -> float:
    return (burst[-1] - burst[0]) * 1000


def _locustfile(har: bytes, tmp_path: Path, **options: Any) -> str:
    script = tmp_path / "locustfile.py"
    script.write_text(convert(har, Options(rendezvous=("GET " + BURST,),
                                           think_time=ThinkTime("recorded"), **options)).code,
                      encoding="utf-8")
    return str(script)


def _finish(proc: subprocess.Popen[bytes], seconds: float, procs: Processes, name: str) -> int:
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name} did not end on its own within {seconds} s:\n{procs.log(name)[-3000:]}")


def _assert_bursts_of(size: int, bursts: list[list[float]], log: str, label: str) -> None:
    """Every round but the first (users still starting) and the last (cut by the stop) is a
    burst of ``size`` requests within 100 ms."""
    steady = bursts[1:-1]
    spreads = [round(_spread_ms(b), 1) for b in bursts]
    print(f"\n{label}: burst sizes {[len(b) for b in bursts]}, spreads (ms) {spreads}")
    assert len(steady) >= 4, f"too few rounds: {[len(b) for b in bursts]}\n{log[-3000:]}"
    assert [len(b) for b in steady] == [size] * len(steady), log[-3000:]
    assert max(_spread_ms(b) for b in steady) <= 100, spreads
    assert f"released {size} users after" in log and "(full)" in log


@pytest.mark.e2e
def test_local_run_sends_bursts_of_all_users(burst_har: bytes, procs: Processes) -> None:
    url, arrivals = _arrival_server(procs)
    script = _locustfile(burst_har, procs.tmp_path)
    locust = procs.start("locust", "-m", "locust", "-f", script, "--headless", "-u", "10",
                         "-r", "10", "-t", "8s", "--host", url, "--only-summary")
    assert _finish(locust, 40, procs, "locust") == 0, procs.log("locust")[-3000:]
    _assert_bursts_of(10, _bursts(arrivals(BURST)), procs.log("locust"), "local")


@pytest.mark.e2e
def test_master_and_two_workers_gather_all_users(burst_har: bytes, procs: Processes) -> None:
    url, arrivals = _arrival_server(procs)
    script = _locustfile(burst_har, procs.tmp_path)
    port = str(_free_port())
    master = procs.start("master", "-m", "locust", "-f", script, "--master", "--headless",
                         "--expect-workers", "2", "-u", "10", "-r", "10", "-t", "8s",
                         "--host", url, "--master-bind-host", "127.0.0.1",
                         "--master-bind-port", port, "--only-summary")
    workers = [procs.start(f"worker{i}", "-m", "locust", "-f", script, "--worker",
                           "--master-host", "127.0.0.1", "--master-port", port)
               for i in (1, 2)]
    assert _finish(master, 60, procs, "master") == 0, procs.log("master")[-3000:]
    for i, worker in enumerate(workers, start=1):
        _finish(worker, 15, procs, f"worker{i}")
    per_worker = [procs.log(f"worker{i}") for i in (1, 2)]
    assert all("Traceback" not in log for log in per_worker), per_worker
    _assert_bursts_of(10, _bursts(arrivals(BURST)), procs.log("master"), "distributed")


@pytest.mark.e2e
def test_fewer_users_than_the_group_are_released_by_the_timeout(
        burst_har: bytes, procs: Processes) -> None:
    """3 users, a group of 5 (from the environment), 1 s timeout (a locust option)."""
    url, arrivals = _arrival_server(procs)
    script = _locustfile(burst_har, procs.tmp_path)
    locust = procs.start("locust", "-m", "locust", "-f", script, "--headless", "-u", "3",
                         "-r", "3", "-t", "7s", "--host", url, "--only-summary",
                         "--rendezvous-timeout", "1", env={"H2L_RENDEZVOUS_USERS": "5"})
    assert _finish(locust, 40, procs, "locust") == 0, procs.log("locust")[-3000:]
    log = procs.log("locust")
    bursts = _bursts(arrivals(BURST))
    print(f"\ntimeout: burst sizes {[len(b) for b in bursts]}, "
          f"spreads (ms) {[round(_spread_ms(b), 1) for b in bursts]}")
    timed = bursts[:-1]  # the last one may be released by the stop
    assert len(timed) >= 2 and all(len(b) == 3 for b in timed), log[-3000:]
    assert max(_spread_ms(b) for b in timed) <= 100
    # each round: 1 s of wait_time, then 1 s without a new arrival
    starts = [b[0] for b in timed]
    assert all(later - earlier >= 1.9 for earlier, later in zip(starts, starts[1:], strict=False))
    assert re.search(r"released 3 users after [\d.]+ s \(timeout\)", log), log[-3000:]
    assert "(full)" not in log


@pytest.mark.e2e
def test_stopping_the_test_releases_whoever_waits(burst_har: bytes, procs: Processes) -> None:
    """Nobody is ever complete and the timeout is long: the run still ends on its own."""
    url, arrivals = _arrival_server(procs)
    script = _locustfile(burst_har, procs.tmp_path, rendezvous_users="5",
                         rendezvous_timeout=60.0)
    started = time.monotonic()
    locust = procs.start("locust", "-m", "locust", "-f", script, "--headless", "-u", "3",
                         "-r", "3", "-t", "4s", "--host", url, "--only-summary")
    _finish(locust, 30, procs, "locust")
    assert time.monotonic() - started < 20
    log = procs.log("locust")
    assert "released 3 users after" in log and "(stop)" in log, log[-3000:]
    # none before the stop: Locust's 4 s run time starts after the process does, and the
    # server's clock is the same monotonic clock (measuring from the first /start was off by
    # however long the first user took to start, and failed in a busy CI run)
    assert len(arrivals("/start")) == 3
    assert all(t - started >= 4.0 for t in arrivals(BURST)), (started, arrivals(BURST))


@pytest.mark.e2e
def test_a_lost_worker_does_not_block_the_others(burst_har: bytes, procs: Processes) -> None:
    """One of two workers is killed mid-test: the other's users keep meeting and the run ends."""
    url, arrivals = _arrival_server(procs)
    script = _locustfile(burst_har, procs.tmp_path, rendezvous_timeout=2.0)
    port = str(_free_port())
    master = procs.start("master", "-m", "locust", "-f", script, "--master", "--headless",
                         "--expect-workers", "2", "-u", "10", "-r", "10", "-t", "11s",
                         "--host", url, "--master-bind-host", "127.0.0.1",
                         "--master-bind-port", port, "--only-summary")
    workers = [procs.start(f"worker{i}", "-m", "locust", "-f", script, "--worker",
                           "--master-host", "127.0.0.1", "--master-port", port)
               for i in (1, 2)]
    deadline = time.monotonic() + 30
    while len(_bursts(arrivals(BURST))) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_bursts(arrivals(BURST))) >= 3, procs.log("master")[-3000:]
    os.kill(workers[1].pid, signal.SIGKILL)
    killed = time.monotonic()
    _finish(master, 40, procs, "master")
    _finish(workers[0], 15, procs, "worker1")
    after = _bursts([t for t in arrivals(BURST) if t > killed + 0.5])
    print(f"\nlost worker: burst sizes after the kill {[len(b) for b in after]}, "
          f"spreads (ms) {[round(_spread_ms(b), 1) for b in after]}")
    assert len(after) >= 3 and all(len(b) == 5 for b in after[:-1]), procs.log("master")[-3000:]
    assert max(_spread_ms(b) for b in after[:-1]) <= 100
