"""har2locust-plus: a browser recording (HAR) in, a Locust script that works out.

The library core is :func:`convert`; the command line (``har2locust-plus``) is a thin shell
around it.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .core import Result, convert  # noqa: E402
from .errors import BadInput, BadOption, Har2LocustError  # noqa: E402
from .options import Options, ThinkTime  # noqa: E402

__all__ = ["BadInput", "BadOption", "Har2LocustError", "Options", "Result", "ThinkTime",
           "convert", "__version__"]
