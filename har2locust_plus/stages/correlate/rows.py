"""Ids in the rows a listing's script builds: the row the user acted on, found by its name.

Roundcube answers its contact list with JSON whose ``exec`` is a script for the page::

    this.add_contact_row("45505", {"name": "Sentinel Contact"}, ...);
    this.add_contact_row("45520", {"name": "Zoo Zoo 1796281713"}, ...);

and the next requests send ``_cid=45520``. A regex of the call's shape finds the first row's
id first: another contact, and on a fresh server, with other users or in another order, any
contact. The row the user acted on is the one that holds the name the user gave the object: a
value the client made up (an epoch, a uuid), known when the listing is read.
So such an id is a *row* source: the matches of the call's shape (``expr``), and the
tokens that only the recorded id's row holds; a match's row is the text after it, up to the
next match and at most :data:`ROW_TEXT` characters. The correlation pass turns one of them that
the client made into the run-time value the row must hold (``engine._row_anchored``); the
script reads the id with ``from_row``. Without such a token the id is not correlated (sent as
recorded) rather than read from a row chosen by its position.

Only the text *after* an id is its row. The text between two ids could be the end of the
first one's row or the start of the second one's, and the recording cannot tell which (the
user may have opened the row after the one they named: Roundcube selects the next contact
after a delete). Ids come first in the rows of calls (``add_contact_row(id, …)``) and of
objects (``{"id": …, "name": …}``); a listing that names its rows before their ids is not
correlated.

The same holds for a JSON array: an id at ``("items", 1, "id")`` is the second item's, and on
a fresh server the second item is anyone's. A JSON source through an array carries the tokens
only its element holds; when one of them is a name the client made, the id is read from the
element that holds it (``from_json_row``), else by its position, as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ... import ir
from ..grouping import identifier
from .sources import MIN_TOKEN, TOKEN, Source, Wanted, id_name, resource_name

ROW = "row"  # Source.kind and ir.Extraction.kind
JSON_ROW = "json_row"  # a JSON array's element found by its name (ir.Extraction.kind)
ROW_TEXT = 400  # how much of a row its name is looked for in (the script's from_row: the same)
# what the client makes up that can name a row (engine._NAMING_KINDS): an epoch in seconds or
# milliseconds, a uuid4; a row without one is never read by its name
CLIENT_MADE = re.compile(r"(?<![0-9])1[0-9]{9}(?:[0-9]{3})?(?![0-9])|"
                         r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-", re.I)
# a quoted argument or value in a script: an id-like token (no character a JSON string or a
# script would escape, so the raw answer holds it as it is sent)
QUOTED = re.compile(r"""(["'])([A-Za-z0-9_\-.:@+=~]{4,64})\1""")
# what stands before a quoted value: a call's name and "(", or a key and ":" ("=", ",")
SHAPE = re.compile(r"""[A-Za-z_$][\w$]*(?:\\?["'])?\s*[(:=,]\s*$""")
_ROW_WORDS = frozenset({"add", "insert", "update", "set", "append", "push", "show", "render",
                        "row", "rows", "item", "items", "entry", "record", "list", "new",
                        "create", "this", "id"})


def may_hold_code(text: str) -> bool:
    """Whether a JSON text can hold a script that passes quoted arguments: ``("`` as the JSON
    text writes it (``(\\"``), or ``('``. Most JSON has no ``(`` at all: one scan for a
    character (memchr), at C speed."""
    return "(" in text and ('(\\"' in text or "('" in text)


def row_sources(step: ir.Step, text: str, scripts: list[str], wanted: Wanted
                ) -> Iterator[Source]:
    """The wanted ids quoted in ``scripts`` (the JSON body's string leaves that are code), as
    row sources over ``text``, the body as sent."""
    seen: set[str] = set()
    for script in scripts:
        for match in QUOTED.finditer(script):
            value = match.group(2)
            if value in seen or value not in wanted or not any(c.isdigit() for c in value):
                continue
            seen.add(value)
            source = _row_source(step, text, value)
            if source is not None:
                yield source


def _row_source(step: ir.Step, text: str, value: str) -> Source | None:
    """The first quoted occurrence of ``value`` in ``text``, as a row source (None without a
    shape in front of it, or a row token to find it by)."""
    for quote in ('\\"', "'", '"'):
        at = text.find(quote + value + quote)
        if at >= 0:
            break
    else:
        return None
    shape = SHAPE.search(text, max(0, at - 60), at)
    if shape is None:
        return None
    left = text[shape.start():at] + quote
    pattern = re.escape(left) + r"([^\"'\\<>\s]+)" + re.escape(quote)
    matches = list(re.finditer(pattern, text))
    mine = next((i for i, m in enumerate(matches) if m.start(1) == at + len(quote)), None)
    if mine is None:
        return None
    tokens = _row_tokens(text, matches, mine)
    if not tokens:
        return None
    return Source(step.number, value, _name(shape.group(0), step), ROW, expr=pattern,
                  how=f"row {left[:40]}", id_like=True, object_id=True,
                  anchors=(("row", " ".join(tokens)),))


def rows(text: str, matches: list[re.Match[str]]) -> list[str]:
    """The text of each match's row: after it up to the next match, at most ROW_TEXT
    characters (what from_row reads)."""
    out = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out.append(text[match.end():min(end, match.end() + ROW_TEXT)])
    return out


def _row_tokens(text: str, matches: list[re.Match[str]], mine: int) -> list[str]:
    """The tokens of the ``mine``-th match's row that neither a row of another id holds nor
    the text before the match (the row before it may end there)."""
    texts = rows(text, matches)
    start = matches[mine - 1].end() if mine else 0
    others = [t for i, t in enumerate(texts) if matches[i].group(1) != matches[mine].group(1)]
    others.append(text[start:matches[mine].start()])
    return own_tokens(texts[mine], others)


def own_tokens(text: str, others: list[str], value: str = "") -> list[str]:
    """The tokens of a row's text, in order, that no other row's text holds (and that do not
    hold the id ``value`` itself): what may name that row alone."""
    return [token for token in dict.fromkeys(TOKEN.findall(text))
            if len(token) >= MIN_TOKEN and (not value or value not in token)
            and not any(token in other for other in others)]


def json_row_tokens(data: object, path: tuple, cache: dict[int, list[str]]) -> str:
    """The tokens of the strings (and numbers) of the array element ``path`` goes through (at
    its last index) that no other element of that array holds, space-separated: what may name
    the row of the id at ``path`` (``{"items": [{"id": 45520, "name": "Zoo 1796281713"}]}``).
    "" when ``path`` goes through no array. ``cache``: each array's element texts, for the
    other ids of the same array (one per call of the caller, whose data stays alive)."""
    at = max((i for i, key in enumerate(path) if isinstance(key, int)), default=None)
    if at is None:
        return ""
    array: object = data
    for key in path[:at]:
        array = array[key]  # type: ignore[index]
    if not isinstance(array, list):
        return ""
    texts = cache.get(id(array))
    mine = texts[path[at]] if texts is not None and path[at] < len(texts) else \
        " ".join(_leaf_texts(array[path[at]]))
    if not CLIENT_MADE.search(mine):
        return ""  # nothing the client could have made names it: not worth the others
    if texts is None:
        texts = cache[id(array)] = [" ".join(_leaf_texts(item)) for item in array[:200]]
    others = [text for i, text in enumerate(texts) if i != path[at]]
    return " ".join(own_tokens(mine, others))


def json_row_names(data: object, path: tuple, value: object,
                   cache: dict[int, tuple[list[set[str]], dict[str, int]]]) -> tuple[str, ...]:
    """The string leaves of the array element ``path`` goes through (at its last index) that
    no other element of that array holds as a leaf, nor hold the id ``value``: the names that
    may be the one a user typed for it (tt-rss's label ``{"bare_id": 50719, "name": "Zoo
    label"}``); () when ``path`` goes through no array. ``cache``: each array's elements'
    leaves and how many elements hold each (once per array, for its other ids)."""
    at = max((i for i, key in enumerate(path) if isinstance(key, int)), default=None)
    if at is None:
        return ()
    array: object = data
    for key in path[:at]:
        array = array[key]  # type: ignore[index]
    index = path[at]
    if not isinstance(array, list) or index >= 200 or \
            not isinstance(array[index], (dict, list)):
        return ()
    known = cache.get(id(array))
    if known is None:
        leaves = [{text for text in _leaf_texts(item) if isinstance(text, str)}
                  for item in array[:200]]
        holders: dict[str, int] = {}
        for texts in leaves:
            for text in texts:
                holders[text] = holders.get(text, 0) + 1
        known = cache[id(array)] = (leaves, holders)
    leaves, holders = known
    shown = str(value)
    return tuple(sorted(text for text in leaves[index] if holders[text] == 1
                        and shown not in text and _TYPED.fullmatch(text)))


# what a user may type as a name: 3 to 200 characters, a letter among them, no line break
_TYPED = re.compile(r"(?=[^\n]*[^\W\d_])[^\n]{3,200}")


def _leaf_texts(node: object, depth: int = 0) -> list[str]:
    """The string and number leaves of a JSON value (six levels, 200 items deep at most)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return [str(node)]
    if depth >= 6:
        return []
    items = node.values() if isinstance(node, dict) else node[:200] \
        if isinstance(node, list) else ()
    return [text for item in items for text in _leaf_texts(item, depth + 1)]


def _name(shape: str, step: ir.Step) -> str:
    """``contact_id`` from ``add_contact_row(``; a key's own name (``ID``: the resource's)."""
    words = [w for w in re.split(r"[^a-z0-9]+", shape.lower()) if w]
    if shape.rstrip().endswith("("):
        kept = [w for w in words if w not in _ROW_WORDS]
        return id_name(kept[-1]) if kept else "row_id"
    key = identifier(words[-1]) if words else ""
    return id_name(resource_name(step)) if key in ("", "id") else key
