"""The conversion pipeline: each stage is a function ``(Scenario, Options) -> Scenario``.

``PIPELINE`` lists them in the order they run; :func:`har2locust_plus.convert` applies them one
after another (and times each one for ``--timings``). To add a stage, write a module with one
such function and put it in the tuple where it belongs.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import ir
from ..options import Options
from .checks import add_checks
from .correlate import correlate
from .documents import edit_documents
from .filter import filter_steps
from .grouping import group_steps
from .headers import answer_challenges, clean_headers, hoist_common_headers
from .rendezvous import mark_rendezvous
from .secrets import parameterize

Stage = Callable[[ir.Scenario, Options], ir.Scenario]

PIPELINE: tuple[tuple[str, Stage], ...] = (
    ("challenges", answer_challenges),
    ("filter", filter_steps),
    ("headers", clean_headers),
    ("group", group_steps),
    ("documents", edit_documents),
    ("correlate", correlate),
    ("parameterize", parameterize),
    ("checks", add_checks),
    ("shared headers", hoist_common_headers),
    ("rendezvous", mark_rendezvous),
)
