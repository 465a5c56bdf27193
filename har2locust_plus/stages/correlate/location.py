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
    if creates:
        yield from _slug_sources(step, url, header)


def _slug_sources(step: ir.Step, url: str, header: str) -> Iterator[Source]:
    """A path segment of words that the server made from a name the post sent (a CMS's
    id from the title typed: Plone's ``Harbour Meeting Minutes`` → ``/Plone/harbour-meeting-
    minutes/view``, ``…-minutes-1`` where that is taken): the object's name, handed out,
    though only words (the route words around it are not). Sent as recorded, every user but
    the first, and every run once the first page stays, works on another object."""
    slugs = {_slugged(text) for text in _sent_texts(step.request.body)} - {""}
    if not slugs:
        return
    try:
        segments = urlsplit(url).path.split("/")
    except ValueError:
        return
    prefix, parent = "^", ""
    for i, segment in enumerate(segments):
        value = unquote(segment)
        if value and not handed_out(value) and (
                value in slugs or _NUMBERED.sub("", value) in slugs):
            yield Source(step.number, value, id_name(parent), "location",
                         expr=prefix + r"([^/?#]+)", how=f"{header or 'Location'} segment {i}"
                         [:60], id_like=True, creates=True, object_id=True,
                         server_named=True, header=header)
            return
        prefix += re.escape(segment) + "/"
        parent = value or parent


_NUMBERED = re.compile(r"-[0-9]{1,3}$")  # the same name taken before: "-1", "-2"


def _slugged(text: str) -> str:
    """A name as a URL's slug: lower case, its runs of other characters than letters and
    digits one ``-`` (``Harbour Meeting Minutes`` → ``harbour-meeting-minutes``); "" for a
    name of fewer than two words (one word is as likely the route's)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug if slug.count("-") >= 1 and len(slug) >= 8 else ""


def _sent_texts(body: ir.Body | None) -> list[str]:
    """The texts a post sent with a space in them: names a person typed."""
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        texts = [value.text for _, value in body.fields if value.is_literal]
    elif isinstance(body, ir.JsonBody):
        texts = [leaf for leaf in ir.json_leaves(body.value) if isinstance(leaf, str)]
    else:
        return []
    return [text for text in texts if " " in text.strip() and len(text) <= 200]


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
