"""Correlation: recorded tokens, ids and nonces become values taken from the live responses.

Record-based, in one pass over the steps (FIELD-NOTES §2):

1. Before step *n* is sent, each value it sends (path segment, query value, header value or a
   token inside one, form field, JSON leaf, token in a raw body) is looked up in an index of the
   values earlier responses handed out. A hit is replaced by ``self.<var>``, extracted from the
   **nearest** preceding response of the best kind (an input, meta tag, JSON field or header
   beats a link or a regex over a script), so tokens that rotate on every page stay right.
2. Values the client sent before any response handed them out are constants (user input, known
   ids) and never become sources. Short values (``17``) only match as a whole value and only
   from structured sources with an id-like name; long ones also match as tokens inside text.
3. Values the client made up itself (uuid4, epoch time close to the request's time) are
   regenerated at run time.
4. Every extraction is verified against the recorded response before it is used.

Index lookups only (a dict from value to sources, a tokenizer over use sites), so the cost is
linear in the size of the recording. A quick first pass over the requests collects every value
one of them may look up, with the last step that may: a response value that no later request
looks up, or that was sent already (rule 2), can never be used, so only the few that can are
turned into sources and indexed (3,750 of the 286,000 values the responses of the 10,000-entry
benchmark hand out).
"""

from __future__ import annotations

import bisect
import functools
import json
import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from urllib.parse import unquote, urlsplit

from lxml import etree
from lxml import html as lxml_html

from .. import ir
from ..options import Options
from .grouping import RESERVED, identifier

MIN_TOKEN = 8  # shortest value matched inside a longer text
MAX_VALUE = 4096  # longest value considered at all
COMMON = frozenset({"true", "false", "null", "none", "yes", "no", "on", "off", "undefined",
                    "get", "post", "put", "delete", "json", "html", "text", "bearer", "basic"})
ID_NAME = re.compile(r"(^|[_\-.])(id|uuid|guid|key|token|nonce|code|ref|slug)$|Id$|ID$")
TOKEN = re.compile(r"[A-Za-z0-9_\-.~+/=]+")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)
URL_SAFE = re.compile(r"^[A-Za-z0-9_.~\-]+$")
INLINE_ASSIGNMENT = re.compile(
    r"""["']?([A-Za-z_$][\w$\-]*)["']?\s*[:=]\s*["']([^"'\s<>]{8,400})["']""")
SCRIPT_BLOCK = re.compile(r"<script\b[^>]*>(.*?)</script>", re.I | re.S)
HTML_MIME = ("text/html", "application/xhtml")
RANK_STRUCTURED, RANK_TEXT = 0, 1


@dataclass(frozen=True, slots=True)
class Source:
    """Where a response handed out a value and how to get it again at run time."""

    step: int  # step number
    value: str
    name: str  # suggested variable name
    kind: str  # Extraction.kind
    expr: str = ""
    path: tuple[str | int, ...] = ()
    rank: int = RANK_STRUCTURED
    is_number: bool = False
    how: str = ""  # for the report: "input csrf_token", "JSON access_token" ...
    id_like: bool = False


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
                             used_by=tuple(dict.fromkeys(self.used_by)), as_int=source.is_number)


@dataclass
class _State:
    options: Options
    ignore: list[re.Pattern[str]]
    reserved: set[str]
    # value → the last step that may look it up (see _wanted_values), for the values not sent
    # yet: a source of any other value, or found at that step or after it, is never used
    wanted: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, list] = field(default_factory=dict)  # text → _tokens(text)
    index: dict[str, list[Source]] = field(default_factory=dict)  # value → sources, in order
    sent: set[str] = field(default_factory=set)  # every value a request has sent so far
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


def correlate(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    if not options.correlate or not scenario.steps:
        return scenario
    state = _State(
        options=options,
        ignore=[re.compile(p) for p in options.ignore_values],
        reserved=set(RESERVED) | {g.method for g in scenario.groups} | {"origin"},
    )
    state.wanted = _wanted_values(scenario.steps, state.tokens)
    requests = []
    for step in scenario.steps:
        requests.append(_substitute_request(step, state))
        _register_sources(step, state)
    # extractions are known only at the end (a later request may use any earlier response)
    steps = [_finished(s, request, state)
             for s, request in zip(scenario.steps, requests, strict=True)]
    extra = dict(scenario.extra)
    extra["correlations"] = _report_rows(state, steps)
    return replace(scenario, steps=tuple(steps), extra=extra)


def _finished(step: ir.Step, request: ir.Request, state: _State) -> ir.Step:
    extractions = tuple(assignment.extraction(var) for var, assignment
                        in state.extractions.get(step.number, {}).items())
    generated = tuple(state.generated_at.get(step.number, ()))
    if request is step.request and extractions == step.extractions and \
            generated == step.generated:
        return step  # untouched (most steps of a large recording): no copy
    return replace(step, request=request, extractions=extractions, generated=generated)


# --- sources: what a response hands out --------------------------------------------------------


def _register_sources(step: ir.Step, state: _State) -> None:
    response = step.response
    if response is None:
        return
    found: list[Source] = []
    text = response.text
    mime = response.mime_type
    wanted = _Wanted(state.wanted, step.number)
    if not state.options.correlate_auto:  # verify --fix: only the rules below
        pass
    elif text and len(text) < 20_000_000:
        if "json" in mime or (text[:1] in "{[" and "html" not in mime):
            found.extend(_json_sources(step, text, wanted))
        elif mime.startswith(HTML_MIME) or text.lstrip()[:15].lower().startswith(
                ("<!doctype html", "<html")):
            found.extend(_html_sources(step, text, wanted))
        elif mime.startswith("text/plain") and 4 <= len(text.strip()) <= 200:
            found.extend(_plain_sources(step, text))
    if state.options.correlate_auto:  # after the body: a JSON id names itself best
        found.extend(_header_sources(step, response, wanted))
    for name, pattern in state.options.correlate_rules:  # the user's own rules come first
        match = re.search(pattern, text or "")
        if match and match.group(1):
            found.insert(0, Source(step.number, match.group(1), name, "regex", expr=pattern,
                                   how=f"rule {name}", id_like=True))
    found[:0] = _header_rule_sources(step, response, state.options)  # verify (issue 6)
    for source in found:
        if source.value not in wanted or not _eligible_source(source, state):
            continue
        state.index.setdefault(source.value, []).append(source)


@dataclass(frozen=True, slots=True)
class _Wanted:
    """The values a request after step ``after`` may look up: ``value in wanted``.

    The body parsers ask before they build a source, so the values nobody uses later (most of
    what a response hands out) cost a dict lookup and nothing more.
    """

    last_use: dict[str, int]  # _State.wanted
    after: int  # the step whose response is read

    def __contains__(self, value: object) -> bool:
        return self.last_use.get(value, -1) > self.after  # type: ignore[call-overload]


# --- verify (issue 6): rules over response headers, found by replaying -----------------------


def _header_rule_sources(step: ir.Step, response: ir.RecordedResponse,
                         options: Options) -> list[Source]:
    """Sources from ``Options.correlate_header_rules``: a Location rule becomes a ``location``
    extraction (its regex runs over the Location path); any other header is taken whole."""
    found = []
    for name, header, pattern in options.correlate_header_rules:
        value = response.header(header)
        if value is None:
            continue
        if header.lower() == "location":
            try:
                location = urlsplit(value)
            except ValueError:  # a Location no client could follow (http://[::1/x)
                continue
            relative = location.path + (f"?{location.query}" if location.query else "")
            match = re.search(pattern, relative)
            if match and match.group(1):
                found.append(Source(step.number, unquote(match.group(1)), name, "location",
                                    expr=pattern, how=f"rule {name} (Location)", id_like=True))
            continue
        match = re.search(pattern, value)
        if match and match.group(1) == value.strip():
            found.append(Source(step.number, value.strip(), name, "header", expr=header,
                                how=f"rule {name} (header {header})", id_like=True))
    return found


# --- end verify ---------------------------------------------------------------------------------


def _eligible_source(source: Source, state: _State) -> bool:
    value = source.value
    if not value or len(value) > MAX_VALUE or value.lower() in COMMON:
        return False
    if value in state.sent:  # the client knew it before this response: a constant
        return False
    if any(p.search(value) for p in state.ignore):
        return False
    if len(value) < 4 and not (source.id_like and source.rank == RANK_STRUCTURED):
        return False
    if source.rank == RANK_TEXT and len(value) < MIN_TOKEN:
        return False
    return not _looks_like_time_or_url(value)


_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d([T ][\d:.]+)?(Z|[+-]\d\d:?\d\d)?")


def _looks_like_time_or_url(value: str) -> bool:
    return value.startswith(("http://", "https://", "/")) or (
        value[:1].isdigit() and _ISO_TIME.fullmatch(value) is not None)


def _header_sources(step: ir.Step, response: ir.RecordedResponse,
                    wanted: _Wanted) -> Iterator[Source]:
    for name, value in response.headers:
        low = name.lower()
        if low == "location":
            yield from _location_sources(step, value)
        elif low == "etag":
            if value in wanted:
                yield Source(step.number, value, "etag", "header", expr=name, how="header ETag")
        elif _is_token_header(low) and value.strip() in wanted:
            yield Source(step.number, value.strip(), identifier(low.removeprefix("x-")) or "token",
                         "header", expr=name, how=f"header {name}", id_like=True)


@functools.lru_cache(maxsize=1024)
def _is_token_header(low: str) -> bool:
    """A response header that hands out a token (``X-CSRF-Token``, ``Authorization`` ...)."""
    return re.search(r"token|csrf|xsrf|session|nonce|auth", low) is not None and \
        low != "set-cookie"


def _location_sources(step: ir.Step, location: str) -> Iterator[Source]:
    try:
        path = urlsplit(location).path
    except ValueError:  # a Location no client could follow (http://[::1/x): nothing in it
        return
    segments = path.split("/")
    for i, segment in enumerate(segments):
        value = unquote(segment)
        if not value or not any(ch.isdigit() for ch in value) and len(value) < MIN_TOKEN:
            continue  # words like "notes" are routes, not handed-out values
        prefix = "/".join(segments[:i]) + "/"
        pattern = "^" + re.escape(prefix) + r"([^/?#]+)"
        parent = unquote(segments[i - 1]) if i > 0 else ""
        yield Source(step.number, value, id_name(parent), "location", expr=pattern,
                     how=f"Location segment {i}", id_like=True)


def _json_sources(step: ir.Step, text: str, wanted: _Wanted) -> list[Source]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return []
    leaves: list[tuple[tuple, str | int]] = []
    if isinstance(data, (dict, list)):
        _wanted_json_leaves(data, (), wanted.last_use, wanted.after, leaves)
    elif (isinstance(data, str) or type(data) is int) and str(data) in wanted:
        leaves.append(((), data))
    found = []
    for path, value in leaves:
        source = _json_source(step, path, value)
        if source is not None:
            found.append(source)
    return found


def _wanted_json_leaves(node: dict | list, path: tuple, last_use: dict[str, int], after: int,
                        out: list[tuple[tuple, str | int]]) -> None:
    """Append ``(path, leaf)`` for the string and int leaves in ``_Wanted(last_use, after)``,
    in document order (the first of several sources at one step wins); lists only up to their
    200th item.

    Recursion per container, not per leaf, a path tuple only for the leaves kept and the
    ``_Wanted`` test inlined: a large recording has millions of leaves and keeps a few thousand.
    """
    items = node.items() if isinstance(node, dict) else enumerate(node[:200])
    for key, item in items:
        if isinstance(item, str):
            if item in last_use and last_use[item] > after:
                out.append(((*path, key), item))
        elif type(item) is int:  # not bool: true/false, null and floats are never sources
            text = str(item)
            if text in last_use and last_use[text] > after:
                out.append(((*path, key), item))
        elif isinstance(item, (dict, list)):
            _wanted_json_leaves(item, (*path, key), last_use, after, out)


def _json_source(step: ir.Step, path: tuple, value: str | int) -> Source | None:
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    text = str(value)
    id_like = bool(ID_NAME.search(key))
    if len(text) < 4 and not id_like or len(text) > MAX_VALUE:
        return None  # never eligible (see _eligible_source): skip building the source
    parent = next((p for p in reversed(path[:-1]) if isinstance(p, str)), "") if path else ""
    if key.lower() == "id":
        name = id_name(parent or resource_name(step))
    else:
        name = identifier(key) or "value"
    return Source(step.number, text, name, "json", path=path,
                  is_number=isinstance(value, int), id_like=id_like)  # how: see _how


def _html_sources(step: ir.Step, text: str, wanted: _Wanted) -> Iterator[Source]:
    try:
        tree = lxml_html.fromstring(text)
    except (etree.ParserError, ValueError):
        return
    named, urls = _html_elements(tree)
    for tag, by_name in named.items():
        yield from _named_sources(step, tag, by_name, wanted)
    # links, form actions and inline scripts: regexes with boundaries from the recorded text
    for url in urls:
        if not url:
            continue
        for value, parent in _link_values(url):
            if value in wanted:
                yield from _regex_source(step, text, value, id_name(parent), f"link {url[:40]}")
    for script in SCRIPT_BLOCK.finditer(text):
        for match in INLINE_ASSIGNMENT.finditer(script.group(1)):
            if match.group(2) in wanted:
                yield from _regex_source(step, text, match.group(2),
                                         identifier(match.group(1)) or "value",
                                         f"script {match.group(1)[:30]}")


def _html_elements(tree: etree._Element) -> tuple[dict[str, dict[str, list[str]]],
                                                  list[str | None]]:
    """The values of ``<input name>`` and ``<meta name>`` (tag → name → values) and the
    links and form actions, in document order: one walk over the tree (a walk costs as much as
    all the rest of :func:`_html_sources`)."""
    named: dict[str, dict[str, list[str]]] = {"input": {}, "meta": {}}
    urls: list[str | None] = []
    for element in tree.iter("input", "meta", "a", "form"):
        tag = element.tag
        if tag == "a":
            urls.append(element.get("href"))
        elif tag == "form":
            urls.append(element.get("action"))
        else:
            name, value = element.get("name"), element.get(_VALUE_ATTR[tag])
            if name and value is not None:
                named[tag].setdefault(name, []).append(value)
    return named, urls


def _named_sources(step: ir.Step, tag: str, by_name: dict[str, list[str]],
                   wanted: _Wanted) -> Iterator[Source]:
    value_attr = _VALUE_ATTR[tag]
    for name, values in by_name.items():
        if _NOT_XML.search(name):
            continue  # lxml refuses such an XPath: the script would fail at import
        literal = _xpath_literal(name)
        for position, value in enumerate(values, start=1):
            if value not in wanted or value in values[:position - 1]:
                continue
            xpath = f"//{tag}[@name={literal}]/@{value_attr}"
            if len(set(values)) > 1:
                xpath = f"({xpath})[{position}]"
            yield Source(step.number, value, identifier(name) or tag, "xpath", expr=xpath,
                         how=f"{tag} {name}", id_like=True)


_VALUE_ATTR = {"input": "value", "meta": "content"}  # what <input name=..>, <meta name=..> hold


@functools.lru_cache(maxsize=4096)
def _link_values(url: str) -> tuple[tuple[str, str], ...]:
    """The path segments of a link that hold a digit (ids, not route words), unquoted, each
    with the segment before it (which names it). Cached: pages repeat their navigation.

    Only segments of at least MIN_TOKEN characters: a link is a text source (RANK_TEXT), and
    shorter text values are never eligible (see _eligible_source), so this skips building
    their regexes."""
    try:
        segments = urlsplit(url).path.split("/")
    except ValueError:  # a link no browser could follow (https://[your-domain]/api)
        return ()
    found = []
    for i, segment in enumerate(segments):
        value = unquote(segment)
        if len(value) >= MIN_TOKEN and any(ch.isdigit() for ch in value):
            found.append((value, segments[i - 1] if i else ""))
    return tuple(found)


def _plain_sources(step: ir.Step, text: str) -> Iterator[Source]:
    value = text.strip()
    if " " not in value:
        yield Source(step.number, value, id_name(resource_name(step)) if value.isdigit()
                     else "value", "regex", expr=r"^\s*(\S+)\s*$", how="plain-text body")


def _regex_source(step: ir.Step, text: str, value: str, name: str, how: str) -> Iterator[Source]:
    pattern = boundary_regex(text, value)
    if pattern:
        yield Source(step.number, value, name, "regex", expr=pattern, rank=RANK_TEXT, how=how,
                     id_like=True)


def boundary_regex(text: str, value: str) -> str | None:
    """A regex whose group 1 finds ``value`` at its first occurrence, from the text around it.

    The regex is ``left`` + ``([^right<>\\s]+)`` + ``right``; it is verified against the recorded
    text without compiling it (a page has many candidates), by finding where it would match
    first: at the first occurrence of ``left`` that a run of group characters and ``right``
    follow.
    """
    start = text.find(value)
    if start < 0:
        return None
    end = start + len(value)
    right = text[end:end + 1]
    group = f"([^{re.escape(right)}<>\\s]+)" if right else r"(\S+)"
    run = _group_run(right)
    for width in (12, 24, 48):
        left = text[max(0, start - width):start]
        if not left:
            return None
        if _first_match(text, left, run, right) == (start, end):
            return re.escape(left) + group + re.escape(right)
    return None


@functools.lru_cache(maxsize=256)
def _group_run(right: str) -> re.Pattern[str]:
    return re.compile(f"[^{re.escape(right)}<>\\s]+" if right else r"\S+")


def _first_match(text: str, left: str, run: re.Pattern[str], right: str) -> tuple[int, int]:
    """Where group 1 of ``left(run)right`` matches first in ``text``, or (-1, -1)."""
    position = text.find(left)
    while position >= 0:
        group_start = position + len(left)
        match = run.match(text, group_start)
        if match and (not right or text.startswith(right, match.end())):
            return group_start, match.end()
        position = text.find(left, position + 1)
    return -1, -1


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xpath_literal(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{p}'" for p in text.split("'")) + ")"


def resource_name(step: ir.Step) -> str:
    """The last route word of a step's path (``/api/notes/17`` → ``notes``)."""
    words = [w for w in "".join(p for p in step.request.path.parts if isinstance(p, str))
             .split("/") if w and not any(ch.isdigit() for ch in w)]
    return words[-1] if words else ""


def id_name(resource: str) -> str:
    """``notes`` → ``note_id``; empty → ``id``."""
    base = identifier(resource)
    if base.endswith("ies"):
        base = base[:-3] + "y"
    elif base.endswith("s") and not base.endswith("ss"):
        base = base[:-1]
    return f"{base}_id" if base else "id"


# --- uses: what a request sends back -------------------------------------------------------------


def _substitute_request(step: ir.Step, state: _State) -> ir.Request:
    request = step.request
    sent: list[str] = []
    path = _path(request.path, step, state, sent)
    query = tuple(_query(q, step, state, sent) for q in request.query)
    headers = tuple(_header(h, step, state, sent) for h in request.headers)
    body = _body(request.body, step, state, sent)
    state.sent.update(sent)
    for value in sent:  # a constant from now on: no later response is its source
        state.wanted.pop(value, None)
    if path is request.path and body is request.body and _same(query, request.query) and \
            _same(headers, request.headers):
        return request  # most requests send nothing correlated: no copies
    return replace(request, path=path, query=query, headers=headers, body=body)


def _same(new: tuple, old: tuple) -> bool:
    return all(a is b for a, b in zip(new, old, strict=True))


def _path(template: ir.Template, step: ir.Step, state: _State, sent: list[str]) -> ir.Template:
    text = _literal_text(template)
    if text is None:
        return template
    parts: list[ir.Part] = []
    for i, segment in enumerate(text.split("/")):
        if i:
            parts.append("/")
        value = unquote(segment)
        ref = _lookup(value, step, state, whole=True, key="") if segment else None
        if ref is None and segment and UUID4.match(value):
            ref = _generate(value, "uuid4", "uuid", step, state)
        if ref is not None:
            sent.append(value)
            parts.append(ir.VarRef(ref, "raw" if URL_SAFE.match(value) else "path"))
        else:
            if segment:
                sent.append(value)
            parts.append(segment)
    if template.parts == (text,) and all(isinstance(p, str) for p in parts):
        return template  # nothing replaced (and _merge would give the same parts)
    return ir.Template(_merge(parts))


UNTOUCHED_HEADERS = frozenset({"origin", "referer", "user-agent", "accept", "accept-language",
                               "content-type"})


def _query(param: ir.QueryParam, step: ir.Step, state: _State,
           sent: list[str]) -> ir.QueryParam:
    value = _text(param.value, step, state, sent, key=param.name, whole=True)
    return param if value is param.value else replace(param, value=value)


def _header(header: ir.Header, step: ir.Step, state: _State, sent: list[str]) -> ir.Header:
    low = header.name.lower()
    if low in UNTOUCHED_HEADERS:
        return header
    value = _text(header.value, step, state, sent, key=low, whole=True)
    return header if value is header.value else replace(header, value=value)


def _body(body: ir.Body | None, step: ir.Step, state: _State, sent: list[str]) -> ir.Body | None:
    if isinstance(body, ir.FormBody):
        return replace(body, fields=tuple(
            (k, _text(v, step, state, sent, key=k, whole=True)) for k, v in body.fields))
    if isinstance(body, ir.MultipartBody):
        return replace(body, fields=tuple(
            (k, _text(v, step, state, sent, key=k, whole=True)) for k, v in body.fields))
    if isinstance(body, ir.JsonBody):
        return replace(body, value=_json(body.value, "", step, state, sent))
    if isinstance(body, ir.RawBody) and body.text is not None:
        return replace(body, text=_text(body.text, step, state, sent, key="", whole=False))
    return body


def _json(value: object, key: str, step: ir.Step, state: _State, sent: list[str]) -> object:
    if isinstance(value, dict):
        return {k: _json(v, k, step, state, sent) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v, key, step, state, sent) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        name = _lookup(str(value), step, state, whole=True, key=key)
        sent.append(str(value))
        if name is None:
            name = _maybe_time(str(value), key, step, state)
        return ir.VarRef(name) if name else value
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
    parts: list[ir.Part] = []
    last = 0
    for start, token, candidates in _tokens(text, state.tokens):
        for candidate in candidates:
            name = _lookup(candidate, step, state, whole=False, key=key) or (
                _generate(candidate, "uuid4", key, step, state) if UUID4.match(candidate)
                else None)
            if name:
                offset = start + token.index(candidate)
                parts.append(text[last:offset])
                parts.append(ir.VarRef(name))
                last = offset + len(candidate)
                sent.append(candidate)
                break
        else:
            sent.append(token)
    if not parts:
        return template
    parts.append(text[last:])
    return ir.Template(_merge(parts))


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


def _lookup(value: str, step: ir.Step, state: _State, *, whole: bool, key: str) -> str | None:
    """The variable for the nearest, best source of ``value`` before this step."""
    sources = state.index.get(value)
    if not sources or not whole and len(value) < MIN_TOKEN:
        return None
    # one pass over the usable sources: the best rank, then the nearest step (ties kept in the
    # order they were found)
    at_nearest: list[Source] = []
    best_order = (RANK_TEXT + 1, 0)  # worse than any source
    id_like = False
    for s in sources:
        if s.step >= step.number:
            continue
        id_like = id_like or s.id_like
        order = (s.rank, -s.step)
        if order < best_order:
            best_order, at_nearest = order, [s]
        elif order == best_order:
            at_nearest.append(s)
    if not at_nearest or len(value) < 4 and not id_like:
        return None
    wanted_name = identifier(key)
    source = next((s for s in at_nearest if s.name == wanted_name), at_nearest[0])
    return _extraction_for(source, step, state)


def _extraction_for(source: Source, step: ir.Step, state: _State) -> str:
    spec = (source.kind, source.expr, source.path, source.name)
    per_step = state.extractions.setdefault(source.step, {})
    # one variable per spec (a rotating token is re-assigned page after page), unless another
    # value of it is still needed: then self.<var> would hold the wrong one at this step
    known = [v for v, a in per_step.items()
             if (a.source.kind, a.source.expr, a.source.path) == spec[:3]]
    var = next((v for v in (*known, state.var_of.get(spec)) if v is not None
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


def _how(source: Source) -> str:
    """How the value is extracted, for the report (JSON paths spelled out only when used)."""
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


def _looked_up(request: ir.Request, tokens: dict[str, list]) -> Iterator[str]:
    """What :func:`_substitute_request` may look up in this request (mirrors it)."""
    if request.path.is_literal:
        yield from (unquote(segment) for segment in request.path.text.split("/") if segment)
    for q in request.query:
        yield from _text_values(q.value, tokens, whole=True)
    for h in request.headers:
        if h.name.lower() not in UNTOUCHED_HEADERS:
            yield from _text_values(h.value, tokens, whole=True)
    body = request.body
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        for _, value in body.fields:
            yield from _text_values(value, tokens, whole=True)
    elif isinstance(body, ir.JsonBody):
        yield from _json_values(body.value, tokens)
    elif isinstance(body, ir.RawBody) and body.text is not None:
        yield from _text_values(body.text, tokens, whole=False)


def _text_values(template: ir.Template, tokens: dict[str, list], *,
                 whole: bool) -> Iterator[str]:
    """What :func:`_text` may look up: the whole text, then its tokens."""
    text = _literal_text(template)
    if not text or len(text) > 1_000_000:
        return
    if whole:
        yield text
    for _, _, candidates in _tokens(text, tokens):
        yield from candidates


def _json_values(value: object, tokens: dict[str, list]) -> Iterator[str]:
    """What :func:`_json` may look up."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _json_values(item, tokens)
    elif isinstance(value, list):
        for item in value:
            yield from _json_values(item, tokens)
    elif isinstance(value, bool) or value is None or isinstance(value, float):
        return
    elif isinstance(value, int):
        yield str(value)
    elif isinstance(value, str):
        yield from _text_values(ir.Template.literal(value), tokens, whole=True)


# --- values the client makes up ----------------------------------------------------------------


def _maybe_generated(value: str, key: str, step: ir.Step, state: _State) -> str | None:
    if UUID4.match(value):
        return _generate(value, "uuid4", key, step, state)
    return _maybe_time(value, key, step, state)


def _maybe_time(value: str, key: str, step: ir.Step, state: _State) -> str | None:
    if not value.isdecimal() or len(value) not in (10, 13) or step.started is None:
        return None
    seconds = int(value) / (1000 if len(value) == 13 else 1)
    if abs(seconds - step.started.timestamp()) > 86_400:
        return None
    return _generate(value, "epoch_ms" if len(value) == 13 else "epoch_s", key, step, state)


def _generate(value: str, kind: str, key: str, step: ir.Step, state: _State) -> str:
    known = state.generated.get(value)
    if known is not None:
        return known.var
    base = identifier(key.removeprefix("x-")) if key else ""
    var = _unique(base or ("request_uuid" if kind == "uuid4" else "timestamp"), state)
    generated = ir.Generated(var=var, kind=kind, recorded=value,  # type: ignore[arg-type]
                             used_by=(step.number,))
    state.generated[value] = generated
    if kind != "uuid4":
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
    generated = {g.var: g.used_by[0] for g in state.generated.values()}
    if generated:  # where the generated values are sent (a scan of every request)
        for step in steps:
            for ref in _refs(step.request):
                if ref in generated:
                    used.setdefault((ref, generated[ref]), []).append(step.number)
    rows = []
    for row in state.report:
        value = row.pop("value")
        preview = value if len(value) <= 24 else value[:10] + "…" + value[-8:]
        uses = sorted(set(used.get((row["var"], row["source_step"]), [])))
        rows.append({**row, "preview": preview, "used_by": uses})
    return rows


def _refs(request: ir.Request) -> Iterator[str]:
    templates = [request.path, *(q.value for q in request.query),
                 *(h.value for h in request.headers)]
    body = request.body
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        templates.extend(v for _, v in body.fields)
    elif isinstance(body, ir.RawBody) and body.text is not None:
        templates.append(body.text)
    for template in templates:
        yield from (r.name for r in template.refs())
    if isinstance(body, ir.JsonBody):
        for leaf in ir.json_leaves(body.value):
            if isinstance(leaf, ir.VarRef):
                yield leaf.name
            elif isinstance(leaf, ir.Template):
                yield from (r.name for r in leaf.refs())


def _merge(parts: list[ir.Part]) -> tuple[ir.Part, ...]:
    out: list[ir.Part] = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += part
                continue
        out.append(part)
    return tuple(out) or ("",)

