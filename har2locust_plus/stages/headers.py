"""Header hygiene: replay only the headers that carry meaning for the server.

Names compare case-insensitively (Chrome writes ``cookie``, Firefox ``Cookie``). Dropped: HTTP/2
pseudo headers, ``Cookie`` (the user's cookie jar sends the live cookies), ``Content-Length``
(wrong once a body changes), ``Host``, hop-by-hop and conditional headers (a replay with a
recorded ``If-None-Match`` gets 304s), and headers the browser manages itself. ``Origin`` and
``Referer`` pointing at the recorded main origin are rebuilt from the host the test targets.
``If-None-Match: *`` on a request that writes is kept: a condition, not a cache validator.
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


def answer_challenges(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    """Give the requests that met a Basic authentication challenge the credentials they were
    answered with (a stage of its own, before ``filter``: the page's assets, never replayed,
    are the evidence that the page itself was sent with them).

    A browser sends Basic credentials only after a ``401`` asked for them, and asks the server
    again in the same request: Chromium's HAR (Playwright's, DevTools') then shows that
    request as it was first sent, without ``Authorization``, answered by what the credentials
    got. Replayed as recorded, it would be answered ``401`` and the flow stop there. Two
    requests are so:

    * the page the user opened (the browser asks for credentials there): the last request to
      the origin before the first one with credentials, a page, answered other than 401, the
      first request with credentials at or below its directory (RFC 7617's protection space);
    * after that, a request to the origin answered other than 401 whose next request to the
      origin in its own protection space sends the credentials: the browser met a challenge of
      another space of the same realm, and answered it with what it had (Transmission's first
      RPC call, outside the page's directory, answered 409 where a request without credentials
      gets 401).

    Only Basic credentials the browser sent more than once (a page's script that sets the
    header for one call, as Swagger UI's ``Basic Og==`` to its token endpoint, had no challenge
    to meet), and never to a request before the first that sent any."""
    steps = list(scenario.steps)
    first_authorized: dict[str, int] = {}
    sent: dict[tuple[str, str], int] = {}
    for i, step in enumerate(steps):
        value = step.request.header("authorization")
        if value is not None:
            origin = step.request.origin
            first_authorized.setdefault(origin, i)
            sent[origin, value] = sent.get((origin, value), 0) + 1
    changed = False
    for origin, i in first_authorized.items():
        credentials = next(h for h in steps[i].request.headers
                           if h.name.lower() == "authorization")
        if not credentials.value.text.lower().startswith("basic ") or \
                sent[origin, credentials.value.text] < 2:
            continue
        mine = [j for j in range(len(steps)) if steps[j].request.origin == origin]
        at = mine.index(i)
        if at and _challenged(steps[mine[at - 1]], steps[i]):
            steps[mine[at - 1]] = _with(steps[mine[at - 1]], credentials)
            changed = True
        # backwards: what the next request at or below each directory sent
        then: dict[str, str | None] = {}
        for j in reversed(mine[at + 1:]):
            step = steps[j]
            path = step.request.path.text
            sends = step.request.header("authorization")
            if sends is None and _met(step) and step.request.method != "OPTIONS" and \
                    then.get(path[:path.rfind("/") + 1]) == credentials.value.text:
                steps[j] = _with(step, credentials)
                sends = credentials.value.text
                changed = True
            end = path.find("/")
            while end != -1:  # "/a/b/c": "/", "/a/", "/a/b/"
                then[path[:end + 1]] = sends
                end = path.find("/", end + 1)
    return replace(scenario, steps=tuple(steps)) if changed else scenario


def _challenged(page: ir.Step, first: ir.Step) -> bool:
    """Was ``page`` the page whose challenge ``first``, the next request, answered?"""
    path = page.request.path.text
    return _met(page) and page.resource_type in (None, "document") and \
        first.request.path.text.startswith(path[:path.rfind("/") + 1])


def _met(step: ir.Step) -> bool:
    """Answered, and not by a ``401``: a challenge met (or none to meet)."""
    return step.response is not None and step.response.status != 401


def _with(step: ir.Step, credentials: ir.Header) -> ir.Step:
    return replace(step, request=replace(step.request, headers=(
        *step.request.headers, credentials)))


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
        if sent is None and low == "if-none-match" and _creates_only(request, header):
            sent = header
        if sent is None or low in seen:
            continue
        if low == "content-type" and (isinstance(request.body, ir.MultipartBody) or (
                request.body is None and header.value.is_literal
                and "boundary=" in header.value.text.lower())):
            continue  # the client writes its own boundary (or the recording has no body)
        seen.add(low)
        headers.append(sent)
    return tuple(headers), cookies


def _creates_only(request: ir.Request, header: ir.Header) -> bool:
    """``If-None-Match: *`` on a request that writes (a PUT to a URL the client named: Kinto's
    buckets, WebDAV's and CalDAV's new files, S3's conditional writes): no cache validator but
    the client's condition "create it, do not overwrite one that exists". Dropped, a replay's
    PUT overwrites what an earlier run made (200 where the recording got 201), and the server
    is never asked to refuse; kept, it refuses (412) as it refused the browser."""
    return request.method not in ("GET", "HEAD", "OPTIONS") and header.value.is_literal and \
        header.value.text.strip() == "*"


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
