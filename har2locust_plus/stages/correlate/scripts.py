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
STRING_ASSIGNMENT = re.compile(
    r"""(["']?)([A-Za-z_$][\w$\-]{0,60})\1\s*[:=]\s*(["'])((?:(?!\3)[^\\\n]|\\.){8,2000})\3""")


def script_sources(step: ir.Step, text: str, wanted: Wanted) -> Iterator[Source]:
    for block in SCRIPT_BLOCK.finditer(text):
        script_type = SCRIPT_TYPE.search(block.group(1))
        if script_type and script_type.group(1).lower() not in JS_TYPES:
            continue  # JSON data islands: see html.embedded_json_sources
        for match in STRING_ASSIGNMENT.finditer(block.group(2)):
            raw = match.group(4)
            value = js_unescape(raw) if "\\" in raw else raw
            if value not in wanted or not token_like(value):
                continue
            key, quote = match.group(2), match.group(3)
            pattern = (f"""["']?{re.escape(key)}["']?\\s*[:=]\\s*{quote}"""
                       f"((?:[^{quote}\\\\\\n]|\\\\.)*){quote}")
            if first_group(pattern, text) != raw:
                continue  # an earlier assignment to the same key: not this one
            yield Source(step.number, value, identifier(key) or "value", "regex", expr=pattern,
                         rank=RANK_TEXT, how=f"script {key[:30]}", id_like=True,
                         decode="js" if "\\" in raw else "")
