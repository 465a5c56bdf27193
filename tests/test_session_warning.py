"""A recording that starts logged in (the browser's session from before it): said, since each
run of the script starts as a new user, logged out (``stages/session.py``)."""

from __future__ import annotations

import json

import pytest

from har2locust_plus import convert

ORIGIN = "https://app.test"


def _page(build_entry, path: str, method: str = "GET", *, cookie: str = "",
          set_cookie: str = "", form: str | None = None) -> dict:
    entry = build_entry(f"{ORIGIN}{path}", method, resource_type="document",
                        body="<title>Notes</title>",
                        headers=[("Cookie", cookie)] if cookie else [],
                        response_headers=[("Set-Cookie", set_cookie)] if set_cookie else [],
                        post_data={"mimeType": "application/x-www-form-urlencoded",
                                   "text": form} if form is not None else None)
    return entry


def _warnings(make_har, *entries: dict) -> list[str]:
    result = convert(make_har(*entries, creator="WebInspector"), name="x.har")
    return [d.message for d in result.report.diagnostics if "may start logged in" in d.message]


def test_a_recording_that_starts_with_a_session_from_before_it_is_said_to(make_har,
                                                                         make_entry) -> None:
    assert _warnings(
        make_har,
        _page(make_entry, "/notes", cookie="sessionid=k3j4h5g6f7d8s9a0"),
        _page(make_entry, "/notes", "POST", cookie="sessionid=k3j4h5g6f7d8s9a0",
              set_cookie="messages=saved; Path=/", form="title=tea"),
    ) == [
        "the recording may start logged in: step 1 (GET /notes) sends the cookie sessionid, "
        "which no answer of the recording set, and no request logs in. Each run of the script "
        "starts with an empty cookie jar, as a new user: logged out, so the first page that "
        "needs a login will fail. Record from a logged-out browser (a private window), "
        "starting before the login"]


@pytest.mark.parametrize("case", ["it logs in", "an answer set it", "no Set-Cookie at all",
                                  "an analytics cookie", "Basic credentials"])
def test_a_session_cookie_is_no_login_from_before_where_the_recording_tells_otherwise(
        make_har, make_entry, case: str) -> None:
    name = {"an analytics cookie": "s_sess"}.get(case, "PHPSESSID")
    first = _page(make_entry, "/", set_cookie="lang=en; Path=/")
    later = _page(make_entry, "/notes", cookie=f"{name}=k3j4h5g6f7d8s9a0")
    entries = [first, later]
    if case == "it logs in":
        entries.append(_page(make_entry, "/login", "POST", cookie=f"{name}=k3j4h5g6f7d8s9a0",
                             form="username=alice&password=pw-alice-1"))
    elif case == "an answer set it":
        first["response"]["headers"].append({"name": "Set-Cookie",
                                             "value": f"{name}=k3j4h5g6f7d8s9a0; Path=/"})
    elif case == "no Set-Cookie at all":  # an export without them: where it came from, unsaid
        first["response"]["headers"] = []
    elif case == "Basic credentials":
        later["request"]["headers"].append({"name": "Authorization", "value": "Basic YTpi"})
    assert _warnings(make_har, *entries) == [], json.dumps(entries)[:300]
