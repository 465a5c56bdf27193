#!/usr/bin/env python3
"""Deterministic generator of large, realistic Chrome-DevTools-style HAR files.

    python benchmarks/make_har.py N OUT.har [--seed S]

Writes a HAR with exactly N entries, shaped like "Save all as HAR (with sensitive data)" from
Chrome DevTools (creator ``WebInspector``, lower-case HTTP/2 header names, ``_resourceType``,
``_initiator``, ``_priority``, ``pages`` with ``pageref``, 2-space indented JSON). The same N
and seed always give the same bytes. What it records, in a loop of user "journeys":

* HTML pages (``document``) whose body carries a rotating CSRF token,
  ``<input type="hidden" name="csrf_token" value="...">`` (and a ``<meta name="csrf-token">``);
  the next form POST (urlencoded) sends that token back, gets a ``302`` with ``location`` and
  the browser follows with a ``GET`` of the target;
* a JSON API (``fetch``/``xhr``): ``POST /api/login`` returning ``{"access_token": ...}``, then
  requests carrying ``authorization: Bearer ...``; list calls; ``POST /api/items`` returning
  ``201 {"id": N}`` + ``location: /api/items/N``, followed by ``GET``/``PUT``/``DELETE`` of
  that id;
* static assets, about 40 % of the entries: images and fonts with base64 bodies of a few KB,
  CSS and JS as text, a few ``304`` revalidations and a few third-party (CDN/analytics) hosts.

Sizes are tuned so an entry averages about 14 KB: 1,000 entries are about 14 MB, 10,000 about
140 MB. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
from datetime import datetime, timedelta, timezone

GENERATOR_VERSION = 1  # bump when the output changes (run.py keys its cache on it)

ORIGIN = "https://shop.example.com"
HOST = "shop.example.com"
CDN = "https://cdn.examplecdn.net"
ANALYTICS = "https://www.analytics-collector.com"
USER_AGENT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")
SEC_CH_UA = '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"'
START = datetime(2025, 3, 14, 9, 30, 0, tzinfo=timezone.utc)
STATIC_SHARE = 0.40

_WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
          "november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee "
          "zulu order cart product review account settings shipping invoice payment widget "
          "gadget premium standard deluxe blue green red large small medium").split()


class Recorder:
    """Builds entries one at a time; keeps the browser state (clock, cookies, tokens, ids)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = START
        self.entries: list[str] = []  # serialized (indented) entries
        self.pagerefs: list[str] = []
        self.pages: list[dict] = []
        self.page_id = ""
        self.page_url = ORIGIN + "/"
        self.static = 0
        self.csrf = ""  # token of the page currently shown
        self.access_token = ""
        self.next_id = 1000 + self.rng.randrange(1000)
        self.session = self.token(32)
        self.asset_serial = 0
        self.connection = 200000

    # --- helpers -----------------------------------------------------------------------------

    def token(self, nbytes: int) -> str:
        return base64.urlsafe_b64encode(self.rng.randbytes(nbytes)).decode().rstrip("=")

    def words(self, n: int) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(n))

    def tick(self, low: float, high: float) -> None:
        self.clock += timedelta(milliseconds=self.rng.uniform(low, high))

    @staticmethod
    def iso(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def http_date(self) -> str:
        return self.clock.strftime("%a, %d %b %Y %H:%M:%S GMT")

    def new_page(self, url: str, title: str) -> None:
        self.tick(800, 4000)  # think time before a navigation
        self.page_id = f"page_{len(self.pages) + 1}"
        self.page_url = url
        on_content = round(self.rng.uniform(150, 900), 3)
        self.pages.append({
            "startedDateTime": self.iso(self.clock),
            "id": self.page_id,
            "title": title,
            "pageTimings": {"onContentLoad": on_content,
                            "onLoad": round(on_content + self.rng.uniform(50, 600), 3)},
        })

    def request_headers(self, method: str, url: str, kind: str, *, extra: list | None = None,
                        same_origin: bool = True) -> list[dict]:
        path = url.split("://", 1)[1]
        authority, _, rest = path.partition("/")
        accept = {
            "document": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
                        "image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
            "stylesheet": "text/css,*/*;q=0.1",
            "script": "*/*",
            "image": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
            "font": "*/*",
            "fetch": "application/json, text/plain, */*",
            "xhr": "application/json, text/plain, */*",
            "ping": "*/*",
        }[kind]
        dest = {"document": "document", "stylesheet": "style", "script": "script",
                "image": "image", "font": "font", "fetch": "empty", "xhr": "empty",
                "ping": "empty"}[kind]
        headers = [
            {"name": ":authority", "value": authority},
            {"name": ":method", "value": method},
            {"name": ":path", "value": "/" + rest},
            {"name": ":scheme", "value": "https"},
            {"name": "accept", "value": accept},
            {"name": "accept-encoding", "value": "gzip, deflate, br, zstd"},
            {"name": "accept-language", "value": "en-US,en;q=0.9,de;q=0.8"},
        ]
        if same_origin:
            headers.append({"name": "cookie", "value": (
                f"session={self.session}; _ga=GA1.1.{self.rng.randrange(10**9)}.1710400000; "
                f"consent=necessary%2Cstatistics; theme=light")})
        headers += [
            {"name": "priority", "value": "u=0, i" if kind == "document" else "u=1, i"},
            {"name": "referer", "value": self.page_url},
            {"name": "sec-ch-ua", "value": SEC_CH_UA},
            {"name": "sec-ch-ua-mobile", "value": "?0"},
            {"name": "sec-ch-ua-platform", "value": '"Windows"'},
            {"name": "sec-fetch-dest", "value": dest},
            {"name": "sec-fetch-mode", "value": "navigate" if kind == "document" else
             ("cors" if kind in ("fetch", "xhr", "font") else "no-cors")},
            {"name": "sec-fetch-site", "value": "same-origin" if same_origin else "cross-site"},
        ]
        if kind == "document":
            headers += [{"name": "sec-fetch-user", "value": "?1"},
                        {"name": "upgrade-insecure-requests", "value": "1"}]
        headers.append({"name": "user-agent", "value": USER_AGENT})
        if extra:
            headers += extra
        return headers

    def response_headers(self, mime: str, length: int, *, extra: list | None = None,
                         cache: str = "no-store") -> list[dict]:
        headers = [
            {"name": "cache-control", "value": cache},
            {"name": "content-encoding", "value": "br"} if length > 1024 else None,
            {"name": "content-length", "value": str(max(length // 3, 0))},
            {"name": "content-type", "value": mime},
            {"name": "date", "value": self.http_date()},
            {"name": "server", "value": "nginx/1.25.4"},
            {"name": "strict-transport-security", "value": "max-age=63072000; includeSubDomains"},
            {"name": "x-content-type-options", "value": "nosniff"},
            {"name": "x-request-id", "value": self.token(12)},
        ]
        headers = [h for h in headers if h]
        if extra:
            headers += extra
        return headers

    def add(self, method: str, url: str, kind: str, status: int, *, mime: str, text: str | None,
            base64_body: bool = False, request_extra: list | None = None,
            response_extra: list | None = None, post: dict | None = None,
            same_origin: bool = True, redirect: str = "", cache: str = "no-store",
            initiator: str | None = None) -> None:
        self.tick(2, 40)
        started = self.clock
        wait = self.rng.uniform(8, 180 if kind in ("document", "fetch", "xhr") else 40)
        receive = self.rng.uniform(0.2, 25)
        blocked = self.rng.uniform(0.5, 6)
        total = blocked + 0.1 + wait + receive
        body_len = len(text) * 3 // 4 if (text and base64_body) else len(text or "")
        query = url.split("?", 1)[1] if "?" in url else ""
        status_text = {200: "", 201: "", 204: "", 302: "", 304: ""}[status]  # HTTP/2: empty
        request = {
            "method": method,
            "url": url,
            "httpVersion": "http/2.0",
            "headers": self.request_headers(method, url, kind, extra=request_extra,
                                            same_origin=same_origin),
            "queryString": [{"name": k, "value": v} for k, _, v in
                            (pair.partition("=") for pair in query.split("&") if pair)],
            "cookies": [{"name": "session", "value": self.session, "path": "/",
                         "domain": HOST, "expires": "1969-12-31T23:59:59.000Z",
                         "httpOnly": True, "secure": True, "sameSite": "Lax"}]
            if same_origin else [],
            "headersSize": -1,
            "bodySize": len(post["text"]) if post else 0,
        }
        if post:
            request["postData"] = post
        content: dict = {"size": body_len, "mimeType": mime}
        if text is not None:
            content["text"] = text
        if base64_body:
            content["encoding"] = "base64"
        entry = {
            "_connectionId": str(self.connection),
            "_initiator": {"type": "parser", "url": self.page_url,
                           "lineNumber": self.rng.randrange(1, 400)}
            if initiator is None else {"type": initiator},
            "_priority": "VeryHigh" if kind == "document" else
            ("High" if kind in ("stylesheet", "fetch", "xhr", "font") else "Low"),
            "_resourceType": kind,
            "cache": {},
            "connection": "443",
            "pageref": self.page_id,
            "request": request,
            "response": {
                "status": status,
                "statusText": status_text,
                "httpVersion": "http/2.0",
                "headers": self.response_headers(mime, body_len, extra=response_extra,
                                                 cache=cache),
                "cookies": [],
                "content": content,
                "redirectURL": redirect,
                "headersSize": -1,
                "bodySize": -1,
                "_transferSize": body_len // 3 + 400,
                "_error": None,
                "_fetchedViaServiceWorker": False,
            },
            "serverIPAddress": "203.0.113.10" if same_origin else "198.51.100.7",
            "startedDateTime": self.iso(started),
            "time": round(total, 3),
            "timings": {"blocked": round(blocked, 3), "dns": -1, "ssl": -1, "connect": -1,
                        "send": 0.1, "wait": round(wait, 3), "receive": round(receive, 3),
                        "_blocked_queueing": round(blocked * 0.8, 3), "_workerStart": -1,
                        "_workerReady": -1, "_workerFetchStart": -1,
                        "_workerRespondWithSettled": -1},
        }
        if kind in ("stylesheet", "script", "image", "font"):
            self.static += 1
        text = json.dumps(entry, indent=2, ensure_ascii=False)
        self.entries.append(text.replace("\n", "\n    "))
        self.pagerefs.append(self.page_id)

    # --- bodies ------------------------------------------------------------------------------

    def html(self, title: str, heading: str, *, form_action: str | None, size: int) -> str:
        """An HTML page of about ``size`` characters carrying a fresh CSRF token."""
        self.csrf = self.token(24)
        nav = "".join(f'<li class="nav-item"><a href="/category/{w}">{w.title()}</a></li>\n'
                      for w in self.rng.sample(_WORDS, 8))
        form = ""
        if form_action:
            form = (f'<form method="post" action="{form_action}" class="form">\n'
                    f'  <input type="hidden" name="csrf_token" value="{self.csrf}">\n'
                    f'  <label>Quantity <input type="number" name="quantity" value="1"></label>\n'
                    f'  <label>Comment <textarea name="comment"></textarea></label>\n'
                    f'  <button type="submit">Save</button>\n</form>\n')
        else:  # a search form still carries the token, as many frameworks do
            form = (f'<form method="post" action="/search" class="search">\n'
                    f'  <input type="hidden" name="csrf_token" value="{self.csrf}">\n'
                    f'  <input type="search" name="q">\n</form>\n')
        head = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f'<meta name="csrf-token" content="{self.csrf}">\n<title>{title}</title>\n'
                f'<link rel="stylesheet" href="/static/css/app.css">\n'
                f'<script src="/static/js/app.js" defer></script>\n</head>\n<body>\n'
                f'<header><nav><ul class="nav">\n{nav}</ul></nav></header>\n'
                f'<main>\n<h1>{heading}</h1>\n{form}')
        parts = [head]
        length = len(head)
        while length < size:
            item = self.next_id + self.rng.randrange(-500, 500)
            card = (f'<div class="card product" data-id="{item}">\n'
                    f'  <img src="/static/img/p{item}.webp" alt="{self.words(3)}" loading="lazy">\n'
                    f'  <h3><a href="/products/{item}">{self.words(3).title()}</a></h3>\n'
                    f'  <p class="desc">{self.words(self.rng.randrange(20, 45))}</p>\n'
                    f'  <span class="price">${self.rng.randrange(1, 500)}.'
                    f'{self.rng.randrange(100):02d}'
                    f'</span>\n</div>\n')
            parts.append(card)
            length += len(card)
        parts.append('</main>\n<footer><p>&copy; 2025 Example Shop</p></footer>\n'
                     '<script>window.__APP__ = {"release": "2025.03.1", "locale": "en-US"};'
                     '</script>\n</body>\n</html>\n')
        return "".join(parts)

    def css(self, size: int) -> str:
        parts, length = [], 0
        while length < size:
            rule = (f".{self.rng.choice(_WORDS)}-{self.rng.randrange(999)} "
                    f"{{ margin: {self.rng.randrange(24)}px {self.rng.randrange(24)}px; "
                    f"color: #{self.rng.randrange(0xFFFFFF):06x}; "
                    f"font-size: {self.rng.randrange(10, 30)}px; display: flex; }}\n")
            parts.append(rule)
            length += len(rule)
        return "".join(parts)

    def js(self, size: int) -> str:
        parts, length = ['"use strict";\n'], 0
        while length < size:
            name = self.rng.choice(_WORDS)
            fn = (f"function {name}_{self.rng.randrange(99999)}(e,t){{var n=e.{name}||{{}};"
                  f"if(!n.ready)return t({self.rng.randrange(1000)});"
                  f'return fetch("/api/{name}",{{method:"GET"}})'
                  f'.then(function(r){{return r.json()}})}}\n')
            parts.append(fn)
            length += len(fn)
        return "".join(parts)

    def binary(self, size: int) -> str:
        return base64.b64encode(self.rng.randbytes(size)).decode()

    # --- journeys ----------------------------------------------------------------------------

    def assets(self, limit: int) -> None:
        """Static resources of the page just loaded, keeping them about 40 % of all entries."""
        wanted = 0
        while (self.static + wanted) < STATIC_SHARE * (len(self.entries) + wanted) and wanted < 9:
            wanted += 1
        for _ in range(min(max(wanted, 1), limit)):
            if len(self.entries) >= self.n:
                return
            self.asset_serial += 1
            serial, digest = self.asset_serial, self.token(6)
            pick = self.rng.random()
            third_party = self.rng.random() < 0.08
            base = CDN if third_party else ORIGIN
            if self.rng.random() < 0.07 and not third_party:  # revalidation
                self.add("GET", f"{ORIGIN}/static/css/app.css", "stylesheet", 304,
                         mime="text/css", text=None, cache="max-age=0",
                         response_extra=[{"name": "etag", "value": f'W/"{digest}"'}])
            elif pick < 0.45:
                ext, mime = self.rng.choice((("webp", "image/webp"), ("png", "image/png"),
                                             ("jpg", "image/jpeg")))
                self.add("GET", f"{base}/static/img/p{serial}.{digest}.{ext}", "image", 200,
                         mime=mime, text=self.binary(self.rng.randrange(3500, 14500)),
                         base64_body=True, same_origin=not third_party,
                         cache="public, max-age=31536000, immutable")
            elif pick < 0.58:
                self.add("GET", f"{base}/static/fonts/inter-{serial}.{digest}.woff2", "font",
                         200, mime="font/woff2",
                         text=self.binary(self.rng.randrange(10000, 22000)), base64_body=True,
                         same_origin=not third_party, cache="public, max-age=31536000, immutable")
            elif pick < 0.78:
                self.add("GET", f"{base}/static/css/chunk-{serial}.{digest}.css", "stylesheet",
                         200, mime="text/css", text=self.css(self.rng.randrange(4500, 17000)),
                         same_origin=not third_party, cache="public, max-age=31536000, immutable")
            else:
                self.add("GET", f"{base}/static/js/chunk-{serial}.{digest}.js", "script", 200,
                         mime="application/javascript",
                         text=self.js(self.rng.randrange(6000, 24000)),
                         same_origin=not third_party, cache="public, max-age=31536000, immutable")

    def visit(self, path: str, title: str, *, form_action: str | None = None) -> None:
        url = ORIGIN + path
        self.new_page(url, title)
        self.add("GET", url, "document", 200, mime="text/html",
                 text=self.html(title, title, form_action=form_action,
                                size=self.rng.randrange(11000, 32000)),
                 response_extra=[{"name": "vary", "value": "Cookie, Accept-Encoding"}],
                 initiator="other")
        self.assets(limit=9)

    def form_post(self) -> None:
        """A product page with a form, its POST (302) and the GET the browser follows."""
        item = self.next_id + self.rng.randrange(50)
        action = f"/products/{item}/reviews"
        self.visit(f"/products/{item}", f"Product {item}", form_action=action)
        if len(self.entries) >= self.n:
            return
        token, comment = self.csrf, self.words(self.rng.randrange(4, 20))
        body = f"csrf_token={token}&quantity={self.rng.randrange(1, 5)}&comment=" + \
            comment.replace(" ", "+")
        target = f"/products/{item}/reviews/{self.rng.randrange(10**6)}"
        self.tick(1500, 6000)
        self.add("POST", ORIGIN + action, "document", 302, mime="text/html", text="",
                 request_extra=[{"name": "content-type",
                                 "value": "application/x-www-form-urlencoded"},
                                {"name": "origin", "value": ORIGIN},
                                {"name": "content-length", "value": str(len(body))}],
                 response_extra=[{"name": "location", "value": target}],
                 post={"mimeType": "application/x-www-form-urlencoded", "text": body,
                       "params": [{"name": k, "value": v} for k, _, v in
                                  (p.partition("=") for p in body.split("&"))]},
                 redirect=ORIGIN + target, initiator="other")
        if len(self.entries) >= self.n:
            return
        # the redirect target: same page id (the navigation continues)
        self.page_url = ORIGIN + target
        self.add("GET", ORIGIN + target, "document", 200, mime="text/html",
                 text=self.html("Review saved", "Thank you for your review", form_action=None,
                                size=self.rng.randrange(6000, 15000)),
                 initiator="other")

    def api_call(self, method: str, path: str, status: int, *, json_body: object = None,
                 response: object = None, response_extra: list | None = None,
                 auth: bool = True) -> None:
        if len(self.entries) >= self.n:
            return
        extra = []
        if auth and self.access_token:
            extra.append({"name": "authorization", "value": f"Bearer {self.access_token}"})
        post = None
        if json_body is not None:
            text = json.dumps(json_body, separators=(",", ":"))
            extra += [{"name": "content-type", "value": "application/json"},
                      {"name": "origin", "value": ORIGIN}]
            post = {"mimeType": "application/json", "text": text}
        text = None if response is None else json.dumps(response, separators=(",", ":"))
        self.add(method, ORIGIN + path, self.rng.choice(("fetch", "fetch", "xhr")), status,
                 mime="application/json" if text is not None else "text/plain",
                 text=text if text is not None else "", request_extra=extra,
                 response_extra=response_extra, post=post, initiator="script")

    def item(self, item_id: int, rich: bool) -> dict:
        value = {"id": item_id, "name": self.words(3).title(), "sku": f"SKU-{item_id:07d}",
                 "price": round(self.rng.uniform(1, 500), 2), "currency": "USD",
                 "stock": self.rng.randrange(200), "tags": self.words(4).split(),
                 "updated_at": self.iso(self.clock)}
        if rich:
            value["description"] = self.words(self.rng.randrange(30, 90))
            value["attributes"] = {w: self.words(2) for w in self.rng.sample(_WORDS, 6)}
        return value

    def api_session(self) -> None:
        """Login, list, then create/read/update/delete items with the bearer token."""
        self.visit("/app", "Example Shop — Dashboard")
        token = f"eyJhbGciOiJIUzI1NiJ9.{self.token(96)}.{self.token(32)}"
        self.access_token = ""
        self.api_call("POST", "/api/login", 200,
                      json_body={"username": "bench.user@example.com", "password": "s3cret!"},
                      response={"access_token": token, "token_type": "Bearer",
                                "expires_in": 3600}, auth=False)
        self.access_token = token
        for _ in range(self.rng.randrange(2, 5)):
            page = self.rng.randrange(1, 20)
            items = [self.item(self.next_id - self.rng.randrange(1, 900), rich=True)
                     for _ in range(self.rng.randrange(10, 30))]
            self.api_call("GET", f"/api/items?page={page}&per_page={len(items)}", 200,
                          response={"items": items, "page": page, "total": 4000 + page})
            self.tick(300, 2000)
            self.next_id += self.rng.randrange(1, 4)
            new_id = self.next_id
            created = self.item(new_id, rich=False)
            self.api_call("POST", "/api/items", 201,
                          json_body={k: v for k, v in created.items() if k != "id"},
                          response={"id": new_id},
                          response_extra=[{"name": "location", "value": f"/api/items/{new_id}"}])
            self.api_call("GET", f"/api/items/{new_id}", 200, response=self.item(new_id, True))
            self.tick(500, 3000)
            changed = dict(created, stock=created["stock"] + 1)
            self.api_call("PUT", f"/api/items/{new_id}", 200,
                          json_body={k: v for k, v in changed.items() if k != "id"},
                          response=changed)
            if self.rng.random() < 0.7:
                self.api_call("DELETE", f"/api/items/{new_id}", 204)

    def analytics_beacon(self) -> None:
        self.add("POST", f"{ANALYTICS}/g/collect?v=2&tid=G-BENCH&cid={self.rng.randrange(10**9)}",
                 "ping", 204, mime="text/plain", text="", same_origin=False,
                 post={"mimeType": "text/plain;charset=UTF-8",
                       "text": f"en=page_view&dl={self.page_url}&dt=page"}, initiator="script")

    def run(self, n: int) -> None:
        self.n = n
        self.visit("/", "Example Shop — Home")
        while len(self.entries) < n:
            pick = self.rng.random()
            if pick < 0.35:
                self.form_post()
            elif pick < 0.65:
                self.api_session()
            elif pick < 0.75:
                self.analytics_beacon()
            else:
                self.visit(f"/category/{self.rng.choice(_WORDS)}?sort=price&page="
                           f"{self.rng.randrange(1, 9)}", "Example Shop — Category")
        del self.entries[n:], self.pagerefs[n:]


def write_har(n: int, out: str, seed: int = 1) -> None:
    recorder = Recorder(seed)
    recorder.run(n)
    used = set(recorder.pagerefs)
    pages = [p for p in recorder.pages if p["id"] in used]
    pages = json.dumps(pages, indent=2, ensure_ascii=False)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write('{\n  "log": {\n    "version": "1.2",\n    "creator": {\n'
                     '      "name": "WebInspector",\n      "version": "537.36"\n    },\n'
                     '    "pages": ' + pages.replace("\n", "\n    ") + ',\n    "entries": [\n    ')
        handle.write(",\n    ".join(recorder.entries))
        handle.write("\n    ]\n  }\n}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of entries")
    parser.add_argument("out", help="output .har path")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    write_har(args.n, args.out, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
