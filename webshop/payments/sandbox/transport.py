"""Reaching the sandbox without the network: a stripe-library HTTP client that hands each
request to this app's WSGI callable in the same process.

With the sandbox served by the shop itself, an HTTP call from a request thread back into
the same server waits for a free thread of that server: under load every thread waits on
another, and the shop freezes. This client keeps the library's own code path (encoding,
headers, idempotency keys, retries, error parsing) and replaces only the socket: the
request runs in this thread, in an application context of its own, so the sandbox's
database session (Flask-SQLAlchemy scopes one per application context) never shares the
caller's transaction.

`call_app` is the same hand-over for anything else the sandbox sends to this app (its
webhooks, when no STRIPE_SANDBOX_WEBHOOK_URL sends them elsewhere).
"""
import io
from urllib.parse import urlsplit

import stripe
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder, run_wsgi_app


def call_app(app, method, url, headers, body=None):
    """Send one request to `app` in this thread; returns (body bytes, status, Headers).

    The host in `url` becomes the request's host (the sandbox builds its payment page's
    address from it); the request gets an application context, and so a database
    session, of its own, removed again when it ends.
    """
    parts = urlsplit(url)
    builder = EnvironBuilder(
        path=parts.path or "/", query_string=parts.query, method=method.upper(),
        base_url=f"{parts.scheme or 'http'}://{parts.netloc or 'localhost'}",
        headers=Headers(list((headers or {}).items())), data=body,
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    # A fresh context, pushed before the request's: Flask would otherwise reuse the
    # caller's (its `g`, its database session and open transaction).
    with app.app_context():
        app_iter, status, response_headers = run_wsgi_app(app, environ, buffered=True)
        try:
            content = b"".join(app_iter)
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()
    return content, int(status.split(" ", 1)[0]), Headers(response_headers)


class InProcessClient(stripe.HTTPClient):
    """The stripe library's HTTP client for a sandbox served by `app` in this process:
    `stripe.StripeClient(key, http_client=InProcessClient(app), base_addresses=...)`.

    Retries (max_network_retries) work as over the network: a 409 or 5xx answer is
    retried with the same idempotency key. There is no timeout to apply: nothing waits
    on a socket, the call runs in the caller's thread.
    """

    name = "webshop-sandbox-in-process"

    def __init__(self, app):
        super().__init__()
        self._app = app

    def request(self, method, url, headers, post_data=None, **_):
        try:
            return call_app(self._app, method, url, headers, post_data)
        except Exception as error:  # the sandbox failed outside its own error handlers
            raise stripe.APIConnectionError(
                f"The in-process Stripe sandbox failed: {type(error).__name__}: {error}",
                should_retry=False,
            ) from error

    def request_stream(self, method, url, headers, post_data=None, **_):
        content, status, response_headers = self.request(method, url, headers, post_data)
        return io.BytesIO(content), status, response_headers

    def close(self):
        pass
