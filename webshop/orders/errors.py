"""What can go wrong with an order, as messages people can read (str(error))."""
from flask_babel import gettext


class OrderError(Exception):
    """Something the shopper or staff should be told; str(error) is the message."""


class InvalidTransition(OrderError):
    def __init__(self, order, to_status):
        self.from_status, self.to_status = order.status, to_status
        super().__init__(f"Order {order.number} is {order.status}; it cannot become {to_status}.")


class PaidMeanwhile(OrderError):
    def __init__(self, order):
        super().__init__(f"Order {order.number} was paid meanwhile; it was not cancelled.")


class ActionRefused(OrderError):
    """Staff asked for something the order's state does not allow now."""


class EmptyCart(OrderError):
    def __init__(self):
        super().__init__(gettext("Your cart is empty."))


class OutOfStock(OrderError):
    def __init__(self, names):
        self.names = names
        super().__init__(gettext(
            "Sorry, not enough stock left for: %(names)s. Please change the quantity or remove "
            "it from your cart.", names=", ".join(names)))


class PaymentError(OrderError):
    """The payment provider could not do what was asked; str(error) is for people."""
