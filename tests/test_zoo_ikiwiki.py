"""Zoo: ikiwiki 3.2020 (Debian's ikiwiki, Perl CGI on git, served by Debian's lighttpd),
replayed by the script.

The HAR (``fixtures/zoo/ikiwiki/ikiwiki.har``, recorded in Chromium by ``record.py``) asks to
edit the front page, signs in as alice on the form that comes instead (whose answer is the edit
form, with the session's id again in a hidden ``sid`` and the commit the text was read at in
``rcsinfo``), adds a link ``[[zoo_page_<epoch ms>]]``, creates that page through the link, adds
a comment, removes the page (the edit form's "Remove", then the confirmation) and logs out
through the preferences form. Each test starts a fresh wiki (a new git repository, so other
commits; a new session store; another port) and reads the outcome from the wiki's own git
history.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "ikiwiki" / "ikiwiki.har"
# one user: the journey's page name is the one the user typed (with a fresh epoch ms each run,
# as the recording made it), but ikiwiki runs one CGI at a time and commits every edit to git:
# a second user adds nothing but waiting
USERS, SECONDS = 1, 20


def _password() -> str:
    from fixtures.zoo.ikiwiki.server import PASSWORD

    return PASSWORD


PASSWORD = _password()


@pytest.fixture(scope="module")
def ikiwiki() -> type:
    """The launcher class; skips the module when ikiwiki or lighttpd is not installed."""
    from fixtures.zoo.ikiwiki import server

    reason = server.missing()
    if reason:
        pytest.skip(f"ikiwiki zoo app cannot run: {reason}")
    return server.Ikiwiki


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp_path_factory.mktemp("ikiwiki-correlated"))


def _run(script: Path, server: object, workdir: Path, env_var: str,
         seconds: int = SECONDS) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; every run of the flow linked a page from the front page, created it,
    commented on it and removed it, and bob's page is untouched (also used by
    tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] >= 2, why  # at least two runs of the flow
    assert state["created"] == state["removed"] == state["comments"] == state["index_edits"], why
    assert state["left"] == 0 and state["authors"] == ["alice"], why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_wiki(ikiwiki: type, script: tuple[Path, str, str],
                                         tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(HAR, tmp_path, user_class=user_class)
    with ikiwiki(port=port_other_than(recorded_origin)) as server:
        assert urlsplit(server.url).port != urlsplit(recorded_origin).port
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends_back(script: tuple[Path, str, str]) -> None:
    """Each form's ``sid`` is the session cookie's value as the server set it now, the cookie
    named as ikiwiki names it (``ikiwiki_session_Zoo%20wiki``: an escaped space, not a part
    the server chose); each ``rcsinfo`` comes from the edit form the post was made from."""
    code = script[0].read_text("utf-8")
    assert "cookie_name_part(\n" not in code and "20wiki" not in code.replace(
        '"ikiwiki_session_Zoo%20wiki"', "")
    assert code.count('"sid": self.ikiwiki_session_zoo_wiki,') == 6
    assert code.count('"rcsinfo": self.rcsinfo') == 2
    assert 'RCSINFO_XPATH = etree.XPath("//input[@name=\'rcsinfo\']/@value")' in code


def test_without_correlation_nothing_is_saved(ikiwiki: type, tmp_path: Path) -> None:
    """The recorded ``sid`` is not the new session's: ikiwiki answers the first save "Your
    login session has expired." on a 200 page where the recorded 302 was; nothing is
    committed."""
    path, _, env_var = convert_to_file(HAR, tmp_path, correlate=False)
    with ikiwiki() as server:
        run = _run(path, server, tmp_path, env_var, seconds=5)
        state = server.state()
    why = _explain(run, state)
    assert run.failed > 0 and state["created"] == state["index_edits"] == 0, why
    assert {failure["Name"] for failure in run.failures} == {
        "04 /ikiwiki.cgi (do=edit, page=index)", "04 POST /ikiwiki.cgi (do=edit, page=index)"}, why
    assert all("expected status 302 to /, got 200 (the page shows an error: 'Error: Your login "
               "session has expired.')" in failure["Error"] for failure in run.failures), why
    assert state["sentinel_intact"], why


@pytest.fixture(scope="module")
def wrong_password_wiki(ikiwiki: type) -> Iterator[object]:
    """A wiki where alice's password is not the one the script is given."""
    with ikiwiki(password="not-the-recorded-one") as server:
        yield server


def test_wrong_password_fails_at_the_sign_in_and_saves_nothing(
        wrong_password_wiki: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """ikiwiki answers a wrong password with its sign-in form again (200, as the recorded edit
    form was), the password field marked invalid ("Invalid entry" in CGI::FormBuilder's
    ``fb_message``): every run of the flow fails there, saying so, and nothing is committed."""
    path, _, env_var = script
    run = _run(path, wrong_password_wiki, tmp_path, env_var, seconds=5)
    state = wrong_password_wiki.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    logins, failed = run.final["03 /ikiwiki.cgi (do=signin)"]
    assert logins > 0 and failed == logins, why
    # the sign-in form again, its password field marked by CGI::FormBuilder's fb_message
    assert all("step 3 POST /ikiwiki.cgi (do=signin): the page shows an error: 'Invalid entry'"
               in failure["Error"] for failure in run.failures), why
    assert state["created"] == state["index_edits"] == 0 and state["sentinel_intact"], why
