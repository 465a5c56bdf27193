"""The correlation pass: sources indexed step by step, request values looked up and replaced.

Record-based, in one pass over the steps (FIELD-NOTES §2):

1. Before step *n* is sent, each value it sends (path segment, query value, header value or a
   token inside one, form field, JSON leaf, token in a raw body) is looked up in an index of the
   values earlier responses handed out. A hit is replaced by ``self.<var>``, extracted from the
   best source (see :mod:`.rank`) of the nearest preceding response, so tokens that rotate on
   every page stay right. The source kinds live in their own modules (:mod:`.html`,
   :mod:`.scripts`, :mod:`.json_body`, :mod:`.headers`, :mod:`.location`).
2. A value that equals a cookie the client holds (set by an earlier ``Set-Cookie``, or sent in
   this request's recorded ``Cookie`` header) is read from the live cookie jar when the request
   is sent: double-submit CSRF tokens (``csrftoken`` → ``X-CSRFToken``).
3. Values the client sent before any response handed them out are constants (user input, known
   ids) and never become sources, unless a response that created an object hands them out.
4. Values the client made up itself (uuid4, epoch time close to the request's time, also inside
   a longer text such as ``"Report 1796133308200"``) are regenerated at run time.
5. Every extraction is verified against the recorded response before it is used.

Index lookups only (a dict from value to sources, a tokenizer over use sites), so the cost is
linear in the size of the recording. A quick first pass over the requests collects every value
one of them may look up, with the last step that may: a response value that no later request
looks up, or that was sent already (rule 3), can never be used, so only the few that can are
turned into sources and indexed (3,750 of the 286,000 values the responses of the 10,000-entry
benchmark hand out).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

from ... import ir, jsontext
from ...ir import replace
from ...operation import json_rpc_call
from ...options import Options
from ...parallel import fork_imap
from ..grouping import RESERVED, identifier, is_navigation
from ..headers import host_relative
from . import rank
from .delta import delta_fields, delta_sources
from .headers import cookie_values, header_rule_sources, header_sources, set_cookies
from .html import (
    HTML_ROW,
    HTML_ROW_VALUE,
    PATH_ANCHOR,
    SHOWN,
    fragment_sources,
    html_sources,
    is_html,
    link_ids_by_name,
    lost_named_link,
    lost_row_link,
    made_row_sources,
    object_segment,
)
from .json_body import KEY_NAMED, json_sources, object_id, plain_sources
from .location import handed_out as location_handed_out
from .rows import JSON_ROW, ROW
from .scripts import rsc_sources, served_script_sources
from .sources import (
    FORM_TOKEN_NAME,
    MIN_TOKEN,
    RANK_TEXT,
    TOKEN,
    Source,
    Wanted,
    first_group,
    id_name,
    is_object_id_name,
    keyed_id,
    path_param,
    slug_id,
    token_like,
    token_name,
)
from .stated import named_ids, stated_sources
from .xml_body import XML_MIME, is_xml, xml_sources

ANY_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# methods that make the resource their path names (RFC 9110's PUT, WebDAV's MKCOL, CalDAV's
# MKCALENDAR): a random id in that path is the client's
_NAMING_METHODS = frozenset({"PUT", "MKCOL", "MKCALENDAR"})
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)
URL_SAFE = re.compile(r"^[A-Za-z0-9_.~\-]+$")
EPOCH_RUN = re.compile(r"(?<![0-9])(1[0-9]{9}|1[0-9]{12})(?![0-9])")
SCRIPT_COOKIE = "cookie the page's script set"  # how the report names one
MIN_COOKIE_VALUE = 8  # shorter cookie values ("1", "en") are settings, not tokens


@dataclass(slots=True)
class _Assignment:
    """A variable assigned from one step's response: what it reads, which steps send it.

    Mutable, and made an ``ir.Extraction`` once at the end: a token sent by thousands of
    requests would otherwise cost a new Extraction with a longer ``used_by`` at every use.
    """

    source: Source  # the latest source looked up (all have the same kind, expr and path)
    used_by: list[int]  # in order of use, possibly repeated
    last_use: int  # max(used_by)

    def use(self, source: Source, step: int) -> None:
        self.source = source
        self.used_by.append(step)
        self.last_use = max(self.last_use, step)

    def extraction(self, var: str) -> ir.Extraction:
        source = self.source
        return ir.Extraction(var=var, kind=source.kind, expr=source.expr,  # type: ignore
                             path=source.path, recorded=source.value,
                             used_by=tuple(dict.fromkeys(self.used_by)), as_int=source.is_number,
                             decode=source.decode, anchors=source.anchors,
                             header=source.header)


@dataclass
class _State:
    options: Options
    main_origin: str
    ignore: list[re.Pattern[str]]
    reserved: set[str]
    # value → the last step that may look it up (see _wanted_values), for the values not sent
    # yet: a source of any other value, or found at that step or after it, is never used
    wanted: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, list] = field(default_factory=dict)  # text → _tokens(text)
    index: dict[str, list[Source]] = field(default_factory=dict)  # value → sources, in order
    sent: set[str] = field(default_factory=set)  # every value a request has sent so far
    # a value an unsafe request sent whole in a form field or a JSON string → its first step:
    # what a user may have typed (a name, see _row_anchored)
    typed: dict[str, int] = field(default_factory=dict)
    # step → the (field, value) pairs it sent so, "" the field of a JSON leaf (_names_given)
    typed_at: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    var_of: dict[tuple, str] = field(default_factory=dict)  # (kind, expr, path) → var
    names: set[str] = field(default_factory=set)
    next_suffix: dict[str, int] = field(default_factory=dict)  # base → next n of _unique
    extractions: dict[int, dict[str, _Assignment]] = field(default_factory=dict)  # step → var
    generated: dict[str, ir.Generated] = field(default_factory=dict)  # recorded value → var
    generated_at: dict[int, list[ir.Generated]] = field(default_factory=dict)
    report: list[dict] = field(default_factory=list)
    assigned: dict[str, list[int]] = field(default_factory=dict)  # var → steps assigning it
    numeric: dict[str, bool] = field(default_factory=dict)  # var → some source is a number
    # generated epoch times are ints at run time: a JSON string leaf stays a string (f-string)
    generated_vars: set[str] = field(default_factory=set)
    # value → the keys that sent it (short values only; see rank.usable_at)
    sent_keys: dict[str, set[str]] = field(default_factory=dict)
    # short id → the first step whose links showed it (see _register_sources)
    shown_at: dict[str, int] = field(default_factory=dict)
    client_cookies: dict[str, str] = field(default_factory=dict)  # name → value set last
    # value a request may send → (cookie name, decode) of the latest cookie holding it
    cookies: dict[str, tuple[str, str]] = field(default_factory=dict)
    cookie_vars: dict[tuple[str, str], str] = field(default_factory=dict)  # (name, decode) → var
    cookie_parts: dict[str, str] = field(default_factory=dict)  # see _cookie_name: part → var
    port_var: str = ""  # see _port_in_name: the live port of --host, once a cookie needs it
    step_cookies: dict[str, tuple[str, str]] = field(default_factory=dict)  # this request's
    # the names of the cookies some response of the recording sets (empty: the exporter left
    # every Set-Cookie out, and no cookie can be told the page script's)
    server_cookies: set[str] = field(default_factory=set)
    # no response sets a cookie and no request sends one: the exporter left them all out
    # (Chrome's default, sanitized, export), or the app uses none (see _csrf_header)
    no_cookies: bool = False
    vocabulary: set[str] = field(default_factory=set)  # see json_body.KEY_NAMED
    # what this request sent in its path or under an id's name: the response echoing it (PUT
    # /notes/17 → {"id": 17}) did not create it
    step_echo: set[str] = field(default_factory=set)
    # a short id the path being substituted sends in two segments (/shelf/add/2/2: a shelf
    # and a book both 2 on a fresh database) → the names of the sources its earlier segments
    # read (see _path); and the route words naming the segment looked up (shelf, add)
    path_twice: dict[str, set[str]] = field(default_factory=dict)
    path_words: tuple[str, ...] = ()
    steps: tuple[ir.Step, ...] = ()
    # UUIDs (lower case) the responses read so far hold, in text or headers → the first step
    # whose response did; filled only as far as a request sends a UUID (see _handed_out)
    uuids_out: dict[str, int] = field(default_factory=dict)
    uuids_scanned: int = 0  # how many of steps' responses are in uuids_out
    held_before: set[str] = field(default_factory=set)  # no client's ids (_client_id)
    unread: dict[str, tuple[int, int]] = field(default_factory=dict)  # see _handed_out
    # (step, the step whose lost answer is read, the values) of a path read so (see
    # _lost_answer_ref), for the warning
    lost_reads: list[tuple[int, int, list[str]]] = field(default_factory=list)
    # step → the write of the page's script whose answer the recording lacks, if that is the
    # last answer before the step but reads (see _lost_answer)
    lost_before: dict[int, ir.Step] = field(default_factory=dict)
    # step → the page it was sent from, whose body the recording lacks (see _lost_page_ref)
    lost_pages: dict[int, ir.Step] = field(default_factory=dict)
    # (step, its page's step, the form fields) read so (see _lost_page_ref), for the warning
    page_reads: list[tuple[int, int, list[str]]] = field(default_factory=list)
    # each recorded page's links by name (see _lost_named_ref), once needed
    named_links: list[dict[str, set[tuple[str, str]]]] | None = None
    # (step, text) of every recorded answer's body and header values (see _answered_before)
    answers: list[tuple[int, str]] | None = None
    answered_steps: list[int] = field(default_factory=list)  # the step of each of answers
    # value -> (the index in answers of the first that holds it, -1: none, so far; how many
    # answers that looked at) (see _answered_before); value -> where a later page holds it
    # (see _later_page_source)
    first_answer: dict[str, tuple[int, int]] = field(default_factory=dict)
    later_sources: dict[str, Source | None] = field(default_factory=dict)
    # step → when its request was sent and its response complete (POSIX seconds), as recorded
    # (see _lookup)
    timed: dict[int, tuple[float, float]] = field(default_factory=dict)
    # the id of the JSON object whose members are being substituted ("" outside one or for
    # an object without an id): a moment to the second comes from the same object's answer
    # (rank.stamp_agrees)
    owner: str = ""


def correlate(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    if not options.correlate or not scenario.steps:
        return scenario
    state = _State(
        options=options,
        main_origin=scenario.main_origin,
        ignore=[re.compile(p) for p in options.ignore_values],
        reserved=set(RESERVED) | {g.method for g in scenario.groups} | {"origin"} |
        {e.var for s in scenario.steps for e in s.extractions},
    )
    state.wanted = _wanted_values(scenario.steps, state.tokens)
    state.steps = scenario.steps
    state.lost_before = _after_lost_writes(scenario.steps, scenario.main_origin)
    state.lost_pages = _pages_lost(scenario.steps, scenario.main_origin)
    state.timed = {s.number: (s.started.timestamp(), s.started.timestamp() + s.duration_ms / 1000)
                   for s in scenario.steps if s.started is not None and s.duration_ms > 0}
    for name, value in options.correlate_cookie_rules:  # verify --fix
        state.cookies[value] = (name, "")
    # What each response's body hands out depends on the body alone (and on which values some
    # later request sends, known now): the costly part of the pass (parsing every HTML page),
    # done on both cores. Registering sources stays in order, in the loop below, which works
    # on each step's sources as they come while the child computes more (fork_imap).
    made = _made_pages(scenario.steps)
    found = fork_imap(functools.partial(_body_sources, last_use=_wanted_until(scenario.steps,
                                                                               state.wanted),
                                        auto=options.correlate_auto, made=made,
                                        followed=_followed_ids(scenario.steps,
                                                               scenario.main_origin)),
                      scenario.steps, cost=_body_length, min_cost=FORK_MIN_BYTES,
                      serial_cost=_serial_cost, pack=_rows, unpack=_sources,
                      child_cost=CHILD_COST)
    recorded_urls = [_recorded_url(s.request) for s in scenario.steps]
    requests = []
    state.server_cookies = {name for s in scenario.steps if s.response is not None
                            for name, _ in set_cookies(s.response)}
    state.no_cookies = not state.server_cookies and not any(
        s.request.cookies for s in scenario.steps)
    with contextlib.closing(found):
        for step, body_sources in zip(scenario.steps, found, strict=True):
            state.step_cookies = _request_cookies(step.request)
            _client_cookies(step, state)
            requests.append(_substitute_request(step, state))
            _register_sources(step, body_sources, state)
    # extractions are known only at the end (a later request may use any earlier response)
    steps = [_finished(s, request, state)
             for s, request in zip(scenario.steps, requests, strict=True)]
    steps = _live_referers(steps, recorded_urls, scenario.main_origin)
    steps = _live_ids_in_urls(steps)
    extra = dict(scenario.extra)
    extra["correlations"] = _report_rows(state, steps)
    scenario = replace(scenario, steps=tuple(steps), extra=extra)
    after_lost = _sent_after_lost_bodies(scenario.steps, scenario.main_origin)
    for message in [message for _, message in after_lost] + _sent_from_lost_pages(
            scenario.steps, state, {number for number, _ in after_lost}):
        scenario = scenario.with_diagnostic(ir.Severity.WARNING, message)
    for sent_at, lost_at, values in state.lost_reads:
        where = scenario.steps[lost_at - 1].request
        scenario = scenario.with_diagnostic(ir.Severity.WARNING, (
            f"step {sent_at} goes to a page whose path holds "
            f"{', '.join(_preview(v) for v in values)}, which no recorded answer holds; the "
            f"answer of step {lost_at} ({where.method} {ir.template_preview(where.path)}) "
            "is not in the recording (a browser drops the body of an answer whose page "
            "leaves at once): they are read from its live answer by the URL's shape, and the "
            "step fails if it names no such URL (`har2locust-plus record` keeps that answer)"))
    for sent_at, page_at, names in state.page_reads:
        page = scenario.steps[page_at - 1].request
        scenario = scenario.with_diagnostic(ir.Severity.WARNING, (
            f"step {sent_at} sends {', '.join(names)}, which no recorded answer holds, from "
            f"the page of step {page_at} ({page.method} {ir.template_preview(page.path)}), "
            "whose body is not in the recording (an exporter left it out, or the browser "
            "dropped it when the page was left): read from that live page (a form's input of "
            "that name in the form that posts to the step's path, sent as recorded where that "
            "form holds no value, as a field the user filled in; a link's parameter in the "
            "link to it, a CSRF header's token from its csrf meta, the id of what a post made "
            "from the row naming it, a token the page's script sends where a page recorded "
            "later holds it, the step failing where the page has none) "
            "(`har2locust-plus record` keeps every page's body)"))
    for value, (sent_at, out_at) in state.unread.items():
        scenario = scenario.with_diagnostic(ir.Severity.WARNING, (
            f"step {sent_at} sends {_preview(value)}, which the response of step {out_at} "
            "handed out, but no place in it to read it again was found: it is sent as "
            "recorded (if the server made it, a fresh server may know no such id)"))
    return scenario


# a value sent as recorded that a server may have made: at least this long, token-like
MIN_LOST_VALUE = 24


def _sent_after_lost_bodies(steps: tuple[ir.Step, ...], main_origin: str
                            ) -> list[tuple[int, str]]:
    """Warnings for values a request sends as recorded, that look made by a server and that no
    recorded answer holds, after an answer whose body the recording lacks: a page that left
    at once (the one whose script posts a SAML assertion: Chrome's DevTools drop its body), so
    the value may have been handed out there, and a fresh server refuses the recorded one.
    One per request, only on the origin under test and right after such an answer (a page
    that posts a form at once is followed by that post); nothing when every answer's body
    is in the recording."""
    lost = {step.number: step for step in steps if _body_lost(step, main_origin)}
    if not lost:
        return []
    messages = []
    texts: list[str] | None = None
    for step in steps:
        where = lost.get(step.number - 1)  # the answer just before: the page that posted
        if where is None or step.request.origin != main_origin:
            continue
        sent = [(name, text) for name, text in _literals_sent(step.request)
                if len(text) >= MIN_LOST_VALUE and token_like(text)]
        if not sent:
            continue
        if texts is None:  # the recorded answers' text, read once
            texts = [text for other in steps if other.response is not None
                     for text in (other.response.text or "",
                                  *(v for _, v in other.response.headers)) if text]
        unseen = [(name, text) for name, text in sent
                  if not any(text in answer for answer in texts)]
        if unseen:
            name, text = unseen[0]
            page = f"{where.request.method} {ir.template_preview(where.request.path)}"
            messages.append((step.number,
                f"step {step.number} sends {name} ({len(text):,} characters) as recorded: no "
                f"recorded answer holds it, and the answer of step {where.number} "
                f"({page}) has no body in the recording (a browser drops the body of a page "
                "that leaves at once, as one whose script posts a form does; `har2locust-plus "
                "record` keeps it). If that answer handed it out (a SAML assertion, a "
                "form_post token), a fresh server refuses the recorded value: record again"))
    return messages


def _sent_from_lost_pages(steps: tuple[ir.Step, ...], state: _State, told: set[int]
                          ) -> list[str]:
    """Warnings for the tokens that requests sent from a page whose body the recording lacks
    still send as recorded (no rule could say where that page holds them: a page's script
    sends what it holds, WordPress's ``_wpnonce`` from ``communityEventsData``, its REST
    calls' ``X-WP-Nonce``), and that no answer recorded before holds: one per token, naming
    the steps that send it (not those ``told`` already)."""
    if not state.lost_pages:
        return []
    sending: dict[tuple[str, str], list[int]] = {}  # (name, value) -> steps, in order
    set_before: list[str] = []  # the values the responses before the step set as cookies
    for step in steps:
        if step.number in state.lost_pages and step.number not in told and \
                step.request.origin == state.main_origin:
            request = step.request
            sent = [*_literals_sent(request), *(
                (h.name, h.value.text) for h in request.headers
                if h.value.is_literal and h.name.lower() not in UNTOUCHED_HEADERS)]
            # a double submit's token is the jar's: a cookie's the request sends, or one set
            cookies = [value for _, value in request.cookies]
            for name, text in sent:
                if FORM_TOKEN_NAME.search(name) and token_like(text) and \
                        not any(text in cookie for cookie in (*cookies, *set_before)) and \
                        not _answered_before(text, step, state):
                    sending.setdefault((name, text), []).append(step.number)
        if step.response is not None:
            set_before.extend(value for _, value in set_cookies(step.response))
    messages = []
    for (name, text), numbers in sending.items():
        page = state.lost_pages[numbers[0]]
        where = f"{page.request.method} {ir.template_preview(page.request.path)}"
        said = ", ".join(str(n) for n in numbers[:6]) + (" …" if len(numbers) > 6 else "")
        messages.append(
            f"step{'s' if len(numbers) > 1 else ''} {said} send{'' if len(numbers) > 1 else 's'} "
            f"{name} ({_preview(text)}) as recorded: no recorded answer holds it, and the "
            f"page of step {page.number} ({where}), from which it was sent, has no body in "
            "the recording (an exporter left it out, or the browser dropped it when the page "
            "was left), so where that page holds it is not known (a page's script sent it). "
            "If the page handed it out, a fresh server refuses the recorded value: record "
            "with `har2locust-plus record`, which keeps every page's body")
    return messages


def _body_lost(step: ir.Step, main_origin: str) -> bool:
    """An answer of the origin under test, a page or its script's, 2xx, HTML or JSON, whose
    body the HAR lacks."""
    response = step.response
    return response is not None and response.body is None and \
        200 <= response.status < 300 and response.status not in (204, 205) and \
        step.request.method != "HEAD" and step.request.origin == main_origin and \
        step.resource_type in ("document", "xhr", "fetch", None) and \
        any(kind in response.mime_type.lower() for kind in ("html", "json"))


def _literals_sent(request: ir.Request) -> Iterator[tuple[str, str]]:
    """(name, value) of the literal values a request sends: query, form and JSON fields."""
    for param in request.query:
        if param.value.is_literal:
            yield param.name, param.value.text
    body = request.body
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        for name, value in body.fields:
            if value.is_literal:
                yield name, value.text
    elif isinstance(body, ir.JsonBody):
        for leaf in ir.json_leaves(body.value):
            if isinstance(leaf, str):
                yield "a JSON value", leaf


def _recorded_url(request: ir.Request) -> str | None:
    """The path and query a request was recorded with (``None`` if its path is not literal)."""
    if not request.path.is_literal:
        return None
    return request.path.text + ("?" + request.raw_query if request.raw_query else "")


def _live_referers(steps: list[ir.Step], recorded: list[str | None], main_origin: str
                   ) -> list[ir.Step]:
    """A URL of a page the flow requested before (``/ticket/18736``), sent again as the
    ``Referer``, another header (htmx's ``HX-Current-URL``) or a whole form or query value
    (WordPress's ``_wp_http_referer``, a ``return_to``), becomes that page's URL as the flow
    requests it this run (``/ticket/{self.ticket_id}``): apps send the user back where it says
    (Trac's logout, "back" links, login forms), and a recorded id there names nothing on a
    fresh server."""
    latest: dict[str, ir.Template] = {}  # recorded URL -> its URL as requested this run
    out = []
    for step, url in zip(steps, recorded, strict=True):
        if latest:
            step = _with_live_urls(step, latest)
        if url is not None and step.request.origin == main_origin:
            template = ir.request_url(step.request, main_origin)
            if template.is_literal:
                latest.pop(url, None)
            else:
                latest[url] = template
        out.append(step)
    return out


def _with_live_urls(step: ir.Step, latest: dict[str, ir.Template]) -> ir.Step:
    request = step.request
    # the Referer, and any header that names the page the user is on (htmx's HX-Current-URL,
    # Next.js's next-url)
    headers = tuple(replace(h, value=live) if (live := _live_url(
        h.value, latest, host=h.name.lower() == "referer")) is not None else h
        for h in request.headers)
    query = tuple(replace(q, value=live) if (live := _live_url(q.value, latest)) is not None
                  else q for q in request.query)
    body = request.body
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        fields = tuple((k, live) if (live := _live_url(v, latest)) is not None else (k, v)
                       for k, v in body.fields)
        if fields != body.fields:
            body = replace(body, fields=fields)
    if headers == request.headers and query == request.query and body is request.body:
        return step
    return replace(step, request=replace(request, headers=headers, query=query, body=body))


def _live_url(value: ir.Template, latest: dict[str, ir.Template], host: bool = False
              ) -> ir.Template | None:
    """``value`` as the live URL of the page it names: ``{host}/ticket/18736`` (or, in a form
    or query value, ``/ticket/18736`` too) when that page was requested with run-time values;
    else ``None``."""
    parts = value.parts
    if len(parts) == 2 and isinstance(parts[0], ir.HostRef) and isinstance(parts[1], str):
        live = latest.get(parts[1])
        return None if live is None else ir.Template(ir.merge_parts([ir.HostRef(), *live.parts]))
    if not host and len(parts) == 1 and isinstance(parts[0], str) and parts[0][:1] == "/":
        return latest.get(parts[0])
    return None


# a URL the client sends as data, and the pieces of it an id can be: path segments, query
# names and values (the delimiters kept)
_URL_PIECES = re.compile(r"([/?&=#;])")
_URL_ID = re.compile(r"[A-Za-z0-9_.~\-]+")


def _live_ids_in_urls(steps: list[ir.Step]) -> list[ir.Step]:
    """An id the flow reads at run time, sent again inside a URL of a page the flow never
    requested, is that id as read this run. A single-page app's routes are such pages: its
    ``Referer`` names ``/admin/content/notes/<id>`` after the user opened the note the create
    answered, and the app sends the same route as data (Directus's ``{"last_page":
    "/content/notes/<id>"}``, a form's ``return_to``); :func:`_live_referers` has rewritten
    the URLs of pages requested before. Only whole path segments and query values are
    replaced, and only by a value the flow already reads (an extraction of an earlier step,
    or a UUID it makes) that looks like an id (:func:`token_like`): a word or a short number
    in a URL stays as recorded."""
    known: dict[str, str] = {}  # recorded value -> the variable that holds it this run
    holds: dict[str, str] = {}  # variable -> the recorded value it holds

    def read(var: str, value: str) -> None:
        if (before := holds.get(var)) is not None and known.get(before) == var:
            del known[before]  # read again, the variable holds another value now
        holds[var] = value
        if value and token_like(value) and _URL_ID.fullmatch(value):
            known[value] = var

    out = []
    for step in steps:
        for made in step.generated:
            if made.kind == "uuid4":
                read(made.var, made.recorded)
        if known:
            step = _with_live_ids(step, known)
        out.append(step)
        for extraction in step.extractions:
            read(extraction.var, extraction.recorded)
    return out


def _with_live_ids(step: ir.Step, known: dict[str, str]) -> ir.Step:
    request = step.request
    headers, query, body = request.headers, request.query, request.body
    for i, h in enumerate(headers):
        if (live := _ids_in_url(h.value, known)) is not None:
            headers = (*headers[:i], replace(h, value=live), *headers[i + 1:])
    for i, q in enumerate(query):
        if (live := _ids_in_url(q.value, known)) is not None:
            query = (*query[:i], replace(q, value=live), *query[i + 1:])
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        fields = body.fields
        for i, (k, v) in enumerate(fields):
            if (live := _ids_in_url(v, known)) is not None:
                fields = (*fields[:i], (k, live), *fields[i + 1:])
        if fields is not body.fields:
            body = replace(body, fields=fields)
    elif isinstance(body, ir.JsonBody) and not body.base:
        value = _json_ids_in_urls(body.value, known)
        if value is not body.value:
            body = replace(body, value=value)
    if headers is request.headers and query is request.query and body is request.body:
        return step
    return replace(step, request=replace(request, headers=headers, query=query, body=body))


def _json_ids_in_urls(value: object, known: dict[str, str]) -> object:
    """``value`` with the URLs among its string leaves as :func:`_ids_in_url` makes them;
    ``value`` itself when none changed."""
    if isinstance(value, dict):
        new = {k: _json_ids_in_urls(v, known) for k, v in value.items()}
        return value if all(new[k] is v for k, v in value.items()) else new
    if isinstance(value, list):
        items = [_json_ids_in_urls(v, known) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, str):
        if len(value) < MIN_TOKEN or value[:1] != "/" and value[:4] != "http":
            return value  # no URL: most leaves
        live = _ids_in_url(ir.Template.literal(value), known)
        return value if live is None else live
    if isinstance(value, ir.Template):  # the pass replaced a value inside it
        return _ids_in_url(value, known) or value
    return value


def _ids_in_url(value: ir.Template, known: dict[str, str]) -> ir.Template | None:
    """``value`` (a path, an http(s) URL, or the host under test followed by a path) with
    its path segments and query values that are ``known`` ids as their variables; ``None``
    when it is no such URL or holds none. Parts already read at run time (a query value the
    pass replaced) are kept."""
    parts = value.parts
    first = parts[0] if parts else None
    if first.__class__ is str:
        if len(first) < MIN_TOKEN and len(parts) == 1 or not (
                first[:1] == "/" and first[1:2] != "/" or first.startswith(("http://",
                                                                            "https://"))):
            return None
    elif not isinstance(first, ir.HostRef):
        return None
    if all(known.keys().isdisjoint(_URL_ID.findall(part)) for part in parts
           if isinstance(part, str)):
        return None  # most URLs: none of their words is an id the flow reads
    new: list[ir.Part] = []
    in_query = changed = False
    for index, part in enumerate(parts):
        if not isinstance(part, str):
            new.append(part)
            continue
        pieces = _URL_PIECES.split(part)
        if index == 0 and part.startswith(("http://", "https://")):
            new.extend(pieces[:5])  # the scheme and the host stay as they are
            pieces = pieces[5:]
        for piece in pieces:
            if piece in ("?", "#"):
                in_query = piece == "?"
            var = known.get(unquote(piece)) if len(piece) >= MIN_TOKEN else None
            if var is None:
                new.append(piece)
            else:
                new.append(ir.VarRef(var, "url" if in_query else "path"))
                changed = True
    return ir.Template(ir.merge_parts(new)) if changed else None


def _finished(step: ir.Step, request: ir.Request, state: _State) -> ir.Step:
    extractions = (*(e for e in step.extractions if e.kind == "document"),  # documents.py
                   *(assignment.extraction(var) for var, assignment
                     in state.extractions.get(step.number, {}).items()))
    generated = tuple(state.generated_at.get(step.number, ()))
    if request is step.request and extractions == step.extractions and \
            generated == step.generated:
        return step  # untouched (most steps of a large recording): no copy
    return replace(step, request=request, extractions=extractions, generated=generated)


# --- sources: what a response hands out --------------------------------------------------------


def _made_pages(steps: tuple[ir.Step, ...]) -> frozenset[int]:
    """The steps whose page shows what the user's request made: the answer to an unsafe
    request, or the page its redirects end at (Django's admin: the list saying "was added")."""
    made = []
    after_unsafe = False
    for step in steps:
        after_unsafe = step.request.method not in ("GET", "HEAD") or (
            step.follows_location and after_unsafe)
        if after_unsafe:
            made.append(step.number)
    return frozenset(made)


def _followed_ids(steps: tuple[ir.Step, ...], main_origin: str) -> dict[int, frozenset[str]]:
    """Per page, the short ids in the paths (and queries) of the requests made from it: the
    ones whose ``Referer`` is that page's URL (a click there), or, without a ``Referer``, the
    request right after it. Only such an id may come from a link found by its name or its row
    (the link the user clicked is on the page the click was made from). A ``Referer`` that
    lacks some of a page's query parameters names that page too, where it was the latest page
    of that path (its script dropped them: see :func:`_same_page_url`); one on the origin
    under test that names no page of the recording says nothing (the request right after)."""
    by_url: dict[str, int] = {}  # a page's URL (scheme, host, path, query) -> its latest step
    # origin and path -> the latest page's path and query, step, origin
    by_path: dict[str, tuple[str, int, str]] = {}
    followed: dict[int, set[str]] = {}
    previous = None
    for step in steps:
        request = step.request
        referer = _referer_url(request, main_origin)
        if referer:
            referer = referer.partition("#")[0]
            page = by_url.get(referer)
            latest = by_path.get(referer.partition("?")[0]) if page is None else None
            if latest is not None and _same_page_url(referer[len(latest[2]):], latest[0]):
                page = latest[1]
            if page is None and referer.startswith(main_origin + "/"):
                page = previous
        else:
            page = previous
        if page is not None and request.path.is_literal:
            segments = request.path.text.split("/")
            ids = {segment for segment in segments
                   if segment.isdigit() and len(segment) < MIN_TOKEN}
            ids.update(slug[1] for segment in segments[2:] if (slug := slug_id(segment)))
            ids.update(q.value.text for q in request.query  # ?id=45520 (a row's link)
                       if q.value.is_literal and q.value.text.isdigit()
                       and len(q.value.text) < MIN_TOKEN and not rank.NOT_ID_KEYS.search(q.name))
            if ids:
                followed.setdefault(page, set()).update(ids)
        url = _recorded_url(request)
        if url is not None:
            by_url[f"{request.origin}{url}"] = step.number
            if is_navigation(step):
                by_path[request.origin + url.partition("?")[0]] = (url, step.number,
                                                                    request.origin)
        previous = step.number
    return {page: frozenset(ids) for page, ids in followed.items()}


def _referer_url(request: ir.Request, main_origin: str) -> str | None:
    """The URL a request's ``Referer`` names, as recorded: on the origin under test the
    headers stage made it the host's (``HostRef`` and the path); None without one, or where
    it holds another run-time value."""
    value = next((h.value for h in request.headers if h.name.lower() == "referer"), None)
    if value is None or value.is_literal:
        return value.text if value is not None else None
    parts = value.parts
    if parts and isinstance(parts[0], ir.HostRef) and \
            all(isinstance(part, str) for part in parts[1:]):
        return main_origin + "".join(parts[1:])  # type: ignore[arg-type]
    return None


def _body_sources(step: ir.Step, last_use: dict[str, int], auto: bool,
                  made: frozenset[int] = frozenset(),
                  followed: dict[int, frozenset[str]] | None = None) -> list[Source]:
    """The sources in the body of ``step``'s response, of values wanted after it.

    ``last_use`` is :func:`_wanted_until`'s bound, known before the pass: a superset of what
    is still wanted when the pass reaches the response, which :func:`_register_sources` filters.
    """
    response = step.response
    if response is None or not auto:  # verify --fix: only the rules
        return []
    text = response.text
    if not text or len(text) >= 20_000_000:
        return []
    mime = response.mime_type
    wanted = Wanted(last_use, step.number)
    found = _kind_sources(step, text, mime, wanted, made, followed)
    found.extend(stated_sources(step, text, wanted, step.number in made))  # "row id: 47480"
    return found


def _kind_sources(step: ir.Step, text: str, mime: str, wanted: Wanted, made: frozenset[int],
                  followed: dict[int, frozenset[str]] | None) -> list[Source]:
    """The sources of a body of its kind (by its MIME type, else by how it starts)."""
    if "x-component" in mime:  # React Server Components (Next.js)
        return list(rsc_sources(step, text, wanted))
    # an UpdatePanel's postback: text/plain from ASP.NET, text/html from Mono
    if text[:1].isdigit() and mime.startswith("text/") and \
            (fields := delta_fields(text)) is not None:
        return list(delta_sources(step, fields, wanted))
    if "json" in mime or (text[:1] in "{[" and "html" not in mime) or (
            text[:1] in ")wf" and jsontext.XSSI_PREFIX.match(text)):
        fragments: list[tuple[tuple, str]] = []
        found = json_sources(step, text, wanted, fragments)
        for path, fragment in fragments:  # HTML the page's script inserts
            found.extend(fragment_sources(step, path, fragment, wanted))
        return found
    if "javascript" in mime or "ecmascript" in mime:  # a script kept for what it hands out
        return list(served_script_sources(step, text, wanted))
    if is_html(mime, text):
        return list(html_sources(step, text, wanted, step.number in made,
                                 (followed or {}).get(step.number, frozenset())))
    if is_xml(mime, text):
        return list(xml_sources(step, text, wanted))
    if mime.startswith("text/plain") and 4 <= len(text.strip()) <= 200:
        return list(plain_sources(step, text))
    return []


_SOURCE_FIELDS = tuple(f.name for f in fields(Source))
# Below this much HTML and JSON, parsing on two cores saved less than the fork cost (measured:
# 3.5 MB, 1,000 synthetic entries, no faster): a typical recording stays in one process.
FORK_MIN_BYTES = 8_000_000
# The child's share of the same bytes took about 20 % longer than the parent's (it pickles its
# sources and copies the pages it touches), so that the parent waited 0.18 s for it at 10,000
# entries: it gets that much less.
CHILD_COST = 1.2
# The pass's own work per step (substituting, registering: 1.0 s of 4.3 at 10,000 entries
# in one process), in bytes of body parsed in as long.
SERIAL_COST = 3_000


def _rows(sources: list[Source]) -> list[tuple]:
    return [tuple(getattr(source, name) for name in _SOURCE_FIELDS) for source in sources]


def _sources(rows: list[tuple]) -> list[Source]:
    return [Source(*row) for row in rows]


def _serial_cost(step: ir.Step) -> int:
    """About how long the pass over ``step`` takes besides its body's sources (substituting
    its request, registering its sources), in :func:`_body_length`'s units."""
    return SERIAL_COST


def _body_length(step: ir.Step) -> int:
    """About how long :func:`_body_sources` takes on ``step``: the length of a body it
    parses (JSON or HTML; images, scripts and styles are not parsed)."""
    response = step.response
    if response is None or not response.text:
        return 0
    mime = response.mime_type
    return len(response.text) if "json" in mime or "html" in mime or \
        response.text[:1] in "{[<" else 0


def _register_sources(step: ir.Step, found: list[Source], state: _State) -> None:
    """Index the sources of ``step``'s response (``found``: those of its body) that a later
    request may look up, in the order that ranks them.

    A short id in a link (``in_path``, found only on the pages of :func:`_made_pages`: there
    the app shows what the user's request made) counts only if no earlier response showed it.
    Elsewhere the first link of a shape is as likely a catalog's first item as the user's own
    object, and a catalog's ids are the same on a fresh server: sent as recorded."""
    response = step.response
    if response is None:
        return
    text = response.text
    wanted = Wanted(state.wanted, step.number)
    if found and text and state.options.correlate_auto:
        found = _made_rows(step, found, text, state)
    if state.options.correlate_auto:  # after the body: a JSON id names itself best
        found.extend(header_sources(step, response, wanted))
        for name, value in set_cookies(response):
            _remember_cookie(name, value, state)
    for name, pattern in state.options.correlate_rules:  # the user's own rules come first
        match = re.search(pattern, text or "")
        if match and match.group(1):
            found.insert(0, Source(step.number, match.group(1), name, "regex", expr=pattern,
                                   how=f"rule {name}", id_like=True))
    found[:0] = header_rule_sources(step, response, state.options)  # verify (issue 6)
    for source in found:
        if source.kind == SHOWN:  # the short ids the page's links show
            for value in source.path:
                state.shown_at.setdefault(str(value), step.number)
            continue
        if source.kind == KEY_NAMED:  # the server's words: names, not values it hands out
            for word in map(str, source.path):
                state.vocabulary.add(word)
                state.index.pop(word, None)  # an earlier list of them is no source either
            continue
        if source.value in state.vocabulary:
            continue
        if source.in_path and not (source.script_url or source.named_link
                                   or source.kind == HTML_ROW):
            first = state.shown_at.setdefault(source.value, step.number)
            if first != step.number or any(
                    s.step < step.number for s in state.index.get(source.value, ())):
                continue
            if first_group(source.expr, text or "") != source.value:
                continue  # the first link of its shape holds another id
        if source.creates and source.value in state.step_echo:
            source = replace(source, creates=False)  # an echo of the request, not a new id
        if source.value not in wanted:
            continue
        if rank.eligible(source, state.sent, state.ignore):
            if source.prefilled:
                source = replace(source, prefilled=False)  # a value like any other
        elif rank.version_source(source) and not any(
                p.search(source.value) for p in state.ignore):
            source = replace(source, versioned=True, prefilled=False)
        elif not rank.prefilled_only(source, state.ignore):
            continue
        state.index.setdefault(source.value, []).append(source)


def _made_rows(step: ir.Step, found: list[Source], text: str, state: _State) -> list[Source]:
    """``found`` with the ids of what a post made, which the page it led to shows only in
    the row of a list that holds a name the user typed for it, read from that row
    (:func:`.html.made_row_sources`) instead of from their place on the page: the first
    row, with other users' objects or those of earlier runs, is anyone's. Only for a value no
    earlier answer showed and no request sent; not where the post's name was one the client
    made (an epoch, a uuid: the rows' own rules, :mod:`.rows`, read by it)."""
    if (write := _made_by(step, state)) is None or \
            "html" not in step.response.mime_type.lower():  # type: ignore[union-attr]
        return found
    names = _names_given(write, state)
    if not names or not all(name.is_literal for name in names) or \
            _ESCAPED.split(names[0].text, 1)[0] not in text:
        return found  # no name, one the client made (the rows' own rules), or not shown
    if "<tr" not in text and "<li" not in text:
        return found
    values: dict[str, str] = {}  # each id → its first source's name
    for s in found:
        if s.kind not in _ROW_KINDS and s.value in state.wanted and _object_id(s.value) and \
                not state.index.get(s.value) and s.value not in state.sent and \
                s.value not in state.generated:
            values.setdefault(s.value, s.name)
    if not values:
        return found
    rows = made_row_sources(step, text, values, tuple(name.text for name in names))
    if not rows:
        return found
    read = {source.value for source in rows}
    return [s for s in found if s.value not in read or s.kind in _ROW_KINDS] + rows


_ROW_KINDS = (ROW, HTML_ROW, HTML_ROW_VALUE, SHOWN, KEY_NAMED)
_ESCAPED = re.compile("[&<>\"']")  # what HTML may write escaped: a name is looked for before it


def _object_id(value: str) -> bool:
    """An object's id by its shape: a number of two digits or more, a uuid, a token."""
    return value.isdigit() and len(value) >= 2 or ANY_UUID.match(value) is not None or \
        token_like(value)


def _remember_cookie(name: str, value: str, state: _State) -> None:
    if len(value) < MIN_COOKIE_VALUE:
        return
    for sent, how in cookie_values(name, value):
        state.cookies[sent] = (name, how)


# a cookie of the user's session or login, which a recording started in a used browser may
# carry from before: never put into the jar by the script (a CSRF cookie is no session)
_SESSION_COOKIE = re.compile(r"sess|^sid$|[._-]sid$|^sid[._-]|auth|jwt|remember|login|logged|"
                             r"access|refresh|^token$|_token$|user_?id|identity|cookies$", re.I)
# a CSRF cookie is the server's unless the client made its value (a uuid): one whose Set-Cookie
# the recording lacks must not be replaced by its stale recorded value
_CSRF_COOKIE = re.compile(r"csrf|xsrf|antiforgery", re.I)


def _client_cookies(step: ir.Step, state: _State) -> None:
    """Cookies the page's script set (``document.cookie``: a time zone, a consent, a
    double-submit token the client made, a token a response handed out that the script keeps
    in a cookie): no response of the recording sets them, so the jar never would. Each is put
    into the jar before the first request that sends it, and again when the value sent
    changes; a uuid or a time it holds is made fresh, a value a response of this recording
    handed out (Strapi's ``jwtToken``: the login's JSON token) is that response's this run.

    Only in a recording that holds ``Set-Cookie`` headers at all (an exporter that leaves
    them out, Chrome's sanitized HAR among them, would make every cookie look the script's),
    never a session's or a login's cookie unless this recording handed out its value (a
    browser used before the recording still sends them), and a CSRF cookie only when the
    client made its value or a response handed it out."""
    server_cookies = state.server_cookies
    if not server_cookies:
        return
    for name, value in step.request.cookies:
        if name in server_cookies or state.client_cookies.get(name) == value:
            continue
        made = _handed_out_var(value, name, step, state)
        if made is None and _SESSION_COOKIE.search(name) and not _CSRF_COOKIE.search(name):
            continue
        made = made or _maybe_generated(value, name, step, state)
        if made is None and _CSRF_COOKIE.search(name):
            continue
        state.client_cookies[name] = value
        # after the value it holds is made, before the request reads the jar (from_cookie)
        state.generated_at.setdefault(step.number, []).append(ir.Generated(
            var=made or "", kind="set_cookie", recorded=value, used_by=(step.number,),
            name=name))
        state.report.append({"var": made or name, "source_step": step.number,
                             "how": SCRIPT_COOKIE, "value": value})


def _script_cookie(name: str, state: _State) -> bool:
    """Did the page's script set cookie ``name``: no response of a recording that holds
    ``Set-Cookie`` headers sets it?"""
    return bool(state.server_cookies) and name not in state.server_cookies


def _handed_out_var(value: str, name: str, step: ir.Step, state: _State) -> str | None:
    """The variable of the response that handed out ``value``, which the page's script put
    into cookie ``name``; None where no response did (or not usably)."""
    sources = state.index.get(value)
    if not sources or not token_like(value):
        return None
    found = _best_source(value, sources, step, state, name, None)
    return None if found is None else _extraction_for(found, step, state)


def _request_cookies(request: ir.Request) -> dict[str, tuple[str, str]]:
    """The recorded ``Cookie`` header of this request: value → (name, decode)."""
    found: dict[str, tuple[str, str]] = {}
    for name, value in request.cookies:
        if len(value) >= MIN_COOKIE_VALUE:
            for sent, how in cookie_values(name, value):
                found.setdefault(sent, (name, how))
    return found


# --- uses: what a request sends back -------------------------------------------------------------


def _substitute_request(step: ir.Step, state: _State) -> ir.Request:
    request = step.request
    state.step_echo = set()
    sent: list[str] = []
    path = _path(request.path, step, state, sent)
    semicolons = ";" in request.raw_query  # a separator, as recorded (Perl's CGI, RT)
    from_link = _lost_link_values(step, state)
    query = tuple(q if i in from_link else _query(q, step, state, sent, semicolons)
                  for i, q in enumerate(request.query))
    if from_link:
        sent.extend(request.query[i].value.text for i in from_link)
        query = _lost_page_query(query, from_link, path, step, state)
    headers = tuple(_header(h, step, state, sent) for h in request.headers)
    body = _body(request.body, step, state, sent, path)
    state.sent.update(sent)
    if request.method not in ("GET", "HEAD"):
        state.typed_at[step.number] = typed = list(_typed(body))
        for _, value in typed:
            if not token_like(value):  # (a web address is a name, no element's key)
                state.typed.setdefault(value, step.number)
    for value in sent:  # a constant from now on: no later response is its source ...
        if not (value.isdigit() and len(value) < MIN_TOKEN):  # ... but a created object's id
            state.wanted.pop(value, None)
    if path is request.path and body is request.body and _same(query, request.query) and \
            _same(headers, request.headers):
        return request  # most requests send nothing correlated: no copies
    return replace(request, path=path, query=query, headers=headers, body=body)


def _typed(body: ir.Body | None) -> Iterator[tuple[str, str]]:
    """The values a request body sends as recorded in its form fields and JSON strings,
    correlation done (what the script sends as it is), tokens left out: what a user may have
    typed (see ``_State.typed``), each with its field's name ("" for a JSON string)."""
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        texts = [(name, value.text) for name, value in body.fields if value.is_literal]
    elif isinstance(body, ir.JsonBody):
        texts = [("", leaf) for leaf in ir.json_leaves(body.value) if isinstance(leaf, str)]
    else:
        return
    yield from ((name, text) for name, text in texts
                if not token_like(text) or _TYPED_SHAPE.match(text))


# what a person types that has a token's shape (digits, no space): a web address
# (changedetection.io's watch: http://shop.test/item/42), by which a list's row is found
_TYPED_SHAPE = re.compile(r"(?:https?|ftp)://[^\s/]+")


def _same(new: tuple, old: tuple) -> bool:
    return all(a is b for a, b in zip(new, old, strict=True))


def _path(template: ir.Template, step: ir.Step, state: _State, sent: list[str]) -> ir.Template:
    text = _literal_text(template)
    if text is None:
        return template
    parts: list[ir.Part] = []
    segments = text.split("/")
    state.path_twice = _short_twice(segments)
    for i, segment in enumerate(segments):
        if i:
            parts.append("/")
        value = unquote(segment)
        state.step_echo.add(value)
        # a short value's place is the route word before it: /projects/1 is not /issues/1
        place = "/" + unquote(segments[i - 1]) if i else "/"
        if value in state.path_twice:
            state.path_words = _route_words(segments[:i])
        if len(segment) > 10 and any(run.group(1) in state.generated
                                     for run in _epoch_runs(segment)) and \
                not _given_as_data(value, step, state):
            # holds a time the client made (/zoo-1796395330617/, the context path a form
            # sent): made again, not read from a page's text or links that name it (a JSON
            # member or a header that hands it out, WordPress's "slug", is the server's word)
            sent.append(value)
            parts.extend(_epochs_in_segment(segment, step, state))
            continue
        if (param := path_param(segment)) is not None and (ref := _lookup(
                unquote(param[1]), step, state, whole=True, key="", place=place)) is not None:
            # a path parameter's token, the rest of the segment kept (list;jsessionid=9E99…)
            sent.extend((value, unquote(param[1])))
            encoding = _segment_encoding(param[1], unquote(param[1]), raw=False)
            parts.extend((param[0], ir.VarRef(ref, encoding), param[2]))
            continue
        ref = _lookup(value, step, state, whole=True, key="", place=place) if segment else None
        if ref is None and segment and (UUID4.match(value) or value in state.generated or (
                step.request.method in _NAMING_METHODS and ANY_UUID.match(value))):
            # a random id the client made: any UUID4, and a UUID of any version that names the
            # resource a PUT or MKCOL makes (Radicale's web interface writes random hex in the
            # UUID's shape, /alice/12247397-5b77-1e75-47a2-050709ccfa8c/); later requests
            # naming it send the same fresh value. But a link followed on a page the
            # recording lacks, to an object a post made (changedetection.io's
            # /edit/e16f2541-…): the server's, read from the live list's row
            ref = _lost_row_ref(value, None, step, state) or _generate(
                value, "uuid4", "uuid", step, state)
        if ref is not None:
            sent.append(value)
            parts.append(ir.VarRef(ref, _segment_encoding(segment, value)))
        elif i >= 2 and (slug := slug_id(segment)) is not None and (ref := _lookup(
                slug[1], step, state, whole=True, key="", place=place)) is not None:
            # the id beside the object's name (/catalogue/zoo-teapot_52745/)
            sent.extend((value, slug[1]))
            parts.extend((slug[0], ir.VarRef(ref, "raw"), slug[2]))
        elif i >= 1 and (keyed := keyed_id(segment)) is not None and (ref := _lookup(
                unquote(keyed[1]), step, state, whole=True, key="", place=place)) is not None:
            # a key in the framework's syntax (OData's /Notes(4711), /notes/4711.json)
            key = unquote(keyed[1])
            sent.extend((value, key))
            parts.extend((keyed[0], ir.VarRef(ref, _segment_encoding(keyed[1], key)), keyed[2]))
        elif segment and (ref := _lost_answer_ref(value, i, segments, step, state) or
                          _lost_row_ref(value, None, step, state) or
                          _lost_named_ref(value, step, state)) is not None:
            sent.append(value)
            parts.append(ir.VarRef(ref, _segment_encoding(segment, value)))
        else:
            if segment:
                sent.append(value)
                _literal_use(value, place, state)
            parts.extend(_epochs_in_segment(segment, step, state))
    state.path_twice = {}
    if template.parts == (text,) and all(isinstance(p, str) for p in parts):
        return template  # nothing replaced (and merge_parts would give the same parts)
    return ir.Template(ir.merge_parts(parts))


def _short_twice(segments: list[str]) -> dict[str, set[str]]:
    """The short ids a path sends in more than one segment (``/shelf/add/2/2``), each with an
    empty set of the names its segments read (see :func:`_best_source`)."""
    seen: set[str] = set()
    twice: dict[str, set[str]] = {}
    for segment in segments[1:]:
        if segment.isdigit() and len(segment) <= rank.SHORT_ID:
            if segment in seen:
                twice[segment] = set()
            seen.add(segment)
    return twice


def _route_words(before: list[str]) -> tuple[str, ...]:
    """The route words naming the next segment: those after the last id before it
    (``/shelf/add/`` → shelf, add; ``/shelf/add/2/`` → none)."""
    words: list[str] = []
    for segment in before:
        if segment.isdigit():
            words = []
        elif segment:
            words.append(unquote(segment))
    return tuple(words)


# a URL's separator as a JSON answer may write it (PHP's json_encode: "\/order\/…"), and a
# segment's characters up to the next separator or the end of the string
_JSON_SLASH = r"\\?/"
_SEGMENT_CHARS = r"[^/?#\"'\\\s<>&]+"


def _lost_answer_ref(value: str, index: int, segments: list[str], step: ir.Step,
                     state: _State) -> str | None:
    """A variable for a value of a page's path that no recorded answer holds, read from the
    answer that led there, which the recording lacks (:func:`_lost_answer`), by the URL's
    shape: the path before it, its other values any value."""
    lost = _lost_answer(value, step, state)
    if lost is None:
        return None
    prefix = ""
    parent = ""
    for segment in segments[:index]:
        if segment and location_handed_out(unquote(segment)):
            prefix += _SEGMENT_CHARS + _JSON_SLASH
        else:
            prefix += re.escape(segment) + _JSON_SLASH
            parent = unquote(segment) or parent
    return _lost_answer_var(value, prefix + "(" + _SEGMENT_CHARS + ")", id_name(parent), "",
                            lost, step, state)


def _lost_query_ref(name: str, value: str, step: ir.Step, state: _State) -> str | None:
    """The same for a query value of that page (``/checkout/done?order=4f7a…``): the
    parameter's value in the live answer, ``&`` also as JSON may escape it."""
    if not name or (lost := _lost_answer(value, step, state)) is None:
        return None
    pattern = r"(?:[?&]|\\u0026)" + re.escape(name) + r"=([^&#\"'\\\s<>]+)"
    return _lost_answer_var(value, pattern, identifier(name) or "value", "url", lost, step,
                            state)


def _lost_answer(value: str, step: ir.Step, state: _State) -> ir.Step | None:
    """The step whose answer, which the recording lacks, alone can have handed out a value of
    a page's URL: a page's script posted (pretix places an order by XHR) and went at once to
    the URL the answer named (``{"redirect": "/conf/order/LDEGQ/p8xe…/"}``), and the browser
    dropped that body (DevTools keeps none of a page that left). Only a value that looks made
    by the server (a token, or a code in capitals) that no recorded answer holds, on a page
    (a navigation) that follows that write with nothing but reads in between. If the live
    answer does not name the URL, the step fails, saying so (and the conversion's warning
    says why)."""
    if not (token_like(value) or _CODE_OF_CAPITALS.fullmatch(value)) or \
            not _URL_TOKEN.fullmatch(value) or not location_handed_out(value) or \
            state.index.get(value) or step.request.method != "GET" or \
            not is_navigation(step):
        return None
    lost = state.lost_before.get(step.number)
    if lost is None:
        return None
    if any(value in (other.response.text or "") for other in state.steps[:step.number - 1]
           if other.response is not None):
        return None  # a recorded answer holds it: not this one's alone
    return lost


def _after_lost_writes(steps: tuple[ir.Step, ...], main_origin: str) -> dict[int, ir.Step]:
    """Each step that follows a write of the page's script whose answer the recording lacks,
    with only reads in between, up to the first page loaded after it (the one the answer
    named), mapped to that write (see :func:`_lost_answer`)."""
    after: dict[int, ir.Step] = {}
    lost: ir.Step | None = None
    for step in steps:
        if lost is not None:
            after[step.number] = lost
            if is_navigation(step):
                lost = None  # the page the answer named: the pages after it are not its
        if _body_lost(step, main_origin):
            lost = step if step.request.method not in ("GET", "HEAD") and \
                step.resource_type in ("xhr", "fetch", None) else None
        elif step.request.method not in ("GET", "HEAD", "OPTIONS"):
            lost = None  # another write: its page is not the lost answer's
    return after


def _lost_answer_var(value: str, pattern: str, name: str, decode: str, lost: ir.Step,
                     step: ir.Step, state: _State) -> str:
    source = Source(lost.number, value, name, "regex", expr=pattern, rank=RANK_TEXT,
                    how="URL in an answer not recorded", id_like=True, decode=decode)
    var = _extraction_for(source, step, state)
    if state.lost_reads and state.lost_reads[-1][:2] == (step.number, lost.number):
        state.lost_reads[-1][2].append(value)
    else:
        state.lost_reads.append((step.number, lost.number, [value]))
    return var


_URL_TOKEN = re.compile(r"[A-Za-z0-9_.~-]+")  # one word of a URL, no path: not "/api/x"
_CODE_OF_CAPITALS = re.compile(r"(?=.*[A-Z])[A-Z0-9]{5,}")


def _segment_encoding(recorded: str, value: str, raw: bool = True
                      ) -> Literal["raw", "path", "segment"]:
    """How a value read at run time is written into a path where ``recorded`` (its encoded
    form, ``value`` decoded) was: as the recording wrote it. Every character percent-encoded
    that is not unreserved (``path``), unless the recording left the characters a path
    segment may hold as they are (RFC 3986's sub-delimiters, ``:`` and ``@``): a base64
    token's ``=`` (``/0u7FiUwDpia0EJVyPm8W6GZEnQQ=/``, a signed image URL whose signature
    may cover the path as written), ASP.NET's cookieless session ``/(S(lit3py55t21z5v55))/``
    (``segment``): what the browser sent. ``raw``: a value that needs no encoding is written
    as it is."""
    if raw and URL_SAFE.match(value):
        return "raw"
    if recorded != quote(value, safe="") and recorded == quote(value, safe=ir.PATH_SAFE):
        return "segment"
    return "path"

_DATA_SOURCES = frozenset({"json", "location", "header", "xml"})


def _given_as_data(value: str, step: ir.Step, state: _State) -> bool:
    """Did an earlier answer hand ``value`` out as data (a JSON member, a header, XML), not
    only show it in a page's text or links?"""
    return any(s.kind in _DATA_SOURCES and s.step < step.number
               for s in state.index.get(value, ()))


_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _epoch_runs(segment: str) -> Iterator[re.Match[str]]:
    """The epoch times in a path segment as recorded, its percent escapes kept whole: in
    ``Zoo%20page%201796408490591`` the time follows ``%20``, whose ``20`` is no digit of it."""
    return EPOCH_RUN.finditer(_PERCENT_ESCAPE.sub("%__", segment) if "%" in segment
                              else segment)


def _epochs_in_segment(segment: str, step: ir.Step, state: _State) -> list[ir.Part]:
    """A path segment with the epoch times the client made inside it as their variables
    (``zoo-1796271319729``: the folder the client named in an earlier request's body), as
    :func:`_text` does in other texts. A segment that is a time and nothing else is made
    fresh only if the client already made it in an earlier request: else, in a path, it is
    more often an id a server made of the time."""
    if (known := state.generated.get(segment)) is not None:
        return [ir.VarRef(known.var, "raw")]
    parts: list[ir.Part] = []
    last = 0
    for run in _epoch_runs(segment) if len(segment) > 10 else ():
        name = _maybe_time(run.group(1), "", step, state, in_name=True) \
            if run.group(1) != segment else None
        if name:
            parts += [segment[last:run.start(1)], ir.VarRef(name, "raw")]
            last = run.end(1)
    return [*parts, segment[last:]] if parts else [segment]


# next-action: the id of a Next.js server action, a hash its build fixed (its pages' RSC
# payloads name it too, under a key as common as "id")
UNTOUCHED_HEADERS = frozenset({"origin", "referer", "user-agent", "accept", "accept-language",
                               "content-type", "next-action"})


def _query(param: ir.QueryParam, step: ir.Step, state: _State,
           sent: list[str], semicolons: bool = False) -> ir.QueryParam:
    if param.name and (name := _field_name(param.name, step, state, sent)) is not None:
        param = replace(param, name_template=name)  # Joomla's logout link, ?chk_40752=on
    value = _semicolon_params(param.value, step, state, sent) if semicolons else None
    if value is None and param.name and (text := _literal_text(param.value)) and \
            ANY_UUID.match(text) and (ref := _lost_row_ref(text, param.name, step, state)):
        # the server's uuid, from a lost list's row (not one the client made: see _path)
        sent.append(text)
        return replace(param, value=ir.Template((ir.VarRef(ref),)))
    if value is None:
        value = _text(param.value, step, state, sent, key=param.name, whole=True)
    if value is param.value and step.number in state.lost_before and (
            text := _literal_text(value)) and (
            ref := _lost_query_ref(param.name, text, step, state)) is not None:
        value = ir.Template((ir.VarRef(ref),))
    elif value is param.value and param.name and (text := _literal_text(value)) and (
            ref := _lost_row_ref(text, param.name, step, state)) is not None:
        sent.append(text)
        value = ir.Template((ir.VarRef(ref),))
    return param if value is param.value else replace(param, value=value)


def _semicolon_params(template: ir.Template, step: ir.Step, state: _State,
                      sent: list[str]) -> ir.Template | None:
    """A query value holding more parameters after ``;`` separators, as an app that takes
    them (Perl's CGI, Request Tracker's ``Update.html?Action=Respond;id=11828``) writes its
    links, each value looked up as the parameter of its name: the value with those found
    replaced, or None when none is (or the value holds no such parameter)."""
    text = _literal_text(template)
    if not text or ";" not in text or "=" not in text:
        return None
    parts: list[ir.Part] = []
    found = False
    head, *params = text.split(";")
    parts.append(head)
    for param in params:
        name, equals, value = param.partition("=")
        ref = _lookup(value, step, state, whole=True, key=name) if equals and name and value \
            else None
        parts.append(";" + name + equals)
        if ref is None:
            parts.append(value)
            continue
        found = True
        sent.append(value)
        parts.append(ir.VarRef(ref))
    return ir.Template(ir.merge_parts(parts)) if found else None


def _header(header: ir.Header, step: ir.Step, state: _State, sent: list[str]) -> ir.Header:
    low = header.name.lower()
    if low in UNTOUCHED_HEADERS:
        return header
    value = _csrf_header(header, step, state, sent) if state.no_cookies and \
        _CSRF_HEADER.search(low) else None
    if value is None and _CSRF_HEADER.search(low) and \
            (var := _lost_page_header_ref(header, step, state)) is not None:
        sent.append(header.value.text)
        value = ir.Template((ir.VarRef(var),))  # whole: not a UUID the client made
    if value is None:
        value = _text(header.value, step, state, sent, key=low, whole=True)
    named = next((ir.Template(ir.merge_parts([header.name[:at], ir.VarRef(var),
                                              header.name[at + len(part):]]))
                  for part, var in state.cookie_parts.items()
                  if (at := _name_part_at(low, part.lower())) >= 0), None)
    if named is not None:  # X-CSRF-Token-<device>, as the cookie it sends is named
        return replace(header, value=value, name_template=named)
    return header if value is header.value else replace(header, value=value)


# a request header that sends a cookie's value back (double-submit CSRF): X-CSRFToken,
# X-XSRF-TOKEN, X-XSRFToken, X-CSRF-Token
_CSRF_HEADER = re.compile(r"[cx]srf", re.I)


def _csrf_header(header: ir.Header, step: ir.Step, state: _State, sent: list[str]
                 ) -> ir.Template | None:
    """In a recording that holds no cookie (Chrome's DevTools export them only "with sensitive
    data"; its default export leaves out every Cookie and Set-Cookie), a CSRF header's token
    that no recorded answer holds: the page's script read it from a cookie, whose name the
    recording does not tell (Django's ``csrftoken`` for ``X-CSRFToken``, ``XSRF-TOKEN`` for
    Angular's, Laravel's and Spring's ``X-XSRF-TOKEN``, Tornado's ``_xsrf`` for
    ``X-XSRFToken``, Flask-JWT-Extended's ``csrf_access_token`` for ``X-CSRF-TOKEN``). Read at
    run time from the jar's cookie named like the header (``header_cookie``, the run time's
    ``cookie_for_header``), the recorded value where no cookie is; not made up as a client's
    UUID would be. Sent as recorded, the token of the recording's session is refused (403).
    The header's value, or None where it is no such token (correlated as any other)."""
    text = _literal_text(header.value)
    if not text or not token_like(text):
        return None
    sent.append(text)
    name = _lookup(text, step, state, whole=True, key=header.name.lower())
    if name:  # a page or an answer handed it out
        return ir.Template((ir.VarRef(name),))
    key = ("header " + header.name.lower(), "")
    var = state.cookie_vars.get(key)
    if var is None:
        base = identifier(header.name.lower().removeprefix("x-")) or "csrf_token"
        var = state.cookie_vars[key] = _unique(base, state)
        state.report.append({"var": var, "source_step": step.number,
                             "how": f"the cookie sent in {header.name}"[:60], "value": text})
    at_step = state.generated_at.setdefault(step.number, [])
    if not any(g.var == var for g in at_step):
        at_step.append(ir.Generated(var=var, kind="header_cookie", recorded=text,
                                    used_by=(step.number,), name=header.name))
    return ir.Template((ir.VarRef(var),))


def _lost_page_header_ref(header: ir.Header, step: ir.Step, state: _State) -> str | None:
    """A variable for a CSRF header's token that no recorded answer or cookie holds, sent by
    the script of a page whose body the recording lacks (see :func:`_lost_page_ref`): read
    from that live page where frameworks give a page's script its token (the run time's
    ``from_page_csrf``: the first ``<meta name="csrf-token">``, as Rails', Laravel's and
    Flask-WTF's pages have it, Spring's ``_csrf``, or hidden input whose name says CSRF; else
    htmx's ``hx-headers``, ``{"X-CSRFToken": …}``)."""
    page = state.lost_pages.get(step.number)
    text = _literal_text(header.value)
    if page is None or not text or not token_like(text) or state.index.get(text) or \
            _a_cookie(text, state) or _answered_before(text, step, state):
        return None
    source = Source(page.number, text, identifier(header.name.lower().removeprefix("x-"))
                    or "csrf_token", "page_csrf", expr=header.name, rank=RANK_TEXT,
                    how=f"the CSRF token of a page not recorded, for {header.name[:30]}",
                    id_like=True)
    return _read_from_page(source, header.name, step, page, state, later=True)


def _name_part_at(name: str, part: str) -> int:
    """Where ``part`` is a whole part of ``name`` (both lower case: header names are, as an
    HTTP/2 recording writes them, ``x-csrf-token-xsmao`` for the cookie ``CSRF-Token-XSMAO``),
    between separators or the ends; -1 where it is not."""
    at = name.find(part)
    while at >= 0:
        end = at + len(part)
        if (at == 0 or not name[at - 1].isalnum()) and \
                (end == len(name) or not name[end].isalnum()):
            return at
        at = name.find(part, at + 1)
    return -1


def _body(body: ir.Body | None, step: ir.Step, state: _State, sent: list[str],
          path: ir.Template | None = None) -> ir.Body | None:
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        names = tuple((i, name) for i, (k, _) in enumerate(body.fields)
                      if (name := _field_name(k, step, state, sent)) is not None)
        return replace(body, fields=tuple(
            (k, _form_value(k, v, step, state, sent, path)) for k, v in body.fields),
            names=names)
    if isinstance(body, ir.JsonBody):
        if not body.base and json_rpc_call(body.value) and "id" in body.value:  # as recorded
            rest = _json({k: v for k, v in body.value.items() if k != "id"}, "", step, state,
                         sent)
            return replace(body, value={k: body.value[k] if k == "id" else rest[k]
                                        for k in body.value})
        return replace(body, value=_json(body.value, "", step, state, sent, changes=body.base))
    if isinstance(body, ir.RawBody) and body.text is not None:
        if XML_MIME.match(body.mime_type):
            return replace(body, text=_xml_text(body.text, step, state, sent))
        return replace(body, text=_text(body.text, step, state, sent, key="", whole=False))
    return body


def _form_value(name: str, value: ir.Template, step: ir.Step, state: _State, sent: list[str],
                path: ir.Template | None) -> ir.Template:
    """A form field's value, correlated; a token no recorded answer holds, sent from a page
    whose body the recording lacks, read from that live page (:func:`_lost_page_ref`)."""
    if path is not None and (var := _lost_page_ref(name, value, path, step, state)) is not None:
        sent.append(value.text)
        return ir.Template((ir.VarRef(var),))  # whole: not a time or a UUID the client made
    found = _text(value, step, state, sent, key=name, whole=True)
    if found is value and path is not None and (
            (var := _lost_page_state_ref(name, value, path, step, state)) is not None or
            (var := _lost_script_ref(name, value, step, state)) is not None):
        return ir.Template((ir.VarRef(var),))
    return found


def _lost_script_ref(name: str, value: ir.Template, step: ir.Step, state: _State
                     ) -> str | None:
    """A variable for a token that a page's script sends (a call elsewhere: Tiny Tiny RSS's
    ``backend.php`` calls send ``csrf_token``) from a page whose body the recording lacks,
    that no answer before it holds, but a page recorded later does: the session's token,
    which each page of the app writes in the same place (TT-RSS's ``const __csrf_token =
    "…"``). Read from the lost page's live answer as that later page holds it (the same
    regex or XPath); the step fails where the live page has none. None where no such page
    follows (what the script held is not known: it is sent as recorded, and said)."""
    page = state.lost_pages.get(step.number)
    text = _literal_text(value)
    if page is None or not text or not token_like(text) or \
            not FORM_TOKEN_NAME.search(name) or state.index.get(text) or \
            _a_cookie(text, state) or _answered_before(text, step, state):
        return None
    later = _later_page_source(text, step, state)
    if later is None:
        return None
    source = replace(later, step=page.number, name=identifier(name) or later.name,
                     how=f"{later.how} of a page not recorded, as step {later.step}'s"[:80])
    return _read_from_page(source, name, step, page, state, later=True)


def _later_page_source(value: str, step: ir.Step, state: _State) -> Source | None:
    """Where the first HTML page of the origin under test recorded after ``step`` whose body
    holds ``value`` hands it out: an element's (XPath) or the text around it (regex). Looked
    for once per value: a later step that sends it finds it read already, or none after it."""
    if value not in state.later_sources:
        state.later_sources[value] = _first_later_source(value, step, state)
    return state.later_sources[value]


def _first_later_source(value: str, step: ir.Step, state: _State) -> Source | None:
    for other in state.steps[step.number:]:
        response = other.response
        text = response.text if response is not None else None
        if not text or value not in text or other.request.origin != state.main_origin or \
                not is_html(response.mime_type, text):  # type: ignore[union-attr]
            continue
        found = [source for source in html_sources(other, text, Wanted({value: other.number + 1},
                                                                        other.number))
                 if source.value == value and source.kind in ("xpath", "regex")
                 and not source.anchors]
        return max(found, key=lambda source: source.rank) if found else None
    return None


def _lost_page_state_ref(name: str, value: ir.Template, path: ir.Template, step: ir.Step,
                         state: _State) -> str | None:
    """A variable for the state of the object a lost page's form edits, that nothing else
    gave (a revision, the moment the form was shown: ``rank.form_state_name``), read from that
    live form as :func:`_lost_page_ref` reads a token; the recorded value where the form holds
    none."""
    page = state.lost_pages.get(step.number)
    text = _literal_text(value)
    if page is None or not text or len(text) > 128 or any(ch.isspace() for ch in text) or \
            not rank.form_state_name(name) or \
            not is_navigation(step) and step.request.path != page.request.path:
        return None
    source = Source(page.number, text, identifier(name) or "state", "form_input_or_recorded",
                    expr=name, anchors=_anchors(step, path, (), page, state), rank=RANK_TEXT,
                    how=f"input {name[:40]} of a page not recorded", id_like=True)
    return _read_from_page(source, name, step, page, state, later=False)


def _lost_page_ref(name: str, value: ir.Template, path: ir.Template, step: ir.Step,
                   state: _State) -> str | None:
    """A variable for a form's token (a hidden input by a framework's name for one:
    ``csrfmiddlewaretoken``, ``authenticity_token``, ``_token``, ``__VIEWSTATE``,
    ``_wpnonce``, ``SAMLResponse`` …) that no recorded answer holds, or for the version of
    the object it edits (Rails' ``lock_version``: see ``rank.version_name``), submitted (a
    navigation, or a script's post back to the page's own path, as Icinga Web's forms are)
    from a page whose body the recording lacks (an exporter left it out, or DevTools had
    dropped the page it left): read from that page's live answer, the input of that name in
    the form that posts to this request's path (its action resolved against the page's URL),
    as a browser sends it; where that form holds no value for it (the page is not in the
    recording: it may have been a field the user filled in), the recorded one. None where no
    such page precedes, or the value may be anything else."""
    page = state.lost_pages.get(step.number)
    text = _literal_text(value)
    if page is None or not text:
        return None
    version = rank.version_name(name) and rank.version_value(text)
    full = not version and token_like(text) and _completes_page_id(text, page)
    # a row's id in a form of rows (Django's inline formset: lines-0-id=24637), never sent
    # before: the page wrote it (a short number is in many answers by chance: not looked for)
    row_id = not version and _ROW_ID_FIELD.search(name) is not None and text.isdigit() and \
        len(text) < MIN_TOKEN and text not in state.sent
    if not (version or full or row_id or token_like(text) and FORM_TOKEN_NAME.search(name)) \
            or not version and state.index.get(text) or _a_cookie(text, state):
        return None
    if not is_navigation(step) and step.request.path != page.request.path:
        return None  # a script's post elsewhere may send what the script holds, no form's
    if not (version or row_id) and _answered_before(text, step, state):
        return None  # an earlier answer holds it (where no rule found it): not the page's
    kind = "form_input" if version or full else "form_token_or_recorded" if (
        token_like(text) and FORM_TOKEN_NAME.search(name)) else "form_input_or_recorded"
    source = Source(page.number, text, identifier(name) or "token", kind, expr=name,
                    anchors=_anchors(step, path, (), page, state), rank=RANK_TEXT,
                    how=f"input {name[:40]} of a page not recorded", id_like=True)
    # a token or an id serves later requests too (the page's script's); a version is its
    # form's alone
    return _read_from_page(source, name, step, page, state, later=not version)


# the id field of a row of a form that edits several (Django's formsets: lines-0-id,
# form-3-id; Rails' nested attributes: order[lines_attributes][0][id])
_ROW_ID_FIELD = re.compile(r"(?:-[0-9]+-|\[[0-9]+\]\[)id\]?$")


def _completes_page_id(text: str, page: ir.Step) -> bool:
    """Is ``text`` the whole of an id the page's URL names by its first characters (Fossil's
    ``/forumpost/0da9e15ae0``, whose form posts ``fpid=0da9e15ae0…`` in full, 64 hex digits;
    a git forge's abbreviated hashes)? Then only that page can have written it."""
    request = page.request
    values = [unquote(segment) for segment in _literal_text(request.path).split("/")] \
        if request.path.is_literal else []
    values += [q.value.text for q in request.query if q.value.is_literal]
    return any(len(value) >= _ID_PREFIX and len(text) > len(value) and text.startswith(value)
               and value.isalnum() for value in values)


_ID_PREFIX = 6  # the shortest abbreviated id (git's default is 7, Fossil's links 10)


def _lost_row_ref(value: str, param: str | None, step: ir.Step, state: _State) -> str | None:
    """A variable for the short id of the object a form of the journey made, which a link on
    the page that form's post led to (a list saying "was added", whose body the recording
    lacks) sends in its path (``/admin/tickets/ticket/16124/change/``) or its query under
    ``param`` (``/admin/note/edit/?id=50772``): read from that live page's rows (found by
    their links: see the run time's ``html_rows``) whose text holds a name that post gave the
    object, a name the client made (``Zoo 1796360355``) or a text typed into it (``Replace the
    projector bulb``), the first name some row holds deciding; on a fresh server the recorded
    id is another object's or none. Only on a page that shows what a post made that was no
    login (see :func:`_clicked_page`). None otherwise (the id is sent as recorded)."""
    page = _clicked_page(value, step, state)
    if page is None or value in state.generated or (write := _made_by(page, state)) is None:
        return None
    names = _names_given(write, state)
    source = lost_row_link(step, value, param, names, page.number) if names else None
    if source is None:
        return None
    state.sent_keys.pop(value, None)  # sent as it was, the query's lookup said: read now
    return _read_from_page(source, source.name, step, page, state, later=True)


def _lost_named_ref(value: str, step: ir.Step, state: _State) -> str | None:
    """A variable for the short id a link on a page the recording lacks sends in its path,
    of an object no post of the journey made (one that was there: a seeded page, a category),
    clicked by the name another recorded page gives a link to it (see
    :func:`.html.lost_named_link`; each recorded page's links read once)."""
    page = _clicked_page(value, step, state)
    if page is None:
        return None
    if state.named_links is None:
        state.named_links = [link_ids_by_name(other.response.text)  # type: ignore[union-attr]
                             for other in state.steps
                             if other.response is not None and other.response.text
                             and other.request.origin == state.main_origin
                             and "html" in other.response.mime_type.lower()]
    source = lost_named_link(step, value, page.number, iter(state.named_links))
    if source is None:
        return None
    return _read_from_page(source, source.name, step, page, state, later=True)


def _clicked_page(value: str, step: ir.Step, state: _State) -> ir.Step | None:
    """The page the recording lacks that ``step`` was sent from, where ``step`` is a link
    followed there (a navigation's ``GET``) that sends ``value`` (in its path or its query),
    a short id or a uuid no request sent before and no recorded answer is a source of: the
    page alone can have shown it. None otherwise."""
    page = state.lost_pages.get(step.number)
    if page is None or step.request.method != "GET" or not is_navigation(step) or \
            not (value.isdigit() and len(value) < MIN_TOKEN or ANY_UUID.match(value)) or \
            value in state.sent or state.index.get(value):
        return None
    return page


def _made_by(page: ir.Step, state: _State) -> ir.Step | None:
    """The post that made what ``page`` shows: the unsafe request it answers or whose
    redirects end at it (see :func:`_made_pages`), unless that sent a password (a login's
    landing page shows no object it made)."""
    step = page
    while step.request.method in ("GET", "HEAD"):
        if not step.follows_location or step.number < 2:
            return None  # a page loaded by itself: no post led to it
        step = state.steps[step.number - 2]
    body = step.request.body
    fields = body.fields if isinstance(body, (ir.FormBody, ir.MultipartBody)) else ()
    return None if any(_PASSWORD_FIELD.search(name) for name, _ in fields) else step


_PASSWORD_FIELD = re.compile(r"pass(?:word|wd)?|pwd", re.I)
# a form's button, whose value is its label, no name of the object (Django's _save=Save,
# Rails' commit=Create Note, submit=Add)
_BUTTON_FIELD = re.compile(r"_?(?:save|submit|commit|continue|add_?another|button|btn)", re.I)
# a field that names the object it makes (what its list shows): title, name, subject …, bare
# or in brackets (fields[title], note[name], post_title)
_NAME_FIELD = re.compile(r"(?:^|[\[_.\-])(?:title|name|subject|summary|label|caption|heading|"
                         r"headline)(?:$|[\]_.\-])", re.I)
_MAX_NAMES = 4  # the names a list's row is looked for by, the most telling first


def _names_given(write: ir.Step, state: _State) -> tuple[ir.Template, ...]:
    """The names a post gave the object it made, the most telling first: each value the
    client made for it that names a row (an epoch, a uuid: new each run), then the texts it
    sent as typed that hold a letter, a field named as a name first (a title, a subject: what
    a list shows), then the longest (a description before a choice's value). The secrets
    stage makes the first typed one new each run (``--unique``'s way), so that two users'
    objects are told apart."""
    made = [ir.Template((ir.VarRef(g.var),)) for g in state.generated.values()
            if g.kind in _NAMING_KINDS and write.number in g.used_by]
    typed = sorted({(not _NAME_FIELD.search(name), -len(text), text)
                    for name, text in state.typed_at.get(write.number, ())
                    if len(text) >= 3 and any(c.isalpha() for c in text)
                    and not _BUTTON_FIELD.match(name)})
    return tuple(dict.fromkeys((*made, *(ir.Template((text,)) for *_, text in typed))))[
        :_MAX_NAMES]


def _lost_link_values(step: ir.Step, state: _State) -> frozenset[int]:
    """The query values of a followed link or a form's action (a navigation; a script's call
    is no link of the page) that only the page it was followed from, whose body the recording
    lacks, can have handed out (see :func:`_lost_page_ref`): a token under a token's name
    (``?id=7&action=trash&_wpnonce=…``, Tomcat's ``CSRF_NONCE``, a ``token`` or ``sesskey``);
    in a signed link (Laravel's ``/notes/4711/export?expires=…&signature=…``) every value it
    holds that no earlier answer handed out, read with the signature. Their indexes."""
    query = step.request.query
    if step.number not in state.lost_pages or not query or \
            step.request.method not in ("GET", "POST") or not is_navigation(step):
        return frozenset()  # (a POST's: its form's action, Tomcat's ?CSRF_NONCE=…)
    literal = [i for i, param in enumerate(query) if param.name and param.value.is_literal
               and (text := param.value.text) and not state.index.get(text)
               and not _a_cookie(text, state)]
    signed = any(_SIGNATURE_NAME.fullmatch(query[i].name) and token_like(query[i].value.text)
                 for i in literal)
    found = frozenset(i for i in literal if signed or FORM_TOKEN_NAME.search(query[i].name)
                      and token_like(query[i].value.text))
    if any(token_like(query[i].value.text) and _answered_before(query[i].value.text, step,
                                                                  state) for i in found):
        return frozenset()  # an earlier answer holds one (where no rule found it)
    return found


def _lost_page_query(query: tuple[ir.QueryParam, ...], from_link: frozenset[int],
                     path: ir.Template, step: ir.Step, state: _State
                     ) -> tuple[ir.QueryParam, ...]:
    """The query with the values :func:`_lost_link_values` found read from the live page's
    link to this request's path whose other parameters are this request's (this run's)."""
    page = state.lost_pages[step.number]
    anchors = _anchors(step, path, tuple(
        (i, param) for i, param in enumerate(query)
        if i not in from_link and param.name and step.request.query[i].value.is_literal),
        page, state)
    out = list(query)
    for i in sorted(from_link):
        param = query[i]
        source = Source(page.number, param.value.text, identifier(param.name) or "value",
                        "link", expr=param.name, anchors=tuple(anchors), rank=RANK_TEXT,
                        how=f"link {param.name[:40]} of a page not recorded", id_like=True)
        var = _read_from_page(source, param.name, step, page, state,
                              later=token_like(source.value))
        out[i] = replace(param, value=ir.Template((ir.VarRef(var),)))
    return tuple(out)


# the parameter of a signed URL that signs the others (Laravel's, a presigned URL's)
_SIGNATURE_NAME = re.compile(r"signature|sig|hmac|x-amz-signature|x-goog-signature", re.I)


def _anchors(step: ir.Step, path: ir.Template, params: tuple[tuple[int, ir.QueryParam], ...],
             page: ir.Step, state: _State) -> tuple[tuple[str, str | ir.Template], ...]:
    """The anchors of the form or link a request was sent by: its path, decoded (as a form's
    action or a link's path is compared), and ``params`` (its other query parameters, by
    index), this run's where every value in them is known when the page is read; else the
    recorded ones, whose ids :func:`_anchored` makes the values known then (a value the page
    hands out itself, Tomcat's ``;jsessionid=``, is not yet). No path where it was not
    literal."""
    live_path = _known_at(_decoded(path), page, state)
    live = [(param.name, _known_at(param.value, page, state)) for _, param in params]
    if live_path is not None and all(value is not None for _, value in live):
        # the path a template (taken as it is), a literal parameter as its text
        return ((PATH_ANCHOR, live_path), *(
            (name, value.text if value.is_literal else value)  # type: ignore[union-attr]
            for name, value in live))
    recorded = step.request
    return (((PATH_ANCHOR, unquote(recorded.path.text)),) if recorded.path.is_literal else ()) \
        + tuple((param.name, recorded.query[i].value.text) for i, param in params)


def _decoded(template: ir.Template) -> ir.Template:
    """A request's path as a form's action or a link's path holds it: decoded, its run-time
    values as they are."""
    return ir.Template(tuple(unquote(p) if isinstance(p, str) else replace(p, encoding="raw")
                             for p in template.parts))


def _known_at(template: ir.Template, page: ir.Step, state: _State) -> ir.Template | None:
    """``template`` where each value it holds is known when the page of ``page`` is read: an
    answer's read before it, or one the client made by then; else None."""
    for part in template.parts:
        if not isinstance(part, ir.VarRef):
            continue
        made = next((g for g in state.generated.values() if g.var == part.name), None)
        if made is not None:
            if made.used_by[0] > page.number:
                return None
        elif not any(at < page.number for at in state.assigned.get(part.name, ())):
            return None
    return template


def _read_from_page(source: Source, name: str, step: ir.Step, page: ir.Step, state: _State,
                    *, later: bool) -> str:
    """The variable ``step`` sends for ``name``, read by ``source`` from the live ``page``
    the recording lacks; remembered for the warning, and, ``later``, as a source of later
    requests that send the same value."""
    var = _extraction_for(source, step, state)
    if state.page_reads and state.page_reads[-1][:2] == (step.number, page.number):
        state.page_reads[-1][2].append(name)
    else:
        state.page_reads.append((step.number, page.number, [name]))
    if later:
        state.index.setdefault(source.value, []).append(source)
    return var


def _a_cookie(value: str, state: _State) -> bool:
    """Is ``value`` a cookie's the request sends or the jar holds (a double-submit token,
    read from the jar as any cookie's)?"""
    return value in state.step_cookies or value in state.cookies


def _answered_before(value: str, step: ir.Step, state: _State) -> bool:
    """Does an answer recorded before ``step`` hold ``value`` anywhere (its body, a header but
    a cookie's: a cookie is the jar's to send, whole (see :func:`_a_cookie`); a form's token
    that is a part of one, Fossil's ``csrf`` the session cookie's first ten characters, is the
    server's to write into the form)? An image's, a font's or a medium's body holds no value
    a server handed out (its base64 text may hold any short string by chance). (Read once:
    each answer's text with its step; each value's answers looked at once, as far as the
    steps that ask need: a page's script sends the same token on every call.)"""
    if state.answers is None:
        state.answers = [(other.number, text) for other in state.steps
                         if other.response is not None
                         for text in (_readable_body(other.response), *(
                             v for k, v in other.response.headers
                             if k.lower() != "set-cookie")) if text]
        state.answered_steps = [number for number, _ in state.answers]
    first, looked = state.first_answer.get(value, (-1, 0))
    if first < 0:
        end = bisect.bisect_left(state.answered_steps, step.number)
        if looked < end:
            answers = state.answers
            first = next((i for i in range(looked, end) if value in answers[i][1]), -1)
            state.first_answer[value] = (first, end)
    return 0 <= first and state.answered_steps[first] < step.number


def _readable_body(response: ir.RecordedResponse) -> str:
    """A response's body as text, but an image's, a font's, a sound's or a video's."""
    if response.mime_type.lower().startswith(("image/", "font/", "audio/", "video/")):
        return ""
    return response.text or ""


def _pages_lost(steps: tuple[ir.Step, ...], main_origin: str) -> dict[int, ir.Step]:
    """Each step sent from a page (the last one loaded before it) whose body the recording
    lacks, mapped to that page: a page of the origin under test, 2xx, HTML. Where the step
    names the page it was sent from (its ``Referer``), that must be the page."""
    found: dict[int, ir.Step] = {}
    page: ir.Step | None = None
    for step in steps:
        if page is not None and _sent_from(step.request, page.request):
            found[step.number] = page
        if is_navigation(step):
            page = step if step.request.method in ("GET", "POST") and \
                _body_lost(step, main_origin) and \
                "html" in step.response.mime_type.lower() else None  # type: ignore[union-attr]
    return found


def _sent_from(request: ir.Request, page: ir.Request) -> bool:
    """Was ``request`` sent from the page ``page`` loaded, as far as its ``Referer`` tells (its
    path and query; on the origin under test, the headers stage made it the host's)?"""
    referer = _referer_url(request, page.origin)  # (a page of the origin under test)
    if referer is None:
        return True  # not told
    try:
        split = urlsplit(referer)
    except ValueError:
        return False
    if split.scheme + "://" + split.netloc != page.origin:
        return False
    url = split.path + ("?" + split.query if split.query else "")
    return _same_page_url(url.partition("#")[0], _recorded_url(page))


def _same_page_url(url: str, page_url: str | None) -> bool:
    """Is ``url`` (a ``Referer``'s path and query) the URL of the page loaded at ``page_url``:
    the same, or the same path with some of its query's parameters gone and none added (the
    page's script rewrote its address with ``history.replaceState``: WordPress's list after
    "Move to Trash", ``edit.php?trashed=1&ids=40429``, shows and sends ``edit.php``; a
    message's ``?updated=1`` dropped once shown)."""
    if page_url is None:
        return False
    if url == page_url:
        return True
    path, _, query = url.partition("?")
    page_path, _, page_query = page_url.partition("?")
    if path != page_path or not page_query:
        return False
    shown = page_query.split("&")
    return all(param in shown for param in query.split("&")) if query else True


# an id inside a form field's name: a run of digits or a UUID between other characters than
# letters and digits (chk_40752, cart[40752][qty], item-40752); not an index (form-0-id)
_ID_IN_NAME = re.compile(r"(?<![A-Za-z0-9])([0-9]{2,}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}"
                         r"-[0-9a-fA-F]{12})(?![A-Za-z0-9])")


def _field_name(name: str, step: ir.Step, state: _State, sent: list[str]
                ) -> ir.Template | None:
    """A form field's (or a query parameter's) name, filled in at run time where it holds
    what an answer handed out:
    the whole name (Joomla's CSRF token is the name of a hidden input) or an object's id
    inside it (a list's checkbox ``chk_40752`` that Cacti's "Delete" posts, a cart's
    ``cart[40752][qty]``), looked up as an id; None when it stays as recorded."""
    if token_name(name):
        sent.append(name)
        var = _lookup(name, step, state, whole=True, key="")
        return ir.Template((ir.VarRef(var),)) if var else None
    if not any(ch.isdigit() for ch in name):
        return None
    parts: list[ir.Part] = []
    last = 0
    for match in _ID_IN_NAME.finditer(name):
        if match.group(1) == name:
            continue  # a name that is only a number: a position, as often as an id
        var = _lookup(match.group(1), step, state, whole=True, key="id")
        if var:
            sent.append(match.group(1))
            parts += [name[last:match.start(1)], ir.VarRef(var)]
            last = match.end(1)
    if not parts:
        return None
    parts.append(name[last:])
    return ir.Template(ir.merge_parts(parts))


# an element's whole text in an XML request body: <OrderId>17</OrderId>
_XML_LEAF = re.compile(r"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)(?:\s[^<>]*)?>([^<>&]{1,200})"
                       r"</\1?\2\s*>")


def _xml_text(template: ir.Template, step: ir.Step, state: _State, sent: list[str]
              ) -> ir.Template:
    """An XML request body (a SOAP call): each element's whole text is looked up whole, under
    the element's name (``<OrderId>17</OrderId>``: a short id too), the rest as any text."""
    text = _literal_text(template)
    if not text or len(text) > 1_000_000:
        return template
    sent.append(text)  # as _text records the whole text it is given
    parts: list[ir.Part] = []
    last = 0
    for match in _XML_LEAF.finditer(text):
        value = match.group(3)
        key = identifier(match.group(2))
        name = _lookup(value, step, state, whole=True, key=key) or _maybe_generated(
            value, key, step, state)
        if name:
            parts.extend(_text(ir.Template.literal(text[last:match.start(3)]), step, state,
                               sent, key="", whole=False).parts)
            parts.append(ir.VarRef(name))
            sent.append(value)
            last = match.end(3)
    if not parts:
        return _text(template, step, state, sent, key="", whole=False)
    parts.extend(_text(ir.Template.literal(text[last:]), step, state, sent, key="",
                       whole=False).parts)
    return ir.Template(ir.merge_parts(parts))


def _json(value: object, key: str, step: ir.Step, state: _State, sent: list[str],
          changes: str = "") -> object:
    """``changes``: ``value`` is the changes to a document (``stages/documents.py``), whose
    array key names and removed members' names are names, not values; so are the keys of the
    elements that added ones follow (``$after``: where, not what; a key gone puts them at the
    end, where one read from the document by its place could fail the step)."""
    if isinstance(value, dict):
        if changes:  # an object's removed members are names; so is an array's key
            names = ("$key",) if "$key" in value else ("$key", "$remove")
            return {k: v if k in names else [
                [anchor, _json(items, key, step, state, sent, changes)] for anchor, items in v]
                if k == "$after" else _json(v, k, step, state, sent, changes)
                for k, v in value.items()}
        outer, state.owner = state.owner, object_id(value)
        try:
            return {k: _json(v, k, step, state, sent) for k, v in value.items()}
        finally:
            state.owner = outer
    if isinstance(value, list):
        return [_json(v, key, step, state, sent, changes) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        name = _lookup(str(value), step, state, whole=True, key=key)
        sent.append(str(value))
        if name is None:
            name = _maybe_time(str(value), key, step, state)
        if name is None:
            _literal_use(str(value), key, state)
            return value
        if not _source_is_number(name, state) and name not in state.generated_vars:
            return ir.VarRef(name, "int")  # found as text (a Location segment, an input)
        return ir.VarRef(name)
    if isinstance(value, str):
        literal = ir.Template.literal(value)
        template = _text(literal, step, state, sent, key=key, whole=True)
        if template is literal:  # _text returns a new template only when it replaced a value
            return value
        if len(template.parts) == 1 and isinstance(template.parts[0], ir.VarRef) and \
                not _source_is_number(template.parts[0].name, state) and \
                template.parts[0].name not in state.generated_vars:
            return template.parts[0]  # the whole string: keep it a plain value
        return template
    return value


def _text(template: ir.Template, step: ir.Step, state: _State, sent: list[str], *, key: str,
          whole: bool) -> ir.Template:
    """Replace correlated values in literal text: the whole value, or tokens inside it.

    Returns ``template`` itself when nothing was replaced."""
    text = _literal_text(template)
    if not text or len(text) > 1_000_000:
        return template
    sent.append(text)
    if whole:
        name = _lookup(text, step, state, whole=True, key=key) or _maybe_generated(
            text, key, step, state)
        if name:
            return ir.Template((ir.VarRef(name),))
        _literal_use(text, key, state)
        if state.main_origin and text.startswith(state.main_origin) and key:
            # redirect_uri=http://recorded:5000/callback follows the host under test
            relative = host_relative(text, state.main_origin)
            if not relative.is_literal:
                return relative
    spans: list[tuple[int, int, str]] = []  # (start, end, variable) of what is replaced
    for start, token, candidates in _tokens(text, state.tokens):
        for candidate in candidates:
            name = _lookup(candidate, step, state, whole=False, key=key) or (
                _generate(candidate, "uuid4", key, step, state) if UUID4.match(candidate)
                else _made_token(candidate, state))
            if name:
                offset = start + token.index(candidate)
                spans.append((offset, offset + len(candidate), name))
                sent.append(candidate)
                break
        else:
            sent.append(token)
            for run in EPOCH_RUN.finditer(token):  # "Report 1796133308200", "img-1796133308"
                name = _maybe_time(run.group(1), key, step, state,
                                   in_name=run.group(1) != text)
                if name:
                    spans.append((start + run.start(1), start + run.end(1), name))
    for start, digits, id_key in named_ids(text):  # "WHERE `notes`.`id` = 47480"
        end = start + len(digits)
        if any(s < end and start < e for s, e, _ in spans):
            continue
        name = _lookup(digits, step, state, whole=True, key=id_key)
        if name:
            spans.append((start, end, name))
            sent.append(digits)
    if not spans:
        return template
    parts: list[ir.Part] = []
    last = 0
    for start, end, name in sorted(spans):
        if start >= last:
            parts.append(text[last:start])
            parts.append(ir.VarRef(name))
            last = end
    parts.append(text[last:])
    return ir.Template(ir.merge_parts(parts))


def _literal_use(value: str, key: str, state: _State) -> None:
    """Remember the key a short value was sent under as a constant (rank.usable_at)."""
    if is_object_id_name(key):
        state.step_echo.add(value)
    if len(value) < MIN_TOKEN:
        state.sent_keys.setdefault(value, set()).add(key)


def _literal_text(template: ir.Template) -> str | None:
    """``template.text``, or None when it has run-time parts (fast for the usual one part)."""
    parts = template.parts
    if len(parts) == 1 and isinstance(parts[0], str):
        return parts[0]
    return template.text if template.is_literal else None


def _tokens(text: str, cache: dict[str, list]) -> list[tuple[int, str, list[str]]]:
    """The tokens of ``text`` long enough to look up: (start, token, what to try in order).

    ``cache`` (``_State.tokens``): the first pass and the substitution tokenize the same texts,
    and many texts (cookies, bearer tokens) repeat from request to request."""
    known = cache.get(text)
    if known is not None:
        return known
    found = cache[text] = []
    for match in TOKEN.finditer(text):
        token = match.group(0)
        if len(token) < MIN_TOKEN:
            continue
        candidates = [token]
        if "=" in token or "." in token:  # key=value and JWT-like pieces
            candidates += [p for p in re.split(r"[=]", token) if len(p) >= MIN_TOKEN]
        found.append((match.start(), token, candidates))
    return found


def _lookup(value: str, step: ir.Step, state: _State, *, whole: bool, key: str,
            place: str | None = None) -> str | None:
    """The variable for the best source of ``value`` before this step (see :mod:`.rank`):
    the live cookie jar when the value is a cookie's, else the best-ranked response."""
    cookie = state.step_cookies.get(value) or state.cookies.get(value)
    if cookie is not None and token_like(value):
        # a cookie the page's script set is not in the script's jar by itself: where a
        # response handed out its value, that response is the source (the jar has it only
        # because _client_cookies puts it there from that same variable)
        handed = _handed_out_var(value, cookie[0], step, state) \
            if _script_cookie(cookie[0], state) else None
        return handed or _cookie_var(value, cookie, step, state)
    sources = state.index.get(value)
    if not sources or not whole and len(value) < MIN_TOKEN:
        return None
    found = None
    if place is None and key and rank.version_value(value) and rank.version_name(key):
        found = _version_source(value, sources, step, state, key)
    if found is None:
        found = _best_source(value, sources, step, state, key, place)
    if found is None and place is None and key:  # else the field a form showed filled in
        found = _filled_source(value, sources, step, state, key)
    return None if found is None else _extraction_for(found, step, state)


def _best_source(value: str, sources: list[Source], step: ir.Step, state: _State, key: str,
                 place: str | None) -> Source | None:
    """The best-ranked usable source of ``value`` before this step (see :mod:`.rank`)."""
    wanted_name = identifier(key)
    created_only = False  # a key that names a count or a position: see below
    made_alone = False
    if not rank.usable_at(value, key if place is None else place,
                          state.sent_keys.get(value)):
        # "order", "page", "version", "type" … name a position or a count as often as an
        # object (Django's inline formset sends its parent's id as lines-0-order): under a
        # structured key (not a bare ?order=, ?page=), such a value is an object's id when
        # the object's creator handed it out, named so (the add's Location: /order/52307/)
        # So is one digit under a plain word (``?project=2``, ``?view=1``: Label Studio's
        # project and view): the id of the object the request that made it handed out under
        # that word's name (``POST /api/projects`` → ``{"id": 2}``, ``project_id``); sent as
        # recorded, every run read the tasks of the recording's project 2: another user's
        # (made alone, not an element of a list the answer holds: a read's rows)
        if not (key and place is None and key not in (state.sent_keys.get(value) or ()) and (
                len(value) > 1 and not key.isalpha() and rank.not_id_key(key)
                or len(value) == 1 and key.isalpha() and not rank.not_id_key(key))):
            return None
        created_only = True
        made_alone = len(value) == 1
    # one pass over the usable sources: the best order (ties kept in the order found); in a
    # request path, the best of the links of that shape (the link the user followed) unless
    # the object's creator handed it out
    best: list[Source] = []
    best_order = worst = (RANK_TEXT + 1, 0, 0, 0)  # worse than any source
    followed: list[Source] = []
    followed_order = worst
    # a short id several objects share by chance (a fresh database's "2" for a tab, a saved
    # query and a dashboard alike): the source whose name names what the key names, if any
    named: list[tuple[tuple[int, ...], Source]] = []
    id_like = False
    short = len(value) <= rank.SHORT_ID
    # a date or time: only from a form's input of the very name it is sent under, as a field
    # (rank.form_time)
    dated = rank.form_time(value) and not rank.SERVER_TIME.fullmatch(value)
    # a moment to the second: only from a source whose key names the same moment
    # (rank.stamp_agrees)
    stamp = not dated and rank.SERVER_TIME.fullmatch(value) is not None
    started = getattr(step, "started", None)  # an _At (a link's anchors) has none
    sent_at = started.timestamp() if started is not None else None
    condition = key in CONDITION_HEADERS and isinstance(step, ir.Step)
    # a short id this path sends twice: two objects (a shelf and a book both 2): a segment
    # reads none of the sources an earlier one read, and its route words name it (/shelf/add/)
    twice = state.path_twice.get(value) if place is not None else None
    for s in sources:
        if s.step >= step.number or s.prefilled or s.versioned:
            continue
        if twice and s.name in twice:
            continue
        if sent_at is not None and _answered_after(s.step, sent_at, state):
            continue  # a slow XHR answered after this request was sent: not its source
        if condition and s.how == ETAG and not _validates(s, step, state):
            continue  # the ETag of a list, not of the object this request names
        if short and not (s.creates or s.in_path and place is not None
                          or rank.names_agree(s.name, key, place)):
            continue  # "1": by chance in many places; only a source that names it
        if created_only and not (s.creates and rank.names_agree(s.name, key, place)) or \
                made_alone and any(type(part) is int for part in s.path):
            continue
        if dated and (place is not None or s.how != "input " + key):
            continue
        if stamp and (place is not None or not rank.stamp_agrees(s, key, state.owner)):
            continue
        if _picks_from_list(s) and _holds_made(value, step, state):
            continue  # the client's name, in a list: by what it made, not by a place in it
        if s.kind in (ROW, HTML_ROW, HTML_ROW_VALUE) or s.kind == "json" and s.anchors:
            anchored = _row_anchored(s, state)
            if anchored is None and s.kind != "json":
                continue  # no name of the client's in its row: which row, is not known
            # an array's element without such a name: by its position, as recorded
            s = anchored or replace(s, anchors=())
        elif s.named_link and not s.anchors:
            # a link named by what the client made ("Zoo 1796281713"): that name this run
            name = _anchor_text(str(s.path[0]), "", _At(s.step), state)
            if not isinstance(name, str):
                s = replace(s, anchors=(("name", name),))
        id_like = id_like or s.id_like
        order = rank.order(s)
        if order < best_order:
            best_order, best = order, [s]
        elif order == best_order:
            best.append(s)
        if short and (rank.names_agree(s.name, key, place) or twice is not None and any(
                rank.names_agree(s.name, "", word) for word in state.path_words)):
            named.append((order, s))
        if s.in_path and place is not None:
            if order < followed_order:
                followed_order, followed = order, [s]
            elif order == followed_order:
                followed.append(s)
    if not best or len(value) < 4 and not id_like:
        return None
    if followed and not best[0].creates:
        best = followed
    # (not an answer that echoed the id its request's path sent: it made nothing)
    named = [(order, s) for order, s in named if not _echoed(value, s, state)]
    if named and best[0] not in (s for _, s in named):
        first = min(order for order, _ in named)
        best = [s for order, s in named if order == first]
    if len(best) > 1 and isinstance(step, ir.Step) and any(s.kind in _LINK_KINDS
                                                           for s in best):
        # a value every link of a list holds (the expiry of signed URLs made at once): from
        # the link this request follows, whose other parameters belong with it
        best.sort(key=lambda s: not _links_to(s, step))
    chosen = next((s for s in best if s.name == wanted_name), best[0])
    if twice is not None:
        twice.add(chosen.name)
    return chosen


_LINK_KINDS = ("link", "form_input", "form_input_or_recorded", "form_token_or_recorded")
# (read by a link's anchors)


def _echoed(value: str, source: Source, state: _State) -> bool:
    """Did the request ``source`` answered send ``value`` as a segment of its path (an answer
    that names the object its request named: ``GET /obj/7`` → ``{"id": 7}``)?"""
    path = _literal_text(state.steps[source.step - 1].request.path) or ""
    return value in path.split("/")


# the request headers whose value is an ETag of the object the request names
CONDITION_HEADERS = frozenset({"if-match", "if-none-match", "if-range"})
ETAG = "header ETag"  # the how of a response's ETag (headers.header_sources)


def _validates(source: Source, step: ir.Step, state: _State) -> bool:
    """Is the ETag ``source`` a version of what ``step`` names (its URL's path)? An ETag is
    the version of the answer's own resource: one for the same path, or the answer of the
    request that made it (a POST to the list, whose answer holds the new object's id, the
    path's next segment). A list's ETag (Kinto's collection timestamp) equals the version of
    its newest object only while nobody else writes to the list: it passes alone, and fails
    412 under load."""
    answered = state.steps[source.step - 1].request
    target = _literal_text(step.request.path) or ""
    path = _literal_text(answered.path) or ""
    if path == target:
        return True
    if answered.method not in ("POST", "PUT") or not target.startswith(path.rstrip("/") + "/"):
        return False
    made = target[len(path.rstrip("/")) + 1:].split("/", 1)[0]
    response = state.steps[source.step - 1].response
    return bool(made) and response is not None and (
        made in (response.text or "") or any(made in v for _, v in response.headers))


def _links_to(source: Source, step: ir.Step) -> bool:
    """Is ``source`` a link source whose link's path is the path ``step`` requests?"""
    path = next((v for k, v in source.anchors if k == PATH_ANCHOR), None)
    return path is not None and path == unquote(_literal_text(step.request.path) or "")


def _version_source(value: str, sources: list[Source], step: ir.Step, state: _State,
                    key: str) -> Source | None:
    """The version of the object this request edits (:func:`.rank.version_source`), sent
    under ``key`` (``version``, ``lock_version``): from the latest answer before this request
    that held it under a name of the same words, of the same object where both name one
    (:func:`.rank.stamp_agrees`; a list's row only by that object's id). A version is no
    token: every object edited as often has it, so only its name and its object tell which
    one is meant."""
    started = getattr(step, "started", None)
    sent_at = started.timestamp() if started is not None else None
    latest = None
    for s in sources:
        if s.step >= step.number or not rank.version_source(s) or \
                not rank.stamp_agrees(s, key, state.owner):
            continue
        if s.owner != state.owner and any(type(part) is int for part in s.path):
            continue  # a row of a list, not named by the id of the object sent
        if sent_at is not None and _answered_after(s.step, sent_at, state):
            continue
        if latest is None or s.step > latest.step:
            latest = s
    return latest


def _filled_source(value: str, sources: list[Source], step: ir.Step, state: _State,
                   key: str) -> Source | None:
    """The field of that very name that the latest form before this request showed filled in
    with ``value`` (:func:`.html._prefilled`), sent back unchanged: read from the live page, as
    a browser sends what the page put there. A settings page's other fields, sent as recorded,
    would write the recording's values over the server's."""
    latest = None
    for s in sources:
        if s.prefilled and s.how.partition(" ")[2] == key and s.step < step.number and (
                latest is None or s.step > latest.step):
            latest = s
    return latest


def _cookie_var(value: str, cookie: tuple[str, str], step: ir.Step, state: _State) -> str:
    """A variable read from the cookie jar just before this step's request is sent."""
    name, how = cookie
    var = state.cookie_vars.get(cookie)
    if var is None:
        port = _port_match(name, step, state)  # csrf_token_P5000: the variable csrf_token
        base = name if port is None else name[:port.start()] + name[port.end():]
        # named by the name as the server meant it (ikiwiki_session_Zoo%20wiki: "Zoo wiki")
        var = state.cookie_vars[cookie] = _unique(identifier(unquote(base)) or "cookie", state)
        state.report.append({"var": var, "source_step": step.number,
                             "how": f"cookie {name}"[:60], "value": value})
    at_step = state.generated_at.setdefault(step.number, [])
    if not any(g.var == var for g in at_step):
        named = _cookie_name(name, step, state)
        at_step.append(ir.Generated(var=var, kind="cookie", recorded=value,
                                    used_by=(step.number,), name=name, decode=how,
                                    name_template=named))
    return var


# a part of a cookie's name that a server may name per instance: letters and digits, both,
# between "-", "_", "." or the name's ends (Syncthing's CSRF-Token-V2P2U: the device ID's first
# characters). Not after another character: in ikiwiki's ikiwiki_session_Zoo%20wiki, "20wiki"
# is an escaped space and a word of the wiki's name
_NAME_PART = re.compile(r"(?<![^-_.])(?=[A-Za-z]*[0-9])(?=[0-9]*[A-Za-z])[A-Za-z0-9]{4,64}"
                        r"(?![^-_.])")


# a part of letters only, after the name's first: the server's only where it says so (below)
_LETTER_PART = re.compile(r"(?<=[-_.])[A-Za-z]{4,64}(?![^-_.])")
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


def _cookie_name(name: str, step: ir.Step, state: _State) -> ir.Template | None:
    """A cookie's name as read at run time when a part of it may be the server's (see
    :data:`_NAME_PART`; a part of letters only where :func:`_names_itself` says so): that part
    read from the jar's cookie names by the name's shape (``cookie_part``, once, where it is
    first needed), else None. A name that is the same on every server matches its own shape:
    the same cookie is read."""
    if (named := _port_in_name(name, step, state)) is not None:
        return named
    match = _NAME_PART.search(name) or next(
        (m for m in _LETTER_PART.finditer(name) if m.group() in state.cookie_parts
         or _names_itself(m.group(), step, state)), None)
    if match is None:
        return None
    part = match.group()
    var = state.cookie_parts.get(part)
    if var is None:
        base = identifier(name[:match.start()].strip("-_.")) or "cookie"
        var = state.cookie_parts[part] = _unique(f"{base}_name", state)
        # the kinds of characters the recorded part has: V2P2U → [A-Z0-9]{5}
        chars = ("A-Z" if any(c.isupper() for c in part) else "") + (
            "a-z" if any(c.islower() for c in part) else "") + "0-9"
        shape = f"{re.escape(name[:match.start()])}([{chars}]{{{len(part)}}})" \
                f"{re.escape(name[match.end():])}"
        state.generated_at.setdefault(step.number, []).append(ir.Generated(
            var=var, kind="cookie_part", recorded=part, used_by=(step.number,), name=shape))
        state.report.append({"var": var, "source_step": step.number,
                             "how": f"the name of cookie {name}"[:60], "value": part})
    return ir.Template(ir.merge_parts([name[:match.start()], ir.VarRef(var),
                                       name[match.end():]]))


def _port_in_name(name: str, step: ir.Step, state: _State) -> ir.Template | None:
    """A cookie's name with the port of the server it came from in it, as the live port of the
    server under test (``live_port``): OctoPrint names its cookies ``csrf_token_P5000``, since a
    host's cookies are shared by all its ports; a replay on port 8080 has ``csrf_token_P8080``.
    Else None (see :func:`_port_match`)."""
    match = _port_match(name, step, state)
    if match is None:
        return None
    if not state.port_var:
        state.port_var = _unique("port", state)
        state.generated_at.setdefault(step.number, []).append(ir.Generated(
            var=state.port_var, kind="port", recorded=match["port"], used_by=(step.number,)))
        state.report.append({"var": state.port_var, "source_step": step.number,
                             "how": "the port of --host", "value": match["port"]})
    return ir.Template(ir.merge_parts([name[:match.start("port")], ir.VarRef(state.port_var),
                                       name[match.end():]]))


def _port_match(name: str, step: ir.Step, state: _State) -> re.Match[str] | None:
    """Where the port of the main origin stands in a cookie's name as a part by itself (between
    ``-``, ``_``, ``.`` or the ends; one letter, ``lead``, may lead it), for a request to the
    main origin; else None."""
    if step.request.origin != state.main_origin:
        return None
    url = urlsplit(step.request.origin)
    try:
        port = str(url.port or (443 if url.scheme == "https" else 80))
    except ValueError:
        return None
    return re.search(rf"(?:^|(?<=[-_.]))(?P<lead>[A-Za-z]?)(?P<port>{port})(?=$|[-_.])", name)


def _names_itself(part: str, step: ir.Step, state: _State) -> bool:
    """Whether a response before ``step`` had a header whose value is a longer token that
    begins with ``part``: the server named itself so (Syncthing's ``X-Syncthing-Id:
    XSMAOXM-U5PMDHS-…`` beside its cookie ``CSRF-Token-XSMAO``; a device ID's first five
    characters are letters in a third of them, digits and letters in the rest)."""
    for earlier in state.steps:
        if earlier.number > step.number:
            break
        if earlier.response is not None and any(
                len(value) >= len(part) + 8 and value.startswith(part) and _TOKEN.fullmatch(value)
                for _, value in earlier.response.headers):
            return True
    return False


def _extraction_for(source: Source, step: ir.Step, state: _State) -> str:
    if source.anchors and not any(isinstance(v, (ir.VarRef, ir.Template))
                                  for _, v in source.anchors):
        source = _anchored(source, state)
    spec = (source.kind, source.expr, source.path, source.name, source.decode, source.header)
    per_step = state.extractions.setdefault(source.step, {})
    # one variable per spec (a rotating token is re-assigned page after page), unless another
    # value of it is still needed: then self.<var> would hold the wrong one at this step; on
    # one page, the anchors too tell two values apart (two links' nonces, two forms' tokens)
    known = [v for v, a in per_step.items()
             if (a.source.kind, a.source.expr, a.source.path, a.source.decode, a.source.header,
                 a.source.anchors) == (*spec[:3], *spec[4:], source.anchors)]
    var = next((v for v in (*known, state.var_of.get(spec)) if v is not None
                and (v in known or v not in per_step)
                and _free(v, source.step, step.number, state)), None)
    if var is None:
        var = _unique(source.name, state)
        state.var_of[spec] = var
    existing = per_step.get(var)
    if existing is not None:
        existing.use(source, step.number)
        return var
    bisect.insort(state.assigned.setdefault(var, []), source.step)
    state.numeric[var] = state.numeric.get(var, False) or source.is_number
    per_step[var] = _Assignment(source, [step.number], step.number)
    state.report.append({"var": var, "source_step": source.step, "how": _how(source),
                         "value": source.value})
    return var


def _anchored(source: Source, state: _State) -> Source:
    """A link source whose anchors that were handed out earlier (the object's id) become the
    variables holding them when the link's page is read; an anchor that only holds such a
    value (``returnto=Zoo note 1796184473729``, a name the client made) becomes a template.

    A token no earlier answer handed out is dropped: the link's own page made it for this
    session (Keycloak's login form, ``?session_code=…&execution=…&tab_id=…``: each of the three
    is new on a fresh server), so the recorded one would find no link at all."""
    at = _At(source.step)
    anchors: list[tuple[str, str | ir.VarRef | ir.Template]] = []
    stale_path = None
    for name, value in source.anchors:
        if name == PATH_ANCHOR:
            path = _anchor_path(str(value), at, state)
            if path is not None:
                anchors.append((name, path))
            else:
                stale_path = value
            continue
        var = _lookup(str(value), at, state, whole=True, key=name)  # type: ignore[arg-type]
        text = ir.VarRef(var) if var else _anchor_text(str(value), name, at, state)
        if text == value and token_like(value):  # type: ignore[arg-type]
            continue
        anchors.append((name, text))
    if stale_path is not None and not anchors and not source.first_link:
        # nothing else tells this link from the page's first: the recorded path, which a
        # fresh server's page has not (the step fails, saying so, not reading another's)
        anchors.append((PATH_ANCHOR, stale_path))
    return replace(source, anchors=tuple(anchors))


def _anchor_path(path: str, at: _At, state: _State) -> str | ir.Template | None:
    """A link's path (``/notes/22751/export``) with the objects' ids in it that were handed
    out before the link's page (or made up by the client) as their variables, each looked up
    as a request path's segment is, under the route word before it; None when a segment that
    names an object is not known then (the path would name the recorded object only)."""
    parts: list[ir.Part] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if i:
            parts.append("/")
        if ";" in segment:  # a path parameter (;jsessionid=…): this session's, not known
            return None
        if not object_segment(segment):
            parts.append(segment)
            continue
        made = state.generated.get(segment)
        if made is not None and made.used_by[0] <= at.number:
            parts.append(ir.VarRef(made.var))
            continue
        var = _lookup(segment, at, state, whole=True, key="",  # type: ignore[arg-type]
                      place="/" + segments[i - 1] if i else "/")
        if var is None:
            return None
        parts.append(ir.VarRef(var))
    return ir.Template(ir.merge_parts(parts))


# what the client makes up that can name the object it creates (not a cookie it reads)
_NAMING_KINDS = frozenset({"uuid4", "epoch_ms", "epoch_s"})  # rows.CLIENT_MADE finds them


# how much later than a request a response the request read may seem to end: the HAR's times
# are rounded to the millisecond, and its "time" sums rounded phases
_CLOCK = 0.005
_SLOW = 1.0  # seconds a response must have been open for _answered_after to judge it


def _answered_after(number: int, sent_at: float, state: _State) -> bool:
    """Whether step ``number``'s response, open a second or more, was complete only after a
    request sent at ``sent_at`` (a slow XHR still loading when the user went on; long polls are
    not steps at all, see ``filter._long_polls``): what it says was not known to that request,
    which reads an earlier source if there is one. Only where the recording's clock cannot be
    off by that much: a request sent earlier, not at the same time (some exporters give every
    entry one time), open that long (a tool that makes HARs may overlap its entries by
    milliseconds where a browser could not have)."""
    began, ended = state.timed.get(number, (sent_at, sent_at))
    return began < sent_at and ended > sent_at + _CLOCK and ended - began >= _SLOW


# an XPath that picks one of several elements by its place: "(//input[@name='delete']/@value)[5]",
# "normalize-space((//td[not(*)])[9])"
_BY_POSITION = re.compile(r"\)\[[0-9]+\]")


def _picks_from_list(source: Source) -> bool:
    """Whether a source reads one of a page's many values by where it is, not by what it is
    about: an XPath by position, the first link whose query also holds some values (a session's
    token names no object), the first match of a regex. The answer of the request that made
    the object is about it."""
    return not source.creates and (source.kind in ("link", "regex") or source.kind == "xpath"
                                   and _BY_POSITION.search(source.expr) is not None)


def _holds_made(value: str, step: ir.Step, state: _State) -> bool:
    """Whether ``value`` holds, beside other text, a time or uuid the client made before
    ``step`` (PostfixAdmin's mailbox ``zoo@zoo-1796420818276.example``, in a domain named by the
    time): the name the user gave, which the server lists back. Read from a list by its place,
    it is another row's on a fresh server or with other users; it is made from that value
    instead (:func:`_text`)."""
    return any(made.kind in _NAMING_KINDS and made.used_by[0] < step.number
               and made.recorded != value and made.recorded in value
               for made in state.generated.values())


def _row_anchored(source: Source, state: _State) -> Source | None:
    """A row source (see :mod:`.rows`) read by the row that holds a value the client made
    before the listing was answered (the name it gave the object): the variable holding it;
    None when no such value is in the row alone. A JSON array's element is also found by a
    name the user typed before (sent whole in an unsafe request's form or JSON: tt-rss's
    ``caption=Zoo label``, then the label tree's ``{"bare_id": 50719, "name": "Zoo label"}``),
    which it alone holds: ``exact``, a leaf equal to it (the run-time ``from_json_row``)."""
    (side, tokens), *more = source.anchors
    if not isinstance(tokens, str):
        return source  # resolved when an earlier request looked it up
    kind = JSON_ROW if source.kind == "json" else source.kind
    for token in tokens.split():
        made = state.generated.get(token)
        if made is not None and made.kind in _NAMING_KINDS and \
                made.used_by and made.used_by[0] < source.step:
            return replace(source, kind=kind, anchors=((side, ir.VarRef(made.var)),))
    for _, names in more:
        for name in names:  # type: ignore[union-attr]
            if state.typed.get(name, source.step) < source.step:
                return replace(source, kind=kind, anchors=(("exact", ir.Template((name,))),))
    return None


def _anchor_text(text: str, key: str, at: _At, state: _State) -> str | ir.Template:
    """``text`` with the values inside it that are already variables (handed out before the
    link's page, or made up by the client) replaced by them; ``text`` if there are none."""
    parts: list[ir.Part] = []
    last = 0
    for start, token, candidates in _tokens(text, state.tokens):
        for candidate in candidates:
            made = state.generated.get(candidate)
            if made is not None and made.used_by[0] > at.number:
                break  # made up after the link's page: not known when it is read
            name = made.var if made is not None else _lookup(
                candidate, at, state, whole=False, key=key)  # type: ignore[arg-type]
            if name:
                offset = start + token.index(candidate)
                parts += [text[last:offset], ir.VarRef(name)]
                last = offset + len(candidate)
                break
    if not parts:
        return text
    parts.append(text[last:])
    return ir.Template(ir.merge_parts(parts))


@dataclass(frozen=True, slots=True)
class _At:
    """Where a link source's anchors are looked up: its own step (values before it)."""

    number: int


def _how(source: Source) -> str:
    """How the value is extracted, for the report (JSON paths spelled out only when used)."""
    if source.kind == JSON_ROW and not source.how:  # the array, and the name of the element
        at = max(i for i, key in enumerate(source.path) if isinstance(key, int))
        anchor = source.anchors[0][1]
        named = anchor.name if isinstance(anchor, ir.VarRef) else \
            repr(anchor.text) if isinstance(anchor, ir.Template) else repr(anchor)
        return ("JSON " + "".join(f"[{p!r}]" for p in source.path[:at])
                + f" element holding {named}")
    if source.how or source.kind != "json":
        return source.how
    return "JSON " + "".join(f"[{p!r}]" for p in source.path)


def _free(var: str, source_step: int, use_step: int, state: _State) -> bool:
    """Can ``var`` hold the value of ``source_step`` from its response up to ``use_step``?

    Looks only at the steps that assign ``var`` (kept sorted), so a token re-assigned on
    thousands of pages costs a binary search, not a scan.
    """
    steps = state.assigned.get(var, [])
    i = bisect.bisect_right(steps, source_step)
    if i < len(steps) and steps[i] < use_step:
        return False  # re-assigned in between
    for number in reversed(steps[max(0, i - 8):i]):  # the recent older values
        if number != source_step and state.extractions[number][var].last_use > source_step:
            return False  # an older value is still sent after this source overwrites it
    return True


def _source_is_number(var: str, state: _State) -> bool:
    return state.numeric.get(var, False)


def _unique(base: str, state: _State) -> str:
    base = base or "value"
    if base[0].isdigit():
        base = "v_" + base
    # resume at the name the last search for this base ended with: names are never freed, so
    # the ones before it are still taken (thousands of ``tags`` values would otherwise retry
    # ``tags``, ``tags_2`` ... each time)
    n = state.next_suffix.get(base, 2)
    name = base if n == 2 else f"{base}_{n - 1}"
    while name in state.names or name in state.reserved or keyword.iskeyword(name):
        name, n = f"{base}_{n}", n + 1
    state.names.add(name)
    state.next_suffix[base] = n
    return name


# --- the first pass: what the requests may look up ----------------------------------------------


def _wanted_values(steps: tuple[ir.Step, ...], tokens: dict[str, list]) -> dict[str, int]:
    """Every value a request may look up, mapped to the last step that may look it up.

    A superset of what the use sites above ask :func:`_lookup` (they stop at the first value
    that matches; this pass takes them all), so leaving out the other response values loses no
    source that could ever be chosen. A new use site needs its line here too: a value this
    pass misses would silently stay a recorded constant (a test checks the two agree).
    """
    last: dict[str, int] = {}
    for step in steps:
        number = step.number
        for value in _looked_up(step.request, tokens):
            if last.get(value, -1) < number:
                last[value] = number
    return last


def _wanted_until(steps: tuple[ir.Step, ...], wanted: dict[str, int]) -> dict[str, int]:
    """``wanted`` as :func:`_body_sources` may read it before the pass: each value mapped to
    the first step whose response no longer looks for it.

    During the pass a value stops being wanted after the last request that may look it up
    (``wanted``) and also once a request has sent it (``_substitute_request`` drops it). Which
    values a request sends depends on the pass, but some it sends whatever happens
    (:func:`_always_sent`): the earliest of those bounds it too. The result is still a superset
    of what the pass wants at each response, and :func:`_register_sources` filters; without the
    second bound a 10,000-entry recording made 78,000 sources to keep 3,800.
    """
    until = dict(wanted)
    for step in steps:
        for value in _always_sent(step.request):
            if until.get(value, -1) > step.number and not (
                    value.isdigit() and len(value) < MIN_TOKEN):  # those stay wanted
                until[value] = step.number
    return until


def _always_sent(request: ir.Request) -> Iterator[str]:
    """Values :func:`_substitute_request` adds to ``sent`` whatever it finds (it mirrors
    :func:`_path` and :func:`_text`, which record each whole literal value they are given)."""
    path = _literal_text(request.path)
    if path is not None:
        yield from (unquote(segment) for segment in path.split("/") if segment)
    texts = [q.value for q in request.query]
    yield from (q.name for q in request.query if token_name(q.name))  # as _query
    texts += [h.value for h in request.headers if h.name.lower() not in UNTOUCHED_HEADERS]
    body = request.body
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        texts += [value for _, value in body.fields]
        # _body (_field_name): the names that are tokens
        yield from (name for name, _ in body.fields if token_name(name))
    elif isinstance(body, ir.RawBody) and body.text is not None:
        texts.append(body.text)
    for template in texts:
        text = _literal_text(template)
        if text and len(text) <= 1_000_000:
            yield text
    if isinstance(body, ir.JsonBody):  # what _json sends: each int and string leaf
        for leaf in ir.json_leaves(_json_sent(body)):
            if isinstance(leaf, int) and not isinstance(leaf, bool):
                yield str(leaf)
            elif isinstance(leaf, str) and leaf and len(leaf) <= 1_000_000:
                yield leaf


def _looked_up(request: ir.Request, tokens: dict[str, list]) -> Iterator[str]:
    """What :func:`_substitute_request` may look up in this request (mirrors it)."""
    if request.path.is_literal:
        segments = request.path.text.split("/")
        yield from (unquote(segment) for segment in segments if segment)
        yield from (slug[1] for segment in segments[2:] if (slug := slug_id(segment)))
        yield from (unquote(keyed[1]) for segment in segments[1:]
                    if "(" in segment or "." in segment
                    if (keyed := keyed_id(segment)))
    for q in request.query:
        yield from _text_values(q.value, tokens, whole=True)
        yield from _name_values(q.name)
    for h in request.headers:
        if h.name.lower() not in UNTOUCHED_HEADERS:
            yield from _text_values(h.value, tokens, whole=True)
    body = request.body
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        for name, value in body.fields:
            yield from _text_values(value, tokens, whole=True)
            yield from _name_values(name)
    elif isinstance(body, ir.JsonBody):
        yield from _json_values(_json_sent(body), tokens)
    elif isinstance(body, ir.RawBody) and body.text is not None:
        yield from _text_values(body.text, tokens, whole=False)
        text = _literal_text(body.text)
        if text and XML_MIME.match(body.mime_type) and len(text) <= 1_000_000:
            yield from (match.group(3) for match in _XML_LEAF.finditer(text))


def _name_values(name: str) -> Iterator[str]:
    """What :func:`_field_name` may look up in a field's or a parameter's name: the whole name
    when it is a token (Joomla's CSRF token), else the ids inside it (``chk_40752``)."""
    if token_name(name):
        yield name
    elif any(ch.isdigit() for ch in name):
        yield from (match.group(1) for match in _ID_IN_NAME.finditer(name)
                    if match.group(1) != name)


def _text_values(template: ir.Template, tokens: dict[str, list], *,
                 whole: bool) -> Iterator[str]:
    """What :func:`_text` may look up: the whole text, then its tokens."""
    text = _literal_text(template)
    if text:
        yield from _str_values(text, tokens, whole=whole)


def _str_values(text: str, tokens: dict[str, list], *, whole: bool) -> Iterator[str]:
    if len(text) > 1_000_000:
        return
    if whole:
        yield text
    for _, _, candidates in _tokens(text, tokens):
        yield from candidates
    for _, digits, _ in named_ids(text):
        yield digits


def _json_sent(body: ir.JsonBody) -> object:
    """The body's JSON less what :func:`_json` leaves alone in a document's changes: names
    (an array's key member, an object's removed members), not values."""
    if not body.base:  # a JSON-RPC call's id is its own count (see _body)
        if json_rpc_call(body.value) and "id" in body.value:
            return {k: v for k, v in body.value.items() if k != "id"}
        return body.value

    def values(node: object) -> object:
        if isinstance(node, dict):
            names = ("$key",) if "$key" in node else ("$key", "$remove")
            return {k: [values(items) for _, items in v] if k == "$after" else values(v)
                    for k, v in node.items() if k not in names}
        if isinstance(node, list):
            return [values(v) for v in node]
        return node

    return values(body.value)


def _json_values(value: object, tokens: dict[str, list]) -> Iterator[str]:
    """What :func:`_json` may look up, leaf by leaf in document order (a walk with a stack: a
    nested generator per level cost more than the leaves' own work)."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(reversed(value.values()))
        elif isinstance(value, list):
            stack.extend(reversed(value))
        elif isinstance(value, bool) or value is None or isinstance(value, float):
            continue
        elif isinstance(value, int):
            yield str(value)
        elif isinstance(value, str) and value:
            yield from _str_values(value, tokens, whole=True)


# --- values the client makes up ----------------------------------------------------------------


def _maybe_generated(value: str, key: str, step: ir.Step, state: _State) -> str | None:
    if (known := _made_token(value, state)) is not None:
        return known
    if UUID4.match(value):
        return _generate(value, "uuid4", key, step, state)
    if _client_id(value, key, step, state):
        return _generate(value, "token", key, step, state)
    return _maybe_time(value, key, step, state)


def _client_id(value: str, key: str, step: ir.Step, state: _State) -> bool:
    """Is ``value`` an id the page's script made up for what it asks the server to make
    (Superset's SQL Lab sends ``"client_id": "Zv4GPmGqktQ"``, a nanoid, with each query it
    runs, unique in the server's table: sent as recorded, every run after the first got a 500)?
    So it is when a request that writes sends it first, under a name that says the client
    made it (``client_id``, ``requestId``, ``tempId``, ``idempotency_key``: not ``video_id``,
    which names what some page showed, nor a bare ``id``), shaped as a random one (letters of
    both cases and digits), and nothing before held it: no answer, no cookie, no earlier
    request (a page the recording lacks held no such value: the client made it). Not an OAuth
    client's id (a registered one: the request speaks OAuth)."""
    if step.request.method in ("GET", "HEAD", "OPTIONS") or not _RANDOM_ID.fullmatch(value) \
            or not _CLIENT_ID_KEY.search(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower()) \
            or _speaks_oauth(step.request):
        return False
    if value in state.held_before:
        return False
    if _held_before(value, step, state):
        state.held_before.add(value)  # (once it is, it stays: one scan per value)
        return False
    return True


def _held_before(value: str, step: ir.Step, state: _State) -> bool:
    """Did a cookie, an answer or a request before ``step`` hold ``value``?"""
    if value in state.step_cookies or value in state.cookies:
        return True
    for earlier in state.steps[:step.number - 1]:
        response, request = earlier.response, earlier.request
        if response is not None and (value in (response.text or "") or any(
                value in header for _, header in response.headers)):
            return True
        if value in (_recorded_url(request) or "") or value in repr(request.body) or any(
                header.value.is_literal and value in header.value.text
                for header in request.headers):
            return True
    return False


def _made_token(value: str, state: _State) -> str | None:
    """The variable of a random id the client made (:func:`_client_id`), sent again."""
    known = state.generated.get(value)
    return known.var if known is not None and known.kind == "token" else None


# the name (snake-cased) of an id the client makes: client_id, request_id, temp_id, local_id,
# correlation_id, idempotency_key, cid; not a key, a token, a secret, nor what it names
_CLIENT_ID_KEY = re.compile(r"(^|_)(client|request|req|temp|tmp|local|correlation|idempotency|"
                            r"dedup|dedupe|nonce|trace)_?(id|key|uid)$|(^|_)cid$")
# a random id: letters of both cases and digits (nanoid, shortid), 8 to 64 of them
_RANDOM_ID = re.compile(r"(?=[^a-z]*[a-z])(?=[^A-Z]*[A-Z])(?=[^0-9]*[0-9])[A-Za-z0-9_-]{8,64}")
_OAUTH_NAMES = frozenset({"grant_type", "response_type", "redirect_uri", "client_secret",
                          "code_verifier", "refresh_token", "client_assertion"})


def _speaks_oauth(request: ir.Request) -> bool:
    """Does the request send OAuth's parameters (its ``client_id`` is a registered client's)?"""
    names = {q.name for q in request.query}
    body = request.body
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        names.update(k for k, _ in body.fields)
    elif isinstance(body, ir.JsonBody) and isinstance(body.value, dict):
        names.update(body.value)
    return not names.isdisjoint(_OAUTH_NAMES)


def _preview(value: str) -> str:
    return value if len(value) <= 24 else value[:10] + "…" + value[-8:]


_ANY_UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        re.I)


def _handed_out(value: str, step: ir.Step, state: _State) -> int | None:
    """The first step before ``step`` whose response holds the UUID ``value`` anywhere (text or
    a header), else None. A UUID a request sends is the client's own, made up at run time,
    only if no response handed it out: one the server made and no source reads (the lookup
    failed) is sent as recorded. The responses are read once each, only as far as needed."""
    steps = state.steps
    while state.uuids_scanned < len(steps) and steps[state.uuids_scanned].number < step.number:
        earlier = steps[state.uuids_scanned]
        state.uuids_scanned += 1
        response = earlier.response
        if response is None:
            continue
        texts = [header for _, header in response.headers]
        if response.text and len(response.text) < 20_000_000:
            texts.append(response.text)
        for text in texts:
            for found in _ANY_UUID4.findall(text):
                state.uuids_out.setdefault(found.lower(), earlier.number)
    return state.uuids_out.get(value.lower())


def _maybe_time(value: str, key: str, step: ir.Step, state: _State,
                in_name: bool = False) -> str | None:
    """A variable made fresh at run time for a time the client sent (``in_name``: inside a
    text, as part of a name), if ``value`` is one: within a day of the request."""
    if not value.isdecimal() or len(value) not in (10, 13) or step.started is None:
        return None
    seconds = int(value) / (1000 if len(value) == 13 else 1)
    if abs(seconds - step.started.timestamp()) > 86_400:
        return None
    return _generate(value, "epoch_ms" if len(value) == 13 else "epoch_s", key, step, state,
                     in_name)


def _generate(value: str, kind: str, key: str, step: ir.Step, state: _State,
              in_name: bool = False) -> str | None:
    known = state.generated.get(value)
    if known is not None:
        if in_name and not known.in_name:  # first sent alone, now inside a name
            named = replace(known, in_name=True)
            state.generated[value] = named
            made_at = state.generated_at[known.used_by[0]]
            made_at[made_at.index(known)] = named
        return known.var
    if kind == "uuid4" and (out_at := _handed_out(value, step, state)) is not None:
        # the server made it (a note's id): a new random UUID would name nothing
        state.unread.setdefault(value, (step.number, out_at))
        return None
    base = identifier(key.removeprefix("x-")) if key else ""
    var = _unique(base or ("request_uuid" if kind == "uuid4" else "timestamp"), state)
    generated = ir.Generated(var=var, kind=kind, recorded=value,  # type: ignore[arg-type]
                             used_by=(step.number,), in_name=in_name and kind == "epoch_s")
    state.generated[value] = generated
    if kind not in ("uuid4", "token"):
        state.generated_vars.add(var)  # an int at run time
    state.generated_at.setdefault(step.number, []).append(generated)
    state.report.append({"var": var, "source_step": step.number,
                         "how": f"generated ({kind})", "value": value})
    return var


# --- report ---------------------------------------------------------------------------------------


def _report_rows(state: _State, steps: list[ir.Step]) -> list[dict]:
    used: dict[tuple[str, int], list[int]] = {}
    for step in steps:
        for e in step.extractions:
            used[(e.var, step.number)] = list(e.used_by)
    for step in steps:  # cookies are read where they are sent
        for g in step.generated:
            if g.kind in ("cookie", "header_cookie"):
                first = next(r["source_step"] for r in state.report if r["var"] == g.var)
                used.setdefault((g.var, first), []).append(step.number)
    set_cookies = {(g.name, g.recorded): (g.var or g.name, step.number)
                   for step in steps for g in step.generated if g.kind == "set_cookie"}
    sent_cookies: dict[tuple[str, int], list[int]] = {}
    if set_cookies:  # a cookie the page's script set: the requests that sent it
        for step in steps:
            for pair in step.request.cookies:
                if pair in set_cookies:
                    sent_cookies.setdefault(set_cookies[pair], []).append(step.number)
    parts = {var: next(r["source_step"] for r in state.report if r["var"] == var)
             for var in (*state.cookie_parts.values(), *filter(None, [state.port_var]))}
    if parts:  # a cookie name's part: the requests whose cookie read or header name has it
        for step in steps:
            names = [g.name_template for g in step.generated if g.kind == "cookie"] + \
                [h.name_template for h in step.request.headers]
            for name in names:
                for ref in name.parts if name is not None else ():
                    if isinstance(ref, ir.VarRef) and ref.name in parts:
                        used.setdefault((ref.name, parts[ref.name]), []).append(step.number)
    generated = {g.var: g.used_by[0] for g in state.generated.values()}
    if generated:  # where the generated values are sent (a scan of every request)
        for step in steps:
            for ref in ir.request_refs(step.request):
                if ref in generated:
                    used.setdefault((ref, generated[ref]), []).append(step.number)
    rows = []
    for row in state.report:
        value = row.pop("value")
        preview = _preview(value)
        key = (row["var"], row["source_step"])
        # a cookie the page's script set (and the value made for it): the requests sending it
        uses = sorted(set(sent_cookies.get(key, []) if row["how"] == SCRIPT_COOKIE
                          else used.get(key) or sent_cookies.get(key, [])))
        rows.append({**row, "preview": preview, "used_by": uses})
    return rows


