# Run-time helpers for secrets and per-user data, copied into generated locustfiles (only the
# ones a script uses). Real, importable code so the helpers are unit-tested.

import csv
import itertools
import os
import sys


def secret(name):
    """A recorded secret, read from the environment: it is never stored in the script."""
    value = os.environ.get(name)
    if value is None:
        sys.exit(
            f"set the environment variable {name}: recorded secrets are not stored in "
            "this script"
        )
    return value


def read_rows(path, columns):
    """The rows of the --data CSV file, checked once when the script is loaded."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        sys.exit(
            f"cannot read the data file {path}: {exc.strerror} (H2L_DATA sets its path)"
        )
    missing = [c for c in columns if not rows or c not in rows[0]]
    if missing:
        sys.exit(
            f"{path}: needs a header with {', '.join(columns)} and at least one row "
            f"(missing: {', '.join(missing)})"
        )
    return {"rows": rows, "cycle": None}


def next_row(user, data):
    """The row for a new virtual user, cycling through the file.

    In distributed mode each worker takes its own slice (row i goes to worker i % H2L_WORKERS)
    when H2L_WORKERS is set to the number of workers; otherwise every worker cycles through all
    rows, starting at a different row.
    """
    if data["cycle"] is None:
        rows = data["rows"]
        index = getattr(user.environment.runner, "worker_index", 0) or 0
        workers = max(1, int(os.environ.get("H2L_WORKERS", "1")))
        mine = rows[index % workers :: workers] if workers > 1 else rows
        start = 0 if workers > 1 else index % len(rows)
        data["cycle"] = itertools.cycle((mine or rows)[start:] + (mine or rows)[:start])
    return next(data["cycle"])
