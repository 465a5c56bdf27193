"""Zoo (issue 12): a Flask-WTF + Flask-Login tasks site, recorded in Chromium, replayed by Locust.

The HAR (``fixtures/zoo/flaskwtf/flaskwtf.har``, see ``fixtures/zoo/README.md``) logs in through
a Flask-WTF form, creates a task (form), edits it, adds a subtask by fetch (JSON ``itemid``, then
an HTML fragment ``/tasks/rows?ids=<itemid>`` with a nonce'd delete link), deletes the subtask by
fetch, reads the per-login API key shown in ``<pre>`` and sends it in ``X-Flask-API-Key``, trashes
the task by its nonce link and logs out by a ``&#038;_nonce=`` link.

Every run is against a fresh app process (new secrets, task ids from another random base, alice's
user id 2..9 instead of the recorded 1, a port other than the recorded one) and is judged by the
server's own counters (``GET /__state``), not only by Locust's statistics.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, locust_headless

from har2locust_plus import Options, Result, ThinkTime, convert

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "flaskwtf" / "flaskwtf.har"
RECORDED_PASSWORD = "hunter2-tasks"  # alice's password in the recording (fixtures/zoo/flaskwtf)
EDITED_TITLE = "Buy milk and eggs"
USERS = 3
# Each iteration: log in, create by form, edit, create by fetch, delete it, one API call,
# trash the first task, log out. The counters /__state keeps per user:
PER_ITERATION = ("logins", "created_form", "edited", "created_xhr", "deleted", "api_calls",
                 "trashed", "logouts")

def _app(**kwargs: Any) -> Any:
    from fixtures.zoo.flaskwtf.server import FlaskWtfApp  # the repo root is on sys.path (conftest)

    return FlaskWtfApp(**kwargs)


def _convert(**options: object) -> Result:
    return convert(HAR, Options(think_time=ThinkTime("none"), **options))


@pytest.fixture(scope="module")
def correlated() -> Result:
    return _convert()


@pytest.fixture(scope="module")
def password_env(correlated: Result) -> str:
    """The environment variable the script reads alice's password from."""
    (secret,) = correlated.scenario.secrets
    assert secret.kind == "password"
    return secret.env


@pytest.fixture(scope="module")
def fresh_app() -> Iterator[Any]:
    """One fresh instance for the tests that leave it unchanged (nothing gets created)."""
    with _app() as app:
        yield app


@pytest.fixture(scope="module")
def wrong_password_app() -> Iterator[Any]:
    """alice's password here is not the one the script is given."""
    with _app(password="not-" + RECORDED_PASSWORD) as app:
        yield app


def _run(code: str, app: Any, tmp_path: Path, env_name: str, seconds: int) -> LocustRun:
    script = tmp_path / "locustfile.py"
    script.write_text(code, encoding="utf-8")
    return locust_headless(
        script, app.url, tmp_path, seconds=seconds, users=USERS,
        extra=("--stop-timeout", "5"),  # every user finishes its iteration
        env={env_name: RECORDED_PASSWORD},
    )


def _explain(run: LocustRun, state: dict) -> str:
    summary = {k: state[k] for k in ("users", "counters", "rejections", "sentinels_intact")}
    return f"{run.explain()}\nserver state: {summary}"


def _verify(app: Any, env_name: str) -> subprocess.CompletedProcess[str]:
    """``har2locust-plus verify`` in a subprocess (it imports locust, i.e. gevent's patching)."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env |= {env_name: RECORDED_PASSWORD, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "har2locust_plus", "verify", "-q", str(HAR), "--host", app.url],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure, and every iteration did all of its work on the server (also used by
    tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    counters = state["counters"]
    iterations = counters["logins"].get("alice", 0)
    assert iterations > 0, why
    for kind in PER_ITERATION:  # whole iterations only, each doing all of its work
        assert counters[kind] == {"alice": iterations}, f"{kind}: {why}"
    assert counters["failed_logins"] == {} and state["rejections"] == {}, why
    assert state["sentinels_intact"], why
    tasks = state["tasks"]  # non-sentinel tasks: the subtasks are gone, the tasks trashed+edited
    assert [t for t in tasks if t["parent_id"] is not None] == [], why
    assert len(tasks) == iterations, why
    assert all(t["owner"] == "alice" and t["state"] == "trash" and t["title"] == EDITED_TITLE
               and t["edits"] == 1 for t in tasks), why


def test_journey_replays_with_full_lifecycle_on_a_fresh_app(
    correlated: Result, password_env: str, tmp_path: Path
) -> None:
    with _app() as app:
        assert urlsplit(app.url).port != urlsplit(correlated.scenario.main_origin).port
        assert app.state()["users"]["alice"] != 1  # recorded as 1: page=1 must stay literal
        run = _run(correlated.code, app, tmp_path, password_env, seconds=15)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_without_correlation_the_replay_fails_and_creates_nothing(
    fresh_app: Any, password_env: str, tmp_path: Path
) -> None:
    code = _convert(correlate=False).code
    run = _run(code, fresh_app, tmp_path, password_env, seconds=5)
    state = fresh_app.state()
    why = _explain(run, state)
    assert run.failed > 0, why
    counters = state["counters"]
    assert counters["created_form"] == counters["created_xhr"] == counters["logins"] == {}, why
    assert state["rejections"].get("csrf", 0) > 0, why  # the recorded csrf_token: 400
    assert state["sentinels_intact"] and state["tasks"] == [], why


def test_a_trash_link_the_app_ignores_fails_the_step(
    correlated: Result, password_env: str, tmp_path: Path
) -> None:
    """The trash link (a GET with the task's id in its query) answered as usual, a 302 to the
    list with "Task moved to the trash.", while nothing was trashed: the list it lands on still
    links to the task (``id=<task>``), which the recorded list after the trash did not."""
    with _app(ignore_trash=True) as app:
        run = _run(correlated.code, app, tmp_path, password_env, seconds=5)
        state = app.state()
    why = _explain(run, state)
    ignored = state["counters"]["trash_ignored"].get("alice", 0)
    assert ignored > 0 and state["counters"]["trashed"] == {}, why
    landing = next(name for name in run.final if name.startswith("17 "))
    sent, failed = run.final[landing]
    # every list after an ignored trash failed (a run the stop cut between the two sent none)
    assert 0 < sent == failed <= ignored, why
    assert any("the page still names id=" in row["Error"] and "did not remove it" in row["Error"]
               for row in run.failures), why


def test_wrong_password_fails_every_iteration_and_creates_nothing(
    correlated: Result, wrong_password_app: Any, password_env: str, tmp_path: Path
) -> None:
    run = _run(correlated.code, wrong_password_app, tmp_path, password_env, seconds=5)
    state = wrong_password_app.state()
    why = _explain(run, state)
    attempts = state["counters"]["failed_logins"].get("alice", 0)
    assert attempts > 0, why
    login = next(name for name in run.final if name.startswith("03 "))
    assert run.final[login] == (attempts, attempts), why  # every iteration's login failed
    counters = state["counters"]
    assert counters["logins"] == counters["created_form"] == counters["created_xhr"] == {}, why
    assert state["tasks"] == [] and state["sentinels_intact"], why


def test_verify_passes_on_a_fresh_app(fresh_app: Any, password_env: str) -> None:
    result = _verify(fresh_app, password_env)
    assert result.returncode == 0 and "verdict: PASS" in result.stdout, (
        result.stdout + result.stderr)


def test_verify_fails_with_a_wrong_password(wrong_password_app: Any, password_env: str) -> None:
    result = _verify(wrong_password_app, password_env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "verdict: FAIL" in result.stdout and "step 3 POST /login" in result.stdout, (
        result.stdout + result.stderr)


class _Browser:
    """A cookie-keeping HTTP client that does by hand what the generated script should do."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(),
            _NoRedirect(),
        )

    def call(self, method: str, path: str, *, form: dict[str, str] | None = None,
             body: object = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
        data = None
        headers = dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with self.opener.open(request, timeout=10) as resp:
                return resp.status, resp.headers.get("Location") or resp.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location") or error.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None  # hand the 302 back: its Location is what we look at


def _first(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in {text[:2000]}"
    return html.unescape(match.group(1))


def test_the_app_refuses_stale_values_and_a_correlating_client_completes_the_journey() -> None:
    """The app is a real test: every value is refused when stale, and a client that takes each
    one from where the recording shows it handed out gets the whole lifecycle."""
    csrf_input = r'name="csrf_token" type="hidden" value="([^"]+)"'
    with _app() as app:
        browser = _Browser(app.url)
        assert browser.call("POST", "/login", form={"csrf_token": "stale", "username": "alice",
                                                    "password": RECORDED_PASSWORD})[0] == 400
        token = _first(csrf_input, browser.call("GET", "/login")[1])
        status, location = browser.call("POST", "/login", form={
            "csrf_token": token, "username": "alice", "password": RECORDED_PASSWORD})
        assert (status, location) == (302, "/tasks?page=1")
        page = browser.call("GET", location)[1]
        assert browser.call("GET", "/tasks?page=2")[0] == 404  # page=<user id> would break
        status, location = browser.call("POST", "/tasks", form={
            "csrf_token": _first(csrf_input, page), "title": "Buy milk", "notes": ""})
        task_id = int(location.rsplit("/", 1)[1])
        edit = browser.call("GET", f"/tasks/{task_id}/edit")[1]
        assert browser.call("POST", f"/tasks/{task_id}/edit", form={
            "csrf_token": _first(csrf_input, edit), "title": EDITED_TITLE, "notes": ""})[0] == 302
        page = browser.call("GET", location)[1]
        xhr = {"X-CSRFToken": _first(r'<meta name="csrf-token" content="([^"]+)"', page)}
        assert browser.call("POST", "/api/tasks", body={"title": "x", "parent": task_id})[0] == 400
        assert browser.call("POST", "/api/tasks", body={"title": "x", "parent": str(task_id)},
                            headers=xhr)[0] == 400  # the recorded JSON number, not a string
        status, created = browser.call("POST", "/api/tasks", body={"title": "x", "parent": task_id},
                                       headers=xhr)
        itemid = json.loads(created)["itemid"]
        fragment = browser.call("GET", f"/tasks/rows?ids={itemid}")[1]
        delete = _first(r'href="(/task\?[^"]+)"', fragment)
        assert browser.call("POST", delete.replace("_nonce=", "_nonce=0"), headers=xhr)[0] == 403
        assert browser.call("POST", delete, headers=xhr)[0] == 200
        key = _first(r'<pre id="api-key">([^<]+)</pre>', browser.call("GET", "/account/api")[1])
        assert browser.call("GET", "/api/tasks?page=1")[0] == 401
        assert browser.call("GET", "/api/tasks?page=1", headers={"X-Flask-API-Key": key})[0] == 200
        page = browser.call("GET", "/tasks?page=1")[1]
        trash = _first(rf'href="(/task\?id={task_id}&amp;action=trash[^"]+)"', page)
        sentinel_trash = _first(r'href="(/task\?id=\d+&amp;action=trash[^"]+)"', page)
        assert sentinel_trash != trash  # the sentinel's row comes first: a nonce per object
        assert browser.call("GET", trash)[0] == 302
        assert re.search(r'id="logout" href="/logout\?next=%2F&#038;_nonce=\w+"', page)
        logout = _first(r'id="logout" href="([^"]+)"', page)
        assert browser.call("GET", "/logout?next=%2F&_nonce=0123456789")[0] == 403
        assert browser.call("GET", logout)[1] == "/"
        state = app.state()
    assert {kind: state["counters"][kind] for kind in PER_ITERATION} == {
        kind: {"alice": 1} for kind in PER_ITERATION}, state
    assert state["rejections"] == {"csrf": 2, "page": 1, "nonce": 2, "api_key": 1}, state
    assert state["sentinels_intact"], state
    assert [(t["id"], t["state"], t["title"]) for t in state["tasks"]] == [
        (task_id, "trash", EDITED_TITLE)], state
