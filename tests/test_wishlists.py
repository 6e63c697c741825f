"""Wishlists: the heart on product pages and cards (per shopper, never leaking through the
shared cached pages), saving and removing with and without htmx, /account/wishlist, and
the back-in-stock email sent once per restock through the outbox and the worker."""
from sqlalchemy import select

from tests.catalogue_helpers import stock_post
from tests.factories import make_product, register_customer
from tests.helpers import HX, check_out, csrf_token, login, page
from tests.review_helpers import logged_in
from webshop import create_app, notifications, orders
from webshop.models import OutboxMessage, WishlistItem


def _shoppers(app, *emails):
    for email in emails:
        register_customer(email, name="Sam")
    return [logged_in(app, email) for email in emails]


def test_fragments_cached_for_a_visitor_are_not_what_a_logged_in_shopper_gets(app, client, db):
    # A visitor who is not logged in has the login link written into the cached HTML; the
    # htmx fragments (the list's results, a product's purchase panel) are cached apart.
    product = make_product("Teapot", stock=0)  # sold out: its panel offers the restock email
    [ada] = _shoppers(app, "ada@example.com")
    fragments = [("/products", {**HX, "HX-Target": "results"}),
                 (f"/products/{product.slug}", {**HX, "HX-Target": "product-purchase"})]
    for url, headers in fragments:
        assert "/login?next=" in page(client.get(url, headers=headers))
        mine = page(ada.get(url, headers=headers))
        assert "/login?next=" not in mine and 'action="/account/wishlist"' in mine, url


def test_a_new_secret_key_does_not_get_fragments_cached_under_the_old_one(app, db):
    # Cached HTML holds markers made from SECRET_KEY; after a rotation (a new process with
    # another key, the same cache) a fragment must not come back with markers left unfilled.
    make_product("Teapot")
    register_customer("ada@example.com", name="Ada")
    url, headers = "/products", {**HX, "HX-Target": "results"}
    assert 'action="/account/wishlist"' in page(logged_in(app, "ada@example.com").get(
        url, headers=headers))
    rotated = create_app({**app.config, "SECRET_KEY": "rotated-" + "k" * 32})
    rotated.test_client_class = app.test_client_class

    html = page(logged_in(rotated, "ada@example.com").get(url, headers=headers))
    assert "<!--heart:" not in html and 'action="/account/wishlist"' in html


def _save(client, product, htmx=False, **extra):
    data = {"csrf_token": client.token, "product_id": product.id,
            "next": f"/products/{product.slug}", **extra}
    return client.post("/account/wishlist", data=data, headers=HX if htmx else {})


def test_the_heart_is_per_shopper_on_shared_cached_pages(app, client, db):
    product = make_product("Teapot")
    ada, bob = _shoppers(app, "ada@example.com", "bob@example.com")
    assert _save(ada, product).status_code == 303

    for url in (f"/products/{product.slug}", "/products"):
        mine, theirs = page(ada.get(url)), page(bob.get(url))  # the same cached page
        assert "Saved to wishlist" in mine and 'aria-pressed="true"' in mine
        assert "Saved to wishlist" not in theirs and 'aria-pressed="false"' in theirs
        anonymous = client.get(url)
        assert "Set-Cookie" not in anonymous.headers
        assert f'href="/login?next=/products/{product.slug}"' in page(anonymous)
        assert "<!--heart:" not in page(anonymous) + mine + theirs


def test_save_and_remove_with_htmx_and_without(app, db):
    product = make_product("Teapot")
    [ada] = _shoppers(app, "ada@example.com")

    fragment = _save(ada, product, htmx=True)
    assert fragment.status_code == 200 and "<html" not in page(fragment)
    assert "Saved to wishlist" in page(fragment)
    assert _save(ada, product, htmx=True).status_code == 200  # saving twice is fine
    assert len(db.session.scalars(select(WishlistItem)).all()) == 1

    listing = page(ada.get("/account/wishlist"))
    assert "Teapot" in listing and "In stock" in listing
    removed = ada.post(f"/account/wishlist/{product.id}/delete",
                       data={"csrf_token": ada.token}, headers=HX)
    assert "Save to wishlist" in page(removed) and "Saved to" not in page(removed)
    assert db.session.scalar(select(WishlistItem)) is None

    response = _save(ada, product)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/products/{product.slug}")
    response = ada.post(f"/account/wishlist/{product.id}/delete",
                        data={"csrf_token": ada.token, "next": "//evil.example"})
    assert response.headers["Location"].endswith("/account/wishlist")
    assert "Your wishlist is empty" in page(ada.get("/account/wishlist"))


def test_saving_needs_a_login_a_token_and_a_real_product(app, client, db):
    product = make_product("Teapot")
    response = client.post("/account/wishlist", data={"product_id": product.id})
    assert response.status_code in (302, 400)
    assert client.get("/account/wishlist").status_code == 302
    [ada] = _shoppers(app, "ada@example.com")
    assert ada.post("/account/wishlist", data={"product_id": product.id}).status_code == 400
    assert ada.post("/account/wishlist", data={"csrf_token": ada.token,
                                               "product_id": "abc"}).status_code == 400
    missing = ada.post("/account/wishlist", data={"csrf_token": ada.token, "product_id": 999999},
                       headers=HX)
    assert missing.status_code == 422 and "could not find" in page(missing)
    in_stock = _save(ada, product, htmx=True, notify_variant_id=product.variants[0].id)
    assert in_stock.status_code == 422 and "in stock" in page(in_stock)
    assert db.session.scalar(select(WishlistItem)) is None


def test_the_wishlist_page_stays_within_budget(app, db, count_queries):
    [ada] = _shoppers(app, "ada@example.com")
    for n in range(6):
        _save(ada, make_product(f"Mug {n}", image=None))
    ada.get("/account/wishlist")
    with count_queries() as queries:
        assert page(ada.get("/account/wishlist")).count('class="product-card"') == 6
    assert queries.count <= 5, queries.statements
    with count_queries() as queries:
        ada.get("/products")
    assert queries.count <= 5, queries.statements


def test_a_restock_emails_each_waiting_shopper_once(app, db, staff_token, smtp_sink,
                                                    run_worker):
    product = make_product("Mug", variants=[
        {"options": {"Size": "S"}, "price": 1250, "stock": 0},
        {"options": {"Size": "L"}, "price": 1500, "stock": 4}], option_names=["Size"])
    sold_out = product.variants[0]
    ada, bob, cy = _shoppers(app, "ada@example.com", "bob@example.com", "cy@example.com")
    html = page(ada.get(f"/products/{product.slug}?variant_id={sold_out.id}"))
    assert "Email me when it is back" in html
    for shopper in (ada, bob):
        response = _save(shopper, product, htmx=True, notify_variant_id=sold_out.id)
        assert "once when it is back" in page(response)
    _save(cy, product)  # saved, but did not ask to be told
    assert "Size S" not in page(ada.get("/account/wishlist"))
    assert "We email you when S is back" in page(ada.get("/account/wishlist"))

    staff = app.test_client()
    login(staff, "staff@example.com")
    token = csrf_token(staff, "/admin/products")
    assert stock_post(staff, token, sold_out.id, htmx=False, delta="3",
                      reason="delivery").status_code == 303
    assert stock_post(staff, token, sold_out.id, htmx=False, delta="2",
                      reason="delivery").status_code == 303  # not a restock: it was 3
    run_worker()
    mails = smtp_sink.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["ada@example.com", "bob@example.com"]
    assert all(m["Subject"] == "Mug is back in stock at Webshop" for m in mails)
    assert f"/products/{product.slug}?variant_id={sold_out.id}" in mails[0].get_body(
        ("plain",)).get_content()
    jobs = db.session.scalars(select(OutboxMessage.job)).all()
    assert jobs.count("webshop.notifications.send_back_in_stock") == 2
    assert all(item.notify_variant_id is None for item in db.session.scalars(select(WishlistItem)))

    # Sold out and back again: nobody asked again, nobody is emailed again.
    assert stock_post(staff, token, sold_out.id, htmx=False, set_to="0",
                      reason="count").status_code == 303
    assert stock_post(staff, token, sold_out.id, htmx=False, delta="1",
                      reason="delivery").status_code == 303
    run_worker()
    assert len(smtp_sink.messages) == 2


def test_stock_released_by_a_cancelled_order_is_a_restock_too(app, shop, db, smtp_sink):
    product = make_product("Last mug", stock=1)
    order, _ = check_out(shop, product)  # the last unit, reserved
    [ada] = _shoppers(app, "ada@example.com")
    assert "once when it is back" in page(
        _save(ada, product, htmx=True, notify_variant_id=product.variants[0].id))

    orders.cancel(order.id, reason="Payment not received in time.")
    db.session.rollback()
    [message] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.job == "webshop.notifications.send_back_in_stock")).all()
    assert notifications.send_back_in_stock(*message.args) == "sent"
    assert notifications.send_back_in_stock(*message.args) == "duplicate"  # a retried job
    [mail] = smtp_sink.wait_for(1)  # the cancellation's own email waits for the worker
    assert (mail["To"], mail["Subject"]) == ("ada@example.com",
                                             "Last mug is back in stock at Webshop")
