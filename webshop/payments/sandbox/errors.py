"""Errors in Stripe's own shape, so the stripe library raises its usual exceptions."""


class StripeError(Exception):
    """An API error: {"error": {"type", "message", "code", "param"}} with an HTTP status.

    The stripe library maps 400/404 to InvalidRequestError, 401 to AuthenticationError,
    402 to CardError and type "idempotency_error" to IdempotencyError.
    """

    def __init__(self, status, message, type="invalid_request_error", code=None, param=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param

    def body(self):
        error = {"type": self.type, "message": self.message, "code": self.code}
        if self.param:
            error["param"] = self.param
        return {"error": error}


def no_such(kind, object_id, param=None):
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing",
                       param=param or "id")


class CardInputError(Exception):
    """What the shopper typed on the payment page cannot be a card or a bank account it
    accepts (the page says so; nothing is charged)."""
