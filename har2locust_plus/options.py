"""Conversion options: one frozen dataclass passed explicitly through the pipeline."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from .errors import BadOption


@dataclass(frozen=True, slots=True)
class ThinkTime:
    """``recorded`` (sleep the recorded gaps), ``none``, or a random ``low``-``high`` range."""

    mode: Literal["recorded", "none", "range"] = "recorded"
    low: float = 0.0
    high: float = 0.0

    @classmethod
    def parse(cls, text: str) -> ThinkTime:
        text = text.strip().lower()
        if text in ("recorded", "none"):
            return cls(mode=text)  # type: ignore[arg-type]
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)", text)
        if not match:
            raise BadOption(
                f"--think-time: expected recorded, none or MIN-MAX seconds, got {text!r}")
        low, high = float(match.group(1)), float(match.group(2))
        if low > high:
            raise BadOption(f"--think-time: MIN ({low:g}) is larger than MAX ({high:g})")
        return cls(mode="range", low=low, high=high)


@dataclass(frozen=True, slots=True)
class Options:
    """Everything that changes what :func:`har2locust_plus.convert` produces."""

    user_class: Literal["fast", "http"] | None = None  # None: fast unless the flow needs http
    include_hosts: tuple[str, ...] = ()  # glob patterns of extra hosts to keep
    exclude_hosts: tuple[str, ...] = ()
    include_urls: tuple[str, ...] = ()  # regexes; when given, only matching URLs are kept
    exclude_urls: tuple[str, ...] = ()
    keep_static: bool = False
    think_time: ThinkTime = ThinkTime()
    max_think_time: float = 30.0  # recorded gaps longer than this are capped (and reported)
    correlate: bool = True
    correlate_rules: tuple[tuple[str, str], ...] = ()  # (name, regex with one group)
    # --- verify (issue 6): rules found by replaying, and correlation limited to rules ---
    # (name, header, regex with one group over the header's value; Location: over its path)
    correlate_header_rules: tuple[tuple[str, str, str], ...] = ()
    correlate_auto: bool = True  # False: only the rules and client-made values (verify --fix)
    # (cookie name, value the recorded requests send): requests that send the value read it
    # from the live cookie jar instead (verify --fix, for recordings without cookies)
    correlate_cookie_rules: tuple[tuple[str, str], ...] = ()
    # --- end verify ---
    new_user_each_iteration: bool = True  # clear the cookie jar before each run of the flow
    ignore_values: tuple[str, ...] = ()  # regexes of values never correlated
    checks: Literal["none", "status", "full"] = "full"
    rendezvous: tuple[str, ...] = ()  # step selectors: "METHOD /path*" or a step number
    rendezvous_users: str = "100%"
    rendezvous_timeout: float = 10.0
    class_name: str | None = None  # default: from the HAR's file name
    data_file: str | None = None  # --data users.csv: per-user credentials and inputs
    data_per: Literal["user", "iteration"] = "user"  # a new row per user, or per run of the flow
    keep_secrets: bool = False  # keep recorded passwords and keys inline
    unique_fields: tuple[str, ...] = ()  # form/JSON fields made unique per iteration
    transactions: bool = True  # each page is also a row of its own (type PAGE) in the stats

    def __post_init__(self) -> None:
        for flag, patterns in (("--include-url", self.include_urls),
                               ("--exclude-url", self.exclude_urls),
                               ("--ignore-value", self.ignore_values)):
            for pattern in patterns:
                _compile(flag, pattern)
        for name, pattern in self.correlate_rules:
            if _compile("--correlate-rule", pattern).groups != 1:
                raise BadOption(f"--correlate-rule {name}: the regex needs exactly one group")
        for name, _header, pattern in self.correlate_header_rules:  # verify (issue 6)
            if _compile("header rule", pattern).groups != 1:
                raise BadOption(f"header rule {name}: the regex needs exactly one group")
        _check_rendezvous(self.rendezvous_users, self.rendezvous_timeout)


def _check_rendezvous(users: str, timeout: float) -> None:
    """``N`` users (N >= 1) or ``P%`` of the running users (0 < P <= 100); a positive timeout."""
    match = re.fullmatch(r"[1-9][0-9]*|([0-9]+(?:\.[0-9]+)?)%", users)
    if not match or (match.group(1) and not 0 < float(match.group(1)) <= 100):
        raise BadOption(f"--rendezvous-users: expected a number N or a percentage P% "
                        f"(at most 100%), got {users!r}")
    if not 0 < timeout < math.inf:
        raise BadOption(f"--rendezvous-timeout: expected a positive number of seconds, "
                        f"got {timeout!r}")


def _compile(flag: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise BadOption(f"{flag}: invalid regular expression {pattern!r}: {exc}") from None
