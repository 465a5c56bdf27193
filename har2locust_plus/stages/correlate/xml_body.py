"""XML bodies: SOAP envelopes, JSF partial responses, S3-style results, any ``*/xml`` answer.

A value is an element's whole text (``<UploadId>VXBsb2Fk…</UploadId>``, JSF's
``<update id="j_id1:javax.faces.ViewState:0"><![CDATA[-642…:-190…]]></update>``) or an
attribute's value (``<session id="…"/>``). The script finds it again with an XPath over the
parsed XML that names elements by their local name (``//*[local-name()='UploadId']``), so a
namespace prefix that differs on the live server does not matter: by the element's ``id``
attribute when it has one, else by its position among the elements of that name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from ... import ir
from ..grouping import identifier
from .sources import Source, Wanted, is_id_name, is_object_id_name

XML_MIME = re.compile(r"^(?:application|text)/(?:[\w.+-]+\+)?xml\b")
_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*>")
# what lxml refuses in an XPath string literal or a name
_XPATH_SAFE = re.compile(r"^[\w.:\- ]{1,200}$")
# the XML parser of the conversion, as the script's: no entities, no network, no huge trees
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True,
                          remove_pis=True)


def is_xml(mime: str, text: str) -> bool:
    """An XML answer that is not HTML (``application/xhtml+xml`` and SVG are not read)."""
    if "html" in mime or "svg" in mime:
        return False
    if XML_MIME.match(mime):
        return True
    start = text.lstrip("\ufeff \t\r\n")[:5]
    return start == "<?xml" and "<html" not in text[:500].lower()


def parse_xml(text: str) -> etree._Element | None:
    try:
        return etree.fromstring(_DECLARATION.sub("", text, count=1), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None


def xml_sources(step: ir.Step, text: str, wanted: Wanted) -> Iterator[Source]:
    root = parse_xml(text)
    if root is None:
        return
    creates = step.request.method not in ("GET", "HEAD")
    positions: dict[str, int] = {}
    for element in root.iter(etree.Element):
        name = etree.QName(element).localname
        positions[name] = positions.get(name, 0) + 1
        if not _XPATH_SAFE.match(name):
            continue
        where = _where(element, name, positions[name])
        text_value = (element.text or "").strip()
        if text_value and len(element) == 0 and text_value in wanted:
            label = _snake(_label(element, name))
            yield Source(step.number, text_value, label or "value", "xml",
                         expr=f"string({where})", how=f"XML <{name}>"[:60],
                         id_like=is_id_name(label) or len(text_value) >= 8,
                         creates=creates and is_object_id_name(label),
                         object_id=is_object_id_name(label))
        for attr, value in element.attrib.items():
            local = etree.QName(attr).localname
            if value not in wanted or not _XPATH_SAFE.match(local):
                continue
            key = _snake(local if local != "id" else f"{name}_id")
            yield Source(step.number, value, key or "value", "xml",
                         expr=f"string({where}/@*[local-name()='{local}'])",
                         how=f"XML <{name} {local}>"[:60],
                         id_like=is_id_name(key) or len(value) >= 8,
                         creates=creates and is_object_id_name(key),
                         object_id=is_object_id_name(key))


def _snake(name: str) -> str:
    """``SessionId`` → ``session_id``: XML names are often CamelCase (``identifier`` splits
    them)."""
    return identifier(name)


def _where(element: etree._Element, name: str, position: int) -> str:
    """An XPath to ``element``: by its ``id`` attribute when it has one, else by position."""
    element_id = element.get("id")
    if element_id and _XPATH_SAFE.match(element_id) and "'" not in element_id:
        return f"//*[local-name()='{name}'][@id='{element_id}']"
    return f"(//*[local-name()='{name}'])[{position}]"


def _label(element: etree._Element, name: str) -> str:
    """The name a value goes by: JSF's ``update`` of ``j_id1:javax.faces.ViewState:0`` is the
    view state; otherwise the element's own name."""
    element_id = element.get("id") or ""
    words = [w for w in re.split(r"[:.]", element_id) if re.fullmatch(r"[A-Za-z]\w*", w)]
    return words[-1] if name in ("update", "insert", "eval") and words else name
