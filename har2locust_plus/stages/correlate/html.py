"""HTML pages and fragments: named inputs and meta tags, links and form actions (ids in their
paths, nonces in their queries), element text, and JSON data islands.

Inputs and meta tags are read by XPath. A link's query value (``<a href="item.php?id=7&amp;
action=trash&amp;_nonce=4f48…">``) is read by a regex over the page text whose match is undone
as HTML (``&amp;``, ``&#038;``) and then as a URL query. A value shown as an element's whole
text (an API key in ``<pre>`` or ``<code>``) is read by XPath when it looks made up
(:func:`.sources.token_like`). JSON held in ``<script type="application/json">`` or a
``data-*`` attribute is read by XPath, then by its JSON path.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from urllib.parse import parse_qsl, unquote, urlsplit

from lxml import etree
from lxml import html as lxml_html

from ... import ir, jsontext
from ..grouping import identifier
from .json_body import wanted_json_leaves
from .location import header_url
from .rank import NOT_ID_KEYS
from .rows import CLIENT_MADE, own_tokens
from .scripts import script_sources
from .sources import (
    MIN_TOKEN,
    RANK_TEXT,
    UUID,
    Source,
    Wanted,
    decode,
    first_group,
    id_name,
    is_id_name,
    regex_source,
    route_word,
    slug_id,
    token_like,
    token_name,
)
from .stated import named_ids

HTML_MIME = ("text/html", "application/xhtml")
TEXT_TAGS = ("pre", "code", "kbd", "samp", "output", "td", "dd", "span", "strong", "b", "p",
             "li", "div", "textarea")
_DATA_ISLANDS = etree.XPath("//script[@type='application/json' or @type='application/ld+json']"
                            " | //*[@*[starts-with(name(), 'data-')] or @hx-headers or @hx-vals]")
# attributes that hold JSON besides data-*: htmx's headers and values of its requests
# (Flask-WTF's and Django's htmx recipes put the CSRF token in <body hx-headers='{...}'>)
_JSON_ATTRS = frozenset({"hx-headers", "hx-vals"})
# attributes that hold a URL the page requests, besides <a href> and <form action>: a button's
# formaction and htmx's requests (also as data-hx-*); the script's from_link reads the same
URL_ATTRS = ("formaction", *(f"{prefix}hx-{verb}" for prefix in ("", "data-")
                             for verb in ("get", "post", "put", "patch", "delete")))
_URL_ATTRS_XPATH = etree.XPath(" | ".join(f"//@{attr}" for attr in URL_ATTRS),
                               smart_strings=False)  # plain strings: the caches keep them
# data-* attributes holding a URL the page's script requests: Stimulus values
# (data-w-swap-src-value="/admin/…/ping/4/1/", data-url-value), data-url, data-href. The
# script's from_link reads the same (this XPath, word for word).
DATA_URL_XPATH = ("//@*[starts-with(name(), 'data-') and (starts-with(., '/')"
                  " or starts-with(., 'http://') or starts-with(., 'https://'))]")
_DATA_URLS = etree.XPath(DATA_URL_XPATH, smart_strings=False)
_DATA_URL = re.compile(r"""data-[\w.:-]*\s*=\s*["']?(?:/|https?://)""")
_TEXT_TOKEN = re.compile(r">\s*([^<>\s]{8,4096})\s*<")  # an element's whole text, one token
_DATA_ATTR_JSON = re.compile(r"""data-[\w.:-]*\s*=\s*["']?\s*[\[{]""")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_NAME = re.compile(r"[A-Za-z_][\w.\-]*")


# lxml.html's parser makes every element an HtmlElement, looked up by a Python method for each
# element a walk touches; the tree is the same with plain elements, which are quicker to walk
# (the HTML pages of the 10,000-entry benchmark: 10 % less parsing and walking). Nothing here
# looks elements up by XPath's id(), so libxml2 need not index the ids (parsing: 10 % less).
_PLAIN_HTML = etree.HTMLParser(collect_ids=False)


def parse_html(text: str) -> etree._Element:
    """What ``lxml.html.fromstring(text)`` returns (the page, or the fragment's element), with
    plain lxml elements. Raises what it raises, and ValueError for text that holds no element
    (only a comment)."""
    try:
        tree = lxml_html.fromstring(text, parser=_PLAIN_HTML)
    except AttributeError:  # a fragment with two <body> or <head>: merged by HtmlElement methods
        tree = lxml_html.fromstring(text)
    if not isinstance(tree.tag, str):  # "<body><!-- c -->" gives the comment: no XPath takes it
        raise ValueError("no element in this HTML")
    return tree


def is_html(mime: str, text: str) -> bool:
    return mime.startswith(HTML_MIME) or text.lstrip()[:15].lower().startswith(
        ("<!doctype html", "<html"))


def html_sources(step: ir.Step, text: str, wanted: Wanted, made: bool = False,
                 followed: frozenset[str] = frozenset()) -> Iterator[Source]:
    """What a page hands out. ``made``: the page answers an unsafe request or ends its
    redirects (see :func:`_link_ids`); ``followed``: the short ids in the paths of the
    requests made from this page (see :func:`_named_link_ids`)."""
    try:
        tree = parse_html(text)
    except (etree.ParserError, ValueError):
        return
    named, inputs, urls, anchors = _html_elements(tree)
    for name, values in named["input"].items():  # before their positions: they win a tie
        if len(set(values)) > 1 and _any_wanted(values, wanted):
            yield from _row_input_sources(step, name, inputs[name], wanted)
    for (prefix, suffix), elements in _id_named_inputs(inputs, wanted).items():
        yield from _row_input_sources(step, prefix + "<id>" + suffix, elements, wanted,
                                      _id_named_xpath(prefix, suffix), prefix + suffix)
    for tag, by_name in named.items():
        yield from _named_sources(step, tag, by_name, wanted,
                                  inputs if tag == "input" else None)
    if "<select" in text or "<textarea" in text:
        yield from _filled_choices(step, tree, wanted)
    for name in named["input"]:
        if name in wanted and token_name(name):
            source = _token_name_source(step, tree, name, named["input"][name])
            if source is not None:
                yield source
    # both walk much of the tree: only when the page text can hold what they find
    if _any_wanted(_TEXT_TOKEN.findall(text), wanted):
        yield from _text_sources(step, tree, wanted)
    if ("application/json" in text or "application/ld+json" in text or "hx-headers" in text
            or "hx-vals" in text or ("data-" in text and _DATA_ATTR_JSON.search(text))):
        yield from _embedded_json_sources(step, tree, wanted)
    if "hx-" in text or "formaction" in text:
        urls.extend(_URL_ATTRS_XPATH(tree))
    if "data-" in text or "wire:" in text:
        yield from _data_attr_sources(step, tree, text, wanted)
    data_urls = _DATA_URLS(tree) if "data-" in text and _DATA_URL.search(text) else []
    urls.extend(data_urls)
    shown_ids: dict[str, None] = {}  # short ids in link paths, in order
    for url in urls:
        if not url:
            continue
        for value, parent in _link_values(url):
            if value in wanted:
                source = regex_source(step, text, value, id_name(parent), f"link {url[:40]}")
                if source is not None:
                    yield source
        for value, parent, pattern in _link_ids(url):
            if value not in shown_ids and value in wanted:
                shown_ids[value] = None
                if made:  # the first link showing it
                    yield Source(step.number, value, id_name(parent), "regex", expr=pattern,
                                 how=f"link {url[:40]}", id_like=True, object_id=True,
                                 in_path=True)
        for name, value, params in _link_query(url):
            if value in wanted:
                source = _query_source(step, text, name, value, params, url)
                if source is not None:
                    yield source
    yield from _script_url_ids(step, text, data_urls, wanted)
    if followed:  # after the made page's first links: those win a tie
        yield from _named_link_ids(step, anchors, wanted, followed)
        yield from _row_link_ids(step, anchors, wanted, followed)
    if shown_ids:  # which short ids the page showed: one marker, whatever the page is
        yield Source(step.number, "", "", SHOWN, path=tuple(shown_ids))
    yield from script_sources(step, text, wanted)


# what in an HTML fragment can hand out a value read by an XPath (an input's or a meta's
# value, a data-* or wire:* attribute, an element's text): a fragment without one is not parsed
_FRAGMENT_MARKS = re.compile(r"value=|content=|data-|wire:|<(?:pre|code|textarea)\b", re.I)


def fragment_sources(step: ir.Step, path: tuple, fragment: str, wanted: Wanted
                     ) -> Iterator[Source]:
    """Values of the HTML a JSON answer holds as a string at ``path``, to be inserted into
    the page (Drupal's AJAX commands, Livewire's ``effects.html``, ``{"html": "<form>…"}``):
    what an XPath reads in it (the form's new ``form_build_id``, a child component's
    ``wire:snapshot``), as ``json_html`` extractions (the leaf, then the XPath)."""
    if not _FRAGMENT_MARKS.search(fragment):
        return
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    for source in html_sources(step, fragment, wanted):
        if source.kind == "xpath" and not source.path:
            yield replace(source, kind="json_html", path=path,
                          how=f"HTML in JSON {key}: {source.how}"[:60])


# a data-* attribute and its quoted value, as written in the page (the gate of
# _data_attr_sources: no tree is searched unless a value written here is wanted). Its
# literal start keeps the scan quick (a leading \s made it five times slower, an alternation
# of two prefixes six times); a match inside another attribute's name only costs an XPath
# that finds nothing. The other prefixes of attributes a framework's script reads, each
# scanned only on a page that has it: Livewire's wire:snapshot (the component's state as
# JSON, with the checksum the server signed, posted back whole).
_DATA_ATTR = re.compile(r"""data-([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_OTHER_ATTRS = {"wire:": re.compile(r"""wire:([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")}


def _data_attr_sources(step: ir.Step, tree: etree._Element, text: str, wanted: Wanted
                       ) -> Iterator[Source]:
    """Values a ``data-*`` (or ``wire:*``) attribute holds whole, for the page's script: a
    token (``<div id="app" data-csrf-token="…">``, Stimulus's ``data-*-token-value``)
    wherever it is, a short id (``data-note-id="4711"``) only from an id-named attribute that
    holds one value on the whole page (a list's rows, ``<li data-id>`` each, name no one
    object), and JSON that a request sends back whole, as a string (Livewire's
    ``wire:snapshot``). JSON whose leaves are sent, and URLs, have their own sources."""
    seen: dict[str, set[str]] = {}  # attribute as written -> its values on the page
    wanted_in: dict[str, bool] = {}  # attribute as written -> holds a wanted token (or id)
    scans = [("data-", _DATA_ATTR)] if "data-" in text else []
    scans += [(prefix, scan) for prefix, scan in _OTHER_ATTRS.items() if prefix in text]
    for prefix, scan in scans:
        for written, double, single in scan.findall(text):
            raw = unescape(double or single) if "&" in double or "&" in single \
                else double or single
            value, written = raw.strip(), prefix + written
            seen.setdefault(written, set()).add(value)
            if value in wanted or raw in wanted:
                wanted_in[written] = wanted_in.get(written, False) or len(value) >= MIN_TOKEN
    for written, has_token in wanted_in.items():
        bare = written.split("-", 1)[1] if written.startswith("data-") else \
            written.split(":", 1)[1]
        name = identifier(bare.lower().removesuffix("-value")) or "value"
        # a short id only from an id-named attribute with one value on the whole page
        may_id = len(seen[written]) == 1 and is_id_name(name)
        attr = written.lower()
        if not (has_token or may_id):
            continue
        if _XML_NAME.fullmatch(attr):
            path = f"//@{attr}"
        elif _PREFIXED_NAME.fullmatch(attr):  # lxml's HTML parser keeps "wire:x" as a name
            path = f"//@*[name()='{attr}']"
        else:
            continue
        raws = etree.XPath(path)(tree)
        values = [value.strip() for value in raws]
        distinct = set(values)
        done: set[str] = set()
        for position, (value, raw) in enumerate(zip(values, raws, strict=True), start=1):
            where = path if len(distinct) == 1 else f"({path})[{position}]"
            if raw[:1] in "{[":  # JSON sent back whole: exactly as written, spaces and all
                if raw in wanted and raw not in done and len(raw) >= MIN_TOKEN:
                    done.add(raw)
                    yield Source(step.number, raw, name, "xpath", expr=f"string({where})",
                                 how=f"{attr}"[:60], id_like=True)
                continue
            if value in done or value not in wanted:
                continue
            done.add(value)
            if not (token_like(value) if len(value) >= MIN_TOKEN else
                    len(distinct) == 1 and is_id_name(name)):
                continue
            yield Source(step.number, value, name, "xpath", expr=f"normalize-space({where})",
                         how=f"{attr}"[:60], id_like=True)


_PREFIXED_NAME = re.compile(r"[A-Za-z_][\w.\-]*:[A-Za-z_][\w.\-]*")


def _script_url_ids(step: ir.Step, text: str, urls: list[str], wanted: Wanted
                    ) -> Iterator[Source]:
    """Short ids in the URLs a page's script requests (``data-w-swap-src-value=
    "/admin/editing-sessions/ping/wagtailcore/page/4/1/"``: the editing session this page
    opened), on any page, when that is the only URL of its shape on the page: no catalog's
    first item, and no earlier page's link, can be mistaken for it."""
    for url in urls:
        for value, parent, pattern in _link_ids(url):
            if value in wanted and {m.group(1) for m in re.finditer(pattern, text)} == {value}:
                yield Source(step.number, value, id_name(parent), "regex", expr=pattern,
                             how=f"script URL {url[:40]}", id_like=True, in_path=True,
                             script_url=True)  # per page, as a token: the nearest wins


def link_names(anchor: etree._Element) -> tuple[str, ...]:
    """What a person reads as a link's name: its text (spaces collapsed), its aria-label, its
    title. The script's from_named_link reads the same."""
    text = " ".join("".join(anchor.itertext()).split())
    return tuple(n for n in (text, anchor.get("aria-label"), anchor.get("title")) if n)


_NAME_MIN = 3  # "2", "»": pagination, not an object's name
_NAME_MAX = 200


def _named_link_ids(step: ir.Step, anchors: list[etree._Element], wanted: Wanted,
                    followed: frozenset[str]) -> Iterator[Source]:
    """Short ids in the links of a page: the link the user clicked, found by its name
    (``<a aria-label="Explore child pages of 'Team notes'" href="/admin/pages/3/">``), as
    LoadRunner's ``web_link`` clicks a link by its text. A name is used when every link on
    the page that bears it holds this id in that shape, and the name does not contain the id
    ("Ticket 4711": a name that changes with the id would find nothing). At run time, a name
    that finds no link, or links of several ids, gives the recorded id: a catalog seeded the
    same way keeps its ids. Only an id a request made from this page sends in its path
    (``followed``) is looked for: the link the user clicked is on the page the click was
    made from."""
    candidates = []
    for anchor in anchors:
        href = anchor.get("href") or ""
        for value, parent, pattern in _link_ids(href):
            if value in followed and value in wanted:
                candidates.append((anchor, value, parent, pattern))
    if not candidates:
        return
    by_name: dict[str, set[tuple[str, str]]] = {}
    for anchor in anchors:  # every link's names: a name on two objects' links names neither
        href = anchor.get("href") or ""
        ids = {(value, pattern) for value, _, pattern in _link_ids(href)}
        for name in link_names(anchor):
            by_name.setdefault(name, set()).update(ids or {("", "")})
    done: set[tuple[str, str]] = set()
    for anchor, value, parent, pattern in candidates:
        if (value, pattern) in done:
            continue
        for name in link_names(anchor):
            if not _NAME_MIN <= len(name) <= _NAME_MAX or value in name or \
                    _NOT_XML.search(name) or by_name.get(name) != {(value, pattern)}:
                continue
            done.add((value, pattern))
            yield Source(step.number, value, id_name(parent), "named_link", expr=pattern,
                         path=(name,), how=f"link named {name[:30]}", id_like=True,
                         object_id=True, in_path=True, named_link=True)
            break


HTML_ROW = "html_row"  # Source.kind and ir.Extraction.kind: an id in a row's link
HTML_ROW_VALUE = "html_row_value"  # the same: an input's value in a row
ROW_TAGS = frozenset({"tr", "li"})  # what a list's row is


def _row_link_ids(step: ir.Step, anchors: list[etree._Element], wanted: Wanted,
                  followed: frozenset[str]) -> Iterator[Source]:
    """Short ids in the links of a list's rows (a table's ``<tr>``, a list's ``<li>``, the
    innermost): the row the user acted on, by the tokens only its text holds. The correlation
    pass keeps such a source only when one of them is a name the client made (``Zoo
    1796281713``), as for the rows of a script (:mod:`.rows`); the script reads the id from
    the links of the row whose text holds that name this run (``from_html_row``), not from
    the link at the recorded place, which on a fresh server is anyone's row. Only an id a
    request made from this page sends in its path (``followed``)."""
    candidates = []
    for anchor in anchors:
        href = anchor.get("href") or ""
        for value, parent, pattern in _link_ids(href) + _query_ids(href):
            if value in followed and value in wanted:
                candidates.append((anchor, value, parent, pattern))
    if not candidates:
        return
    rows: dict[etree._Element, str] = {}  # each leaf row of a link with an id: its text
    for anchor in anchors:
        row = next((a for a in anchor.iterancestors() if a.tag in ROW_TAGS), None)
        if row is not None and row not in rows and next(row.iterdescendants(row.tag), None) \
                is None and (_link_ids(anchor.get("href") or "") or
                             _query_ids(anchor.get("href") or "")):
            rows[row] = " ".join(row.itertext())
    done: set[tuple[str, str]] = set()
    for anchor, value, parent, pattern in candidates:
        row = next((a for a in anchor.iterancestors() if a.tag in ROW_TAGS), None)
        if row not in rows or (value, pattern) in done or not CLIENT_MADE.search(rows[row]):
            continue  # no row, or nothing the client could have made names it
        done.add((value, pattern))
        others = [text for other, text in rows.items() if other is not row
                  and other.tag == row.tag and not _links_hold(other, value, pattern)]
        tokens = own_tokens(rows[row], others, value)
        if tokens:  # a query's id: its parameter's name (?id=, ?note_id=); a path's: its route
            name = identifier(parent) if is_id_name(parent) else id_name(parent)
            yield Source(step.number, value, name, HTML_ROW, expr=pattern,
                         path=(row.tag,), how=f"link in a <{row.tag}> row", id_like=True,
                         object_id=True, in_path=True, anchors=(("row", " ".join(tokens)),))


LOST_ROW_TAGS = "*"  # the rows of a page the recording lacks: found by their links (tags unknown)


def made_row_sources(step: ir.Step, text: str, values: dict[str, str],
                     names: tuple[str, ...]) -> list[Source]:
    """The ids of what a post made that the page it led to shows only inside one row of a
    list (a table's ``<tr>``, a list's ``<li>``, the innermost), read from the row whose text
    holds the name the post gave it (the first of ``names``, typed by the user: the most
    telling; a later one may be a value chosen from a list, which cannot be made new),
    never from the place the recording had it (changedetection.io's list after "Watch": the
    new watch's ``<tr data-watch-uuid="e16f…">``, its ``/edit/e16f…`` link; the first row the
    recording had, with other users or objects left from earlier runs anyone's row). An
    attribute of the row or inside it that holds the value whole (``from_html_row_value``),
    else a link of the row with the short id (``from_html_row``). ``values``: each id and the
    name of its variable. None for a value found outside that row too (a message naming it,
    ``<li class="success">`` included: this session's news, no list's row; another list), or
    in a row no name or several rows' names tell."""
    try:
        tree = parse_html(text)
    except (etree.ParserError, ValueError):
        return []
    find = re.compile("(?<![0-9A-Za-z])(?:" + "|".join(
        map(re.escape, sorted(values, key=len, reverse=True))) + ")(?![0-9A-Za-z])")
    held: dict[str, set[etree._Element | None]] = {value: set() for value in values}
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for where, texts in ((element, (*element.attrib.values(), element.text or "")),
                             (element.getparent(), (element.tail or "",))):
            for part in texts:
                for match in find.finditer(part):
                    row = None if where is None or _in_message(where) else \
                        where if where.tag in ROW_TAGS else next(
                            (a for a in where.iterancestors() if a.tag in ROW_TAGS), None)
                    held[match.group()].add(row)
    sources = []
    for value, rows in held.items():
        if len(rows) != 1 or (row := next(iter(rows))) is None:
            continue  # outside a row too, or in two rows
        same = [_row_text(other) for other in tree.iter(row.tag)]
        mine = _row_text(row)
        name = names[0]  # the most telling: a later one may be a choice (no name to make new)
        if name not in mine or sum(name in other for other in same) != 1:
            continue  # the post's name does not tell the row
        source = _made_row_source(step, row, value, values[value], name)
        if source is not None:
            sources.append(source)
    return sources


# what an element's class, id or role calls a message to the user ("The ticket … was added
# successfully", Django's <ul class="messagelist"><li class="success">): this session's news,
# not a list's row (the checks' MESSAGE_WORDS)
_MESSAGE_WORD = re.compile(r"(?:^|[\s_-])(?:alerts?|messages?|messagelist|msg|notice|"
                           r"notification|flash(?:es)?|success|toast|callout|status|feedback)"
                           r"(?:$|[\s_-])", re.I)


def _in_message(element: etree._Element) -> bool:
    return any(_MESSAGE_WORD.search(held) for one in (element, *element.iterancestors())
               for held in (one.get("class"), one.get("id"), one.get("role")) if held)


def _row_text(row: etree._Element) -> str:
    """A row's text and the absolute addresses its links lead to, as the run time's
    ``row_text`` reads it."""
    links = (a.get("href") or "" for a in row.iter("a"))
    return " ".join([*row.itertext(), *(link for link in links if "://" in link)])


def _made_row_source(step: ir.Step, row: etree._Element, value: str, var: str,
                     name: str) -> Source | None:
    anchors = (("row", ir.Template((name,))),)
    for element in row.iter():
        for attr, held in element.attrib.items() if isinstance(element.tag, str) else ():
            if held != value or not _XML_NAME.fullmatch(attr):
                continue
            xpath = f"descendant-or-self::*/@{attr}"
            if {str(found) for found in row.xpath(xpath)} == {value}:
                return Source(step.number, value, var, HTML_ROW_VALUE, expr=xpath,
                              path=(row.tag,), how=f"{attr} in a <{row.tag}> row",
                              id_like=True, object_id=True, anchors=anchors)
    for anchor in row.iter("a"):
        href = anchor.get("href") or ""
        for found, _, pattern in _link_ids(href) + _query_ids(href):
            if found == value:
                return Source(step.number, value, var, HTML_ROW, expr=pattern,
                              path=(row.tag,), how=f"link in a <{row.tag}> row",
                              id_like=True, object_id=True, in_path=True, anchors=anchors)
    return None


def lost_row_link(step: ir.Step, value: str, param: str | None, names: tuple[ir.Template, ...],
                  page: int) -> Source | None:
    """A short id a link sent (in ``step``'s path, or its query under ``param``) as an
    ``html_row`` source of ``page``, a page whose body the recording lacks: the links of that
    shape in its rows (``<tr>`` or ``<li>``, the innermost) whose text holds one of ``names``,
    the names the request that made the object gave it (see ``engine._lost_row_ref``). None
    where the URL shows no such id."""
    request = step.request
    if param is not None:  # the link's parameter, in any link of the row (relative ones too)
        parent, pattern = param, _query_param_pattern(param, _UUID_GROUP if UUID.fullmatch(
            value) else "[0-9]+")
    elif not request.path.is_literal:
        return None
    else:
        found = next(((parent, pattern) for found, parent, pattern in _link_ids(
            request.path.text) + _link_uuids(request.path.text) if found == value), None)
        if found is None:
            return None
        parent, pattern = found
    if param is not None and _bracketed(param):  # Adminer's where[id]: named by the key
        parent = _bracketed(param)
    return Source(page, value, identifier(parent) if is_id_name(parent) else id_name(parent),
                  HTML_ROW, expr=pattern, path=(LOST_ROW_TAGS,),
                  how="link in a row of a page not recorded", id_like=True, object_id=True,
                  in_path=True, anchors=tuple(("row", name) for name in names))


def lost_named_link(step: ir.Step, value: str, page: int,
                    pages: Iterator[dict[str, set[tuple[str, str]]]]) -> Source | None:
    """A short id ``step``'s path sends, as a ``named_link`` source of ``page``, a page whose
    body the recording lacks: the name of a link to it on another page the recording holds
    (a breadcrumb, the list it came back to: Wagtail's "Team notes", a seeded page a fresh
    server numbers otherwise), by which the live page's link is clicked (the recorded id where
    it finds none, as for any named link). ``pages``: each recorded page's
    :func:`link_ids_by_name`. A name is taken where every link of that page bearing it holds
    this id in this shape. None where no recorded page names it so."""
    request = step.request
    if not request.path.is_literal:
        return None
    found = next(((parent, pattern) for found, parent, pattern in _link_ids(request.path.text)
                  if found == value), None)
    if found is None:
        return None
    parent, pattern = found
    for by_name in pages:
        name = next((name for name, ids in by_name.items()
                     if ids == {(value, pattern)} and _NAME_MIN <= len(name) <= _NAME_MAX
                     and value not in name and not _NOT_XML.search(name)), None)
        if name is not None:
            return Source(page, value, id_name(parent), "named_link", expr=pattern,
                          path=(name,), how=f"link named {name[:30]} (another page's)",
                          id_like=True, object_id=True, in_path=True, named_link=True)
    return None


def link_ids_by_name(body: str) -> dict[str, set[tuple[str, str]]]:
    """Each name a link of the page bears (see :func:`link_names`) → the (id, shape) pairs
    of the links bearing it (``("", "")`` for a link without an id); empty for a body that
    is no HTML."""
    try:
        tree = parse_html(body)
    except (ValueError, etree.ParserError):
        return {}
    by_name: dict[str, set[tuple[str, str]]] = {}
    for anchor in tree.iter("a"):
        ids = {(v, p) for v, _, p in _link_ids(anchor.get("href") or "")}
        for name in link_names(anchor):
            by_name.setdefault(name, set()).update(ids or {("", "")})
    return by_name


def _query_param_pattern(name: str, shape: str = "[0-9]+") -> str:
    """A regex whose group is a short id (or a value of ``shape``) under the query parameter
    ``name`` in an href, its brackets as written or percent-encoded (Adminer's
    ``&where%5Bid%5D=52648``)."""
    spelled = "".join("(?:\\[|%5[Bb])" if ch == "[" else "(?:\\]|%5[Dd])" if ch == "]"
                      else re.escape(ch) for ch in name)
    return f"(?:^|[?&;]){spelled}=({shape})(?=[&;\"'#])"


_UUID_GROUP = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _link_uuids(path: str) -> tuple[tuple[str, str, str], ...]:
    """The uuids in a link's path (``/edit/e16f2541-c669-4553-b280-5839d102838a``), as
    :func:`_link_ids` gives its short ids: the value, the segment before it, a regex for the
    same link with any uuid there."""
    segments = path.split("/")
    return tuple(
        (segment, segments[i - 1], "/".join(
            f"({_UUID_GROUP})" if j == i else re.escape(other)
            for j, other in enumerate(segments)) + "(?=[\"'?#])")
        for i, segment in enumerate(segments)
        if i >= 2 and segments[i - 1] and UUID.fullmatch(segment))


def _bracketed(name: str) -> str:
    """The last key in brackets of a parameter's name (``where[id]``: ``id``), or ""."""
    match = re.search(r"\[([A-Za-z_][\w-]*)\]$", name)
    return match.group(1) if match else ""


def _row_input_sources(step: ir.Step, name: str, elements: list[etree._Element],
                       wanted: Wanted, expr: str | None = None, var: str | None = None
                       ) -> Iterator[Source]:
    """The wanted values of inputs of one name that several rows hold (each row's delete
    form: ``<tr><td>Zoo 1796281713</td><td><form><input type="hidden" name="id"
    value="45520">``), by the tokens only the value's row holds: read at run time from the row
    whose text holds the name the client made (``from_html_row_value``), not from the input
    at the recorded place, on a fresh server anyone's row (see :func:`_row_link_ids`).
    ``expr``: how the row's input is found, when not by ``name`` (inputs whose names hold
    their row's id: :func:`_id_named_inputs`; ``var`` names the value then)."""
    if _NOT_XML.search(name):
        return
    if expr is None:
        expr = f".//input[@name={xpath_literal(name)}]/@value"
    rows: list[tuple[etree._Element, str, str]] = []  # (row, its text, the input's value)
    for element in elements:
        row = next((a for a in element.iterancestors() if a.tag in ROW_TAGS), None)
        if row is not None and next(row.iterdescendants(row.tag), None) is None:
            rows.append((row, " ".join(row.itertext()), element.get("value") or ""))
    done: set[str] = set()
    for row, text, value in rows:
        if value in done or value not in wanted:
            continue
        done.add(value)
        others = [other_text for other, other_text, other_value in rows
                  if other is not row and other.tag == row.tag and other_value != value]
        tokens = own_tokens(text, others, value)
        if tokens:
            yield Source(step.number, value, identifier(var or name) or "value", HTML_ROW_VALUE,
                         expr=expr, path=(row.tag,), how=f"input {name} in a <{row.tag}> row",
                         id_like=True, anchors=(("row", " ".join(tokens)),))


# an id inside an input's name: a run of digits between other characters than letters and
# digits (the engine fills such a name in: engine._ID_IN_NAME)
_ID_IN_INPUT_NAME = re.compile(r"(?<![A-Za-z0-9])[0-9]{2,}(?![A-Za-z0-9])")


def _id_named_inputs(inputs: dict[str, list[etree._Element]], wanted: Wanted
                     ) -> dict[tuple[str, str], list[etree._Element]]:
    """Inputs whose names hold their row's id, grouped by the name around it (a list's row
    checkboxes: Zabbix's ``<input name="hostids[10580]" value="10580">``, Cacti's
    ``chk_40752``), when a value of a group is wanted. Each name is another object's: read by
    the name the recording saw (``//input[@name='hostids[10580]']``), the id of a fresh
    server's new object is never found; the row is found by its name instead
    (:func:`_row_input_sources`)."""
    shapes: dict[tuple[str, str], list[etree._Element]] = {}
    hit: set[tuple[str, str]] = set()
    for name, elements in inputs.items():
        match = _ID_IN_INPUT_NAME.search(name)
        if match is None or match.group() == name or \
                _ID_IN_INPUT_NAME.search(name, match.end()) is not None:
            continue  # no id, only a number (a position), or two ids
        shape = (name[:match.start()], name[match.end():])
        shapes.setdefault(shape, []).extend(elements)
        if any(element.get("value") in wanted for element in elements):
            hit.add(shape)
    return {shape: shapes[shape] for shape in hit}


def _id_named_xpath(prefix: str, suffix: str) -> str:
    """An XPath from a row for its input named ``prefix``, digits, ``suffix``."""
    name = "@name"
    digits = (f"substring({name}, {len(prefix) + 1}, string-length({name}) - "
              f"{len(prefix) + len(suffix)})")
    tests = [f"starts-with({name}, {xpath_literal(prefix)})",
             f"string-length({name}) > {len(prefix) + len(suffix)}",
             f"translate({digits}, '0123456789', '') = ''"]
    if suffix:
        end = f"string-length({name})" + (f" - {len(suffix) - 1}" if len(suffix) > 1 else "")
        tests.append(f"substring({name}, {end}) = {xpath_literal(suffix)}")
    return f".//input[{' and '.join(tests)}]/@value"


def _names_its_value(name: str, value: str) -> bool:
    """Whether an input's name holds its own value as an id (``hostids[10580]`` valued
    ``10580``): an XPath by that name finds only the recorded object's."""
    return value.isdigit() and any(match.group() == value
                                   for match in _ID_IN_INPUT_NAME.finditer(name))


@functools.lru_cache(maxsize=4096)
def _query_ids(url: str) -> tuple[tuple[str, str, str], ...]:
    """The short ids in a link's query (``/admin/note/edit/?id=45520&url=…``), as
    :func:`_link_ids` gives those of its path: the value, the parameter's name, and a regex for
    the same link with any number there."""
    if "=" not in url:
        return ()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ()
    if "=" not in parts.query or not parts.path.startswith("/"):
        return ()
    return tuple((value, name, f"{re.escape(parts.path)}\\?(?:[^\"'#]*&)?{re.escape(name)}"
                               f"=([0-9]+)(?=[&\"'#])")
                 for name, value in parse_qsl(parts.query, keep_blank_values=True)
                 if value.isdigit() and len(value) < MIN_TOKEN and _XML_NAME.fullmatch(name)
                 and not NOT_ID_KEYS.search(name))


def _links_hold(row: etree._Element, value: str, pattern: str) -> bool:
    """Whether a link of the row holds ``value`` in the shape ``pattern`` (the same object's
    row, shown twice)."""
    return any(match.group(1) == value
               for anchor in row.iter("a")
               if (match := re.search(pattern, (anchor.get("href") or "") + '"')))


def _any_wanted(values: list[str], wanted: Wanted) -> bool:
    last_use, after = wanted.last_use, wanted.after
    return any(last_use.get(value, -1) > after for value in values)


def _html_elements(tree: etree._Element) -> tuple[dict[str, dict[str, list[str]]],
                                                  dict[str, list[etree._Element]],
                                                  list[str | None], list[etree._Element]]:
    """The values of ``<input name>`` and ``<meta name>`` (tag → name → values), the
    inputs (name → elements), the links, form actions, frames and refresh URLs, in document
    order, and the ``<a href>`` elements: one walk over the tree."""
    named: dict[str, dict[str, list[str]]] = {"input": {}, "meta": {}}
    inputs: dict[str, list[etree._Element]] = {}  # the inputs of each name, in order
    urls: list[str | None] = []
    anchors: list[etree._Element] = []
    for element in tree.iter("input", "meta", "a", "form", "area", "iframe", "frame"):
        tag = element.tag
        if tag in _URL_OF:
            urls.append(element.get(_URL_OF[tag]))
            if tag == "a":
                anchors.append(element)
        elif tag == "input" and (element.get("type") or "").lower() in _BUTTONS:
            continue  # a button's label, not a value the server handed out
        elif tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
            urls.append(header_url("refresh", element.get("content") or ""))
        else:
            name, value = element.get("name"), element.get(_VALUE_ATTR[tag])
            if name and value is not None:
                named[tag].setdefault(name, []).append(value)
                if tag == "input":
                    inputs.setdefault(name, []).append(element)
    return named, inputs, urls, anchors


_VALUE_ATTR = {"input": "value", "meta": "content"}  # what <input name=..>, <meta name=..> hold
# the URL each link-like element names (<meta http-equiv="refresh" content="0; url=..."> too)
_URL_OF = {"a": "href", "area": "href", "form": "action", "iframe": "src", "frame": "src"}
_BUTTONS = frozenset({"submit", "button", "reset", "image"})


def _named_sources(step: ir.Step, tag: str, by_name: dict[str, list[str]],
                   wanted: Wanted, elements: dict[str, list[etree._Element]] | None = None
                   ) -> Iterator[Source]:
    """Each wanted value of an element of a name (``<input name="token" value=…>``), by its
    position among that name's values when they differ (two forms' tokens, a history's
    newest revision). Not an input of a list's rows whose value names its row by an id
    (``elements``: the inputs by name): Adminer's row checkboxes ``check[]`` valued
    ``where%5Bid%5D=14920``. Which row is the user's choice, and on a fresh server, with other
    users, the row at the recorded place is anyone's; the id inside is correlated on its own
    (the message "Item 14920 has been inserted", see :func:`.stated.named_ids`), or the row is
    read by its name (:func:`_row_input_sources`)."""
    value_attr = _VALUE_ATTR[tag]
    for name, values in by_name.items():
        if _NOT_XML.search(name):
            continue  # lxml refuses such an XPath: the script would fail at import
        rows = (elements is not None and len(set(values)) > 1
                and _in_rows(elements.get(name, ())))
        literal = xpath_literal(name)
        for position, value in enumerate(values, start=1):
            if value not in wanted or value in values[:position - 1]:
                continue
            if rows and next(named_ids(value), None) is not None:
                continue
            if _names_its_value(name, value):
                continue  # read from its row by the row's name (_id_named_inputs), if at all
            if len(set(values)) > 1 and elements is not None:
                source = _form_input_source(step, name, value, position - 1, elements[name])
                if source is not None:
                    yield source
                    continue
            xpath = f"//{tag}[@name={literal}]/@{value_attr}"
            if len(set(values)) > 1:
                xpath = f"({xpath})[{position}]"
            yield Source(step.number, value, identifier(name) or tag, "xpath", expr=xpath,
                         how=f"{tag} {name}", id_like=True,
                         prefilled=elements is not None and _prefilled(elements.get(name, ())))


def _form_input_source(step: ir.Step, name: str, value: str, index: int,
                       elements: list[etree._Element]) -> Source | None:
    """An input whose value differs from form to form (``elements``: the inputs of that name,
    this one at ``index``), in a form whose action no other of those forms posts to, naming an
    object (``<form action="/notes/4712">``) or not (``/logout``): the
    token of that form (Rails' per-form ``authenticity_token``, each ``button_to`` its own;
    Symfony's ``csrf_token('delete' ~ note.id)``; a nonce per post). Read from the form whose
    action is that one at run time (the object's, this run), as a link's nonce is, not from
    the form at the recorded place: on a fresh server, with other users, that is another
    object's or another button's, whose token the server refuses for this request."""
    paths = [_action_path(element) for element in elements]
    path = paths[index]
    if path is None or paths.count(path) > 1:
        # several forms of that action (a note's edit and delete forms, a cart's per product):
        # which one the user sent, the action does not tell
        return None
    action = next(elements[index].iterancestors("form")).get("action") or ""
    return Source(step.number, value, identifier(name) or "input", "form_input", expr=name,
                  anchors=((PATH_ANCHOR, path),), how=f"form {action[:40]}", id_like=True,
                  first_link=index == 0)


def _action_path(element: etree._Element) -> str | None:
    """The path of the action of the form an input is in (percent escapes decoded), when the
    action names one: from ``/`` or a whole URL (not ``./save``, whose path is the page's)."""
    form = next(element.iterancestors("form"), None)
    action = form.get("action") if form is not None else None
    if not action or not (action.startswith("/") or "://" in action[:12]):
        return None
    try:
        return unquote(urlsplit(action).path) or None
    except ValueError:
        return None


# the inputs whose value the user sees and may change (not hidden, a choice or a button)
_TEXT_TYPES = frozenset({"", "text", "email", "url", "number", "search", "tel", "date",
                         "datetime-local", "month", "week", "time", "color", "range"})


def _prefilled(elements: list[etree._Element] | tuple[()]) -> bool:
    """Whether the one input of its name on the page is a field the form showed filled in: a
    text-like input inside a form that asks for no password (a login's or a sign-up's fields
    are the user's own: the data file's, never the page's). A settings page's other fields,
    sent back unchanged beside the one the user changed, are the server's current values."""
    if len(elements) != 1:
        return False
    element = elements[0]
    return (element.get("type") or "").strip().lower() in _TEXT_TYPES and \
        _in_plain_form(element)


def _filled_choices(step: ir.Step, tree: etree._Element, wanted: Wanted) -> Iterator[Source]:
    """The option a form's ``<select>`` showed selected, and a ``<textarea>``'s text, as
    :func:`_prefilled` fields: a settings page's time zone or language, sent back unchanged.
    A select without a selected option (the browser sends its first), several selected, or an
    option without a value is left alone; so is a name that is not once on the page."""
    fields = [e for e in tree.iter("select", "textarea") if e.get("name")]
    counts: dict[str, int] = {}
    for element in fields:
        counts[element.get("name")] = counts.get(element.get("name"), 0) + 1
    for element in fields:
        name = element.get("name")
        if counts[name] != 1 or _NOT_XML.search(name) or not _in_plain_form(element):
            continue
        literal = xpath_literal(name)
        if element.tag == "select":
            if element.get("multiple") is not None:
                continue
            chosen = [o for o in element.iter("option") if o.get("selected") is not None]
            if len(chosen) != 1 or chosen[0].get("value") is None:
                continue
            value = chosen[0].get("value")
            xpath = f"(//select[@name={literal}]//option[@selected])[1]/@value"
        else:
            value = element.text or ""
            xpath = f"string(//textarea[@name={literal}])"
        if value and value in wanted:
            yield Source(step.number, value, identifier(name) or element.tag, "xpath",
                         expr=xpath, how=f"{element.tag} {name}", prefilled=True)


def _in_plain_form(element: etree._Element) -> bool:
    """Inside a form that asks for no password (see :func:`_prefilled`)."""
    form = next(element.iterancestors("form"), None)
    return form is not None and not any(
        (field.get("type") or "").strip().lower() == "password" for field in form.iter("input"))


def _in_rows(elements: list[etree._Element]) -> bool:
    """Whether inputs of one name sit in the rows of a list: at least two of them each in a
    row of its own (the innermost ``<tr>`` or ``<li>`` around it) of the same tag."""
    rows: dict[str, set[etree._Element]] = {}
    for element in elements:
        row = next((a for a in element.iterancestors() if a.tag in ROW_TAGS), None)
        if row is not None:
            rows.setdefault(row.tag, set()).add(row)
    return any(len(found) > 1 for found in rows.values())


_HEX = frozenset("0123456789abcdef")
_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _token_name_source(step: ir.Step, tree: etree._Element, name: str, values: list[str]
                       ) -> Source | None:
    """A hidden input whose *name* is a token (see :func:`.sources.token_name`), found at run
    time by its shape: the input of that value whose name has the recorded length and kind of
    characters (``//input[@value='1'][string-length(@name)=32][translate(@name,
    '0123456789abcdef','')='']/@name``); None if that finds another input first."""
    if len(set(values)) != 1 or _NOT_XML.search(values[0]):
        return None
    chars = "0123456789abcdef" if set(name) <= _HEX else _ALNUM
    xpath = (f"//input[@value={xpath_literal(values[0])}][string-length(@name)={len(name)}]"
             f"[translate(@name,'{chars}','')='']/@name")
    found = tree.xpath(xpath)
    if not found or str(found[0]) != name:
        return None
    return Source(step.number, name, "form_token", "xpath", expr=xpath,
                  how=f"input name {name[:12]}…", id_like=True)


def _text_sources(step: ir.Step, tree: etree._Element, wanted: Wanted) -> Iterator[Source]:
    """Values shown as an element's whole text: ``<pre id="api-key">k_93f…</pre>``."""
    positions: dict[str, int] = {}
    for element in _text_elements(tree):
        tag = element.tag
        positions[tag] = positions.get(tag, 0) + 1
        if not element.text:
            continue
        value = element.text.strip()
        if value not in wanted or not token_like(value):
            continue
        where = _element_xpath(element, tag, positions[tag])
        if where is None:
            continue
        yield Source(step.number, value, identifier(element.get("id") or "") or
                     identifier(element.get("class") or "") or f"{tag}_text", "xpath",
                     expr=f"normalize-space({where})", how=f"text of <{tag}>", id_like=True)


def _text_elements(tree: etree._Element) -> Iterator[etree._Element]:
    """What ``//pre[not(*)] | //code[not(*)] | ...`` (each of TEXT_TAGS) finds, in document
    order: the elements of those tags without child elements (comments may be inside), in
    the whole document (where libxml2's recovery may leave more than one top element). One
    walk, about three times as fast as the XPath's 14."""
    root = tree.getroottree().getroot()
    for top in (root, *root.itersiblings(etree.Element)):
        for element in top.iter(*TEXT_TAGS):
            if not len(element) or next(element.iterchildren(etree.Element), None) is None:
                yield element


def _element_xpath(element: etree._Element, tag: str, position: int) -> str | None:
    """``//pre[@id='key']`` when the element has an id, else ``(//pre[not(*)])[3]``."""
    element_id = element.get("id")
    if element_id and not _NOT_XML.search(element_id):
        return f"//{tag}[@id={xpath_literal(element_id)}]"
    return f"(//{tag}[not(*)])[{position}]"


def _embedded_json_sources(step: ir.Step, tree: etree._Element,
                           wanted: Wanted) -> Iterator[Source]:
    """Leaves of JSON held by ``<script type="application/json">``, a ``data-*`` attribute or
    htmx's ``hx-headers`` / ``hx-vals``."""
    scripts = 0
    attr_positions: dict[str, int] = {}
    for element in _DATA_ISLANDS(tree):
        if element.tag == "script":
            scripts += 1
            holders = [("text()", element.text or "", scripts)]
        else:
            holders = []
            for attr, value in element.attrib.items():
                if (attr.startswith("data-") or attr in _JSON_ATTRS) and _XML_NAME.fullmatch(attr):
                    attr_positions[attr] = attr_positions.get(attr, 0) + 1
                    holders.append((f"@{attr}", value, attr_positions[attr]))
        for where, content, position in holders:
            content = content.strip()
            if content[:1] not in ("{", "[") or len(content) > 5_000_000:
                continue
            try:
                data = jsontext.loads(content)
                leaves: list[tuple[tuple, str | int]] = []
                if isinstance(data, (dict, list)):
                    wanted_json_leaves(data, (), wanted.last_use, wanted.after, leaves)
            except (ValueError, RecursionError):
                continue
            for path, leaf in leaves:
                value = str(leaf)
                if not token_like(value):
                    continue
                key = next((p for p in reversed(path) if isinstance(p, str)), "")
                xpath = _island_xpath(element, where, position)
                if xpath is None:
                    continue
                yield Source(step.number, value, identifier(key) or "value", "xpath",
                             expr=xpath, path=path, how=f"JSON in {where.strip('@()')}"[:60],
                             id_like=True, is_number=isinstance(leaf, int))


def _island_xpath(element: etree._Element, where: str, position: int) -> str | None:
    element_id = element.get("id")
    tag = "script" if where == "text()" else "*"
    if element_id and not _NOT_XML.search(element_id):
        return f"//{tag}[@id={xpath_literal(element_id)}]/{where}"
    if where == "text()":
        return (f"(//script[@type='application/json' or @type='application/ld+json'])"
                f"[{position}]/text()")
    return f"(//*[{where}])[{position}]/{where}"


@functools.lru_cache(maxsize=4096)
def _link_values(url: str) -> tuple[tuple[str, str], ...]:
    """The path segments of a link that hold a digit (ids, not route words), unquoted, each
    with the segment before it (which names it). Cached: pages repeat their navigation.

    Only segments of at least MIN_TOKEN characters: a link is a text source (RANK_TEXT), and
    shorter text values are never eligible (see rank.eligible), so this skips building
    their regexes."""
    try:
        segments = urlsplit(url).path.split("/")
    except ValueError:
        return ()  # not a URL (documentation pages hold "https://[your-domain]/api")
    found = []
    for i, segment in enumerate(segments):
        value = unquote(segment)
        # (an object's name and id, zoo-teapot_4711, is _link_ids': the id alone is handed out)
        if len(value) >= MIN_TOKEN and any(ch.isdigit() for ch in value) and \
                not (i >= 2 and slug_id(segment)) and not route_word(value):
            found.append((value, segments[i - 1] if i else ""))
    return tuple(found)


SHOWN = "shown"  # the kind of the marker source: path holds the short ids a page's links show
# a short id: a path segment of digits only (longer ones are _link_values' tokens), or a
# code of capitals and digits the server made (pretalx's submission /me/submissions/9ZNJR9/,
# XDLDDD), read as one of its kind
_SHORT_ID = re.compile(
    f"[0-9]{{1,{MIN_TOKEN - 1}}}|(?=[0-9]*[A-Z])[A-Z0-9]{{5,{MIN_TOKEN - 1}}}")


@functools.lru_cache(maxsize=4096)
def _link_ids(url: str) -> tuple[tuple[str, str, str], ...]:
    """The short ids in a link's path (``/admin/tickets/ticket/2236/change/``: ``2236``),
    each with the segment before it (which names it) and a regex for the same link with any id
    there: the path around it, which must start at ``/`` and name the collection before it
    (the link's other short ids are any number in it: they change on a new server too).

    On a page that shows what the user's request made (``made``), a page's first link
    showing an id becomes its source (``in_path``); every page says which ids its links show
    (one ``SHOWN`` marker). ``engine._register_sources`` keeps a source only for an id no
    earlier response showed, and only if the first link of that shape on the page is the one
    holding the id (the first link to *an* object of a list is no source of it)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return ()
    if not path.startswith("/") or "%" in path:
        return ()
    segments = path.split("/")
    ids = [i for i, segment in enumerate(segments)
           if i >= 2 and _SHORT_ID.fullmatch(segment) and segments[i - 1]]
    found = []
    for i in ids:
        # the link's other ids are any number too (/page/4711/93/: both change on a new server)
        pattern = "/".join(_id_group(segment) if j == i else _id_group(segment)[1:-1]
                           if j in ids else re.escape(segment)
                           for j, segment in enumerate(segments)) + _LINK_END
        # the route word before names it (/tickets/2236); after another id, nothing does
        found.append((segments[i], "" if segments[i - 1].isdigit() else segments[i - 1],
                      pattern))
    # an id beside the object's name in one segment (/catalogue/zoo-teapot_52745/): the name
    # stays in the regex, so it finds that object's link only
    for i, segment in enumerate(segments):
        if i >= 2 and segments[i - 1] and not segments[i - 1].isdigit() and \
                (parts := slug_id(segment)) is not None:
            before, value, after = parts
            around = (re.escape(before), re.escape(after))
            pattern = "/".join(f"{around[0]}([0-9]+){around[1]}" if j == i else
                               _id_group(other)[1:-1] if j in ids else re.escape(other)
                               for j, other in enumerate(segments)) + _LINK_END
            found.append((value, segments[i - 1], pattern))
    return tuple(found)


# where a link's path ends: its attribute's quote, its query or fragment; or, unquoted (a
# minified page: pretalx's href=/zoocon/me/submissions/9ZNJR9/>), the tag's end or a space
_LINK_END = "(?=[\"'?#>\\s])"


def _id_group(segment: str) -> str:
    """The regex group of a short id's kind: any number, or any code of capitals and digits."""
    return "([0-9]+)" if segment.isdigit() else "([A-Z0-9]+)"


@functools.lru_cache(maxsize=4096)
def _link_query(url: str) -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]:
    """The query values of a link that look handed out (nonces, tickets, tokens), each with
    all the link's parameters."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return ()
    if "=" not in query:
        return ()
    params = tuple(parse_qsl(query, keep_blank_values=True))
    return tuple((name, value, params) for name, value in params
                 if token_like(value) and _XML_NAME.fullmatch(name))


def _query_source(step: ir.Step, text: str, name: str, value: str,
                  params: tuple[tuple[str, str], ...], url: str) -> Source | None:
    """``name=`` in a link's query. A link that also names an object (``id=7&_nonce=…``: a
    nonce per object) is found by its other parameters at run time — the row of *this*
    object, not the first row of the list. Otherwise a regex whose first match is this value,
    written in the page after ``?``, ``&``, ``&amp;`` or ``&#038;``.

    A parameter holding a URL (``redirect_to=http://host:8089/zoo-post-1796195270714/``,
    ``returnto=/wiki/Main``) is where to go next, not which object the link is for: it names no
    anchor (its digits are a port or a page's name, and its origin is the recorded host's)."""
    anchors = tuple((k, v) for k, v in params if k != name and not _is_address(v))
    pattern = f"[?&;]{re.escape(name)}=([^&\"'<>\\s#]*)"
    found = first_group(pattern, text)
    first = found is not None and decode(found, "html+url") == value
    if (path := _object_path(url)) is not None:
        # a link to an object's page (/notes/22751/export?expires=…&signature=…, a signed URL
        # per object): the link of *this* object, by its path, not the first of the list
        anchors += ((PATH_ANCHOR, path),)
    if path is not None or any(any(ch.isdigit() for ch in v) for _, v in anchors):
        return Source(step.number, value, identifier(name) or "value", "link", expr=name,
                      anchors=anchors, how=f"link {url[:40]}", id_like=True,
                      first_link=first)
    if not first:
        return None  # another link with the same parameter comes first
    return Source(step.number, value, identifier(name) or "value", "regex", expr=pattern,
                  rank=RANK_TEXT, how=f"link {url[:40]}", id_like=True,
                  decode="html+url" if found != value else "")


# the anchor of a link source that is the link's path (``ir.Extraction.anchors``)
PATH_ANCHOR = "/"


def _object_path(url: str) -> str | None:
    """The path of a link (percent escapes decoded) when one of its segments names an object:
    a number or an id-like token, a UUID among them (``/notes/22751/export``); else None."""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return None
    return path if any(object_segment(segment) for segment in path.split("/")) else None


def object_segment(segment: str) -> bool:
    """Does a path segment (percent escapes decoded) name an object: a number or an id-like
    token (a path parameter after ``;``, ``list;jsessionid=…``, is not the segment's name)?"""
    name = segment.partition(";")[0]
    return name.isdigit() or token_like(name)


def _is_address(value: str) -> bool:
    """A query value that is a URL: absolute, or a path from the site's root."""
    return "://" in value[:12] or value.startswith("/")


def xpath_literal(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{p}'" for p in text.split("'")) + ")"
