"""``Location`` headers: ids in the path, codes and tickets in the query, tokens in the fragment.

``/notes/792040`` hands out a note's id; ``/callback?code=…&state=…`` an authorization code;
``/app#access_token=…`` a token a single-page app reads. Route words (``/accounts/login/``) are
never sources: a segment must hold a digit or be a long token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, unquote, urlsplit

from ... import ir
from ..grouping import identifier
from .rank import CAPITALS_CODE
from .sources import MIN_TOKEN, WORD, Source, id_name, is_id_name, route_word, token_like


def location_sources(step: ir.Step, location: str, header: str = "") -> Iterator[Source]:
    """What a ``Location`` hands out; or the URL another response header names (``header``:
    its name, see :data:`URL_HEADERS`)."""
    creates = step.request.method not in ("GET", "HEAD")
    url = header_url(header, location) if header else location
    for value, name, pattern, decode, where in url_values(url):
        yield Source(step.number, value, name, "location", expr=pattern,
                     how=f"{header or 'Location'} {where}"[:60], id_like=True, decode=decode,
                     creates=creates, object_id=where.startswith("segment"), header=header)


# Response headers other than Location that name a URL the client goes to or polls next: htmx
# (HX-Redirect, HX-Location: a path, or JSON with "path"), Inertia (X-Inertia-Location),
# Next.js's server actions (x-action-redirect: "/notes/7;push"), Remix and React Router
# (X-Remix-Redirect), Unpoly (X-Up-Location), the job pattern of APIs (Content-Location,
# Operation-Location, Azure-AsyncOperation), and Refresh ("0; url=/next"), lower case.
URL_HEADERS = frozenset({"hx-redirect", "hx-location", "x-inertia-location", "x-action-redirect",
                         "x-remix-redirect", "x-up-location", "content-location",
                         "operation-location", "azure-asyncoperation", "refresh"})
# any other header named as one that sends the script on (Icinga Web 2's X-Icinga-Redirect,
# a framework's X-Redirect, X-Foo-Location): "-redirect" or "-location" at the end
_OTHER_URL_HEADER = re.compile(r"[a-z0-9-]*-(?:redirect|location)")
# a whole URL percent-encoded in a header (Icinga Web 2: rawurlencode(absolute URL))
ENCODED_URL = re.compile(r"(?:https?%3A|%2F)", re.I)
_REFRESH_URL = re.compile(r"""^\s*\d*(?:\.\d*)?\s*[;,]\s*url\s*=\s*['"]?([^'"]*)""", re.I)


def is_url_header(low: str) -> bool:
    """Does a response header (its lower-case name) name a URL the client goes to next?"""
    return low in URL_HEADERS or _OTHER_URL_HEADER.fullmatch(low) is not None


def header_url(name: str, value: str) -> str:
    """The URL a response header names: HX-Location's JSON ``path``, Refresh's ``url=``,
    x-action-redirect's without its ``;push`` or ``;replace``, a whole URL percent-encoded
    decoded (Icinga Web 2's ``X-Icinga-Redirect``), else the value. The generated scripts'
    ``header_url`` does the same (a test holds them equal)."""
    value = value.strip()
    if ENCODED_URL.match(value):
        value = unquote(value)
    low = name.lower()
    if low == "x-action-redirect":
        return re.sub(r";(?:push|replace)$", "", value)
    if low == "refresh":
        match = _REFRESH_URL.match(value)
        return match.group(1).strip() if match else ""
    if low == "hx-location" and value.startswith("{"):
        try:
            path = json.loads(value).get("path")
        except (ValueError, AttributeError, RecursionError):
            return ""
        return path if isinstance(path, str) else ""
    return value


def url_values(url: str) -> Iterator[tuple[str, str, str, str, str]]:
    """What a URL hands out, as ``(value, variable name, pattern, decode, where)``: path
    segments that are values (``/notes/792040``), and query and fragment values that look made
    up (or digits under an id's name). ``pattern``'s group 1 finds the value in the URL without
    its scheme and host; ``decode`` undoes its escaping; ``where``: "segment 2", "query code"."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return  # not a URL (a Location's check reports it): nothing to hand out
    segments = parts.path.split("/")
    prefix = "^"  # the path before the segment, the values in it any value (they change too)
    parent = ""  # the route word before the segment, which names it
    for i, segment in enumerate(segments):
        value = unquote(segment)
        if not handed_out(value):
            prefix += re.escape(segment) + "/"
            parent = value or parent
            continue
        # /order/ED3HP/vosd88gqz7nb0g6u/: the secret's pattern may not hold the order's code,
        # nor its name: it is the order's second value (order_id_2 once order_id is taken)
        yield (value, id_name(parent), prefix + r"([^/?#]+)", "path" if "%" in segment else "",
               f"segment {i}")
        prefix += r"[^/?#]+/"
    for part, text, lead in (("query", parts.query, "?"), ("fragment", parts.fragment, "#")):
        for name, value in _params(text):
            if not value or not (token_like(value) or is_id_name(name) and value.isdigit()):
                continue
            yield (value, identifier(name) or "value",
                   f"[{re.escape(lead)}&]{re.escape(name)}=([^&#]*)", "url", f"{part} {name}")


def handed_out(segment: str) -> bool:
    """A path segment that is a value, not a route word: has a digit, is a long token, or a
    code in capitals (pretix's order code, ``/order/LDEGQ/…``, has a digit or none)."""
    if not segment or route_word(segment):
        return False
    if any(ch.isdigit() for ch in segment):
        return True
    if CAPITALS_CODE.fullmatch(segment):
        return True
    return len(segment) >= 2 * MIN_TOKEN and not WORD.fullmatch(segment)


def _params(text: str) -> list[tuple[str, str]]:
    if "=" not in text:
        return []
    try:
        return parse_qsl(text, keep_blank_values=True)
    except ValueError:
        return []
