"""Response headers that make the browser an ally: CSP without inline script, and friends."""


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


def init_app(app):
    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", app.extensions["webshop.csp"])
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    app.extensions["webshop.csp"] = content_security_policy(app)
