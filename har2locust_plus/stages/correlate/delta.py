"""Sources in an ASP.NET AJAX partial-page answer (an ``UpdatePanel``'s asynchronous postback).

A WebForms page with a ``ScriptManager`` posts back in the background (``X-MicrosoftAjax:
Delta=true``) and gets, as ``text/plain``, not HTML but a list of length-prefixed fields::

    1|#||4|2345|updatePanel|UpdatePanel1|<div>…</div>|1520|hiddenField|__VIEWSTATE|/wEPDw…|
    64|hiddenField|__EVENTVALIDATION|/wEdAA…|0|asyncPostBackControlIDs|||…

Each field is ``length|type|id|content|``, ``length`` the content's number of characters (the
first field, the format's version, came with ASP.NET 4). A failed postback is answered ``200``
all the same, with only ``length|error|500|message|``, or ``|pageRedirect||/Error.aspx|``: the
checks stage makes sure a field that every answer that worked holds is there. The
page's script copies every ``hiddenField`` into the form, so the next postback sends the new
``__VIEWSTATE`` and ``__EVENTVALIDATION``: ASP.NET refuses an old one ("Validation of viewstate
MAC failed", "Invalid postback or callback argument"). Such a field is a source, found again at
run time by a regex on its type and id (LoadRunner's WebForms correlation rules do the same).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ... import ir
from ..grouping import identifier
from .sources import MAX_STRUCTURED, Source, Wanted

_LENGTH = re.compile(r"([0-9]{1,9})\|")  # a field's length (ASCII digits; int() takes others)


def delta_fields(text: str) -> list[tuple[str, str, str]] | None:
    """``(type, id, content)`` of each field, or None if ``text`` is not such an answer (every
    length must hold, to the very end)."""
    fields = []
    pos = 0
    while pos < len(text):
        match = _LENGTH.match(text, pos)
        if match is None:
            return None
        bar, length = match.end() - 1, int(match.group(1))
        type_end = text.find("|", bar + 1)
        id_end = text.find("|", type_end + 1) if type_end >= 0 else -1
        end = id_end + 1 + length
        if id_end < 0 or text[end:end + 1] != "|":
            return None
        fields.append((text[bar + 1:type_end], text[type_end + 1:id_end], text[id_end + 1:end]))
        pos = end + 1
    # ASP.NET 4 answers start with the version field (1|#||4|), 3.5's with what they hold
    return fields if fields and (fields[0][0] == "#" or any(
        kind in KNOWN for kind, _, _ in fields)) else None


# the fields every answer to a postback that worked holds (also empty: 0|updatePanelIDs|||)
ANSWER_FIELDS = ("asyncPostBackControlIDs", "updatePanelIDs", "panelsToRefreshIDs")
# and the others an answer may hold (an error, a redirect: after the version field, if any)
KNOWN = frozenset({*ANSWER_FIELDS, "updatePanel", "hiddenField", "postBackControlIDs",
                   "childUpdatePanelIDs", "asyncPostBackTimeout", "formAction", "pageTitle",
                   "scriptBlock", "scriptStartupBlock", "onSubmit", "arrayDeclaration",
                   "expando", "focus", "dataItem", "dataItemJson", "scriptDispose",
                   "pageRedirect", "error"})


def delta_sources(step: ir.Step, fields: list[tuple[str, str, str]], wanted: Wanted
                  ) -> Iterator[Source]:
    """The hidden fields of an answer (its :func:`delta_fields`) that a later request sends."""
    for kind, name, content in fields:
        if kind != "hiddenField" or not content or len(content) > MAX_STRUCTURED or \
                "|" in content or content not in wanted:
            continue
        yield Source(step.number, content, identifier(name) or "value", "regex",
                     expr=_pattern(name), how=f"hiddenField {name}"[:60])


def _pattern(name: str) -> str:
    # the content up to the next bar: a hidden field whose content holds one is not a source
    return r"\|hiddenField\|" + re.escape(name) + r"\|([^|]*)\|"
