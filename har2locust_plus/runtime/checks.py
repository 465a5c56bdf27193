# Run-time helpers copied into generated locustfiles (only the ones a script uses).
# This file is real, importable code so the helpers are unit-tested; the generator copies the
# functions' source, so a generated script never imports har2locust_plus. Keep each helper
# small and self-contained: it may use only the standard library, locust and lxml.

import json
import re
from html import unescape
from http.cookiejar import Cookie, DefaultCookiePolicy, request_host
from urllib.parse import parse_qs, quote, unquote, unquote_plus, urljoin, urlsplit

from locust.exception import RescheduleTask
from lxml import etree, html

# What a failed step does to the rest of its run of the flow: it ends it, and the next run
# starts after the wait time, as LoadRunner ends an iteration on an error: the steps after a
# failed one would send what it did not hand out, or work on what it did not create.
# --continue-on-failure goes on instead (read as a test starts, on each worker too).
ON_FAILURE = {"continue": False}


def parsed_json(resp):
    """The response body as JSON, parsed once and shared by checks and extractions."""
    cache = resp.__dict__.setdefault("_parsed", {})
    if "json" not in cache:
        # less what a server may put first so that no other site runs it as a script:
        # ")]}'," (Gerrit, AngularJS), "while(1);", "for (;;);"
        text = re.sub(
            r"^\s*(?:\)\]\}'\s*,?|while ?\(1\);|for ?\(;;\);)", "", body_text(resp)
        )
        try:
            cache["json"] = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested too deep to parse
            cache["json"] = None
    return cache["json"]


def parsed_html(resp):
    """The response body as an lxml tree, parsed once per response; None if lxml refuses it.

    lxml takes no text that declares its encoding (XHTML's <?xml ... encoding="utf-8"?>): the
    text is already decoded, so the declaration is dropped.
    """
    cache = resp.__dict__.setdefault("_parsed", {})
    if "html" not in cache:
        text = re.sub(r"^\ufeff?\s*<\?xml[^>]*>", "", body_text(resp))
        try:
            tree = html.fromstring(text) if text.strip() else None
        except (ValueError, etree.LxmlError):  # only a comment: "Document is empty"
            tree = None
        # "<body><!-- c -->" gives the comment itself, which no XPath takes
        cache["html"] = tree if tree is not None and isinstance(tree.tag, str) else None
    return cache["html"]


def body_text(resp):
    """The body as text, decoded once; "" when no complete response came back.

    An unknown charset (charset=x-bogus) is read as UTF-8: FastHttpUser's resp.text raises
    LookupError for it, where HttpUser guesses.
    """
    cache = resp.__dict__.setdefault("_parsed", {})
    if "text" not in cache:
        if transport_problem(resp):
            cache["text"] = ""
        else:
            try:
                cache["text"] = resp.text or ""
            except LookupError:
                cache["text"] = (resp.content or b"").decode("utf-8", "replace")
    return cache["text"]


def transport_problem(resp):
    """Why no complete response came back (refused, reset, timed out, cut short), or None.

    An error status is not one: FastHttpUser keeps it as an error too, with its code.
    """
    meta = getattr(resp, "request_meta", None) or {}
    error = getattr(resp, "error", None) or meta.get("exception")
    if not isinstance(error, Exception):
        return None
    if resp.status_code and getattr(error, "code", None) == resp.status_code:
        return None
    # the error the client wrapped says it best (and names no URL)
    while True:
        inner = getattr(error, "original", None)  # FastHttpUser's RetriesExceeded
        if type(error).__module__.split(".")[0] in ("requests", "urllib3"):
            inner = error.__context__
        if not isinstance(inner, Exception):
            break
        error = inner
    if isinstance(error, TimeoutError) or "timeout" in type(error).__name__.lower():
        return "no response in time (the --request-timeout option sets the limit)"
    return f"no complete response ({type(error).__name__}: {brief(str(error))})"


def check(
    resp,
    step,
    status,
    location=None,
    content_type=None,
    contains=(),
    json_keys=(),
    json_values=(),
    no_error=False,
    redirect_header=None,
    query_names=(),
    no_error_shown=False,
    body_url=None,
    body_is=None,
    dav_ok=False,
    gone=(),
):
    """Mark the response failed, naming the step, unless it is what the recording showed;
    a failed step ends this run of the flow (unless --continue-on-failure).

    status: the recorded status; location: a regex the Location header must match;
    redirect_header: (name, regex): a header of a 2xx answer that sends the page's script
    elsewhere (x-action-redirect, HX-Redirect) must name a URL the regex matches;
    query_names: parameters the query of that URL or of the Location must name (any values);
    it may not name an error the recording did not (?error=..., ?@error_message=...);
    no_error_shown: the page may not show an error (an element of class error, errorlist,
    alert-danger ... with text), as the recorded page did not;
    body_url: (regex, names): a plain-text answer naming the URL the page's script goes to
    must name one the regex matches, with query_names' rule for those names (a refusal
    answers ?error=...); body_is: a short plain-text answer ("OK", "Deleted") must be it;
    content_type: "html" or "json"; contains: text the body must contain;
    json_keys: keys the JSON object must have (a pair: a key inside a member's object);
    json_values: (path, value) pairs it must hold, a path is keys joined by dots
    ("save.result"); no_error: the JSON may not have an "error" or "errors" member (APIs
    that answer errors with status 200); dav_ok: each status inside a WebDAV multi-status
    answer must be a success, as recorded; gone: what the delete before removed, as the list
    named it (a path, /note/68848; a parameter, post=68848; a uuid alone; a pair: that and a
    value this run made its name of), which the page it lands on may not name (an app that
    ignores a refused delete and redirects all the same shows the object still there).
    """
    problem = transport_problem(resp) or checkpoint_problem(
        resp,
        status,
        location,
        content_type,
        contains,
        json_keys,
        json_values,
        no_error,
        redirect_header,
        query_names,
        no_error_shown,
        body_url,
        body_is,
        dav_ok,
        gone,
    )
    if problem:
        resp.failure(f"{step}: {problem}")
        resp.__dict__.setdefault("_parsed", {})["failed"] = True
        if not ON_FAILURE["continue"]:
            raise RescheduleTask()
    elif resp.status_code >= 400:
        resp.success()  # the recording had this error status too


def checkpoint_problem(
    resp,
    status,
    location,
    content_type,
    contains,
    json_keys,
    json_values,
    no_error,
    redirect_header=None,
    query_names=(),
    no_error_shown=False,
    body_url=None,
    body_is=None,
    dav_ok=False,
    gone=(),
):
    got = resp.status_code
    where = resp.headers.get("Location") if resp.headers else None
    if got != status:
        landed = f" to {relative(where)}" if where else came_instead(resp)
        # a 401's challenge (Basic, Digest): what the server asks for, which a sanitized
        # export leaves out (the credentials the browser answered it with)
        challenge = resp.headers.get("WWW-Authenticate") if resp.headers else None
        if got == 401 and challenge:
            said = brief(steady(challenge), repr)
            landed = f": the server asks for credentials ({said})"
        expected = f" to {readable(location)}" if location else ""
        return f"expected status {status}{expected}, got {got}{landed}"
    if location is not None and where is None:
        return f"expected a redirect to {readable(location)}, got no Location header"
    if location is not None:
        if not re.fullmatch(location, redirect_to(resp, where)):
            return f"expected a redirect to {readable(location)}, got {brief(where)}"
        wrong = query_problem(where, query_names)
        if wrong:
            wanted = readable(location, query_names)
            return f"expected a redirect to {wanted}, got {brief(where)} ({wrong})"
    if redirect_header is not None:
        name, pattern = redirect_header
        value = resp.headers.get(name) if resp.headers else None
        url = header_url(name, value) if value is not None else None
        wanted = readable(pattern, query_names)
        if url is None or not re.fullmatch(pattern, redirect_to(resp, url)):
            return f"expected the {name} header to name {wanted}, got {brief(value)}"
        wrong = query_problem(url, query_names)
        if wrong:
            return f"expected the {name} header to name {wanted}, got {brief(value)} ({wrong})"
    if content_type is not None:
        got_type = (resp.headers.get("Content-Type") if resp.headers else None) or ""
        if content_type not in got_type.lower():
            return (
                f"expected {content_type} content, got {got_type or 'no Content-Type'}"
            )
    if body_url is not None:
        pattern, names = body_url
        said = body_text(resp).strip()
        wanted = readable(pattern, names)
        if not said or not re.fullmatch(pattern, redirect_to(resp, said)):
            return f"expected the answer to name {wanted}, got {brief(said, repr)}"
        wrong = query_problem(said, names)
        if wrong:
            return f"expected the answer to name {wanted}, got {brief(said)} ({wrong})"
    if body_is is not None and body_text(resp).strip() != body_is:
        return f"expected the answer {body_is!r}, got {brief(body_text(resp).strip(), repr)}"
    if dav_ok:
        said = body_text(resp)
        for match in DAV_STATUS.finditer(said):
            if int(match.group(1)) >= 400:
                line = said[match.start(1) :].split("<", 1)[0].strip()
                return f"the multi-status answer holds {brief(line, repr)}"
    data = parsed_json(resp) if no_error else None
    for i, answer in enumerate(batch_answers(data)[:50]):
        if answer["status"] >= 400:  # a write refused inside a batch answered 200
            said = answer.get("body")
            if isinstance(said, dict):
                said = said.get("message") or said.get("error") or said
            told = f": {brief(steady(str(said)), repr)}" if said else ""
            return f"answer {i + 1} of the batch has status {answer['status']}{told}"
    # a batch (JSON-RPC, Moodle's AJAX service) answers a list: each answer counts
    for answer in data[:50] if isinstance(data, list) else (data,):
        for member in ("error", "errors"):
            if isinstance(answer, dict) and answer.get(member):
                shown = answer[member]
                # Moodle: {"error": true, "exception": {"message": ...}}
                if shown is True:
                    shown = answer.get("exception") or answer.get("message") or shown
                try:
                    quoted = json.dumps(shown, ensure_ascii=False)
                except (ValueError, TypeError, RecursionError):
                    quoted = "..."
                quoted = quoted if len(quoted) <= 120 else quoted[:117] + "..."
                has = "an error" if member == "error" else "errors"
                return f"the response has {has}: {quoted}"
    text = body_text(resp)
    shown = error_shown(text) if no_error_shown else None
    if shown:
        return f"the page shows an error: {steady(shown)!r}"
    for snippet in contains:
        if snippet not in text:
            return f"expected the body to contain {snippet!r}{what_came(text)}"
    for named in gone:
        # a path whole, a parameter (post=5, not repost=5), a value alone; or a pair, with
        # the value this run made the object's name of
        named, *also = (named,) if isinstance(named, str) else named
        left = "" if named.startswith("/") else r"(?<![\w-])"
        if re.search(left + re.escape(named) + r"(?![\w-])", text) and all(
            str(value) in text for value in also
        ):
            return f"the page still names {steady(named)}: the delete before did not remove it"
    if json_keys or json_values:
        data = parsed_json(resp)
        if not isinstance(data, dict):
            return "expected a JSON object"
        missing = [key for key in json_keys if not json_has(data, key)]
        if missing:
            key = missing[0]
            if isinstance(key, str):
                return f"expected JSON keys {missing} (got {sorted(data)[:8]})"
            inner = data.get(key[0])
            got = sorted(inner)[:8] if isinstance(inner, dict) else brief(inner, repr)
            return f"expected JSON key {'.'.join(key)} (got {key[0]}: {got})"
        for path, value in json_values:
            found = data
            for key in path.split("."):
                found = found.get(key) if isinstance(found, dict) else None
            if found != value or type(found) is not type(value):
                return f"expected JSON {path} == {value!r}, got {brief(found, repr)}"
    return None


def batch_answers(data):
    """The answers inside a batch's answer, each an object with its own HTTP status beside
    its body or headers: Kinto's and Microsoft Graph's {"responses": [{"status": 201,
    "body": ...}]}, Facebook's [{"code": 200, "body": ...}]; [] for any other JSON."""
    answers = data.get("responses") if isinstance(data, dict) else data
    if not isinstance(answers, list):
        return []
    found = []
    for answer in answers:
        if not isinstance(answer, dict) or not (
            "body" in answer or "headers" in answer
        ):
            return []
        status = answer.get("status", answer.get("code"))
        if type(status) is not int or not 100 <= status <= 599:
            return []
        found.append({**answer, "status": status})
    return found


def came_instead(resp):
    """What came instead of the recorded answer (another status and no redirect, or no value
    the flow needs), to say in the failure: what a JSON answer says of it (SAID_MEMBERS), the
    error a page shows (ikiwiki's "Your login session has expired." on a 200 where a 302 was
    recorded), else its title (the sign-in form again), or that it was empty; its ids and
    tokens as <id>: nothing that changes per run (see what_came)."""
    text = body_text(resp)
    if not text.strip():
        return " with an empty body"
    if text.lstrip()[:1] == "{":  # an API's refusal: DRF's "detail", OAuth's "error" …
        data = parsed_json(resp)
        for member in SAID_MEMBERS:
            said = data.get(member) if isinstance(data, dict) else None
            if said and isinstance(said, (str, list, dict)):
                try:
                    said = json.dumps(said, ensure_ascii=False)
                except (ValueError, TypeError, RecursionError):
                    said = "..."
                return f" (the answer's {member}: {brief(steady(said))})"
    shown = error_shown(text)
    if shown:
        return f" (the page shows an error: {steady(shown)!r})"
    title = page_title(text)
    return f" (the page {brief(steady(title), repr)})" if title else ""


# the members of a JSON answer that say why it refused, in the order they are looked for
SAID_MEMBERS = (
    "error_description",
    "error",
    "errors",
    "detail",
    "message",
    "msg",
)


def what_came(text):
    """What a body that lacks the expected text was, to say in the failure: the page's title
    (the login page, an error page), or that it was empty; nothing that changes per run, such
    as its length, so that Locust counts the failures of one kind on one row."""
    if not text.strip():
        return " (got an empty body)"
    title = page_title(text)
    return f" (got the page {brief(steady(title), repr)})" if title else ""


# a number of four digits or more, or a word of eight letters and digits or more with a digit
# in it (an id, a token, a hash): left out of what a failure says of a page, so that Locust
# counts the failures of one kind on one row ("Note 4711" and "Note 4712" are one kind)
PER_RUN = re.compile(r"\b\d{4,}\b|\b(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{8,}\b")


def steady(text):
    """What a page said, its ids and tokens as <id> (see PER_RUN)."""
    return PER_RUN.sub("<id>", text)


def page_title(text):
    """An HTML page's title, its spaces collapsed ("" for none)."""
    found = TITLE_ELEMENT.search(text[:20000])
    return " ".join(unescape(found.group(1)).split()) if found else ""


# an HTML page's title, as it opens the head
TITLE_ELEMENT = re.compile(r"<title[^>]*>([^<]{1,300})</title", re.IGNORECASE)


def json_has(data, key):
    """Whether a JSON object has the key: a member's name, or (member, name) for a name inside
    that member's object (the one key that says what happened: "torrent-added")."""
    if isinstance(key, str):
        return key in data
    inner = data.get(key[0])
    return isinstance(inner, dict) and key[1] in inner


def brief(value, show=str):
    """show(value), short enough for a failure message: a response may send anything."""
    try:
        text = show(value)
    except RecursionError:
        text = "(nested too deep to show)"
    return text if len(text) <= 80 else text[:77] + "..."


def readable(pattern, query_names=()):
    r"""A Location pattern as people write it: /notes/<id> for /notes/[^/?#]+(\?.*)?, and
    /notes?deleted=* when the query must name deleted."""
    text = pattern.removesuffix(r"(\?.*)?").replace("[^/?#]+", "<id>")
    query = "&".join(f"{name}=*" for name in query_names)
    return re.sub(r"\\(.)", r"\1", text) + (f"?{query}" if query else "")


# a status line inside a WebDAV multi-status answer (RFC 4918): <status>HTTP/1.1 403 …</status>
DAV_STATUS = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?status>\s*HTTP/[0-9.]+\s+([0-9]{3})")


# a query parameter that says the work failed: Roundup's @error_message, OAuth's error and
# error_description, ?login_error, ?failed (with @, _ or : before it, as front controllers write)
ERROR_PARAMETER = re.compile(
    r"[@_:]*(?:login_?|auth_?)?(?:error|err|fail|failed|failure)"
    r"(?:s|_?msg|_?message|_?code|_?description|_?reason)?",
    re.I,
)


def query_problem(url, names):
    """What is wrong with the query of a redirect's URL: a parameter that says the work
    failed and that the recording did not have, or a recorded parameter name it lacks; else
    None."""
    found = {}
    for part in urlsplit(url).query.split("&"):
        name, _, value = part.partition("=")
        if name:
            found.setdefault(unquote_plus(name), unquote_plus(value))
    for name, value in found.items():
        if name not in names and ERROR_PARAMETER.fullmatch(name):
            return f"an error: {name}={brief(value)}" if value else f"an error: {name}"
    missing = [name for name in names if name not in found]
    return f"no {', '.join(missing)}" if missing else None


# an element that shows the user an error, by its class or id: errorlist (Django), errornote,
# error_explanation and fieldWithErrors (Rails), alert-danger and invalid-feedback
# (Bootstrap), is-danger (Bulma), validation-summary-errors (ASP.NET), login_error (WordPress),
# error-message (Roundup), fb_message (Perl's CGI::FormBuilder: an invalid field's message, as
# ikiwiki's sign-in form shows "Invalid entry" by a wrong password); any class or id word
# "error" or "errors" with - or _ around it
ERROR_ELEMENT = re.compile(
    r"""<([a-zA-Z][\w-]*)\b([^>]*?\b(?:class|id)\s*=\s*["'][^"']*?(?:error|danger|invalid-"""
    r"""feedback|fb_message)[^"']*["'][^>]*)>(.{0,2000}?)</\1\s*>""",
    re.I | re.S,
)
ERROR_WORD = re.compile(
    r"(?:[\w-]*[-_])?(?:errors?|errorlist|errornote|errormsg)(?:[-_][\w-]*)?|fieldwitherrors|"
    r"alert-danger|is-danger|notification-danger|invalid-feedback|fb_message",
    re.I,
)
# each class and id of such an element (Calibre-Web's flash: id="flash_danger" names no
# error, its class="alert alert-danger" does)
ERROR_ATTR = re.compile(r"""\b(?:class|id)\s*=\s*["']([^"']*)["']""", re.I)


def error_shown(text):
    """The text of the first element of the page that shows an error (by its class or id, see
    ERROR_ELEMENT), or None. A page may hold empty or hidden ones: only text counts."""
    lowered = text[:500_000].lower()
    if (
        "error" not in lowered
        and "danger" not in lowered
        and "invalid-feedback" not in lowered
        and "fb_message" not in lowered
    ):
        return None  # no class or id can say so: skip the scan
    for match in ERROR_ELEMENT.finditer(text, 0, 500_000):
        if not any(
            ERROR_WORD.fullmatch(word)
            for attribute in ERROR_ATTR.findall(match.group(2))
            for word in attribute.split()
        ):
            continue
        shown = " ".join(unescape(re.sub(r"<[^>]*>", " ", match.group(3))).split())
        shown = shown.strip(" \u00d7\u2715\u2716")  # without a close button's ×
        if sum(ch.isalpha() for ch in shown) >= 3:
            return shown if len(shown) <= 120 else shown[:117] + "..."
    return None


def path_segment(value):
    """A value as one URL path segment, percent-encoded but for what a segment may hold as it
    is (= ( ) : @ and the like), as the recording wrote it: a server may compare a path as
    sent (a signature over it), not decoded."""
    return quote(str(value), safe="!$&'()*+,;=:@")


def relative(url):
    """A Location URL without scheme and host, as the recording's paths are written."""
    return re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*", "", url) or "/"


def redirect_to(resp, where):
    """What a Location pattern must match: the path if the redirect stays on the origin
    of the request, else the whole URL (matched only by a pattern recorded with it); without
    the fragment, which stays in the browser (/post/#comment-7 is /post/).
    """
    where = where.partition("#")[0]
    request_url = getattr(resp, "url", None) or ""
    try:
        target = urljoin(request_url, where)
        same = not request_url or origin_of(target) == origin_of(request_url)
    except ValueError:  # a Location urlsplit refuses, e.g. http://[::1/x
        return where
    return relative(where) if same else target


def redirected(resp, recorded, host):
    """Where resp redirects to, as a browser follows it: its Location resolved against the
    request's URL, without the fragment, if that is on the origin the recording went to (the
    one recorded names, or host's for a path). Else recorded, the URL the recording went to
    with its run-time values (and the check of resp says what went wrong).
    """
    where = resp.headers.get("Location") if resp.headers else None
    if not where or resp.status_code not in (301, 302, 303, 307, 308):
        return recorded
    absolute = re.compile(r"https?://[^/?#]", re.IGNORECASE)
    expected = recorded if absolute.match(recorded) else host or ""
    try:
        target = urljoin(getattr(resp, "url", None) or "", where.strip())
        target = target.partition("#")[0]
        if absolute.match(target) and origin_of(target) == origin_of(expected):
            return target
    except ValueError:  # a Location urlsplit refuses, e.g. http://[::1/x
        pass
    return recorded


def origin_of(url):
    """Scheme, host and port of a URL, the default port made explicit."""
    parts = urlsplit(url)
    return (
        parts.scheme,
        parts.hostname,
        parts.port or {"https": 443}.get(parts.scheme, 80),
    )


def stop_flow(resp, step, var, problem=None):
    """A value the rest of the flow needs is missing: fail the request, restart the flow.

    A failed checkpoint on the same response keeps its message: it says why the value is missing.
    problem: why the value found cannot be used (default: it was not found).
    """
    if not resp.__dict__.get("_parsed", {}).get("failed"):
        problem = transport_problem(resp) or problem
        resp.failure(
            f"{step}: {problem}"
            if problem
            else f"{var} not found in {step}{came_instead(resp)}"
        )
    raise RescheduleTask()


def decoded(value, how):
    """Undo the escaping of the place a value was found, in order: "html" entities, "url"
    query encoding, "path" percent encoding, "js" string escapes (e.g. "html+url")."""
    for kind in how.split("+"):
        if kind == "html":
            value = unescape(value)
        elif kind == "url":
            value = unquote_plus(value)
        elif kind == "path":
            value = unquote(value)
        elif kind == "js":
            value = js_string(value)
    return value


def js_string(text):
    r"""The value of a JavaScript string literal's body: \/ -> /, \u002B -> +, \\ -> \."""
    simple = {
        "n": "\n",
        "t": "\t",
        "r": "\r",
        "b": "\b",
        "f": "\f",
        "v": "\v",
        "0": "\0",
    }

    def one(match):
        code = match.group(1)
        if code[0] == "u" and len(code) > 1:
            return chr(int(code[2:-1] if code[1] == "{" else code[1:], 16))
        if code[0] == "x" and len(code) == 3:
            return chr(int(code[1:], 16))
        return simple.get(code, code)

    out = re.sub(
        r"\\(u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\s\S])", one, text
    )
    try:  # a surrogate pair written as two escapes is one character
        return out.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return out


def send_secure_cookies_as_browsers_do(jar):
    """The user's cookie jar sends a Secure cookie back to a server under test on this
    machine over plain http, as the browser did: to a browser http://localhost and
    http://127.0.0.1 are secure origins (Tryton marks its session cookie Secure on any
    scheme). Such a cookie is kept as one that is not Secure: python-requests copies the jar
    into one of its own for each request."""
    policy = DefaultCookiePolicy()
    accepted = policy.set_ok

    def set_ok(cookie, request):
        host = request_host(request).strip("[]").lower()
        loopback = host in ("localhost", "::1") or host.endswith(".localhost")
        if cookie.secure and (loopback or re.fullmatch(r"127(\.[0-9]{1,3}){3}", host)):
            cookie.secure = False
        return accepted(cookie, request)

    policy.set_ok = set_ok
    jar.set_policy(policy)


def set_cookie(user, name, value):
    """Put a cookie the page's script set (document.cookie) into the user's jar, for the
    host under test, as the browser held it."""
    # the domain http.cookiejar gives a cookie that host set: localhost.local, [::1].local
    netloc = urlsplit(user.host or "").netloc.rpartition("@")[2]
    host = re.sub(r":\d*$", "", netloc.lower())
    if host and "." not in host:
        host += ".local"
    jar = getattr(user.client, "cookiejar", None)
    if jar is None:
        user.client.cookies.set(name, str(value), domain=host, path="/")
        return
    cookie = Cookie(
        version=0,
        name=name,
        value=str(value),
        port=None,
        port_specified=False,
        domain=host,
        domain_specified=False,
        domain_initial_dot=False,
        path="/",
        path_specified=True,
        secure=False,
        expires=None,
        discard=False,
        comment=None,
        comment_url=None,
        rest={},
    )
    jar.set_cookie(cookie)


def not_sent(user, kind, name, problem):
    """A request cannot be made as the recording says (what it must send is not there):
    a failure in Locust's statistics under kind and name, and the flow restarts."""
    user.environment.events.request.fire(
        request_type=kind,
        name=name,
        response_time=0,
        response_length=0,
        response=None,
        context={},
        exception=LookupError(problem),
    )
    raise RescheduleTask()


def from_cookie(user, name, step):
    """The live value of a cookie in the user's jar, as the page's script read it when it sent
    the request (double-submit CSRF tokens: csrftoken -> X-CSRFToken)."""
    jar = getattr(user.client, "cookiejar", None)
    if jar is None:
        jar = user.client.cookies
    value = None
    for cookie in jar:
        if cookie.name == name:
            value = cookie.value
    if value is None:
        not_sent(
            user,
            "COOKIE",
            name,
            f"{step}: no cookie {name} (an earlier response sets it)",
        )
    if len(value) > 1 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value


def cookie_for_header(user, header, recorded, step):
    """The live value of the cookie a page's script sends in a header (double-submit CSRF),
    where the recording holds no cookies and so not its name: the jar's cookie named as the
    header without its X- (csrftoken for X-CSRFToken, XSRF-TOKEN for X-XSRF-TOKEN), else
    the one whose name has the header's word, csrf or xsrf (_xsrf for X-XSRFToken,
    csrf_token_P5000 for X-CSRF-Token); of several, the one for a refresh where the step
    refreshes, else the other (Flask-JWT-Extended's csrf_refresh_token, csrf_access_token).
    Percent-decoded as a page's script reads it, unless the recorded value was not. The
    recorded value where no cookie, or several, are named so."""
    jar = getattr(user.client, "cookiejar", None)
    if jar is None:
        jar = user.client.cookies
    cookies = {cookie.name: cookie.value for cookie in jar}
    squeezed = {}
    for name in cookies:  # (__Host- and __Secure- only say how the cookie is kept)
        bare = re.sub(r"(?i)^__(host|secure)-", "", name)
        squeezed[re.sub(r"[^a-z0-9]", "", bare.lower())] = name
    wanted = re.sub(r"[^a-z0-9]", "", re.sub(r"(?i)^x-", "", header).lower())
    word = "xsrf" if "xsrf" in wanted else "csrf"
    named = (
        [squeezed[wanted]]
        if wanted in squeezed
        else [name for short, name in squeezed.items() if word in short]
    )
    if len(named) > 1:
        refresh = "refresh" in step.lower()
        named = [name for name in named if ("refresh" in name.lower()) == refresh]
    if len(named) != 1:
        return recorded
    value = cookies[named[0]]
    if len(value) > 1 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value if "%" in recorded else unquote(value)


def live_port(user):
    """The port of the server under test (--host), as a server that names its cookies by its
    own port names them this run (OctoPrint's csrf_token_P5000: a host's cookies are shared by
    all its ports)."""
    url = urlsplit(user.host)
    return str(url.port or (443 if url.scheme == "https" else 80))


def cookie_name_part(user, pattern, step):
    """The part of a cookie's name a server chose for itself (Syncthing's CSRF-Token-<device>):
    group 1 of pattern, a regex of the whole name, matched against the jar's cookies' names;
    the recorded name itself matches it where the name is the same on every server."""
    jar = getattr(user.client, "cookiejar", None)
    if jar is None:
        jar = user.client.cookies
    found = [m.group(1) for cookie in jar if (m := re.fullmatch(pattern, cookie.name))]
    if len(set(found)) != 1:
        not_sent(
            user,
            "COOKIE",
            pattern,
            f"{step}: {len(set(found))} cookies named like {pattern!r} in the jar",
        )
    return found[0]


def sendable(resp, step, var, value, sent_in):
    """value, if later steps can send it where they do; else fail this step and restart.

    sent_in: "header" (latin-1 text without control characters, or the client raises) and
    "path" (a path segment sent as is: recorded without characters that need encoding).
    """
    rules = {"header": r"[^\t\x20-\x7e\x80-\xff]", "path": r"[^A-Za-z0-9_.~-]|^$"}
    for where in sent_in:
        bad = re.search(rules[where], str(value))
        if bad:
            what = f"contains U+{ord(bad.group()):04X}" if bad.group() else "is empty"
            stop_flow(resp, step, var, f"{var} cannot be sent in a {where}: it {what}")
    return value


def from_json(resp, step, var, path, sent_in=()):
    """Follow path (keys and indexes) into the JSON body."""
    value = parsed_json(resp)
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            stop_flow(resp, step, var)
    if value is None or isinstance(value, (dict, list)):
        stop_flow(resp, step, var)
    return sendable(resp, step, var, value, sent_in)


def json_document(resp, step, var):
    """The JSON document (an object or an array) an answer holds, kept whole: a later step
    sends it back changed, as the page's script did (read, change, write)."""
    value = parsed_json(resp)
    if not isinstance(value, (dict, list)):
        stop_flow(resp, step, var, "the answer holds no JSON document")
    return value


def edited_json(user, document, changes, step):
    """The document as the server has it now, with the recorded changes made to it: the
    page's script read it, changed what the user changed and sent it whole, so what others
    changed since is kept. A change the live document has no place for (an element to edit
    or remove that is not there) fails the step."""
    try:
        return json_edit(document, changes, "the document")
    except LookupError as problem:
        not_sent(user, "JSON", step, f"{step}: {problem}")


def json_edit(node, changes, where):
    """node with changes made: a value (not an object) replaces it; {"$set": value} too;
    {"$key": member, "$remove": [...], "$edit": [...], "$after": [[key, [...]], ...],
    "$add": [...]} changes an array, its elements found by their key member (or whole, where
    the key is None), those in "$after" put after the element of that key (None: first; that
    element gone: at the end), those in "$add" at the end; else an object's members: each set
    to a value or changed in turn, those in "$remove" removed."""
    if not isinstance(changes, dict):
        return changes
    if "$set" in changes:
        return changes["$set"]
    if "$key" in changes:
        if not isinstance(node, list):
            raise LookupError(f"{where} is not an array")
        key = changes["$key"]
        out = list(node)
        for selector in changes.get("$remove", ()):
            del out[json_element(out, key, selector, where)]
        for change in changes.get("$edit", ()):
            at = json_element(out, key, change, where)
            out[at] = json_edit(out[at], change, f"{where}[{key}={change[key]!r}]")
        for anchor, items in changes.get("$after", ()):
            at = 0  # None: first
            if anchor is not None:
                found = [
                    i for i, item in enumerate(out) if item_key(item, key) == anchor
                ]
                at = found[0] + 1 if found else len(out)
            out[at:at] = items
        out.extend(changes.get("$add", ()))
        return out
    if not isinstance(node, dict):
        raise LookupError(f"{where} is not an object")
    out = dict(node)
    for name in changes.get("$remove", ()):
        out.pop(name, None)
    for name, change in changes.items():
        if name == "$remove":
            continue
        if name not in out and isinstance(change, dict) and "$set" not in change:
            raise LookupError(f"{where} has no member {name!r}")
        out[name] = json_edit(out.get(name), change, f"{where}.{name}")
    return out


def item_key(item, key):
    """An array element's key member (None if it has none)."""
    return item.get(key) if isinstance(item, dict) else None


def json_element(items, key, selector, where):
    """The index of the element of items whose key member is selector's (or that equals
    selector, where key is None)."""
    whole = json.dumps(selector, sort_keys=True) if key is None else None
    for at, item in enumerate(items):
        if key is None:  # as JSON: 0, 0.0 and false are three values, in Python equal
            if json.dumps(item, sort_keys=True) == whole:
                return at
        elif isinstance(item, dict) and key in item and item[key] == selector[key]:
            return at
    what = brief(selector) if key is None else f"{key}={selector[key]!r}"
    raise LookupError(f"{where} has no element {what}")


def from_json_row(resp, step, var, array, path, name, sent_in=(), exact=False):
    """The value at path in the element of the JSON array at array whose strings (or
    numbers) hold name (exact: one of them is name): the item the user acted on, by the name
    the client gave it, not the item at the recorded position. No such element, or elements
    of that name with different values: the step fails."""
    items = parsed_json(resp)
    for key in array:
        try:
            items = items[key]
        except (KeyError, IndexError, TypeError):
            stop_flow(resp, step, var)
    found = set()
    for item in items if isinstance(items, list) else ():
        texts = json_texts(item)
        if (str(name) in texts) if exact else (str(name) in " ".join(texts)):
            value = item
            for key in path:
                try:
                    value = value[key]
                except (KeyError, IndexError, TypeError):
                    value = None
                    break
            if value is not None and not isinstance(value, (dict, list)):
                found.add(value)
    return the_one(resp, step, var, found, f"items hold {name!r}", sent_in)


def json_texts(node, depth=0):
    """The string and number leaves of a JSON value, six levels deep at most."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return [str(node)]
    if depth >= 6 or not isinstance(node, (dict, list)):
        return []
    items = node.values() if isinstance(node, dict) else node
    return [text for item in items for text in json_texts(item, depth + 1)]


def from_json_url(resp, step, var, path, pattern, sent_in=()):
    """Group 1 of a regex (compiled at module level) over the URL at path in the JSON body,
    without its scheme and host: 12 in {"redirect": "/posts/12"}."""
    url = from_json(resp, step, var, path)
    match = pattern.search(relative(str(url)))
    if match is None:
        stop_flow(resp, step, var)
    return sendable(resp, step, var, match.group(1), sent_in)


def from_xpath(resp, step, var, xpath, sent_in=()):
    """The first string an XPath (compiled at module level) finds in the HTML body."""
    tree = parsed_html(resp)
    found = xpath(tree) if tree is not None else []
    if isinstance(found, str):  # normalize-space(...): the text of one element
        found = [found] if found else []
    if not found:
        stop_flow(resp, step, var)
    return sendable(resp, step, var, str(found[0]), sent_in)


def from_page_csrf(resp, step, var, header, sent_in=()):
    """The CSRF token a page gives its script to send in header: the first <meta> or hidden
    <input> whose name says CSRF (not the name of the parameter or header to send it in:
    Rails' csrf-param, Spring's _csrf_header), else its value in htmx's hx-headers."""
    tree = parsed_html(resp)
    for element in tree.iter("meta", "input") if tree is not None else ():
        name = (element.get("name") or "").lower()
        if not re.search("[cx]srf", name) or "param" in name or "header" in name:
            continue
        if element.tag == "meta":
            value = element.get("content")
        elif (element.get("type") or "").lower() == "hidden":
            value = element.get("value")
        else:
            continue
        if value:
            return sendable(resp, step, var, value, sent_in)
    given_headers = "//@hx-headers | //@data-hx-headers"
    for given in tree.xpath(given_headers) if tree is not None else ():
        try:
            headers = json.loads(given)
        except ValueError:
            continue
        for key, value in headers.items() if isinstance(headers, dict) else ():
            if key.lower() == header.lower() and isinstance(value, str) and value:
                return sendable(resp, step, var, value, sent_in)
    stop_flow(resp, step, var)


def parsed_xml(resp):
    """The response body as an XML tree (no entities, no network), parsed once per response;
    None if it is no well-formed XML."""
    cache = resp.__dict__.setdefault("_parsed", {})
    if "xml" not in cache:
        text = re.sub(r"^\ufeff?\s*<\?xml[^>]*>", "", body_text(resp))
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        try:
            cache["xml"] = etree.fromstring(text, parser) if text.strip() else None
        except (ValueError, etree.LxmlError):
            cache["xml"] = None
    return cache["xml"]


def from_xml(resp, step, var, xpath, sent_in=()):
    """The string an XPath (compiled at module level) finds in the XML body: a SOAP or JSF
    answer's element text or attribute."""
    tree = parsed_xml(resp)
    found = xpath(tree) if tree is not None else ""
    if not found:
        stop_flow(resp, step, var)
    return sendable(resp, step, var, str(found), sent_in)


def from_json_island(resp, step, var, xpath, path, sent_in=()):
    """A value in JSON that the page holds in a <script type="application/json"> or a data-*
    attribute: the XPath finds the JSON text, path (keys and indexes) leads into it."""
    value = from_xpath(resp, step, var, xpath)
    try:
        value = json.loads(value)
        for key in path:
            value = value[key]
    except (ValueError, RecursionError, KeyError, IndexError, TypeError):
        stop_flow(resp, step, var)
    if value is None or isinstance(value, (dict, list)):
        stop_flow(resp, step, var)
    return sendable(resp, step, var, value, sent_in)


def from_json_html(resp, step, var, xpath, path, sent_in=()):
    """A value in HTML that the JSON body holds as a string, for the page's script to insert
    (Drupal's AJAX commands, Livewire's effects): path (keys and indexes) leads to the
    string, the XPath (compiled at module level) finds the value in it."""
    fragment = parsed_json(resp)
    try:
        for key in path:
            fragment = fragment[key]
    except (KeyError, IndexError, TypeError):
        stop_flow(resp, step, var)
    tree = None
    if isinstance(fragment, str) and fragment.strip():
        try:
            tree = html.fromstring(fragment)
        except (ValueError, etree.LxmlError):  # only a comment: "Document is empty"
            pass
    found = xpath(tree) if tree is not None and isinstance(tree.tag, str) else []
    if isinstance(found, str):  # normalize-space(...): the text of one element
        found = [found] if found else []
    if not found:
        stop_flow(resp, step, var)
    return sendable(resp, step, var, str(found[0]), sent_in)


def from_header(resp, step, var, name, sent_in=()):
    value = resp.headers.get(name) if resp.headers else None
    if value is None:
        stop_flow(resp, step, var)
    return sendable(resp, step, var, value, sent_in)


def from_regex(resp, step, var, pattern, text=None, sent_in=()):
    """Group 1 of a regex (compiled at module level) in the body, or in text if given."""
    match = pattern.search(body_text(resp) if text is None else text)
    if match is None:
        stop_flow(resp, step, var)
    return sendable(resp, step, var, match.group(1), sent_in)


def from_link(resp, step, var, name, anchors, sent_in=()):
    """The query parameter name of the first link (<a href>, <form action>, a frame, a
    formaction, htmx's hx-get, a URL in a data-* attribute ...) whose query also holds
    anchors, (parameter, value) pairs: the nonce of the link for this object. The anchor
    "/" is the link's path (percent escapes decoded; a relative link resolved against the
    page's URL): the signed URL of this object."""
    tree = parsed_html(resp)
    links = (
        "//a/@href | //area/@href | //form/@action | //iframe/@src | //frame/@src"
        " | //@formaction | //@hx-get | //@hx-post | //@hx-put | //@hx-patch | //@hx-delete"
        " | //@data-hx-get | //@data-hx-post | //@data-hx-put | //@data-hx-patch"
        " | //@data-hx-delete"
        " | //@*[starts-with(name(), 'data-') and (starts-with(., '/')"
        " or starts-with(., 'http://') or starts-with(., 'https://'))]"
    )
    page = getattr(resp, "url", None) or ""
    for url in tree.xpath(links) if tree is not None else ():
        if url.startswith("#"):
            continue  # the page itself
        try:  # a relative link's path, as the browser follows it
            url = urljoin(page, url)
        except ValueError:  # a URL urlsplit refuses, e.g. http://[::1/x
            continue
        query = anchored_query(url, anchors)
        if query is not None and name in query:
            return sendable(resp, step, var, query[name][0], sent_in)
    stop_flow(resp, step, var)


def anchored_query(url, anchors):
    """A URL's query parameters (name: values) if it holds anchors, (parameter, value)
    pairs, else None; the anchor "/" is its path (percent escapes decoded)."""
    try:
        parts = urlsplit(url)
        query = parse_qs(parts.query, keep_blank_values=True)
    except ValueError:
        return None
    for k, v in anchors:
        if k == "/" and unquote(parts.path) != str(v):
            return None
        if k != "/" and query.get(k) != [str(v)]:
            return None
    return query


def from_form(
    resp, step, var, name, anchors, sent_in=(), recorded=None, page_token=False
):
    """The value of the input name in the first form whose action holds anchors, as
    from_link's (the anchor "/" is its path, percent escapes decoded; an action resolved
    against the page's URL, none being the page's own): the token of the form for this
    object. Without such a form, the page's token where its csrf-param meta names name: a
    link the page's script posts as a form (Rails' data-method, Turbo's data-turbo-method)
    sends its csrf-token meta's. page_token: then the value of any input name on the page (a
    token the page's script posts elsewhere, from a page the recording lacks: its forms'
    token, valid for the session). recorded: what to send where the page's form holds no
    value (a field the user filled in, on a page the recording lacks), else the step
    fails."""
    tree = parsed_html(resp)
    page = getattr(resp, "url", None) or ""
    for form in tree.iter("form") if tree is not None else ():
        try:
            action = urljoin(page, form.get("action") or "")
        except ValueError:  # an action urlsplit refuses, e.g. http://[::1/x
            continue
        if anchored_query(action, anchors) is not None:
            for field in form.iter("input"):
                value = field.get("value")
                if field.get("name") != name or value is None:
                    continue
                if value or recorded is None:  # empty: a field for the user to fill in
                    return sendable(resp, step, var, value, sent_in)
    metas = (
        {m.get("name"): m.get("content") for m in tree.iter("meta")}
        if tree is not None
        else {}
    )
    if metas.get("csrf-param") == name and metas.get("csrf-token"):
        return sendable(resp, step, var, metas["csrf-token"], sent_in)
    for field in tree.iter("input") if page_token and tree is not None else ():
        if field.get("name") == name and field.get("value"):
            return sendable(resp, step, var, field.get("value"), sent_in)
    if recorded is not None and transport_problem(resp) is None:
        return recorded
    stop_flow(resp, step, var)


def from_named_link(resp, step, var, pattern, name, recorded, sent_in=()):
    """The id pattern's group finds in the href of the links named name (their text, spaces
    collapsed, their aria-label or their title): the link the user clicked, by its name.
    No such link, or links of that name holding different ids: the recorded id."""
    tree = parsed_html(resp)
    found = set()
    for anchor in tree.iter("a") if tree is not None else ():
        text = " ".join("".join(anchor.itertext()).split())
        if name in (text, anchor.get("aria-label"), anchor.get("title")):
            match = pattern.search((anchor.get("href") or "") + '"')
            if match:
                found.add(match.group(1))
    value = found.pop() if len(found) == 1 else recorded
    return sendable(resp, step, var, value, sent_in)


def from_row(resp, step, var, pattern, name, sent_in=()):
    """Group 1 of the match of pattern (compiled at module level) whose row holds name: the
    row the user acted on in a listing, by the name the client gave its object, not the first
    row. A match's row is the body after it, up to the next match and at most 400
    characters. No such row, or rows of that name with different ids: the step fails."""
    text = body_text(resp)
    matches = list(pattern.finditer(text))
    found = set()
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        if str(name) in text[match.end() : min(end, match.end() + 400)]:
            found.add(match.group(1))
    return the_one(resp, step, var, found, f"rows hold {name!r}", sent_in)


def the_one(resp, step, var, found, holding, sent_in=()):
    """The one value found (a set), or the step fails: none found, or "2 rows hold …"."""
    if len(found) != 1:
        stop_flow(resp, step, var, f"{len(found)} {holding}" if found else None)
    return sendable(resp, step, var, next(iter(found)), sent_in)


def from_html_row(resp, step, var, pattern, tag, name, sent_in=()):
    """The id pattern's group finds in the href of the links of the rows (tag: "tr", "li";
    the innermost; "*": each link's row is its largest element that links to no other id,
    a table's row, a list's item, a card) whose text holds name: the row the user acted on in
    a list, by the name the client gave its object, not the row at the recorded place. name
    may be several, the most telling first: the first that a row holds decides. Rows of that
    name with different ids (two users gave two objects one name): the id more of them link
    to than to any other (a message naming the object just made, beside its row), else the
    step fails, as it does where no row holds a name."""
    tree = parsed_html(resp)
    rows = html_rows(tree, pattern, tag) if tree is not None else []
    names = [str(one) for one in (name if isinstance(name, tuple) else (name,))]
    for one in names:
        held = {}  # each id the rows holding the name link to: how many of them do
        for text, values in rows:
            if one in text:
                for value in values:
                    held[value] = held.get(value, 0) + 1
        if held:
            most = max(held.values())
            top = {value for value, count in held.items() if count == most}
            found = top if most > 1 and len(top) == 1 else set(held)
            return the_one(
                resp, step, var, found, f"ids in the rows holding {one!r}", sent_in
            )
    return the_one(resp, step, var, set(), "", sent_in)


def html_rows(tree, pattern, tag):
    """(text, ids its links hold) of each row (see from_html_row) that links to an id."""
    links = [
        (anchor, match.group(1))
        for anchor in tree.iter("a")
        if (match := pattern.search((anchor.get("href") or "") + '"'))
    ]
    if tag != "*":
        rows = {}
        for anchor, value in links:
            row = next((a for a in anchor.iterancestors(tag)), None)
            if row is not None and next(row.iterdescendants(tag), None) is None:
                rows.setdefault(row, set()).add(value)
        return [(row_text(row), values) for row, values in rows.items()]
    inside = {}  # each element: the ids of the links in it
    for anchor, value in links:
        for element in (anchor, *anchor.iterancestors()):
            inside.setdefault(element, set()).add(value)
    rows = {}
    for anchor, value in links:
        row = anchor
        for element in anchor.iterancestors():
            if inside[element] != {value}:
                break
            row = element
        rows[row] = {value}
    return [(row_text(row), values) for row, values in rows.items()]


def row_text(row):
    """A row's text, and the absolute addresses its links lead to: the one the user gave
    the object (a watched page), shown as that page's title once the app fetched it."""
    links = (a.get("href") or "" for a in row.iter("a"))
    return " ".join([*row.itertext(), *(link for link in links if "://" in link)])


def from_html_row_value(resp, step, var, xpath, tag, name, sent_in=()):
    """The value an XPath (compiled at module level, from the row: an input's value) finds
    in the rows (tag; the innermost) whose text holds name, as from_html_row reads links.
    """
    tree = parsed_html(resp)
    found = set()
    for row in tree.iter(tag) if tree is not None else ():
        if next(row.iterdescendants(tag), None) is None and str(name) in row_text(row):
            found.update(str(value) for value in xpath(row))
    return the_one(resp, step, var, found, f"rows hold {name!r}", sent_in)


def from_location(resp, step, var, pattern, sent_in=()):
    """Group 1 of a regex over the Location header without scheme and host (its path, query
    and fragment)."""
    location = resp.headers.get("Location") if resp.headers else None
    if location and pattern.search(relative(location)) is None:
        stop_flow(
            resp, step, var, f"{var} not found in its Location {brief(location, repr)}"
        )
    return from_regex(resp, step, var, pattern, relative(location or ""), sent_in)


def from_header_url(resp, step, var, name, pattern, sent_in=()):
    """Group 1 of a regex over the URL another response header names (HX-Redirect,
    Operation-Location, Refresh ...), without scheme and host."""
    value = resp.headers.get(name) if resp.headers else None
    url = header_url(name, value or "")
    return from_regex(resp, step, var, pattern, relative(url), sent_in)


def header_url(name, value):
    """The URL a response header names: HX-Location's JSON "path", Refresh's "url=",
    x-action-redirect's without its ";push" or ";replace", a whole URL percent-encoded
    decoded (X-Icinga-Redirect), else the value."""
    value = value.strip()
    if re.match(r"(?:https?%3A|%2F)", value, re.I):
        value = unquote(value)
    low = name.lower()
    if low == "x-action-redirect":
        return re.sub(r";(?:push|replace)$", "", value)
    if low == "refresh":
        match = re.match(
            r"""^\s*\d*(?:\.\d*)?\s*[;,]\s*url\s*=\s*['"]?([^'"]*)""", value, re.I
        )
        return match.group(1).strip() if match else ""
    if low == "hx-location" and value.startswith("{"):
        try:
            path = json.loads(value).get("path")
        except (ValueError, AttributeError, RecursionError):
            return ""
        return path if isinstance(path, str) else ""
    return value


def request_timeout_option(parser):
    """--request-timeout: how long a request waits for the server before its step fails."""
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=30.0,
        env_var="LOCUST_REQUEST_TIMEOUT",
        metavar="SECONDS",
        help="seconds a request may wait for the server before its step fails",
    )


def end_answers_as_browsers_do(environment, **kwargs):
    """FastHttpUser's client takes an answer as browsers do when the server sends more bytes
    after its end on a connection it closes: the answer is whole, the bytes are dropped.

    Some servers do (Request Tracker's Starlet ends a redirect with its last chunk twice); the
    browser that recorded the flow took the answer, as Python's own clients do, but
    geventhttpclient fails the request ("Data after `Connection: close`"), and every run of
    the flow ended there. An answer that is not whole still fails."""
    try:
        from locust.contrib.fasthttp import HTTPParseError, HTTPSocketPoolResponse
    except ImportError:  # a Locust whose client is another: left as it is
        return
    feed = HTTPSocketPoolResponse.feed
    if getattr(feed, "ends_answers_as_browsers_do", False):
        return

    def feed_to_the_end(response, data):
        try:
            feed(response, data)
        except HTTPParseError:
            whole = getattr(response, "message_complete", False)
            if not whole or response.should_keep_alive():
                raise
            # the connection is closed, not used again
            response._trailing_data_dropped = True

    feed_to_the_end.ends_answers_as_browsers_do = True
    HTTPSocketPoolResponse.feed = feed_to_the_end


def request_timeout(environment):
    """--request-timeout, or its default where Locust runs without its command line."""
    return getattr(environment.parsed_options, "request_timeout", 30.0)


def failure_option(parser):
    """--continue-on-failure: a failed step does not end its run of the flow."""
    parser.add_argument(
        "--continue-on-failure",
        action="store_true",
        default=False,
        env_var="LOCUST_CONTINUE_ON_FAILURE",
        help="go on with the flow after a failed step (default: the run of the flow ends "
        "there, and the next one starts)",
    )


def read_failure_option(environment, **kwargs):
    """Read --continue-on-failure as a test starts (a worker has the master's value then)."""
    options = environment.parsed_options
    ON_FAILURE["continue"] = bool(getattr(options, "continue_on_failure", False))
