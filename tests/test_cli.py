"""The ``har2locust-plus`` command, in process with click's CliRunner.

Contract (httpie-style): 0 done; 2 bad input or usage, as exactly one ``har2locust-plus: error:``
line on stderr; 1 an internal error (a bug), one line too unless ``--traceback``.
"""

from __future__ import annotations

import json
import os
import stat
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
    from har2locust_plus.convert_command import _Progress

    seen: list[str] = []
    convert(PUBLIC, progress=seen.append)
    assert seen == list(_Progress.STAGES)


def test_progress_line_on_a_terminal_is_erased_at_the_end(capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    from har2locust_plus.convert_command import _Progress

    with _Progress(enabled=True) as progress:
        progress("load")
        progress("correlate")
    err = capsys.readouterr().err
    total, at = len(_Progress.STAGES), _Progress.STAGES.index("correlate") + 1
    assert (at, total) == (9, 13)  # load, the pipeline's stages, generate, format
    assert err == (f"\r\x1b[Kconverting: load (1/{total})\r\x1b[Kconverting: correlate "
                   f"({at}/{total})\r\x1b[K")


def test_no_progress_output_off_a_terminal(tmp_path: Path) -> None:
    result = run(str(PUBLIC), "-o", str(tmp_path / "out.py"))
    assert result.exit_code == 0
    assert "\r" not in result.stderr and "converting:" not in result.stderr


# --- hostile input (issue 15): never an internal error -------------------------------------------


def _converted(result: Result) -> str:
    """The script of a run that must succeed: exit 0, code that compiles."""
    assert result.exit_code == 0, result.stderr
    compile(result.stdout, "locustfile.py", "exec")
    return result.stdout


@pytest.mark.parametrize("url", ["http://[::1/x", "http://[zz]/", "//[::1", "http://h:99999/",
                                 "http://h:port/"])
def test_a_request_url_no_client_could_send_skips_its_entry(make_har, make_entry,
                                                           url: str) -> None:
    har = make_har(make_entry(url), make_entry("http://h.test/kept"))
    result = run("-", input=har)
    code = _converted(result)
    assert '"/kept"' in code and code.count("self.client.") == 2  # and the cookie reset
    assert "self.client.cookiejar.clear()" in code
    assert "skipped log.entries[0]: request.url: not a valid URL" in result.stderr
    message = assert_one_error_line(run("-", "--strict", input=har))
    assert "log.entries[0]" in message and "(--strict)" in message


@pytest.mark.parametrize("location", ["http://[::1/x/12345678", "http://[zz]/", "//[::1"])
def test_a_redirect_to_a_url_no_client_could_follow_converts(make_har, make_entry,
                                                            location: str) -> None:
    har = make_har(make_entry("http://h.test/go", "POST", status=302, redirect_url=location,
                              response_headers=[("Location", location)]),
                   make_entry("http://h.test/next"))
    code = _converted(run("-", "-q", input=har))
    assert "check(resp, " in code and '"/next"' in code


def test_a_link_no_browser_could_follow_does_not_stop_correlation(make_har,
                                                                 make_entry) -> None:
    """Documentation pages hold links like ``https://[your-domain]/api``."""
    token = "f3a9c2e1d4b5a6978877"
    page = (f'<a href="https://[your-domain]/api">docs</a> <a href="http://[::1/x/12345678">b</a>'
            f'<form action="//[::1"><input type="hidden" name="csrf_token" value="{token}">'
            "</form>")
    har = make_har(
        make_entry("http://h.test/form", body=page),
        make_entry("http://h.test/save", "POST", post_data={
            "mimeType": "application/x-www-form-urlencoded", "text": f"csrf_token={token}"}))
    code = _converted(run("-", "-q", input=har))
    assert token not in code  # taken from the live page, not replayed as recorded
    assert "csrf_token" in code


@pytest.mark.parametrize("started", ["2026-01-01T10:00:00.000+25:00", "2026-01-01T10:00:00-99:59",
                                     "99999999999999999999", "31 dec 9999 23:59:59 -2359",
                                     "2026-01-01T10:00:00+99999999999999999999:00"])
def test_a_start_time_with_an_impossible_offset_or_size_counts_as_missing(
        make_har, make_entry, started: str) -> None:
    har = make_har(make_entry("http://h.test/a", started=started),
                   make_entry("http://h.test/b"), make_entry("http://h.test/c", started=started))
    code = _converted(run("-", "-q", input=har))
    assert all(f'"/{p}"' in code for p in "abc")


@pytest.mark.parametrize("duration", ["1" + "0" * 400, "1e999", "-1e999"])
def test_a_duration_too_large_for_a_float_counts_as_unknown(make_har, make_entry,
                                                           duration: str) -> None:
    har = make_har(make_entry("http://h.test/a"), make_entry("http://h.test/b"))
    har = har.replace(b'"time": 12.5', b'"time": ' + duration.encode(), 1)
    _converted(run("-", "-q", input=har))


@pytest.mark.parametrize("status", ["\u00b2", "--5", "\u0662\u0660\u0660"])
def test_a_status_that_only_looks_numeric_converts(make_har, make_entry, status: str) -> None:
    """``str.isdigit`` takes '²' (and '--5' once minus signs are stripped); int() does not."""
    entry = make_entry("http://h.test/a")
    entry["response"]["status"] = status
    _converted(run("-", "-q", input=make_har(entry, make_entry("http://h.test/b"))))


def test_superscript_digits_sent_are_no_timestamp(make_har, make_entry) -> None:
    value = "\u00b2" * 13  # as long as an epoch in milliseconds
    har = make_har(make_entry("http://h.test/a"), make_entry("http://h.test/b", "POST", post_data={
        "mimeType": "application/json", "text": json.dumps({"ts": value})}))
    assert value in _converted(run("-", "-q", input=har))


def test_a_rendezvous_step_in_superscript_digits_is_one_line_exit_2() -> None:
    message = assert_one_error_line(run(str(PUBLIC), "--rendezvous", "\u00b2"))
    assert message.startswith("--rendezvous")


@pytest.mark.parametrize("args, method, url", [
    (("--rendezvous", "3"), "G\u2028ET", "http://h.test/a"),  # no step 3: steps are listed
    (("--strict",), "GET", "http://[z\u2028z\x1b[2J]/"),
])
def test_recorded_text_quoted_in_an_error_keeps_it_one_printable_line(
        make_har, make_entry, args: tuple[str, ...], method: str, url: str) -> None:
    """Messages quote recorded text (a step's method, a host): line separators and control
    characters in it are escaped, not printed."""
    har = make_har(make_entry(url, method), make_entry("http://h.test/b", "POST"))
    message = assert_one_error_line(run("-", "-q", *args, input=har))
    assert message.isprintable() and "\\u2028" in message


def test_the_summary_escapes_control_characters_of_recorded_text(make_har, make_entry) -> None:
    har = make_har(make_entry("http://h.test/a"), make_entry("http://evil\x1bc.other/b"))
    result = run("-", input=har)
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stderr and "evil\\x1bc.other" in result.stderr


def _body_kwarg(code: str) -> object:
    """The value of the one ``data=`` argument in the script, evaluated."""
    import ast

    values = [kw.value for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Call)
              for kw in node.keywords if kw.arg == "data"]
    assert len(values) == 1, code
    return ast.literal_eval(values[0])


def test_lone_surrogates_in_a_multipart_text_are_sent_as_the_bytes_they_stand_for(
        make_har, make_entry) -> None:
    """``\\udcff`` is how Python tools keep the byte 0xff (surrogateescape); a body holding
    one cannot be a str in the script (no encoding takes it): it is sent as bytes."""
    text = ('--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\n\udcff\ud800\r\n'
            "--XX--\r\n")
    har = make_har(make_entry("http://h.test/up", "POST", post_data={
        "mimeType": "multipart/form-data; boundary=XX", "text": text}))
    code = _converted(run("-", "-q", input=har))
    assert _body_kwarg(code) == (b'--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\n'
                                 b"\xff\xef\xbf\xbd\r\n--XX--\r\n")


def test_lone_surrogates_in_multipart_params_become_sendable(make_har, make_entry) -> None:
    har = make_har(make_entry("http://h.test/up", "POST", post_data={
        "mimeType": "multipart/form-data; boundary=XX", "params": [
            {"name": "a\udcff", "value": "\ud800"},
            {"name": "f", "fileName": "\ud83d.txt", "value": "x\udcff",
             "contentType": "text/plain"}]}))
    code = _converted(run("-", "-q", input=har))
    assert _body_kwarg(code) == {"a\ufffd": "\ufffd"}
    assert "(\"\ufffd.txt\", b\"x\\xff\", \"text/plain\")" in code
    code.encode("utf-8")  # no lone surrogate left anywhere in the script


def test_a_json_body_with_an_infinite_number_is_sent_as_recorded(make_har, make_entry) -> None:
    har = make_har(make_entry("http://h.test/j", "POST", post_data={
        "mimeType": "application/json", "text": '{"a": 1e999}'}))
    assert _body_kwarg(_converted(run("-", "-q", input=har))) == '{"a": 1e999}'


@pytest.mark.parametrize("depth", [65, 150, 900])
def test_a_json_body_nested_too_deep_for_a_literal_is_sent_as_recorded(make_har, make_entry,
                                                                      depth: int) -> None:
    """Python's parser stops at 200 nested brackets, the code layout recursed before that."""
    text = '{"a": ' * depth + "[1]" + "}" * depth
    har = make_har(make_entry("http://h.test/j", "POST", post_data={
        "mimeType": "application/json", "text": text}))
    assert _body_kwarg(_converted(run("-", "-q", input=har))) == text


def test_a_json_body_nested_64_deep_is_still_json(make_har, make_entry) -> None:
    text = '{"a": ' * 63 + "[1]" + "}" * 63
    har = make_har(make_entry("http://h.test/j", "POST", post_data={
        "mimeType": "application/json", "text": text}))
    assert "json=" in _converted(run("-", "-q", input=har))


def test_lone_surrogates_reach_the_report_and_the_data_template_as_writable_text(
        make_har, make_entry, tmp_path: Path) -> None:
    har = make_har(
        make_entry("http://h.test/login", "POST", status=302, response_headers=[("Location", "/")],
                   post_data={"mimeType": "application/x-www-form-urlencoded", "params": [
                       {"name": "username", "value": "bob\udcff"},
                       {"name": "password", "value": "pw\ud800"}]}),
        make_entry("http://h.test/"), make_entry("http://x\udcff.other/b"))
    report, template = tmp_path / "report.json", tmp_path / "users.csv"
    result = run("-", "-q", "--report", str(report), "--data-template", str(template), input=har)
    _converted(result)
    assert "third-party hosts skipped: x\\udcff.other" in report.read_text("utf-8")  # escaped
    messages = [d["message"] for d in json.loads(report.read_text("utf-8"))["diagnostics"]]
    assert any("x\udcff.other" in m for m in messages)  # reads back as recorded
    assert template.read_text("utf-8") == "username,password\nbob\ufffd,pw\ufffd\n"


# --- -o onto something that is not a regular file (issue 15) -------------------------------------


def _same_node(before: os.stat_result, after: os.stat_result) -> bool:
    return (before.st_ino, before.st_dev, before.st_mode, before.st_rdev) == \
        (after.st_ino, after.st_dev, after.st_mode, after.st_rdev)


def test_output_to_a_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    before = os.stat(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader: opening to write won't block
    try:
        result = run(str(PUBLIC), "-q", "-o", str(fifo))
        received = b""
        while chunk := os.read(reader, 1 << 16):  # the script fits the pipe's buffer
            received += chunk
    finally:
        os.close(reader)
    assert result.exit_code == 0, result.stderr
    assert received.decode("utf-8") == convert(PUBLIC).code
    assert _same_node(before, os.stat(fifo)) and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]


def _device(tmp_path: Path, name: str, minor: int) -> Path:
    """A character device node of our own (memory devices: 3 null, 7 full), so that a bug
    can never break the machine's /dev/null or /dev/full."""
    device = tmp_path / name
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, minor))
        with open(device, "a"):  # tmp may be mounted nodev
            pass
    except OSError as exc:
        pytest.skip(f"cannot make a character device here: {exc}")
    return device


def test_output_to_a_character_device_is_written_through(tmp_path: Path) -> None:
    device = _device(tmp_path, "null", 3)
    before = os.stat(device)
    result = run(str(PUBLIC), "-q", "-o", str(device))
    assert result.exit_code == 0, result.stderr
    assert _same_node(before, os.stat(device)) and stat.S_ISCHR(os.stat(device).st_mode)
    assert os.listdir(tmp_path) == ["null"]


def test_output_to_a_full_device_is_one_line_exit_2(tmp_path: Path) -> None:
    device = _device(tmp_path, "full", 7)
    before = os.stat(device)
    message = assert_one_error_line(run(str(PUBLIC), "-q", "-o", str(device)))
    assert message == f"{device}: cannot write: No space left on device"
    assert _same_node(before, os.stat(device))


def test_output_to_dev_null_leaves_it_a_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real one, after the tests above proved the path on a node of our own; renames onto
    it are refused here all the same, so that a regression cannot break the machine."""
    def never_over_dev_null(original):
        def guarded(src, dst, *args, **kwargs):
            assert os.path.realpath(dst) != os.devnull, "would replace /dev/null"
            return original(src, dst, *args, **kwargs)
        return guarded

    monkeypatch.setattr(os, "replace", never_over_dev_null(os.replace))
    monkeypatch.setattr(os, "rename", never_over_dev_null(os.rename))
    before = os.stat(os.devnull)
    result = run(str(PUBLIC), "-q", "-o", os.devnull)
    assert result.exit_code == 0, result.stderr
    assert _same_node(before, os.stat(os.devnull)) and stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_output_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "locustfile.py"
    target.write_text("old", "utf-8")
    link = tmp_path / "locustfile.py"
    link.symlink_to(Path("real") / "locustfile.py")
    result = run(str(PUBLIC), "-q", "-o", str(link))
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / "locustfile.py")
    assert target.read_text("utf-8") == convert(PUBLIC).code
    assert sorted(os.listdir(tmp_path / "real")) == ["locustfile.py"]  # no temporary left


def test_output_over_a_private_file_keeps_its_mode(tmp_path: Path) -> None:
    out = tmp_path / "locustfile.py"
    out.write_text("old", "utf-8")
    out.chmod(0o600)
    result = run(str(PUBLIC), "-q", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text("utf-8") == convert(PUBLIC).code


@pytest.mark.parametrize("descriptor", ["/dev/fd/1", "/proc/self/fd/1"])
def test_output_to_a_descriptor_goes_where_it_points(tmp_path: Path, descriptor: str) -> None:
    """Opened by the shell (``>> log``): appended to that file, which is not replaced.

    Through /dev/fd and /proc, where a regression's rename would fail, not in /dev (see the
    next test)."""
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("no /proc here")
    out = tmp_path / "log"
    out.write_text("# before\n", "utf-8")
    before = os.stat(out)
    command = [sys.executable, "-m", "har2locust_plus", str(PUBLIC), "-q", "-o", descriptor]
    with open(out, "ab") as stdout:
        done = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, timeout=120,
                              cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert out.read_text("utf-8") == "# before\n" + convert(PUBLIC).code
    assert os.stat(out).st_ino == before.st_ino
    piped = subprocess.run(command, capture_output=True, timeout=120, cwd=REPO_ROOT)
    assert piped.returncode == 0 and piped.stdout.decode("utf-8") == convert(PUBLIC).code


def test_output_to_dev_stdout_goes_to_file_descriptor_1(
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    """In process, where renames onto /dev/stdout are refused: a regression replaced the
    machine's /dev/stdout link with a regular file."""
    if not os.path.exists("/dev/stdout"):
        pytest.skip("no /dev/stdout here")

    def never_in_dev(original):
        def guarded(src, dst, *args, **kwargs):
            assert not os.path.abspath(dst).startswith("/dev/"), f"would replace {dst}"
            return original(src, dst, *args, **kwargs)
        return guarded

    monkeypatch.setattr(os, "replace", never_in_dev(os.replace))
    monkeypatch.setattr(os, "rename", never_in_dev(os.rename))
    link = os.readlink("/dev/stdout")
    result = run(str(PUBLIC), "-q", "-o", "/dev/stdout")  # CliRunner swaps sys.stdout, not fd 1
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert capfd.readouterr().out == convert(PUBLIC).code
    assert os.path.islink("/dev/stdout") and os.readlink("/dev/stdout") == link


def test_a_multipart_form_without_files_is_sent_as_multipart(make_har, make_entry) -> None:
    """Both Locust clients send ``data=`` urlencoded; a server that reads only multipart
    (Next.js's server actions answer 500) needs the recorded encoding: every field a part
    ``(name, (None, value))``, a value the flow read at run time as a str (an int to
    geventhttpclient would be that many zero bytes)."""
    import ast
    import email
    from types import SimpleNamespace

    import requests
    from geventhttpclient.useragent import _encode_multipart_formdata

    har = make_har(
        make_entry("http://h.test/new", "POST", post_data={"mimeType": "application/json",
                                                           "text": '{"a": 1}'},
                   body='{"id": 4711}', mime="application/json"),
        make_entry("http://h.test/save", "POST", post_data={
            "mimeType": "multipart/form-data; boundary=XX",
            "text": ('--XX\r\nContent-Disposition: form-data; name="_1_title"\r\n\r\nmilk\r\n'
                     '--XX\r\nContent-Disposition: form-data; name="id"\r\n\r\n4711\r\n'
                     '--XX--\r\n')}))
    code = _converted(run("-", "-q", input=har))
    [files] = [kw.value for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Call)
               for kw in node.keywords if kw.arg == "files"]
    assert ast.unparse(files) == "[('_1_title', (None, 'milk')), ('id', (None, f'{self.new_id}'))]"
    self = SimpleNamespace(new_id=4711)  # as the script reads it: an int from the JSON answer
    parts = eval(compile(ast.Expression(files), "script", "eval"), {"self": self})
    fast_body, fast_type = _encode_multipart_formdata(parts, None)
    prepared = requests.Request("POST", "http://h.test/save", files=parts).prepare()
    for body, content_type in ((fast_body, fast_type),
                               (prepared.body, prepared.headers["Content-Type"])):
        message = email.message_from_bytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        assert message.is_multipart()
        fields = [(part.get_param("name", header="content-disposition"), part.get_filename(),
                   part.get_payload(decode=True)) for part in message.get_payload()]
        assert fields == [("_1_title", None, b"milk"), ("id", None, b"4711")]
