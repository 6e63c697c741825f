"""What a shared cache (a CDN, nginx's micro-cache) may keep: anonymous catalogue pages.

A catalogue view marks its answer `shareable()`. For a visitor who carries no session
and no remember cookie (a first visit, a crawler, a CDN filling itself) such a page is
the same bytes for everyone: its per-shopper slots are filled empty (no CSRF token, an
empty cart badge, no messages; webshop.web.templating), nothing writes the session, so
the answer sets no cookie and says

    Cache-Control: public, max-age=0, s-maxage=CATALOGUE_EDGE_TTL,
                   stale-while-revalidate=CATALOGUE_EDGE_STALE

with an ETag of its body (If-None-Match answers 304). Browsers revalidate every time
(max-age=0), shared caches keep it CATALOGUE_EDGE_TTL seconds: that is how long a
change in the catalogue may take to reach a visitor behind one.

Everything else a browser with a session, a login or staff rights is shown (those
pages carry its token, cart and messages) is `private, no-store` with `Vary: Cookie`,
and never gets a 304 from here. Catalogue pages also vary on HX-Request and HX-Target,
as htmx asks the same URLs for fragments.

A shopper without a session adds to the cart with a token-less form: webshop.web.
first_post says why that is safe.
"""
import functools
import hashlib

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

PRIVATE = "private, no-store"
FRAGMENT_HEADERS = ("HX-Request", "HX-Target")


def _marking(flag):
    """A view decorator that sets g.<flag> for the request it answers."""
    def decorator(view):
        @functools.wraps(view)
        def marked(*args, **kwargs):
            setattr(g, flag, True)
            return view(*args, **kwargs)
        return marked
    return decorator


# A catalogue view whose answer is the same for every visitor without a session (its
# per-shopper parts are slots).
shareable = _marking("edge_shareable")
# A view whose answer never depends on the browser (product images): the session is not
# saved with it, so it carries no Set-Cookie and no `Vary: Cookie`, whoever asks.
stateless = _marking("edge_stateless")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, not saved with a `stateless` view's answer."""

    def save_session(self, app, session, response):
        if g.get("edge_stateless", False):
            return None
        return super().save_session(app, session, response)


def sessionless():
    """The request carries neither a session nor a remember cookie: nothing tells this
    visitor apart from any other."""
    cookies = request.cookies
    config = current_app.config
    return not (cookies.get(config["SESSION_COOKIE_NAME"])
                or cookies.get(config.get("REMEMBER_COOKIE_NAME", "remember_token")))


def is_public():
    """This answer is the shared one: a shareable page, asked for without a session."""
    return (g.get("edge_shareable", False) and request.method in ("GET", "HEAD")
            and sessionless())


def etag_of(body):
    return hashlib.blake2b(body, digest_size=12).hexdigest()


# {page as cached, slots unfilled: (the shared page, its ETag)}: filling the slots and
# hashing the page are done once per page, not once per visitor.
_shared_pages = {}
SHARED_PAGES_MAX = 256


def fill_shared(response, fill):
    """Give `response` (a shared page) the body `fill(html)` makes, and its ETag, both
    remembered for the next visitor who asks for the same page."""
    cached = response.get_data()
    found = _shared_pages.get(cached)
    if found is None:
        body = fill(cached.decode()).encode()
        found = (body, etag_of(body))
        if len(_shared_pages) >= SHARED_PAGES_MAX:
            _shared_pages.clear()
        _shared_pages[cached] = found
    response.set_data(found[0])
    g.edge_etag = found[1]
    return response


def set_cache_headers(response):
    """after_request: public headers and ETag/304 for the shared answer, `private,
    no-store` for what belongs to one browser. Answers that chose their own
    Cache-Control (static files, images, robots.txt) are left alone."""
    if "Cache-Control" in response.headers:
        return response
    shareable = g.get("edge_shareable", False)
    if shareable:
        response.vary.update(FRAGMENT_HEADERS)
    if (shareable and response.status_code == 200 and is_public()
            and not session.modified and not current_user.is_authenticated):
        config = current_app.config
        response.headers["Cache-Control"] = (
            f"public, max-age=0, s-maxage={config['CATALOGUE_EDGE_TTL']}, "
            f"stale-while-revalidate={config['CATALOGUE_EDGE_STALE']}")
        response.set_etag(g.get("edge_etag") or etag_of(response.get_data()))
        if "If-None-Match" in request.headers:  # werkzeug's check costs, even without one
            return response.make_conditional(request)
        return response
    if shareable or session.modified or not sessionless():
        response.headers["Cache-Control"] = PRIVATE
        response.vary.add("Cookie")
    return response


def init_app(app):
    app.session_interface = SessionInterface()
    # Registered before the slots are filled: after_request functions run in reverse,
    # so this one sees the filled body it hashes.
    app.after_request(set_cache_headers)
