"""Product reviews in the storefront: the reviews' pages and the verified buyer's form.

The product page includes the summary, the first page of reviews and the JSON-LD
through the template globals below (inside its cached render, so a warm page costs no
query); further pages are /products/<slug>/reviews?page=N, a full page or, for htmx's
"More reviews", the next items. Writing a review is for logged-in verified buyers.
"""
from babel.numbers import format_decimal
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from webshop import catalog, reviews, structured_data
from webshop.extensions import htmx
from webshop.pagination import page_number
from webshop.shop.blueprint import bp
from webshop.shop.catalogue import cached_page
from webshop.web.edge_cache import shareable
from webshop.web.forms import form_page, show_error
from webshop.web.templating import media_url

RATINGS = [("5", _l("5 stars")), ("4", _l("4 stars")), ("3", _l("3 stars")),
           ("2", _l("2 stars")), ("1", _l("1 star"))]


class ReviewForm(FlaskForm):
    rating = RadioField(_l("Your rating"), choices=RATINGS,
                        validators=[InputRequired(_l("Choose a rating from 1 to 5 stars."))])
    author_name = StringField(_l("Your name as shown"), validators=[
        InputRequired(), Length(max=reviews.MAX_NAME)])
    title = StringField(_l("Title (optional)"), validators=[Length(max=reviews.MAX_TITLE)])
    body = TextAreaField(_l("Your review (optional)"), validators=[Length(max=reviews.MAX_BODY)])


@bp.app_template_global()
def rating_text(average):
    """An average in hundredths of a star as the shopper's language writes it: "4.5",
    "4,5" (the JSON-LD keeps ReviewsPage.stars, always with a point)."""
    return format_decimal(average / 100, format="0.0", locale=get_locale() or "en")


@bp.app_template_global()
def product_reviews_summary(product_id):
    """The product page's first page of reviews (runs inside its cached render), kept in
    the catalogue cache too: a page rendered again (its stock changed, another variant,
    the page cache off) needs no query for it. Moderation replaces the catalogue version."""
    return catalog.cached(("reviews", product_id), lambda: reviews.product_reviews(product_id))


@bp.app_template_global()
def product_json_ld(product, variant, summary):
    url = url_for("shop.product_detail", slug=product.slug, _external=True)
    images = [request.host_url.rstrip("/") + media_url(image.filename)
              for image in product.images]
    return structured_data.product_json_ld(product, variant, summary, url, images)


@bp.get("/products/<slug>/reviews")
@shareable
def product_reviews(slug):
    page = page_number(request.args)
    fragment = bool(htmx)

    def render():
        product = catalog.get_product(slug)
        if product is None:
            return None
        try:
            summary = reviews.product_reviews(product.id, page)
        except catalog.PageOutOfRange:
            return None
        if fragment:
            return render_template("shop/_review_items.html", product=product,
                                   summary=summary)
        return render_template("shop/reviews.html", product=product, summary=summary)

    html = cached_page(("reviews", slug, page, fragment), render, product=slug)
    if html is None:
        abort(404, description=_("There is no such page of reviews."))
    return html


@bp.route("/products/<slug>/review", methods=["GET", "POST"])
@login_required
def review_new(slug):
    product = catalog.get_product(slug)
    if product is None:
        abort(404, description=_("We could not find that product. It may have been removed."))
    state = reviews.review_state(current_user.id, product.id)
    form = ReviewForm()
    if state == "allowed" and form.validate_on_submit():
        try:
            reviews.submit_review(current_user, product.id, int(form.rating.data),
                                  form.author_name.data, form.title.data, form.body.data)
        except reviews.ReviewError as error:
            show_error(form, error)
        else:
            flash(_("Thank you: your review is shown once our staff have checked it."), "success")
            return redirect(url_for("shop.product_detail", slug=slug), 303)
    status = 403 if state != "allowed" and request.method == "POST" else None
    return form_page("shop/review_form.html", form, status, product=product, state=state)
