"""A German shopper reads German in the shop as well (the account pages and emails:
test_i18n_accounts): every page a shopper meets on the way from the home page to an
invoice and a return shows no English sentence outside the names of things (products,
categories, delivery methods, people), and countries, VAT rates, dates and reasons are
written the German way. An invoice is written in its order's language."""
import re

from flask_babel import force_locale
from sqlalchemy import select

from tests.factories import make_category, make_order, make_product, register_customer
from tests.helpers import add_to_cart, checkout, csrf_token, login, page
from tests.promotion_helpers import enter_code, make_code
from tests.returns_helpers import ask_return, delivered_order
from tests.review_helpers import add_reviews
from webshop import invoices, orders, pricing, reminders
from webshop.extensions import db as _db
from webshop.models import Category, Order, Page, Refund, ShippingMethod

DE = {"Accept-Language": "de-DE,de;q=0.9"}
HX = {"HX-Request": "true"}
# Words of an English sentence (any case) that a German page shows only inside names.
ENGLISH = re.compile(r"\b(the|your|you|and|with|this|that|has|have|not|is|are|of|to|for|from"
                     r"|on|at|by|or|it|be|we|our|when|each|more|only|back|yet|out|all|my|no"
                     r"|here|off|up|me|its|than)\b", re.I)
READ_ALOUD = re.compile(r'\b(?:aria-label|alt|title|placeholder)="([^"]*)"'
                        r'|<meta name="description" content="([^"]*)"')
MUG, CATEGORY = "Steingutbecher", "Küche"
REVIEWS = [f"{part} {n}" for n in range(3) for part in ("Reviewer", "Title", "Body of review")]


def readable(html):
    """What a reader sees or a screen reader says: the text without scripts, styles and
    tags, and the attributes read aloud (labels, alternative texts, the description)."""
    spoken = " ".join(a or b for a, b in READ_ALOUD.findall(html))
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html) + " " + spoken)


def english_in(html, *names):
    """The English words on the page once the names of things are taken out."""
    text = readable(html)
    staff_wrote = [*_db.session.scalars(select(ShippingMethod.name)),
                   *_db.session.scalars(select(Category.description))]
    for name in sorted({*names, *staff_wrote, *REVIEWS, MUG, CATEGORY}, key=len, reverse=True):
        text = text.replace(name, " ")
    return ENGLISH.findall(text)


def german(client, url, *names, status=200, headers=None):
    response = client.get(url, headers={**DE, **(headers or {})})
    html = page(response)
    assert response.status_code == status, (url, response.status_code, html[:300])
    assert not english_in(html, *names), (url, english_in(html, *names), readable(html))
    return html


def mug_with_reviews(stock=5):
    product = make_product(MUG, price=1234, stock=stock, category=make_category(CATEGORY),
                           description="Ein Becher aus Steingut.")
    add_reviews(product, [5, 4, 4])
    return product


def test_catalogue_product_reviews_and_suggestions_read_german(app, db):
    mug = mug_with_reviews()
    client = app.test_client()
    for url in ("/", "/products", f"/categories/{mug.category.slug}", f"/products?q={MUG}",
                "/products?q=zzzzqq", "/search/suggestions?q=Stein", "/search/suggestions?q=qqq"):
        german(client, url)
    product = german(client, f"/products/{mug.slug}")
    assert "Bewertungen" in product and "4,3" in product and "von 5 (3 Bewertungen)" in product
    assert "Verifizierter Käufer" in product and "Auf die Wunschliste" in product
    reviews = german(client, f"/products/{mug.slug}/reviews")
    assert f"Bewertungen zu {MUG}" in reviews
    options = german(client, "/search/suggestions?q=Stein", headers=HX)
    assert f"Alle Ergebnisse für „Stein“" in options or "Alle Ergebnisse für" in options
    assert german(client, "/products/no-such-thing", status=404)
    assert "Diese Seite gibt es nicht." in german(client, "/pages/no-such-page", status=404)


def test_a_sold_out_mug_and_the_wishlist_read_german(app, db):
    mug = mug_with_reviews(stock=0)
    register_customer("ada@example.com", name="Ada Muster")
    anonymous = german(app.test_client(), f"/products/{mug.slug}")
    assert "Ausverkauft" in anonymous
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"  # the flash after saving, too
    login(client, "ada@example.com")
    token = csrf_token(client, "/account")
    client.post("/account/wishlist", data={"csrf_token": token, "product_id": mug.id})
    product = german(client, f"/products/{mug.slug}", "ada@example.com")
    assert "Auf der Wunschliste" in product and "Benachrichtigen, wenn wieder da" in product
    german(client, "/account/wishlist", "ada@example.com")
    form = german(client, f"/products/{mug.slug}/review", "ada@example.com")
    assert "Nur Kundinnen und Kunden" in form


def test_cart_checkout_and_order_pages_read_german(app, db):
    mug = mug_with_reviews()
    make_code("SPAREN10", kind="percent", value=10)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    token = csrf_token(client, "/login")
    added = add_to_cart(client, token, mug.variants[0].id, headers=HX)
    assert "In den Warenkorb gelegt." in page(added)
    enter_code(client, token, "SPAREN10")
    cart = german(client, "/cart", "SPAREN10")
    assert "Code SPAREN10" in cart and "Entfernen" in cart and "Anwenden" in cart
    form = german(client, "/checkout", "SPAREN10")
    assert ">Deutschland</option>" in form and ">Österreich</option>" in form
    assert form.index(">Österreich</option>") < form.index(">Polen</option>")
    assert "Lieferung nach Deutschland" in form and "Enthaltene MwSt." in form and "19\xa0%" in form
    response, _ = checkout(client, token)
    assert response.status_code in (302, 303), page(response)[:300]
    order = db.session.scalars(select(Order)).one()
    link = f"/orders/{order.number}?token={orders.access_token(order)}"
    status = german(client, link, "SPAREN10", "Ada Shopper", "1 Main St")
    assert "Deutschland" in status
    cancelled = german(client, f"/checkout/cancelled/{order.number}?token="
                               f"{orders.access_token(order)}")
    assert "Zahlung nicht abgeschlossen" in cancelled


def a_german_delivered_order():
    order = delivered_order(email="ada@example.com", quantity=3)
    order.locale = "de"
    order.items[0].product_name = MUG
    _db.session.commit()
    return order


def test_the_return_form_and_a_returns_list_read_german(app, db):
    order = a_german_delivered_order()
    token = orders.access_token(order)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    link = f"/orders/{order.number}?token={token}"
    html = german(client, link, "Alex Example", "1 Example Street")
    assert "Artikel zurücksenden" in html and "Beschädigt oder defekt angekommen" in html
    assert re.search(r"bis zum \d{1,2}\. \w+ \d{4}", html)  # the window's end, German
    client.token = csrf_token(client, link)
    response = ask_return(client, order, token, {order.items[0].id: 1}, reason="does_not_fit")
    assert response.status_code == 303
    html = german(client, link, "Alex Example", "1 Example Street")
    assert "Passt nicht" in html and "Angefragt" in html


def test_the_invoice_and_credit_note_follow_the_orders_language(app, db, settings):
    settings(SELLER_NAME="Küchendinge GmbH", SELLER_ADDRESS="Hauptstr. 1; 10115 Berlin")
    order = a_german_delivered_order()
    refund = Refund(order_id=order.id, amount=500, currency="EUR", status="succeeded",
                    lines={})
    db.session.add(refund)
    order.amount_refunded = 500
    db.session.flush()
    invoices.issue_credit_note(refund)
    db.session.commit()
    token = orders.access_token(order)
    client = app.test_client()
    names = ("Alex Example", "1 Example Street", "Hauptstr. 1")
    # The customer's browser says English: the document is still the order's (German).
    invoice = page(client.get(f"/orders/{order.number}/invoice?token={token}"))
    assert not english_in(invoice, *names), english_in(invoice, *names)
    assert '<html lang="de">' in invoice and "Rechnung" in invoice and "Zwischensumme" in invoice
    assert "20\xa0%" in invoice  # the factory's order is taxed at 20 %
    note = page(client.get(f"/orders/{order.number}/credit-notes/{refund.id}?token={token}"))
    assert not english_in(note, *names), english_in(note, *names)
    assert "Gutschrift" in note and "5,00\xa0€" in note
    order_page = german(client, f"/orders/{order.number}?token={token}", *names)
    assert "Teilweise erstattet" in order_page and "Gutschrift" in order_page
    english = make_order(email="bo@example.com", status="paid")
    body = page(client.get(f"/orders/{english.number}/invoice?token="
                           f"{orders.access_token(english)}", headers=DE))
    assert '<html lang="en">' in body and "Subtotal" in body


def test_policy_pages_and_reminder_links_read_german(app, db):
    db.session.add(Page(slug="versand", title="Versand", body="Wir liefern **schnell**.",
                        published=True, position=1))
    db.session.commit()
    mug = mug_with_reviews()
    client = app.test_client()
    policy = german(client, "/pages/versand")
    assert "Zuletzt aktualisiert" in policy
    restore = german(client, "/cart/restore/" + reminders.restore_token(
        [(mug.variants[0].id, 2)]))
    assert "Zurück in Ihren Warenkorb" in restore and "12,34\xa0€ pro Stück" in restore
    unsubscribe = german(client, "/reminders/unsubscribe/" + reminders.unsubscribe_token(
        "ada@example.com"), reminders.masked("ada@example.com"))
    assert "Abmelden" in unsubscribe


def test_countries_and_vat_rates_are_written_per_language(ctx):
    with force_locale("de"):
        assert pricing.country_name("DE") == "Deutschland"
        assert pricing.country_name("CH") == "Schweiz"
        assert pricing.rate_text(550) == "5,5\xa0%" and pricing.rate_text(1900) == "19\xa0%"
    with force_locale("en"):
        assert pricing.country_name("DE") == "Germany" and pricing.country_name("XX") == "XX"
        assert pricing.rate_text(550) == "5.5 %" and pricing.rate_text(2550) == "25.5 %"
