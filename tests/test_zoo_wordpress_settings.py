"""Zoo: WordPress's Settings → General, a form that shows every setting filled in, replayed.

The HAR (``fixtures/zoo/wordpress/wordpress-settings.har``, recorded in Chromium by
``record_settings.py``) logs in, opens Settings → General, changes the tagline alone and saves
(``POST /wp-admin/options.php`` with every field of the form: the site's title, the
administrator's address, the date and time formats … as the page showed them), then logs out.
Each test starts a fresh blog where another administrator (Carol) renamed the site first, and
reads the options from WordPress's database.

One user: WordPress keeps the "Settings saved." notice in one transient for the whole site.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

from har2locust_plus.stages.correlate import html as correlate_html

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "wordpress" / "wordpress-settings.har"
# one user: WordPress keeps the "Settings saved." message for the page after the save in one
# transient for the whole site, so two users saving at once may each show the other's
USERS, SECONDS = 1, 8
CAROLS_ZONE = "Europe/Paris"  # and moved it to her time zone
CAROLS_TITLE = "Carol renamed the blog"  # no quote: WordPress stores titles HTML-escaped


@pytest.fixture(scope="module")
def wordpress() -> type:
    """The launcher class; skips the module when WordPress or MariaDB is not installed."""
    from fixtures.zoo.wordpress import server

    reason = server.missing()
    if reason:
        pytest.skip(f"WordPress zoo app cannot run: {reason}")
    return server.WordPress


def _replay(wordpress: type, path: Path, origin: str, env_var: str,
            workdir: Path) -> tuple[LocustRun, dict[str, str | None]]:
    from fixtures.zoo.wordpress.server import PASSWORD

    with wordpress(port=port_other_than(origin)) as blog:
        recorded_title = blog.option("blogname")
        blog.set_option("blogname", CAROLS_TITLE)
        blog.set_option("timezone_string", CAROLS_ZONE)
        run = run_against(path, blog.url, workdir, env_var, PASSWORD, seconds=SECONDS,
                          users=USERS)
        state = {name: blog.option(name) for name in
                 ("blogname", "blogdescription", "timezone_string", "date_format")}
    state["recorded_title"] = recorded_title
    return run, state


def test_the_settings_the_user_left_are_sent_as_the_server_has_them(
        wordpress: type, tmp_path: Path) -> None:
    """The tagline is the run's (made fresh from the time), and the title and time zone Carol
    gave the site are still hers: the form's other fields are read from the live page."""
    path, origin, env_var = convert_to_file(HAR, tmp_path)
    code = path.read_text("utf-8")
    assert '"blogname": self.blogname' in code and '"blogname": "Zoo Blog"' not in code
    assert '"timezone_string": self.timezone_string' in code
    run, state = _replay(wordpress, path, origin, env_var, tmp_path)
    why = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["blogname"] == CAROLS_TITLE and state["timezone_string"] == CAROLS_ZONE, why
    assert str(state["blogdescription"]).startswith("Zoo tagline "), why


def test_a_settings_form_sent_as_recorded_writes_over_what_others_set(
        wordpress: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why: with the form's fields sent as recorded (the rule left out), the run "passes" with
    no failure while every save puts the recording's title and time zone back over Carol's."""
    monkeypatch.setattr(correlate_html, "_prefilled", lambda elements: False)
    monkeypatch.setattr(correlate_html, "_filled_choices", lambda step, tree, wanted: iter(()))
    path, origin, env_var = convert_to_file(HAR, tmp_path)
    run, state = _replay(wordpress, path, origin, env_var, tmp_path)
    why = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.failed == 0, why
    assert state["blogname"] == state["recorded_title"] != CAROLS_TITLE, why
    assert state["timezone_string"] != CAROLS_ZONE, why
