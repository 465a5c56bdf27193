"""One root exception type and the process exit statuses."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    SUCCESS = 0
    ERROR = 1  # an internal error: a bug in har2locust-plus
    BAD_INPUT = 2  # bad input or usage: the user can fix it


class Har2LocustError(Exception):
    """Root of every error har2locust-plus reports to its user."""


class BadInput(Har2LocustError):
    """The input cannot be converted; ``where`` is the JSON path of the problem, if known."""

    def __init__(self, source: str, message: str, where: str = "") -> None:
        self.source = source
        self.where = where
        self.reason = message
        location = f"{source}: {where}: " if where else f"{source}: "
        super().__init__(location + message)


class BadOption(Har2LocustError):
    """An option value that cannot be used (bad regex, bad range ...)."""
