"""The application factory: config, extensions, blueprints, CLI, error pages."""
import os

from flask import Flask

from config import get_config


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=False)
    app.ensure_sync = _inspected_once(app.ensure_sync)
    app.config.from_object(get_config(
        test_config.get("WEBSHOP_ENV") if test_config else None
    ))
    if test_config:
        app.config.update(test_config)
    _derive_settings(app)
    if app.config["MEDIA_STORAGE"] == "files":  # with "database" no pod needs the folder
        os.makedirs(app.config["UPLOAD_DIR"], exist_ok=True)

    from webshop import logs, models  # noqa: F401  (models registers the tables)
    logs.init_app(app)  # JSON lines with a request id, from the first before_request on
    from webshop.extensions import cache, csrf, db, htmx, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    cache.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"

    from webshop import accounts, catalog, invoices, notifications, outbox
    from webshop.web import ratelimit, security
    from webshop.payments import gateway
    login_manager.user_loader(accounts.load_user)
    catalog.init_app(app)
    outbox.init_app(app)
    notifications.init_app(app)  # subscribes to the domain's events
    from webshop import promotions
    promotions.init_app(app)  # consumes codes, issues gift cards on the orders' events
    invoices.init_app(app)  # issues invoices and credit notes on the orders' events
    app.extensions["webshop.payments"] = gateway  # the orders lifecycle's payment provider
    security.init_app(app)
    from webshop.web import input_guard  # before the blueprints: it bounds their <int:...> ids
    input_guard.init_app(app)
    ratelimit.init_app(app)

    from webshop import admin, auth, shop
    from webshop.ops import bp as ops_bp
    from webshop.payments.routes import bp as payments_bp
    app.register_blueprint(shop.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp, url_prefix="/admin")
    app.register_blueprint(ops_bp)
    if app.config["STRIPE_SANDBOX"] and app.config.get("STRIPE_SECRET_KEY"):
        raise RuntimeError("The Stripe sandbox is never served with a real STRIPE_SECRET_KEY.")
    if not app.config.get("STRIPE_WEBHOOK_SECRET"):
        raise RuntimeError("STRIPE_WEBHOOK_SECRET is not set: Stripe's events cannot be verified.")
    if app.config["STRIPE_SANDBOX"]:  # offline Stripe under /_sandbox/stripe
        from webshop.payments.sandbox import bp as stripe_sandbox_bp
        app.register_blueprint(stripe_sandbox_bp)
        if app.config["ENV_NAME"] == "production":
            app.logger.warning("No STRIPE_SECRET_KEY: payments go to the built-in sandbox "
                               "and no real money is taken.")
    app.register_blueprint(payments_bp)

    from webshop import ops
    from webshop.web import edge_cache, error_pages, first_post, static_files, templating
    from webshop.web import wishlist_hearts
    ops.init_app(app)
    error_pages.init_app(app)
    first_post.init_app(app)  # a sessionless shopper's add-to-cart, checked by origin
    edge_cache.init_app(app)  # before templating: it hashes the page with its slots filled
    templating.init_app(app)
    from webshop.web import template_memo
    template_memo.init_app(app)  # links and the layout's header and footer, remembered
    from webshop import i18n
    i18n.init_app(app)  # after templating: its money filter is the locale's
    wishlist_hearts.init_app(app)  # after templating: its hearts hold CSRF slots
    from webshop.web import display_currency
    display_currency.init_app(app)  # prices also in a currency the shopper chose
    static_files.init_app(app)  # hashed, compressed, immutable /static (WhiteNoise)

    from webshop.cli import register_cli
    register_cli(app)
    return app


def _inspected_once(ensure_sync):
    """Flask's ensure_sync, which inspects a view or hook for a coroutine on every call
    (some fifteen a request), remembering its answer per function."""
    known = {}

    def ensure_sync_once(func):
        try:
            return known[func]
        except KeyError:
            if len(known) >= 4096:  # views and hooks are few: this never fills
                known.clear()
            known[func] = ensure_sync(func)
            return known[func]
        except TypeError:  # not hashable
            return ensure_sync(func)
    return ensure_sync_once


def _derive_settings(app):
    """Settings that follow from others (kept here so tests can override the inputs)."""
    redis_url = app.config.get("REDIS_URL")
    if app.config.get("CACHE_DISABLED"):
        app.config.setdefault("CACHE_TYPE", "NullCache")
    if redis_url:
        timeout = app.config["REDIS_SOCKET_TIMEOUT"]
        app.config.setdefault("CACHE_TYPE", "RedisCache")
        app.config.setdefault("CACHE_REDIS_URL", redis_url)
        app.config.setdefault(
            "CACHE_OPTIONS", {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        )
        app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url)
    else:
        app.config.setdefault("CACHE_TYPE", "SimpleCache")
        app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(os.path.dirname(app.config["SQLALCHEMY_DATABASE_URI"][10:]) or ".", exist_ok=True)
