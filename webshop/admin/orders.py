"""Admin: the order list with its filters, one order with its actions, and the CSV export.

Reads come from webshop.reports; every status change goes through the orders
domain (webshop.orders; refunds: webshop.orders.refunds) with the acting user. A
refund is of an amount (default: all that is left) or of chosen lines and quantities
(inputs `line-<order item id>`), optionally back in stock.
An action the order's state does not allow is not offered, and answers 409 if posted
anyway. With HX-Request an action answers with the order's status panel (and, out of
band, its history), swapped in place; without, it redirects back (303) with a flash.
"""
from flask import (
    Response, abort, flash, redirect, render_template, request, stream_with_context, url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from webshop import orders
from webshop.money import decimal_amount, format_money, parse_amount
from webshop.orders import refunds as order_refunds
from webshop.orders import staff as order_staff
from webshop.admin.blueprint import bp
from webshop.admin.listing import list_page
from webshop.admin.returns import order_extras
from webshop.extensions import htmx
from webshop.models import utcnow
from webshop.reports import export
from webshop.reports import orders as order_reports
from webshop.reports.orders import FilterError, OrderFilter
from webshop.validation import whole_number

ORDERS_PER_PAGE = 50
# Offered as suggestions; any carrier name may be typed.
CARRIERS = ("DHL", "Deutsche Post", "DPD", "GLS", "Hermes", "UPS", "FedEx", "PostNL", "La Poste")
DONE = {
    "dispatch": "Order {number} is marked dispatched.",
    "deliver": "Order {number} is marked delivered.",
    "cancel": "Order {number} is cancelled and its stock released.",
}
REFUND_DONE = {
    "succeeded": "{amount} of order {number} refunded through Stripe.",
    "pending": "Refund of {amount} of order {number} accepted by Stripe; it is pending.",
}


class DispatchForm(FlaskForm):
    carrier = StringField("Carrier", validators=[
        DataRequired(message="Enter the carrier."), Length(max=60)])
    tracking_number = StringField("Tracking number", validators=[
        DataRequired(message="Enter the tracking number."), Length(max=100),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9 ./-]*$",
               message="Use letters, digits, spaces, dots, slashes or dashes."),
    ])


class RefundForm(FlaskForm):
    amount = StringField("Amount", validators=[Optional(), Length(max=20)])
    restock = BooleanField("Put the refunded items back in stock")
    reason = StringField("Reason (for the records)", validators=[
        Optional(), Length(max=500, message="Keep the reason under 500 characters.")])


# --- the list ----------------------------------------------------------------------------------

@bp.get("/orders", endpoint="orders")
def order_list():
    def load(page):
        flt = OrderFilter.from_args(request.args)
        return {"flt": flt, "listing": order_reports.list_orders(flt, page, ORDERS_PER_PAGE),
                "filter_error": None}
    try:
        return list_page(load, page_template="admin/orders/index.html",
                         results_template="admin/orders/_results.html", target="order-results",
                         missing="That page of the order list does not exist.")
    except FilterError as error:  # the page again, with the message instead of a list
        return render_template("admin/orders/index.html", flt=OrderFilter(), listing=None,
                               filter_error=error), 400


@bp.get("/orders.csv")
def orders_csv():
    """The filtered orders as CSV, streamed: a few hundred rows in memory at a time."""
    try:
        flt = OrderFilter.from_args(request.args)
    except FilterError as error:
        abort(400, description=str(error))
    # A UTF-8 byte order mark, so that spreadsheet programs read names with accents right.
    chunks = stream_with_context(_with_bom(export.export_csv(flt)))
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="orders-{utcnow():%Y-%m-%d}.csv"')
    return response


def _with_bom(chunks):
    yield "\ufeff"
    yield from chunks


# --- one order ---------------------------------------------------------------------------------

@bp.get("/orders/<int:order_id>")
def order_detail(order_id):
    return _detail_page(_order_or_404(order_id))


def _order_or_404(order_id):
    order = order_reports.order_with_lines(order_id)
    if order is None:
        abort(404, description="There is no such order.")
    return order


def _detail_page(order, status=200, dispatch_form=None, error=None, refund_form=None):
    return render_template(
        "admin/orders/detail.html", order=order, history=order_reports.order_history(order.id),
        **_panel_context(order, dispatch_form, error, refund_form=refund_form),
        **order_extras(order),
    ), status


def _panel_context(order, dispatch_form=None, error=None, message=None, refund_form=None):
    overview = order_staff.refund_overview(order)
    if refund_form is None:
        refund_form = RefundForm(formdata=None)
        refund_form.amount.data = decimal_amount(overview.remaining, order.currency)
    return {
        "actions": orders.staff_actions(order),
        "refund_pending": orders.refund_pending(order),
        "refunds": overview,
        "dispatch_form": dispatch_form or DispatchForm(formdata=None),
        "refund_form": refund_form,
        "carriers": CARRIERS,
        "error": error,
        "message": message,
    }


def _panel(order, status=200, dispatch_form=None, error=None, message=None, refund_form=None):
    """The status panel and, out of band, the history: what an htmx action swaps."""
    return render_template(
        "admin/orders/_panel_update.html", order=order,
        history=order_reports.order_history(order.id),
        **_panel_context(order, dispatch_form, error, message, refund_form),
    ), status


def _show_again(order_id, status, error=None, dispatch_form=None, refund_form=None):
    """A refused or invalid action: the order as it is now, with the error or the form's
    messages, as its panel (htmx) or its whole page. Nothing was changed."""
    order = _order_or_404(order_id)
    if htmx:
        return _panel(order, status, dispatch_form, error=error, refund_form=refund_form)
    return _detail_page(order, status, dispatch_form, error=error, refund_form=refund_form)


def _act(order_id, action, dispatch_form=None, **params):
    """Take one staff action through the orders domain and answer as the request wants."""
    try:
        number = orders.take_staff_action(order_id, action, _actor(), **params)
    except LookupError:
        abort(404, description="There is no such order.")
    except orders.PaymentError as error:
        return _show_again(order_id, 502, str(error), dispatch_form)
    except orders.OrderError as error:  # refused, a race lost, paid meanwhile
        return _show_again(order_id, 409, str(error), dispatch_form)
    message = DONE[action].format(number=number)
    if htmx:
        return _panel(_order_or_404(order_id), message=message)
    flash(message, "success")
    return redirect(url_for("admin.order_detail", order_id=order_id), 303)


def _actor():
    return current_user._get_current_object()


@bp.post("/orders/<int:order_id>/dispatch")
def order_dispatch(order_id):
    form = DispatchForm()
    if not form.validate_on_submit():
        try:  # not dispatchable at all: say that, not "enter a tracking number"
            orders.check_staff_action(order_id, "dispatch")
        except LookupError:
            abort(404, description="There is no such order.")
        except orders.ActionRefused as refusal:
            return _show_again(order_id, 409, str(refusal))
        return _show_again(order_id, 422, dispatch_form=form)
    return _act(order_id, "dispatch", form, carrier=form.carrier.data,
                tracking_number=form.tracking_number.data)


@bp.post("/orders/<int:order_id>/deliver")
def order_deliver(order_id):
    return _act(order_id, "deliver")


@bp.post("/orders/<int:order_id>/cancel")
def order_cancel(order_id):
    return _act(order_id, "cancel")


@bp.post("/orders/<int:order_id>/resolve")
def order_resolve(order_id):
    """Clear the needs-attention flag once staff have dealt with it."""
    try:
        orders.resolve_attention(order_id, actor=_actor(), note="Marked as handled by staff.")
    except LookupError:
        abort(404, description="There is no such order.")
    flash("The order no longer needs attention.", "success")
    return redirect(url_for("admin.order_detail", order_id=order_id), 303)


@bp.post("/orders/<int:order_id>/refund")
def order_refund(order_id):
    """Refund an amount, or chosen lines and quantities, through Stripe."""
    form = RefundForm()
    order = _order_or_404(order_id)
    number, currency, item_ids = order.number, order.currency, [item.id for item in order.items]
    if not form.validate_on_submit():
        return _show_again(order_id, 422, "Check the refund form.", refund_form=form)
    try:
        lines = _refund_lines(item_ids)
        amount = None if lines else _refund_amount(form.amount.data, currency)
        refund = order_staff.refund_order(order_id, _actor(), amount=amount, lines=lines,
                                          restock=bool(form.restock.data),
                                          reason=form.reason.data or "")
    except LookupError:
        abort(404, description="There is no such order.")
    except (ValueError, order_refunds.RefundInputError) as error:
        return _show_again(order_id, 422, str(error), refund_form=form)
    except orders.PaymentError as error:
        return _show_again(order_id, 502, str(error), refund_form=form)
    except orders.OrderError as error:  # refused: refunded meanwhile, one on its way
        return _show_again(order_id, 409, str(error))
    message = REFUND_DONE.get(refund.status, "Refund of {amount} of order {number} is "
                              + refund.status + ".").format(
        amount=format_money(refund.amount, currency), number=number)
    if htmx:
        return _panel(_order_or_404(order_id), message=message)
    flash(message, "success")
    return redirect(url_for("admin.order_detail", order_id=order_id), 303)


def _refund_amount(text, currency):
    """The amount typed (blank: everything that is left); ValueError with a message."""
    if not (text or "").strip():
        return None
    try:
        return parse_amount(text, currency)
    except ValueError as error:
        message = str(error).replace("A price", "An amount").replace("a price", "an amount")
        raise ValueError(message.replace("price", "amount")) from None


def _refund_lines(item_ids):
    """{item id: quantity} from the `line-<id>` inputs (blank or 0: not refunded)."""
    lines = {}
    for item_id in item_ids:
        raw = (request.form.get(f"line-{item_id}") or "").strip()
        if not raw:
            continue
        quantity = whole_number(raw, maximum=100000)
        if quantity is None:
            raise ValueError("Quantities to refund are whole numbers, 0 or more.")
        if quantity:
            lines[item_id] = quantity
    return lines
