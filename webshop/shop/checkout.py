"""Cart, checkout and order status views (the `shop` blueprint's buying half).

With the HX-Request header the cart endpoints answer with fragments (the cart lines
and totals, and the header badge out-of-band); without it they redirect (303), so
every form also works with JavaScript off.
"""
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webshop import accounts
from webshop import cart as carts
from webshop import i18n, orders, pricing, promotions
from webshop import variant_choice
from webshop.extensions import htmx
from webshop.payments import gateway
from webshop.shop.blueprint import bp
from webshop.shop.forms import CheckoutForm
from webshop.shop.reminders import remember_consent, show_consent
from webshop.shop.returns import order_page_extras
from webshop.validation import whole_number
from webshop.web import cart_session
from webshop.web.first_post import origin_checked
from webshop.web.forms import safe_next, show_error


def _cart_view(status=200, error=None, message=None):
    """The cart page, or for htmx its contents plus the badge."""
    cart = cart_session.current_cart()
    lines = carts.lines(cart)
    cart_session.remember_count(sum(line.quantity for line in lines))
    totals, applied = promotions.quote_for(cart, lines)
    context = {"lines": lines, "totals": totals, "applied": applied, "error": error,
               "message": message}
    template = "shop/_cart_contents.html" if htmx else "shop/cart.html"
    return render_template(template, **context), status


def _done(message=None, error=None, back=None):
    """After a cart change without htmx: say what happened and redirect (303)."""
    if error:
        flash(error, "error")
    elif message:
        flash(message, "success")
    return redirect(safe_next(back, url_for("shop.cart")), 303)


@bp.get("/cart")
def cart():
    return _cart_view()


@bp.post("/cart/items")
@origin_checked  # a first visitor's cached product page has no token (SECURITY.md)
def cart_add():
    back = request.form.get("next")
    try:
        variant_id = request.form.get("variant_id", "")
        if not (variant_id.isascii() and variant_id.strip().isdigit()):
            raise carts.CartError(_("Please choose an option."))
        if whole_number(variant_id, minimum=1) is None:  # no variant has such an id
            raise carts.CartError(_("That product is no longer available."))
        quantity = carts.parse_quantity(request.form.get("quantity", "1"))
        variant_id, refused = variant_choice.posted_choice(whole_number(variant_id), request.form)
        if refused:
            raise carts.CartError(refused)
        count = carts.add_and_count(variant_id, quantity, **cart_session.owner())[1]
    except carts.CartError as error:
        if htmx:
            return render_template("shop/_added.html", error=str(error)), 422
        return _done(error=str(error), back=back)
    cart_session.remember_count(count)
    if htmx:
        return render_template("shop/_added.html", error=None)
    return _done(message=_("Added to your cart."))


@bp.post("/cart/items/<int:item_id>")
def cart_update(item_id):
    try:
        quantity = carts.parse_quantity(request.form.get("quantity"), allow_zero=True)
        carts.set_quantity(cart_session.current_cart(), item_id, quantity)
    except carts.CartError as error:
        return _cart_view(422, error=str(error)) if htmx else _done(error=str(error))
    message = _("Cart updated.") if quantity else _("Item removed.")
    return _cart_view(message=message) if htmx else _done(message=message)


@bp.post("/cart/items/<int:item_id>/delete")
def cart_remove(item_id):
    try:
        carts.remove_item(cart_session.current_cart(), item_id)
    except carts.CartError as error:
        return _cart_view(422, error=str(error)) if htmx else _done(error=str(error))
    message = _("Item removed.")
    return _cart_view(message=message) if htmx else _done(message=message)


@bp.post("/cart/empty")
def cart_empty():
    carts.empty(cart_session.current_cart())
    message = _("Your cart is empty now.")
    return _cart_view(message=message) if htmx else _done(message=message)


@bp.route("/checkout", methods=["GET", "POST"])
def checkout():
    cart = cart_session.current_cart()
    form = CheckoutForm()
    if request.method == "GET":
        _prefill(form)
        show_consent(form, cart)
    lines = carts.lines(cart)
    if htmx and htmx.target == "order-summary":
        # The country or the method changed: new totals, and the country's methods.
        form = CheckoutForm(formdata=request.args, meta={"csrf": False})
        totals, applied = _priced(cart, lines, form.country.data, form.shipping_method.data)
        _offer(form, totals)
        return render_template("shop/_checkout_pricing.html", form=form, lines=lines,
                               totals=totals, applied=applied)
    if request.method == "POST" and not current_user.is_authenticated:
        remember_consent(cart, form)  # the reminder box stands whether or not an order follows
    if request.form.get("update_totals"):
        pass  # without JavaScript: new totals for the chosen country and method only
    elif form.validate_on_submit():
        user = current_user._get_current_object() if current_user.is_authenticated else None
        promos = promotions.OrderPromotions(cart, form.email.data, actor=user)
        try:
            order = orders.place_order(
                cart, form.email.data, _address(form), form.shipping_method.data,
                form.idempotency_key.data, user=user, save_address=form.save_address.data,
                adjust=promos.adjust, hold=promos.hold, locale=i18n.current(), lines=lines,
                reserve_at_least=gateway.SESSION_LIFETIME,
            )
        except orders.EmptyCart as error:
            return _done(error=str(error))
        except orders.OrderError as error:
            form.form_errors.append(str(error))
        except (pricing.PricingError, promotions.PromotionError) as error:
            show_error(form, error)
        else:
            cart_session.remember_count(0)
            return _to_payment(order, placed=True)
    if not lines and not form.form_errors:
        return _done(error=_("Your cart is empty."))
    totals, applied = _priced(cart, lines, form.country.data, form.shipping_method.data)
    _offer(form, totals)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("shop/checkout.html", form=form, lines=lines, totals=totals,
                           applied=applied), status


def _priced(cart, lines, country, method):
    """(The amounts the page shows, what the cart's codes do): for the chosen country
    (the shop's own until one is chosen) and method (the first one offered there when
    the chosen one is not)."""
    country = country if pricing.ships_to(country) else None
    if not method:  # nothing chosen yet (a first visit, a new country): the first offered
        offered = pricing.quote(lines, country).shipping_options
        method = offered[0].code if offered else None
    try:
        return promotions.quote_for(cart, lines, country, method)
    except pricing.PricingError:
        offered = pricing.quote(lines, country).shipping_options
        return promotions.quote_for(cart, lines, country, offered[0].code if offered else None)


def _offer(form, totals):
    """The delivery choices: the methods of the country's zone, the shown one selected."""
    form.shipping_method.choices = [(o.code, o.label) for o in totals.shipping_options]
    if not form.shipping_method.errors:
        form.shipping_method.data = totals.shipping_method


def _prefill(form):
    form.idempotency_key.data = uuid.uuid4().hex
    if current_user.is_authenticated:
        form.email.data = current_user.email
        address = accounts.default_address(current_user)
        if address is not None:
            form.fill_address(address)


def _address(form):
    values = form.address_values()
    return orders.ShippingAddress(**{**values, "postal_code": values["postal_code"].upper()})


def order_url(order, **kwargs):
    """The order's page; a guest's link carries the signed token."""
    if current_user.is_authenticated and order.user_id == current_user.id:
        return url_for("shop.order_status", number=order.number, **kwargs)
    return url_for("shop.order_status", number=order.number, token=orders.access_token(order),
                   **kwargs)


def _to_payment(order, placed=False):
    """Send the shopper to Stripe's payment page for the order (303), or back to the
    order page with a message if the payment provider cannot be reached. `placed`: the
    order is place_order's answer in this request (the gateway may use it as it is)."""
    back = order_url(order, _external=True)
    # Stripe fills in the session id, so the order page can ask Stripe about it once.
    success_url = back + ("&" if "?" in back else "?") + "session_id={CHECKOUT_SESSION_ID}"
    cancel_url = url_for("shop.checkout_cancelled", number=order.number,
                         token=orders.access_token(order), _external=True)
    order_page = order_url(order)
    if order.status == "paid":  # a gift card paid it all: nothing to pay at Stripe
        flash(_("Thank you: your gift card paid for the whole order."), "success")
        return redirect(order_page, 303)
    try:
        url = gateway.start_checkout(order.id, success_url=success_url, cancel_url=cancel_url,
                                     placed=order if placed else None)
    except orders.PaymentError as error:
        flash(_("%(error)s Your items are held for you.", error=error), "error")
        return redirect(order_page, 303)
    return redirect(url, 303)


@bp.post("/orders/<number>/pay")
def order_pay(number):
    """Pay for a pending order again (the payment page was closed, or unreachable)."""
    order = _viewed_order(number, request.form.get("token"))
    if order.status != "pending":
        return redirect(order_url(order), 303)
    return _to_payment(order)


def _viewed_order(number, token):
    order = orders.order_for_viewer(number, token, current_user)
    if order is None:
        abort(404, description=_("We could not find that order."))
    return order


@bp.get("/checkout/cancelled/<number>")
def checkout_cancelled(number):
    """Stripe's cancel link. A GET changes nothing: the shopper confirms with a POST
    (a link alone, prefetched or forged, cannot cancel anyone's order)."""
    order = _viewed_order(number, request.args.get("token"))
    if order.status != "pending":
        return redirect(order_url(order), 303)
    return render_template("shop/checkout_cancelled.html", order=order,
                           token=request.args.get("token", ""))


@bp.post("/checkout/cancelled/<number>")
def checkout_cancel(number):
    """The shopper confirmed: the order is dropped and its lines go back into the cart."""
    order = _viewed_order(number, request.form.get("token"))
    if order.status == "pending":
        try:
            orders.return_to_cart(order.id, **cart_session.owner())
        except orders.PaymentError:
            flash(_("We could not reach the payment provider; please try again."), "error")
            return redirect(order_url(order), 303)
        except orders.OrderError:
            return redirect(order_url(order), 303)  # paid meanwhile: show it
        _refresh_badge()
        flash(_("Payment cancelled. Your cart is as you left it."), "success")
    return redirect(url_for("shop.cart"), 303)


def _refresh_badge():
    cart_session.remember_count(carts.item_count(cart_session.current_cart()))


@bp.get("/orders/<number>")
def order_status(number):
    order = _viewed_order(number, request.args.get("token"))
    session_id = request.args.get("session_id")
    if session_id:
        # Back from the payment page: ask Stripe once (the webhook stays the source of
        # truth and finds the order settled), then show the page under its plain URL.
        if order.status == "pending" and session_id == order.stripe_checkout_session_id:
            orders.refresh_from_stripe(order.id)
        return redirect(url_for("shop.order_status", number=number,
                                token=request.args.get("token")), 303)
    poll_url = url_for("shop.order_status", number=number, token=request.args.get("token"))
    if htmx and htmx.target == "order-status":
        return render_template("shop/_order_status.html", order=order, poll_url=poll_url)
    return render_template("shop/order.html", order=order, poll_url=poll_url,
                           **order_page_extras(order))
