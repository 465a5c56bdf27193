"""``jsontext.loads`` (msgspec where it can) gives what ``json.loads`` gives, or json's error."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from har2locust_plus import jsontext

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=5),
    max_leaves=30)


def _same(a: object, b: object) -> bool:
    """Equal, of the same types all the way down, with the same sign of zero."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)  # type: ignore[arg-type]
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))  # type: ignore[arg-type]
    return a == b


@settings(max_examples=300, deadline=None)
@given(value=_JSON, indent=st.sampled_from([None, 1]), ensure_ascii=st.booleans())
def test_values_equal_json_loads(value: object, indent: int | None, ensure_ascii: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ensure_ascii)
    assert _same(jsontext.loads(text), json.loads(text))


@pytest.mark.parametrize("text", [
    "NaN", "[-Infinity]", "1e999", '"\\ud800"', '{"a": 1, "a": 2}', "-0.0", "1E400", "1" * 5000,
    "[1,]", "", " ", "\ufeff{}", "[" * 450 + "]" * 450, "[" * 600 + "]" * 600,
    "[" * 5000 + "]" * 5000, "01", '"\\x"', '"\ud800"',
])
def test_odd_documents_read_or_fail_as_json_loads(text: str) -> None:
    try:
        expected: object = ("value", json.loads(text))
    except (ValueError, RecursionError) as exc:
        expected = ("error", type(exc))
    try:
        got: object = ("value", jsontext.loads(text))
    except (ValueError, RecursionError) as exc:
        got = ("error", type(exc))
    if expected[0] == "value" and got[0] == "value" and not text.startswith("["):
        assert _same(got[1], expected[1]) or (expected[1] != expected[1])  # NaN
    else:  # (deep lists: == rather than _same's own recursion)
        assert got == expected


def test_json_options_apply_where_msgspec_refuses() -> None:
    def reject(constant: str) -> object:
        raise ValueError(constant)

    with pytest.raises(ValueError, match="NaN"):
        jsontext.loads('{"a": NaN}', parse_constant=reject)
    assert jsontext.loads('{"a": 1.5}', parse_constant=reject) == {"a": 1.5}


_XSSI = [")]}'", ")]}',\n", ")]}'\n", "while(1);", "while (1);", "for(;;);", "for (;;);",
         "  )]}' ,\r\n"]


@settings(max_examples=200, deadline=None)
@given(value=_JSON.filter(lambda v: isinstance(v, (dict, list))),
       prefix=st.sampled_from(_XSSI))
def test_an_anti_xssi_prefix_is_no_part_of_the_document(value: object, prefix: str) -> None:
    """Gerrit's and AngularJS's ``)]}'``, Google's ``while(1);``, Facebook's ``for (;;);``:
    the reader of a recorded answer and the script's ``parsed_json`` both leave it out."""
    from har2locust_plus.runtime.checks import parsed_json

    text = prefix + json.dumps(value)
    assert _same(jsontext.loads(text), value)

    class Response:  # what parsed_json reads of a Locust response
        status_code, headers, error = 200, {"Content-Type": "application/json"}, None

        def __init__(self) -> None:
            self.text = text
            self.content = text.encode()

    assert _same(parsed_json(Response()), value)


@pytest.mark.parametrize("text", ["0{\"sid\": \"x\"}", "while(0);{}", ")]}{}", "for(;);{}"])
def test_anything_else_before_a_document_is_still_an_error(text: str) -> None:
    with pytest.raises(ValueError):
        jsontext.loads(text)
