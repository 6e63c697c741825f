"""Finding and arranging the catalogue in the admin: the product list (search, filters,
sort, pages, query budget) and categories (create, rename, reorder, delete)."""
from sqlalchemy import select

from tests.catalogue_helpers import audit, field_error, forget_session
from tests.factories import make_category, make_product
from webshop.models import Category


# --- the product list ---------------------------------------------------------------------

def test_the_list_searches_filters_and_sorts(client, db, staff_token):
    kitchen = make_category("Kitchen")
    make_product("Teapot", price=3000, stock=50, category=kitchen)
    low = make_product("Tea Cup", price=900, stock=2, category=kitchen)
    make_product("Teaspoon", price=400, stock=0)
    make_product("Garden Hose", price=2000, stock=9)

    html = client.get("/admin/products?q=tea&sort=price").get_data(as_text=True)
    assert "3 products" in html and "Garden Hose" not in html
    assert html.index("Teaspoon") < html.index("Tea Cup") < html.index("Teapot")
    assert f'<tr id="product-{low.id}" class="low-stock"' in html

    html = client.get(f"/admin/products?category={kitchen.id}&stock=low").get_data(as_text=True)
    assert "1 product" in html and "Tea Cup" in html and "Teapot" not in html

    html = client.get("/admin/products?stock=sold_out").get_data(as_text=True)
    assert "Teaspoon" in html and "Tea Cup" not in html

    html = client.get(f"/admin/products?q={low.variants[0].sku}").get_data(as_text=True)
    assert "1 product" in html and "Tea Cup" in html


def test_the_list_search_answers_htmx_with_the_results_only(client, db, staff_token):
    make_product("Teapot")

    response = client.get("/admin/products?q=tea",
                          headers={"HX-Request": "true", "HX-Target": "product-results"})

    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="product-results"') and "Teapot" in html
    assert "<nav" not in html.split('<nav class="pagination"')[0]  # no admin layout


def test_the_list_pages_with_stable_urls(client, db, staff_token):
    for i in range(55):
        make_product(f"Mug {i:02d}")

    page2 = client.get("/admin/products?sort=name&page=2").get_data(as_text=True)

    assert "Mug 50" in page2 and "Mug 49" not in page2
    assert 'href="/admin/products?page=1&amp;sort=name"' in page2 or \
        'href="/admin/products?sort=name&amp;page=1"' in page2
    assert client.get("/admin/products?page=abc").status_code == 400
    assert client.get("/admin/products?page=9").status_code == 404


def test_the_list_query_budget_does_not_grow_with_the_rows(client, db, staff_token, count_queries):
    kitchen = make_category("Kitchen")

    def add(n):
        for i in range(n):
            make_product(f"Tee {i}", category=kitchen, image="products/x.webp",
                         option_names=["Size"],
                         variants=[{"options": {"Size": s}, "price": 1000 + i, "stock": i}
                                   for s in ("S", "M", "L")])

    counts = []
    for n in (5, 35):
        add(n)
        with count_queries() as q:
            assert client.get("/admin/products").status_code == 200
        counts.append(q.count)

    assert counts[0] == counts[1] <= 6, counts


# --- categories -----------------------------------------------------------------------

def category_names(db):
    forget_session(db)
    return db.session.scalars(select(Category.name).order_by(Category.position, Category.name)).all()


def test_staff_create_rename_and_reorder_categories(client, db, staff_token):
    for name in ("Kitchen", "Garden"):
        response = client.post("/admin/categories", data={"csrf_token": staff_token, "name": name})
        assert response.status_code == 303
    garden = db.session.scalar(select(Category).where(Category.slug == "garden"))
    assert category_names(db) == ["Kitchen", "Garden"]

    response = client.post(f"/admin/categories/{garden.id}",
                           data={"csrf_token": staff_token, f"c{garden.id}-name": "Garden & Patio",
                                 f"c{garden.id}-slug": "garden"})
    assert response.status_code == 303

    response = client.post(f"/admin/categories/{garden.id}/move",
                           data={"csrf_token": staff_token, "direction": "up"})
    assert response.status_code == 303
    assert category_names(db) == ["Garden & Patio", "Kitchen"]
    assert "Garden &amp; Patio" in client.get("/").get_data(as_text=True)  # the shop's menu

    client.post(f"/admin/categories/{garden.id}/move",
                data={"csrf_token": staff_token, "direction": "up"})
    assert category_names(db) == ["Garden & Patio", "Kitchen"]  # already first
    actions = [e.action for e in audit(db)]
    assert actions == ["category.create", "category.create", "category.rename", "category.move_up"]


def test_category_errors_are_shown_next_to_the_field(client, db, staff_token):
    kitchen = make_category("Kitchen")

    response = client.post("/admin/categories", data={"csrf_token": staff_token, "name": "Kitchen"})
    assert response.status_code == 422
    assert "already uses that slug" in field_error(response.get_data(as_text=True), "slug")

    response = client.post(f"/admin/categories/{kitchen.id}",
                           data={"csrf_token": staff_token, f"c{kitchen.id}-name": ""})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), f"c{kitchen.id}-name") == (
        "Enter the category&#39;s name.")


def test_only_an_empty_category_can_be_deleted(client, db, staff_token):
    kitchen = make_category("Kitchen")
    garden = make_category("Garden")
    make_product("Teapot", category=kitchen, active=False)

    response = client.post(f"/admin/categories/{kitchen.id}/delete",
                           data={"csrf_token": staff_token})
    assert response.status_code == 303
    assert "Kitchen still has 1 product" in client.get("/admin/categories").get_data(as_text=True)

    client.post(f"/admin/categories/{garden.id}/delete", data={"csrf_token": staff_token})
    assert category_names(db) == ["Kitchen"]
