"""Zoo: WordPress from Debian's package (on MariaDB), replayed by the generated script.

The HAR (``fixtures/zoo/wordpress/wordpress.har``, recorded in Chromium by ``record.py``) logs
in (``wp-login.php``, ``testcookie``), waits for the dashboard's widgets (``admin-ajax.php``
asks for community events with the nonce of ``var communityEventsData = {"nonce": …}``, one of
several ``"nonce"`` keys on the page), opens "Add New" (the block editor: the new post's id in
``post_ID`` and the editor's settings, the REST API's nonce in ``wpApiSettings``), publishes
``Zoo post <epoch ms>`` (``POST /wp-json/wp/v2/posts/<id>`` with ``X-WP-Nonce``), opens it,
comments on it (``comment_post_ID``; 302 to ``/<name>/#comment-<id>``), trashes it from the
Posts list (``post.php?post=<id>&action=trash&_wpnonce=…``) and logs out through the admin bar
(``wp-login.php?action=logout&_wpnonce=…``). Each test starts a fresh blog (WordPress's own
installer on a new MariaDB server: new salts, so new nonces; post ids from a random base;
another port) and reads the outcome from WordPress itself: a must-use plugin logs logins,
logouts, status changes, comments and refused nonces; the database holds the posts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

from har2locust_plus import Options

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "wordpress" / "wordpress.har"
USERS, SECONDS = 3, 12


@pytest.fixture(scope="module")
def wordpress() -> type:
    """The launcher class; skips the module when WordPress or MariaDB is not installed."""
    from fixtures.zoo.wordpress import server

    reason = server.missing()
    if reason:
        pytest.skip(f"WordPress zoo app cannot run: {reason}")
    return server.WordPress


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("wp-correlated"))


@pytest.fixture(scope="module")
def wrong_password_blog(wordpress: type) -> Iterator[object]:
    """A blog where alice's password is not the one the script is given."""
    with wordpress(password="not-the-recorded-one") as blog:
        yield blog


def _password() -> str:
    from fixtures.zoo.wordpress.server import PASSWORD

    return PASSWORD


def _run(script: Path, blog: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         extra: tuple[str, ...] = ()) -> LocustRun:
    return run_against(script, blog.url, workdir, env_var, _password(),  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS, extra=extra)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration logged in, published its post, commented on it, trashed it
    and logged out, and no nonce was refused (also used by tests/test_zoo_recorded_port.py)."""
    from fixtures.zoo.wordpress.server import USER

    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    logins = state["logins"].get(USER, 0)
    assert logins > 0 and state["failed_logins"] == {}, why
    assert state["published"] == state["comments"] == state["trashed"] == {USER: logins}, why
    assert state["posts"] == {"trash": logins} and state["journey_comments"] == logins, why
    assert state["logouts"] == {USER: logins}, why
    assert state["bad_nonces"] == {}, why
    assert state["sentinel_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_blog(wordpress: type, script: tuple[Path, str, str],
                                         tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with wordpress(port=port_other_than(recorded_origin)) as blog:
        assert urlsplit(blog.url).port != urlsplit(recorded_origin).port
        run = _run(path, blog, tmp_path, env_var)
        state = blog.state()
    assert_full_lifecycle(run, state)


def test_each_nonce_is_read_where_wordpress_writes_it(script: tuple[Path, str, str]) -> None:
    """The dashboard's community-events nonce by its object; the logout nonce from a page's
    link without the recorded return address; the new post's id for the REST path, the comment
    form and the trash link."""
    code = script[0].read_text("utf-8")
    assert "communityEventsData" in code
    assert '"X-WP-Nonce": f"{self.' in code
    assert re.search(r'from_link\((?:[^()]|\([^()]*\))*"redirect_to"', code) is None
    assert re.search(r'"/wp-login\.php\?action=logout&_wpnonce=\{quote_plus\(str\(self\.', code)
    assert '"comment_post_ID": self.' in code
    assert 'f"/wp-json/wp/v2/posts/{self.' in code
    assert "&_wpnonce={quote_plus(str(self." in code


def test_without_correlation_nothing_is_published(wordpress: type, tmp_path: Path) -> None:
    path, _, env_var = _convert(tmp_path, correlate=False)
    with wordpress() as blog:
        # going on after failed steps, to show where WordPress refuses the recorded values
        run = _run(path, blog, tmp_path, env_var, seconds=6, extra=("--continue-on-failure",))
        state = blog.state()
    why = _explain(run, state)
    assert run.failed > 0, why
    # the login form has no nonce: the login works; the recorded X-WP-Nonce does not
    assert state["bad_nonces"].get("rest:rest_cookie_invalid_nonce", 0) > 0, why
    assert state["published"] == {} and state["posts"] == {}, why
    assert state["trashed"] == {} and state["journey_comments"] == 0, why
    assert state["sentinel_intact"], why


def test_wrong_password_fails_every_iteration_and_publishes_nothing(
        wrong_password_blog: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    from fixtures.zoo.wordpress.server import USER

    path, _, env_var = script
    run = _run(path, wrong_password_blog, tmp_path, env_var, seconds=6)
    state = wrong_password_blog.state()  # type: ignore[attr-defined]
    why = _explain(run, state)
    attempts = state["failed_logins"].get(USER, 0)
    assert attempts > 0 and state["logins"] == {}, why
    assert run.final["02 /wp-login.php"] == (attempts, attempts), why  # the login step failed
    assert state["published"] == {} and state["posts"] == {}, why
    assert state["sentinel_intact"], why


@pytest.fixture()
def password_env(monkeypatch: pytest.MonkeyPatch, script: tuple[Path, str, str]) -> None:
    monkeypatch.setenv(script[2], _password())


def test_verify_passes_on_a_fresh_blog(wordpress: type, password_env: None) -> None:
    from har2locust_plus.verify.core import verify

    with wordpress() as blog:
        outcome = verify(HAR, blog.url, Options())
        state = blog.state()
    assert outcome.passed, (outcome.final.verdict(), state)
    assert state["trashed"] == state["published"] != {}, state
    assert state["sentinel_intact"], state
