"""Grouping's method names: words of the page's title or path, never a recorded id."""

from __future__ import annotations

import pytest

from har2locust_plus.stages.grouping import _route_word


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
