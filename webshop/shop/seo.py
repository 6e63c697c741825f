"""robots.txt and sitemap.xml: how search engines find the catalogue, and what they skip.

Both are the same for everyone and carry no session, so shared caches may keep them.
"""
from flask import make_response, render_template, url_for

from webshop import sitemap
from webshop.shop.blueprint import bp

# Pages that are per shopper or not for search results: a crawler has no business there.
PRIVATE_PREFIXES = ("/admin", "/account", "/cart", "/checkout", "/orders", "/login", "/logout",
                    "/password", "/register", "/search/suggestions", "/_sandbox", "/webhooks",
                    "/metrics")
CRAWL_MAX_AGE = 3600


def _public(body, mimetype):
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Cache-Control"] = f"public, max-age={CRAWL_MAX_AGE}"
    return response


@bp.get("/robots.txt")
def robots_txt():
    lines = ["User-agent: *", *(f"Disallow: {prefix}" for prefix in PRIVATE_PREFIXES),
             # Searched and re-sorted copies of the lists: the plain lists are enough.
             "Disallow: /*?q=", "Disallow: /*&q=", "Disallow: /*?sort=", "Disallow: /*&sort=",
             "", f"Sitemap: {url_for('shop.sitemap_xml', _external=True)}", ""]
    return _public("\n".join(lines), "text/plain")


@bp.get("/sitemap.xml")
def sitemap_xml():
    return _public(render_template("shop/sitemap.xml", entries=sitemap.entries()),
                   "application/xml")
