"""Number the steps, group them into pages (one generated method each), measure think time.

A group is a recorded page (``pageref``) or, when the exporter wrote no pages, the requests from
one document navigation to the next; inside one, a single-page app's screen (its calls name
another route of the app in their ``Referer``: history.pushState) is a group of its own, named by
its route. Method names come from the page title or the URL path and
are valid, unique identifiers that do not shadow Locust's own ``User`` attributes. Think time
is measured before each page and, inside a page, before a request the user waited for (nothing
in flight for :data:`MIN_ACTION_THINK` seconds or more: a click in a single-page app).
"""

from __future__ import annotations

import functools
import html
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
    starts, titled = _page_starts(scenario.steps, titles)
    last_end: float | None = None
    capped = 0
    route: str | None = None  # the single-page app's screen the current group is on
    for number, step in enumerate(scenario.steps, start=1):
        follows_redirect = bool(steps) and steps[-1].response is not None and (
            300 <= steps[-1].response.status < 400)
        navigates = is_navigation(step)
        starts_group = number - 1 in starts
        screen = None if navigates else _screen(step, scenario.main_origin)
        new_screen = not starts_group and screen is not None and route is not None and \
            screen != route and not follows_redirect
        if navigates:  # a page of its own, or the one a redirect of the page led to
            route = _path(recorded_url(step.request))
        elif new_screen or starts_group or route is None:
            route = screen
        if new_screen:
            # a single-page app's client-side navigation (history.pushState): its calls name
            # the new screen in their Referer. A page of its own, named by its route
            think, was_capped = _think(step, last_end, options, MIN_ACTION_THINK)
            capped += was_capped
            groups.append(ir.Group(method=_screen_method(screen, used),
                                   title=_screen_title(screen),
                                   think_before=think))
        elif starts_group:
            page_title = titled.get(number - 1, "")
            title = page_title or _url_title(step)
            think, was_capped = _think(step, last_end, options)
            capped += was_capped
            groups.append(ir.Group(method=_method_name(page_title, step, used), title=title,
                                   think_before=think if groups else 0.0))
        follows = bool(steps) and _follows_location(steps[-1], step)
        paused = 0.0
        if not starts_group and not new_screen and not follows and step.started is not None \
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


def _page_starts(steps: tuple[ir.Step, ...], titles: dict[str, str]
                 ) -> tuple[set[int], dict[int, str]]:
    """The steps (indexes) that start a page: the first, another pageref, or a navigation
    inside one that does not follow a redirect (Playwright and some proxies put a whole
    session in a single page); and the pageref's title for the start it names.

    A pageref with several navigations has one title, of one of its documents: Playwright's
    is the last one's (a shop's journey is titled "Thank you! Your order has been processed"
    from its last page, its first is the event's), a Firefox export's the first's. It names
    the first page whose document's ``<title>`` says it, else the first page, as a pageref
    with one navigation."""
    starts: list[int] = []
    runs: list[tuple[str, list[int]]] = []  # a pageref's steps in a row: its pages' starts
    current_key: object = None
    for index, step in enumerate(steps):
        key = step.page_ref if (step.page_ref and step.page_ref in titles) else None
        before = steps[index - 1].response if index else None
        follows_redirect = before is not None and 300 <= before.status < 400
        if not starts or (key is not None and key != current_key) or (
                is_navigation(step) and not follows_redirect):
            if key is not None and key != current_key:
                runs.append((key, [index]))
            elif key is not None:
                runs[-1][1].append(index)  # another navigation inside the pageref
            starts.append(index)
            current_key = key
    titled: dict[int, str] = {}
    ends = [*starts[1:], len(steps)] if starts else []
    bounds = dict(zip(starts, ends, strict=True))  # a page's start: the start of the next
    for key, indexes in runs:
        if len(indexes) == 1:
            titled[indexes[0]] = titles[key]
            continue
        wanted = _squeezed(titles[key])
        first = next((i for i in indexes if any(
            _document_title(step) == wanted for step in steps[i:bounds[i]])), indexes[0])
        titled[first] = titles[key]
    return set(starts), titled


_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)


def _document_title(step: ir.Step) -> str | None:
    """The ``<title>`` of a step's HTML document, whitespace squeezed, or None."""
    response = step.response
    if response is None or "html" not in response.mime_type or not is_navigation(step):
        return None
    text = response.text
    match = _TITLE.search(text[:20_000]) if text else None
    return _squeezed(html.unescape(match.group(1))) if match else None


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def _think(step: ir.Step, last_end: float | None, options: Options,
           least: float = MIN_THINK) -> tuple[float, bool]:
    """The recorded pause before ``step``, which starts a page, and whether it was longer
    than --max-think-time (then shortened to it); ``least``: a shorter one is no pause (a
    screen of a single-page app: the page's own script, as inside a page)."""
    if step.started is None or last_end is None:
        return 0.0, False
    gap = step.started.timestamp() - last_end
    if gap < least:
        return 0.0, False
    think = round(gap, 1)
    return (options.max_think_time, True) if think > options.max_think_time else (think, False)


def _screen(step: ir.Step, main_origin: str) -> str | None:
    """The path of the page a script's call was made from, by its ``Referer`` (the live
    address of a single-page app, history.pushState's included), where that page is on the
    call's own origin; None where the call says nothing of it."""
    if step.resource_type not in ("xhr", "fetch"):
        return None
    value = next((h.value for h in step.request.headers if h.name.lower() == "referer"), None)
    if value is None or not value.parts:
        return None
    first, rest = value.parts[0], value.parts[1:]
    origin = step.request.origin
    if value.is_literal:
        referer = value.text
        if not referer.startswith(origin + "/") and referer != origin:
            return None  # a page of another origin (or another port)
        path = referer[len(origin):]
    elif isinstance(first, ir.HostRef) and all(isinstance(part, str) for part in rest):
        if origin != main_origin:
            return None
        path = "".join(rest)  # (the headers stage made it follow --host)
    else:
        return None
    return unquote(path.partition("#")[0].partition("?")[0]) or "/"


def _path(url: str) -> str:
    try:
        return unquote(urlsplit(url).path) or "/"
    except ValueError:
        return "/"


def _route_shown(route: str) -> list[str]:
    """The segments of a route, a recorded id among them as ``{id}`` (the next run's object
    has another)."""
    return ["{id}" if not _route_word(segment) else segment
            for segment in route.split("/") if segment]


def _screen_title(route: str) -> str:
    """``/admin/content-manager``, ``…/api::note.note/{id}``: the route, its last three
    segments."""
    shown = _route_shown(route)
    return "/" + "/".join(shown) if len(shown) <= 3 else "…/" + "/".join(shown[-3:])


def _screen_method(route: str, used: _Names) -> str:
    words = [word if word != "{id}" else "id" for word in _route_shown(route)[-2:]]
    return _unique_method(identifier(" ".join(words), max_words=6) or "screen", used)


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


def is_navigation(step: ir.Step) -> bool:
    """Does the step load a page (a document), by its resource type or else its Accept?"""
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
    return _unique_method(base, used)


def _unique_method(base: str, used: _Names) -> str:
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
