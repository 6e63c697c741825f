"""Admin: returns (RMA). The list by status, one return with its lines, and staff's steps:
approve or refuse (with a note to the shopper), mark received (each line back in stock
or not), refund (through the order's refunds, pre-filled with the returned lines'
amount; shipping only if typed in), close. Staff and admins alike, as for refunds.

Plain forms: each step redirects back (303) with a flash, or shows the return again
with the message (409 for a step its status no longer allows, 422 for bad input, 502
when Stripe said no). Every change goes through webshop.returns.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webshop import invoices, orders, returns
from webshop.admin.blueprint import bp
from webshop.admin.listing import list_page
from webshop.money import decimal_amount, format_money, parse_amount
from webshop.orders import refunds as order_refunds

RETURNS_PER_PAGE = 50
DONE = {
    "approve": "Return #{id} is approved; the shopper is told to send the items back.",
    "refuse": "Return #{id} is refused; the shopper is told why.",
    "receive": "Return #{id} is marked received.",
    "refund": "Return #{id} is refunded: {amount} through Stripe.",
    "close": "Return #{id} is closed.",
}


@bp.get("/returns", endpoint="returns")
def return_list():
    status = (request.args.get("status") or "").strip().lower()
    number = (request.args.get("order") or "").strip()[:20]

    def load(page):
        listing, counts = returns.list_returns(status, page, RETURNS_PER_PAGE, number)
        return {"listing": listing, "counts": counts, "status": status, "number": number,
                "statuses": returns.LABELS}
    try:
        return list_page(load, page_template="admin/returns/index.html",
                         results_template="admin/returns/_results.html", target="return-results",
                         missing="That page of the return list does not exist.")
    except returns.ReturnError as error:
        abort(400, description=str(error))


def _detail(return_id, status=200, error=None):
    found = returns.return_detail(return_id)
    if found is None:
        abort(404, description="There is no such return.")
    rma, order = found
    return render_template(
        "admin/returns/detail.html", rma=rma, order=order, error=error,
        actions=returns.staff_actions(rma.request),
        refund_amount=decimal_amount(rma.amount, order.currency),
        refund_refusal=order_refunds.refund_refusal(order)), status


@bp.get("/returns/<int:return_id>")
def return_detail(return_id):
    return _detail(return_id)


def _step(return_id, action, take):
    try:
        result = take()
    except LookupError:
        abort(404, description="There is no such return.")
    except (ValueError, returns.ReturnError, order_refunds.RefundInputError) as error:
        status = 409 if isinstance(error, returns.ReturnStateError) else 422
        return _detail(return_id, status, str(error))
    except orders.PaymentError as error:
        return _detail(return_id, 502, str(error))
    except orders.OrderError as error:  # the order's state refuses a refund now
        return _detail(return_id, 409, str(error))
    amount = ""
    if action == "refund" and result.refund_id is not None:
        refund = next((r for r in result.order.refunds if r.id == result.refund_id), None)
        amount = format_money(refund.amount, refund.currency) if refund else ""
    flash(DONE[action].format(id=return_id, amount=amount), "success")
    return redirect(url_for("admin.return_detail", return_id=return_id), 303)


def _actor():
    return current_user._get_current_object()


def _note():
    return request.form.get("note") or ""


@bp.post("/returns/<int:return_id>/approve")
def return_approve(return_id):
    return _step(return_id, "approve", lambda: returns.approve(return_id, _actor(), _note()))


@bp.post("/returns/<int:return_id>/refuse")
def return_refuse(return_id):
    return _step(return_id, "refuse", lambda: returns.refuse(return_id, _actor(), _note()))


@bp.post("/returns/<int:return_id>/close")
def return_close(return_id):
    return _step(return_id, "close", lambda: returns.close(return_id, _actor(), _note()))


@bp.post("/returns/<int:return_id>/receive")
def return_receive(return_id):
    restock = {int(name[len("restock-"):]) for name in request.form
               if name.startswith("restock-") and name[len("restock-"):].isdigit()
               and len(name) < 30}
    return _step(return_id, "receive",
                 lambda: returns.receive(return_id, _actor(), restock, _note()))


@bp.post("/returns/<int:return_id>/refund")
def return_refund(return_id):
    def take():
        found = returns.return_detail(return_id)
        if found is None:
            raise LookupError(return_id)
        rma, order = found
        amount = _amount(request.form.get("amount"), order.currency)
        # The returned lines at their prices unless staff typed another amount.
        return returns.refund(return_id, _actor(), None if amount == rma.amount else amount)
    return _step(return_id, "refund", take)


def _amount(text, currency):
    """The amount typed; ValueError with a message if it is not one."""
    if not (text or "").strip():
        raise ValueError("Enter the amount to refund.")
    try:
        return parse_amount(text, currency)
    except ValueError as error:
        raise ValueError(str(error).replace("A price", "An amount").replace("price", "amount")) \
            from None


def order_extras(order):
    """What the admin's order page links besides the order: the invoice, the credit
    notes with their reversals (one query, once the order has refunds: the page's refund
    panel has loaded them, so call this after it), its returns (the return list for this
    order, once it was dispatched)."""
    credit_notes, unissued = invoices.staff_credits(order)
    return {"has_invoice": order.status in orders.PAID_OR_LATER,
            "credit_notes": credit_notes, "unissued": unissued,
            "shipped": bool(order.dispatched_at or order.delivered_at)}
