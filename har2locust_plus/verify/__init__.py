"""``har2locust-plus verify``: replay a conversion (one user, two iterations), compare it with the
recording, and find the dynamic values correlation missed (replay-based correlation). See
``docs/verify.md``.

- :mod:`.replay`: import a locustfile, run one user's flow twice in process, record every
  request (and the cookie jar after it); requests to any origin but the host are refused.
- :mod:`.compare`: per-step results; recorded vs replayed responses → :class:`.compare.Finding`.
- :mod:`.shapes`: recorded vs replayed JSON: an ``error`` member that appeared, keys that went.
- :mod:`.cookies`: recorded request values that a live cookie replaces (double-submit tokens).
- :mod:`.core`: ``verify(har, host, options, fix=...) -> Outcome``, round after round.
- :mod:`.report_text`, :mod:`.report_html`: the table, the JSON report, the HTML page.
- :mod:`.command`: the click command ``cli._Command`` delegates to.

Importing :mod:`.replay` imports locust, which monkey-patches the process with gevent; nothing
here is imported by a plain conversion.
"""
