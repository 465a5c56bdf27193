"""What every ``har2locust-plus`` command shares: one-line errors, exit statuses, the writer.

Each command (``convert``, ``verify``, ``record``) imports this module, never ``cli.py`` (the
entry point that groups them), so that no command module depends on another one.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import traceback
from collections.abc import Iterator
from typing import Any, NoReturn

import click

from .errors import BadInput, BadOption, ExitStatus, Har2LocustError

PROG = "har2locust-plus"
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"],
                                    "max_content_width": 100}


def fail(message: str, status: int) -> NoReturn:
    """Print ``har2locust-plus: error: <message>`` as one line on stderr and exit."""
    click.echo(f"{PROG}: error: {one_line(message)}", err=True)
    sys.exit(int(status))


def one_line(message: str) -> str:
    """``message`` with every character that is not printable escaped (``\\u2028``, ``\\r``,
    ``\\x1b``, lone surrogates): messages quote recorded text (a step's method, a host), and
    a line must stay one line, not move the terminal's cursor, and be writable."""
    if message.isprintable():
        return message
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in message)


@contextlib.contextmanager
def reporting_errors(show_traceback: bool) -> Iterator[None]:
    """Turn what a command's body raises into one line and an exit status.

    A :class:`Har2LocustError` is the user's to fix: exit 2. Anything else is a bug: exit 1,
    saying so. ``--traceback`` prints the traceback first, for bug reports. ``SystemExit`` and
    ``KeyboardInterrupt`` pass through.
    """
    try:
        yield
    except Har2LocustError as exc:
        if show_traceback:
            traceback.print_exc()
        fail(str(exc), ExitStatus.BAD_INPUT)
    except Exception as exc:  # a bug: say so in one line unless asked for the traceback
        if show_traceback:
            traceback.print_exc()
        fail(f"internal error: {type(exc).__name__}: {exc} (run with --traceback and report it)",
             ExitStatus.ERROR)


class OneLineErrors:
    """Mixin for click commands and groups: usage errors are one line and exit 2 (click's
    default prints usage lines too). Only the command that is started (the group, or a command
    run on its own) goes through ``main``; the commands of a group rely on the group's."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D401
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)  # type: ignore[misc]
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            fail("aborted", ExitStatus.BAD_INPUT)
        except click.UsageError as exc:  # still one line, and where to read more
            command = exc.ctx.command_path if exc.ctx is not None else PROG
            fail(f"{exc.format_message()} (see {command} --help)".replace("\n", " "),
                 ExitStatus.BAD_INPUT)
        except click.ClickException as exc:
            fail(exc.format_message().replace("\n", " "), ExitStatus.BAD_INPUT)


class OneLineErrorCommand(OneLineErrors, click.Command):
    """A click command whose usage errors are one line and exit 2."""


def rule(text: str) -> tuple[str, str]:
    """``--correlate-rule NAME=REGEX`` → ``(NAME, REGEX)``."""
    name, sep, pattern = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise BadOption(
            f"--correlate-rule: expected NAME=REGEX with NAME an identifier, got {text!r}")
    return name.strip(), pattern


def write(path: str, text: str) -> None:
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
