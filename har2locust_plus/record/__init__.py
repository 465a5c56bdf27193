"""``har2locust-plus record``: a real browser's traffic as a HAR file (needs Playwright).

Importing this package does not import Playwright; :func:`record` does, when it runs.
"""

from .recorder import (
    JourneyFailed,
    RecordingStopped,
    RecordSummary,
    load_journey,
    normalize_url,
    record,
)

__all__ = ["JourneyFailed", "RecordSummary", "RecordingStopped", "load_journey",
           "normalize_url", "record"]
