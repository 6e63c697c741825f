"""The catalogue domain: search, filters, sorting, pagination, stock states."""
import pytest

from tests.factories import make_category, make_product
from webshop import catalog


def names(page):
    return [card.name for card in page.items]


def test_search_finds_words_in_name_or_description_and_ranks_name_matches_first(db):
    make_product("Walnut Serving Board", description="Oiled hardwood, cut from a single plank.")
    make_product("Linen Tea Towel", description="Dries a walnut bowl or a wine glass without lint.")
    make_product("Steel Whisk", description="Balloon whisk for cream and eggs.")

    page, sort = catalog.list_products(q="walnut")

    assert sort == "relevance"
    assert names(page) == ["Walnut Serving Board", "Linen Tea Towel"]


def test_search_matches_word_prefixes_and_stems(db):
    make_product("Ceramic Mug", description="Holds 300 ml.")
    make_product("Cotton Shirt", description="Soft and breathable.")

    assert names(catalog.list_products(q="cera")[0]) == ["Ceramic Mug"]
    assert names(catalog.list_products(q="mugs")[0]) == ["Ceramic Mug"]
    assert names(catalog.list_products(q="ceramic shirt")[0]) == []


def test_search_ignores_punctuation_and_query_syntax(db):
    make_product("Ceramic Mug")
    page, _ = catalog.list_products(q="mug & | ! ( ) :* '")
    assert names(page) == ["Ceramic Mug"]


def test_category_filter_and_price_sort_combine(db):
    kitchen = make_category("Kitchen")
    garden = make_category("Garden")
    make_product("Pan", price=3000, category=kitchen)
    make_product("Pot", price=2000, category=kitchen)
    make_product("Spade", price=1000, category=garden)
    make_product("Kettle", price=4000, category=kitchen)

    ascending, _ = catalog.list_products(category_id=kitchen.id, sort="price_asc")
    descending, _ = catalog.list_products(category_id=kitchen.id, sort="price_desc")

    assert names(ascending) == ["Pot", "Pan", "Kettle"]
    assert names(descending) == ["Kettle", "Pan", "Pot"]


def test_price_sort_uses_the_cheapest_variant(db):
    make_product("Tee", option_names=["Size"], variants=[
        {"options": {"Size": "S"}, "price": 2500, "stock": 1},
        {"options": {"Size": "XL"}, "price": 900, "stock": 1},
    ])
    make_product("Cap", price=1500)

    page, _ = catalog.list_products(sort="price_asc")

    assert names(page) == ["Tee", "Cap"]
    tee = page.items[0]
    assert (tee.price_min, tee.price_max, tee.has_price_range) == (900, 2500, True)


def test_pagination_is_stable_and_bounded(db):
    for i in range(7):
        make_product(f"Item {i}", price=1000)  # equal prices: the id breaks ties

    pages = [catalog.list_products(sort="price_asc", page=n, per_page=3)[0] for n in (1, 2, 3)]

    seen = [name for page in pages for name in names(page)]
    assert len(seen) == len(set(seen)) == 7
    assert [p.pages for p in pages] == [3, 3, 3]
    assert (pages[0].has_prev, pages[0].has_next, pages[2].has_next) == (False, True, False)
    with pytest.raises(catalog.PageOutOfRange):
        catalog.list_products(page=4, per_page=3)


def test_an_empty_catalogue_has_one_empty_first_page(db):
    page, _ = catalog.list_products(page=1)
    assert (page.items, page.total, page.pages) == ([], 0, 1)


def test_inactive_products_are_hidden_everywhere(db):
    make_product("Old Lamp", active=False, featured=True)
    make_product("New Lamp")

    assert names(catalog.list_products(q="lamp")[0]) == ["New Lamp"]
    assert [c.name for c in catalog.featured_products()] == ["New Lamp"]
    hidden = db.session.scalar(db.select(catalog.Product).where(catalog.Product.name == "Old Lamp"))
    assert catalog.get_product(hidden.slug) is None


def test_stock_states(app, ctx):
    threshold = app.config["LOW_STOCK_THRESHOLD"]
    assert catalog.stock_state(0) == ("sold_out", "Sold out")
    assert catalog.stock_state(3) == ("low", "Only 3 left")
    assert catalog.stock_state(threshold + 1) == ("in_stock", "In stock")


def test_choose_variant_prefers_the_asked_one_then_the_first_in_stock(db):
    product = make_product("Tee", option_names=["Size"], variants=[
        {"options": {"Size": "S"}, "price": 2500, "stock": 0},
        {"options": {"Size": "M"}, "price": 2500, "stock": 4},
    ])
    small, medium = product.variants
    assert catalog.choose_variant(product) is medium
    assert catalog.choose_variant(product, small.id) is small
    assert catalog.choose_variant(product, 999999) is medium


def test_set_variant_price_refuses_non_integer_money(db):
    product = make_product("Mug", price=1200)
    with pytest.raises(ValueError):
        catalog.set_variant_price(product.variants[0].id, 12.5)
    with pytest.raises(ValueError):
        catalog.set_variant_price(product.variants[0].id, -1)
