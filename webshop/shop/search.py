"""Live search suggestions under the search box (GET /search/suggestions?q=)."""
from flask import render_template, request

from webshop import catalog, search
from webshop.extensions import htmx
from webshop.shop.blueprint import bp
from webshop.shop.catalogue import read_only
from webshop.web.edge_cache import shareable


@bp.get("/search/suggestions")
@shareable
def search_suggestions():
    """htmx (the header's search box, as the shopper types): the listbox's options.
    Without JS (or opened directly): a page with the same links and a full search."""
    q = (request.args.get("q") or "").strip()[:200]
    found = read_only(lambda: search.suggestions(q, catalog.categories()))()
    if htmx:
        return render_template("shop/_search_suggestions.html", suggestions=found, q=q,
                               listbox=True)
    return render_template("shop/search_suggestions.html", suggestions=found, q=q)
