"""The pages behind a cart reminder's links (restore, unsubscribe, one-click), the guest's
consent at checkout and the account's switch, over HTTP."""
import re
import time

import pytest
from sqlalchemy import select

from tests.factories import make_product, register_customer
from tests.helpers import HX, CHECKOUT, add_to_cart, csrf_token, login, page
from tests.reminder_helpers import abandon
from webshop import reminders
from webshop.models import Cart, CartItem


@pytest.fixture
def mug(db):
    return make_product("Blue Mug", price=1250, stock=5)


def restore_path(*items):
    return f"/cart/restore/{reminders.restore_token(items)}"


def unsubscribe_path(email):
    return f"/reminders/unsubscribe/{reminders.unsubscribe_token(email)}"


def quantities(db):
    db.session.expire_all()
    return dict(db.session.execute(select(CartItem.variant_id, CartItem.quantity)).all())


def test_restoring_merges_into_the_current_cart_within_stock_and_the_line_cap(
        app, db, client, mug, settings):
    settings(MAX_QUANTITY_PER_LINE=4)
    lamp = make_product("Desk Lamp", stock=1)
    gone = make_product("Retired Vase", active=False)
    mug_id, lamp_id = mug.variants[0].id, lamp.variants[0].id
    token = csrf_token(client, "/login")
    add_to_cart(client, token, mug_id, 1)  # the shopper's cart already holds a mug
    path = restore_path((mug_id, 3), (lamp_id, 2), (gone.variants[0].id, 1))

    landing = client.get(path)
    assert landing.status_code == 200
    assert "Blue Mug" in page(landing) and "no longer available" in page(landing)
    assert quantities(db) == {mug_id: 1}  # a GET changes nothing

    back = client.post(path, data={"csrf_token": token})
    assert back.status_code == 303 and back.headers["Location"].endswith("/cart")
    # At least what the email listed, within stock (one lamp) and the cap.
    assert quantities(db) == {mug_id: 3, lamp_id: 1}
    assert "not all of them could be put back" in page(client.get("/cart"))
    client.post(path, data={"csrf_token": token})  # a second click adds nothing more
    assert quantities(db) == {mug_id: 3, lamp_id: 1}


def test_restoring_needs_the_sessions_csrf_token(app, db, mug):
    visitor = app.test_client()
    path = restore_path((mug.variants[0].id, 1))
    assert visitor.post(path).status_code == 400
    assert quantities(db) == {}


def test_a_tampered_link_is_400_and_an_expired_one_410(app, db, client, mug, monkeypatch):
    good = restore_path((mug.variants[0].id, 1))
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for path in (tampered, "/cart/restore/x", unsubscribe_path("a@example.com")[:-2] + "zz"):
        response = client.get(path)
        assert response.status_code == 400 and "not valid" in page(response), path
    fortnight_ago = time.time() - 15 * 24 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: fortnight_ago)
        old = restore_path((mug.variants[0].id, 1))
    response = client.get(old)
    assert response.status_code == 410 and "expired" in page(response)
    token = csrf_token(client, "/login")
    assert client.post(old, data={"csrf_token": token}).status_code == 410
    assert quantities(db) == {}


def test_unsubscribing_shows_a_page_then_the_post_unsubscribes(app, db):
    visitor = app.test_client()
    path = unsubscribe_path("Ada@Example.com")
    confirm = visitor.get(path)
    assert confirm.status_code == 200 and "a**@example.com" in page(confirm)
    assert not reminders.unsubscribed("ada@example.com")  # a GET changes nothing
    assert visitor.post(path).status_code == 400  # not without the page's token
    done = visitor.post(path, data={"csrf_token": csrf_token(visitor, path)})
    assert done.status_code == 200 and "no more cart reminders" in page(done)
    assert reminders.unsubscribed("ada@example.com")
    visitor.post(path, data={"csrf_token": csrf_token(visitor, path)})  # twice: still one row
    assert reminders.unsubscribed("ada@example.com")


def test_one_click_unsubscribe_works_without_cookies_or_token(app, db, mug):
    user = register_customer("ada@example.com")
    abandon((mug, 1), user=user)
    mail_client = app.test_client(use_cookies=False)
    path = unsubscribe_path("ada@example.com") + "/one-click"

    assert mail_client.post(path).status_code == 400  # not RFC 8058's body
    assert mail_client.post(path[:-12] + "xx/one-click",
                            data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert not reminders.unsubscribed("ada@example.com")
    response = mail_client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert reminders.unsubscribed("ada@example.com")
    assert reminders.sweep() == 0


def test_a_guests_address_is_kept_only_with_the_box_ticked(app, db, client, mug):
    token = csrf_token(client, "/login")
    add_to_cart(client, token, mug.variants[0].id)
    form = page(client.get("/checkout"))
    assert "Email me a reminder if I don&#39;t finish" in form
    assert "checked" not in re.search(r'<input[^>]*name="remind_me"[^>]*>', form).group(0)

    def kept():
        db.session.expire_all()
        return db.session.execute(select(Cart.remind_email, Cart.remind_consent_at)).one()

    # With htmx, as soon as the box changes.
    answer = client.post("/checkout/reminder", headers=HX, data={
        "csrf_token": token, "email": "Guest@Example.com", "remind_me": "y"})
    assert answer.status_code == 200 and "We will email you a reminder" in page(answer)
    email, consented_at = kept()
    assert email == "guest@example.com" and consented_at is not None
    again = page(client.get("/checkout"))  # back later: the box as they left it
    assert "checked" in re.search(r'<input[^>]*name="remind_me"[^>]*>', again).group(0)
    assert 'value="guest@example.com"' in again
    client.post("/checkout/reminder", headers=HX, data={"csrf_token": token, "email": "x"})
    assert kept() == (None, None)  # unticked: the address is dropped
    # Without JavaScript, with the checkout form (here one that fails: no name).
    client.post("/checkout", data={**CHECKOUT, "name": "", "csrf_token": token,
                                   "idempotency_key": "k" * 32, "remind_me": "y"})
    assert kept()[0] == "ada@example.com"


def test_the_account_page_switches_reminders_off_and_on(app, db, client, mug):
    user = register_customer("ada@example.com")
    login(client, "ada@example.com")
    token = csrf_token(client, "/account")
    assert "Switch cart reminders off" in page(client.get("/account"))
    client.post("/account/reminders", data={"csrf_token": token, "reminders": "off"})
    assert reminders.unsubscribed("ada@example.com")
    assert "Switch cart reminders on" in page(client.get("/account"))
    abandon((mug, 1), user=user)
    assert reminders.sweep() == 0
    client.post("/account/reminders", data={"csrf_token": token, "reminders": "on"})
    assert not reminders.unsubscribed("ada@example.com")
    assert reminders.sweep() == 1


def test_the_reminder_pages_stay_within_the_query_budget(app, db, client, count_queries):
    products = [make_product(f"Thing {i}", image="products/x.webp") for i in range(8)]
    restore = restore_path(*[(p.variants[0].id, 1) for p in products])
    unsubscribe = unsubscribe_path("ada@example.com")
    counts = {}
    for path in (restore, unsubscribe):
        client.get(path)  # warm the catalogue cache (header navigation)
        with count_queries() as q:
            assert client.get(path).status_code == 200
        counts[path] = q.count
    assert max(counts.values()) <= 5, counts
