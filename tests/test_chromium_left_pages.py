"""The premise of ``test_zoo_pages_lost.py``: Chromium keeps no body of a page the tab left.

DevTools' "Save all as HAR" asks the browser for each response's body when it exports
(``Network.getResponseBody``, the protocol call this test makes). A page the tab has left, by a
form's post or a link, has none any more ("No resource with given identifier found"), even with
the largest buffers the protocol allows: only the page shown at the end keeps its body. So a
DevTools export of a journey through several pages lacks the HTML of every page but the last,
and with it every form's token those pages handed out (``fixtures.record.to_pages_lost_har``
writes a zoo recording so). ``har2locust-plus record`` reads each page's body while it is shown.
Real Chromium on 127.0.0.1; skipped without it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120),
              pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                 reason=f"no Chromium at {CHROMIUM}")]

FORM = (b'<html><body><form method="post" action="/done"><input type="hidden" name="csrf" '
        b'value="T0KEN-4f8a9c"><button id="go">Go</button></form></body></html>')
DONE = b'<html><body><a id="next" href="/done">Again</a></body></html>'


class _Pages(BaseHTTPRequestHandler):
    """``/form`` (a form) posts to ``/done``, which redirects to itself; it links to itself."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - the handler's name
        body = FORM if self.path == "/form" else DONE
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(303)
        self.send_header("Location", "/done")
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_chromium_keeps_the_body_of_the_last_page_only(origin: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    pages: list[tuple[str, str]] = []  # (url, request id) of each document, in order
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
        try:
            page = browser.new_page()
            cdp = page.context.new_cdp_session(page)
            cdp.on("Network.responseReceived", lambda event: pages.append(
                (event["response"]["url"], event["requestId"]))
                if event.get("type") == "Document" else None)
            cdp.send("Network.enable", {"maxTotalBufferSize": 200_000_000,
                                        "maxResourceBufferSize": 50_000_000})
            page.goto(f"{origin}/form")
            page.click("#go")  # the form's post, redirected to /done
            page.wait_for_url(f"{origin}/done")
            with page.expect_navigation():
                page.click("#next")  # /done again: the first /done is left too
            kept = []
            for _, request_id in pages:
                try:
                    cdp.send("Network.getResponseBody", {"requestId": request_id})
                    kept.append(request_id)
                except Exception as error:  # noqa: BLE001 - the protocol's error is the answer
                    assert "No resource with given identifier" in str(error), error
        finally:
            browser.close()
    assert [url.removeprefix(origin) for url, _ in pages] == ["/form", "/done", "/done"]
    assert kept == [pages[-1][1]]  # the page shown at the end, its first visit's body gone
