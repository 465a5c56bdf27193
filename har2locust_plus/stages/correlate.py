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
linear in the size of the recording.
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


@dataclass
class _State:
    options: Options
    ignore: list[re.Pattern[str]]
    reserved: set[str]
    index: dict[str, list[Source]] = field(default_factory=dict)  # value → sources, in order
    sent: set[str] = field(default_factory=set)  # every value a request has sent so far
    var_of: dict[tuple, str] = field(default_factory=dict)  # (kind, expr, path) → var
    names: set[str] = field(default_factory=set)
    extractions: dict[int, dict[str, ir.Extraction]] = field(default_factory=dict)
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
    steps = []
    for step in scenario.steps:
        request = _substitute_request(step, state)
        steps.append(replace(step, request=request))
        _register_sources(step, state)
    steps = [replace(s, extractions=tuple(state.extractions.get(s.number, {}).values()),
                     generated=tuple(state.generated_at.get(s.number, ())))
             for s in steps]
    extra = dict(scenario.extra)
    extra["correlations"] = _report_rows(state, steps)
    return replace(scenario, steps=tuple(steps), extra=extra)


# --- sources: what a response hands out --------------------------------------------------------


def _register_sources(step: ir.Step, state: _State) -> None:
    response = step.response
    if response is None:
        return
    found: list[Source] = []
    text = response.text
    mime = response.mime_type
    if not state.options.correlate_auto:  # verify --fix: only the rules below
        pass
    elif text and len(text) < 20_000_000:
        if "json" in mime or (text[:1] in "{[" and "html" not in mime):
            found.extend(_json_sources(step, text))
        elif mime.startswith(HTML_MIME) or text.lstrip()[:15].lower().startswith(
                ("<!doctype html", "<html")):
            found.extend(_html_sources(step, text))
        elif mime.startswith("text/plain") and 4 <= len(text.strip()) <= 200:
            found.extend(_plain_sources(step, text))
    if state.options.correlate_auto:  # after the body: a JSON id names itself best
        found.extend(_header_sources(step, response))
    for name, pattern in state.options.correlate_rules:  # the user's own rules come first
        match = re.search(pattern, text or "")
        if match and match.group(1):
            found.insert(0, Source(step.number, match.group(1), name, "regex", expr=pattern,
                                   how=f"rule {name}", id_like=True))
    found[:0] = _header_rule_sources(step, response, state.options)  # verify (issue 6)
    for source in found:
        if not _eligible_source(source, state):
            continue
        state.index.setdefault(source.value, []).append(source)


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
            location = urlsplit(value)
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


def _header_sources(step: ir.Step, response: ir.RecordedResponse) -> Iterator[Source]:
    for name, value in response.headers:
        low = name.lower()
        if low == "location":
            yield from _location_sources(step, value)
        elif low == "etag":
            yield Source(step.number, value, "etag", "header", expr=name, how="header ETag")
        elif re.search(r"token|csrf|xsrf|session|nonce|auth", low) and low != "set-cookie":
            yield Source(step.number, value.strip(), identifier(low.removeprefix("x-")) or "token",
                         "header", expr=name, how=f"header {name}", id_like=True)


def _location_sources(step: ir.Step, location: str) -> Iterator[Source]:
    path = urlsplit(location).path
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


def _json_sources(step: ir.Step, text: str) -> Iterator[Source]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return
    resource = resource_name(step)
    for path, value in _json_leaves(data, ()):
        if isinstance(value, bool) or value is None or isinstance(value, float):
            continue
        key = next((p for p in reversed(path) if isinstance(p, str)), "")
        text = str(value)
        id_like = bool(ID_NAME.search(key))
        if len(text) < 4 and not id_like or len(text) > MAX_VALUE:
            continue  # never eligible (see _eligible_source): skip building the source
        parent = next((p for p in reversed(path[:-1]) if isinstance(p, str)), "") if path else ""
        if key.lower() == "id":
            name = id_name(parent or resource)
        else:
            name = identifier(key) or "value"
        yield Source(step.number, text, name, "json", path=path,
                     is_number=isinstance(value, int), id_like=id_like)  # how: see _how


def _json_leaves(value: object, path: tuple) -> Iterator[tuple[tuple, object]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:200]):
            yield from _json_leaves(item, (*path, i))
    else:
        yield path, value


def _html_sources(step: ir.Step, text: str) -> Iterator[Source]:
    try:
        tree = lxml_html.fromstring(text)
    except (etree.ParserError, ValueError):
        return
    for attr, tag, value_attr in (("name", "input", "value"), ("name", "meta", "content")):
        by_name: dict[str, list[str]] = {}
        for element in tree.iter(tag):
            name, value = element.get(attr), element.get(value_attr)
            if name and value is not None:
                by_name.setdefault(name, []).append(value)
        for name, values in by_name.items():
            if _NOT_XML.search(name):
                continue  # lxml refuses such an XPath: the script would fail at import
            literal = _xpath_literal(name)
            for position, value in enumerate(values, start=1):
                if value in values[:position - 1]:
                    continue
                xpath = f"//{tag}[@{attr}={literal}]/@{value_attr}"
                if len(set(values)) > 1:
                    xpath = f"({xpath})[{position}]"
                yield Source(step.number, value, identifier(name) or tag, "xpath", expr=xpath,
                             how=f"{tag} {name}", id_like=True)
    # links, form actions and inline scripts: regexes with boundaries from the recorded text
    for element in tree.iter("a", "form"):
        url = element.get("href") if element.tag == "a" else element.get("action")
        if not url:
            continue
        for i, segment in enumerate(urlsplit(url).path.split("/")):
            value = unquote(segment)
            if value and any(ch.isdigit() for ch in value):
                yield from _regex_source(step, text, value, id_name(
                    urlsplit(url).path.split("/")[i - 1] if i else ""), f"link {url[:40]}")
    for script in SCRIPT_BLOCK.finditer(text):
        for match in INLINE_ASSIGNMENT.finditer(script.group(1)):
            yield from _regex_source(step, text, match.group(2),
                                     identifier(match.group(1)) or "value",
                                     f"script {match.group(1)[:30]}")


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
    query = tuple(replace(q, value=_text(q.value, step, state, sent, key=q.name, whole=True))
                  for q in request.query)
    headers = tuple(_header(h, step, state, sent) for h in request.headers)
    body = _body(request.body, step, state, sent)
    state.sent.update(sent)
    return replace(request, path=path, query=query, headers=headers, body=body)


def _path(template: ir.Template, step: ir.Step, state: _State, sent: list[str]) -> ir.Template:
    if not template.is_literal:
        return template
    parts: list[ir.Part] = []
    for i, segment in enumerate(template.text.split("/")):
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
    return ir.Template(_merge(parts))


def _header(header: ir.Header, step: ir.Step, state: _State, sent: list[str]) -> ir.Header:
    low = header.name.lower()
    if low in ("origin", "referer", "user-agent", "accept", "accept-language", "content-type"):
        return header
    return replace(header, value=_text(header.value, step, state, sent, key=low, whole=True))


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
        template = _text(ir.Template.literal(value), step, state, sent, key=key, whole=True)
        if template.is_literal:
            return value
        if len(template.parts) == 1 and isinstance(template.parts[0], ir.VarRef) and \
                not _source_is_number(template.parts[0].name, state) and \
                template.parts[0].name not in state.generated_vars:
            return template.parts[0]  # the whole string: keep it a plain value
        return template
    return value


def _text(template: ir.Template, step: ir.Step, state: _State, sent: list[str], *, key: str,
          whole: bool) -> ir.Template:
    """Replace correlated values in literal text: the whole value, or tokens inside it."""
    if not template.is_literal:
        return template
    text = template.text
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
    for match in TOKEN.finditer(text):
        token = match.group(0)
        if len(token) < MIN_TOKEN:
            continue
        candidates = [token]
        if "=" in token or "." in token:  # key=value and JWT-like pieces
            candidates += [p for p in re.split(r"[=]", token) if len(p) >= MIN_TOKEN]
        for candidate in candidates:
            name = _lookup(candidate, step, state, whole=False, key=key) or (
                _generate(candidate, "uuid4", key, step, state) if UUID4.match(candidate)
                else None)
            if name:
                offset = match.start() + token.index(candidate)
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


def _lookup(value: str, step: ir.Step, state: _State, *, whole: bool, key: str) -> str | None:
    """The variable for the nearest, best source of ``value`` before this step."""
    sources = state.index.get(value)
    if not sources:
        return None
    usable = [s for s in sources if s.step < step.number and (whole or len(value) >= MIN_TOKEN)]
    if not usable:
        return None
    if len(value) < 4 and not any(s.id_like for s in usable):
        return None
    best_rank = min(s.rank for s in usable)
    candidates = [s for s in usable if s.rank == best_rank]
    nearest = max(s.step for s in candidates)
    at_nearest = [s for s in candidates if s.step == nearest]
    wanted = identifier(key)
    source = next((s for s in at_nearest if s.name == wanted), at_nearest[0])
    return _extraction_for(source, step, state)


def _extraction_for(source: Source, step: ir.Step, state: _State) -> str:
    spec = (source.kind, source.expr, source.path, source.name)
    per_step = state.extractions.setdefault(source.step, {})
    # one variable per spec (a rotating token is re-assigned page after page), unless another
    # value of it is still needed: then self.<var> would hold the wrong one at this step
    known = [v for v, e in per_step.items() if (e.kind, e.expr, e.path) == spec[:3]]
    var = next((v for v in (*known, state.var_of.get(spec)) if v is not None
                and _free(v, source.step, step.number, state)), None)
    if var is None:
        var = _unique(source.name, state)
        state.var_of[spec] = var
    existing = per_step.get(var)
    if existing is None:
        bisect.insort(state.assigned.setdefault(var, []), source.step)
        state.numeric[var] = state.numeric.get(var, False) or source.is_number
    used = (*existing.used_by, step.number) if existing else (step.number,)
    per_step[var] = ir.Extraction(var=var, kind=source.kind, expr=source.expr,  # type: ignore
                                  path=source.path, recorded=source.value,
                                  used_by=tuple(dict.fromkeys(used)), as_int=source.is_number)
    if not existing:
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
        if number != source_step and max(
                state.extractions[number][var].used_by, default=0) > source_step:
            return False  # an older value is still sent after this source overwrites it
    return True


def _source_is_number(var: str, state: _State) -> bool:
    return state.numeric.get(var, False)


def _unique(base: str, state: _State) -> str:
    base = base or "value"
    if base[0].isdigit():
        base = "v_" + base
    name, n = base, 2
    while name in state.names or name in state.reserved or keyword.iskeyword(name):
        name, n = f"{base}_{n}", n + 1
    state.names.add(name)
    return name


# --- values the client makes up ----------------------------------------------------------------


def _maybe_generated(value: str, key: str, step: ir.Step, state: _State) -> str | None:
    if UUID4.match(value):
        return _generate(value, "uuid4", key, step, state)
    return _maybe_time(value, key, step, state)


def _maybe_time(value: str, key: str, step: ir.Step, state: _State) -> str | None:
    if not value.isdigit() or len(value) not in (10, 13) or step.started is None:
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

