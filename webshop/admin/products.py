"""Admin: the catalogue (products, variants, stock, images).

Routes parse the request, call one domain function (webshop.catalog, webshop.inventory)
with the acting user, and render. Form pages answer 422 when a form has errors and 303
after a successful POST. With HX-Request, the list's search and the inline stock and
visibility changes answer with the fragment they replace (a template the full page
includes); without it every POST redirects, so each form also works without JavaScript.
"""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from webshop import catalog, inventory, media, merchandising
from webshop.admin.blueprint import bp
from webshop.admin.listing import list_page
from webshop.admin.product_forms import ImageForm, ProductForm, StockForm, sync_list_errors
from webshop.web.forms import form_page, safe_next
from webshop.extensions import db, htmx
from webshop.models import ProductVariant
from webshop.models.base import as_utc
from webshop.money import decimal_amount
from webshop.pagination import page_number
from webshop.validation import whole_number

PRODUCTS_PER_PAGE = 50


@bp.context_processor
def catalogue_helpers():
    return {"format_decimal": decimal_amount, "admin_stock_state": merchandising.admin_stock_state,
            "as_utc": as_utc}


def low_stock_threshold():
    return current_app.config["LOW_STOCK_THRESHOLD"]


def max_image_bytes():
    return current_app.config["MAX_IMAGE_BYTES"]


# --- the product list -----------------------------------------------------------------

class ProductListArgs:
    """The list's query string: unknown choices fall back to the defaults; a category that
    is not an id, or ?page=x, is a 400 with a message."""

    def __init__(self, args):
        self.q = (args.get("q") or "").strip()[:200]
        self.category = None
        if (args.get("category") or "").strip():
            self.category = whole_number(args["category"], minimum=1)
            if self.category is None:
                abort(400, description="The category must be the id of a category.")
        stock = args.get("stock") or ""
        self.stock = stock if stock in merchandising.STOCK_STATES else ""
        sort = args.get("sort") or ""
        self.sort = sort if sort in merchandising.ADMIN_SORTS else "newest"
        self.page = page_number(args)

    def link_args(self):
        """The arguments that keep the current search in page links (None drops one)."""
        return {"q": self.q or None, "category": self.category, "stock": self.stock or None,
                "sort": self.sort if self.sort != "newest" else None}


@bp.get("/products")
def products():
    args = ProductListArgs(request.args)
    return list_page(
        lambda page: {"page": merchandising.admin_products(
            args.q, args.category, args.stock, args.sort, page, PRODUCTS_PER_PAGE,
            low_stock_threshold()), "args": args, "threshold": low_stock_threshold()},
        page_template="admin/products/index.html",
        results_template="admin/products/_results.html", target="product-results",
        missing="That page of products does not exist.",
        page_context=lambda: {"categories": catalog.categories(),
                              "sorts": merchandising.ADMIN_SORTS,
                              "stock_states": merchandising.STOCK_STATES})


def _product_row(product_id, stock_form=None):
    """One row of the list, redrawn after an inline change (with the form's errors, if any)."""
    row = merchandising.admin_product_row(product_id)
    if row is None:
        abort(404)
    return render_template("admin/products/_product_row.html", p=row, stock_form=stock_form,
                           threshold=low_stock_threshold(), next_url=safe_back())


def safe_back(default=None):
    """Where a form posted from a page should send the browser back to."""
    return safe_next(request.form.get("next") or request.args.get("next"),
                     default or url_for("admin.products"))


# --- create and edit ------------------------------------------------------------------

def _product_form(product=None, submitted=False):
    """The product form: from the request when submitted, else from the product (or empty)."""
    categories = catalog.categories()
    if submitted:
        return ProductForm(categories=categories)
    if product is None:
        return ProductForm(formdata=None, categories=categories)
    names = list(product.option_names or [])
    data = {
        "name": product.name, "slug": product.slug, "description": product.description,
        "category_id": product.category_id or 0, "active": product.active,
        "featured": product.featured, "option_names": ", ".join(names),
        "tax_class": product.tax_class,
        "variants": [{
            "id": str(v.id), "sku": v.sku, "price": v.price, "weight_grams": v.weight_grams,
            "options": " / ".join(str((v.option_values or {}).get(n, "")) for n in names),
        } for v in product.variants],
    }
    form = ProductForm(formdata=None, data=data, categories=categories)
    form.variants.append_entry()  # the empty "add a variant" row
    return form


def _save_values(form):
    rows = form.variant_rows()
    values = {
        "name": form.name.data, "slug": form.slug.data, "description": form.description.data,
        "category_id": form.category_id.data or None, "active": form.active.data,
        "featured": form.featured.data, "option_names": form.option_name_list(),
        "tax_class": form.tax_class.data, "variants": [spec for _, spec in rows],
    }
    return values, [sub for sub, _ in rows]


def _show_catalog_error(form, error, variant_forms=()):
    """Put a CatalogError next to its field (a variant's field when it names one), or
    above the form when it names none."""
    target = form
    if error.index is not None and error.index < len(variant_forms):
        target = variant_forms[error.index]
    field = target._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
        sync_list_errors(form.variants)
    else:
        form.form_errors.append(str(error))


@bp.route("/products/new", methods=["GET", "POST"])
def product_new():
    form = _product_form(submitted=request.method == "POST")
    if request.method == "POST" and request.form.get("action") == "add_variant":
        form.variants.append_entry()
        return form_page("admin/products/new.html", form, status=200)
    if form.validate_on_submit():
        values, variant_forms = _save_values(form)
        try:
            product = merchandising.create_product(current_user, **values)
        except merchandising.CatalogError as error:
            _show_catalog_error(form, error, variant_forms)
        else:
            flash(f"{product.name} was created.", "success")
            return redirect(url_for("admin.product_edit", product_id=product.id), 303)
    return form_page("admin/products/new.html", form)


def _edit_page(product, form=None, image_form=None, status=None):
    form = form or _product_form(product)
    image_form = image_form or ImageForm(formdata=None)
    if status is None:
        status = 422 if (form.errors or image_form.errors) else 200
    return render_template(
        "admin/products/edit.html", product=product, form=form, image_form=image_form,
        threshold=low_stock_threshold(), times_ordered=merchandising.times_ordered(product.id),
        variant_stock={str(v.id): v.stock for v in product.variants},
        max_image_size=media.file_size_label(max_image_bytes()),
        next_url=url_for("admin.product_edit", product_id=product.id) + "#stock",
    ), status


def _product_or_404(product_id):
    product = merchandising.product_for_edit(product_id)
    if product is None:
        abort(404, description="There is no such product.")
    return product


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def product_edit(product_id):
    product = _product_or_404(product_id)
    form = _product_form(product, submitted=request.method == "POST")
    if request.method == "POST" and request.form.get("action") == "add_variant":
        form.variants.append_entry()
        return _edit_page(product, form, status=200)
    if form.validate_on_submit():
        values, variant_forms = _save_values(form)
        try:
            merchandising.update_product(product.id, current_user, **values)
        except merchandising.CatalogError as error:
            _show_catalog_error(form, error, variant_forms)
            product = _product_or_404(product_id)
        else:
            flash("Your changes are saved; the shop shows them now.", "success")
            return redirect(url_for("admin.product_edit", product_id=product.id), 303)
    return _edit_page(product, form)


@bp.post("/products/<int:product_id>/active")
def product_active(product_id):
    """Show or hide a product: active=1 or 0 (without it, toggles)."""
    wanted = request.form.get("active")
    try:
        if wanted not in ("0", "1"):
            product = merchandising.product_for_edit(product_id)
            if product is None:
                raise LookupError(product_id)
            wanted = "0" if product.active else "1"
        product = merchandising.set_active(product_id, wanted == "1", current_user)
    except LookupError:
        abort(404, description="There is no such product.")
    if htmx and request.form.get("view") == "row":
        return _product_row(product_id)
    flash(f"{product.name} is {'visible in' if product.active else 'hidden from'} the shop.",
          "success")
    return redirect(safe_back(url_for("admin.product_edit", product_id=product_id)), 303)


@bp.post("/products/<int:product_id>/delete")
def product_delete(product_id):
    if request.form.get("confirm") != "yes":
        flash("Tick “Yes, delete it for good” to delete the product.", "error")
        return redirect(url_for("admin.product_edit", product_id=product_id) + "#delete", 303)
    try:
        name = merchandising.delete_product(product_id, current_user)
    except LookupError:
        abort(404, description="There is no such product.")
    except merchandising.CatalogError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.product_edit", product_id=product_id), 303)
    flash(f"{name} was deleted.", "success")
    return redirect(url_for("admin.products"), 303)


# --- images ---------------------------------------------------------------------------

@bp.post("/products/<int:product_id>/images")
def product_image_upload(product_id):
    product = _product_or_404(product_id)
    image_form = ImageForm()
    if image_form.validate_on_submit():
        try:
            merchandising.add_image(product.id, image_form.image.data, current_user,
                                    alt=image_form.alt.data)
        except merchandising.CatalogError as error:
            image_form.image.errors = [*image_form.image.errors, str(error)]
        else:
            flash("The image was added.", "success")
            return redirect(url_for("admin.product_edit", product_id=product.id) + "#images", 303)
    return _edit_page(product, image_form=image_form)


@bp.post("/products/<int:product_id>/images/<int:image_id>/delete")
def product_image_delete(product_id, image_id):
    try:
        merchandising.remove_image(product_id, image_id, current_user)
    except LookupError:
        abort(404, description="There is no such image.")
    flash("The image was removed.", "success")
    return redirect(url_for("admin.product_edit", product_id=product_id) + "#images", 303)


@bp.post("/products/<int:product_id>/variant-images")
def product_variant_images(product_id):
    """Which picture shows each variant: fields image-<variant id> = an image id, or empty
    for the product's first picture."""
    choices = {}
    for key, value in request.form.items():
        if key.startswith("image-"):
            variant_id = whole_number(key.removeprefix("image-"), minimum=1)
            image_id = whole_number(value, minimum=1) if value else None
            if variant_id is None or (value and image_id is None):
                abort(400, description="That is not a variant or a picture of this product.")
            choices[variant_id] = image_id
    try:
        changed = merchandising.set_variant_images(product_id, choices, current_user)
    except LookupError:
        abort(404, description="That is not a variant or a picture of this product.")
    flash("The variants' pictures are saved." if changed else "Nothing changed.", "success")
    return redirect(url_for("admin.product_edit", product_id=product_id) + "#variant-images", 303)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A body over MAX_CONTENT_LENGTH is refused before any view runs (413); for an image
    upload, say so next to the upload field."""
    if request.endpoint == "admin.product_image_upload":
        product = merchandising.product_for_edit(request.view_args.get("product_id"))
        if product is not None:
            image_form = ImageForm(formdata=None)
            image_form.image.errors = [f"The file is too large: upload an image of at most "
                                       f"{media.file_size_label(max_image_bytes())}."]
            return _edit_page(product, image_form=image_form, status=413)
    # Elsewhere in the admin, the shop's usual error page (as webshop.errors renders it).
    template = "errors/_message.html" if htmx else "errors/error.html"
    return render_template(template, error=error), 413


# --- stock ----------------------------------------------------------------------------

@bp.post("/variants/<int:variant_id>/stock")
def variant_stock(variant_id):
    """An inline stock adjustment. With HX-Request it answers with the redrawn product row
    (view=row, the list) or variant row (the edit page), errors included."""
    variant = db.session.get(ProductVariant, variant_id)
    if variant is None:
        abort(404, description="There is no such variant.")
    product_id = variant.product_id
    form = StockForm()
    status = 200
    if form.validate():
        try:
            before, after = inventory.adjust_stock(
                variant_id, form.reason.data, current_user,
                delta=form.delta.data, new_value=form.set_to.data)
        except LookupError:
            abort(404, description="There is no such variant.")
        except inventory.StockError as error:
            field = form._fields.get(error.field) or form.delta
            field.errors = [*field.errors, str(error)]
            status = 409
        else:
            message = (f"Stock of {variant.sku}: {before} → {after}." if before != after
                       else f"Stock of {variant.sku} is unchanged.")
    else:
        status = 422
    if htmx:
        if form.view.data == "row":
            html = _product_row(product_id, stock_form=form if status != 200 else None)
        else:
            html = render_template(
                "admin/products/_variant_stock.html", v=db.session.get(ProductVariant, variant_id),
                threshold=low_stock_threshold(), stock_form=form if status != 200 else None,
                next_url=safe_back(), updated=status == 200)
        return html, status
    if status == 200:
        flash(message, "success")
    else:
        flash("Stock not changed: " + " ".join(
            e for field in (form.delta, form.set_to, form.reason) for e in field.errors), "error")
    return redirect(safe_back(url_for("admin.product_edit", product_id=product_id) + "#stock"), 303)
