"""``json.loads`` for recorded bodies (response JSON, posted JSON), by msgspec where it can.

msgspec decodes about twice as fast, and for every document both accept its value equals
json's (floats correctly rounded, big integers, the last of duplicate keys: the loader's
property test checks the same decoder). What msgspec refuses (NaN, 1e999, lone surrogates,
huge integers, any syntax error) goes to ``json.loads``, which gives its own value or raises
its own error. The two give up on deep nesting at slightly different depths (both near
Python's recursion limit), so a document that could nest that deep (500 or more brackets)
goes to json alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

try:
    import msgspec
except ImportError:  # pragma: no cover - a dependency; without it, json does it all
    msgspec = None

_SHALLOW = 500  # opening brackets: far below either decoder's recursion limit
# What a server puts before its JSON so that a page of another site cannot run it as a script
# (anti-XSSI): Gerrit's and AngularJS's ``)]}'`` (then maybe ``,`` and a line break), Google's
# and Facebook's ``while(1);`` and ``for (;;);``. Clients strip it before parsing (AngularJS's
# $http does it itself); so does every reader of a recorded answer here, and the script's
# ``parsed_json`` (the same pattern, in runtime/checks.py).
XSSI_PREFIX = re.compile(r"\s*(?:\)\]\}'\s*,?|while ?\(1\);|for ?\(;;\);)\s*")
XSSI_FIRST = frozenset(")wf \t\r\n")  # how such a prefix can start (a cheap test first)
_decode: Callable[[str], Any] | None = msgspec.json.Decoder().decode if msgspec else None


def loads(text: str, **json_options: Any) -> Any:
    """``json.loads(text, **json_options)``; the options (parse_constant, parse_float) only
    matter where msgspec refuses the text, which is what they catch (NaN, 1e999). An
    anti-XSSI prefix (:data:`XSSI_PREFIX`) is not part of the document."""
    if text[:1] in XSSI_FIRST and (prefix := XSSI_PREFIX.match(text)) is not None:
        text = text[prefix.end():]
    if _decode is not None and text.count("[") + text.count("{") < _SHALLOW:
        try:
            return _decode(text)
        except (msgspec.DecodeError, UnicodeEncodeError):  # ValidationError is a DecodeError
            pass
    return json.loads(text, **json_options)
