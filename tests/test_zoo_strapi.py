"""Zoo: Strapi 5 (from npm: its React admin panel and admin API on Koa and Knex, SQLite),
replayed.

The HAR (``fixtures/zoo/strapi/strapi.har``, recorded in Chromium by ``record.py``) signs
alice in to the admin panel (``POST /admin/login``: a JWT in the JSON answer, which the
panel's script keeps in a ``jwtToken`` cookie of its own and sends as ``Authorization:
Bearer``; before the login it sends ``Bearer null``), opens the notes in the Content Manager,
creates one (its ``documentId`` in the create's answer), publishes it, sets it done, saves and
publishes again, and logs out. The schema's names (``api::note.note``, ``i18n``) come back in
many answers, as object keys and in lists: the app's words, sent as recorded. Each test starts
a fresh Strapi (its own secrets, database, ids and port) and reads the outcome from its
database.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import LocustRun, convert_to_file, locust_headless, port_other_than, run_against

INSTALL_TIMEOUT = 900  # the first test installs Strapi (npm, its SQLite module compiled, build)
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(INSTALL_TIMEOUT)]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "strapi" / "strapi.har"
USERS, SECONDS = 2, 20


@pytest.fixture(scope="module")
def strapi() -> type:
    """The launcher class; skips the module when Strapi cannot be installed here."""
    from fixtures.zoo.strapi import server

    reason = server.missing()
    if reason:
        pytest.skip(f"Strapi zoo app cannot run: {reason}")
    server.installed()  # once per version of site/ (about three minutes the first time)
    return server.Strapi


def _password() -> str:
    from fixtures.zoo.strapi.server import PASSWORD

    return PASSWORD


PASSWORD = _password()  # what test_zoo_recorded_port.py gives the script


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The script, the recorded origin and the environment variable of the password."""
    return convert_to_file(HAR, tmp_path_factory.mktemp("strapi-correlated"))


def _run(script: Path, server: object, workdir: Path, env_var: str, seconds: int = SECONDS,
         password: str = PASSWORD) -> LocustRun:
    return run_against(script, server.url, workdir, env_var, password,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict, runs: int = 2) -> None:
    """No failure; every run of the flow made a note of its own, published it and published
    it again done (at least ``runs``), bob's note as it was (also used by
    tests/test_zoo_recorded_port.py)."""
    from fixtures.zoo.strapi.server import JOURNEY_BODY

    why = _explain(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["created"] >= runs, why
    assert state["published"] == state["done"] == state["created"], why
    assert state["bodies"] == [JOURNEY_BODY] and state["sentinel_intact"], why
    assert state["notes"] == state["created"] + 1, why  # bob's, and nothing else


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_strapi(strapi: type, script: tuple, tmp_path: Path,
                                           user_class: str) -> None:
    """The token from the login's answer (in the header and in the panel's own cookie), the
    note's ``documentId`` from the create's answer: every note made, published and done, run
    after run, by two users at once."""
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(HAR, tmp_path, user_class=user_class)
    with strapi(port=port_other_than(recorded_origin)) as server:
        run = _run(path, server, tmp_path, env_var)
        state = server.state()
    assert_full_lifecycle(run, state)


def test_what_the_script_sends(script: tuple) -> None:
    """The token read from the login's answer, also put into the ``jwtToken`` cookie the
    panel's script set (no response sets it: read from the jar, it was never there); the
    note's ``documentId`` from the create's answer in every path about the note; ``Bearer
    null`` as recorded (no ``--bearer-token`` to ask for); the schema's names as recorded;
    no recorded token or id, nor the password."""
    code = script[0].read_text("utf-8")
    flow = code.split("def journey(self):")[1].split("\nclass ")[0].split("\ndef ")[0]
    assert "self.token = from_json(" in flow and '("data", "token")' in flow
    assert 'set_cookie(self, "jwtToken", self.token)' in flow
    assert "from_cookie(" not in flow
    assert '"authorization": "Bearer null"' in flow and "bearer_token" not in code
    assert "self.document_id = from_json(" in flow
    assert 'f"/content-manager/collection-types/api::note.note/{self.document_id}' \
        '/actions/publish"' in flow
    assert '"/i18n/locales"' in flow and "self.uid" not in flow and "self.subject" not in flow
    assert not re.search(r"eyJhbGciOi", flow)
    documents = re.findall(r'documentId[^a-z0-9]{1,12}([a-z0-9]{24})', HAR.read_text("utf-8"))
    assert documents and not any(d in flow for d in documents)
    assert PASSWORD not in code and "self.password" in flow


def test_without_correlation_every_call_after_the_login_is_refused(strapi: type,
                                                                    tmp_path: Path) -> None:
    """Without correlation the recorded token is a secret to give (``--bearer-token``), and
    given as recorded it is another server's: 401 on every call that sends it, nothing
    made."""
    path, _, env_var = convert_to_file(HAR, tmp_path, correlate=False)
    login = next(e for e in json.loads(HAR.read_text("utf-8"))["log"]["entries"]
                 if e["request"]["url"].endswith("/admin/login"))
    recorded = json.loads(login["response"]["content"]["text"])["data"]["token"]
    with strapi() as server:
        run = locust_headless(path, server.url, tmp_path, seconds=8, users=USERS,
                              env={env_var: PASSWORD, "H2L_BEARER_TOKEN": recorded})
        state = server.state()
    why = _explain(run, state)
    assert state["created"] == 0 and state["sentinel_intact"], why
    assert run.failed > 0 and any("401" in failure["Error"] for failure in run.failures), why


def test_a_wrong_password_fails_at_the_login_and_makes_nothing(strapi: type, script: tuple,
                                                               tmp_path: Path) -> None:
    """Strapi answers a wrong password 400 ("Invalid credentials"): the login's step fails,
    the flow goes no further."""
    path, _, env_var = script
    with strapi() as server:
        run = _run(path, server, tmp_path, env_var, password="Not-the-password-9", seconds=8)
        state = server.state()
    why = _explain(run, state)
    assert state["created"] == 0 and state["sentinel_intact"], why
    assert run.failed > 0 and all("POST /admin/login" in failure["Error"] and "400" in
                                  failure["Error"] for failure in run.failures), why
