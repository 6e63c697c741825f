"""Money: integer minor units everywhere, turned into text only here.

A currency's exponent says how many decimal places its minor units have, as Stripe's
API counts them (EUR 2: cents; JPY 0; KWD 3), so an amount stored here is the amount
Stripe is sent. Stripe counts HUF, ISK, TWD and UGX with two decimals in the API
whatever ISO 4217 says, and so does the shop. `format_money` writes an amount for people ("€1,234.50"), `decimal_amount`
for spreadsheets and form inputs ("1234.50"), `parse_amount` reads what staff type.
"""
import re
from decimal import Decimal, InvalidOperation

# Stripe's zero- and three-decimal currencies (docs.stripe.com/currencies); the rest have two.
ZERO_DECIMAL = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "VND", "VUV", "XAF",
    "XOF", "XPF",
})
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "SEK": "kr "}
_DECIMAL = re.compile(r"\d+(?:\.\d*)?|\.\d+")


def exponent(currency):
    """How many decimal places the currency has (2 for EUR, 0 for JPY, 3 for KWD)."""
    currency = (currency or "EUR").upper()
    return 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2


def format_money(amount, currency="EUR"):
    """12345, 'EUR' -> '€123.45'. Money is integer minor units until this moment."""
    if amount is None:
        return ""
    currency = (currency or "EUR").upper()
    symbol = SYMBOLS.get(currency, currency + " ")
    sign = "-" if amount < 0 else ""
    places = exponent(currency)
    whole, part = divmod(abs(int(amount)), 10 ** places)
    return f"{sign}{symbol}{whole:,}" + (f".{part:0{places}d}" if places else "")


def decimal_amount(amount, currency="EUR"):
    """12345, 'EUR' -> '123.45': no symbol, no thousands separator (spreadsheets, inputs)."""
    if amount is None:
        return ""
    places = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(int(amount)), 10 ** places)
    return f"{sign}{whole}" + (f".{part:0{places}d}" if places else "")


def parse_amount(text, currency="EUR"):
    """'12.50' -> 1250 (minor units). Raises ValueError with a message people can act on.

    Accepts a comma as the decimal mark ("12,50"); refuses negatives, more decimals than
    the currency has, and anything that is not a plain number.
    """
    places = exponent(currency)
    example = {0: "1250", 3: "12.500"}.get(places, "12.50")
    value = (text or "").strip().replace(" ", "")
    if not value:
        raise ValueError(f"Enter a price, e.g. {example}.")
    if "," in value and "." not in value and value.count(",") == 1:
        value = value.replace(",", ".")
    if value.startswith("-"):
        raise ValueError("A price cannot be negative.")
    if not _DECIMAL.fullmatch(value):
        raise ValueError(f"Enter the price as a number, e.g. {example}.")
    try:
        amount = Decimal(value)
    except InvalidOperation:  # the pattern above should make this unreachable
        raise ValueError(f"Enter the price as a number, e.g. {example}.") from None
    try:
        exact = amount == amount.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:  # more digits than any price has
        raise ValueError("That amount is too large.") from None
    if not exact:
        raise ValueError(f"Use at most {('two', 'three')[places - 2]} decimal places, e.g. {example}." if places
                         else "Whole amounts only, e.g. 1250.")
    return int(amount.scaleb(places))
