"""Record a HAR with a real browser, by hand or along a journey script (Python API).

    from har2locust_plus.record import load_journey, record

    summary = record("http://127.0.0.1:5000/", "capture.har",
                     journey=load_journey("journeys/notes.py"))
    print(summary.line())

The browser runs in a fresh context with Playwright's HAR recorder, content embedded, nothing
left out: cookies, ``Set-Cookie`` and bodies are what the converter correlates. No Playwright
route is installed: with one, Chromium's request interception drops the network-level request
headers (``Host``, ``Content-Length``, ``Sec-Fetch-*`` ...) from the HAR and turns the HTTP
cache off. Pages' answers are held at the response stage instead, only to read their bodies
(:class:`_PageBodies`): the request was sent as the browser sends it, and its HAR entry is the
same.

Nothing recorded is lost to a signal. Playwright's driver (node) ignores SIGINT and Chromium
runs in a process group of its own, so a terminal's Ctrl-C, sent to the whole foreground group,
reaches only this process; the browser is launched with Playwright's own signal handling off,
so the driver does not close it either. Here SIGINT and SIGTERM raise :class:`RecordingStopped`
inside whatever the journey (or the wait for the window) was doing, never inside Playwright's
event loop; the context is closed (which writes the HAR), and :func:`record` returns with
``stopped_by`` set. While the HAR is being saved, further signals are ignored.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib.util
import json
import os
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import FrameType, ModuleType, TracebackType
from typing import Any
from urllib.parse import urlsplit

from ..cli_common import write
from ..errors import BadInput, BadOption, Har2LocustError
from .browsers import browser_args, find_browser

Journey = Callable[[Any], None]  # journey(page): a Playwright sync-API Page, already at the URL
Progress = Callable[[str], None]
INSTALL_PLAYWRIGHT = "record needs Playwright: pip install 'har2locust-plus[record]'"


@dataclass(frozen=True)
class RecordSummary:
    """What was recorded and written."""

    output: str
    entries: int
    pages: int
    hosts: tuple[str, ...]  # host[:port] of the requests, in the order they were first seen
    stopped_by: int | None = None  # the signal that ended the recording, if one did
    lost: tuple[str, ...] = ()  # "METHOD /path" of answers whose body the browser did not keep

    def line(self) -> str:
        """``recorded 23 requests on 4 pages from 1 host (127.0.0.1:5000) → capture.har``."""
        shown = ", ".join(self.hosts[:3]) + (", …" if len(self.hosts) > 3 else "")
        stopped = (f" (stopped by {signal.Signals(self.stopped_by).name})"
                   if self.stopped_by else "")
        return (f"recorded {_count(self.entries, 'request')} on {_count(self.pages, 'page')} "
                f"from {_count(len(self.hosts), 'host')}" + (f" ({shown})" if shown else "")
                + f" → {self.output}{stopped}")


    def warning(self) -> str | None:
        """One line on the answers whose body is not in the HAR, or None."""
        if not self.lost:
            return None
        shown = ", ".join(self.lost[:3]) + (", …" if len(self.lost) > 3 else "")
        bodies = "the body of 1 answer is" if len(self.lost) == 1 else \
            f"the bodies of {len(self.lost)} answers are"
        return (f"warning: {bodies} not in the HAR ({shown}): the page left before the "
                "browser handed it over; what only it hands out is not correlated, and its "
                "text is not checked")


class RecordingStopped(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: raised where the recording was. A ``KeyboardInterrupt``, so
    that a journey's ``except Exception`` does not swallow it and asyncio lets it out of a
    callback (see :class:`_SignalStop`)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


class JourneyFailed(Har2LocustError):
    """The journey raised; what was recorded until then has been written."""

    def __init__(self, where: str, error: BaseException, summary: RecordSummary) -> None:
        self.error = error
        self.summary = summary
        super().__init__(f"{where}: {type(error).__name__}: {_first_line(error)} (the "
                         f"{_count(summary.entries, 'request')} recorded until then are in "
                         f"{summary.output})")


def normalize_url(url: str) -> str:
    """An http(s) URL to start at; a bare ``host[:port][/path]`` gets ``http://``."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        parts = parts._replace(netloc="")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadOption(f"{url}: expected an http:// or https:// URL, "
                        "e.g. http://127.0.0.1:5000/")
    return text


def load_journey(path: str) -> Journey:
    """The ``journey(page)`` function of the Python file at ``path``."""
    if not os.path.isfile(path):
        raise BadInput(path, "no such file")
    spec = importlib.util.spec_from_file_location("har2locust_plus_journey", path)
    if spec is None or spec.loader is None:
        raise BadInput(path, "not a Python file (.py)")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise BadInput(path, f"line {exc.lineno}: {exc.msg}") from None
    except Exception as exc:  # the file's own error, at import: the user's to fix
        raise BadInput(path, f"{_where(exc, path)}{type(exc).__name__}: "
                             f"{_first_line(exc)}") from None
    journey = getattr(module, "journey", None)
    if not callable(journey):
        raise BadInput(path, "no journey(page) function")
    return journey  # type: ignore[no-any-return]


def record(url: str, output: str, *, journey: Journey | None = None,
           browser_path: str | None = None, headless: bool | None = None,
           launch_args: tuple[str, ...] = (), proxy: dict[str, str] | None = None,
           context_options: Mapping[str, Any] | None = None,
           progress: Progress = lambda line: None) -> RecordSummary:
    """Open ``url`` in a browser, record, and write the HAR to ``output`` (atomically for a
    regular file, written through for a device or FIFO).

    With ``journey``, call it with the page (headless unless ``headless=False``) and save when
    it returns; without, wait until the user has closed every page. An exception of the journey
    is raised as :class:`JourneyFailed` after saving. ``launch_args`` are added to the
    browser's command line, ``proxy`` is Playwright's launch option
    (``{"server": ..., "bypass": ...}``), ``context_options`` are further keyword arguments of
    Playwright's ``browser.new_context`` (``locale``, ``viewport``, ``service_workers`` ...;
    the ``record_har_*`` ones are the recorder's own). Raises :class:`RecordingStopped` when a
    signal came before anything could be recorded.
    """
    url = normalize_url(url)
    options = dict(context_options or {})
    taken = sorted(name for name in options if name.startswith("record_har_"))
    if taken:
        raise BadOption(f"context_options: {', '.join(taken)} "
                        f"{'is' if len(taken) == 1 else 'are'} set by the recorder")
    headless = journey is not None if headless is None else headless
    sync_api = _playwright()
    if not headless and sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise BadOption("no display for a browser window ($DISPLAY is not set): record with "
                        "--script, which runs headless")
    failure: tuple[str, Exception] | None = None
    with tempfile.TemporaryDirectory(prefix="har2locust-record-") as workdir, \
            _SignalStop() as stop:
        har_path = os.path.join(workdir, "capture.har")
        with sync_api.sync_playwright() as playwright:
            executable = find_browser(browser_path, _bundled_chromium(playwright))
            progress(f"starting {executable or 'Playwright’s Chromium'}"
                     + (" (headless)" if headless else ""))
            try:
                browser = playwright.chromium.launch(
                    executable_path=executable, headless=headless,
                    args=browser_args(launch_args), proxy=proxy,  # type: ignore[arg-type]
                    handle_sigint=False, handle_sigterm=False, handle_sighup=False)
            except sync_api.Error as exc:
                raise Har2LocustError(f"the browser did not start: {_first_line(exc)}") from None
            kept = _PageBodies()
            try:
                context = browser.new_context(**options, record_har_path=har_path,
                                              record_har_content="embed",
                                              record_har_mode="full")
                context.on("page", kept.watch)
                try:
                    page = context.new_page()
                    _open(page, url, sync_api.Error, wait_until="load" if journey else "commit")
                    if journey is None:
                        progress("recording… close the browser window (or press Ctrl-C) to "
                                 "finish")
                        _wait_until_closed(context, sync_api.Error)
                    else:
                        progress(f"recording… running the journey at {url}")
                        failure = _run(journey)(page)
                except RecordingStopped:
                    pass  # stop.signum says which; save what was recorded
                finally:
                    stop.disarm()
                    progress("saving the HAR…")
                    kept.release()
                    with contextlib.suppress(sync_api.Error):  # gone with the browser
                        context.close()
            finally:
                stop.disarm()
                with contextlib.suppress(sync_api.Error):
                    browser.close()
        if not os.path.exists(har_path):
            raise Har2LocustError("the browser went away before the recording could be saved")
        with open(har_path, encoding="utf-8") as handle:
            text = kept.fill_in(handle.read())
    summary = _summary(text, output, stop.signum)
    write(output, text)
    if failure is not None:
        raise JourneyFailed(failure[0], failure[1], summary)
    return summary


class _PageBodies:
    """The bodies of the pages the browser loads, read while each answer is held back.

    Chromium drops the body of a page that leaves at once, before Playwright's HAR recorder
    asks for it: the answer of a form post whose script posts another form on load (SAML's
    ``SAMLResponse``, OAuth's ``response_mode=form_post``, a payment provider's redirect) is
    in the HAR without its text, and what only it hands out (a signed assertion) could not
    be read again. Each page of the context gets a DevTools session whose ``Fetch`` domain
    holds every document's answer at the response stage, reads its body there (where it is
    still the browser's) and lets it go on; :meth:`fill_in` then puts a body the HAR lacks
    into its entry. The same for the page's script's answers (XHR, fetch) with a
    ``Content-Length``: one whose script goes to another page at once (pretix's checkout posts
    the order, and goes to the URL its JSON answer names) is lost so too, and the ids in that
    URL with it. Only text of 10 MB or less: a stream (an event stream, an answer without a
    length) or a download is never read, nor held longer than its headers take. The request
    and its headers are recorded as without it."""

    LIMIT = 10_000_000
    TEXT_TYPES = ("text/", "html", "xml", "json", "javascript")
    SCRIPT_TYPES = ("xhr", "fetch")  # the HAR's _resourceType of a page script's request

    def __init__(self) -> None:
        self.bodies: dict[tuple[str, str], list[tuple[str, bool]]] = {}  # (method, url) ->
        self.sessions: list[Any] = []  # the pages' DevTools sessions, to let go at the end

    def watch(self, page: Any) -> None:
        """Hold ``page``'s document answers (a context's ``page`` event)."""
        try:
            session = page.context.new_cdp_session(page)
        except Exception:  # not Chromium, or the page is gone: the HAR as the browser wrote it
            return

        def paused(event: dict[str, Any]) -> None:
            with contextlib.suppress(Exception):  # a body not read: the HAR may lack it
                self._read(session, event)
            with contextlib.suppress(Exception):  # the page may be gone meanwhile
                session.send("Fetch.continueRequest", {"requestId": event["requestId"]})

        session.on("Fetch.requestPaused", paused)
        self.sessions.append(session)
        with contextlib.suppress(Exception):
            session.send("Fetch.enable", {"patterns": [
                {"resourceType": kind, "requestStage": "Response"}
                for kind in ("Document", "XHR", "Fetch")]})

    def release(self) -> None:
        """Hold no more answers, before the context closes: a request still in flight then (a
        long poll's, Syncthing's ``/rest/events``) ends as the browser ends it, not as one
        held by an interception that went away (an entry with no status and no reason)."""
        for session in self.sessions:
            with contextlib.suppress(Exception):  # the page may be gone
                session.send("Fetch.disable")

    def _read(self, session: Any, event: dict[str, Any]) -> None:
        status = event.get("responseStatusCode") or 0
        if not 200 <= status < 300 or status in (204, 205):
            return
        headers = {h["name"].lower(): h["value"] for h in event.get("responseHeaders") or ()}
        kind = headers.get("content-type", "").lower()
        length = headers.get("content-length", "0")
        if not any(t in kind for t in self.TEXT_TYPES) or (
                length.isdigit() and int(length) > self.LIMIT):
            return
        if event.get("resourceType") != "Document" and (
                not length.isdigit() or "event-stream" in kind):
            return  # a script's stream: reading it would hold it back until it ends
        body = session.send("Fetch.getResponseBody", {"requestId": event["requestId"]})
        text, encoded = body.get("body", ""), bool(body.get("base64Encoded"))
        if len(text) <= self.LIMIT * 4 // 3:
            request = event.get("request") or {}
            self.bodies.setdefault((request.get("method", ""), request.get("url", "")),
                                   []).append((text, encoded))

    def fill_in(self, text: str) -> str:
        """The HAR's text with the bodies it lacks filled in, and without the script's requests
        still waiting for an answer when the recording ended (unchanged if neither)."""
        if not self.bodies and not (self.sessions and any(mark in text for mark in _UNANSWERED)):
            return text
        har = json.loads(text)
        log = har.get("log", {})
        entries = log.get("entries", [])
        # a script's request no answer came to before the end (a long poll: Syncthing's
        # /rest/events waits for the next event): with the script's answers held, Playwright
        # writes it as one that failed for no reason (status -1, no failure text), where it
        # left it out before; left out again (a request that failed says why: net::ERR_…)
        kept_entries = [entry for entry in entries if not _unanswered(entry)]
        dropped = len(entries) - len(kept_entries)
        if dropped:
            log["entries"] = kept_entries
        filled = 0
        for entry in kept_entries:
            request, response = entry.get("request") or {}, entry.get("response") or {}
            content = response.get("content") or {}
            status = response.get("status", 0)
            if entry.get("_resourceType") not in ("document", *self.SCRIPT_TYPES) or \
                    not 200 <= status < 300 or \
                    status in (204, 205) or not any(
                        t in str(content.get("mimeType", "")).lower() for t in self.TEXT_TYPES):
                continue  # an answer _read did not keep
            if entry.get("_resourceType") != "document" and not _finite(response):
                continue  # a script's stream, not kept either
            kept = self.bodies.get((request.get("method", ""), request.get("url", "")))
            if not kept:
                continue
            body, encoded = kept.pop(0)  # the answers to one URL, in the order they came
            if "text" in content:
                continue
            raw = base64.b64decode(body) if encoded else body.encode()
            if encoded:  # the protocol often sends a page's text as base64: text if it is
                with contextlib.suppress(UnicodeDecodeError):
                    body, encoded = raw.decode("utf-8"), False
            content["text"] = body
            content["size"] = len(raw)
            if encoded:
                content["encoding"] = "base64"
            content["comment"] = "read while the browser held the answer (the page left at once)"
            response["content"] = content
            filled += 1
        return json.dumps(har, ensure_ascii=False) if filled or dropped else text


_UNANSWERED = ('"status": -1', '"status":-1')  # in the text of a HAR with such an entry


def _unanswered(entry: dict[str, Any]) -> bool:
    """A script's request (XHR, fetch) with no answer and no failure: in flight at the end."""
    response = entry.get("response") or {}
    return entry.get("_resourceType") in _PageBodies.SCRIPT_TYPES and \
        response.get("status", 0) <= 0 and not response.get("_failureText") and \
        not response.get("headers")


def _finite(response: dict[str, Any]) -> bool:
    """Does a HAR answer say its length, and is it no event stream (see ``_read``)?"""
    headers = {str(h.get("name", "")).lower(): str(h.get("value", ""))
               for h in response.get("headers") or () if isinstance(h, dict)}
    return headers.get("content-length", "").isdigit() and \
        "event-stream" not in headers.get("content-type", "").lower()


def _playwright() -> ModuleType:
    try:
        import playwright.sync_api
    except ImportError:
        raise Har2LocustError(INSTALL_PLAYWRIGHT) from None
    return playwright.sync_api


def _bundled_chromium(playwright: Any) -> str | None:
    """Playwright's own Chromium, installed or not (``None``: none for this platform)."""
    try:
        return str(playwright.chromium.executable_path)
    except Exception:  # playwright.Error: "not supported on current platform"
        return None


def _open(page: Any, url: str, error: type[Exception], wait_until: str) -> None:
    try:
        page.goto(url, wait_until=wait_until)
    except error as exc:
        # "Page.goto: net::ERR_CONNECTION_REFUSED at http://...": the browser's reason
        reason = re.sub(r"^\w+\.\w+: ", "", _first_line(exc))
        raise BadInput(url, f"cannot open: {reason.removesuffix(f' at {url}')}") from None


def _wait_until_closed(context: Any, error: type[Exception]) -> None:
    """Return once the user has closed every page of the context (tabs they opened too)."""
    while context.pages:
        page = context.pages[0]
        try:
            page.wait_for_event("close", timeout=0)
        except error:
            if not page.is_closed():
                raise


def _run(journey: Journey) -> Callable[[Any], tuple[str, Exception] | None]:
    """``journey`` as a call that returns where and what it raised, instead of raising."""
    code = getattr(journey, "__code__", None)
    filename = code.co_filename if code else ""

    def run(page: Any) -> tuple[str, Exception] | None:
        try:
            journey(page)
        except Exception as exc:
            return _where(exc, filename).removesuffix(": ") or "journey", exc
        return None

    return run


def _where(exc: BaseException, filename: str) -> str:
    """``path:line: `` of the last frame of ``filename`` in the traceback (``""``: none)."""
    where = ""
    tb: TracebackType | None = exc.__traceback__
    target = os.path.abspath(filename) if filename else ""
    while tb is not None:
        if target and os.path.abspath(tb.tb_frame.f_code.co_filename) == target:
            where = f"{filename}:{tb.tb_lineno}: "
        tb = tb.tb_next
    return where


def _summary(text: str, output: str, stopped_by: int | None) -> RecordSummary:
    log = json.loads(text)["log"]
    hosts: dict[str, None] = {}
    for entry in log.get("entries", []):
        # host[:port] only: a URL's user information (XHR's open(url, user, password)) holds
        # a password, which a summary never shows
        netloc = urlsplit(entry["request"]["url"]).netloc.rsplit("@", 1)[-1]
        if netloc:
            hosts.setdefault(netloc)
    # pages the user saw: Chromium's HAR has one "page" per tab, so count the documents
    # loaded (a redirect is no page), as the converter does
    views = sum(1 for entry in log.get("entries", []) if entry.get("_resourceType") == "document"
                and not 300 <= entry["response"].get("status", 0) < 400)
    return RecordSummary(output, len(log.get("entries", [])), views or len(log.get("pages", [])),
                         tuple(hosts), stopped_by, tuple(_lost_bodies(log.get("entries", []))))


def _lost_bodies(entries: list[dict]) -> Iterator[str]:
    """``METHOD /path`` of each answer of a page or its script with a body the HAR does not
    hold: Chromium drops an answer's body when the page leaves at once (SQLAdmin's script goes
    to the URL its ``DELETE`` answered, htmx follows ``HX-Redirect``), and Playwright writes
    ``"size": -1`` without a ``text``. Redirects and empty answers have no body to lose."""
    for entry in entries:
        response, request = entry.get("response") or {}, entry.get("request") or {}
        content = response.get("content") or {}
        status = response.get("status", 0)
        if (entry.get("_resourceType") in ("document", "xhr", "fetch")
                and 200 <= status < 300 and status not in (204, 205)
                and request.get("method") != "HEAD"
                and "text" not in content and content.get("size", 0) != 0):
            parts = urlsplit(request.get("url", ""))
            yield f"{request.get('method', '?')} {parts.path or '/'}"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


class _SignalStop:
    """SIGINT and SIGTERM raise :class:`RecordingStopped` once, until :meth:`disarm`; after
    that they are ignored (the HAR is being saved). Handlers are installed only in
    the main thread (Python's rule) and restored on exit.

    Where the exception is raised matters. A handler runs wherever the main thread happens to
    be, and with Playwright's sync API that is often inside its event loop (a greenlet of its
    own): an exception raised in a task step there ends that task, the driver's connection
    with it, and nothing can be saved any more. So the exception is raised directly only in
    the greenlet that is recording; anywhere else it is handed to the loop as a callback, and
    Playwright passes an exception that a callback lets escape (a ``KeyboardInterrupt``, as
    Ctrl-C would) to the sync call that is waiting.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None
        self.armed = True
        self.saving = False
        self.previous: dict[int, Any] = {}
        self.owner: Any = None

    def __enter__(self) -> _SignalStop:
        if threading.current_thread() is threading.main_thread():
            with contextlib.suppress(ImportError):  # Playwright's; without it, raise directly
                import greenlet
                self.owner = greenlet.getcurrent()
            self.previous = {signum: signal.signal(signum, self._handle)
                             for signum in self.SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    def disarm(self) -> None:
        self.armed = False
        self.saving = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self.armed:  # disarmed: the recording has ended and is being saved, let it be
            return
        self.armed = False
        self.signum = signum
        loop = self._foreign_loop()
        if loop is None:
            raise RecordingStopped(signum)
        loop.call_soon_threadsafe(self._raise_if_recording, signum)

    def _foreign_loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop the handler interrupted, unless it interrupted the recording
        greenlet itself (``None``: raise right here)."""
        if self.owner is None:
            return None
        import greenlet

        if greenlet.getcurrent() is self.owner:
            return None
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    def _raise_if_recording(self, signum: int) -> None:
        if not self.saving:  # the journey may have ended before the loop ran this
            raise RecordingStopped(signum)
