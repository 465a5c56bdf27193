"""The cases of test_parallel.py, each run in a fresh interpreter by that module.

A process that gevent has monkey-patched (any test that imports locust does) is one that
fork_map rightly refuses to fork, and whose patched os.waitpid would wait for a hub that does
not run: forks are tested where nothing else has been imported.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from har2locust_plus import parallel
from har2locust_plus.parallel import fork_call, fork_imap, fork_map

os.environ.pop("H2L_NO_FORK", None)
os.cpu_count = lambda: 2  # the cases are about forking, also on a one-core machine


def _count_forks() -> list[int]:
    """From now on, each fork of this process appends to the list returned."""
    forks: list[int] = []
    real_fork = os.fork

    def counting_fork() -> int:
        forks.append(1)
        return real_fork()

    os.fork = counting_fork
    return forks


def _assert_no_child_left() -> None:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return  # no child left behind
    raise AssertionError("a child is left")


def _synthetic_har(tmp: str, entries: int, seed: int) -> Path:
    """A recording made by benchmarks/make_har.py in ``tmp``."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import make_har

    har = Path(tmp) / "big.har"
    make_har.write_har(entries, str(har), seed)
    return har


def _pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def results_are_those_of_a_plain_map_in_order_and_half_come_from_a_child() -> None:
    items = list(range(101))
    out = fork_map(_pid_and_square, items, min_items=2)
    assert [square for _, square in out] == [n * n for n in items]
    pids = {pid for pid, _ in out[1::2]}
    assert {pid for pid, _ in out[0::2]} == {os.getpid()}
    assert len(pids) == 1 and pids != {os.getpid()}


def few_items_stay_in_this_process() -> None:
    out = fork_map(_pid_and_square, [1, 2, 3], min_items=64)
    assert {pid for pid, _ in out} == {os.getpid()}


def a_failing_child_is_replaced_by_this_process() -> None:
    parent = os.getpid()

    def fails_in_the_child(n: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("child only")
        return n + 1

    assert fork_map(fails_in_the_child, list(range(10)), min_items=2) == list(range(1, 11))


def a_result_that_cannot_be_pickled_is_computed_here() -> None:
    out = fork_map(lambda n: (lambda: n), list(range(6)), min_items=2)  # lambdas do not pickle
    assert [f() for f in out] == list(range(6))


def an_error_in_this_process_is_raised_and_the_child_reaped() -> None:
    parent = os.getpid()

    def fails_here(n: int) -> int:
        if os.getpid() == parent and n == 4:
            raise ValueError("here")
        return n

    try:
        fork_map(fails_here, list(range(10)), min_items=2)
    except ValueError as exc:
        assert str(exc) == "here"
    else:
        raise AssertionError("the error was not raised")
    _assert_no_child_left()


def no_fork_while_other_threads_run_or_when_disabled() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        out = fork_map(_pid_and_square, list(range(10)), min_items=2)
    finally:
        stop.set()
        thread.join(5)
    assert {pid for pid, _ in out} == {os.getpid()}
    os.environ["H2L_NO_FORK"] = "1"
    assert not parallel.can_fork()
    del os.environ["H2L_NO_FORK"]
    os.cpu_count = lambda: 1
    assert not parallel.can_fork()
    os.cpu_count = lambda: 2
    assert parallel.can_fork()


def work_below_min_cost_stays_here_and_costs_balance_the_halves() -> None:
    out = fork_map(_pid_and_square, list(range(100)), min_items=2, cost=lambda n: 1,
                   min_cost=1000)
    assert {pid for pid, _ in out} == {os.getpid()}
    # one heavy item and many light ones: the child takes the heavy one, the rest stay here
    assert parallel._split([1000] + [1] * 10, lambda n: n, 0) == [0]
    out = fork_map(_pid_and_square, [1000] + [1] * 10, min_items=2, cost=lambda n: n)
    assert [square for _, square in out] == [1000 ** 2] + [1] * 10
    assert out[0][0] != os.getpid() and {pid for pid, _ in out[1:]} == {os.getpid()}


def many_results_come_back_in_chunks_and_a_short_answer_is_computed_here() -> None:
    parallel.CHUNK = 7
    items = list(range(500))
    out = fork_map(_pid_and_square, items, min_items=2)
    assert [square for _, square in out] == [n * n for n in items]
    assert len({pid for pid, _ in out}) == 2
    parent = os.getpid()

    def dies_while_sending(n: int) -> tuple[int, int]:
        return os.getpid(), n

    real_dump = parallel.pickle.Pickler.dump
    sent = []

    class Dying(parallel.pickle.Pickler):  # the child dies after its third chunk
        def dump(self, obj):  # noqa: ANN001, ANN202
            sent.append(1)
            if len(sent) > 3 and os.getpid() != parent:
                self.clear_memo()
                os._exit(0)  # a clean exit, the results cut short
            return real_dump(self, obj)

    parallel.pickle.Pickler = Dying
    try:
        out = fork_map(dies_while_sending, items, min_items=2)
    finally:
        parallel.pickle.Pickler = parallel.pickle.Pickler.__mro__[1]
    assert [n for _, n in out] == items
    assert {pid for pid, _ in out} == {parent}  # none of a cut-short answer is used
    _assert_no_child_left()


def fork_imap_yields_a_plain_maps_results_in_order_half_from_a_child() -> None:
    items = list(range(101))
    out = list(fork_imap(_pid_and_square, items, min_items=2))
    assert [square for _, square in out] == [n * n for n in items]
    assert {pid for pid, _ in out[0::2]} == {os.getpid()}
    assert len({pid for pid, _ in out[1::2]} - {os.getpid()}) == 1
    _assert_no_child_left()
    # this process's own work on every item counts on its side: the child takes more items
    # (each item costs 11 to compute, this process spends 5 more on each: the child's share
    # c of the 101 items balances 5 * 101 + 11 * (101 - c) = 11 * c, about 73)
    out = list(fork_imap(_pid_and_square, items, min_items=2, cost=lambda n: 10,
                         serial_cost=lambda n: 5))
    assert [square for _, square in out] == [n * n for n in items]
    theirs = [pid for pid, _ in out if pid != os.getpid()]
    assert 71 <= len(theirs) <= 75, len(theirs)
    _assert_no_child_left()


def a_streaming_child_failing_midway_leaves_the_rest_to_this_process() -> None:
    parent = os.getpid()

    def fails_after_a_while(n: int) -> tuple[int, int]:
        if os.getpid() != parent and n > 60:
            os._exit(3)  # a crash, not an exception: the batches before it were sent
        return os.getpid(), n + 1

    out = list(fork_imap(fails_after_a_while, list(range(100)), min_items=2))
    assert [n for _, n in out] == list(range(1, 101))
    from_child = [n for pid, n in out if pid != parent]
    assert from_child and max(from_child) <= 61  # the child's first batches came
    assert all(pid == parent for pid, n in out if n > 62)
    _assert_no_child_left()

    def fails_at_once(n: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("child only")
        return n

    assert list(fork_imap(fails_at_once, list(range(20)), min_items=2)) == list(range(20))
    assert list(fork_imap(lambda n: (lambda: n), [1, 2, 3, 4], min_items=2)) != []
    _assert_no_child_left()


def leaving_a_stream_early_or_by_an_error_reaps_the_child() -> None:
    import contextlib

    with contextlib.closing(fork_imap(_pid_and_square, list(range(10_000)),
                                      min_items=2)) as results:
        for i, _ in enumerate(results):
            if i == 5:
                break
    _assert_no_child_left()
    parent = os.getpid()

    def fails_here(n: int) -> int:
        if os.getpid() == parent and n == 50:
            raise ValueError("here")
        return n

    try:
        with contextlib.closing(fork_imap(fails_here, list(range(100)), min_items=2)) as out:
            list(out)
    except ValueError as exc:
        assert str(exc) == "here"
    else:
        raise AssertionError("the error was not raised")
    _assert_no_child_left()


def loading_a_large_recording_forks_and_gives_the_same_scenario(tmp: str) -> None:
    """The entries converted on both cores: the same steps, skips and messages, in order."""
    import json

    from har2locust_plus import loader

    loader.FORK_MIN_BYTES = 10_000  # a small recording will do
    data = json.loads(_synthetic_har(tmp, 300, 5).read_text("utf-8"))
    entries = data["log"]["entries"]
    entries[7] = {"request": {"method": "GET"}}  # malformed: no URL
    entries[160]["response"]["status"] = 0  # failed in the browser
    entries[161] = "not an entry"
    entries[250]["request"]["url"] = "wss://example.test/socket"
    raw = json.dumps(data).encode()
    forks = _count_forks()
    forked = loader.load(raw, "big.har")
    assert forks, "the recording is large enough to fork"
    os.environ["H2L_NO_FORK"] = "1"
    alone = loader.load(raw, "big.har")
    del os.environ["H2L_NO_FORK"]
    assert forked == alone
    assert [s.entry_index for s in forked.steps] == [s.entry_index for s in alone.steps]
    assert dict(forked.skipped)["malformed entry"] == 2
    assert [d.message for d in forked.diagnostics] == [d.message for d in alone.diagnostics]
    assert any("log.entries[7]" in d.message for d in forked.diagnostics)
    # one object per distinct request header, the child's steps' too, as in one process
    shared: dict[tuple[str, str], object] = {}
    for step in forked.steps:
        for header in step.request.headers:
            assert shared.setdefault((header.name, header.value.text), header) is header
    assert loader._receiving is None
    _assert_no_child_left()


def fork_call_gives_both_results_and_a_failing_child_s_part_is_computed_here() -> None:
    parent = os.getpid()
    forks = _count_forks()
    assert fork_call(lambda: (os.getpid() != parent, [1, 2]), lambda: os.getpid()) == (
        (True, [1, 2]), parent)
    assert len(forks) == 1

    def fails_in_the_child() -> str:
        if os.getpid() != parent:
            raise RuntimeError("child only")
        return "here"

    assert fork_call(fails_in_the_child, lambda: 3) == ("here", 3)
    assert fork_call(lambda: (lambda: 5), lambda: 4)[0]() == 5  # not picklable: computed here
    try:
        fork_call(lambda: 1, lambda: 1 / 0)
    except ZeroDivisionError:
        pass
    else:
        raise AssertionError("the error was not raised")
    _assert_no_child_left()


def checks_beside_secrets_give_the_one_process_script(tmp: str) -> None:
    """A recording large enough for its checks to be decided in a child process beside the
    secrets and the shared headers: the same script as in one process, also with the checks
    left out."""
    from har2locust_plus import Options, convert, stages

    har = _synthetic_har(tmp, 300, 5)
    forks = _count_forks()
    for options in (Options(), Options(checks="none")):
        os.environ.pop("H2L_NO_FORK", None)
        stages.CHECKS_BESIDE_FROM = 10**9
        before = len(forks)
        convert(str(har), options)
        others = len(forks) - before  # the other stages' forks
        stages.CHECKS_BESIDE_FROM = 100  # a small recording will do
        before = len(forks)
        forked = convert(str(har), options).code
        assert len(forks) - before == others + 1, "the checks are decided in a child"
        os.environ["H2L_NO_FORK"] = "1"
        assert convert(str(har), options).code == forked


def correlation_forks_on_a_large_recording_and_its_script_is_the_same(tmp: str) -> None:
    """The forked pass of the correlation stage gives exactly the one-process script."""
    from har2locust_plus import Options, convert
    from har2locust_plus.stages.correlate import engine

    engine.FORK_MIN_BYTES = 100_000  # a small recording will do
    har = _synthetic_har(tmp, 300, 7)
    forks = _count_forks()
    forked = convert(str(har), Options()).code
    assert forks, "the recording is large enough to fork"
    os.environ["H2L_NO_FORK"] = "1"
    assert convert(str(har), Options()).code == forked
    assert len(forks) == 1


def pages_printed_ahead_give_the_same_script(tmp: str) -> None:
    """A recording large enough for its page methods to be written on both cores (and its
    correlation): the same script as in one process, also when the skeleton holds "fmt:"
    (black then formats the whole module and the printed bodies fill their placeholders) and
    in a workload of two recordings."""
    import shutil

    from har2locust_plus import Options, convert
    from har2locust_plus.codegen import generator
    from har2locust_plus.core import Recording, convert_workload
    from har2locust_plus.stages.correlate import engine

    engine.FORK_MIN_BYTES, generator.PARALLEL_STEPS = 100_000, 100  # a small recording will do
    big = _synthetic_har(tmp, 600, 3)
    odd = Path(tmp) / "fmt: off.har"  # the docstring names the file: "fmt:" in the skeleton
    shutil.copy(big, odd)
    small = Path(__file__).resolve().parents[1] / "fixtures" / "notes-journey.har"
    forks = _count_forks()
    printed_pages = []
    real_printed_page = generator.FastHttpGenerator.printed_page

    def counting_printed_page(self, index, keep):  # noqa: ANN001, ANN202
        printed_pages.append(index)
        return real_printed_page(self, index, keep)

    generator.FastHttpGenerator.printed_page = counting_printed_page

    def both_ways(run):  # noqa: ANN001, ANN202
        os.environ.pop("H2L_NO_FORK", None)
        forks.clear()
        printed_pages.clear()
        forked = run()
        assert len(forks) >= 2, "correlation and page methods forked"
        assert printed_pages, "page methods were printed ahead"
        os.environ["H2L_NO_FORK"] = "1"
        assert run() == forked
        os.environ.pop("H2L_NO_FORK")

    both_ways(lambda: convert(str(big), Options()).code)
    both_ways(lambda: convert(str(odd), Options(user_class="http")).code)
    both_ways(lambda: convert_workload([Recording(str(big), 3), Recording(str(small))],
                                       Options()).code)

    # a constant the forked process named otherwise than one process would: all pages are
    # written again in one process, and the script is the same
    parent = os.getpid()

    def misnamed_in_the_child(self, index, keep):  # noqa: ANN001, ANN202
        page = real_printed_page(self, index, keep)
        if os.getpid() != parent and page.constants:
            var, suffix, value, name = page.constants[0]
            page = page._replace(constants=((var, suffix, value, name + "_OTHER"),
                                            *page.constants[1:]))
        printed_pages.append(index)
        return page

    generator.FastHttpGenerator.printed_page = misnamed_in_the_child
    both_ways(lambda: convert(str(big), Options()).code)


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
