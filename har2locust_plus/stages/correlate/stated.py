r"""Ids a message states, and ids a sent text names: ``Inserted row id: 47480`` → ``DELETE
FROM `notes` WHERE `notes`.`id` = 47480``.

An app that makes an object often says so in words, and the id it made is in the sentence
only: phpMyAdmin's ``1 row inserted. Inserted row id: 47480``, an admin's ``User ID 3107
created``. A later request may send that id inside a longer text rather than as a value of
its own: an SQL statement (``WHERE `id` = 47480``), a GraphQL query with an inline argument
(``note(id: 47480)``), a search (``q=id:47480``).

Both ends must name the number as an id, which makes a match by chance unlikely even for a
short number:

* **sent** (:func:`named_ids`): an id's name (``id``, ``note_id``, ``noteId``; quoted or
  between backticks), then ``=``, ``==``, ``:`` or ``=>``, then the digits;
* **stated** (:func:`stated_sources`): in the answer to an unsafe request only (what the
  request made, not a list of what exists), an id's name, then a space, ``:``, ``=`` or
  ``#``, then the digits, once under that name in the whole answer. The script reads it back
  with a regex of the words before it (``Inserted row id: (\d+)``, ``from_regex``), as a
  LoadRunner user sets a left boundary.

An object's *number* in a sentence (``your order number is <strong>100231</strong>``, ``Booking
no. 4711``, ``Ticket #17``: a noun, then ``number``, ``no.`` or ``#``) is stated too, in the
answer to an unsafe request or on the page its redirects end at (a shop's thank-you page after
"Place order"), once under that noun, and not for a page's, a line's or a phone's number. Such
a number is then sent anywhere an id is, a path segment too (``/accounts/orders/100231/``):
what the sentence names is the object the request made.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from ... import ir
from ..grouping import identifier
from .sources import Source, Wanted, first_group, is_object_id_name

# an id's name, then what binds a value to it in code or a query, then the digits
# (also percent-encoded, as a query string held in a form field: Adminer's row checkbox
# ``check[]=where%5Bid%5D=14920``, its cells' ``where%5Bid%5D%3D14920``)
_NAMED = re.compile(r"(?:(?<![\w$])|(?<=%5[Bb]))((?:[A-Za-z_]\w*?)?(?:id|Id|ID))"
                    r"(?:[`'\"\]]|%5[Dd])?[ \t]{0,3}(?:==?|:|=>|%3[Dd])"
                    r"[ \t]{0,3}['\"]?(\d{1,19})(?![\w.])")
# an id's name in a sentence, then the digits: "Inserted row id: 47480", "Order ID #5", "id=7"
_STATED = re.compile(r"(?<![\w$])((?:[A-Za-z]+ )?(?:[A-Za-z_]\w*?)?(?:id|Id|ID))[ \t]{0,3}[:=#]?"
                     r"[ \t]{0,3}#?(\d{1,19})(?![\w.])")
# an object's number in a sentence, the number maybe in bold: Oscar's "your order number is
# <strong>100023</strong>", "Booking no. 4711", "Ticket #17", "Invoice number: 2026". Found by
# the word "number" first (a regex that starts at every word of a page cost 2 ms a page), then
# the noun before it
_NUMBERED = re.compile(r"(?:(?:[Nn]umber|NUMBER|[Nn]o\.|NO\.)(?:[ \t]+is)?\s{0,20}:?\s{0,20}"
                       r"(?:<(?:strong|b|em|span|code)\b[^<>]*>\s{0,20})?#?|#)(\d{1,19})(?![\w.])")
_NOUN_BEFORE = re.compile(r"(?<![\w$])([A-Za-z]{3,})[ \t]+$")
_HASH_NUMBER = re.compile(r"#\d")
_TAG = re.compile(r"<[^<>]*>")
# an object named by its noun and number, then what was done to make it: Adminer's "Item 14920
# has been inserted.", "Record 42 was created", "Ticket #17 has been submitted" (found by the
# verb first, then the words before it)
_MADE_VERB = re.compile(r"\b(?:creat|insert|add|sav|plac|register|submitt|book|fil|open)ed\b")
_NOUN_NUMBER_BEFORE = re.compile(r"(?<![\w$])([A-Za-z]{3,})[ \t]+#?(\d{1,19})[ \t]+(?:(?:has|have)"
                                 r"[ \t]+been[ \t]+|was[ \t]+|is[ \t]+|got[ \t]+)?$")
# a number of something that is no object the app made: "page number 2", "phone no. 555"
_NOT_MADE = frozenset({"page", "pages", "version", "step", "line", "row", "column", "level",
                       "chapter", "section", "figure", "table", "phone", "fax", "mobile",
                       "telephone", "house", "street", "room", "floor", "serial", "model",
                       "part", "item", "items", "total", "max", "min", "count"})
# a noun before a number and "was added" that names no object made (what was added to it, or
# how many: "Page 2 was added", "Step 3 is saved", "Total 4 added")
_NOT_MADE_NOUNS = (_NOT_MADE - {"item"}) | {"you", "your", "and", "the", "this", "that",
                                            "which"}
_SPECIAL = re.compile(r"[.^$*+?{}\[\]\\|()]")  # what a regex reads as more than itself


def named_ids(text: str) -> Iterator[tuple[int, str, str]]:
    """``(start, digits, name)`` of each number ``text`` binds to an id's name (not the whole
    text: a whole value is looked up whole)."""
    if "id" not in text and "Id" not in text and "ID" not in text:
        return
    for match in _NAMED.finditer(text):
        name = match.group(1)
        if match.end(2) - match.start(1) >= len(text) or not is_object_id_name(name):
            continue
        yield match.start(2), match.group(2), name


def _may_number(text: str) -> bool:
    """Whether a text may state an object's number (exact for _NUMBERED; cheap: a page that
    answers a form is scanned only when it can)."""
    return "umber" in text or "UMBER" in text or "no." in text or "No." in text or \
        "NO." in text or _HASH_NUMBER.search(text) is not None


def _made_statements(text: str) -> Iterator[tuple[int, re.Match[str], str, str, str, str]]:
    """``Item 14920 has been inserted``: a noun and a number, then a verb that says it was
    made (:func:`stated_sources`' matches, with the words after the number: the regex that
    reads the number back ends with them)."""
    for verb in _MADE_VERB.finditer(text):
        noun = _NOUN_NUMBER_BEFORE.search(text, max(0, verb.start() - 80), verb.start())
        if noun is None or noun.group(1).lower() in _NOT_MADE_NOUNS:
            continue
        yield (noun.start(1), noun, noun.group(1).lower(), identifier(noun.group(1)) + "_id",
               f"{noun.group(1)} … {verb.group(0)}", text[noun.end(2):verb.end()])


def stated_sources(step: ir.Step, text: str, wanted: Wanted, made: bool = False
                   ) -> Iterator[Source]:
    """The ids the answer to an unsafe request states once under an id's name or as an
    object's number, wanted later; and an object's number the page its redirects end at
    states (``made``: a shop's thank-you page)."""
    unsafe = step.request.method not in ("GET", "HEAD")
    if not (unsafe or made) or len(text) > 2_000_000:
        return
    # (where the words start, the match (its last group: the number), its name's key, the
    # variable's name, the words as the report shows them, the words after the number that
    # the regex reading it back ends with)
    matches: list[tuple[int, re.Match[str], str, str, str, str]] = []
    # an id's name anywhere (a script's user_id=1 too): only in the answer to the request
    if unsafe and ("id" in text or "Id" in text or "ID" in text):
        for m in _STATED.finditer(text):
            if is_object_id_name(last := m.group(1).rsplit(" ", 1)[-1]):
                matches.append((m.start(1), m, last.lower(), identifier(m.group(1)),
                                m.group(1), ""))
    if _may_number(text):
        for m in _NUMBERED.finditer(text):
            noun = _NOUN_BEFORE.search(text, max(0, m.start() - 40), m.start())
            if noun is not None and noun.group(1).lower() not in _NOT_MADE:
                # "order number is": order_no (rank reads "number" as a count, page_number)
                words = " ".join(_TAG.sub("", text[noun.start(1):m.start(1)]).split())
                matches.append((noun.start(1), m, noun.group(1).lower(),
                                identifier(noun.group(1)) + "_no", words, ""))
    numbers = {m.start(m.re.groups) for _, m, _, _, _, _ in matches}
    matches.extend(made for made in _made_statements(text)
                   if made[1].start(2) not in numbers)  # "Ticket #17": a number already
    per_name = Counter(key for _, _, key, _, _, _ in matches)
    for start, match, key, name, words, after in matches:
        value = match.group(match.re.groups)
        if value not in wanted or not value.strip("0") or per_name[key] != 1:
            continue  # a list of ids under one name: which one is the request's is unknown
        pattern = (_SPECIAL.sub(r"\\\g<0>", text[start:match.start(match.re.groups)]) + r"(\d+)"
                   + _SPECIAL.sub(r"\\\g<0>", after))
        if first_group(pattern, text) != value:
            continue  # the same words before another number first: its regex would find that
        yield Source(step.number, value, name or "id", "regex", expr=pattern,
                     how=f"stated: {words}"[:60], id_like=True, creates=True,
                     object_id=True)
