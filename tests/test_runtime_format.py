"""The run-time helper modules are appended to generated scripts without re-formatting
(codegen/fmt.py), so they must already be exactly what black makes of them."""

from __future__ import annotations

from pathlib import Path

import black
import pytest

from har2locust_plus.codegen.fmt import MODE

RUNTIME = Path(__file__).resolve().parents[1] / "har2locust_plus" / "runtime"


@pytest.mark.parametrize("name", ["checks.py", "data.py", "rendezvous.py", "transactions.py"])
def test_runtime_module_is_black_formatted(name: str) -> None:
    source = (RUNTIME / name).read_text(encoding="utf-8")
    assert black.format_str(source, mode=MODE) == source, (
        f"run black on har2locust_plus/runtime/{name} (target py310, default line length)")
