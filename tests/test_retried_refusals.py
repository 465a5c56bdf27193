"""A request refused for its credentials, then sent again by the page with renewed ones
(the client-side interceptor: ``401`` → refresh the token → send it again), is left out of
the script: a replay's credentials are fresh, so its first attempt would do the work and the
retry would do it again (or be refused). Only that pattern: the same request, credentials
aside, answered the second time, its credentials changed in between (``filter.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from har2locust_plus import Options, convert
from har2locust_plus.stages.filter import RETRIED, RETRY_WINDOW

API = "http://127.0.0.1:8000/api"
JSON = {"mimeType": "application/json", "text": '{"title": "tap", "body": "Friday"}'}
OTHER_JSON = {"mimeType": "application/json", "text": '{"title": "tap", "body": "Monday"}'}


def _scenario(make_har: Any, *entries: dict[str, Any]) -> Any:
    return convert(make_har(*entries), Options(), name="rec.har").scenario


def _flow(make_entry: Any, *, refused: int = 401, retry_status: int = 200,
          first: list[tuple[str, str]], again: list[tuple[str, str]],
          retry_body: dict[str, str] = JSON, between: int = 1) -> list[dict[str, Any]]:
    """PUT → ``refused``; ``between`` requests (the renewal); the PUT again → ``retry_status``."""
    put = {"mime": "application/json", "body": '{"id": 7}'}
    return [
        make_entry(f"{API}/notes/7", "PUT", status=refused, headers=first, post_data=JSON,
                   mime="application/json", body='{"msg": "Token has expired"}'),
        *(make_entry(f"{API}/auth/refresh", "POST", headers=first, mime="application/json",
                     body='{"access_token": "fresh"}') for _ in range(between)),
        make_entry(f"{API}/notes/7", "PUT", status=retry_status, headers=again,
                   post_data=retry_body, **put),
    ]


def _puts(scenario: Any) -> list[int]:
    return [s.response.status for s in scenario.steps if s.request.method == "PUT"]


def test_a_put_refused_for_a_stale_version_and_sent_again_with_the_new_etag_is_left_out(
        make_har: Any, make_entry: Any) -> None:
    """Optimistic locking: ``PUT`` with ``If-Match`` of a version changed since → 412; the page
    reads the note again (a new ``ETag``) and sends the ``PUT`` with it → 200. A replay's
    ``If-Match`` is correlated from the read before it: its first ``PUT`` would succeed."""
    body = {"mime": "application/json", "body": "{}"}
    scenario = _scenario(
        make_har,
        make_entry(f"{API}/notes/7", "PUT", status=412, headers=[("If-Match", '"v1"')],
                   post_data=JSON, **body),
        make_entry(f"{API}/notes/7", headers=[("Cookie", "s=1")], **body),
        make_entry(f"{API}/notes/7", "PUT", status=200, headers=[("If-Match", '"v2"')],
                   post_data=JSON, **body))
    assert _puts(scenario) == [200]
    assert dict(scenario.skipped) == {RETRIED: 1}


@pytest.mark.parametrize(("first", "again"), [
    ([("Authorization", "Bearer old")], [("Authorization", "Bearer new")]),
    ([("Cookie", "session=old")], [("Cookie", "session=new")]),
    ([("X-CSRF-TOKEN", "a1")], [("X-CSRF-TOKEN", "b2")]),
], ids=["bearer", "cookie", "csrf-header"])
@pytest.mark.parametrize("refused", [401, 403, 412, 419, 428, 440])
def test_the_refused_attempt_is_left_out_and_counted(make_har: Any, make_entry: Any,
                                                     refused: int, first: Any,
                                                     again: Any) -> None:
    scenario = _scenario(make_har, *_flow(make_entry, refused=refused, first=first,
                                          again=again))
    assert _puts(scenario) == [200]
    assert [s.label for s in scenario.steps][0] == "POST /api/auth/refresh"
    assert dict(scenario.skipped) == {RETRIED: 1}
    assert any(f"entry 1 PUT /api/notes/7 (answered {refused}, sent again as entry 3)"
               in d.message for d in scenario.diagnostics), scenario.diagnostics


@pytest.mark.parametrize("case", ["same credentials", "refused again", "other body",
                                  "not a refusal of credentials", "too late", "none sent"])
def test_anything_else_is_replayed_as_recorded(make_har: Any, make_entry: Any,
                                               case: str) -> None:
    old, new = [("Authorization", "Bearer old")], [("Authorization", "Bearer new")]
    flow = {
        # a refusal the page merely repeated: a replay meets it again
        "same credentials": lambda: _flow(make_entry, first=old, again=old),
        "refused again": lambda: _flow(make_entry, first=old, again=new, retry_status=401),
        "other body": lambda: _flow(make_entry, first=old, again=new, retry_body=OTHER_JSON),
        "not a refusal of credentials": lambda: _flow(make_entry, refused=404, first=old,
                                                      again=new),
        "too late": lambda: _flow(make_entry, first=old, again=new, between=RETRY_WINDOW),
        # refused for sending none (before signing in): so is a replay at that point
        "none sent": lambda: _flow(make_entry, first=[], again=new),
    }[case]()
    scenario = _scenario(make_har, *flow)
    assert len(_puts(scenario)) == 2
    assert RETRIED not in dict(scenario.skipped)


def test_a_form_post_refused_for_its_csrf_token_and_posted_again_from_a_new_form_is_left_out(
        make_har: Any, make_entry: Any) -> None:
    """Django: a form posted with a token of an expired session → 403; the user loads the
    form again (a new token) and posts the same fields with it → 302."""
    form = "application/x-www-form-urlencoded"
    scenario = _scenario(
        make_har,
        make_entry(f"{API}/notes/new", "POST", status=403, headers=[("Cookie", "csrftoken=a")],
                   post_data={"mimeType": form, "text": "csrfmiddlewaretoken=old1&title=tap"}),
        make_entry(f"{API}/notes/new", headers=[("Cookie", "csrftoken=b")]),
        make_entry(f"{API}/notes/new", "POST", status=302, headers=[("Cookie", "csrftoken=b")],
                   post_data={"mimeType": form, "text": "csrfmiddlewaretoken=new2&title=tap"}))
    assert [s.response.status for s in scenario.steps] == [200, 302]
    assert dict(scenario.skipped) == {RETRIED: 1}


def test_the_same_form_with_other_fields_is_another_request(make_har: Any,
                                                              make_entry: Any) -> None:
    form = "application/x-www-form-urlencoded"
    scenario = _scenario(
        make_har,
        make_entry(f"{API}/notes/new", "POST", status=403, headers=[("Cookie", "csrftoken=a")],
                   post_data={"mimeType": form, "text": "csrfmiddlewaretoken=old1&title=tap"}),
        make_entry(f"{API}/notes/new", "POST", status=302, headers=[("Cookie", "csrftoken=b")],
                   post_data={"mimeType": form, "text": "csrfmiddlewaretoken=new2&title=sink"}))
    assert [s.response.status for s in scenario.steps] == [403, 302]


def test_every_refused_attempt_before_the_answered_one_is_left_out(make_har: Any,
                                                                     make_entry: Any) -> None:
    """Refused, sent again unchanged (refused again), then with a new token: answered."""
    old, new = [("Authorization", "Bearer old")], [("Authorization", "Bearer new")]
    body = {"mime": "application/json", "body": "{}"}
    scenario = _scenario(
        make_har,
        make_entry(f"{API}/notes/7", "PUT", status=401, headers=old, post_data=JSON, **body),
        make_entry(f"{API}/notes/7", "PUT", status=401, headers=old, post_data=JSON, **body),
        make_entry(f"{API}/auth/refresh", "POST", headers=old, **body),
        make_entry(f"{API}/notes/7", "PUT", status=200, headers=new, post_data=JSON, **body))
    assert _puts(scenario) == [200]
    assert dict(scenario.skipped) == {RETRIED: 2}
