"""The pretix zoo app (``fixtures/zoo/pretix``): pretix 2026.8.0 from PyPI, unmodified, its
ticket shop driven by its own JavaScript. The journey (``pretix.har``, recorded in Chromium)
buys a free ticket; the order's page is ``/zoo/conf/order/<code>/<secret>/``, both random and
named only by the JSON answer of the script's XHR that places the order.

Found with it: the secret's regex held the recorded code (``^/zoo/conf/order/ED3HP/(…)``: on a
fresh server every run stopped at the order), and was named after it (``ed3hp_id``); a code of
capitals without a digit (``LDEGQ``) was a route word; the recorder lost the XHR's answer
(the page left at once), and with it every source of the order's page. The server's own
tables say what was ordered.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ZOO_STOP_TIMEOUT, LocustRun, locust_headless

from har2locust_plus import Options, ThinkTime, convert

INSTALL_TIMEOUT = 900  # the first test installs pretix and makes its template (2-4 minutes)
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(INSTALL_TIMEOUT)]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "pretix" / "pretix.har"
EMAIL = "alice@example.org"  # what the journey typed (fixtures/zoo/pretix/server.py)
ORDER_PAGE = "/zoo/conf/order/{order_id}/{order_id_2}/"
SECONDS = 10


@pytest.fixture(scope="module")
def pretix() -> type:
    """The launcher class; skips the module when pretix cannot be installed here."""
    from fixtures.zoo.pretix import server

    reason = server.missing()
    if reason:
        pytest.skip(f"pretix zoo app cannot run: {reason}")
    server.installed()  # once per version of requirements.txt (about 2.5 minutes the first time)
    return server.Pretix


def _script(tmp: Path, **options: object) -> tuple[Path, str]:
    result = convert(HAR, Options(think_time=ThinkTime("none"), **options))  # type: ignore[arg-type]
    path = tmp / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    return path, result.code


def _recorded_order() -> tuple[str, str]:
    """The recorded order's code and secret, from the URL of its page in the HAR."""
    import json

    for entry in json.loads(HAR.read_text("utf-8"))["log"]["entries"]:
        url = entry["request"]["url"]
        if "/zoo/conf/order/" in url:
            code, secret = url.split("/zoo/conf/order/")[1].split("/")[:2]
            return code, secret
    raise AssertionError("no order page in the recording")


def _explain(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def _replay(pretix: type, path: Path, tmp: Path, seconds: int,
            env: dict[str, str] | None = None) -> tuple[LocustRun, dict, str]:
    """One buyer (or organizer) for ``seconds`` on a fresh pretix: the run, pretix's state
    after it, and both said for an assertion's message. SQLite, pretix's development
    database, locks under writers in parallel: one user; a run of the flow under way at the
    end finishes (``--stop-timeout``)."""
    with pretix() as shop:
        run = locust_headless(path, shop.url, tmp, seconds=seconds, users=1,
                              extra=("--stop-timeout", ZOO_STOP_TIMEOUT), env=env)
        state = shop.state()
    return run, state, _explain(run, state)


def test_the_order_s_code_and_secret_are_read_from_the_answer_that_names_its_page() -> None:
    """Both from the XHR's JSON ``redirect``, each by a regex that holds no recorded value."""
    code, secret = _recorded_order()
    result = convert(HAR, Options())
    rows = {row["var"]: row for row in result.scenario.extra["correlations"]}
    assert rows["order_id"]["preview"] == code and rows["order_id_2"]["preview"] == secret
    extractions = [e for s in result.scenario.steps for e in s.extractions
                   if e.var in ("order_id", "order_id_2")]
    assert {e.var for e in extractions} == {"order_id", "order_id_2"}
    assert all(e.kind == "json" and code not in e.expr and secret not in e.expr
               for e in extractions), extractions
    assert 'f"/zoo/conf/order/{self.order_id}/{self.order_id_2}/?thanks=1"' in result.code


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_pretix(pretix: type, tmp_path: Path,
                                           user_class: str) -> None:
    """One buyer, without pauses, for 10 s: every run of the flow places an order (paid: a
    free ticket), with the address typed, one ticket each, no cart left, and its page shown
    (the step's check: "Thank you!"); bob's order as made."""
    path, _ = _script(tmp_path, user_class=user_class)
    run, state, why = _replay(pretix, path, tmp_path, SECONDS)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    shown = next(n for name, (n, _) in run.final.items() if name.endswith(ORDER_PAGE))
    assert shown >= 2 and len(state["orders"]) == shown, why
    assert {(status, email) for _, status, email in state["orders"]} == {("p", EMAIL)}, why
    assert len({code for code, _, _ in state["orders"]}) == shown, why
    assert state["positions"] == shown and state["carts"] == 0 and state["bob_intact"], why


def _as_devtools_exports_it(tmp: Path) -> Path:
    """The recording as Chromium's DevTools (or Playwright without our recorder) leaves it:
    the bodies of the script's answers that led to another page at once dropped (``"size":
    -1``, no text), the order's XHR among them."""
    import json

    har = json.loads(HAR.read_text("utf-8"))
    dropped = 0
    for entry in har["log"]["entries"]:
        content = entry["response"]["content"]
        if entry.get("_resourceType") == "xhr" and entry["request"]["method"] == "POST":
            content.pop("text", None)
            content.pop("comment", None)
            content["size"] = -1
            dropped += 1
    assert dropped == 2, dropped  # the cart's and the order's
    path = tmp / "pretix-devtools.har"
    path.write_text(json.dumps(har), encoding="utf-8")
    return path


def test_an_export_without_the_order_s_answer_reads_its_page_by_the_url_s_shape(
        pretix: type, tmp_path: Path) -> None:
    """Where the order's answer is not in the recording, its page's code and secret are
    read from the live answer by the URL's shape (the conversion warns): every run of the
    flow places its order and shows its page, as with the whole recording."""
    result = convert(_as_devtools_exports_it(tmp_path), Options(think_time=ThinkTime("none")))
    assert any("is not in the recording" in d.message and "read from its live answer by the "
               "URL's shape" in d.message for d in result.scenario.diagnostics)
    path = tmp_path / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    run, state, why = _replay(pretix, path, tmp_path, SECONDS)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    shown = next(n for name, (n, _) in run.final.items() if name.endswith(ORDER_PAGE))
    assert shown >= 2 and len(state["orders"]) == shown and state["bob_intact"], why


def test_the_recorded_order_s_page_is_not_found_on_a_fresh_server(pretix: type,
                                                                  tmp_path: Path) -> None:
    """Why the code and secret are read: the script with the recorded ones put back places
    its order, then asks for the recorded order's page, which a fresh server does not know
    (404): the step fails, saying so."""
    code, secret = _recorded_order()
    path, script = _script(tmp_path)
    stale = script.replace("{self.order_id_2}", secret).replace("{self.order_id}", code)
    assert stale != script
    path.write_text(stale, encoding="utf-8")
    run, state, why = _replay(pretix, path, tmp_path, 5)
    assert run.failed > 0 and state["orders"], why
    assert all("expected status 200, got 404" in failure["Error"]
               for failure in run.failures), why


# --- the organizer's control panel ----------------------------------------------------------

CONTROL_HAR = REPO_ROOT / "fixtures" / "zoo" / "pretix" / "pretix-control.har"
PASSWORD = "Ticket-desk-42"  # alice's, the organizer's team member (server.py)


def test_the_control_panel_journey_makes_changes_and_deletes_its_product(
        pretix: type, tmp_path: Path) -> None:
    """Log in, make a product (its id from the 302 to its page: a random base each start),
    change its price in the tabbed form (every field of every tab sent back, the form's
    choices read live), delete it, log out: pretix's own log says each run of the flow did all
    three (a run of it takes about 15 s: pretix's pages in debug mode); only the free ticket
    is left."""
    result = convert(CONTROL_HAR, Options(think_time=ThinkTime("none")))
    path = tmp_path / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    env = {s.env: PASSWORD for s in result.scenario.secrets if s.kind == "password"}
    assert len(env) == 1, result.scenario.secrets
    run, state, why = _replay(pretix, path, tmp_path, SECONDS, env)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    assert state["added"] >= 1 and state["added"] == state["changed"] == state["deleted"], why
    assert state["products"] == ["Free ticket"] and state["bob_intact"], why


def test_a_wrong_password_fails_at_the_login_and_makes_nothing(pretix: type,
                                                               tmp_path: Path) -> None:
    """pretix answers the login form again (200, "This combination of credentials is not
    known"): the step fails, saying what the page shows; no product is made."""
    result = convert(CONTROL_HAR, Options(think_time=ThinkTime("none")))
    path = tmp_path / "locustfile.py"
    path.write_text(result.code, encoding="utf-8")
    env = {s.env: "not-alices-password-7" for s in result.scenario.secrets}
    run, state, why = _replay(pretix, path, tmp_path, 5, env)
    assert run.failed > 0 and state["added"] == 0, why
    assert all("step 3 POST /control/login" in failure["Error"] for failure in run.failures), why
