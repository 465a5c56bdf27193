"""Transactions (issue 13, section 2): each page of a generated script is one more row in
Locust's statistics, of type PAGE, timed over its requests and failed by the first of them
that failed.

The run-time helper (``runtime/transactions.py``) is driven in process through a real Locust
environment and its real request event, with users as concurrent greenlets; the generated
scripts run in real Locust against the fixture app, headless and as a master with a worker,
and the rows are checked against each other and against the app's own counters.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import gevent
import pytest
from click.testing import CliRunner
from locust import User
from locust.env import Environment
from locust.event import Events
from locust.exception import RescheduleTask, StopUser

from har2locust_plus import Options, ThinkTime, convert
from har2locust_plus.cli import main as cli_main
from har2locust_plus.runtime import transactions as runtime
from har2locust_plus.runtime.transactions import open_transactions, transaction

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "fixtures"
PASSWORD = {"H2L_PASSWORD": "wonderland-42"}  # the fixture account's password: the script's
# --password option reads it
MY_NOTES = ("expected the body to contain '<title>Notes — My notes</title>' "
            "(got the page 'Notes — Something went wrong')")
# the pages with a GET /notes, which sabotage=["title"] breaks: the page that logs in (and is
# redirected to the list), the list, and the delete (redirected to the list too)
SABOTAGED_PAGES = {"03 POST /login": f"step 4 GET /notes: {MY_NOTES}",
                   "07 GET /notes": f"step 7 GET /notes: {MY_NOTES}",
                   "08 POST /notes/{note_id}/delete": f"step 9 GET /notes: {MY_NOTES}"}


# --- the run-time helper, in process -----------------------------------------------------------


class Recorder:
    """A real Locust environment with its own events; ``pages`` are the PAGE events fired."""

    def __init__(self) -> None:
        self.environment = Environment(user_classes=[User], events=Events())
        self.pages: list[dict] = []
        self.environment.events.request.add_listener(self.record)

    def record(self, **event: object) -> None:
        if event["request_type"] == "PAGE":
            self.pages.append(event)

    def user(self) -> User:
        return User(self.environment)

    def request(self, name: str, start: float, ms: float, length: int = 100,
                exception: Exception | None = None) -> None:
        """What FastHttpSession fires when a response is complete."""
        self.environment.events.request.fire(
            request_type="GET", name=name, response_time=ms, response_length=length,
            response=None, context={}, exception=exception, start_time=start, url=name)


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


def test_a_page_spans_its_requests_and_adds_their_bytes(rec: Recorder) -> None:
    user = rec.user()
    with transaction(user, "03 Log in"):
        rec.request("03 /login", start=1000.0, ms=40, length=10)  # 1000.000 .. 1000.040
        rec.request("04 /notes", start=1000.100, ms=50, length=32)  # 1000.100 .. 1000.150
    [page] = rec.pages
    assert page["name"] == "03 Log in"
    assert page["response_time"] == pytest.approx(150)  # first byte sent .. last byte received
    assert page["response_length"] == 42
    assert page["exception"] is None
    assert page["start_time"] == 1000.0
    assert open_transactions == {}


def test_a_pause_inside_a_page_is_not_its_response_time(rec: Recorder) -> None:
    """``think`` sleeps, and the pages running in the user's greenlet leave that time out: the
    user read the page, the server did nothing. Before the page's first request it is no part
    of the page either way; another user's pages are not touched."""
    user = rec.user()
    other_page = runtime.Transaction("other")
    open_transactions[object()] = [other_page]  # another greenlet's page
    try:
        with transaction(user, "04 Home"):
            runtime.think(0.05)  # before the first request: nothing to leave out
            start = time.time()
            rec.request("04 /api/a", start=start, ms=10)
            runtime.think(0.2)
            rec.request("05 /api/b", start=time.time(), ms=10)
    finally:
        open_transactions.clear()
    [page] = rec.pages
    assert time.time() - start >= 0.2
    assert page["response_time"] < 120, page["response_time"]  # 20 ms of requests, not 220
    assert other_page.paused == 0.0


def test_the_first_failure_fails_the_page_with_its_message(rec: Recorder) -> None:
    first, second = ValueError("step 4 GET /notes: expected status 200, got 500"), \
        ValueError("step 5 POST /notes: expected status 302, got 400")
    with transaction(rec.user(), "03 Log in"):
        rec.request("03 /login", start=1.0, ms=10)
        rec.request("04 /notes", start=1.1, ms=10, exception=first)
        rec.request("05 /notes", start=1.2, ms=10, exception=second)
    assert [p["exception"] for p in rec.pages] == [first]


@pytest.mark.parametrize("stop", [RescheduleTask, StopUser])
def test_a_flow_stopped_inside_the_page_reports_it_failed_then_goes_on(
        rec: Recorder, stop: type[Exception]) -> None:
    failure = ValueError("csrf_token not found in step 2 GET /login")
    with pytest.raises(stop):
        with transaction(rec.user(), "02 Log in form"):
            rec.request("02 /login", start=5.0, ms=20, exception=failure)
            raise stop()
    [page] = rec.pages
    assert page["exception"] is failure and page["response_time"] == pytest.approx(20)
    # stopped without a failed request (edited scripts): the stop itself is the failure
    with pytest.raises(stop):
        with transaction(rec.user(), "03 Log in"):
            raise stop()
    assert isinstance(rec.pages[1]["exception"], stop)
    assert rec.pages[1]["response_time"] == 0
    assert open_transactions == {}


def test_a_user_killed_inside_a_page_reports_nothing(rec: Recorder) -> None:
    """The test ends in the middle of a page: it neither passed nor failed."""
    def page() -> None:
        with transaction(rec.user(), "03 Log in"):
            rec.request("03 /login", start=1.0, ms=10)
            gevent.sleep(10)

    greenlet = gevent.spawn(page)
    gevent.sleep(0.01)
    greenlet.kill(block=True, timeout=5)
    assert greenlet.dead and rec.pages == []
    assert open_transactions == {}


def test_concurrent_users_each_count_only_their_own_requests(rec: Recorder) -> None:
    """Users interleave in one process: each page sees only its own user's requests."""
    def flow(user_no: int, fail: bool) -> None:
        with transaction(rec.user(), f"page of user {user_no}"):
            for i in range(5):
                rec.request(f"r{i}", start=time.time(), ms=1, length=user_no,
                            exception=ValueError(f"user {user_no} step {i}") if fail else None)
                gevent.sleep(0.001)  # let the other users send theirs

    def outsider() -> None:  # a user with no page open: its requests belong to no page
        for _ in range(5):
            rec.request("other", start=time.time(), ms=1, length=1000,
                        exception=ValueError("not mine"))
            gevent.sleep(0.001)

    users = [gevent.spawn(flow, n, n == 2) for n in (1, 2, 3)] + [gevent.spawn(outsider)]
    gevent.joinall(users, timeout=10, raise_error=True)
    by_name = {p["name"]: p for p in rec.pages}
    assert sorted(by_name) == ["page of user 1", "page of user 2", "page of user 3"]
    for n in (1, 2, 3):
        assert by_name[f"page of user {n}"]["response_length"] == 5 * n
    assert by_name["page of user 1"]["exception"] is None
    assert by_name["page of user 3"]["exception"] is None
    assert str(by_name["page of user 2"]["exception"]) == "user 2 step 0"


def test_a_request_fired_by_hand_counts_and_a_page_inside_a_page_counts_once(
        rec: Recorder) -> None:
    user = rec.user()
    with transaction(user, "checkout"):
        with transaction(user, "05 Pay"):
            rec.request("05 /pay", start=time.time(), ms=5, length=7)
            # from_cookie fires a failure of its own, without start_time
            user.environment.events.request.fire(
                request_type="COOKIE", name="csrftoken", response_time=0, response_length=0,
                response=None, context={}, exception=LookupError("no cookie csrftoken"))
    inner, outer = rec.pages
    assert (inner["name"], outer["name"]) == ("05 Pay", "checkout")
    assert inner["response_length"] == outer["response_length"] == 7  # not counted twice
    assert isinstance(inner["exception"], LookupError)
    assert outer["exception"] is inner["exception"]


def test_the_listener_is_added_once_per_environment(rec: Recorder) -> None:
    for _ in range(3):
        with transaction(rec.user(), "01 Home"):
            pass
    handlers = rec.environment.events.request._handlers
    assert handlers.count(runtime.transaction_request) == 1
    assert [p["response_time"] for p in rec.pages] == [0, 0, 0]


# --- the generated code -------------------------------------------------------------------------


def _pages(code: str) -> dict[str, list[str]]:
    """PAGE name -> the request names inside it, from a generated script."""
    pages: dict[str, list[str]] = {}
    for fn in ast.walk(ast.parse(code)):
        if not isinstance(fn, ast.FunctionDef) or fn.name == "transaction":
            continue
        withs = [w for w in fn.body if isinstance(w, ast.With)]
        calls = [w.items[0].context_expr for w in withs]
        names = [c.args[1].value for c in calls if isinstance(c, ast.Call)
                 and isinstance(c.func, ast.Name) and c.func.id == "transaction"]
        if names:
            requests = [kw.value.value for node in ast.walk(fn) if isinstance(node, ast.Call)
                        for kw in node.keywords if kw.arg == "name"]
            pages[names[0]] = requests
    return pages


def test_every_page_method_is_one_transaction_named_by_its_first_step() -> None:
    result = convert(FIXTURES / "notes-journey.har", Options())
    pages = _pages(result.code)
    assert list(pages) == ["01 Notes — Home", "02 GET /login", "03 POST /login",
                           "05 POST /notes", "07 GET /notes", "08 POST /notes/{note_id}/delete",
                           "10 GET /logout"]
    assert pages["03 POST /login"] == ["03 /login", "04 /notes"]  # the redirect hop included
    tree = ast.parse(result.code)
    user_class = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    page_methods = [f for f in user_class.body if isinstance(f, ast.FunctionDef)
                    and f.name not in ("__init__", "on_start", "journey")]
    # the whole body after the docstring is the transaction
    assert all(len(f.body) == 2 and isinstance(f.body[1], ast.With) for f in page_methods)
    runtime_source = (REPO_ROOT / "har2locust_plus" / "runtime" / "transactions.py").read_text(
        encoding="utf-8")
    for definition in ("class Transaction:", "def transaction_request(", "def transaction("):
        block = runtime_source.split(definition, 1)[1].split("\n\n\n", 1)[0]
        assert definition + block in result.code  # copied unchanged
    assert "from contextlib import contextmanager" in result.code
    assert "har2locust_plus" not in result.code
    compile(result.code, "locustfile.py", "exec")


def test_no_transactions_leaves_the_pages_as_they_were(tmp_path: Path) -> None:
    out = tmp_path / "locustfile.py"
    run = CliRunner().invoke(cli_main, [str(FIXTURES / "notes-journey.har"), "-q",
                                        "--no-transactions", "-o", str(out)])
    assert run.exit_code == 0, run.output
    code = out.read_text(encoding="utf-8")
    assert "transaction" not in code and "PAGE" not in code
    assert "contextlib" not in code and "getcurrent" not in code
    with_pages = convert(FIXTURES / "notes-journey.har", Options()).code
    assert "def transaction(" in with_pages
    assert len(_pages(with_pages)) == 7


# --- real Locust against the fixture app ------------------------------------------------------


def _app(**kwargs):
    from fixtures.server import FixtureApp  # the repository root is on sys.path (conftest)

    return FixtureApp(**kwargs)


def _script(tmp_path: Path) -> tuple[Path, dict[str, list[str]]]:
    result = convert(FIXTURES / "notes-journey.har", Options(think_time=ThinkTime("none")))
    path = tmp_path / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    return path, _pages(result.code)


def _final(prefix: Path) -> dict[tuple[str, str], dict]:
    """(type, name) -> the stats entry Locust wrote with --json-file at the end of the run."""
    entries = json.loads(Path(f"{prefix}.json").read_text(encoding="utf-8"))
    return {(e["method"], e["name"]): e for e in entries}


def _check_pages(final: dict, pages: dict[str, list[str]], state: dict, failing: dict[str, str],
                 failure_rows: list[dict[str, str]], output: str) -> None:
    """Every PAGE row against the iterations, its requests and the app's counters."""
    why = f"\n{json.dumps(sorted(map(list, final)))}\nstate={state}\n{output[-2500:]}"
    last = final[("PAGE", list(pages)[-1])]["num_requests"]  # completed iterations
    assert last > 0, why
    assert state["logins"]["form"].get("alice") == last, why  # the server saw them all
    assert state["notes"]["created"].get("alice") == last, why
    for page, requests in pages.items():
        row = final[("PAGE", page)]
        assert row["num_requests"] == last, (page, why)
        mean = row["total_response_time"] / row["num_requests"]
        means = [final[(t, n)]["total_response_time"] / final[(t, n)]["num_requests"]
                 for t, n in final if n in requests and t != "PAGE"]
        assert len(means) == len(requests), (page, why)
        assert mean >= sum(means) - 0.5, (page, mean, means)  # 0.5 ms: clock rounding
        assert row["num_failures"] == (last if page in failing else 0), (page, why)
    for page, message in failing.items():
        errors = [r["Error"] for r in failure_rows if (r["Method"], r["Name"]) == ("PAGE", page)]
        assert len(errors) == 1 and message in errors[0], (page, failure_rows)


@pytest.mark.e2e
def test_pages_are_rows_of_the_stats_in_a_headless_run(tmp_path: Path, run_locust) -> None:
    script, pages = _script(tmp_path)
    with _app() as app:
        run = run_locust(script, app.url, tmp_path, seconds=6, users=4,
                         extra=("--stop-timeout", "5"), env=PASSWORD)
        state = app.state()
    assert run.failed == 0, run.explain()
    csv_pages = [r["Name"] for r in run.stats if r["Type"] == "PAGE"]
    assert sorted(csv_pages) == sorted(pages), run.explain()  # the CSV has them too
    _check_pages(_final(tmp_path / "locust"), pages, state, {}, run.failures, run.output)


@pytest.mark.e2e
@pytest.mark.parametrize(("think", "line", "pause"), [
    ("recorded", "think(1.5)  # recorded think time inside the page", 1.5),
    ("2-2", "think(self.wait_time())  # the user paused here: --think-time's range", 2.0),
])
def test_a_pause_inside_a_page_is_slept_and_left_out_of_the_page_s_time(
        tmp_path: Path, run_locust, think: str, line: str, pause: float) -> None:
    """The API journey is one page (a single-page client) with a recorded pause of 1.5 s
    before a call: with the recorded think time the run sleeps it (with a range, as long as
    Locust's ``wait_time`` says), iterations are spaced by it, and the page's row times the
    requests, not the pause."""
    result = convert(FIXTURES / "api-journey.har", Options(think_time=ThinkTime.parse(think)))
    assert result.code.count(line) == 1
    [page] = _pages(result.code)
    script = tmp_path / "locustfile.py"
    script.write_text(result.code, encoding="utf-8")
    seconds, users = 6, 2
    with _app() as app:
        run = run_locust(script, app.url, tmp_path, seconds=seconds, users=users,
                         extra=("--stop-timeout", "5"), env=PASSWORD)
        state = app.state()
    assert run.failed == 0, run.explain()
    row = _final(tmp_path / "locust")[("PAGE", page)]
    why = f"{row}\n{state}\n{run.explain()}"
    # at most one iteration per pause per user (and one each that the stop-timeout finished)
    assert 0 < row["num_requests"] <= users * (seconds / pause + 1), why
    assert row["total_response_time"] / row["num_requests"] < 1000, why  # not the 1.5 s
    assert sum(state["logins"]["api"].values()) >= row["num_requests"], why  # the app's own


@pytest.mark.e2e
def test_a_sabotaged_step_fails_its_page_with_the_step_message(tmp_path: Path,
                                                               run_locust) -> None:
    script, pages = _script(tmp_path)
    with _app(sabotage=["title"]) as app:  # GET /notes shows "Something went wrong"
        run = run_locust(script, app.url, tmp_path, seconds=5, users=3,
                         extra=("--stop-timeout", "5", "--continue-on-failure"), env=PASSWORD)
        state = app.state()
    failing = SABOTAGED_PAGES
    _check_pages(_final(tmp_path / "locust"), pages, state, failing, run.failures, run.output)


@pytest.mark.e2e
def test_a_failed_step_fails_its_page_and_ends_the_run_of_the_flow(tmp_path: Path,
                                                                   run_locust) -> None:
    script, pages = _script(tmp_path)
    with _app(sabotage=["title"]) as app:
        run = run_locust(script, app.url, tmp_path, seconds=5, users=3,
                         extra=("--stop-timeout", "5"), env=PASSWORD)
        state = app.state()
    final = _final(tmp_path / "locust")
    why = f"\n{sorted(final)}\nstate={state}\n{run.output[-2500:]}"
    login = final[("PAGE", "03 POST /login")]
    # step 4 (inside the login page) fails every time: the page fails, no later page runs
    assert login["num_requests"] == login["num_failures"] > 0, why
    assert {name for kind, name in final if kind == "PAGE"} == set(list(pages)[:3]), why
    assert state["logins"]["form"].get("alice") == login["num_requests"], why
    assert state["notes"]["created"] == {}, why
    errors = [r["Error"] for r in run.failures if r["Method"] == "PAGE"]
    assert errors and all(SABOTAGED_PAGES["03 POST /login"] in e for e in errors), why


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.e2e
def test_pages_add_up_across_a_master_and_a_worker(tmp_path: Path) -> None:
    """A worker reports its pages and the master adds them up.

    The master runs with --autostart and --autoquit, not --headless: at a headless run's
    --run-time Locust's master sends ``quit`` and waits only 0.5 s for the workers' last
    report, while each worker first lets its users finish their iteration (--stop-timeout), so
    on a loaded machine the last seconds of a worker's statistics can miss the master's final
    JSON (locust issue 1426; seen here once: 203 iterations counted, 237 made). With
    --autostart the run-time limit sends ``stop``, waits for the worker to stop its users, and
    --autoquit leaves the worker's periodic report (every 3 s) the time to arrive."""
    script, pages = _script(tmp_path)
    port = str(_free_port())
    web_port = str(_free_port())
    env = {**{k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
           **PASSWORD}
    prefix = tmp_path / "locust"
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> subprocess.Popen[bytes]:
        with open(tmp_path / f"{name}.log", "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "locust", "-f", str(script), *args],
                                    cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, env=env)
        procs.append(proc)
        return proc

    with _app(sabotage=["title"]) as app:
        try:
            master = start("master", "--master", "--autostart", "--autoquit", "8",
                           "--web-host", "127.0.0.1", "--web-port", web_port,
                           "--expect-workers", "1",
                           "-u", "4", "-r", "4", "-t", "6s", "--host", app.url,
                           "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
                           "--stop-timeout", "5", "--csv", str(prefix),
                           "--json-file", str(prefix), "--only-summary",
                           # the script's own option, given to the master: the worker gets it
                           "--continue-on-failure")
            worker = start("worker", "--worker", "--master-host", "127.0.0.1",
                           "--master-port", port, "--stop-timeout", "5")
            master.wait(timeout=60)
            worker.wait(timeout=15)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
        state = app.state()
    logs = {n: (tmp_path / f"{n}.log").read_text("utf-8", "replace") for n in ("master", "worker")}
    assert "Traceback" not in logs["worker"], logs["worker"][-3000:]
    with open(f"{prefix}_failures.csv", newline="", encoding="utf-8") as handle:
        failure_rows = list(csv.DictReader(handle))
    failing = SABOTAGED_PAGES
    _check_pages(_final(prefix), pages, state, failing, failure_rows, logs["master"])


@pytest.mark.e2e
def test_pages_show_in_the_web_ui(tmp_path: Path) -> None:
    """The web UI's statistics (the JSON its table is drawn from) list the pages too."""
    script, pages = _script(tmp_path)
    port = _free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
           **PASSWORD}
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    rows: dict[str, dict] = {}
    with _app() as app, open(tmp_path / "web.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(script), "--web-host", "127.0.0.1",
             "--web-port", str(port), "--autostart", "-u", "2", "-r", "2", "--host", app.url],
            cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=env)
        try:
            deadline = time.monotonic() + 30
            while len(rows) < len(pages) and time.monotonic() < deadline:
                time.sleep(0.5)
                try:
                    answer = no_proxy.open(f"http://127.0.0.1:{port}/stats/requests", timeout=5)
                except OSError:
                    continue  # not listening yet
                rows = {r["name"]: r for r in json.load(answer)["stats"]
                        if r["method"] == "PAGE"}
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    log_text = (tmp_path / "web.log").read_text("utf-8", "replace")
    assert sorted(rows) == sorted(pages), log_text[-3000:]
    assert all(r["num_requests"] > 0 and r["num_failures"] == 0 for r in rows.values()), rows


@pytest.mark.e2e
def test_verify_replays_requests_not_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`har2locust-plus verify` records the request events of a run: the PAGE events of the
    transactions are not requests (no response, a name that starts with a step number)."""
    from har2locust_plus.verify.replay import load_user_class, run_flow

    monkeypatch.setenv("H2L_PASSWORD", PASSWORD["H2L_PASSWORD"])
    script, _ = _script(tmp_path)
    with _app() as app:
        replay = run_flow(load_user_class(script), app.url, iterations=1)
    assert replay.error is None and replay.stopped is None, replay
    assert [e.step for e in replay.exchanges] == list(range(1, 12))
    assert all(e.method in ("GET", "POST") and e.failure is None for e in replay.exchanges)
