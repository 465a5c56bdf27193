"""fork_map: the same list as a plain map, whatever happens in the child."""

from __future__ import annotations

import os
import threading

import pytest

from har2locust_plus import parallel
from har2locust_plus.parallel import fork_map

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")


@pytest.fixture(autouse=True)
def _two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("H2L_NO_FORK", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


def _pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def test_results_are_those_of_a_plain_map_in_order_and_half_come_from_a_child() -> None:
    items = list(range(101))
    out = fork_map(_pid_and_square, items, min_items=2)
    assert [square for _, square in out] == [n * n for n in items]
    pids = {pid for pid, _ in out[1::2]}
    assert {pid for pid, _ in out[0::2]} == {os.getpid()}
    assert len(pids) == 1 and pids != {os.getpid()}


def test_few_items_stay_in_this_process() -> None:
    out = fork_map(_pid_and_square, [1, 2, 3], min_items=64)
    assert {pid for pid, _ in out} == {os.getpid()}


def test_a_failing_child_is_replaced_by_this_process() -> None:
    parent = os.getpid()

    def fails_in_the_child(n: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("child only")
        return n + 1

    assert fork_map(fails_in_the_child, list(range(10)), min_items=2) == list(range(1, 11))


def test_a_result_that_cannot_be_pickled_is_computed_here() -> None:
    out = fork_map(lambda n: (lambda: n), list(range(6)), min_items=2)  # lambdas do not pickle
    assert [f() for f in out] == list(range(6))


def test_an_error_in_this_process_is_raised_and_the_child_reaped() -> None:
    parent = os.getpid()

    def fails_here(n: int) -> int:
        if os.getpid() == parent and n == 4:
            raise ValueError("here")
        return n

    with pytest.raises(ValueError, match="here"):
        fork_map(fails_here, list(range(10)), min_items=2)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left behind


def test_no_fork_while_other_threads_run_or_when_disabled(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        out = fork_map(_pid_and_square, list(range(10)), min_items=2)
    finally:
        stop.set()
        thread.join(5)
    assert {pid for pid, _ in out} == {os.getpid()}
    monkeypatch.setenv("H2L_NO_FORK", "1")
    assert not parallel._can_fork()
    monkeypatch.delenv("H2L_NO_FORK")
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert not parallel._can_fork()


def test_work_below_min_cost_stays_here_and_costs_balance_the_halves() -> None:
    out = fork_map(_pid_and_square, list(range(100)), min_items=2, cost=lambda n: 1,
                   min_cost=1000)
    assert {pid for pid, _ in out} == {os.getpid()}
    # one heavy item and many light ones: the child takes the heavy one, the rest stay here
    child = parallel._split([1000] + [1] * 10, lambda n: n, 0)
    assert child == [0]
    out = fork_map(_pid_and_square, [1000] + [1] * 10, min_items=2, cost=lambda n: n)
    assert [square for _, square in out] == [1000 ** 2] + [1] * 10
    assert out[0][0] != os.getpid() and {pid for pid, _ in out[1:]} == {os.getpid()}
