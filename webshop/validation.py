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
