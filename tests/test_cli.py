"""The ``har2locust-plus`` command, in process with click's CliRunner.

Contract (httpie-style): 0 done; 2 bad input or usage, as exactly one ``har2locust-plus: error:``
line on stderr; 1 an internal error (a bug), one line too unless ``--traceback``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import har2locust_plus.core
from har2locust_plus import __version__, convert
from har2locust_plus.cli import main as cli

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "fixtures"
PUBLIC = FIXTURES / "public-browsing.har"
PREFIX = "har2locust-plus: error: "


def run(*args: str, input: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def assert_one_error_line(result: Result, status: int = 2) -> str:
    lines = result.stderr.splitlines()
    assert result.exit_code == status, (result.exit_code, result.stderr)
    assert len(lines) == 1, lines
    assert lines[0].startswith(PREFIX), lines
    assert result.stdout == ""
    return lines[0].removeprefix(PREFIX)


def test_help_shows_usage_and_examples() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert "har2locust-plus capture.har -o locustfile.py" in result.stdout
    assert "locust -f locustfile.py --headless" in result.stdout
    assert "Exit status" in result.stdout


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.stdout


@pytest.mark.parametrize("output_args", [(), ("-o", "-"), ("--output", "-")])
def test_script_goes_to_stdout_by_default_and_with_dash(output_args: tuple[str, ...]) -> None:
    result = run(str(PUBLIC), *output_args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == convert(PUBLIC).code
    assert "public-browsing.har:" in result.stderr  # the summary goes to stderr


def test_output_file_and_quiet(tmp_path: Path) -> None:
    out = tmp_path / "locustfile.py"
    result = run(str(PUBLIC), "-o", str(out), "-q")
    assert result.exit_code == 0
    assert (result.stdout, result.stderr) == ("", "")
    assert out.read_text("utf-8") == convert(PUBLIC).code
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically, nothing left behind


def test_summary_names_the_output_file(tmp_path: Path) -> None:
    out = tmp_path / "locustfile.py"
    result = run(str(PUBLIC), "-o", str(out))
    assert f"wrote {out}" in result.stderr
    assert "not replayed" in result.stderr


def test_dash_reads_the_har_from_stdin() -> None:
    result = run("-", "-q", input=PUBLIC.read_bytes())
    assert result.exit_code == 0, result.stderr
    expected = convert(PUBLIC.read_bytes(), name="<stdin>").code
    assert result.stdout == expected
    assert "class PublicBrowsingUser" not in result.stdout  # the name comes from "<stdin>"


def test_bad_stdin_is_one_line() -> None:
    message = assert_one_error_line(run("-", input=b"onInputData({});"))
    assert message.startswith("<stdin>: ")


def test_report_json(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = run(str(FIXTURES / "notes-journey.har"), "-q", "--report", str(report))
    assert result.exit_code == 0
    data = json.loads(report.read_text("utf-8"))
    assert data["source"] == "notes-journey.har"
    assert data["steps"] > 0 and data["pages"] > 0
    assert data["entries"] == data["steps"] + sum(data["skipped"].values())
    assert data["user_class"] == "FastHttpUser"
    assert {"diagnostics", "correlations", "timings_s", "main_origin"} <= data.keys()


def test_timings(tmp_path: Path) -> None:
    result = run(str(PUBLIC), "-q", "--timings", "-o", str(tmp_path / "x.py"))
    assert result.exit_code == 0
    for stage in ("load", "generate", "format"):
        assert f"  {stage} " in result.stderr


@pytest.mark.parametrize(("args", "needle"), [
    (("--think-time", "5-1"), "--think-time"),
    (("--think-time", "soon"), "--think-time"),
    (("--include-url", "("), "--include-url"),
    (("--exclude-url", "[a-"), "--exclude-url"),
    (("--user-class", "slow"), "--user-class"),
    (("--checks", "most"), "--checks"),
    (("--correlate-rule", "no equals sign"), "--correlate-rule"),
    (("--correlate-rule", "x=(a)(b)"), "--correlate-rule"),
    (("--no-such-option",), "--no-such-option"),
])
def test_bad_option_values_are_one_line_exit_2(args: tuple[str, ...], needle: str) -> None:
    assert needle in assert_one_error_line(run(str(PUBLIC), *args))


def test_missing_argument_is_one_line_exit_2() -> None:
    assert "INPUT.har" in assert_one_error_line(run())


def test_nonexistent_file_is_one_line_exit_2(tmp_path: Path) -> None:
    message = assert_one_error_line(run(str(tmp_path / "nope.har")))
    assert "nope.har" in message and "No such file" in message


def test_directory_is_one_line_exit_2(tmp_path: Path) -> None:
    assert_one_error_line(run(str(tmp_path)))


def test_unwritable_output_is_one_line_exit_2(tmp_path: Path) -> None:
    message = assert_one_error_line(run(str(PUBLIC), "-o", str(tmp_path / "no" / "dir" / "x.py")))
    assert "cannot write" in message


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b'{"log": {}}', b"\x00\x01garbage"])
def test_bad_input_files_are_one_line_exit_2(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bad.har"
    path.write_bytes(data)
    assert assert_one_error_line(run(str(path))).startswith("bad.har: ")


def test_traceback_flag_shows_the_traceback_for_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "bad.har"
    path.write_bytes(b"[]")
    result = run(str(path), "--traceback")
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1].startswith(PREFIX)


def _broken_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(scenario, options):
        raise KeyError("surprise")

    monkeypatch.setattr(har2locust_plus.core, "PIPELINE",
                        (("explode", explode), *har2locust_plus.core.PIPELINE))


def test_internal_error_is_one_line_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    _broken_pipeline(monkeypatch)
    message = assert_one_error_line(run(str(PUBLIC)), status=1)
    assert "internal error" in message and "KeyError" in message and "--traceback" in message


def test_internal_error_with_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    _broken_pipeline(monkeypatch)
    result = run(str(PUBLIC), "--traceback")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "in explode" in result.stderr
    assert result.stderr.splitlines()[-1].startswith(PREFIX + "internal error")


def test_strict_turns_warnings_into_exit_2(make_har) -> None:
    empty = make_har()  # an empty recording is a warning
    assert run("-", "-q", input=empty).exit_code == 0
    message = assert_one_error_line(run("-", "--strict", input=empty))
    assert "(--strict)" in message


def test_options_reach_the_generated_code() -> None:
    result = run(str(PUBLIC), "-q", "--user-class", "http", "--think-time", "1-3")
    assert result.exit_code == 0
    assert "(HttpUser)" in result.stdout and "between(1, 3)" in result.stdout


@pytest.mark.parametrize("args, status, out_lines", [
    ((str(FIXTURES / "notes-journey.har"), "-q"), 0, True),
    (("does-not-exist.har",), 2, False),
    (("--no-such-option",), 2, False),
    (("--version",), 0, True),
])
def test_the_real_entry_point_exits_with_the_status_and_flushed_output(
        args: tuple[str, ...], status: int, out_lines: bool) -> None:
    """``python -m har2locust_plus`` goes through ``run()``, which ends with ``os._exit``."""
    done = subprocess.run([sys.executable, "-m", "har2locust_plus", *args], capture_output=True,
                          text=True, timeout=120, cwd=REPO_ROOT)
    assert done.returncode == status, done.stderr
    assert bool(done.stdout.strip()) is out_lines
    if status:
        assert len(done.stderr.strip().splitlines()) == 1
    if args[0].endswith(".har") and not status:  # the whole script, not a truncated buffer
        assert done.stdout.endswith("\n") and "class NotesJourneyUser(FastHttpUser):" in done.stdout
        compile(done.stdout, "locustfile.py", "exec")


def test_convert_reports_each_stage_as_it_starts() -> None:
    from har2locust_plus.cli import _Progress

    seen: list[str] = []
    convert(PUBLIC, progress=seen.append)
    assert seen == list(_Progress.STAGES)


def test_progress_line_on_a_terminal_is_erased_at_the_end(capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    from har2locust_plus.cli import _Progress

    with _Progress(enabled=True) as progress:
        progress("load")
        progress("correlate")
    err = capsys.readouterr().err
    assert err == ("\r\x1b[Kconverting: load (1/11)\r\x1b[Kconverting: correlate (5/11)"
                   "\r\x1b[K")


def test_no_progress_output_off_a_terminal(tmp_path: Path) -> None:
    result = run(str(PUBLIC), "-o", str(tmp_path / "out.py"))
    assert result.exit_code == 0
    assert "\r" not in result.stderr and "converting:" not in result.stderr
