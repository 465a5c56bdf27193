"""Checkpoints: what each replayed response must look like for the step to count as passed.

* status as recorded — each redirect hop is replayed on its own, so a 302 is checked as a 302
  and its ``Location`` as a route pattern (ids and tokens in it may differ);
* with ``--checks full``: the content type family (HTML, JSON), a stable piece of HTML (the
  ``<title>``, else the first heading) and, for JSON objects, the top-level keys and the values
  that are constant (short words and booleans under keys that are not ids, times or tokens).

A snippet or value is never one that can change per run: no correlated or generated value, no
text the client sent (user input echoed back), no digits (ids, counts, dates), nothing
uuid- or token-shaped. When the same request was recorded several times, a snippet must occur
in every recorded response of it.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from .. import ir
from ..options import Options
from .correlate import ID_NAME

TITLE = re.compile(r"<title[^>]*>([^<]{3,120})</title>", re.I)
HEADING = re.compile(r"<h([1-3])[^>]*>([^<]{3,120})</h\1>", re.I)
DYNAMIC_KEY = re.compile(r"(^|_)(id|uuid|guid|token|key|nonce|hash|sig|signature|session|csrf|"
                         r"time|date|at|ts|timestamp|expires?|created|updated|modified|count|"
                         r"total|etag|version|rev)$", re.I)
MAX_JSON_VALUES = 4


def add_checks(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    if options.checks == "none":
        return scenario
    dynamic = _dynamic_values(scenario)
    groups = _recordings_by_request(scenario.steps)
    body_checks: dict[tuple[str, str], list[ir.Check]] = {}  # one decision per request
    steps = []
    for step in scenario.steps:
        if step.response is None:
            steps.append(step)
            continue
        checks = _status_checks(step.response, step.request.origin)
        if options.checks == "full" and 200 <= step.response.status < 300:
            key = _request_key(step)
            if key not in body_checks:
                body_checks[key] = _body_checks(groups[key], dynamic)
            checks += body_checks[key]
        steps.append(replace(step, checks=tuple(checks)))
    return replace(scenario, steps=tuple(steps))


# --- status and redirects -------------------------------------------------------------------------


def _status_checks(response: ir.RecordedResponse, request_origin: str) -> list[ir.Check]:
    status, origin = response.status, f"recorded status {response.status}"
    if status == 304:  # conditional headers are not replayed: expect the full answer
        status, origin = 200, "recorded 304; conditional headers are not replayed"
    checks = [ir.Check("status", status, origin)]
    location = response.header("location") or response.redirect_url
    if 300 <= status < 400 and location:
        checks.append(ir.Check("location", location_pattern(location, request_origin),
                               "recorded Location"))
    return checks


def location_pattern(location: str, origin: str = "") -> str:
    """A regex for the recorded Location: same route, any id or token, any query string.

    A redirect that left ``origin`` (the request's) keeps its origin: at run time a redirect
    off the host under test must go exactly there (runtime ``redirect_to``).
    """
    if location.startswith("//"):  # scheme-relative: the scheme of the request
        location = origin.split("//", 1)[0] + location
    there = re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*", location)
    prefix = re.escape(there.group()) if there and not _same_origin(there.group(), origin) else ""
    path = (location[there.end():] if there else location) or "/"
    path = path.split("#", 1)[0].split("?", 1)[0]
    segments = [r"[^/?#]+" if _is_dynamic(seg) else re.escape(seg) for seg in path.split("/")]
    return prefix + "/".join(segments) + r"(\?.*)?"


def _same_origin(a: str, b: str) -> bool:
    """Two ``scheme://host[:port]`` origins, the default port made explicit."""
    def key(url: str) -> tuple[str, str, int | None]:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or {
            "https": 443}.get(parts.scheme.lower(), 80)
    try:
        return key(a) == key(b)
    except ValueError:  # a port urlsplit refuses
        return False


def _is_dynamic(segment: str) -> bool:
    """An id, uuid or token in a path, as opposed to a route word like ``notes``."""
    return any(ch.isdigit() for ch in segment) or (
        len(segment) >= 16 and bool(re.fullmatch(r"[A-Za-z0-9_\-.~%]+", segment)))


# --- body -----------------------------------------------------------------------------------------


def _body_checks(responses: list[ir.RecordedResponse], dynamic: Dynamic) -> list[ir.Check]:
    """Checks that hold for every recorded 2xx response of one request (each parsed once)."""
    first = responses[0]
    if first.status == 204:
        return []
    texts = [r.text for r in responses]
    if any(t is None or not t.strip() for t in texts):
        return []
    mime = first.mime_type
    if "html" in mime:
        snippet = html_snippet(texts[0], dynamic, texts[1:])  # type: ignore[arg-type]
        checks = [ir.Check("content_type", "html", "recorded content type")]
        return checks + ([ir.Check("contains", snippet, "recorded page text")] if snippet else [])
    if "json" in mime:
        checks = [ir.Check("content_type", "json", "recorded content type")]
        return checks + _json_checks(texts, dynamic)  # type: ignore[arg-type]
    return []


def html_snippet(text: str, dynamic: Dynamic, others: Sequence[str] = ()) -> str | None:
    """The recorded ``<title>`` (or first heading) as raw HTML, if it is stable."""
    candidates = [m.group(0) for m in TITLE.finditer(text[:200_000])][:1]
    candidates += [m.group(0) for m in HEADING.finditer(text[:200_000])][:3]
    for raw in candidates:
        inner = html.unescape(re.sub(r"<[^>]+>", "", raw)).strip()
        if _stable_text(inner, dynamic) and all(raw in other for other in others):
            return raw
    return None


def _stable_text(text: str, dynamic: Dynamic) -> bool:
    if len(text) < 3 or any(ch.isdigit() for ch in text):
        return False
    return not dynamic.occurs_in(text)


def _json_checks(texts: list[str], dynamic: Dynamic) -> list[ir.Check]:
    objects = []
    for text in texts:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return []
        if not isinstance(data, dict) or not data:
            return []
        objects.append(data)
    first, others = objects[0], objects[1:]
    keys = [k for k in first if all(k in o for o in others)][:12]
    checks = [ir.Check("json_keys", tuple(keys), "recorded JSON keys")] if keys else []
    values = 0
    for key, value in first.items():
        if values >= MAX_JSON_VALUES:
            break
        if _constant_json_value(key, value, dynamic) and all(o.get(key) == value for o in others):
            checks.append(ir.Check("json_value", value, "recorded constant", path=(key,)))
            values += 1
    return checks


def _constant_json_value(key: str, value: object, dynamic: Dynamic) -> bool:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower()  # createdAt -> created_at
    if any(DYNAMIC_KEY.search(k) or ID_NAME.search(k) for k in (key, snake)):
        return False
    if isinstance(value, bool):
        return True
    if not isinstance(value, str) or not 2 <= len(value) <= 40:
        return False
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z _\-./]*", value)) and _stable_text(value, dynamic)


# --- what may change per run ----------------------------------------------------------------------


class Dynamic:
    """Values that may change per run, for "does any of them occur in this text" (any case).

    The texts asked about are short (titles, JSON words) and the values many (everything the
    client sent), so the lookup goes from the text: each of its substrings whose length some
    value has is looked up in a set, instead of scanning every value for every text.
    """

    def __init__(self, values: set[str]) -> None:
        self.by_length: dict[int, set[str]] = {}
        for value in values:
            lowered = value.lower()
            if len(value) >= 3:
                self.by_length.setdefault(len(lowered), set()).add(lowered)
        self.lengths = sorted(self.by_length)

    def occurs_in(self, text: str) -> bool:
        lowered = text.lower()
        for length in self.lengths:
            if length > len(lowered):
                break
            found = self.by_length[length]
            if any(lowered[i:i + length] in found for i in range(len(lowered) - length + 1)):
                return True
        return False


def _dynamic_values(scenario: ir.Scenario) -> Dynamic:
    """Correlated and generated values, secrets and everything the client sent (echoed input).

    Secrets and per-user data were already replaced in the requests: their recorded values
    come from the scenario, so an echoed password never becomes a check.
    """
    values: set[str] = {s.recorded for s in scenario.secrets}
    values.update(c.recorded for c in scenario.data_columns)
    for step in scenario.steps:
        values.update(e.recorded for e in step.extractions)
        values.update(g.recorded for g in step.generated)
        values.update(_sent_texts(step.request))
    return Dynamic(values)


def _sent_texts(request: ir.Request) -> list[str]:
    texts = [p for q in request.query for p in q.value.parts if isinstance(p, str)]
    body = request.body
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        texts += [p for _, v in body.fields for p in v.parts if isinstance(p, str)]
    elif isinstance(body, ir.JsonBody):
        for leaf in ir.json_leaves(body.value):
            if isinstance(leaf, str):
                texts.append(leaf)
            elif isinstance(leaf, ir.Template):
                texts += [p for p in leaf.parts if isinstance(p, str)]
    return texts


def _request_key(step: ir.Step) -> tuple[str, str]:
    return step.request.method, ir.template_preview(step.request.path)


def _recordings_by_request(steps: tuple[ir.Step, ...]) -> dict[tuple[str, str],
                                                              list[ir.RecordedResponse]]:
    grouped: dict[tuple[str, str], list[ir.RecordedResponse]] = defaultdict(list)
    for step in steps:
        if step.response is not None and 200 <= step.response.status < 300:
            grouped[_request_key(step)].append(step.response)
    return grouped
