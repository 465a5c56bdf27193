"""JSON bodies (and one-value plain-text bodies): leaves under their key path, and the values
in URLs the body hands out (``{"redirect": "/posts/12"}``: ``12``).

The id of an object is what the response that created it hands out: a leaf in the response
to an unsafe request is marked ``creates`` (see :mod:`.rank`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ... import ir, jsontext
from ...ir import replace
from ...operation import json_rpc_call, procedure_words
from ..grouping import identifier
from .location import url_values
from .rank import SERVER_TIME, version_name, version_value
from .rows import json_row_names, json_row_tokens, may_hold_code, row_sources
from .sources import (
    MAX_STRUCTURED,
    MAX_VALUE,
    Source,
    Wanted,
    id_name,
    is_id_name,
    is_object_id_name,
    resource_name,
    self_route,
)


def json_sources(step: ir.Step, text: str, wanted: Wanted,
                 fragments: list[tuple[tuple, str]] | None = None) -> list[Source]:
    """The leaves and URLs a JSON body hands out; ``fragments``, if given, gets ``(path,
    leaf)`` of the string leaves that may be HTML (for :func:`.html.fragment_sources`)."""
    try:
        data = jsontext.loads(text)
    except (ValueError, RecursionError):
        return []
    leaves: list[tuple[tuple, str | int]] = []
    urls: list[tuple[tuple, str]] | None = [] if _may_hold_urls(text) else None
    if fragments is not None and not _may_hold_html(text):
        fragments = None
    codes: list[str] | None = [] if may_hold_code(text) else None
    keys: list[str] = []
    if isinstance(data, (dict, list)):
        try:
            wanted_json_leaves(data, (), wanted.last_use, wanted.after, leaves, urls, fragments,
                               codes, keys)
        except RecursionError:
            return []
    elif (isinstance(data, str) or type(data) is int) and str(data) in wanted:
        leaves.append(((), data))
    # an unsafe request to the signed-in user's own route (PUT /users/me) makes nothing: its
    # answer's id is the user's, not a new object's (WordPress's editor saves the user's
    # settings, then asks for /categories/1, the default category, not "the user made")
    creates = step.request.method not in ("GET", "HEAD") and not self_route(step)
    created = creates and step.response is not None and step.response.status == 201
    vocabulary = [key for key in keys if not any(c.isdigit() for c in key)]
    # first, so that the leaves of this very answer are known as the server's words too
    found = [Source(step.number, "", "", KEY_NAMED, path=tuple(vocabulary))] if vocabulary \
        else []
    arrays: dict[int, list[str]] = {}  # json_row_tokens' texts of each array
    named: dict[int, tuple[list[set[str]], dict[str, int]]] = {}  # json_row_names' leaves
    rpc = isinstance(step.request.body, ir.JsonBody) and json_rpc_call(step.request.body.value)
    for path, value in leaves:
        if rpc and path == ("id",):
            continue  # the answer repeats the call's id: the client's count, not the server's
        if _spelled_by_its_keys(path, str(value)):
            continue
        source = _json_source(step, path, value, creates, created)
        if source is not None:
            key = path[-1] if path else None
            if type(value) is str and SERVER_TIME.fullmatch(value) or type(key) is str and \
                    version_name(key) and version_value(str(value)):
                source = replace(source, owner=_owner(data, path))
            if any(type(key) is int for key in path):  # see rows.py
                tokens = json_row_tokens(data, path, arrays)
                names = json_row_names(data, path, value, named)
                if tokens or names:
                    source = replace(source, anchors=(("row", tokens), ("names", names)))
            found.append(source)
    for path, url in urls or ():  # after the leaves: a value that is a leaf too is the leaf
        found.extend(_url_sources(step, path, url, wanted, creates))
    if codes:  # Roundcube's "exec": "this.add_contact_row(\"45520\", …)"
        found.extend(row_sources(step, text, codes, wanted))
    return found


# the kind of the marker source whose path holds the values a JSON answer uses as object keys
# (no digit in them): the server's vocabulary, such as the names of a schema's types
# (Strapi's ``{"schemas": {"api::note.note": …}}``), which the same app says alike on any
# server. A later answer that lists them (``contentTypes[0].uid``) is no source of them: a
# request sends them as recorded (``engine._register_sources``). An id used as a key has
# digits, and stays a value like any other.
KEY_NAMED = "json_key"


def _spelled_by_its_keys(path: tuple, text: str) -> bool:
    """Does a key on the leaf's own path spell its value, whole or as a word of the key?
    Strapi's schemas: ``{"schemas": {"api::note.note": {… "target": "api::note.note"}},
    "plugin::i18n.locale": {"plugin": "i18n"}}``: the server's vocabulary, the same on any
    server, and read at run time by a path that holds the value itself, which could not find
    a value that changed. Sent as recorded."""
    for key in path:
        if type(key) is str and text in key and re.search(
                r"(?<![A-Za-z0-9])" + re.escape(text) + r"(?![A-Za-z0-9])", key):
            return True
    return False


def _owner(data: object, path: tuple) -> str:
    """The ``id`` beside the leaf at ``path`` (its object's), as text; "" if none."""
    node = data
    for part in path[:-1]:
        node = node[part]  # type: ignore[index]
    return object_id(node)


def object_id(node: object) -> str:
    """A JSON object's ``id`` member as text (a string or a number); "" if none."""
    found = node.get("id") if isinstance(node, dict) else None
    return str(found) if isinstance(found, (str, int)) and not isinstance(found, bool) else ""


def wanted_json_leaves(node: dict | list, path: tuple, last_use: dict[str, int], after: int,
                       out: list[tuple[tuple, str | int]],
                       urls: list[tuple[tuple, str]] | None = None,
                       htmls: list[tuple[tuple, str]] | None = None,
                       codes: list[str] | None = None,
                       keys: list[str] | None = None) -> None:
    """Append ``(path, leaf)`` for the string and int leaves in ``Wanted(last_use, after)``,
    in document order (the first of several sources at one step wins); lists only up to their
    200th item. ``urls``, if given, gets ``(path, leaf)`` of the other string leaves that are
    URLs (``/posts/12``, ``https://…``); ``htmls`` of the other string leaves with a ``<``;
    ``codes`` gets those with a ``(`` (a script the page runs: see :mod:`.rows`); ``keys`` the
    object keys that are wanted values too (see :data:`KEY_NAMED`).

    Recursion per container, not per leaf, a path tuple only for the leaves kept and the
    ``Wanted`` test inlined: a large recording has millions of leaves and keeps a few thousand.
    """
    if isinstance(node, dict):
        items = node.items()
        if keys is not None:
            for key in node:
                if key in last_use and last_use[key] > after:
                    keys.append(key)
    else:
        items = enumerate(node[:200])
    for key, item in items:
        if isinstance(item, str):
            if item in last_use and last_use[item] > after:
                out.append(((*path, key), item))
            elif urls is not None and item.startswith(_URL_STARTS):
                urls.append(((*path, key), item))
            else:
                if htmls is not None and "<" in item:
                    htmls.append(((*path, key), item))
                if codes is not None and "(" in item:
                    codes.append(item)
        elif type(item) is int:  # not bool: true/false, null and floats are never sources
            text = str(item)
            if text in last_use and last_use[text] > after:
                out.append(((*path, key), item))
        elif isinstance(item, (dict, list)):
            wanted_json_leaves(item, (*path, key), last_use, after, out, urls, htmls, codes,
                               keys)


_URL_STARTS = ("/", "http://", "https://", "HTTP://", "HTTPS://")


def _may_hold_html(text: str) -> bool:
    """Whether a JSON text can hold HTML: a ``<``, also escaped (Rails and Django escape it)."""
    return "<" in text or "\\u003c" in text or "\\u003C" in text


def _may_hold_urls(text: str) -> bool:
    """Whether a JSON text can hold a URL: it has a slash. One scan at C speed (2 ms for the
    14 MB of JSON of the 10,000-entry benchmark), where testing every leaf cost 25 ms."""
    return "/" in text


def _url_sources(step: ir.Step, path: tuple, url: str, wanted: Wanted,
                 creates: bool) -> Iterator[Source]:
    """The values of a URL the body hands out (a page's script goes there, or sends them on),
    found as in a ``Location``: the leaf at ``path``, then a regex over its path and query."""
    if url.startswith("//") or len(url) > MAX_VALUE:
        return  # another host's assets ("//cdn…"), or not a URL anyone follows
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    for value, name, pattern, decode, where in url_values(url):
        if value in wanted:
            yield Source(step.number, value, name, "json", expr=pattern, path=path,
                         how=f"URL in JSON {key} ({where})"[:60], id_like=True, decode=decode,
                         creates=creates, object_id=where.startswith("segment"))


def _version(key: str, text: str) -> bool:
    """A version counter under a key named so (see rank.version_source)."""
    return version_name(key) and version_value(text)


# what numbers an object in the answer that made it: {"id": 123456789, "number": 1347}
MADE_NUMBER_KEYS = frozenset({"number", "_number"})
# what names an object when its server chose the name (Jupyter's "Untitled Folder")
NAME_KEYS = frozenset({"name", "path", "filename", "file_name", "fileName", "slug", "key",
                       "handle"})


def _json_source(step: ir.Step, path: tuple, value: str | int, creates: bool,
                 created: bool = False) -> Source | None:
    """``creates``: the answer to an unsafe request; ``created``: a 201 Created answer, whose
    object's name (``NAME_KEYS``, at the top or one object down) the server chose."""
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    text = str(value)
    if created and key in NAME_KEYS and len(path) <= 2 and isinstance(value, str):
        return Source(step.number, text, identifier(key), "json", path=path, id_like=True,
                      creates=True, object_id=True, server_named=True)
    # the number an unsafe request's answer gives the object it made, outside any list
    # (GitHub's and Gitea's issues, Gerrit's _number: see rank.made_number)
    made_number = creates and key in MADE_NUMBER_KEYS and type(value) is int and \
        not any(type(part) is int for part in path)
    id_like = made_number or is_id_name(key)
    if len(text) < 4 and not id_like and not _version(key, text) or \
            len(text) > MAX_STRUCTURED:
        return None  # never eligible (see rank.eligible): skip building the source
    parent = next((p for p in reversed(path[:-1]) if isinstance(p, str)
                   and p.lower() not in WRAPPER_KEYS), "") if path else ""
    if key.lower() == "id":
        name = id_name(parent or rpc_noun(step.request.operation) or resource_name(step))
    elif path[:1] == ("result",) and all(type(p) is int for p in path[1:]) and \
            (noun := rpc_noun(step.request.operation)):
        name = id_name(noun)  # JSON-RPC's whole result, or by position: web.get_hosts → host_id
    else:
        name = identifier(key) or "value"
    return Source(step.number, text, name, "json", path=path,
                  is_number=isinstance(value, int), id_like=id_like,
                  creates=creates and id_like,
                  object_id=made_number or is_object_id_name(key))  # how: see engine._how


# keys an API wraps its answer's object in, which say nothing of what the object is: the
# object's id is named by the request's resource instead ({"data": {"id": …}} answering
# POST /items/notes gives note_id, not data_id)
WRAPPER_KEYS = frozenset({"data", "result", "item", "payload", "response", "object",
                          "record", "entity", "body", "content"})


# the verbs a remote procedure's name starts its noun with (get_hosts, listNotes)
_RPC_VERBS = frozenset({"get", "list", "fetch", "find", "read", "load", "query", "search",
                        "create", "add", "new", "make", "register"})


def rpc_noun(operation: str | None) -> str:
    """What a JSON-RPC procedure answers with, by its name: ``web.get_hosts`` → ``hosts``,
    ``Notes.getNote`` → ``note``, ``notes.create`` → ``notes``; "" for no remote procedure (a
    front controller's ``action=edit``) or one named by verbs alone."""
    for words in reversed(procedure_words(operation)):
        while words and words[0] in _RPC_VERBS:
            words.pop(0)
        if words:
            return "_".join(words)
    return ""


def plain_sources(step: ir.Step, text: str) -> Iterator[Source]:
    value = text.strip()
    if " " not in value:
        yield Source(step.number, value, id_name(resource_name(step)) if value.isdigit()
                     else "value", "regex", expr=r"^\s*(\S+)\s*$", how="plain-text body",
                     creates=step.request.method not in ("GET", "HEAD") and value.isdigit())
