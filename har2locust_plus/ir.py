"""The typed intermediate representation every stage reads and returns.

The loader turns raw HAR dicts into these frozen dataclasses; raw dicts never leave it. Stages
are functions ``Scenario -> Scenario`` that build new objects with :func:`replace`;
nothing here holds Python source text. Values a request sends are :class:`Template` objects
(literal text with holes for run-time values), so correlation can turn a recorded token into
``self.csrf_token`` without the generator knowing where it came from.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from operator import attrgetter
from typing import Any, Literal, Union
from urllib.parse import quote_plus

_IS_STR = str.__instancecheck__

# --- values with holes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VarRef:
    """A run-time value stored on the user instance (``self.<name>``).

    ``encoding`` says how the value is written where it is used: ``raw`` as is, ``url`` percent
    encoded (a query or form value in a URL), ``path`` percent encoded as one path segment,
    ``segment`` the same but leaving what a path segment may hold as it is (``=``, ``(``,
    ``:``, ``@`` …, as the recording did), ``int`` converted to a number (a JSON number sent
    back that was found as text).
    ``scope`` ``module`` names a module constant instead.
    """

    name: str
    encoding: Literal["raw", "url", "path", "segment", "int"] = "raw"
    scope: Literal["self", "module"] = "self"


# what a path segment may hold unencoded besides the unreserved characters (RFC 3986's pchar):
# what a ``segment`` value leaves as it is (``runtime/checks.py``'s ``path_segment``, the same)
PATH_SAFE = "!$&'()*+,;=:@"


@dataclass(frozen=True, slots=True)
class HostRef:
    """The origin the load test targets (``--host``), e.g. in ``Origin`` and ``Referer``."""


Part = Union[str, VarRef, HostRef]  # noqa: UP007 - a runtime alias on Python 3.10


@dataclass(frozen=True, slots=True)
class Template:
    """Text made of literal parts and run-time values."""

    parts: tuple[Part, ...]

    @classmethod
    def literal(cls, text: str) -> Template:
        return cls((text,))

    @property
    def is_literal(self) -> bool:
        return all(map(_IS_STR, self.parts))  # (no generator: 116,000 calls at 10,000 entries)

    @property
    def text(self) -> str:
        """The literal text; only valid when :attr:`is_literal`."""
        if not self.is_literal:
            raise ValueError("template has run-time parts")
        return "".join(self.parts)  # type: ignore[arg-type]

    def refs(self) -> tuple[VarRef, ...]:
        return tuple(p for p in self.parts if isinstance(p, VarRef))


def merge_parts(parts: list[Part]) -> tuple[Part, ...]:
    """Adjacent literal parts joined, empty ones dropped (at least one part)."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] = out[-1] + part
        elif part != "":
            out.append(part)
    return tuple(out) or ("",)


def request_refs(request: Request) -> Iterator[str]:
    """The names of the run-time values a request sends (with repeats)."""
    templates = [request.path, *(q.value for q in request.query),
                 *(h.value for h in request.headers)]
    body = request.body
    if isinstance(body, (FormBody, MultipartBody)):
        templates.extend(v for _, v in body.fields)
    elif isinstance(body, RawBody) and body.text is not None:
        templates.append(body.text)
    for template in templates:
        yield from (r.name for r in template.refs())
    if isinstance(body, JsonBody):
        for leaf in json_leaves(body.value):
            if isinstance(leaf, VarRef):
                yield leaf.name
            elif isinstance(leaf, Template):
                yield from (r.name for r in leaf.refs())


def request_url(request: Request, main_origin: str) -> Template:
    """The URL a request is sent to, as the script writes it: relative to the host under test
    when it is on ``main_origin``; the query as recorded while it is literal, else re-encoded
    with its run-time values percent-encoded."""
    parts: list[Part] = []
    if request.origin != main_origin:
        parts.append(request.origin)
    parts.extend(request.path.parts)
    if all(q.value.is_literal and q.name_template is None for q in request.query):
        if request.raw_query:
            parts.append("?" + request.raw_query)
    else:
        # ";" separated parameters inside a value (Perl's CGI) stay separators, as recorded
        safe = ";=" if ";" in request.raw_query else ""
        for i, param in enumerate(request.query):
            parts.append("?" if i == 0 else "&")
            if param.name_template is not None:
                parts += [quote_plus(part) if isinstance(part, str)
                          else VarRef(part.name, "url") if isinstance(part, VarRef) else part
                          for part in param.name_template.parts]
                parts.append("=")
            elif not param.bare:
                parts.append(quote_plus(param.name) + "=")
            for part in param.value.parts:
                if isinstance(part, str):
                    parts.append(quote_plus(part, safe=safe))
                elif isinstance(part, VarRef) and part.encoding == "raw":
                    parts.append(VarRef(part.name, "url"))
                else:
                    parts.append(part)
    return Template(merge_parts(parts))


def template_preview(template: Template) -> str:
    """Readable text of a template: run-time values shown as ``{name}``."""
    out = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, VarRef):
            out.append("{" + part.name + "}")
        else:
            out.append("{host}")
    return "".join(out)


def json_leaves(value: Any) -> Iterator[Any]:
    """Every leaf of a JSON body (a VarRef or Template counts as a leaf)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from json_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_leaves(item)
    else:
        yield value


# JSON bodies keep their structure; any leaf may become a Template (string) or a VarRef (whole
# value, keeps its JSON type). Containers are plain dict/list built fresh by each stage.
Json = Any


# --- bodies ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormBody:
    """application/x-www-form-urlencoded, in recorded order, repeated names kept."""

    fields: tuple[tuple[str, Template], ...]
    # fields whose *name* holds what a response handed out: the whole name (Joomla's CSRF
    # token, the name of a hidden input) or an id inside it (Cacti's checkbox ``chk_40752``,
    # a cart's ``cart[40752][qty]``): (index in fields, the name as a template)
    names: tuple[tuple[int, Template], ...] = ()


@dataclass(frozen=True, slots=True)
class JsonBody:
    """A JSON body; with ``base`` (the variable that holds the JSON document an earlier answer
    gave) ``value`` is the changes to make to that document (``stages/documents.py``)."""

    value: Json
    base: str = ""


@dataclass(frozen=True, slots=True)
class FilePart:
    field: str
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class MultipartBody:
    fields: tuple[tuple[str, Template], ...]
    files: tuple[FilePart, ...]
    names: tuple[tuple[int, Template], ...] = ()  # as FormBody's


@dataclass(frozen=True, slots=True)
class RawBody:
    """Any other body: text (possibly templated) or bytes."""

    mime_type: str
    text: Template | None = None
    data: bytes | None = None


Body = Union[FormBody, JsonBody, MultipartBody, RawBody]  # noqa: UP007


# --- request and recorded response -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Header:
    name: str
    value: Template
    # the name as written at run time, when it holds what the server named a cookie after
    # (Syncthing's X-CSRF-Token-<device>, from the cookie CSRF-Token-<device>); None: as
    # recorded
    name_template: Template | None = None


@dataclass(frozen=True, slots=True)
class QueryParam:
    name: str
    value: Template
    # a piece without "=" (``?1796195493617``, a cache-buster): its text is the value, the
    # name is "", and it is written back without "="
    bare: bool = False
    # the name as written at run time, when it holds what a response handed out: the whole
    # name (Joomla's logout link ``?task=user.logout&3f9a…=1``: the CSRF token is the name)
    # or an id inside it (``?chk_40752=on``); None: as recorded
    name_template: Template | None = None


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    scheme: str
    host: str  # host[:port] as recorded, lower case
    path: Template  # path only, percent-encoded as recorded, no query
    query: tuple[QueryParam, ...]  # decoded names and values
    raw_query: str  # as recorded (used when it cannot be re-encoded faithfully)
    headers: tuple[Header, ...]
    body: Body | None = None
    # (name, value) of the recorded Cookie header: never replayed (the cookie jar sends the
    # live ones), but a value sent elsewhere too is read from the jar (correlation)
    cookies: tuple[tuple[str, str], ...] = ()
    operation: str | None = None  # what an RPC-style request calls, as recorded (operation.py)
    # the request sent a body the recording does not hold (a browser's HAR leaves out a file
    # upload's): the script sends none, and says where to add it
    body_left_out: bool = False

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}"

    def header(self, name: str) -> str | None:
        """The recorded (literal) value of a header, case-insensitively."""
        low = name.lower()
        for h in self.headers:
            if h.name.lower() == low and h.value.is_literal:
                return h.value.text
        return None


@dataclass(frozen=True, slots=True)
class RecordedResponse:
    status: int
    status_text: str
    headers: tuple[tuple[str, str], ...]
    mime_type: str
    body: str | None  # as stored in the HAR (maybe base64)
    body_encoding: str | None  # "base64" or None
    redirect_url: str = ""

    def header(self, name: str) -> str | None:
        low = name.lower()
        for key, value in self.headers:
            if key.lower() == low:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        low = name.lower()
        return [value for key, value in self.headers if key.lower() == low]

    @property
    def text(self) -> str | None:
        """The body decoded to text, or None when absent or binary."""
        if self.body is None:
            return None
        if self.body_encoding != "base64":
            return self.body
        try:
            raw = base64.b64decode(self.body, validate=False)
        except (binascii.Error, ValueError):
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return None


class Severity(Enum):
    INFO = "info"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    message: str


# --- what the later stages attach to steps ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Extraction:
    """Take a value out of a step's response and keep it as ``self.<var>``.

    ``kind`` is one of ``json`` (``path`` is a tuple of keys and indexes), ``xpath`` (``expr``,
    over the HTML), ``xml`` (``expr``, an XPath over the body parsed as XML),
    ``link`` (``expr`` is a query parameter of the page's first link whose other parameters
    are ``anchors``: ``_nonce`` of the link with ``id`` = this object's id),
    ``header`` (``expr`` is the header name), ``location`` (``expr`` is a regex over the
    Location path with one group; the URL of the header ``header`` if that is set),
    ``regex`` (``expr``, one group, over the body text), ``named_link`` (``expr`` is a
    regex with one group over the href of the links whose name is ``path[0]``, or the run-time
    value of ``anchors[0][1]`` when the name holds what the client made),
    ``json_html`` (``path`` leads to a string of the JSON body that is HTML, ``expr`` is an
    XPath over it), ``row`` (``expr`` is a regex with one group over the body text; the match
    whose row, the text after it, holds the run-time value of ``anchors[0][1]``: see
    ``stages/correlate/rows.py``), ``json_row`` (``path`` goes through an array at its last
    index: the element of that array that holds the run-time value of ``anchors[0][1]``),
    ``html_row`` (``expr`` is a regex with one group over the href of the links in the rows
    of tag ``path[0]`` whose text holds the run-time value of ``anchors[0][1]``),
    ``html_row_value`` (the same rows; ``expr`` is an XPath from the row, an input's value),
    ``form_input`` (``expr`` is an input's name, in the first form whose action holds
    ``anchors``, as a link's: the token of the form for this object), ``form_input_or_recorded``
    (the same from a page the recording lacks, which may have been a field the user filled
    in: ``recorded`` where the live page's form holds no value for it),
    ``form_token_or_recorded`` (the same for a token's name: where no form posts there, as a
    script posts its page's token elsewhere, any input of that name on the page),
    ``document`` (the whole JSON document, which a later request sends back changed),
    ``page_csrf`` (the CSRF token a page gives its script, for the header ``expr``: a csrf
    meta or hidden input, else htmx's ``hx-headers``).
    """

    var: str
    kind: Literal["json", "xpath", "xml", "header", "location", "regex", "link", "named_link",
                  "json_html", "row", "json_row", "html_row", "html_row_value", "form_input",
                  "form_input_or_recorded", "form_token_or_recorded", "document", "page_csrf"]
    expr: str = ""
    path: tuple[str | int, ...] = ()
    recorded: str = ""  # the recorded value, for the report and comments
    used_by: tuple[int, ...] = ()  # step numbers
    as_int: bool = False  # JSON number: keep it an int
    # how to undo the escaping of the place it is found, "+"-joined steps in order: "html"
    # (entities), "url" (query encoding), "path" (percent encoding), "js" (string escapes)
    decode: str = ""
    # link, form_input: (parameter, recorded text or the run-time value it must have) the
    # link's or the form action's query also holds ("/": its path)
    anchors: tuple[tuple[str, str | VarRef | Template], ...] = ()
    # location: the response header naming the URL when it is not Location (HX-Redirect ...)
    header: str = ""


@dataclass(frozen=True, slots=True)
class Generated:
    """A value the client makes up itself (uuid, random id, timestamp), regenerated at run time,
    or reads
    from its cookie jar when it sends the request (``cookie``: the cookie ``name``), or a
    cookie the page's script set that the client puts into its jar (``set_cookie``: ``name``
    set to ``recorded``, or to the generated ``var`` when that is set)."""

    var: str
    kind: Literal["uuid4", "token", "epoch_ms", "epoch_s", "unique", "cookie", "set_cookie",
                  "cookie_part", "port", "header_cookie"]
    recorded: str = ""
    used_by: tuple[int, ...] = ()
    # port: the port of the server under test (--host), which a server named a cookie by
    # (OctoPrint's csrf_token_P5000); recorded: the recording's
    # header_cookie: the header a cookie of a name not recorded is sent in, found by the
    # header's name at run time (a recording without cookies); recorded: the step's value
    # cookie: its name; cookie_part: a regex of the cookie's name whose group is the part the
    # server names per instance (CSRF-Token-([A-Z0-9]{5})), read from the jar's cookie names
    name: str = ""
    # cookie: its name at run time, when a part of it is a cookie_part's variable
    name_template: Template | None = None
    decode: str = ""  # cookie: "url" when the page's script sends it percent-decoded
    # epoch_s: sent inside a text ("Zoo 1796281713", a name the user typed), so it must be
    # new each time, also for two users in the same second; a time sent alone stays the time
    in_name: bool = False


@dataclass(frozen=True, slots=True)
class Secret:
    """A recorded credential or key: the script's option ``--<name>`` at run time (stored on
    the user as ``self.<name>``), by default the environment variable ``env``."""

    name: str
    env: str
    kind: str  # password, otp, api key, bearer token, basic auth ...
    where: str  # "form field password (step 3)", for the report
    recorded: str = field(repr=False, default="")


@dataclass(frozen=True, slots=True)
class DataColumn:
    """A per-user input (login, password ...) read from the ``--data`` CSV file."""

    name: str  # CSV column and attribute on the user
    kind: str
    recorded: str = field(repr=False, default="")


@dataclass(frozen=True, slots=True)
class Check:
    """A checkpoint on a response. ``kind``: status, location, redirect_header (``expected``:
    the header's name and a pattern), query_names (of the Location or that header's URL),
    contains, content_type, json_keys, json_value (``path``: keys from the top), no_error,
    no_error_shown, body_url (a regex and query names, as for a Location), body_is (a plain-text
    answer, whole). ``origin`` says where the expected value came from (emitted as a
    comment)."""

    kind: str
    expected: Any
    origin: str = ""
    path: tuple[str | int, ...] = ()


# --- steps, pages, scenario ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    entry_index: int  # index in log.entries, for messages
    request: Request
    response: RecordedResponse | None
    started: datetime | None
    duration_ms: float
    page_ref: str | None
    resource_type: str | None  # Chrome's _resourceType, lower case (else from Sec-Fetch-Dest)
    from_cache: bool = False
    number: int = 0  # 1-based position in the generated flow (set by the numbering stage)
    group: int = 0  # index into Scenario.groups
    extractions: tuple[Extraction, ...] = ()
    generated: tuple[Generated, ...] = ()
    checks: tuple[Check, ...] = ()
    rendezvous: str | None = None
    # the browser sent this request because the step before it answered with a redirect:
    # its URL is that response's Location (the script follows the live one)
    follows_location: bool = False
    # seconds the user paused inside the page before this request, as recorded: nothing was in
    # flight for that long (a click in a single-page app); 0 at a page's first request
    think_before: float = 0.0
    # the page's service worker answered it (Chrome's response._fetchedViaServiceWorker), by
    # sending it on to the network: the worker's own request may be an entry of its own
    via_service_worker: bool = False
    # a page's service worker sent it (Playwright's _serviceWorkerRef)
    by_service_worker: bool = False

    @property
    def label(self) -> str:
        """``GET /path`` as recorded, for messages (``POST /graphql (createNote)`` for RPC)."""
        label = f"{self.request.method} {template_preview(self.request.path)}"
        return f"{label} ({self.request.operation})" if self.request.operation else label


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    title: str
    started: datetime | None


@dataclass(frozen=True, slots=True)
class Group:
    """Consecutive steps replayed by one method of the user class."""

    method: str  # a valid, unique Python identifier
    title: str  # page title or URL, for the docstring
    think_before: float = 0.0  # seconds recorded before the group's first request


@dataclass(frozen=True, slots=True)
class Scenario:
    source: str  # file name, for messages and the module docstring
    creator: str
    browser: str
    pages: tuple[Page, ...]
    steps: tuple[Step, ...]
    main_origin: str = ""
    common_headers: tuple[Header, ...] = ()
    groups: tuple[Group, ...] = ()
    secrets: tuple[Secret, ...] = ()
    data_columns: tuple[DataColumn, ...] = ()
    skipped: tuple[tuple[str, int], ...] = ()  # (reason, count), in first-seen order
    diagnostics: tuple[Diagnostic, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # stage-specific report data

    def with_skipped(self, reason: str, count: int = 1) -> Scenario:
        """A copy counting ``count`` more entries skipped for ``reason``."""
        counts = dict(self.skipped)
        counts[reason] = counts.get(reason, 0) + count
        return replace(self, skipped=tuple(counts.items()))

    def with_diagnostic(self, severity: Severity, message: str) -> Scenario:
        return replace(self, diagnostics=(*self.diagnostics, Diagnostic(severity, message)))


# --- copies with changes ----------------------------------------------------------------------


def replace(obj: Any, /, **changes: Any) -> Any:
    """``dataclasses.replace(obj, **changes)``, at a fraction of its cost for these classes.

    The stages copy steps with a change or two about 80,000 times at 10,000 entries, and
    ``dataclasses.replace`` spent 4 microseconds a call looking at each field in Python. Here
    a class's fields are read in one C call (``attrgetter``), the changes put in their places,
    and the class called with them positionally: the same ``__init__``, with the same result.
    A class this cannot do (a field outside ``__init__``, keyword-only fields, a
    ``__post_init__``, no dataclass at all) goes to ``dataclasses.replace``.
    """
    how = _REPLACERS.get(type(obj))
    if how is None:
        how = _REPLACERS[type(obj)] = _replacer(type(obj))
    if how is _FALLBACK:
        return dataclasses.replace(obj, **changes)
    read, index = how
    values = read(obj)
    if changes:
        values = list(values)
        for name, value in changes.items():
            if name not in index:
                raise TypeError(f"{type(obj).__name__} has no field {name!r}")
            values[index[name]] = value
    return type(obj)(*values)


_FALLBACK = object()
_REPLACERS: dict[type, Any] = {}


def reducers() -> dict[type, Callable[[Any], tuple]]:
    """For a pickler's ``dispatch_table``: each object of this module's classes pickled as
    ``(class, field values)``, unpickled by calling the class with them.

    What a frozen dataclass with slots gets by default is a dict of its fields, set again one
    by one in Python (``__setstate__``): converting half of a 10,000-entry recording in a
    child process (:mod:`.parallel`), its steps took 0.33 s to pickle and 0.28 s to unpickle,
    against 0.17 s and 0.15 s so. Only classes :func:`replace` can copy the same way (every
    field a positional argument of ``__init__``, no ``__post_init__``) are in the table.
    """
    return dict(_REDUCERS)


def _reducer(cls: type) -> Callable[[Any], tuple] | None:
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return None
    fields = dataclasses.fields(cls)
    if not fields or any(not f.init or f.kw_only for f in fields):
        return None
    if len(fields) == 1:
        read_one = attrgetter(fields[0].name)
        return lambda obj: (cls, (read_one(obj),))
    read = attrgetter(*(f.name for f in fields))
    return lambda obj: (cls, read(obj))


def _replacer(cls: type) -> tuple[Callable[[Any], tuple], dict[str, int]] | object:
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return _FALLBACK
    fields = dataclasses.fields(cls)
    if len(fields) < 2 or any(not f.init or f.kw_only for f in fields):
        return _FALLBACK  # (attrgetter of one name returns the value, not a tuple)
    names = [f.name for f in fields]
    return attrgetter(*names), {name: i for i, name in enumerate(names)}


_REDUCERS = {cls: how for cls in list(globals().values()) if isinstance(cls, type)
             and cls.__module__ == __name__ and (how := _reducer(cls)) is not None}
