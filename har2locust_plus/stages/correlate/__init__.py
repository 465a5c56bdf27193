"""Correlation: recorded tokens, ids and nonces become values taken from the live responses.

One source kind per module — :mod:`.html` (inputs, meta tags, links' paths and queries,
element text, JSON data islands), :mod:`.scripts` (JavaScript strings), :mod:`.json_body`,
:mod:`.headers` (token headers, cookies), :mod:`.location` (path, query, fragment) — each
yielding :class:`.sources.Source` records; :mod:`.rank` is the one place that decides which
may be used and which wins; :mod:`.engine` runs the pass. A new source kind is one new module
and one line in ``engine._register_sources``.
"""

from .engine import correlate
from .sources import ID_NAME, boundary_regex, id_name, resource_name

__all__ = ["ID_NAME", "boundary_regex", "correlate", "id_name", "resource_name"]
