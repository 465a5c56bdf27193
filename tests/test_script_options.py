"""Issue 13, part 1: secrets and data are Locust options of the generated script.

* ``locust -f <script> --list`` and ``--help`` work with no secret in the environment and no data
  file (nothing stops the import); the options the script adds are exactly the ones its
  docstring and the conversion report name; the web UI's form shows each secret masked, required
  when no environment variable gives it.
* Secrets' environment variables have a namespace of their own (a field ``pwd`` never reads the
  shell's ``$PWD``) and no option takes one of Locust's names.
* A headless run without the secret ends at start: one line naming the option and the variable,
  a non-zero exit code, not one request sent.
* Distributed (a real master and two workers on 127.0.0.1): the secret given only on the master's
  command line logs every worker's users in; the rows of ``--data`` are split between the
  workers (no row used twice), per user and per iteration, read from the script's folder.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from click.testing import CliRunner

from har2locust_plus import Options, convert
from har2locust_plus.cli import main as cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PASSWORD = "wonderland-42"  # alice's password, recorded in the fixture HARs
ORIGIN = "http://127.0.0.1:8080"
# Options every generated script adds, whatever the recording (with checks, the default)
ALWAYS = {"--request-timeout", "--continue-on-failure"}


def _env(**extra: str) -> dict[str, str]:
    """This environment without proxies or H2L_* variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy") and not k.startswith("H2L_")}
    return {**env, **extra}


def _script(folder: Path, har: str, *args: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "locustfile.py"
    result = CliRunner().invoke(cli, [str(FIXTURES / har), "-o", str(out), "-q", *args])
    assert result.exit_code == 0, result.stderr
    assert PASSWORD not in out.read_text("utf-8")
    return out


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 30
         ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    return subprocess.CompletedProcess(cmd, proc.returncode, output)


def _locust(script: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(script), *args]


# What the script adds to Locust's parser (importing it as Locust does) and what the web UI's
# start form shows for each: run in a subprocess, the listeners go on locust's global events.
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("locustfile", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
from locust.argument_parser import default_args_dict, get_parser, ui_extra_args_dict
parser = get_parser()
added = sorted(s for s, a in parser._option_string_actions.items()
               if s.startswith("--") and a.dest not in {*default_args_dict(), "help", "version"})
print(json.dumps({"added": added, "ui": ui_extra_args_dict([])}))
"""


def _probe(script: Path, cwd: Path, **env: str) -> dict[str, Any]:
    run = _run([sys.executable, "-c", PROBE, str(script)], cwd, _env(**env))
    assert run.returncode == 0, run.stdout
    return json.loads(run.stdout.splitlines()[-1])


def _documented(code: str) -> set[str]:
    """The options the docstring's "Options of this script" names."""
    doc = code.split('"""')[1]
    return set(re.findall(r"^    (--[a-z][a-z0-9-]*)", doc.split("Options of this script")[1],
                          re.M))


@pytest.mark.e2e
@pytest.mark.parametrize("har, args, expected", [
    ("api-journey.har", (), {"--password"}),
    ("notes-journey.har", ("--data", "users.csv", "--rendezvous", "3"),
     {"--data", "--rendezvous-users", "--rendezvous-timeout"}),
])
def test_list_help_and_the_options_the_script_names(har: str, args: tuple[str, ...],
                                                    expected: set[str], tmp_path: Path) -> None:
    script = _script(tmp_path / "script", har, *args)
    elsewhere = tmp_path / "elsewhere"  # no data file here or next to the script
    elsewhere.mkdir()
    runs = {flag: _run(_locust(script, flag), elsewhere, _env()) for flag in ("--list", "--help")}
    for run in runs.values():
        assert run.returncode == 0 and "Traceback" not in run.stdout, run.stdout
    assert re.search(r"^    \w+JourneyUser$", runs["--list"].stdout, re.M), runs["--list"].stdout

    expected |= ALWAYS
    probe = _probe(script, elsewhere)
    assert set(probe["added"]) == expected
    assert _documented(script.read_text("utf-8")) == expected
    report = convert(FIXTURES / har, Options(data_file="users.csv" if args else None,
                                             rendezvous=("3",) if args else ()))
    assert {o.flag.split()[0] for o in report.report.options} == expected
    assert {o["option"].split()[0] for o in report.report.as_dict()["options"]} == expected
    assert any(line.strip().startswith(tuple(expected))
               for line in report.report.summary_lines())

    if "--password" in expected:  # masked in the web UI; required only without a value
        field = probe["ui"]["password"]
        assert field["is_secret"] and field["is_required"] and field["default_value"] is None
        given = _probe(script, elsewhere, H2L_PASSWORD=PASSWORD)["ui"]["password"]
        assert given["is_secret"] and not given["is_required"]
        assert given["default_value"] == PASSWORD


def _login_page(*password_inputs: str) -> str:
    inputs = "".join(f"<input type=password name={n}>" for n in password_inputs)
    return ("<html><head><title>Sign in</title></head><body><form method=post action=/login>"
            f"<input name=username>{inputs}<button>Sign in</button></form></body></html>")


@pytest.mark.e2e
def test_names_collide_with_neither_the_shell_nor_locust(make_entry, make_har,
                                                         tmp_path: Path) -> None:
    # a password field named pwd, another under the name of a Locust option (--host)
    body = "username=bob&pwd=Pwd-Value-4411&host=Host-Value-9922"
    har = make_har(
        make_entry(f"{ORIGIN}/login", body=_login_page("pwd", "host")),
        make_entry(f"{ORIGIN}/login", "POST", status=302, response_headers=[("Location", "/")],
                   post_data={"mimeType": "application/x-www-form-urlencoded", "text": body,
                              "params": [{"name": k, "value": v}
                                         for k, v in parse_qsl(body)]}))
    result = convert(har, name="collide.har")
    secrets = {s.name: s.env for s in result.scenario.secrets}
    assert secrets == {"pwd": "H2L_PWD", "host_secret": "H2L_HOST_SECRET"}
    assert all(s.env.startswith("H2L_") for s in result.scenario.secrets)
    script = tmp_path / "locustfile.py"
    script.write_text(result.code, "utf-8")

    # $PWD (set by every shell) is not the password; the option takes no Locust name
    probe = _probe(script, tmp_path, PWD=str(tmp_path))
    assert set(probe["added"]) == {"--pwd", "--host-secret"} | ALWAYS
    assert probe["ui"]["pwd"]["default_value"] is None and probe["ui"]["pwd"]["is_required"]
    probe = _probe(script, tmp_path, PWD=str(tmp_path), H2L_PWD="from-h2l")
    assert probe["ui"]["pwd"]["default_value"] == "from-h2l"


def _app(**kwargs: Any) -> Any:
    from fixtures.server import FixtureApp  # the repository root is on sys.path (conftest)

    return FixtureApp(**kwargs)


@pytest.mark.e2e
def test_headless_run_without_the_secret_ends_at_start(tmp_path: Path) -> None:
    script = _script(tmp_path, "api-journey.har", "--think-time", "none")
    with _app() as app:
        run = _run(_locust(script, "--headless", "-u", "2", "-r", "2", "-t", "20s", "--host",
                           app.url, "--only-summary"), tmp_path, _env())
        state = app.state()
    assert run.returncode == 1, run.stdout
    assert "Traceback" not in run.stdout
    problems = [line for line in run.stdout.splitlines() if "--password" in line]
    assert len(problems) == 1 and "H2L_PASSWORD" in problems[0], run.stdout
    assert "ERROR" in problems[0]
    # ended at start (not at the 20 s limit), before any request
    assert "--run-time limit reached" not in run.stdout
    assert state["logins"] == {"form": {}, "api": {}, "failed": {}}, state["logins"]
    assert state["notes"]["created"] == {}


@pytest.mark.e2e
def test_headless_run_without_the_data_file_ends_at_start(tmp_path: Path) -> None:
    script = _script(tmp_path / "script", "api-journey.har", "--data", "users.csv")
    run = _run(_locust(script, "--headless", "-u", "1", "-r", "1", "-t", "20s", "--host",
                       "http://127.0.0.1:9", "--only-summary"), tmp_path, _env())
    assert run.returncode == 1, run.stdout
    problems = [line for line in run.stdout.splitlines() if "--data" in line]
    assert len(problems) == 1 and str(tmp_path / "script" / "users.csv") in problems[0], \
        run.stdout
    assert "Traceback" not in run.stdout and "--run-time limit reached" not in run.stdout


# --- a real master and two workers --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _processes(*commands: tuple[list[str], dict[str, str]], cwd: Path
               ) -> Iterator[list[subprocess.Popen[str]]]:
    """Start each command (output to a file); kill whatever is left by its PID on the way out."""
    procs = []
    try:
        for i, (cmd, env) in enumerate(commands):
            out = open(cwd / f"process{i}.log", "w+", encoding="utf-8")  # noqa: SIM115
            procs.append(subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                          stdout=out, stderr=subprocess.STDOUT, text=True))
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            proc.stdout = None


def _distributed(script: Path, host: str, cwd: Path, *, users: int, seconds: int,
                 master_args: tuple[str, ...] = (),
                 worker_env: tuple[dict[str, str], dict[str, str]] = ({}, {}),
                 ) -> tuple[int, list[str], dict[str, tuple[int, int]]]:
    """(master's exit code, the three logs, final stats by name: (requests, failures))."""
    port = str(_free_port())
    prefix = cwd / "stats"
    master = _locust(script, "--master", "--master-bind-host", "127.0.0.1",
                     "--master-bind-port", port, "--expect-workers", "2", "--headless",
                     "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", host,
                     "--json-file", str(prefix), "--only-summary", "--stop-timeout", "5",
                     *master_args)
    worker = _locust(script, "--worker", "--master-host", "127.0.0.1", "--master-port", port)
    with _processes((master, _env()), (worker, _env(**worker_env[0])),
                    (worker, _env(**worker_env[1])), cwd=cwd) as procs:
        try:
            code = procs[0].wait(timeout=seconds + 45)
            for proc in procs[1:]:
                proc.wait(timeout=15)  # the master's quit ends the workers
        finally:
            logs = [(cwd / f"process{i}.log").read_text("utf-8") for i in range(3)]
    assert Path(f"{prefix}.json").exists(), logs[0][-3000:]
    final = {e["name"]: (e["num_requests"], e["num_failures"])
             for e in json.loads(Path(f"{prefix}.json").read_text("utf-8"))}
    return code, logs, final


def _explain(logs: list[str]) -> str:
    return "\n".join(f"--- {who}:\n{log[-2500:]}"
                     for who, log in zip(("master", "worker 1", "worker 2"), logs, strict=True))


@pytest.mark.e2e
def test_distributed_the_secret_given_to_the_master_logs_every_worker_in(tmp_path: Path) -> None:
    script = _script(tmp_path / "script", "api-journey.har", "--think-time", "none")
    # one worker has a wrong password in its environment, the other none: both must use the
    # master's --password, which Locust sends them when the test starts
    with _app() as app:
        code, logs, final = _distributed(
            script, app.url, tmp_path, users=2, seconds=5, master_args=("--password", PASSWORD),
            worker_env=({"H2L_PASSWORD": "not-" + PASSWORD}, {}))
        state = app.state()
    assert code == 0, _explain(logs)
    requests = sum(n for n, _ in final.values())
    failures = sum(f for _, f in final.values())
    assert requests > 0 and failures == 0, (final, _explain(logs))
    assert state["logins"]["failed"] == {}, state["logins"]
    assert state["logins"]["api"].get("alice", 0) >= 2, state["logins"]
    # both workers were given a user (2 users among 2 ready workers: one each), so the one
    # with a wrong password in its environment ran too. (Not the master's "2 total users":
    # that line waits for both workers' reports, which a loaded machine can delay past it.)
    assert "2 users at 2.00 spawn rate to 2 ready workers" in logs[0], logs[0][-2000:]
    for log in logs[1:]:
        assert "Traceback" not in log and "/ERROR/" not in log, _explain(logs)
    assert state["notes"]["created"] == state["notes"]["deleted"] != {}


@pytest.mark.e2e
@pytest.mark.parametrize("per, rows, users", [("user", 4, 4), ("iteration", 40, 2)])
def test_distributed_rows_are_split_between_the_workers(per: str, rows: int, users: int,
                                                        tmp_path: Path) -> None:
    folder = tmp_path / "script"
    args = ("--data", "users.csv", "--data-per", per)
    if per == "user":  # no pause: many runs, each user always with its own row
        args += ("--think-time", "none")
    script = _script(folder, "api-journey.har", *args)
    (folder / "users.csv").write_text(
        "username,password\n" + "".join(f"user{i},pass{i}\n" for i in range(1, rows + 1)),
        encoding="utf-8")
    run_dir = tmp_path / "run"  # the data file is found next to the script, not here
    run_dir.mkdir()
    with _app(seed_users=rows) as app:
        code, logs, final = _distributed(script, app.url, run_dir, users=users, seconds=5)
        state = app.state()
    assert code == 0, _explain(logs)
    assert sum(f for _, f in final.values()) == 0, (final, _explain(logs))
    logins = state["logins"]["api"]
    assert state["logins"]["failed"] == {}, state["logins"]
    if per == "user":
        # four users, four rows: each row taken by exactly one user (a row used twice would
        # leave another one unused)
        assert sorted(logins) == [f"user{i}" for i in range(1, rows + 1)], logins
        assert all(n >= 2 for n in logins.values()), logins
    else:
        # a new row for each run of the flow, never the same row twice (two workers going
        # through all the rows would both start with user1)
        assert len(logins) >= 2 * users, logins
        assert set(logins.values()) == {1}, logins
