"""Read-modify-write: a request that sends back, changed, a whole JSON document an answer gave.

A page's script often saves by sending the whole document it read: Syncthing's GUI reads
``GET /rest/config`` and saves with ``PUT /rest/config`` holding the entire configuration, one
folder added; Grafana's dashboards, Kubernetes-style resources and many settings pages work
the same way. Sent as recorded, such a body writes the recording's document over the server's
live one: every folder, device or panel that another user (or this one, earlier in the run)
added since is gone, and what the recording's server had comes back.

So such a body is sent as the live document the script read at the same place, with only the
recorded *changes* made to it (:func:`changes`): members set, added or removed, and array
elements added, removed or edited, found by their key member (``id``, ``deviceID`` …) or, in
arrays without one, as whole values. Applied to the recorded document, the changes give back
the recorded body exactly (the property the tests hold), but for what the page keeps for itself
(AngularJS's ``$$hashKey``); applied to the live one, they do what the user did to the
server's state as it is now. The generated script keeps the document the
answer gave (``json_document``) and sends ``edited_json(self, self.<document>, {changes})``.

The document is the latest earlier JSON answer that the body is plainly a version of: most of
the answer's leaves (path and value) are the body's, and a good part of the body's are the
answer's (a user may add as much as the document held: Node-RED's first flow beside another),
at least :data:`MIN_SHARED` of them, and no object the two share names itself by a different id.
A body sent only in part (a JSON merge patch, one folder of the configuration) shares too little
of the document and is sent as recorded, as it should be.

Correlation runs after this stage, on the changes only: an id in an added element, or the key
of an element removed, is found in the answers like any other sent value.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from typing import Any

from .. import ir
from ..options import Options
from .correlate.sources import resource_name
from .grouping import identifier

EDITED_METHODS = frozenset({"PUT", "POST", "PATCH"})
MIN_SHARED = 8  # leaves the body and the document must have in common (path and value)
MIN_COVER = 0.6  # and at least this share of the document's leaves (it is mostly kept)
MIN_BODY_COVER = 0.3  # and this share of the body's (the user may add as much as was there)
LOOK_BACK = 200  # earlier steps looked at for the document (the latest one wins)
MAX_LEAVES = 50_000  # larger documents are not compared (sent as recorded)
NEAR_BEST = 0.9  # the latest candidate sharing this share of the best one's leaves wins

# an array element's key member: "id" first, then other id-like names, then a name
_KEY_PREFERRED = ("id", "ID", "Id", "uuid", "UUID", "uid", "guid", "key")
_ID_LIKE = re.compile(r"(?:^|[_\-.]|(?<=[a-z]))(?:id|ID|Id|uuid|UUID|uid|guid|key|Key)$")
_NAME_LIKE = ("name", "slug")

# the keys the changes' own structure uses: a document holding one is sent as recorded
OPERATORS = ("$set", "$remove", "$key", "$edit", "$add", "$after")


def edit_documents(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    """Each body that is a changed copy of an earlier answer's document becomes the changes
    (``JsonBody.base`` names the document, which an ``Extraction`` of kind ``document`` keeps
    at the step that read it); the report says which step sends which back. Not without
    correlation (``--no-correlate`` replays the recording as it is)."""
    if not options.correlate or not scenario.steps:
        return scenario
    steps = list(scenario.steps)
    window = _Window(steps)
    bases: dict[int, str] = {}  # step index of a document -> the variable holding it
    users: dict[int, list[int]] = {}  # and the step numbers that send it back changed
    taken = {g.method for g in scenario.groups} | {v.var for s in steps for v in s.extractions}
    notes = []
    for index, step in enumerate(steps):
        body = step.request.body
        if step.request.method not in EDITED_METHODS or not isinstance(body, ir.JsonBody) or \
                body.base or not isinstance(body.value, (dict, list)) or not _plain(body.value):
            continue
        found = window.document_of(body.value, index)
        if found is None:
            continue
        at, document = found
        patch = changes(document, body.value)
        if patch is None:
            continue
        var = bases.get(at)
        if var is None:
            var = bases[at] = _name(steps[at], taken)
            taken.add(var)
        users.setdefault(at, []).append(step.number)
        steps[index] = ir.replace(step, request=ir.replace(
            step.request, body=ir.replace(body, value=patch, base=var)))
        notes.append((step.number, steps[at].number, summary(patch)))
    if not bases:
        return scenario
    for at, var in bases.items():
        read = ir.Extraction(var=var, kind="document", used_by=tuple(users[at]))
        steps[at] = ir.replace(steps[at], extractions=(*steps[at].extractions, read))
    for sent, read_at, what in notes:
        scenario = scenario.with_diagnostic(ir.Severity.INFO, (
            f"step {sent} sends back the JSON document step {read_at} answered, changed "
            f"({what}): it sends the document as the server has it then, with the recorded "
            "changes, not the recorded document (which would undo what others changed since)"))
    return ir.replace(scenario, steps=tuple(steps))


def _name(step: ir.Step, taken: set[str]) -> str:
    base = (identifier(resource_name(step)) or "json") + "_document"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


# --- which answer the body is a version of ------------------------------------------------------


class _Window:
    """The JSON answers of the LOOK_BACK steps before a body, as the steps go by: the strings
    each one's text holds (split at its quotes, once) and the documents parsed so far."""

    def __init__(self, steps: list[ir.Step]) -> None:
        self.steps = steps
        self.answers = [at for at, step in enumerate(steps) if step.response is not None
                        and 200 <= step.response.status < 300
                        and "json" in step.response.mime_type.lower()]
        self.first = self.end = 0  # the window: answers[first:end]
        self.strings: dict[int, frozenset[str]] = {}  # answer -> the strings its text holds
        # answer -> [its document or None, its leaves (None: not known yet), the number of
        # leaves it is known to have more than]
        self.documents: dict[int, list] = {}

    def move_to(self, index: int) -> None:
        first = bisect.bisect_left(self.answers, index - LOOK_BACK)
        for at in self.answers[self.first:first]:
            self.strings.pop(at, None)
            self.documents.pop(at, None)
        self.first, self.end = first, bisect.bisect_left(self.answers, index)

    def held(self, at: int) -> frozenset[str]:
        """The strings the text of answer ``at`` holds."""
        strings = self.strings.get(at)
        if strings is None:
            text = self.steps[at].response.text  # type: ignore[union-attr]
            strings = self.strings[at] = frozenset(text.split('"')[1::2]) if text and \
                text.lstrip()[:1] in ("{", "[") else frozenset()
        return strings

    def document_of(self, body: Any, index: int) -> tuple[int, Any] | None:
        """(step index, document) of the answer ``body`` is a changed copy of, or None."""
        mine = _leaves(body)
        if mine is None or len(mine) < MIN_SHARED:
            return None
        need = max(MIN_SHARED, MIN_BODY_COVER * len(mine))
        most = int(len(mine) / MIN_COVER)  # the most leaves a document of it may have
        lacking = len(mine) - need  # the most leaves a document of it may lack
        # its strings that no answer can have spelt otherwise: an answer whose text lacks more
        # than ``lacking`` of them cannot share enough (it is not parsed)
        plain = frozenset(value for _, kind, value in mine
                          if kind is str and _SIMPLE.fullmatch(value))
        self.move_to(index)
        strings, held = self.strings.get, self.held
        window = [at for at in self.answers[self.first:self.end]
                  if at in self.documents or
                  len(plain.difference(strings(at) or held(at))) <= lacking]
        candidates = []  # (index, shared)
        for at in reversed(window):
            entry = self.documents.get(at)
            if entry is None:
                text = self.steps[at].response.text  # type: ignore[union-attr]
                entry = self.documents[at] = [_parsed(text or ""), None, -1]
            document, theirs, more_than = entry
            if document is None:
                continue
            if theirs is None:  # its leaves, unless it has too many for this body
                if more_than >= most:
                    continue
                theirs = _leaves(document, most)
                if theirs is None:
                    entry[2] = most
                    continue
                entry[1] = theirs
            if len(theirs) < need:
                continue
            shared = len(mine & theirs)
            if shared >= need and shared >= MIN_COVER * len(theirs) and \
                    len(theirs) <= most and _same_ids(document, body):
                candidates.append((at, shared))
        if not candidates:
            return None
        best = max(shared for _, shared in candidates)
        at = next(at for at, shared in candidates if shared >= NEAR_BEST * best)  # the latest
        document = self.documents[at][0]
        return (at, document) if _plain(document) else None


_SIMPLE = re.compile(r"[\w .:@+-]*", re.ASCII)  # a string every server spells as it is


def _parsed(text: str) -> Any:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, (dict, list)) else None


def _leaves(node: Any, most: int = MAX_LEAVES) -> frozenset[tuple[str, type, Any]] | None:
    """(path, type, value) of each scalar leaf, array positions left out (1, 1.0 and true are
    three values); None when there are more than ``most`` (or MAX_LEAVES)."""
    most = min(most, MAX_LEAVES)
    out: set[tuple[str, type, Any]] = set()
    stack = [("", node)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{path}.{key}", item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((path + "[]", item) for item in value)
        else:
            out.add((path, type(value), value))
            if len(out) > most:
                return None
        if len(stack) > MAX_LEAVES:
            return None
    return frozenset(out)


def _same_ids(document: Any, body: Any) -> bool:
    """No object at the same place (outside arrays) names itself by another id in the two."""
    if isinstance(document, dict) and isinstance(body, dict):
        for key, value in document.items():
            if key not in body:
                continue
            other = body[key]
            if _ID_LIKE.search(key) and _scalar(value) and _scalar(other) and value != other:
                return False
            if not _same_ids(value, other):
                return False
    return True


def _plain(node: Any) -> bool:
    """JSON whose objects hold no member named like the changes' operators."""
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if any(key in OPERATORS for key in value):
                return False
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return True


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _key_value(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


# --- the changes -------------------------------------------------------------------------------


def changes(document: Any, body: Any) -> Any:
    """What turns ``document`` into ``body``, as the generated script's ``edited_json`` makes
    it (see :mod:`har2locust_plus.runtime.checks`): ``{}`` when nothing changed; None when the
    body is not a changed copy at all (an object for an array)."""
    if isinstance(document, dict) and isinstance(body, dict):
        return _object_changes(document, body)
    if isinstance(document, list) and isinstance(body, list):
        return _array_changes(document, body)
    return None


def _set(value: Any) -> Any:
    """A member's new value: an object is wrapped (else it would read as changes to make)."""
    return {"$set": value} if isinstance(value, dict) else value


def _member_changes(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        return _object_changes(old, new)
    if isinstance(old, list) and isinstance(new, list):
        return _array_changes(old, new)
    return _set(new)


def _object_changes(old: dict, new: dict) -> dict:
    """Members removed, added and changed; not a member the client keeps for itself, which no
    server reads (AngularJS's ``$$hashKey`` on each element it showed, which ``angular.toJson``
    would leave out): an element the page only showed is not one the user changed."""
    out: dict[str, Any] = {}
    removed = [key for key in old if key not in new and not key.startswith("$$")]
    if removed:
        out["$remove"] = removed
    for key, value in new.items():
        if key.startswith("$$"):
            continue
        if key not in old:
            out[key] = _set(value)
        elif not _equal(old[key], value):
            change = _member_changes(old[key], value)
            if change != {} and not (isinstance(change, dict) and change.keys() == {"$key"}):
                out[key] = change  # (differing only in what the client keeps: no change)
    return out


def _array_changes(old: list, new: list) -> Any:
    """Elements removed, edited (by their key member), added after the kept element they
    follow (``$after``: [that element's key, or None for the start, [elements]]) or at the end
    (``$add``); the whole new array when that cannot say it (reordered, repeated elements)."""
    key = _array_key(old, new)
    if key is None:
        return _plain_array_changes(old, new)
    before = {item[key]: item for item in old}
    after = {item[key] for item in new}
    kept = [item[key] for item in new if item[key] in before]
    if kept != [item[key] for item in old if item[key] in after]:
        return new  # reordered
    out: dict[str, Any] = {"$key": key}
    removed = [{key: item[key]} for item in old if item[key] not in after]
    edited = []
    for item in new:
        if item[key] in before and not _equal(before[item[key]], item) and \
                (change := _object_changes(before[item[key]], item)):
            edited.append({key: item[key], **change})
    # runs of added elements, each after the kept element before it (Node-RED's editor puts
    # a new tab after the other tabs, before their nodes); the last run, if at the end, $add
    runs: list[list[Any]] = []
    anchor = None
    for item in new:
        if item[key] in before:
            anchor = item[key]
        elif runs and runs[-1][0] == anchor and runs[-1][2]:
            runs[-1][1].append(item)
        else:
            runs.append([anchor, [item], True])
        if item[key] in before and runs:
            runs[-1][2] = False  # a kept element ends the run
    added = runs.pop()[1] if runs and runs[-1][2] else []
    if removed:
        out["$remove"] = removed
    if edited:
        out["$edit"] = edited
    if runs:
        out["$after"] = [[at, items] for at, items, _ in runs]
    if added:
        out["$add"] = added
    return out


def _plain_array_changes(old: list, new: list) -> Any:
    """Elements found as whole values: removed, and added at the end."""
    texts = [_canonical(item) for item in old]
    if len(set(texts)) != len(texts):
        return new  # which of two equal elements went cannot be said
    places = {text: i for i, text in enumerate(texts)}
    used: set[int] = set()
    last = -1
    added = []
    for item in new:
        at = places.get(_canonical(item))
        if at is None or at in used:
            added.append(item)
        elif added or at < last:
            return new  # kept, but after an added element or out of order
        else:
            used.add(at)
            last = at
    out: dict[str, Any] = {"$key": None}
    removed = [item for i, item in enumerate(old) if i not in used]
    if removed:
        out["$remove"] = removed
    if added:
        out["$add"] = added
    return out


def _array_key(old: list, new: list) -> str | None:
    """The member each element of both arrays has, with a different scalar value in each
    element of one array: an id-like name first (``id``, ``deviceID``), else ``name``."""
    items = [*old, *new]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    common = [key for key in items[0] if all(key in item for item in items)]
    usable = [key for key in common
              if all(_key_value(item[key]) for item in items)
              and len({_canonical(item[key]) for item in old}) == len(old)
              and len({_canonical(item[key]) for item in new}) == len(new)]
    for key in _KEY_PREFERRED:
        if key in usable:
            return key
    for key in usable:
        if _ID_LIKE.search(key):
            return key
    return next((key for key in _NAME_LIKE if key in usable), None)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _equal(a: Any, b: Any) -> bool:
    """Equal as JSON (1 and 1.0 and True are not the same value)."""
    return type(a) is type(b) and (a == b if not isinstance(a, (dict, list))
                                   else _canonical(a) == _canonical(b))


# --- what the report says ----------------------------------------------------------------------


def summary(patch: Any) -> str:
    """``folders: 1 added; label set`` — what the changes do, briefly."""
    parts = list(_summary(patch, ""))
    if not parts:
        return "nothing changed"
    text = "; ".join(parts[:6])
    return text + (f"; {len(parts) - 6} more" if len(parts) > 6 else "")


def _summary(patch: Any, where: str) -> Iterator[str]:
    if not isinstance(patch, dict) or "$set" in patch:
        yield f"{where or 'the document'} set"
        return
    if "$key" in patch:
        label = where or "the array"
        added = len(patch.get("$add", ())) + sum(len(items) for _, items in
                                                 patch.get("$after", ()))
        for count, word in ((len(patch.get("$remove", ())), "removed"),
                            (len(patch.get("$edit", ())), "changed"), (added, "added")):
            if count:
                yield f"{label}: {count} {word}"
        return
    for key in patch.get("$remove", ()):
        yield f"{where + '.' if where else ''}{key} removed"
    for key, value in patch.items():
        if key != "$remove":
            yield from _summary(value, f"{where}.{key}" if where else key)
