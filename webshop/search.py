"""Search that forgives: what the search box's words match, in which order, what to
suggest while the shopper types, and what they may have meant when nothing matched.

PostgreSQL: the weighted full-text document (prefix matching, English stemming) ranks
first; pg_trgm's similarity on names catches typos ("stonware mugg" finds Stoneware
Mug). Both are answered from GIN indexes (ix_product_search, ix_product_name_trgm).
SQLite (the embedded mode): the FTS5 table of migration 0011, porter-stemmed, every
word a prefix ("mugs" and "mu" both find Mug). Typos are forgiven with the vocabulary of
the active products' name words (`name_words`, cached per catalogue version): a word
of 4 letters or more may be one edit away from a name's word (two from 8 letters on:
insert, delete, replace or swap two letters), and such a word is searched beside the
typed prefix ("cofee" finds Coffee); plain matches rank before corrected ones. "Did you
mean" takes each word's closest name word from the same vocabulary (difflib), so "mgu",
too short to be corrected in the search, is offered as "mug".
"""
import difflib
import re

from sqlalchemy import and_, column, func, literal_column, or_, select, table, text

from webshop.catalog_cache import cached
from webshop.extensions import db
from webshop.models import Product
from webshop.models.catalog import product_search_document

MAX_QUERY_WORDS = 8
MAX_SUGGESTIONS = 8
MAX_SUGGESTED_CATEGORIES = 3
# Below this trigram similarity a word is no correction of the shopper's word.
DID_YOU_MEAN_SIMILARITY = 0.3
# SQLite: how many of a word's near name words are searched beside it, and difflib's
# least ratio for "did you mean" (0.6: "ceramik" -> ceramic, "mgu" -> mug).
MAX_CORRECTIONS = 5
DID_YOU_MEAN_RATIO = 0.6
FTS_TABLE = "product_fts"
_fts = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))


def search_terms(q):
    """The words of a search box entry, as the database should see them."""
    return re.findall(r"\w+", (q or "").lower())[:MAX_QUERY_WORDS]


def not_search_index_table(name, type_, parent_names):
    """For Alembic's comparison: SQLite's FTS5 table and its shadow tables are the
    migration's, not the models'."""
    return not (type_ == "table" and name.startswith(FTS_TABLE))


def _postgresql():
    return db.session.get_bind().dialect.name == "postgresql"


def search_filter(terms):
    """(where-clause, [ORDER BY expressions, best first]) for the search words."""
    if _postgresql():
        english = literal_column("'english'")
        document = product_search_document(Product.name, Product.description)

        def query(op, words):
            return func.to_tsquery(english, f" {op} ".join(f"{t}:*" for t in words))

        # Every word: a prefix of a (stemmed) word of the text, or close to a name's word.
        forgiving = and_(*[
            or_(document.op("@@")(query("&", [t])), Product.name.op("%>")(t),
                Product.name.op("%")(t))
            for t in terms
        ])
        # The plain full-text match first: it drops stop words ("mug for tea").
        match = or_(document.op("@@")(query("&", terms)), forgiving)
        order = [func.ts_rank(document, query("|", terms)).desc(),
                 func.word_similarity(" ".join(terms), Product.name).desc()]
        return match, order
    return _fts_filter(terms)


def _fts_match(pattern):
    return _fts.c[FTS_TABLE].op("MATCH")(pattern)


def _fts_filter(terms):
    """SQLite: every word a prefix of a (stemmed) word of the text, or one of the name
    words it is a typo of. Only word characters reach the pattern (search_terms), each
    quoted, so no FTS5 query syntax gets through."""
    words = name_words()
    groups, corrected = [], False
    for term in terms:
        near = [f'"{w}"' for w in corrections(term, words)]
        corrected = corrected or bool(near)
        groups.append(f'("{term}"* OR {" OR ".join(near)})' if near else f'"{term}"*')
    pattern = " AND ".join(groups)
    matching = select(_fts.c.rowid).where(_fts_match(pattern))
    # bm25 is lower for better matches; name words weigh ten times description words.
    rank = (
        select(func.bm25(literal_column(FTS_TABLE), 10.0, 1.0))
        .where(_fts_match(pattern), _fts.c.rowid == Product.id)
        .correlate(Product).scalar_subquery()
    )
    order = [rank.asc()]
    if corrected:  # what the shopper typed first, then what their typos may have meant
        exact = " AND ".join(f'"{t}"*' for t in terms)
        order.insert(0, Product.id.in_(select(_fts.c.rowid).where(_fts_match(exact))).desc())
    return Product.id.in_(matching), order


def name_words():
    """The distinct lower-case words of the active products' names, sorted: the
    vocabulary SQLite's typo tolerance and "did you mean" correct to. One query per
    catalogue version (a name, an activation: a new version)."""
    def load():
        names = db.session.scalars(select(Product.name).where(Product.active.is_(True)))
        return sorted({w for name in names for w in search_terms(name)})

    return cached(("search-words",), load)


def typos_allowed(term):
    """How many edits a typed word may be from the word meant: none below 4 letters
    (too many short words are one letter apart), one from 4, two from 8."""
    return 0 if len(term) < 4 else 1 if len(term) < 8 else 2


def corrections(term, words):
    """The name words (at most MAX_CORRECTIONS, nearest first) within typos_allowed of
    `term`, leaving out those its prefix match finds anyway."""
    most = typos_allowed(term)
    if not most:
        return []
    near = []
    for word in words:
        if abs(len(word) - len(term)) > most or word.startswith(term):
            continue
        distance = edit_distance(term, word, most)
        if distance <= most:
            near.append((distance, word))
    return [word for _, word in sorted(near)[:MAX_CORRECTIONS]]


def edit_distance(a, b, most):
    """The optimal string alignment distance of a and b (insertions, deletions,
    substitutions, swaps of neighbours), or most + 1 once it is certain to exceed most."""
    before, row = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if (before is not None and j > 1 and a[i - 1] == b[j - 2]
                    and a[i - 2] == b[j - 1]):
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > most:
            return most + 1
        before, row = row, current
    return row[-1]


def suggestions(q, categories):
    """What to offer under the search box: at most MAX_SUGGESTIONS dicts {kind
    ('category' or 'product'), slug, name}, categories first. Cached per normalised
    query under the catalogue version; one query on a miss, none for no words."""
    terms = search_terms(q)
    if not terms:
        return []
    found = [
        {"kind": "category", "slug": c["slug"], "name": c["name"]}
        for c in categories if _words_start_with(c["name"], terms)
    ][:MAX_SUGGESTED_CATEGORIES]

    def load():
        match, order = search_filter(terms)
        rows = db.session.execute(
            select(Product.slug, Product.name).where(Product.active.is_(True), match)
            .order_by(*order, Product.id.desc()).limit(MAX_SUGGESTIONS)
        )
        return [{"kind": "product", "slug": r.slug, "name": r.name} for r in rows]

    products = cached(("suggestions", " ".join(terms)), load)
    return (found + products)[:MAX_SUGGESTIONS]


def _words_start_with(name, terms):
    words = search_terms(name)
    return all(any(w.startswith(t) for w in words) for t in terms)


def did_you_mean(q):
    """For a search that found nothing: the shopper's words with each replaced by the
    closest word of an active product's name, or None when no word is close enough
    or nothing would change. One query (on SQLite none once the vocabulary is cached;
    a word that starts a name word stays as typed)."""
    terms = search_terms(q)
    if not terms:
        return None
    if _postgresql():
        rows = db.session.execute(text(
            "WITH words AS (SELECT DISTINCT lower(w) AS w FROM product, "
            r"regexp_split_to_table(product.name, '\W+') AS w "
            "WHERE product.active AND w <> '') "
            "SELECT t.term, best.w FROM unnest(CAST(:terms AS text[])) WITH ORDINALITY "
            "AS t(term, n) LEFT JOIN LATERAL (SELECT w FROM words "
            "WHERE similarity(w, t.term) >= :least "
            "ORDER BY similarity(w, t.term) DESC, w LIMIT 1) best ON true ORDER BY t.n"
        ), {"terms": terms, "least": DID_YOU_MEAN_SIMILARITY})
        better = [best or term for term, best in rows]
    else:
        words = name_words()
        better = [
            t if any(w.startswith(t) for w in words)
            else next(iter(difflib.get_close_matches(t, words, n=1, cutoff=DID_YOU_MEAN_RATIO)), t)
            for t in terms
        ]
    return " ".join(better) if better != terms else None
