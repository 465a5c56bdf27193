"""Header hygiene: replay only the headers that carry meaning for the server.

Names compare case-insensitively (Chrome writes ``cookie``, Firefox ``Cookie``). Dropped: HTTP/2
pseudo headers, ``Cookie`` (the user's cookie jar sends the live cookies), ``Content-Length``
(wrong once a body changes), ``Host``, hop-by-hop and conditional headers (a replay with a
recorded ``If-None-Match`` gets 304s), and headers the browser manages itself. ``Origin`` and
``Referer`` pointing at the recorded main origin are rebuilt from the host the test targets.
Headers sent with the same value by every request move to the user class
(:func:`hoist_common_headers`, which runs after correlation so no live value moves there).
"""

from __future__ import annotations

import functools

from .. import ir
from ..ir import replace
from ..options import Options

DROPPED = frozenset({
    "cookie", "content-length", "host", "connection", "keep-alive", "proxy-connection",
    "transfer-encoding", "te", "trailer", "upgrade", "accept-encoding",
    "if-none-match", "if-modified-since", "if-unmodified-since", "if-range",
    "cache-control", "pragma", "upgrade-insecure-requests", "priority", "purpose",
    "x-devtools-emulate-network-conditions-client-id", "x-client-data",
})
DROPPED_PREFIXES = ("sec-", ":", "proxy-")


def clean_headers(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    """Drop unsafe headers and rebuild Origin/Referer from the target host."""
    verdicts = _Verdicts(scenario.main_origin)
    steps = []
    for step in scenario.steps:
        headers, cookies = _clean(step.request, verdicts)
        steps.append(replace(step, request=replace(step.request, headers=headers,
                                                   cookies=cookies)))
    return replace(scenario, steps=tuple(steps))


class _Verdicts(dict[int, tuple[str, "ir.Header | None"]]):
    """``id(header) -> (lower-case name, the header to send or None)``, once per header.

    The loader shares one object per distinct header between the requests that send it (a
    recording of 10,000 entries has 17,000 distinct headers among 182,000), so each is judged
    once. Ids are safe: the scenario keeps every header alive while the stage runs.
    """

    def __init__(self, main_origin: str) -> None:
        super().__init__()
        self.main_origin = main_origin

    def judge(self, header: ir.Header) -> tuple[str, ir.Header | None]:
        """The header's verdict, kept for its next request."""
        low = header.name.lower()
        if low in DROPPED or low.startswith(DROPPED_PREFIXES):
            verdict: tuple[str, ir.Header | None] = (low, None)
        elif low in ("origin", "referer") and header.value.is_literal and self.main_origin:
            verdict = low, replace(header, value=host_relative(header.value.text,
                                                               self.main_origin))
        else:
            verdict = low, header
        self[id(header)] = verdict
        return verdict


def _clean(request: ir.Request, verdicts: _Verdicts
           ) -> tuple[tuple[ir.Header, ...], tuple[tuple[str, str], ...]]:
    """The headers to send (the first of each name), and the ``(name, value)`` pairs of the
    recorded ``Cookie`` header(s), for correlation."""
    headers = []
    cookies: tuple[tuple[str, str], ...] = ()
    seen: set[str] = set()
    known = verdicts.get
    for header in request.headers:
        low, sent = known(id(header)) or verdicts.judge(header)
        if low == "cookie" and header.value.is_literal:
            cookies += _cookie_pairs(header.value.text)
        if sent is None or low in seen:
            continue
        if low == "content-type" and isinstance(request.body, ir.MultipartBody):
            continue  # the client writes its own boundary
        seen.add(low)
        headers.append(sent)
    return tuple(headers), cookies


@functools.lru_cache(maxsize=4096)
def _cookie_pairs(header: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in header.split(";"):
        name, eq, value = item.partition("=")
        if eq and name.strip():
            pairs.append((name.strip(), value.strip().strip('"')))
    return tuple(pairs)


def hoist_common_headers(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    """Move headers that every request sends with the same literal value to the class."""
    common = _common(scenario.steps)
    if not common:
        return scenario
    names = {h.name.lower() for h in common}
    steps = tuple(replace(s, request=replace(s.request, headers=tuple(
        h for h in s.request.headers if h.name.lower() not in names))) for s in scenario.steps)
    return replace(scenario, steps=steps, common_headers=common)


def host_relative(text: str, main_origin: str) -> ir.Template:
    """``http://recorded:5000/x`` → ``{host}/x`` when it starts with the recorded origin."""
    if text == main_origin or text.startswith(main_origin + "/") or text.startswith(
            main_origin + "?"):
        rest = text[len(main_origin):]
        return ir.Template((ir.HostRef(), rest) if rest else (ir.HostRef(),))
    return ir.Template.literal(text)


def _common(steps: tuple[ir.Step, ...]) -> tuple[ir.Header, ...]:
    """Literal headers every step sends with the same value (only if there are 2+ steps)."""
    if len(steps) < 2:
        return ()
    first = steps[0].request.headers
    common = []
    for header in first:
        if not header.value.is_literal or header.name.lower() in ("content-type", "origin",
                                                                  "referer", "authorization"):
            continue
        value = header.value.text
        if all(s.request.header(header.name) == value for s in steps[1:]):
            common.append(header)
    return tuple(common)
