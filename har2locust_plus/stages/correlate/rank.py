"""The one place that decides which sources may be used, and which one wins.

A wrong correlation is worse than none: a value that is not clearly handed out (short, common,
a word, a time, a URL, or only found by a text regex while short) stays literal.

* **Eligible** (:func:`eligible`): long enough for its rank, not a word (``weekly``, ``Sign
  in``; but the name a 201 Created answer gives the object it made is its name, words or not:
  Jupyter's ``Untitled Folder``, ``Untitled Folder 1`` when that exists), not ``0`` (no
  object), not a time or a URL (but a moment to the second that a JSON
  leaf or a hidden input holds, sent back whole, is a version stamp: Ghost's ``updated_at``,
  which its API compares to refuse a stale edit, read only from a member of its name of the
  same object, :func:`stamp_agrees`; a date a form's input held is the server's
  default, read under that input's name only, :func:`form_time`; a directory a JSON key
  names is the server's, :func:`server_directory`; an object's version under a version's
  name, however short and ``0`` too, :func:`version_source`, which is read only for a
  version of the same object sent under a name of the same words), not ignored by the user,
  and not sent by
  the client before the response handed it out (then it is a constant the client knew) —
  unless the response
  *created* an object and hands out its id (a recording on a fresh database has id ``1``,
  which may also be a constant), or it is in the one URL of its shape that the page's script
  requests (an editing session's ``2`` is no home page's ``2`` sent before). A value of one
  or two characters is judged by :func:`names_agree` instead (and by the key it was sent
  under before, see :func:`usable_at`): ``revision_id=2`` is no ``/pages/2/``.
  A short value from a source named like a count or a flag (``page``, ``is_editing``) is
  never an id either.
* **Usable at a place** (:func:`usable_at`): a short value (under MIN_TOKEN characters) is
  only replaced under a key that can hold an id — never ``page=1``, ``limit=20``,
  ``interval=15``; one character only under an id's name (``user_id``, ``ids``) or in a
  path — and never under a key that sent the same value before its source.
* **Names agree** (:func:`names_agree`): a value of one or two characters (``1``, ``42``)
  is in too many places by chance; it comes from a response only where its source made it
  (a created object's id, the link of that shape) or the source's name and the place it is
  sent under name the same thing (``revision_id`` → ``revision_id=1``, ``page_id`` →
  ``/pages/2/``), never ``<input name=owner value=2>`` → ``revision_id=2``.
* **Order** (:func:`order`): structured sources (inputs, meta tags, JSON, headers, Location)
  before text regexes, a created object's id before other equal values, then an object id's
  first appearance, a token's nearest response (tokens that rotate page by page stay right).
"""

from __future__ import annotations

import functools
import re

from .sources import (
    MAX_STRUCTURED,
    MAX_VALUE,
    MIN_TOKEN,
    RANK_STRUCTURED,
    RANK_TEXT,
    WORD,
    Source,
    is_id_name,
)

COMMON = frozenset({"true", "false", "null", "none", "yes", "no", "on", "off", "undefined",
                    "get", "post", "put", "delete", "json", "html", "text", "bearer", "basic"})
# keys whose small numbers are counts, sizes, positions or times, never an object's id
NOT_ID_KEYS = re.compile(
    r"(^|[_\-.])(page|pages|per_?page|page_?size|limit|offset|size|count|total|num|number|n|"
    r"start|end|from|to|step|interval|hour|hours|minute|minutes|min|max|second|seconds|sec|"
    r"day|days|week|month|year|width|height|w|h|x|y|z|zoom|depth|level|version|v|rev|index|"
    r"idx|pos|position|order|sort|rows|cols|columns|tab|qty|quantity|amount|price|rating|"
    r"score|age|lang|locale|timeout|ttl|retry|retries|attempt|delay|duration|format|type|"
    r"mode|status|state|flag|debug|lines|line|col|column|length|len|top|skip|take|first|last)$"
    # or a bound or a sum of something: Django's formset form-MAX_NUM_FORMS, max_results
    r"|(^|[_\-.])(max|min|total|num)[_\-.]",
    re.I)
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d([T ][\d:.]+)?(Z|[+-]\d\d:?\d\d)?")
SHORT_ID = 2  # at most this long, a value needs names_agree (or a source that made it)
_ID_WORDS = frozenset({"id", "ids", "pk", "pks", "uuid", "key", "no", "num"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


# the last word of a name that holds an object's version, which an edit sends back so that the
# server can refuse it if someone changed the object since (optimistic locking): Rails'
# lock_version (Redmine's issue[lock_version]), Trac's and a JPA form's version, Confluence's
# originalVersion, CouchDB's _rev, Kubernetes' resourceVersion, Grafana's dashboard version
_VERSION_WORDS = frozenset({"version", "rev", "revision"})


@functools.lru_cache(maxsize=4096)
def version_name(name: str) -> bool:
    """``version``, ``lock_version``, ``issue[lock_version]``, ``resourceVersion``, ``_rev``."""
    words = _words(name)
    return bool(words) and words[-1] in _VERSION_WORDS


def version_value(value: str) -> bool:
    """A version counter: digits only (``0`` too: a version, unlike an id, may be nought)."""
    return 0 < len(value) <= 20 and value.isascii() and value.isdigit()


def version_source(source: Source) -> bool:
    """A version counter that a form's input or a JSON member named as a version holds, the
    only input of its name on the page or the one in its form (not picked by its place among
    several), in a JSON array only beside its object's ``id`` (a list's rows: which row, its
    place does not tell; the id does, see :func:`.engine._version_source`). Whatever its
    length it is the server's, and it changes with every edit: sent as recorded, the second
    edit of an object sends the version the first one replaced, and the server refuses it
    (409, or the form again with "modified by somebody else")."""
    if source.rank != RANK_STRUCTURED or not version_value(source.value):
        return False
    if source.kind == "json":
        if not source.owner and any(type(part) is int for part in source.path):
            return False
    elif not (source.kind == "form_input" or source.kind == "xpath" and
              source.how.startswith("input ") and not source.expr.startswith("(")):
        return False
    return version_name(_own_name(source))


def _own_name(source: Source) -> str:
    """The name a source's value has where it is: its JSON key, else the source's name."""
    return next((p for p in reversed(source.path) if isinstance(p, str)), "") or source.name


# a code in capitals that names an object in a URL's path: pretix's order, /order/LDEGQ/…
# (see location._handed_out: the shortest is 5 letters, so /API/ and /FAQ/ stay route words)
CAPITALS_CODE = re.compile(r"[A-Z]{5,}")


def eligible(source: Source, sent: set[str], ignore: list[re.Pattern[str]]) -> bool:
    value = source.value
    if not value or value.lower() in COMMON or len(value) > (
            MAX_STRUCTURED if source.rank == RANK_STRUCTURED else MAX_VALUE):
        return False
    if WORD.fullmatch(value) and not source.server_named and not (
            source.object_id and CAPITALS_CODE.fullmatch(value)):
        return False  # "weekly", "Sign in", "authorization_code": a constant of the page
    if not value.strip("0"):
        return False  # "0" names no object: "no parent", "none yet" (WordPress's post_id=0)
    if value in sent and len(value) > SHORT_ID and not (
            source.creates and source.rank == RANK_STRUCTURED or source.script_url):
        return False  # the client knew it before this response: a constant
    if any(p.search(value) for p in ignore):
        return False
    if len(value) < 4 and not (source.id_like and source.rank == RANK_STRUCTURED):
        return False
    if len(value) < MIN_TOKEN and _not_id_source(source.name) and not made_number(source):
        return False  # <input name="is_editing" value="1">, "page" 2: a flag or a count
    if source.rank == RANK_TEXT and len(value) < MIN_TOKEN:
        return False
    if source.rank == RANK_STRUCTURED and SERVER_TIME.fullmatch(value):
        return True  # a version stamp: Ghost's updated_at, sent back for optimistic locking
    if form_time(value) and source.how.startswith("input "):
        return True  # a date or time the server filled a form's input with (see form_time)
    if source.rank == RANK_STRUCTURED and server_directory(source, value):
        return True  # a directory of the server's machine, sent back: where to save
    return not _looks_like_time_or_url(value)


def form_time(value: str) -> bool:
    """A date, or a date and time, as a form's input holds one (``2026-12-05``, Zabbix's
    maintenance period ``2026-12-05 04:40``, ``2026-12-05T04:40``). A person picks such a
    value as often as a server prefills it, so it is read from a response only from an input
    of the name it is sent under (:func:`.engine._lookup`): the server's default (today,
    now, now and a day) that the user sent back unchanged, as a browser sends what the
    server put there. Another day, another default: sent as recorded, a maintenance period
    of the recording's day would be made, and end, in the past."""
    return value[:1].isdigit() and _ISO_TIME.fullmatch(value) is not None


# the last word of a key that names a place in the server's file system
_DIRECTORY_KEY = re.compile(r"(^|[_\-.\s])(dir|dirs|directory|folder|path|home|root)$", re.I)


def server_directory(source: Source, value: str) -> bool:
    """A directory of the server's own machine that a structured source names by its key:
    Transmission's ``"download-dir": "/var/lib/transmission/downloads"``, a ``savePath``, a
    ``home``; the page's script sends it back as where to put what the user adds. It is the
    server's (another server, another directory), so it is correlated although it starts with
    a slash like a URL's path; a key that names no directory (``url``, ``href``, ``next``)
    leaves such a value a URL."""
    if value[:1] != "/" or value[:2] == "//" or len(value) < 4 or "?" in value \
            or "#" in value or "\n" in value:
        return False
    key = next((p for p in reversed(source.path) if isinstance(p, str)), "")
    return bool(key) and _DIRECTORY_KEY.search(_CAMEL.sub("_", key)) is not None


def prefilled_only(source: Source, ignore: list[re.Pattern[str]]) -> bool:
    """A field a form showed filled in, whose value is not eligible otherwise (a word, a
    count, a URL, a short value): the server's value all the same, for that field only."""
    value = source.value
    return source.prefilled and 0 < len(value) <= MAX_VALUE and \
        not any(p.search(value) for p in ignore)


def made_number(source: Source) -> bool:
    """The number the answer to an unsafe request gives the object it made, outside any list:
    GitHub's and Gitea's issues (``{"id": 123456789, "number": 1347}``, then
    ``/issues/1347``), Gerrit's changes (``_number``). Not a count: a count's key is plural or
    says what it counts (``total``, ``number_of_items``)."""
    return source.creates and source.object_id and bool(source.path) and \
        source.path[-1] in ("number", "_number")


def _looks_like_time_or_url(value: str) -> bool:
    return value.startswith(("http://", "https://")) or (
        value[:1] == "/" and not base64_token(value)) or (
        value[:1].isdigit() and _ISO_TIME.fullmatch(value) is not None)


# a moment to the second (not a date a person picks), as a server writes one
SERVER_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:?\d\d)?")


def stamp_agrees(source: Source, key: str, owner: str) -> bool:
    """May a moment to the second (:data:`SERVER_TIME`) sent under ``key``, in a JSON object
    whose ``id`` is ``owner`` (or "") come from ``source``? Only where the source's own key
    names the same moment (``updated_at`` → ``updated_at``, ``updatedAt`` → ``updated_at``)
    and, where both objects have an id, of the same object. Unlike a token, such a value is
    not one of a kind: whatever a server made in the same second has it (Ghost's owner, its
    tiers and its first post, all made at set-up, share their ``created_at``), so by value
    alone a post's ``published_at`` would stand for its author's ``created_at``, and one
    tier's ``updated_at`` for another's."""
    if not key or owner and source.owner and owner != source.owner:
        return False
    return _words(_own_name(source)) == _words(key)


@functools.lru_cache(maxsize=4096)
def _words(name: str) -> tuple[str, ...]:
    """A key's words, lower case: ``revisionId``, ``revision-id`` → ("revision", "id")."""
    return tuple(w for w in re.split(r"[^a-z0-9]+", _CAMEL.sub("_", name).lower()) if w)


def form_state_name(name: str) -> bool:
    """The name of a hidden input in which an edit form holds the state of the object it
    edits, for the server to tell a stale edit (optimistic locking): a revision (Wagtail's
    ``revision_id``, MediaWiki's ``parentRevId``, DokuWiki's ``rev`` and ``changecheck``,
    Gitit's ``sha1``, ikiwiki's ``rcsinfo``) or the moment the form was shown or the object
    last changed (Trac's ``view_time``, Roundup's ``@lastactivity``, MediaWiki's
    ``wpStarttime`` and ``wpEdittime``, Wagtail's ``revision_created_at``). A ``version``
    only by :func:`version_name` with a number's value (a tracker's "Version" is the user's)."""
    words = _words(name)
    return bool(words) and (words[-1] in _STATE_WORDS or words[-2:] in _STATE_ENDINGS
                            or words[-3:] == ("revision", "created", "at"))


_STATE_WORDS = frozenset({"rev", "revision", "revid", "sha1", "rcsinfo", "changecheck",
                          "lastactivity", "starttime", "edittime"})
_STATE_ENDINGS = frozenset({("view", "time"), ("last", "activity"), ("rev", "id"),
                            ("revision", "id")})


_BASE64 = re.compile(r"[A-Za-z0-9+/]{20,}={0,2}")


def base64_token(value: str) -> bool:
    """Base64 that starts with a slash, not a path from the site's root: ASP.NET's
    ``__VIEWSTATE`` (``/wEPDwUK…``), Stripes' encrypted ``_sourcePage``, any random bytes (one
    in 64 starts so). It has upper- and lower-case letters and digits, and either padding or
    long runs between its slashes; a path has words between them (``/Users/Ann2020/Docs``)."""
    if not _BASE64.fullmatch(value):
        return False
    if value.startswith("/wE"):
        return True
    if not (any(c.isupper() for c in value) and any(c.islower() for c in value)
            and any(c.isdigit() for c in value)):
        return False
    segments = value.count("/")
    return value.endswith("=") or (len(value) - segments) / segments >= 12


def usable_at(value: str, key: str, keys_before: set[str] | None) -> bool:
    """May a short value sent under ``key`` (a query, form or JSON key; "" in a path or text)
    come from a response? ``keys_before``: the keys that sent it before its source."""
    if len(value) >= MIN_TOKEN:
        return True
    if key and _not_id_key(key):
        return False
    if len(value) == 1 and key and not key.startswith("/") and not is_id_name(key):
        return False  # "1" under "trashed" or "all": too common to be an id
    return not (keys_before and key in keys_before)


@functools.lru_cache(maxsize=4096)
def _not_id_key(key: str) -> bool:
    return NOT_ID_KEYS.search(key) is not None


not_id_key = _not_id_key  # a key whose small numbers are counts, sizes or positions


# a yes/no: "is_editing", "has_comments", "can_edit", "notify_enabled"
FLAG_NAME = re.compile(r"^(is|has|can|should|allow|show|use)_|_(enabled|disabled|flag)$", re.I)


@functools.lru_cache(maxsize=4096)
def _not_id_source(name: str) -> bool:
    """A source named like a count, a position or a flag never hands out a short id."""
    return _not_id_key(name) or FLAG_NAME.search(name) is not None


def order(source: Source) -> tuple[int, int, int, int]:
    """Smaller is better: rank, a created object's id first, then for an object's id its first
    appearance (the response that made it, not a later list whose first item may be another
    user's), for a token the nearest response (tokens rotate) outside any list before one in
    a list's element (Transmission's download directory in its settings, not as the first
    torrent's: another run may list no torrent, or another user's first)."""
    if source.object_id:
        return (source.rank, 0 if source.creates else 1, 0, source.step)
    return (source.rank, 0 if source.creates else 1,
            1 if any(type(part) is int for part in source.path) else 0, -source.step)


@functools.lru_cache(maxsize=4096)
def _thing(name: str) -> str:
    """What a name names: its last word that is not "id" (``revision_id``, ``revisionId`` →
    "revision"; ``pages`` → "page"); "" for a bare ``id`` or a number."""
    words = list(_words(name))
    while words and words[-1] in _ID_WORDS:
        words.pop()
    if not words or words[-1].isdigit():
        return ""
    word = words[-1]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") \
        else word


def names_agree(source: str, key: str, place: str | None) -> bool:
    """Do a source's name and the key (query, form or JSON; else the route word before a
    path segment, ``place``) name the same thing?"""
    target = key or (place or "").lstrip("/")
    if not target:
        return False
    if source.lower() == target.lower():
        return True
    thing = _thing(source)
    return bool(thing) and thing == _thing(target)
