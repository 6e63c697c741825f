"""Display currencies: prices shown in a second currency at rates staff set, while the
shopper is always charged in the shop currency (SHOP_CURRENCY), amounts unchanged.

- Which codes staff may add: an ISO 4217 currency some country uses today (CLDR's data,
  through Babel: no historical DEM, no gold XAU), never the shop's own.
- A rate is what one unit of the shop currency is worth in the display currency, kept
  exact as an integer of 10^-8 units (`DisplayCurrency.rate_e8`); staff type it as a
  decimal ("0.86"), never a float.
- `convert` gives an amount in the display currency, rounded half up to the digits that
  currency is written with (pence; whole forints and yen), in its minor units as
  webshop.money counts them, ready for the `money` filter.
- `active()` is what shoppers may choose, cached per change with the catalogue's
  navigation (no SQL when warm).
- Staff's changes (add, change the rate, deactivate, activate again) each validate,
  write, audit and commit once (PricingError with the field, nothing written,
  otherwise), then tell every process: the catalogue's version is replaced, and with
  it the cached rates and the cached pages, which hold converted prices and the switcher.
"""
import functools
import re

from babel.core import get_global
from babel.numbers import get_currency_name, get_currency_precision, get_territory_currencies
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webshop import catalog
from webshop.extensions import db
from webshop.models import DisplayCurrency, User
from webshop.models.audit import record
from webshop.models.currencies import RATE_PLACES
from webshop.money import exponent
from webshop.pricing import PricingError

RATE_SCALE = 10 ** RATE_PLACES
_RATE = re.compile(r"(\d{1,9})(?:[.,](\d{1,%d}))?" % RATE_PLACES)


# --- what shoppers see ---------------------------------------------------------------------

def active():
    """{code: rate_e8} of the currencies shoppers may choose, by code.

    They come with the catalogue's navigation (the switcher is a link every page has):
    cached under the catalogue's version, which every change here replaces, as the pages
    holding converted prices are. A warm request costs no query, a cold one none more
    than it did (the pricing tables' five queries would break a cold page's budget)."""
    return catalog.navigation().get("currencies", {})  # an entry cached before: none yet


def convert(amount, shop_currency, code, rate_e8):
    """`amount` (minor units of the shop currency) in `code` at `rate_e8`, rounded half up
    (away from zero) to the digits `code` is written with; minor units of `code`. Exact:
    integers only."""
    places = display_places(code)
    numerator = abs(int(amount)) * rate_e8 * 10 ** places
    denominator = 10 ** (exponent(shop_currency) + RATE_PLACES)
    rounded = (2 * numerator + denominator) // (2 * denominator)
    converted = rounded * 10 ** (exponent(code) - places)
    return -converted if amount < 0 else converted


def display_places(code):
    """The decimals an amount in `code` is shown with: CLDR's (HUF and ISK are written in
    whole units) but never more than the minor units webshop.money counts."""
    return min(exponent(code), get_currency_precision(code))


@functools.lru_cache(maxsize=1)
def codes_in_use():
    """The ISO 4217 codes some country uses as legal tender today."""
    found = set()
    for territory in get_global("territory_currencies"):
        found.update(get_territory_currencies(territory))
    return frozenset(found)


def currency_name(code, locale="en"):
    return get_currency_name(code, locale=locale)


# --- rates as people write them ------------------------------------------------------------

def parse_rate(text):
    """'0.86' or '0,86' -> 86_000_000 (rate_e8); PricingError otherwise."""
    value = (text or "").strip().replace(" ", "")
    if value.startswith("-"):
        raise PricingError("The rate must be more than 0.", "rate")
    match = _RATE.fullmatch(value)
    if not match:
        raise PricingError(f"Enter the rate as a number with at most {RATE_PLACES} decimal "
                           "places, e.g. 0.86.", "rate")
    whole, part = match.groups()
    rate = int(whole) * RATE_SCALE + int((part or "").ljust(RATE_PLACES, "0"))
    if rate <= 0:
        raise PricingError("The rate must be more than 0.", "rate")
    return rate


def rate_text(rate_e8):
    """86_000_000 -> '0.86': the rate as staff typed it (no trailing zeros)."""
    whole, part = divmod(rate_e8, RATE_SCALE)
    return f"{whole}" + (f".{part:0{RATE_PLACES}d}".rstrip("0") if part else "")


# --- staff's changes -----------------------------------------------------------------------

def listing():
    """[(DisplayCurrency, email of who changed it last or None)], the active ones first,
    by code (one query)."""
    return db.session.execute(
        select(DisplayCurrency, User.email)
        .outerjoin(User, User.id == DisplayCurrency.updated_by_id)
        .order_by(DisplayCurrency.active.desc(), DisplayCurrency.code)).all()


def get(currency_id):
    row = db.session.get(DisplayCurrency, currency_id)
    if row is None:
        raise LookupError(currency_id)
    return row


def add(code, rate, shop_currency, actor):
    """A new display currency, active at once. Commits."""
    code = (code or "").strip().upper()
    if code == shop_currency.upper():
        raise PricingError(f"{code} is the shop's own currency: prices are always shown in it.",
                           "code")
    if code not in codes_in_use():
        raise PricingError("Enter the ISO 4217 code of a currency in use, e.g. GBP or USD.",
                           "code")
    rate_e8 = parse_rate(rate)
    if db.session.scalar(select(DisplayCurrency.id).where(DisplayCurrency.code == code)):
        raise PricingError(f"{code} is already listed: change its rate instead.", "code")
    row = DisplayCurrency(code=code, rate_e8=rate_e8, active=True, updated_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    record(db.session, "display_currency.added", "display_currency", row.id, actor=actor,
           after=_snapshot(row))
    _commit(f"{code} is already listed: change its rate instead.")
    return row


def set_rate(currency_id, rate, actor):
    """Change a currency's rate. Commits."""
    row = get(currency_id)
    rate_e8 = parse_rate(rate)
    before = _snapshot(row)
    row.rate_e8, row.updated_by_id = rate_e8, actor.id
    record(db.session, "display_currency.rate_changed", "display_currency", row.id,
           actor=actor, before=before, after=_snapshot(row))
    _commit()
    return row


def set_active(currency_id, active, actor):
    """Offer the currency to shoppers again, or stop offering it (its rate is kept).
    Commits (nothing to do when it already is so)."""
    row = get(currency_id)
    if row.active == bool(active):
        return row
    before = _snapshot(row)
    row.active, row.updated_by_id = bool(active), actor.id
    record(db.session, "display_currency." + ("activated" if active else "deactivated"),
           "display_currency", row.id, actor=actor, before=before, after=_snapshot(row))
    _commit()
    return row


def _snapshot(row):
    return {"code": row.code, "rate": rate_text(row.rate_e8), "active": row.active}


def _commit(clash_message="Someone else changed this currency at the same time: try again."):
    catalog.mark_changed()  # replaced when this commits: the rates, the cached pages
    try:
        db.session.commit()
    except IntegrityError:  # the same code added twice at once: the unique constraint
        db.session.rollback()
        raise PricingError(clash_message, "code") from None
