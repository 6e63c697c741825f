"""Facets on product lists: price bands, "in stock only" and option values (Size: S M L),
each with the number of products it would list together with the shopper's other choices.

A shopper's choice (`Selection`, read from the query string by `selection_from`) narrows a
list by its variants: a product is listed when one of its variants matches every chosen
facet at once (a size M that is in stock and costs 20-50). Within a facet the chosen
values are alternatives (M or L), across facets all must hold. The query string:
`price=<band>` (repeated; `under-20`, `20-50`, `50-100`, `over-100` with the default
PRICE_BANDS), `in_stock=1`, `opt=<option>:<value>` (repeated, e.g. `opt=Size:M`).
Unknown or malformed values are ignored, as an old link's unknown sort is.

Counts are classic faceted search: each value is counted with the choices of the other
facets, not its own (ticking M leaves L's count as it was). One query (three GROUP BYs,
UNION ALL) answers every count and also lists the values the unnarrowed list has, so a
value the other choices rule out is shown with 0 rather than vanishing.

Caching: the counts, and lists narrowed by any facet, read single variants' stock (a
size M in stock): they are cached under catalog.AVAILABILITY as well (`stock_key`), whose
version is replaced whenever a variant sells out or comes back. An unnarrowed list's
"in stock" count is the number of products not sold out, which the catalogue version
already follows.
"""
import functools
import hashlib
import json
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import String, and_, case, cast, distinct, exists, func, literal_column, or_
from sqlalchemy import select, true, union_all

from webshop import catalog
from webshop.extensions import db
from webshop.models import Product, ProductVariant
from webshop.money import exponent

MAX_CHOSEN = 20  # values a query string may choose; the rest are ignored
MAX_TEXT = 100  # characters of an option's name or value
MAX_OPTION_GROUPS = 6  # options shown, and values per option (chosen ones always are)
MAX_OPTION_VALUES = 30
TRUE_WORDS = ("1", "on", "true", "yes")


@dataclass(frozen=True)
class Band:
    """A price band in minor units: low <= price < high (None: unbounded)."""

    key: str
    low: int | None
    high: int | None

    def holds(self, price):
        """The band as a condition on a price column (integer literals: PostgreSQL must
        see the same SQL in a CASE in SELECT and in GROUP BY)."""
        parts = []
        if self.low is not None:
            parts.append(price >= literal_column(str(int(self.low))))
        if self.high is not None:
            parts.append(price < literal_column(str(int(self.high))))
        return and_(*parts)


@functools.lru_cache(maxsize=16)
def _bands(limits, currency):
    scale = 10 ** exponent(currency)
    edges = sorted(set(int(limit) for limit in limits if int(limit) > 0))
    bands = []
    for low, high in zip([None, *edges], [*edges, None]):
        key = (f"under-{high}" if low is None else f"over-{low}" if high is None
               else f"{low}-{high}")
        bands.append(Band(key, low and low * scale, high and high * scale))
    return tuple(bands)


def price_bands():
    """The shop's price bands: PRICE_BANDS' limits in whole units of SHOP_CURRENCY."""
    config = current_app.config
    return _bands(tuple(config["PRICE_BANDS"]), config["SHOP_CURRENCY"])


@dataclass(frozen=True)
class Selection:
    """The facets a shopper chose, normalised: the same choice is one cache key however
    the query string ordered it."""

    prices: tuple = ()  # band keys, in band order
    in_stock: bool = False
    options: tuple = ()  # sorted (option name, value) pairs

    def __bool__(self):
        return bool(self.prices or self.in_stock or self.options)

    @property
    def key(self):
        """A digest of the choice as JSON: names and values may hold any character, so
        joining them with separators would let one value (`Red|Size=M`) that matches
        nothing share the cache entry of two that do, and empty a list for everyone."""
        chosen = json.dumps([self.prices, self.in_stock, self.options])
        return hashlib.blake2s(chosen.encode(), digest_size=16).hexdigest()

    def query_args(self):
        """The query string arguments that ask for this choice (url_for's keywords)."""
        return {"price": list(self.prices) or None, "in_stock": "1" if self.in_stock else None,
                "opt": [f"{name}:{value}" for name, value in self.options] or None}

    def chosen_options(self):
        """{option name: (values chosen)}."""
        chosen = {}
        for name, value in self.options:
            chosen[name] = chosen.get(name, ()) + (value,)
        return chosen

    def without(self, kind, value=None):
        """This choice less one value ('price', key), ('in_stock',), ('opt', (name, value))."""
        if kind == "price":
            return replace(self, prices=tuple(p for p in self.prices if p != value))
        if kind == "in_stock":
            return replace(self, in_stock=False)
        return replace(self, options=tuple(o for o in self.options if o != value))


def selection_from(args, bands):
    """The facets a query string (a MultiDict) chooses, among `bands`."""
    asked = set(args.getlist("price")[:MAX_CHOSEN])
    prices = tuple(band.key for band in bands if band.key in asked)
    in_stock = (args.get("in_stock") or "").strip().lower() in TRUE_WORDS
    options = set()
    for raw in args.getlist("opt")[:MAX_CHOSEN]:
        name, colon, value = raw.partition(":")
        name, value = name.strip()[:MAX_TEXT], value.strip()[:MAX_TEXT]
        if colon and name and value:
            options.add((name, value))
    return Selection(prices, in_stock, tuple(sorted(options)))


# --- the queries ---------------------------------------------------------------------

def _option_pairs():
    """A variant's option values as rows (key, value): a table-valued function."""
    function = (func.json_each_text if db.session.get_bind().dialect.name == "postgresql"
                else func.json_each)
    return function(ProductVariant.option_values).table_valued("key", "value")


def _conditions(selection, bands):
    """{facet: condition on a variant} for each chosen facet; an option's facet is
    ("opt", name)."""
    conditions = {}
    if selection.prices:
        conditions["price"] = or_(*(band.holds(ProductVariant.price) for band in bands
                                    if band.key in selection.prices))
    if selection.in_stock:
        conditions["in_stock"] = ProductVariant.stock > 0
    for name, values in selection.chosen_options().items():
        pairs = _option_pairs()
        conditions[("opt", name)] = exists(
            select(literal_column("1")).select_from(pairs)
            .where(pairs.c.key == name, cast(pairs.c.value, String).in_(values))
        )
    return conditions


def product_filter(selection, bands):
    """The WHERE clauses on Product that list only what `selection` chose (none for no
    choice): one of its variants matches every chosen facet."""
    conditions = _conditions(selection, bands)
    if not conditions:
        return []
    return [exists(select(ProductVariant.id).where(
        ProductVariant.product_id == Product.id, *conditions.values()))]


def _all_but(conditions, facet):
    return and_(true(), *(c for f, c in conditions.items() if f != facet))


def _counted(condition):
    return func.count(distinct(case((condition, Product.id))))


def count_rows(q, category_id, selection, bands):
    """[(facet, name, value, count, rank)] for the list of `q` in `category_id`: a row for
    every price band, option value and "in stock" its products have, counted with the
    other chosen facets. One query."""
    base, _ = catalog.list_filters(q, category_id)
    conditions = _conditions(selection, bands)
    variants = ProductVariant

    def rows(*columns):
        return (select(*columns).select_from(Product)
                .join(variants, variants.product_id == Product.id).where(*base))

    band = case(*((b.holds(variants.price), literal_column(f"'{b.key}'")) for b in bands))
    prices = rows(literal_column("'price'").label("facet"), band.label("name"),
                  literal_column("''").label("value"),
                  _counted(_all_but(conditions, "price")).label("count"),
                  literal_column("0").label("rank")).group_by(band)
    stock = rows(literal_column("'in_stock'"), literal_column("''"), literal_column("''"),
                 _counted(and_(variants.stock > 0, _all_but(conditions, "in_stock"))),
                 literal_column("0"))
    pairs = _option_pairs()
    value = cast(pairs.c.value, String)
    # An option's row is counted with every chosen facet but its own option's.
    others = and_(true(), *(or_(pairs.c.key == facet[1], condition)
                            if isinstance(facet, tuple) else condition
                            for facet, condition in conditions.items()))
    options = (rows(literal_column("'opt'"), pairs.c.key, value, _counted(others),
                    func.avg(variants.position))
               .join(pairs, true()).group_by(pairs.c.key, value))
    found = db.session.execute(union_all(prices, stock, options))
    return [(r[0], r[1], r[2], int(r[3]), float(r[4] or 0)) for r in found]


def stock_key(selection):
    """The `product` a cache entry of this choice is kept under: a narrowed list reads
    single variants' stock (see the module's docstring)."""
    return catalog.AVAILABILITY if selection else None


def counts(q, category_id, selection, bands):
    """count_rows through the catalogue cache (per normalised search words and choice)."""
    terms = " ".join(catalog.search_terms(q))
    shape = ",".join(band.key for band in bands)
    return catalog.cached(("facets", terms, category_id, selection.key, shape),
                          lambda: count_rows(q, category_id, selection, bands),
                          product=stock_key(selection))


# --- what the page shows -----------------------------------------------------------

@dataclass(frozen=True)
class FacetValue:
    """One checkbox: its field and value, what it reads (`label`, or the `band` the
    template writes as money), how many products it would list, whether it is ticked."""

    field: str
    value: str
    label: str
    band: Band | None
    count: int
    chosen: bool

    @property
    def id(self):
        """Stable across answers, so the focus survives htmx swapping the panel."""
        digest = hashlib.blake2s(f"{self.field}\0{self.value}".encode(), digest_size=5)
        return f"facet-{digest.hexdigest()}"

    @property
    def disabled(self):
        return not self.count and not self.chosen


@dataclass(frozen=True)
class FacetGroup:
    kind: str  # price | in_stock | opt
    name: str  # the option's name; '' for the others
    values: tuple


def groups(rows, selection, bands):
    """The facet panel: price bands (in order), "in stock", then each option (by name)
    with its values (in the variants' usual order), each counted; values the list has
    but the other choices rule out have count 0, chosen values are always there."""
    prices, stock, options = {}, None, {}
    for facet, name, value, count, rank in rows:
        if facet == "price" and name:
            prices[name] = count
        elif facet == "in_stock":
            stock = count
        elif facet == "opt" and name and value:
            options.setdefault(name, {})[value] = (rank, count)
    found = []
    band_values = tuple(
        FacetValue("price", b.key, "", b, prices.get(b.key, 0), b.key in selection.prices)
        for b in bands if b.key in prices or b.key in selection.prices)
    if band_values:
        found.append(FacetGroup("price", "", band_values))
    if prices or selection.in_stock:
        found.append(FacetGroup("in_stock", "", (
            FacetValue("in_stock", "1", "", None, stock or 0, selection.in_stock),)))
    chosen = selection.chosen_options()
    for name, values in chosen.items():
        for value in values:
            options.setdefault(name, {}).setdefault(value, (float("inf"), 0))
    names = sorted(options, key=lambda n: (n not in chosen, n.casefold()))[:MAX_OPTION_GROUPS]
    for name in sorted(names, key=str.casefold):
        ordered = sorted(options[name].items(), key=lambda item: (item[1][0], item[0]))
        shown = [(v, c) for v, (_, c) in ordered
                 if (name, v) in selection.options][:MAX_CHOSEN]
        shown += [(v, c) for v, (_, c) in ordered
                  if (name, v) not in selection.options][:MAX_OPTION_VALUES]
        keep = {v for v, _ in shown}
        found.append(FacetGroup("opt", name, tuple(
            FacetValue("opt", f"{name}:{v}", v, None, c, (name, v) in selection.options)
            for v, (_, c) in ordered if v in keep)))
    return tuple(found)


@dataclass(frozen=True)
class Chip:
    """A chosen value shown above the results, with the choice that removes it."""

    kind: str
    name: str
    label: str
    band: Band | None
    remove: dict  # query_args without this value


def chips(selection, bands):
    by_key = {band.key: band for band in bands}
    found = [Chip("price", "", "", by_key[key], selection.without("price", key).query_args())
             for key in selection.prices]
    if selection.in_stock:
        found.append(Chip("in_stock", "", "", None, selection.without("in_stock").query_args()))
    found += [Chip("opt", name, value, None, selection.without("opt", (name, value)).query_args())
              for name, value in selection.options]
    return found


CLEARED = Selection().query_args()
