"""Zoo (issue 12): every journey also replays on the port it was recorded on.

The other ``test_zoo_*.py`` modules replay each HAR against a fresh instance on a free port, so
a recorded origin that leaked into the script (an absolute URL, an ``Origin`` header, a redirect
target) breaks them. This module covers the other half of the acceptance: a FRESH instance (new
secrets, ids, tokens) listening on the recorded port itself, where such a leak would go unseen
but a value replayed instead of correlated still fails. Each app's own module judges the
server-side lifecycle, with the same assertions it makes on another port. When the recorded
port is taken on this machine, the test skips and says by what.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import test_zoo_adminer as adminer
import test_zoo_cacti as cacti
import test_zoo_changedetection as changedetection
import test_zoo_deluge as deluge
import test_zoo_directus as directus
import test_zoo_djangoadmin as djangoadmin
import test_zoo_djangoinline as djangoinline
import test_zoo_djangospa as djangospa
import test_zoo_dokuwiki as dokuwiki
import test_zoo_drf as drf
import test_zoo_express as express
import test_zoo_fastapi as fastapi
import test_zoo_flaskadmin as flaskadmin
import test_zoo_flaskwtf as flaskwtf
import test_zoo_fossil as fossil
import test_zoo_ghost as ghost
import test_zoo_gitit as gitit
import test_zoo_graphql as graphql
import test_zoo_htmx as htmx
import test_zoo_icingaweb as icingaweb
import test_zoo_ikiwiki as ikiwiki
import test_zoo_jupyter as jupyter
import test_zoo_kinto as kinto
import test_zoo_laravel as laravel
import test_zoo_mediawiki as mediawiki
import test_zoo_nextjs as nextjs
import test_zoo_nodered as nodered
import test_zoo_oauth as oauth
import test_zoo_oscar as oscar
import test_zoo_pgadmin as pgadmin
import test_zoo_phpmyadmin as phpmyadmin
import test_zoo_plone as plone
import test_zoo_postfixadmin as postfixadmin
import test_zoo_radicale as radicale
import test_zoo_rails as rails
import test_zoo_redmine as redmine
import test_zoo_roundcube as roundcube
import test_zoo_roundup as roundup
import test_zoo_rt as rt
import test_zoo_simplesaml as simplesaml
import test_zoo_smorest as smorest
import test_zoo_sqladmin as sqladmin
import test_zoo_strapi as strapi
import test_zoo_sveltekit as sveltekit
import test_zoo_symfony as symfony
import test_zoo_syncthing as syncthing
import test_zoo_tomcat as tomcat
import test_zoo_trac as trac
import test_zoo_transmission as transmission
import test_zoo_tryton as tryton
import test_zoo_ttrss as ttrss
import test_zoo_wagtailcms as wagtailcms
import test_zoo_webforms as webforms
import test_zoo_wordpress as wordpress
import test_zoo_workbox as workbox
import test_zoo_zabbix as zabbix
import zoo_runs
from conftest import ZOO_STOP_TIMEOUT, LocustRun, locust_headless

from fixtures.zoo.instance import free_port
from har2locust_plus import Options, ThinkTime, convert

pytestmark = [pytest.mark.e2e]

ZOO_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "zoo"
USERS, SECONDS = 2, 6  # thirty-five apps in a row: about six minutes


@dataclass(frozen=True)
class Outcome:
    """One Locust run against one fresh instance, and the server's own state around it."""

    run: LocustRun
    before: dict[str, Any]
    after: dict[str, Any]
    url: str


@dataclass(frozen=True)
class Zoo:
    """One zoo app: how to start it on a port, the recorded password, how to judge a run."""

    name: str
    launcher: Callable[[int], Any]  # port -> an unstarted launcher (a context manager)
    password: str
    judge: Callable[[Outcome], None]  # the app's own module's assertions
    missing: Callable[[], str | None] = lambda: None  # why the app cannot run here
    unique: tuple[str, ...] = ()  # fields made unique per run (--unique), as its module does
    users: int = USERS  # Locust users (one per account where an account holds state: a basket)
    secret: str = "password"  # the kind of the script's secret that ``password`` is given to
    # the values of the script's later secrets of that kind, in order (a password the journey
    # typed for a user it adds)
    more_secrets: tuple[str, ...] = ()
    seconds: int = SECONDS  # Locust's run time (then a run of the flow may end in 15 s)
    timeout: int | None = None  # the test's own, where the app may be installed first
    # the seconds a run of the flow under way may take to finish once the time is up
    stop_timeout: str = ZOO_STOP_TIMEOUT

    @property
    def har(self) -> Path:
        return ZOO_DIR / self.name / f"{self.name}.har"


def _djangospa(port: int) -> Any:
    from fixtures.zoo.djangospa.server import DjangoSpaApp

    return DjangoSpaApp(port=port)


def _djangoadmin(port: int) -> Any:
    from fixtures.zoo.djangoadmin.server import DjangoAdminApp

    return DjangoAdminApp(port=port)


def _flaskwtf(port: int) -> Any:
    from fixtures.zoo.flaskwtf.server import FlaskWtfApp

    return FlaskWtfApp(port=port)


def _oauth(port: int) -> Any:
    from fixtures.zoo.oauth.server import OAuthApp

    return OAuthApp(port=port)


def _graphql(port: int) -> Any:
    from fixtures.zoo.graphql.server import GraphQLApp

    return GraphQLApp(port=port)


def _fastapi(port: int) -> Any:
    from fixtures.zoo.fastapi.server import FastAPIApp

    return FastAPIApp(port=port)


def _smorest(port: int) -> Any:
    from fixtures.zoo.smorest.server import SmorestApp

    return SmorestApp(port=port)


def _djangoinline(port: int) -> Any:
    from fixtures.zoo.djangoinline.server import DjangoInlineApp

    return DjangoInlineApp(port=port)


def _drf(port: int) -> Any:
    from fixtures.zoo.drf.server import DrfApp

    return DrfApp(port=port)


def _sqladmin(port: int) -> Any:
    from fixtures.zoo.sqladmin.server import SQLAdminApp

    return SQLAdminApp(port=port)


def _htmx(port: int) -> Any:
    from fixtures.zoo.htmx.server import HtmxApp

    return HtmxApp(port=port)


def _dokuwiki(port: int) -> Any:
    from fixtures.zoo.dokuwiki.server import DokuWiki

    return DokuWiki(port=port)


def _dokuwiki_missing() -> str | None:
    from fixtures.zoo.dokuwiki.server import missing

    return missing()


def _mediawiki(port: int) -> Any:
    from fixtures.zoo.mediawiki.server import MediaWiki

    return MediaWiki(port=port)


def _mediawiki_missing() -> str | None:
    from fixtures.zoo.mediawiki.server import missing

    return missing()


def _mediawiki_password() -> str:
    from fixtures.zoo.mediawiki.server import PASSWORD

    return PASSWORD


def _wordpress(port: int) -> Any:
    from fixtures.zoo.wordpress.server import WordPress

    return WordPress(port=port)


def _wordpress_missing() -> str | None:
    from fixtures.zoo.wordpress.server import missing

    return missing()


def _wordpress_password() -> str:
    from fixtures.zoo.wordpress.server import PASSWORD

    return PASSWORD


def _jupyter(port: int) -> Any:
    from fixtures.zoo.jupyter.server import Notebook

    return Notebook(port=port)


def _jupyter_missing() -> str | None:
    from fixtures.zoo.jupyter.server import missing

    return missing()


def _jupyter_password() -> str:
    from fixtures.zoo.jupyter.server import PASSWORD

    return PASSWORD


def _phpmyadmin(port: int) -> Any:
    from fixtures.zoo.phpmyadmin.server import PhpMyAdmin

    return PhpMyAdmin(port=port)


def _phpmyadmin_missing() -> str | None:
    from fixtures.zoo.phpmyadmin.server import missing

    return missing()


def _phpmyadmin_password() -> str:
    from fixtures.zoo.phpmyadmin.server import PASSWORD

    return PASSWORD


def _adminer(port: int) -> Any:
    from fixtures.zoo.adminer.server import Adminer

    return Adminer(port=port)


def _adminer_missing() -> str | None:
    from fixtures.zoo.adminer.server import missing

    return missing()


def _adminer_password() -> str:
    from fixtures.zoo.adminer.server import PASSWORD

    return PASSWORD


def _rt(port: int) -> Any:
    from fixtures.zoo.rt.server import RequestTracker

    return RequestTracker(port=port)


def _rt_missing() -> str | None:
    from fixtures.zoo.rt.server import missing

    return missing()


def _cacti(port: int) -> Any:
    from fixtures.zoo.cacti.server import Cacti

    return Cacti(port=port)


def _cacti_missing() -> str | None:
    from fixtures.zoo.cacti.server import missing

    return missing()


def _icingaweb(port: int) -> Any:
    from fixtures.zoo.icingaweb.server import IcingaWeb

    return IcingaWeb(port=port)


def _icingaweb_missing() -> str | None:
    from fixtures.zoo.icingaweb.server import missing

    return missing()


def _postfixadmin(port: int) -> Any:
    from fixtures.zoo.postfixadmin.server import PostfixAdmin

    return PostfixAdmin(port=port)


def _postfixadmin_missing() -> str | None:
    from fixtures.zoo.postfixadmin.server import missing

    return missing()


def _simplesaml(port: int) -> Any:
    from fixtures.zoo.simplesaml.server import SimpleSaml

    return SimpleSaml(port=port)


def _simplesaml_missing() -> str | None:
    from fixtures.zoo.simplesaml.server import missing

    return missing()


def _syncthing(port: int) -> Any:
    from fixtures.zoo.syncthing.server import Syncthing

    return Syncthing(port=port)


def _syncthing_missing() -> str | None:
    from fixtures.zoo.syncthing.server import missing

    return missing()


def _deluge(port: int) -> Any:
    from fixtures.zoo.deluge.server import Deluge

    return Deluge(port=port)


def _deluge_missing() -> str | None:
    from fixtures.zoo.deluge.server import missing

    return missing()


def _ghost(port: int) -> Any:
    from fixtures.zoo.ghost.server import Ghost

    return Ghost(port=port)


def _ghost_missing() -> str | None:
    from fixtures.zoo.ghost.server import missing

    return missing()


def _transmission(port: int) -> Any:
    from fixtures.zoo.transmission.server import Transmission

    return Transmission(port=port)


def _transmission_missing() -> str | None:
    from fixtures.zoo.transmission.server import missing

    return missing()


def _ttrss(port: int) -> Any:
    from fixtures.zoo.ttrss.server import TinyTinyRss

    return TinyTinyRss(port=port, admin_labels=(ttrss.OTHER_LABEL,))


def _ttrss_missing() -> str | None:
    from fixtures.zoo.ttrss.server import missing

    return missing()


def _pgadmin(port: int) -> Any:
    from fixtures.zoo.pgadmin.server import PgAdmin, installed

    installed()  # pip install once per version of requirements.txt
    return PgAdmin(port=port)


def _pgadmin_missing() -> str | None:
    from fixtures.zoo.pgadmin.server import missing

    return missing()


def _changedetection(port: int) -> Any:
    from fixtures.zoo.changedetection.server import ChangeDetection, installed

    installed()  # pip install once per version of requirements.txt
    return ChangeDetection(port=port)


def _changedetection_missing() -> str | None:
    from fixtures.zoo.changedetection.server import missing

    return missing()


def _kinto(port: int) -> Any:
    from fixtures.zoo.kinto.server import Kinto, installed

    installed()  # pip install once per version of requirements.txt
    return Kinto(port=port)


def _kinto_missing() -> str | None:
    from fixtures.zoo.kinto.server import missing

    return missing()


def _plone(port: int) -> Any:
    from fixtures.zoo.plone.server import Plone, installed

    installed()  # pip install and the template site, once per version of requirements.txt
    return Plone(port=port)


def _plone_missing() -> str | None:
    from fixtures.zoo.plone.server import missing

    return missing()


def _zabbix(port: int) -> Any:
    from fixtures.zoo.zabbix.server import Zabbix

    return Zabbix(port=port)


def _zabbix_missing() -> str | None:
    from fixtures.zoo.zabbix.server import missing

    return missing()


def _radicale(port: int) -> Any:
    from fixtures.zoo.radicale.server import Radicale

    return Radicale(port=port)


def _radicale_missing() -> str | None:
    from fixtures.zoo.radicale.server import missing

    return missing()


def _gitit(port: int) -> Any:
    from fixtures.zoo.gitit.server import Gitit

    return Gitit(port=port)


def _gitit_missing() -> str | None:
    from fixtures.zoo.gitit.server import missing

    return missing()


def _fossil(port: int) -> Any:
    from fixtures.zoo.fossil.server import Fossil

    return Fossil(port=port)


def _fossil_missing() -> str | None:
    from fixtures.zoo.fossil.server import missing

    return missing()


def _ikiwiki(port: int) -> Any:
    from fixtures.zoo.ikiwiki.server import Ikiwiki

    return Ikiwiki(port=port)


def _ikiwiki_missing() -> str | None:
    from fixtures.zoo.ikiwiki.server import missing

    return missing()


def _directus(port: int) -> Any:
    from fixtures.zoo.directus.server import Directus

    return Directus(port=port)


def _directus_missing() -> str | None:
    from fixtures.zoo.directus.server import missing

    return missing()


def _strapi(port: int) -> Any:
    from fixtures.zoo.strapi.server import Strapi

    return Strapi(port=port)


def _strapi_missing() -> str | None:
    from fixtures.zoo.strapi.server import missing

    return missing()


def _tryton(port: int) -> Any:
    from fixtures.zoo.tryton.server import Tryton

    return Tryton(port=port)


def _tryton_missing() -> str | None:
    from fixtures.zoo.tryton.server import missing

    return missing()


def _tomcat(port: int) -> Any:
    from fixtures.zoo.tomcat.server import Tomcat

    return Tomcat(port=port)


def _tomcat_missing() -> str | None:
    from fixtures.zoo.tomcat.server import missing

    return missing()


def _flaskadmin(port: int) -> Any:
    from fixtures.zoo.flaskadmin.server import FlaskAdminApp

    return FlaskAdminApp(port=port)


def _flaskadmin_missing() -> str | None:
    from fixtures.zoo.flaskadmin.server import missing

    return missing()


def _roundup(port: int) -> Any:
    from fixtures.zoo.roundup.server import RoundupApp

    return RoundupApp(port=port)


def _roundup_missing() -> str | None:
    from fixtures.zoo.roundup.server import missing

    return missing()


def _oscar(port: int) -> Any:
    from fixtures.zoo.oscar.server import OscarApp

    return OscarApp(port=port)


def _roundcube(port: int) -> Any:
    from fixtures.zoo.roundcube.server import Roundcube

    return Roundcube(port=port)


def _roundcube_missing() -> str | None:
    from fixtures.zoo.roundcube.server import missing

    return missing()


def _roundcube_password() -> str:
    from fixtures.zoo.roundcube.server import PASSWORD

    return PASSWORD


def _redmine(port: int) -> Any:
    from fixtures.zoo.redmine.server import Redmine

    return Redmine(port=port)


def _redmine_missing() -> str | None:
    from fixtures.zoo.redmine.server import missing

    return missing()


def _trac(port: int) -> Any:
    from fixtures.zoo.trac.server import TracApp

    return TracApp(port=port)


def _trac_missing() -> str | None:
    from fixtures.zoo.trac.server import missing

    return missing()


def _wagtailcms(port: int) -> Any:
    from fixtures.zoo.wagtailcms.server import WagtailApp

    return WagtailApp(port=port)


def _wagtailcms_missing() -> str | None:
    from fixtures.zoo.wagtailcms.server import missing

    return missing()


def _webforms(port: int) -> Any:
    from fixtures.zoo.webforms.server import WebFormsShop

    return WebFormsShop(port=port)


def _webforms_missing() -> str | None:
    from fixtures.zoo.webforms.server import missing

    return missing()


def _express(port: int) -> Any:
    from fixtures.zoo import node
    from fixtures.zoo.express.server import SITE, ExpressNotes

    node.built("express", SITE, "built")  # npm ci, once per version of the site's sources
    return ExpressNotes(port=port)


def _express_missing() -> str | None:
    from fixtures.zoo.express.server import missing

    return missing()


def _workbox(port: int) -> Any:
    from fixtures.zoo import node
    from fixtures.zoo.workbox.server import SITE, WorkboxNotes

    node.built("workbox", SITE, "built")  # npm ci, once per version of the site's sources
    return WorkboxNotes(port=port)


def _workbox_missing() -> str | None:
    from fixtures.zoo.workbox.server import missing

    return missing()


def _laravel(port: int) -> Any:
    from fixtures.zoo.laravel.server import LaravelNotes

    return LaravelNotes(port=port)


def _laravel_missing() -> str | None:
    from fixtures.zoo.laravel.server import missing

    return missing()


def _symfony(port: int) -> Any:
    from fixtures.zoo.symfony.server import SymfonyNotes

    return SymfonyNotes(port=port)


def _symfony_missing() -> str | None:
    from fixtures.zoo.symfony.server import missing

    return missing()


def _rails(port: int) -> Any:
    from fixtures.zoo.rails.server import RailsNotes

    return RailsNotes(port=port)


def _rails_missing() -> str | None:
    from fixtures.zoo.rails.server import missing

    return missing()


def _nextjs(port: int) -> Any:
    from fixtures.zoo.nextjs.server import NextNotes, built_app

    built_app()  # npm ci and next build, once per version of the app's sources
    return NextNotes(port=port)


def _nextjs_missing() -> str | None:
    from fixtures.zoo.nextjs.server import missing

    return missing()


def _nodered(port: int) -> Any:
    from fixtures.zoo.nodered.server import NodeRed

    return NodeRed(port=port)  # npm ci once per version of the site's sources, in _prepare


def _nodered_missing() -> str | None:
    from fixtures.zoo.nodered.server import missing

    return missing()


def _sveltekit(port: int) -> Any:
    from fixtures.zoo.sveltekit.server import SvelteNotes, built_app

    built_app()  # npm ci and vite build, once per version of the app's sources
    return SvelteNotes(port=port)


def _sveltekit_missing() -> str | None:
    from fixtures.zoo.sveltekit.server import missing

    return missing()


def _judge_djangospa(outcome: Outcome) -> None:
    judged = djangospa.Run(outcome.run, outcome.after, outcome.url)
    djangospa.assert_no_failures(judged)
    djangospa.assert_whole_lifecycle(judged, USERS)
    djangospa.assert_sentinels_alone(judged)


def _dokuwiki_password() -> str:
    from fixtures.zoo.dokuwiki.server import PASSWORD

    return PASSWORD


ZOOS = [
    Zoo("djangospa", _djangospa, djangospa.PASSWORD, _judge_djangospa),
    Zoo("djangoadmin", _djangoadmin, djangoadmin.PASSWORD,
        lambda o: djangoadmin.assert_full_lifecycle(o.run, o.after)),
    Zoo("flaskwtf", _flaskwtf, flaskwtf.RECORDED_PASSWORD,
        lambda o: flaskwtf.assert_full_lifecycle(o.run, o.after)),
    # these modules judge what changed during the run (their instances are shared)
    Zoo("oauth", _oauth, oauth.PASSWORD,
        lambda o: oauth.assert_full_lifecycle(o.run, oauth._delta(o.before, o.after))),
    Zoo("graphql", _graphql, graphql.PASSWORD,
        lambda o: graphql.assert_full_lifecycle(o.run, graphql._delta(o.before, o.after))),
    Zoo("fastapi", _fastapi, fastapi.PASSWORD,
        lambda o: fastapi.assert_full_lifecycle(o.run, zoo_runs.delta(o.before, o.after))),
    Zoo("smorest", _smorest, smorest.PASSWORD,
        lambda o: smorest.assert_full_lifecycle(o.run, zoo_runs.delta(o.before, o.after))),
    Zoo("djangoinline", _djangoinline, djangoinline.PASSWORD,
        lambda o: djangoinline.assert_full_lifecycle(o.run, zoo_runs.delta(o.before,
                                                                                o.after))),
    Zoo("drf", _drf, drf.PASSWORD,
        lambda o: drf.assert_full_lifecycle(o.run, zoo_runs.delta(o.before, o.after))),
    Zoo("sqladmin", _sqladmin, sqladmin.PASSWORD,
        lambda o: sqladmin.assert_full_lifecycle(o.run, zoo_runs.delta(o.before, o.after))),
    Zoo("htmx", _htmx, htmx.PASSWORD, lambda o: htmx.assert_full_lifecycle(o.run, o.after)),
    Zoo("dokuwiki", _dokuwiki, _dokuwiki_password(),
        lambda o: dokuwiki.assert_full_lifecycle(o.run, o.after),
        missing=_dokuwiki_missing),
    Zoo("mediawiki", _mediawiki, _mediawiki_password(),
        lambda o: mediawiki.assert_full_lifecycle(o.run, o.after),
        missing=_mediawiki_missing),
    Zoo("redmine", _redmine, redmine.PASSWORD,
        lambda o: redmine.assert_full_lifecycle(o.run, o.after), missing=_redmine_missing),
    Zoo("trac", _trac, trac.PASSWORD, lambda o: trac.assert_full_lifecycle(o.run, o.after),
        missing=_trac_missing),
    Zoo("wagtailcms", _wagtailcms, wagtailcms.PASSWORD,
        lambda o: wagtailcms.assert_full_lifecycle(o.run, o.after),
        missing=_wagtailcms_missing, unique=wagtailcms.UNIQUE),
    Zoo("webforms", _webforms, webforms.PASSWORD,
        lambda o: webforms.assert_full_lifecycle(o.run, o.after), missing=_webforms_missing),
    Zoo("express", _express, express.PASSWORD,
        lambda o: express.assert_full_lifecycle(o.run, o.after), missing=_express_missing),
    Zoo("workbox", _workbox, workbox.PASSWORD,
        lambda o: workbox.assert_full_lifecycle(o.run, o.after), missing=_workbox_missing),
    Zoo("laravel", _laravel, laravel.PASSWORD,
        lambda o: laravel.assert_full_lifecycle(o.run, o.after), missing=_laravel_missing,
        users=laravel.USERS),
    Zoo("symfony", _symfony, symfony.PASSWORD,
        lambda o: symfony.assert_full_lifecycle(o.run, o.after), missing=_symfony_missing,
        users=symfony.USERS),
    Zoo("rails", _rails, rails.PASSWORD,
        lambda o: rails.assert_full_lifecycle(o.run, o.after), missing=_rails_missing,
        users=rails.USERS),
    Zoo("nextjs", _nextjs, nextjs.PASSWORD,
        lambda o: nextjs.assert_full_lifecycle(o.run, o.after), missing=_nextjs_missing),
    Zoo("nodered", _nodered, nodered.PASSWORD,
        lambda o: nodered.assert_full_lifecycle(o.run, o.after), missing=_nodered_missing,
        users=nodered.USERS),
    Zoo("sveltekit", _sveltekit, sveltekit.PASSWORD,
        lambda o: sveltekit.assert_full_lifecycle(o.run, o.after), missing=_sveltekit_missing),
    Zoo("wordpress", _wordpress, _wordpress_password(),
        lambda o: wordpress.assert_full_lifecycle(o.run, o.after),
        missing=_wordpress_missing),
    Zoo("phpmyadmin", _phpmyadmin, _phpmyadmin_password(),
        lambda o: phpmyadmin.assert_full_lifecycle(o.run, o.after),
        missing=_phpmyadmin_missing),
    Zoo("adminer", _adminer, _adminer_password(),
        lambda o: adminer.assert_full_lifecycle(o.run, o.after), missing=_adminer_missing),
    Zoo("rt", _rt, rt.PASSWORD,
        lambda o: rt.assert_full_lifecycle(o.run, o.after), missing=_rt_missing),
    Zoo("cacti", _cacti, cacti.PASSWORD,
        lambda o: cacti.assert_full_lifecycle(o.run, o.after), missing=_cacti_missing),
    Zoo("icingaweb", _icingaweb, icingaweb.PASSWORD,
        lambda o: icingaweb.assert_full_lifecycle(o.run, o.after), missing=_icingaweb_missing,
        more_secrets=(icingaweb.NEW_USERS_PASSWORD,)),
    Zoo("postfixadmin", _postfixadmin, postfixadmin.PASSWORD,
        lambda o: postfixadmin.assert_full_lifecycle(o.run, o.after),
        missing=_postfixadmin_missing, more_secrets=(postfixadmin.MAILBOX_PASSWORD,)),
    Zoo("simplesaml", _simplesaml, simplesaml.PASSWORD,
        lambda o: simplesaml.assert_full_lifecycle(o.run, o.after), missing=_simplesaml_missing),
    Zoo("zabbix", _zabbix, zabbix.PASSWORD,
        lambda o: zabbix.assert_full_lifecycle(o.run, o.after), missing=_zabbix_missing),
    Zoo("syncthing", _syncthing, syncthing.CREDENTIALS,
        lambda o: syncthing.assert_full_lifecycle(o.run, o.after), missing=_syncthing_missing,
        secret=syncthing.SECRET_KIND, users=syncthing.USERS),
    Zoo("transmission", _transmission, transmission.CREDENTIALS,
        lambda o: transmission.assert_full_lifecycle(o.run, o.after),
        missing=_transmission_missing, secret=transmission.SECRET_KIND,
        users=transmission.USERS),
    Zoo("deluge", _deluge, deluge.PASSWORD,
        lambda o: deluge.assert_full_lifecycle(o.run, o.after, runs=1),
        missing=_deluge_missing, users=deluge.USERS, seconds=deluge.FLOW_SECONDS,
        stop_timeout=deluge.STOP_TIMEOUT),
    Zoo("ghost", _ghost, ghost.PASSWORD,
        lambda o: ghost.assert_full_lifecycle(o.run, o.after, runs=1),
        missing=_ghost_missing, users=ghost.USERS, seconds=ghost.FLOW_SECONDS,
        timeout=ghost.INSTALL_TIMEOUT),
    Zoo("ttrss", _ttrss, ttrss.PASSWORD,
        lambda o: ttrss.assert_full_lifecycle(o.run, o.after, left=(ttrss.OTHER_LABEL,)),
        missing=_ttrss_missing, users=ttrss.USERS),
    Zoo("pgadmin", _pgadmin, pgadmin.PASSWORD,
        lambda o: pgadmin.assert_full_lifecycle(o.run, o.after), missing=_pgadmin_missing,
        users=pgadmin.USERS),
    Zoo("changedetection", _changedetection, changedetection.PASSWORD,
        lambda o: changedetection.assert_full_lifecycle(o.run, o.after),
        missing=_changedetection_missing, users=changedetection.USERS),
    # the HAR as it is, heartbeat and all: the judge excuses Kinto's own heartbeat 503s (its
    # memory storage's bug, see tests/test_zoo_kinto.py), each matched by its logged error
    Zoo("kinto", _kinto, kinto.CREDENTIALS,
        lambda o: kinto.assert_full_lifecycle(o.run, o.after), missing=_kinto_missing,
        secret=kinto.SECRET_KIND, users=kinto.USERS),
    Zoo("plone", _plone, plone.PASSWORD,
        lambda o: plone.assert_full_lifecycle(o.run, o.after), missing=_plone_missing,
        users=plone.USERS, seconds=plone.SECONDS),
    Zoo("radicale", _radicale, radicale.PASSWORD,
        lambda o: radicale.assert_full_lifecycle(o.run, o.after), missing=_radicale_missing,
        secret=radicale.SECRET_KIND),
    Zoo("gitit", _gitit, gitit.PASSWORD,
        lambda o: gitit.assert_full_lifecycle(o.run, o.after), missing=_gitit_missing,
        users=gitit.USERS),
    Zoo("fossil", _fossil, fossil.PASSWORD,
        lambda o: fossil.assert_full_lifecycle(o.run, o.after), missing=_fossil_missing,
        users=fossil.USERS),
    Zoo("ikiwiki", _ikiwiki, ikiwiki.PASSWORD,
        lambda o: ikiwiki.assert_full_lifecycle(o.run, o.after), missing=_ikiwiki_missing,
        users=ikiwiki.USERS, seconds=ikiwiki.SECONDS),
    Zoo("tryton", _tryton, tryton.PASSWORD,
        lambda o: tryton.assert_full_lifecycle(o.run, o.after), missing=_tryton_missing,
        users=tryton.USERS, seconds=tryton.SECONDS),
    Zoo("directus", _directus, directus.PASSWORD,
        lambda o: directus.assert_full_lifecycle(o.run, o.after), missing=_directus_missing,
        users=directus.USERS, seconds=directus.SECONDS, timeout=directus.INSTALL_TIMEOUT),
    Zoo("strapi", _strapi, strapi.PASSWORD,
        lambda o: strapi.assert_full_lifecycle(o.run, o.after), missing=_strapi_missing,
        users=strapi.USERS, seconds=strapi.SECONDS, timeout=strapi.INSTALL_TIMEOUT),
    Zoo("tomcat", _tomcat, tomcat.PASSWORD,
        lambda o: tomcat.assert_full_lifecycle(o.run, o.after), missing=_tomcat_missing,
        secret=tomcat.SECRET_KIND),
    Zoo("jupyter", _jupyter, _jupyter_password(),
        lambda o: jupyter.assert_full_lifecycle(o.run, o.after), missing=_jupyter_missing),
    Zoo("flaskadmin", _flaskadmin, flaskadmin.PASSWORD,
        lambda o: flaskadmin.assert_full_lifecycle(o.run, o.after),
        missing=_flaskadmin_missing),
    Zoo("roundcube", _roundcube, _roundcube_password(),
        lambda o: roundcube.assert_full_lifecycle(o.run, o.after),
        missing=_roundcube_missing),
    Zoo("roundup", _roundup, roundup.PASSWORD,
        lambda o: roundup.assert_full_lifecycle(o.run, o.after), missing=_roundup_missing),
    Zoo("oscar", _oscar, oscar.PASSWORD, lambda o: oscar.assert_orders_placed(o.run, o.after),
        users=oscar.USERS),
]


def replay_on_a_free_port(zoo: Zoo, result: Any, tmp_path: Path) -> None:
    """Run a conversion's script (``result``) of ``zoo``'s journey with real Locust against a
    fresh instance on a free port, and judge the run by the app's own module's assertions
    (what the server said added to a failure): ``test_zoo_sanitized.py`` and
    ``test_zoo_pages_lost.py``, each on its rewriting of the recording."""
    env_var, *more = [s.env for s in result.scenario.secrets if s.kind == zoo.secret]
    assert len(more) == len(zoo.more_secrets), (more, zoo.more_secrets)
    script = tmp_path / "locustfile.py"
    script.write_text(result.code, encoding="utf-8")
    with ExitStack() as stack:
        app = stack.enter_context(zoo.launcher(free_port()))
        before = app.state()
        run = locust_headless(script, app.url, tmp_path, seconds=zoo.seconds, users=zoo.users,
                              extra=("--stop-timeout", zoo.stop_timeout),
                              env={env_var: zoo.password,
                                   **dict(zip(more, zoo.more_secrets, strict=True))})
        outcome = Outcome(run, before, app.state(), app.url)
        said = app.log() if callable(getattr(app, "log", None)) else ""
    try:
        zoo.judge(outcome)
    except AssertionError as failed:
        failed.args = (f"{failed.args[0] if failed.args else ''}\n  server log (tail):\n"
                       f"{said[-3000:]}",)
        raise


def _port_taken(port: int) -> str | None:
    """Why ``port`` on 127.0.0.1 cannot be listened on now, or ``None``. SO_REUSEADDR as the
    apps' servers set it: a port left in TIME_WAIT by an earlier run is free for them."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as error:
            name = errno.errorcode.get(error.errno or 0, str(error.errno))
            return f"recorded port 127.0.0.1:{port} is busy on this machine ({name}: {error})"
    return None


@pytest.mark.parametrize("zoo", [
    pytest.param(zoo, id=zoo.name, marks=[pytest.mark.timeout(zoo.timeout)] if zoo.timeout else [])
    for zoo in ZOOS])
def test_journey_replays_on_a_fresh_instance_on_the_recorded_port(zoo: Zoo,
                                                                  tmp_path: Path) -> None:
    reason = zoo.missing()
    if reason:
        pytest.skip(f"{zoo.name} zoo app cannot run: {reason}")
    result = convert(zoo.har, Options(think_time=ThinkTime("none"), unique_fields=zoo.unique))
    port = urlsplit(result.scenario.main_origin).port
    assert port is not None, result.scenario.main_origin
    env_var, *more = [s.env for s in result.scenario.secrets if s.kind == zoo.secret]
    assert len(more) == len(zoo.more_secrets), (more, zoo.more_secrets)
    script = tmp_path / "locustfile.py"
    script.write_text(result.code, encoding="utf-8")
    if busy := _port_taken(port):
        pytest.skip(busy)
    with ExitStack() as stack:
        try:
            app = stack.enter_context(zoo.launcher(port))
        except Exception:
            if busy := _port_taken(port):  # taken between the look and the start
                pytest.skip(busy)
            raise
        assert app.url == result.scenario.main_origin  # a fresh instance on the recorded origin
        before = app.state()
        run = locust_headless(script, app.url, tmp_path, seconds=zoo.seconds, users=zoo.users,
                              extra=("--stop-timeout", zoo.stop_timeout),
                              env={env_var: zoo.password,
                                   **dict(zip(more, zoo.more_secrets, strict=True))})
        outcome = Outcome(run, before, app.state(), app.url)
        said = app.log() if callable(getattr(app, "log", None)) else ""  # gone with the app
    try:
        zoo.judge(outcome)
    except AssertionError as failed:  # what the server said, for a failure seen only in CI
        failed.args = (f"{failed.args[0] if failed.args else ''}\n  server log (tail):\n"
                       f"{said[-3000:]}",)
        raise
