"""Inline scripts: tokens a page hands out only as a JavaScript string.

``window.app = {"csrfToken": "ab12\\/cd+\\\\"}`` or ``var nonce = 'x\\u002By'``: the string is
found by its key, and its JavaScript escapes are undone at run time (``decode="js"``), so the
request sends ``ab12/cd+\\`` as the browser did. Only token-like values (see
:func:`.sources.token_like`): a word such as ``authorization_code`` found by a regex is a
constant of the page's code, not a handed-out value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ... import ir
from ..grouping import identifier
from .sources import RANK_TEXT, Source, Wanted, first_group, js_unescape, token_like

SCRIPT_BLOCK = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.I | re.S)
SCRIPT_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]*)""", re.I)
JS_TYPES = frozenset({"", "text/javascript", "application/javascript", "module",
                      "text/ecmascript", "application/ecmascript"})
# the name an object literal is assigned to, just before its "{": WordPress's
# wp_localize_script writes ``var communityEventsData = {"nonce":"…"}``
OWNER = re.compile(r"""(["']?)([A-Za-z_$][\w$]{0,60})\1\s*[:=]\s*$""")
OWNER_SCAN = 20_000  # how far back the object's opening brace is looked for
# ``key: "…"``, ``key = '…'``, and a member set by its quoted name, ``pgAdmin['csrf_token'] =
# '…'`` (group 2 the key, group 3 the bracket, 4 the quote, 5 the string)
STRING_ASSIGNMENT = re.compile(r"""(["']?)([A-Za-z_$][\w$\-]{0,60})\1(\]?)\s*[:=]\s*(["'])"""
                               r"""((?:(?!\4)[^\\\n]|\\.){8,2000})\4""")


def script_sources(step: ir.Step, text: str, wanted: Wanted) -> Iterator[Source]:
    for block in SCRIPT_BLOCK.finditer(text):
        script_type = SCRIPT_TYPE.search(block.group(1))
        if script_type and script_type.group(1).lower() not in JS_TYPES:
            continue  # JSON data islands: see html.embedded_json_sources
        yield from _string_sources(step, block.group(2), text, wanted, "script")


def served_script_sources(step: ir.Step, text: str, wanted: Wanted) -> Iterator[Source]:
    """A script the server writes for the session, fetched as a file of its own: pgAdmin's
    ``/browser/js/utils.js`` sets ``pgAdmin['csrf_token'] = '…'``, the token every later
    request sends in a header (``filter`` keeps such a script as a step)."""
    yield from _string_sources(step, text, text, wanted, "script file")


def rsc_sources(step: ir.Step, text: str, wanted: Wanted) -> Iterator[Source]:
    """A React Server Components payload (``text/x-component``: Next.js's answers to a
    server action or a ``<Link>``): rows of JSON after an id (``1:{"id":"3f2b…"}``), read as
    one script is: a token-like string found by its key (what an action returned, a
    segment's id)."""
    yield from _string_sources(step, text, text, wanted, "RSC")


def _string_sources(step: ir.Step, script: str, text: str, wanted: Wanted,
                    where: str) -> Iterator[Source]:
    """The wanted token-like strings ``script`` (a part of ``text``) assigns to a key."""
    for match in STRING_ASSIGNMENT.finditer(script):
        raw = match.group(5)
        value = js_unescape(raw) if "\\" in raw else raw
        if value not in wanted or not token_like(value):
            continue
        key, quote = match.group(2), match.group(4)
        bracket = "\\]" if match.group(3) else ""
        pattern = (f"""["']?{re.escape(key)}["']?{bracket}\\s*[:=]\\s*{quote}"""
                   f"((?:[^{quote}\\\\\\n]|\\\\.)*){quote}")
        if first_group(pattern, text) != raw:
            # an earlier assignment to the same key: this one by the object around it
            pattern = _owned(script, match.start(), key, quote, text, raw)
            if pattern is None:
                continue
        yield Source(step.number, value, identifier(key) or "value", "regex", expr=pattern,
                     rank=RANK_TEXT, how=f"{where} {key[:30]}", id_like=True,
                     decode="js" if "\\" in raw else "")


def _owned(script: str, at: int, key: str, quote: str, text: str, raw: str) -> str | None:
    """A regex for the string assigned to ``key`` at ``at`` inside the object literal that
    encloses it, found by the name that object is assigned to
    (``communityEventsData = {... "nonce": "…"``), when an earlier ``"nonce": "…"`` of the page
    (another object's) would be found first; ``None`` when there is no such name or the regex
    would not find ``raw`` first in the page's ``text``."""
    depth = 0
    for i in range(at - 1, max(-1, at - OWNER_SCAN - 1), -1):
        ch = script[i]
        if ch == "}":
            depth += 1
        elif ch == "{":
            if depth:
                depth -= 1
                continue
            owner = OWNER.search(script, max(0, i - 80), i)
            if owner is None:
                return None
            pattern = (f"""(?<![\\w$])["']?{re.escape(owner.group(2))}["']?\\s*[:=]\\s*\\{{"""
                       f"""[^<]*?(?<![\\w$])["']?{re.escape(key)}["']?\\s*[:=]\\s*{quote}"""
                       f"((?:[^{quote}\\\\\\n]|\\\\.)*){quote}")
            return pattern if first_group(pattern, text) == raw else None
    return None
