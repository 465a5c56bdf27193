# Run-time code for transactions, copied into generated locustfiles (unless --no-transactions).
# This file is real, importable code so it is unit-tested; the generator copies every top-level
# statement except the imports (it computes those itself), so a generated script never imports
# har2locust_plus. Use only the standard library, gevent and locust's public API here, and no
# local name that is also a module the generator may import (json, re, time, uuid, html ...).

import time
from contextlib import contextmanager

import gevent

# A transaction is one more row in Locust's statistics for a whole page, as LoadRunner's
# transactions, JMeter's Transaction Controller and k6's group_duration report business steps.
# Its time runs from the first byte its first request sent to the last byte its last response
# brought (redirect hops included): think time happens between pages, a pause inside a page
# (think) is left out of it, and time spent waiting at a rendezvous point before a request is
# not response time either. It fails when any request in it failed, with the first failure, or
# when the flow stopped inside it.
# Many users run in one process as greenlets: a page learns about its own requests only, through
# the request event, which Locust fires in the greenlet of the user that sent the request.

open_transactions = {}  # greenlet -> [Transaction, ...] running in it (innermost last)
transaction_hooks = set()  # the request events transaction_request listens to


class Transaction:
    """What the requests of one page added up to so far."""

    request_type = "PAGE"  # the Type column of a transaction's row

    def __init__(self, name):
        self.name = name
        self.first_sent = None  # time.time() when its first request was sent
        self.last_received = None  # time.time() when its last response was complete
        self.length = 0  # bytes of all its responses
        self.failure = None  # the exception of the first request that failed
        self.paused = 0.0  # seconds of think inside it: not its response time

    def add(self, start_time, response_time, response_length, exception):
        """One request of the page, as Locust reported it."""
        end = start_time + response_time / 1000
        if self.first_sent is None or start_time < self.first_sent:
            self.first_sent = start_time
        if self.last_received is None or end > self.last_received:
            self.last_received = end
        self.length += response_length or 0
        if exception is not None and self.failure is None:
            self.failure = exception

    def response_time(self):
        """Milliseconds from the first byte sent to the last byte received (0: no request)."""
        if self.first_sent is None:
            return 0
        return max(0.0, self.last_received - self.first_sent - self.paused) * 1000


def transaction_request(
    request_type,
    response_time,
    response_length,
    exception=None,
    start_time=None,
    **kwargs,
):
    """Request event listener: the request belongs to the pages running in this greenlet."""
    running = open_transactions.get(gevent.getcurrent())
    if not running or request_type == Transaction.request_type:
        return  # another user's request, or a page inside this one (counted already)
    if start_time is None:  # fired by hand (from_cookie): it took until now
        start_time = time.time() - (response_time or 0) / 1000
    for page in running:
        page.add(start_time, response_time or 0, response_length, exception)


@contextmanager
def transaction(user, name):
    """Report the requests sent inside this block as one more row, ``name``, of type PAGE.

    A step that stops the flow (RescheduleTask, StopUser, any error) fails the page, which is
    reported, and the exception goes on. A user killed in the middle of a page (the test ends
    before the page does: GreenletExit) reports nothing: the page neither passed nor failed.
    """
    hook = user.environment.events.request
    if hook not in transaction_hooks:
        hook.add_listener(transaction_request)
        transaction_hooks.add(hook)
    page = Transaction(name)
    greenlet = gevent.getcurrent()
    running = open_transactions.setdefault(greenlet, [])
    running.append(page)
    finished = False
    try:
        yield page
        finished = True
    except Exception as stopped:
        finished = True
        page.failure = page.failure or stopped
        raise
    finally:
        running.remove(page)
        if not running:
            del open_transactions[greenlet]
        if finished:
            hook.fire(
                request_type=Transaction.request_type,
                name=name,
                response_time=page.response_time(),
                response_length=page.length,
                response=None,
                context=user.context(),
                exception=page.failure,
                start_time=page.first_sent or time.time(),
            )


def think(seconds):
    """The user's pause inside a page, as recorded: sleep, and leave the time out of the pages
    running in this greenlet (their time is the server's, not the user's reading)."""
    started = time.time()
    time.sleep(seconds)
    for page in open_transactions.get(gevent.getcurrent(), ()):
        if page.first_sent is not None:  # inside the page, not before its first request
            page.paused += time.time() - started
