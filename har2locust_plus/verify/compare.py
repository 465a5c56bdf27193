"""Compare a replay with the recording: per-step results, and the dynamic values it reveals.

Replay-based correlation (LoadRunner's second engine, FIELD-NOTES §2): a value that differs
between the recorded and the replayed response *at the same place*, and that a later recorded
request sends back, is dynamic. When the record-based stage did not correlate it, it becomes a
rule: a name from the text around it and a regex with boundaries from the recorded response,
verified to find the value there.

- Bodies are tokenized (runs of ``[A-Za-z0-9_\\-.~+/=]``, at least 4 long) and aligned with
  :class:`difflib.SequenceMatcher`; tokens of equal-length replaced blocks are paired. Within a
  pair, the common prefix and suffix up to a ``/`` are dropped (``/notes/792040/delete`` →
  ``792040``); the whole token only when that part is too short.
- Headers are compared by name; a ``Location`` path segment by segment.
- "Sent back" means the value appears as a whole word in a later request's URL, headers or body
  of a ``--no-correlate --keep-secrets`` conversion (the literal recorded requests). A value an
  earlier request (or this step's request) already sent was known to the client: not dynamic.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .. import ir
from ..stages.correlate import boundary_regex, id_name, resource_name
from ..stages.grouping import identifier
from .replay import Exchange
from .shapes import compare_json

TOKEN = re.compile(r"[A-Za-z0-9_\-.~+/=]{4,}")
MIN_VALUE, MAX_VALUE = 4, 400  # LoadRunner's scan limits
MAX_TOKENS = 50_000  # tokens compared per body
IGNORED_HEADERS = frozenset({"date", "set-cookie", "expires", "last-modified", "age",
                             "content-length", "server", "connection", "keep-alive",
                             "transfer-encoding", "vary"})


@dataclass(frozen=True, slots=True)
class StepResult:
    """One recorded step and what its replay did."""

    number: int
    method: str
    name: str  # request name without the step prefix, e.g. /notes/{note_id}
    recorded_status: int | None
    replayed_status: int | None  # None: not replayed
    failure: str | None
    checks: int | None  # checkpoints on the request (None: unknown, an existing locustfile)
    variables: tuple[tuple[str, str], ...]
    refused: bool = False
    elapsed_ms: float = 0.0
    iteration: int = 1
    json_error: str | None = None  # an error member the replayed JSON has, the recorded not
    missing_keys: tuple[str, ...] = ()  # keys of the recorded JSON the replayed one lacks

    @property
    def replayed(self) -> bool:
        return self.replayed_status is not None

    @property
    def ok(self) -> bool:
        return self.replayed and self.failure is None and self.json_error is None

    @property
    def problem(self) -> str | None:
        """Why the step failed: its check's message, else the error member that appeared."""
        return self.failure or self.json_error


@dataclass(frozen=True, slots=True)
class Finding:
    """A dynamic value the replay revealed that the script does not correlate."""

    name: str  # variable name
    value: str  # recorded
    replayed: str  # what the replay got at the same place
    source_step: int
    where: str  # "body" or a response header name
    regex: str | None  # group 1 finds the value (body: in the text; Location: in its path)
    used_by: tuple[int, ...]
    context: str  # the recorded text just before the value, for the report
    verified_on_replay: bool = False  # the regex also finds the replayed value

    @property
    def header(self) -> str | None:
        return None if self.where == "body" else self.where


def step_results(steps: tuple[ir.Step, ...], exchanges: tuple[Exchange, ...],
                 checks_known: bool, iteration: int = 1
                 ) -> tuple[tuple[StepResult, ...], tuple[Exchange, ...]]:
    """Results for every recorded step in one iteration's exchanges, and the exchanges that
    match no step."""
    by_step = map_exchanges(steps, exchanges)
    numbers = {s.number for s in steps}
    unmatched = tuple(e for e in exchanges if e.step not in numbers)
    if all(e.step is None for e in exchanges):  # names without step prefixes: by order
        unmatched = tuple(exchanges[len(steps):])
    results = []
    for step in steps:
        exchange = by_step.get(step.number)
        shape = compare_json(step.response.text if step.response else None,
                             exchange.text) if exchange and exchange.status else None
        results.append(StepResult(
            number=step.number,
            method=exchange.method if exchange else step.request.method,
            name=_plain_name(exchange.name) if exchange else ir.template_preview(
                step.request.path),
            recorded_status=step.response.status if step.response else None,
            replayed_status=exchange.status if exchange else None,
            failure=exchange.failure if exchange else None,
            checks=len(step.checks) if checks_known else None,
            variables=exchange.variables if exchange else (),
            refused=exchange.refused if exchange else False,
            elapsed_ms=exchange.elapsed_ms if exchange else 0.0,
            iteration=iteration,
            json_error=shape.error if shape else None,
            missing_keys=shape.missing if shape else (),
        ))
    return tuple(results), unmatched


def map_exchanges(steps: tuple[ir.Step, ...], exchanges: tuple[Exchange, ...]
                  ) -> dict[int, Exchange]:
    """Step number → the exchange that replayed it: by the ``"03 /login"`` name prefix, or in
    order when no request name carries one (a hand-written locustfile)."""
    if exchanges and all(e.step is None for e in exchanges):
        return {s.number: e for s, e in zip(steps, exchanges, strict=False)}
    found: dict[int, Exchange] = {}
    for exchange in exchanges:
        if exchange.step is not None:
            found.setdefault(exchange.step, exchange)
    return found


def _plain_name(name: str) -> str:
    return re.sub(r"^\d+\s+", "", name)


# --- replay-based correlation ------------------------------------------------------------------


def find_missed(reference: tuple[ir.Step, ...], exchanges: dict[int, Exchange],
                known: set[str]) -> list[Finding]:
    """Dynamic values in recorded responses that later requests send back and ``known`` (the
    values the script already correlates or generates) does not cover."""
    sent = {s.number: request_text(s.request) for s in reference}
    findings: list[Finding] = []
    seen: set[str] = set(known)
    longer = sorted(known, key=len)  # a part of a value the script correlates is correlated
    for step in reference:
        exchange = exchanges.get(step.number)
        if step.response is None or exchange is None or not exchange.status:
            continue
        for where, candidates, replayed in _differences(step.response, exchange):
            for value in candidates:
                if value in seen or not MIN_VALUE <= len(value) <= MAX_VALUE or \
                        _part_of(value, longer):
                    continue
                if any(sends(sent[n], value) for n in sent if n <= step.number):
                    continue  # the client knew it already: a constant
                used_by = tuple(n for n in sent if n > step.number and sends(sent[n], value))
                if not used_by:
                    continue
                finding = _finding(step, exchange, where, value, replayed(value), used_by)
                findings.append(finding)
                seen.add(value)
                break
    return findings


def _part_of(value: str, known: list[str]) -> bool:
    """Whether ``value`` is inside a longer known value (``known`` sorted by length): the
    part of ``/wEMAAA…`` after its slash, which the token's alignment cut off, is correlated
    with the whole."""
    for other in reversed(known):
        if len(other) <= len(value):
            return False
        if value in other:
            return True
    return False


def _differences(recorded: ir.RecordedResponse, exchange: Exchange
                 ) -> Iterator[tuple[str, list[str], Callable[[str], str | None]]]:
    """(where, candidate values, value → replayed counterpart) for each difference."""
    if recorded.text and exchange.text:
        for old, new in aligned_differences(recorded.text, exchange.text):
            core_old, core_new = trim_common(old, new)
            if len(core_old) >= MIN_VALUE:  # the part that changed; else the whole token
                yield "body", [core_old], {core_old: core_new}.get
            else:
                yield "body", [old], {old: new}.get
    replayed_headers: dict[str, str] = {}
    for name, value in exchange.headers:
        replayed_headers.setdefault(name.lower(), value)
    for name, value in recorded.headers:
        low = name.lower()
        other = replayed_headers.get(low)
        if low in IGNORED_HEADERS or other is None or other == value:
            continue
        if low == "location":
            for old, new in _segment_differences(value, other):
                yield "Location", [old], {old: new}.get
        else:
            yield name, [value.strip()], {value.strip(): other.strip()}.get


def aligned_differences(recorded: str, replayed: str) -> Iterator[tuple[str, str]]:
    """Pairs of tokens that differ at the same place of two texts."""
    old = TOKEN.findall(recorded)[:MAX_TOKENS]
    new = TOKEN.findall(replayed)[:MAX_TOKENS]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            yield from zip(old[i1:i2], new[j1:j2], strict=True)


def trim_common(old: str, new: str) -> tuple[str, str]:
    """Drop the prefix and suffix two tokens share, cut at a ``/`` (a URL's fixed segments) or,
    for the prefix, an ``=`` (``key=value``)."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    start = max(old.rfind("/", 0, start), old.rfind("=", 0, start)) + 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    cut = old.find("/", len(old) - end) if end else -1
    stop = cut if cut >= start else len(old)
    new_cut = len(new) - (len(old) - stop)
    return old[start:stop], new[start:new_cut]


def _segment_differences(old: str, new: str) -> Iterator[tuple[str, str]]:
    old_parts = urlsplit(old).path.split("/")
    new_parts = urlsplit(new).path.split("/")
    if len(old_parts) != len(new_parts):
        return
    for a, b in zip(old_parts, new_parts, strict=True):
        if a != b:
            yield unquote(a), unquote(b)


@functools.lru_cache(maxsize=4096)
def _word(value: str) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(value) + r"(?![A-Za-z0-9])")


def sends(text: str, value: str) -> bool:
    """``value`` occurs in ``text`` as a whole word."""
    return value in text and bool(_word(value).search(text))


def request_text(request: ir.Request) -> str:
    """Everything a recorded request sends: URL, header values, body (decoded forms too)."""
    parts = [ir.template_preview(request.path), unquote(ir.template_preview(request.path)),
             request.raw_query, unquote(request.raw_query)]
    parts += [ir.template_preview(q.value) if q.bare else
              f"{q.name}={ir.template_preview(q.value)}" for q in request.query]
    parts += [ir.template_preview(h.value) for h in request.headers]
    body = request.body
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        parts += [ir.template_preview(v) for _, v in body.fields]
    elif isinstance(body, ir.JsonBody):
        parts.append(json.dumps(body.value, default=_json_leaf, ensure_ascii=False))
    elif isinstance(body, ir.RawBody) and body.text is not None:
        parts.append(ir.template_preview(body.text))
    return "\n".join(parts)


def _json_leaf(value: object) -> str:
    if isinstance(value, ir.Template):
        return ir.template_preview(value)
    if isinstance(value, ir.VarRef):
        return "{" + value.name + "}"
    return str(value)


# --- turning a difference into a rule ---------------------------------------------------------


def _finding(step: ir.Step, exchange: Exchange, where: str, value: str, replayed: str | None,
             used_by: tuple[int, ...]) -> Finding:
    response = step.response
    assert response is not None
    if where == "Location":
        location = response.header("Location") or ""
        segments = urlsplit(location).path.split("/")
        index = next((i for i, s in enumerate(segments) if unquote(s) == value), 0)
        regex = "^" + re.escape("/".join(segments[:index]) + "/") + r"([^/?#]+)"
        name = id_name(segments[index - 1] if index else "")
        other = urlsplit(_header(exchange, "Location") or "").path
        verified = bool(replayed) and _group(regex, other) == replayed
        return Finding(name, value, replayed or "", step.number, where, regex, used_by,
                       context="/".join(segments[:index]) + "/", verified_on_replay=verified)
    if where != "body":
        return Finding(identifier(where.lower().removeprefix("x-")) or "token", value,
                       replayed or "", step.number, where, r"^\s*(.+?)\s*$", used_by,
                       context=f"header {where}", verified_on_replay=True)
    text = response.text or ""
    regex = boundary_regex(text, value)
    if regex is not None and _group(regex, text) != value:
        regex = None
    position = text.find(value)
    before = text[max(0, position - 160):position]
    name = context_name(text, position, before, step)
    verified = regex is not None and bool(replayed) and \
        _group(regex, exchange.text or "") == replayed
    return Finding(name, value, replayed or "", step.number, "body", regex, used_by,
                   context=before[-40:], verified_on_replay=verified)


def _group(regex: str, text: str) -> str | None:
    match = re.search(regex, text)
    return match.group(1) if match else None


def _header(exchange: Exchange, name: str) -> str | None:
    return next((v for k, v in exchange.headers if k.lower() == name.lower()), None)


_TAG_NAME = re.compile(r"""\b(?:name|id)\s*=\s*["']?([^"'\s>]+)""", re.I)
_ATTRIBUTE = re.compile(r"""([\w\-:]+)\s*=\s*["']?$""")
_JSON_KEY = re.compile(r""""([^"\\]{1,60})"\s*:\s*"?$""")
_ASSIGNMENT = re.compile(r"""([A-Za-z_$][\w\-$]*)["']?\s*[:=]\s*["']?$""")
_PATH_PARENT = re.compile(r"""/([A-Za-z_][\w\-]*)/$""")


def context_name(text: str, position: int, before: str, step: ir.Step) -> str:
    """A variable name from the text just before a value: the input's name, the attribute,
    the JSON key, ``key:``/``key=``, or the path segment before an id."""
    tag_start, tag_end = before.rfind("<"), before.rfind(">")
    if tag_start > tag_end and not before[tag_start:].startswith("<!--"):  # inside a tag
        close = text.find(">", position)
        tag = before[tag_start:] + text[position:close if close >= 0 else position]
        attribute = _ATTRIBUTE.search(before)
        attr = attribute.group(1).lower() if attribute else ""
        named = _TAG_NAME.search(tag)
        if attr in ("value", "content") and named:
            return identifier(named.group(1)) or "value"
        if attr in ("href", "action", "src") and _PATH_PARENT.search(before):
            return id_name(_PATH_PARENT.search(before).group(1))  # type: ignore[union-attr]
        if attr:
            return identifier(attr.removeprefix("data-")) or "value"
    for pattern in (_JSON_KEY, _ASSIGNMENT):
        match = pattern.search(before)
        if match:
            key = match.group(1)
            if key.lower() == "id":
                return id_name(resource_name(step))
            return identifier(key) or "value"
    parent = _PATH_PARENT.search(before)
    if parent:
        return id_name(parent.group(1))
    return "value"


