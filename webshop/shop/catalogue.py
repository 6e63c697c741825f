"""The storefront: home, catalogue, product pages. Routes parse, call the domain, render.

Catalogue pages are cached whole (per catalogue version and per kind of visitor); the
per-shopper parts are slots filled in after the view (see webshop.web.templating).
"""
from flask import abort, current_app, render_template, request, send_from_directory
from flask_babel import gettext as _
from flask_login import current_user

from webshop import catalog, facets, media_store, search, variant_choice
from webshop.extensions import db, htmx
from webshop.pagination import page_number
from webshop.shop.blueprint import bp
from webshop.validation import whole_number
from webshop.media import content_version
from webshop.web.edge_cache import shareable, stateless
from webshop.web.static_files import IMMUTABLE


class ListArgs:
    """The catalogue's query string, validated: bad values answer 400, never 500."""

    def __init__(self, args):
        self.q = (args.get("q") or "").strip()[:200]
        sort = args.get("sort") or ""
        self.sort = sort if sort in catalog.SORTS else None  # unknown (an old link): default
        self.category = (args.get("category") or "").strip()[:200] or None
        self.page = page_number(args)
        self.bands = facets.price_bands()
        self.facets = facets.selection_from(args, self.bands)


def read_only(render):
    """Run a catalogue read outside a transaction.

    Catalogue pages are plain SELECTs; on this machine each round trip costs ~0.1 ms,
    and a transaction adds two (BEGIN, ROLLBACK). Only for GET views that write nothing.
    """
    def run():
        if not db.session().in_transaction():
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return render()
    return run


def cached_page(key_parts, render, product=None):
    """A whole page through the catalogue cache; the header differs by kind of visitor.
    A product's page names its slug as `product`: its stock changes replace only it."""
    if not current_app.config["PAGE_CACHE"]:
        return read_only(render)()
    return catalog.cached(("page", visitor_kind(), slots_version(), *key_parts),
                          read_only(render), product=product)


def visitor_kind():
    """Whose HTML a cached page or fragment is: a visitor who is not logged in sees the
    wishlist heart's login link written into it (webshop.web.wishlist_hearts), the others
    a marker filled per request."""
    if not current_user.is_authenticated:
        return "anonymous"
    return "staff" if current_user.is_staff else "customer"


def slots_version():
    """Cached HTML holds the per-shopper slots' markers, which follow from SECRET_KEY: a
    new key must not find pages whose markers it would no longer fill."""
    return current_app.extensions["webshop.slot_key"][:8]


@bp.get("/")
@shareable
def home():
    def render():
        featured = catalog.featured_products()
        return render_template(
            "shop/home.html", featured=featured, categories=catalog.categories(),
            pictures=catalog.category_pictures(),
            hero_pictures=[p.image for p in featured if p.image][:3],
        )
    return cached_page(("home",), render)


@bp.get("/products")
@shareable
def product_list():
    args = ListArgs(request.args)
    category = catalog.category_by_slug(args.category) if args.category else None
    if args.category and category is None:
        abort(404, description=_("There is no such category."))
    return _render_list(args, category, "shop.product_list")


@bp.get("/categories/<slug>")
@shareable
def category_page(slug):
    category = catalog.category_by_slug(slug)
    if category is None:
        abort(404, description=_("There is no such category."))
    return _render_list(ListArgs(request.args), category, "shop.category_page")


def _render_list(args, category, endpoint):
    category_id = category["id"] if category else None
    chosen, stock_key = args.facets, facets.stock_key(args.facets)
    base_args = {"q": args.q or None, "sort": args.sort}  # what "Clear all" keeps
    if endpoint == "shop.category_page":
        base_args["slug"] = category["slug"]
    else:
        base_args["category"] = category["slug"] if category else None
    link_args = dict(base_args, **chosen.query_args())  # pages keep the facets

    def render_results():
        try:
            page, sort = catalog.list_products(
                args.q, category_id, args.sort, args.page,
                current_app.config["PRODUCTS_PER_PAGE"],
                where=facets.product_filter(chosen, args.bands),
            )
        except catalog.PageOutOfRange:
            return None
        return render_template(
            "shop/_product_results.html", page=page, sort=sort, q=args.q,
            endpoint=endpoint, link_args=link_args, base_args=base_args,
            chips=facets.chips(chosen, args.bands), cleared=facets.CLEARED,
            did_you_mean=search.did_you_mean(args.q) if not page.total else None,
        )

    def panel(oob):
        rows = facets.counts(args.q, category_id, chosen, args.bands)
        return render_template("shop/_facets.html", oob=oob, endpoint=endpoint,
                               category=category,
                               groups=facets.groups(rows, chosen, args.bands))

    # By the raw q, not its search words: the HTML repeats what was typed ("No products
    # found for “MUG!!”", its links). Fragments hold slot markers as whole pages do.
    key = (args.q, endpoint, category_id, args.sort, args.page, chosen.key)
    if htmx and htmx.target == "results":  # the results, and the panel's new counts
        html = catalog.cached(("results", visitor_kind(), slots_version(), *key), read_only(
            lambda: _with_panel(render_results(), panel)), product=stock_key)
    else:
        html = cached_page(
            ("list", *key),
            lambda: _list_page(args, category, endpoint, render_results(), panel),
            product=stock_key,
        )
    if html is None:
        abort(404, description=_("That page of results does not exist."))
    return html


def _with_panel(results, panel):
    return None if results is None else results + panel(oob=True)


def _list_page(args, category, endpoint, results, panel):
    if results is None:
        return None
    return render_template(
        "shop/products.html", results=results, facets=panel(oob=False), args=args,
        category=category, categories=catalog.categories(), sorts=catalog.SORTS,
        endpoint=endpoint,
    )


@bp.get("/products/<slug>")
@shareable
def product_detail(slug):
    # Any other value shows the default variant, as for an id no variant has.
    variant_id = whole_number(request.args.get("variant_id"))
    purchase_only = bool(htmx and htmx.target == "product-purchase")
    picked = tuple(sorted(
        (k[:100], v[:100]) for k, v in request.args.items()
        if k.startswith(variant_choice.FIELD_PREFIX)
    ))[:10]

    def render():
        product = catalog.get_product(slug)
        if product is None:
            return None
        fallback = catalog.choose_variant(product, variant_id)
        picks = variant_choice.picks_from(dict(picked), product.option_names)
        variant, message = variant_choice.choose(product, picks, fallback)
        page = dict(
            product=product, variant=variant, choice_message=message,
            groups=variant_choice.option_groups(product, variant),
            images=variant_choice.gallery(product, variant), oob=purchase_only,
        )
        if purchase_only:
            return render_template("shop/_product_purchase.html", **page)
        return render_template("shop/product.html", **page)

    if purchase_only:
        html = catalog.cached(("purchase", visitor_kind(), slots_version(), slug, variant_id,
                               picked),
                              read_only(render), product=slug)
    else:
        html = cached_page(("product", slug, variant_id, picked), render, product=slug)
    if html is None:
        abort(404, description=_("We could not find that product. It may have been removed."))
    return html


@bp.get("/media/<path:filename>")
@stateless
def media(filename):
    """Product images, from the database (MEDIA_STORAGE=database: a stored name never
    changes its bytes, so every answer is immutable, with an ETag) or from the uploads
    folder (a URL carrying the file's content hash, as media_url writes them, is
    immutable). Either way a CDN or nginx in front keeps them."""
    if media_store.in_database():
        stored = media_store.read(filename) if len(filename) <= 255 else None
        if stored is None:
            abort(404)
        response = current_app.response_class(stored.data, mimetype=stored.content_type)
        response.set_etag(stored.etag)
        response.headers["Cache-Control"] = IMMUTABLE
        return response.make_conditional(request)
    response = send_from_directory(current_app.config["UPLOAD_DIR"], filename, max_age=86400)
    version = request.args.get("v")
    if version and version == content_version(filename):
        response.headers["Cache-Control"] = IMMUTABLE
    return response
