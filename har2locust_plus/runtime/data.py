# Run-time helpers for secrets and per-user data, copied into generated locustfiles (only the
# ones a script uses). Real, importable code so the helpers are unit-tested. The generator writes
# the two constants below (SECRETS, DATA) into each script; the helpers are Locust event
# listeners, so the script's import never stops on a missing secret or data file: `locust
# --list`, the web UI and the master of a distributed run all import it.

import base64
import csv
import itertools
import logging
import os
import random
import string
import time
from pathlib import Path

import gevent
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner

# option name (also the user attribute) -> (environment variable of its default, what it is)
SECRETS = {}
# the --data file: its default path (relative: from this script's folder), the columns it must
# have; the helpers keep the rows and this process's cycle through them here too
DATA = {"default": "users.csv", "columns": ()}


def secret_options(parser):
    """One option per recorded secret (--password ...), a masked field in the web UI's form.

    Its default is an environment variable of its own; without one the web UI requires it.
    Locust hands the master's values to the workers when a test starts.
    """
    for name, (env, what) in SECRETS.items():
        value = os.environ.get(env)
        parser.add_argument(
            "--" + name.replace("_", "-"),
            default=value,
            metavar="VALUE",
            is_secret=True,
            is_required=value is None,
            help=f"{what} (default: the environment variable {env})".replace("%", "%%"),
        )


def check_secrets(environment, **kwargs):
    """A test without a recorded secret's value ends as it starts, with one line naming it."""
    if isinstance(environment.runner, WorkerRunner):
        return  # the master checked: its values are the ones the workers get
    options = environment.parsed_options
    missing = [name for name in SECRETS if not getattr(options, name, None)]
    if missing:
        names = ", ".join(missing_secret(name) for name in missing)
        stop_at_start(environment, "not set: " + names)


def missing_secret(name):
    option = "--" + name.replace("_", "-")
    return f"{option} (or the environment variable {SECRETS[name][0]})"


def secret(user, name):
    """A recorded secret, from this script's option: never stored in the script."""
    options = user.environment.parsed_options
    if options is None:  # no Locust command line (har2locust-plus verify)
        value = os.environ.get(SECRETS[name][0])
    else:
        value = getattr(options, name, None)
    if not value:
        raise LookupError("not set: " + missing_secret(name))
    return value


def basic_credentials(value):
    """Basic authorization's credentials as the header sends them, given as the header sends
    them (the base64 of user:password) or as user:password (base64 holds no colon)."""
    if ":" in value:
        return base64.b64encode(value.encode("utf-8")).decode("ascii")
    return value


def stop_at_start(environment, problem):
    """End the test before any user starts: one line, and exit code 1 when headless.

    Called by a test_start listener, inside runner.start(): GreenletExit (gevent's quiet way
    out of a greenlet) leaves it before any user is spawned, then the runner stops.
    """
    logging.getLogger("locustfile").error(problem)
    environment.process_exit_code = 1
    options = environment.parsed_options
    headless = options is not None and options.headless
    # the web UI stays, to start again
    gevent.spawn(environment.runner.quit if headless else environment.runner.stop)
    raise gevent.GreenletExit


def data_option(parser):
    """--data: the CSV file of per-user rows."""
    parser.add_argument(
        "--data",
        default=DATA["default"],
        metavar="CSV",
        help=(
            f"CSV file of rows for the virtual users (columns: {', '.join(DATA['columns'])});"
            " a relative path is read from this script's folder"
        ).replace("%", "%%"),
    )


def data_path(environment):
    """--data, a relative path being from this script's folder (as the default is)."""
    options = environment.parsed_options
    path = Path(getattr(options, "data", None) or DATA["default"]).expanduser()
    return path if path.is_absolute() else Path(__file__).resolve().parent / path


def read_rows(path, columns):
    """The rows of the CSV file at ``path``; ValueError with a one-line reason if unusable."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ValueError(
            f"cannot read the data file {path} (--data): {reason}"
        ) from None
    missing = [c for c in columns if not rows or c not in rows[0]]
    if missing:
        raise ValueError(
            f"data file {path} (--data): needs a header with {', '.join(columns)} and at "
            f"least one row (missing: {', '.join(missing)})"
        )
    return rows


def load_rows(environment, **kwargs):
    """Read the --data file as a test starts: a bad file ends a run at start with one line.

    In distributed mode the master checks the file and gives each worker its share of the
    rows: worker k of n (by the worker index Locust gives it) takes rows k, k+n, k+2n ...
    """
    runner = environment.runner
    DATA["cycle"] = None
    try:
        DATA["rows"] = read_rows(data_path(environment), DATA["columns"])
    except ValueError as exc:
        DATA["rows"] = None
        if isinstance(runner, WorkerRunner):
            logging.getLogger("locustfile").error(
                str(exc)
            )  # its users fail on their first row
            return
        stop_at_start(environment, str(exc))
    if isinstance(runner, MasterRunner):
        workers = [w for w in runner.clients.values() if w.state != STATE_MISSING]
        workers.sort(key=lambda w: runner.get_worker_index(w.id))
        for position, worker in enumerate(workers):
            # message "h2l_data_share": [the share's position, the number of shares]
            runner.send_message(
                "h2l_data_share", [position, len(workers)], client_id=worker.id
            )


def listen_for_share(environment, **kwargs):
    """A worker takes the share of the rows the master gives it (see load_rows)."""
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message("h2l_data_share", take_share)


def take_share(environment, msg, **kwargs):
    DATA["share"] = tuple(msg.data)
    DATA["cycle"] = None


def next_row(user):
    """The next row of this process's share of the --data file, cycling through it.

    Without a share from the master (a local run) the share is every row.
    """
    if (
        DATA.get("rows") is None
    ):  # no test_start (run_single_user, verify), or a bad file
        DATA["rows"] = read_rows(data_path(user.environment), DATA["columns"])
    if DATA.get("cycle") is None:
        rows = DATA["rows"]
        position, count = DATA.get("share") or (0, 1)
        mine = rows[position::count]
        if not mine:
            raise ValueError(
                f"data file (--data): {len(rows)} rows are too few for {count} workers"
            )
        DATA["cycle"] = itertools.cycle(mine)
    return next(DATA["cycle"])


def fresh_epoch_s():
    """The time in seconds for a name ("Report <s>"), never the same twice in this process:
    users that name objects in the same second would otherwise give them one name (the count
    runs ahead of the clock while more than one a second are made)."""
    now = int(time.time())
    value = max(now, getattr(fresh_epoch_s, "last", 0) + 1)
    fresh_epoch_s.last = value
    return value


def fresh_token(recorded):
    """A random id shaped like the one the page's script made when recorded: as long, of the
    same kinds of characters (Superset's nanoid "Zv4GPmGqktQ": letters of both cases, digits).
    """
    alphabet = "".join(
        kind
        for kind in (
            string.ascii_lowercase,
            string.ascii_uppercase,
            string.digits,
            "_",
            "-",
        )
        if any(ch in kind for ch in recorded)
    )
    return "".join(random.choice(alphabet) for _ in recorded)


def fresh_epoch_ms():
    """The time in milliseconds, never the same twice in this process: two users that name
    an object "Report <ms>" in the same millisecond would otherwise collide."""
    now = int(time.time() * 1000)
    value = max(now, getattr(fresh_epoch_ms, "last", 0) + 1)
    fresh_epoch_ms.last = value
    return value
