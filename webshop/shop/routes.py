"""The storefront: home, catalogue, product pages. Routes parse, call the domain, render."""
from flask import (
    Blueprint, abort, current_app, render_template, request, send_from_directory,
)

from webshop import catalog
from webshop.extensions import htmx

bp = Blueprint("shop", __name__)


class ListArgs:
    """The catalogue's query string, validated: bad values answer 400, never 500."""

    def __init__(self, args):
        self.q = (args.get("q") or "").strip()[:200]
        sort = args.get("sort") or ""
        self.sort = sort if sort in catalog.SORTS else None
        self.category = args.get("category") or None
        raw_page = args.get("page") or "1"
        if not raw_page.isdigit() or int(raw_page) < 1:
            abort(400, description="The page number must be a whole number from 1 up.")
        self.page = int(raw_page)


@bp.get("/")
def home():
    featured = catalog.render_cached(
        ("home",), "shop/_featured.html",
        lambda: {"products": catalog.featured_products()},
    )
    return render_template("shop/home.html", featured=featured, categories=catalog.categories())


@bp.get("/products")
def product_list():
    args = ListArgs(request.args)
    category = catalog.category_by_slug(args.category) if args.category else None
    if args.category and category is None:
        abort(404, description="There is no such category.")
    return _render_list(args, category, "shop.product_list")


@bp.get("/categories/<slug>")
def category_page(slug):
    category = catalog.category_by_slug(slug)
    if category is None:
        abort(404, description="There is no such category.")
    return _render_list(ListArgs(request.args), category, "shop.category_page")


def _render_list(args, category, endpoint):
    category_id = category["id"] if category else None
    link_args = {"q": args.q or None, "sort": args.sort}
    if endpoint == "shop.category_page":
        link_args["slug"] = category["slug"]
    else:
        link_args["category"] = category["slug"] if category else None

    def load():
        try:
            page, sort = catalog.list_products(
                args.q, category_id, args.sort, args.page,
                current_app.config["PRODUCTS_PER_PAGE"],
            )
        except catalog.PageOutOfRange:
            return None
        return render_template(
            "shop/_product_results.html", page=page, sort=sort, q=args.q,
            endpoint=endpoint, link_args=link_args,
        )

    key = ("list", " ".join(catalog.search_terms(args.q)), category_id, args.sort, args.page)
    results = catalog.cached(key, load)
    if results is None:
        abort(404, description="That page of results does not exist.")
    if htmx and htmx.target == "results":
        return results
    return render_template(
        "shop/products.html", results=catalog.fill_csrf(results), args=args,
        category=category, categories=catalog.categories(), sorts=catalog.SORTS,
        endpoint=endpoint,
    )


@bp.get("/products/<slug>")
def product_detail(slug):
    variant_id = request.args.get("variant_id", type=int)
    purchase_only = bool(htmx and htmx.target == "product-purchase")

    def load():
        product = catalog.get_product(slug)
        if product is None:
            return None
        variant = catalog.choose_variant(product, variant_id)
        template = "shop/_product_purchase.html" if purchase_only else "shop/_product_detail.html"
        return {
            "title": product.name,
            "description": product.description[:160],
            "html": render_template(template, product=product, variant=variant),
        }

    page = catalog.cached(("product", slug, variant_id, purchase_only), load)
    if page is None:
        abort(404, description="We could not find that product. It may have been removed.")
    html = catalog.fill_csrf(page["html"])
    if purchase_only:
        return html
    return render_template("shop/product.html", page=page, html=html)


@bp.get("/media/<path:filename>")
def media(filename):
    """Product images from the uploads folder (behind a proxy, let it serve this path)."""
    return send_from_directory(current_app.config["UPLOAD_DIR"], filename, max_age=86400)
