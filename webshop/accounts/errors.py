"""The one error of the accounts domain."""
from webshop.validation import ValidationError


class AccountError(ValidationError):
    """An account change that cannot be made; str(error) is what the shopper reads."""
