"""Returns (RMA): a shopper asks to send back chosen lines of a dispatched or delivered
order within the return window; staff approve or refuse, mark the items received (back in
stock or not) and refund them through the order's refunds; each step is in the audit log
and emails the shopper (events.return_changed).

- rules: reasons, statuses and the one function that changes them, the window, quantities;
- requests: the shopper's request, and what the order page shows;
- staff: approving, refusing, receiving, refunding, closing; the admin's list and detail.
"""
from webshop.returns.requests import order_returns_view, request_return, view
from webshop.returns.rules import (
    LABELS, REASONS, TRANSITIONS, ReturnError, ReturnStateError, change, order_returns,
    return_refusal, returnable_quantities,
)
from webshop.returns.staff import (
    STAFF_ACTIONS, approve, close, list_returns, receive, refund, refuse, return_detail,
    staff_actions,
)

__all__ = [
    "LABELS", "REASONS", "STAFF_ACTIONS", "TRANSITIONS", "ReturnError", "ReturnStateError",
    "approve", "change", "close", "list_returns", "order_returns", "order_returns_view",
    "receive", "refund", "refuse", "request_return", "return_detail", "return_refusal",
    "returnable_quantities", "staff_actions", "view",
]
