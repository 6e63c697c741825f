"""Admin: customers (registered and guests) with their orders and lifetime value."""
from flask import abort, render_template, request
from flask_login import current_user

from webshop import accounts
from webshop.admin.blueprint import bp
from webshop.admin.listing import list_page
from webshop.pagination import PageOutOfRange, page_number
from webshop.reports import customers as customer_reports

CUSTOMERS_PER_PAGE = 50
ORDERS_PER_PAGE = 20


@bp.get("/customers")
def customers():
    q = (request.args.get("q") or "").strip()[:254]
    return list_page(
        lambda page: {"page": customer_reports.list_customers(q, page, CUSTOMERS_PER_PAGE),
                      "q": q},
        page_template="admin/customers/index.html",
        results_template="admin/customers/_results.html", target="customer-results",
        missing="That page of the customer list does not exist.")


@bp.get("/customers/<int:customer_id>")
def customer_detail(customer_id):
    summary = customer_reports.customer_summary(customer_id)
    if summary is None:
        abort(404, description="There is no such customer.")
    try:
        orders = customer_reports.customer_orders(
            customer_id, summary.order_count, page_number(request.args), ORDERS_PER_PAGE)
    except PageOutOfRange:
        abort(404, description="That page of the customer's orders does not exist.")
    user = summary.customer.user
    may_change_role = user is not None and accounts.role_change_refusal(current_user, user) is None
    return render_template(
        "admin/customers/detail.html", summary=summary, customer=summary.customer, orders=orders,
        may_change_role=may_change_role)
