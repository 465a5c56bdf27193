"""The ``har2locust-plus`` command: a thin shell around :func:`har2locust_plus.convert`."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import stat
import sys
import time
import traceback
from fractions import Fraction
from pathlib import Path
from typing import Any

import click

from . import __version__
from .config import load_config
from .core import Recording, Result, WorkloadResult, convert, convert_workload
from .errors import BadInput, BadOption, ExitStatus, Har2LocustError
from .options import Options, ThinkTime
from .stages import PIPELINE

EPILOG = """\b
Examples:
  har2locust-plus capture.har -o locustfile.py
  har2locust-plus capture.har --think-time 1-3 --user-class http > locustfile.py
  cat capture.har | har2locust-plus - -o locustfile.py
  har2locust-plus capture.har --include-host api.example.com --exclude-url '/telemetry'
  har2locust-plus capture.har --report report.json -o locustfile.py
  har2locust-plus browse.har checkout.har:1 admin.har:0.2 -o locustfile.py

\b
Then run the script against any host, e.g. a fresh test server:
  locust -f locustfile.py --headless -u 10 -r 2 -t 1m --host http://127.0.0.1:5000

\b
Check a conversion against a running app (replay twice, compare, find missed correlations):
  har2locust-plus verify capture.har --host http://127.0.0.1:5000 [--fix -o locustfile.py]

\b
Exit status: 0 done, 2 bad input or usage (one line on stderr), 1 internal error.
"""


def _fail(message: str, status: ExitStatus) -> None:
    click.echo(f"har2locust-plus: error: {_one_line(message)}", err=True)
    sys.exit(int(status))


def _one_line(message: str) -> str:
    """``message`` with every character that is not printable escaped (``\\u2028``, ``\\r``,
    ``\\x1b``, lone surrogates): messages quote recorded text (a step's method, a host), and
    a line must stay one line, not move the terminal's cursor, and be writable."""
    if message.isprintable():
        return message
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in message)


class OneLineErrorCommand(click.Command):
    """Usage errors: one line and exit 2 (click's default prints usage lines too)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D401
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            _fail("aborted", ExitStatus.BAD_INPUT)
        except click.ClickException as exc:
            _fail(exc.format_message().replace("\n", " "), ExitStatus.BAD_INPUT)


class _Command(OneLineErrorCommand):
    """The converter; ``har2locust-plus verify ...`` hands over to the verify command."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D401
        # --- verify (issue 6): "har2locust-plus verify ..." is a command of its own ---
        argv = list(kwargs.get("args") or (args[0] if args else None) or sys.argv[1:])
        if argv[:1] == ["verify"]:
            from .verify.command import verify_command

            kwargs.pop("prog_name", None)
            return verify_command.main(args=argv[1:], prog_name="har2locust-plus verify",
                                       **{k: v for k, v in kwargs.items() if k != "args"})
        # --- end verify ---
        return super().main(*args, **kwargs)


@click.command(cls=_Command, epilog=EPILOG,
               context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("hars", metavar="INPUT.har[:WEIGHT]...", nargs=-1, required=True,
                type=click.Path(allow_dash=True, dir_okay=False))
@click.option("-o", "--output", metavar="OUT.py", default="-", show_default="stdout",
              type=click.Path(allow_dash=True, dir_okay=False), help="Where to write the script.")
@click.option("--user-class", type=click.Choice(["fast", "http"]), default="fast",
              show_default=True,
              help="fast: FastHttpUser (geventhttpclient, several times more requests per core); "
                   "http: HttpUser (python-requests).")
@click.option("--include-host", multiple=True, metavar="GLOB",
              help="Also replay requests to this host (third-party hosts are skipped). Repeatable.")
@click.option("--exclude-host", multiple=True, metavar="GLOB", help="Skip this host. Repeatable.")
@click.option("--include-url", multiple=True, metavar="REGEX",
              help="Replay only URLs matching one of these. Repeatable.")
@click.option("--exclude-url", multiple=True, metavar="REGEX",
              help="Skip URLs matching this. Repeatable.")
@click.option("--keep-static", is_flag=True,
              help="Also replay images, scripts, styles and fonts (skipped by default).")
@click.option("--think-time", default="recorded", show_default=True,
              metavar="recorded|none|MIN-MAX",
              help="Pauses between pages: as recorded, none, or random MIN-MAX seconds.")
@click.option("--correlate/--no-correlate", default=True, show_default=True,
              help="Turn recorded tokens, ids and nonces into values taken from live responses.")
@click.option("--correlate-rule", multiple=True, metavar="NAME=REGEX",
              help="Also extract group 1 of REGEX from responses as NAME. Repeatable.")
@click.option("--ignore-value", multiple=True, metavar="REGEX",
              help="Never correlate values matching REGEX (false positives). Repeatable.")
@click.option("--keep-session", is_flag=True,
              help="Keep cookies from one run of the flow to the next (default: each run starts "
                   "as a new user with an empty cookie jar, as the recording did).")
@click.option("--checks", type=click.Choice(["none", "status", "full"]), default="full",
              show_default=True,
              help="Checkpoints per request: none, status (and redirect target), or full "
                   "(also stable body text and JSON shape).")
@click.option("--transactions/--no-transactions", default=True, show_default=True,
              help="Also report each page as one row (type PAGE) in Locust's statistics: the "
                   "time of its requests, failed when one of them failed.")
@click.option("--rendezvous", multiple=True, metavar="STEP",
              help="Make users gather before this request and send it together: a step number "
                   "or 'METHOD /path' (* matches any characters). Repeatable.")
@click.option("--rendezvous-users", default="100%", show_default=True, metavar="N|P%",
              help="Users a rendezvous point waits for: a number, or a percentage of the users "
                   "running.")
@click.option("--rendezvous-timeout", default=10.0, show_default=True, metavar="SECONDS",
              type=float, help="Release whoever waits when nobody new arrived for this long.")
@click.option("--data", "data_file", metavar="USERS.csv",
              help="Give each virtual user its own login (and other detected inputs) from this "
                   "CSV file: the script's --data option, by default this file in the script's "
                   "folder.")
@click.option("--data-per", type=click.Choice(["user", "iteration"]), default="user",
              show_default=True,
              help="Take a new row of the --data file per virtual user, or per run of the flow.")
@click.option("--data-template", metavar="USERS.csv", type=click.Path(dir_okay=False),
              help="Write a CSV file with the detected columns and the recorded row.")
@click.option("--keep-secrets", is_flag=True,
              help="Keep recorded passwords and keys in the script (default: options of the "
                   "script, such as --password, by default the variable H2L_PASSWORD).")
@click.option("--unique", "unique_fields", multiple=True, metavar="FIELD",
              help="Append a fresh suffix to this form/JSON field each run (e.g. a title with "
                   "a unique constraint). Repeatable.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 2).")
@click.option("--report", "report_path", metavar="FILE.json",
              type=click.Path(dir_okay=False, writable=True),
              help="Also write the conversion report as JSON.")
@click.option("--timings", is_flag=True, help="Print the time each stage took (stderr).")
@click.option("-q", "--quiet", is_flag=True, help="No report on stderr, only errors.")
@click.option("--traceback", "show_traceback", is_flag=True,
              help="Show a traceback for errors (for bug reports).")
@click.version_option(__version__, "-V", "--version", prog_name="har2locust-plus")
def main(hars: tuple[str, ...], output: str, user_class: str, include_host: tuple[str, ...],
         exclude_host: tuple[str, ...], include_url: tuple[str, ...],
         exclude_url: tuple[str, ...], keep_static: bool, think_time: str,
         correlate: bool, correlate_rule: tuple[str, ...], ignore_value: tuple[str, ...],
         keep_session: bool, checks: str, data_file: str | None, data_per: str,
         data_template: str | None, keep_secrets: bool, transactions: bool,
         unique_fields: tuple[str, ...], rendezvous: tuple[str, ...], rendezvous_users: str,
         rendezvous_timeout: float, strict: bool, report_path: str | None, timings: bool,
         quiet: bool, show_traceback: bool) -> None:
    """Convert a browser recording (HAR) into a Locust script that works against a fresh server.

    INPUT.har is a HAR file exported by a browser (DevTools "Save all as HAR") or a proxy
    (Charles, Fiddler, mitmproxy, Playwright ...); "-" reads it from standard input.

    Several recordings make one script with a user class per recording; a suffix :WEIGHT
    (default 1) is the class's share of the users: browse.har:3 checkout.har:1.
    """
    try:
        config = load_config(Path.cwd())
        options = Options(
            user_class=user_class,  # type: ignore[arg-type]
            include_hosts=include_host,
            exclude_hosts=exclude_host,
            include_urls=include_url,
            exclude_urls=exclude_url,
            keep_static=keep_static,
            think_time=ThinkTime.parse(think_time),
            correlate=correlate,
            correlate_rules=config.rules + tuple(_rule(r) for r in correlate_rule),
            ignore_values=config.ignore_values + ignore_value,
            new_user_each_iteration=not keep_session,
            checks=checks,  # type: ignore[arg-type]
            transactions=transactions,
            data_file=data_file or data_template,
            data_per=data_per,  # type: ignore[arg-type]
            keep_secrets=keep_secrets,
            unique_fields=unique_fields,
            rendezvous=rendezvous,
            rendezvous_users=rendezvous_users.strip(),
            rendezvous_timeout=rendezvous_timeout,
        )
        if hars.count("-") > 1:
            raise BadOption('"-" (standard input) can be given once')
        recordings = [_recording(text) for text in hars]
        result: Result | WorkloadResult
        with _Progress(enabled=not quiet and sys.stderr.isatty()) as progress:
            if len(recordings) > 1:
                result = convert_workload(recordings, options, progress=progress)
                columns = result.workload.columns
            else:  # one recording: its weight does not matter, the script is as it always was
                (recording,) = recordings
                result = convert(recording.source, options, name=recording.name,
                                 progress=progress)
                columns = result.scenario.data_columns
        sections = getattr(result.report, "sections", (result.report,))
        warnings = [(section.source, d) for section in sections for d in section.diagnostics
                    if d.severity.value == "warning"]
        if strict and warnings:
            raise BadInput(warnings[0][0], f"{warnings[0][1].message} (--strict)")
        write_started = time.perf_counter()
        _write(output, result.code)
        write_seconds = time.perf_counter() - write_started
        if data_template:
            _write(data_template, _data_template(columns))
        if report_path:
            _write(report_path, _report_json(result.report.as_dict()))
    except (BadInput, BadOption, Har2LocustError) as exc:
        if show_traceback:
            traceback.print_exc()
        _fail(str(exc), ExitStatus.BAD_INPUT)
    except Exception as exc:  # a bug: say so in one line unless asked for the traceback
        if show_traceback:
            traceback.print_exc()
        _fail(f"internal error: {type(exc).__name__}: {exc} (run with --traceback and report it)",
              ExitStatus.ERROR)
    if not quiet:
        for line in result.report.summary_lines():  # they quote recorded text too
            click.echo(_one_line(line), err=True)
        if output != "-":
            click.echo(f"  wrote {output}", err=True)
    if timings:
        for stage, seconds in (*result.report.timings, ("write", write_seconds)):
            click.echo(f"  {stage:<16} {seconds * 1000:9.1f} ms", err=True)


class _Progress:
    """One status line on a terminal's stderr while a conversion runs, erased when it ends.

    A 140 MB recording takes a few seconds: the line says which stage is running. Nothing is
    written when stderr is not a terminal (logs, CI, pipes) or with ``-q``.
    """

    STAGES = ("load", *(name for name, _ in PIPELINE), "generate", "format")

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = False

    def __call__(self, stage: str) -> None:
        if not self.enabled:
            return
        number = self.STAGES.index(stage) + 1 if stage in self.STAGES else 0
        self._write(f"\r\x1b[Kconverting: {stage} ({number}/{len(self.STAGES)})")
        self.shown = True

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.shown:
            self._write("\r\x1b[K")

    @staticmethod
    def _write(text: str) -> None:
        # not click.echo: it strips the erase sequence unless it sees a terminal itself
        sys.stderr.write(text)
        sys.stderr.flush()


# Lone surrogates: what a HAR's "\udcff" escapes decode to; no UTF-8 file can hold one.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_WEIGHT = re.compile(r"(.+):([0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _recording(text: str) -> Recording:
    """``checkout.har:0.5`` → the file and its weight. Only a trailing ``:number`` is a weight
    (``C:\\rec\\a.har`` is a path), and a file that exists under the whole name wins."""
    if text == "-":
        return Recording(sys.stdin.buffer.read(), name="<stdin>")
    match = _WEIGHT.fullmatch(text)
    if match is None or os.path.exists(text):
        return Recording(text)
    path, weight = match.group(1), Fraction(match.group(2))
    if weight <= 0:
        raise BadOption(f"{text}: a recording's weight must be more than 0")
    return Recording(path, weight=weight)


def _data_template(columns: Any) -> str:
    """The CSV header and the recorded row (a lone surrogate in it becomes U+FFFD)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    writer.writerow([c.recorded for c in columns])
    return _LONE_SURROGATE.sub("\ufffd", buffer.getvalue())


def _report_json(report: dict[str, Any]) -> str:
    """The report as JSON text, readable (not ASCII-escaped); a lone surrogate (a host or a
    title may hold one) is written as its JSON escape, which reads back the same."""
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _rule(text: str) -> tuple[str, str]:
    name, sep, pattern = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise BadOption(
            f"--correlate-rule: expected NAME=REGEX with NAME an identifier, got {text!r}")
    return name.strip(), pattern


def _write(path: str, text: str) -> None:
    """Write ``text`` to ``path``: "-" is stdout, a regular file is replaced atomically.

    Anything else is written through, as the shell's ``>`` would: a character device
    (``/dev/null``), a FIFO, or a descriptor of this process (``/dev/stdout``, ``/dev/fd/N``)
    whatever it points at. Replacing those would put a regular file where the device was
    (as root, ``-o /dev/null`` did) or leave a reader of the FIFO waiting forever.
    """
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        if _names_a_descriptor(path) or not _regular_or_missing(path):
            with open(path, "a", encoding="utf-8") as handle:  # "a": never truncates a device
                handle.write(text)
        else:
            _replace(os.path.realpath(path), text)
    except OSError as exc:
        raise BadInput(path, f"cannot write: {exc.strerror or exc}") from None


def _regular_or_missing(path: str) -> bool:
    """True for a regular file (after symlinks) or a path with nothing there yet."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return True


_FD_DIRECTORY = re.compile(r"/proc/[^/]+(/task/[^/]+)?/fd")


def _names_a_descriptor(path: str) -> bool:
    """True when ``path`` is, or links through, an open descriptor (``/dev/stdout`` is
    ``/proc/self/fd/1``), which may point at a regular file the shell opened for us."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on a chain of links
        if _FD_DIRECTORY.fullmatch(os.path.realpath(os.path.dirname(current))):
            return True
        if not os.path.islink(current):
            return False
        current = os.path.join(os.path.dirname(current), os.readlink(current))
    return False


def _replace(target: str, text: str) -> None:
    """Write a temporary file beside ``target`` and rename it over it: a reader never sees
    half a script. ``target`` has its symlinks resolved (the link stays a link); an existing
    file keeps its permission bits."""
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None  # a new file: open's default, under the umask
    tmp = f"{target}.tmp{os.getpid()}"
    try:
        with open(tmp, "x", encoding="utf-8") as handle:
            handle.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def run() -> None:
    """The console script: :func:`main`, then exit without tearing the heap down.

    A large conversion leaves millions of objects alive; freeing them one by one at exit took
    0.2-0.3 s at 10,000 entries, after all the work was done and written. Output streams are
    flushed first and nothing registers exit handlers here. ``verify`` (which runs Locust's
    client code) exits normally.
    """
    if sys.argv[1:2] == ["verify"]:
        main()
        return
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):
        sys.exit(code)  # a message: let Python print it
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)
