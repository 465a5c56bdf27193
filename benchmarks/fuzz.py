#!/usr/bin/env python3
"""Fuzz the converter: mutated HARs through the CLI, in process, looking for crashes.

    python benchmarks/fuzz.py [--inputs 20000] [--seconds 0] [--seed 1] [--mutations 4]
                              [--findings DIR] [--corpus DIR ...]

Seeds are the project's fixtures (``fixtures/*.har``) and, when present, the real-world corpus
beside the checkout (``../shared/hars``; read in place, never copied). Each input is one of:

* a structural mutation: a few entries of a seed HAR (small inputs keep the rate up), with
  some of their values replaced by hostile ones (URLs ``urlsplit`` refuses, dates with absurd
  offsets, lone surrogates, huge numbers, wrong types, HTML with broken links, multipart bodies
  ...), keys deleted, or values spliced in from another seed;
* a byte-level mutation of such a HAR (or of a small seed file as it is): flipped, inserted,
  deleted and duplicated bytes, interesting tokens, truncation.

Each input runs through the ``har2locust-plus`` command in process (click's ``CliRunner``) with
a random choice of options. A *finding* is an exit status other than 0 or 2, a traceback on
stderr, an exit-2 message that is not one printable ``har2locust-plus: error:`` line, a script
that does not ``compile()``, or an input that takes longer than ``--timeout`` seconds. Findings
are grouped by class (exception type and the innermost har2locust_plus frame, from a rerun
with ``--traceback``); the first input of each class is saved in ``--findings``. The exit status
is 1 when anything was found. Only the standard library and the project's own dependencies are
used; nothing here runs under pytest (``tests/test_fuzz.py`` is the bounded hypothesis part).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from har2locust_plus.cli import main as cli  # noqa: E402

PREFIX = "har2locust-plus: error: "

# Values a hostile or broken exporter might write anywhere.
NASTY_STRINGS = [
    "", " ", "http://[::1/x", "http://[zz]/", "//[::1", "http://[your-domain]/api",
    "https://[::1]:99999/x", "http://h:99999/", "http://h:-1/", "http://h:abc/", "http://@/",
    "http://[::1]/a", "http://user:pw@h/x", "http:///x", "http://h/%zz%", "javascript:alert(1)",
    "data:text/html,<a href=x>", "file:///etc/passwd", "ws://h/s", "//h/x", "?a=1", "#f", "/x",
    "HTTP://H.EXAMPLE/A", "http://h/\x00", "http://h\t/x", "http://h/\udcff", "http://h/\ud800",
    "http://ex\u0430mple.com/", "http://h/" + "a" * 5000, "http://h/?" + "&".join("a" * 300),
    "\udcff", "\ud800", "\ud83d", "x\udcffy", "\x00", "\r\n", "\u2028", "\ufeff", "{{x}}",
    "{", "}", "'", '"', "\\", "\\u", "\"\"\"", "'''", "#", "# -*- coding: latin-1 -*-",
    "2026-01-01T10:00:00+25:00", "2026-01-01T10:00:00-99:59", "99999999999999999999",
    "2026-01-01T10:00:00+99999999999999999999:00", "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00", "31 dec 9999 23:59:59 -2359", "10:00", "2026-02-30T10:00:00Z",
    "NaN", "Infinity", "-Infinity", "1e400", "null", "true", "base64", "gzip",
    "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=XX",
    "application/json", "application/x-www-form-urlencoded", "text/html; charset=x-bogus-42",
    "text/html", "application/vnd.api+json", "image/png", "text/event-stream",
    "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\udcff\r\n--XX--\r\n",
    "--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\ud800\"\r\n\r\nx\r\n--XX--",
    "--XX\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XX--\r\n", "--XX--", "--XX",
    '<a href="https://[your-domain]/api">docs</a>', '<a href="http://[::1/x/12345678">',
    '<form action="http://[zz]/p"><input type="hidden" name="csrf" value="abc123def456ghi"></form>',
    '<meta http-equiv="refresh" content="0; url=http://[::1/x">', "<?xml version='1.0' "
    "encoding='utf-8'?><html><body><a href='/x/123456789'>a</a></body></html>", "<!-- only -->",
    '{"token": "abc123def456ghi789", "id": 12345678, "next": "http://[::1/x/9"}', '{"a": ' * 50,
    "[" * 2000, "[" * 150 + "]" * 150, '{"a": ' * 120 + "1" + "}" * 120,
    '{"a": NaN}', "a=1&b=%zz&c=\udcff&d", "=&=&", "a" * 100_000,
    "\u00b2" * 10, "\u00b2" * 13, "--5", "\u0662\u0660\u0660", "1" * 13,
    "Bearer abc123def456ghi789", "session=abc123def456ghi789; Path=/; HttpOnly",
    "/items/12345678?x=1", "https://other.example/login?next=/x", "\\\\h\\x",
]
NASTY_VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, -0.0, 10**30, 10**400, 2**63, -(2**63) - 1, 1e308, [], {},
    [None],
    {"": None}, [[[[[]]]]], {"name": None, "value": None}, {"name": 1, "value": [1]},
    [{"name": "a", "value": "\udcff"}], [{"name": "a", "fileName": "\ud800", "value": "\udcff"}],
]
# Tokens for byte-level insertion.
BYTE_TOKENS = [
    b'"', b"\\", b"\\u", b"\\udcff", b"\\ud800", b"\\u0000", b"{", b"}", b"[", b"]", b",", b":",
    b"null", b"true", b"1e999", b"-", b"99999999999999999999999", b"\xff", b"\xc3", b"\xef\xbb\xbf",
    b"\x00", b"\n", b"NaN", b'"http://[::1/x"', b'"+25:00"', b"\xed\xb2\x80",
]
OPTION_SETS = [
    [], [], [], ["--user-class", "http"], ["--checks", "status"], ["--checks", "none"],
    ["--no-correlate"], ["--think-time", "none"], ["--think-time", "1-3"], ["--keep-static"],
    ["--data", "users.csv"], ["--strict"], ["--keep-secrets"], ["--unique", "title"],
    ["--rendezvous", "2"], ["--report", "report.json"], ["--data-template", "users.csv"],
    ["--include-host", "*"], ["--correlate-rule", "tok=token=(\\w+)"],
]


class Timeout(Exception):
    """An input ran longer than --timeout seconds."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise Timeout


# --- seeds --------------------------------------------------------------------------------------


def load_seeds(dirs: list[Path]) -> tuple[list[tuple[str, bytes]], list[tuple[str, Any]]]:
    """(name, bytes) of every seed file, and (name, parsed JSON) of those that parse."""
    raw, parsed = [], []
    for directory in dirs:
        for path in sorted(directory.glob("*.har")):
            data = path.read_bytes()
            raw.append((path.name, data))
            try:
                parsed.append((path.name, json.loads(data.decode("utf-8-sig"))))
            except (UnicodeDecodeError, ValueError, RecursionError):
                pass
    return raw, parsed


def entries_of(har: Any) -> list[Any]:
    if isinstance(har, dict) and isinstance(har.get("log"), dict):
        entries = har["log"].get("entries")
        if isinstance(entries, list):
            return entries
    return []


# --- structural mutation ------------------------------------------------------------------------


def nodes(value: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """(path, value) of every node of a JSON tree."""
    found = [(path, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(nodes(child, (*path, key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found.extend(nodes(child, (*path, i)))
    return found


def set_at(root: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    parent = root
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return root


def mutate_string(rng: random.Random, text: str) -> str:
    choice = rng.randrange(6)
    if choice == 0 or not text:
        return rng.choice(NASTY_STRINGS)
    pos = rng.randrange(len(text) + 1)
    if choice == 1:
        return text[:pos] + rng.choice(NASTY_STRINGS) + text[pos:]
    if choice == 2:
        return text[:pos] + chr(rng.choice([0, 0xFFFD, 0xDCFF, 0xD800, 0x2028, 0x1F600,
                                            rng.randrange(0x110000)])) + text[pos:]
    if choice == 3:
        return text[:pos]
    if choice == 4:
        return text * rng.randint(2, 4)
    return text[:pos] + text[rng.randrange(len(text) + 1):]


def mutate_structure(rng: random.Random, har: Any, donors: list[Any], most: int = 4) -> Any:
    """Replace, delete or splice 1 to ``most`` nodes of ``har`` (mutated in place, returned)."""
    for _ in range(rng.randint(1, most)):
        all_nodes = nodes(har)
        path, value = rng.choice(all_nodes)
        op = rng.randrange(10)
        if op <= 2 and isinstance(value, str):
            har = set_at(har, path, mutate_string(rng, value))
        elif op == 3:
            har = set_at(har, path, rng.choice(NASTY_STRINGS))
        elif op == 4:
            har = set_at(har, path, json.loads(json.dumps(rng.choice(NASTY_VALUES))))
        elif op == 5 and path:
            parent = har
            for key in path[:-1]:
                parent = parent[key]
            del parent[path[-1]]
        elif op == 6 and donors:
            donor_path, donor_value = rng.choice(nodes(rng.choice(donors)))
            har = set_at(har, path, json.loads(json.dumps(donor_value)))
        else:
            har = targeted(rng, har)
    return har


# Fields the pipeline reads, with values aimed at them.
TARGETS: list[tuple[tuple[str, ...], list[Any]]] = [
    (("request", "url"), ["http://[::1/x", "http://[zz]/", "//[::1", "http://h:99999/", "",
                          "http://x\udcff.other/a", "https://\ud800/b",
                          "http://[your-domain]/a", "http://h/\udcff", None, 5]),
    (("startedDateTime",), ["2026-01-01T10:00:00+25:00", "99999999999999999999", None,
                            "2026-01-01T10:00:00-99:59", "garbage", "0001-01-01T00:00:00+01:00"]),
    (("response", "redirectURL"), ["http://[::1/x", "http://[zz]/", "//[::1", "\udcff"]),
    (("response", "status"), [302, 301, 0, -1, "302", 999, 10**30, None, True, "\u00b2", "--5"]),
    (("time",), [10**400, -1, 0, 1e308, None, "12"]),
    (("response", "content", "text"), [
        '<a href="https://[your-domain]/api">x</a><a href="/i/123456789">y</a>',
        '<form action="//[::1"><input name="csrf_token" value="abcdef123456789"></form>',
        '{"next": "http://[zz]/a/123456789", "token": "abcdef123456789"}', "\udcff" * 3]),
    (("response", "content", "mimeType"), ["text/html", "application/json", None, 3]),
    (("request", "postData"), [
        {"mimeType": "multipart/form-data; boundary=XX",
         "text": "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\udcff\r\n--XX--\r\n"},
        {"mimeType": "multipart/form-data; boundary=XX",
         "params": [{"name": "a\udcff", "value": "\udcff"},
                    {"name": "f", "fileName": "\ud800.txt", "value": "\udcff",
                     "contentType": "text/\udcff"}]},
        {"mimeType": "multipart/form-data", "text": "\udcff", "encoding": "base64"},
        {"mimeType": "application/x-www-form-urlencoded", "text": "a=\udcff&b=%ff"},
        {"mimeType": "application/json", "text": '{"a": "\\udcff", "b": 1e999}'},
        {"mimeType": "text/plain", "text": "x\udcffy\ud800"},
        {"mimeType": "application/json", "text": "[" * 250 + "]" * 250},
        {"mimeType": "application/json", "text": '{"a": ' * 90 + "[1]" + "}" * 90},
        {"params": [{"name": "\udcff", "value": None}]}, {"text": None}, "x"]),
]


def targeted(rng: random.Random, har: Any) -> Any:
    entries = entries_of(har)
    if not entries:
        return har
    entry = rng.choice(entries)
    if not isinstance(entry, dict):
        return har
    path, values = rng.choice(TARGETS)
    if path == ("response", "redirectURL") and isinstance(entry.get("response"), dict):
        headers = entry["response"].get("headers")
        location = rng.choice(values)
        if isinstance(headers, list):
            headers.append({"name": "Location", "value": location})
        entry["response"]["status"] = rng.choice([301, 302, 303, 307])
    parent = entry
    for key in path[:-1]:
        if not isinstance(parent.get(key), dict):
            parent[key] = {}
        parent = parent[key]
    parent[path[-1]] = json.loads(json.dumps(rng.choice(values)))
    return har


def small_har(rng: random.Random, har: Any) -> Any:
    """The seed with a few of its entries (in order): small inputs convert fast."""
    har = json.loads(json.dumps(har))
    entries = entries_of(har)
    if len(entries) > 8:
        start = rng.randrange(len(entries))
        count = rng.randint(1, 8)
        har["log"]["entries"] = entries[start:start + count]
        if rng.random() < 0.3 and isinstance(har["log"].get("pages"), list):
            har["log"]["pages"] = har["log"]["pages"][:3]
    return har


# --- byte-level mutation ------------------------------------------------------------------------


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 3, 8])):
        pos = rng.randrange(len(buf) + 1)
        op = rng.randrange(7)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            buf[pos:pos] = rng.choice(BYTE_TOKENS)
        elif op == 2:
            del buf[pos:pos + rng.randint(1, 64)]
        elif op == 3 and buf:
            start = rng.randrange(len(buf))
            buf[pos:pos] = buf[start:start + rng.randint(1, 256)]
        elif op == 4:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 5 and rng.random() < 0.2:
            del buf[pos:]
        else:  # replace a JSON string's contents with a token
            match = re.compile(rb'"[^"\\]{0,40}"').search(bytes(buf), pos)
            if match:
                buf[match.start() + 1:match.end() - 1] = rng.choice(BYTE_TOKENS).strip(b'"')
    return bytes(buf)


def dumps(rng: random.Random, har: Any) -> bytes:
    """JSON bytes, some indented, some with raw UTF-8; lone surrogates stay ``\\u`` escapes
    (as raw bytes they would only make invalid UTF-8, which byte mutation covers)."""
    indent = rng.choice([None, None, 2])
    if rng.random() < 0.3:
        try:
            return json.dumps(har, indent=indent, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            pass
    return json.dumps(har, indent=indent).encode("utf-8")


# --- running ------------------------------------------------------------------------------------


def make_input(rng: random.Random, raw: list[tuple[str, bytes]],
               parsed: list[tuple[str, Any]], most: int = 4) -> tuple[str, bytes]:
    kind = rng.random()
    if kind < 0.6 and parsed:
        name, har = rng.choice(parsed)
        donors = [rng.choice(parsed)[1] for _ in range(2)]
        har = mutate_structure(rng, small_har(rng, har), [small_har(rng, d) for d in donors],
                               most)
        return f"struct:{name}", dumps(rng, har)
    if kind < 0.9 and parsed:
        name, har = rng.choice(parsed)
        return f"bytes+struct:{name}", mutate_bytes(rng, dumps(rng, small_har(rng, har)))
    small = [(n, d) for n, d in raw if len(d) < 200_000] or raw
    name, data = rng.choice(small)
    return f"bytes:{name}", mutate_bytes(rng, data)


def run_once(data: bytes, options: list[str], timeout: float,
             show_traceback: bool = False) -> tuple[int | None, str, str, BaseException | None]:
    """(exit status, stdout, stderr, exception) of the command on ``data`` as stdin."""
    runner = CliRunner()
    args = ["-", "-o", "-", *options] + (["--traceback"] if show_traceback else [])
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        result = runner.invoke(cli, args, input=data)
    except Timeout as exc:
        return None, "", "", exc
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    if isinstance(exception, Timeout):
        return None, "", "", exception
    return result.exit_code, result.stdout, result.stderr, exception


def problem(status: int | None, out: str, err: str, exc: BaseException | None) -> str | None:
    """What is wrong with a run, or None."""
    if status is None:
        return "timeout"
    if exc is not None:
        return f"uncaught {type(exc).__name__}: {exc}"
    if status not in (0, 2):
        return f"exit {status}: {err.strip()[:300]}"
    if "Traceback (most recent call last)" in err:
        return "traceback on stderr"
    if status == 2:
        lines = err.splitlines()
        if len(lines) != 1 or not lines[0].startswith(PREFIX) or not lines[0].isprintable():
            return f"exit 2 without one error line: {lines[:3]}"
        return None
    try:
        compile(out, "<generated>", "exec")
    except (SyntaxError, ValueError) as error:
        return f"generated script does not compile: {error}"
    return None


def classify(data: bytes, options: list[str], timeout: float, found: str) -> str:
    """A class for a finding: the exception and the innermost project frame."""
    if found.startswith(("timeout", "generated", "exit 2")):
        return found.split(":", 1)[0]
    _, _, err, exc = run_once(data, options, timeout, show_traceback=True)
    if exc is not None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if "har2locust_plus" in f.filename]
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
        return f"{type(exc).__name__} at {where}"
    frames = re.findall(r'File ".*?(har2locust_plus/[^"]+)", line (\d+)', err)
    where = f"{frames[-1][0]}:{frames[-1][1]}" if frames else "?"
    lines = err.splitlines()
    last_frame = max((i for i, line in enumerate(lines) if line.startswith("  File ")), default=-1)
    after = [line for line in lines[last_frame + 1:] if line[:1] not in (" ", "")]
    name = after[0].split(":", 1)[0].rsplit(".", 1)[-1] if after else found[:60]
    return f"{name} at {where}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=20_000, help="stop after this many")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (0: no)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30, help="seconds per input")
    parser.add_argument("--mutations", type=int, default=4,
                        help="most structural mutations per input")
    parser.add_argument("--findings", type=Path, default=Path("/tmp/har2locust-fuzz"),
                        help="where the first input of each finding class is saved")
    parser.add_argument("--corpus", type=Path, action="append",
                        help="seed directories (default: fixtures/ and ../shared/hars)")
    parser.add_argument("--every", type=int, default=500, help="progress line every N inputs")
    args = parser.parse_args(argv)

    dirs = args.corpus or [d for d in (ROOT / "fixtures", ROOT.parent / "shared" / "hars")
                           if d.is_dir()]
    raw, parsed = load_seeds(dirs)
    print(f"{len(raw)} seed files ({len(parsed)} parse) from {', '.join(map(str, dirs))}",
          flush=True)
    args.findings.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGALRM, _on_alarm)
    work = tempfile.TemporaryDirectory(prefix="har2locust-fuzz-")
    os.chdir(work.name)  # files the options write (--data ...) go there
    rng = random.Random(args.seed)
    classes: dict[str, int] = {}
    statuses: dict[int | None, int] = {}
    started = time.monotonic()
    count = 0
    while count < args.inputs and not (args.seconds and time.monotonic() - started > args.seconds):
        label, data = make_input(rng, raw, parsed, args.mutations)
        options = rng.choice(OPTION_SETS)
        count += 1
        status, out, err, exc = run_once(data, options, args.timeout)
        statuses[status] = statuses.get(status, 0) + 1
        found = problem(status, out, err, exc)
        if found:
            key = classify(data, options, args.timeout, found)
            classes[key] = classes.get(key, 0) + 1
            if classes[key] == 1:
                name = re.sub(r"[^\w.-]+", "_", key)[:80]
                (args.findings / f"{name}.har").write_bytes(data)
                (args.findings / f"{name}.txt").write_text(
                    f"{label}\noptions: {options}\n{found}\n", "utf-8", "backslashreplace")
                print(f"NEW [{count}] {key} ({label}, {options}): {found[:200]}", flush=True)
        if count % args.every == 0:
            rate = count / (time.monotonic() - started)
            print(f"{count} inputs, {rate:.1f}/s, exits {statuses}, {len(classes)} classes",
                  flush=True)
    elapsed = time.monotonic() - started
    os.chdir(ROOT)
    work.cleanup()
    print(f"done: {count} inputs in {elapsed:.0f} s ({count / elapsed:.1f}/s), "
          f"exits {statuses}", flush=True)
    for key, n in sorted(classes.items(), key=lambda kv: -kv[1]):
        print(f"  {n:6d}  {key}")
    return 1 if classes else 0


if __name__ == "__main__":
    sys.exit(main())
