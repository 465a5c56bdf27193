"""``har2locust-plus record``: the click command around :func:`recorder.record`."""

from __future__ import annotations

import shlex
import signal
import sys
from typing import Any
from urllib.parse import urlsplit

import click

from ..cli_common import CONTEXT_SETTINGS, OneLineErrorCommand, fail, reporting_errors
from ..convert_command import conversion_from, conversion_options, convert_files, print_report
from ..errors import BadOption
from .recorder import RecordingStopped, load_journey, normalize_url, record

EPILOG = """\b
Examples:
  har2locust-plus record https://shop.example.com -o capture.har
  har2locust-plus record http://127.0.0.1:5000 --script journey.py -o capture.har
  har2locust-plus record http://127.0.0.1:5000 --script journey.py -o capture.har \\
      --convert locustfile.py --think-time 1-3
  har2locust-plus record localhost:5000 -o capture.har --browser-path /usr/bin/chromium

\b
A journey file defines journey(page), given a Playwright page already at URL:
  def journey(page):
      page.click("#login-link")
      page.fill("#username", "alice")
      ...

\b
The HAR is saved (atomically) when the window is closed, when the journey returns, and on
Ctrl-C or SIGTERM: what was recorded is never lost.
Exit status: 0 recorded; 2 bad input or usage, an unreachable URL, no browser, no Playwright,
or the journey raised (its HAR is written); 130 / 143: SIGINT / SIGTERM stopped a --script
journey or SIGTERM stopped an interactive recording (the HAR is written, --convert skipped;
Ctrl-C is how an interactive recording may end: exit 0). 1 internal error.
"""


@click.command("record", cls=OneLineErrorCommand, epilog=EPILOG,
               context_settings=CONTEXT_SETTINGS)
@click.argument("url", metavar="URL")
@click.option("-o", "--output", metavar="CAPTURE.har", required=True,
              type=click.Path(dir_okay=False), help="Where to write the HAR.")
@click.option("--script", "script_path", metavar="JOURNEY.py", type=click.Path(dir_okay=False),
              help="Record along the journey(page) function of this file instead of by hand "
                   "(headless unless --headed).")
@click.option("--headless/--headed", default=None,
              help="Hide or show the browser window (default: shown by hand, hidden with "
                   "--script).")
@click.option("--browser-path", metavar="PATH",
              help="The Chromium-based browser to run (default: Playwright's Chromium if "
                   "installed, else chromium, google-chrome, microsoft-edge ... found on PATH).")
@click.option("--browser-arg", multiple=True, metavar="ARG",
              help="Add this switch to the browser's command line, e.g. "
                   "--browser-arg=--proxy-server=http://127.0.0.1:8080. Repeatable.")
@click.option("--convert", "locustfile", metavar="OUT.py",
              type=click.Path(allow_dash=True, dir_okay=False),
              help="Then convert the HAR into this Locust script, as convert would, with the "
                   "conversion options below.")
@conversion_options
@click.option("-q", "--quiet", is_flag=True, help="No progress or report on stderr, only errors.")
@click.option("--traceback", "show_traceback", is_flag=True,
              help="Show a traceback for errors (for bug reports).")
def record_command(url: str, output: str, script_path: str | None, headless: bool | None,
                   browser_path: str | None, browser_arg: tuple[str, ...],
                   locustfile: str | None, quiet: bool, show_traceback: bool,
                   **params: Any) -> None:
    """Record what a real browser does at URL into a HAR file: you click through the site
    and close the window when done, or a --script journey drives it.

    URL is http(s); a bare host[:port] means http://. Nothing is left out of the HAR (cookies,
    Set-Cookie, bodies): keep it private. An answer whose page left at once has no body in
    it (the browser dropped it): a warning names each.
    """
    def progress(line: str) -> None:
        if not quiet:
            click.echo(line, err=True)

    with reporting_errors(show_traceback):
        url = normalize_url(url)
        if headless and not script_path:
            raise BadOption("--headless needs --script: nobody could click in a browser "
                            "without a window")
        if output == "-":
            raise BadOption("-o: the HAR needs a file name (it is written when the recording "
                            "ends)")
        conversion = conversion_from(params) if locustfile else None  # bad options: fail now
        journey = load_journey(script_path) if script_path else None
        try:
            summary = record(url, output, journey=journey, browser_path=browser_path,
                             headless=headless, launch_args=browser_arg, progress=progress)
        except RecordingStopped as stop:
            fail(f"stopped by {stop} before anything was recorded", 128 + stop.signum)
        progress(summary.line())
        if (warning := summary.warning()) is not None:
            click.echo(warning, err=True)  # also with --quiet: the HAR lacks something
        stopped = summary.stopped_by
        if stopped is not None and not (stopped == signal.SIGINT and journey is None):
            sys.exit(128 + stopped)  # a journey cut short: its HAR is written, not converted
        if conversion is None or locustfile is None:
            progress(f"next: har2locust-plus {shlex.quote(output)} -o locustfile.py")
            return
        converted = convert_files((output,), locustfile, conversion, quiet=quiet)
    print_report(converted, locustfile, quiet=quiet, timings=conversion.timings)
    if locustfile != "-":
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
        progress(f"next: locust -f {shlex.quote(locustfile)} --headless -u 10 -r 2 -t 1m "
                 f"--host {origin}")

