"""Money: integer minor units everywhere, turned into text only here.

A currency's exponent says how many minor units make one major unit (EUR 2: cents;
JPY 0). `format_money` writes an amount for people ("€1,234.50"), `decimal_amount`
for spreadsheets and form inputs ("1234.50"), `parse_amount` reads what staff type.
"""
import re
from decimal import Decimal, InvalidOperation

# ISO 4217 currencies without minor units; everything else here has two decimals.
ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "HUF"}
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "SEK": "kr "}
_DECIMAL = re.compile(r"\d+(?:\.\d*)?|\.\d+")


def exponent(currency):
    """How many decimal places the currency has (2 for EUR, 0 for JPY)."""
    return 0 if (currency or "EUR").upper() in ZERO_DECIMAL else 2


def format_money(amount, currency="EUR"):
    """12345, 'EUR' -> '€123.45'. Money is integer minor units until this moment."""
    if amount is None:
        return ""
    currency = (currency or "EUR").upper()
    symbol = SYMBOLS.get(currency, currency + " ")
    sign = "-" if amount < 0 else ""
    amount = abs(int(amount))
    if not exponent(currency):
        return f"{sign}{symbol}{amount:,}"
    return f"{sign}{symbol}{amount // 100:,}.{amount % 100:02d}"


def decimal_amount(amount, currency="EUR"):
    """12345, 'EUR' -> '123.45': no symbol, no thousands separator (spreadsheets, inputs)."""
    if amount is None:
        return ""
    if not exponent(currency):
        return str(int(amount))
    sign = "-" if amount < 0 else ""
    amount = abs(int(amount))
    return f"{sign}{amount // 100}.{amount % 100:02d}"


def parse_amount(text, currency="EUR"):
    """'12.50' -> 1250 (minor units). Raises ValueError with a message people can act on.

    Accepts a comma as the decimal mark ("12,50"); refuses negatives, more decimals than
    the currency has, and anything that is not a plain number.
    """
    places = exponent(currency)
    example = "12.50" if places else "1250"
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
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise ValueError("Use at most two decimal places, e.g. 12.50." if places
                         else "Whole amounts only, e.g. 1250.")
    return int(amount.scaleb(places))
