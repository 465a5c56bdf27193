"""The body sources computed ahead of the correlation pass (on both cores) look for a superset of
what the pass still wants at each response: the bound ``_wanted_until`` never drops a value the
pass would have looked for. Checked on every bundled recording and the real-world corpus."""

from __future__ import annotations

import pytest
from conftest import CORPUS_DIR, REPO_ROOT

from har2locust_plus import Options, convert
from har2locust_plus.stages.correlate import engine

HARS = sorted(str(p) for p in (REPO_ROOT / "fixtures").rglob("*.har"))
CORPUS = sorted(str(p) for p in CORPUS_DIR.rglob("*.har")) if CORPUS_DIR.is_dir() else []


def _checked_conversion(har: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Convert ``har``, asserting at each response that every value the pass still wants is
    wanted by the bound too; the number of (value, response) pairs checked."""
    bounds: list[dict[str, int]] = []
    checked = 0
    real_until, real_register = engine._wanted_until, engine._register_sources

    def until(steps, wanted):  # noqa: ANN001, ANN202
        bounds.append(real_until(steps, wanted))
        return bounds[-1]

    def register(step, found, state):  # noqa: ANN001, ANN202
        nonlocal checked
        bound = bounds[-1]
        for value, last in state.wanted.items():
            if last > step.number:  # wanted by the pass at this response ...
                assert bound.get(value, -1) > step.number, (har, step.number, value)  # ... so
                checked += 1  # ahead too
        return real_register(step, found, state)

    monkeypatch.setattr(engine, "_wanted_until", until)
    monkeypatch.setattr(engine, "_register_sources", register)
    convert(har, Options())
    return checked


def test_the_bound_keeps_every_value_the_pass_wants_in_the_bundled_recordings(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert HARS
    assert sum(_checked_conversion(har, monkeypatch) for har in HARS) > 0


@pytest.mark.skipif(not CORPUS, reason=f"{CORPUS_DIR} not found: the corpus is only on CI")
def test_the_bound_keeps_every_value_the_pass_wants_in_the_corpus(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from har2locust_plus.errors import Har2LocustError

    for har in CORPUS:
        try:
            _checked_conversion(har, monkeypatch)
        except Har2LocustError:
            pass  # a recording the converter refuses (tested in test_loader)


def test_a_value_sent_before_a_response_is_not_looked_for_in_it() -> None:
    """What the bound is for: a token a request sends is not wanted by a later response, even
    though a later request sends it again."""
    from har2locust_plus import ir

    def step(number: int, value: str) -> ir.Step:
        request = ir.Request(method="GET", scheme="http", host="h", path=ir.Template.literal("/"),
                             query=(ir.QueryParam("t", ir.Template.literal(value)),),
                             raw_query="t=" + value, headers=())
        return ir.Step(entry_index=number - 1, request=request, response=None, started=None,
                       duration_ms=0.0, page_ref=None, resource_type=None, number=number)

    steps = (step(1, "tok-0123456789"), step(2, "tok-0123456789"), step(3, "tok-0123456789"))
    until = engine._wanted_until(steps, {"tok-0123456789": 3, "777": 3})
    assert until["tok-0123456789"] == 1  # sent by step 1: not wanted after it
    assert until["777"] == 3  # short digits are never dropped by the pass
