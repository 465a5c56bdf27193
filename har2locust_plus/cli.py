"""The ``har2locust-plus`` entry point: a group of commands, ``convert`` being the default.

``har2locust-plus capture.har -o locustfile.py`` still converts: a first argument that is not a
command's name (nor an option of the group) means ``convert``. Commands are imported when they
run, so converting never imports the verifier (Locust's client) or the recorder (Playwright).
No command module imports this one.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import Any

import click

from . import __version__
from .cli_common import CONTEXT_SETTINGS, PROG, OneLineErrors

EPILOG = """\b
Examples:
  har2locust-plus record https://shop.example.com -o capture.har
  har2locust-plus capture.har -o locustfile.py
  har2locust-plus capture.har --think-time 1-3 --user-class http > locustfile.py
  har2locust-plus browse.har checkout.har:1 admin.har:0.2 -o locustfile.py
  har2locust-plus verify capture.har --host http://127.0.0.1:5000 [--fix -o locustfile.py]

\b
Then run the script against any host, e.g. a fresh test server:
  locust -f locustfile.py --headless -u 10 -r 2 -t 1m --host http://127.0.0.1:5000

\b
Without a command name, the arguments are convert's: "har2locust-plus capture.har" is
"har2locust-plus convert capture.har". A HAR file named like a command is given as ./verify.
"har2locust-plus COMMAND --help" tells more.

\b
Exit status: 0 done, 2 bad input or usage (one line on stderr), 1 internal error;
verify: 1 also when the replay does not match; record: 130/143 when a signal stopped a script.
"""

DEFAULT_COMMAND = "convert"
# name → (module, attribute, one-line description), in the order --help lists them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "convert": ("har2locust_plus.convert_command", "convert_command",
                "Convert a HAR recording into a Locust script (the default command)."),
    "verify": ("har2locust_plus.verify.command", "verify_command",
               "Replay a recording against a running app and compare with the recording."),
    "record": ("har2locust_plus.record.command", "record_command",
               "Record a HAR with a real browser: by hand, or along a journey script."),
}
_GROUP_OPTIONS = frozenset({"-h", "--help", "-V", "--version"})


def command_name(args: list[str]) -> str | None:
    """The command ``args`` run (``None``: the group itself, for --help or --version)."""
    if args and args[0] in _GROUP_OPTIONS:
        return None
    if args and args[0] in COMMANDS:
        return args[0]
    return DEFAULT_COMMAND


class _Group(OneLineErrors, click.Group):
    """Commands loaded on first use; arguments without a command name go to ``convert``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args:  # nothing at all: the group's help is what to read, not convert's
            raise click.UsageError("Missing argument 'INPUT.har[:WEIGHT]...' or a command",
                                   ctx)
        name = command_name(args)
        if name is not None and args[:1] != [name]:
            args = [name, *args]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their descriptions, without importing them."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, help) for name, (_, _, help) in COMMANDS.items()])


@click.group(PROG, cls=_Group, epilog=EPILOG, context_settings=CONTEXT_SETTINGS,
             options_metavar="[-h] [-V]", subcommand_metavar="[COMMAND] ARGS...")
@click.version_option(__version__, "-V", "--version", prog_name=PROG)
def main() -> None:
    """Record a browser session as a HAR file, turn it into a Locust script that works
    against a fresh server, and verify the script against a running app."""


def run() -> None:
    """The console script: :func:`main`, then, for ``convert``, exit without tearing the heap
    down.

    A large conversion leaves millions of objects alive; freeing them one by one at exit took
    0.2-0.3 s at 10,000 entries, after all the work was done and written. Output streams are
    flushed first and nothing registers exit handlers here. ``verify`` (which runs Locust's
    client code) and ``record`` (which stops Playwright's driver at exit) exit normally.

    For the same reason the cycle collector stays off for the whole process (a conversion
    pauses it anyway, see :func:`.core.convert`): switched back on, its first pass would scan
    every object the conversion made, about 0.1 s at 10,000 entries, just before exiting.
    """
    if command_name(sys.argv[1:]) != DEFAULT_COMMAND:
        main()
        return
    gc.disable()
    try:
        main()
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):
        sys.exit(code)  # a message: let Python print it
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)
