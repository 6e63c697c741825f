"""CSRF for a shopper who has no session yet: the first add-to-cart, checked by origin.

The catalogue pages a visitor without a session sees are shared by everyone (webshop.
web.edge_cache), so they cannot carry a CSRF token: a token is tied to a session, and
making one would set a cookie on a page a CDN keeps. Their add-to-cart form posts
without one. Such a POST is accepted only when all of these hold (OWASP's "verifying
origin with standard headers", as Go's http.CrossOriginProtection and Django since 4.0
check the Origin):

- the view is marked `@origin_checked` (only POST /cart/items: it can create a guest
  cart, nothing else: no login, no order, no account);
- the request carries no session and no remember cookie, so it acts on nobody's
  existing cart or login (it creates the session);
- the browser says it comes from our own pages: `Sec-Fetch-Site: same-origin` when the
  browser sends that header (every browser since 2023; a page cannot forge it), else an
  `Origin` that is one of ours: the address the request was made to (its scheme after
  TRUSTED_PROXY_HOPS, its Host), BASE_URL, or CSRF_TRUSTED_ORIGINS.

Without either header (an old browser, a script) the token is required as before, and
every POST from a browser that has a session needs its session's token, whatever its
origin. The answer to an accepted first POST carries the new session's token for the
form it came from, so the shopper's next POST has one (shop/_added.html).
"""
from urllib.parse import urlsplit

from flask import current_app, request

from webshop.web.edge_cache import sessionless

_ORIGIN_CHECKED = set()


def origin_checked(view):
    """Mark a POST view that a shopper without a session may send without a token, from
    our own origin (see the module's docstring)."""
    _ORIGIN_CHECKED.add(f"{view.__module__}.{view.__name__}")
    return view


def origin_of(url):
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


def our_origins():
    config = current_app.config
    found = {origin_of(request.host_url), origin_of(config.get("BASE_URL"))}
    found.update(origin_of(url) for url in config.get("CSRF_TRUSTED_ORIGINS", ()))
    found.discard(None)
    return found


def from_our_pages():
    """The browser says this request comes from one of our pages."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and origin.lower() in our_origins()


def accepts_without_token():
    """For CSRFProtect (webshop.extensions.ShopCSRFProtect): may this request skip the
    token? Only a sessionless POST to an origin-checked view from our own pages."""
    view = current_app.view_functions.get(request.endpoint)
    return (view is not None and f"{view.__module__}.{view.__name__}" in _ORIGIN_CHECKED
            and sessionless() and from_our_pages())


def init_app(app):
    app.extensions["webshop.csrf_accepts_without_token"] = accepts_without_token
