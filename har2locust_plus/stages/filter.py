"""Drop what a load test must not replay: static assets, third-party hosts, CORS preflights.

Every dropped entry is counted under its reason in ``Scenario.skipped``. The application's main
origin is inferred here: the origin of the first document navigation, or, when the recording
has none (API clients, proxies), the origin that served most of the remaining requests.
"""

from __future__ import annotations

import bisect
import fnmatch
import functools
import ipaddress
import operator
import re
from collections import Counter
from collections.abc import Sequence

from .. import ir
from ..ir import replace
from ..options import Options

STATIC_RESOURCE_TYPES = frozenset(
    {"image", "stylesheet", "script", "font", "media", "manifest", "texttrack", "imageset"})
STATIC_MIME_PREFIXES = ("image/", "font/", "audio/", "video/")
STATIC_MIMES = frozenset({
    "text/css", "text/javascript", "application/javascript", "application/x-javascript",
    "application/ecmascript", "application/wasm", "application/font-woff",
    "application/x-font-woff", "application/vnd.ms-fontobject", "application/x-font-ttf",
    "application/manifest+json",
})
STATIC_EXTENSIONS = frozenset({
    ".css", ".js", ".mjs", ".map", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp",
    ".avif", ".bmp", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp4", ".webm", ".mp3",
    ".wav", ".ogg", ".wasm", ".webmanifest",
})
_EXTENSION = re.compile(r"\.[a-z0-9]{1,12}$")


def filter_steps(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    """Keep the requests worth replaying; infer ``main_origin``."""
    include_urls = [re.compile(p) for p in options.include_urls]
    exclude_urls = [re.compile(p) for p in options.exclude_urls]
    kept: list[ir.Step] = []
    dropped: dict[str, int] = {}  # reason -> count, in first-seen order (one copy of the
    polls = _long_polls(scenario.steps)  # scenario per reason, not per entry: 4,000 at 10,000)
    workers, bodies = _service_worker_requests(scenario.steps)
    scripts: list[ir.Step] = []  # static scripts: one may hand out what a request sends
    events: list[ir.Step] = []  # what the page sent over a live channel
    for step in scenario.steps:
        reason = _drop_reason(step, options, include_urls, exclude_urls) or (
            LONG_POLL if step.entry_index in polls else "") or (
            SERVICE_WORKER_REQUEST if step.entry_index in workers else "")
        if reason == STATIC and _script(step):
            scripts.append(step)  # counted below, unless kept
            dropped.setdefault(STATIC, 0)  # (the reasons in first-seen order)
        elif reason:
            dropped[reason] = dropped.get(reason, 0) + 1
            if reason == LIVE_CHANNEL and _sends_events(step.request):
                events.append(step)
        elif step.entry_index in bodies:  # the page's, its body from the worker's request
            kept.append(replace(step, request=replace(
                step.request, body=bodies[step.entry_index], body_left_out=False)))
        else:
            kept.append(step)
    if events:
        scenario = scenario.with_diagnostic(ir.Severity.WARNING, _events_not_replayed(events))
    if scripts:
        order = {step.entry_index: i for i, step in enumerate(scenario.steps)}  # the flow's
        handing_out = _scripts_handing_out(scripts, kept, order)
        if handing_out:
            kept = sorted([*kept, *handing_out.values()],
                          key=lambda step: order[step.entry_index])
            scenario = scenario.with_diagnostic(ir.Severity.INFO, _kept_scripts(handing_out))
        dropped[STATIC] += len(scripts) - len(handing_out)
        if not dropped[STATIC]:
            del dropped[STATIC]
    for reason, count in dropped.items():
        scenario = scenario.with_skipped(reason, count)

    main_origin = infer_main_origin(kept)
    site = _site(main_origin.split("://", 1)[-1]) if main_origin else ""
    result: list[ir.Step] = []
    third_party: Counter[str] = Counter()
    captchas: list[str] = []
    for step in kept:
        host = step.request.host
        wanted = _site(host) == site or _matches(host, options.include_hosts)
        if wanted and not _matches(host, options.exclude_hosts):
            result.append(step)
            if step.request.method not in _SAFE and (names := _captcha_names(step.request)):
                captchas.append(_captcha_answer(step, names))
        elif wanted:
            scenario = scenario.with_skipped("excluded host (--exclude-host)")
        else:
            third_party[host] += 1
    if third_party:
        scenario = scenario.with_skipped("third-party host", sum(third_party.values()))
        hosts = ", ".join(f"{h} ({n})" for h, n in third_party.most_common(5))
        more = f" and {len(third_party) - 5} more" if len(third_party) > 5 else ""
        scenario = scenario.with_diagnostic(
            ir.Severity.INFO,
            f"third-party hosts skipped: {hosts}{more}; keep one with --include-host HOST")
    result, scenario = _drop_retried_refusals(result, scenario)
    for message in captchas:  # (those of a request dropped as retried too: it was sent)
        scenario = scenario.with_diagnostic(ir.Severity.WARNING, message)
    if not result and scenario.steps:
        scenario = scenario.with_diagnostic(
            ir.Severity.WARNING, "no request is left to replay after filtering: see what was "
            "skipped above (--keep-static, --include-host and --include-url keep more)")
    return replace(scenario, steps=tuple(result), main_origin=main_origin)


# --- a service worker's own requests --------------------------------------------------------------

SERVICE_WORKER_REQUEST = ("the page's service worker's own request for a request of the page "
                          "it answered (that one is replayed)")


def _service_worker_requests(steps: Sequence[ir.Step]) -> tuple[set[int], dict[int, ir.Body]]:
    """The entries a page's service worker sent to answer a request of the page; and the
    bodies of the page's requests that only the worker's entry holds.

    A request the worker answered by sending it on is recorded twice where the exporter shows
    the worker's traffic too: as the page sent it (its type, its place in the page, the answer
    it got) and as the worker sent it, the same method and URL, started while the page's
    waited. Chrome's DevTools marks the page's (``_fetchedViaServiceWorker``, the worker's
    shows with a ⚙), Playwright the worker's (``_serviceWorkerRef``; its entry holds neither
    the request's body nor the answer's). Replayed both, a POST would be sent twice: the
    worker's is skipped. Only such a pair, with the same body where both hold one: a page's
    request without one (an exporter without the worker's traffic) is the request the server
    got, and a worker's request without one (its own fetches, a background sync) is replayed.
    """
    in_flight: list[ir.Step] = []  # the page's requests not answered yet when a step starts
    found: set[int] = set()
    bodies: dict[int, ir.Body] = {}
    if not any(step.via_service_worker or step.by_service_worker for step in steps):
        return found, bodies  # (most recordings: no worker answered a request of the page)
    for step in steps:
        if step.started is None:
            continue
        start = step.started.timestamp()
        in_flight = [page for page in in_flight  # (every page step has a start)
                     if start <= page.started.timestamp()  # type: ignore[union-attr]
                     + page.duration_ms / 1000]
        if not step.via_service_worker:
            page = next((page for page in in_flight
                         if (step.by_service_worker or page.via_service_worker)
                         and _sent_on(page.request, step.request)), None)
            if page is not None:
                found.add(step.entry_index)
                in_flight.remove(page)
                if page.request.body_left_out and step.request.body is not None:
                    bodies[page.entry_index] = step.request.body
                continue
        if not step.by_service_worker:
            in_flight.append(step)
    return found, bodies


def _sent_on(page: ir.Request, worker: ir.Request) -> bool:
    """Could ``worker`` be the page's request ``page`` as its service worker sent it on?"""
    return page.method == worker.method and recorded_url(page) == recorded_url(worker) and (
        page.body == worker.body or page.body_left_out or worker.body_left_out)


# --- a CAPTCHA's answer ------------------------------------------------------------------------

# a field, parameter, header or JSON member that carries what the user (or a CAPTCHA widget:
# reCAPTCHA's g-recaptcha-response, hCaptcha's h-captcha-response, Friendly Captcha's
# frc-captcha-solution, MediaWiki's wpCaptchaWord) answered; Cloudflare Turnstile and ALTCHA
# by their own names
_CAPTCHA = re.compile(r"captcha|^cf-turnstile-response$|^altcha$", re.I)
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})  # an answer goes with what it submits
_NAME = operator.attrgetter("name")


@functools.lru_cache(maxsize=4096)  # the same names on every request
def _captcha(name: str) -> bool:
    return _CAPTCHA.search(name) is not None


def _captcha_names(request: ir.Request) -> list[str]:
    """The names under which a request sends a CAPTCHA's answer (a non-empty value)."""
    body = request.body
    names = [q.name for q in request.query if _captcha(q.name) and q.value.parts != ("",)]
    if any(map(_captcha, map(_NAME, request.headers))):  # (one C loop: most have none)
        names += [h.name for h in request.headers if _captcha(h.name) and h.value.parts != ("",)]
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        names += [name for name, value in body.fields if _captcha(name) and value.parts != ("",)]
    elif isinstance(body, ir.JsonBody) and isinstance(body.value, dict):
        names += [key for key, value in body.value.items()
                  if _captcha(key) and isinstance(value, str) and value]
    return names


def _captcha_answer(step: ir.Step, names: list[str]) -> str:
    """The warning for a request that submits a CAPTCHA's answer: no script can make a new one,
    and a server that checks it refuses the recorded answer, which is good once. The replay's
    check of that step then fails; this says why before the first run."""
    return (f"entry {step.entry_index + 1} {step.label} sends a CAPTCHA's answer "
            f"({', '.join(sorted(set(names)))}): no script can make a new one, and a server "
            "that checks it refuses the recorded one (good once). Turn the CAPTCHA off on the "
            "server under test, or give it the vendor's test keys (reCAPTCHA, hCaptcha and "
            "Turnstile publish keys whose check always passes)")


# --- a refusal for expired credentials that the page sent again ---------------------------------

# What a server answers a request whose credentials it no longer takes: 401, 403 (a CSRF token
# it no longer knows), Laravel's 419 "Page Expired", IIS's 440 "Login Time-out"; and one whose
# precondition no longer holds: 412 (an If-Match of a version someone changed since), 428 (no
# If-Match at all): the page reads the object again and sends the request with the new ETag.
REFUSED_CREDENTIALS = frozenset({401, 403, 412, 419, 428, 440})
RETRY_WINDOW = 20  # the page sends the request again within this many requests, or never
RETRIED = "refused for its credentials, then sent again with renewed ones"
# a form field a reloaded form holds anew: Django's csrfmiddlewaretoken, Rails'
# authenticity_token, Laravel's _token, WTForms' csrf_token
_CREDENTIAL_FIELD = re.compile(r"csrf|xsrf|token|authenticity|nonce", re.I)
_CREDENTIAL_HEADER = re.compile(r"auth|token|csrf|xsrf|session|api-?key|^cookie$|^if-match$|"
                                r"^if-unmodified-since$", re.I)


def _drop_retried_refusals(steps: list[ir.Step], scenario: ir.Scenario
                           ) -> tuple[list[ir.Step], ir.Scenario]:
    """Leave out a request refused for the credentials it sent (an access token that had
    expired, say) that the page then sent again, unchanged but for renewed credentials, and that was
    answered this time: the usual client-side interceptor (``401`` → refresh the token →
    resend). A replay starts with fresh credentials, so its first attempt would do the work
    (a note updated) and the retry would do it again or fail; the retry alone is replayed
    (and the renewal between them, a request of its own)."""
    retried: dict[int, int] = {}
    for i, step in enumerate(steps):
        if step.response is None or step.response.status not in REFUSED_CREDENTIALS:
            continue
        credentials = _credentials(step.request)
        if credentials == ((), (), ()):
            continue  # refused for sending none: so is a replay at this point of the flow
        sent = _resent(step.request)
        for j in range(i + 1, min(len(steps), i + 1 + RETRY_WINDOW)):
            later = steps[j]
            if _resent(later.request) != sent:
                continue
            status = later.response.status if later.response is not None else 0
            if status in REFUSED_CREDENTIALS:
                continue  # refused again: the page may try once more
            if 0 < status < 400 and _credentials(later.request) != credentials:
                retried[i] = j
            break  # the first answered (or otherwise failed) resend decides
    if not retried:
        return steps, scenario
    scenario = scenario.with_skipped(RETRIED, len(retried))
    shown = "; ".join(_retried(steps[i], steps[j]) for i, j in list(retried.items())[:5])
    more = f" and {len(retried) - 5} more" if len(retried) > 5 else ""
    scenario = scenario.with_diagnostic(
        ir.Severity.INFO, f"left out, the replay's credentials being fresh: {shown}{more}")
    return [s for i, s in enumerate(steps) if i not in retried], scenario


def _retried(refused: ir.Step, retry: ir.Step) -> str:
    status = refused.response.status if refused.response is not None else "?"
    return (f"entry {refused.entry_index + 1} {refused.label} (answered {status}, sent again "
            f"as entry {retry.entry_index + 1})")


def _resent(request: ir.Request) -> tuple[object, ...]:
    """What is the same when a page sends a request again (credentials aside: a form's CSRF
    token field too, which a reloaded form holds anew)."""
    body: object = request.body
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        body = tuple(field for field in body.fields if not _CREDENTIAL_FIELD.search(field[0]))
    return (request.method, request.host, request.path, request.raw_query, body)


def _credentials(request: ir.Request) -> tuple[object, ...]:
    """What a request sends that a renewal changes: its ``Cookie`` and credential headers
    (this stage runs before the headers stage takes the cookies out of them), and its form's
    token fields."""
    body = request.body
    fields = tuple(field for field in body.fields if _CREDENTIAL_FIELD.search(field[0])) \
        if isinstance(body, (ir.FormBody, ir.MultipartBody)) else ()
    return (request.cookies, fields, tuple(sorted(
        (h.name.lower(), h.value) for h in request.headers
        if _CREDENTIAL_HEADER.search(h.name))))


LONG_POLL = "long poll (the page kept it open beside the flow; not replayed)"
# what names a long poll: a parameter that asks the server to wait for news, or a path of events
_POLL_PARAM = re.compile(r"^(?:since|timeout|wait|poll|longpoll|last_?(?:event_?)?id|cursor)$",
                         re.I)
_POLL_PATH = re.compile(r"/(?:events?|poll|longpoll|subscribe|updates|notifications?)(?:/|$)",
                        re.I)
# a POST that polls (Odoo's /longpolling/poll, Discourse's MessageBus /message-bus/<client>/poll):
# only a path that says so, a POST being a write otherwise
_POST_POLL_PATH = re.compile(r"/(?:poll|longpoll|longpolling)(?:/|$)", re.I)
_POLL_SUBPATH = re.compile(r"(?:/[A-Za-z_-]+)+/?")  # a long poll's path, then words (no ids)
_POLL_OVERLAP = 2  # later requests sent while it was open
_POLL_SECONDS = 1.0


def _long_polls(steps: tuple[ir.Step, ...]) -> frozenset[int]:
    """The entries (by index) that are long polls: a script's GET asking a server to answer
    when there is news (Syncthing's ``/rest/events?since=16``, a chat's ``/poll``; a POST
    only to a path that polls: Odoo's ``/longpolling/poll``), open for a
    second or more while the user went on (``_POLL_OVERLAP`` later requests were sent before it
    was answered). In order, a script would wait for each up to the server's timeout, and what
    it answers is news of what the user did after it was sent; the browser ran it beside the
    flow, so it is not a step of it."""
    timed = [(step.started.timestamp(), step) for step in steps if step.started is not None]
    if len(timed) < _POLL_OVERLAP + 1:
        return frozenset()
    starts = sorted(start for start, _ in timed)
    candidates = []  # (step, its endpoint): a GET of the script's, with a poll's name
    endpoints = set()  # the endpoints of those that were open while the user went on
    named = []  # (step, its endpoint): a GET of the script's to a path of events
    for start, step in timed:
        request = step.request
        if request.method not in ("GET", "POST") or \
                step.resource_type not in ("xhr", "fetch", None):
            continue
        path = "".join(p for p in request.path.parts if isinstance(p, str))
        if request.method == "POST":  # a write, unless its path says it polls
            if not _POST_POLL_PATH.search(path):
                continue
            asks = False
        else:
            asks = any(_POLL_PARAM.match(q.name) for q in request.query)
            if not (asks or _POLL_PATH.search(path)):
                continue
        endpoint = (request.host, path)
        if asks:
            candidates.append((step, endpoint))
        else:
            named.append((step, endpoint))
        ended = start + step.duration_ms / 1000
        if step.duration_ms >= _POLL_SECONDS * 1000 and bisect.bisect_left(starts, ended) - \
                bisect.bisect_right(starts, start) >= _POLL_OVERLAP:
            endpoints.add(endpoint)
            if not asks:
                candidates.append((step, endpoint))
    # a poll answered at once (there was news already) is a poll all the same; so is a GET
    # of the same events, filtered, under its path (Syncthing's /rest/events/disk): on a
    # server with no such news yet it waits as long
    def polled(endpoint: tuple[str, str]) -> bool:
        host, path = endpoint
        return endpoint in endpoints or any(
            host == known_host and path.startswith(known)
            and _POLL_SUBPATH.fullmatch(path[len(known):]) for known_host, known in endpoints)

    return frozenset(step.entry_index for step, endpoint in (*candidates, *named)
                     if polled(endpoint))


# --- a script the server writes for the session -------------------------------------------------

STATIC = "static asset (keep with --keep-static)"
# a quoted string in a script that may be a token: no quote, escape or space in it
_QUOTED = re.compile(r"""(["'])([^"'\\\s]{16,2000})\1""")
_MIN_SENT = 16  # the shortest value looked for (what _QUOTED finds)


def _script(step: ir.Step) -> bool:
    """A script of the recording's with its text (JavaScript by its type or by its name) that
    the server may have written for this visit: not a file it said was last changed at some
    time (``Last-Modified``), nor one a browser may keep a day or more without asking again
    (``immutable``, ``max-age``), as a build's bundles are."""
    response = step.response
    if response is None or response.status != 200 or not response.body:
        return False
    mime = response.mime_type.lower()
    if not ("javascript" in mime or "ecmascript" in mime):
        path = "".join(p for p in step.request.path.parts if isinstance(p, str)).lower()
        if not (path.endswith((".js", ".mjs")) and (not mime or mime.startswith("text/"))):
            return False
    if response.header("last-modified") is not None:
        return False
    cache = (response.header("cache-control") or "").lower()
    age = _MAX_AGE.search(cache)
    return "immutable" not in cache and (age is None or int(age.group(1)) < _A_DAY)


_MAX_AGE = re.compile(r"max-age\s*=\s*(\d{1,12})")
_A_DAY = 86_400


def _scripts_handing_out(scripts: list[ir.Step], kept: list[ir.Step],
                         order: dict[int, int]) -> dict[int, ir.Step]:
    """The scripts (by entry index) that hand out a token a later request sends and no
    response before that request holds (nor its ``Set-Cookie``): a script the server writes for
    the session (pgAdmin's ``/browser/js/utils.js`` sets ``pgAdmin['csrf_token'] = '…'``, the
    header every later request sends). A file like any other on disk, it hands out nothing
    that changes: dropped as any static asset, the script would leave the recorded token in
    every request, refused on a fresh server. Kept, correlation reads the token from it."""
    from .correlate.sources import token_like  # (correlate imports this module)

    found: dict[str, ir.Step] = {}  # token -> the first script that holds it
    for step in scripts:
        text = step.response.text if step.response is not None else None
        for match in _QUOTED.finditer(text or ""):
            value = match.group(2)
            if value not in found and token_like(value):
                found[value] = step
    handing_out: dict[int, ir.Step] = {}
    for step in kept if found else ():
        for value in _sent(step.request) & found.keys():
            script = found.pop(value)  # (sent before the script came: it is not the source)
            at = order[step.entry_index]  # (its place in the flow: see loader._in_time_order)
            if order[script.entry_index] < at and not any(
                    value in _said(earlier) for earlier in kept
                    if order[earlier.entry_index] < at and earlier.response is not None):
                handing_out[script.entry_index] = script
        if not found:
            break
    return handing_out


def _said(step: ir.Step) -> str:
    """What a response hands out: its text and its headers' values (``Set-Cookie``)."""
    response = step.response
    assert response is not None
    return "\n".join([response.text or "", *(value for _, value in response.headers)])


def _sent(request: ir.Request) -> set[str]:
    """The credentials a request sends that are long enough to be a token: the values of its
    headers, query parameters, form fields and JSON members named as credentials are
    (``X-CSRF-Token``, ``csrf_token``, ``Authorization``'s ``Bearer <token>``)."""
    texts = [h.value.text for h in request.headers
             if _SENT_CREDENTIAL.search(h.name) and h.name.lower() != "cookie"]
    texts += [q.value.text for q in request.query if _SENT_CREDENTIAL.search(q.name)]
    body = request.body
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        texts += [value.text for name, value in body.fields if _SENT_CREDENTIAL.search(name)]
    elif isinstance(body, ir.JsonBody) and isinstance(body.value, dict):
        texts += [value for name, value in body.value.items()
                  if isinstance(value, str) and _SENT_CREDENTIAL.search(name)]
    sent = set()
    for text in texts:
        for word in text.split() if " " in text else (text,):
            if len(word) >= _MIN_SENT and _MIXED.search(word):
                sent.add(word)
    return sent


# a credential's name (a header's, a field's): what the value of a script file is looked for in
_SENT_CREDENTIAL = re.compile(r"csrf|xsrf|token|nonce|authenticity|auth|session|api-?key", re.I)
_MIXED = re.compile(r"[A-Za-z].*\d|\d.*[A-Za-z]")  # letters and digits: made up, not a word


def _kept_scripts(handing_out: dict[int, ir.Step]) -> str:
    shown = ", ".join(f"entry {step.entry_index + 1} {step.label}"
                      for step in list(handing_out.values())[:5])
    more = f" and {len(handing_out) - 5} more" if len(handing_out) > 5 else ""
    return (f"kept as steps, though static: {shown}{more} (the server writes a token into "
            "the script that later requests send back: read from it at run time)")


def _drop_reason(step: ir.Step, options: Options, include_urls: list[re.Pattern[str]],
                 exclude_urls: list[re.Pattern[str]]) -> str:
    request = step.request
    if request.method == "OPTIONS" and (
            step.resource_type == "preflight"
            or request.header("access-control-request-method") is not None):
        return "CORS preflight (the client sends it itself)"
    url = recorded_url(request)
    if include_urls and not any(p.search(url) for p in include_urls):
        return "not matched by --include-url"
    if any(p.search(url) for p in exclude_urls):
        return "excluded by --exclude-url"
    if not options.keep_static and is_static(step):
        return STATIC
    if _event_stream(step):
        return EVENT_STREAM
    if _live_channel(step.request):
        return LIVE_CHANNEL
    return ""


EVENT_STREAM = "event stream (server-sent events the page kept open beside the flow; not replayed)"


def _event_stream(step: ir.Step) -> bool:
    """A page's ``EventSource``: a GET the server answers ``text/event-stream`` and never ends
    while the page is open (notifications, live updates). In order, a script would wait on it
    until its request timeout; the browser read it beside the flow. Known by Chrome's resource
    type, the answer's type, or the ``Accept`` header an ``EventSource`` sends."""
    if step.request.method != "GET":
        return False
    if step.resource_type == "eventsource":
        return True
    if step.response is not None and \
            step.response.mime_type.lower().startswith("text/event-stream"):
        return True
    accept = step.request.header("Accept")
    return accept is not None and accept.strip().lower() == "text/event-stream"


LIVE_CHANNEL = ("live channel (a Socket.IO or SockJS transport the page kept open beside the flow; "
                "not replayed)")
# SockJS's transports: /<prefix>/<server: 3 digits>/<session>/<transport>
_SOCKJS = re.compile(r"/\d{3}/[^/]+/(?:xhr|xhr_send|xhr_streaming|eventsource|htmlfile|jsonp|"
                     r"jsonp_send)$")


def _live_channel(request: ir.Request) -> bool:
    """A request of a page's live channel rather than of its flow: Socket.IO's transport
    (engine.io: ``?EIO=4&transport=polling&sid=…``, its handshake, its polls, which wait for
    news, and the messages it sends, framed for a socket that a replay does not hold) or
    SockJS's (``/sockjs/123/ab4c/xhr``). Its session id is the handshake's; sent again, the
    server knows none (``Session ID unknown``). Known by engine.io's ``EIO`` parameter and
    transport, or SockJS's path."""
    names = {q.name: q.value.text for q in request.query}
    if names.get("EIO", "").isdigit() and names.get("transport") in ("polling", "websocket"):
        return True
    path = "".join(p for p in request.path.parts if isinstance(p, str))
    return _SOCKJS.search(path) is not None


def _sends_events(request: ir.Request) -> bool:
    """A live channel's request that sends the server events of the page's (Socket.IO's
    ``42["event", …]`` packets, SockJS's ``xhr_send``), not only its own handshake or pings."""
    if request.method != "POST":
        return False
    path = "".join(p for p in request.path.parts if isinstance(p, str))
    if path.endswith(("/xhr_send", "/jsonp_send")):
        return True
    body = request.body
    text = body.text.text if isinstance(body, ir.RawBody) and body.text is not None else ""
    return '42["' in text or "42/" in text


def _events_not_replayed(events: list[ir.Step]) -> str:
    shown = ", ".join(f"entry {step.entry_index + 1}" for step in events[:5])
    more = f" and {len(events) - 5} more" if len(events) > 5 else ""
    return (f"the page sent events over its live channel (Socket.IO or SockJS: {shown}{more}); "
            "a Locust HTTP script does not hold that channel, so what they did is not "
            "replayed: if they are the work of the journey, load it with a Socket.IO client "
            "(locust-plugins' SocketIOUser)")


def recorded_url(request: ir.Request) -> str:
    path = "".join(p for p in request.path.parts if isinstance(p, str))
    query = f"?{request.raw_query}" if request.raw_query else ""
    return f"{request.origin}{path}{query}"


def is_static(step: ir.Step) -> bool:
    """Images, scripts, styles, fonts, media: by resource type, MIME type or file extension."""
    if step.request.method not in ("GET", "HEAD") or step.resource_type == "document":
        return False
    if step.resource_type in STATIC_RESOURCE_TYPES:
        return True
    if step.response is not None:
        mime = step.response.mime_type.split(";", 1)[0].strip()
        if mime in STATIC_MIMES or mime.startswith(STATIC_MIME_PREFIXES):
            return True
        if mime and step.resource_type is None and (
                "html" in mime or "json" in mime or "xml" in mime):
            return False  # an API or page that happens to end in .js, say
    last = "".join(p for p in step.request.path.parts if isinstance(p, str)).lower()
    match = _EXTENSION.search(last)
    return bool(match and match.group(0) in STATIC_EXTENSIONS)


def infer_main_origin(steps: list[ir.Step]) -> str:
    """The origin of the first document navigation, else the one with most requests.

    A navigation is what the recording says is one (Chrome's resource type, or the
    ``Sec-Fetch-Dest: document`` the browser sent); only where it says that of no request, a
    GET answered with HTML. (A proxy's recording starts with the browser's own requests,
    which send no ``Sec-Fetch-Dest``: Firefox's captive-portal check fetches an HTML page from
    detectportal.firefox.com, which would otherwise be the site under test.)"""
    for step in steps:
        if step.request.method == "GET" and step.resource_type == "document":
            return step.request.origin
    for step in steps:
        if step.request.method == "GET" and step.resource_type is None and _is_html(step):
            return step.request.origin
    counts = Counter(step.request.origin for step in steps)
    return counts.most_common(1)[0][0] if counts else ""


def _is_html(step: ir.Step) -> bool:
    return step.response is not None and "html" in step.response.mime_type


@functools.lru_cache(maxsize=4096)  # a recording has few hosts; parsing an IP address costs
def _site(host: str) -> str:
    """``app.example.com`` → ``example.com``; IP addresses and ``localhost`` stay whole."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]")
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
        return host
    except ValueError:
        pass
    labels = name.split(".")
    if len(labels) <= 2:
        return name
    # co.uk-style public suffixes: keep three labels when the second-level label is short
    if len(labels[-2]) <= 3 and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _matches(host: str, patterns: tuple[str, ...]) -> bool:
    bare = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return any(fnmatch.fnmatch(host, p.lower()) or fnmatch.fnmatch(bare, p.lower())
               for p in patterns)
