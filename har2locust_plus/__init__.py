"""har2locust-plus: a browser recording (HAR) in, a Locust script that works out.

The library core is :func:`convert`; the command line (``har2locust-plus``) is a thin shell
around it.

The names below are imported on first use (PEP 562): ``from har2locust_plus import convert``
works as always, while ``har2locust-plus --help``, ``--version`` and ``record``, which do not
convert, do not import libcst and black (0.3-0.4 s of start-up).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name → the module that defines it
_LAZY = {
    "Result": ".core", "convert": ".core",
    "BadInput": ".errors", "BadOption": ".errors", "Har2LocustError": ".errors",
    "Options": ".options", "ThinkTime": ".options",
}

__all__ = ["BadInput", "BadOption", "Har2LocustError", "Options", "Result", "ThinkTime",
           "convert", "__version__"]

if TYPE_CHECKING:
    from .core import Result, convert
    from .errors import BadInput, BadOption, Har2LocustError
    from .options import Options, ThinkTime


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
