"""``har2locust-plus verify`` (issue 6): replay, compare with the recording, fix.

In process with click's CliRunner against real servers on 127.0.0.1: the fixture app (a fresh
process per test), a tiny "nonce" app whose per-request token hides in an HTML comment (where
record-based correlation does not look), and a hit counter standing in for any other origin,
which verify must never contact. The HTML report is opened in real headless chromium, in a
subprocess of its own (Playwright's sync API and gevent's monkey patching do not share a
process well).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import textwrap
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

# Import locust (gevent's monkey patching) now, at collection, before any test starts a thread:
# patching later, while the fixture app's stdout reader thread runs, deadlocks the import.
import har2locust_plus.verify.core  # noqa: F401, I001
from har2locust_plus import Options, convert
from har2locust_plus.cli import main as cli

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "fixtures"
PASSWORD = "wonderland-42"
CHROMIUM = "/usr/bin/chromium"
PREFIX = "har2locust-plus: error: "
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def verify(*args: str, quiet: bool = True) -> Result:
    return CliRunner().invoke(cli, ["verify", *(["-q"] if quiet else []), *args])


def explain(result: Result) -> str:
    return f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated scripts read the recorded password from the environment."""
    monkeypatch.setenv("H2L_PASSWORD", PASSWORD)


def fixture_app() -> Any:
    from fixtures.server import FixtureApp  # the repository root is on sys.path (conftest)

    return FixtureApp()


# --- small local servers: the nonce app and a hit counter (another origin) -------------------

SERVERS = textwrap.dedent('''
    import secrets, sys
    from flask import Flask, redirect, request
    from werkzeug.serving import make_server

    app = Flask(__name__)
    issued, hits = set(), {"track": 0}

    @app.get("/")
    def home():
        token = secrets.token_hex(16)
        issued.add(token)
        return ("<!doctype html><html><head><title>Nonce form</title></head><body>"
                f"<!-- nonce: {token} -->"
                '<form method="post" action="/submit"><input name="title"></form>'
                '<p><b id="injected">server markup</b> &lt;script&gt;</p></body></html>')

    @app.post("/submit")
    def submit():
        if request.form.get("nonce") not in issued:  # markup the HTML report must escape
            return '<b id="injected">rejected</b><script>alert(1)</script>', 403
        issued.discard(request.form["nonce"])
        return "<!doctype html><html><head><title>Saved</title></head><body>saved</body></html>"

    projects = {}

    @app.get("/projects/new")
    def new_project():
        return ("<!doctype html><html><head><title>New project</title></head><body>"
                '<form method="post" action="/projects"><input name="name">'
                '<select name="kind"><option value="team">Team</option>'
                '<option value="solo">Solo</option></select></form></body></html>')

    @app.post("/projects")
    def add_project():  # a name is taken once, as a unique constraint takes it
        name = request.form.get("name", "")
        if not name or name in projects:
            return ("<!doctype html><html><head><title>New project</title></head><body>"
                    '<p class="error">Name has already been taken</p></body></html>'), 422
        projects[name] = len(projects) + 1
        return redirect(f"/projects/{projects[name]}", 303)

    @app.get("/projects/<int:number>")
    def project(number):
        return "<!doctype html><html><head><title>Project</title></head><body>made</body></html>"

    @app.get("/away")
    def away():
        return redirect(request.args["to"], 302)

    @app.get("/track")
    def track():
        hits["track"] += 1
        return {"ok": True}

    @app.get("/__hits")
    def count():
        return hits

    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"LISTENING http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()
''')


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[Any]:
    """``start()`` → base URL of a new server process (nonce app + /track counter); every
    process started is stopped by its PID at the end."""
    script = tmp_path / "servers.py"
    script.write_text(SERVERS, encoding="utf-8")
    procs: list[subprocess.Popen[str]] = []

    def start() -> str:
        proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
        procs.append(proc)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: lines.put(proc.stdout.readline()),  # type: ignore
                         daemon=True).start()
        line = lines.get(timeout=15)
        assert line.startswith("LISTENING "), line
        return line.split()[1]

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def hits(url: str) -> int:
    with _OPENER.open(url + "/__hits", timeout=5) as response:
        return json.load(response)["track"]


def record_nonce_har(app: str, other: str, make_entry: Any, make_har: Any) -> bytes:
    """Browse the nonce app with urllib and write what happened as a HAR; between the page and
    the POST, a beacon to another origin (made up, never sent)."""
    with _OPENER.open(app + "/", timeout=5) as response:
        page = response.read().decode()
    nonce = page.split("<!-- nonce: ", 1)[1].split(" ", 1)[0]
    form = urllib.parse.urlencode({"nonce": nonce, "title": "Groceries"})
    with _OPENER.open(urllib.request.Request(app + "/submit", data=form.encode()),
                      timeout=5) as response:
        saved = response.read().decode()
    form_type = "application/x-www-form-urlencoded"
    return make_har(
        make_entry(app + "/", body=page, resource_type="document",
                   started="2026-01-01T10:00:00.000Z"),
        make_entry(other + "/track", body='{"ok": true}', mime="application/json",
                   resource_type="fetch", started="2026-01-01T10:00:00.500Z"),
        make_entry(app + "/submit", "POST", body=saved, resource_type="document",
                   headers=[("Content-Type", form_type)],
                   post_data={"mimeType": form_type, "text": form,
                              "params": [{"name": "nonce", "value": nonce},
                                         {"name": "title", "value": "Groceries"}]},
                   started="2026-01-01T10:00:01.000Z"),
    )


def record_project_har(app: str, make_entry: Any, make_har: Any) -> bytes:
    """Add the project "Garden" (typed by the user; the kind "team" chosen in the form) with
    urllib and write it as a HAR: the form page, the POST (303 to the project), the
    project's page."""
    form_type = "application/x-www-form-urlencoded"
    with _OPENER.open(app + "/projects/new", timeout=5) as response:
        new = response.read().decode()
    form = urllib.parse.urlencode({"name": "Garden", "kind": "team"})
    with _OPENER.open(urllib.request.Request(app + "/projects", data=form.encode()),
                      timeout=5) as response:
        page = response.read().decode()
        path = urllib.parse.urlsplit(response.url).path
    return make_har(
        make_entry(app + "/projects/new", body=new, resource_type="document",
                   started="2026-01-01T09:59:59.000Z"),
        make_entry(app + "/projects", "POST", status=303, body="", resource_type="document",
                   headers=[("Content-Type", form_type)],
                   response_headers=[("Location", path)],
                   post_data={"mimeType": form_type, "text": form,
                              "params": [{"name": "name", "value": "Garden"},
                                         {"name": "kind", "value": "team"}]},
                   started="2026-01-01T10:00:00.000Z"),
        make_entry(app + path, body=page, resource_type="document",
                   started="2026-01-01T10:00:00.200Z"),
    )


@pytest.mark.e2e
def test_a_name_taken_once_fails_the_second_iteration_and_fix_makes_it_unique(
        local_server: Any, make_entry: Any, make_har: Any, tmp_path: Path) -> None:
    """The first run of the flow made the project "Garden"; the second, the same name again,
    is refused (422). verify names what the request sends as typed (no earlier answer showed
    it) and, on a fresh server, --fix sends each run's own."""
    recorded_on, app = local_server(), local_server()  # the replay's server is a fresh one
    har = tmp_path / "project.har"
    har.write_bytes(record_project_har(recorded_on, make_entry, make_har))
    report, fixed = tmp_path / "verify.json", tmp_path / "fixed.py"
    broken = verify(str(har), "--host", app, "--report", str(report))
    assert broken.exit_code == 1, explain(broken)
    assert "iteration 2" in broken.stdout and "422" in broken.stdout
    assert ("step 2 passed in iteration 1 and failed in iteration 2" in broken.stdout
            and "name 'Garden'" in broken.stdout and "--unique name (" in broken.stdout), \
        explain(broken)
    typed = json.loads(report.read_text("utf-8"))["rounds"][0]["iteration_2"]["typed"]
    # the kind is the form's own option, which the page showed: not typed
    assert typed == [{"step": 2, "field": "name", "value": "Garden"}]
    repaired = verify(str(har), "--host", local_server(), "--fix", "--report", str(report),
                      "-o", str(fixed))
    assert repaired.exit_code == 0, explain(repaired)
    assert "--fix made these fields unique per run (--unique): name" in repaired.stdout
    assert json.loads(report.read_text("utf-8"))["added_unique"] == ["name"]
    assert 'f"Garden {self.name_suffix}"' in fixed.read_text("utf-8")


def test_what_a_request_sends_as_typed_is_short_text_and_no_protocol() -> None:
    """The fields verify may name for a name taken once: not a GraphQL query or its
    operation's name, not Rails' _method, not a long or multi-line text, not a password."""
    from test_correlate import api, entry

    from har2locust_plus.verify.core import _typed

    graphql = {"operationName": "AddTag", "query": "mutation AddTag($n: String!) { add(n: $n) }",
               "variables": {"name": "Zoo tag", "note": "a\nb", "password": "Secret-77"}}
    result = convert(json.dumps({"log": {"version": "1.2", "creator": {"name": "t"},
                                         "entries": [
        api("/graphql", "POST", json_body=graphql, response={"data": {}}),
        entry("/tags", "POST", form=[("_method", "put"), ("title", "Garden"),
                                     ("body", "x" * 200)], status=302, body="",
              response_headers=[("Location", "/tags/1")]),
    ]}}).encode(), Options(keep_secrets=True), name="t.har")
    first, second = result.scenario.steps[:2]
    assert _typed(first) == [("name", "Zoo tag")]
    assert _typed(second) == [("title", "Garden")]


# --- the fixture app: every HAR passes; without correlation it fails; --fix recovers --------


@pytest.mark.e2e
@pytest.mark.parametrize("har", sorted(p.name for p in FIXTURES.glob("*.har")))
def test_every_fixture_har_passes(har: str, password: None, tmp_path: Path) -> None:
    report = tmp_path / "verify.json"
    with fixture_app() as app:
        result = verify(str(FIXTURES / har), "--host", app.url, "--report", str(report))
    assert result.exit_code == 0, explain(result)
    assert "verdict: PASS" in result.stdout
    data = json.loads(report.read_text("utf-8"))
    assert data["verdict"] == "pass"
    steps = data["rounds"][0]["steps"]
    assert steps and all(s["ok"] and s["replayed_status"] == s["recorded_status"] for s in steps)
    assert data["rounds"][0]["found"] == []  # nothing dynamic left uncorrelated
    again = data["rounds"][0]["iteration_2"]  # the same user, the flow again: as recorded too
    assert data["rounds"][0]["iterations"] == 2 and again["differing"] == []
    assert len(again["steps"]) == len(steps) and all(s["ok"] for s in again["steps"])


FIX_CASES = [
    ("notes-journey.har", {"csrf_token", "note_id"}),
    ("notes-journey.firefox.har", {"csrf_token", "note_id"}),
    ("api-journey.har", {"access_token", "note_id"}),
]


@pytest.mark.e2e
@pytest.mark.parametrize(("har", "expected"), FIX_CASES)
def test_no_correlate_fails_and_fix_finds_the_values_by_replay(
        har: str, expected: set[str], password: None, tmp_path: Path) -> None:
    # --keep-secrets: without correlation the bearer token would count as a recorded secret
    args = [str(FIXTURES / har), "--no-correlate", "--keep-secrets"]
    fixed, report = tmp_path / "fixed.py", tmp_path / "verify.json"
    with fixture_app() as app:
        broken = verify(*args, "--host", app.url)
        repaired = verify(*args, "--host", app.url, "--fix", "-o", str(fixed),
                          "--report", str(report))
    assert broken.exit_code == 1, explain(broken)
    assert "verdict: FAIL" in broken.stdout
    assert "run again with --fix" in broken.stdout
    assert repaired.exit_code == 0, explain(repaired)
    data = json.loads(report.read_text("utf-8"))
    added = {rule["name"] for rule in data["added_rules"]}
    assert added == expected, data["added_rules"]
    assert data["rounds"][0]["verdict"].startswith("FAIL")
    assert data["verdict"] == "pass" and data["rounds"][-1]["passed"]
    assert "--fix added" in repaired.stdout
    for rule in data["added_rules"]:
        assert rule["name"] in repaired.stdout and rule["verified_on_replay"], rule
    # the fixed script stands on its own: it passes against yet another fresh app
    code = fixed.read_text("utf-8")
    compile(code, str(fixed), "exec")
    with fixture_app() as app:
        again = verify(str(FIXTURES / har), "--host", app.url, "--locustfile", str(fixed))
    assert again.exit_code == 0, explain(again)


@pytest.mark.e2e
def test_a_flow_without_dynamic_values_passes_without_correlation(password: None) -> None:
    with fixture_app() as app:
        result = verify(str(FIXTURES / "public-browsing.har"), "--no-correlate", "--fix",
                        "--host", app.url, quiet=False)
    assert result.exit_code == 0, explain(result)
    assert "--fix: nothing to add" in result.stdout
    assert "step 1/3 GET " in result.stderr and "step 3/3 GET " in result.stderr  # progress


# --- replay-based correlation finds what record-based correlation cannot see ----------------


@pytest.mark.e2e
def test_replay_finds_a_token_in_an_html_comment(local_server: Any, make_entry: Any,
                                                 make_har: Any, tmp_path: Path) -> None:
    app, other = local_server(), local_server()
    har = tmp_path / "nonce.har"
    har.write_bytes(record_nonce_har(app, other, make_entry, make_har))
    plain = convert(har, Options())
    assert plain.report.correlations == ()  # the comment is no source for record-based rules
    assert [s.label for s in plain.scenario.steps] == ["GET /", "POST /submit"]

    report, page, fixed = tmp_path / "verify.json", tmp_path / "verify.html", tmp_path / "f.py"
    broken = verify(str(har), "--host", app, "--html", str(page))
    assert broken.exit_code == 1, explain(broken)
    assert "403" in broken.stdout and "nonce:" in broken.stdout  # found, not yet fixed
    repaired = verify(str(har), "--host", app, "--fix", "--report", str(report), "-o", str(fixed))
    assert repaired.exit_code == 0, explain(repaired)
    data = json.loads(report.read_text("utf-8"))
    [rule] = data["added_rules"]
    assert rule["name"] == "nonce" and rule["source_step"] == 1 and rule["used_by"] == [2]
    assert "nonce" in rule["regex"]
    assert "self.nonce" in fixed.read_text("utf-8")
    assert hits(other) == 0  # the beacon to the other origin was never sent


@pytest.mark.e2e
@pytest.mark.parametrize("user_class", ["FastHttpUser", "HttpUser"])
def test_requests_and_redirects_to_other_hosts_are_refused(
        user_class: str, local_server: Any, make_entry: Any, make_har: Any,
        tmp_path: Path) -> None:
    app, other = local_server(), local_server()
    har = tmp_path / "nonce.har"
    har.write_bytes(record_nonce_har(app, other, make_entry, make_har))
    script = tmp_path / "mine.py"
    script.write_text(textwrap.dedent(f"""
        from locust import {user_class}, task

        class Mine({user_class}):
            @task
            def journey(self):
                self.client.get("/", name="page")
                self.client.get({other + "/track"!r}, name="beacon")
                self.client.get("/away?to=" + {other + "/track"!r}, name="redirect away")
    """), encoding="utf-8")
    result = verify(str(har), "--host", app, "--locustfile", str(script))
    assert result.exit_code == 1, explain(result)
    assert "skipped: other host" in result.stdout
    assert "refused" in result.stdout
    assert hits(other) == 0


# --- usage and bad input ----------------------------------------------------------------------


def one_error_line(result: Result) -> str:
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, explain(result)
    assert len(lines) == 1 and lines[0].startswith(PREFIX), lines
    return lines[0].removeprefix(PREFIX)


def test_unreachable_host_is_one_line_and_exit_2() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        result = verify(str(FIXTURES / "public-browsing.har"), "--host",
                        f"http://127.0.0.1:{port}")
    assert "cannot connect to 127.0.0.1" in one_error_line(result)


@pytest.mark.parametrize(("args", "message"), [
    (["missing.har", "--host", "http://127.0.0.1:9"], "missing.har"),
    ([str(FIXTURES / "public-browsing.har")], "--host"),
    ([str(FIXTURES / "public-browsing.har"), "--host", "ftp://x"], "--host"),
    ([str(FIXTURES / "public-browsing.har"), "--host", "http://127.0.0.1:9", "--fix",
      "--locustfile", "x.py"], "--fix"),
    ([str(FIXTURES / "public-browsing.har"), "--host", "http://127.0.0.1:9", "--bogus"],
     "--bogus"),
])
def test_usage_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    assert message in one_error_line(verify(*args))


def test_the_main_command_still_converts() -> None:
    result = CliRunner().invoke(cli, [str(FIXTURES / "public-browsing.har"), "-q"])
    assert result.exit_code == 0 and "class " in result.stdout


@pytest.mark.e2e
def test_missing_secret_is_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("H2L_PASSWORD", raising=False)
    with fixture_app() as app:
        result = verify(str(FIXTURES / "notes-journey.har"), "--host", app.url)
    assert "PASSWORD" in one_error_line(result)


# --- pieces of the replay-based engine ---------------------------------------------------------


def test_differing_tokens_are_trimmed_to_the_part_that_changed() -> None:
    from har2locust_plus.verify.compare import aligned_differences, trim_common

    assert trim_common("/notes/792040/delete", "/notes/801234/delete") == ("792040", "801234")
    assert trim_common("csrf=abc123xyz", "csrf=qrs456tuv") == ("abc123xyz", "qrs456tuv")
    assert trim_common("abcdef12", "abXdef12") == ("abcdef12", "abXdef12")  # no cut point
    old = '<input name="t" value="aaaa1111"><p>same words</p>'
    new = '<input name="t" value="bbbb2222"><p>same words</p>'
    assert list(aligned_differences(old, new)) == [("aaaa1111", "bbbb2222")]


@pytest.mark.parametrize(("text", "name"), [
    ('<input type="hidden" name="csrf_token" value="VALUE">', "csrf_token"),
    ('<meta name="csrf-token" content="VALUE">', "csrf_token"),
    ('<div data-nonce="VALUE">', "nonce"),
    ("<!-- nonce: VALUE -->", "nonce"),
    ('{"access_token": "VALUE"}', "access_token"),
    ('{"id": VALUE}', "note_id"),
    ('<a href="/orders/VALUE/edit">', "order_id"),
    ("window.sessionKey = 'VALUE';", "session_key"),
])
def test_rule_names_come_from_the_text_before_the_value(text: str, name: str) -> None:
    from har2locust_plus import ir
    from har2locust_plus.verify.compare import context_name

    step = ir.Step(entry_index=0, request=ir.Request(
        "POST", "http", "h", ir.Template.literal("/api/notes"), (), "", ()), response=None,
        started=None, duration_ms=0, page_ref=None, resource_type=None)
    position = text.index("VALUE")
    assert context_name(text, position, text[:position], step) == name


# --- the HTML report in real headless chromium ------------------------------------------------

CHROMIUM_CHECK = textwrap.dedent('''
    import json, sys
    from playwright.sync_api import sync_playwright

    page_path, shot = sys.argv[1], sys.argv[2]
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
    errors, requests, dialogs = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=args)
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto("file://" + page_path)
        page.wait_for_load_state("load")
        last = page.locator("section.round").last
        result = {
            "title": page.title(),
            "verdict": page.locator("#verdict").inner_text(),
            "steps": last.locator("ol.flow li.step .mono").all_inner_texts(),
            "failed": last.locator("li.step.failed").count(),
            "arrows": page.locator("path.arrow").count(),
            "diffs": page.locator("details.diff").count(),
            "injected": page.locator("#injected").count(),
        }
        page.check("#only-failures")
        result["dimmed"] = page.evaluate("document.body.classList.contains('only-failures')")
        page.screenshot(path=shot, full_page=True)
        browser.close()
    result.update(errors=errors, requests=[u for u in requests if not u.startswith("file:")],
                  dialogs=dialogs)
    print(json.dumps(result))
''')


def _chromium(page: Path, shot: Path) -> dict[str, Any]:
    script = page.parent / "chromium_check.py"
    script.write_text(CHROMIUM_CHECK, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    done = subprocess.run([sys.executable, str(script), str(page), str(shot)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _browser_available() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright python package is not installed"
    return ""


@pytest.mark.e2e
@pytest.mark.skipif(bool(_browser_available()), reason=_browser_available() or "ok")
def test_html_report_renders_in_headless_chromium(password: None, local_server: Any,
                                                  make_entry: Any, make_har: Any,
                                                  tmp_path: Path) -> None:
    page, shot = tmp_path / "verify.html", tmp_path / "verify.png"
    with fixture_app() as app:
        result = verify(str(FIXTURES / "notes-journey.har"), "--no-correlate", "--keep-secrets",
                        "--fix", "--host", app.url, "--html", str(page))
    assert result.exit_code == 0, explain(result)
    seen = _chromium(page, shot)
    assert seen["errors"] == [] and seen["dialogs"] == [] and seen["requests"] == []
    assert seen["title"].startswith("verify notes-journey.har")
    assert seen["verdict"].startswith("PASS")
    assert len(seen["steps"]) == 11
    assert seen["steps"][0] == "GET /" and seen["steps"][7] == "POST /notes/{note_id}/delete"
    assert seen["failed"] == 0 and seen["arrows"] >= 4 and seen["diffs"] >= 1  # round 1's
    assert seen["dimmed"] is True
    assert shot.stat().st_size > 10_000

    # a failing run: server text shows up in the diffs as text, never as markup
    app_url, other = local_server(), local_server()
    har = tmp_path / "nonce.har"
    har.write_bytes(record_nonce_har(app_url, other, make_entry, make_har))
    failing = tmp_path / "failing.html"
    assert verify(str(har), "--host", app_url, "--html", str(failing)).exit_code == 1
    assert '<b id="injected">' not in failing.read_text("utf-8")
    seen = _chromium(failing, tmp_path / "failing.png")
    assert seen["errors"] == [] and seen["injected"] == 0 and seen["requests"] == []
    assert seen["verdict"].startswith("FAIL") and seen["failed"] == 1 and seen["diffs"] == 1
