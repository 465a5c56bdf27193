"""Source text from the libcst module, formatted in process by black (pinned in pyproject)."""

from __future__ import annotations

import black
import libcst as cst

MODE = black.Mode(target_versions={black.TargetVersion.PY310})


def render(module: cst.Module) -> str:
    return black.format_str(module.code, mode=MODE)
