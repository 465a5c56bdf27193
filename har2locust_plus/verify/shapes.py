"""Compare the JSON shapes of a recorded and a replayed response.

RPC-style APIs answer a refused operation with HTTP 200 and an ``error`` member: a GraphQL
``{"errors": [...]}``, a JSON-RPC ``{"error": {...}}``, an action API's ``{"error": "..."}``.
A status check passes on those, so an ``error``/``errors`` member the replay has and the
recording had not is a difference that fails the step. Keys of the recorded JSON that the
replay lacks (``data.createNote.id``) are reported, without failing: a shape can change
legitimately (an optional field, a list that is empty this time).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .. import jsontext

ERROR_KEYS = ("error", "errors")
MAX_TEXT = 1_000_000  # longer bodies are not parsed
MAX_MISSING = 8  # missing keys reported per step
MAX_DEPTH = 12


@dataclass(frozen=True, slots=True)
class ShapeDifference:
    error: str | None  # "errors appeared: [{"message": "bad token"}]"
    missing: tuple[str, ...]  # key paths of the recording the replay lacks: "data.note.id"


def compare_json(recorded: str | None, replayed: str | None) -> ShapeDifference | None:
    """The difference between two JSON texts, or None (equal shapes, or not both JSON)."""
    old, new = _parse(recorded), _parse(replayed)
    if old is _NOT_JSON or new is _NOT_JSON:
        return None
    error = appeared_error(old, new)
    replayed_paths = set(key_paths(new))
    empty = tuple(p.removesuffix("[]") for p in empty_lists(new))
    gone = sorted(p for p in set(key_paths(old)) - replayed_paths if not p.startswith(empty))
    missing = tuple(p for p in gone if not any(p.startswith((q + ".", q + "[")) for q in gone))
    if error is None and not missing:
        return None
    shown = missing[:MAX_MISSING]
    if len(missing) > MAX_MISSING:
        shown += (f"… {len(missing) - MAX_MISSING} more",)
    return ShapeDifference(error, shown)


def appeared_error(recorded: Any, replayed: Any) -> str | None:
    """``errors appeared: …`` when the replay has a non-empty ``error``/``errors`` member (at
    the top, or in an element of a top-level list: a batch) that the recording did not."""
    recorded_errors = {key for key, _ in _error_members(recorded)}
    for key, value in _error_members(replayed):
        if key not in recorded_errors:
            text = json.dumps(value, ensure_ascii=False)
            if len(text) > 160:
                text = text[:150] + "…"
            return f'JSON "{key}" appeared (not in the recording): {text}'
    return None


def _error_members(document: Any) -> Iterator[tuple[str, Any]]:
    items = [("", document)] if isinstance(document, dict) else [
        (f"[{i}].", d) for i, d in enumerate(document[:100]) if isinstance(d, dict)
    ] if isinstance(document, list) else []
    for prefix, item in items:
        for key in ERROR_KEYS:
            value = item.get(key)
            if value not in (None, False, "", [], {}):
                yield prefix + key, value


def key_paths(document: Any, prefix: str = "", depth: int = 0) -> Iterator[str]:
    """Every object key path; list elements merge under ``[]`` (``items[].id``)."""
    if depth > MAX_DEPTH:
        return
    if isinstance(document, dict):
        for key, value in document.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from key_paths(value, path, depth + 1)
    elif isinstance(document, list) and document:
        for item in document[:50]:
            yield from key_paths(item, prefix + "[]", depth + 1)


def empty_lists(document: Any, prefix: str = "", depth: int = 0) -> Iterator[str]:
    """Paths of the empty lists (``items[]``): what the recording had in them is not missing,
    the list is just empty this time."""
    if depth > MAX_DEPTH:
        return
    if isinstance(document, dict):
        for key, value in document.items():
            yield from empty_lists(value, f"{prefix}.{key}" if prefix else str(key), depth + 1)
    elif isinstance(document, list):
        if not document:
            yield prefix + "[]"
        for item in document[:50]:
            yield from empty_lists(item, prefix + "[]", depth + 1)


_NOT_JSON = object()


def _parse(text: str | None) -> Any:
    if text and (prefix := jsontext.XSSI_PREFIX.match(text)) is not None:
        text = text[prefix.end():]  # an anti-XSSI prefix: ")]}'", "while(1);"
    if not text or len(text) > MAX_TEXT or text.lstrip()[:1] not in ("{", "["):
        return _NOT_JSON
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON
