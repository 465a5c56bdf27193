"""Zoo: MediaWiki from Debian's package, replayed by the generated script.

The HAR (``fixtures/zoo/mediawiki/mediawiki.har``, recorded in Chromium by ``record.py``) logs
in through ``Special:UserLogin`` (``wpLoginToken``, which ends in ``+\\``), searches for a new
page ``Zoo note <epoch ms>``, creates it (the edit form's ``wpEditToken``, ``wpStarttime``,
``wpEdittime``; the editor's ``stashedit`` API calls and their ``texthash``), edits a section
(``parentRevId``, ``editRevId``), opens the diff of its two revisions, deletes it (alice is a
sysop) and logs out through the API (``action=logout`` with the ``csrfToken`` of the page's
inline script). Each test starts a fresh wiki (MediaWiki's own installer: a new database and
``$wgSecretKey``, page and revision ids from a random base, another port) and reads the outcome
from MediaWiki itself: its hooks log logins, logouts, saves and deletions; its database holds
the pages; the router notes every answer that refused a token.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

from har2locust_plus import Options

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "mediawiki" / "mediawiki.har"
USERS, SECONDS = 3, 12


@pytest.fixture(scope="module")
def mediawiki() -> type:
    """The launcher class; skips the module when php or MediaWiki is not installed."""
    from fixtures.zoo.mediawiki import server

    reason = server.missing()
    if reason:
        pytest.skip(f"MediaWiki zoo app cannot run: {reason}")
    return server.MediaWiki


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("mw-correlated"))


@pytest.fixture(scope="module")
def wrong_password_wiki(mediawiki: type) -> Iterator[object]:
    """A wiki where alice's password is not the one the script is given."""
    with mediawiki(password="not-the-recorded-one") as wiki:
        yield wiki


def _run(script: Path, wiki: object, workdir: Path, env_var: str, seconds: int = SECONDS
         ) -> LocustRun:
    return run_against(script, wiki.url, workdir, env_var, _password(),  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _password() -> str:
    from fixtures.zoo.mediawiki.server import PASSWORD

    return PASSWORD


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration logged in, created its page, edited it once, deleted it and
    logged out, and no token was refused (also used by tests/test_zoo_recorded_port.py)."""
    from fixtures.zoo.mediawiki.server import USER

    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    logins = state["logins"].get(USER, 0)
    assert logins > 0 and state["failed_logins"] == {}, why
    changes = state["changes"]
    assert changes["created"] == changes["edited"] == changes["deleted"] == {USER: logins}, why
    assert changes["null_edit"] == {}, why  # a stale base revision would save nothing new
    assert state["logouts"] == {USER: logins}, why
    assert state["journey_pages"] == [], why
    assert state["rejections"] == {}, why
    assert state["sentinels_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_wiki(mediawiki: type, script: tuple[Path, str, str],
                                         tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with mediawiki(port=port_other_than(recorded_origin)) as wiki:
        assert urlsplit(wiki.url).port != urlsplit(recorded_origin).port
        run = _run(path, wiki, tmp_path, env_var)
        state = wiki.state()
    assert_full_lifecycle(run, state)


def test_the_logout_is_the_special_page_not_a_value(script: tuple[Path, str, str]) -> None:
    """``Special:UserLogout`` (a page name in a namespace) is a word of the site, never a value
    taken from a link; the page name the client made up is sent again from its variable, and
    so is MediaWiki's form of it (``Zoo_note_<epoch ms>``, which the search's results link
    to): made from the time the client made, not read from the first "create" link."""
    code = script[0].read_text("utf-8")
    assert ('"/index.php?title=Special%3AUserLogout&returnto=Zoo+note+'
            '{quote_plus(str(self.search))}"') in code
    assert "UserLogout'" not in code and 'UserLogout"' not in code
    assert '"title": f"Zoo_note_{self.search}"' in code and "from_link(" not in code


def test_without_correlation_nothing_is_saved(mediawiki: type, tmp_path: Path) -> None:
    from fixtures.zoo.mediawiki.server import USER

    path, _, env_var = _convert(tmp_path, correlate=False)
    with mediawiki() as wiki:
        run = _run(path, wiki, tmp_path, env_var, seconds=6)
        state = wiki.state()
    why = _explain(run, state)
    assert run.failed > 0, why
    # the recorded wpLoginToken belongs to the recording's session: refused, no login
    assert state["logins"].get(USER, 0) == 0, why
    assert state["rejections"].get("session", 0) > 0, why
    assert state["changes"]["created"] == {} and state["journey_pages"] == [], why
    assert state["sentinels_intact"], why


def test_wrong_password_fails_every_iteration_and_creates_nothing(
        wrong_password_wiki: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    from fixtures.zoo.mediawiki.server import USER

    path, _, env_var = script
    run = _run(path, wrong_password_wiki, tmp_path, env_var, seconds=6)
    state = wrong_password_wiki.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    attempts = state["failed_logins"].get(USER, 0)
    assert attempts > 0 and state["logins"] == {}, why
    assert run.final["03 /index.php"] == (attempts, attempts), why  # the login step failed
    assert state["changes"]["created"] == {} and state["journey_pages"] == [], why
    assert state["sentinels_intact"], why


@pytest.fixture()
def password_env(monkeypatch: pytest.MonkeyPatch, script: tuple[Path, str, str]) -> None:
    from fixtures.zoo.mediawiki.server import PASSWORD

    monkeypatch.setenv(script[2], PASSWORD)


def test_verify_passes_on_a_fresh_wiki(mediawiki: type, password_env: None) -> None:
    from har2locust_plus.verify.core import verify

    with mediawiki() as wiki:
        outcome = verify(HAR, wiki.url, Options())
        state = wiki.state()
    assert outcome.passed, (outcome.final.verdict(), state)
    assert state["changes"]["deleted"] == state["changes"]["created"] != {}, state
    assert state["sentinels_intact"], state


def test_verify_fails_with_the_wrong_password(wrong_password_wiki: object,
                                              password_env: None) -> None:
    from har2locust_plus.verify.core import verify

    outcome = verify(HAR, wrong_password_wiki.url, Options())  # type: ignore[attr-defined]
    assert not outcome.passed, outcome.final.verdict()
    assert "step 3" in outcome.final.verdict(), outcome.final.verdict()
