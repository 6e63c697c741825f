"""The shopper's wishlist over HTTP: /account/wishlist, saving and removing products.

Saving and removing answer an htmx request with the new heart (or the "notify me"
confirmation), and a plain form with a 303 back to the page it came from. The rules
live in webshop.wishlists.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webshop import wishlists
from webshop.auth.blueprint import bp
from webshop.extensions import htmx
from webshop.validation import whole_number
from webshop.web.forms import safe_next
from webshop.web.wishlist_hearts import render_heart


@bp.get("/account/wishlist")
@login_required
def wishlist():
    return render_template("auth/wishlist.html", items=wishlists.wishlist(current_user.id))


def _product_id(value):
    product_id = whole_number(value, minimum=1)
    if product_id is None:
        abort(400, description=_("Choose a product to save."))
    return product_id


def _back():
    return safe_next(request.form.get("next"), url_for("auth.wishlist"))


@bp.post("/account/wishlist")
@login_required
def wishlist_add():
    product_id = _product_id(request.form.get("product_id"))
    raw_variant = request.form.get("notify_variant_id")
    variant_id = whole_number(raw_variant, minimum=1) if raw_variant else None
    if raw_variant and variant_id is None:
        abort(400, description=_("Choose the sold-out variant to be told about."))
    try:
        wishlists.save(current_user.id, product_id, variant_id)
    except wishlists.WishlistError as error:
        if htmx:
            return render_template("shop/_wishlist_message.html", message=str(error)), 422
        flash(str(error), "error")
        return redirect(_back(), 303)
    if variant_id is not None:
        message = _("Saved: we will email you once when it is back in stock.")
        if htmx:
            return render_template("shop/_wishlist_message.html", message=message)
        flash(message, "success")
        return redirect(_back(), 303)
    if htmx:
        return render_heart(product_id, _slug_hint(), True, _back())
    flash(_("Saved to your wishlist."), "success")
    return redirect(_back(), 303)


@bp.post("/account/wishlist/<int:product_id>/delete")
@login_required
def wishlist_remove(product_id):
    wishlists.remove(current_user.id, product_id)
    if htmx:
        return render_heart(product_id, _slug_hint(), False, _back())
    flash(_("Removed from your wishlist."), "success")
    return redirect(_back(), 303)


def _slug_hint():
    """The heart's login link needs a slug only for visitors who are not logged in,
    and these views are for logged-in shoppers: any valid value will do."""
    return "wishlist"
