"""Both cores for the parts of a conversion that are a pure function per item and pay for it.

Three parts of converting a large recording are the same work done for many independent
items: converting each entry of the HAR to a step (the loader decodes and converts 10,000
entries of a 10,000-entry recording), what each response hands out (correlation parses 1,200
HTML pages and 3,800 JSON bodies), and the code of each page method (the generator writes and
prints 5,900 requests). :func:`fork_map` does about half of the items in a forked child
process while this one does the rest. :func:`fork_call` runs one part of the work in a child
beside another in this process (a large recording's checks beside the replacing of its
secrets). :func:`fork_imap` does the same for a caller that works
on each result in order as it comes (the correlation pass substitutes each request and
registers what its response hands out, work only one process can do): the child sends its
results in small batches, and the caller's own work runs beside the child's.

Why ``fork`` and not a pool: the items (and what they point at: the response bodies, the IR)
are already in memory and the child sees them without copying or pickling; only the results
travel back, through a pipe, pickled. A fork costs 15-40 ms with a few hundred megabytes
mapped, where starting an interpreter and re-importing the package would cost more than the
work saved. It pays only for work that mostly makes new objects (lxml trees, sources, libcst
nodes and their text): every object either process touches afterwards costs a page copied on
write, and walking or printing a libcst tree the parent had already built, which touches every
node, measured no faster forked than not.

The result is always exactly what ``[fn(item) for item in items]`` returns: a child that fails
in any way (an exception, a result that cannot be pickled, a crash) is waited for and its
share computed here. Nothing is forked where a fork is not safe or cannot pay: a platform
without ``os.fork``, one CPU, other threads running (gevent's monkey patching, as in
``verify``, also counts), fewer than ``min_items`` items, or less than ``min_cost`` work.
``H2L_NO_FORK=1`` in the environment turns it off (to compare, or to debug in one process).
"""

from __future__ import annotations

import contextlib
import copyreg
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows, where nothing forks either
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

_DISABLE = "H2L_NO_FORK"  # set (to anything) to compute everything in one process
PIPE_SIZE = 1 << 20  # bytes a streaming child may send ahead (Linux's default limit: 1 MB)


def fork_map(fn: Callable[[T], R], items: Sequence[T], *, min_items: int = 64,
             cost: Callable[[T], int] | None = None, min_cost: int = 0,
             pack: Callable[[R], Any] | None = None,
             unpack: Callable[[Any], R] | None = None, child_cost: float = 1.0,
             reducers: Mapping[type, Callable[[Any], tuple]] | None = None) -> list[R]:
    """``[fn(item) for item in items]``, about half of the work done in a child process.

    ``fn`` must not change anything the caller needs afterwards (the child's changes are
    lost): it maps an item to a result, and the result must be picklable. ``cost`` estimates
    an item's work (say, the length of the text it parses) so that both halves take about as
    long (and, below ``min_cost`` in all, not worth a fork); without it every second item goes
    to the child. ``pack`` and ``unpack`` carry the
    child's results in a form quicker to pickle (plain tuples rather than dataclasses: pickling
    cost as much as a third of the work saved). ``child_cost``: how much more the same work
    costs the child, which also pickles its results and copies every page of the parent's
    memory it writes to (a reference count is a write): the child's share is smaller by it.
    ``reducers``: a pickler's ``dispatch_table`` for the results' classes (see
    :func:`.ir.reducers`), for results that hold many objects.
    """
    if len(items) < min_items or not can_fork():
        return [fn(item) for item in items]
    theirs_at = _split(items, cost, min_cost, child_cost)
    child = _start(fn, items, theirs_at, pack, reducers) if theirs_at else None
    if child is None:
        return [fn(item) for item in items]
    child_share = set(theirs_at)
    out: list[R] = [None] * len(items)  # type: ignore[list-item]
    try:
        for i, item in enumerate(items):
            if i not in child_share:
                out[i] = fn(item)
    except BaseException:
        _abandon(child)
        raise
    for i, result in zip(theirs_at, _collect(child, fn, items, theirs_at, unpack), strict=True):
        out[i] = result
    return out


def fork_imap(fn: Callable[[T], R], items: Sequence[T], *, min_items: int = 64,
              cost: Callable[[T], int] | None = None, min_cost: int = 0,
              serial_cost: Callable[[T], int] | None = None,
              pack: Callable[[R], Any] | None = None,
              unpack: Callable[[Any], R] | None = None,
              child_cost: float = 1.0) -> Iterator[R]:
    """``map(fn, items)``, about half of it computed in a child process while the caller
    works on the results as they come, in order.

    Where :func:`fork_map` waits for every result, this one yields each as soon as it is
    there: the child sends its results in small batches as it computes them, and this process
    computes its own share one item at a time, as the caller asks for them. So the caller's
    own work on each result (``serial_cost`` of each item: work only this process can do)
    runs beside the child's, and the split counts it on this process's side. Everything else
    is as for :func:`fork_map`: the results are exactly ``fn``'s, a failed child's share
    (from the first batch that did not come) is computed here. Close the iterator
    (``contextlib.closing``) when leaving early, so that the child is reaped.
    """
    if len(items) < min_items or not can_fork():
        yield from map(fn, items)
        return
    theirs_at = _split(items, cost, min_cost, child_cost, serial_cost)
    child = _start(fn, items, theirs_at, pack, batch=STREAM_BATCH) if theirs_at else None
    if child is None:
        yield from map(fn, items)
        return
    theirs = _Stream(child, unpack)
    try:
        child_share = set(theirs_at)
        for i, item in enumerate(items):
            yield theirs.next(fn, item) if i in child_share else fn(item)
    finally:
        theirs.close()


def fork_call(theirs: Callable[[], R], mine: Callable[[], S], *,
              reducers: Mapping[type, Callable[[Any], tuple]] | None = None
              ) -> tuple[R, S]:
    """``(theirs(), mine())``, ``theirs`` computed in a child process while this one computes
    ``mine``: two parts of the work that read the same objects and change none of them (each
    returns what it made). The results are exactly what the two calls in turn return: a
    child that fails in any way has its part computed here afterwards. ``theirs``' result
    travels back pickled (``reducers``: as for :func:`fork_map`); ``mine``'s never does.
    """
    child = _start(lambda _: theirs(), [None], [0], None, reducers) if can_fork() else None
    if child is None:
        return theirs(), mine()
    try:
        own = mine()
    except BaseException:
        _abandon(child)
        raise
    [found] = _collect(child, lambda _: theirs(), [None], [0], None)
    return found, own


STREAM_BATCH = 8  # results a child of fork_imap pickles at a time
CHUNK = 256  # results a child of fork_map pickles at a time (see _receive)


class _Stream:
    """The results a streaming child sends, one at a time, in order; computed here (by
    ``fn``) from the first one that does not come."""

    def __init__(self, child: _Child, unpack: Callable[[Any], Any] | None) -> None:
        self._child: _Child | None = child
        self._pipe = os.fdopen(child.read_end, "rb")
        self._unpack = unpack
        self._batch: list = []
        self._at = 0
        self._failed = False

    def next(self, fn: Callable[[T], R], item: T) -> R:
        if self._at == len(self._batch) and not self._failed:
            self._batch, self._at = self._receive(), 0
        if self._failed:
            return fn(item)
        result = self._batch[self._at]
        self._at += 1
        return result

    def _receive(self) -> list:
        try:
            batch = pickle.load(self._pipe)
            if not isinstance(batch, list) or not batch:
                raise ValueError("not a batch")
            if self._unpack is not None:
                batch = [self._unpack(packed) for packed in batch]
        except Exception:  # the child failed (or sent what it should not): the rest is ours
            self._failed = True
            self.close()
            return []
        return batch

    def close(self) -> None:
        if self._child is not None:
            self._pipe.close()  # a child still writing fails (a broken pipe) and exits
            _reap(self._child.pid)
            self._child = None


class _Child(NamedTuple):
    pid: int
    read_end: int


def _start(fn: Callable[[T], R], items: Sequence[T], theirs_at: list[int],
           pack: Callable[[R], Any] | None,
           reducers: Mapping[type, Callable[[Any], tuple]] | None = None,
           batch: int = 0) -> _Child | None:
    """Fork a child computing ``items[i]`` for ``i`` in ``theirs_at``; None if it cannot.
    ``batch``: send the results that many at a time as they are computed (else all at the
    end)."""
    read_end, write_end = os.pipe()
    if batch and fcntl is not None:  # room for the child to run ahead of a busy reader
        with contextlib.suppress(OSError, AttributeError):
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(fn if pack is None else lambda item: pack(fn(item)),
               [items[i] for i in theirs_at], write_end, reducers, batch)
    os.close(write_end)
    return _Child(pid, read_end)


def _abandon(child: _Child) -> None:
    """The results will not be read: close the pipe (the child's write fails and it exits)
    and wait for it."""
    os.close(child.read_end)
    _reap(child.pid)


def _collect(child: _Child, fn: Callable[[T], R], items: Sequence[T], theirs_at: list[int],
             unpack: Callable[[Any], R] | None) -> list[R]:
    """The child's results, or the same computed here if it failed in any way."""
    theirs = _receive(child.read_end, child.pid)
    if theirs is not None and len(theirs) == len(theirs_at) and unpack is not None:
        try:
            theirs = [unpack(packed) for packed in theirs]
        except Exception:  # not what was sent: compute it here
            theirs = None
    if theirs is None or len(theirs) != len(theirs_at):
        theirs = [fn(items[i]) for i in theirs_at]
    return theirs


def _split(items: Sequence[T], cost: Callable[[T], int] | None, min_cost: int,
           child_cost: float = 1.0, serial_cost: Callable[[T], int] | None = None
           ) -> list[int]:
    """The indexes the child computes: every second one, or, weighed by ``cost``, each item
    to the side with less work so far (the child takes ties); none when the work is less than
    ``min_cost``. ``serial_cost``: work this process does on every item besides (counted on
    its side, whoever computes the item)."""
    if cost is None:
        return list(range(1, len(items), 2))
    costs = [cost(item) + 1 for item in items]
    if sum(costs) < min_cost:
        return []
    mine = theirs = 0
    child: list[int] = []
    for i, work in enumerate(costs):
        if serial_cost is not None:
            mine += serial_cost(items[i])
        if theirs <= mine:
            theirs += work * child_cost
            child.append(i)
        else:
            mine += work
    return child


def can_fork() -> bool:
    """Whether :func:`fork_map` may fork in this process now."""
    if not hasattr(os, "fork") or os.environ.get(_DISABLE) or (os.cpu_count() or 1) < 2:
        return False
    # a fork copies one thread: other threads' locks stay taken in the child
    return threading.active_count() == 1 and not _gevent_patched()


def _gevent_patched() -> bool:
    """True in a process gevent has monkey-patched (``verify`` runs Locust's client): its
    greenlets look like one thread to ``threading``."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


def _child(fn: Callable[[T], R], items: list[T], write_end: int,
           reducers: Mapping[type, Callable[[Any], tuple]] | None = None,
           batch: int = 0) -> None:
    """Compute ``items``, send the results pickled (all at the end, or ``batch`` at a time
    as they are computed), and exit at once (no clean-up of the parent's state: no atexit
    handlers, no flushing of buffers the parent owns)."""
    status = 0
    try:
        with os.fdopen(write_end, "wb") as pipe:
            if batch:
                for start in range(0, len(items), batch):  # (whole pickles only)
                    pipe.write(pickle.dumps([fn(item) for item in items[start:start + batch]],
                                            protocol=pickle.HIGHEST_PROTOCOL))
                    pipe.flush()
                return  # (os._exit below, after the pipe is closed)
            results = [fn(item) for item in items]
            pickler = pickle.Pickler(pipe, protocol=pickle.HIGHEST_PROTOCOL)
            if reducers:
                pickler.dispatch_table = {**copyreg.dispatch_table, **reducers}
            pickler.dump(len(results))
            for start in range(0, len(results), CHUNK):
                pickler.clear_memo()
                pickler.dump(results[start:start + CHUNK])
    except BaseException:  # the parent computes this share itself
        status = 1
    finally:
        os._exit(status)


def _receive(read_end: int, pid: int) -> list | None:
    """The child's results, or None if it failed in any way.

    They come as their count, then pickles of :data:`CHUNK` results each, unpickled as they
    arrive: never held as one block of bytes as well (half of a 10,000-entry recording's
    steps pickle to 47 MB), and an unpickler's memo, which holds every object it made until
    the end of its pickle, never grows beyond a chunk's (6 MB for those steps in one pickle).
    """
    result: list | None = []
    with os.fdopen(read_end, "rb") as pipe:
        try:
            count = pickle.load(pipe)
            while len(result) < count:
                chunk = pickle.load(pipe)
                if not isinstance(chunk, list) or not chunk:
                    raise ValueError("not a chunk")
                result.extend(chunk)
            if len(result) != count or pipe.read(1):  # not what a child of ours sends
                result = None
        except Exception:  # nothing, or not all, was sent: the child failed
            result = None
    status = _reap(pid)
    if status != 0:
        return None
    return result


def _reap(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return -1
        except InterruptedError:  # pragma: no cover - PEP 475 retries; belt and braces
            continue
        return os.waitstatus_to_exitcode(status)
