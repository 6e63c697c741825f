"""Domain events: what happened, announced once, for whoever cares.

The orders and accounts domains send these inside their unit of work; notifications
subscribes at start-up (webshop.notifications.init_app) and writes its emails into the
outbox in the same transaction, so a rollback sends nothing. Senders never import their
subscribers. Built on blinker, the signal library Flask itself uses.
"""
from blinker import Namespace

_events = Namespace()

# sender: the order (status already changed); kwargs: status, notify_customer.
order_changed = _events.signal("order-changed")
# sender: the user who asked for a password reset link.
password_reset_requested = _events.signal("password-reset-requested")
# sender: an email address someone typed into the registration or forgotten-password
# form (normalized; it may or may not have an account); kwargs: purpose, "register" or
# "password-reset". The subscriber looks the account up later, outside the request, so
# the request's answer and timing never tell whether the address has one.
account_email_requested = _events.signal("account-email-requested")
# sender: a Refund, the first time it counts towards its order (pending or succeeded).
refund_counted = _events.signal("refund-counted")
# sender: a Refund that had counted and then failed at Stripe (its money was not given back).
refund_reversed = _events.signal("refund-reversed")
# sender: the id of a cart just claimed for an abandoned-cart reminder (webshop.reminders);
# kwargs: number, which reminder of that cart it is.
cart_abandoned = _events.signal("cart-abandoned")
# sender: a GiftCard just issued to an email address (webshop.promotions): its email.
gift_card_issued = _events.signal("gift-card-issued")
# sender: a ReturnRequest whose status just changed (webshop.returns); kwargs: status.
return_changed = _events.signal("return-changed")
# sender: the ids of variants whose stock just went from 0 to more (webshop.catalog.
# stock_changed, inside the restocking transaction); kwargs: session.
variants_restocked = _events.signal("variants-restocked")
