"""Zoo: an ASP.NET WebForms shop on Mono's System.Web, replayed by the generated script.

The HAR (``fixtures/zoo/webforms/webforms.har``, recorded in Chromium by ``record.py``) signs in
with a postback (``__VIEWSTATE`` and ``__EVENTVALIDATION`` from the form's hidden inputs, 302
to the orders), adds two orders and deletes the first one with asynchronous postbacks of an
``UpdatePanel`` (each answered in ASP.NET AJAX's partial-page format, which hands out the view
state the next postback sends in its ``hiddenField``s), and signs out with a full postback
carrying the view state of the last partial answer. Each test starts a fresh shop (a new
process, so a new machine key: another instance's view state fails its MAC check; order ids
from a random base; another port) and reads the outcome from the shop's own account: what each
user did, what ASP.NET refused, the orders left, bob's orders untouched.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "webforms" / "webforms.har"
PASSWORD = "looking-glass-7"  # alice's, as recorded (fixtures/zoo/webforms/server.py)
USERS, SECONDS = 3, 12


@pytest.fixture(scope="module")
def shop() -> type:
    from fixtures.zoo.webforms.server import WebFormsShop, missing

    if (why := missing()) is not None:
        pytest.skip(f"the WebForms zoo app cannot run: {why}")
    return WebFormsShop


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp_path_factory.mktemp("webforms"))


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS
         ) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def _why(run: LocustRun, state: dict) -> str:
    return f"{run.explain()}\nserver state: {state}"


def assert_full_lifecycle(run: LocustRun, state: dict) -> None:
    """No failure; each iteration signed in, added two orders, deleted one, signed out; nothing
    refused; bob's orders untouched (also used by tests/test_zoo_recorded_port.py)."""
    why = _why(run, state)
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    counts = state["counts"]
    logins = counts.get("alice/logins", 0)
    assert logins > 0, why
    assert counts == {"alice/logins": logins, "alice/created": 2 * logins,
                      "alice/deleted": logins, "alice/logouts": logins}, why
    assert state["orders_left"] == logins and state["sentinels_intact"], why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_replays_on_a_fresh_shop(shop: type, script: tuple[Path, str, str],
                                         tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = convert_to_file(HAR, tmp_path, user_class=user_class)
    with shop(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_full_lifecycle(run, state)


def test_the_view_state_comes_from_where_asp_net_hands_it_out(
        script: tuple[Path, str, str]) -> None:
    """From the form's hidden inputs after a full page, from the partial answer's
    hiddenFields after an asynchronous postback; a partial answer is checked for a field every
    answer that worked holds."""
    code = script[0].read_text("utf-8")
    assert "etree.XPath(\"//input[@name='__VIEWSTATE']/@value\")" in code
    assert '"\\\\|hiddenField\\\\|__VIEWSTATE\\\\|([^|]*)\\\\|"' in code
    # the adds show their message: "Order added" (the "add" the form sent is no echo of it)
    assert code.count('contains=("|asyncPostBackControlIDs|", ">Order added<")') == 2
    # the delete, told apart by the control that posted back, shows its own
    assert 'contains=("|asyncPostBackControlIDs|", ">Order deleted<")' in code
    assert '"step 6 POST /Orders.aspx (postback=List$ctl00$DeleteButton)"' in code
    assert "/wEM" not in code and "/wEd" not in code  # no recorded view state is sent


def test_without_correlation_the_view_state_is_refused(shop: type, tmp_path: Path) -> None:
    path, _, env_var = convert_to_file(HAR, tmp_path, correlate=False)
    with shop() as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = _why(run, state)
    assert run.failed > 0 and state["counts"].get("-/rejected_state", 0) > 0, why
    assert "alice/logins" not in state["counts"] and "alice/created" not in state["counts"], why
    assert state["sentinels_intact"], why


def test_a_postback_the_server_fails_with_200_fails_its_step(
        shop: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """Adding "ink" fails on the server: ASP.NET AJAX answers 200 with only an error field.
    The step fails with a message that names it, and the run of the flow ends there."""
    path, _, env_var = script
    with shop(failing_item="ink") as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = _why(run, state)
    counts = state["counts"]
    logins = counts.get("alice/logins", 0)
    assert logins > 0 and counts.get("alice/created") == logins, why  # "pens" only
    assert counts.get("-/rejected_error") == logins, why
    assert run.final["5 /Orders.aspx (postback=AddButton)"] == (logins, logins), why
    assert "expected the body to contain '|asyncPostBackControlIDs|'" in run.explain(), why
    assert max(int(name.split()[0]) for name in run.final if name[0].isdigit()) == 5, why
    assert "alice/deleted" not in counts and "alice/logouts" not in counts, why


def test_verify_passes_and_finds_nothing_the_script_misses(
        shop: type, monkeypatch: pytest.MonkeyPatch) -> None:
    """``verify`` replays two iterations and compares each response with the recording: the
    view states differ on every page, and the script correlates each whole (the part after a
    view state's first slash, which the comparison's alignment isolates, is not a finding)."""
    from har2locust_plus import Options
    from har2locust_plus.verify.core import verify

    monkeypatch.setenv("H2L_PASSWORD", PASSWORD)
    with shop() as app:
        outcome = verify(HAR, app.url, Options())
        state = app.state()
    assert outcome.passed, (outcome.final.verdict(), state)
    assert outcome.final.findings == (), outcome.final.findings
    assert state["counts"]["alice/created"] == 4 and state["sentinels_intact"], state


def test_a_delete_the_server_refuses_with_its_message_fails_its_step(
        shop: type, script: tuple[Path, str, str], tmp_path: Path) -> None:
    """The delete finds nothing on this server: the partial answer is well formed (200, every
    field) and says "No such order". Its message check fails the step."""
    path, _, env_var = script
    with shop(refuse_deletes=True) as app:
        run = _run(path, app, tmp_path, env_var, seconds=5)
        state = app.state()
    why = _why(run, state)
    counts = state["counts"]
    logins = counts.get("alice/logins", 0)
    assert logins > 0 and counts.get("alice/created") == 2 * logins, why
    assert "alice/deleted" not in counts and "-/rejected_error" not in counts, why
    assert run.final["6 /Orders.aspx (postback=List$ctl00$DeleteButton)"] == (logins, logins), why
    assert "expected the body to contain '>Order deleted<'" in run.explain(), why
    assert "alice/logouts" not in counts, why
