"""Response headers that make the browser an ally (CSP without inline script, and
friends), and the client's address seen through exactly the trusted proxies."""
from werkzeug.middleware.proxy_fix import ProxyFix


def content_security_policy(app):
    extra_form_targets = " ".join(app.config.get("CSP_FORM_ACTION_EXTRA", ()))
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        # Checkout posts to us and is redirected to the payment page: allow that host.
        f"form-action 'self' {extra_form_targets}".strip(),
    ])


class TrustedProxies:
    """werkzeug's ProxyFix for TRUSTED_PROXY_HOPS proxies (read per request, so a test
    can change it): X-Forwarded-For and -Proto are believed that many hops back, and
    not at all with 0 (the default), where anyone could write them.

    Rate limits, logs and audit entries then see the shopper's address, not the load
    balancer's.
    """

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app, self._fixes = app, wsgi_app, {}

    def __call__(self, environ, start_response):
        hops = int(self.app.config.get("TRUSTED_PROXY_HOPS") or 0)
        if hops <= 0:
            return self.wsgi_app(environ, start_response)
        fix = self._fixes.get(hops)
        if fix is None:
            fix = self._fixes[hops] = ProxyFix(self.wsgi_app, x_for=hops, x_proto=hops)
        return fix(environ, start_response)


FIXED_HEADERS = (("X-Content-Type-Options", "nosniff"),
                 ("Referrer-Policy", "strict-origin-when-cross-origin"),
                 ("X-Frame-Options", "DENY"))
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def init_app(app):
    app.wsgi_app = TrustedProxies(app, app.wsgi_app)

    @app.after_request
    def set_security_headers(response):
        """Each header unless the answer set its own (one pass over the headers, where
        five setdefault calls scanned them ten times)."""
        headers = response.headers
        present = {name.lower() for name in headers.keys()}
        wanted = [("Content-Security-Policy", app.extensions["webshop.csp"]), *FIXED_HEADERS]
        if app.config.get("SESSION_COOKIE_SECURE"):
            wanted.append(HSTS)
        for name, value in wanted:
            if name.lower() not in present:
                headers.add(name, value)
        return response

    app.extensions["webshop.csp"] = content_security_policy(app)
