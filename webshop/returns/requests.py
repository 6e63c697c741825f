"""A shopper asks to return chosen lines of their order, and what the order page shows
about returns (the form's choices, each return's status)."""
from dataclasses import dataclass

from flask_babel import gettext

from webshop import events
from webshop.extensions import db
from webshop.models import ReturnLine, ReturnRequest
from webshop.models.audit import record
from webshop.returns.rules import (
    LABELS, MAX_COMMENT, REASONS, ReturnError, claim_order, order_returns, return_refusal,
    returnable_quantities, window_end,
)


def request_return(order_id, quantities, reason, comment="", actor=None):
    """Ask to return `quantities` ({order item id: units}) of the order for `reason` (a
    REASONS key), with the shopper's comment. Commits once; returns the ReturnRequest.

    The order is taken for writing first (rules.claim_order), so two requests for the
    last returnable unit queue up and the second is refused. Raises LookupError, or
    ReturnError with the message to show (nothing chosen, too many, outside the
    window, not dispatched); nothing is written then.
    """
    try:
        if reason not in REASONS:
            raise ReturnError(gettext("Choose why you are returning the items."))
        comment = (comment or "").strip()
        if len(comment) > MAX_COMMENT:
            raise ReturnError(gettext("Keep the comment under %(num)d characters.",
                                      num=MAX_COMMENT))
        order = claim_order(order_id)
        refusal = return_refusal(order)
        if refusal:
            raise ReturnError(refusal)
        left = returnable_quantities(order, order_returns(order.id))
        names = {item.id: item.product_name for item in order.items}
        chosen = {}
        for item_id, quantity in quantities.items():
            if item_id not in left or quantity < 0:
                raise ReturnError(gettext(
                    "Choose items of this order and quantities of 0 or more."))
            if quantity > left[item_id]:
                raise ReturnError(gettext("You can return at most %(num)d of “%(name)s”.",
                                          num=left[item_id], name=names[item_id]))
            if quantity:
                chosen[item_id] = quantity
        if not chosen:
            raise ReturnError(gettext("Choose at least one item and how many of it to return."))
    except (ReturnError, LookupError):
        db.session.rollback()
        raise
    request = ReturnRequest(order_id=order.id, status="requested", reason=reason,
                            comment=comment, staff_note="")
    request.lines = [ReturnLine(order_item_id=item_id, quantity=quantity)
                     for item_id, quantity in sorted(chosen.items())]
    db.session.add(request)
    db.session.flush()
    record(db.session, "return.requested", "order", order.id, actor=actor,
           after={"return": request.id, "status": "requested", "reason": reason,
                  "lines": {str(k): v for k, v in chosen.items()}}, note=comment)
    events.return_changed.send(request, status="requested")
    db.session.commit()
    return request


# --- what the order page shows ----------------------------------------------------------------

@dataclass(frozen=True)
class ReturnLineView:
    name: str
    quantity: int
    restocked: bool


@dataclass(frozen=True)
class ReturnView:
    request: ReturnRequest
    label: str
    reason: str
    lines: list  # ReturnLineView
    amount: int  # the returned lines at their prices


@dataclass(frozen=True)
class OrderReturns:
    returns: list  # ReturnView, oldest first
    refusal: str | None  # why no return can be asked for now
    choices: list  # (order item, units that may still be asked for), those with some left
    window_end: object  # the last moment a return may be asked for, or None
    reasons: dict  # {key: label in the shopper's language}, the form's options


def order_returns_view(order):
    """The returns part of an order's page: its returns and, if one may be asked for, the
    lines to choose from (one query; the order's items are already loaded)."""
    returns = order_returns(order.id) if order.dispatched_at or order.delivered_at else []
    left = returnable_quantities(order, returns)
    refusal = return_refusal(order)
    if refusal is None and not any(left.values()):
        refusal = gettext("Every item of this order is already in a return.")
    choices = [(item, left[item.id]) for item in order.items if left.get(item.id)]
    reasons = {key: gettext(label) for key, label in REASONS.items()}
    return OrderReturns([view(r, order) for r in returns], refusal, choices, window_end(order),
                        reasons)


def view(request, order):
    """A return as people read it: its label, reason and lines with names and amount."""
    items = {item.id: item for item in order.items}
    lines = [ReturnLineView(items[line.order_item_id].product_name, line.quantity,
                            line.restocked) for line in request.lines]
    amount = sum(items[line.order_item_id].unit_price * line.quantity for line in request.lines)
    reason = gettext(REASONS[request.reason]) if request.reason in REASONS else request.reason
    return ReturnView(request, gettext(LABELS[request.status]), reason, lines, amount)
