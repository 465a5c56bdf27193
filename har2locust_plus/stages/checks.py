"""Checkpoints: what each replayed response must look like for the step to count as passed.

* status as recorded — each redirect hop is replayed on its own, so a 302 is checked as a 302
  and its ``Location`` as a route pattern (ids and tokens in it may differ);
* with ``--checks full``: the content type family (HTML, JSON), a stable piece of HTML (the
  ``<title>``, else the first heading) and, for JSON objects, the top-level keys and a few
  values that are constant, at any depth (short words under keys that are not ids, times or
  tokens: ``save.result == "Success"``; booleans that say how the request's work went:
  ``data.createNote.ok == True``, ``error == False``, a JSON-RPC action's ``result == True``,
  never a state or a setting: ``web.connected``, ``hasNextPage``; no value of a read of the
  server's settings: ``GET /api/settings``, ``core.get_config``);
* with ``--checks full``, for JSON: no ``error``/``errors`` member unless the recording had one
  (APIs that answer errors with HTTP 200: GraphQL, JSON-RPC, RPC over forms), POST included;
  for an ASP.NET AJAX partial-page answer (an ``UpdatePanel``'s postback, also answered 200
  when it failed), a field every answer that worked holds (``|updatePanelIDs|``);
* with ``--checks full``, for the answer to an unsafe request (not GET or HEAD): the message it
  shows, in an element whose class, id or role says so (``alert``, ``message``, ``flash``,
  ``notice``, ``role="status"`` …), when every recording of it shows the same stable one: a
  refusal answered 200 ("No such order") shows another. Also in the HTML a JSON answer holds
  for its page's script (phpMyAdmin's ``message``), and after an icon: then a phrase between
  its numbers (``1 row deleted. (Query took 0.0006 seconds.)`` → ``row deleted.``), as sent;
  and the message after a "Message:" label (Tomcat's Manager: ``OK - Deployed application at
  context path``, where a refusal says ``FAIL - …``).

Checks are decided per method, path, operation (:mod:`har2locust_plus.operation`) and kind of
answer (HTML, JSON): one URL often serves many operations whose answers differ, and one
operation a page and, to its script, JSON; recordings of one of them must agree.

A snippet or value is never one that can change per run: no correlated or generated value, no
text the client sent (user input echoed back; in a message, as whole words: the ``insert`` a
form sent is not echoed by "row inserted."), no digits (ids, counts, dates), nothing
uuid- or token-shaped. When the same request (operation) was recorded several times, a snippet
or value must occur in every recorded response of it.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from itertools import chain, islice
from urllib.parse import unquote, unquote_plus, urlsplit

from .. import ir, jsontext
from ..ir import replace
from ..operation import operation_words, procedure_words
from ..options import Options
from .correlate import ID_NAME
from .correlate.delta import ANSWER_FIELDS, delta_fields
from .correlate.location import header_url
from .correlate.sources import WORD, route_word, token_like

TITLE = re.compile(r"<title[^>]*>([^<]{2,120})</title>", re.I)  # _stable_text: 3 in ASCII
HEADING = re.compile(r"<h([1-3])[^>]*>([^<]{2,120})</h\1>", re.I)
DYNAMIC_KEY = re.compile(r"(^|_)(id|uuid|guid|token|key|nonce|hash|sig|signature|session|csrf|"
                         r"time|date|at|ts|timestamp|expires?|created|updated|modified|count|"
                         r"total|etag|version|rev)$", re.I)
# a state the server's own work passes through, which moves by itself between a recording and a
# replay (Syncthing's folder "idle" or "scanning"; a job "queued", "running"): not checked.
# A state the user's action set ("draft", "closed", "done") is.
WORK_STATE_KEY = re.compile(r"(^|_)(state|status|phase|stage)$", re.I)
WORK_STATE = re.compile(r"idle|scanning|scan_?waiting|sync(ing|_?waiting|_?preparing)?|"
                        r"running|pending|queued|waiting|processing|starting|stopping|busy|"
                        r"in[_ -]?progress|working|preparing|indexing|loading|updating|"
                        r"provisioning|initiali[sz]ing|cleaning(_?waiting)?|"
                        r"(un)?scheduled|creating|deleting|restarting", re.I)
# the same words ending compound keys (newtimestamp, endCursor, lastmodified, pagecount)
DYNAMIC_SUFFIX = re.compile(r"(token|nonce|hash|session|cursor|time|date|timestamp|expires|"
                            r"created|updated|modified|count|total|humani[sz]ed|ago)$", re.I)
MAX_JSON_VALUES = 4
MAX_JSON_DEPTH = 6  # how deep constant values are looked for (``data.createNote.ok``)
MAX_JSON_NODES = 2000  # members looked at per response: huge answers stay fast
PATH_KEY = re.compile(r"[A-Za-z_][A-Za-z_\-]{0,39}")  # no digits, no dots: a word, not an id
RequestKey = tuple[str, str, str, str]  # method, path, operation (``ir.Request.operation``), answer


def add_checks(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    return with_checks(scenario, checks_per_step(scenario, options))


def with_checks(scenario: ir.Scenario, checks: Sequence[tuple[ir.Check, ...] | None]
                ) -> ir.Scenario:
    """The scenario with each step's checks (:func:`checks_per_step`; None: none). Where a
    redirect's URL names what the run makes unique (``/projects/zoo_garden``: a slug, an
    account with a fresh suffix each run, see :mod:`.secrets`), or a name of words read from a
    ``Location`` (the server's slug of a typed title), that segment may be any."""
    if not any(found is not None for found in checks):
        return scenario
    made = {re.escape(g.recorded) for step in scenario.steps for g in step.generated
            if g.kind == "unique" and g.recorded}
    # and the name a server made from a typed title, read from a Location (Plone's
    # /Plone/harbour-meeting-minutes, -1 where that is taken): words, yet the run's own
    made.update(re.escape(e.recorded) for step in scenario.steps for e in step.extractions
                if e.kind == "location" and e.recorded and WORD.fullmatch(e.recorded))
    if made:
        checks = [found if found is None else tuple(_any_made(check, made) for check in found)
                  for found in checks]
    return replace(scenario, steps=tuple(
        step if found is None else replace(step, checks=found)
        for step, found in zip(scenario.steps, checks, strict=True)))


def _any_made(check: ir.Check, made: set[str]) -> ir.Check:
    """A redirect's check whose pattern has a segment the run makes (escaped, as
    :func:`location_pattern` writes it) with that segment any."""
    if check.kind == "location":
        pattern = _made_segments(check.expected, made)
        return check if pattern == check.expected else replace(check, expected=pattern)
    if check.kind in ("redirect_header", "body_url"):
        first, rest = check.expected[0], check.expected[1]
        if check.kind == "redirect_header":
            pattern = _made_segments(rest, made)
            return check if pattern == rest else replace(check, expected=(first, pattern))
        pattern = _made_segments(first, made)
        return check if pattern == first else replace(check, expected=(pattern, rest))
    return check


def _made_segments(pattern: str, made: set[str]) -> str:
    """``made`` as the pattern writes them (escaped: ``zoo\\-garden``), each found as that
    text (escaped again: a ``-`` or ``.`` in a slug is ``\\-`` in the pattern)."""
    return re.sub(r"(?<=/)(" + "|".join(map(re.escape, sorted(made, key=len, reverse=True))) +
                  r")(?=/|\(|$)", r"[^/?#]+", pattern)


def checks_per_step(scenario: ir.Scenario, options: Options
                    ) -> list[tuple[ir.Check, ...] | None]:
    """What each step's response is checked for (None: the step is left as it is). Reads
    the requests only for what they send and name, never for a secret's place: the same
    before secrets are parameterized and after (see ``stages.checks_beside_secrets``)."""
    if options.checks == "none":
        return [None] * len(scenario.steps)
    dynamic = _dynamic_values(scenario)
    groups = _recordings_by_request(scenario.steps)
    body_checks: dict[RequestKey, list[ir.Check]] = {}  # one decision per request
    after_unsafe = False  # the step before redirected, and its chain began with an unsafe one
    removed: list[_Removed] = []  # what the delete whose redirects are followed may remove
    recorded: dict[str, str] | None = None  # each variable's recorded value, once needed
    steps: list[tuple[ir.Check, ...] | None] = []
    for step in scenario.steps:
        landed = after_unsafe and step.follows_location
        deletes = not landed and step.response is not None and \
            300 <= step.response.status < 400 and _deletes(step.request)  # a link's too
        after_unsafe = step.response is not None and 300 <= step.response.status < 400 and (
            landed or deletes or step.request.method not in SAFE_METHODS)
        if not landed:
            removed = []
        if after_unsafe and deletes:
            if recorded is None:
                recorded = _recorded_values(scenario.steps)
            removed = _removed(step, recorded)
        if step.response is None:
            steps.append(None)
            continue
        checks = _status_checks(step.response, step.request.origin)
        # a body the HAR does not hold (the browser dropped it: a frame's page replaced at
        # once) is unknown, not empty: its step gets no body checks, nor a say in its group's
        if options.checks == "full" and 200 <= step.response.status < 300 and \
                step.response.body is not None:
            key = _request_key(step)
            if key not in body_checks:
                body_checks[key] = _body_checks(groups[key], dynamic,
                                                unsafe=key[0] not in SAFE_METHODS,
                                                origin=step.request.origin,
                                                method=key[0], operation=key[2],
                                                settings=reads_settings(*key[:3]))
            checks += body_checks[key]
            if landed:
                checks += [check for check in _landing_message(step.response, dynamic)
                           if check not in checks]
            if not after_unsafe:
                for candidate in removed:
                    before = _shown_before_not_after(candidate, step, scenario.steps)
                    if before is not None:
                        named = _named_also(before, step.response.text, [
                            s for s in scenario.steps if s.number < step.number])
                        gone = (candidate.template, named) if named else candidate.template
                        checks.append(ir.Check("gone", (gone,), "the list no longer links to "
                                               "what the delete removed"))
                        break
        steps.append(tuple(checks))
    return steps


# --- a delete that the app ignored --------------------------------------------------------------
#
# An app may answer a delete it refused as it answers one it did: Symfony's make:crud ignores a
# stale token and redirects to the list all the same (303), and so do many hand-written
# controllers. Where the recorded list the delete lands on no longer links to the object, and a
# recording of that list before the delete did, the replayed list must not link to it either.


class _Removed:
    """The object a delete removed: its URL's path up to its id, as a template and as
    recorded (``/note/{note_id}``, ``/note/68848``), and the delete's step number."""

    __slots__ = ("template", "literal", "step")

    def __init__(self, template: ir.Template, literal: str, step: int) -> None:
        self.template, self.literal, self.step = template, literal, step


_DELETE_WORDS = frozenset({"delete", "destroy", "remove"})
# what a parameter that names the action says it does to the object: WordPress's
# ``post.php?post=40429&action=trash``, ``?op=delete``; or a parameter named so (a submit
# button ``delete=Delete``, PostfixAdmin's ``delete.php?table=alias&delete=<address>``). Not
# any parameter: DokuWiki's edit summary ``summary=delete`` is the user's words
_DELETE_VALUES = _DELETE_WORDS | {"trash"}
_ACTION_NAME = re.compile(r"_?(action|act|op|operation|do|cmd|command|task|mode|method|verb)",
                          re.I)


def _deletes(request: ir.Request) -> bool:
    """A request that deletes what it names: ``DELETE``; a ``POST`` that says so
    (``_method=DELETE``, Rails', Laravel's, Symfony's method override; an
    ``X-HTTP-Method-Override`` header); a ``POST`` or a ``GET`` whose last route word is
    ``delete``, ``destroy`` or ``remove`` (``/notes/5/delete``, ``delete.php``) or one of whose
    parameters says so (``action=trash``, ``op=delete``, ``delete=Delete``: a link that
    deletes, as WordPress's and many a PHP app's)."""
    if request.method == "DELETE":
        return True
    if request.method not in ("POST", "GET"):
        return False
    if request.method == "POST":
        override = request.header("x-http-method-override") or request.header("x-http-method")
        if override and override.upper() == "DELETE":
            return True
    fields = request.body.fields if isinstance(request.body, ir.FormBody) else ()
    for name, value in chain(fields, ((q.name, q.value) for q in request.query)):
        if not value.is_literal:
            continue
        if name == "_method":
            if request.method == "POST" and value.text.upper() == "DELETE":
                return True
        elif _ACTION_NAME.fullmatch(name) and value.text.lower() in _DELETE_VALUES or \
                name.lower() in _DELETE_VALUES:
            return True
    last = request.path.parts[-1] if request.path.parts else ""
    if not isinstance(last, str):
        return False
    word = last.rstrip("/").rpartition("/")[2].lower()
    return word in _DELETE_WORDS or word.rpartition(".")[0] in _DELETE_WORDS


def _recorded_values(steps: Sequence[ir.Step]) -> dict[str, str]:
    """Each variable's recorded value (its first extraction or generation)."""
    found: dict[str, str] = {}
    for step in steps:
        for item in chain(step.extractions, step.generated):
            if item.recorded:
                found.setdefault(item.var, item.recorded)
    return found


def _removed(step: ir.Step, recorded: dict[str, str]) -> list[_Removed]:
    """What ``step``'s delete may remove, each as the list would name it, best first: its path
    up to the last value read this run (the object's id: ``/users/{user_id}/notes/{note_id}``
    of ``…/{note_id}/delete``); else each parameter holding one value read this run, not a
    token (``post={post_id}`` of WordPress's ``post.php?post=40429&action=trash&_wpnonce=…``;
    a form field's of a ``POST``), and a long one alone (a uuid: the list may link to it as
    ``/edit/<uuid>``). Only values whose recorded one is known and needs no escaping."""
    path = step.request.path.parts
    last = max((i for i, part in enumerate(path) if isinstance(part, ir.VarRef)), default=None)
    if last is not None:
        whole = _recorded_template(path[:last + 1], recorded)
        return [] if whole is None else [_Removed(*whole, step.number)]
    request = step.request
    params = [(q.name, q.value) for q in request.query if not q.bare and q.name_template is None]
    if request.method == "POST" and isinstance(request.body, ir.FormBody):
        named = {index for index, _ in request.body.names}
        params += [field for index, field in enumerate(request.body.fields) if index not in named]
    found = []
    for name, value in params:
        if len(value.parts) != 1 or not isinstance(value.parts[0], ir.VarRef) or \
                not _URL_SAFE_ID.fullmatch(name) or \
                _CREDENTIAL_NAME.search(name):
            continue
        pair = _recorded_template((f"{name}=", *value.parts), recorded)
        if pair is not None:
            found.append(_Removed(*pair, step.number))
            alone = pair[1][len(name) + 1:]
            if len(alone) >= 16 and _TOKEN_LIKE.fullmatch(alone):
                found.append(_Removed(ir.Template(value.parts[-1:]), alone, step.number))
    return found


def _recorded_template(parts: Sequence[ir.Part], recorded: dict[str, str]
                       ) -> tuple[ir.Template, str] | None:
    """``parts`` with each value read this run as its raw variable, and as recorded; None where
    a value's recorded one is unknown or would be escaped in a URL."""
    template: list[ir.Part] = []
    literal = []
    for part in parts:
        if isinstance(part, ir.VarRef):
            value = recorded.get(part.name) if part.scope == "self" else None
            if value is None or not _URL_SAFE_ID.fullmatch(value):
                return None
            template.append(ir.VarRef(part.name))
            literal.append(value)
        elif isinstance(part, str):
            template.append(part)
            literal.append(part)
        else:
            return None
    return ir.Template(tuple(template)), "".join(literal)


_URL_SAFE_ID = re.compile(r"[A-Za-z0-9_.~-]+")
# a parameter that proves the request, not one that names the object
_CREDENTIAL_NAME = re.compile(r"csrf|xsrf|token|nonce|authenticity|auth|session|sig|hash|"
                              r"expires|key|checksum|changecheck|digest|hmac", re.I)
# a value long and mixed enough to name one object wherever it stands (a uuid, a hash id)
_TOKEN_LIKE = re.compile(r"(?=[^-]*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]+")


def _links_to(text: str, named: str) -> bool:
    """Does ``text`` name ``named`` whole: a path (``/note/5``, not ``/note/55``), a parameter
    (``post=5``, not ``post=55`` or ``repost=5``), a value alone?"""
    return re.search(gone_pattern(named), text) is not None


def gone_pattern(named: str) -> str:
    """The regex the run-time check uses for ``named`` (``runtime/checks.py``, the same)."""
    left = "" if named.startswith("/") else r"(?<![\w-])"
    return left + re.escape(named) + r"(?![\w-])"


def _shown_before_not_after(removed: _Removed, step: ir.Step,
                            steps: Sequence[ir.Step]) -> str | None:
    """The page the delete landed on (``step``, an HTML answer) does not name the object, and
    the same page recorded before the delete did: that page's text, else None."""
    response = step.response
    if response is None or "html" not in response.mime_type or not 200 <= response.status < 300:
        return None
    text = response.text
    if not text or len(removed.literal) < 3 or _links_to(text, removed.literal):
        return None
    path = step.request.path
    for earlier in steps:
        if earlier.number >= removed.step:
            return None
        if earlier.request.method == "GET" and earlier.request.path == path and \
                earlier.response is not None and earlier.response.text and \
                _links_to(earlier.response.text, removed.literal):
            return earlier.response.text
    return None


def _named_also(before: str, after: str, steps: Sequence[ir.Step]) -> ir.Template | None:
    """A value this run made in ``steps`` (a time or uuid in the object's name, ``Zoo 1796…``)
    that the list showed before the delete and not after it, if any: the object is there only if
    the replayed list shows both its id and that value. Where the database hands a deleted
    object's id to the next object made (SQLite's rowid without AUTOINCREMENT), another user's
    new object may bear the id between this user's delete and its list."""
    for step in steps:
        for item in step.generated:
            if item.kind in ("uuid4", "token", "epoch_ms", "epoch_s", "unique") and \
                    len(item.recorded) >= 8 and item.recorded in before and \
                    item.recorded not in after:
                return ir.Template((ir.VarRef(item.var),))
    return None


SAFE_METHODS = ("GET", "HEAD")


def _landing_message(response: ir.RecordedResponse, dynamic: Dynamic) -> list[ir.Check]:
    """The message the page a form post redirected to shows, for this step alone (post,
    redirect, get: "Record was successfully deleted." is shown once, on the page after the
    delete; other visits of that page show none or another). Where the app redirects a refused
    post to the same page (Flask-Admin's "Record does not exist.", a policy's "You are not
    authorized"), only the message tells."""
    text = response.text
    if not text or "html" not in response.mime_type:
        return []
    shown = [] if error_shown(text) else [ir.Check("no_error_shown", True)]
    return shown + _message_checks([text], dynamic, sentence=True)


# what the run-time check() takes for a page that shows an error (runtime/checks.py, the same
# patterns: tests compare them): an element whose class or id says so, with text
ERROR_ELEMENT = re.compile(
    r"""<([a-zA-Z][\w-]*)\b([^>]*?\b(?:class|id)\s*=\s*["'][^"']*?(?:error|danger|invalid-"""
    r"""feedback|fb_message)[^"']*["'][^>]*)>(.{0,2000}?)</\1\s*>""",
    re.I | re.S,
)
ERROR_WORD = re.compile(
    r"(?:[\w-]*[-_])?(?:errors?|errorlist|errornote|errormsg)(?:[-_][\w-]*)?|fieldwitherrors|"
    r"alert-danger|is-danger|notification-danger|invalid-feedback|fb_message",
    re.I,
)
# each class and id of such an element (Calibre-Web's flash: id="flash_danger" names no
# error, its class="alert alert-danger" does)
ERROR_ATTR = re.compile(r"""\b(?:class|id)\s*=\s*["']([^"']*)["']""", re.I)


def error_shown(text: str) -> str | None:
    """The text of the first element of a recorded page that shows an error, or None (as the
    run-time ``error_shown``): a page that showed none must show none when replayed."""
    lowered = text[:500_000].lower()
    if "error" not in lowered and "danger" not in lowered and "invalid-feedback" not in lowered \
            and "fb_message" not in lowered:
        return None  # no class or id can say so: skip the scan
    for match in ERROR_ELEMENT.finditer(text, 0, 500_000):
        if not any(ERROR_WORD.fullmatch(word) for attribute in ERROR_ATTR.findall(match.group(2))
                   for word in attribute.split()):
            continue
        shown = " ".join(html.unescape(_TAG.sub(" ", match.group(3))).split())
        shown = shown.strip(" \u00d7\u2715\u2716")  # without a close button's ×
        if sum(ch.isalpha() for ch in shown) >= 3:
            return shown
    return None


# --- status and redirects -------------------------------------------------------------------------


def _status_checks(response: ir.RecordedResponse, request_origin: str) -> list[ir.Check]:
    status, origin = response.status, f"recorded status {response.status}"
    if status == 304:  # conditional headers are not replayed: expect the full answer
        status, origin = 200, "recorded 304; conditional headers are not replayed"
    checks = [ir.Check("status", status, origin)]
    url = None
    if 300 <= status < 400 and (location := response.header("location")
                                or response.redirect_url):
        url = location
        checks.append(ir.Check("location", location_pattern(location, request_origin),
                               "recorded Location"))
    if 200 <= status < 300:
        for name, value in response.headers:
            if redirect_header(name.lower()) and (url := header_url(name, value)):
                checks.append(ir.Check("redirect_header",
                                       (name, location_pattern(url, request_origin)),
                                       f"recorded {name}"))
                break
    if url and (names := query_names(url)):
        checks.append(ir.Check("query_names", names))  # the comment says "recorded Location"
    return checks


# Headers of a 2xx answer that send the page's script somewhere else, as a redirect would:
# Next.js's server actions, htmx, Remix and React Router. An action the server refused
# usually answers 200 too, sending the script elsewhere (the sign-in page, a page saying it
# failed): where it goes is checked like a Location, with the recorded query's parameter names
# (``/notes?deleted=1`` is not ``/notes?missing=1``).
REDIRECT_HEADERS = frozenset({"x-action-redirect", "hx-redirect", "hx-location",
                              "x-remix-redirect"})


def redirect_header(low: str) -> bool:
    """A header (lower case) of a 2xx answer that sends the page's script elsewhere: those
    above, and any other named so (Icinga Web 2's ``X-Icinga-Redirect``)."""
    return low in REDIRECT_HEADERS or low.endswith("-redirect")


def location_pattern(location: str, origin: str = "") -> str:
    """A regex for the recorded Location: same route, any id or token, any query string (the
    query's names are checked apart, see :func:`query_names`).

    A redirect that left ``origin`` (the request's) keeps its origin: at run time a redirect
    off the host under test must go exactly there (runtime ``redirect_to``).
    """
    if location.startswith("//"):  # scheme-relative: the scheme of the request
        location = origin.split("//", 1)[0] + location
    there = re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*", location)
    prefix = re.escape(there.group()) if there and not _same_origin(there.group(), origin) else ""
    path = (location[there.end():] if there else location) or "/"
    path = path.split("#", 1)[0].partition("?")[0]
    segments = [r"[^/?#]+" if _is_dynamic(seg) else re.escape(seg) for seg in path.split("/")]
    return prefix + "/".join(segments) + r"(\?.*)?"


def query_names(url: str) -> tuple[str, ...]:
    """The parameter names of a recorded redirect's query, decoded, in order: the redirect
    must name them again, with any values. A failure often lands on the same page with
    another parameter (Roundup's ``?@error_message=…`` where the recording had
    ``?@ok_message=…``, OAuth's ``?error=…`` for ``?code=…``). A name that holds an id
    (``?issue4711``) is not one of them."""
    query = url.split("#", 1)[0].partition("?")[2]
    names = dict.fromkeys(unquote_plus(part.split("=", 1)[0]) for part in query.split("&"))
    return tuple(name for name in names if name and not _is_dynamic(name))


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
    """An id, uuid or token in a path, as opposed to a route word like ``notes`` (also a long
    one, ``password-reset-complete``, a script's name, ``authenticate.php``, or one with a
    version, ``saml2``, ``v2``)."""
    if route_word(segment) or WORD.fullmatch(segment):
        return False
    return any(ch.isdigit() for ch in segment) or (
        len(segment) >= 16 and bool(re.fullmatch(r"[A-Za-z0-9_\-.~%]+", segment)))


# --- body -----------------------------------------------------------------------------------------


def _body_checks(responses: list[ir.RecordedResponse], dynamic: Dynamic,
                 unsafe: bool = False, origin: str = "", method: str = "",
                 operation: str = "", settings: bool = False) -> list[ir.Check]:
    """Checks that hold for every recorded 2xx response of one request (each parsed once).
    ``unsafe``: the request changes something (not GET or HEAD): its answer's message counts.
    ``origin``: the request's, which a URL the answer names is relative to; ``method``: its
    method (WebDAV's reads answer a multi-status too); ``operation``: the remote procedure or
    front controller's selectors it calls; ``settings``: it reads the server's settings
    (:func:`reads_settings`), whose values are not checked."""
    first = responses[0]
    if first.status == 204:
        return []
    texts = [r.text for r in responses]
    if any(t is None or not t.strip() for t in texts):
        return []
    mime = first.mime_type
    if unsafe and method not in DAV_READS and (
            dav := _multistatus_checks(texts, mime)) is not None:  # type: ignore[arg-type]
        return dav
    message = _message_checks(texts, dynamic) if unsafe else []  # type: ignore[arg-type]
    if texts[0][:1].isdigit() and mime.startswith("text/"):  # type: ignore[index]
        delta = _delta_checks(texts)  # type: ignore[arg-type]
        if delta is not None:
            return delta + message if delta else delta
    plain = _plain_answer(texts, mime, dynamic, origin) if unsafe else []  # type: ignore[arg-type]
    if unsafe and not message:  # Roundcube's display_message("Successfully saved.", …)
        message = _script_message_checks(texts, dynamic)  # type: ignore[arg-type]
    if "html" in mime or "json" in mime and _markup_as_json(texts):  # type: ignore[arg-type]
        snippet = html_snippet(texts[0], dynamic, texts[1:])  # type: ignore[arg-type]
        kind = "html" if "html" in mime else "json"
        checks = [ir.Check("content_type", kind, "recorded content type")]
        if snippet:
            checks.append(ir.Check("contains", snippet, "recorded page text"))
        if unsafe and not any(map(error_shown, texts)):  # type: ignore[arg-type]
            checks.append(ir.Check("no_error_shown", True))
        return checks + plain + message
    if "json" in mime:
        checks = [ir.Check("content_type", "json", "recorded content type")]
        checks += _json_checks(texts, dynamic, unsafe, operation,  # type: ignore[arg-type]
                               values=not settings)
        if unsafe and (held := _json_html(texts)) is not None:  # type: ignore[arg-type]
            held_message = _message_checks(held, dynamic, raw=texts)  # type: ignore[arg-type]
            message = held_message or message
        return checks + message
    return plain


def _markup_as_json(texts: list[str]) -> bool:
    """HTML a server types as JSON (tt-rss answers every ``backend.php`` call ``text/json``,
    its preferences' panels too): no text is JSON and each starts with markup. Its page text
    is checked as a page's is."""
    if not all(text.lstrip()[:1] == "<" for text in texts):
        return False
    for text in texts:
        try:
            jsontext.loads(text)
        except (ValueError, RecursionError):
            continue
        return False
    return True


# WebDAV's 207 Multi-Status (RFC 4918 §13): a <multistatus> in the DAV: namespace whose
# <response>s each hold a <status> line, directly or in a <propstat>
_MULTISTATUS = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?multistatus[\s>]")
# WebDAV's reads: their multi-status lists what is there (a property a resource lacks is a
# 404 inside, another user's collection may lack one the recorded did not), nothing to check
DAV_READS = frozenset({"PROPFIND", "REPORT", "SEARCH"})
DAV_STATUS = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?status>\s*HTTP/[0-9.]+\s+([0-9]{3})")


def _multistatus_checks(texts: list[str], mime: str) -> list[ir.Check] | None:
    """The multi-status answer of a WebDAV request that changes something (``PROPPATCH``,
    ``DELETE``, ``MOVE``, ``COPY``, ``MKCOL`` …): the request's outcome is in the statuses
    inside, not in the 207 (a property Radicale or Nextcloud refused is ``HTTP/1.1 403`` in a
    ``propstat``; a resource of a collection that was locked, ``423``). When every status the
    recordings hold is a success, each one the answer holds must be too (``dav_ok``); None
    when the answers are no multi-status."""
    if "xml" not in mime and not mime.startswith("text/"):
        return None
    if not all(_MULTISTATUS.search(text[:2000]) and "DAV:" in text[:2000] for text in texts):
        return None
    statuses = [int(code) for text in texts for code in DAV_STATUS.findall(text)]
    if not statuses or any(code >= 400 for code in statuses):
        return []  # a recorded refusal inside (a missing property): nothing stable to check
    return [ir.Check("dav_ok", True, "recorded multi-status: every status a success")]


# a URL as a whole plain-text answer: absolute (http or https) or from the root
_PLAIN_URL = re.compile(r"(?:https?://[^/?#\s]+)?/[^\s]*|https?://[^/?#\s]+")
PLAIN_ANSWER_MAX = 200  # characters of a plain-text answer naming a URL
PLAIN_WORDS_MAX, PLAIN_WORDS_MAX_CHARS = 4, 40  # an answer of words, checked whole


def _plain_answer(texts: list[str], mime: str, dynamic: Dynamic, origin: str
                  ) -> list[ir.Check]:
    """The answer of an unsafe request that is one short line of plain text, the same in every
    recording, checked whole: a refusal answers 200 with another text.

    * A URL (SQLAdmin's ``DELETE …/delete?pks=7`` answers the list's URL, and its script goes
      there): the answer must name the same route with the recorded query's parameter names;
      a failed delete names ``…/list?error=…`` (:func:`location_pattern`, :func:`query_names`,
      as for a ``Location``). Not when a segment of its path is a value the client sent or
      the flow reads at run time (it changes per run).
    * A few words (``OK``, ``Deleted``, ``success``, ``Saved successfully``): exactly those,
      when no digit and nothing the client sent is in them (``ERROR: no such note`` is
      another answer). A longer text is content, or a placeholder a sanitized HAR holds
      ("Content and some headers removed from HAR to save space").

    Only ``text/plain`` and ``text/html`` without markup (what ``res.send("OK")`` or PHP's
    ``echo`` answer); JSON, markup, CSS, scripts and data have their own checks or none."""
    if not mime.startswith(("text/plain", "text/html")):
        return []
    said = {text.strip() for text in texts}
    if len(said) != 1:
        return []
    text = said.pop()
    if not text or len(text) > PLAIN_ANSWER_MAX or "<" in text or "\n" in text:
        return []
    if _PLAIN_URL.fullmatch(text):
        path = urlsplit(text).path if "://" in text else text.partition("?")[0]
        if any(segment and unquote(segment) in dynamic for segment in path.split("/")):
            return []
        return [ir.Check("body_url", (location_pattern(text, origin), query_names(text)),
                         "recorded URL in the answer")]
    if len(text) > PLAIN_WORDS_MAX_CHARS or len(text.split()) > PLAIN_WORDS_MAX or any(
            ch.isdigit() for ch in text) or dynamic.occurs_in(text, words=True):
        return []
    return [ir.Check("body_is", text, "recorded answer")]


def _json_html(texts: list[str]) -> list[str] | None:
    """The HTML each JSON answer holds for the page's script to insert (its string leaves that
    hold markup, joined), or None when one holds none (phpMyAdmin's ``message``, Drupal's AJAX
    commands, ``{"html": …}``)."""
    held = []
    for text in texts:
        if "<" not in text and "\\u003c" not in text.lower():
            return None
        try:
            document = jsontext.loads(text)
        except (ValueError, RecursionError):
            return None
        leaves = [leaf for leaf in islice(ir.json_leaves(document), MAX_JSON_NODES)
                  if isinstance(leaf, str) and "<" in leaf]
        if not leaves:
            return None
        held.append("\n".join(leaves))
    return held


def _delta_checks(texts: list[str]) -> list[ir.Check] | None:
    """An ASP.NET AJAX partial-page answer (:mod:`.correlate.delta`) must hold a field that
    every answer that worked holds: a failed postback is answered 200 with only an ``error``
    (or a ``pageRedirect``) field. None if the texts are not all such answers."""
    answers = [delta_fields(text) for text in texts]
    if any(fields is None for fields in answers):
        return None
    if any(kind in ("error", "pageRedirect") for fields in answers
           for kind, _, _ in fields):  # type: ignore[union-attr]
        return []
    for name in ANSWER_FIELDS:
        if all(any(kind == name for kind, _, _ in fields) for fields in answers):  # type: ignore[union-attr]
            return [ir.Check("contains", f"|{name}|", "recorded ASP.NET AJAX answer")]
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


# an element whose class, id or role says it tells the user what happened ("Order added",
# "Your changes were saved"), with text only
MESSAGE = re.compile(
    r"""<([a-zA-Z][\w-]*)\b[^>]*?\b(?:class|id|role)\s*=\s*["'](?:[^"']*[\s_-])?"""
    r"""(?:alert|alerts|message|messages|msg|notice|notification|flash|success|toast|"""
    r"""callout|status|feedback)(?:[\s_-][^"']*)?["'][^>]*>([^<]{3,120})</\1>""", re.I)
# the same element when its message follows an icon or a line break (phpMyAdmin's
# ``<div class="alert alert-success"><img …> 1 row deleted. (Query took 0.0006 seconds.)``),
# up to its end or to an element of its own tag inside it (Adminer's ``<div class='message'>1
# item has been affected. <span class='time'>…</span> … <div id='sql-3' class='hidden'>`` with
# the query that did it)
MESSAGE_BLOCK = re.compile(
    r"""<([a-zA-Z][\w-]*)\b[^>]*?\b(?:class|id|role)\s*=\s*["'](?:[^"']*[\s_-])?"""
    r"""(?:alert|alerts|message|messages|msg|notice|notification|flash|success|toast|"""
    r"""callout|status|feedback)(?:[\s_-][^"']*)?["'][^>]*>((?:(?!</?\1\b).){3,400}?)"""
    r"""</?\1\b""", re.I | re.S)
# a message after its label, in the next element: Tomcat's Manager answers every command 200
# with ``<td><small><strong>Message:</strong></small>&nbsp;</td> <td><pre>OK - Deployed
# application at context path [&#47;zoo]`` (or ``FAIL - Application already exists at path
# […]``); legacy admin consoles the same way with "Result:" or "Notice:"
LABELLED_MESSAGE = re.compile(
    r""">\s*(?:message|result|notice|outcome)\s*:\s*(?=<)(?:&nbsp;|\s|<[^<>]*>)*"""
    r"""(?!&nbsp;)([^<>\s][^<>]{2,400})<""", re.I)
# the words MESSAGE and MESSAGE_BLOCK look for: a page without any is read no further
MESSAGE_WORDS = ("alert", "message", "msg", "notice", "notification", "flash", "success",
                 "toast", "callout", "status", "feedback")
_TAG = re.compile(r"<[^>]*>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_NUMBER = re.compile(r"\(?[^\s()]*\d[^\s()]*\)?")  # "1", "0.0006", "(#12)", "v2"
# and a close button's "&times;" before Flask-Admin's "Record was successfully deleted."
_NUMBER_OR_ENTITY = re.compile(rf"{_NUMBER.pattern}|&#?\w+;")
_RAW_SAFE = re.compile(r"[A-Za-z][A-Za-z ,.!?:;'-]{6,80}[A-Za-z.!?]")
# the same in other scripts: "保存成功！", "Änderungen übernommen." (letters, punctuation)
_RAW_SAFE_WORDS = re.compile(r"(?=.{2,80}$)[^\W\d_](?:[^\W\d_]|[ ,:;'\-，、])*[.!?。！？]?")


def _message_checks(texts: list[str], dynamic: Dynamic, raw: list[str] | None = None,
                    sentence: bool = False) -> list[ir.Check]:
    """The message an unsafe request's answer shows (an element of class ``message``,
    ``alert``, ``flash``, ``role="status"`` …), when every recording of it shows the same
    stable one: the refusal a server answers 200 with ("No such order", "The form has
    expired") shows another. ``texts``: the answers, or the HTML JSON answers hold, then
    ``raw``: the answers as sent, which the script searches (the snippet must be in them
    too). ``sentence``: only a sentence counts ("Record was successfully deleted."), not a
    label of an element of class ``status`` ("Status:")."""
    sent = raw if raw is not None else texts
    page = texts[0][:200_000]
    lowered = page.lower()
    if not any(word in lowered for word in MESSAGE_WORDS):  # no class can say so: skip the scan
        return []
    for match in MESSAGE.finditer(page):
        inner = match.group(2)
        text = html.unescape(inner).strip()
        snippet = ">" + inner + "<"
        if text and _stable_text(text, dynamic, words=True) and all(
                snippet in other for other in sent) and (not sentence or _sentence(text)):
            return [ir.Check("contains", snippet, "recorded message")]
    blocks = (match.group(2) for match in MESSAGE_BLOCK.finditer(page))
    labelled = (match.group(1) for match in LABELLED_MESSAGE.finditer(page))
    for inner in chain(blocks, labelled):
        for snippet in _message_phrases(inner):
            if _stable_text(snippet, dynamic, words=True) and all(
                    snippet in other for other in sent) and (not sentence or _sentence(snippet)):
                return [ir.Check("contains", snippet, "recorded message")]
    return []


def _sentence(text: str) -> bool:
    """Words that end as a sentence does: "Draft saved.", "Welcome alice!"; in a script
    written without spaces, any words but a label's ("保存成功！", "操作成功", not "状态：")."""
    text = text.strip()
    if text.isascii():
        return " " in text and text[-1:] in ".!"
    return len(text) >= 2 and text[-1:] not in ":："


# a script call that shows the user a message, its text the first argument: Roundcube's
# ``rcmail.display_message("Successfully saved.", "confirmation")`` (in a page's script, or in
# the script a JSON answer hands its page: ``"exec": "this.display_message(\\"…\\", …)"``),
# ``showMessage('…')``, ``toastr.success("…")``, ``$.notify("…")``
SCRIPT_MESSAGE = re.compile(
    r"""(?<![\w$])(?:[\w$]+\.)*[\w$]*(?:message|msg|notify|notification|toast|alert|flash)"""
    r"""[\w$]*(?:\.[\w$]+)?\s*\(\s*(\\?["'])([^"'\\<>\n]{3,120})\1""", re.I)


# the kind of message a call shows, where its first argument names it (Zabbix's
# ``makeMessageBox('warning', warning, …)``, ``notify("error", …)``): not the message
MESSAGE_LEVELS = frozenset({
    "alert", "bad", "confirmation", "danger", "debug", "error", "good", "info", "information",
    "message", "notice", "ok", "success", "warn", "warning"})


def _script_message_checks(texts: list[str], dynamic: Dynamic) -> list[ir.Check]:
    """The message an unsafe request's answer shows by a script call (:data:`SCRIPT_MESSAGE`),
    when every recording of it shows the same stable one: as written in the answer, so found
    in the raw text of a page and of a JSON string alike."""
    for match in SCRIPT_MESSAGE.finditer(texts[0][:400_000]):
        snippet = match.group(2)
        if not snippet.strip() or snippet != snippet.strip():
            continue
        if snippet.lower() in MESSAGE_LEVELS:  # makeMessageBox('warning', text, …): its kind
            continue
        if _stable_text(snippet, dynamic, words=True) and all(
                snippet in other for other in texts[1:]):
            return [ir.Check("contains", snippet, "recorded message")]
    return []


def _message_phrases(inner: str) -> Iterator[str]:
    """The words of a message's sentences between its numbers and entities, as written in the
    page (no markup or entity in them, so the same in a JSON string): "1 row deleted. (Query
    took 0.0006 seconds.)" → "row deleted.", "Query took", "seconds."; the longest of a
    sentence first."""
    text = " ".join(_TAG.sub(" ", inner).split())
    for sentence in _SENTENCE_END.split(text):
        parts = [p.strip(" ()[]") for p in _NUMBER_OR_ENTITY.split(sentence)]
        for part in sorted(parts, key=len, reverse=True):
            if " " in part and _RAW_SAFE.fullmatch(part) or not part.isascii() and \
                    _RAW_SAFE_WORDS.fullmatch(part):
                yield part


def _stable_text(text: str, dynamic: Dynamic, words: bool = False) -> bool:
    # three letters, or two of a script without spaces ("笔记", "成功")
    if len(text) < (3 if text.isascii() else 2) or any(ch.isdigit() for ch in text):
        return False
    return not RELATIVE_TIME.search(text) and not dynamic.occurs_in(text, words)


# A time said relative to now, which the replay's own pace moves ("a second ago" where the
# recording's user took one, "now" where the replay does not: Superset's
# changed_on_delta_humanized, Django's naturaltime, moment's fromNow): never checked.
# (Not a span of time: "If this takes longer than a few minutes" stays checked.)
RELATIVE_TIME = re.compile(r"\b(?:ago|just now|right now|yesterday|today|tomorrow)\b|^\s*now\s*$",
                           re.I)


def _data_key(key: str) -> bool:
    """Whether a JSON object's key is data, not a member's name: an object keyed by ids
    (Syncthing's ``/rest/stats/device``: ``{"CLM3VWZ-MNQHLFQ-…": {…}}``, the device's own ID,
    another on every server; ``{"45520": …}``), by addresses or by dates. Checked, it would fail
    every run on another server."""
    if key.isdigit() or "@" in key:
        return True
    # a member's name may hold digits too (sha256Perf, http2Enabled, ipv6): an identifier
    return token_like(key) and _IDENTIFIER.fullmatch(key) is None  # a uuid, a date, a key


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")


# an envelope's one key naming a failure: the recording's own refusal is not asked of the replay
_ERROR_WORDS = frozenset({"error", "errors", "err", "exception", "fault", "failure"})


def _outcome_keys(first: dict, others: list, keys: list) -> list[tuple[str, str]]:
    """``(member, key)`` for a member whose value is an object of one key, the same in every
    answer: an envelope whose only key says what happened (Transmission's ``"arguments":
    {"torrent-added": {…}}``, ``{"torrent-duplicate": …}`` when nothing was added; GraphQL's
    ``"data": {"createNote": …}``). An object of more keys is data, some of them optional;
    only for a write's answer (a read's one-key object may be a map of one entry: Jupyter's
    ``"kernelspecs": {"python3": …}``)."""
    out = []
    for key in keys:
        inner = first.get(key)
        if isinstance(inner, dict) and len(inner) == 1:
            (name,) = inner
            if not _data_key(name) and name.lower() not in _ERROR_WORDS and all(
                    isinstance(o.get(key), dict) and list(o[key]) == [name] for o in others):
                out.append((key, name))
    return out


def _json_checks(texts: list[str], dynamic: Dynamic, unsafe: bool = False,
                 operation: str = "", values: bool = True) -> list[ir.Check]:
    documents = []
    for text in texts:
        try:
            documents.append(jsontext.loads(text))
        except (ValueError, RecursionError):
            return []
    # APIs that answer errors with 200 (GraphQL, JSON-RPC, RPC over forms) say so in a member
    checks = [] if any(map(error_member, documents)) else [ir.Check("no_error", True)]
    if not all(isinstance(d, dict) and d for d in documents):
        return checks
    first, others = documents[0], documents[1:]
    keys: list[str | tuple[str, str]] = [
        k for k in first if all(k in o for o in others) and not _data_key(k)][:12]
    if unsafe:  # a write's answer says what happened; a read's one-key object may be data
        keys += _outcome_keys(first, others, keys)
    if keys:
        checks.append(ir.Check("json_keys", tuple(keys), "recorded JSON keys"))
    constants = ((path, value) for path, value in _constant_leaves(first, dynamic,
                                                                   rpc_action(operation))
                 if all(_same(_at(o, path), value) for o in others))
    checks += [ir.Check("json_value", value, "recorded constant", path=path)
               for path, value in islice(constants, MAX_JSON_VALUES if values else 0)]
    if unsafe:
        checks += [ir.Check("json_value", value, "recorded count of changes", path=path)
                   for path, value in _changed_counts(first)
                   if all(_same(_at(o, path), value) for o in others)]
    return checks


# how many objects an unsafe request changed, as its answer counts them: MongoDB's
# {"acknowledged": true, "deletedCount": 1} ("modifiedCount", "matchedCount",
# "upsertedCount"), Knex's and Sequelize's affected rows, SQLite's "changes"; a replay that
# changed nothing (an id of another run) answers 0 with the same 200
CHANGED_COUNT = re.compile(r"(deleted|modified|matched|updated|inserted|upserted|removed|"
                           r"affected|changed)_?(count|rows|records|items)?|"
                           r"(rows|records)_?(affected|modified|deleted|updated|removed|changed)|"
                           r"changes|n_?modified")


def _changed_counts(document: dict) -> Iterator[tuple[tuple[str, ...], int]]:
    """The counts of changed objects an answer gives, at its top or one object down (a
    ``result`` wrapper), when some were changed (1 to 1,000)."""
    for key, value in document.items():
        nodes = [((key,), value)]
        if isinstance(value, dict) and PATH_KEY.fullmatch(key):
            nodes = [((key, inner), leaf) for inner, leaf in value.items()]
        for path, leaf in nodes:
            name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", path[-1]).lower()
            if type(leaf) is int and 1 <= leaf <= 1000 and PATH_KEY.fullmatch(path[-1]) and \
                    CHANGED_COUNT.fullmatch(name):
                yield path, leaf


def error_member(document: object) -> str | None:
    """``error`` or ``errors`` when the JSON object has one that is not empty (null, 0, []),
    or one of the first 50 objects of a list has (a batch's answers: JSON-RPC, Moodle);
    ``responses`` when an answer inside a batch has a failure's status (the run time's
    ``batch_answers``: Kinto's ``{"responses": [{"status": 412, "body": …}]}``)."""
    if any(status >= 400 for status in _batch_statuses(document)):
        return "responses"
    if isinstance(document, dict):
        return next((m for m in ("error", "errors") if document.get(m)), None)
    if isinstance(document, list):
        return next((m for item in document[:50]
                     if isinstance(item, dict) and (m := error_member(item))), None)
    return None


def _batch_statuses(document: object) -> list[int]:
    """The statuses of the answers inside a batch's answer (see the run time's
    ``batch_answers``, which reads them so), [] for any other JSON."""
    answers = document.get("responses") if isinstance(document, dict) else document
    if not isinstance(answers, list):
        return []
    statuses = []
    for answer in answers:
        if not isinstance(answer, dict) or not ("body" in answer or "headers" in answer):
            return []
        status = answer.get("status", answer.get("code"))
        if type(status) is not int or not 100 <= status <= 599:
            return []
        statuses.append(status)
    return statuses


def _constant_leaves(document: dict, dynamic: Dynamic, action: bool = False
                     ) -> Iterator[tuple[tuple[str, ...], object]]:
    """Constant values anywhere in the object's dicts, shallow first (``save.result``).
    ``action``: the answer is a remote procedure's that does something (:func:`rpc_action`),
    whose whole ``result`` true says it went well (Deluge's ``auth.login``).

    Every key on the way must be a plain word: a key that is an id, a date or echoed input
    (``{"notes": {"Shopping": ...}}``) is not there on another run. The walk is bounded.
    """
    queue: deque[tuple[tuple[str, ...], dict]] = deque([((), document)])
    visited = 0
    while queue:
        path, node = queue.popleft()
        for key, value in node.items():
            visited += 1
            if visited > MAX_JSON_NODES:
                return
            if not isinstance(key, str) or not PATH_KEY.fullmatch(key) or key in dynamic:
                continue
            if isinstance(value, dict) and len(path) < MAX_JSON_DEPTH:
                queue.append(((*path, key), value))
            elif action and value is True and not path and key == "result" or \
                    _constant_json_value(key, value, dynamic, node):
                yield (*path, key), value


def _at(document: object, path: tuple[str, ...]) -> object:
    for key in path:
        if not isinstance(document, dict) or key not in document:
            return _MISSING
        document = document[key]
    return document


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b  # True is not 1


_MISSING = object()


def _constant_json_value(key: str, value: object, dynamic: Dynamic,
                         node: dict | None = None) -> bool:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower()  # createdAt -> created_at
    if STATUS_CODE_KEY.fullmatch(snake) and (
            type(value) is int and -1 <= value <= 999 or isinstance(value, str)
            and value.isascii() and value.isdigit() and len(value) <= 5 and int(value) <= 999
    ) and node is not None and any(STATUS_SIBLING.fullmatch(
            re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", k).lower()) for k in node if k != key):
        # the API's own status in a 200 answer, beside its message or its data: RuoYi's
        # {"code": 200, "msg": "操作成功"}, WeChat's {"errcode": 0, "errmsg": "ok"},
        # {"resultCode": "0000", "resultMsg": …}; a success's is small (not a one-time code);
        # not a count named so ({"sold": 3, "status": 26} counts the pets of each status)
        return True
    if value == 1 and type(value) in (int, float) and SUCCESS_FLAG.fullmatch(snake):
        # a success flag written as a number: pgAdmin's and many PHP APIs' {"success": 1}
        # ({"success": 0, "errormsg": …} when refused, often with the same 200), MongoDB's
        # {"ok": 1}; one in a recording that failed (0) is not expected of the replay
        return True
    if DYNAMIC_SUFFIX.search(key) or any(DYNAMIC_KEY.search(k) or ID_NAME.search(k)
                                         for k in (key, snake)):
        return False
    if isinstance(value, str) and WORK_STATE_KEY.search(snake) and WORK_STATE.fullmatch(value):
        return False
    if isinstance(value, bool):
        return outcome_flag(snake, value)
    if not isinstance(value, str) or not 2 <= len(value) <= 40:
        return False
    if value.lower() in dynamic.hosts:
        # the host the client addressed, echoed (httpbin's "headers": {"Host": …}): another
        # host under --host
        return False
    if value.isascii():  # words ("Signed in"), three letters or more, nothing the client sent
        return bool(re.fullmatch(r"[A-Za-z][A-Za-z _\-./]*", value)) and \
            _stable_text(value, dynamic)
    # words in another script: two characters say as much ("成功", "操作成功")
    return bool(_WORDS_VALUE.fullmatch(value)) and not dynamic.occurs_in(value)


SUCCESS_FLAG = re.compile(r"(is_?)?(success|successful|succeeded|ok)")
# A boolean is checked only where it says how the request's own work went. Any other is a
# state (Deluge's web.connected, "hasNextPage", "admin", "configInSync") or a setting
# ("promptPhpErrors", "gui.useTLS"): it answers differently after another run of the flow or
# another user changed it, and on a server set up otherwise, while the work went well.
# True under a word that says it went well (a recorded false is a refusal, or a widget that
# could not reach its service: not expected of the replay, as a numeric 0 is not) ...
OUTCOME_FLAG = re.compile(r"(is_|was_)?(success|successful|succeeded|ok|done|status|saved|"
                          r"created|added|deleted|removed|updated|uploaded|sent|accepted|"
                          r"acknowledged|completed|valid|authenticated|authorized|logged_?in|"
                          r"signed_?in|(wp_)?auth_check)")
# ... false under one that says it failed
FAILURE_FLAG = re.compile(r"(is_|has_)?(error|errors|failed|failure|fault|exception)")


def outcome_flag(snake: str, value: bool) -> bool:
    """Whether a recorded boolean under this key (snake case) says the work went well, so
    that the replay must answer the same."""
    key = snake.replace("-", "_")
    return bool(OUTCOME_FLAG.fullmatch(key)) if value else bool(FAILURE_FLAG.fullmatch(key))


# the words of a remote procedure's name that ask, rather than do (its boolean answer is a
# state: Deluge's web.connected, auth.check_session)
QUESTION_WORDS = frozenset({"get", "list", "is", "has", "can", "check", "exists", "connected",
                            "status", "fetch", "find", "search", "query", "read", "show",
                            "describe", "count", "ping", "info", "version", "poll", "lookup",
                            "view", "test", "verify", "validate"})


# what a request that reads the server's settings names in its path or procedure
SETTINGS_WORDS = frozenset({"config", "configuration", "configs", "settings", "setting",
                            "preferences", "prefs", "options"})


def reads_settings(method: str, path: str, operation: str) -> bool:
    """Whether a request reads the server's settings (OctoPrint's ``GET /api/settings``,
    Syncthing's ``/rest/config``, Deluge's ``core.get_config``): every value of the answer is
    one, as this server is set up (``"encoding": "ascii"``, ``"useTLS": false``), which another
    server answers otherwise while the work goes well. A change of them is no read: its answer
    says how it went."""
    if parts := procedure_words(operation):
        words = [word for part in parts for word in part]
        return not rpc_action(operation) and any(word in SETTINGS_WORDS for word in words)
    return method in SAFE_METHODS and any(
        word.lower() in SETTINGS_WORDS
        for word in re.split(r"[^A-Za-z]+|(?<=[a-z])(?=[A-Z])", path))


def rpc_action(operation: str) -> bool:
    """Whether an operation is a remote procedure that does something (``auth.login``,
    ``note.delete``), so that a boolean it answers as its whole ``result`` says whether it
    went well; not a question (``web.connected``), nor a front controller's selectors."""
    parts = procedure_words(operation)
    return bool(parts) and not {word for part in parts for word in part} & QUESTION_WORDS

# a member an API answers its own status in, the HTTP status being 200 either way: RuoYi's and
# many Spring Boot "result" wrappers' {"code": 200, "msg": …} ({"code": 500, …} when refused),
# WeChat's errcode, Baidu's errno, Tencent's ret, {"resultCode": "0000"}
STATUS_CODE_KEY = re.compile(r"code|err_?code|errno|err_?no|ret|ret_?code|rc|status|"
                             r"status_?code|result_?code|res_?code|error_?code|biz_?code")
# what stands beside an API's status member in its answer's envelope
STATUS_SIBLING = re.compile(r"(err_?|error_?|result_?|res_?|ret_?|return_?)?(msg|message|desc|"
                            r"description|info|data|result|success)")
_WORDS_VALUE = re.compile(r"[^\W\d_]+(?:[ _\-./]+[^\W\d_]+)*[.]?")


# --- what may change per run ----------------------------------------------------------------------


class Dynamic:
    """Values that may change per run, for "does any of them occur in this text" (any case).

    The texts asked about are short (titles, JSON words) and the values many (everything the
    client sent), so the lookup goes from the text: each of its substrings whose length some
    value has is looked up in a set, instead of scanning every value for every text.
    """

    def __init__(self, values: set[str], hosts: frozenset[str] = frozenset()) -> None:
        self.hosts = hosts  # the hosts the client addressed (lower case, with and without port)
        self.by_length: dict[int, set[str]] = {}
        for value in values:
            lowered = value.lower()
            if len(value) >= 3:
                self.by_length.setdefault(len(lowered), set()).add(lowered)
        self.lengths = sorted(self.by_length)

    def __contains__(self, text: str) -> bool:
        """Is the text one of the values (any case)?"""
        return text.lower() in self.by_length.get(len(text), ())

    def occurs_in(self, text: str, words: bool = False) -> bool:
        """Does a value occur in the text (``words``: as whole words, not inside one: the
        ``insert`` a form sent is not echoed in "1 row inserted.")?"""
        lowered = text.lower()
        for length in self.lengths:
            if length > len(lowered):
                break
            found = self.by_length[length]
            for i in range(len(lowered) - length + 1):
                if lowered[i:i + length] in found and not (
                        words and (lowered[i - 1:i].isalnum()
                                   or lowered[i + length:i + length + 1].isalnum())):
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
        values.update(e.recorded for e in step.extractions if e.recorded)
        values.update(g.recorded for g in step.generated)
        names = _operation_words(step.request.operation)
        values.update(t for t in _sent_texts(step.request) if t not in names)
    hosts = {step.request.host for step in scenario.steps}
    hosts.update([host.rpartition(":")[0] for host in hosts if host.rpartition(":")[2].isdigit()])
    return Dynamic(values, frozenset(hosts))


def _operation_words(operation: str | None) -> set[str]:
    """What the client sent to name the operation is not user input: MediaWiki answers
    ``action=edit`` with ``{"edit": {"result": "Success"}}``, GraphQL ``Login`` with
    ``{"data": {"login": ...}}``. A ``page=`` name may be user input and stays out."""
    return {word for name, word in operation_words(operation) if word and name != "page"}


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


def _request_key(step: ir.Step) -> RequestKey:
    """Method, path, operation and the kind of answer: one URL may serve many operations
    (``/graphql``, SOAP, ``index.php?do=edit``) whose answers must not cancel each other's
    checks, and one operation a page and its script's XHR (phpMyAdmin answers
    ``index.php?route=/sql`` with HTML, and with JSON holding the HTML when its script asks)."""
    request = step.request
    return (request.method, ir.template_preview(request.path), request.operation or "",
            _answer_kind(step.response))


def _answer_kind(response: ir.RecordedResponse | None) -> str:
    mime = response.mime_type if response is not None else ""
    return "html" if "html" in mime else "json" if "json" in mime else ""


def _recordings_by_request(steps: tuple[ir.Step, ...]) -> dict[RequestKey,
                                                              list[ir.RecordedResponse]]:
    grouped: dict[RequestKey, list[ir.RecordedResponse]] = defaultdict(list)
    for step in steps:
        if step.response is not None and 200 <= step.response.status < 300 and \
                step.response.body is not None:
            grouped[_request_key(step)].append(step.response)
    return grouped
