"""Number the steps, group them into pages (one generated method each), measure think time.

A group is a recorded page (``pageref``) or, when the exporter wrote no pages, the requests from
one document navigation to the next. Method names come from the page title or the URL path and
are valid, unique identifiers that do not shadow Locust's own ``User`` attributes. Think time
is measured before each page and, inside a page, before a request the user waited for (nothing
in flight for :data:`MIN_ACTION_THINK` seconds or more: a click in a single-page app).
"""

from __future__ import annotations

import functools
import keyword
import re
import unicodedata
from urllib.parse import unquote, urldefrag, urljoin, urlsplit, urlunsplit

from .. import ir
from ..ir import replace
from ..operation import operation_words
from ..options import Options
from .filter import recorded_url

# Attributes of locust's User/FastHttpUser that a page method must not shadow.
RESERVED = frozenset({
    "abstract", "client", "context", "environment", "fixed_count", "greenlet", "host",
    "on_start", "on_stop", "run", "start", "stop", "tasks", "wait", "wait_time", "weight",
    "origin",  # set by the generated on_start (Origin/Referer follow --host)
    "journey", "default_headers", "max_redirects", "network_timeout", "connection_timeout",
    "insecure", "concurrency", "proxy_host", "proxy_port", "client_pool", "max_retries",
    "request_timeout",  # set by the generated __init__ (HttpUser: timeout= on each request)
})
_WORDS = re.compile(r"[^0-9a-zA-Z]+")
# where camelCase starts a word: after a small letter or digit, or an acronym's last capital
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
REDIRECTS = frozenset({301, 302, 303, 307, 308})  # what a browser follows by its Location
MIN_THINK = 0.1  # gaps shorter than this are the browser's own pace, not a person thinking
# inside a page, a gap with nothing in flight at least this long is the user's (a click in a
# single-page app after reading, or waiting for the server's work); shorter ones are the page's
# own script (timers, chained requests)
MIN_ACTION_THINK = 1.0


def group_steps(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    titles = {page.id: page.title for page in scenario.pages}
    groups: list[ir.Group] = []
    steps: list[ir.Step] = []
    used = _Names()
    current_key: object = None
    last_end: float | None = None
    capped = 0
    for number, step in enumerate(scenario.steps, start=1):
        key = step.page_ref if (step.page_ref and step.page_ref in titles) else None
        # a new page: another pageref, or a navigation inside one (Playwright and some proxies
        # put a whole session in a single page)
        follows_redirect = bool(steps) and steps[-1].response is not None and (
            300 <= steps[-1].response.status < 400)
        starts_group = not groups or (key is not None and key != current_key) or (
            _is_navigation(step) and not follows_redirect)
        if starts_group:
            page_title = titles.get(key or "", "") if key != current_key else ""
            current_key = key
            title = page_title or _url_title(step)
            think = 0.0
            start = step.started.timestamp() if step.started else None
            if start is not None and last_end is not None and start - last_end >= MIN_THINK:
                think = round(start - last_end, 1)
                if think > options.max_think_time:
                    think, capped = options.max_think_time, capped + 1
            groups.append(ir.Group(method=_method_name(page_title, step, used), title=title,
                                   think_before=think if groups else 0.0))
        follows = bool(steps) and _follows_location(steps[-1], step)
        paused = 0.0
        if not starts_group and not follows and step.started is not None \
                and last_end is not None:
            gap = step.started.timestamp() - last_end
            if gap >= MIN_ACTION_THINK:
                paused = round(gap, 1)
                if paused > options.max_think_time:
                    paused, capped = options.max_think_time, capped + 1
        if step.started is not None:
            end = step.started.timestamp() + step.duration_ms / 1000
            last_end = end if last_end is None else max(last_end, end)
        steps.append(replace(step, number=number, group=len(groups) - 1,
                             follows_location=follows, think_before=paused))
    if capped:
        scenario = scenario.with_diagnostic(
            ir.Severity.INFO, f"{capped} recorded pause(s) longer than "
            f"{options.max_think_time:g} s shortened to {options.max_think_time:g} s")
    return replace(scenario, steps=tuple(steps), groups=tuple(groups))


def _follows_location(previous: ir.Step, step: ir.Step) -> bool:
    """Whether ``step`` is the browser following ``previous``'s redirect: its URL is that
    response's Location, resolved against the request's URL, without the fragment (the same
    up to percent-encoding: a browser encodes what a server left raw)."""
    response = previous.response
    if response is None or response.status not in REDIRECTS:
        return False
    location = (response.header("Location") or response.redirect_url or "").strip()
    if not location:
        return False
    try:
        target = _comparable(urldefrag(urljoin(recorded_url(previous.request), location)).url)
        return target == _comparable(recorded_url(step.request))
    except ValueError:  # a Location (or a URL) urlsplit refuses: not followed as recorded
        return False


def _comparable(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), unquote(parts.path) or "/",
                       unquote(parts.query), ""))


def _is_navigation(step: ir.Step) -> bool:
    if step.resource_type is not None:
        return step.resource_type == "document"
    accept = step.request.header("accept") or ""
    return step.request.method in ("GET", "POST") and "text/html" in accept and (
        step.response is None or "html" in step.response.mime_type
        or 300 <= step.response.status < 400)


def _url_title(step: ir.Step) -> str:
    return step.label.removeprefix("GET ")


class _Names(set[str]):
    """The method names taken, and for each base name the suffix to try next: ``base_2``,
    ``base_3``... were all taken when tried (and names are never freed), so a recording with
    a thousand pages of one name tries each suffix once, not once per page."""

    def __init__(self) -> None:
        super().__init__()
        self.next_suffix: dict[str, int] = {}


def _method_name(title: str, step: ir.Step, used: _Names) -> str:
    base = identifier(title, camel=False) if not title.startswith(("http://", "https://")) \
        else ""
    if not base:
        verb = "" if step.request.method == "GET" else step.request.method.lower() + " "
        base = identifier(f"{verb}{_path_words(step)} {_operation_words(step)}")
    if not base:
        base = "home"
    if base[0].isdigit():
        base = "page_" + base
    if keyword.iskeyword(base) or base in RESERVED or base.startswith("_"):
        base = "page_" + base.lstrip("_")
    name, n = base, used.next_suffix.get(base, 2)
    if name in used:
        name = f"{base}_{n}"
    while name in used:
        n += 1
        name = f"{base}_{n}"
    used.next_suffix[base] = n + 1 if name != base else n
    used.add(name)
    return name


@functools.lru_cache(maxsize=4096)
def identifier(text: str, max_words: int = 5, camel: bool = True) -> str:
    """ASCII snake_case words of ``text`` (may be empty). ``camel``: a name's words joined in
    camelCase are words too (``documentId``: ``document_id``; ``CSRFToken``: ``csrf_token``),
    not a page title's (``WordPress``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    if camel and not ascii_text.isupper():
        ascii_text = _CAMEL.sub("_", ascii_text)
    words = [w.lower() for w in _WORDS.split(ascii_text) if w]
    return "_".join(words[:max_words])[:60].strip("_")


def _path_words(step: ir.Step) -> str:
    path = ir.template_preview(step.request.path)
    words = [_route_word(seg) for seg in path.split("/")]
    return " ".join([word for word in words if word][-3:])


def _operation_words(step: ir.Step) -> str:
    """What a front controller or an RPC endpoint was asked for, as words of a method's name:
    ``addressbook save`` for ``_task=addressbook, _action=save``, ``CreateNote``."""
    return " ".join(word for _, word in operation_words(step.request.operation))


def _route_word(segment: str) -> str:
    """A path segment as a word of a method's name, without the recorded id it may hold: ``""``
    for ``4711``, a uuid or a token, ``issue`` for Roundup's ``issue4711``, ``zoo-post`` for
    WordPress's ``zoo-post-1796195489047``."""
    if "{" in segment or segment.isdigit():
        return ""
    word = re.sub(r"(?<=[A-Za-z])[-_]?\d{3,}$", "", segment)
    return "" if len(word) >= 12 and sum(ch.isdigit() for ch in word) >= 3 else word
