"""A German shopper's account pages, form errors and emails are in German, also the emails a
job writes later without a request (webshop.notifications: force_locale)."""
import re

from sqlalchemy import select

from tests.factories import make_order, make_product, register_customer
from tests.helpers import csrf_token, login
from webshop import notifications
from webshop.models import Order, OutboxMessage

DE = {"Accept-Language": "de-DE,de;q=0.9"}
# Words of an English sentence that no German page of these should show outside names.
ENGLISH = re.compile(r"\b(the|your|you|and|with|this|that|has|have|not|is|are|of|to)\b")


def visible_text(html):
    """What a reader sees: the page without scripts, styles, tags and attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_account_pages_are_german(app, db, client):
    register_customer("ada@example.com")
    login(client, "ada@example.com")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    account = client.get("/account").get_data(as_text=True)
    assert "Ihr Konto" in account and "Passwort ändern" in account
    assert "Warenkorb-Erinnerungen" in account and "Sie haben noch nichts bestellt." in account
    assert "Your account" not in account
    assert "Lieferadresse" in client.get("/account/address").get_data(as_text=True)
    assert "Ihre Wunschliste ist leer." in client.get("/account/wishlist").get_data(as_text=True)
    for url in ("/account", "/account/orders", "/account/address", "/account/password",
                "/account/wishlist"):
        text = visible_text(client.get(url).get_data(as_text=True))
        assert not ENGLISH.findall(text.replace("ada@example.com", "")), (url, text)


def test_login_register_and_password_pages_read_no_english(app, db):
    client = app.test_client()
    for url in ("/login", "/register", "/password/forgot", "/password/reset/bad-token",
                "/register/bad-token"):
        response = client.get(url, headers=DE)
        text = visible_text(response.get_data(as_text=True))
        assert '<html lang="de">' in response.get_data(as_text=True), url
        assert not ENGLISH.findall(text), (url, ENGLISH.findall(text), text)
    assert "Dieser Link funktioniert nicht" in client.get(
        "/password/reset/bad-token", headers=DE).get_data(as_text=True)


def test_form_errors_are_german(app, db):
    client = app.test_client()
    token = csrf_token(client, "/login")
    failed = client.post("/login", headers=DE, data={
        "csrf_token": token, "email": "ada@example.com", "password": "wrong password"})
    assert failed.status_code == 422
    assert "E-Mail-Adresse und Passwort passen zu keinem Konto." in failed.get_data(as_text=True)
    empty = client.post("/password/forgot", headers=DE, data={"csrf_token": token, "email": ""})
    assert "Dieses Feld wird benötigt." in empty.get_data(as_text=True)  # WTForms' own, in German
    assert "This field is required." not in empty.get_data(as_text=True)


def test_a_password_reset_asked_for_in_german_is_mailed_in_german(app, db, smtp_sink):
    register_customer("ada@example.com")
    client = app.test_client()
    token = csrf_token(client, "/password/forgot")
    response = client.post("/password/forgot", headers=DE,
                           data={"csrf_token": token, "email": "ada@example.com"})
    assert response.status_code == 303
    assert "Falls für diese Adresse ein Konto besteht" in client.get(
        "/password/forgot", headers=DE).get_data(as_text=True)
    [queued] = db.session.scalars(select(OutboxMessage)).all()
    # The job runs later, without the request: the message carries the language.
    assert notifications.send_account_email(*queued.args) == "sent"
    [message] = smtp_sink.wait_for(1)
    assert message["Subject"] == "Ihr Passwort bei Webshop zurücksetzen"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Jemand (hoffentlich Sie) möchte das Passwort Ihres Kontos" in part
        assert "/password/reset/" in part and "Reset your password" not in part
    assert '<html lang="de">' in html


def test_a_reset_staff_sent_follows_the_language_the_customer_ordered_in(app, db, smtp_sink):
    user = register_customer("ada@example.com")
    order = make_order(user=user)
    order.locale = "de"
    db.session.commit()
    assert notifications.send_password_reset(user.id) == "sent"
    [message] = smtp_sink.wait_for(1)
    assert message["Subject"] == "Ihr Passwort bei Webshop zurücksetzen"


def test_a_german_order_is_dispatched_in_german(app, db, client, smtp_sink):
    from tests.helpers import add_to_cart, checkout
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de-DE,de;q=0.9"
    mug = make_product("Stoneware Mug", price=1234, stock=5)
    token = csrf_token(client, "/login")
    add_to_cart(client, token, mug.variants[0].id)
    response, _ = checkout(client, token)
    assert response.status_code in (302, 303)
    order = db.session.scalars(select(Order)).one()
    order.carrier, order.tracking_number = "DHL", "00340434161094042557"
    db.session.commit()
    assert notifications.send_order_email("order_dispatched", order.id) == "sent"
    [message] = smtp_sink.wait_for(1)
    assert message["Subject"] == f"Ihre Bestellung {order.number} ist unterwegs"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert f"die Bestellung {order.number} hat unser Lager verlassen" in part
        assert "Sendungsnummer:" in part and "00340434161094042557" in part
        assert "12,34\xa0€" in part and "has left our warehouse" not in part
