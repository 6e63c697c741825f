"""The display currency a shopper chose: prices are shown in it too ("€15.00 (approx.
£12.91)"), while the shopper is charged in the shop currency, amounts unchanged.

Where the choice comes from (as the language's, webshop.i18n):

1. `?currency=GBP` in the URL (the switcher's links). Every storefront link `url_for`
   writes on such a page keeps it, so the choice travels with shareable URLs, and a
   shared cache keeps one copy per URL. `?currency=` the shop currency chooses none.
2. else what the session remembers. A choice from the URL is remembered for a shopper
   who already has a session (a cart, a login) or who is posting (adding to the cart),
   never for a sessionless visitor's GET: that page stays the one shared answer without
   a cookie (webshop.web.edge_cache). A page drawn from the session is private anyway.
3. else none: prices in the shop currency only.

A code that is not an active display currency (any more) is ignored. Cached HTML
differs by the choice: `g.display_currency_tag` (the code, `+url` when the page's links
carry it) is part of i18n.cache_tag(). Admin pages and files never carry a choice.
"""
from dataclasses import dataclass

from flask import current_app, g, has_request_context, request, session
from flask_babel import gettext
from markupsafe import Markup

from webshop import i18n
from webshop.pricing import currencies
from webshop.web import edge_cache

PARAM = "currency"
SESSION_KEY = "display_currency"


@dataclass(frozen=True)
class Choice:
    code: str
    rate_e8: int
    from_url: bool


def _shop_currency():
    return current_app.config["SHOP_CURRENCY"].upper()


def choose():
    """before_request: g.display_currency, the storefront request's Choice or None."""
    g.display_currency = None
    if not i18n.keeps_query(request.endpoint):
        return
    asked = (request.args.get(PARAM) or "").strip().upper()
    rates = None
    if asked:
        rates = currencies.active()
        if asked == _shop_currency() or asked in rates:
            chosen = asked if asked in rates else None
            _remember(chosen)
            _set(chosen, rates, from_url=True)
            return
    if edge_cache.sessionless():
        return
    remembered = session.get(SESSION_KEY)
    if remembered:
        _set(remembered, currencies.active() if rates is None else rates, from_url=False)


def _set(code, rates, from_url):
    if code in rates:
        g.display_currency = Choice(code, rates[code], from_url)
        g.display_currency_tag = code + ("+url" if from_url else "")


def _remember(code):
    if request.method in ("GET", "HEAD") and edge_cache.sessionless():
        return  # the shared page writes no cookie: its URL carries the choice
    if code and session.get(SESSION_KEY) != code:
        session[SESSION_KEY] = code
    elif not code and SESSION_KEY in session:
        session.pop(SESSION_KEY)


def current():
    """This request's Choice, or None (also outside a request: emails show no other currency)."""
    return g.get("display_currency") if has_request_context() else None


def _keep_choice(endpoint, values):
    """url_defaults: a choice that came from the URL stays in the storefront's links."""
    choice = current()
    if choice is not None and choice.from_url and PARAM not in values \
            and i18n.keeps_query(endpoint):
        values[PARAM] = choice.code


def _link_choice():
    """What _keep_choice adds to links (templates' remembered links differ by it)."""
    choice = current()
    return choice.code if choice is not None and choice.from_url else None


def approx(amount, currency=None):
    """The money filter's companion: ' (approx. £12.91)' after a price in the shop
    currency when the shopper chose a display currency, else nothing."""
    choice = current()
    currency = (currency or _shop_currency()).upper()
    if choice is None or amount is None or currency != _shop_currency():
        return ""
    converted = currencies.convert(amount, currency, choice.code, choice.rate_e8)
    text = gettext("approx. %(price)s", price=i18n.money(converted, choice.code))
    return Markup(' <span class="approx">({})</span>').format(text)


def charge_note():
    """What checkout and the cart say when prices are also shown in another currency."""
    choice = current()
    if choice is None:
        return ""
    return gettext("You pay in %(currency)s. Amounts in %(display)s are approximate, "
                   "converted at our rate.", currency=_shop_currency(), display=choice.code)


def switcher():
    """The switcher's entries: the shop currency first, then the active display
    currencies; [] when there are none. Each: code, name (in the page's language), url
    (this page in that currency), current."""
    rates = currencies.active()
    if not rates:
        return []
    choice = current()
    chosen = choice.code if choice else _shop_currency()
    return [{"code": code, "name": currencies.currency_name(code, i18n.current()),
             "url": i18n.page_url_with(PARAM, code), "current": code == chosen}
            for code in (_shop_currency(), *rates)]


def init_app(app):
    app.before_request(choose)
    app.url_defaults(_keep_choice)
    app.extensions.setdefault("webshop.link_context", []).append(_link_choice)
    app.jinja_env.filters["approx"] = approx
    app.jinja_env.globals["currency_charge_note"] = charge_note
    app.jinja_env.globals["currency_switcher"] = switcher
