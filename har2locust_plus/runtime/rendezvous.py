# Run-time code for rendezvous points, copied into generated locustfiles that use --rendezvous.
# This file is real, importable code so it is unit-tested; the generator copies every top-level
# statement except the imports (it computes those itself) and sets the two constants from the
# command line, so a generated script never imports har2locust_plus. Use only the standard
# library, gevent and locust's public API here, and no local name that is also a module the
# generator may import (json, re, time, uuid, html ...).

import logging
import math
import os
import re
import time

import gevent
from gevent.event import Event
from locust import events
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner

# Rendezvous points: users that reach one wait until RENDEZVOUS_USERS users are there, then all
# send the next request at the same moment; whoever waits is also released when nobody new
# arrived for RENDEZVOUS_TIMEOUT seconds, and when the test stops. Change them without
# regenerating: H2L_RENDEZVOUS_USERS=50% H2L_RENDEZVOUS_TIMEOUT=30 in the environment, or
# `locust ... --rendezvous-users 5 --rendezvous-timeout 30` (options beat the environment).
# With --master/--worker the group is global: set them on the master, which does the counting.
RENDEZVOUS_USERS = "100%"  # a number of users, or a percentage of the users running now
RENDEZVOUS_TIMEOUT = 10.0  # seconds without a new arrival before the group goes anyway
RENDEZVOUS_USERS = os.environ.get("H2L_RENDEZVOUS_USERS", RENDEZVOUS_USERS)
RENDEZVOUS_TIMEOUT = float(os.environ.get("H2L_RENDEZVOUS_TIMEOUT", RENDEZVOUS_TIMEOUT))

rendezvous_log = logging.getLogger("rendezvous")


@events.init_command_line_parser.add_listener
def add_rendezvous_arguments(parser):
    parser.add_argument(
        "--rendezvous-users",
        metavar="N|P%",
        default=RENDEZVOUS_USERS,
        help="users a rendezvous point waits for: N, or P%% of the users running",
    )
    parser.add_argument(
        "--rendezvous-timeout",
        metavar="SECONDS",
        type=float,
        default=RENDEZVOUS_TIMEOUT,
        help="release whoever waits when nobody new arrived for this long",
    )


def group_size(users, running):
    """How many users complete a group: ``users`` is "N", or "P%" of the ``running`` users."""
    if users.endswith("%"):
        return max(1, math.ceil(float(users[:-1]) * running / 100))
    return max(1, int(users))


def rendezvous_settings(environment):
    """(users, timeout) from the command line, else the environment, else the constants."""
    options = environment.parsed_options
    users = str(getattr(options, "rendezvous_users", RENDEZVOUS_USERS)).strip()
    timeout = float(getattr(options, "rendezvous_timeout", RENDEZVOUS_TIMEOUT))
    valid = re.fullmatch(r"[1-9][0-9]*|([0-9]+(?:\.[0-9]+)?)%", users)
    if not valid or (valid.group(1) and not 0 < float(valid.group(1)) <= 100):
        raise ValueError(f"--rendezvous-users: expected N or P%, got {users!r}")
    if not 0 < timeout < math.inf:
        raise ValueError(f"--rendezvous-timeout: expected seconds > 0, got {timeout}")
    return users, timeout


# The two halves talk through Locust's custom messages. Locally, runner.send_message calls the
# other half directly; with --master/--worker the gates run in the workers and the coordinator
# in the master, so one group gathers the users of every worker.
ARRIVE = "h2l_rendezvous_arrive"  # gate -> coordinator: {"name": point, "id": waiter}
LEAVE = "h2l_rendezvous_leave"  # gate -> coordinator: that waiter was stopped
RELEASE = "h2l_rendezvous_release"  # coordinator -> gate: [waiter id, ...] go now


class RendezvousGate:
    """Holds the users of this process at rendezvous points until the coordinator says go."""

    def __init__(self, runner):
        self.runner = runner
        self.waiters = {}  # waiter id -> the Event that releases it
        self.last_id = 0
        self.stopping = False  # the test stops: nobody waits any more
        runner.register_message(RELEASE, self.on_release)

    def wait(self, name):
        if self.stopping:
            return
        self.last_id += 1
        waiter = self.last_id
        released = self.waiters[waiter] = Event()
        self.runner.send_message(ARRIVE, {"name": name, "id": waiter})
        try:
            released.wait()
        finally:
            if self.waiters.pop(waiter, None) is not None:
                # still waiting, so the user was stopped (ramp-down, end of the test): it must
                # not count as waiting any more, or the others would wait for it
                self.runner.send_message(LEAVE, {"name": name, "id": waiter})

    def on_release(self, environment, msg, **kwargs):
        """The coordinator released these waiters: wake them all in this same loop turn."""
        for waiter in msg.data:
            released = self.waiters.pop(waiter, None)
            if released is not None:
                released.set()

    def stop(self):
        self.stopping = True
        for released in self.waiters.values():
            released.set()
        self.waiters.clear()


class RendezvousGroup:
    """Who waits at one point in the current round: waiter ids per process, arrival times."""

    def __init__(self):
        self.waiting = {}  # node id ("local" or a worker's id) -> [waiter id, ...]
        self.first = self.last = time.monotonic()

    def size(self):
        return sum(len(ids) for ids in self.waiting.values())


class RendezvousCoordinator:
    """Counts who waits at each point, across all processes, and decides when a group goes.

    Runs where the number of running users is known: in the master, or in a local run. A group
    goes when it is complete (``full``), when nobody new arrived for the timeout (``timeout``)
    or when the test stops (``stop``); the next arrival starts a new group (the point re-arms).
    """

    def __init__(self, runner, users, timeout):
        self.runner = runner
        self.users = users
        self.timeout = timeout
        self.groups = {}  # point name -> the RendezvousGroup gathering there now
        self.stopping = False
        runner.register_message(ARRIVE, self.on_arrive)
        runner.register_message(LEAVE, self.on_leave)
        self.watcher = gevent.spawn(self.watch)

    def on_arrive(self, environment, msg, **kwargs):
        name, waiter = msg.data["name"], msg.data["id"]
        if self.stopping:
            self.runner.send_message(RELEASE, [waiter], client_id=msg.node_id)
            return
        group = self.groups.setdefault(name, RendezvousGroup())
        group.waiting.setdefault(msg.node_id, []).append(waiter)
        group.last = time.monotonic()
        self.check(name)

    def on_leave(self, environment, msg, **kwargs):
        group = self.groups.get(msg.data["name"])
        ids = group.waiting.get(msg.node_id, []) if group else []
        if msg.data["id"] in ids:
            ids.remove(msg.data["id"])
            self.check(msg.data["name"])

    def check(self, name):
        """Release the group at ``name`` if it is complete or timed out; drop it if empty."""
        group = self.groups.get(name)
        if group is None:
            return
        for node in [node for node in group.waiting if self.lost(node)]:
            # a lost worker's users do not count; released in case the worker comes back
            self.runner.send_message(RELEASE, group.waiting.pop(node), client_id=node)
        size = group.size()
        if size == 0:
            del self.groups[name]
        elif size >= group_size(self.users, self.runner.user_count):
            self.release(name, "full")
        elif time.monotonic() - group.last >= self.timeout:
            self.release(name, "timeout")

    def lost(self, node):
        if not isinstance(self.runner, MasterRunner):
            return False
        worker = self.runner.clients.get(node)
        return worker is None or worker.state == STATE_MISSING

    def release(self, name, reason):
        group = self.groups.pop(name)
        for node, ids in group.waiting.items():
            self.runner.send_message(RELEASE, ids, client_id=node)
        waited = time.monotonic() - group.first
        message = "rendezvous %r: released %d users after %.2f s (%s)"
        rendezvous_log.info(message, name, group.size(), waited, reason)

    def watch(self):
        """Apply the timeout, and release groups that a ramp-down or a lost worker completed."""
        while True:
            gevent.sleep(0.1)
            for name in list(self.groups):
                try:
                    self.check(name)
                except Exception:
                    rendezvous_log.exception("rendezvous %r: check failed", name)

    def stop(self):
        self.stopping = True
        for name in list(self.groups):
            self.release(name, "stop")


rendezvous_gates = {}  # runner -> RendezvousGate (in a local run or a worker)
rendezvous_coordinators = {}  # runner -> RendezvousCoordinator (local run or master)


@events.init.add_listener
def setup_rendezvous(environment, **kwargs):
    """Give this process's runner its half (or, locally, both halves) of the rendezvous."""
    runner = environment.runner
    if runner is None or rendezvous_halves(runner):
        return  # no runner (locust --list ...), or set up already
    if not isinstance(runner, WorkerRunner):
        users, timeout = rendezvous_settings(environment)
        rendezvous_coordinators[runner] = RendezvousCoordinator(runner, users, timeout)
    if not isinstance(runner, MasterRunner):
        rendezvous_gates[runner] = RendezvousGate(runner)


@events.test_start.add_listener
def arm_rendezvous(environment, **kwargs):
    """A test starts: points hold users again, with the settings of now (the web UI's)."""
    coordinator = rendezvous_coordinators.get(environment.runner)
    if coordinator is not None:
        coordinator.users, coordinator.timeout = rendezvous_settings(environment)
    for half in rendezvous_halves(environment.runner):
        half.stopping = False


@events.test_stopping.add_listener
@events.quitting.add_listener
def stop_rendezvous(environment, **kwargs):
    """Stopping the test releases everyone who waits; later arrivals do not wait."""
    for half in rendezvous_halves(environment.runner):
        half.stop()


def rendezvous_halves(runner):
    halves = (rendezvous_coordinators.get(runner), rendezvous_gates.get(runner))
    return [half for half in halves if half is not None]


def rendezvous(user, name):
    """Wait at the rendezvous point ``name`` until the group is released (see above)."""
    runner = user.environment.runner
    if runner is None:
        return  # run_single_user (debugging): a single user, nobody to wait for
    if runner not in rendezvous_gates:  # an environment whose init event did not fire
        setup_rendezvous(user.environment)
    rendezvous_gates[runner].wait(name)
