"""HAR file → :class:`~har2locust_plus.ir.Scenario`. The only module that sees raw HAR dicts.

It accepts what real exporters write (FIELD-NOTES §1): a UTF-8 BOM, zlib-compressed ``.zhar``,
HTTP/2 pseudo headers, base64 bodies, ``postData`` as ``text`` only or ``params`` only, missing
``pages`` and ``_resourceType`` (then read from ``Sec-Fetch-Dest``), status 0, Safari
memory-cache entries, websocket entries.
Whatever makes the file unusable raises :class:`BadInput` naming the JSON path; an entry that
is broken on its own is skipped, counted and reported.

Entries are decoded and converted one at a time (see "file level" below), so a large recording
never has to fit in memory as one string plus one tree of dicts. haralyzer reads the start
times ``datetime`` cannot (its dateutil parser is more forgiving); it is imported only then.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import json
import math
import re
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import SplitResult, parse_qsl, unquote, unquote_plus, urlsplit

from . import ir, jsontext
from .errors import BadInput
from .ir import replace
from .operation import rpc_operation
from .parallel import fork_map

_JSONP = re.compile(r"^\s*[A-Za-z_$][\w$.]*\s*\(")


PROXY_TUNNEL = ("proxy tunnel (CONNECT: the browser asked the recording proxy for a "
                "connection; no request of the app)")


class _SkipEntry(Exception):
    """This entry cannot be replayed; ``reason`` is the report's category."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def load(data: bytes, source: str) -> ir.Scenario:
    """Parse HAR bytes into a scenario with one step per usable entry."""
    har = _read_json(_decompress(data), source)
    if not isinstance(har, dict) or "log" not in har:
        hint = ""
        if isinstance(har, dict) and "request" in har and "response" in har:
            hint = " (it looks like a single entry: wrap it in {\"log\": {\"entries\": [...]}})"
        raise BadInput(source, f'not a HAR file (no "log" object){hint}')
    log = har["log"]
    if not isinstance(log, dict):
        raise BadInput(source, f"must be an object, got {_type_name(log)}", "log")
    entries = log.get("entries")
    if entries is None:
        raise BadInput(source, 'no "entries" in the log: nothing was recorded', "log")
    if isinstance(entries, list):  # read by json.loads after all: convert them now
        entries = _Entries.of(entries)
    if not isinstance(entries, _Entries):
        raise BadInput(source, f"must be an array, got {_type_name(entries)}", "log.entries")

    steps, diagnostics = entries.steps, list(entries.diagnostics)
    if (late := _listed_late(steps)) is not None:
        steps = _in_time_order(steps)
        diagnostics.append(ir.Diagnostic(ir.Severity.INFO, (
            f"the entries are not in the order the browser sent them (log.entries[{late[0]}] "
            f"started {late[2]:,.1f} s before log.entries[{late[1]}], listed before it: an "
            "exporter may write a network panel's order, sorted by another column); they are "
            "replayed in the order of their start times")))
    if entries.websocket_sends:
        diagnostics.append(ir.Diagnostic(ir.Severity.WARNING,
                                         _websocket_warning(entries.websocket_sends)))
    if not entries.count:
        diagnostics.append(ir.Diagnostic(ir.Severity.WARNING,
                                         "the recording is empty (log.entries has 0 entries)"))
    elif "webinspector" in _creator(log.get("creator")).lower() and _looks_sanitized(steps):
        diagnostics.append(ir.Diagnostic(ir.Severity.WARNING, (
            "no Cookie, Set-Cookie or Authorization header anywhere: the HAR looks sanitized "
            "(Chrome's default export). What it still tells is restored (an access token an "
            "answer handed out, sent as Authorization; a CSRF header's cookie), not Basic "
            "credentials nor a cookie the page's script set; in DevTools use 'Export HAR "
            "(with sensitive data)'")))

    missing = []
    twins: set[tuple[str, str]] | None = None  # (method, URL) of the page's own requests
    for i, step in enumerate(steps):
        if step.request.body is None and step.request.method not in ("GET", "HEAD") and (
                where := _no_body(step)):
            steps[i] = ir.replace(step, request=ir.replace(step.request, body_left_out=True))
            if step.by_service_worker:  # Playwright holds no body of a worker's request
                if twins is None:
                    twins = {(s.request.method, _url_of(s.request)) for s in steps
                             if not s.by_service_worker}
                if (step.request.method, _url_of(step.request)) in twins:
                    continue  # the page's request, which holds it, is replayed (filter)
            missing.append(where)
    if missing:
        diagnostics.append(ir.Diagnostic(ir.Severity.WARNING, (
            f"{len(missing)} request(s) sent a body the recording does not hold (a browser's "
            "HAR leaves out uploaded files); the script sends them without one, so the server "
            "will not get the upload — add it (files=...) where it is sent: "
            + "; ".join(missing[:5]) + (" …" if len(missing) > 5 else ""))))

    return ir.Scenario(
        source=source,
        creator=_creator(log.get("creator")),
        browser=_creator(log.get("browser")),
        pages=_pages(log.get("pages")),
        steps=tuple(steps),
        skipped=tuple(entries.skipped.items()),
        diagnostics=tuple(diagnostics),
    )


# Entries listed before one that started this much earlier are out of order. Under it, the
# start times of requests sent together disagree with the exporter's order by a few
# milliseconds (their clocks differ: Playwright's), which is no reason to reorder them.
OUT_OF_ORDER = 1.0  # seconds


def _listed_late(steps: Sequence[ir.Step]) -> tuple[int, int, float] | None:
    """``(earlier entry, later entry, seconds)`` of the first entry listed after one that
    started more than :data:`OUT_OF_ORDER` later; None where the entries are in order."""
    latest: ir.Step | None = None
    for step in steps:
        if step.started is None:
            continue
        if latest is not None and latest.started is not None:
            ahead = latest.started.timestamp() - step.started.timestamp()
            if ahead > OUT_OF_ORDER:
                return latest.entry_index, step.entry_index, ahead
            if ahead < 0:
                latest = step
        else:
            latest = step
    return None


def _in_time_order(steps: list[ir.Step]) -> list[ir.Step]:
    """The steps in the order of their start times (HAR 1.2: a reader sorts the entries); one
    without a start time stays after the one before it, and equal times keep their order."""
    keys: list[float] = []
    last = -math.inf
    for step in steps:
        if step.started is not None:
            last = step.started.timestamp()
        keys.append(last)
    return [steps[i] for i in sorted(range(len(steps)), key=keys.__getitem__)]


def _url_of(request: ir.Request) -> str:
    """A request's recorded URL, to compare two (``filter.recorded_url`` is a stage's)."""
    return f"{request.origin}{request.path.text}?{request.raw_query}"


def _no_body(step: ir.Step) -> str:
    """``log.entries[31] POST /upload (multipart/form-data, 826 bytes)`` when the request's
    headers say it sent a body the recording has not got; else ``""``."""
    length = step.request.header("Content-Length") or ""
    kind = (step.request.header("Content-Type") or "").split(";", 1)[0].strip().lower()
    size = int(length) if length.strip().isdigit() else 0
    if size <= 0 and kind != "multipart/form-data":
        return ""
    what = ", ".join(x for x in (kind, f"{size} bytes" if size else "") if x)
    return (f"log.entries[{step.entry_index}] {step.request.method} "
            f"{step.request.path.text[:60]} ({what})")


class _Entries:
    """``log.entries`` converted one entry at a time: the steps, skip counts and diagnostics.

    The streaming reader hands each entry over as soon as it is decoded, so that only one raw
    entry dict is alive at a time; a file read whole by ``json.loads`` goes through :meth:`of`.
    """

    def __init__(self) -> None:
        self.count = 0
        self.steps: list[ir.Step] = []
        self.skipped: dict[str, int] = {}
        # (entry index, messages the page sent over it) of each WebSocket that carried some
        self.websocket_sends: list[tuple[int, int]] = []
        self.diagnostics: list[ir.Diagnostic] = []
        self._cache = _HeaderCache()

    @classmethod
    def of(cls, raw_entries: list[Any]) -> _Entries:
        entries = cls()
        for raw in raw_entries:
            entries.add(raw)
        return entries

    @classmethod
    def decoded(cls, raw_entries: Sequence[Any], decode: Callable[[Any], Any]) -> _Entries:
        """Each of ``raw_entries`` (undecoded JSON, a ``msgspec.Raw``) decoded and converted
        in turn; a large recording's on both cores (:func:`.parallel.fork_map`: about half of
        the entries in a child process, their steps sent back pickled). The result is the same
        as converting them one by one here, in order; a child that meets an entry it cannot
        decode fails, and the entry fails here as it would have (the streaming reader then
        reads the file)."""
        entries = cls()
        convert = functools.partial(_converted, raw_entries=raw_entries, decode=decode,
                                    cache=entries._cache)
        global _receiving  # noqa: PLW0603 - what _shared_header returns from, see there
        _receiving = entries._cache
        try:
            converted = fork_map(convert, range(len(raw_entries)),
                                 cost=_entry_cost(raw_entries), min_cost=FORK_MIN_BYTES,
                                 child_cost=CHILD_COST,
                                 reducers={**ir.reducers(), ir.Header: _header_by_name})
        finally:
            _receiving = None
        for result in converted:
            entries._record(result)
        return entries

    def add(self, raw: Any) -> None:
        self._record(_converted_entry(self.count, raw, self._cache))

    def _record(self, converted: ir.Step | _Skipped) -> None:
        index = self.count
        self.count += 1
        if isinstance(converted, ir.Step):
            self.steps.append(converted)
            return
        self.skipped[converted.reason] = self.skipped.get(converted.reason, 0) + 1
        if converted.reason == WEBSOCKET and converted.detail not in ("", "0"):
            self.websocket_sends.append((index, int(converted.detail)))
        if converted.reason == "malformed entry":
            self.diagnostics.append(ir.Diagnostic(
                ir.Severity.WARNING,
                f"skipped log.entries[{index}]: {converted.detail.lstrip('.')}"))


# A request header the child process made is sent as its name and value, and the parent puts
# the header of its own cache in its place (pickle's memo: once per distinct header): the
# steps share one object per distinct header, as when converted in one process. Copies would
# cost 6 MB at 10,000 entries (17,000 distinct headers), more than a whole-process peak gains.
_receiving: _HeaderCache | None = None  # the cache of the entries being received, if any


def _header_by_name(header: ir.Header) -> tuple:
    if not header.value.is_literal:  # (the loader makes literal ones only)
        return ir.Header, (header.name, header.value)
    return _shared_header, (header.name, header.value.text)


def _shared_header(name: str, value: str) -> ir.Header:
    """The receiving cache's header ``name: value`` (a new one if no cache is receiving)."""
    if _receiving is None:
        return ir.Header(name, ir.Template.literal(value))
    return _receiving.request[name, value]


WEBSOCKET = "websocket (not replayed)"
# Socket.IO's packets that carry the page's own events (engine.io's message, 4, of type
# EVENT 2, ACK 3, BINARY_EVENT 5 or BINARY_ACK 6): its handshake, pings and namespace
# connects are the channel's, not the journey's
_SOCKET_IO_EVENT = re.compile(r"4[2356]")


def _websocket_sends(messages: Any, url: str) -> int:
    """How many messages of its own the page sent over a WebSocket (Chrome's and Playwright's
    ``_webSocketMessages``: ``{"type": "send", "data": …}``): for Socket.IO's transport, its
    events only."""
    if not isinstance(messages, list):
        return 0
    socket_io = "EIO=" in url
    return sum(1 for message in messages
               if isinstance(message, dict) and message.get("type") == "send"
               and (not socket_io or isinstance(data := message.get("data"), str)
                    and _SOCKET_IO_EVENT.match(data) is not None))


def _websocket_warning(sends: list[tuple[int, int]]) -> str:
    shown = ", ".join(f"log.entries[{index}]: {count}" for index, count in sends[:5])
    more = f" and {len(sends) - 5} more" if len(sends) > 5 else ""
    total = sum(count for _, count in sends)
    return (f"the page sent {total} message(s) over WebSockets ({shown}{more}), which a Locust "
            "HTTP script does not open: what they asked the server to do is not replayed "
            "(a button whose work went that way does nothing in the load test). If they are "
            "the journey's work, load them with a WebSocket or Socket.IO client "
            "(locust-plugins' SocketIOUser), or record the app with its HTTP fallback")


class _Skipped(NamedTuple):
    """Why an entry is no step: :class:`_SkipEntry`'s reason and detail."""

    reason: str
    detail: str


def _converted_entry(index: int, raw: Any, cache: _HeaderCache) -> ir.Step | _Skipped:
    try:
        return _step(index, raw, cache)
    except _SkipEntry as skip:
        return _Skipped(skip.reason, skip.detail)


def _converted(index: int, raw_entries: Sequence[Any], decode: Callable[[Any], Any],
               cache: _HeaderCache) -> ir.Step | _Skipped:
    return _converted_entry(index, decode(raw_entries[index]), cache)


# Below this many bytes of entries, converting them takes less than a fork and the pickling
# of the child's steps save (about 0.1 s on 8 MB).
FORK_MIN_BYTES = 8_000_000
# The child pickles its steps (a fifth of what converting them took) and the parent unpickles
# them (as long): the two balance, and the parent waited least for the child at 1.0.
CHILD_COST = 1.0
# What converting an entry costs besides its bytes, in bytes: its headers, URL and objects.
ENTRY_COST = 3_000


def _entry_cost(raw_entries: Sequence[Any]) -> Callable[[int], int]:
    return lambda index: ENTRY_COST + len(raw_entries[index])


_SENSITIVE = frozenset({"cookie", "set-cookie", "authorization"})


def _looks_sanitized(steps: list[ir.Step]) -> bool:
    """Chrome's default export drops these headers; a real session almost always has some."""
    with_responses = [s for s in steps if s.response is not None and s.response.headers]
    if len(with_responses) < 3:
        return False
    for step in steps:
        if any(h.name.lower() in _SENSITIVE for h in step.request.headers):
            return False
        if step.response and any(k.lower() in _SENSITIVE for k, _ in step.response.headers):
            return False
    return True


# --- file level -----------------------------------------------------------------------------------
#
# A HAR is mostly ``log.entries``. Decoding the whole file with ``json.loads`` keeps three copies
# of it alive at once: the bytes, one str of the whole text (2 bytes a character as soon as one
# character is outside Latin-1, such as an em dash in a page title) and the tree of dicts. The
# streaming reader below keeps only the bytes: it decodes the text a window at a time, reads
# the structure of the top-level object and of ``log`` itself, and decodes each entry on its
# own with the C decoder (``raw_decode``), converting it to a step before reading the next.
# 10,000 entries (140 MB): the peak RSS of a whole conversion went from 697 MB to 314 MB (a
# bare ``json.load`` of the file peaks at 511 MB), and loading got faster (1.2 s -> 0.8 s).
#
# It only reads what json.loads accepts, with the same meaning (the last of duplicate keys
# wins). Whatever it does not expect (invalid JSON, bad UTF-8, a top level that is not an
# object) it leaves to json.loads on the whole file, so errors read exactly as they always did.

_WHITESPACE = re.compile(r"[ \t\n\r]*")  # JSON's own, narrower than str.isspace
_DECODER = json.JSONDecoder()
# Bytes decoded at a time: small enough to stay in the CPU caches (1 MiB windows made the
# reader 25% slower, 4 MiB ones twice as slow), large enough to hold most entries whole.
_WINDOW_BYTES = 1 << 18
_LOW_WATER = 1 << 15  # characters left in the window when it moves on


class _CannotStream(Exception):
    """Left to ``json.loads``: invalid JSON or UTF-8, or not an object at the top level."""


class _Window:
    """The HAR text, decoded from the bytes one slice at a time.

    ``text[pos:]`` is what is left to read of the decoded part. :meth:`read` runs one step of
    the reader on it; a step fails when the window ends too early, and is then retried on a
    longer window, so a step never sees a value cut in two. The window moves on before it
    runs low, so that steps seldom fail (a failed ``raw_decode`` costs a pass over the window
    to count lines for its message).
    """

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        self._end = self._start  # text is data[_start:_end], decoded
        self.text = ""
        self.pos = 0

    def read(self, step: Callable[[str, int], tuple[Any, int]]) -> Any:
        """``step(text, pos) -> (value, end)``, retried on more text until it succeeds."""
        if len(self.text) - self.pos < _LOW_WATER:
            self._extend()
        while True:
            try:
                value, end = step(self.text, self.pos)
            except ValueError:  # json.JSONDecodeError, or a step's own "not here"
                if not self._extend():
                    raise _CannotStream from None  # at the end: the file itself is wrong
                continue
            except RecursionError:
                raise _CannotStream from None
            self.pos = end
            return value

    def at_end(self) -> bool:
        """True when only whitespace is left, up to the end of the file."""
        while True:
            self.pos = _WHITESPACE.match(self.text, self.pos).end()
            if self.pos < len(self.text):
                return False
            if not self._extend():
                return True

    def _extend(self) -> bool:
        """Move the window to start at ``pos`` and end further on; False at the end of the file.

        Each extension at least doubles what is left to read, so a value larger than the
        window (a huge response body) is retried a logarithmic number of times, not once
        per window.
        """
        if self._end >= len(self._data):
            return False
        left = len(self.text[self.pos:].encode("utf-8"))
        self._start = self._end - left  # where text[pos] starts
        end = min(len(self._data), self._start + max(_WINDOW_BYTES, 2 * left))
        while end < len(self._data) and self._data[end] & 0xC0 == 0x80:
            end += 1  # a UTF-8 continuation byte: take the rest of its character
        try:
            self.text = str(self._data[self._start:end], "utf-8")
        except UnicodeDecodeError:
            raise _CannotStream from None
        self._end, self.pos = end, 0
        return True


# Steps for _Window.read: each raises ValueError when the text at pos is not what it expects.


def _char(expected: str) -> Callable[[str, int], tuple[str, int]]:
    """A step reading one of the ``expected`` structural characters, after whitespace."""

    def step(text: str, pos: int) -> tuple[str, int]:
        pos = _WHITESPACE.match(text, pos).end()
        char = text[pos:pos + 1]
        if not char or char not in expected:
            raise ValueError(f"expected one of {expected!r}")
        return char, pos + 1

    return step


def _peek(text: str, pos: int) -> tuple[str, int]:
    """The next character after whitespace, not consumed."""
    pos = _WHITESPACE.match(text, pos).end()
    if pos >= len(text):
        raise ValueError("end of the window")
    return text[pos], pos


def _value(text: str, pos: int) -> tuple[Any, int]:
    """Any JSON value, after whitespace.

    A value running up to the very end of the window might go on (``12`` of ``123``): it
    only counts when a character follows it.
    """
    value, end = _DECODER.raw_decode(text, _WHITESPACE.match(text, pos).end())
    if end >= len(text):
        raise ValueError("the value may go on")
    return value, end


_OPEN_OBJECT, _CLOSE_OBJECT, _AFTER_MEMBER = _char("{"), _char("}"), _char(",}")
_OPEN_ARRAY, _CLOSE_ARRAY, _AFTER_ELEMENT = _char("["), _char("]"), _char(",]")
_COLON = _char(":")


def _key(text: str, pos: int) -> tuple[str, int]:
    """An object key and its colon."""
    pos = _WHITESPACE.match(text, pos).end()
    if text[pos:pos + 1] != '"':
        raise ValueError("expected a key")
    key, pos = _DECODER.raw_decode(text, pos)
    return key, _COLON(text, pos)[1]


def _members(window: _Window) -> Iterator[str]:
    """The keys of the object just opened; the caller reads each value before the next key."""
    if window.read(_peek) == "}":
        window.read(_CLOSE_OBJECT)
        return
    while True:
        yield window.read(_key)
        if window.read(_AFTER_MEMBER) == "}":
            return


def _elements(window: _Window) -> Iterator[None]:
    """Once per element of the array just opened; the caller reads each element."""
    if window.read(_peek) == "]":
        window.read(_CLOSE_ARRAY)
        return
    while True:
        yield
        if window.read(_AFTER_ELEMENT) == "]":
            return


def _read_json(data: bytes, source: str) -> Any:
    """The HAR's JSON: split by msgspec, else streamed, else read whole by json.loads."""
    try:
        return _split(data)
    except _CannotStream:
        pass
    try:
        return _stream(data)
    except _CannotStream:
        pass  # out of the except block first: its traceback holds the reader and its steps
    return _parse_json(data, source)  # which says what is wrong, exactly as it always did


# msgspec reads the same structure about three times as fast (10,000 entries: 0.25 s against
# 0.7 s). The file is read once as the few members of the HAR the loader uses (log.creator,
# .browser, .pages and .entries; the rest is skipped, not built), each entry delimited as a
# msgspec.Raw, then decoded and converted in turn: again only one raw entry is alive at a
# time. For every document both accept, msgspec's values equal json.loads' (floats correctly
# rounded, big integers, the last of duplicate keys: a property test checks it); what msgspec
# refuses and json accepts (NaN, 1e999, lone surrogates, 4,300-digit integers) goes to the
# streaming reader, and so does any error or a member of another type than expected, so that
# values and messages stay json's.


def _split(data: bytes) -> dict[str, Any]:
    """The HAR's members the loader uses, with ``log.entries`` converted (an
    :class:`_Entries`), read by msgspec."""
    try:
        import msgspec  # noqa: PLC0415 - a dependency; without it, the streaming reader
    except ImportError:  # pragma: no cover
        raise _CannotStream from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        har = _har_shape(msgspec)(data)
        if har.log is msgspec.UNSET:  # not a HAR: the streaming reader's whole object
            raise _CannotStream          # says what it looks like instead
        log: dict[str, Any] = {}
        for key in _LOG_MEMBERS:
            value = getattr(har.log, key)
            if value is not msgspec.UNSET:
                log[key] = value
        if "entries" in log:
            log["entries"] = _Entries.decoded(log["entries"], msgspec.json.Decoder().decode)
        return {"log": log}
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        raise _CannotStream from None


_LOG_MEMBERS = ("creator", "browser", "pages", "entries")


@functools.cache
def _har_shape(msgspec: Any) -> Callable[[bytes], Any]:
    """A decoder of ``{"log": {"creator", "browser", "pages", "entries": [raw, ...]}}``."""
    unset = msgspec.UNSET
    log = msgspec.defstruct("Log", [
        ("creator", Any, unset), ("browser", Any, unset), ("pages", Any, unset),
        ("entries", list[msgspec.Raw] | msgspec.UnsetType, unset)])
    har = msgspec.defstruct("Har", [("log", log | msgspec.UnsetType, unset)])
    return msgspec.json.Decoder(har).decode


def _stream(data: bytes) -> dict[str, Any]:
    """The HAR object, with ``log.entries`` already converted (an :class:`_Entries`)."""
    window = _Window(data)
    if window.read(_peek) != "{":
        raise _CannotStream
    window.read(_OPEN_OBJECT)
    har: dict[str, Any] = {}
    for key in _members(window):
        if key == "log" and window.read(_peek) == "{":
            window.read(_OPEN_OBJECT)
            har[key] = _stream_log(window)
        else:
            har[key] = window.read(_value)
    if not window.at_end():
        raise _CannotStream  # "Extra data"
    return har


def _stream_log(window: _Window) -> dict[str, Any]:
    """The ``log`` object just opened; ``entries`` are converted as they are read."""
    log: dict[str, Any] = {}
    for key in _members(window):
        if key == "entries" and window.read(_peek) == "[":
            window.read(_OPEN_ARRAY)
            entries = _Entries()
            for _ in _elements(window):
                entries.add(window.read(_value))
            log[key] = entries
        else:
            log[key] = window.read(_value)
    return log


def _decompress(data: bytes) -> bytes:
    if data[:1] == b"\x78" and data[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
        try:  # mitmproxy's .zhar is the same JSON, zlib-compressed
            return zlib.decompress(data)
        except zlib.error:
            pass
    return data


def _parse_json(data: bytes, source: str) -> Any:
    """The whole file through ``json.loads``: every error message comes from here."""
    try:
        text = data.decode("utf-8-sig")  # Fiddler and others write a BOM
    except UnicodeDecodeError as exc:
        raise BadInput(source, f"not UTF-8 text (byte {exc.start}): a HAR file is JSON") from None
    if not text.strip():
        raise BadInput(source, "the file is empty")
    try:
        return json.loads(text)
    except RecursionError:
        raise BadInput(source, "JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        if _JSONP.match(text):
            raise BadInput(
                source, "JSONP, not JSON (a callback wraps the HAR): remove the wrapper") from None
        raise BadInput(
            source, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError:  # valid JSON Python refuses: an integer longer than sys's limit
        raise BadInput(source, "not JSON this tool can read: a number has more than "
                       f"{sys.get_int_max_str_digits()} digits") from None


def _creator(value: Any) -> str:
    if isinstance(value, dict):
        name, version = value.get("name"), value.get("version")
        return " ".join(str(v) for v in (name, version) if v)
    return str(value) if value else ""


def _pages(raw: Any) -> tuple[ir.Page, ...]:
    if not isinstance(raw, list):
        return ()
    pages = []
    for page in raw:
        if isinstance(page, dict) and isinstance(page.get("id"), str):
            title = page.get("title")
            pages.append(ir.Page(
                id=page["id"],
                title=title if isinstance(title, str) else "",
                started=_datetime(page.get("startedDateTime")),
            ))
    return tuple(pages)


def _datetime(value: Any) -> datetime | None:
    """An aware time, or None for anything that cannot be compared with the others.

    dateutil (the forgiving fallback) accepts offsets of 24 hours or more (``+25:00``), which
    ``datetime`` cannot use: every later ``timestamp()`` would raise. Such a time, a naive
    one, and one out of ``datetime``'s range count as missing, like an unparsable one.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            # haralyzer's dateutil-based reading, more forgiving. Imported here, for the
            # few exporters that need it: haralyzer and dateutil took 50 ms to import, a
            # tenth of a small conversion, and the loader reads everything else itself
            from haralyzer import HarEntry  # noqa: PLC0415
            parsed = HarEntry({"startedDateTime": value}).startTime
        except (ValueError, OverflowError):  # numbers too large for a date or an offset
            return None
    if parsed is None:
        return None
    try:
        parsed.timestamp()  # the offset is usable and the time in range
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo is not None else None  # naive: not comparable


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null", int: "a number", float: "a number"}.get(type(value), "a value")


# --- entries --------------------------------------------------------------------------------------


def _step(index: int, raw: Any, cache: _HeaderCache) -> ir.Step:
    if not isinstance(raw, dict):
        raise _SkipEntry("malformed entry", f": must be an object, got {_type_name(raw)}")
    request = raw.get("request")
    if not isinstance(request, dict):
        raise _SkipEntry("malformed entry", ".request: missing or not an object")
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not method.strip():
        raise _SkipEntry("malformed entry", ".request.method: missing or not a string")
    if not isinstance(url, str) or not url:
        raise _SkipEntry("malformed entry", ".request.url: missing or not a string")
    # (haralyzer's HarEntry would read the same two fields, at a cost that showed at 10,000
    # entries: it reads the dates datetime cannot, see _datetime)
    method = method.strip().upper()

    resource_type = raw.get("_resourceType")
    resource_type = resource_type.lower() if isinstance(resource_type, str) else None
    split = _split_url(url)
    scheme = split.scheme.lower()
    if scheme in ("ws", "wss") or resource_type == "websocket" or "_webSocketMessages" in raw:
        raise _SkipEntry(WEBSOCKET, str(_websocket_sends(raw.get("_webSocketMessages"), url)))
    if scheme not in ("http", "https") or not split.netloc:
        raise _SkipEntry("not an http(s) URL")
    if method == "CONNECT":  # Fiddler, Charles, Burp, ZAP record the tunnel they were asked for
        raise _SkipEntry(PROXY_TUNNEL)

    response = _response(raw.get("response"), cache)
    if response is not None and response.status <= 0:
        raise _SkipEntry("failed in the browser (status 0)")
    if _from_cache(raw):
        raise _SkipEntry("served from the browser cache")
    via_service_worker = _via_service_worker(raw)

    started = _datetime(raw.get("startedDateTime"))
    duration = raw.get("time")
    headers = _headers(request.get("headers"), cache)
    if resource_type is None:
        resource_type = fetch_destination(headers)
    if "@" in split.netloc:
        headers = _with_userinfo(split, headers, cache)
    body = _body(request.get("postData"), headers)
    recorded = ir.Request(
        method=method,
        scheme=scheme,
        host=split.netloc.lower().rsplit("@", 1)[-1],
        path=ir.Template.literal(split.path or "/"),
        query=_query(split.query),
        raw_query=split.query,
        headers=headers,
        body=body,
    )
    return ir.Step(
        entry_index=index,
        request=_with_operation(recorded),
        response=response,
        started=started,
        duration_ms=_milliseconds(duration),
        page_ref=raw.get("pageref") if isinstance(raw.get("pageref"), str) else None,
        resource_type=resource_type,
        via_service_worker=via_service_worker,
        by_service_worker=isinstance(raw.get("_serviceWorkerRef"), str),
    )


# Sec-Fetch-Dest (Fetch Metadata) → Chrome's resource type of such a request. Chrome,
# Firefox (90+) and Safari (16.4+) send the header on every request; an exporter without
# Chrome's _resourceType (Firefox's, Safari's, a proxy's: Charles, mitmproxy, Fiddler) records
# it as sent, and no page script can set it (a forbidden header name).
_DESTINATIONS = {
    "document": "document", "iframe": "document", "frame": "document",
    "fencedframe": "document", "style": "stylesheet", "xslt": "stylesheet",
    "script": "script", "image": "image", "font": "font", "audio": "media", "video": "media",
    "track": "texttrack", "manifest": "manifest", "websocket": "websocket",
    "report": "cspviolationreport", "worker": "other", "sharedworker": "other",
    "serviceworker": "other", "audioworklet": "other", "paintworklet": "other",
    "object": "other", "embed": "other",
}


def fetch_destination(headers: Sequence[ir.Header]) -> str | None:
    """The resource type Chrome would have recorded for a request, read from the
    ``Sec-Fetch-Dest`` header the browser sent: ``document`` for a navigation (a frame's
    too), ``xhr`` for a script's request marked ``X-Requested-With: XMLHttpRequest``,
    ``ping`` for a ``no-cors`` one (``navigator.sendBeacon``), ``fetch`` for its other
    requests (a preflight and an ``EventSource`` too, known by their own headers as in a
    Chrome recording without them), and the static kinds; None where the request did not
    send it (an older browser, a client that is no browser) or sent a destination the Fetch
    standard does not name."""
    destination = mode = requested_with = None
    for header in headers:
        low = header.name.lower()
        if low == "sec-fetch-dest":
            destination = header.value.text.strip().lower()
        elif low == "sec-fetch-mode":
            mode = header.value.text.strip().lower()
        elif low == "x-requested-with":
            requested_with = header.value.text.strip().lower()
    if destination is None:
        return None
    if destination == "empty":
        if mode == "no-cors":  # navigator.sendBeacon (a page leaving says goodbye)
            return "ping"
        return "xhr" if requested_with == "xmlhttprequest" else "fetch"
    return _DESTINATIONS.get(destination)


def _with_userinfo(split: SplitResult, headers: tuple[ir.Header, ...],
                   cache: _HeaderCache) -> tuple[ir.Header, ...]:
    """A URL's user information (``http://alice:pw@host/``; Chromium records an XHR opened
    with a user and a password so) as what the browser sends for it on the wire: Basic
    credentials in ``Authorization`` (RFC 7617), unless the request recorded its own. The
    host is read without it, and the secrets stage then treats the password as any Basic
    credentials (a Locust option, never in the script)."""
    if split.username is None or any(h.name.lower() == "authorization" for h in headers):
        return headers
    user_pass = f"{unquote(split.username)}:{unquote(split.password or '')}"
    value = "Basic " + base64.b64encode(user_pass.encode("utf-8")).decode("ascii")
    return (*headers, cache.request["Authorization", value])


def _query(query: str) -> tuple[ir.QueryParam, ...]:
    """The query's parameters, decoded as ``parse_qsl(query, keep_blank_values=True)`` does;
    a piece without "=" (``&1796195493617``) is a bare value, written back as it was."""
    params = []
    for piece in query.split("&"):
        if not piece:
            continue
        if "=" in piece:
            name, _, value = piece.partition("=")
            params.append(ir.QueryParam(unquote_plus(name),
                                        ir.Template.literal(unquote_plus(value))))
        else:
            params.append(ir.QueryParam("", ir.Template.literal(unquote_plus(piece)), bare=True))
    return tuple(params)


def _milliseconds(value: Any) -> float:
    """A duration: positive and finite, else 0 (unknown; Chrome writes -1). A JSON integer
    can be too large for a float, and ``1e999`` reads as infinity."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    try:
        milliseconds = float(value)
    except OverflowError:
        return 0.0
    return milliseconds if 0 < milliseconds < math.inf else 0.0


def _split_url(url: str) -> SplitResult:
    """The request URL's parts; a URL no HTTP client could send skips the entry.

    ``urlsplit`` refuses some (``http://[::1/x``, a bracketed host that is no IP address),
    and a port out of range or not a number only shows when ``port`` is read.
    """
    try:
        split = urlsplit(url)
        split.port  # noqa: B018 -- raises ValueError for a bad port
    except ValueError as exc:
        raise _SkipEntry("malformed entry", f".request.url: not a valid URL ({exc})") from None
    return split


def _from_cache(raw: dict) -> bool:
    """Entries that never reached the network: replaying them would add requests."""
    fetch_type = raw.get("_fetchType")  # Safari
    if isinstance(fetch_type, str) and "cache" in fetch_type.lower():
        return True
    from_cache = raw.get("_fromCache")  # Chrome: "memory" or "disk"
    if isinstance(from_cache, str) and from_cache:
        return True
    response = raw.get("response")
    # Firefox: cached entries have empty timings and a comment instead of the body
    return (raw.get("timings") == {} and isinstance(response, dict)
            and isinstance(response.get("content"), dict)
            and "comment" in response["content"] and response.get("headersSize") is None)


SERVICE_WORKER_ANSWER = ("answered by the page's service worker from its cache or its own "
                         "code (never reached the server)")


def _via_service_worker(raw: dict) -> bool:
    """Whether the page's service worker answered the request (Chrome:
    ``response._fetchedViaServiceWorker``) by sending it on to the network. One it answered
    from its Cache Storage, the HTTP cache or its own code never reached the server: skipped,
    as an entry of the browser's cache is."""
    response = raw.get("response")
    if not isinstance(response, dict) or response.get("_fetchedViaServiceWorker") is not True:
        return False
    source = response.get("_serviceWorkerResponseSource")
    if source in ("cache-storage", "http-cache", "fallback-code"):
        raise _SkipEntry(SERVICE_WORKER_ANSWER)
    return True


class _HeaderCache:
    """One object per distinct header of a recording, shared by the entries that send it.

    Most headers repeat on every entry (user agent, accept, sec-ch-ua ...) and the IR is
    immutable, so the copies need not exist: the 10,000-entry benchmark has 17,000 distinct
    request headers among 182,000. Building them was the costliest part of converting an
    entry, and each repeated value is now kept once instead of once per entry.
    """

    def __init__(self) -> None:
        self.request = _RequestHeaders()
        self.response: dict[tuple[str, str], tuple[str, str]] = {}


class _RequestHeaders(dict[tuple[str, str], ir.Header]):
    """``(name, value) -> ir.Header``, built on first use (so lookups run at C speed)."""

    def __missing__(self, pair: tuple[str, str]) -> ir.Header:
        header = self[pair] = ir.Header(pair[0], ir.Template.literal(pair[1]))
        return header


def _header_pairs(raw: Any) -> list[tuple[str, str]]:
    """``(name, value)`` of each header with a name; a missing value is empty."""
    if not isinstance(raw, list):
        return []
    try:  # what every exporter writes, at C speed: {"name": str, "value": str} each
        pairs = [(header["name"], header["value"]) for header in raw]
    except (TypeError, KeyError):  # not a dict, or a field missing
        pass
    else:
        if all(type(name) is str and name and type(value) is str for name, value in pairs):
            return pairs
    return _header_pairs_one_by_one(raw)


def _header_pairs_one_by_one(raw: list[Any]) -> list[tuple[str, str]]:
    """:func:`_header_pairs` of any list: headers without a name are left out."""
    pairs = []
    for header in raw:
        if isinstance(header, dict):
            name, value = header.get("name"), header.get("value")
            if isinstance(name, str) and name:
                pairs.append((name, value if isinstance(value, str)
                              else "" if value is None else str(value)))
    return pairs


def _headers(raw: Any, cache: _HeaderCache) -> tuple[ir.Header, ...]:
    return tuple(map(cache.request.__getitem__, _header_pairs(raw)))


def _response(raw: Any, cache: _HeaderCache) -> ir.RecordedResponse | None:
    if not isinstance(raw, dict):
        return None
    status = raw.get("status")
    if isinstance(status, str) and re.fullmatch(r"\s*-?[0-9]+\s*", status):
        status = int(status)  # not isdigit: '²' and '--5' pass that, int() refuses them
    if not isinstance(status, int) or isinstance(status, bool):
        return None
    content = raw.get("content") if isinstance(raw.get("content"), dict) else {}
    text = content.get("text")
    encoding = content.get("encoding")
    mime = content.get("mimeType")
    pairs = _header_pairs(raw.get("headers"))
    headers = tuple(map(cache.response.setdefault, pairs, pairs))  # the first copy of each
    if not isinstance(mime, str) or not mime:
        mime = next((v for k, v in headers if k.lower() == "content-type"), "")
    redirect = raw.get("redirectURL")
    return ir.RecordedResponse(
        status=status,
        status_text=raw.get("statusText") if isinstance(raw.get("statusText"), str) else "",
        headers=headers,
        mime_type=mime.lower(),
        body=text if isinstance(text, str) else None,
        body_encoding="base64" if encoding == "base64" else None,
        redirect_url=redirect if isinstance(redirect, str) else "",
    )


# --- request bodies -------------------------------------------------------------------------------


def _body(raw: Any, headers: tuple[ir.Header, ...]) -> ir.Body | None:
    if not isinstance(raw, dict):
        return None
    mime = raw.get("mimeType")
    if not isinstance(mime, str) or not mime:
        mime = next((h.value.text for h in headers if h.name.lower() == "content-type"), "")
    kind = mime.split(";", 1)[0].strip().lower()
    text = raw.get("text") if isinstance(raw.get("text"), str) else None
    params = [p for p in raw.get("params") or [] if isinstance(p, dict)] \
        if isinstance(raw.get("params"), list) else []
    data: bytes | None = None
    if text is not None and raw.get("encoding") == "base64":
        try:
            data = base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            data = None
        text = _utf8(data) if data is not None else text

    if kind == "application/x-www-form-urlencoded" and _sent_as_json(text, headers):
        # jQuery's $.ajax({data: JSON.stringify(...)}) keeps its default form type: the text is
        # JSON (a form's encoding writes "{" as %7B). Read as a form, it would be sent as one
        # field named by the whole text, percent-encoded: not what the browser sent.
        value = _json_value(text)
        if isinstance(value, (dict, list)):
            return ir.JsonBody(value)
    if kind == "application/x-www-form-urlencoded":
        if text:
            pairs = parse_qsl(text, keep_blank_values=True)
        else:
            pairs = [(str(p.get("name", "")), str(p.get("value", ""))) for p in params]
        return ir.FormBody(tuple((k, ir.Template.literal(v)) for k, v in pairs))
    if kind == "multipart/form-data":
        body = _multipart(params, text, data, mime)
        if body is not None:
            return body
    if kind == "application/json" or kind.endswith("+json"):
        value = _json_value(text)
        if value is not _NOT_JSON:
            return ir.JsonBody(value)
    elif _sent_as_json(text, headers):
        # JSON under another type: the type a page's script gave it ("text/plain" from
        # fetch() or sendBeacon() with a string, jQuery's contentType "json", none at all).
        # The script sends it with json= and the recorded Content-Type header, which both
        # clients keep; correlation and checks see its values as those of any JSON body.
        value = _json_value(text)
        if isinstance(value, (dict, list)):
            return ir.JsonBody(value)
    if text is None and data is None:
        if params:  # params without a form mime type: send them as a form
            return ir.FormBody(tuple((str(p.get("name", "")), ir.Template.literal(
                str(p.get("value", "")))) for p in params))
        return None
    if text is not None and _SURROGATE.search(text):  # no str can be sent: send the bytes
        return ir.RawBody(mime_type=mime, data=_wire_bytes(text))
    if text is not None:
        return ir.RawBody(mime_type=mime, text=ir.Template.literal(text))
    return ir.RawBody(mime_type=mime, data=data)


_NOT_JSON = object()


def _sent_as_json(text: str | None, headers: tuple[ir.Header, ...]) -> bool:
    """Whether a body of another type is plainly a JSON object or array: its text begins and
    ends as one, and the request names its type in a header the script sends as recorded
    (without one, json= would add "application/json" where the browser sent none)."""
    if not text:
        return False
    ends = text.strip()
    return bool(ends) and (ends[0], ends[-1]) in (("{", "}"), ("[", "]")) and any(
        h.name.lower() == "content-type" for h in headers)
# Deeper JSON bodies are sent as their recorded text: as a literal in the script, each level
# is a bracket Python's parser counts (it stops at 200) and a few frames of the code layout.
MAX_JSON_DEPTH = 64


def _json_value(text: str | None) -> Any:
    """The JSON value of a request body, or _NOT_JSON when it has none the script can hold
    (NaN, 1e999, nesting deeper than MAX_JSON_DEPTH)."""
    if text is None or not text.strip():
        return _NOT_JSON

    def reject(constant: str) -> Any:
        raise ValueError(constant)

    def finite(number: str) -> float:
        value = float(number)
        if not math.isfinite(value):  # 1e999: no literal to send it as
            raise ValueError(number)
        return value

    try:
        value = jsontext.loads(text, parse_constant=reject, parse_float=finite)
    except (ValueError, RecursionError):
        return _NOT_JSON
    return value if _json_depth(value) <= MAX_JSON_DEPTH else _NOT_JSON


def _json_depth(value: Any) -> int:
    """How deep arrays and objects nest in ``value`` (a scalar: 0), without recursion."""
    deepest, level = 0, [(value, 0)]
    while level:
        node, depth = level.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(
            node, list) else None
        if children is not None:
            deepest = max(deepest, depth + 1)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            level.extend((child, depth + 1) for child in children)
    return deepest


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


_SURROGATE = re.compile("[\ud800-\udfff]")
_STRAY_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")


def _wire_bytes(text: str) -> bytes:
    """The bytes a recorded body text stands for.

    JSON text can hold lone surrogates (``"\\udcff"``), which are no characters and have no
    UTF-8 form. U+DC80..U+DCFF are how Python-based tools keep undecodable bytes
    (``surrogateescape``): they become those bytes again; any other becomes U+FFFD.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _STRAY_SURROGATE.sub("\ufffd", text).encode("utf-8", "surrogateescape")


def _wire_text(text: str) -> str:
    """``text`` as it can be sent: lone surrogates (see :func:`_wire_bytes`) become U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _multipart(params: list[dict], text: str | None, data: bytes | None,
               mime: str) -> ir.MultipartBody | None:
    fields: list[tuple[str, ir.Template]] = []
    files: list[ir.FilePart] = []
    if params:  # Charles, Firefox: one param per part, files with fileName
        for p in params:
            name = _wire_text(str(p.get("name", "")))
            value = p.get("value")
            value = "" if value is None else str(value)
            if p.get("fileName") is not None:
                files.append(ir.FilePart(name, _wire_text(str(p["fileName"])), _wire_text(str(
                    p.get("contentType") or "application/octet-stream")), _wire_bytes(value)))
            else:
                fields.append((name, ir.Template.literal(_wire_text(value))))
        return ir.MultipartBody(tuple(fields), tuple(files))
    payload = data if data is not None else (_wire_bytes(text) if text else None)
    if payload is None:
        return None
    # the email package costs 10 ms to import, and few recordings post multipart text
    from email.parser import BytesParser  # noqa: PLC0415
    from email.policy import HTTP  # noqa: PLC0415

    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + mime.encode("latin-1", "replace") + b"\r\n\r\n" + payload)
    if not message.is_multipart():
        return None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name is None:
            return None
        content = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files.append(ir.FilePart(str(name), filename,
                                     part.get_content_type(), content))
        else:
            value = _utf8(content)
            if value is None:
                return None
            fields.append((str(name), ir.Template.literal(value)))
    return ir.MultipartBody(tuple(fields), tuple(files))


def _with_operation(request: ir.Request) -> ir.Request:
    """The request with its RPC operation (see operation.py); most have none: no copy."""
    operation = rpc_operation(request)
    return request if operation is None else replace(request, operation=operation)
