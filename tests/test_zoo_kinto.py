"""Zoo: Kinto (24.1.1 from PyPI, unmodified: a JSON storage server on Pyramid, its bundled
React admin kinto-admin 6.1.1, its accounts plugin's HTTP Basic login), replayed.

The HAR (``fixtures/zoo/kinto/kinto.har``, recorded in Chromium by ``record.py``) logs in to the
admin as alice, creates the bucket ``zoo-bucket`` (``PUT`` with ``If-None-Match: *``: made only
if no such bucket exists), reloads, creates its collection ``tasks`` (the same), creates two
records (``POST``: Kinto names them, a UUID, and answers their ``ETag``), edits the first
(``PUT`` with ``If-Match`` the ``ETag`` of the record's own ``GET``) and deletes the second
(``DELETE`` with ``If-Match`` the ``ETag`` the ``POST`` that made it answered: the admin sends
the record's ``last_modified`` from the list it shows), and logs out. The admin's script sends
the credentials as ``Authorization: Basic`` on every call.

What a fresh server needs from the script: the bucket's name is the client's (a ``PUT``
answered ``201 Created``), so every run but the first would meet the first run's bucket
(``If-None-Match: *``: 412) and all users would share it: the script makes the name new each
run (``zoo-bucket-<suffix>``). Each ``If-Match`` is the ``ETag`` of the record it names, read
where that record was answered, never a list's (a list's ``ETag`` is its collection's newest
timestamp: the delete would be refused 412 as soon as the edit made another record newer).

The server's account is Kinto's own API (``server.py``): every complete run of the flow left a
bucket of its own holding one record, the edited one, and the other's tombstone; no bucket
named ``zoo-bucket``; bob's record as it was.

Kinto's memory storage (the only one needing no database server) answers ``GET
/v1/__heartbeat__`` — the admin's health badge, asked once per page load — with 503 whenever two
of its storage checks in a row choose to delete (60% each; ``KeyError: '__heartbeat__'`` in
its ``purge_deleted``, its log says "Heartbeat Error"): in about four runs of the flow in ten,
whatever the replay sends. That is Kinto's bug, not the script's: this module's replays drop
that one request with the converter's own ``--exclude-url`` (``exclude_urls``), which changes
nothing the journey does, and expect no failure at all; the registry's replays
(``test_zoo_recorded_port.py`` and the modules that use it) convert the HAR as it is, and
:func:`assert_full_lifecycle` excuses exactly those 503s, each matched by Kinto's own logged
heartbeat error, and the runs of the flow they ended (a bucket with no collection).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ZOO_STOP_TIMEOUT, LocustRun, locust_headless, port_other_than

from har2locust_plus import Options, Result, ThinkTime, convert, ir

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "kinto" / "kinto.har"
PASSWORD = "Bucket-list-77"  # alice's (fixtures/zoo/kinto/server.py)
CREDENTIALS = f"alice:{PASSWORD}"  # what the script's --basic-credentials takes
SECRET_KIND = "Basic authorization"  # the script's --basic-credentials
BUCKET, COLLECTION = "zoo-bucket", "tasks"
EDITED = {"title": "Buy milk", "content": "three litres, organic"}
SENTINEL = {"title": "bob's sentinel"}
HEARTBEAT = "/v1/__heartbeat__"
# Kinto's own bug (see above): the one request this module's replays leave out
NO_HEARTBEAT = (re.escape(HEARTBEAT) + "$",)
USERS, SECONDS = 3, 22


@pytest.fixture(scope="module")
def kinto() -> type:
    """The launcher class; skips the module when Kinto cannot be installed."""
    from fixtures.zoo.kinto import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Kinto zoo app cannot run: {reason}")
    server.installed()  # once per version of requirements.txt (about ten seconds)
    return server.Kinto


def _convert(tmp: Path, **options: object) -> tuple[Path, Result, dict[str, str]]:
    """The script, the conversion and its secret's environment (alice's Basic credentials)."""
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    env = {s.env: CREDENTIALS for s in result.scenario.secrets if s.kind == SECRET_KIND}
    assert len(env) == len(result.scenario.secrets) == 1, result.scenario.secrets
    return path, result, env


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result, dict[str, str]]:
    """The HAR converted as it is (what the registry replays)."""
    return _convert(tmp_path_factory.mktemp("kinto-correlated"))


def _run(script: Path, server: object, workdir: Path, env: dict[str, str],
         seconds: int = SECONDS) -> LocustRun:
    return locust_headless(script, server.url, workdir,  # type: ignore[attr-defined]
                           seconds=seconds, users=USERS,
                           extra=("--stop-timeout", ZOO_STOP_TIMEOUT), env=env)


def _heartbeat_failures(run: LocustRun) -> int:
    """The 503s Kinto answered the heartbeat (its own bug), by Locust's final counts."""
    return sum(failed for name, (_, failed) in run.final.items() if HEARTBEAT in name)


def _complete(bucket: dict) -> bool:
    """The bucket of a complete run of the flow: its collection holds one record, the edited
    one, and one tombstone, of another record."""
    tasks = bucket["collections"].get(COLLECTION)
    if list(bucket["collections"]) != [COLLECTION] or tasks is None:
        return False
    return (list(tasks["records"].values()) == [EDITED] and len(tasks["deleted"]) == 1
            and tasks["deleted"][0] not in tasks["records"])


def assert_full_lifecycle(run: LocustRun, state: dict, users: int = USERS) -> None:
    """No failure but Kinto's heartbeat 503s (each one a "Heartbeat Error" Kinto logged); every
    bucket the replay made has a name of its run's own (never the recorded ``zoo-bucket``);
    every complete run of the flow left its bucket with the edited record and the other's
    tombstone; the runs a heartbeat 503 ended left a bucket with nothing in it, the runs
    under way when the time was up (at most one per user) a bucket on its way; bob's record
    as it was (also used by tests/test_zoo_recorded_port.py)."""
    why = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.exceptions == [], why
    heartbeats = _heartbeat_failures(run)
    others = {name: failed for name, (_, failed) in run.final.items()
              if failed and HEARTBEAT not in name}
    assert others == {}, why
    assert all(HEARTBEAT in row["Name"] or f"{HEARTBEAT}: expected status 200, got 503"
               in row["Error"] for row in run.failures), why
    assert heartbeats <= state["heartbeat_errors"], why  # each one Kinto's own error
    assert run.failed <= 2 * heartbeats, why  # each also fails its page's PAGE row
    buckets = state["buckets"]
    assert BUCKET not in buckets, why
    assert all(re.fullmatch(re.escape(BUCKET) + r"-[0-9a-z]+", name) for name in buckets), why
    complete = [name for name, bucket in buckets.items() if _complete(bucket)]
    empty = [name for name, bucket in buckets.items() if not bucket["collections"]]
    assert complete, why
    assert len(empty) <= heartbeats + users, why
    assert len(buckets) - len(complete) - len(empty) <= users, why
    assert state["sentinel"] == SENTINEL, why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_kinto(kinto: type, tmp_path: Path, user_class: str) -> None:
    """Three users, the heartbeat left out (Kinto's own bug, see above): no failure at all,
    every run of the flow in a bucket of its own, its record edited and the other deleted."""
    path, result, env = _convert(tmp_path, user_class=user_class, exclude_urls=NO_HEARTBEAT)
    assert HEARTBEAT not in result.code
    with kinto(port=port_other_than(result.scenario.main_origin)) as server:
        run = _run(path, server, tmp_path, env)
        state = server.state()
    why = f"{run.explain()}\nserver state: {state}"
    assert run.failed == 0 and _heartbeat_failures(run) == 0, why
    assert_full_lifecycle(run, state)
    incomplete = [name for name, bucket in state["buckets"].items() if not _complete(bucket)]
    assert len(incomplete) <= USERS, why
    print(f"{run.requests} requests, {len(state['buckets']) - len(incomplete)} complete flows")


def test_the_recorded_script_replays_but_for_kintos_heartbeat(kinto: type, script: tuple,
                                                             tmp_path: Path) -> None:
    """The HAR converted as it is, heartbeat and all: Kinto's heartbeat 503s are its only
    failures (what the registry's replays meet too)."""
    path, result, env = script
    with kinto(port=port_other_than(result.scenario.main_origin)) as server:
        run = _run(path, server, tmp_path, env, seconds=12)
        state = server.state()
    assert_full_lifecycle(run, state)
    print(f"{run.requests} requests, {run.failed} failed, {_heartbeat_failures(run)} heartbeat "
          f"503s ({state['heartbeat_errors']} logged), "
          f"{sum(map(_complete, state['buckets'].values()))} complete flows")


def _steps(result: Result) -> dict[int, ir.Step]:
    return {s.number: s for s in result.scenario.steps}


def _header(step: ir.Step, name: str) -> ir.Template | None:
    return next((h.value for h in step.request.headers if h.name.lower() == name.lower()),
                None)


def test_the_bucket_is_named_anew_each_run_and_if_none_match_is_kept(script: tuple) -> None:
    """The two ``PUT``s that make the bucket and its collection keep ``If-None-Match: *``
    (make it only if it does not exist); the bucket's name, the client's, gets a suffix of
    the run's own, in its ``PUT``, its ``id`` and every later path; the recorded name is sent
    nowhere."""
    _, result, _ = script
    puts = [s for s in _steps(result).values() if s.request.method == "PUT"
            and _header(s, "If-None-Match") is not None]
    assert len(puts) == 2, puts
    for step in puts:
        assert _header(step, "If-None-Match") == ir.Template(("*",)), step.number
    bucket, collection = puts
    prefix, suffix = bucket.request.path.parts
    assert prefix == "/v1/buckets/zoo-bucket-" and isinstance(suffix, ir.VarRef), prefix
    assert collection.request.path.parts[:2] == (prefix, suffix)
    assert collection.request.path.parts[2:] == ("/collections/tasks",)
    code = result.code
    assert f'"id": f"zoo-bucket-{{self.{suffix.name}}}"' in code
    assert "/buckets/zoo-bucket/" not in code and '"/v1/buckets/zoo-bucket"' not in code


def test_each_if_match_is_the_etag_of_the_record_it_names(script: tuple) -> None:
    """The edit's ``If-Match`` is the ``ETag`` of the record's own ``GET``; the delete's the
    ``ETag`` the ``POST`` that made that record answered, never a list's (``GET``/``HEAD``
    of the records, whose ``ETag`` is the newest record's)."""
    _, result, _ = script
    steps = _steps(result)
    sources = {e.var: (s, e) for s in steps.values() for e in s.extractions}
    writes = [s for s in steps.values() if _header(s, "If-Match") is not None]
    assert [s.request.method for s in writes] == ["PUT", "DELETE"], writes
    for step in writes:
        [ref] = _header(step, "If-Match").parts  # type: ignore[union-attr]
        assert isinstance(ref, ir.VarRef), step.number
        source, extraction = sources[ref.name]
        assert (extraction.kind, extraction.expr.lower()) == ("header", "etag"), extraction
        # the record the write names: the same variable ends both paths
        record = step.request.path.parts[-1]
        assert isinstance(record, ir.VarRef), step.request.path
        if step.request.method == "PUT":  # the edit: after the record's own GET
            assert source.request.method == "GET", source.number
            assert source.request.path == step.request.path, source.number
        else:  # the delete: the POST that made the record, whose id the path sends
            assert source.request.method == "POST", source.number
            assert sources[record.name][0] is source, source.number
            assert str(source.request.path.parts[-1]).endswith("/records"), source.number
        assert not str(source.request.path.parts[-1]).endswith("/records") or \
            source.request.method == "POST", source.number  # never a list's GET or HEAD


def test_no_recorded_credential_is_in_the_script(script: tuple) -> None:
    """Alice's password is the script's ``--basic-credentials`` (``user:password`` or its
    base64): neither the password nor the recorded header's base64 is in the script."""
    _, result, _ = script
    [secret] = result.scenario.secrets
    assert secret.kind == SECRET_KIND and secret.env == "H2L_BASIC_CREDENTIALS", secret
    recorded = "YWxpY2U6QnVja2V0LWxpc3QtNzc="  # base64 of alice:Bucket-list-77
    code = result.code
    assert PASSWORD not in code and recorded not in code
    assert 'f"Basic {self.basic_credentials}"' in code and "--basic-credentials" in code
