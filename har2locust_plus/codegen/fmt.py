"""Source text from the libcst module, formatted in process by black (pinned in pyproject).

The run-time helpers at the end of a module are copied from ``har2locust_plus/runtime``, whose
files are kept black-formatted (a test checks it): they are appended as they are instead of
being formatted again, which was most of the time of a small conversion.
"""

from __future__ import annotations

import black
import libcst as cst

from .generator import runtime_function_code

MODE = black.Mode(target_versions={black.TargetVersion.PY310})


def render(module: cst.Module) -> str:
    body = list(module.body)
    split = len(body)
    while split > 0 and _is_runtime_copy(body[split - 1]):
        split -= 1
    head = black.format_str(module.with_changes(body=body[:split]).code, mode=MODE)
    tail = [cst.Module(body=[fn.with_changes(leading_lines=[])]).code for fn in body[split:]]
    return head + "".join("\n\n" + code for code in tail)


def _is_runtime_copy(node: cst.CSTNode) -> bool:
    """A function copied unchanged from a (black-formatted) runtime module."""
    if not isinstance(node, cst.FunctionDef):
        return False
    code = runtime_function_code().get(node.name.value)
    return code is not None and code == cst.Module(body=[node.with_changes(leading_lines=[])]).code
