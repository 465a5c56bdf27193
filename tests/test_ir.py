"""``ir.replace``: the stages' fast ``dataclasses.replace``, with the same results."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from har2locust_plus import Options, convert, ir

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _objects() -> list:
    """Every kind of IR object a real conversion makes (steps, requests, checks ...)."""
    scenario = convert(FIXTURES / "notes-journey.har", Options()).scenario
    seen: dict[type, object] = {}
    todo: list = [scenario]
    while todo:
        obj = todo.pop()
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            seen.setdefault(type(obj), obj)
            todo.extend(getattr(obj, f.name) for f in dataclasses.fields(obj))
        elif isinstance(obj, (tuple, list)):
            todo.extend(obj)
    return list(seen.values())


@pytest.mark.parametrize("obj", _objects(), ids=lambda o: type(o).__name__)
def test_replace_equals_dataclasses_replace_for_every_field(obj) -> None:
    assert ir.replace(obj) == dataclasses.replace(obj) and ir.replace(obj) is not obj
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        other = (value, "changed") if not isinstance(value, bool) else not value
        new = ir.replace(obj, **{f.name: other})
        assert new == dataclasses.replace(obj, **{f.name: other})
        assert type(new) is type(obj) and getattr(new, f.name) == other


def test_replace_refuses_what_is_not_a_field() -> None:
    scenario = _objects()[0]
    with pytest.raises(TypeError):
        ir.replace(scenario, no_such_field=1)


def test_classes_it_cannot_copy_fast_go_to_dataclasses_replace() -> None:
    @dataclasses.dataclass(frozen=True)
    class Checked:
        a: int
        b: int = 0

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError("negative")

    @dataclasses.dataclass(frozen=True)
    class KeywordOnly:
        a: int
        b: int = dataclasses.field(default=0, kw_only=True)

    with pytest.raises(ValueError, match="negative"):
        ir.replace(Checked(1), a=-1)
    assert ir.replace(KeywordOnly(1, b=2), a=3) == KeywordOnly(3, b=2)
