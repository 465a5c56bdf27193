"""``har2locust-plus convert``: a thin shell around :func:`har2locust_plus.convert`.

Its options are defined once (:func:`conversion_options`) because ``record --convert`` takes
them too, and :func:`convert_files` is what both commands run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import click

from .cli_common import (
    CONTEXT_SETTINGS,
    OneLineErrorCommand,
    one_line,
    reporting_errors,
    rule,
    write,
)
from .config import load_config
from .core import Recording, Result, WorkloadResult, convert, convert_workload
from .errors import BadInput, BadOption
from .options import Options, ThinkTime
from .stages import PIPELINE

EPILOG = """\b
Examples:
  har2locust-plus capture.har -o locustfile.py
  har2locust-plus convert capture.har -o locustfile.py     (the same; "convert" may be left out)
  har2locust-plus capture.har --think-time 1-3 --user-class http > locustfile.py
  cat capture.har | har2locust-plus - -o locustfile.py
  har2locust-plus capture.har --include-host api.example.com --exclude-url '/telemetry'
  har2locust-plus capture.har --report report.json -o locustfile.py
  har2locust-plus browse.har checkout.har:1 admin.har:0.2 -o locustfile.py

\b
Then run the script against any host, e.g. a fresh test server:
  locust -f locustfile.py --headless -u 10 -r 2 -t 1m --host http://127.0.0.1:5000

\b
A HAR file named like a command (verify, record, convert) is given as ./verify or after
"convert": har2locust-plus convert verify -o locustfile.py

\b
Exit status: 0 done, 2 bad input or usage (one line on stderr), 1 internal error.
"""

F = TypeVar("F", bound=Callable[..., Any])

# Everything that shapes the script, shared with ``record --convert``; each becomes a keyword
# argument of the command's function, read back by :func:`conversion_from`.
_CONVERSION_OPTIONS = (
    click.option("--user-class", type=click.Choice(["fast", "http"]), default="fast",
                 show_default=True,
                 help="fast: FastHttpUser (geventhttpclient, several times more requests per "
                      "core); http: HttpUser (python-requests)."),
    click.option("--include-host", multiple=True, metavar="GLOB",
                 help="Also replay requests to this host (third-party hosts are skipped). "
                      "Repeatable."),
    click.option("--exclude-host", multiple=True, metavar="GLOB",
                 help="Skip this host. Repeatable."),
    click.option("--include-url", multiple=True, metavar="REGEX",
                 help="Replay only URLs matching one of these. Repeatable."),
    click.option("--exclude-url", multiple=True, metavar="REGEX",
                 help="Skip URLs matching this. Repeatable."),
    click.option("--keep-static", is_flag=True,
                 help="Also replay images, scripts, styles and fonts (skipped by default)."),
    click.option("--think-time", default="recorded", show_default=True,
                 metavar="recorded|none|MIN-MAX",
                 help="Pauses between pages: as recorded, none, or random MIN-MAX seconds."),
    click.option("--correlate/--no-correlate", default=True, show_default=True,
                 help="Turn recorded tokens, ids and nonces into values taken from live "
                      "responses."),
    click.option("--correlate-rule", multiple=True, metavar="NAME=REGEX",
                 help="Also extract group 1 of REGEX from responses as NAME. Repeatable."),
    click.option("--ignore-value", multiple=True, metavar="REGEX",
                 help="Never correlate values matching REGEX (false positives). Repeatable."),
    click.option("--keep-session", is_flag=True,
                 help="Keep cookies from one run of the flow to the next (default: each run starts "
                      "as a new user with an empty cookie jar, as the recording did)."),
    click.option("--checks", type=click.Choice(["none", "status", "full"]), default="full",
                 show_default=True,
                 help="Checkpoints per request: none, status (and redirect target), or full "
                      "(also stable body text and JSON shape)."),
    click.option("--transactions/--no-transactions", default=True, show_default=True,
                 help="Also report each page as one row (type PAGE) in Locust's statistics: the "
                      "time of its requests, failed when one of them failed."),
    click.option("--rendezvous", multiple=True, metavar="STEP",
                 help="Make users gather before this request and send it together: a step number "
                      "or 'METHOD /path' (* matches any characters). Repeatable."),
    click.option("--rendezvous-users", default="100%", show_default=True, metavar="N|P%",
                 help="Users a rendezvous point waits for: a number, or a percentage of the users "
                      "running."),
    click.option("--rendezvous-timeout", default=10.0, show_default=True, metavar="SECONDS",
                 type=float, help="Release whoever waits when nobody new arrived for this long."),
    click.option("--data", "data_file", metavar="USERS.csv",
                 help="Give each virtual user its own login (and other detected inputs) from this "
                      "CSV file: the script's --data option, by default this file in the script's "
                      "folder."),
    click.option("--data-per", type=click.Choice(["user", "iteration"]), default="user",
                 show_default=True,
                 help="Take a new row of the --data file per virtual user, or per run of the "
                      "flow."),
    click.option("--data-template", metavar="USERS.csv", type=click.Path(dir_okay=False),
                 help="Write a CSV file with the detected columns and the recorded row."),
    click.option("--keep-secrets", is_flag=True,
                 help="Keep recorded passwords and keys in the script (default: options of the "
                      "script, such as --password, by default the variable H2L_PASSWORD)."),
    click.option("--unique", "unique_fields", multiple=True, metavar="FIELD",
                 help="Append a fresh suffix to this form/JSON field each run (e.g. a title with "
                      "a unique constraint). Repeatable."),
    click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 2)."),
    click.option("--report", "report_path", metavar="FILE.json",
                 type=click.Path(dir_okay=False, writable=True),
                 help="Also write the conversion report as JSON."),
    click.option("--timings", is_flag=True, help="Print the time each stage took (stderr)."),
)


def conversion_options(command: F) -> F:
    """Decorate a click command with every option of the conversion (in help order)."""
    for option in reversed(_CONVERSION_OPTIONS):
        command = option(command)
    return command


@dataclass(frozen=True)
class Conversion:
    """What the conversion options ask for: the :class:`Options` and what to write besides."""

    options: Options
    strict: bool = False
    data_template: str | None = None
    report_path: str | None = None
    timings: bool = False


def conversion_from(params: dict[str, Any]) -> Conversion:
    """The :class:`Conversion` the options of :func:`conversion_options` ask for.

    ``params`` holds the keyword arguments click passed (other ones are ignored). Raises
    :class:`BadOption` for a value that cannot be used; ``pyproject.toml``'s rules (read from
    the current directory) come first.
    """
    config = load_config(Path.cwd())
    options = Options(
        user_class=params["user_class"],
        include_hosts=params["include_host"],
        exclude_hosts=params["exclude_host"],
        include_urls=params["include_url"],
        exclude_urls=params["exclude_url"],
        keep_static=params["keep_static"],
        think_time=ThinkTime.parse(params["think_time"]),
        correlate=params["correlate"],
        correlate_rules=config.rules + tuple(rule(r) for r in params["correlate_rule"]),
        ignore_values=config.ignore_values + params["ignore_value"],
        new_user_each_iteration=not params["keep_session"],
        checks=params["checks"],
        transactions=params["transactions"],
        data_file=params["data_file"] or params["data_template"],
        data_per=params["data_per"],
        keep_secrets=params["keep_secrets"],
        unique_fields=params["unique_fields"],
        rendezvous=params["rendezvous"],
        rendezvous_users=params["rendezvous_users"].strip(),
        rendezvous_timeout=params["rendezvous_timeout"],
    )
    return Conversion(options, strict=params["strict"], data_template=params["data_template"],
                      report_path=params["report_path"], timings=params["timings"])


@dataclass(frozen=True)
class Converted:
    """A conversion that was written: the result and the time the write took."""

    result: Result | WorkloadResult
    write_seconds: float


def convert_files(hars: tuple[str, ...], output: str, conversion: Conversion, *,
                  quiet: bool) -> Converted:
    """Convert the recordings (``name.har[:weight]`` or "-") and write the script, and the
    data template and report if asked. Raises :class:`Har2LocustError` for the user's errors."""
    if hars.count("-") > 1:
        raise BadOption('"-" (standard input) can be given once')
    recordings = [_recording(text) for text in hars]
    result: Result | WorkloadResult
    with _Progress(enabled=not quiet and sys.stderr.isatty()) as progress:
        if len(recordings) > 1:
            result = convert_workload(recordings, conversion.options, progress=progress)
            columns = result.workload.columns
        else:  # one recording: its weight does not matter, the script is as it always was
            (recording,) = recordings
            result = convert(recording.source, conversion.options, name=recording.name,
                             progress=progress)
            columns = result.scenario.data_columns
    sections = getattr(result.report, "sections", (result.report,))
    warnings = [(section.source, d) for section in sections for d in section.diagnostics
                if d.severity.value == "warning"]
    if conversion.strict and warnings:
        raise BadInput(warnings[0][0], f"{warnings[0][1].message} (--strict)")
    write_started = time.perf_counter()
    write(output, result.code)
    write_seconds = time.perf_counter() - write_started
    if conversion.data_template:
        write(conversion.data_template, _data_template(columns))
    if conversion.report_path:
        write(conversion.report_path, _report_json(result.report.as_dict()))
    return Converted(result, write_seconds)


def print_report(converted: Converted, output: str, *, quiet: bool, timings: bool) -> None:
    """The conversion report on stderr (unless ``quiet``), then the stage timings if asked."""
    result = converted.result
    if not quiet:
        for line in result.report.summary_lines():  # they quote recorded text too
            click.echo(one_line(line), err=True)
        if output != "-":
            click.echo(f"  wrote {output}", err=True)
    if timings:
        for stage, seconds in (*result.report.timings, ("write", converted.write_seconds)):
            click.echo(f"  {stage:<16} {seconds * 1000:9.1f} ms", err=True)


@click.command("convert", cls=OneLineErrorCommand, epilog=EPILOG,
               context_settings=CONTEXT_SETTINGS)
@click.argument("hars", metavar="INPUT.har[:WEIGHT]...", nargs=-1, required=True,
                type=click.Path(allow_dash=True, dir_okay=False))
@click.option("-o", "--output", metavar="OUT.py", default="-", show_default="stdout",
              type=click.Path(allow_dash=True, dir_okay=False), help="Where to write the script.")
@conversion_options
@click.option("-q", "--quiet", is_flag=True, help="No report on stderr, only errors.")
@click.option("--traceback", "show_traceback", is_flag=True,
              help="Show a traceback for errors (for bug reports).")
def convert_command(hars: tuple[str, ...], output: str, quiet: bool, show_traceback: bool,
                    **params: Any) -> None:
    """Convert a browser recording (HAR) into a Locust script that works against a fresh server.

    INPUT.har is a HAR file exported by a browser (DevTools "Save all as HAR"), a proxy
    (Charles, Fiddler, mitmproxy ...) or "har2locust-plus record"; "-" reads it from standard
    input.

    Several recordings make one script with a user class per recording; a suffix :WEIGHT
    (default 1) is the class's share of the users: browse.har:3 checkout.har:1.
    """
    with reporting_errors(show_traceback):
        conversion = conversion_from(params)
        converted = convert_files(hars, output, conversion, quiet=quiet)
    print_report(converted, output, quiet=quiet, timings=conversion.timings)


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
