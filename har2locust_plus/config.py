"""Project settings from ``[tool.har2locust-plus]`` in the current directory's pyproject.toml.

    [tool.har2locust-plus]
    correlate-rules = { order_ref = 'data-order="([A-Z0-9-]+)"' }
    ignore-values = ["^en-US$"]

Command-line ``--correlate-rule`` and ``--ignore-value`` add to these.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BadOption

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads the file only when tomli is installed
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None


@dataclass(frozen=True, slots=True)
class Config:
    rules: tuple[tuple[str, str], ...] = ()
    ignore_values: tuple[str, ...] = ()


def load_config(directory: Path) -> Config:
    path = directory / "pyproject.toml"
    if tomllib is None or not path.is_file():
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadOption(f"{path}: cannot read [tool.har2locust-plus]: {exc}") from None
    section: Any = data.get("tool", {}).get("har2locust-plus", {})
    if not isinstance(section, dict):
        raise BadOption(f"{path}: [tool.har2locust-plus] must be a table")
    rules = section.get("correlate-rules", {})
    ignore = section.get("ignore-values", [])
    if not isinstance(rules, dict) or not all(
            isinstance(k, str) and k.isidentifier() and isinstance(v, str)
            for k, v in rules.items()):
        raise BadOption(f"{path}: correlate-rules must map identifiers to regex strings")
    if not isinstance(ignore, list) or not all(isinstance(v, str) for v in ignore):
        raise BadOption(f"{path}: ignore-values must be a list of regex strings")
    for name, pattern in rules.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise BadOption(f"{path}: correlate-rules.{name}: invalid regex: {exc}") from None
    return Config(rules=tuple(rules.items()), ignore_values=tuple(ignore))
