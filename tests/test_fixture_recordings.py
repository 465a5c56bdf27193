"""The fixture recordings are made with the project's own recorder (issue 14).

Each fixture app's ``record.py`` (``fixtures/record.py`` for the notes app, the zoo's
``fixtures/zoo/<app>/record.py``) records through :func:`har2locust_plus.record.record`; here each
one runs for real, as a subprocess, into a temporary directory (the committed HARs, which the
other tests and the golden files read, are never touched), and what it wrote must be a usable
recording: entries with their bodies, ``Set-Cookie`` where the app sets cookies, every request
to 127.0.0.1, and ``har2locust-plus`` converts it (exit 0). Each script also checks the app's
own state after its journey and fails otherwise. About 100 s in all (the journeys pause between
steps on purpose); needs Chromium at /usr/bin/chromium and Playwright, DokuWiki's and
MediaWiki's also Debian's ``dokuwiki`` or ``mediawiki`` (with php-cli and php-sqlite3),
WordPress's Debian's ``wordpress`` with MariaDB (see ``fixtures/zoo/wordpress/server.py``),
Redmine's Debian's ``redmine`` and ``redmine-sqlite``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
RECORD_TIMEOUT = 180  # seconds; a recording takes 8-30 s

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="no Playwright (pip install 'har2locust-plus[record]')"),
]


def _php_app_missing(script: str) -> str | None:
    """Why the Debian app a record script needs (DokuWiki, MediaWiki, WordPress, phpMyAdmin,
    Adminer, Jupyter, Roundcube and Dovecot, Redmine, Mono for the WebForms shop, Node.js for the
    Next.js, SvelteKit, Express and Workbox apps, Tomcat and its Manager, Request Tracker,
    Fossil, ikiwiki and lighttpd, Cacti, Gitit, Radicale, Icinga Web 2, Tryton, Node.js for
    Directus and Strapi, Debian's Laravel and Symfony) cannot run here, or None."""
    if "dokuwiki" in script:
        from fixtures.zoo.dokuwiki import server
    elif "mediawiki" in script:
        from fixtures.zoo.mediawiki import server  # type: ignore[no-redef]
    elif "wordpress" in script:
        from fixtures.zoo.wordpress import server  # type: ignore[no-redef]
    elif "redmine" in script:
        from fixtures.zoo.redmine import server  # type: ignore[no-redef]
    elif "phpmyadmin" in script:
        from fixtures.zoo.phpmyadmin import server  # type: ignore[no-redef]
    elif "adminer" in script:
        from fixtures.zoo.adminer import server  # type: ignore[no-redef]
    elif "jupyter" in script:
        from fixtures.zoo.jupyter import server  # type: ignore[no-redef]
    elif "roundcube" in script:
        from fixtures.zoo.roundcube import server  # type: ignore[no-redef]
    elif "webforms" in script:
        from fixtures.zoo.webforms import server  # type: ignore[no-redef]
    elif "nextjs" in script:
        from fixtures.zoo.nextjs import server  # type: ignore[no-redef]
    elif "nodered" in script:
        from fixtures.zoo.nodered import server  # type: ignore[no-redef]
    elif "sveltekit" in script:
        from fixtures.zoo.sveltekit import server  # type: ignore[no-redef]
    elif "express" in script:
        from fixtures.zoo.express import server  # type: ignore[no-redef]
    elif "workbox" in script:
        from fixtures.zoo.workbox import server  # type: ignore[no-redef]
    elif "laravel" in script:
        from fixtures.zoo.laravel import server  # type: ignore[no-redef]
    elif "symfony" in script:
        from fixtures.zoo.symfony import server  # type: ignore[no-redef]
    elif "zoo/rails/" in script:
        from fixtures.zoo.rails import server  # type: ignore[no-redef]
    elif "tomcat" in script:
        from fixtures.zoo.tomcat import server  # type: ignore[no-redef]
    elif "zoo/rt/" in script:
        from fixtures.zoo.rt import server  # type: ignore[no-redef]
    elif "fossil" in script:
        from fixtures.zoo.fossil import server  # type: ignore[no-redef]
    elif "ikiwiki" in script:
        from fixtures.zoo.ikiwiki import server  # type: ignore[no-redef]
    elif "tryton" in script:
        from fixtures.zoo.tryton import server  # type: ignore[no-redef]
    elif "directus" in script:
        from fixtures.zoo.directus import server  # type: ignore[no-redef]
    elif "zoo/strapi/" in script:
        from fixtures.zoo.strapi import server  # type: ignore[no-redef]
    elif "cacti" in script:
        from fixtures.zoo.cacti import server  # type: ignore[no-redef]
    elif "gitit" in script:
        from fixtures.zoo.gitit import server  # type: ignore[no-redef]
    elif "radicale" in script:
        from fixtures.zoo.radicale import server  # type: ignore[no-redef]
    elif "icingaweb" in script:
        from fixtures.zoo.icingaweb import server  # type: ignore[no-redef]
    elif "zabbix" in script:
        from fixtures.zoo.zabbix import server  # type: ignore[no-redef]
    elif "postfixadmin" in script:
        from fixtures.zoo.postfixadmin import server  # type: ignore[no-redef]
    elif "syncthing" in script:
        from fixtures.zoo.syncthing import server  # type: ignore[no-redef]
    elif "transmission" in script:
        from fixtures.zoo.transmission import server  # type: ignore[no-redef]
    elif "deluge" in script:
        from fixtures.zoo.deluge import server  # type: ignore[no-redef]
    elif "zoo/ghost/" in script:
        from fixtures.zoo.ghost import server  # type: ignore[no-redef]
    elif "pgadmin" in script:
        from fixtures.zoo.pgadmin import server  # type: ignore[no-redef]
    elif "ttrss" in script:
        from fixtures.zoo.ttrss import server  # type: ignore[no-redef]
    elif "octoprint" in script:
        from fixtures.zoo.octoprint import server  # type: ignore[no-redef]
    elif "zoo/changedetection/" in script:
        from fixtures.zoo.changedetection import server  # type: ignore[no-redef]
    elif "zoo/kinto/" in script:
        from fixtures.zoo.kinto import server  # type: ignore[no-redef]
    elif "zoo/plone/" in script:
        from fixtures.zoo.plone import server  # type: ignore[no-redef]
    elif "simplesaml" in script:
        from fixtures.zoo.simplesaml import server  # type: ignore[no-redef]
    elif "zoo/pretix/" in script:
        from fixtures.zoo.pretix import server  # type: ignore[no-redef]
    else:
        return None
    return server.missing()


def _cancelled_by_the_page(entry: dict) -> bool:
    """A request the page's script had in flight when the journey's click left the page
    (WordPress's heartbeat, a prefetch), or a frame's static placeholder page that the app's
    script replaced while it loaded (Roundcube's ``watermark.html``), or an image of a
    ``blob:`` URL the page made and let go again while it loaded (Tryton's client builds its
    menu's icons twice): the browser cancels it, which is no failure of the app or of the
    recording. A blocked or refused request, or a page of the app's own, still is."""
    if entry["response"].get("_failureText") != "net::ERR_ABORTED":
        return False
    kind = entry.get("_resourceType")
    if entry["request"]["url"].startswith("blob:"):  # the page's own, never the network's
        return True
    return kind in ("xhr", "fetch", "ping", "beacon", "other") or (
        kind == "document" and entry["request"]["method"] == "GET"
        and urlsplit(entry["request"]["url"]).path.endswith((".html", ".htm")))


# app, its record script, how to point it at a directory, {HAR written: does the app set cookies
# on that journey}; the notes app's Firefox-style HAR is derived from its notes journey.
RECORDINGS = [
    pytest.param("fixtures/record.py", ("--out-dir", "{dir}"),
                 {"public-browsing.har": False, "notes-journey.har": True,
                  "api-journey.har": False, "drafts-journey.har": True,
                  "exports-journey.har": False,
                  "notes-journey.firefox.har": True}, id="notes"),
    pytest.param("fixtures/zoo/djangoadmin/record.py", ("--out", "{dir}/djangoadmin.har"),
                 {"djangoadmin.har": True}, id="djangoadmin"),
    pytest.param("fixtures/zoo/djangospa/record.py", ("--out", "{dir}/djangospa.har"),
                 {"djangospa.har": True}, id="djangospa"),
    pytest.param("fixtures/zoo/dokuwiki/record.py", ("--out", "{dir}/dokuwiki.har"),
                 {"dokuwiki.har": True}, id="dokuwiki"),
    pytest.param("fixtures/zoo/htmx/record.py", ("--out", "{dir}/htmx.har"),
                 {"htmx.har": True}, id="htmx"),
    pytest.param("fixtures/zoo/flaskadmin/record.py", ("--out", "{dir}/flaskadmin.har"),
                 {"flaskadmin.har": True}, id="flaskadmin"),
    pytest.param("fixtures/zoo/roundup/record.py", ("--out", "{dir}/roundup.har"),
                 {"roundup.har": True}, id="roundup"),
    pytest.param("fixtures/zoo/oscar/record.py", ("--out", "{dir}/oscar.har"),
                 {"oscar.har": True}, id="oscar"),
    pytest.param("fixtures/zoo/mediawiki/record.py", ("--out", "{dir}/mediawiki.har"),
                 {"mediawiki.har": True}, id="mediawiki"),
    pytest.param("fixtures/zoo/wordpress/record.py", ("--out", "{dir}/wordpress.har"),
                 {"wordpress.har": True}, id="wordpress"),
    pytest.param("fixtures/zoo/wordpress/record_settings.py",
                 ("--out", "{dir}/wordpress-settings.har"),
                 {"wordpress-settings.har": True}, id="wordpress-settings"),
    pytest.param("fixtures/zoo/phpmyadmin/record.py", ("--out", "{dir}/phpmyadmin.har"),
                 {"phpmyadmin.har": True}, id="phpmyadmin"),
    pytest.param("fixtures/zoo/adminer/record.py", ("--out", "{dir}/adminer.har"),
                 {"adminer.har": True}, id="adminer"),
    pytest.param("fixtures/zoo/tomcat/record.py", ("--out", "{dir}/tomcat.har"),
                 {"tomcat.har": True}, id="tomcat"),
    pytest.param("fixtures/zoo/rt/record.py", ("--out", "{dir}/rt.har"),
                 {"rt.har": True}, id="rt"),
    pytest.param("fixtures/zoo/icingaweb/record.py", ("--out", "{dir}/icingaweb.har"),
                 {"icingaweb.har": True}, id="icingaweb"),
    pytest.param("fixtures/zoo/zabbix/record.py", ("--out", "{dir}/zabbix.har"),
                 {"zabbix.har": True}, id="zabbix"),
    pytest.param("fixtures/zoo/postfixadmin/record.py", ("--out", "{dir}/postfixadmin.har"),
                 {"postfixadmin.har": True}, id="postfixadmin"),
    pytest.param("fixtures/zoo/simplesaml/record.py", ("--out", "{dir}/simplesaml.har"),
                 {"simplesaml.har": True}, id="simplesaml"),
    pytest.param("fixtures/zoo/syncthing/record.py", ("--out", "{dir}/syncthing.har"),
                 {"syncthing.har": True}, id="syncthing"),
    pytest.param("fixtures/zoo/transmission/record.py", ("--out", "{dir}/transmission.har"),
                 {"transmission.har": False}, id="transmission"),
    pytest.param("fixtures/zoo/deluge/record.py", ("--out", "{dir}/deluge.har"),
                 {"deluge.har": True}, id="deluge"),
    pytest.param("fixtures/zoo/ghost/record.py", ("--out", "{dir}/ghost.har"),
                 {"ghost.har": True}, id="ghost",
                 marks=pytest.mark.timeout(900)),  # Ghost may be installed first: 3-5 min
    pytest.param("fixtures/zoo/pgadmin/record.py", ("--out", "{dir}/pgadmin.har"),
                 {"pgadmin.har": True}, id="pgadmin"),
    pytest.param("fixtures/zoo/ttrss/record.py", ("--out", "{dir}/ttrss.har"),
                 {"ttrss.har": True}, id="ttrss"),
    pytest.param("fixtures/zoo/octoprint/record.py", ("--out", "{dir}/octoprint.har"),
                 {"octoprint.har": True}, id="octoprint"),
    pytest.param("fixtures/zoo/octoprint/record.py",
                 ("--print", "--out", "{dir}/octoprint-print.har"),
                 {"octoprint-print.har": True}, id="octoprint-print"),
    pytest.param("fixtures/zoo/changedetection/record.py",
                 ("--out", "{dir}/changedetection.har"),
                 {"changedetection.har": True}, id="changedetection"),
    pytest.param("fixtures/zoo/kinto/record.py", ("--out", "{dir}/kinto.har"),
                 {"kinto.har": False}, id="kinto"),  # HTTP Basic from the admin's script
    pytest.param("fixtures/zoo/plone/record.py", ("--out", "{dir}/plone.har"),
                 {"plone.har": True}, id="plone"),
    pytest.param("fixtures/zoo/pretix/record.py", ("--out", "{dir}/pretix.har"),
                 {"pretix.har": True}, id="pretix",
                 marks=pytest.mark.timeout(900)),  # pretix may be installed first: 2-4 min
    pytest.param("fixtures/zoo/pretix/record.py", ("--control", "--out",
                                                    "{dir}/pretix-control.har"),
                 {"pretix-control.har": True}, id="pretix-control",
                 marks=pytest.mark.timeout(900)),
    pytest.param("fixtures/zoo/radicale/record.py", ("--out", "{dir}/radicale.har"),
                 {"radicale.har": False}, id="radicale"),
    pytest.param("fixtures/zoo/gitit/record.py", ("--out", "{dir}/gitit.har"),
                 {"gitit.har": True}, id="gitit"),
    pytest.param("fixtures/zoo/cacti/record.py", ("--out", "{dir}/cacti.har"),
                 {"cacti.har": True}, id="cacti"),
    pytest.param("fixtures/zoo/fossil/record.py", ("--out", "{dir}/fossil.har"),
                 {"fossil.har": True}, id="fossil"),
    pytest.param("fixtures/zoo/ikiwiki/record.py", ("--out", "{dir}/ikiwiki.har"),
                 {"ikiwiki.har": True}, id="ikiwiki"),
    pytest.param("fixtures/zoo/tryton/record.py", ("--out", "{dir}/tryton.har"),
                 {"tryton.har": True}, id="tryton"),
    pytest.param("fixtures/zoo/directus/record.py", ("--out", "{dir}/directus.har"),
                 {"directus.har": True}, id="directus",
                 marks=pytest.mark.timeout(900)),  # Directus may be installed first: 3-5 min
    pytest.param("fixtures/zoo/strapi/record.py", ("--out", "{dir}/strapi.har"),
                 {"strapi.har": True}, id="strapi",
                 marks=pytest.mark.timeout(900)),  # Strapi may be installed first: 3-5 min
    pytest.param("fixtures/zoo/jupyter/record.py", ("--out", "{dir}/jupyter.har"),
                 {"jupyter.har": True}, id="jupyter"),
    pytest.param("fixtures/zoo/roundcube/record.py", ("--out", "{dir}/roundcube.har"),
                 {"roundcube.har": True}, id="roundcube"),
    pytest.param("fixtures/zoo/redmine/record.py", ("--out", "{dir}/redmine.har"),
                 {"redmine.har": True}, id="redmine"),
    pytest.param("fixtures/zoo/redmine/record_shared.py",
                 ("--out", "{dir}/redmine-shared.har"),
                 {"redmine-shared.har": True}, id="redmine-shared"),
    pytest.param("fixtures/zoo/redmine/record_signup.py",
                 ("--out", "{dir}/redmine-signup.har"),
                 {"redmine-signup.har": True}, id="redmine-signup"),
    pytest.param("fixtures/zoo/wagtailcms/record.py", ("--out", "{dir}/wagtailcms.har"),
                 {"wagtailcms.har": True}, id="wagtailcms"),
    pytest.param("fixtures/zoo/webforms/record.py", ("--out", "{dir}/webforms.har"),
                 {"webforms.har": True}, id="webforms"),
    pytest.param("fixtures/zoo/nextjs/record.py", ("--out", "{dir}/nextjs.har"),
                 {"nextjs.har": True}, id="nextjs"),
    pytest.param("fixtures/zoo/nodered/record.py", ("--out", "{dir}/nodered.har"),
                 {"nodered.har": False}, id="nodered"),
    pytest.param("fixtures/zoo/express/record.py", ("--out", "{dir}/express.har"),
                 {"express.har": True}, id="express"),
    pytest.param("fixtures/zoo/workbox/record.py", ("--out", "{dir}/workbox.har"),
                 {"workbox.har": True}, id="workbox"),
    pytest.param("fixtures/zoo/laravel/record.py", ("--out", "{dir}/laravel.har"),
                 {"laravel.har": True}, id="laravel"),
    pytest.param("fixtures/zoo/symfony/record.py", ("--out", "{dir}/symfony.har"),
                 {"symfony.har": True}, id="symfony"),
    pytest.param("fixtures/zoo/rails/record.py", ("--out", "{dir}/rails.har"),
                 {"rails.har": True}, id="rails"),
    pytest.param("fixtures/zoo/sveltekit/record.py", ("--out", "{dir}/sveltekit.har"),
                 {"sveltekit.har": True}, id="sveltekit"),
    pytest.param("fixtures/zoo/trac/record.py", ("--out", "{dir}/trac.har"),
                 {"trac.har": True}, id="trac"),
    pytest.param("fixtures/zoo/flaskwtf/record.py", ("--out", "{dir}/flaskwtf.har"),
                 {"flaskwtf.har": True}, id="flaskwtf"),
    pytest.param("fixtures/zoo/graphql/record.py", ("--out", "{dir}/graphql.har"),
                 {"graphql.har": False}, id="graphql"),  # the token travels in a header
    pytest.param("fixtures/zoo/fastapi/record.py", ("--out", "{dir}/fastapi.har"),
                 {"fastapi.har": False}, id="fastapi"),  # a JWT in a header, no cookie
    pytest.param("fixtures/zoo/smorest/record.py", ("--out", "{dir}/smorest.har"),
                 {"smorest.har": True}, id="smorest"),
    pytest.param("fixtures/zoo/djangoinline/record.py", ("--out", "{dir}/djangoinline.har"),
                 {"djangoinline.har": True}, id="djangoinline"),
    pytest.param("fixtures/zoo/drf/record.py", ("--out", "{dir}/drf.har"),
                 {"drf.har": True}, id="drf"),
    pytest.param("fixtures/zoo/sqladmin/record.py", ("--out", "{dir}/sqladmin.har"),
                 {"sqladmin.har": True}, id="sqladmin"),
    pytest.param("fixtures/zoo/oauth/record.py", ("--out", "{dir}/oauth.har"),
                 {"oauth.har": True}, id="oauth"),
]


def _committed_hars() -> dict[Path, tuple[int, int]]:
    return {path: (path.stat().st_mtime_ns, path.stat().st_size)
            for path in (REPO_ROOT / "fixtures").rglob("*.har")}


def _environment() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
            "PYTHONPATH": str(REPO_ROOT)}


def _run_recorder(script: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python <script> <args>``, bounded: past the timeout it gets SIGTERM (the recorder then
    saves and the script stops its app), then its process group SIGKILL."""
    proc = subprocess.Popen([sys.executable, str(REPO_ROOT / script), *args], cwd=cwd,
                            env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=RECORD_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            stdout, stderr = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate(timeout=20)
        pytest.fail(f"{script} took more than {RECORD_TIMEOUT} s:\n{stdout}\n{stderr}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.mark.parametrize(("script", "out_args", "hars"), RECORDINGS)
def test_a_fixture_app_is_recorded_with_the_recorder(tmp_path: Path, script: str,
                                                     out_args: tuple[str, ...],
                                                     hars: dict[str, bool]) -> None:
    if reason := _php_app_missing(script):
        pytest.skip(f"zoo app of {script} cannot run: {reason}")
    if "zoo/ghost/" in script:  # installed here, within this test's timeout, not the recorder's
        from fixtures.zoo.ghost.server import installed

        installed()
    elif "zoo/directus/" in script:
        from fixtures.zoo.directus.server import installed  # type: ignore[no-redef]

        installed()
    elif "zoo/strapi/" in script:
        from fixtures.zoo.strapi.server import installed  # type: ignore[no-redef]

        installed()
    elif "zoo/pretix/" in script:
        from fixtures.zoo.pretix.server import installed  # type: ignore[no-redef]

        installed()
    elif "zoo/changedetection/" in script:
        from fixtures.zoo.changedetection.server import installed  # type: ignore[no-redef]

        installed()
    elif "zoo/kinto/" in script:
        from fixtures.zoo.kinto.server import installed  # type: ignore[no-redef]

        installed()
    elif "zoo/plone/" in script:
        from fixtures.zoo.plone.server import installed  # type: ignore[no-redef]

        installed()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    committed = _committed_hars()
    done = _run_recorder(script, [arg.format(dir=out_dir) for arg in out_args], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr

    assert sorted(os.listdir(out_dir)) == sorted(hars)
    for name, sets_cookies in hars.items():
        har = out_dir / name
        if not name.endswith(".firefox.har"):  # written by har2locust_plus.record
            # one host, or the app's pages asked others, refused and dropped (Ghost's admin)
            hosts = "hosts (127.0.0.1:" if f"{name}: dropped " in done.stderr else \
                "from 1 host (127.0.0.1:"
            assert hosts in done.stderr and f"→ {har}\n" in done.stderr, done.stderr
        entries = json.loads(har.read_text("utf-8"))["log"]["entries"]
        assert entries, name
        # (blob: and data: URLs are the page's own: Tryton's client shows its icons as blobs)
        assert {urlsplit(e["request"]["url"]).hostname for e in entries
                if not e["request"]["url"].startswith(("blob:", "data:"))} == {"127.0.0.1"}, name
        failed = [(e["request"]["method"], e["request"]["url"], e.get("_resourceType"),
                   e["response"].get("_failureText")) for e in entries
                  if e["response"]["status"] <= 0 and not _cancelled_by_the_page(e)]
        assert failed == [], (name, failed)  # none failed or blocked
        assert any(e["response"]["content"].get("text") for e in entries), name  # bodies embedded
        if name == "simplesaml.har":  # the page that posts the assertion at once kept its body
            [posting] = [e for e in entries if e["request"]["method"] == "POST"
                         and "loginuserpass" in e["request"]["url"]]
            assert 'name="SAMLResponse"' in posting["response"]["content"].get("text", ""), name
        set_cookie = any(h["name"].lower() == "set-cookie"
                         for e in entries for h in e["response"]["headers"])
        assert set_cookie == sets_cookies, name

        script_path = tmp_path / (name.removesuffix(".har") + ".py")
        converted = subprocess.run([sys.executable, "-m", "har2locust_plus", str(har), "-o",
                                    str(script_path)], capture_output=True, text=True,
                                   timeout=120, cwd=tmp_path, env=_environment())
        assert converted.returncode == 0, (name, converted.stderr)
        compile(script_path.read_text("utf-8"), str(script_path), "exec")

    assert _committed_hars() == committed  # the tests' and golden files' HARs were left alone
