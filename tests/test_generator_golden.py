"""Golden files: the exact script the CLI writes for each fixture HAR and a few flag variants.

The cases and the renderer live in ``scripts/regen_goldens.py``; after an intended change to
the generated code, regenerate with ``python scripts/regen_goldens.py`` and review the diff.
"""

from __future__ import annotations

import difflib
import importlib.util
import warnings
from pathlib import Path

import black
import pytest

from har2locust_plus.codegen.fmt import MODE

REPO_ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("regen_goldens",
                                               REPO_ROOT / "scripts" / "regen_goldens.py")
assert _spec is not None and _spec.loader is not None
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)

CASES = [pytest.param(stem, flags, id=regen.golden_path(stem, flags).stem)
         for stem, flags in regen.CASES]


@pytest.mark.parametrize(("stem", "flags"), CASES)
def test_output_matches_golden(stem: str, flags: tuple[str, ...]) -> None:
    path = regen.golden_path(stem, flags)
    actual = regen.render(stem, flags)
    if not path.exists():
        pytest.fail(f"missing golden {path.relative_to(REPO_ROOT)}; create it with: "
                    f"{regen.COMMAND}")
    expected = path.read_text("utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            fromfile=f"{path.relative_to(REPO_ROOT)} (golden)", tofile="generated now"))
        pytest.fail(f"generated script differs from the golden:\n{diff}\n"
                    f"If the change is intended, regenerate the goldens with: {regen.COMMAND}",
                    pytrace=False)


@pytest.mark.parametrize(("stem", "flags"), CASES)
def test_golden_compiles_and_is_black_stable(stem: str, flags: tuple[str, ...]) -> None:
    path = regen.golden_path(stem, flags)
    if not path.exists():
        pytest.skip("missing golden: reported by test_output_matches_golden")
    code = path.read_text("utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(code, str(path), "exec")
    assert black.format_str(code, mode=MODE) == code


def test_no_stale_goldens() -> None:
    stale = [str(p.relative_to(REPO_ROOT)) for p in regen.stale_goldens()]
    assert not stale, f"goldens without a case: {stale}; remove them with: {regen.COMMAND}"


def test_every_fixture_har_has_a_default_golden() -> None:
    fixtures = {p.name.removesuffix(".har") for p in (REPO_ROOT / "fixtures").glob("*.har")}
    assert fixtures == {stem for stem, flags in regen.CASES if not flags and "+" not in stem}
