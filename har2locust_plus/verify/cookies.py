"""Values the client reads from a cookie and sends back elsewhere (double-submit tokens).

A single-page app reads a cookie the server set (``csrftoken``, ``XSRF-TOKEN``) and sends it
as a header (``X-CSRFToken``) or a form/JSON field. The value is in no response body, so
neither record-based correlation nor the body diff sees it; replaying the recorded value gets
403. The replay shows it: the user's cookie jar holds a live value for a cookie that the
recorded request's value belongs to, and the replayed request sent the stale recorded one.

Which cookie a request value belongs to: the cookie whose recorded value it is (the recorded
request's ``Cookie`` header), else the cookie whose name matches the header or field name
(``X-CSRFToken`` ↔ ``csrftoken``, ``X-XSRF-TOKEN`` ↔ ``XSRF-TOKEN``: case, punctuation and an
``X-`` prefix ignored). The rule ``(cookie name, recorded value)`` goes to
``Options.correlate_cookie_rules``: requests that send the value read it from the live cookie
jar instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from http.cookies import CookieError, SimpleCookie

from .. import ir
from .compare import MAX_VALUE, MIN_VALUE, Finding, request_text, sends
from .replay import Exchange

COOKIE = "cookie"  # Finding.where of a cookie rule


def find_cookie_values(reference: tuple[ir.Step, ...], exchanges: tuple[Exchange, ...],
                       by_step: dict[int, Exchange], recorded_cookies: dict[int, dict[str, str]],
                       known: set[str]) -> list[Finding]:
    """Request values of the recording that belong to a cookie whose live value differs,
    and that the replay still sent as recorded. ``exchanges``: one iteration, in order;
    ``recorded_cookies``: step number → the recorded request's cookies."""
    sent = {s.number: request_text(s.request) for s in reference}
    findings: list[Finding] = []
    seen = set(known)
    for step in reference:
        exchange = by_step.get(step.number)
        if exchange is None:
            continue
        live = live_cookies(exchanges, exchange.index)
        recorded = recorded_cookies.get(step.number, {})
        for place, name, value in request_values(step.request):
            if value in seen or not MIN_VALUE <= len(value) <= MAX_VALUE:
                continue
            cookie = cookie_for(name, value, recorded, live)
            fresh = live.get(cookie or "")
            if not cookie or not fresh or fresh == value or sends(exchange.sent, fresh):
                continue  # no live value, the same one, or the script sends it already
            seen.add(value)
            findings.append(Finding(
                name=cookie, value=value, replayed=fresh,
                source_step=_set_by(exchanges, cookie, fresh) or step.number, where=COOKIE,
                regex=None, used_by=tuple(n for n in sent if n >= step.number
                                          and sends(sent[n], value)) or (step.number,),
                context=f"{place} {name}", verified_on_replay=True))
    return findings


def live_cookies(exchanges: tuple[Exchange, ...], index: int) -> dict[str, str]:
    """The cookies the user held when exchange ``index`` (1-based) was sent: the jar after the
    exchange before it, over what the replay's ``Set-Cookie`` headers set until then."""
    cookies: dict[str, str] = {}
    before = [e for e in exchanges if e.index < index]
    for exchange in before:
        for name, value in exchange.headers:
            if name.lower() == "set-cookie":
                cookies.update(set_cookie(value))
    if before:
        cookies.update(before[-1].cookies)
    return {k: v for k, v in cookies.items() if v}


def cookie_for(name: str, value: str, recorded: dict[str, str],
               live: dict[str, str]) -> str | None:
    """The cookie a request value belongs to: by its recorded value, else by name."""
    by_value = [c for c, v in recorded.items() if v == value and c in live]
    if by_value:
        return by_value[0]
    wanted = norm(name)
    return next((c for c in live if norm(c) == wanted), None) if wanted else None


def norm(name: str) -> str:
    """``X-XSRF-TOKEN``, ``XSRF-TOKEN``, ``xsrf_token`` → ``xsrftoken``; ``__Host-`` and
    ``__Secure-`` cookie prefixes dropped."""
    low = name.strip().lower()
    for prefix in ("x-", "x_", "__host-", "__secure-"):
        low = low.removeprefix(prefix)
    return re.sub(r"[^a-z0-9]", "", low)


def request_values(request: ir.Request) -> Iterator[tuple[str, str, str]]:
    """(place, name, value) of every literal value a recorded request sends (no cookies)."""
    for header in request.headers:
        if header.name.lower() != "cookie":
            yield "header", header.name, ir.template_preview(header.value)
    for param in request.query:
        yield "query", param.name, ir.template_preview(param.value)
    body = request.body
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        for field, value in body.fields:
            yield "field", field, ir.template_preview(value)
    elif isinstance(body, ir.JsonBody):
        yield from _json_values(body.value, "")


def _json_values(value: object, key: str) -> Iterator[tuple[str, str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _json_values(v, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from _json_values(item, key)
    elif isinstance(value, str) and key:
        yield "JSON", key, value
    elif isinstance(value, ir.Template) and key:
        yield "JSON", key, ir.template_preview(value)


def cookie_header(value: str) -> dict[str, str]:
    """``a=1; b=2`` → {"a": "1", "b": "2"} (a recorded request's ``Cookie`` header)."""
    cookies = {}
    for part in value.split(";"):
        name, eq, val = part.strip().partition("=")
        if eq and name:
            cookies[name] = val.strip().strip('"')
    return cookies


def set_cookie(value: str) -> dict[str, str]:
    """The name and value a ``Set-Cookie`` header sets (several, when a client joined them)."""
    parsed: SimpleCookie = SimpleCookie()
    try:
        parsed.load(value)
    except CookieError:
        pass
    if parsed:
        return {k: m.value for k, m in parsed.items()}
    name, eq, rest = value.partition("=")
    return {name.strip(): rest.split(";", 1)[0].strip()} if eq and name.strip() else {}


def _set_by(exchanges: tuple[Exchange, ...], cookie: str, value: str) -> int | None:
    """The step whose response first handed the live value out."""
    for exchange in exchanges:
        if (cookie, value) in exchange.cookies or any(
                k.lower() == "set-cookie" and set_cookie(v).get(cookie) == value
                for k, v in exchange.headers):
            return exchange.step
    return None


def recorded_request_cookies(steps: tuple[ir.Step, ...]) -> dict[int, dict[str, str]]:
    """entry index → the cookies the recorded request sent (its ``Cookie`` headers)."""
    found: dict[int, dict[str, str]] = {}
    for step in steps:
        cookies: dict[str, str] = {}
        for header in step.request.headers:
            if header.name.lower() == "cookie":
                cookies.update(cookie_header(ir.template_preview(header.value)))
        if cookies:
            found[step.entry_index] = cookies
    return found

