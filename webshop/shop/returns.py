"""The shopper's side of returns and invoices (blueprint `shop`): the return form on an
order's page (POST /orders/<number>/returns), the printable invoice and credit notes
(written in the order's language).

Who may see an order is the orders domain's rule (its customer, or its signed link in
`token`, carried by the forms as the order page does); staff also open the documents
from the admin. The return form is a plain form: it answers with a redirect (303) and a
flash, or the order page again with the message (422).
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext as _
from flask_login import current_user

from webshop import i18n, invoices, orders, returns
from webshop.shop.blueprint import bp
from webshop.validation import whole_number

MAX_UNITS = 100000


def order_page_extras(order):
    """What the order page shows besides the order: its returns and the return form's
    choices, and its documents (one query for returns once dispatched, one for credit
    notes and their reversals once paid: a refund that failed after it counted leaves
    nothing refunded, but its credit note and reversal stay)."""
    return {
        "rma": returns.order_returns_view(order),
        "has_invoice": order.status in orders.PAID_OR_LATER,
        "credit_notes": (invoices.credit_notes(order.id)
                         if order.status in orders.PAID_OR_LATER else []),
    }


def _order(number, token):
    order = orders.order_for_viewer(number, token, current_user)
    if order is None:
        abort(404, description=_("We could not find that order."))
    return order


def _order_page(number, token):
    return url_for("shop.order_status", number=number, token=token or None)


@bp.post("/orders/<number>/returns")
def order_return(number):
    token = request.form.get("token") or None
    order = _order(number, token)
    try:
        quantities = {}
        for item in order.items:
            raw = (request.form.get(f"qty-{item.id}") or "").strip()
            if raw:
                quantity = whole_number(raw, maximum=MAX_UNITS)
                if quantity is None:
                    raise returns.ReturnError(
                        _("Quantities to return are whole numbers, 0 or more."))
                quantities[item.id] = quantity
        returns.request_return(order.id, quantities, request.form.get("reason") or "",
                               request.form.get("comment") or "",
                               actor=current_user if current_user.is_authenticated else None)
    except LookupError:
        abort(404, description=_("We could not find that order."))
    except returns.ReturnError as error:
        order = _order(number, token)
        return render_template("shop/order.html", order=order, return_error=str(error),
                               poll_url=_order_page(number, token),
                               **order_page_extras(order)), 422
    flash(_("Your return request is sent. We will email you when it is approved."), "success")
    return redirect(_order_page(number, token), 303)


def _document_order(number):
    order = invoices.order_for_documents(number, request.args.get("token"), current_user)
    if order is None:
        abort(404, description=_("We could not find that order."))
    return order


@bp.get("/orders/<number>/invoice")
def order_invoice(number):
    order = _document_order(number)
    invoice = invoices.invoice_of(order)
    if invoice is None:
        abort(404, description=_("Order %(number)s is not paid yet, so it has no invoice.",
                                 number=order.number))
    return _document_page("documents/invoice.html", invoice, order)


@bp.get("/orders/<number>/credit-notes/<int:refund_id>")
def order_credit_note(number, refund_id):
    """The credit note of one refund of the order (named by the refund, which the order
    and admin pages already hold), marked with its reversal if it has one."""
    order, credit = _credit(number, refund_id)
    return _document_page("documents/credit_note.html", credit.note, order,
                          reversal=credit.reversal)


@bp.get("/orders/<number>/credit-notes/<int:refund_id>/reversal")
def order_credit_note_reversal(number, refund_id):
    """The reversal cancelling that credit note (its refund failed after it counted)."""
    order, credit = _credit(number, refund_id)
    if credit.reversal is None:
        abort(404, description=_("This credit note has not been reversed."))
    return _document_page("documents/reversal.html", credit.reversal, order)


def _credit(number, refund_id):
    order = _document_order(number)
    credit = invoices.credit_note_of(order, refund_id)
    if credit is None:
        abort(404, description=_("This order has no such credit note."))
    return order, credit


def _document_page(template, document, order, reversal=None):
    """A document in the language its order was placed in, whoever opens it (as the
    order's emails are): the customer reads the invoice they were sent a link to."""
    with force_locale(order.locale or i18n.DEFAULT):
        return render_template(template, document=document, order=order, reversal=reversal,
                               seller=invoices.seller_of(document))
