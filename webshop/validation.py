"""The one shape of a domain error people can act on: a message, and where it belongs.

Domain modules raise subclasses (AccountError, CatalogError, StockError, FilterError);
views put `str(error)` next to the form field named by `field`, or above the form.
"""


class ValidationError(ValueError):
    """Something a person should be told; str(error) is the message, `field` the form
    field it belongs next to (None: the form as a whole)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


# The largest whole number the shop stores or looks up: PostgreSQL's `integer`, the type of
# every id, quantity and amount column (SQLite's are 64-bit; beyond that both fail).
MAX_INT = 2**31 - 1


def whole_number(raw, minimum=0, maximum=MAX_INT):
    """`raw` (form or query text, surrounding spaces allowed) as an int if it is a whole
    number written with ASCII digits within [minimum, maximum]; otherwise None, and the
    caller says what was wrong in its own words. Never raises, however long the text
    (int() refuses more than 4,300 digits; the database more than MAX_INT)."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not (text.isascii() and text.isdigit()):  # also "", "-1", "1.0", "²"
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(maximum)):
        return None
    value = int(digits)
    return value if minimum <= value <= maximum else None
