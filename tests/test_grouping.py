"""Grouping's method names: words of the page's title or path, never a recorded id."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from har2locust_plus.stages.grouping import _method_name, _Names, _route_word


@pytest.mark.parametrize(("segment", "word"), [
    ("notes", "notes"),
    ("4711", ""),
    ("{note_id}", ""),
    ("issue28671", "issue"),  # Roundup's designators
    ("msg-4711", "msg"),
    ("user_123", "user"),
    ("v2", "v2"),  # a route word, not an id
    ("h2o", "h2o"),
    ("0b7f9c2e-3d4a-4b8e-9f1a-2c3d4e5f6a7b", ""),
    ("oauth2callback", "oauth2callback"),
    ("zoo-post-1796195489047", "zoo-post"),  # WordPress: a slug the client's title made
    ("GetNavigationMenu2", "GetNavigationMenu2"),
    ("njptwgmenj11rgdugpcq9", ""),  # a token
])
def test_a_path_segment_names_a_method_without_its_id(segment: str, word: str) -> None:
    assert _route_word(segment) == word


@given(st.lists(st.sampled_from(["a", "a 2", "a_3", "a 2 2", "b", "B", "for", "a 4"]),
                max_size=40))
def test_pages_of_one_name_are_numbered_in_order_skipping_names_taken(titles: list[str]
                                                                      ) -> None:
    """``a``, ``a_2``, ``a_3``... as if every suffix were tried from 2 on each time, also when
    another page's own name is ``a_2`` (the suffix remembered per name must not skip a free
    one nor repeat a taken one)."""
    used = _Names()
    names = [_method_name(title, None, used) for title in titles]  # type: ignore[arg-type]
    expected: list[str] = []
    for title in titles:
        base = {"for": "page_for", "B": "b"}.get(title, title.replace(" ", "_"))
        name, n = base, 2
        while name in expected:
            name, n = f"{base}_{n}", n + 1
        expected.append(name)
    assert names == expected
