"""The catalogue cache: versioned keys, so a change makes old entries unreachable at once
and a shopper never sees a stale price or stock state.

Two versions, each a random token kept in the cache itself (a token, not a counter, so
that an evicted version key can never bring old entries back):

- the *catalogue version*, in every key. Any committed change to a category, product,
  image or variant (noticed by a session hook, or announced with `mark_changed`)
  replaces it, emptying the whole cache: staff edits, and a stock change that alters
  what a product list shows (see catalog.stock_changed);
- a *stock version per product* (by slug), in the keys of that product's page and its
  purchase fragment only. A stock change (an order placed, a reservation released, a
  refund or a delivery put back on the shelf) replaces only the versions of the products
  it touched (`stock_changed`), so an order no longer empties the catalogue cache;
  and the stock version of AVAILABILITY, replaced whenever a variant sells out or comes
  back, for what reads single variants' stock (lists narrowed by facets).

A cached product page costs one Redis round trip: both versions are read with one MGET.
Each process also keeps what it already fetched for the current catalogue version, so
the other pages cost one round trip (the version) instead of one per fragment.

And each process keeps the versions it read for CATALOGUE_VERSION_TTL seconds (1 s by
default; 0 reads them every request), so a cached page costs no round trip at all:
a change made by another process shows here within that bound; one made by this
process shows at once (it keeps the token it wrote).
"""
import time
import uuid
from itertools import chain

from flask import current_app, g
from sqlalchemy import event
from sqlalchemy.orm import Session

from webshop import i18n, metrics, safe_cache
from webshop.extensions import db
from webshop.models import Category, Product, ProductImage, ProductVariant

VERSION_KEY = "catalog:version"
STOCK_KEY = "catalog:stock:{}"  # a product's stock version, by slug
# Not a product (slugs have no colon): its stock version is replaced whenever any variant
# sells out or comes back (catalog.stock_changed). Lists narrowed by facets, and their
# counts, read single variants' stock and are cached under it (`product=AVAILABILITY`).
AVAILABILITY = ":availability"
# Entries holding rendered HTML count as the "page" cache, the rest as "data".
PAGE_KINDS = frozenset({"page", "results", "purchase", "nav"})
_CHANGED, _STOCK_CHANGED = "catalog_changed", "catalog_stock_changed"  # in Session.info


def _token():
    return uuid.uuid4().hex[:12]


def _versions(product=None):
    """(catalogue version, `product`'s stock version or None), in one round trip at most;
    the catalogue version is read once per request (or CLI/job context)."""
    version, stock = g.get("catalog_version"), None
    if product is None:
        if version is None:
            version, = _read(VERSION_KEY)
    else:
        key = STOCK_KEY.format(product)
        if version is None:
            version, stock = _read(VERSION_KEY, key)
        else:
            stock, = _read(key)
        if stock is None:
            stock = _write({key: _token()})[key]
    if version is None:
        version = _write({VERSION_KEY: _token()})[VERSION_KEY]
    g.catalog_version = version
    return version, stock


# This process's copy of the versions it read or wrote: {key: (token, read again after)}.
KNOWN_MAX_ENTRIES = 10_000


def _known():
    return current_app.extensions.setdefault("webshop.catalog_versions", {})


def _read(*keys):
    """These version keys' tokens: this process's copy while younger than
    CATALOGUE_VERSION_TTL, else one round trip (a failing cache: all None)."""
    ttl, now = current_app.config["CATALOGUE_VERSION_TTL"], time.monotonic()
    known = _known()
    if ttl > 0:
        copies = [known.get(key) for key in keys]
        if all(copy is not None and copy[1] > now for copy in copies):
            return [copy[0] for copy in copies]
    values = (safe_cache.call("get_many", *keys) or [None] * len(keys)) if keys else []
    if ttl > 0:
        if len(known) >= KNOWN_MAX_ENTRIES:
            known.clear()
        known.update((key, (value, now + ttl)) for key, value in zip(keys, values) if value)
    return values


def _write(tokens):
    """Store new tokens ({key: token}, one round trip); this process uses them at once."""
    safe_cache.call("set_many", tokens, 0)
    ttl = current_app.config["CATALOGUE_VERSION_TTL"]
    if ttl > 0:
        expires = time.monotonic() + ttl
        _known().update((key, (token, expires)) for key, token in tokens.items())
    return tokens


def bump_version():
    _write({VERSION_KEY: _token()})
    g.pop("catalog_version", None)


def bump_products(slugs):
    """Replace these products' stock versions (one round trip)."""
    if slugs:
        _write({STOCK_KEY.format(slug): _token() for slug in slugs})


# A new catalogue version drops the lot; the size bound keeps odd search strings from
# hoarding, and product pages of stock versions since replaced.
LOCAL_MAX_ENTRIES = 2000
_local = {"version": None, "entries": {}}


def cached(key_parts, load, product=None):
    """load() through the cache, under the current catalogue version (and, given a
    product's slug, under its stock version too). None is not cached."""
    global _local
    version, stock = _versions(product)
    local = _local
    if local["version"] != version:
        local = _local = {"version": version, "entries": {}}
    key = ":".join(str(p) for p in key_parts)
    if stock is not None:
        key = f"{key}:stock-{stock}"
    kind = "page" if key_parts[0] in PAGE_KINDS else "data"
    if kind == "page":  # rendered HTML is in one language
        key = f"{key}:lang-{i18n.cache_tag()}"
    value = local["entries"].get(key)
    if value is not None:
        metrics.CACHE_HIT[kind].inc()
        return value
    value = safe_cache.call("get", f"catalog:{version}:{key}")
    if value is None:
        metrics.CACHE_MISS[kind].inc()
        value = load()
        if value is None:
            return None
        safe_cache.call("set", f"catalog:{version}:{key}", value)
    else:
        metrics.CACHE_HIT[kind].inc()
    if len(local["entries"]) >= LOCAL_MAX_ENTRIES:
        local["entries"].clear()
    local["entries"][key] = value
    return value


# --- noticing changes -------------------------------------------------------------------

def mark_changed(session=None):
    """Announce a catalogue change the session hook cannot see (a bulk UPDATE): the whole
    catalogue version is replaced when the transaction commits."""
    (session or db.session).info[_CHANGED] = True


def mark_stock_changed(slugs, session=None):
    """Announce that these products' stock changed: their stock versions are replaced
    when the transaction commits (nothing if it rolls back)."""
    (session or db.session).info.setdefault(_STOCK_CHANGED, set()).update(slugs)


CATALOG_MODELS = (Category, Product, ProductImage, ProductVariant)


def _note_catalog_changes(session, flush_context, instances):
    changed = chain(session.new, session.deleted,
                    (o for o in session.dirty if session.is_modified(o)))
    if any(isinstance(obj, CATALOG_MODELS) for obj in changed):
        session.info[_CHANGED] = True


def _after_commit(session):
    slugs = session.info.pop(_STOCK_CHANGED, None)
    if session.info.pop(_CHANGED, False):
        bump_version()  # every key carries it: the product pages go too
    elif slugs:
        bump_products(slugs)


def _after_rollback(session):
    session.info.pop(_CHANGED, None)
    session.info.pop(_STOCK_CHANGED, None)


def init_app(app):
    if not event.contains(Session, "before_flush", _note_catalog_changes):
        event.listen(Session, "before_flush", _note_catalog_changes)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, t: _after_rollback(s))
