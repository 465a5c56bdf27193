"""Grouping's method names: words of the page's title or path, never a recorded id."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from har2locust_plus.stages.grouping import _method_name, _Names, _route_word


@pytest.mark.parametrize(("segment", "word"), [
    ("notes", "notes"),
    ("4711", ""),
    ("{note_id}", ""),
    ("issue28671", "issue"),  # Roundup's designators
    ("msg-4711", "msg"),
    ("user_123", "user"),
    ("v2", "v2"),  # a route word, not an id
    ("h2o", "h2o"),
    ("0b7f9c2e-3d4a-4b8e-9f1a-2c3d4e5f6a7b", ""),
    ("oauth2callback", "oauth2callback"),
    ("zoo-post-1796195489047", "zoo-post"),  # WordPress: a slug the client's title made
    ("GetNavigationMenu2", "GetNavigationMenu2"),
    ("njptwgmenj11rgdugpcq9", ""),  # a token
])
def test_a_path_segment_names_a_method_without_its_id(segment: str, word: str) -> None:
    assert _route_word(segment) == word


@given(st.lists(st.sampled_from(["a", "a 2", "a_3", "a 2 2", "b", "B", "for", "a 4"]),
                max_size=40))
def test_pages_of_one_name_are_numbered_in_order_skipping_names_taken(titles: list[str]
                                                                      ) -> None:
    """``a``, ``a_2``, ``a_3``... as if every suffix were tried from 2 on each time, also when
    another page's own name is ``a_2`` (the suffix remembered per name must not skip a free
    one nor repeat a taken one)."""
    used = _Names()
    names = [_method_name(title, None, used) for title in titles]  # type: ignore[arg-type]
    expected: list[str] = []
    for title in titles:
        base = {"for": "page_for", "B": "b"}.get(title, title.replace(" ", "_"))
        name, n = base, 2
        while name in expected:
            name, n = f"{base}_{n}", n + 1
        expected.append(name)
    assert names == expected


# --- think time inside a page ------------------------------------------------------------------


def _spa(*gaps: float, redirect_at: int | None = None, **options: object):
    """A single-page app's session: its document, then one API call after each gap (seconds
    from the end of the call before), each 100 ms long."""
    import json
    from datetime import datetime, timedelta, timezone

    from har2locust_plus import Options, convert

    start = datetime(2026, 1, 1, 10, tzinfo=timezone.utc)
    entries, at = [], start

    def add(path: str, kind: str, status: int = 200, location: str = "") -> None:
        nonlocal at
        entries.append({
            "startedDateTime": at.isoformat().replace("+00:00", "Z"), "time": 100,
            "request": {"method": "GET", "url": "http://app.test" + path, "httpVersion": "1.1",
                        "headers": [], "queryString": [], "cookies": [], "headersSize": -1,
                        "bodySize": -1},
            "response": {"status": status, "statusText": "", "httpVersion": "1.1",
                         "headers": [{"name": "Location", "value": location}] if location else [],
                         "cookies": [], "redirectURL": location,
                         "content": {"size": 2, "mimeType": "application/json", "text": "{}"},
                         "headersSize": -1, "bodySize": -1},
            "cache": {}, "timings": {"send": 1, "wait": 98, "receive": 1},
            "_resourceType": kind})
        at += timedelta(milliseconds=100)

    add("/", "document")
    for n, gap in enumerate(gaps):
        at += timedelta(seconds=gap)
        if n == redirect_at:
            add(f"/api/go{n}", "fetch", 302, f"/api/{n}")
            at += timedelta(seconds=gap)
        add(f"/api/{n}", "fetch")
    har = {"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
                   "entries": entries}}
    return convert(json.dumps(har).encode(), Options(**options), name="spa.har")  # type: ignore[arg-type]


def test_a_pause_inside_a_page_is_the_user_s_and_is_replayed():
    """A single-page app records a whole session as one page: the user's pauses between its
    calls (nothing in flight for a second or more) are replayed before the call they waited
    for, as ``think`` (left out of the page's time); shorter gaps are the page's own script;
    the page's first request has the pause before the page instead; a long one is capped."""
    result = _spa(0.2, 2.5, 0.9, 1.0, 95.0)
    pauses = [(s.request.path.text, s.think_before) for s in result.scenario.steps]
    assert pauses == [("/", 0.0), ("/api/0", 0.0), ("/api/1", 2.5), ("/api/2", 0.0),
                      ("/api/3", 1.0), ("/api/4", 30.0)]
    assert len(result.scenario.groups) == 1
    code = result.code
    assert code.count("# recorded think time inside the page") == 3
    assert "think(2.5)" in code and "think(1)" in code and "think(30)" in code
    assert code.index("think(2.5)") < code.index('"/api/1"') and "def think(seconds)" in code
    assert any("shortened to 30 s" in d.message for d in result.scenario.diagnostics)


def test_a_pause_inside_a_page_without_transactions_is_a_sleep_and_none_without_think_time():
    from har2locust_plus import ThinkTime

    assert "time.sleep(2.5)  # recorded think time inside the page" in _spa(
        2.5, transactions=False).code
    code = _spa(2.5, think_time=ThinkTime("none")).code
    assert "# recorded think time inside the page" not in code
    assert "think(" not in code.replace("def think(", "")


def test_a_pause_inside_a_page_with_a_think_time_range_is_as_long_as_one_between_pages():
    """``--think-time 1-3``: the user's pauses inside a page (a single-page app's clicks) are
    the range's too (Locust's ``wait_time``), not dropped: a call the user made after waiting
    for the server (a printer getting ready) would otherwise come too early."""
    from har2locust_plus import ThinkTime

    range_ = ThinkTime("range", 1, 3)
    code = _spa(0.2, 2.5, 1.0, think_time=range_).code
    comment = "  # the user paused here: --think-time's range"
    assert code.count(f"think(self.wait_time()){comment}") == 2
    assert code.index("think(self.wait_time())") < code.index('"/api/1"')
    assert "wait_time = between(1, 3)" in code
    plain = _spa(2.5, think_time=range_, transactions=False).code
    assert plain.count(f"self.wait(){comment}") == 1 and "def think(" not in plain


def test_a_redirect_hop_is_never_a_pause():
    """The browser follows a redirect at once: a slow hop's gap is not the user's."""
    steps = _spa(0.2, 3.0, redirect_at=1).scenario.steps
    assert [(s.entry_index, s.follows_location, s.think_before) for s in steps] == [
        (0, False, 0.0), (1, False, 0.0), (2, False, 3.0), (3, True, 0.0)]


def _routes(*calls: tuple[str, str, str, float], origin: str = "http://app.test"):
    """A single-page app: its document, then ``(kind, path, referer path, pause)`` calls."""
    import json
    from datetime import datetime, timedelta, timezone

    from har2locust_plus import Options, convert

    start = datetime(2026, 1, 1, 10, tzinfo=timezone.utc)
    entries, at = [], start
    for kind, path, referer, pause in (("document", "/app", "", 0.0), *calls):
        at += timedelta(seconds=pause)
        headers = [{"name": "Referer", "value": referer if "://" in referer else
                    origin + referer}] if referer else []
        entries.append({
            "startedDateTime": at.isoformat().replace("+00:00", "Z"), "time": 100,
            "request": {"method": "GET", "url": origin + path, "httpVersion": "1.1",
                        "headers": headers, "queryString": [], "cookies": [],
                        "headersSize": -1, "bodySize": -1},
            "response": {"status": 200, "statusText": "", "httpVersion": "1.1", "headers": [],
                         "cookies": [], "redirectURL": "",
                         "content": {"size": 2, "mimeType": "application/json", "text": "{}"},
                         "headersSize": -1, "bodySize": -1},
            "cache": {}, "timings": {"send": 1, "wait": 98, "receive": 1},
            "_resourceType": kind})
        at += timedelta(milliseconds=100)
    har = {"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
                   "entries": entries}}
    return convert(json.dumps(har).encode(), Options(), name="spa.har")


def test_a_single_page_app_s_screens_are_pages_of_their_own():
    """history.pushState changes no document, but the calls a screen makes name it in their
    Referer: each screen is a page (its method, its row in the stats), named by its route, a
    recorded id in it shown as ``{id}``; the user's pause before a screen is the pause before
    its page. Calls whose Referer is the same screen stay in its page; a call to another
    origin, or one that names a page of another origin, says nothing of the screen."""
    result = _routes(
        ("fetch", "/api/me", "/app", 0.0),
        ("fetch", "/api/notes", "/app/notes", 2.0),
        ("xhr", "/api/notes/count", "/app/notes", 0.2),
        ("fetch", "/api/notes/7f3k2m9q4x8w1v6z", "/app/notes/7f3k2m9q4x8w1v6z", 1.5),
        ("fetch", "/api/notes/7f3k2m9q4x8w1v6z/history",
         "http://cdn.test/app/notes/other", 0.1),
        ("fetch", "/api/notes", "/app/notes", 0.1),
    )
    groups = result.scenario.groups
    assert [g.title for g in groups] == ["/app", "/app/notes", "/app/notes/{id}",
                                         "/app/notes"]
    assert [g.method for g in groups] == ["app", "app_notes", "notes_id", "app_notes_2"]
    assert [g.think_before for g in groups] == [0.0, 2.0, 1.5, 0.0]
    assert [s.group for s in result.scenario.steps] == [0, 0, 1, 1, 2, 2, 3]
    assert all(s.think_before == 0 for s in result.scenario.steps)
    assert 'with transaction(self, "3 /app/notes"):' in result.code
    assert 'with transaction(self, "5 /app/notes/{id}"):' in result.code


def test_calls_without_a_referer_or_of_a_multi_page_site_keep_their_page():
    """No Referer (a policy of no-referrer, an exporter that drops it), or the page's own
    address: one page, as before."""
    result = _routes(("fetch", "/api/a", "", 0.0), ("fetch", "/api/b", "/app", 1.5),
                     ("script", "/static/app.js", "/elsewhere", 0.0))
    assert len(result.scenario.groups) == 1
    assert [s.think_before for s in result.scenario.steps][2] == 1.5


# --- which page a pageref's title names -----------------------------------------------------------


def _documents(titles: list[str | None], page_title: str, *, pages: int = 1):
    """A recording whose documents (one per title; None: no <title>) are in ``pages`` pagerefs,
    the first holding all but the ones after it (one document each), its title
    ``page_title``."""
    import json

    from har2locust_plus import Options, convert

    entries = []
    for i, title in enumerate(titles):
        head = f"<title>  {title}\n</title>" if title is not None else ""
        ref = "page_1" if i < len(titles) - pages + 1 else f"page_{i - len(titles) + pages + 1}"
        entries.append({
            "pageref": ref,
            "startedDateTime": f"2026-01-01T10:00:{i:02d}.000Z", "time": 100,
            "request": {"method": "GET", "url": f"http://app.test/doc{i}", "httpVersion": "1.1",
                        "headers": [{"name": "Accept", "value": "text/html"}],
                        "queryString": [], "cookies": [], "headersSize": -1, "bodySize": -1},
            "response": {"status": 200, "statusText": "", "httpVersion": "1.1", "headers": [],
                         "cookies": [], "redirectURL": "",
                         "content": {"size": 1, "mimeType": "text/html",
                                     "text": f"<html><head>{head}</head><body>{i}</body></html>"},
                         "headersSize": -1, "bodySize": -1},
            "cache": {}, "timings": {"send": 1, "wait": 98, "receive": 1},
            "_resourceType": "document"})
    har = {"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
                   "pages": [{"id": f"page_{n}", "title": page_title if n == 1 else f"Other {n}",
                              "startedDateTime": "2026-01-01T10:00:00.000Z", "pageTimings": {}}
                             for n in range(1, pages + 1)],
                   "entries": entries}}
    result = convert(json.dumps(har).encode(), Options(), name="pages.har")
    return [g.title for g in result.scenario.groups]


@pytest.mark.parametrize(("titles", "expected"), [
    # Playwright: one pageref for the whole session, titled as its last document
    (["Zoo Conf", "Checkout", "Thank you!"], ["/doc0", "/doc1", "Thank you!"]),
    # a Firefox export: titled as its first
    (["Thank you!", "Result", None], ["Thank you!", "/doc1", "/doc2"]),
    # the first document whose <title> says it (entities decoded, whitespace squeezed)
    (["A", "Thank you!", "Thank you!"], ["/doc0", "Thank you!", "/doc2"]),
    # no document says it (bodies not recorded, a title the page's script set): the first
    ([None, "B", "C"], ["Thank you!", "/doc1", "/doc2"]),
])
def test_a_pageref_s_title_names_the_page_whose_document_it_is(
        titles: list[str | None], expected: list[str]) -> None:
    assert _documents(titles, "Thank you!") == expected


def test_a_pageref_of_one_navigation_keeps_its_title_whatever_its_document_says() -> None:
    """Chrome's and Firefox's exports: a pageref per document; its title is its own."""
    assert _documents(["A", "B", "C"], "Page one", pages=3) == ["Page one", "Other 2", "Other 3"]
