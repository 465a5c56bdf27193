"""Issue 7: credentials and user inputs become per-user data or environment secrets.

* No recorded password, API key or non-correlated token is written to a generated script (or to
  the report) unless ``--keep-secrets`` is given; the report names each one by its option of the
  script and its environment variable (``--password``, ``H2L_PASSWORD``).
* Detection on the fixture HARs, on HARs built here and on the real-world corpus
  (``../shared/hars``): nothing ordinary is taken for a secret.
* End to end: with ``--data users.csv`` five virtual users log in as five different accounts of a
  fresh fixture app (checked on the server), with 0 failures; a default conversion reads
  ``H2L_PASSWORD`` from the environment (tests/test_script_options.py: when it is missing, and
  the option itself).
* ``--unique FIELD`` and ``--data-template``.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import runpy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from click.testing import CliRunner

from har2locust_plus import Options, convert
from har2locust_plus.cli import main as cli
from har2locust_plus.stages import secrets as secrets_stage

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "fixtures"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "hars"
FIXTURE_HARS = ("notes-journey.har", "notes-journey.firefox.har", "api-journey.har",
                "public-browsing.har")
FIXTURE_PASSWORD = "wonderland-42"  # alice's password, recorded in the fixture HARs
ORIGIN = "http://127.0.0.1:8080"
USERS = 5


def _cli(*args: str):
    return CliRunner().invoke(cli, list(args))


# --- HARs built here, one per way a secret is sent ---------------------------------------------


def _login_page(password_input: str) -> str:
    return ("<html><head><title>Sign in</title></head><body><form method=post action=/login>"
            "<input name=username><input type=password name=" + password_input + ">"
            "<button>Sign in</button></form></body></html>")


def _with_query(entry: dict[str, Any]) -> dict[str, Any]:
    query = entry["request"]["url"].partition("?")[2]
    entry["request"]["queryString"] = [{"name": k, "value": v} for k, v in parse_qsl(query)]
    return entry


def _form(text: str) -> dict[str, Any]:
    return {"mimeType": "application/x-www-form-urlencoded", "text": text,
            "params": [{"name": k, "value": v} for k, v in parse_qsl(text)]}


def _json(value: Any) -> dict[str, Any]:
    return {"mimeType": "application/json", "text": json.dumps(value), "params": []}


OK_JSON = {"mime": "application/json", "body": '{"ok": true}'}
BASIC = base64.b64encode(b"bob:basic-pw-9911").decode()


def _case_entries(make_entry) -> dict[str, tuple[list[dict[str, Any]], tuple[str, ...]]]:
    """name → (entries, recorded secrets that must not be written)."""
    e = make_entry
    return {
        # the field is only known as a password from the <input type=password> of the login page
        "form password input": ([
            e(f"{ORIGIN}/login", body=_login_page("passphrase")),
            e(f"{ORIGIN}/login", "POST", status=302, response_headers=[("Location", "/home")],
              post_data=_form("username=bob&passphrase=Form-Phrase-4411")),
        ], ("Form-Phrase-4411",)),
        "form password field": ([
            e(f"{ORIGIN}/signin", "POST", status=302, response_headers=[("Location", "/home")],
              post_data=_form("username=bob&password=hunter2-form-77")),
        ], ("hunter2-form-77",)),
        "json login": ([
            e(f"{ORIGIN}/api/login", "POST", post_data=_json(
                {"username": "bob", "password": "json-pw-31337"}), **OK_JSON),
        ], ("json-pw-31337",)),
        "basic auth": ([
            e(f"{ORIGIN}/api/me", headers=[("Authorization", f"Basic {BASIC}")], **OK_JSON),
        ], (BASIC,)),
        "bearer never handed out": ([
            e(f"{ORIGIN}/api/me", headers=[("Authorization", "Bearer tok-8c1e5e0f9d2a7b64")],
              **OK_JSON),
        ], ("tok-8c1e5e0f9d2a7b64",)),
        "x-api-key header": ([
            e(f"{ORIGIN}/api/items", headers=[("x-api-key", "hdrkey-5f3a9c72")], **OK_JSON),
        ], ("hdrkey-5f3a9c72",)),
        "api_key query": ([
            _with_query(e(f"{ORIGIN}/api/items?page=2&api_key=qkey-0a9b8c7d", **OK_JSON)),
        ], ("qkey-0a9b8c7d",)),
        "password repeated in a raw body": ([
            e(f"{ORIGIN}/signin", "POST", status=302, response_headers=[("Location", "/home")],
              post_data=_form("username=bob&password=raw-pw-5550")),
            e(f"{ORIGIN}/api/debug", "POST", post_data={
                "mimeType": "text/plain", "text": "bob typed raw-pw-5550 at the prompt"},
              **OK_JSON),
        ], ("raw-pw-5550",)),
    }


CASES = ("form password input", "form password field", "json login", "basic auth",
         "bearer never handed out", "x-api-key header", "api_key query",
         "password repeated in a raw body")


@pytest.fixture(scope="module")
def cases(make_entry, make_har) -> dict[str, tuple[bytes, tuple[str, ...]]]:
    built = {name: (make_har(*entries), values)
             for name, (entries, values) in _case_entries(make_entry).items()}
    assert set(built) == set(CASES)
    everything = [entry for entries, _ in _case_entries(make_entry).values() for entry in entries]
    built["all together"] = (make_har(*everything),
                             tuple(v for _, values in built.values() for v in values))
    return built


def _assert_reported_not_leaked(result, values: tuple[str, ...]) -> None:
    by_value = {s.recorded: s for s in result.scenario.secrets}
    assert set(values) <= set(by_value), (values, [s.where for s in result.scenario.secrets])
    report = result.report.as_dict()
    envs = {s["env"] for s in report["secrets"]}
    dumped = json.dumps(report)
    for value in values:
        assert by_value[value].env in envs
        secret = by_value[value]
        assert secret.env == "H2L_" + secret.name.upper()
        read = f'secret(self, "{secret.name}")'
        if secret.kind.startswith("Basic "):  # taken as user:password too
            read = f"basic_credentials({read})"
        assert f"self.{secret.name} = {read}" in result.code
        assert re.search(rf'"{secret.name}": \(\s*"{secret.env}",', result.code), secret
        assert value not in dumped
    summary = "\n".join(result.report.summary_lines())
    assert not any(value in summary for value in values)


@pytest.mark.parametrize("name", [*CASES, "all together"])
def test_recorded_secret_is_not_written_unless_kept(cases, name: str) -> None:
    har, values = cases[name]
    result = convert(har, Options(), name="case.har")
    for value in values:
        assert value not in result.code, f"{name}: recorded secret {value!r} in the script"
    _assert_reported_not_leaked(result, values)
    assert result.scenario.data_columns == ()

    kept = convert(har, Options(keep_secrets=True), name="case.har")
    for value in values:
        assert value in kept.code, f"{name}: --keep-secrets dropped {value!r}"
    assert kept.scenario.secrets == ()
    assert "secret(" not in kept.code


@pytest.mark.parametrize("name", ["form password input", "form password field", "json login"])
def test_with_data_the_login_comes_from_the_csv_row(cases, name: str) -> None:
    har, (password,) = cases[name]
    result = convert(har, Options(data_file="users.csv"), name="case.har")
    assert password not in result.code
    columns = {c.name: (c.kind, c.recorded) for c in result.scenario.data_columns}
    assert columns["username"] == ("login", "bob")
    assert [kind for kind, value in columns.values() if value == password] == ["password"]
    assert result.scenario.secrets == ()
    assert 'row["username"]' in result.code


def test_password_equal_to_the_user_name_still_gets_its_own_column(make_entry, make_har) -> None:
    # Seen in the corpus (har2locust__url-encoded-body-no-text-field.har: user=test&password=test):
    # both fields used to share the "user" column, so a CSV with real passwords logged in with the
    # user name as password.
    har = make_har(make_entry(f"{ORIGIN}/signin", "POST", status=302,
                              response_headers=[("Location", "/")],
                              post_data=_form("user=test&password=test")))
    result = convert(har, Options(data_file="users.csv"), name="case.har")
    assert [(c.name, c.kind) for c in result.scenario.data_columns] == [
        ("user", "login"), ("password", "password")]
    assert '"user": self.user' in result.code and '"password": self.password' in result.code


@pytest.mark.parametrize(("fields", "option", "column"), [
    ("_user=alice&_pass=wonderland", "--password", "pass_value"),  # Roundcube's login form
    ("login=alice&class=s3cr3t-Pa55", None, None),  # not a password field: a plain value
])
def test_a_field_named_by_a_keyword_gives_a_valid_name(make_entry, make_har, fields: str,
                                                       option: str | None,
                                                       column: str | None) -> None:
    """``_pass`` made the secret ``pass``, and ``self.pass`` is no Python: the conversion
    stopped with an internal error. Now the option is ``--password`` (a password field's short
    name) and a data column ``pass_value``."""
    har = make_har(make_entry(f"{ORIGIN}/?_task=login", "POST", status=302,
                              response_headers=[("Location", "/")], post_data=_form(fields)))
    result = convert(har, Options(), name="case.har")
    compile(result.code, "locustfile.py", "exec")
    if option:
        assert [s.name for s in result.scenario.secrets] == [option.removeprefix("--")]
        assert option in result.code
        with_data = convert(har, Options(data_file="users.csv"), name="case.har")
        compile(with_data.code, "locustfile.py", "exec")
        assert column in [c.name for c in with_data.scenario.data_columns]


@pytest.mark.parametrize("data_file", [None, "users.csv"])
def test_password_echoed_by_the_server_is_not_written_by_checks(make_entry, make_har,
                                                                data_file) -> None:
    har = make_har(make_entry(f"{ORIGIN}/api/users", "POST", status=201,
                              post_data=_form("user=bob&password=pistol"),
                              mime="application/json",
                              body='{"user": "bob", "password": "pistol", "id": 4}'))
    result = convert(har, Options(data_file=data_file), name="case.har")
    assert "pistol" not in result.code


@pytest.mark.parametrize(("credentials", "is_secret"), [
    (":", False),  # Swagger UI's OAuth2 password flow, no client id: "Basic Og=="
    ("my-spa-client:", False),  # a public client: a name, no password
    ("sk_test_4eC39HqLyjWDarjtT1zdp7dc:", True),  # an API key as the user (Stripe's way)
    ("bob:basic-pw-9911", True),
    ("client-id:client-secret-77", True),
])
def test_basic_credentials_without_a_password_are_no_secret(make_entry, make_har,
                                                            credentials: str,
                                                            is_secret: bool) -> None:
    """Swagger UI (FastAPI's /docs) sends ``Authorization: Basic Og==`` with the password
    grant: asking for it as ``--basic-credentials`` stopped every test at its start until the
    user found out it was ``Og==``."""
    basic = base64.b64encode(credentials.encode()).decode()
    har = make_har(make_entry(f"{ORIGIN}/auth/jwt/login", "POST",
                              headers=[("Authorization", f"Basic {basic}")],
                              post_data=_form("grant_type=password&username=bob&password=pw-5"),
                              **OK_JSON))
    result = convert(har, Options(), name="case.har")
    basic_secrets = [s for s in result.scenario.secrets if s.recorded == basic]
    assert bool(basic_secrets) is is_secret, result.scenario.secrets
    assert (f'"Basic {basic}"' in result.code) is not is_secret
    assert "pw-5" not in result.code  # the password is still one


def test_report_file_names_every_secret_and_never_its_value(cases, tmp_path: Path) -> None:
    har, values = cases["all together"]
    source = tmp_path / "all.har"
    source.write_bytes(har)
    out, report = tmp_path / "locustfile.py", tmp_path / "report.json"
    result = _cli(str(source), "-o", str(out), "--report", str(report))
    assert result.exit_code == 0, result.stderr
    text, code = report.read_text("utf-8"), out.read_text("utf-8")
    secrets = json.loads(text)["secrets"]
    assert len(secrets) == len(values)
    assert len({s["env"] for s in secrets}) == len(values)
    for value in values:
        assert value not in text and value not in code and value not in result.stderr
    for entry in secrets:
        assert entry["env"] in result.stderr  # the summary says which variables to set
        assert entry["option"] in result.stderr  # ... and which options
        assert set(entry) == {"option", "env", "kind", "where"}


@pytest.mark.parametrize("har", FIXTURE_HARS)
def test_fixture_hars_keep_no_password(har: str, tmp_path: Path) -> None:
    result = convert(FIXTURES / har)
    assert FIXTURE_PASSWORD not in result.code
    assert FIXTURE_PASSWORD not in json.dumps(result.report.as_dict())
    where = [s.where for s in result.scenario.secrets]
    if har == "public-browsing.har":
        assert where == [] and result.scenario.data_columns == ()
        return
    field = "JSON field password" if har.startswith("api") else "form field password"
    assert [(s.name, s.env, s.kind) for s in result.scenario.secrets] == [
        ("password", "H2L_PASSWORD", "password")]
    assert re.fullmatch(rf"{field} \(step \d+\)", where[0]), where
    assert FIXTURE_PASSWORD in convert(FIXTURES / har, Options(keep_secrets=True)).code

    data = convert(FIXTURES / har, Options(data_file="users.csv"))
    assert FIXTURE_PASSWORD not in data.code and data.scenario.secrets == ()
    assert [(c.name, c.kind, c.recorded) for c in data.scenario.data_columns] == [
        ("username", "login", "alice"), ("password", "password", FIXTURE_PASSWORD)]

    # --report FILE too
    report = tmp_path / "report.json"
    cli = _cli(str(FIXTURES / har), "-o", str(tmp_path / "l.py"), "--report", str(report))
    assert cli.exit_code == 0, cli.stderr
    assert json.loads(report.read_text("utf-8"))["secrets"][0]["env"] == "H2L_PASSWORD"
    assert FIXTURE_PASSWORD not in report.read_text("utf-8") + cli.stderr


# --- the real-world corpus ---------------------------------------------------------------------

# Reviewed by eye: every one is a password field, an Authorization header or an API-key header.
# (Query api keys in the corpus are all on third-party hosts, which are not replayed.)
EXPECTED_CORPUS_SECRETS = {
    ("har2case__demo-quickstart.har", "JSON field password (step 2)"),
    ("har2case__demo.har", "JSON field Pwd (step 1)"),
    ("har2locust__reqres.in.har", "JSON field password (step 1)"),
    ("har2locust__url-encoded-body-no-text-field.har", "form field password (step 1)"),
    ("haroa3__sample.har", "header Authorization (step 1)"),
    ("hartok6__full.har", "header Authorization (step 4)"),  # "Bearer ${token}", a placeholder
    ("hartok6__pseudo-headers.har", "header Authorization (step 1)"),
    ("hartoopenapi__auth-variants.har", "header Authorization (step 1)"),  # Bearer
    ("hartoopenapi__auth-variants.har", "header Authorization (step 2)"),  # Basic
    ("hartoopenapi__auth-variants.har", "header X-Api-Key (step 3)"),
    ("mitmproxy2swagger__form_data_har.har", "form field password (step 1)"),
    ("mitmproxy2swagger__headers_and_params_har.har", "header X-Api-Key (step 1)"),
}
EXPECTED_CORPUS_COLUMNS = {  # with --data: (file, column, kind)
    ("har2case__demo-quickstart.har", "name", "login"),  # {"name": "user1", "password": …}
    ("har2case__demo-quickstart.har", "password", "password"),
    ("har2case__demo.har", "user_name", "login"),  # its field UserName
    ("har2case__demo.har", "pwd", "password"),
    ("har2locust__reqres.in.har", "email", "login"),
    ("har2locust__reqres.in.har", "password", "password"),
    ("har2locust__url-encoded-body-no-text-field.har", "user", "login"),
    ("har2locust__url-encoded-body-no-text-field.har", "password", "password"),
    ("mitmproxy2swagger__form_data_har.har", "username", "login"),
    ("mitmproxy2swagger__form_data_har.har", "password", "password"),
}


def _login_named(column: str) -> bool:
    """A login column's name: an account's name, exactly or in a framework's way."""
    return bool(secrets_stage.LOGIN_NAME.match(column) or
                secrets_stage.LOGIN_BESIDE_PASSWORD.search(column))


# Secrets echoed by the server must not come back as checks
# (test_password_echoed_by_the_server_is_not_written_by_checks): no known leaks.
KNOWN_CHECK_LEAKS: set[tuple[str, str]] = set()
SECRET_WHERE = re.compile(
    r"(form|JSON) field \S*(pass|pwd|otp|pin|secret|mfa)\S* \(step \d+\)"
    r"|header (Proxy-)?Authorization \(step \d+\)"
    r"|header (x-)?(api[-_]?key|apikey|auth[-_]?token|access[-_]?token|(client[-_]?)?secret"
    r"|token) \(step \d+\)"
    r"|query (api[-_]?key|apikey|key|token|access_token|(client_)?secret|auth) \(step \d+\)",
    re.I)


def _request_names(request: dict[str, Any]):
    """(kind, name) of every header, query parameter and form/JSON field a request sends."""
    for header in request.get("headers") or []:
        yield "header", str(header.get("name", ""))
    for param in request.get("queryString") or []:
        yield "query", str(param.get("name", ""))
    post = request.get("postData") or {}
    for param in post.get("params") or []:
        yield "field", str(param.get("name", ""))
    text = post.get("text") or ""
    try:
        stack = [json.loads(text)]
    except ValueError:
        stack = []
        yield from (("field", k) for k, _ in parse_qsl(text))
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            yield from (("field", str(k)) for k in value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _detectable(har: dict[str, Any]) -> tuple[bool, bool]:
    """(could hold a secret, could hold a login field): whether a request sends a name the
    stage's patterns match, or a page has a password input. HARs with neither cannot produce a
    misclassification; skipping them keeps the test fast."""
    s = secrets_stage
    secret = login = False
    for entry in har["log"].get("entries") or []:
        for kind, name in _request_names(entry.get("request") or {}):
            low = name.lower()
            if (kind == "header" and (low in ("authorization", "proxy-authorization")
                                      or s.KEY_HEADER.match(low))
                    or kind == "query" and s.KEY_PARAM.match(name)
                    or kind == "field" and s.SECRET_NAME.search(name)):
                secret = True
            login = login or kind == "field" and bool(s.LOGIN_NAME.match(name))
        content = ((entry.get("response") or {}).get("content") or {}).get("text") or ""
        if re.search(r"type=[\"']?password", str(content), re.I):
            secret = True
    return secret, login


def _in_string_literals(value: str, code: str) -> bool:
    """Whether ``value`` is written in a string of the script (docstrings aside), as a whole word:
    corpus secrets can be as short as ``secret`` or ``test``."""
    tree = ast.parse(code)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    word = re.compile(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])")
    return any(isinstance(node, ast.Constant) and isinstance(node.value, str)
               and id(node) not in docstrings and word.search(node.value)
               for node in ast.walk(tree))


def test_corpus_detections_are_credentials_only() -> None:
    manifest = CORPUS / "manifest.json"
    if not manifest.is_file():
        pytest.skip(f"real-world HAR corpus not found at {CORPUS} (only on the CI machine)")
    valid = [e["file"] for e in json.loads(manifest.read_text("utf-8")) if e.get("kind") == "HAR"]
    assert valid
    secrets: set[tuple[str, str]] = set()
    columns: set[tuple[str, str, str]] = set()
    candidates, leaks = [], set()
    for name in valid:
        raw = (CORPUS / name).read_bytes()
        secret, login = _detectable(json.loads(raw.decode("utf-8-sig")))
        if secret:
            candidates.append(name)
            result = convert(raw, name=name)
            for found in result.scenario.secrets:
                assert SECRET_WHERE.fullmatch(found.where), (name, found.where, found.kind)
                secrets.add((name, found.where))
                if _in_string_literals(found.recorded, result.code):
                    leaks.add((name, found.where))
            assert result.scenario.data_columns == ()
        if secret or login:
            data = convert(raw, Options(data_file="users.csv"), name=name)
            for column in data.scenario.data_columns:
                pattern = (_login_named if column.kind == "login"
                           else secrets_stage.SECRET_NAME.search)
                assert pattern(column.name), (name, column)
                columns.add((name, column.name, column.kind))
    assert leaks <= KNOWN_CHECK_LEAKS, leaks
    assert "hartoopenapi__auth-variants.har" in candidates
    assert secrets == EXPECTED_CORPUS_SECRETS
    assert columns == EXPECTED_CORPUS_COLUMNS


# --- --unique and --data-template (in process) --------------------------------------------------


def test_unique_unknown_field_is_a_one_line_error() -> None:
    result = _cli(str(FIXTURES / "notes-journey.har"), "--unique", "nosuchfield")
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("har2locust-plus: error: --unique nosuchfield")
    assert "title" in lines[0]  # names the fields that are sent
    assert result.stdout == ""


def test_a_unique_value_is_sent_as_made_wherever_the_recorded_one_was() -> None:
    """``--unique id`` on Syncthing's folder: the GUI asks whether the id is free before the
    save and asks for the folder's status by it after; each sends what the run made, made at
    the first request that sends it."""
    from test_correlate import api

    result = convert(json.dumps({"log": {"version": "1.2", "creator": {"name": "t"},
                                         "entries": [
        api("/rest/folder/free?id=qinoc-krrda", response={"free": True}),
        api("/rest/config/folders", "POST", json_body={"id": "qinoc-krrda", "label": "Zoo"}),
        api("/rest/db/status?folder=qinoc-krrda", response={"state": "idle"}),
    ]}}).encode(), Options(unique_fields=("id",)), name="t.har")
    code = result.code
    assert 'f"/rest/folder/free?id=qinoc-krrda-{quote_plus(str(self.id_suffix))}"' in code
    assert '"id": f"qinoc-krrda-{self.id_suffix}"' in code
    assert 'f"/rest/db/status?folder=qinoc-krrda-{quote_plus(str(self.id_suffix))}"' in code
    assert code.index("self.id_suffix = ") < code.index('f"/rest/folder/free')
    assert [[g.kind for g in s.generated] for s in result.scenario.steps] == [["unique"], [], []]


# --- a sign-up: each run an account of its own --------------------------------------------------


def _converted(*entries: dict[str, Any], **options: Any):
    return convert(json.dumps({"log": {"version": "1.2", "creator": {"name": "t"},
                                       "entries": list(entries)}}).encode(), Options(**options),
                   name="t.har")


def test_a_sign_up_makes_a_new_account_each_run_and_later_requests_use_it() -> None:
    """A new password sent twice is a sign-up (Django's password1/password2): the account's
    name and address get a fresh suffix each run, joined so that they stay a user name and an
    address; the login after it sends the same; the display name and the password do not
    change."""
    from test_correlate import entry, page

    signup = page("/accounts/signup/", (
        '<form method="post"><input name="username"><input name="email">'
        '<input type="password" name="password1"><input type="password" name="password2">'
        '<input name="full_name"></form>'))
    fields = [("username", "carol"), ("email", "carol@example.com"), ("full_name", "Carol Keeper"),
              ("password1", "Sup3r-secret-99"), ("password2", "Sup3r-secret-99")]
    result = _converted(
        signup,
        entry("/accounts/signup/", "POST", form=fields, status=302, body="",
              response_headers=[("Location", "/welcome/")]),
        entry("/login", "POST", form=[("username", "carol"), ("password", "Sup3r-secret-99")],
              status=302, body="", response_headers=[("Location", "/")]))
    code = result.code
    assert '"username": f"carol{self.username_suffix}"' in code
    assert '"email": f"carol{self.email_suffix}@example.com"' in code
    assert '"full_name": "Carol Keeper"' in code
    assert code.count('f"carol{self.username_suffix}"') == 2  # the login too
    assert "Sup3r-secret-99" not in code
    [info] = [d.message for d in result.scenario.diagnostics if "signs up" in d.message]
    assert info.startswith("step 2 signs up a new account (username 'carol', email 'carol@")


def test_an_admin_s_new_user_is_a_new_account_each_run() -> None:
    """Calibre-Web's admin adds a user (POST /admin/user/new: name, email, password once): as
    recorded, every run but the first was answered 200 "Found an existing account for this
    Email address", and passed. The name joins its suffix as a user name allows."""
    from test_correlate import entry

    result = _converted(entry("/admin/user/new", "POST", form=[
        ("name", "carol"), ("email", "carol@example.org"), ("password", "Carol-Reads-42!"),
        ("locale", "en")], body="<p>ok</p>"))
    code = result.code
    assert '"name": f"carol{self.name_suffix}"' in code
    assert '"email": f"carol{self.email_suffix}@example.org"' in code
    assert '"locale": "en"' in code and "Carol-Reads-42!" not in code


@pytest.mark.parametrize(("path", "body", "made"), [
    # Strapi's register: no confirmation, the route says it
    ("/api/auth/local/register",
     {"username": "carol", "email": "carol@example.com", "password": "Sup3r-secret-99"},
     ("username", "email")),
    # Rails' Devise: user[password_confirmation]
    ("/users", {"user": {"email": "carol@example.com", "password": "Sup3r-secret-99",
                         "password_confirmation": "Sup3r-secret-99"}}, ("email",)),
    # RealWorld's sign-up: a POST to the collection of users
    ("/api/users", {"user": {"username": "carol", "email": "carol@example.com",
                             "password": "Sup3r-secret-99"}}, ("username", "email")),
    # a GraphQL mutation named so
    ("/graphql", {"operationName": "SignUp", "query": "mutation SignUp($u: String!) {x}",
                  "variables": {"username": "carol", "password": "Sup3r-secret-99"}},
     ("username",)),
    # a change of password: the current one beside the new one twice
    ("/account/password", {"username": "carol", "current_password": "Old-secret-1",
                           "password": "Sup3r-secret-99", "password2": "Sup3r-secret-99"}, ()),
    # a login: one password, a route that does not register
    ("/api/login", {"username": "carol", "password": "Sup3r-secret-99"}, ()),
    # a sign-up whose name holds no letter, beside a checkbox of the address: neither changes
    ("/register", {"login": "4711", "hide_email": "1", "password": "Sup3r-secret-99"}, ()),
    # an admin's new user, by its form's route (Calibre-Web): its bare name beside the
    # address names the account too
    ("/admin/user/new", {"name": "carol", "email": "carol@example.com",
                         "password": "Sup3r-secret-99"}, ("name", "email")),
    ("/users/add", {"email": "carol@example.com", "password": "Sup3r-secret-99"}, ("email",)),
    # beside a user name, a name is a person's: it stays
    ("/api/users", {"username": "carol", "name": "Carol Keeper", "email": "carol@example.com",
                    "password": "Sup3r-secret-99"}, ("username", "email")),
    # a route that adds something else with a password (a share link): no account
    ("/shares/new", {"name": "carol", "email": "carol@example.com",
                     "password": "Sup3r-secret-99"}, ()),
])
def test_which_json_requests_sign_up(path: str, body: dict, made: tuple[str, ...]) -> None:
    from test_correlate import api

    result = _converted(api(path, "POST", json_body=body, response={"ok": True}))
    sent = result.scenario.steps[0].request.body.value
    sent = sent.get("user", sent.get("variables", sent))
    changed = tuple(k for k, v in sent.items() if not isinstance(v, str)
                    and "password" not in k)
    assert changed == made, sent


def test_a_slug_the_user_typed_for_what_a_post_makes_is_fresh_each_run() -> None:
    """Wagtail's page slug, Redmine's project identifier: one of a kind among their siblings;
    a slug an earlier answer showed (an edit's form) is an existing object's and stays."""
    from test_correlate import api, entry, page

    result = _converted(
        entry("/pages/add/", "POST", form=[("title", "Lunch rota"), ("slug", "lunch-rota")],
              status=302, body="", response_headers=[("Location", "/pages/")]),
        entry("/projects", "POST", form=[("project[identifier]", "zoo_garden")], status=302,
              body="", response_headers=[("Location", "/projects/zoo_garden")]),
        page("/pages/7/edit/", '<input name="slug" value="old-page">'),
        entry("/pages/7/edit/", "POST", form=[("slug", "old-page")], status=302, body="",
              response_headers=[("Location", "/pages/")]),
        entry("/pages/add/", "PUT", form=[("slug", "put-page")], status=200, body=""),
        entry("/pages/add/", "POST", form=[("slug", "Not a slug!")], status=302, body="",
              response_headers=[("Location", "/pages/")]),
        api("/api/v1/dashboard/", "POST", json_body={"title": "a"}, status=201,
            response={"id": 52307}),
        api("/api/v1/dashboard/52307", "PUT", json_body={"slug": "probe-dash"},
            response={"id": 52307}))
    code = result.code
    assert '"slug": f"lunch-rota-{self.slug_suffix}"' in code
    assert '"title": "Lunch rota"' in code
    assert '"project[identifier]": f"zoo_garden_{self.project_identifier_suffix}"' in code
    assert 'location=r"/projects/[^/?#]+(\\?.*)?"' in code  # where it goes: this run's
    assert '"slug": "old-page"' in code and '"slug": "put-page"' in code
    assert '"slug": "Not a slug!"' in code
    # the properties of the object the path names: a PUT of Superset's dashboard
    assert '"slug": f"probe-dash-{self.slug_suffix}"' in code


def test_a_name_the_client_chose_for_what_a_put_made_is_fresh_each_run() -> None:
    """Kinto's bucket, a WebDAV file: ``PUT /v1/buckets/zoo-bucket`` answered 201 Created, a
    name no answer showed before: each run makes its own (with the same suffix wherever the
    name is sent after it: paths, bodies, a batch's paths); what is inside it is new with it;
    an existing object's name, a 200's, a UUID's, a digest's, a short one, one lower-case word
    (a fixed place: ``/api/config/theme``) stay."""
    from test_correlate import api, page

    sha = "9f86d081884c7d659a2feaa0c55ad015"
    result = _converted(
        page("/", "<p>the buckets: old-bucket</p>"),
        api("/v1/buckets/zoo-bucket", "PUT", json_body={"data": {"id": "zoo-bucket"}},
            status=201, response={"data": {"id": "zoo-bucket"}}),
        api("/v1/buckets/zoo-bucket/collections/tasks", "PUT",
            json_body={"data": {"id": "tasks"}}, status=201, response={"data": {"id": "tasks"}}),
        api("/v1/batch", "POST", json_body={"requests": [
            {"path": "/buckets/zoo-bucket/collections?_sort=-last_modified"}]},
            response={"responses": []}),
        api("/dav/alice/minutes.txt", "PUT", status=201, response={}),
        api("/v1/buckets/old-bucket", "PUT", json_body={"data": {}}, status=201,
            response={}),
        api("/v1/buckets/kept-bucket", "PUT", json_body={"data": {}}, status=200,
            response={}),
        api("/cal/alice/5f2b8f0e-3c1d-4b7a-9e2f-0a1b2c3d4e5f.ics", "PUT", status=201,
            response={}),
        api(f"/blobs/{sha}", "PUT", status=201, response={}),
        api("/v1/b/ab1", "PUT", status=201, response={}),
        api("/api/config/theme", "PUT", json_body={"dark": True}, status=201, response={}))
    code = result.code
    assert 'f"/v1/buckets/zoo-bucket-{self.buckets_name_suffix}"' in code
    assert '"id": f"zoo-bucket-{self.buckets_name_suffix}"' in code
    assert 'f"/v1/buckets/zoo-bucket-{self.buckets_name_suffix}/collections/tasks"' in code
    assert '"id": "tasks"' in code  # new inside the run's new bucket
    assert ('"path": f"/buckets/zoo-bucket-{self.buckets_name_suffix}/collections'
            '?_sort=-last_modified"') in code
    assert 'f"/dav/alice/minutes-{self.alice_name_suffix}.txt"' in code
    for kept in ('"/v1/buckets/old-bucket"', '"/v1/buckets/kept-bucket"',
                 '"/cal/alice/5f2b8f0e-3c1d-4b7a-9e2f-0a1b2c3d4e5f.ics"', f'"/blobs/{sha}"',
                 '"/v1/b/ab1"', '"/api/config/theme"'):
        assert kept in code, kept
    said = [d.message for d in result.scenario.diagnostics
            if "a name the client chose" in d.message]
    assert [m.split(" makes ")[0] for m in said] == ["step 2", "step 5"], said


def test_a_name_the_app_checked_was_free_is_fresh_each_run() -> None:
    """MLflow's UI asks ``experiments/get-by-name?experiment_name=zoo-exp`` (404: free) before
    it creates ``{"name": "zoo-exp"}``, and again before a rename: the app wants the name one
    of a kind (it keeps even a deleted experiment's). As recorded, every run after the first
    failed at the check, its 404 a 200. Each run gives it a fresh suffix, the check before it
    and every later request (a filter's text too) sending the run's; a second value under the
    same field (the model) follows too. Not a name no 404 asked about, not a value a 404 asked
    about that is sent under a field naming nothing (``format``), not a 404 after the write."""
    from test_correlate import api

    base = "/ajax-api/2.0/mlflow"
    result = _converted(
        api(f"{base}/experiments/get-by-name?experiment_name=zoo-exp", status=404,
            response={"error_code": "RESOURCE_DOES_NOT_EXIST"}),
        api(f"{base}/experiments/create", "POST", json_body={"name": "zoo-exp"},
            response={"experiment_id": "2"}),
        api(f"{base}/experiments/get-by-name?experiment_name=zoo-exp-renamed", status=404,
            response={}),
        api(f"{base}/experiments/update", "POST",
            json_body={"experiment_id": "2", "new_name": "zoo-exp-renamed"}, response={}),
        api(f"{base}/registered-models/get?name=zoo-model", status=404, response={}),
        api(f"{base}/registered-models/create", "POST", json_body={"name": "zoo-model"},
            response={"registered_model": {"name": "zoo-model"}}),
        api(f"{base}/model-versions/search?filter=name%3D%27zoo-model%27", response={}),
        api("/export?format=yaml", status=404, response={}),
        api("/jobs", "POST", json_body={"format": "yaml", "title": "Nightly"}, response={}),
        api("/things", "POST", json_body={"name": "late-thing"}, response={}),
        api("/things/late-thing", status=404, response={}))
    code = result.code
    probe = f'f"{base}/experiments/get-by-name?experiment_name=zoo-exp-{{quote_plus(str(self.'
    assert code.count(probe + 'name_suffix))}"') == 1, code
    assert 'json={"name": f"zoo-exp-{self.name_suffix}"}' in code
    assert "experiment_name=zoo-exp-renamed-{quote_plus(str(self.new_name_suffix))}" in code
    assert '"new_name": f"zoo-exp-renamed-{self.new_name_suffix}"' in code
    assert 'json={"name": f"zoo-model-{self.name_suffix}"}' in code
    assert f'f"{base}/registered-models/get?name=zoo-model-{{quote_plus(str(self.name_suffix' \
        in code
    assert "%27zoo-model-{quote_plus(str(self.name_suffix))}%27" in code
    assert '"format": "yaml"' in code and '"title": "Nightly"' in code
    assert '"name": "late-thing"' in code
    said = [d.message.split(" gives ")[0] for d in result.scenario.diagnostics
            if "checked was free" in d.message]
    assert said == ["step 2", "step 4", "step 6"], said


def test_a_sign_up_with_data_takes_the_accounts_from_the_file() -> None:
    from test_correlate import api

    result = _converted(api("/api/auth/local/register", "POST", json_body={
        "username": "carol", "email": "carol@example.com", "password": "Sup3r-secret-99"},
        response={"ok": True}), data_file="users.csv")
    assert "_suffix = " not in result.code
    assert not [d for d in result.scenario.diagnostics if "signs up" in d.message]


def test_data_template_writes_the_header_and_the_recorded_row(tmp_path: Path) -> None:
    template = tmp_path / "users.csv"
    result = _cli(str(FIXTURES / "notes-journey.har"), "-o", str(tmp_path / "l.py"),
                  "--data-template", str(template))
    assert result.exit_code == 0, result.stderr
    assert template.read_text("utf-8") == f"username,password\nalice,{FIXTURE_PASSWORD}\n"
    assert FIXTURE_PASSWORD not in (tmp_path / "l.py").read_text("utf-8")


# --- end to end against a fresh fixture app ------------------------------------------------------


def _app(**kwargs):
    from fixtures.server import FixtureApp  # the repository root is on sys.path (conftest)

    return FixtureApp(**kwargs)


def _script(har: str, tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "locustfile.py"
    result = _cli(str(FIXTURES / har), "-o", str(out), "--think-time", "none", "-q", *args)
    assert result.exit_code == 0, result.stderr
    assert FIXTURE_PASSWORD not in out.read_text("utf-8")
    return out


@pytest.mark.e2e
@pytest.mark.parametrize("har, kind", [("notes-journey.har", "form"), ("api-journey.har", "api")])
def test_e2e_each_user_logs_in_with_its_own_row(har: str, kind: str, tmp_path: Path,
                                                run_locust) -> None:
    (tmp_path / "users.csv").write_text(
        "username,password\n" + "".join(f"user{i},pass{i}\n" for i in range(1, USERS + 1)),
        encoding="utf-8")
    script = _script(har, tmp_path, "--data", "users.csv")
    assert 'secret("' not in script.read_text("utf-8")
    with _app(seed_users=USERS) as app:
        run = run_locust(script, app.url, tmp_path, seconds=6, users=USERS,
                         extra=("--stop-timeout", "5"))
        state = app.state()
    assert run.returncode == 0 and run.failed == 0 and run.requests > 0, run.explain()
    logins = state["logins"][kind]
    assert sorted(logins) == [f"user{i}" for i in range(1, USERS + 1)], state["logins"]
    assert all(n >= 1 for n in logins.values())
    assert state["logins"]["failed"] == {}
    created, deleted = state["notes"]["created"], state["notes"]["deleted"]
    assert set(created) == set(logins) and created == deleted, state["notes"]


@pytest.mark.e2e
def test_e2e_default_script_reads_the_password_from_the_environment(tmp_path: Path,
                                                                    run_locust) -> None:
    # (without it, a run ends at start: tests/test_script_options.py)
    script = _script("api-journey.har", tmp_path)
    assert 'self.password = secret(self, "password")' in script.read_text("utf-8")

    with _app(seed_users=USERS) as app:
        run = run_locust(script, app.url, tmp_path, seconds=6, users=USERS,
                         extra=("--stop-timeout", "5"), env={"H2L_PASSWORD": FIXTURE_PASSWORD})
        state = app.state()
    assert run.returncode == 0 and run.failed == 0 and run.requests > 0, run.explain()
    assert list(state["logins"]["api"]) == ["alice"] and state["logins"]["failed"] == {}
    assert state["notes"]["created"] == state["notes"]["deleted"] != {}


@pytest.mark.e2e
def test_e2e_unique_title_differs_per_iteration(tmp_path: Path, run_locust) -> None:
    # The delete is left out so that the notes stay on the server and their titles can be read.
    script = _script("notes-journey.har", tmp_path, "--unique", "title",
                     "--exclude-url", r"/delete$")
    with _app() as app:
        run = run_locust(script, app.url, tmp_path, seconds=3, users=2,
                         extra=("--stop-timeout", "5"), env={"H2L_PASSWORD": FIXTURE_PASSWORD})
        state = app.state()
    titles = [note["title"] for note in state["current_notes"]]
    assert len(titles) >= 2, (titles, run.explain())
    assert len(set(titles)) == len(titles), titles
    assert run.failed == 0, run.explain()


def test_only_pages_with_a_password_input_are_parsed_again() -> None:
    """The second parse (for password inputs) is gated by a pattern that every password
    input matches, however written, and that the word in a page's text does not."""
    from har2locust_plus.stages.secrets import _PASSWORD_TYPE

    for html in ('<input type=password name=p>', '<INPUT TYPE = "PASSWORD" name=p>',
                 "<input name='p' type='Password'>", '<input type=\n"password">'):
        assert _PASSWORD_TYPE.search(html), html
    for html in ('<a href="/password-reset">Forgot your password?</a>',
                 '<input type="text" name="password">'):
        assert not _PASSWORD_TYPE.search(html), html


@pytest.mark.parametrize(("fields", "login"), [
    ("login-username=ann%40x.org&login-password=s3cret-99", "login-username"),  # Oscar
    ("user%5Bemail%5D=ann%40x.org&user%5Bpassword%5D=s3cret-99", "user[email]"),  # Rails
    ("j_username=ann&j_password=s3cret-99", "j_username"),  # Spring Security
    ("log=ann&pwd=s3cret-99&rememberme=forever&testcookie=1", "log"),  # WordPress
    ("wpName=Ann&wpPassword=s3cret-99&wpRemember=1", "wpName"),  # MediaWiki
    ("u=ann&password=s3cret-99&do=login", "u"),  # DokuWiki's u (its p: by the page's input)
    ("pma_username=ann&pma_password=s3cret-99&server=1", "pma_username"),  # phpMyAdmin
    ("__login_name=ann&__login_password=s3cret-99", "__login_name"),  # Roundup
    ("first_name=Ann&last_name=Lee&email=ann%40x.org&password=s3cret-99", "email"),
    ("first_name=Ann&handle=ann%40x.org&password=s3cret-99", "handle"),  # by its e-mail
])
def test_with_data_the_account_sent_beside_a_password_is_a_login_column(
        make_entry, make_har, fields: str, login: str) -> None:
    """Login forms name the account in their framework's way; each is the CSV's login column
    (before, only an exact ``username``/``email``/``login`` was: every virtual user logged in
    with the recorded account and its row's password)."""
    har = make_har(make_entry(f"{ORIGIN}/signin", "POST", status=302,
                              response_headers=[("Location", "/")],
                              post_data=_form(fields)))
    result = convert(har, Options(data_file="users.csv"), name="case.har")
    logins = [c for c in result.scenario.data_columns if c.kind == "login"]
    assert [c.recorded for c in logins] == [dict(parse_qsl(fields))[login]]
    assert [c.kind for c in result.scenario.data_columns].count("password") == 1


def test_without_a_password_beside_it_a_field_named_like_an_account_stays(make_entry,
                                                                           make_har) -> None:
    har = make_har(make_entry(f"{ORIGIN}/profile", "POST", status=302,
                              response_headers=[("Location", "/")],
                              post_data=_form("display_name=Ann&log=ann&u=ann")))
    result = convert(har, Options(data_file="users.csv"), name="case.har")
    assert result.scenario.data_columns == ()


def _authorized(code: str, path: str) -> bool:
    """Does the request of ``path`` send the Basic credentials (as the script's secret)?"""
    import ast as _ast

    for node in _ast.walk(_ast.parse(code)):
        if isinstance(node, _ast.Call) and getattr(node.func, "attr", "") in ("get", "post") \
                and node.args and _ast.unparse(node.args[0]).strip("'\"f") == path:
            return "self.basic_credentials" in _ast.unparse(node)
    raise AssertionError(f"no request of {path}")


@pytest.mark.parametrize(("first", "then", "challenged"), [
    ("/manager/html", "/manager/html/deploy", True),  # Tomcat's Manager
    ("/admin/", "/admin/users", True),
    ("/admin/", "/shop/cart", False),  # outside the protection space
])
def test_the_request_that_met_a_basic_challenge_sends_the_credentials(
        make_entry, make_har, first: str, then: str, challenged: bool) -> None:
    """Chromium's HAR shows the request a ``401`` asked credentials for as first sent, without
    them, answered by the ``200`` the browser's second try got; the next request sends them.
    Replayed as recorded, the first request got 401 and every run of Tomcat's Manager ended
    there. At or below the challenged path's directory only (RFC 7617's protection space)."""
    har = make_har(make_entry(f"{ORIGIN}/", body="<title>Home</title>"),
                   make_entry(f"{ORIGIN}{first}", body="<title>Manager</title>",
                              resource_type="document"),
                   make_entry(f"{ORIGIN}{then}", "POST", headers=[
                       ("Authorization", f"Basic {BASIC}")], post_data=_form("a=1"), **OK_JSON),
                   make_entry(f"{ORIGIN}{then}", "POST", headers=[
                       ("Authorization", f"Basic {BASIC}")], post_data=_form("a=2"), **OK_JSON))
    result = convert(har, Options(), name="case.har")
    assert _authorized(result.code, then)
    assert _authorized(result.code, first) is challenged
    assert not _authorized(result.code, "/")  # not the last request before the credentials
    assert BASIC not in result.code


def test_the_page_s_assets_and_a_challenge_of_another_directory_give_credentials(
        make_entry, make_har) -> None:
    """Transmission's web interface: the page (no credentials shown), its scripts (sent with
    them: never replayed, but the evidence the page met the challenge), the first RPC call
    outside the page's directory (no credentials shown, answered 409 where a request without
    them gets 401: the browser met that directory's challenge with what it had), then calls
    with them. The page and that call send them; a request after them whose directory never
    sees the credentials again does not."""
    auth = [("Authorization", f"Basic {BASIC}")]
    har = make_har(
        make_entry(f"{ORIGIN}/transmission/web/", body="<title>Transmission</title>",
                   resource_type="document"),
        make_entry(f"{ORIGIN}/transmission/web/main.js", headers=auth,
                   mime="application/javascript", body="var x;", resource_type="script"),
        make_entry(f"{ORIGIN}/transmission/rpc", "POST", status=409, resource_type="xhr",
                   post_data={"mimeType": "json", "text": '{"method": "session-get"}'}),
        *[make_entry(f"{ORIGIN}/transmission/rpc", "POST", headers=auth, resource_type="xhr",
                     post_data={"mimeType": "json", "text": f'{{"n": {n}}}'}, **OK_JSON)
          for n in range(2)],
        make_entry(f"{ORIGIN}/public/status", resource_type="xhr", **OK_JSON))
    result = convert(har, Options(), name="case.har")
    sent = [any(h.name.lower() == "authorization" for h in s.request.headers)
            for s in result.scenario.steps]
    assert sent == [True, True, True, True, False]
    assert BASIC not in result.code


@pytest.mark.parametrize(("scheme", "times"), [
    ("Bearer eyJhbGciOiJIUzI1NiJ9.e30.abcdefghijk", 2), ("Digest x", 2),
    (f"Basic {BASIC}", 1),  # set by a page's script for one call (Swagger UI's token request)
])
def test_no_credentials_are_given_to_a_request_before_other_schemes(make_entry, make_har,
                                                                     scheme: str,
                                                                     times: int) -> None:
    """A bearer token or Digest answer is made for its request (a token the login handed out,
    a nonce's answer), Basic credentials a script sent once met no challenge: nothing is
    copied to the request before the first one that sends them."""
    har = make_har(make_entry(f"{ORIGIN}/app/", body="<title>App</title>",
                              resource_type="document"),
                   *[make_entry(f"{ORIGIN}/app/notes", "POST", headers=[("Authorization", scheme)],
                                post_data=_form(f"a={n}"), **OK_JSON) for n in range(times)])
    result = convert(har, Options(), name="case.har")
    first = result.code[result.code.index('"/app/"') - 200:result.code.index('"/app/"') + 200]
    assert "Authorization" not in first, first


def test_a_request_answered_401_is_not_given_credentials(make_entry, make_har) -> None:
    """An exporter that shows the challenge as its own entry (401, then the retry with the
    credentials): the 401 stays as recorded (a replay without credentials gets it too)."""
    har = make_har(make_entry(f"{ORIGIN}/admin/", status=401, body="<title>401</title>"),
                   make_entry(f"{ORIGIN}/admin/", headers=[("Authorization", f"Basic {BASIC}")],
                              body="<title>Admin</title>"))
    result = convert(har, Options(), name="case.har")
    [first, second] = result.scenario.steps
    assert first.request.header("authorization") is None and first.response.status == 401
    assert any(h.name.lower() == "authorization" for h in second.request.headers)


@pytest.mark.parametrize(("userinfo", "user_pass"), [
    ("alice:cards-and-dates-4", "alice:cards-and-dates-4"),
    ("alice%40zoo.test:p%3Aw%40rd", "alice@zoo.test:p:w@rd"),  # percent-encoded, as URLs hold
    ("alice:", "alice:"),
])
def test_user_information_in_a_url_is_sent_as_basic_credentials(make_entry, make_har,
                                                                 userinfo: str,
                                                                 user_pass: str) -> None:
    """Chromium records an XHR opened with a user and a password (Radicale's web interface)
    as the URL's user information, with no ``Authorization`` header. The browser sends them as
    Basic credentials: so does the script — as its secret option, the password nowhere in it,
    the host read without them."""
    har = make_har(make_entry(f"{ORIGIN}/.web/", body="<title>Web</title>",
                              resource_type="document"),
                   *[make_entry(f"http://{userinfo}@127.0.0.1:8080/alice/", "PROPFIND",
                                post_data={"mimeType": "text/plain", "text": f"<propfind{n}/>"},
                                status=207, mime="text/xml", body="<multistatus/>")
                     for n in range(2)])
    result = convert(har, Options(), name="case.har")
    expected = base64.b64encode(user_pass.encode()).decode()
    steps = result.scenario.steps
    assert [s.request.host for s in steps] == ["127.0.0.1:8080"] * 3
    secret = result.scenario.secrets
    assert user_pass.split(":", 1)[1] == "" or (
        [s.kind for s in secret] == ["Basic authorization"] and expected not in result.code
        and userinfo not in result.code and "@127.0.0.1" not in result.code), result.code
    sent = result.code.count('"Authorization": f"Basic {self.basic_credentials}"')
    assert sent == (0 if user_pass.endswith(":") else 2), result.code


def test_basic_credentials_are_taken_as_user_and_password_too(make_entry, make_har,
                                                             tmp_path: Path) -> None:
    """The option of recorded Basic credentials takes what a tester knows, user:password, as
    well as what the header sends (its base64: Kinto's probe was asked for the base64, which
    the option's help did not say)."""
    har = make_har(*[make_entry(f"{ORIGIN}/api/{n}", headers=[
        ("Authorization", f"Basic {BASIC}")], **OK_JSON) for n in range(2)])
    code = convert(har, Options(), name="case.har").code
    assert 'self.basic_credentials = basic_credentials(secret(self, "basic_credentials"))' \
        in code
    assert "Basic authorization (user:password, or its base64 as the header sends it)" in code
    script = tmp_path / "locustfile.py"
    script.write_text(code, "utf-8")
    namespace = runpy.run_path(str(script))
    as_sent = base64.b64encode(b"alice:p:w@rd").decode()
    assert namespace["basic_credentials"]("alice:p:w@rd") == as_sent
    assert namespace["basic_credentials"](as_sent) == as_sent


def test_a_recorded_authorization_header_wins_over_user_information(make_entry,
                                                                    make_har) -> None:
    har = make_har(make_entry("http://alice:other@127.0.0.1:8080/api", headers=[
        ("Authorization", f"Basic {BASIC}")], **OK_JSON))
    from har2locust_plus.loader import load

    data = har if isinstance(har, bytes) else json.dumps(har).encode()
    [step] = load(data, "case.har").steps
    assert [h.value.text for h in step.request.headers if h.name == "Authorization"] == [
        f"Basic {BASIC}"]


@pytest.mark.parametrize(("method", "params", "secret", "login"), [
    ("auth.login", ["deluge-pw-4471"], "deluge-pw-4471", None),  # Deluge's web interface
    ("User.login", ["ann", "s3cret-pw-99"], "s3cret-pw-99", "ann"),
    ("common.authenticate", ["shop", "ann", "s3cret-pw-99", {}], "s3cret-pw-99", "ann"),
    ("session.logIn", ["ann", "s3cret-pw-99"], "s3cret-pw-99", "ann"),
    ("userSignIn", ["ann", "s3cret-pw-99"], "s3cret-pw-99", "ann"),
])
def test_a_password_a_remote_login_takes_by_position_is_a_secret(
        make_entry, make_har, method: str, params: list, secret: str, login: str | None) -> None:
    """JSON-RPC's positional parameters have no name to go by: the procedure does (a login);
    its last text parameter is the password, the one before it the account."""
    body = {"method": method, "params": params, "id": 2}
    har = make_har(make_entry(f"{ORIGIN}/json", "POST", post_data=_json(body), **OK_JSON))
    result = convert(har, Options(), name="case.har")
    assert [(s.name, s.recorded) for s in result.scenario.secrets] == [("password", secret)]
    assert secret not in result.code and f"parameter {params.index(secret) + 1} of {method}" \
        in result.code
    assert secret in convert(har, Options(keep_secrets=True), name="case.har").code
    data = convert(har, Options(data_file="users.csv"), name="case.har").scenario.data_columns
    assert [(c.kind, c.recorded) for c in data] == [("password", secret)] + (
        [("login", login)] if login else [])


@pytest.mark.parametrize("body", [
    {"method": "web.connect", "params": ["5f912cf476a44b5fa0e7fda343e0"], "id": 3},
    {"method": "auth.login", "params": [], "id": 3},
    {"method": "auth.login", "params": {"user": "ann"}, "id": 3},
    {"method": "auth.loginHistory", "params": ["ann"], "id": 3},
])
def test_other_remote_procedures_parameters_are_no_secret(make_entry, make_har,
                                                          body: dict) -> None:
    har = make_har(make_entry(f"{ORIGIN}/json", "POST", post_data=_json(body), **OK_JSON))
    assert convert(har, Options(), name="case.har").scenario.secrets == ()


def test_a_login_that_takes_its_password_by_name_takes_none_by_position(make_entry,
                                                                        make_har) -> None:
    """Tryton's client signs in with ``common.db.login(login, parameters, language)``: first
    without a password (the answer says which factors the account needs), then with it by
    name in the object of parameters. The last text is the language, not a password, in
    both calls: taken for one, the script sent the password as the language."""
    first = {"method": "common.db.login", "params": ["alice", {"device_cookie": None}, "en"],
             "id": 0}
    second = {"method": "common.db.login", "id": 0, "params": [
        "alice", {"device_cookie": None, "password": "Orchard-ledger-4"}, "en"]}
    har = make_har(make_entry(f"{ORIGIN}/zoo/session/login", "POST", post_data=_json(first),
                              **OK_JSON),
                   make_entry(f"{ORIGIN}/zoo/session/login", "POST", post_data=_json(second),
                              **OK_JSON))
    result = convert(har, Options(), name="case.har")
    assert [(s.name, s.recorded) for s in result.scenario.secrets] == [
        ("password", "Orchard-ledger-4")]
    assert result.code.count('"en"') == 2 and "Orchard-ledger-4" not in result.code
    assert '{"device_cookie": None, "password": self.password}' in result.code
