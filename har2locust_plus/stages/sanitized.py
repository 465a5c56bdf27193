"""What an export without sensitive data left out: the access token a page's script sends.

Chrome's DevTools export a HAR *without sensitive data* by default (since Chrome 130, "Export
HAR (sanitized)"): every ``Cookie``, ``Set-Cookie`` and ``Authorization`` header is left out.
Cookies need no recording (the script's client keeps its own jar, from the live responses);
an ``Authorization`` header does: a single-page app reads its access token from the login's
JSON answer (``{"access_token": …}``, Strapi's ``{"data": {"token": …}}``) and sends it as
``Authorization: Bearer …`` on each call of its API. Without the header in the recording, the
script sends those calls without it, and the API refuses every one (401).

So where a recording holds none of the three headers, and a JSON answer of the page's script
hands out an access token (under its name: ``access_token``, ``jwt`` …, or ``token`` in the
answer to a login) that no later request sends where the recording shows (in a header
of another name, which is then the app's way of sending it), the page script's later requests
to that origin get the header back: ``<scheme> <the token>``, the scheme the answer names
(``"token_type": "bearer"``) or the one its kind of token goes with (Django REST framework's
40-hex-digit key: ``Token``; else ``Bearer``). Correlation then reads the token from the live
answer, as it does for a recording that held the header. Not a request that sends the token
itself (a revocation's body), nor any after the logouts that end the session (Strapi signs
out of its admin and of its session in a row, both with the token). The report says so
(INFO): a recording "with sensitive data" says what was sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from .. import ir
from ..options import Options
from .correlate.sources import token_like

SENSITIVE = frozenset({"cookie", "set-cookie", "authorization"})

# a JSON member holding an access token, by its name; a name of many uses, "token" (Strapi's,
# Sanctum's, DRF's authtoken), "key" (dj-rest-auth) and "access" (Simple JWT's pair), only in
# the answer to a request that sent a password (an upload's or a captcha's token is none)
TOKEN_KEYS = frozenset({"access_token", "accesstoken", "jwt", "auth_token", "authtoken",
                        "id_token", "idtoken", "bearer", "bearer_token"})
LOGIN_TOKEN_KEYS = frozenset({"token", "key", "access"})
_PASSWORD = re.compile(r"(^|[_\-.\[])(pass(word|wd)?|pwd)\]?$", re.I)
_LOGOUT = re.compile(r"(^|[/_\-.])(log_?out|sign_?out|log-out|sign-out)([/_\-.?]|$)", re.I)
_HEX_KEY = re.compile(r"[0-9a-f]{40}")  # Django REST framework's authtoken key
_SCRIPT_TYPES = frozenset({"xhr", "fetch"})


def restore_authorization(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    """The page script's ``Authorization`` header where the export left it out (see the
    module's docstring); the scenario unchanged where the recording holds any of the headers
    a sanitized export drops, with ``--no-correlate``, or where no token is handed out."""
    if not options.correlate or not scenario.steps or not _sanitized(scenario.steps):
        return scenario
    steps = list(scenario.steps)
    # each word a request header sends -> the last step sending it (what the app sends in a
    # header of its own, X-Auth-Token, it sends so)
    in_headers = {word: index for index, step in enumerate(steps)
                  for header in step.request.headers for word in _literal(header.value).split()}
    token: tuple[str, str, str, int] | None = None  # (value, scheme, origin, step) in use
    restored: dict[int, list[int]] = {}  # the step that handed a token out -> the steps
    signing_out = False  # a logout was sent: the token goes with the logouts right after it
    for index, step in enumerate(steps):
        request = step.request
        logout = _LOGOUT.search(request.path.text if request.path.is_literal else "")
        if signing_out and not logout:
            token, signing_out = None, False  # the app forgot it: sent as the recording has it
        if token is not None and step.resource_type in _SCRIPT_TYPES and \
                request.origin == token[2] and not _sends(request, token[0]):
            header = ir.Header("Authorization", ir.Template.literal(f"{token[1]} {token[0]}"))
            steps[index] = ir.replace(step, request=ir.replace(
                request, headers=(*request.headers, header)))
            restored.setdefault(token[3], []).append(step.number)
        signing_out = signing_out or (token is not None and logout is not None)
        handed = _handed_out(step)
        if handed is not None and in_headers.get(handed[0], -1) <= index:
            token, signing_out = (*handed, request.origin, step.number), False
    if not restored:
        return scenario
    scenario = ir.replace(scenario, steps=tuple(steps))
    for at, users in restored.items():
        scenario = scenario.with_diagnostic(ir.Severity.INFO, (
            f"the recording holds no Cookie, Set-Cookie or Authorization header (an export "
            f"without sensitive data): step {at} hands out an access token, which the page's "
            f"script sends in Authorization: the script sends it so on its later calls "
            f"(steps {_steps(users)}). Export 'with sensitive data' to replay what was sent"))
    return scenario


def _sanitized(steps: tuple[ir.Step, ...]) -> bool:
    """No request sends a cookie or credentials and no response sets a cookie."""
    for step in steps:
        if step.request.cookies or any(h.name.lower() in SENSITIVE
                                       for h in step.request.headers):
            return False
        if step.response is not None and any(name.lower() == "set-cookie"
                                              for name, _ in step.response.headers):
            return False
    return True


def _handed_out(step: ir.Step) -> tuple[str, str] | None:
    """(token, scheme) of an access token a JSON answer of the page's script hands out."""
    response = step.response
    if response is None or not 200 <= response.status < 300 or \
            step.resource_type not in _SCRIPT_TYPES or "json" not in response.mime_type:
        return None
    text = response.text
    if not text or len(text) > 1_000_000 or not any(
            word in text.lower() for word in ("token", "jwt", "key", "access", "bearer")):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    keys = TOKEN_KEYS | (LOGIN_TOKEN_KEYS if sends_password(step.request) else frozenset())
    for obj in _objects(value):
        for key, member in obj.items():
            if isinstance(key, str) and key.lower() in keys and isinstance(member, str) and \
                    len(member) >= 16 and token_like(member):
                return member, _scheme(obj, member)
    return None


def _objects(value: Any, depth: int = 0) -> Iterator[dict]:
    """The JSON objects of an answer, outermost first, down to a few levels (a token sits
    at the top or inside ``data``)."""
    if isinstance(value, dict):
        yield value
        if depth < 3:
            for member in value.values():
                yield from _objects(member, depth + 1)


def _scheme(obj: dict, token: str) -> str:
    """The authentication scheme a token is sent with: its answer's ``token_type``, else
    ``Token`` for Django REST framework's keys (40 hex digits), else ``Bearer``."""
    kind = obj.get("token_type") or obj.get("tokenType")
    if isinstance(kind, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{1,20}", kind):
        return "Bearer" if kind.lower() == "bearer" else kind
    return "Token" if _HEX_KEY.fullmatch(token) else "Bearer"


def sends_password(request: ir.Request) -> bool:
    """Does the request send a password (a form's or a JSON body's field named so)?"""
    body = request.body
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        return any(_PASSWORD.search(name) for name, _ in body.fields)
    if isinstance(body, ir.JsonBody) and isinstance(body.value, dict):
        return any(isinstance(k, str) and _PASSWORD.search(k) for o in _objects(body.value)
                   for k in o)
    return False


def _sends(request: ir.Request, token: str) -> bool:
    """Does the request send ``token`` where the recording shows (a header, the URL, the
    body)?"""
    return any(token in _literal(h.value) for h in request.headers) or \
        token in _literal(request.path) or any(token in _literal(p.value)
                                                for p in request.query) or \
        token in _body_text(request.body)


def _literal(template: ir.Template) -> str:
    return template.text if template.is_literal else ""


def _body_text(body: ir.Body | None) -> str:
    if isinstance(body, (ir.FormBody, ir.MultipartBody)):
        return "\n".join(_literal(value) for _, value in body.fields)
    if isinstance(body, ir.JsonBody):
        return json.dumps(body.value)
    if isinstance(body, ir.RawBody):
        return body.text or ""
    return ""


def _steps(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:8]))
    return shown + (f" … {len(numbers)} in all" if len(numbers) > 8 else "")
