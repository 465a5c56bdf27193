"""``Location`` headers: ids in the path, codes and tickets in the query, tokens in the fragment.

``/notes/792040`` hands out a note's id; ``/callback?code=…&state=…`` an authorization code;
``/app#access_token=…`` a token a single-page app reads. Route words (``/accounts/login/``) are
never sources: a segment must hold a digit or be a long token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, unquote, urlsplit

from ... import ir
from ..grouping import identifier
from .sources import MIN_TOKEN, WORD, Source, id_name, is_id_name, token_like


def location_sources(step: ir.Step, location: str) -> Iterator[Source]:
    try:
        url = urlsplit(location)
    except ValueError:
        return  # not a URL (the redirect check reports it): nothing to hand out
    creates = step.request.method not in ("GET", "HEAD")
    segments = url.path.split("/")
    for i, segment in enumerate(segments):
        value = unquote(segment)
        if not _handed_out(value):
            continue
        prefix = "/".join(segments[:i]) + "/"
        pattern = "^" + re.escape(prefix) + r"([^/?#]+)"
        parent = unquote(segments[i - 1]) if i > 0 else ""
        yield Source(step.number, value, id_name(parent), "location", expr=pattern,
                     how=f"Location segment {i}", id_like=True,
                     decode="path" if "%" in segment else "",
                     creates=creates, object_id=True)
    for part, text, lead in (("query", url.query, "?"), ("fragment", url.fragment, "#")):
        for name, value in _params(text):
            if not value or not (token_like(value) or is_id_name(name) and value.isdigit()):
                continue
            pattern = f"[{re.escape(lead)}&]{re.escape(name)}=([^&#]*)"
            yield Source(step.number, value, identifier(name) or "value", "location",
                         expr=pattern, how=f"Location {part} {name}"[:60], id_like=True,
                         decode="url", creates=creates)


def _handed_out(segment: str) -> bool:
    """A path segment that is a value, not a route word: has a digit, or is a long token."""
    if not segment:
        return False
    if any(ch.isdigit() for ch in segment):
        return True
    return len(segment) >= 2 * MIN_TOKEN and not WORD.fullmatch(segment)


def _params(text: str) -> list[tuple[str, str]]:
    if "=" not in text:
        return []
    try:
        return parse_qsl(text, keep_blank_values=True)
    except ValueError:
        return []
