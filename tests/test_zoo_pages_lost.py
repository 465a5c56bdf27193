"""Zoo: a journey exported without the bodies of the pages the browser left still replays
on a fresh instance, where what those pages handed out is a form's token.

An export may lack the HTML of every page but the last: DevTools exports the body of a page
only while it still has it (a page that was left, in another renderer, often is not), and
exporters that keep no bodies (WebPageTest, sitespeed.io's) write none. A form's token
(``csrfmiddlewaretoken``, ``authenticity_token``, ``_token``, ``__VIEWSTATE`` …) then has no
recorded source: the script reads it from the live page it was sent from, in the form that
posts to the request's path. ``fixtures.record.to_pages_lost_har`` rewrites each zoo
recording so; the script runs with real Locust against a fresh instance on a free port,
judged by the app's own module's assertions (the registry of ``test_zoo_recorded_port.py``).
An object's id that a post made is read from the live list the post landed on, in the row
holding a name the post gave it. Other journeys also need what only a lost page said (an id a
message states, an API key in a page's text), which no conversion can know: they are not run
here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import test_zoo_recorded_port as registry

from fixtures.record import to_pages_lost_har
from har2locust_plus import Options, ThinkTime, convert

pytestmark = [pytest.mark.e2e]

# The journeys whose lost pages handed out only form tokens, link tokens, CSRF headers, the
# state of the object a form edits, the whole id a page's URL abbreviates (Fossil), an inline
# formset's row ids (Django admin's inlines), and the id of the object a post made in the list
# it landed on (Django admin, sqladmin, Flask-Admin, Adminer, changedetection.io: by the name
# the post gave it, for changedetection.io the typed address, made new each run), and the
# session's token a page's script holds where a page recorded later holds it too (Tiny Tiny
# RSS) or the lost page's forms hold it too (changedetection.io's delete, which its edit
# page's script posts), and so replay without them. Thirty-six of the registry's journeys were
# tried so (2026-12-07); the others also need what only a lost page showed and fail at that
# step: Wagtail's page tree, an API key in a page's text (Flask-WTF), tokens a page's script
# holds that no recorded page shows (WordPress's nonces, MediaWiki's API token, Zabbix's sid:
# the conversion says so). SimpleSAMLphp's assertion page replays since its login form's
# Referer, the page's URL with an empty query (``…?``), is taken for that page.
JOURNEYS = ("oauth", "drf", "express", "workbox", "symfony", "rails", "postfixadmin",
            "phpmyadmin", "icingaweb", "roundcube", "webforms", "redmine", "htmx", "cacti",
            "laravel", "trac", "dokuwiki", "rt", "gitit", "ikiwiki", "tomcat", "djangoadmin",
            "sqladmin", "flaskadmin", "adminer", "fossil", "djangoinline", "ttrss",
            "simplesaml", "changedetection", "plone")


@pytest.mark.parametrize("zoo", [pytest.param(zoo, id=zoo.name, marks=[
    pytest.mark.timeout(zoo.timeout)] if zoo.timeout else []) for zoo in registry.ZOOS
    if zoo.name in JOURNEYS])
def test_a_journey_exported_without_its_pages_bodies_replays_on_a_fresh_instance(
        zoo: registry.Zoo, tmp_path: Path) -> None:
    reason = zoo.missing()
    if reason:
        pytest.skip(f"{zoo.name} zoo app cannot run: {reason}")
    har = to_pages_lost_har(json.loads(zoo.har.read_text("utf-8")))
    result = convert(json.dumps(har).encode(), Options(think_time=ThinkTime("none"),
                                                       unique_fields=zoo.unique),
                     name=zoo.har.name)
    read = [d.message for d in result.scenario.diagnostics
            if "whose body is not in the recording" in d.message]
    assert read, "no form token was read from a page the recording lacks"
    registry.replay_on_a_free_port(zoo, result, tmp_path)
