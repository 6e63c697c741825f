"""What the benchmark measures against: the bench database, Redis db 14, the three cache
modes and the environment each gunicorn start gets, the targets and the noise thresholds."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

DB_NAME = "webshop_bench"  # the only database this script creates or drops
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DSN = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"
BENCH_ENV = {
    "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": "redis://127.0.0.1:6379/14",
    "WEBSHOP_ENV": "production",
    "SECRET_KEY": "bench",  # the same in every mode, so a session cookie stays valid
    "BASE_URL": "http://127.0.0.1:8000",  # production requires it; links only
    "STRIPE_SANDBOX": "1",  # production without a Stripe key: the built-in sandbox
}
# The mode variables are removed from the inherited environment, so a shell that
# happens to export one cannot change what a mode measures.
MODE_VARS = ("WEBSHOP_PAGE_CACHE", "WEBSHOP_CACHE_DISABLED", "CATALOGUE_VERSION_TTL")
CACHED, PAGE_OFF, NO_CACHE = "cached", "page-cache off", "no cache at all"
MODE_ENV = {
    CACHED: {},
    PAGE_OFF: {"WEBSHOP_PAGE_CACHE": "0"},
    # Each process also keeps what it rendered for as long as it trusts its copy of the
    # catalogue version (CATALOGUE_VERSION_TTL, 1 s): without a shared cache that copy is
    # its own, so the mode turns it off too, or it would measure that in-process copy.
    NO_CACHE: {"WEBSHOP_CACHE_DISABLED": "1", "CATALOGUE_VERSION_TTL": "0"},
}
# What create_app() must show for the mode to be real: (PAGE_CACHE, CACHE_TYPE).
MODE_EXPECT = {
    CACHED: (True, "RedisCache"),
    PAGE_OFF: (False, "RedisCache"),
    NO_CACHE: (None, "NullCache"),  # PAGE_CACHE does not matter without a cache
}

TARGET_CACHED_CATALOGUE = 3000  # req/s, /products, cached, returning browser
TARGET_UNCACHED_PRODUCT = 1200  # req/s, product page, page cache off, returning browser
TARGET_MAX_QUERIES = 5  # SQL statements per storefront page
NOISY_SPREAD = 0.10  # (best - worst) / median above this: the row is flagged
BUSY_BACKGROUND = 10.0  # % of the machine's CPU used by other processes during a run
BUSY_STEAL = 5.0  # % CPU stolen by the hypervisor during a run: flagged


def log(message):
    print(f"[bench] {message}", flush=True)


def bench_env(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in MODE_VARS}
    env.update(BENCH_ENV)
    env.update(extra or {})
    return env
