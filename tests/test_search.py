"""Search that forgives: typos, plurals and partial words on PostgreSQL (full text and
pg_trgm) and on SQLite (FTS5, porter stemmer), live suggestions, "did you mean"."""
import pytest

from tests.factories import make_category, make_product
from tests.helpers import HX
from webshop import catalog, search
from webshop.extensions import db as _db


def names(q):
    return [card.name for card in catalog.list_products(q=q)[0].items]


def test_typos_plurals_and_partial_words_find_products(db):
    make_product("Stoneware Mug", description="Glazed by hand.")
    make_product("Enamel Camping Mugs", description="Set of four.")
    make_product("Merino Wool Throw Blanket", description="Warm and soft.")

    assert names("stonware mugg")[0] == "Stoneware Mug"  # two typos
    assert set(names("mug")) == {"Stoneware Mug", "Enamel Camping Mugs"}  # "mug" finds mugs
    assert set(names("mugs")) == {"Stoneware Mug", "Enamel Camping Mugs"}
    assert names("ston") == ["Stoneware Mug"]  # a word still being typed
    assert names("merino blankets") == ["Merino Wool Throw Blanket"]
    assert names("xylophone") == []


def test_full_text_matches_rank_before_near_misses(db):
    make_product("Mug Tree", description="Hangs six cups.")
    make_product("Muggins Board Game", description="For four players.")
    make_product("Mud Kitchen Toy", description="For the garden.")

    # "mugg" is the start of Muggins (full text) and one letter off Mug (trigrams).
    assert names("mugg") == ["Muggins Board Game", "Mug Tree"]


def test_did_you_mean_links_the_closest_name_words_when_nothing_matched(client, db):
    make_product("Merino Wool Throw Blanket")

    html = client.get("/products?q=merino+blnket").get_data(as_text=True)

    assert "No products found" in html
    assert 'class="did-you-mean">merino blanket</a>' in html
    assert "/products?q=merino+blanket" in html
    assert "Merino Wool Throw Blanket" in client.get("/products?q=merino+blanket").get_data(
        as_text=True)
    # Something found, or nothing close: no "did you mean".
    assert "did-you-mean" not in client.get("/products?q=merino").get_data(as_text=True)
    assert "did-you-mean" not in client.get("/products?q=zzzzqqq").get_data(as_text=True)


def test_the_results_fragment_shows_the_search_as_typed(client, db):
    # "MUG!!" and "mug" are the same search words, but the fragment repeats what was typed.
    make_product("Teapot")
    for q in ("MUG!!", "mug"):
        html = client.get(f"/products?q={q}", headers={**HX, "HX-Target": "results"}).get_data(
            as_text=True)
        assert f"No products found for “{q}”" in html, q


def test_suggestions_fragment_lists_categories_then_products(client, db):
    mugs = make_category("Mugs and Cups")
    for i in range(12):
        make_product(f"Mug {i}", category=mugs)
    make_product("Linen Towel")

    response = client.get("/search/suggestions?q=mug", headers=HX)
    html = response.get_data(as_text=True)

    assert response.status_code == 200 and "<html" not in html
    options = html.count('role="option"')
    assert options == search.MAX_SUGGESTIONS + 1  # at most 8, and "All results"
    assert html.index("/categories/mugs-and-cups") < html.index("/products/mug-")
    assert "Linen Towel" not in html
    assert "/products?q=mug" in html  # all results
    assert client.get("/search/suggestions?q=", headers=HX).get_data(as_text=True).strip() == ""


def test_suggestions_without_js_are_a_page_of_links(client, db):
    make_product("Stoneware Mug")

    html = client.get("/search/suggestions?q=stonware").get_data(as_text=True)

    assert "<html" in html and "Stoneware Mug" in html
    assert 'href="/products/stoneware-mug-' in html
    empty = client.get("/search/suggestions?q=zzzzqqq").get_data(as_text=True)
    assert "No suggestions" in empty


def test_the_header_search_box_is_a_combobox_that_asks_for_suggestions(client, db):
    html = client.get("/").get_data(as_text=True)

    assert 'role="combobox"' in html and 'aria-controls="search-suggestions"' in html
    assert 'hx-get="/search/suggestions"' in html
    assert 'hx-trigger="input changed delay:300ms, search"' in html
    assert 'id="search-suggestions"' in html and 'role="listbox"' in html


def test_suggestions_and_searches_stay_within_the_query_budget(client, db, count_queries):
    make_product("Stoneware Mug")
    urls = ["/search/suggestions?q=stonware", "/products?q=stonware+mugg", "/products?q=blnkt"]
    for url in urls:
        client.get(url, headers=HX)
        client.get(url)

    with count_queries() as q:
        for url in urls:
            assert client.get(url, headers=HX).status_code == 200
            assert client.get(url).status_code == 200

    assert q.count == 0, q.statements
    # The same query typed differently is one cache entry.
    with count_queries() as q:
        client.get("/search/suggestions?q=  STONWARE ", headers=HX)
    assert q.count == 0, q.statements


def test_suggestions_follow_catalogue_edits(client, db):
    product = make_product("Stoneware Mug")
    assert "Stoneware Mug" in client.get("/search/suggestions?q=ston", headers=HX).get_data(
        as_text=True)

    product.active = False
    catalog.mark_changed()
    _db.session.commit()

    assert "Stoneware Mug" not in client.get("/search/suggestions?q=ston", headers=HX).get_data(
        as_text=True)


@pytest.fixture
def sqlite_db(sqlite_app):
    assert sqlite_app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    with sqlite_app.app_context():
        yield _db
        _db.session.remove()
        _db.engine.dispose()


def test_sqlite_uses_fts5_with_stemming_and_prefixes(sqlite_db):
    make_product("Ceramic Mug", description="Holds 300 ml.")
    make_product("Cotton Shirts", description="Soft and breathable.")
    walnut = make_product("Walnut Board", description="Oiled hardwood.")

    assert names("mugs") == ["Ceramic Mug"]  # stemmed: mugs -> mug
    assert names("shirt") == ["Cotton Shirts"]
    assert names("cera") == ["Ceramic Mug"]  # prefix
    assert names("hardwood") == ["Walnut Board"]  # description
    assert names("ceramic shirt") == []
    assert names("mug & | ! ( ) :* ' \"") == ["Ceramic Mug"]  # no query syntax gets through

    # The FTS table follows the product table (triggers): renames and deletes.
    walnut.name = "Oak Board"
    sqlite_db.session.commit()
    assert names("walnut") == [] and names("oak") == ["Oak Board"]
    sqlite_db.session.delete(walnut)
    sqlite_db.session.commit()
    assert names("oak") == []


def test_sqlite_suggestions_and_did_you_mean(sqlite_app, sqlite_db):
    make_product("Ceramic Mug")
    client = sqlite_app.test_client()

    assert "Ceramic Mug" in client.get("/search/suggestions?q=mugs", headers=HX).get_data(
        as_text=True)
    html = client.get("/products?q=ceramik").get_data(as_text=True)
    assert "Ceramic Mug" in html and "did-you-mean" not in html  # the typo is forgiven


def test_sqlite_forgives_typos_with_the_name_words(sqlite_db):
    make_product("Ethiopia Coffee Beans", description="Floral and bright.")
    make_product("Stoneware Mug", description="Glazed by hand.")
    make_product("Enamel Camping Mugs")
    make_product("Merino Wool Throw Blanket")
    make_product("Muggins Board Game")
    make_product("Mud Kitchen Toy")

    assert names("cofee") == ["Ethiopia Coffee Beans"]  # one letter missing
    assert names("cofefe beans") == ["Ethiopia Coffee Beans"]  # two letters swapped
    assert names("stonware mugg")[0] == "Stoneware Mug"  # a typo in each word
    assert names("merino blnket") == ["Merino Wool Throw Blanket"]
    assert names("blankte") == ["Merino Wool Throw Blanket"]
    # What was typed (the start of Muggins) ranks before what it may have meant.
    assert names("mugg")[0] == "Muggins Board Game"
    assert set(names("mugg")) == {"Muggins Board Game", "Stoneware Mug", "Enamel Camping Mugs"}
    assert names("mgu") == []  # three letters: too short to guess at
    assert names("xylophone") == []


def test_sqlite_did_you_mean_offers_the_closest_name_word(sqlite_app, sqlite_db):
    make_product("Stoneware Mug")
    make_product("Merino Wool Throw Blanket")
    client = sqlite_app.test_client()

    html = client.get("/products?q=mgu").get_data(as_text=True)
    assert "No products found" in html
    assert 'class="did-you-mean">mug</a>' in html
    # A word that starts a name word is kept as typed; the other is corrected.
    assert search.did_you_mean("meri xqzvw") is None
    assert search.did_you_mean("ston mgu") == "ston mug"
    assert "did-you-mean" not in client.get("/products?q=zzzzqqq").get_data(as_text=True)


def test_sqlite_vocabulary_is_read_once_per_catalogue_version(sqlite_app, sqlite_db):
    product = make_product("Stoneware Mug")
    client = sqlite_app.test_client()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    from sqlalchemy import event
    event.listen(sqlite_db.engine, "before_cursor_execute", count)
    try:
        client.get("/products?q=stonware")
        client.get("/products?q=mugg")
        assert sum("product.name" in s and "product_fts" not in s for s in statements) == 1
        assert "Stoneware Mug" in client.get("/search/suggestions?q=stonewre",
                                             headers=HX).get_data(as_text=True)

        product.name = "Porcelain Mug"  # a catalogue edit: a new vocabulary
        sqlite_db.session.commit()
        assert "Porcelain Mug" in client.get("/products?q=porcelian").get_data(as_text=True)
        assert "Porcelain Mug" not in client.get("/products?q=stonware").get_data(as_text=True)
    finally:
        event.remove(sqlite_db.engine, "before_cursor_execute", count)
