"""Zoo: SimpleSAMLphp 1.19 (Debian's simplesamlphp, on PHP's built-in server): SAML 2.0 single
sign-on and single logout between its own identity provider and service provider, replayed.

The HAR (``fixtures/zoo/simplesaml/simplesaml.har``, recorded in Chromium by ``record.py``)
opens the SP's test page, which redirects to the IdP with a ``SAMLRequest``; the IdP's login
form (its ``AuthState``) takes alice's password and answers with a page whose script posts the
signed ``SAMLResponse`` and the ``RelayState`` to the SP, which signs her in and redirects to
the page first asked for; then "Logout" (a ``LogoutRequest`` to the IdP and its
``LogoutResponse`` back). Each test starts a fresh installation (a new IdP key and
certificate, salts, sessions and port) and reads the outcome from the SP's own sign-in hook
and the IdP's statistics.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, port_other_than, run_against

from har2locust_plus import Options, ThinkTime, convert

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "simplesaml" / "simplesaml.har"
USERS, SECONDS = 3, 8
ACS = "/simplesaml/module.php/saml/sp/saml2-acs.php/default-sp"


def _password() -> str:
    from fixtures.zoo.simplesaml.server import PASSWORD

    return PASSWORD


PASSWORD = _password()


@pytest.fixture(scope="module")
def saml() -> type:
    """The launcher class; skips the module when SimpleSAMLphp is not installed."""
    from fixtures.zoo.simplesaml import server

    reason = server.missing()
    if reason:
        pytest.skip(f"SimpleSAMLphp zoo app cannot run: {reason}")
    return server.SimpleSaml


def _convert(tmp: Path, har: bytes | Path = HAR, **options: object) -> tuple[Path, str, str]:
    result = convert(har, Options(think_time=ThinkTime("none"), **options),  # type: ignore[arg-type]
                     name="simplesaml.har")
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    [secret] = [s for s in result.scenario.secrets if s.kind == "password"]
    return path, result.scenario.main_origin, secret.env


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("simplesaml-correlated"))


def _run(script: Path, server: object, workdir: Path, env_var: str,
         seconds: int = SECONDS) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every run of the flow signed alice in at the SP (an assertion the IdP
    issued for the SP's request, checked by the SP) and logged her out at the IdP (also used
    by tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    signed_in = state["sp_logins"].get("alice", 0)
    assert signed_in > 0 and state["sp_logins"] == {"alice": signed_in}, why
    assert state["idp_requests"] == state["idp_responses"] == signed_in, why
    assert state["logouts"] == signed_in and state["failed_logins"] == 0, why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_idp_and_sp(saml: type, script: tuple, tmp_path: Path,
                                               user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with saml(port=port_other_than(recorded_origin)) as server:
        assert urlsplit(server.url).port != urlsplit(recorded_origin).port
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends_back(script: tuple) -> None:
    """The signed assertion from the page that posts it (its hidden input), the login form's
    ``AuthState`` and the redirects' SAML messages from where they were handed out; the
    route's own words (``saml2``, ``saml2-acs.php``) are not values."""
    code = script[0].read_text("utf-8")
    assert '"SAMLResponse": self.saml_response' in code
    assert "SAML_RESPONSE_XPATH = etree.XPath(\"//input[@name='SAMLResponse']/@value\")" in code
    assert '"AuthState": self.auth_state' in code
    assert "PHNhbWxwOlJlc3BvbnNl" not in code  # the recorded <samlp:Response, base64
    assert "/simplesaml/saml2/idp/" in code and "simplesaml_id" not in code
    assert "sp_id" not in code


def _without_the_posting_page_s_body() -> bytes:
    """The HAR as Chromium writes it without the recorder's help: the login's answer, a page
    whose script posts the assertion at once, has no body."""
    har = json.loads(HAR.read_text("utf-8"))
    for entry in har["log"]["entries"]:
        if entry["request"]["method"] == "POST" and "loginuserpass" in entry["request"]["url"]:
            content = entry["response"]["content"]
            del content["text"]
            content["size"] = -1
    return json.dumps(har).encode()


def test_the_assertion_is_read_from_the_live_posting_page(saml: type, tmp_path: Path) -> None:
    """Without the posting page's body no recorded answer holds the ``SAMLResponse`` (the
    recorded one is signed by another IdP's key, for another request, expired): the login
    form posts to its own URL with an empty query (``Referer: …loginuserpass.php?``), so its
    answer is the page the assertion was posted from, and the script reads the assertion
    from that live page's form, as a browser posts it; alice is signed in on a fresh pair."""
    path, _, env_var = _convert(tmp_path, _without_the_posting_page_s_body())
    read = [d.message for d in convert(_without_the_posting_page_s_body(),
                                       name="simplesaml.har").scenario.diagnostics
            if "whose body is not in the recording" in d.message]
    assert [m for m in read if m.startswith("step 5 sends SAMLResponse")], read
    assert 'from_form(' in path.read_text("utf-8")
    with saml() as server:
        run = _run(path, server, tmp_path, env_var, seconds=4)
        state = server.state()
    assert_full_lifecycle(run, state)


@pytest.fixture(scope="module")
def wrong_password_server(saml: type) -> Iterator[object]:
    """An IdP where alice's password is not the one the script is given."""
    with saml(password="not-the-recorded-one-99") as server:
        yield server


def test_wrong_password_fails_at_the_login_and_signs_nobody_in(
        wrong_password_server: object, script: tuple, tmp_path: Path) -> None:
    path, _, env_var = script
    run = _run(path, wrong_password_server, tmp_path, env_var, seconds=4)
    state = wrong_password_server.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    assert state["sp_logins"] == {} and state["failed_logins"] > 0, why
    assert run.failures and all("step 4 POST" in failure["Error"]
                                for failure in run.failures), why
