"""Zoo (issue 12): DokuWiki from Debian's package, replayed by the generated script.

The HAR (``fixtures/zoo/dokuwiki/dokuwiki.har``, recorded in Chromium by ``record.py``) logs in,
searches for a new page ``zoo:note-<epoch ms>``, creates it, edits a section, opens a diff of its
revisions, deletes it by saving it empty and logs out through the link that carries ``sectok``.
Each test starts a fresh wiki (new conf/ and data/, new cookie salt so new ``sectok`` values, new
revision timestamps, a random title, another port) and reads the outcome from the wiki's own
data directory: the changelog (created/edited/deleted per user), the pages left, the sentinel
pages, and the request log that says which logins succeeded and which tokens were refused.
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
HAR = REPO_ROOT / "fixtures" / "zoo" / "dokuwiki" / "dokuwiki.har"
USERS, SECONDS = 3, 15


@pytest.fixture(scope="module")
def dokuwiki() -> type:
    """The launcher class; skips the module when php or DokuWiki is not installed."""
    from fixtures.zoo.dokuwiki import server

    reason = server.missing()
    if reason:
        pytest.skip(f"DokuWiki zoo app cannot run: {reason}")
    return server.DokuWiki


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("doku-correlated"))


@pytest.fixture(scope="module")
def wrong_password_wiki(dokuwiki: type) -> Iterator[object]:
    """A wiki where alice's password is not the one the script is given (shared by c and d)."""
    with dokuwiki(password="not-the-recorded-one") as wiki:
        yield wiki


def _run(script: Path, wiki: object, workdir: Path, env_var: str, seconds: int = SECONDS
         ) -> LocustRun:
    return run_against(script, wiki.url, workdir, env_var, _password(),  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _password() -> str:
    from fixtures.zoo.dokuwiki.server import PASSWORD

    return PASSWORD


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def _journey_pages(state: dict) -> list[str]:
    return [p for p in state["pages"] if p.startswith("zoo:note-")]


def test_journey_replays_on_a_fresh_wiki(dokuwiki: type, script: tuple[Path, str, str],
                                         tmp_path: Path) -> None:
    path, recorded_origin, env_var = script
    with dokuwiki(port=port_other_than(recorded_origin)) as wiki:
        assert urlsplit(wiki.url).port != urlsplit(recorded_origin).port
        run = _run(path, wiki, tmp_path, env_var)
        state = wiki.state()
    assert_full_lifecycle(run, state)


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration logged in, created, edited and deleted its page, logged out
    (also used by tests/test_zoo_recorded_port.py)."""
    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    logins = state["logins"].get("alice", 0)
    changes = state["changes"]
    assert logins > 0 and state["failed_logins"] == {}, why
    # one page per iteration: created once, its section edited once, deleted once
    assert changes["created"] == changes["edited"] == changes["deleted"] == {"alice": logins}, why
    assert state["logouts"] == logins, why
    assert _journey_pages(state) == [] and state["locks"] == [], why
    assert state["rejections"] == {}, why
    assert state["sentinels_intact"], why


def test_without_correlation_nothing_is_saved(dokuwiki: type, tmp_path: Path) -> None:
    path, _, env_var = _convert(tmp_path, correlate=False)
    with dokuwiki() as wiki:
        run = _run(path, wiki, tmp_path, env_var, seconds=6)
        state = wiki.state()
    why = _explain(run, state)
    assert run.failed > 0, why
    assert state["logins"].get("alice", 0) > 0, why  # the login has no token: it works
    assert state["changes"]["created"] == {} and _journey_pages(state) == [], why
    assert state["rejections"].get("sectok", 0) > 0, why  # the recorded sectok was refused
    assert state["sentinels_intact"], why


def test_wrong_password_fails_every_iteration_and_creates_nothing(
        wrong_password_wiki: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    path, _, env_var = script
    run = _run(path, wrong_password_wiki, tmp_path, env_var, seconds=6)
    state = wrong_password_wiki.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    attempts = state["failed_logins"].get("alice", 0)
    assert attempts > 0 and state["logins"] == {}, why
    # every iteration: the login failed (403), the flow stopped at step 7 (no edit form for
    # anonymous users), nothing after it was sent
    assert run.final["03 /doku.php (do=login)"] == (attempts, attempts), why
    assert not [name for name in run.final if name >= "08"], why
    assert state["changes"]["created"] == {} and _journey_pages(state) == [], why
    assert state["sentinels_intact"], why


@pytest.fixture()
def password_env(monkeypatch: pytest.MonkeyPatch, script: tuple[Path, str, str]) -> None:
    from fixtures.zoo.dokuwiki.server import PASSWORD

    monkeypatch.setenv(script[2], PASSWORD)


def test_verify_passes_on_a_fresh_wiki(dokuwiki: type, password_env: None) -> None:
    from har2locust_plus.verify.core import verify

    with dokuwiki() as wiki:
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
