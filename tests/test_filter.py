"""The filter stage's long polls (a script's request that waits for news beside the flow),
event streams and live channels."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from test_correlate import api, conv

from har2locust_plus import Options, convert
from har2locust_plus.loader import SERVICE_WORKER_ANSWER
from har2locust_plus.stages.filter import LONG_POLL, SERVICE_WORKER_REQUEST

T0 = datetime(2026, 1, 1, 10, 0, tzinfo=timezone.utc)


def _at(entry: dict, seconds: float, ms: float = 10) -> dict:
    entry["startedDateTime"] = (T0 + timedelta(seconds=seconds)).isoformat().replace(
        "+00:00", "Z")
    entry["time"] = ms
    return entry


def _journey(poll_path: str, poll_ms: float, *, later: int = 3) -> list[dict]:
    """A GUI: its status, a poll sent at 1 s and open ``poll_ms``, the user's requests each
    0.2 s after it, then the next poll (answered at once: there was news)."""
    entries = [_at(api("/rest/status", response={"ok": True}), 0)]
    entries.append(_at(api(poll_path.format(since=8), response=[{"id": 9}]), 1, poll_ms))
    entries += [_at(api(f"/rest/config/{i}", response={"v": i}), 1 + 0.2 * (i + 1))
                for i in range(later)]
    entries.append(_at(api(poll_path.format(since=9), response=[{"id": 10}]), 5, 20))
    return entries


def _skipped(result) -> int:
    return dict(result.scenario.skipped).get(LONG_POLL, 0)


def test_a_long_poll_and_the_polls_of_its_endpoint_are_not_steps():
    """Syncthing's ``/rest/events?since=8``: open 3 s while the user saved; the next poll of
    the same endpoint, answered at once, is a poll all the same."""
    result = conv(*_journey("/rest/events?since={since}", 3000))
    assert _skipped(result) == 2
    assert "/rest/events" not in result.code
    assert [s.request.path.text for s in result.scenario.steps] == [
        "/rest/status", "/rest/config/0", "/rest/config/1", "/rest/config/2"]


def test_a_poll_path_without_a_poll_parameter_open_beside_the_flow_is_one_too():
    """The one open beside the flow, and the other request of its endpoint (answered at once
    when recorded, it may wait as long on a server with no news)."""
    result = conv(*_journey("/api/updates?n={since}x", 3000))
    assert _skipped(result) == 2


def test_the_same_events_filtered_under_a_long_polls_path_are_polls_too():
    """Syncthing's GUI asks ``/rest/events/disk?limit=25`` once: answered at once when
    recorded (there were disk events), it waits up to a minute on a fresh server with none.
    A path under the poll's that holds an id is not the same events: it stays a step."""
    entries = _journey("/rest/events?since={since}", 3000)
    entries.insert(1, _at(api("/rest/events/disk?limit=25", response=[{"id": 1}]), 0.5))
    entries.insert(2, _at(api("/rest/events/17", response={"id": 17}), 0.6))
    result = conv(*entries)
    assert _skipped(result) == 3
    assert [s.request.path.text for s in result.scenario.steps][:2] == [
        "/rest/status", "/rest/events/17"]


def test_slow_requests_that_are_not_polls_or_did_not_overlap_stay_steps():
    cases = [
        _journey("/rest/report?since={since}", 3000, later=1),  # one request while open
        _journey("/rest/events?since={since}", 600),  # answered before the user went on
        _journey("/api/report?from={since}", 3000),  # a slow report: no poll's name
    ]
    for entries in cases:
        result = conv(*entries)
        assert _skipped(result) == 0
        assert len(result.scenario.steps) == len(entries)


def test_one_time_for_every_entry_tells_nothing():
    entries = [_at(e, 0, 3000) for e in _journey("/rest/events?since={since}", 3000)]
    assert _skipped(conv(*entries)) == 0


def test_an_event_stream_is_not_a_step():
    """A page's ``EventSource`` (live notifications): Chrome's resource type, the answer's
    ``text/event-stream`` or the request's ``Accept: text/event-stream`` says so; a script
    would wait on it until its timeout. A JSON GET of the same path stays a step."""
    from test_correlate import entry

    from har2locust_plus.stages.filter import EVENT_STREAM

    streams = [
        entry("/notifications/stream", resource_type="eventsource"),
        entry("/live", mime="text/event-stream; charset=utf-8", body="data: {}\n\n",
              resource_type="other"),
        entry("/updates", headers=[("Accept", "text/event-stream")], resource_type="other"),
    ]
    result = conv(api("/api/me", response={"ok": True}), *streams,
                  api("/notifications/stream", response={"unread": 2}))
    assert dict(result.scenario.skipped).get(EVENT_STREAM) == 3
    assert [s.request.path.text for s in result.scenario.steps] == [
        "/api/me", "/notifications/stream"]


def test_a_post_long_poll_is_not_a_step_a_post_that_creates_a_poll_is():
    """Odoo's ``POST /longpolling/poll`` (JSON-RPC, open until there is news) open 3 s while
    the user saved, and the next one answered at once; a POST is a write otherwise: a survey's
    ``POST /api/poll`` answered at once stays a step, and so does a slow one that did not
    overlap the user's requests."""
    def poll(seconds: float, ms: float) -> dict:
        return _at(api("/longpolling/poll", "POST", json_body={"params": {"last": 0}},
                       response={"result": []}), seconds, ms)

    entries = [_at(api("/web/session", response={"uid": 2}), 0), poll(1, 3000)]
    entries += [_at(api(f"/web/dataset/{i}", "POST", json_body={"i": i}, response={"ok": i}),
                    1 + 0.2 * (i + 1)) for i in range(3)]
    entries += [poll(5, 20), _at(api("/api/poll", "POST", json_body={"q": "Tea?"},
                                     response={"id": 4}), 6)]
    result = conv(*entries)
    assert _skipped(result) == 2
    assert [s.label for s in result.scenario.steps] == [
        "GET /web/session", "POST /web/dataset/0", "POST /web/dataset/1", "POST /web/dataset/2",
        "POST /api/poll"]
    slow = [_at(api("/web/session", response={"uid": 2}), 0), poll(1, 3000),
            _at(api("/web/dataset/0", "POST", json_body={"i": 0}, response={"ok": 0}), 4.5)]
    assert _skipped(conv(*slow)) == 0


def test_socket_io_and_sockjs_transports_are_not_steps_and_events_sent_are_told():
    """Socket.IO's engine.io transport (its handshake, its polls, the packets it posts) and
    SockJS's: the page's live channel, whose session id the handshake hands out; what the
    page sent over it is named in a warning."""
    from test_correlate import entry

    from har2locust_plus.stages.filter import LIVE_CHANNEL

    eio = "/socket.io/?EIO=4&transport=polling&t=P1a2b3c"
    sid = "&sid=Xk3pQ9xW2vL7nB4mAAAB"
    channel = [
        entry(eio, mime="text/plain", body='0{"sid":"Xk3pQ9xW2vL7nB4mAAAB","pingInterval":25000}',
              resource_type="xhr"),
        entry(eio + sid, "POST", raw=("text/plain;charset=UTF-8", "40"), mime="text/html",
              body="ok", resource_type="xhr"),
        entry(eio + sid, mime="text/plain", body='40{"sid":"a1"}', resource_type="xhr"),
        entry(eio + sid, "POST", raw=("text/plain;charset=UTF-8", '42["add",{"n":1}]'),
              mime="text/html", body="ok", resource_type="xhr"),
        entry("/sockjs/123/ab4c9x/xhr", "POST", mime="application/javascript", body="o\n",
              resource_type="xhr"),
        entry("/sockjs/123/ab4c9x/xhr_send", "POST", raw=("text/plain", '["hello"]'),
              mime="text/plain", body="", resource_type="xhr", status=204),
    ]
    result = conv(api("/api/me", response={"ok": True}), *channel,
                  entry("/socket.io-docs/?transport=polling", body="<p>docs</p>"))
    assert dict(result.scenario.skipped).get(LIVE_CHANNEL) == 6
    assert [s.label for s in result.scenario.steps] == ["GET /api/me", "GET /socket.io-docs/"]
    (warning,) = [d.message for d in result.scenario.diagnostics if "live channel" in d.message]
    assert "(Socket.IO or SockJS: entry 5, entry 7)" in warning


def test_a_proxy_s_recording_is_of_the_site_the_browser_navigated_to(make_har, make_entry):
    """A proxy records the browser's own requests too, before the journey: Firefox's
    captive-portal check is an HTML page on detectportal.firefox.com, sent without
    ``Sec-Fetch-Dest``. The site under test is the first one the browser navigated to (the
    ``Sec-Fetch-Dest: document`` it sent); the others are third-party hosts, counted."""
    navigation = [("Accept", "text/html"), ("Sec-Fetch-Dest", "document")]
    har = make_har(
        make_entry("http://detectportal.firefox.com/canonical.html",
                   body='<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/">'),
        make_entry("http://ocsp.digicert.com/", "POST", mime="application/ocsp-response",
                   body="MFMwUTBP", post_data={"mimeType": "application/ocsp-request",
                                               "text": "0S0Q0O"}),
        make_entry("https://app.test/", headers=navigation, body="<title>Home</title>"),
        make_entry("https://app.test/notes", headers=navigation, body="<title>Notes</title>"))
    result = convert(har, Options(), name="charles.har")
    assert [(s.request.host, s.request.path.text) for s in result.scenario.steps] == [
        ("app.test", "/"), ("app.test", "/notes")]
    assert dict(result.scenario.skipped) == {"third-party host": 2}
    assert 'host = "https://app.test"' in result.code


def test_a_request_a_service_worker_sent_on_is_replayed_once(make_har, make_entry):
    """A page's request that its service worker answered by sending it on is recorded twice
    where the exporter shows the worker's traffic (Chrome's DevTools): as the page sent it
    (``_fetchedViaServiceWorker``) and as the worker sent it. The worker's is skipped, counted;
    the page's is replayed. A request the worker answered from its cache never reached the
    server: skipped. Two requests of the page alike (a double click) are both replayed, and so
    is a page's request whose worker request the recording lacks."""
    form = {"mimeType": "application/json", "text": '{"title": "n"}'}

    def sent(started: str, *, worker: str | None = None, kind: str = "fetch") -> dict:
        entry = make_entry("https://app.test/api/notes", "POST", post_data=form,
                           mime="application/json", body='{"id": 7}', started=started,
                           resource_type=kind)
        entry["time"] = 80
        if worker is not None:
            entry["response"]["_fetchedViaServiceWorker"] = True
            entry["response"]["_serviceWorkerResponseSource"] = worker
        return entry

    page = make_entry("https://app.test/", body="<title>Notes</title>",
                      resource_type="document")
    cached = make_entry("https://app.test/api/settings", mime="application/json", body="{}",
                        started="2026-01-01T10:00:04.000Z", resource_type="fetch")
    cached["response"]["_fetchedViaServiceWorker"] = True
    cached["response"]["_serviceWorkerResponseSource"] = "cache-storage"
    result = convert(make_har(
        page,
        sent("2026-01-01T10:00:01.000Z", worker="network"),
        sent("2026-01-01T10:00:01.005Z"),  # the worker's own: skipped
        sent("2026-01-01T10:00:02.000Z"), sent("2026-01-01T10:00:02.010Z"),  # a double click
        sent("2026-01-01T10:00:03.000Z", worker="network"),  # no worker entry: replayed
        cached), Options(), name="sw.har")
    assert [s.entry_index for s in result.scenario.steps] == [0, 1, 3, 4, 5]
    assert dict(result.scenario.skipped) == {SERVICE_WORKER_REQUEST: 1,
                                             SERVICE_WORKER_ANSWER: 1}


def test_a_captcha_s_answer_is_named_before_the_first_run(make_har, make_entry):
    """A form or call that sends a CAPTCHA's answer (reCAPTCHA's ``g-recaptcha-response``,
    hCaptcha's, Turnstile's, a wiki's typed answer) fails on replay, whatever the script
    does: the answer is good once. The conversion says so, naming the entry and the field;
    an empty one (the widget left unused) is not named."""
    login = make_entry("https://app.test/login", "POST", status=302, body="", post_data={
        "mimeType": "application/x-www-form-urlencoded",
        "text": "user=alice&g-recaptcha-response=03AFcWeA5x&h-captcha-response="})
    api = make_entry("https://app.test/api/signup", "POST", mime="application/json", body="{}",
                     post_data={"mimeType": "application/json",
                                "text": '{"email": "a@b.c", "cf-turnstile-response": "0.xyz"}'})
    plain = make_entry("https://app.test/notes", "POST", status=302, body="", post_data={
        "mimeType": "application/x-www-form-urlencoded", "text": "title=captcha+talk"})
    result = convert(make_har(make_entry("https://app.test/"), login, api, plain), Options(),
                     name="captcha.har")
    warnings = [d.message for d in result.scenario.diagnostics if "CAPTCHA" in d.message]
    assert [w.split(":")[0] for w in warnings] == [
        "entry 2 POST /login sends a CAPTCHA's answer (g-recaptcha-response)",
        "entry 3 POST /api/signup sends a CAPTCHA's answer (cf-turnstile-response)"]
