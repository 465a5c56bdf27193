"""The operation an RPC-style request calls, when the URL alone does not say it.

One URL often serves many operations: ``/graphql`` (``operationName``), JSON-RPC (``method``),
SOAP (``SOAPAction`` or the body's first element), front controllers
(``/index.php?page=start&do=edit``, ``api.php?action=edit``) and ASP.NET WebForms postbacks
(the control that posted the page back). Responses of different operations
look nothing alike, so checkpoints are decided per method, path *and* operation, and messages
name it (``step 7 POST /graphql (createNote)``). The loader computes it once, on the recorded
request.
"""

from __future__ import annotations

import re

from . import ir

# Query, form and top-level JSON names that select what a front controller does, also with
# leading underscores (Roundcube's ``_task=addressbook&_action=delete``), ``@`` or ``:``
# (Roundup's ``@action=edit``, its older ``:action``). A selector's value
# must be a word (not an id: ``page=2`` is pagination, not an operation).
SELECTORS = ("action", "act", "op", "operation", "do", "cmd", "command", "task", "mode", "func",
             "function", "method", "route", "controller", "module", "view", "page")
# a word or a route (phpMyAdmin's ``route=/sql``, ``route=/``), no URL
SELECTOR_VALUE = re.compile(r"/|/?[A-Za-z_][A-Za-z0-9_./\-]{0,47}")
GRAPHQL_NAME = re.compile(r"\s*(?:(?:query|mutation|subscription)\b\s*([_A-Za-z]\w*)?)?[^{]*\{"
                          r"\s*(?:[_A-Za-z]\w*\s*:\s*)?([_A-Za-z]\w*)")
SOAP_BODY = re.compile(r"<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?([\w.-]+)")
SOAP_ACTION = re.compile(r'action="?([^";]+)', re.I)
NAME = re.compile(r"[_A-Za-z][\w.\-]{0,63}")


def operation_words(operation: str | None) -> list[tuple[str, str]]:
    """An operation as ``(selector, word)`` pairs: ``[("_task", "addressbook"), ("_action",
    "save")]`` for ``_task=addressbook, _action=save``; ``[("", "CreateNote")]`` for an RPC
    name."""
    if not operation:
        return []
    pairs = []
    for part in operation.split(", "):
        name, eq, value = part.partition("=")
        pairs.append((name, value) if eq else ("", part))
    return pairs


def procedure_words(operation: str | None) -> list[list[str]]:
    """A remote procedure's name as the words of each of its parts, lower case:
    ``web.get_hosts`` → ``[["web"], ["get", "hosts"]]``, ``userSignIn`` → ``[["user", "sign",
    "in"]]``; none for no name, or a front controller's selectors (``action=edit``)."""
    if not operation or "=" in operation:
        return []
    return [[w.lower() for w in _WORD_BREAK.split(part) if w]
            for part in re.split(r"[./:]", operation)]


_WORD_BREAK = re.compile(r"[_\-]+|(?<=[a-z0-9])(?=[A-Z])")  # snake, kebab and camel case


def rpc_operation(request: ir.Request) -> str | None:
    """``createNote``, ``note.save``, ``GetUser`` or ``page=start, do=edit``; None for plain REST.

    GraphQL and JSON-RPC name one operation per request; SOAP names it in a header or the body;
    else the word-valued selectors of the query and the form (or JSON) body, in recorded order.
    """
    body = request.body
    if isinstance(body, ir.JsonBody):
        named = _graphql(body.value) or _json_rpc(body.value)
        if named:
            return named
    elif isinstance(body, ir.RawBody):  # SOAP bodies are XML text
        named = _soap(request)
        if named:
            return named
    # (name, literal text) of the query and the form (or top-level JSON) fields
    pairs = [(q.name, q.value.text if q.value.is_literal else "") for q in request.query]
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        fields = [(k, v.text if v.is_literal else "") for k, v in body.fields]
        postback = _aspnet_postback(fields, request.header("X-MicrosoftAjax") is not None)
        if postback:
            return postback
        pairs += fields
    elif isinstance(body, ir.JsonBody) and isinstance(body.value, dict):
        pairs += [(k, v) for k, v in body.value.items() if isinstance(v, str)]
    chosen: dict[str, str] = {}
    for name, text in pairs:
        if name.lower().lstrip("_@:") in SELECTORS and name not in chosen and \
                SELECTOR_VALUE.fullmatch(text):
            chosen[name] = text
    return ", ".join(f"{k}={v}" for k, v in chosen.items()) or None


def _aspnet_postback(fields: list[tuple[str, str]], asynchronous: bool) -> str | None:
    """An ASP.NET WebForms postback: every control posts the page back to its own URL, and
    what it does is the control that caused it: ``__EVENTTARGET`` (a link, a list's row
    command: ``List$ctl00$DeleteButton``), or for an ``UpdatePanel``'s asynchronous postback
    the control after the bar of the ``ScriptManager``'s field (``OrdersPanel|AddButton``;
    ``asynchronous``: the request says ``X-MicrosoftAjax``, or the form ``__ASYNCPOST``)."""
    names = {name for name, _ in fields}
    if "__VIEWSTATE" not in names and "__EVENTTARGET" not in names:
        return None
    target = next((text for name, text in fields if name == "__EVENTTARGET"), "")
    if not target and (asynchronous or "__ASYNCPOST" in names):
        target = next((text.split("|", 1)[1] for _, text in fields
                       if text.count("|") == 1 and _CONTROL.fullmatch(text.replace("|", "$"))),
                      "")
    return f"postback={target}" if target and _CONTROL.fullmatch(target) else None


_CONTROL = re.compile(r"[A-Za-z_][\w$:.\-]{0,127}")  # a control's UniqueID: List$ctl00$Delete


def _graphql(value: ir.Json) -> str | None:
    """``operationName``, else the name after ``query``/``mutation``, else the first field."""
    if not isinstance(value, dict) or not isinstance(value.get("query"), str):
        return None
    name = value.get("operationName")
    if isinstance(name, str) and NAME.fullmatch(name):
        return name
    match = GRAPHQL_NAME.match(value["query"][:2000])
    return (match.group(1) or match.group(2)) if match else None


def json_rpc_call(value: object) -> bool:
    """A JSON-RPC request: an object with a ``method`` and ``params`` (or ``jsonrpc``) beside
    it. Its ``id`` is the client's count of its calls, which the answer repeats: a number of
    the client's, never a value a server handed out."""
    return isinstance(value, dict) and isinstance(value.get("method"), str) and (
        "params" in value or "jsonrpc" in value)


def _json_rpc(value: ir.Json) -> str | None:
    """JSON-RPC's ``method`` (a request with ``jsonrpc`` or ``params`` beside it)."""
    if not json_rpc_call(value):
        return None
    method = value["method"]  # type: ignore[index]
    return method if NAME.fullmatch(method) else None


def _soap(request: ir.Request) -> str | None:
    """The ``SOAPAction`` header (or SOAP 1.2's ``action=``), else the body's first element."""
    action = request.header("SOAPAction") or ""
    content_type = request.header("Content-Type") or ""
    if not action.strip('" ') and "soap" in content_type.lower():
        match = SOAP_ACTION.search(content_type)
        action = match.group(1) if match else ""
    action = action.strip('" ').rstrip("/")
    if action:
        name = re.split(r"[/#]", action)[-1]
        return name if NAME.fullmatch(name) else None
    body = request.body
    if isinstance(body, ir.RawBody) and body.text is not None and body.text.is_literal:
        match = SOAP_BODY.search(body.text.text[:5000])
        if match and "Envelope" in body.text.text[:1000]:
            return match.group(1)
    return None
