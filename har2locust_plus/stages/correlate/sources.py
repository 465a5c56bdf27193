"""What every source kind shares: the ``Source`` record, ranks, names, decoding, regexes.

A source module (``html``, ``scripts``, ``json_body``, ``headers``, ``location``) reads one
kind of place in a recorded response and yields :class:`Source` records: the value, how to
find it again at run time (``kind`` + ``expr``/``path``), how to decode what that finds
(``decode``) and how much it is to be trusted (``rank``, ``id_like``). :mod:`.rank` decides
which of them may be used; :mod:`.engine` looks them up.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from html import unescape
from urllib.parse import unquote, unquote_plus

from ... import ir
from ..grouping import identifier

MIN_TOKEN = 8  # shortest value matched inside a longer text
MAX_VALUE = 4096  # longest value found in text (a script, a page's words) or a URL
# longest value of an element or a key of its own (a hidden input, a JSON leaf, a header):
# ASP.NET's __VIEWSTATE, JSF's client-side view state and a SAML response are tens of KB
MAX_STRUCTURED = 1_000_000
# names of ids and tokens: ``note_id``, ``noteId``, ``csrf-token``, and the compound lower-case
# keys of older APIs (``itemid``, ``revid``, ``oid``, ``ids``) without the English words
ID_NAME = re.compile(r"(^|[_\-.])(id|ids|uuid|guid|key|token|nonce|code|ref|slug)$|Id$|ID$"
                     r"|^[a-z]{1,10}ids?$")
ENGLISH_ID_WORDS = frozenset({
    "paid", "valid", "invalid", "void", "avoid", "android", "humid", "rapid", "solid",
    "liquid", "fluid", "squid", "said", "laid", "maid", "raid", "grid", "hybrid", "vivid",
    "timid", "stupid", "acid", "rigid", "lucid", "candid", "rabid", "florid", "morbid",
    "pyramid", "orchid", "cupid", "druid", "lipid", "hid", "bid", "kid", "lid", "mid", "rid",
    "did", "aid", "amid", "braid", "staid", "afraid", "unpaid", "prepaid", "tepid", "vapid",
    "insipid", "splendid", "horrid", "torrid", "placid", "fervid", "livid", "avid", "bids",
    "kids", "lids", "grids", "aids", "raids", "maids", "fluids", "hybrids", "pyramids",
})
# words people write: "weekly", "Sign in", "authorization_code", "my-spa-client", "OK",
# CamelCase names ("UserLogout"), and names in a namespace ("Special:UserLogout",
# "urn:ietf:params") (not a random mix of cases such as "QwErTyUiOpAsDfGh", which a token
# generator makes)
_WORD_PART = r"(?:[A-Z]?[a-z]+|[A-Z]+)(?:[A-Z][a-z]{2,})*"
WORD = re.compile(f"{_WORD_PART}(?:[-_ .:]{_WORD_PART})*")
TOKEN = re.compile(r"[A-Za-z0-9_\-.~+/=]+")
RANK_STRUCTURED, RANK_TEXT = 0, 1


@dataclass(frozen=True, slots=True)
class Source:
    """Where a response handed out a value and how to get it again at run time."""

    step: int  # step number
    value: str  # as the request sends it (decoded)
    name: str  # suggested variable name
    kind: str  # Extraction.kind
    expr: str = ""
    path: tuple[str | int, ...] = ()
    rank: int = RANK_STRUCTURED
    is_number: bool = False
    how: str = ""  # for the report: "input csrf_token", "JSON access_token" ...
    id_like: bool = False
    decode: str = ""  # Extraction.decode: how to undo the escaping of the place it is found
    creates: bool = False  # handed out by the response to an unsafe request (an object's id)
    object_id: bool = False  # names an object (not a token): its first appearance is its origin
    # kind "link", "form_input": see ir.Extraction
    anchors: tuple[tuple[str, str | ir.VarRef | ir.Template], ...] = ()
    header: str = ""  # kind "location": see ir.Extraction
    # a short id in a link's path (``/admin/tickets/ticket/2236/change/``): preferred, among
    # the sources of its step, for a request path that sends it (the link the user followed)
    in_path: bool = False
    # an in_path id of a URL the page's script requests (a data-* attribute), the only link
    # of its shape on the page: handed out by this page, whatever earlier pages showed
    script_url: bool = False
    # an in_path id of a link on a page that shows what exists, found by the link's name
    # (kind "named_link": expr the link's shape, path (name,))
    named_link: bool = False
    # the name a 201 Created answer gives the object it made, words or not: Jupyter's
    # {"name": "Untitled Folder"}, "Untitled Folder 1" when that exists (see rank.eligible)
    server_named: bool = False
    # a field a form showed filled in (a text-like input, its name once on the page, in a form
    # without a password), eligible by that alone: read only for that very field, as a browser
    # sends what the page put there (see engine._filled_source)
    prefilled: bool = False
    # a version counter (rank.version_source) not eligible otherwise (``3``: too short to be
    # told from a count by its value): read only for a value sent under a name of the same
    # words, of the same object (see engine._version_source)
    versioned: bool = False
    # a moment to the second in a JSON object with an ``id``: that id (see rank.stamp_agrees)
    owner: str = ""
    # kind "link": the first link of the page with this parameter (what a link source whose
    # anchors all drop out at run time would read: see engine._anchored); "form_input": the
    # first form with this input
    first_link: bool = True


OBJECT_ID_NAME = re.compile(r"(^|[_\-.])(id|ids|uuid|guid|slug|ref)$|Id$|ID$|^[a-z]{1,10}ids?$")


@functools.lru_cache(maxsize=4096)
def is_object_id_name(key: str) -> bool:
    """``id``, ``note_id``, ``noteId``, ``itemid``: an object's name, not a token's."""
    return OBJECT_ID_NAME.search(key) is not None and key.lower() not in ENGLISH_ID_WORDS


@functools.lru_cache(maxsize=4096)
def is_id_name(key: str) -> bool:
    """``note_id``, ``noteId``, ``token``, ``itemid``, ``oid`` … but not ``paid`` or ``valid``."""
    return ID_NAME.search(key) is not None and key.lower() not in ENGLISH_ID_WORDS


# an object's id inside a path segment that also holds its name: Oscar's
# /catalogue/zoo-teapot_52745/ (slug_pk), Rails' /products/42-blue-mug (to_param), Stack
# Overflow's /questions/123-title. The name's run next to the id is letters (not
# report-2024-01, a date), the id has no leading zero, and the name holds a word of three
# letters or more (not v-2) and does not count (page-2, top-10).
_SLUG_ID = re.compile(r"(?P<before>[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*?[-_.]?[A-Za-z]+[-_])"
                      r"(?P<id>[1-9][0-9]{0,6})"
                      r"|(?P<id2>[1-9][0-9]{0,6})(?P<after>[-_][A-Za-z]+(?:[-_.][A-Za-z0-9]+)*)")
_SLUG_WORD = re.compile(r"[A-Za-z]{3}")
# a key a path segment holds in a framework's own syntax: OData's ``Notes(4711)``,
# ``Notes('A1B2')``, ``Notes(guid'…')``; a format suffix after an id (Rails', Django REST
# framework's, Laravel's ``/notes/4711.json``)
_KEY = r"[0-9]+|(?=[\w-]*[0-9])[\w-]{6,}"  # a number, or a token with a digit (a uuid)
_KEYED_ID = re.compile(
    rf"(?P<before>[A-Za-z_][\w.]*\((?:guid)?'?)(?P<id>{_KEY})(?P<after>'?\))"
    rf"|(?P<id2>{_KEY})(?P<after2>\.(?:json|xml|html|csv|txt|pdf|atom|rss|ics|yaml|yml|js))")


# a route's word with a version in it: /api/v2/, /api/v1.0/, /saml2/, /oauth2/, ipv6, html5
_VERSIONED_WORD = re.compile(r"[a-z]+[0-9]{1,2}(?:\.[0-9]{1,2})?")
# a word that holds a numeronym (i18n, l10n, a11y, k8s …): Plone's view plonejsi18n,
# jsi18n (Django's JavaScript catalog), @@a11y-settings
# a UUID in any case (``fullmatch`` for a whole value, ``search`` inside a text)
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NUMERONYM = re.compile(r"(?:[A-Za-z]+[-_.]?)?(?:i18n|l10n|g11n|m17n|a11y|o11y|p13n|s12n|k8s)"
                        r"(?:[-_.]?[A-Za-z]+)*", re.I)
# a script or page the route names: saml2-acs.php, index2.html, UserLogin.aspx
_SCRIPT_FILE = re.compile(r"([A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*)\."
                          r"(?:php[0-9]?|html?|aspx?|ashx|jsp|cgi|pl|do|action)")


def route_word(segment: str) -> bool:
    """A path segment that is a word of the route though it holds a digit: a word with a
    version (``v2``, ``saml2``, ``oauth2``) or a numeronym (``jsi18n``, ``a11y-settings``),
    or a script's file name made of such words
    (``saml2-acs.php``), never an id a server handed out (``4711``, ``ZOO-12``,
    ``report-4711.html``)."""
    if _VERSIONED_WORD.fullmatch(segment) or _NUMERONYM.fullmatch(segment):
        return True
    match = _SCRIPT_FILE.fullmatch(segment)
    return match is not None and all(
        WORD.fullmatch(part) or _VERSIONED_WORD.fullmatch(part) or _NUMERONYM.fullmatch(part)
        for part in re.split(r"[-_.]", match.group(1)))


@functools.lru_cache(maxsize=4096)
def slug_id(segment: str) -> tuple[str, str, str] | None:
    """A path segment as (text before the id, the id, text after it) when it is an object's
    name and id (``zoo-teapot_52745``, ``42-blue-mug``); else None."""
    from .rank import NOT_ID_KEYS  # noqa: PLC0415 - rank imports this module

    match = _SLUG_ID.fullmatch(segment)
    if match is None:
        return None
    if match.group("id") is not None:
        found = (match.group("before"), match.group("id"), "")
        name = found[0][:-1]
    else:
        found = ("", match.group("id2"), match.group("after"))
        name = found[2][1:]
    # a name that counts is no object's: page-2, top-10, chapter_3
    if not _SLUG_WORD.search(name) or NOT_ID_KEYS.search(name) or \
            NOT_ID_KEYS.fullmatch(name.split("-")[0].split("_")[0]):
        return None
    return found


@functools.lru_cache(maxsize=4096)
def keyed_id(segment: str) -> tuple[str, str, str] | None:
    """A path segment as (text before the key, the key, text after it) when it holds a key in
    a framework's syntax: OData's ``Notes(4711)`` and ``Notes('A1B2')``, a format suffix
    ``4711.json``; else None. A quoted key keeps its quotes outside (``Notes('`` … ``')``)."""
    match = _KEYED_ID.fullmatch(segment)
    if match is None:
        return None
    if match.group("id") is not None:
        before, key, after = match.group("before", "id", "after")
        if before.endswith("'") != after.startswith("'"):
            return None  # a quote on one side only: no key of OData's
        return before, key, after
    return "", match.group("id2"), match.group("after2")


def path_param(segment: str) -> tuple[str, str, str] | None:
    """A path segment as (text before a path parameter's value, the value, text after it) when
    the value of one of its parameters (RFC 3986's ``;name=value``) is a token
    (:func:`token_like`); else None. The servlet containers write the session id into a new
    session's links so: ``list;jsessionid=9E99…`` → ``("list;jsessionid=", "9E99…", "")``."""
    if ";" not in segment:
        return None
    head, *params = segment.split(";")
    offset = len(head) + 1
    for param in params:
        name, equals, value = param.partition("=")
        if equals and name and token_like(value):
            start = offset + len(name) + 1
            return segment[:start], value, segment[start + len(value):]
        offset += len(param) + 1
    return None


def token_like(value: str) -> bool:
    """A value a server makes up (a token, nonce, key, code), not a word a person would write:
    at least MIN_TOKEN characters without spaces, and digits in it or 16+ characters that are
    not one plain word."""
    if len(value) < MIN_TOKEN or any(ch.isspace() for ch in value):
        return False
    if WORD.fullmatch(value):
        return False  # "authorization_code", "my-spa-client", "accounts"
    return any(ch.isdigit() for ch in value) or len(value) >= 16


# the name of a hidden input in which a framework gives a form its token, a value no user
# types: Django's csrfmiddlewaretoken, Rails' authenticity_token, Laravel's and Symfony's
# _token (note[_token]), Spring's _csrf, ASP.NET's __RequestVerificationToken, __VIEWSTATE and
# __EVENTVALIDATION, WordPress's _wpnonce, Drupal's form_token and form_build_id, Magento's
# form_key, Moodle's sesskey, DokuWiki's sectok, Plone's _authenticator, JSF's
# javax.faces.ViewState, SimpleSAMLphp's AuthState, SAML's SAMLResponse and RelayState. Not
# OAuth's state: a client's script makes it (an authorize link's state is no page's)
FORM_TOKEN_NAME = re.compile(r"csrf|xsrf|token|nonce|authenticity|viewstate|eventvalidation|"
                             r"form_?key|form_build_id|sesskey|sectok|authenticator|authstate|"
                             r"saml|relaystate", re.I)

_TOKEN_NAME = re.compile(r"[A-Za-z0-9]{16,128}")


def token_name(name: str) -> bool:
    """A form field's name that is a token the server handed out, not a word: Joomla's CSRF
    token is the *name* of a hidden input (``<input type="hidden" name="3f9a…" value="1">``),
    which the form sends as ``3f9a…=1``. 16 to 128 letters and digits, both in it."""
    return _TOKEN_NAME.fullmatch(name) is not None and any(ch.isdigit() for ch in name) and \
        any(ch.isalpha() for ch in name)


def decode(value: str, how: str) -> str:
    """The value a request sends, from the text found at ``how``'s kind of place (the same
    steps as the generated scripts' run-time ``decoded()``)."""
    for step in how.split("+") if how else ():
        if step == "html":
            value = unescape(value)
        elif step == "url":
            value = unquote_plus(value)
        elif step == "path":
            value = unquote(value)
        elif step == "js":
            value = js_unescape(value)
    return value


_JS_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\s\S])")
_JS_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def js_unescape(text: str) -> str:
    """The value of a JavaScript (or JSON) string literal's body: ``\\/`` → ``/``,
    ``\\u002B`` → ``+``, ``\\\\`` → ``\\``; surrogate pairs joined."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "u" and len(code) > 1:
            return chr(int(code[2:-1] if code[1] == "{" else code[1:], 16))
        if code[0] == "x" and len(code) == 3:
            return chr(int(code[1:], 16))
        return _JS_SIMPLE.get(code, code)

    out = _JS_ESCAPE.sub(one, text)
    try:  # "\ud83d\ude00" → one emoji
        return out.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return out


# route words that name the signed-in user's own object, not a kind of object (/users/me)
SELF_WORDS = frozenset({"me", "self", "current", "mine"})


def resource_name(step: ir.Step) -> str:
    """The last route word of a step's path (``/api/notes/17`` → ``notes``; ``/users/me``
    → ``users``)."""
    words = [w for w in "".join(p for p in step.request.path.parts if isinstance(p, str))
             .split("/") if w and not any(ch.isdigit() for ch in w)]
    while len(words) > 1 and words[-1].lower() in SELF_WORDS:
        words.pop()
    return words[-1] if words else ""


def self_route(step: ir.Step) -> bool:
    """Does the step's path end with a word for the signed-in user's own object
    (``/wp-json/wp/v2/users/me``)?"""
    path = "".join(p for p in step.request.path.parts if isinstance(p, str)).rstrip("/")
    return path.rpartition("/")[2].lower() in SELF_WORDS


def id_name(resource: str) -> str:
    """``notes`` → ``note_id``; empty → ``id``."""
    base = identifier(resource)
    if base.endswith("ies"):
        base = base[:-3] + "y"
    elif base.endswith("s") and not base.endswith("ss"):
        base = base[:-1]
    return f"{base}_id" if base else "id"


def regex_source(step: ir.Step, text: str, value: str, name: str, how: str,
                 *, decode_as: str = "") -> Source | None:
    """A text source (RANK_TEXT) whose regex is cut from the recorded text around ``value``."""
    pattern = boundary_regex(text, value)
    if not pattern:
        return None
    return Source(step.number, value, name, "regex", expr=pattern, rank=RANK_TEXT, how=how,
                  id_like=True, decode=decode_as)


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
    host = None
    for width in (12, 24, 48):
        left = text[max(0, start - width):start]
        if not left:
            return None
        if host is None:
            host = _host_before(text, start) or (-1, -1)
        if host[1] >= 0 and start - width < host[1]:  # it reaches into the host: any host
            return _any_host_regex(text, value, start, host, group, right)
        if _first_match(text, left, run, right) == (start, end):
            return re.escape(left) + group + re.escape(right)
    return None


# the characters of a URL's host and port
_HOST_CHARS = "[^/\\s\"'<>?#]+"


def _host_before(text: str, start: int) -> tuple[int, int] | None:
    """Where the host (and port) is of the absolute URL that the value at ``start`` is in
    (``http://127.0.0.1:18601/Plone/…``, ``//cdn.test/…``), if it is in one."""
    slash = text.rfind("//", max(0, start - 2048), start)
    if slash < 0 or any(ch in text[slash:start] for ch in " \t\r\n\"'<>"):
        return None
    end = text.find("/", slash + 2, start)
    if end <= slash + 2 or any(ch in text[slash + 2:end] for ch in "?#"):
        return None
    return slash + 2, end


def _any_host_regex(text: str, value: str, start: int, host: tuple[int, int], group: str,
                    right: str) -> str | None:
    """A regex as :func:`boundary_regex` cuts one, whose left side holds the host of the URL
    the value is in: any host there. An app that writes its links with the host it was
    asked for (Plone, most CMSs) writes another one when the script is run against another
    host or port; the recorded one in the regex would find nothing there."""
    pattern = (re.escape(text[max(0, host[0] - 12):host[0]]) + _HOST_CHARS +
               re.escape(text[host[1]:start]) + group + re.escape(right))
    try:
        match = re.search(pattern, text)
    except re.error:
        return None
    return pattern if match is not None and match.start(1) == start and \
        match.group(1) == value else None


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


def first_group(pattern: str, text: str) -> str | None:
    """Group 1 of the first match of ``pattern`` in ``text`` (what the script will find)."""
    try:
        match = re.search(pattern, text)
    except (re.error, RecursionError):
        return None
    return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class Wanted:
    """The values a request after step ``after`` may look up: ``value in wanted``.

    The body parsers ask before they build a source, so the values nobody uses later (most of
    what a response hands out) cost a dict lookup and nothing more.
    """

    last_use: dict[str, int]  # engine._State.wanted
    after: int  # the step whose response is read

    def __contains__(self, value: object) -> bool:
        return self.last_use.get(value, -1) > self.after  # type: ignore[call-overload]
