"""Hypothesis over HAR structures: any recording converts to a script that compiles, or is
refused as bad input; never an internal error (issue 15).

The strategies mix well-formed values with the hostile ones real recordings and broken
exporters hold: URLs ``urlsplit`` refuses, dates with absurd offsets, lone surrogates, huge
numbers, wrong JSON types, HTML with links no browser could follow, multipart bodies.
Bounded and derandomized so the suite stays fast and repeatable; the long campaign over
mutated real recordings is ``benchmarks/fuzz.py``.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from har2locust_plus import Options, convert
from har2locust_plus.errors import Har2LocustError
from har2locust_plus.options import ThinkTime

HOSTILE_URLS = ["http://[::1/x", "http://[zz]/", "//[::1", "http://h:99999/", "http://h:x/",
                "http://[your-domain]/api", "http://[::1]/a", "http:///x", "ws://h/s", "/x",
                "javascript:void(0)", "http://h/\udcff", "http://user:pw@h/x?a=%zz"]
HOSTILE_TIMES = ["2026-01-01T10:00:00+25:00", "2026-01-01T10:00:00-99:59", "99999999999999999999",
                 "2026-01-01T10:00:00+99999999999999999999:00", "31 dec 9999 23:59:59 -2359",
                 "0001-01-01T00:00:00+01:00", "10:00", "2026-02-30T10:00:00Z", "", "garbage"]
WEIRD = ["", "\udcff", "\ud800", "\x00", "{", "}", "'", '"', "\\", "\r\n", "\u2028", "#", "1e999",
         "\u00b2" * 13, "--5", "[" * 150 + "]" * 150, '{"a": ' * 120 + "1" + "}" * 120]

text = st.one_of(st.text(max_size=24), st.sampled_from(WEIRD))
segment = st.one_of(st.from_regex(r"[a-z]{1,8}|[0-9]{1,12}|[0-9a-f]{16,24}", fullmatch=True),
                    text)
good_url = st.builds(lambda scheme, host, parts, query: f"{scheme}://{host}/{'/'.join(parts)}"
                     + (f"?{query}" if query else ""),
                     st.sampled_from(["http", "https"]),
                     st.sampled_from(["app.test", "127.0.0.1:5000", "api.app.test", "[::1]:8080"]),
                     st.lists(segment, max_size=4), st.one_of(st.just(""), text))
url = st.one_of(good_url, good_url, st.sampled_from(HOSTILE_URLS), text)
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(text, inner, max_size=4)), max_leaves=12)
anything = st.one_of(json_value, st.sampled_from([None, [], {}, 10**30, 10**400, -1]))
token = st.from_regex(r"[0-9a-f]{16,24}", fullmatch=True)


def _html(links: list[str], token_value: str, title: str) -> str:
    anchors = "".join(f'<a href="{href}">x</a>' for href in links)
    return (f"<html><head><title>{title}</title></head><body>{anchors}"
            f'<form action="{links[0] if links else "/"}" method="post">'
            f'<input type="hidden" name="csrf_token" value="{token_value}"></form></body></html>')


html_body = st.builds(_html, st.lists(url, max_size=3), token, text)
response_body = st.one_of(html_body, json_value.map(json.dumps), text, st.none())

multipart_text = st.builds(
    lambda name, value: (f'--XX\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                         f"{value}\r\n--XX--\r\n"), text, text)
post_data = st.one_of(
    st.none(),
    st.fixed_dictionaries({"mimeType": st.just("application/json"),
                           "text": st.one_of(json_value.map(json.dumps), text)}),
    st.fixed_dictionaries({"mimeType": st.just("application/x-www-form-urlencoded"),
                           "text": st.one_of(text, token.map(lambda t: f"csrf_token={t}"))}),
    st.fixed_dictionaries({"mimeType": st.just("multipart/form-data; boundary=XX"),
                           "text": multipart_text}),
    st.fixed_dictionaries({"mimeType": st.just("multipart/form-data; boundary=XX"),
                           "params": st.lists(st.fixed_dictionaries(
                               {"name": text, "value": st.one_of(text, st.none())},
                               optional={"fileName": text, "contentType": text}), max_size=3)}),
    st.fixed_dictionaries({"mimeType": text, "text": text,
                           "encoding": st.sampled_from(["base64", "", "gzip"])}),
    anything,
)
header = st.fixed_dictionaries({"name": st.one_of(
    st.sampled_from(["Content-Type", "Authorization", "X-CSRF-Token", "Cookie", "Referer",
                     ":authority", "Location"]), text), "value": st.one_of(text, token, url)})


@st.composite
def entries(draw: st.DrawFn) -> Any:
    status = draw(st.one_of(st.sampled_from([200, 201, 204, 301, 302, 303, 304, 400, 404, 500,
                                             0, -1]), st.integers(-5, 1000), anything))
    response_headers = draw(st.lists(header, max_size=3))
    if isinstance(status, int) and 300 <= status < 400:
        response_headers.append({"name": "Location", "value": draw(url)})
    entry: dict[str, Any] = {
        "startedDateTime": draw(st.one_of(
            st.sampled_from(["2026-01-01T10:00:00.000Z", "2026-01-01T10:00:01.500+02:00"]),
            st.sampled_from(HOSTILE_TIMES), anything)),
        "time": draw(st.one_of(st.floats(0, 1e4), anything)),
        "request": {"method": draw(st.one_of(st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
                                             text, anything)),
                    "url": draw(st.one_of(url, anything)),
                    "headers": draw(st.one_of(st.lists(header, max_size=4), anything))},
        "response": {"status": status, "headers": response_headers,
                     "content": {"mimeType": draw(st.sampled_from(
                         ["text/html; charset=utf-8", "application/json", "text/plain", ""])),
                                 "text": draw(response_body)},
                     "redirectURL": draw(st.one_of(st.just(""), url))},
    }
    data = draw(post_data)
    if data is not None:
        entry["request"]["postData"] = data
    if draw(st.booleans()):
        entry["pageref"] = draw(st.sampled_from(["page_1", "page_2"]))
    return draw(st.one_of(st.just(entry), st.just(entry), anything))


page = st.fixed_dictionaries({
    "id": st.sampled_from(["page_1", "page_2"]), "title": st.one_of(text, url, anything),
    "startedDateTime": st.one_of(st.sampled_from(HOSTILE_TIMES), anything)})
hars = st.builds(
    lambda items, pages: {"log": {"version": "1.2", "creator": {"name": "hypothesis"},
                                  "entries": items, **({"pages": pages} if pages else {})}},
    st.lists(entries(), max_size=5), st.one_of(st.none(), st.lists(page, max_size=2)))

options = st.sampled_from([
    Options(), Options(user_class="http"), Options(checks="status"), Options(correlate=False),
    Options(think_time=ThinkTime.parse("none"), keep_static=True),
])


@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(har=hars, opts=options)
def test_any_har_structure_converts_or_is_refused(har: dict[str, Any], opts: Options) -> None:
    data = json.dumps(har).encode("utf-8")  # lone surrogates stay \\u escapes
    try:
        result = convert(data, opts, name="fuzz.har")
    except Har2LocustError as exc:
        assert "\n" not in str(exc)  # the CLI's one line
        return
    compile(result.code, "locustfile.py", "exec")
    result.code.encode("utf-8")  # writable: no lone surrogate outside an escaped literal
