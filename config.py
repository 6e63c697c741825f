"""All settings, read from the environment and nowhere else.

WEBSHOP_ENV picks the class: development (the default: embedded SQLite, in-process
cache and jobs, file outbox, Stripe sandbox), testing, or production (which refuses
to start without its external services).
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def env(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name, default):
    return int(env(name, default))


SANDBOX_WEBHOOK_SECRET = "whsec_sandbox_not_secret"


def database_url(url):
    """Accept the common spellings of a PostgreSQL URL and use psycopg 3."""
    if url and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    ENV_NAME = "development"
    SECRET_KEY = env("SECRET_KEY", "dev-only-not-secret")
    SHOP_NAME = env("SHOP_NAME", "Webshop")
    # Logs: one line per record on stderr, "text" or "json" (production's default), each
    # with its request id (webshop.logs).
    LOG_LEVEL = env("LOG_LEVEL", "INFO").upper()
    LOG_FORMAT = env("LOG_FORMAT", "text")
    SHOP_CURRENCY = env("SHOP_CURRENCY", "EUR").upper()
    # The seller on invoices and credit notes (copied into each when it is issued).
    # Unset, an invoice says "Seller details not configured": set them in production.
    SELLER_NAME = env("SELLER_NAME", "")
    SELLER_ADDRESS = env("SELLER_ADDRESS", "")  # lines separated by ";" or newlines
    SELLER_VAT_ID = env("SELLER_VAT_ID", "")
    SELLER_EMAIL = env("SELLER_EMAIL", "")
    # Returns may be asked for this many days after delivery (or dispatch, when delivery
    # was never recorded).
    RETURN_WINDOW_DAYS = env_int("RETURN_WINDOW_DAYS", 30)
    # The shop's public address, for links in emails (sent outside any request). Unset in
    # development: pages and the Stripe sandbox use the address they are served on, and
    # emails that of `make run`. Production requires it.
    BASE_URL = env("BASE_URL")

    SQLALCHEMY_DATABASE_URI = database_url(
        env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'webshop.db'}")
    )
    # Pre-ping: each connection taken from the pool is tested first (one `SELECT 1`
    # round trip, measured at about 0.1 ms on loopback). Cached pages take no connection
    # and pay nothing; a page read from the database takes one, a form that writes two:
    # a few percent of what they cost. In exchange a connection the database dropped
    # while idle (a restart, a failover, pg_terminate_backend, a firewall's timeout) is
    # replaced before a request uses it, instead of failing that request. What pre-ping
    # cannot catch (the database down, a connection lost mid-request) answers 503 with
    # Retry-After (webshop.web.error_pages), never a 500, and the next request connects
    # afresh. Recycling keeps idle connections younger than any timeout in between.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_recycle": 1800}
    # Redis has two roles. REDIS_URL holds the cache and the rate-limit counters, which may
    # be evicted (maxmemory-policy allkeys-lru is fine there). REDIS_QUEUE_URL holds the RQ
    # queues, which must never be evicted (noeviction; the web and the worker warn at
    # start-up otherwise); unset, the queues share REDIS_URL.
    REDIS_URL = env("REDIS_URL")
    REDIS_QUEUE_URL = env("REDIS_QUEUE_URL")


    # The catalogue cache: Redis when there is one, otherwise this process's memory.
    CACHE_DEFAULT_TIMEOUT = env_int("CACHE_DEFAULT_TIMEOUT", 3600)
    CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", "webshop:")
    # For measuring the uncached path (scripts/bench.py) and for debugging.
    CACHE_DISABLED = env("WEBSHOP_CACHE_DISABLED") == "1"
    # Whole catalogue pages are cached by default; off, they render from the database
    # every time (data such as the category list is still cached).
    PAGE_CACHE = env("WEBSHOP_PAGE_CACHE", "1") != "0"
    # Anonymous catalogue pages (no session, no login) are the same for everyone: a shared
    # cache (CDN, nginx) may keep them this many seconds (s-maxage), and serve them this
    # much longer while it fetches a fresh copy (stale-while-revalidate). Browsers always
    # revalidate (max-age=0, ETag). So a catalogue change reaches a visitor behind such a
    # cache within CATALOGUE_EDGE_TTL seconds (and a stale copy at most that plus _STALE).
    CATALOGUE_EDGE_TTL = env_int("CATALOGUE_EDGE_TTL", 30)
    CATALOGUE_EDGE_STALE = env_int("CATALOGUE_EDGE_STALE", 60)
    # A shopper's first add-to-cart (no session yet, so no token) is accepted from our
    # own pages only: Sec-Fetch-Site: same-origin, or an Origin that is the address asked
    # for, BASE_URL, or one of these (comma-separated, e.g. "https://shop.example.com")
    # for a proxy that rewrites the Host header. See SECURITY.md.
    CSRF_TRUSTED_ORIGINS = tuple(
        part.strip() for part in env("CSRF_TRUSTED_ORIGINS", "").split(",") if part.strip())
    # Each process keeps the catalogue's version tokens this many seconds (0: read them
    # from Redis on every request), so a cached page needs no Redis round trip. The
    # staleness bound: a change made through another process shows here within it (this
    # process's own changes show at once).
    CATALOGUE_VERSION_TTL = float(env("CATALOGUE_VERSION_TTL", 1.0))

    # A Redis that answers slowly must not hold a page hostage: fail fast, serve uncached.
    REDIS_SOCKET_TIMEOUT = float(env("REDIS_SOCKET_TIMEOUT", 0.25))

    STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
    STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
    # Without a Stripe key the shop talks to its built-in sandbox (same stripe-library
    # code path, offline), which signs its webhooks with this public secret. With a real
    # key the sandbox is never served and the secret must come from the environment.
    STRIPE_SANDBOX = not env("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET",
                                SANDBOX_WEBHOOK_SECRET if STRIPE_SANDBOX else None)
    STRIPE_API_BASE = env("STRIPE_API_BASE")
    # Put in the metadata of every session the shop creates: events for sessions without
    # it (Payment Links, other apps on the same account) are acknowledged and ignored.
    STRIPE_SHOP_MARKER = env("STRIPE_SHOP_MARKER", "webshop")
    # Each call to Stripe gives up after this many seconds, and is retried this often
    # (with the same idempotency key) on a network error or a 409/429/5xx.
    STRIPE_TIMEOUT = float(env("STRIPE_TIMEOUT", 20))
    STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 2)
    # What the payment page offers. Delayed methods (sepa_debit, ...) are supported: an
    # order paid with one keeps its stock while the payment is processing, for up to
    # PAYMENT_PROCESSING_DAYS, and is cancelled if the payment fails.
    STRIPE_PAYMENT_METHOD_TYPES = tuple(
        env("STRIPE_PAYMENT_METHOD_TYPES", "card").replace(" ", "").split(","))
    PAYMENT_PROCESSING_DAYS = env_int("PAYMENT_PROCESSING_DAYS", 14)
    # Where the sandbox delivers its webhooks over HTTP; unset, it hands them to this app
    # in-process (a sandbox served by another process sets it to the shop's endpoint).
    STRIPE_SANDBOX_WEBHOOK_URL = env("STRIPE_SANDBOX_WEBHOOK_URL")
    # The sandbox retries a failed webhook delivery after these many seconds, as Stripe does.
    STRIPE_SANDBOX_RETRY_DELAYS = (1, 2, 4, 8, 16, 32)
    STRIPE_SANDBOX_WEBHOOK_TIMEOUT = 10  # seconds per delivery attempt
    # What Stripe does "a moment later" (a bank debit settles, a refund fails, a dispute
    # opens or closes) the sandbox does after this many seconds, or when next looked at.
    STRIPE_SANDBOX_ASYNC_DELAY = 2.0
    # The checkout form's POST is redirected to Stripe's page: the CSP must allow that.
    CSP_FORM_ACTION_EXTRA = ("https://checkout.stripe.com",)

    MAIL_SERVER = env("MAIL_SERVER")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USERNAME = env("MAIL_USERNAME")
    MAIL_PASSWORD = env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "shop@example.com")
    MAIL_USE_TLS = env("MAIL_USE_TLS", "0") == "1"
    MAIL_OUTBOX_DIR = env("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    # Seconds for each SMTP step: a stuck server must not hold a worker.
    MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 30)

    # Jobs: the outbox hands them to RQ (or runs them in-process without Redis).
    RQ_QUEUES = ("emails", "default")
    JOB_RETRIES = env_int("JOB_RETRIES", 5)
    JOB_RETRY_INTERVALS = (10, 30, 60, 300, 900)  # seconds before each retry
    JOB_TIMEOUT = env_int("JOB_TIMEOUT", 180)  # SMTP times out after MAIL_TIMEOUT; the backstop
    JOB_RELAY_AFTER = env_int("JOB_RELAY_AFTER", 60)  # the periodic relay leaves younger messages
    JOB_REDIS_TIMEOUT = float(env("JOB_REDIS_TIMEOUT", 2.0))
    JOB_MAX_INLINE_ATTEMPTS = 10  # embedded mode gives up on a job that keeps failing
    # Periodic tasks the worker schedules, and how often (seconds; 0 turns one off).
    JOB_SCHEDULE = {
        "expire-reservations": env_int("JOB_EXPIRE_RESERVATIONS_EVERY", 120),
        "relay-outbox": env_int("JOB_RELAY_OUTBOX_EVERY", 60),
        "cart-reminders": env_int("JOB_CART_REMINDERS_EVERY", 300),
    }
    # An outbox message is done when its job has finished, not when Redis took it: one
    # handed over this many seconds ago and still not finished (Redis lost it: a restart
    # without persistence, a flush, eviction, a worker dying as it took the job) is
    # handed over again by the relay. Jobs still queued, running or waiting for a retry
    # are left alone.
    OUTBOX_REDELIVER_AFTER = env_int("OUTBOX_REDELIVER_AFTER", 300)

    # Who may read /metrics: a scraper sending "Authorization: Bearer <METRICS_TOKEN>",
    # or one connecting from METRICS_ALLOW_FROM (comma-separated addresses or networks,
    # e.g. "10.0.0.0/8,127.0.0.1"). Neither set: nobody. A request that came through a
    # proxy the app does not trust (TRUSTED_PROXY_HOPS) never counts as coming from the
    # proxy's address.
    METRICS_TOKEN = env("METRICS_TOKEN")
    METRICS_ALLOW_FROM = tuple(
        part.strip() for part in env("METRICS_ALLOW_FROM", "").split(",") if part.strip())
    # gunicorn's workers write their request and cache counts here and /metrics sums them
    # (prometheus_client reads the same variable; deploy/gunicorn.conf.py empties it at
    # start). Unset: one process, its own counts (development, `flask run`).
    PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR")
    # /metrics reads the database and the queue Redis at most this often per process.
    METRICS_CACHE_SECONDS = float(env("METRICS_CACHE_SECONDS", 5))

    # Accounts: how long a password reset link and a registration link work (seconds).
    PASSWORD_RESET_MAX_AGE = env_int("PASSWORD_RESET_MAX_AGE", 3600)
    REGISTRATION_LINK_MAX_AGE = env_int("REGISTRATION_LINK_MAX_AGE", 24 * 3600)
    # Rate limits ("N/period;..."), each per client address and per account (the email
    # typed, whether or not it has one). Logins count failed attempts only; registration
    # and password-reset requests count every request (each may send an email).
    RATELIMIT_LOGIN = env("RATELIMIT_LOGIN", "30/15 minutes;100/day")
    RATELIMIT_LOGIN_ACCOUNT = env("RATELIMIT_LOGIN_ACCOUNT", "10/15 minutes;40/day")
    RATELIMIT_REGISTER = env("RATELIMIT_REGISTER", "5/minute;20/hour")
    RATELIMIT_REGISTER_ACCOUNT = env("RATELIMIT_REGISTER_ACCOUNT", "3/hour;10/day")
    RATELIMIT_PASSWORD_FORGOT = env("RATELIMIT_PASSWORD_FORGOT", "5/minute;20/hour")
    RATELIMIT_PASSWORD_FORGOT_ACCOUNT = env("RATELIMIT_PASSWORD_FORGOT_ACCOUNT", "3/hour;10/day")
    # The cart's code form (discount codes, gift cards), per client address: guessing
    # codes costs more than it could ever find.
    RATELIMIT_CART_CODES = env("RATELIMIT_CART_CODES", "20/10 minutes;60/day")
    # How many reverse proxies (load balancer, nginx) stand in front of the app and set
    # X-Forwarded-For/-Proto: the client address is taken that many hops back. 0 (the
    # default) trusts no such header: the app is reached directly.
    TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
    # A login (one browser) ends after this many seconds unused; its last use is written
    # at most every LOGIN_SESSION_TOUCH_AFTER seconds. "Keep me logged in" lasts as long.
    LOGIN_SESSION_MAX_IDLE = env_int("LOGIN_SESSION_MAX_IDLE", 30 * 24 * 3600)
    LOGIN_SESSION_TOUCH_AFTER = env_int("LOGIN_SESSION_TOUCH_AFTER", 300)
    REMEMBER_COOKIE_DURATION = LOGIN_SESSION_MAX_IDLE

    # Taxes (webshop.pricing): prices include VAT; the rates live in the tax_rates table
    # (/admin/tax-rates). SHOP_COUNTRY's rate is shown before a shopper's country is
    # known; TAX_DESTINATION_BASED=0 charges it everywhere (below the EU's distance-
    # selling threshold), 1 (default) charges the destination's rate.
    SHOP_COUNTRY = env("SHOP_COUNTRY", "DE").upper()
    TAX_DESTINATION_BASED = env("TAX_DESTINATION_BASED", "1") != "0"
    # Shipping lives in shipping zones (/admin/shipping-zones). These settings are only
    # what the default zone for SHIP_COUNTRIES starts with (`flask seed-demo`,
    # `flask seed-pricing`).
    SHIPPING_METHODS = {
        "standard": ("Standard delivery (3-5 working days)", env_int("SHIPPING_STANDARD_PRICE", 495)),
        "express": ("Express delivery (1-2 working days)", env_int("SHIPPING_EXPRESS_PRICE", 1295)),
    }
    FREE_SHIPPING_OVER = env_int("FREE_SHIPPING_OVER", 6000)  # standard shipping; 0 = never
    SHIP_COUNTRIES = {
        "AT": "Austria", "BE": "Belgium", "DK": "Denmark", "FI": "Finland", "FR": "France",
        "DE": "Germany", "IE": "Ireland", "IT": "Italy", "LU": "Luxembourg",
        "NL": "Netherlands", "PL": "Poland", "PT": "Portugal", "ES": "Spain", "SE": "Sweden",
    }
    # How long a placed order holds its stock while the shopper pays.
    RESERVATION_MINUTES = env_int("RESERVATION_MINUTES", 30)
    # So that one client cannot hold the stock in unpaid reservations (OWASP OAT-021):
    # the most of one item a cart line (and so an order line) may hold, and how many
    # orders awaiting payment one shopper (account, email or shipping address) may have
    # (0: no cap).
    MAX_QUANTITY_PER_LINE = env_int("MAX_QUANTITY_PER_LINE", 99)
    MAX_PENDING_ORDERS = env_int("MAX_PENDING_ORDERS", 3)
    # Abandoned-cart reminders (webshop.reminders): this many hours after a cart last
    # changed (0: no reminders), at most CART_REMINDER_MAX per cart; the email's restore
    # link works for CART_REMINDER_LINK_DAYS.
    CART_REMINDER_DELAY_HOURS = float(env("CART_REMINDER_DELAY_HOURS", 24))
    CART_REMINDER_MAX = env_int("CART_REMINDER_MAX", 1)
    CART_REMINDER_LINK_DAYS = env_int("CART_REMINDER_LINK_DAYS", 14)
    # Gift cards (webshop.promotions) are sold as variants whose SKU starts with this:
    # a paid unit issues a card worth its price, emailed to the buyer.
    GIFT_CARD_SKU_PREFIX = env("GIFT_CARD_SKU_PREFIX", "GIFTCARD-").upper()

    # Where product images are kept (webshop.media_store): "files" under UPLOAD_DIR
    # (development, one box), or "database" (rows every pod sees, served under immutable
    # URLs for the CDN to keep: a cluster; DEPLOY.md, "Product images").
    MEDIA_STORAGE = (env("MEDIA_STORAGE", "files") or "files").strip().lower()
    UPLOAD_DIR = env("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    # Where the static files are copied under content-hashed names, with their gzip and
    # brotli versions (webshop.web.static_files); nginx or a CDN may serve it directly.
    STATIC_BUILD_DIR = env("STATIC_BUILD_DIR", str(INSTANCE_DIR / "static"))
    MAX_IMAGE_BYTES = env_int("MAX_IMAGE_BYTES", 5 * 1024 * 1024)
    # Requests larger than this are refused (413) before anything is written to disk.
    MAX_CONTENT_LENGTH = MAX_IMAGE_BYTES + 1024 * 1024
    PRODUCTS_PER_PAGE = env_int("PRODUCTS_PER_PAGE", 24)
    # The list's price facet: band limits in whole units of SHOP_CURRENCY ("20,50,100":
    # under 20, 20-50, 50-100, over 100; a forint shop might say "5000,20000,50000").
    PRICE_BANDS = tuple(int(part) for part in env("PRICE_BANDS", "20,50,100").split(",")
                        if part.strip().isdigit())
    LOW_STOCK_THRESHOLD = env_int("LOW_STOCK_THRESHOLD", 5)
    # The password `flask seed-demo` gives the demo staff account when it creates it
    # (published in the README: the command refuses to run in production).
    DEMO_STAFF_PASSWORD = env("DEMO_STAFF_PASSWORD", "staff-demo-password")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session


    @classmethod
    def check(cls):
        """Refuse settings that would let anyone mark an order paid, or that name no
        place for product images."""
        if cls.MEDIA_STORAGE not in ("files", "database"):
            raise RuntimeError(
                f"MEDIA_STORAGE={cls.MEDIA_STORAGE!r} is not a place for product images: "
                "use files (under UPLOAD_DIR) or database.")
        if env("STRIPE_SECRET_KEY") and env("STRIPE_SANDBOX") == "1":
            raise RuntimeError(
                "STRIPE_SANDBOX=1 and STRIPE_SECRET_KEY are both set: unset STRIPE_SANDBOX to "
                "take real payments, or STRIPE_SECRET_KEY to run the demo sandbox.")
        if env("STRIPE_SECRET_KEY") and env("STRIPE_WEBHOOK_SECRET") in (None, SANDBOX_WEBHOOK_SECRET):
            raise RuntimeError(
                "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: set it to the "
                "signing secret of your Stripe webhook endpoint (whsec_...). Without it "
                "anyone could post a forged payment event.")


class DevelopmentConfig(Config):
    pass


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = env("SECRET_KEY", "testing-not-secret")
    SQLALCHEMY_DATABASE_URI = database_url(
        env("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/webshop_test")
    )
    REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/13")
    CACHE_KEY_PREFIX = "webshop-test:"
    METRICS_CACHE_SECONDS = 0  # a scrape shows what the test just did
    # Nothing listens here: webhooks of tests without a live server fail fast. The
    # live_server fixture points BASE_URL at itself.
    BASE_URL = "http://127.0.0.1:9"
    STRIPE_SANDBOX = True
    STRIPE_SANDBOX_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4)
    STRIPE_SANDBOX_WEBHOOK_TIMEOUT = 5
    STRIPE_SANDBOX_ASYNC_DELAY = 0.2
    # Fast password hashing for tests only; production keeps argon2's defaults.
    PASSWORD_HASH_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    # Tests place many unpaid orders as one shopper; the cap's own tests set it.
    MAX_PENDING_ORDERS = 0
    # Every test sees each catalogue change at once, even one made through another
    # process or by emptying the database; the version's own tests turn the copy on.
    CATALOGUE_VERSION_TTL = 0


class ProductionConfig(Config):
    ENV_NAME = "production"
    LOG_FORMAT = env("LOG_FORMAT", "json")
    REQUIRED = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "BASE_URL")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SQLALCHEMY_ENGINE_OPTIONS = {**Config.SQLALCHEMY_ENGINE_OPTIONS,
                                 "pool_size": 10, "max_overflow": 5}

    @classmethod
    def check(cls):
        missing = [name for name in cls.REQUIRED if not env(name)]
        if missing:
            raise RuntimeError(
                "Production configuration is incomplete: set "
                + ", ".join(missing)
                + " in the environment (WEBSHOP_ENV=production)."
            )
        if not env("STRIPE_SECRET_KEY") and env("STRIPE_SANDBOX") != "1":
            raise RuntimeError(
                "Production takes real payments: set STRIPE_SECRET_KEY and "
                "STRIPE_WEBHOOK_SECRET (WEBSHOP_ENV=production). To run a demo shop that "
                "takes no real money, set STRIPE_SANDBOX=1 instead; every page then says so.")
        super().check()


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name=None):
    name = (name or env("WEBSHOP_ENV", "development")).lower()
    try:
        config = CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"WEBSHOP_ENV={name!r} is not one of {', '.join(CONFIGS)}."
        ) from None
    if hasattr(config, "check"):
        config.check()
    return config
