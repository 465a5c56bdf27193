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


# --- ir.reducers: how a child process sends IR objects back (parallel.py) ---------------------


def _pickled_with_reducers(obj: object) -> object:
    import copyreg
    import io
    import pickle

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, **ir.reducers()}
    pickler.dump(obj)
    return pickle.loads(buffer.getvalue())


@pytest.mark.parametrize("obj", _objects(), ids=lambda o: type(o).__name__)
def test_an_ir_object_pickled_by_its_reducer_comes_back_equal(obj) -> None:
    back = _pickled_with_reducers(obj)
    assert type(back) is type(obj)
    assert back == obj
    for field in dataclasses.fields(obj):
        assert type(getattr(back, field.name)) is type(getattr(obj, field.name))


def test_the_reducers_cover_the_steps_and_leave_out_what_init_cannot_rebuild() -> None:
    table = ir.reducers()
    assert {ir.Step, ir.Request, ir.RecordedResponse, ir.Header, ir.Template,
            ir.QueryParam} <= set(table)

    @dataclasses.dataclass(frozen=True)
    class Counted:
        n: int
        total: int = dataclasses.field(init=False, default=0)

    assert ir._reducer(Counted) is None
    assert ir._reducer(ir.HostRef) is None  # no fields: pickle's own way
    step = convert(FIXTURES / "notes-journey.har", Options()).scenario.steps[0]
    assert table[ir.Step](step) == (ir.Step, tuple(
        getattr(step, f.name) for f in dataclasses.fields(ir.Step)))
