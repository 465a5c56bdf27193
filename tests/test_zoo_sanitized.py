"""Zoo: every journey exported as Chrome's DevTools export it by default, without sensitive
data, still replays on a fresh instance.

Since Chrome 130 the Network panel's export leaves out every ``Cookie``, ``Set-Cookie`` and
``Authorization`` header unless the user allows "sensitive data" in its settings: the HAR a
user most likely hands us. ``fixtures.record.to_sanitized_har`` rewrites each zoo recording so;
the script converted from it runs with real Locust against a fresh instance on a free port,
judged by the app's own module's assertions (the registry of ``test_zoo_recorded_port.py``).
What the export took away has to come back from elsewhere: the jar's cookie a page's script
sends in a CSRF header (named like the header), the access token the login's JSON answer
handed out (sent as ``Authorization`` on the page script's later calls), Basic credentials
the server asks for (its ``401`` challenge).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import test_zoo_recorded_port as registry

from fixtures.record import to_sanitized_har
from har2locust_plus import Options, ThinkTime, convert

pytestmark = [pytest.mark.e2e]

# What such a recording cannot tell, and so no conversion of it can send
BASIC = ("the browser answered the server's Basic challenge with credentials: the export leaves "
         "out every Authorization header, and Chromium shows the challenged request once, "
         "answered with what the credentials got, so nothing in the recording says any were "
         "sent (a 401 at the first request)")
LIMITS = {
    "htmx": "the page's script sets a tz cookie (document.cookie) that the app requires: the "
            "export leaves out the Cookie headers that sent it, so nothing tells it was set",
    "kinto": "the admin's script sends Basic credentials it builds from what its login form "
             "was given (no field of any request sends them): the export leaves out every "
             "Authorization header, so nothing in the recording says any were sent",
    "syncthing": BASIC,
    "tomcat": BASIC,
    "transmission": BASIC,
    "tryton": "the page's script sends Authorization: Session base64(login:id:session), built "
              "from the login's JSON-RPC result (a list): no token an answer names",
}


def _marks(zoo: registry.Zoo) -> list[pytest.MarkDecorator]:
    marks = [pytest.mark.timeout(zoo.timeout)] if zoo.timeout else []
    if zoo.name in LIMITS:
        marks.append(pytest.mark.xfail(reason=LIMITS[zoo.name], strict=True))
    return marks


@pytest.mark.parametrize("zoo", [pytest.param(zoo, id=zoo.name, marks=_marks(zoo))
                                 for zoo in registry.ZOOS])
def test_a_journey_exported_without_sensitive_data_replays_on_a_fresh_instance(
        zoo: registry.Zoo, tmp_path: Path) -> None:
    reason = zoo.missing()
    if reason:
        pytest.skip(f"{zoo.name} zoo app cannot run: {reason}")
    har = to_sanitized_har(json.loads(zoo.har.read_text("utf-8")))
    result = convert(json.dumps(har).encode(), Options(think_time=ThinkTime("none"),
                                                       unique_fields=zoo.unique),
                     name=zoo.har.name)
    registry.replay_on_a_free_port(zoo, result, tmp_path)
