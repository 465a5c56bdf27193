"""A recording that starts logged in: said, since no script made of it can log in.

Users often log in first and start recording at the part of the journey they care about. The
browser then sends the session cookie it had from before, which no answer of the recording
sets, and no request of the recording logs in. Each run of the generated script starts with
an empty cookie jar (a new user, see ``docs/correlation.md``): on a fresh server it is logged
out, and its first page that needs a login is answered with the login form or a redirect to
it, which the checks report as a failure of that step, without saying why. Sending the
recorded cookie would not help: a fresh server (a new secret, an empty session store) knows
no such session.

So the report warns where a request to the site under test sends a session's or a login's
cookie (by the names the common frameworks give them: ``sessionid``, ``PHPSESSID``,
``JSESSIONID``, ``_<app>_session``, ``remember_token`` …) that no earlier answer set, in a
recording that holds ``Set-Cookie`` headers (an export without them says nothing of where a
cookie came from) and in which no request sends a password. Nothing in the script changes.
"""

from __future__ import annotations

import re

from .. import ir
from ..options import Options
from .correlate.headers import set_cookies
from .sanitized import sends_password

# the session or login cookies of the common frameworks, by name (not an analytics cookie
# that says "session" too: Adobe's s_sess, CNET's cnetSessionStarted): Django's sessionid,
# PHP's PHPSESSID, Java's JSESSIONID, ASP.NET's, Express's connect.sid, Flask's session,
# Rails' _<app>_session, Laravel's laravel_session, Drupal's SESS<hash>, WordPress's
# wordpress_logged_in_<hash>, Devise's and Flask-Login's remember tokens
SESSION_COOKIE = re.compile(
    r"(?:sessionid|session|session[_-]id|sid|phpsessid|jsessionid|asp\.net_sessionid|"
    r"\.aspxauth|\.aspnetcore\.(?:session|identity\.application|cookies)|connect\.sid|"
    r"rack\.session|play_session|[\w.-]*_session(?:_id)?|sess[0-9a-f]{16,}|"
    r"wordpress_logged_in_\w*|remember_(?:user_)?token|auth_token|access_token|jwt)",
    re.IGNORECASE)


def warn_started_logged_in(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    """The scenario with a WARNING where it starts with a login from before the recording."""
    steps = scenario.steps
    if any(sends_password(step.request) or step.request.header("authorization") is not None
           for step in steps):
        return scenario  # it logs in (a form, a JSON login, Basic credentials)
    session: dict[str, bool] = {}  # cookie name -> a session's (asked once per name)
    set_names: set[str] = set()  # the cookies the answers so far set
    for step in steps:
        if step.request.origin == scenario.main_origin:
            for name, _ in step.request.cookies:
                if name not in set_names and session.setdefault(
                        name, SESSION_COOKIE.fullmatch(name) is not None):
                    if not any(s.response is not None and any(set_cookies(s.response))
                               for s in steps):
                        return scenario  # no Set-Cookie at all: where it came from, unsaid
                    return scenario.with_diagnostic(ir.Severity.WARNING, (
                        f"the recording may start logged in: step {step.number} "
                        f"({step.label}) sends the cookie {name}, which no answer of the "
                        "recording set, and no request logs in. Each run of the script starts "
                        "with an empty cookie jar, as a new user: logged out, so the first "
                        "page that needs a login will fail. Record from a logged-out browser "
                        "(a private window), starting before the login"))
        if step.response is not None:
            set_names.update(name for name, _ in set_cookies(step.response))
    return scenario
