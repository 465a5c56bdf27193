"""Both cores for the parts of a conversion that are a pure function per item and pay for it.

Two parts of converting a large recording are the same work done for many independent items:
what each response hands out (correlation parses 1,200 HTML pages and 3,800 JSON bodies in a
10,000-entry recording), and the code of each page method (the generator writes and prints
5,900 requests). :func:`fork_map` does about half of the items in a forked child process
while this one does the rest.

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

import os
import pickle
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_DISABLE = "H2L_NO_FORK"  # set (to anything) to compute everything in one process


def fork_map(fn: Callable[[T], R], items: Sequence[T], *, min_items: int = 64,
             cost: Callable[[T], int] | None = None, min_cost: int = 0,
             pack: Callable[[R], Any] | None = None,
             unpack: Callable[[Any], R] | None = None, child_cost: float = 1.0) -> list[R]:
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
    """
    if len(items) < min_items or not can_fork():
        return [fn(item) for item in items]
    theirs_at = _split(items, cost, min_cost, child_cost)
    child = _start(fn, items, theirs_at, pack) if theirs_at else None
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


class _Child(NamedTuple):
    pid: int
    read_end: int


def _start(fn: Callable[[T], R], items: Sequence[T], theirs_at: list[int],
           pack: Callable[[R], Any] | None) -> _Child | None:
    """Fork a child computing ``items[i]`` for ``i`` in ``theirs_at``; None if it cannot."""
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(fn if pack is None else lambda item: pack(fn(item)),
               [items[i] for i in theirs_at], write_end)
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
           child_cost: float = 1.0) -> list[int]:
    """The indexes the child computes: every second one, or, weighed by ``cost``, each item
    to the side with less work so far (the child takes ties); none when the work is less than
    ``min_cost``."""
    if cost is None:
        return list(range(1, len(items), 2))
    costs = [cost(item) + 1 for item in items]
    if sum(costs) < min_cost:
        return []
    mine = theirs = 0
    child: list[int] = []
    for i, work in enumerate(costs):
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


def _child(fn: Callable[[T], R], items: list[T], write_end: int) -> None:
    """Compute ``items``, send the results pickled, and exit at once (no clean-up of the
    parent's state: no atexit handlers, no flushing of buffers the parent owns)."""
    status = 0
    try:
        data = pickle.dumps([fn(item) for item in items],
                            protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
    except BaseException:  # the parent computes this share itself
        status = 1
    finally:
        os._exit(status)


def _receive(read_end: int, pid: int) -> list | None:
    """The child's results, or None if it failed in any way."""
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    status = _reap(pid)
    if status != 0 or not data:
        return None
    try:
        result = pickle.loads(data)
    except Exception:
        return None
    return result if isinstance(result, list) else None


def _reap(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return -1
        except InterruptedError:  # pragma: no cover - PEP 475 retries; belt and braces
            continue
        return os.waitstatus_to_exitcode(status)
