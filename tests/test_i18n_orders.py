"""An order keeps the language its shopper placed it in, and its emails are written in it."""
from sqlalchemy import select

from tests.factories import make_product
from tests.helpers import add_to_cart, checkout, csrf_token
from webshop.models import Order
from webshop.notifications import send_order_email


def place(client, accept_language):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept_language
    mug = make_product("Stoneware Mug", price=1234, stock=5)
    token = csrf_token(client, "/login")
    add_to_cart(client, token, mug.variants[0].id)
    response, _ = checkout(client, token)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]


def test_a_german_order_is_confirmed_in_german(app, db, client, smtp_sink):
    place(client, "de-DE,de;q=0.9")
    order = db.session.scalars(select(Order)).one()
    assert order.locale == "de"
    assert send_order_email("order_confirmation", order.id) == "sent"
    [message] = smtp_sink.wait_for(1)
    assert message["Subject"] == f"Ihre Bestellung {order.number} ist bestätigt"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Vielen Dank für Ihre Bestellung!" in part and "Zwischensumme" in part
        assert "12,34\xa0€" in part and "€12.34" not in part
        assert "Thank you for your order" not in part
    assert '<html lang="de">' in html


def test_an_english_order_is_confirmed_in_english(app, db, client, smtp_sink):
    place(client, "fr-FR,en;q=0.5")
    order = db.session.scalars(select(Order)).one()
    assert order.locale == "en"
    send_order_email("order_confirmation", order.id)
    [message] = smtp_sink.wait_for(1)
    assert message["Subject"] == f"Your order {order.number} is confirmed"
    text = message.get_body(("plain",)).get_content()
    assert "Thank you for your order!" in text and "€12.34" in text


def test_checkout_and_order_pages_in_german(app, db, client):
    place(client, "de")
    order = db.session.scalars(select(Order)).one()
    from webshop.orders import access_token
    page = client.get(f"/orders/{order.number}?token={access_token(order)}").get_data(as_text=True)
    assert '<html lang="de">' in page and f"Bestellung {order.number}" in page
    assert "Ausstehend" in page and "Zwischensumme" in page and "12,34\xa0€" in page
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert f"Order {order.number}" in client.get(
        f"/orders/{order.number}?token={access_token(order)}").get_data(as_text=True)


def test_the_checkout_form_is_in_german(app, db, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    mug = make_product("Stoneware Mug", price=1234, stock=5)
    token = csrf_token(client, "/login")
    add_to_cart(client, token, mug.variants[0].id)
    html = client.get("/checkout").get_data(as_text=True)
    assert "Zahlungspflichtig bestellen" in html and "Bestellübersicht" in html
    assert "Place order and pay" not in html


def test_login_and_register_in_german_and_admin_forms_stay_english(app, db, client, admin):
    german = {"Accept-Language": "de"}
    visitor = app.test_client()
    login_page = visitor.get("/login", headers=german).get_data(as_text=True)
    assert "Passwort vergessen?" in login_page and ">E-Mail</label>" in login_page
    assert "Angemeldet bleiben" in login_page
    assert "Link senden" in visitor.get("/register", headers=german).get_data(as_text=True)
    # The admin (the `admin` fixture is logged in on `client`) stays English, and a label
    # with a "%" in it is shown as it is.
    tax_rates = client.get("/admin/tax-rates", headers=german).get_data(as_text=True)
    assert '<html lang="en">' in tax_rates and "Rate (%)" in tax_rates


def test_the_account_lists_order_dates_per_locale(app, db, client):
    from datetime import datetime, timezone

    from tests.factories import make_order, register_customer
    from tests.helpers import login
    user = register_customer("ada@example.com")
    make_order(user=user, created_at=datetime(2026, 11, 29, 10, tzinfo=timezone.utc))
    login(client, "ada@example.com")
    assert "Nov 29, 2026" in client.get("/account/orders").get_data(as_text=True)
    assert "29.11.2026" in client.get("/account/orders?lang=de").get_data(as_text=True)
