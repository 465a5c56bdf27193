"""Response headers and cookies: ``ETag``, token headers (``X-CSRF-Token``), ``Location`` (see
:mod:`.location`), and the header rules ``verify --fix`` finds by replaying.

Cookies are not response sources: a value a request sends that equals a cookie is read from the
user's live cookie jar when the request is sent (see :func:`cookie_values`), as the page's
script read ``document.cookie`` — whichever response set it last.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from ... import ir
from ...options import Options
from ..grouping import identifier
from .location import is_url_header, location_sources
from .sources import Source, Wanted


def header_sources(step: ir.Step, response: ir.RecordedResponse,
                   wanted: Wanted) -> Iterator[Source]:
    for name, value in response.headers:
        low = name.lower()
        if low == "location":
            yield from location_sources(step, value)
        elif is_url_header(low):
            yield from location_sources(step, value, header=name)
        elif low == "etag":
            if value in wanted:
                yield Source(step.number, value, "etag", "header", expr=name, how="header ETag",
                             id_like=True)
        elif _is_token_header(low) and value.strip() in wanted:
            yield Source(step.number, value.strip(), identifier(low.removeprefix("x-")) or "token",
                         "header", expr=name, how=f"header {name}", id_like=True)


@functools.lru_cache(maxsize=1024)
def _is_token_header(low: str) -> bool:
    """A response header that hands out a token (``X-CSRF-Token``, ``Authorization`` ...)."""
    return re.search(r"token|csrf|xsrf|session|nonce|auth", low) is not None and \
        low != "set-cookie"


def set_cookies(response: ir.RecordedResponse) -> Iterator[tuple[str, str]]:
    """``(name, value)`` of each ``Set-Cookie`` of a response (not the deleted ones)."""
    for header in response.header_values("set-cookie"):
        # some exporters join several Set-Cookie headers with newlines
        for line in header.split("\n"):
            pair = parse_cookie_pair(line.split(";", 1)[0])
            if pair is not None and not re.search(r";\s*max-age=0\b", line, re.I):
                yield pair


def parse_cookie_pair(text: str) -> tuple[str, str] | None:
    name, eq, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not eq or not name:
        return None
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return name, value


def cookie_values(name: str, value: str) -> Iterator[tuple[str, str]]:
    """What a page's script may send of a cookie: ``(sent value, decode)``: the value as it
    is, and percent-decoded (Laravel's and Angular's ``XSRF-TOKEN``)."""
    yield value, ""
    if "%" in value:
        plain = unquote(value)
        if plain != value:
            yield plain, "url"


# --- verify (issue 6): rules over response headers, found by replaying -----------------------


def header_rule_sources(step: ir.Step, response: ir.RecordedResponse,
                        options: Options) -> list[Source]:
    """Sources from ``Options.correlate_header_rules``: a Location rule becomes a ``location``
    extraction (its regex runs over the Location path); any other header is taken whole."""
    found = []
    for name, header, pattern in options.correlate_header_rules:
        value = response.header(header)
        if value is None:
            continue
        if header.lower() == "location":
            try:
                location = urlsplit(value)
            except ValueError:
                continue
            relative = location.path + (f"?{location.query}" if location.query else "")
            match = re.search(pattern, relative)
            if match and match.group(1):
                found.append(Source(step.number, unquote(match.group(1)), name, "location",
                                    expr=pattern, how=f"rule {name} (Location)", id_like=True))
            continue
        match = re.search(pattern, value)
        if match and match.group(1) == value.strip():
            found.append(Source(step.number, value.strip(), name, "header", expr=header,
                                how=f"rule {name} (header {header})", id_like=True))
    return found
