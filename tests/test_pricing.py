"""Taxes by destination and the pricing pipeline: VAT per country on the quote, on the
order (per line and per rate) and in what Stripe charges; the discounts and gift card
the pipeline takes."""
import csv
import io

from sqlalchemy import select

from tests.factories import make_product
from tests.helpers import add_to_cart, checkout, page
from tests.test_emails import embedded, eml_files, parts, read_eml  # noqa: F401 (fixture)
from webshop import cart as carts
from webshop import orders, pricing
from webshop.models import Order
from webshop.payments import gateway


def _product(db, name, price, tax_class="standard", weight=None, stock=10):
    product = make_product(name, price=price, stock=stock)
    product.tax_class = tax_class
    product.variants[0].weight_grams = weight
    db.session.commit()
    return product


def _lines(db, *products_and_quantities):
    cart = None
    for product, quantity in products_and_quantities:
        cart = carts.add_item(product.variants[0].id, quantity, token="pricing")
    return carts.lines(cart)


def test_vat_is_the_destination_countrys_per_tax_class(db):
    lamp = _product(db, "Lamp", 11900)
    book = _product(db, "Book", 1070, tax_class="reduced")
    lines = _lines(db, (lamp, 1), (book, 1))

    germany, france = pricing.quote(lines, "DE"), pricing.quote(lines, "FR")

    assert [(t.rate_bp, t.net, t.tax, t.gross) for t in germany.tax_lines] == [
        (1900, 10000, 1900, 11900), (700, 1000, 70, 1070)]
    # 20 % inside 119.00 is 19.83; 5.5 % inside 10.70 is 0.5578, rounded half up.
    assert [(t.rate_bp, t.tax) for t in france.tax_lines] == [(2000, 1983), (550, 56)]
    assert (germany.tax, france.tax) == (1970, 2039)
    assert germany.total == france.total == 12970  # prices include VAT: the same price
    assert [t.rate_bp for t in france.line_taxes] == [2000, 550]


def test_without_a_country_the_shops_home_rate_applies_and_can_apply_everywhere(db, settings):
    lamp = _product(db, "Lamp", 11900)
    lines = _lines(db, (lamp, 1))
    assert pricing.quote(lines).tax_country == "DE"
    assert pricing.quote(lines).tax == 1900
    settings(TAX_DESTINATION_BASED=False)  # below the EU's distance-selling threshold
    assert pricing.quote(lines, "FR").tax_country == "DE"
    assert pricing.quote(lines, "FR").tax == 1900


def test_a_country_without_a_reduced_rate_charges_its_standard_rate(db):
    book = _product(db, "Book", 1250, tax_class="reduced")
    water = _product(db, "Exempt thing", 1000, tax_class="zero")
    quote = pricing.quote(_lines(db, (book, 1), (water, 1)), "DK")
    assert [(t.rate_bp, t.tax) for t in quote.tax_lines] == [(2500, 250), (0, 0)]


def test_shipping_carries_the_destinations_standard_rate(db):
    book = _product(db, "Book", 1070, tax_class="reduced")
    quote = pricing.quote(_lines(db, (book, 1)), "FR", "express")
    assert quote.shipping == 1295
    assert [(t.rate_bp, t.gross, t.tax) for t in quote.tax_lines] == [
        (2000, 1295, 216), (550, 1070, 56)]


def test_discounts_lower_the_vat_and_a_gift_card_only_pays(db):
    lamp = _product(db, "Lamp", 5950)
    mug = _product(db, "Mug", 1190)
    lines = _lines(db, (lamp, 2), (mug, 1))
    quote = pricing.quote(lines, "DE", "standard", gift_card_balance=100_000,
                          line_discounts={lamp.variants[0].id: 1900})
    # 119.00 + 11.90 - 19.00 = 111.90 of goods, free standard delivery from 60.00.
    assert (quote.subtotal, quote.discount, quote.shipping, quote.total) == (13090, 1900, 0, 11190)
    assert quote.tax == pricing.tax.included(11190, 1900) == 1787
    assert (quote.gift_card, quote.amount_due) == (11190, 0)
    free = pricing.quote(lines, "DE", "express", free_shipping=True)
    assert free.shipping == 0 and free.total == 13090


def test_an_order_keeps_its_vat_per_line_and_per_rate_and_stripe_charges_its_total(shop, db):
    lamp = _product(db, "Lamp", 11900)
    book = _product(db, "Book", 1070, tax_class="reduced")
    placed = {}
    for country in ("DE", "FR"):
        add_to_cart(shop, shop.token, lamp.variants[0].id)
        add_to_cart(shop, shop.token, book.variants[0].id)
        response, _ = checkout(shop, shop.token, country=country, email=f"{country}@example.com")
        assert response.status_code == 303, page(response)[:500]
        placed[country] = db.session.scalar(select(Order).where(
            Order.email == f"{country.lower()}@example.com"))

    germany, france = placed["DE"], placed["FR"]
    assert (germany.tax_country, france.tax_country) == ("DE", "FR")
    assert [(i.product_name, i.tax_class, i.tax_rate_bp, i.tax) for i in germany.items] == [
        ("Lamp", "standard", 1900, 1900), ("Book", "reduced", 700, 70)]
    assert [(i.tax_rate_bp, i.tax) for i in france.items] == [(2000, 1983), (550, 56)]
    assert [(t.rate_bp, t.net, t.tax, t.gross) for t in france.tax_lines] == [
        (2000, 9917, 1983, 11900), (550, 1014, 56, 1070)]
    assert (germany.tax, france.tax) == (1970, 2039)
    for order in (germany, france):
        session = gateway.client().v1.checkout.sessions.retrieve(
            order.stripe_checkout_session_id, params={"expand": ["line_items"]})
        assert session.amount_total == order.total == order.amount_due == 12970
        assert [i.amount_total for i in session.line_items.data] == [11900, 1070]

    shown = page(shop.get(f"/orders/{france.number}?token={orders.access_token(france)}"))
    assert "VAT 20 %" in shown and "€19.83" in shown and "VAT 5.5 %" in shown


def test_stripe_gets_discounted_lines_or_one_line_for_the_amount_due(db):
    lamp = _product(db, "Lamp", 1000)
    _lines(db, (lamp, 3))
    order = orders.place_order(
        carts.find_cart(token="pricing"), "ada@example.com", orders.ShippingAddress(
            name="Ada", line1="1 Main St", city="Paris", postal_code="75001", country="FR"),
        "express", "key-0123456789abcdef",
        adjust=lambda lines: {"line_discounts": {lamp.variants[0].id: 300}})
    items = gateway._line_items(order)
    assert [(i["price_data"]["unit_amount"], i["quantity"]) for i in items] == [(900, 3), (1295, 1)]
    assert sum(i["price_data"]["unit_amount"] * i["quantity"] for i in items) == order.amount_due
    order.items[0].discount = 301  # does not divide by 3: one line for the whole amount
    order.gift_card_amount = 500
    assert [(i["price_data"]["product_data"]["name"], i["price_data"]["unit_amount"])
            for i in gateway._line_items(order)] == [(f"Order {order.number}", order.total - 500)]


def _french_order(db):
    lamp = _product(db, "Lamp", 11900)
    book = _product(db, "Book", 1070, tax_class="reduced")
    _lines(db, (lamp, 1), (book, 1))
    return orders.place_order(
        carts.find_cart(token="pricing"), "ada@example.com", orders.ShippingAddress(
            name="Ada", line1="1 Rue de Rivoli", city="Paris", postal_code="75001",
            country="FR"), "standard", "key-fr-0123456789ab")


def test_the_confirmation_email_shows_the_vat_per_rate(db, embedded):
    order = _french_order(db)
    orders.mark_paid(order.id)
    [path] = eml_files(embedded)
    for part in parts(read_eml(path)):
        assert "Including VAT 20 % (FR) on €119.00" in part and "€19.83" in part
        assert "Including VAT 5.5 % (FR) on €10.70" in part and "€0.56" in part


def test_the_orders_csv_has_the_vat_per_rate(db, staff):
    order = _french_order(db)
    rows = list(csv.reader(io.StringIO(staff.get("/admin/orders.csv").get_data(as_text=True))))
    header, row = rows[0], next(r for r in rows if r[0] == order.number)
    assert row[header.index("VAT country")] == "FR"
    assert row[header.index("Tax")] == "20.39"
    assert row[header.index("VAT by rate")] == "20 %: 19.83 on 119.00; 5.5 %: 0.56 on 10.70"
