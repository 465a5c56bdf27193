"""``har2locust-plus verify``: the click command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..cli_common import CONTEXT_SETTINGS, OneLineErrorCommand, reporting_errors, rule, write
from ..errors import BadInput, BadOption
from ..options import Options

EPILOG = """\b
Examples:
  har2locust-plus verify capture.har --host http://127.0.0.1:5000
  har2locust-plus verify capture.har --host http://127.0.0.1:5000 --fix -o locustfile.py
  har2locust-plus verify capture.har --host http://127.0.0.1:5000 --locustfile mine.py
  har2locust-plus verify capture.har --host http://127.0.0.1:5000 --report v.json --html v.html

\b
Only the --host origin is contacted: requests and redirects to any other origin are refused.
Exit status: 0 the replay matches the recording, 1 it does not (or an internal error),
2 bad input or usage, or the host is unreachable (one line on stderr).
"""


@click.command("verify", cls=OneLineErrorCommand, epilog=EPILOG,
               context_settings=CONTEXT_SETTINGS)
@click.argument("har", metavar="INPUT.har", type=click.Path(dir_okay=False))
@click.option("--host", required=True, metavar="URL",
              help="The application to replay against, e.g. http://127.0.0.1:5000.")
@click.option("-o", "--output", metavar="OUT.py", type=click.Path(dir_okay=False),
              help="Write the script that was verified (with --fix: the fixed one).")
@click.option("--locustfile", metavar="EXISTING.py", type=click.Path(dir_okay=False),
              help="Verify this script instead of converting INPUT.har (the HAR is the "
                   "reference to compare with).")
@click.option("--fix", is_flag=True,
              help="Add the dynamic values found by replaying as correlation rules (and make "
                   "a name the second run found taken unique per run), regenerate and verify "
                   "again (until it passes or nothing new turns up).")
@click.option("--report", "report_path", metavar="VERIFY.json", type=click.Path(dir_okay=False),
              help="Write the result as JSON.")
@click.option("--html", "html_path", metavar="VERIFY.html", type=click.Path(dir_okay=False),
              help="Write the result as one self-contained HTML page.")
@click.option("--user-class", type=click.Choice(["fast", "http"]), default="fast",
              show_default=True, help="FastHttpUser or HttpUser.")
@click.option("--correlate/--no-correlate", default=True, show_default=True,
              help="Record-based correlation (replay-based correlation always runs).")
@click.option("--correlate-rule", multiple=True, metavar="NAME=REGEX",
              help="Also extract group 1 of REGEX from responses as NAME. Repeatable.")
@click.option("--ignore-value", multiple=True, metavar="REGEX",
              help="Never correlate values matching REGEX. Repeatable.")
@click.option("--checks", type=click.Choice(["none", "status", "full"]), default="full",
              show_default=True, help="Checkpoints per request.")
@click.option("--keep-secrets", is_flag=True,
              help="Keep recorded passwords and keys in the script (default: environment "
                   "variables, which must then be set for verify too).")
@click.option("--include-url", multiple=True, metavar="REGEX", help="Replay only these URLs.")
@click.option("--exclude-url", multiple=True, metavar="REGEX", help="Skip these URLs.")
@click.option("--unique", "unique_fields", multiple=True, metavar="FIELD",
              help="Append a fresh suffix to this form/JSON field each run. Repeatable.")
@click.option("--keep-session", is_flag=True,
              help="Keep the cookie jar from one run of the flow to the next (default: each "
                   "run starts as a new user, as recorded).")
@click.option("--timeout", default=60.0, show_default=True, metavar="SECONDS", type=float,
              help="Give up on the replay after this long.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.option("--traceback", "show_traceback", is_flag=True,
              help="Show a traceback for errors (for bug reports).")
def verify_command(har: str, host: str, output: str | None, locustfile: str | None, fix: bool,
                   report_path: str | None, html_path: str | None, user_class: str,
                   correlate: bool, correlate_rule: tuple[str, ...],
                   ignore_value: tuple[str, ...], checks: str, keep_secrets: bool,
                   include_url: tuple[str, ...], exclude_url: tuple[str, ...],
                   unique_fields: tuple[str, ...], keep_session: bool, timeout: float,
                   quiet: bool, show_traceback: bool) -> None:
    """Replay INPUT.har against --host (one user, two iterations of the flow), compare every
    step with the recording, and find the dynamic values correlation missed."""
    def progress(line: str) -> None:
        if not quiet:
            click.echo(line, err=True)

    with reporting_errors(show_traceback):
        if fix and locustfile:
            raise BadOption("--fix regenerates the script from INPUT.har; it cannot change an "
                            "existing --locustfile (drop one of them)")
        if not 0 < timeout <= 3600:
            raise BadOption(f"--timeout: expected 0 < SECONDS <= 3600, got {timeout:g}")
        options = Options(
            user_class=user_class,  # type: ignore[arg-type]
            correlate=correlate,
            correlate_rules=tuple(rule(r) for r in correlate_rule),
            ignore_values=ignore_value,
            checks=checks,  # type: ignore[arg-type]
            keep_secrets=keep_secrets,
            include_urls=include_url,
            exclude_urls=exclude_url,
            unique_fields=unique_fields,
            new_user_each_iteration=not keep_session,
        )
        existing = Path(locustfile) if locustfile else None
        if existing is not None and not existing.is_file():
            raise BadInput(locustfile or "", "no such file")
        from .core import verify  # imports locust (and gevent's monkey patching) only now
        from .report_html import render_html
        from .report_text import outcome_dict, outcome_lines

        outcome = verify(har, host, options, locustfile=existing, fix=fix, timeout=timeout,
                         progress=progress)
        for line in outcome_lines(outcome, fix=fix):
            click.echo(line)
        final_code = outcome.final.code
        if output and final_code is not None:
            write(output, final_code)
            progress(f"  wrote {output}")
        if report_path:
            write(report_path, json.dumps(outcome_dict(outcome), indent=2, ensure_ascii=False)
                  + "\n")
        if html_path:
            write(html_path, render_html(outcome))
    sys.exit(0 if outcome.passed else 1)
