"""Customer accounts: logging in and out, the saved address and order history, over HTTP
against PostgreSQL (and the accounts domain directly). Registering: test_registration.py;
passwords: test_passwords.py; logins that can be ended: test_sessions.py; rate limits:
test_login_throttling.py."""
from datetime import datetime, timedelta, timezone

import pytest

from tests.factories import make_order, make_user, register_customer
from tests.helpers import csrf_token, login
from webshop import accounts
from webshop.pagination import PageOutOfRange
from webshop.extensions import db as _db
from webshop.models import Address, Customer, User

QUERY_BUDGET = 5


def logged_in_user_id(client):
    with client.session_transaction() as session:
        return session.get("_user_id")


# --- logging in and out -------------------------------------------------------------

def test_login_with_a_wrong_password_says_so_and_logs_nobody_in(client, db):
    make_user()

    response = login(client, password="not the password")

    assert response.status_code == 422
    assert "That email and password do not match an account." in response.get_data(as_text=True)
    assert logged_in_user_id(client) is None


def test_login_goes_back_to_the_page_that_asked_for_it(client, db):
    make_user()
    response = login(client, next_url="/account/orders")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/orders"


def test_logout_is_post_only_and_needs_csrf(client, db):
    make_user()
    login(client)

    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert logged_in_user_id(client) is not None

    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})

    assert response.status_code == 303
    assert logged_in_user_id(client) is None


def test_remember_me_sets_a_remember_cookie(client, db):
    make_user()
    login(client, remember=True)
    assert client.get_cookie("remember_token") is not None


def test_without_remember_me_there_is_no_remember_cookie(client, db):
    make_user()
    login(client)
    assert client.get_cookie("remember_token") is None


def test_login_and_logout_call_the_cart_glue(client, db, monkeypatch):
    from webshop.web import cart_session
    seen = []
    monkeypatch.setattr(cart_session, "after_login", lambda user: seen.append(("in", user.email)))
    monkeypatch.setattr(cart_session, "after_logout", lambda: seen.append(("out", None)))
    make_user()

    login(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})

    assert seen == [("in", "shopper@example.com"), ("out", None)]


# --- saved address ------------------------------------------------------------------

ADDRESS = {
    "name": "Ada Lovelace", "line1": "12 St James's Square", "line2": "Flat 2",
    "city": "Berlin", "postal_code": "10115", "region": "", "country": "DE", "phone": "+49 30 1234",
}


def save_address(client, **overrides):
    token = csrf_token(client, "/account/address")
    return client.post("/account/address", data={"csrf_token": token, **ADDRESS, **overrides})


def test_saved_address_round_trip(client, db):
    register_customer()
    login(client)

    response = save_address(client)

    assert response.status_code == 303 and response.headers["Location"] == "/account"
    user = db.session.scalar(db.select(User))
    address = accounts.default_address(user)
    assert (address.line1, address.city, address.country, address.is_default) == (
        "12 St James's Square", "Berlin", "DE", True)
    form = client.get("/account/address").get_data(as_text=True)
    assert 'value="12 St James&#39;s Square"' in form
    assert '<option selected value="DE">' in form
    account = client.get("/account").get_data(as_text=True)
    assert "12 St James&#39;s Square" in account and "Germany" in account

    save_address(client, city="Hamburg", postal_code="20095")

    assert db.session.scalar(db.select(db.func.count(Address.id))) == 1
    db.session.expire_all()
    assert accounts.default_address(user).city == "Hamburg"


def test_address_form_refuses_missing_fields_and_unknown_countries(client, db):
    register_customer()
    login(client)

    response = save_address(client, line1="", country="XX")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This field is required." in html and "Not a valid choice." in html
    assert db.session.scalar(db.select(db.func.count(Address.id))) == 0


def test_saving_an_address_makes_it_the_only_default(db):
    user = register_customer()
    customer = user.customer
    db.session.add(Address(customer=customer, name="Old", line1="1 Old Rd", city="Paris",
                           postal_code="75001", country="FR", is_default=True))
    db.session.commit()

    address = accounts.save_default_address(user, **{**ADDRESS, "country": "nl"})

    defaults = db.session.scalars(db.select(Address).where(Address.is_default.is_(True))).all()
    assert defaults == [address] and address.country == "NL"


def test_a_user_without_a_profile_gets_one_when_saving_an_address(db):
    staff = make_user(email="staff@example.com", role="staff")

    accounts.save_default_address(staff, **ADDRESS)

    customer = db.session.scalar(db.select(Customer).where(Customer.user_id == staff.id))
    assert customer.email == "staff@example.com"
    assert accounts.default_address(staff).city == "Berlin"


# --- account pages and order history ------------------------------------------------

@pytest.mark.parametrize("url", ["/account", "/account/orders", "/account/password", "/account/address"])
def test_account_pages_need_a_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login?next=" + url.replace("/", "%2F"))


def test_account_page_shows_profile_and_recent_orders(client, db):
    user = register_customer()
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    orders = [make_order(user, total=1000 + i, created_at=start + timedelta(days=i)) for i in range(7)]
    login(client)

    response = client.get("/account")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sam Shopper" in html and "shopper@example.com" in html
    assert "No saved address yet" in html
    newest_five = [o.number for o in orders[:1:-1]]
    for number in newest_five:
        assert f'href="/orders/{number}"' in html
    assert orders[0].number not in html and orders[1].number not in html
    assert [html.index(n) for n in newest_five] == sorted(html.index(n) for n in newest_five)
    assert "All 7 orders" in html
    assert response.headers["Cache-Control"] == "no-store"


def test_order_history_lists_only_my_own_orders(client, db):
    me = register_customer()
    other = register_customer(email="other@example.com")
    mine = make_order(me, total=4200, quantity=3, status="paid")
    theirs = make_order(other, total=9900)
    guest = make_order(email="shopper@example.com", total=1234)  # same email, but a guest order
    login(client)

    html = client.get("/account/orders").get_data(as_text=True)

    assert mine.number in html
    assert "€42.00" in html
    assert 'class="status status-paid"' in html
    assert '<td class="num">3</td>' in html
    assert theirs.number not in html and guest.number not in html


def test_order_history_is_paginated_with_validated_page_numbers(client, db):
    user = register_customer()
    for _ in range(25):
        make_order(user)
    login(client)

    assert "page 1 of 2" in client.get("/account/orders").get_data(as_text=True)
    assert client.get("/account/orders?page=2").status_code == 200
    assert client.get("/account/orders?page=3").status_code == 404
    for bad in ("abc", "0", "-1", "²", "1.5"):
        assert client.get(f"/account/orders?page={bad}").status_code == 400, bad


def test_an_empty_history_has_a_first_page(client, db):
    register_customer()
    login(client)
    response = client.get("/account/orders")
    assert response.status_code == 200
    assert "You have not ordered anything yet." in response.get_data(as_text=True)
    assert client.get("/account/orders?page=2").status_code == 404


@pytest.mark.parametrize("url", ["/account/orders", "/account"])
def test_order_pages_query_budget_does_not_grow_with_orders(app, client, count_queries, url):
    # Data is written in short-lived contexts, so no ORM object the test holds can
    # spare the requests a query they would make in production.
    def add_orders(count):
        with app.app_context():
            user = _db.session.scalar(_db.select(User).where(User.email == "shopper@example.com"))
            other = _db.session.scalar(_db.select(User).where(User.email == "other@example.com"))
            for _ in range(count):
                make_order(user, quantity=2)
                make_order(other)

    with app.app_context():
        register_customer()
        register_customer(email="other@example.com")
    login(client)
    counts = []
    for new_orders in (3, 17):
        add_orders(new_orders)
        client.get(url)  # warm the catalogue cache (header navigation)
        with count_queries() as q:
            assert client.get(url).status_code == 200
        counts.append(q.count)

    assert counts[0] == counts[1], counts
    assert counts[1] <= QUERY_BUDGET, counts


def test_orders_for_counts_items_and_sorts_newest_first(db):
    user = register_customer()
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    older = make_order(user, quantity=2, created_at=start)
    newer = make_order(user, quantity=5, created_at=start + timedelta(hours=1))

    page = accounts.orders_for(user.id, 1, 10)

    assert page.total == 2
    assert [(o.number, o.item_count) for o in page.items] == [(newer.number, 5), (older.number, 2)]
    with pytest.raises(PageOutOfRange):
        accounts.orders_for(user.id, 2, 10)


def test_staging_an_address_leaves_the_commit_to_the_caller(db):
    user = register_customer()

    accounts.stage_default_address(user, **ADDRESS)
    db.session.rollback()

    assert accounts.default_address(user) is None
