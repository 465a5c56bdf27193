"""The conversion pipeline: each stage is a function ``(Scenario, Options) -> Scenario``.

``PIPELINE`` lists them in the order they run; :func:`har2locust_plus.convert` applies them one
after another (and times each one for ``--timings``). To add a stage, write a module with one
such function and put it in the tuple where it belongs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from .. import ir
from ..options import Options
from ..parallel import fork_call
from .checks import checks_per_step, with_checks
from .correlate import correlate
from .documents import edit_documents
from .filter import filter_steps
from .grouping import group_steps
from .headers import answer_challenges, clean_headers, hoist_common_headers
from .rendezvous import mark_rendezvous
from .sanitized import restore_authorization
from .secrets import parameterize
from .session import warn_started_logged_in

Stage = Callable[[ir.Scenario, Options], ir.Scenario]

# steps from which deciding the checks in a child process, beside the replacing of secrets,
# pays for the fork and for carrying the checks back (about 20 ms in all at 10,000 entries)
CHECKS_BESIDE_FROM = 1500


def checks_beside_secrets(scenario: ir.Scenario, options: Options) -> ir.Scenario:
    """The secrets parameterized (:func:`.secrets.parameterize`), the headers every request
    sends moved to the class (:func:`.headers.hoist_common_headers`) and each step's checks
    added (:func:`.checks.add_checks`). The checks read the correlated scenario's responses
    and of its requests only what they send and name, which neither of the others changes:
    a large recording's checks are decided in a child process beside them."""

    def requests() -> ir.Scenario:
        return hoist_common_headers(parameterize(scenario, options), options)

    if len(scenario.steps) < CHECKS_BESIDE_FROM:
        return with_checks(requests(), checks_per_step(scenario, options))
    checks, changed = fork_call(functools.partial(checks_per_step, scenario, options),
                                requests, reducers=ir.reducers())
    return with_checks(changed, checks)


PIPELINE: tuple[tuple[str, Stage], ...] = (
    ("challenges", answer_challenges),
    ("filter", filter_steps),
    ("headers", clean_headers),
    ("group", group_steps),
    ("authorization", restore_authorization),
    ("session", warn_started_logged_in),
    ("documents", edit_documents),
    ("correlate", correlate),
    ("secrets, shared headers, checks", checks_beside_secrets),
    ("rendezvous", mark_rendezvous),
)
