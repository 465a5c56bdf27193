"""HAR file → :class:`~har2locust_plus.ir.Scenario`. The only module that sees raw HAR dicts.

It accepts what real exporters write (FIELD-NOTES §1): a UTF-8 BOM, zlib-compressed ``.zhar``,
HTTP/2 pseudo headers, base64 bodies, ``postData`` as ``text`` only or ``params`` only, missing
``pages`` and ``_resourceType``, status 0, Safari memory-cache entries, websocket entries.
Whatever makes the file unusable raises :class:`BadInput` naming the JSON path; an entry that
is broken on its own is skipped, counted and reported.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from haralyzer import HarEntry, HarParser

from . import ir
from .errors import BadInput

_JSONP = re.compile(r"^\s*[A-Za-z_$][\w$.]*\s*\(")


class _SkipEntry(Exception):
    """This entry cannot be replayed; ``reason`` is the report's category."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def load(data: bytes, source: str) -> ir.Scenario:
    """Parse HAR bytes into a scenario with one step per usable entry."""
    har = _parse_json(data, source)
    if not isinstance(har, dict) or "log" not in har:
        hint = ""
        if isinstance(har, dict) and "request" in har and "response" in har:
            hint = " (it looks like a single entry: wrap it in {\"log\": {\"entries\": [...]}})"
        raise BadInput(source, f'not a HAR file (no "log" object){hint}')
    log = HarParser(har).har_data
    if not isinstance(log, dict):
        raise BadInput(source, f"must be an object, got {_type_name(log)}", "log")
    entries = log.get("entries")
    if entries is None:
        raise BadInput(source, 'no "entries" in the log: nothing was recorded', "log")
    if not isinstance(entries, list):
        raise BadInput(source, f"must be an array, got {_type_name(entries)}", "log.entries")

    pages = _pages(log.get("pages"))
    steps: list[ir.Step] = []
    skipped: dict[str, int] = {}
    diagnostics: list[ir.Diagnostic] = []
    for index, raw in enumerate(entries):
        where = f"log.entries[{index}]"
        try:
            steps.append(_step(index, raw, where))
        except _SkipEntry as skip:
            skipped[skip.reason] = skipped.get(skip.reason, 0) + 1
            if skip.reason == "malformed entry":
                diagnostics.append(ir.Diagnostic(
                    ir.Severity.WARNING, f"skipped {where}: {skip.detail.lstrip('.')}"))
    if not entries:
        diagnostics.append(ir.Diagnostic(ir.Severity.WARNING,
                                         "the recording is empty (log.entries has 0 entries)"))
    elif "webinspector" in _creator(log.get("creator")).lower() and _looks_sanitized(steps):
        diagnostics.append(ir.Diagnostic(ir.Severity.WARNING, (
            "no Cookie, Set-Cookie or Authorization header anywhere: the HAR looks sanitized "
            "(Chrome's default export). Logins may not correlate; in DevTools use "
            "'Export HAR (with sensitive data)'")))

    return ir.Scenario(
        source=source,
        creator=_creator(log.get("creator")),
        browser=_creator(log.get("browser")),
        pages=pages,
        steps=tuple(steps),
        skipped=tuple(skipped.items()),
        diagnostics=tuple(diagnostics),
    )


_SENSITIVE = frozenset({"cookie", "set-cookie", "authorization"})


def _looks_sanitized(steps: list[ir.Step]) -> bool:
    """Chrome's default export drops these headers; a real session almost always has some."""
    with_responses = [s for s in steps if s.response is not None and s.response.headers]
    if len(with_responses) < 3:
        return False
    for step in steps:
        if any(h.name.lower() in _SENSITIVE for h in step.request.headers):
            return False
        if step.response and any(k.lower() in _SENSITIVE for k, _ in step.response.headers):
            return False
    return True


# --- file level -----------------------------------------------------------------------------------


def _parse_json(data: bytes, source: str) -> Any:
    if data[:1] == b"\x78" and data[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
        try:  # mitmproxy's .zhar is the same JSON, zlib-compressed
            data = zlib.decompress(data)
        except zlib.error:
            pass
    try:
        text = data.decode("utf-8-sig")  # Fiddler and others write a BOM
    except UnicodeDecodeError as exc:
        raise BadInput(source, f"not UTF-8 text (byte {exc.start}): a HAR file is JSON") from None
    if not text.strip():
        raise BadInput(source, "the file is empty")
    try:
        return json.loads(text)
    except RecursionError:
        raise BadInput(source, "JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        if _JSONP.match(text):
            raise BadInput(
                source, "JSONP, not JSON (a callback wraps the HAR): remove the wrapper") from None
        raise BadInput(
            source, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _creator(value: Any) -> str:
    if isinstance(value, dict):
        name, version = value.get("name"), value.get("version")
        return " ".join(str(v) for v in (name, version) if v)
    return str(value) if value else ""


def _pages(raw: Any) -> tuple[ir.Page, ...]:
    if not isinstance(raw, list):
        return ()
    pages = []
    for page in raw:
        if isinstance(page, dict) and isinstance(page.get("id"), str):
            title = page.get("title")
            pages.append(ir.Page(
                id=page["id"],
                title=title if isinstance(title, str) else "",
                started=_datetime(page.get("startedDateTime")),
            ))
    return tuple(pages)


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = HarEntry({"startedDateTime": value}).startTime  # dateutil, more forgiving
    if parsed is not None and parsed.tzinfo is None:
        return None  # a naive time cannot be compared with the others
    return parsed


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null", int: "a number", float: "a number"}.get(type(value), "a value")


# --- entries --------------------------------------------------------------------------------------


def _step(index: int, raw: Any, where: str) -> ir.Step:
    if not isinstance(raw, dict):
        raise _SkipEntry("malformed entry", f": must be an object, got {_type_name(raw)}")
    entry = HarEntry(raw)
    request = raw.get("request")
    if not isinstance(request, dict):
        raise _SkipEntry("malformed entry", ".request: missing or not an object")
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not method.strip():
        raise _SkipEntry("malformed entry", ".request.method: missing or not a string")
    if not isinstance(url, str) or not url:
        raise _SkipEntry("malformed entry", ".request.url: missing or not a string")
    method, url = entry.request.method.strip().upper(), entry.request.url

    resource_type = raw.get("_resourceType")
    resource_type = resource_type.lower() if isinstance(resource_type, str) else None
    split = urlsplit(url)
    scheme = split.scheme.lower()
    if scheme in ("ws", "wss") or resource_type == "websocket" or "_webSocketMessages" in raw:
        raise _SkipEntry("websocket (not replayed)")
    if scheme not in ("http", "https") or not split.netloc:
        raise _SkipEntry("not an http(s) URL")

    response = _response(raw.get("response"))
    if response is not None and response.status <= 0:
        raise _SkipEntry("failed in the browser (status 0)")
    if _from_cache(raw):
        raise _SkipEntry("served from the browser cache")

    started = _datetime(raw.get("startedDateTime"))
    duration = raw.get("time")
    headers = _headers(request.get("headers"))
    body = _body(request.get("postData"), headers)
    return ir.Step(
        entry_index=index,
        request=ir.Request(
            method=method,
            scheme=scheme,
            host=split.netloc.lower().rsplit("@", 1)[-1],
            path=ir.Template.literal(split.path or "/"),
            query=tuple(ir.QueryParam(k, ir.Template.literal(v))
                        for k, v in parse_qsl(split.query, keep_blank_values=True)),
            raw_query=split.query,
            headers=headers,
            body=body,
        ),
        response=response,
        started=started,
        duration_ms=float(duration) if isinstance(duration, (int, float)) and duration > 0 else 0.0,
        page_ref=raw.get("pageref") if isinstance(raw.get("pageref"), str) else None,
        resource_type=resource_type,
    )


def _from_cache(raw: dict) -> bool:
    """Entries that never reached the network: replaying them would add requests."""
    fetch_type = raw.get("_fetchType")  # Safari
    if isinstance(fetch_type, str) and "cache" in fetch_type.lower():
        return True
    from_cache = raw.get("_fromCache")  # Chrome: "memory" or "disk"
    if isinstance(from_cache, str) and from_cache:
        return True
    response = raw.get("response")
    # Firefox: cached entries have empty timings and a comment instead of the body
    return (raw.get("timings") == {} and isinstance(response, dict)
            and isinstance(response.get("content"), dict)
            and "comment" in response["content"] and response.get("headersSize") is None)


def _headers(raw: Any) -> tuple[ir.Header, ...]:
    if not isinstance(raw, list):
        return ()
    headers = []
    for header in raw:
        if not isinstance(header, dict):
            continue
        name, value = header.get("name"), header.get("value")
        if not isinstance(name, str) or not name:
            continue
        headers.append(ir.Header(name, ir.Template.literal("" if value is None else str(value))))
    return tuple(headers)


def _response(raw: Any) -> ir.RecordedResponse | None:
    if not isinstance(raw, dict):
        return None
    status = raw.get("status")
    if isinstance(status, str) and status.strip().lstrip("-").isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool):
        return None
    content = raw.get("content") if isinstance(raw.get("content"), dict) else {}
    text = content.get("text")
    encoding = content.get("encoding")
    mime = content.get("mimeType")
    headers = tuple((h.name, h.value.text) for h in _headers(raw.get("headers")))
    if not isinstance(mime, str) or not mime:
        mime = next((v for k, v in headers if k.lower() == "content-type"), "")
    redirect = raw.get("redirectURL")
    return ir.RecordedResponse(
        status=status,
        status_text=raw.get("statusText") if isinstance(raw.get("statusText"), str) else "",
        headers=headers,
        mime_type=mime.lower(),
        body=text if isinstance(text, str) else None,
        body_encoding="base64" if encoding == "base64" else None,
        redirect_url=redirect if isinstance(redirect, str) else "",
    )


# --- request bodies -------------------------------------------------------------------------------


def _body(raw: Any, headers: tuple[ir.Header, ...]) -> ir.Body | None:
    if not isinstance(raw, dict):
        return None
    mime = raw.get("mimeType")
    if not isinstance(mime, str) or not mime:
        mime = next((h.value.text for h in headers if h.name.lower() == "content-type"), "")
    kind = mime.split(";", 1)[0].strip().lower()
    text = raw.get("text") if isinstance(raw.get("text"), str) else None
    params = [p for p in raw.get("params") or [] if isinstance(p, dict)] \
        if isinstance(raw.get("params"), list) else []
    data: bytes | None = None
    if text is not None and raw.get("encoding") == "base64":
        try:
            data = base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            data = None
        text = _utf8(data) if data is not None else text

    if kind == "application/x-www-form-urlencoded":
        if text:
            pairs = parse_qsl(text, keep_blank_values=True)
        else:
            pairs = [(str(p.get("name", "")), str(p.get("value", ""))) for p in params]
        return ir.FormBody(tuple((k, ir.Template.literal(v)) for k, v in pairs))
    if kind == "multipart/form-data":
        body = _multipart(params, text, data, mime)
        if body is not None:
            return body
    if kind == "application/json" or kind.endswith("+json"):
        value = _json_value(text)
        if value is not _NOT_JSON:
            return ir.JsonBody(value)
    if text is None and data is None:
        if params:  # params without a form mime type: send them as a form
            return ir.FormBody(tuple((str(p.get("name", "")), ir.Template.literal(
                str(p.get("value", "")))) for p in params))
        return None
    if text is not None:
        return ir.RawBody(mime_type=mime, text=ir.Template.literal(text))
    return ir.RawBody(mime_type=mime, data=data)


_NOT_JSON = object()


def _json_value(text: str | None) -> Any:
    if text is None or not text.strip():
        return _NOT_JSON

    def reject(constant: str) -> Any:
        raise ValueError(constant)

    try:
        return json.loads(text, parse_constant=reject)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _multipart(params: list[dict], text: str | None, data: bytes | None,
               mime: str) -> ir.MultipartBody | None:
    fields: list[tuple[str, ir.Template]] = []
    files: list[ir.FilePart] = []
    if params:  # Charles, Firefox: one param per part, files with fileName
        for p in params:
            name = str(p.get("name", ""))
            value = p.get("value")
            value = "" if value is None else str(value)
            if p.get("fileName") is not None:
                files.append(ir.FilePart(name, str(p["fileName"]), str(p.get("contentType") or
                                         "application/octet-stream"), value.encode("utf-8")))
            else:
                fields.append((name, ir.Template.literal(value)))
        return ir.MultipartBody(tuple(fields), tuple(files))
    payload = data if data is not None else (text.encode("utf-8") if text else None)
    if payload is None:
        return None
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + mime.encode("latin-1", "replace") + b"\r\n\r\n" + payload)
    if not message.is_multipart():
        return None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name is None:
            return None
        content = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files.append(ir.FilePart(str(name), filename,
                                     part.get_content_type(), content))
        else:
            value = _utf8(content)
            if value is None:
                return None
            fields.append((str(name), ir.Template.literal(value)))
    return ir.MultipartBody(tuple(fields), tuple(files))
