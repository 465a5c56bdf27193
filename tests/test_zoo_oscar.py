"""Zoo: a shop built from django-oscar's stock apps, replayed by the generated script.

The HAR (``fixtures/zoo/oscar/oscar.har``, recorded in Chromium by ``record.py``) logs in
(``login-username``), opens the catalogue and the teapot's page (``/catalogue/zoo-teapot_<id>/``:
the product's id beside its name), adds it to the basket (``/basket/add/<id>/``), sets the
quantity to 2 (the basket formset, posted by Oscar's script: the line's id in ``form-0-id``),
checks out (shipping address, then the one free shipping method and the payment steps redirect
on, the preview, "Place order"), reads the order number the thank-you page states, opens that
order in the account's history (``/accounts/orders/<number>/``) and logs out. Each test starts
a fresh shop (new ``SECRET_KEY`` and database; product, basket, line and order ids from random
bases; another port) and reads the outcome from the server: the orders each account placed and
their items, the open baskets, logins and logouts (auth's signals), CSRF refusals, errors.

A basket belongs to an account, so Locust users sharing one account would fill one basket: the
runs here have one user (a load test gives each user an account, ``--data``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import LocustRun, convert_to_file, port_other_than, run_against

pytestmark = [pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[1]
HAR = REPO_ROOT / "fixtures" / "zoo" / "oscar" / "oscar.har"
USER = "alice@example.com"
PASSWORD = "shops-for-mugs-5"  # alice's, as recorded (fixtures/zoo/oscar/app.py)
USERS, SECONDS = 1, 12


@pytest.fixture(scope="module")
def oscar_app() -> type:
    from fixtures.zoo.oscar.server import OscarApp

    return OscarApp


def _convert(tmp: Path, **options: object) -> tuple[Path, str, str]:
    return convert_to_file(HAR, tmp, **options)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return _convert(tmp_path_factory.mktemp("oscar"))


def _run(script: Path, app: object, workdir: Path, env_var: str, seconds: int = SECONDS
         ) -> LocustRun:
    return run_against(script, app.url, workdir, env_var, PASSWORD,  # type: ignore[attr-defined]
                       seconds=seconds, users=USERS)


def assert_orders_placed(run: LocustRun, state: dict) -> None:
    """No failure; each iteration logged in, ordered two teapots and logged out, leaving no
    basket with items (also used by tests/test_zoo_recorded_port.py)."""
    why = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    logins = state["logins"].get("alice", 0)
    assert logins > 0 and state["failed_logins"] == {}, why
    assert state["orders"] == {USER: logins}, why
    assert state["items_ordered"] == {USER: 2 * logins}, why
    assert state["open_baskets"].get(USER, 0) == 0 and state["logouts"] == {"alice": logins}, why
    assert state["rejections"] == {} and state["errors"] == {}, why


@pytest.mark.parametrize("user_class", ["fast", "http"])
def test_journey_places_an_order_each_run_on_a_fresh_shop(oscar_app: type,
                                                          script: tuple[Path, str, str],
                                                          tmp_path: Path, user_class: str) -> None:
    path, recorded_origin, env_var = script
    if user_class != "fast":
        path, _, env_var = _convert(tmp_path, user_class=user_class)
    with oscar_app(port=port_other_than(recorded_origin)) as app:
        assert urlsplit(app.url).port != urlsplit(recorded_origin).port
        run = _run(path, app, tmp_path, env_var)
        state = app.state()
    assert_orders_placed(run, state)


def test_ids_come_from_the_product_link_the_formset_and_the_thank_you_page(
        script: tuple[Path, str, str]) -> None:
    code = script[0].read_text("utf-8")
    # the product's id beside its name, from the link named by the product's title
    assert 'f"/catalogue/zoo-teapot_{self.catalogue_id}/"' in code
    assert 'f"/basket/add/{self.catalogue_id}/"' in code
    assert '"Zoo teapot"' in code
    # the basket line's id from the formset; the formset's bounds stay as recorded
    assert '"form-0-id": self.form_0_id' in code and '"form-MAX_NUM_FORMS": "1000"' in code
    # the order number the thank-you page states
    assert 'ORDER_NO_RE = re.compile("order number is\\n        <strong>(\\\\d+)")' in code
    assert 'f"/accounts/orders/{self.order_no}/"' in code


@pytest.fixture(scope="module")
def wrong_password_app(oscar_app: type) -> Iterator[object]:
    with oscar_app(password="not-the-recorded-one") as app:
        yield app


def test_wrong_password_fails_every_iteration_and_orders_nothing(
        wrong_password_app: object, script: tuple[Path, str, str], tmp_path: Path) -> None:
    path, _, env_var = script
    run = _run(path, wrong_password_app, tmp_path, env_var, seconds=5)
    state = wrong_password_app.state()  # type: ignore[attr-defined]
    why = f"{run.explain()}\nserver state: {state}"
    attempts = state["failed_logins"].get(USER, 0)
    assert attempts > 0 and state["logins"] == {}, why
    assert run.final["04 /accounts/login/"] == (attempts, attempts), why
    assert state["orders"] == {} and state["open_baskets"] == {}, why


def test_with_data_each_user_shops_with_its_own_account(oscar_app: type, tmp_path: Path) -> None:
    """A load test of a shop: each Locust user logs in with its own row of ``--data`` (Oscar's
    ``login-username``, a form prefix, is the account's column), so each fills its own
    basket; every account places its orders, alice none."""
    from fixtures.zoo.oscar.server import SHOPPERS
    from har2locust_plus import Options, ThinkTime, convert

    result = convert(HAR, Options(think_time=ThinkTime("none"), data_file="users.csv"))
    assert {c.name: c.kind for c in result.scenario.data_columns} == {
        "login_username": "login", "login_password": "password"}
    script = tmp_path / "locustfile.py"
    script.write_text(result.code, encoding="utf-8")
    (tmp_path / "users.csv").write_text("login_username,login_password\n" + "".join(
        f"{email},{password}\n" for email, password in SHOPPERS[:3]), encoding="utf-8")
    with oscar_app() as app:
        run = run_against(script, app.url, tmp_path, "UNUSED", "", seconds=SECONDS, users=3)
        state = app.state()
    why = f"{run.explain()}\nserver state: {state}"
    assert run.requests > 0 and run.failed == 0 and run.exceptions == [], why
    shoppers = {email for email, _ in SHOPPERS[:3]}
    assert set(state["orders"]) == shoppers and USER not in state["orders"], why
    assert all(state["items_ordered"][email] == 2 * state["orders"][email]
               for email in shoppers), why
    assert state["failed_logins"] == {} and state["rejections"] == {}, why
