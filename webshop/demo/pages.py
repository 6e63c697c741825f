"""The demo shop's policy pages (shipping, returns, privacy, imprint), published.

Their figures come from the shop's settings at seed time (the returns window, the
shipping prices, the seller's details); a setting left empty shows as a bracketed
placeholder that says which setting to fill, so nobody mistakes it for a real imprint.
Staff edit the pages at /admin/pages afterwards; seeding again never overwrites them.
"""
from sqlalchemy import select

from webshop.catalog import mark_changed
from webshop.models.pages import Page
from webshop.money import format_money


def _setting(config, name, what):
    return (config.get(name) or "").strip() or f"[{what}: set {name}]"


def demo_pages(config):
    """[(slug, title, Markdown body)] in footer order."""
    currency = config.get("SHOP_CURRENCY", "EUR")
    methods = config.get("SHIPPING_METHODS") or {}
    shipping_lines = "\n".join(f"- {label}: {format_money(price, currency)}"
                               for label, price in methods.values())
    free_over = config.get("FREE_SHIPPING_OVER") or 0
    free = (f"Standard delivery is free for orders over {format_money(free_over, currency)}."
            if free_over else "")
    days = config.get("RETURN_WINDOW_DAYS", 30)
    shop = config.get("SHOP_NAME", "Webshop")
    seller = _setting(config, "SELLER_NAME", "Seller's legal name")
    address = _setting(config, "SELLER_ADDRESS", "Postal address").replace(";", "  \n")
    email = _setting(config, "SELLER_EMAIL", "Contact email")
    vat_id = _setting(config, "SELLER_VAT_ID", "VAT ID")
    return [
        ("shipping", "Shipping", f"""We ship from Germany to most countries of the European Union.
Orders placed on a working day before 2 pm leave our warehouse the same day.

## Prices and delivery times

{shipping_lines}

{free}

You get an email with the tracking number when your parcel leaves us."""),
        ("returns", "Returns", f"""You may return anything you bought within **{days} days** of
delivery, for any reason. Unused items in their original packaging get a full refund.

## How to return an item

1. Open your order (the link is in your confirmation email, or under *Account*) and
   choose the items to send back.
2. Pack them securely and send them to the address we give you.
3. We refund the amount to your original payment method within 14 days of receiving
   the parcel. You will get an email when the refund is on its way.

Items damaged in transit or sent in error are refunded in full, shipping included."""),
        ("privacy", "Privacy", f"""{shop} keeps only what it needs to deliver your order and
to run your account: your name, email address, shipping address and order history.

- **Payments** are handled by Stripe. We never see or store your card number.
- **Emails**: we send order and account emails only. No newsletter without your consent.
- **Cookies**: one session cookie keeps your cart and your login. No tracking or
  advertising cookies.
- **Your rights**: ask us at {email} for a copy of your data, or to correct or delete it.

We keep order records for as long as tax law requires (ten years in Germany)."""),
        ("imprint", "Imprint", f"""**{seller}**
{address}

Email: {email}
VAT ID: {vat_id}

Responsible for the content of this site: {seller}."""),
    ]


def seed_pages(session, config):
    """Add the demo pages that are missing (matched by slug), published; no commit here.
    Returns {"created": n, "existing": m}."""
    wanted = demo_pages(config)
    known = set(session.scalars(select(Page.slug).where(Page.slug.in_([w[0] for w in wanted]))))
    for position, (slug, title, body) in enumerate(wanted, start=1):
        if slug not in known:
            session.add(Page(slug=slug, title=title, body=body, published=True,
                             position=position))
    if len(known) < len(wanted):
        mark_changed(session)  # the footer is cached with the catalogue
    return {"created": len(wanted) - len(known), "existing": len(known)}
