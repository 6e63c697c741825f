"""Policy pages for shoppers (/pages/<slug>) and the footer's links to them.

Both come from the catalogue cache (webshop.pages), which a page edit replaces; like the
catalogue pages, a policy page asked for without a session is one shared answer that a
CDN may keep (webshop.web.edge_cache).
"""
from flask import abort, render_template
from flask_babel import gettext as _

from webshop import pages
from webshop.shop.blueprint import bp
from webshop.shop.catalogue import cached_page
from webshop.web.edge_cache import shareable


@bp.app_template_global("footer_pages")
def footer_pages():
    """The published pages the footer of every storefront page links to (cached)."""
    return pages.footer_pages()


@bp.get("/pages/<slug>")
@shareable
def page(slug):
    def render():
        found = pages.published_page(slug)
        return render_template("shop/page.html", page=found) if found else None

    html = cached_page(("policy-page", slug[:80]), render)
    if html is None:
        abort(404, description=_("There is no such page."))
    return html
