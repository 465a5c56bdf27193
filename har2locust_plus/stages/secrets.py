"""Parameterization: credentials and user inputs become per-user data or environment secrets.

Detected in the recording (only values the client sent that no response handed out, i.e. not
correlated):

* login fields — form or JSON fields named like user/login/email (``login`` inputs) and
  password/passcode/otp/pin (``secret`` inputs), and any field posted under the name of an
  ``<input type="password">`` the recorded HTML showed;
* keys — ``Authorization`` headers (Basic, Bearer …) and headers or query parameters named like
  api-key/token/secret that were not correlated.

Without ``--data``, each secret becomes an option of the script (``--password``), by default an
environment variable of the project's own namespace (``H2L_PASSWORD``: a field named ``pwd``
must not read the shell's ``$PWD``); both are named in the report, never the value.
``--keep-secrets`` leaves them inline. With ``--data users.csv``, login fields come from the CSV
row of each virtual user.
``--unique FIELD`` appends a value that is fresh per iteration to that field.
"""

from __future__ import annotations

import base64
import binascii
import functools
import keyword
import operator
import re
from collections.abc import Collection
from urllib.parse import unquote

from lxml import etree

from .. import ir
from ..errors import BadOption
from ..ir import replace
from ..operation import procedure_words
from ..options import Options
from .correlate.html import parse_html
from .correlate.sources import UUID, token_like
from .grouping import RESERVED, identifier

LOGIN_NAME = re.compile(r"^(user(name)?|login|e-?mail|account|user_?id|uname)$", re.I)
# the account's name among the fields a password is sent with, as frameworks name it: Oscar's
# login-username (a form prefix), Rails' user[email], Spring's j_username, ASP.NET's
# ctl00$Main$UserName, phpMyAdmin's pma_username, Roundcube's _user, WordPress's log,
# MediaWiki's wpName, DokuWiki's u, Roundup's __login_name
LOGIN_BESIDE_PASSWORD = re.compile(
    r"(^|[^a-z])(user(_?name)?|login(_?name)?|e-?mail|mail|account|uname|log|u|name|"
    r"identifier)$", re.I)
# a person's or a thing's name, not the account's
NOT_LOGIN = re.compile(r"(first|last|full|display|sur|given|family|middle|company|nick|real|"
                       r"file|group|project|site|team|org)_?name$", re.I)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
SECRET_NAME = re.compile(r"(^|[_\-.])(pass(word|wd|code)?|pwd|secret|otp|totp|pin|mfa_?code)$"
                         r"|(?-i:(?<=[a-z])(Pass(word|wd|code)?|Pwd|Secret|Otp|Pin))$", re.I)
KEY_HEADER = re.compile(r"^(x-)?(api[-_]?key|apikey|auth[-_]?token|access[-_]?token|"
                        r"secret|client[-_]?secret|token)$", re.I)
KEY_PARAM = re.compile(r"^(api[-_]?key|apikey|key|token|access_token|secret|client_secret|"
                       r"auth)$", re.I)
MIN_SECRET = 4
# what a page's script writes where it has no credential yet (``Authorization: Bearer null``
# before the login: JavaScript's null or undefined turned into text): nothing to ask for
PLACEHOLDERS = frozenset({"null", "undefined", "none", "nil", "false", "nan", "[object object]"})
# the words a remote procedure that logs in ends its name with (Deluge's auth.login, a
# User.login, session.authenticate, userLogin, system.logIn)
LOGIN_WORDS = (("login",), ("log", "in"), ("logon",), ("log", "on"), ("signin",),
               ("sign", "in"), ("authenticate",))
ENV_PREFIX = "H2L_"  # secrets' environment variables: never PATH, HOME, PWD, USER ...
# Options a secret's option must not take: Locust's own (``locust --help``, with the names they
# are stored under) and the ones generated scripts add.
LOCUST_OPTIONS = frozenset({
    "autoquit", "autostart", "build-path", "class-picker", "config", "config-users", "csv",
    "csv-full-history", "csv-prefix", "enable-rebalancing", "equal-weights", "exclude-tags",
    "exit-code-on-error", "expect-slaves", "expect-workers", "expect-workers-max-wait",
    "headful", "headless", "help", "host", "html", "html-file", "json", "json-file", "legacy-ui",
    "list", "list-commands", "locustfile", "logfile", "loglevel", "master", "master-bind-host",
    "master-bind-port", "master-host", "master-port", "modern-ui", "num-users", "only-summary",
    "otel", "print-stats", "processes", "profile", "reset-stats", "run-time", "show-task-ratio",
    "show-task-ratio-json", "skip-log-setup", "slave", "spawn-rate", "hatch-rate",
    "stats-history-enabled", "stop-timeout", "tags", "tls-cert", "tls-key", "user-classes",
    "users", "version", "web-auth", "web-base-path", "web-host", "web-host-display-name",
    "web-login", "web-port", "worker", "step-load", "step-users", "step-time", "clients",
    # added by generated scripts
    "data", "request-timeout", "rendezvous-users", "rendezvous-timeout",
})


def parameterize(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    password_inputs = _password_inputs(scenario.steps)
    # instance attributes a data column must not shadow: page methods, correlated values ...
    taken = set(RESERVED) | {g.method for g in scenario.groups} | {
        v.var for s in scenario.steps for v in (*s.extractions, *s.generated)}
    finder = _Finder(options, password_inputs, taken, scenario.steps)
    finder.find_named_logins(scenario.steps)
    steps = [_with_request(s, finder.request(s)) for s in scenario.steps]
    for field in options.unique_fields:
        if field not in finder.unique_seen:
            raise BadOption(f"--unique {field}: no form or JSON field of that name is sent "
                            f"(fields: {', '.join(sorted(finder.field_names)[:12]) or 'none'})")
    steps = finder.replace_everywhere(steps)
    generated = _first_sent(finder.unique_generated, steps)
    if generated:
        steps = [replace(s, generated=(*s.generated, *generated.get(s.number, ()))) for s in steps]
    scenario = replace(scenario, steps=tuple(steps), secrets=tuple(finder.secrets.values()),
                       data_columns=tuple(finder.columns.values()))
    said = {
        "rows": "makes an object the list after it is read by ({}): each run gives it a "
                "fresh suffix, so that each user's row is its own (two users' objects of one "
                "name could not be told apart)",
        "signups": "signs up a new account ({}): a name is taken once, so each run signs up "
                   "its own, with a fresh suffix (as recorded, every run but the first would "
                   "be refused); the requests after it send the run's",
        "free": "gives what it makes or renames a name the app checked was free before (a "
                "read of it answered 404: {}): each run gives it a fresh suffix, and the "
                "requests before and after it send the run's (as recorded, every run but the "
                "first would be refused, the name taken)",
        "put": "makes {} under a name the client chose (PUT, answered 201 Created): "
               "each run makes its own, the name with a fresh suffix, and the requests after "
               "it send the run's (as recorded, every run but the first would overwrite the "
               "first run's, or be refused, and all users would share one)"}
    for kind, made in (("rows", finder.rows_named), ("signups", finder.signups),
                       ("free", finder.free_named), ("put", finder.put_named)):
        for number, fields in made.items():
            named = ", ".join(repr(value) if kind == "put" else f"{name} {value!r}"
                              for name, value in fields[:3])
            scenario = scenario.with_diagnostic(
                ir.Severity.INFO, f"step {number} " + said[kind].format(named))
    return scenario


def _free_names(steps: tuple[ir.Step, ...]) -> dict[str, int]:
    """Each name a read sent (a query parameter's value, its path's last segment) and was
    answered 404, with the first step that did (see :meth:`_Finder.checked_free`)."""
    free: dict[str, int] = {}
    for step in steps:
        request, response = step.request, step.response
        if response is None or response.status != 404 or request.method not in ("GET", "HEAD"):
            continue
        asked = [q.value.text for q in request.query if q.value.is_literal]
        if request.path.is_literal:
            asked.append(unquote(request.path.text.rstrip("/").rsplit("/", 1)[-1]))
        for text in asked:
            if _FREE_NAME.fullmatch(text) and not UUID.fullmatch(text) and \
                    not _HASH.fullmatch(text):
                free.setdefault(text, step.number)
    return free


# a field that names what it makes (name, new_name, title, display_name, label, slug)
_NAME_FIELD = re.compile(r"(^|_)(name|title|label|slug|handle|identifier)$")
# a name a person gives: a letter in it, at least three characters, no markup or line break
_FREE_NAME = re.compile(r"(?=[^A-Za-z]*[A-Za-z])[^\s<>\"'/\\][^\n\r<>\"/\\]{2,199}")


def _row_names(steps: tuple[ir.Step, ...]) -> dict[str, list[int]]:
    """Each typed name that the first of a list's row lookups goes by (an ``html_row`` or
    ``html_row_value`` extraction whose first name is a text: of a page the recording lacks,
    or of the page a post led to, ``correlate.html.made_row_sources``), with the steps that
    read so."""
    names: dict[str, list[int]] = {}
    for step in steps:
        for ex in step.extractions:
            if ex.kind in _NAMED_ROWS and ex.kind != "json_row" and ex.anchors and \
                    isinstance(first := ex.anchors[0][1], ir.Template) and first.is_literal:
                names.setdefault(first.text, []).append(step.number)
    return names


def _first_sent(generated: dict[int, list[ir.Generated]], steps: list[ir.Step]
                ) -> dict[int, list[ir.Generated]]:
    """Each value a --unique field's run makes, made at the first step that sends it (a
    request before the field's own may send it too: a check that the name is free)."""
    made = {g.var: (number, g) for number, values in generated.items() for g in values}
    if not made:
        return generated
    first: dict[str, int] = {}
    for step in steps:
        for name in ir.request_refs(step.request):
            if name in made and name not in first:
                first[name] = step.number
    out: dict[int, list[ir.Generated]] = {}
    for var, (number, value) in made.items():
        at = min(number, first.get(var, number))
        out.setdefault(at, []).append(replace(value, used_by=(at,)))
    return out


def _with_request(step: ir.Step, request: ir.Request) -> ir.Step:
    # most steps send no secret: no copy (dataclasses.replace is the bulk of this stage's time)
    return step if request is step.request else replace(step, request=request)


def _same(new: Collection[object], old: Collection[object]) -> bool:
    """Element by element the very same objects (what the helpers return when unchanged)."""
    return len(new) == len(old) and all(map(operator.is_, new, old))


def _same_fields(new: tuple[tuple[str, ir.Template], ...],
                 old: tuple[tuple[str, ir.Template], ...]) -> bool:
    return all(a is b for (_, a), (_, b) in zip(new, old, strict=True))


# what every <input type="password"> holds, however it is quoted or spaced (a page with a
# login link, or the word in its text, is not parsed again)
_PASSWORD_TYPE = re.compile(r"""type\s*=\s*["']?\s*password""", re.IGNORECASE)


def _may_say_password(text: str) -> bool:
    """Whether ``text`` has the word in any case (lxml's value is compared lower-cased too).
    The regex alone is slow (no literal to look for first): 7 ms a MB, against 2.5 here."""
    return "password" in text.lower()


def _password_inputs(steps: tuple[ir.Step, ...]) -> set[str]:
    names: set[str] = set()
    for step in steps:
        response = step.response
        if response is None or "html" not in response.mime_type:
            continue
        text = response.text
        if not text or not _may_say_password(text) or not _PASSWORD_TYPE.search(text):
            continue  # most pages: no second parse
        try:
            tree = parse_html(text)
        except (etree.ParserError, ValueError):
            continue
        for element in tree.iter("input"):
            if (element.get("type") or "").lower() == "password" and element.get("name"):
                names.add(element.get("name"))
    return names


class _Finder:
    def __init__(self, options: Options, password_inputs: set[str], taken: set[str],
                 steps: tuple[ir.Step, ...] = ()) -> None:
        self.options = options
        self.steps = steps  # the recorded answers: what a new slug must not be one of
        self.password_inputs = password_inputs
        self.taken = taken
        self.secrets: dict[str, ir.Secret] = {}  # recorded value → secret
        # (is a login, recorded value) → column: a password that equals the user name still
        # gets its own column
        self.columns: dict[tuple[bool, str], ir.DataColumn] = {}
        self.unique_seen: set[str] = set()
        self.unique_generated: dict[int, list[ir.Generated]] = {}
        self.unique_vars: dict[str, str] = {}
        # recorded value of a unique field → what the run sends instead (see _unique_parts)
        self.unique_parts: dict[str, tuple[ir.Part, ...]] = {}
        # step number → the fields of a sign-up that name the new account (see signup_fields)
        self.signups: dict[int, list[tuple[str, str]]] = {}
        self.field_names: set[str] = set()
        self.named_logins: set[str] = set()  # see find_named_logins()
        self.row_names = _row_names(steps)  # see names_row
        self.rows_named: dict[int, list[tuple[str, str]]] = {}  # step → (field, value) made so
        self.put_named: dict[int, list[tuple[str, str]]] = {}  # step → ("", its path) (put_name)
        self.free_names = _free_names(steps)  # see checked_free
        self.free_named: dict[int, list[tuple[str, str]]] = {}  # step → (field, value) made so

    # --- per request --------------------------------------------------------------------------

    def request(self, step: ir.Step) -> ir.Request:
        """The request with its secrets replaced; the same object when it has none."""
        request = step.request
        self.put_name(step)
        headers = tuple(self.header(h, step) for h in request.headers)
        query = tuple(self.query(q, step) for q in request.query)
        body = request.body
        if isinstance(body, (ir.FormBody, ir.MultipartBody)):
            login = self.login_field(list(body.fields))
            account = self.signup_fields(step, list(body.fields))
            fields = tuple((k, self.field(k, v, step, "form field", login, account))
                           for k, v in body.fields)
            if not _same_fields(fields, body.fields):
                body = replace(body, fields=fields)
        elif isinstance(body, ir.JsonBody):
            value = self.rpc_login(self.json(body.value, "", step), step)
            if value is not body.value:
                body = replace(body, value=value)
        if body is request.body and _same(headers, request.headers) and \
                _same(query, request.query):
            return request
        return replace(request, headers=headers, query=query, body=body)

    def query(self, param: ir.QueryParam, step: ir.Step) -> ir.QueryParam:
        value = self.key_param(param.name, param.value, step)
        return param if value is param.value else replace(param, value=value)

    def field(self, name: str, value: ir.Template, step: ir.Step, where: str,
              login: str | None = None, account: Collection[str] = ()) -> ir.Template:
        """``login``: the field the form or JSON object sends the account's name in, beside a
        password (see :meth:`login_field`), a data column with ``--data``; ``account``: the
        fields that name the account a sign-up makes (see :meth:`signup_fields`)."""
        self.field_names.add(name)
        if value.is_literal and name in account:
            return self.unique(name, value.text, step, account=True)
        if value.is_literal and self.checked_free(name, value.text, step):
            return self.unique(name, value.text, step)
        if value.is_literal and (self.new_slug(name, value.text, step) or
                                 self.names_row(name, value.text, step)):
            return self.unique(name, value.text, step)
        if not self._may_replace(name, login):
            return value
        if name in self.options.unique_fields and value.is_literal:
            return self.unique(name, value.text, step)
        if not value.is_literal or not value.text:
            return value
        text = value.text
        if self._is_password(name):
            kind = "otp" if re.search(r"otp|mfa|pin", name, re.I) else "password"
            return self.secret_or_column(text, name, kind, f"{where} {name} (step {step.number})")
        if self.options.data_file and (LOGIN_NAME.match(name) or name == login):
            return self.column(text, name, "login")
        return value

    def login_field(self, fields: list[tuple[str, object]]) -> str | None:
        """With ``--data``, the field of a form or a JSON object that sends a password which
        names the account: one named so exactly (``username``), else one named like an
        account in the framework's way (:data:`LOGIN_BESIDE_PASSWORD`: ``login-username``,
        ``user[email]``, ``log``), else one holding an e-mail address."""
        if not self.options.data_file or not any(
                isinstance(v, (str, ir.Template)) and self._is_password(k) for k, v in fields):
            return None
        texts = [(k, v.text if isinstance(v, ir.Template) and v.is_literal else v)
                 for k, v in fields if not self._is_password(k)]
        texts = [(k, v) for k, v in texts if isinstance(v, str) and v]
        return next((k for k, _ in texts if LOGIN_NAME.match(k)), None) or next(
            (k for k, _ in texts if LOGIN_BESIDE_PASSWORD.search(bare := _bare_name(k))
             and not NOT_LOGIN.search(bare)), None) or next(
            (k for k, v in texts if EMAIL.fullmatch(v)), None)

    def signup_fields(self, step: ir.Step, fields: list[tuple[str, object]]) -> list[str]:
        """The fields of a form or a JSON object that name the account a sign-up makes: its
        name and e-mail address (``username``, ``user[login]``, ``user_login``, an address),
        when the request makes an account: it sends a new password twice (``password1`` and
        ``password2``, ``user[password_confirmation]``, ``passchk``) and no current one, or
        sends a password to a route that registers (``/register``, ``/signup``,
        ``/api/auth/local/register``). Such a name is taken once: sent as recorded, every run
        but the first is refused ("has already been taken"), so each run signs up an account
        of its own, the recorded name with a fresh suffix (:meth:`unique`). Not with
        ``--data`` (the file's rows are the accounts) nor for a field ``--unique`` names."""
        if self.options.data_file or step.request.method in ("GET", "HEAD") or not any(
                self._is_password(k) for k, _ in fields):
            return []
        texts = [(k, v.text if isinstance(v, ir.Template) and v.is_literal else v)
                 for k, v in fields]
        texts = [(k, v) for k, v in texts if isinstance(v, str) and v]
        passwords = [(k, v) for k, v in texts if self._is_password(k)]
        if not passwords or any(_CURRENT_PASSWORD.search(k) for k, _ in passwords):
            return []
        twice = any(other != name and value == typed and (
            self._is_password(other) or _CONFIRMATION.search(_bare_name(other)))
            for name, value in passwords for other, typed in texts)
        if not twice and not _registers(step.request):
            return []
        account = [(k, v) for k, v in texts if not self._is_password(k)
                   and k not in self.options.unique_fields and _names_an_account(k, v)]
        if all(EMAIL.fullmatch(v) for _, v in account):
            # beside an address alone, a bare "name" is the account's too (Calibre-Web's new
            # user: name, email, password; both must be new). Where it is a person's
            # (Laravel's sign-up), a suffix harms nothing
            account += [(k, v) for k, v in texts if _bare_name(k).lower() == "name"
                        and k not in self.options.unique_fields and any(c.isalpha() for c in v)
                        and not EMAIL.fullmatch(v)]
        if account:
            self.signups.setdefault(step.number, []).extend(account)
        return [k for k, _ in account]

    def new_slug(self, name: str, text: str, step: ir.Step) -> bool:
        """A slug the user gave what a POST makes (``slug``, ``project[identifier]``,
        ``handle``: a name for URLs, which is what makes it one of a kind), or gives the
        object a PUT or PATCH edits, named by an id the path reads (Superset's dashboard
        properties, ``PUT /api/v1/dashboard/<id>``): typed, in that no earlier answer showed it
        (an edit sends the one its form showed), and shaped as one (``lunch-rota``,
        ``zoo_garden``). Sent as recorded, every run but the first is refused ("This slug is
        already in use"), and users at once refuse each other; each run makes its own
        (:meth:`unique`).
        Not for a field ``--unique`` names, nor with ``--data``."""
        method = step.request.method
        if not (method == "POST" or method in ("PUT", "PATCH") and
                not step.request.path.is_literal) or self.options.data_file or \
                name in self.options.unique_fields or \
                _bare_name(name).lower() not in _SLUG_NAMES or not _SLUG_VALUE.fullmatch(text):
            return False
        if text in self.unique_parts:
            return True  # made by this run already (the same slug sent again)
        return not self.shown_before(text, step)

    def shown_before(self, text: str, step: ir.Step) -> bool:
        """Did an answer before ``step`` hold ``text`` (its body or a header)?"""
        for earlier in self.steps:
            if earlier.number >= step.number:
                break
            response = earlier.response
            if response is not None and (text in (response.text or "") or any(
                    text in value for _, value in response.headers)):
                return True
        return False

    def checked_free(self, name: str, text: str, step: ir.Step) -> bool:
        """A name the user gave what a write makes or renames, that the page's script asked
        the server about before and was answered 404 Not Found: it checked the name was free
        (MLflow's ``GET …/experiments/get-by-name?experiment_name=zoo-exp`` before creating
        ``{"name": "zoo-exp"}``, a registry's ``…/get?name=zoo-model``). The app wants it one
        of a kind: sent as recorded, every run but the first is refused ("already exists";
        MLflow keeps a deleted experiment's name), and users at once refuse each other. Each
        run makes its own (:meth:`unique`), and the check before it asks for the run's.
        Only under a field that names (``name``, ``new_name``, ``title``, ``label``); not a
        field ``--unique`` names, nor with ``--data``."""
        asked = self.free_names.get(text)
        if asked is None or asked >= step.number or step.request.method in ("GET", "HEAD") or \
                self.options.data_file or name in self.options.unique_fields or \
                not _NAME_FIELD.search(_bare_name(name).lower()):
            return False
        if text not in self.unique_parts:
            self.free_named.setdefault(step.number, []).append((name, text))
        return True

    def put_name(self, step: ir.Step) -> None:
        """A name the client chose for what it made at a URL of its own (a ``PUT`` answered
        ``201 Created``: Kinto's ``/buckets/zoo-bucket``, a WebDAV or CalDAV file, an S3 key):
        typed, in that no earlier answer showed it, and shaped as a name (a letter in it; not
        a UUID or a hash, which correlation makes or reads; not one lower-case word, which
        names a fixed place as often: ``/api/config/theme``). Sent as recorded, every run but
        the first overwrites the first run's object (or is refused, with ``If-None-Match: *``)
        and every user shares it; each run makes its own (:meth:`unique`: the name with a
        fresh suffix, before a file's extension), and every later request sends the run's.
        Not for a name inside one made so already (the bucket's new collection is new too)."""
        request, response = step.request, step.response
        if request.method != "PUT" or response is None or response.status != 201 or \
                not request.path.parts or not isinstance(last := request.path.parts[-1], str):
            return
        path = last.rstrip("/")
        name = unquote(path[path.rfind("/") + 1:])
        parent = path[:path.rfind("/")].rsplit("/", 1)[-1] if "/" in path else ""
        stem, dot, extension = name.rpartition(".") if "." in name[1:] else (name, "", "")
        if len(name) < MIN_SECRET or not _PUT_NAME.fullmatch(name) or name.isalpha() and \
                name.islower() or UUID.fullmatch(stem) or _HASH.fullmatch(stem) or \
                name in self.unique_parts:
            return  # (one lower-case word names a fixed place as often: /config/theme)
        whole = request.path.text
        if any(f"/{made}/" in whole for made in self.unique_parts):
            return  # inside an object this run made under a name of its own
        if self.shown_before(name, step):
            return  # an existing object's name
        var_name = (identifier(parent) or "name") + "_name"
        self.unique_parts[name] = (stem + ("_" if "_" in stem and "-" not in stem else "-"),
                                   ir.VarRef(self.unique_var(var_name, name, step)),
                                   *((dot + extension,) if dot else ()))
        self.put_named.setdefault(step.number, []).append(("", request.path.text))

    def unique_var(self, name: str, text: str, step: ir.Step) -> str:
        """The variable of ``name``'s fresh suffix, made at ``step`` (see :meth:`unique`)."""
        var = self.unique_vars.get(name)
        if var is None:
            var = f"{_name(identifier(name), 'field')}_suffix"
            self.unique_vars[name] = var
            self.unique_generated.setdefault(step.number, []).append(
                ir.Generated(var=var, kind="unique", recorded=text, used_by=(step.number,)))
        return var

    def names_row(self, name: str, text: str, step: ir.Step) -> bool:
        """A name the user typed for what a post makes, by which a later step finds the new
        object's row in a list the recording lacks (``engine._lost_row_ref``: Django admin's
        "Replace the projector bulb"): sent as recorded, two users' objects share it and
        neither row can be told; each run makes its own (:meth:`unique`). Not for a field
        ``--unique`` names, nor with ``--data``."""
        if text in self.unique_parts and step.number not in self.rows_named:
            return text in self.row_names  # the same name sent again (an edit's form)
        if step.request.method in ("GET", "HEAD") or self.options.data_file or \
                name in self.options.unique_fields or \
                not any(number > step.number for number in self.row_names.get(text, ())):
            return False
        self.rows_named.setdefault(step.number, []).append((name, text))
        return True

    def _may_replace(self, name: str, login: str | None) -> bool:
        """Whether :meth:`field` may replace a value sent under this name (a field's name
        decides it for most: the value is not looked at)."""
        return name in self.options.unique_fields or self._is_password(name) or bool(
            self.options.data_file and (LOGIN_NAME.match(name) or name == login))

    def find_named_logins(self, steps: tuple[ir.Step, ...]) -> None:
        """The remote procedures that log in whose calls send a password by name, in an object
        among their positional parameters (then none of them takes one by position)."""
        for step in steps:
            body = step.request.body
            if not isinstance(body, ir.JsonBody) or not isinstance(body.value, dict):
                continue
            method, params = body.value.get("method"), body.value.get("params")
            if _logs_in(method) and isinstance(params, list) and any(
                    isinstance(param, dict) and any(self._is_password(k) for k in param)
                    for param in params):
                self.named_logins.add(method)

    def _is_password(self, name: str) -> bool:
        """A password field, by its name (also a structured one: Rails' ``user[password]``,
        ASP.NET's ``ctl00$Main$Password``) or as an ``<input type="password">`` the recorded
        pages showed."""
        return SECRET_NAME.search(name) is not None or name in self.password_inputs or (
            "[" in name or "$" in name) and SECRET_NAME.search(_bare_name(name)) is not None

    def json(self, value: object, key: str, step: ir.Step, login: str | None = None,
             account: Collection[str] = ()) -> object:
        """The JSON value with its secrets replaced; the same object when it has none."""
        if isinstance(value, dict):
            login = self.login_field(list(value.items()))
            account = self.signup_fields(step, list(value.items()))
            fixed = {k: self.json(v, k, step, login, account) for k, v in value.items()}
            return value if _same(fixed.values(), value.values()) else fixed
        if isinstance(value, list):
            items = [self.json(v, key, step) for v in value]
            return value if _same(items, value) else items
        if isinstance(value, str) and key:
            if not self._may_replace(key, login) and key not in account and \
                    _bare_name(key).lower() not in _SLUG_NAMES and \
                    value not in self.free_names:  # (new_slug, checked_free: JSON ones too)
                self.field_names.add(key)
                return value
            literal = ir.Template.literal(value)
            template = self.field(key, literal, step, "JSON field", login, account)
            if template is literal:  # not a secret (most fields)
                return value
            if template.is_literal:
                return template.text
            if len(template.parts) == 1:
                return template.parts[0]
            return template
        return value

    def rpc_login(self, value: object, step: ir.Step) -> object:
        """A JSON-RPC call that logs in with positional parameters (Deluge's ``{"method":
        "auth.login", "params": ["s3cret"]}``, a ``login(user, password)``): its last text
        parameter is the password (a secret, as a password field is), and the one before it,
        if any, the account's name (a data column with ``--data``). Parameters given by name
        are fields, and :meth:`json` has done them."""
        if not isinstance(value, dict) or not _logs_in(value.get("method")):
            return value
        params = value.get("params")
        if not isinstance(params, list) or value["method"] in self.named_logins:
            # the procedure takes its password by name, in an object of parameters, in this
            # call or another (Tryton's common.db.login(login, {"password": …}, "en"): asked
            # once without it first); its last text is another argument (the language)
            return value
        texts = [i for i, param in enumerate(params) if isinstance(param, str) and param]
        if not texts:
            return value
        fixed = list(params)
        where = f"parameter {{}} of {value['method']} (step {step.number})"
        password = texts[-1]
        fixed[password] = _part(self.secret_or_column(params[password], "password",
                                                      "password", where.format(password + 1)))
        if self.options.data_file and len(texts) > 1:
            fixed[texts[-2]] = _part(self.column(params[texts[-2]], "username", "login"))
        return {**value, "params": fixed}

    def header(self, header: ir.Header, step: ir.Step) -> ir.Header:
        if not _may_hold_key(header.name):
            return header  # (most headers: decided by the name alone, before the value)
        low = header.name.lower()
        if not header.value.is_literal:
            return header  # correlated or built from the host: not a recorded secret
        text = header.value.text
        if low in ("authorization", "proxy-authorization"):
            scheme, _, credential = text.partition(" ")
            if credential and len(credential) >= MIN_SECRET and \
                    credential.lower() not in PLACEHOLDERS and not (
                    scheme.lower() == "basic" and _no_password(credential)):
                suffix = "credentials" if scheme.lower() == "basic" else "token"
                ref = self.secret(credential, f"{scheme.lower()}_{suffix}", f"{scheme} {low}",
                                  f"header {header.name} (step {step.number})")
                return replace(header, value=ir.Template((scheme + " ", *ref.parts)))
        if KEY_HEADER.match(low) and len(text) >= MIN_SECRET and \
                text.lower() not in PLACEHOLDERS:
            return replace(header, value=self.secret(text, low, "api key",
                                                     f"header {header.name} (step {step.number})"))
        return header

    def key_param(self, name: str, value: ir.Template, step: ir.Step) -> ir.Template:
        if value.is_literal and KEY_PARAM.match(name) and len(value.text) >= MIN_SECRET and \
                value.text.lower() not in PLACEHOLDERS:
            return self.secret(value.text, name, "api key", f"query {name} (step {step.number})")
        return value

    # --- where the value goes -------------------------------------------------------------------

    def secret_or_column(self, text: str, name: str, kind: str, where: str) -> ir.Template:
        if self.options.data_file:
            return self.column(text, name, kind)
        return self.secret(text, name, kind, where)

    def secret(self, text: str, name: str, kind: str, where: str) -> ir.Template:
        if self.options.keep_secrets:
            return ir.Template.literal(text)
        known = self.secrets.get(text)
        if known is None:
            # one name for the option (--api-key), the user's attribute and the variable
            base = _name(identifier(_field_name(name)), "secret")
            if kind in ("password", "otp") and (len(base) <= 2 or base == "pass_secret"):
                base = kind  # DokuWiki's field "p", Roundcube's "_pass": --password
            if base in self.taken or base.replace("_", "-") in LOCUST_OPTIONS:
                base += "_secret"
            taken = self.taken | {s.name for s in self.secrets.values()} | {
                c.name for c in self.columns.values()}
            option, n = base, 2
            while option in taken:
                option, n = f"{base}_{n}", n + 1
            known = ir.Secret(name=option, env=ENV_PREFIX + option.upper(), kind=kind,
                              where=where, recorded=text)
            self.secrets[text] = known
        return ir.Template((ir.VarRef(known.name),))

    def column(self, text: str, name: str, kind: str) -> ir.Template:
        key = (kind == "login", text)
        known = self.columns.get(key)
        if known is None:
            column = _name(identifier(_field_name(name)), "value")
            taken = {c.name for c in self.columns.values()} | self.taken | {
                s.name for s in self.secrets.values()}
            base, n = column, 2
            while column in taken:
                column, n = f"{base}_{n}", n + 1
            known = ir.DataColumn(name=column, kind=kind, recorded=text)
            self.columns[key] = known
        return ir.Template((ir.VarRef(known.name),))

    def unique(self, name: str, text: str, step: ir.Step, account: bool = False
               ) -> ir.Template:
        """``account``: the field names the account a sign-up makes (see
        :func:`_unique_parts`)."""
        self.unique_seen.add(name)
        var = self.unique_var(name, text, step)
        parts = self.unique_parts.setdefault(text, _unique_parts(name, text, var, account))
        return ir.Template(parts)

    # --- the same secret anywhere else ---------------------------------------------------------

    def replace_everywhere(self, steps: list[ir.Step]) -> list[ir.Step]:
        """A recorded secret must not survive anywhere (a raw body, another header ...); nor
        a --unique field's recorded value (the object the run made is the one to ask for)."""
        values: dict[str, tuple[ir.Part, ...]] = {
            **{v: (ir.VarRef(s.name),) for v, s in self.secrets.items()},
            **{v: (ir.VarRef(c.name),) for (login, v), c in self.columns.items() if not login},
            # a --unique field's value, wherever else it is sent (the folder's id in a query):
            # what the run made, as the field itself sends it
            # (every value made so: a field's one suffix serves each value sent under it,
            # MLflow's experiment "zoo-exp" and model "zoo-model" both under "name")
            **self.unique_parts}
        values = {v: r for v, r in values.items() if len(v) >= MIN_SECRET}
        if not values:
            return steps
        pattern = re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))
        unique = {g.var for made in self.unique_generated.values() for g in made}
        hidden = {v: (ir.VarRef(s.name),) for v, s in self.secrets.items() if v in values}
        secrets_only = re.compile("|".join(
            map(re.escape, sorted(hidden, key=len, reverse=True)))) if hidden else None

        def fix(template: ir.Template) -> ir.Template:
            """The template with the secrets replaced and its empty parts left out; the same
            object when that changes nothing (most templates). In a template that sends what
            a unique field's run made, only secrets: it holds the recorded value already (an
            account named like its password, ``test``, keeps the name without the text)."""
            find, by = pattern, values
            if unique and any(ref.name in unique for ref in template.refs()):
                find, by = secrets_only, hidden
            if find is None or not any(isinstance(p, str) and (not p or find.search(p))
                                       for p in template.parts):
                return template
            parts: list[ir.Part] = []
            for part in template.parts:
                if not isinstance(part, str) or not find.search(part):
                    parts.append(part)
                    continue
                last = 0
                for match in find.finditer(part):
                    parts.extend((part[last:match.start()], *by[match.group(0)]))
                    last = match.end()
                parts.append(part[last:])
            return ir.Template(ir.merge_parts([p for p in parts if p != ""]))

        def fix_json(value: object) -> object:
            """The same object when that changes nothing (most bodies)."""
            if isinstance(value, dict):
                fixed = {k: fix_json(v) for k, v in value.items()}
                return value if _same(fixed.values(), value.values()) else fixed
            if isinstance(value, list):
                items = [fix_json(v) for v in value]
                return value if _same(items, value) else items
            if isinstance(value, str) and pattern.search(value):
                return fix(ir.Template.literal(value))
            if isinstance(value, ir.Template):
                return fix(value)
            return value

        def fix_body(body: ir.Body | None) -> ir.Body | None:
            if isinstance(body, (ir.FormBody, ir.MultipartBody)):
                fields = tuple((k, fix(v)) for k, v in body.fields)
                return body if _same_fields(fields, body.fields) else replace(body, fields=fields)
            if isinstance(body, ir.JsonBody):
                value = fix_json(body.value)
                return body if value is body.value else replace(body, value=value)
            if isinstance(body, ir.RawBody) and body.text is not None:
                text = fix(body.text)
                return body if text is body.text else replace(body, text=text)
            return body

        def fix_value(item: ir.QueryParam | ir.Header) -> ir.QueryParam | ir.Header:
            value = fix(item.value)
            return item if value is item.value else replace(item, value=value)

        # the steps share their headers' objects (the loader makes one per distinct header):
        # each is looked at once (by its id: the steps keep every one of them alive meanwhile)
        fixed_headers: dict[int, ir.Header] = {}

        def fix_header(header: ir.Header) -> ir.Header:
            fixed = fixed_headers.get(id(header))
            if fixed is None:
                fixed = fixed_headers[id(header)] = fix_value(header)
            return fixed

        out = []
        for step in steps:
            r = step.request
            path, body = fix(r.path), fix_body(r.body)
            query = tuple(fix_value(q) for q in r.query)
            headers = tuple(map(fix_header, r.headers))
            if path is not r.path or body is not r.body or not _same(query, r.query) or \
                    not _same(headers, r.headers):
                r = replace(r, path=path, query=query, headers=headers, body=body)
            step = _with_request(step, r)
            if any(isinstance(value, ir.Template) for ex in step.extractions
                   if ex.kind in _NAMED_ROWS for _, value in ex.anchors):
                # the names a list's element or row is found by, as the request that made it
                # sends them
                step = replace(step, extractions=tuple(
                    replace(ex, anchors=tuple(
                        (side, fix(value) if isinstance(value, ir.Template) else value)
                        for side, value in ex.anchors))
                    if ex.kind in _NAMED_ROWS else ex for ex in step.extractions))
            out.append(step)
        return out


# the extractions that find a list's element or row by the names its object was given
_NAMED_ROWS = frozenset({"json_row", "html_row", "html_row_value"})


def _logs_in(method: object) -> bool:
    """Whether a remote procedure's name says it logs in: its last words
    (:func:`.operation.procedure_words`) are :data:`LOGIN_WORDS`."""
    if not isinstance(method, str):
        return False
    words = [word for part in procedure_words(method) for word in part]
    return any(tuple(words[-len(login):]) == login for login in LOGIN_WORDS)


def _part(template: ir.Template) -> object:
    """A template as a JSON leaf: its one part (a variable), else the template."""
    return template.parts[0] if len(template.parts) == 1 else template


@functools.lru_cache(maxsize=1024)
def _may_hold_key(name: str) -> bool:
    """Can a header of this name be a secret (see _Finder.header)?"""
    low = name.lower()
    return low in ("authorization", "proxy-authorization") or KEY_HEADER.match(low) is not None


def _name(base: str, default: str) -> str:
    """An identifier from ``identifier()`` output, which may be empty, start with a digit or be
    a keyword (Roundcube's password field ``_pass``: ``pass_secret``, never ``self.pass``)."""
    if not base:
        return default
    if keyword.iskeyword(base):
        return f"{base}_{default}"
    return f"{default}_{base}" if base[0].isdigit() else base


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")  # lunch-rota-for-the-keepers
_SNAKE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")  # lunch_rota


def _unique_parts(name: str, text: str, var: str, account: bool = False
                  ) -> tuple[ir.Part, ...]:
    """A unique field's value as the run sends it: the recorded value and its fresh suffix,
    joined by :func:`_suffix_separator`; an account's name with none (``carol`` →
    ``carol3f9a1c2e``: a user name allows letters and digits, not always a space, ``-`` or
    ``_``), a web address with the suffix as a query parameter of its own
    (``http://shop.test/item?id=4&_=3f9a1c2e``: it still leads there, and an app that fetches
    it gets the same page), an e-mail address with the suffix at the end of its local part
    (``carol3f9a1c2e@example.com``: an address still, and not one that an app which drops a
    ``+tag`` takes for the recorded one)."""
    if EMAIL.fullmatch(text):
        local, _, domain = text.rpartition("@")
        return (local, ir.VarRef(var), "@" + domain)
    if _WEB_ADDRESS.match(text):  # a parameter of its own: the address still leads there
        address, hash_, fragment = text.partition("#")
        return (address + ("&_=" if "?" in address else "?_="), ir.VarRef(var),
                *((hash_ + fragment,) if hash_ else ()))
    if _bare_name(name).lower() in _SLUG_NAMES and _SLUG_VALUE.fullmatch(text):
        return (text + ("_" if "_" in text and "-" not in text else "-"), ir.VarRef(var))
    if (account or LOGIN_NAME.match(_bare_name(name))) and " " not in text:
        return (text, ir.VarRef(var))
    return (text + _suffix_separator(text), ir.VarRef(var))


_WEB_ADDRESS = re.compile(r"https?://[^\s/?#]+[^\s]*$", re.I)
# a name a client gives what it makes by PUT (put_name): a letter in it, URL-safe
_PUT_NAME = re.compile(r"(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9._~-]*")
_HASH = re.compile(r"[0-9a-fA-F]{16,}|[A-Za-z0-9_-]{32,}")  # a digest, a token: no name


def _names_an_account(name: str, value: str) -> bool:
    """A field that names an account: an e-mail address, or a name with a letter in it under
    an account's name (``username``, ``user[login]``, ``user_login``; not a person's name,
    nor a field of an address that holds none: Redmine's ``pref[hide_mail]`` checkbox)."""
    if EMAIL.fullmatch(value):
        return True
    bare = _bare_name(name)
    if bare.lower().endswith("mail") or not any(c.isalpha() for c in value):
        return False
    return bool(LOGIN_NAME.match(bare) or (
        LOGIN_BESIDE_PASSWORD.search(bare) and not NOT_LOGIN.search(bare)
        and bare.lower() not in ("name", "u", "log")))


# the fields that name what a POST makes for URLs, one of a kind: Wagtail's and Django's slug,
# Redmine's project[identifier], a handle, WordPress's post_name
_SLUG_NAMES = frozenset({"slug", "identifier", "handle", "permalink", "post_name"})
_SLUG_VALUE = re.compile(r"(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*")

# the second of a new password's two fields: password_confirmation, confirm_password, passchk
_CONFIRMATION = re.compile(r"confirm|again|repeat|retype|verify|verification|chk|check|2$",
                           re.I)
# the password an account has now, which a change of password sends beside the new one
_CURRENT_PASSWORD = re.compile(r"old|current|existing|previous|prev|former", re.I)
# a route that signs up (Strapi's /api/auth/local/register, Django allauth's /accounts/signup/)
_REGISTERS = re.compile(r"(^|[/_.\-])(register|registration|signup|sign[_\-]up|join)"
                        r"([/_.\-]|$)", re.I)
# a collection of accounts a POST adds one to (RealWorld's POST /api/users), or its form's
# route (Calibre-Web's admin: POST /admin/user/new; Django's /admin/auth/user/add/)
_ACCOUNTS = re.compile(r"/(users?|accounts?|members?)(/(new|add|create))?/?$", re.I)
# what a remote procedure that signs up is called (GraphQL's signUp, register, createUser)
_SIGN_UP_WORDS = (("sign", "up"), ("signup",), ("register",), ("create", "user"),
                  ("create", "account"), ("add", "user"))


def _registers(request: ir.Request) -> bool:
    """A request to a route or a procedure that makes an account."""
    path = request.path.text if request.path.is_literal else ""
    if _REGISTERS.search(path) or request.method == "POST" and _ACCOUNTS.search(path):
        return True
    return any(tuple(words[:len(verb)]) == verb for words in procedure_words(request.operation)
               for verb in _SIGN_UP_WORDS)


def _suffix_separator(text: str) -> str:
    """What joins a --unique field's recorded value and its fresh suffix: the value's own
    separator when it is a slug (a URL's or a file's name: no space allowed), else a space."""
    if _SLUG.fullmatch(text):
        return "-"
    if _SNAKE.fullmatch(text):
        return "_"
    return " "


@functools.lru_cache(maxsize=4096)
def _bare_name(name: str) -> str:
    """A structured field's own name, camel case split: ``user[email]`` → ``email``,
    ``ctl00$Main$UserName`` → ``User_Name``, ``login-username`` → ``username``, ``wpName`` →
    ``wp_Name``."""
    parts = [part for part in re.split(r"[\[\]$:.\-]+", name) if part]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", parts[-1] if parts else name)


def _field_name(name: str) -> str:
    """A form field's name without the prefix React gives the fields of a server action's form
    (``_1_password``: the option is --password)."""
    return re.sub(r"^_\d+_(?=[A-Za-z])", "", name)


def _no_password(credential: str) -> bool:
    """Basic credentials of a public client: an empty password and a user that is a name, not
    a key (``Og==``, that is ``:``, Swagger UI's OAuth2 password flow with no client id;
    ``my-spa-client:``). Nothing to ask the user for: sent as recorded. An API key sent as
    the user with no password (``sk_test_4eC3…:``) stays a secret."""
    try:
        decoded = base64.b64decode(credential, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    user, colon, password = decoded.partition(":")
    return bool(colon) and not password and not token_like(user)
