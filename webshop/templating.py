"""Jinja filters and globals: money formatting lives here and nowhere else."""
from flask import session, url_for

# ISO 4217 currencies without minor units; everything else here has two decimals.
ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "HUF"}
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "SEK": "kr "}


def format_money(amount, currency="EUR"):
    """12345, 'EUR' -> '€123.45'. Money is integer minor units until this moment."""
    if amount is None:
        return ""
    currency = (currency or "EUR").upper()
    symbol = SYMBOLS.get(currency, currency + " ")
    sign = "-" if amount < 0 else ""
    amount = abs(int(amount))
    if currency in ZERO_DECIMAL:
        return f"{sign}{symbol}{amount:,}"
    return f"{sign}{symbol}{amount // 100:,}.{amount % 100:02d}"


def media_url(filename, thumb=False):
    """URL of an uploaded or generated image; `thumb` picks its small rendition."""
    if thumb:
        stem, _, ext = filename.rpartition(".")
        filename = f"{stem}.thumb.{ext}"
    return url_for("shop.media", filename=filename)


def init_app(app):
    from webshop import catalog

    app.jinja_env.filters["money"] = format_money
    app.jinja_env.globals["stock_state"] = catalog.stock_state
    app.jinja_env.globals["nav_categories"] = catalog.categories
    app.jinja_env.globals["media_url"] = media_url
    app.jinja_env.globals["shop_name"] = app.config["SHOP_NAME"]
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def cart_badge():
        # The badge reads a number kept in the session: no query on every page.
        return {"cart_count": session.get("cart_count", 0)}
