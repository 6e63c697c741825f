"""Reviews: only verified buyers write them, staff moderate (access, CSRF, compare-and-set),
the product keeps its average, the page shows approved reviews paginated (htmx and
plain links), lists sort by rating, and the JSON-LD says it all, safely escaped."""
import re

from sqlalchemy import select

from tests.factories import make_product
from tests.helpers import HX, csrf_token, log_in_new_user, page
from tests.review_helpers import add_reviews, buyer, json_ld, logged_in
from webshop.models import Product, Review


def _review_form(client, product, **data):
    token = csrf_token(client, "/account")
    return client.post(f"/products/{product.slug}/review",
                       data={"csrf_token": token, "rating": "4", "author_name": "Ada",
                             "title": "Lovely", "body": "Holds heat well.", **data})


def test_only_a_customer_with_a_delivered_order_may_review(app, db):
    product = make_product("Teapot")
    buyer("paid@example.com", product, status="paid")
    buyer("done@example.com", product)
    not_yet = logged_in(app, "paid@example.com")

    assert "Only customers whose order" in page(not_yet.get(f"/products/{product.slug}/review"))
    assert _review_form(not_yet, product).status_code == 403
    assert db.session.scalar(select(Review)) is None

    verified = logged_in(app, "done@example.com")
    bad = _review_form(verified, product, rating="6")
    assert bad.status_code == 422 and "Not a valid choice" in page(bad)
    too_long = _review_form(verified, product, body="x" * 2001)
    assert too_long.status_code == 422
    response = _review_form(verified, product)
    assert response.status_code == 303
    review = db.session.scalar(select(Review))
    assert (review.rating, review.status, review.body) == (4, "pending", "Holds heat well.")
    assert "Holds heat well." not in page(verified.get(f"/products/{product.slug}"))
    again = _review_form(verified, product)
    assert "already reviewed" in page(again)
    assert db.session.scalar(select(db.func.count()).select_from(Review)) == 1


def test_anonymous_visitors_are_sent_to_log_in_to_review(client, db):
    product = make_product("Teapot")
    response = client.get(f"/products/{product.slug}/review")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_staff_approval_updates_the_average_and_the_product_page(app, db, staff):
    product = make_product("Teapot")
    buyer("a@example.com", product)
    buyer("b@example.com", product)
    for email, rating in (("a@example.com", "5"), ("b@example.com", "2")):
        assert _review_form(logged_in(app, email), product, rating=rating,
                            body=f"by {email}").status_code == 303
    first, second = db.session.scalars(select(Review).order_by(Review.id)).all()
    queue = page(staff.get("/admin/reviews"))
    assert "by a@example.com" in queue and "Waiting (2)" in queue

    before = page(staff.get(f"/products/{product.slug}"))  # cached before the approval
    assert "No reviews yet." in before
    assert staff.post(f"/admin/reviews/{first.id}/decision",
                      data={"csrf_token": staff.token, "decision": "approve"}).status_code == 303
    assert staff.post(f"/admin/reviews/{second.id}/decision",
                      data={"csrf_token": staff.token, "decision": "approve"}).status_code == 303
    db.session.expire_all()
    assert (db.session.get(Product, product.id).rating_count,
            db.session.get(Product, product.id).rating_average) == (2, 350)
    html = page(staff.get(f"/products/{product.slug}"))
    assert "3.5</strong> out of 5 (2 reviews)" in html and "by a@example.com" in html
    assert "Verified buyer" in html

    twice = staff.post(f"/admin/reviews/{first.id}/decision",
                       data={"csrf_token": staff.token, "decision": "approve"})
    assert twice.status_code == 409 and "already approved" in page(twice)
    assert staff.post(f"/admin/reviews/{second.id}/decision",
                      data={"csrf_token": staff.token, "decision": "reject"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Product, product.id).rating_average == 500
    assert "by b@example.com" not in page(staff.get(f"/products/{product.slug}"))


def test_moderation_is_for_staff_with_a_csrf_token(app, client, db):
    product = make_product("Teapot")
    add_reviews(product, [3], status="pending")
    review = db.session.scalar(select(Review))
    assert client.get("/admin/reviews").status_code == 302  # to the login page
    buyer("c@example.com", product)
    customer = logged_in(app, "c@example.com")
    assert customer.get("/admin/reviews").status_code == 403
    decided = customer.post(f"/admin/reviews/{review.id}/decision",
                            data={"csrf_token": customer.token, "decision": "approve"})
    assert decided.status_code == 403
    staff = app.test_client()
    log_in_new_user(staff)
    assert staff.post(f"/admin/reviews/{review.id}/decision",
                      data={"decision": "approve"}).status_code == 400  # no token
    assert staff.get("/admin/reviews?status=lost").status_code == 400
    assert staff.post(f"/admin/reviews/{review.id}/decision", data={
        "csrf_token": csrf_token(staff, "/admin/reviews?status=pending"),
        "decision": "delete"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Review, review.id).status == "pending"


def test_reviews_are_paginated_with_htmx_and_plain_links(client, db):
    product = make_product("Teapot")
    add_reviews(product, [5, 4, 3, 5, 4, 2, 1])
    html = page(client.get(f"/products/{product.slug}"))
    assert html.count('class="review"') == 5
    more = f"/products/{product.slug}/reviews?page=2"
    assert f'href="{more}"' in html and f'hx-get="{more}"' in html

    fragment = client.get(more, headers=HX)
    assert "<html" not in page(fragment) and page(fragment).count('class="review"') == 2
    assert "More reviews" not in page(fragment)
    full = page(client.get(more))
    assert "<html" in full and full.count('class="review"') == 2 and "Newer" in full
    assert client.get(f"/products/{product.slug}/reviews?page=3").status_code == 404
    assert client.get(f"/products/{product.slug}/reviews?page=abc").status_code == 400


def test_lists_sort_by_rating(client, db):
    low, high, none = (make_product(name) for name in ("Low mug", "High mug", "Plain mug"))
    add_reviews(low, [2, 3])
    add_reviews(high, [5, 4])
    html = page(client.get("/products?sort=rating"))
    names = re.findall(r'class="product-card-name">([^<]+)<', html)
    assert names == ["High mug", "Low mug", "Plain mug"]
    assert "Top rated" in html


def test_json_ld_describes_product_offers_and_rating(client, db):
    product = make_product("Mug", variants=[
        {"options": {"Size": "S"}, "price": 1250, "stock": 3},
        {"options": {"Size": "L"}, "price": 1500, "stock": 0}], option_names=["Size"])
    add_reviews(product, [5, 4])
    response = client.get(f"/products/{product.slug}")
    data = json_ld(page(response))
    assert (data["@type"], data["name"], data["sku"]) == ("Product", "Mug", product.variants[0].sku)
    offers = data["offers"]
    assert (offers["@type"], offers["lowPrice"], offers["highPrice"], offers["priceCurrency"]) == (
        "AggregateOffer", "12.50", "15.00", "EUR")
    assert [o["availability"] for o in offers["offers"]] == [
        "https://schema.org/InStock", "https://schema.org/OutOfStock"]
    assert data["aggregateRating"]["ratingValue"] == "4.5"
    assert data["aggregateRating"]["reviewCount"] == 2
    # A data block, not script: the CSP still forbids inline script, and it needs no more.
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]

    single = make_product("Plain", price=999, stock=0)
    data = json_ld(page(client.get(f"/products/{single.slug}")))
    assert data["offers"] == {"@type": "Offer", "sku": single.variants[0].sku, "price": "9.99",
                              "priceCurrency": "EUR",
                              "availability": "https://schema.org/OutOfStock",
                              "url": f"http://localhost/products/{single.slug}"}
    assert "aggregateRating" not in data


def test_json_ld_cannot_be_broken_out_of_by_a_product_name(client, db):
    name = 'Evil </script><script>alert(1)</script> & "mug"'
    product = make_product("Evil", description=name)
    product.name = name
    db.session.commit()
    html = page(client.get(f"/products/{product.slug}"))
    assert "<script>alert(1)" not in html
    data = json_ld(html)
    assert data["name"] == name and data["description"] == name


def test_a_warm_product_page_with_reviews_stays_within_budget(app, client, db, count_queries):
    product = make_product("Teapot")
    add_reviews(product, [5, 4, 3])
    client.get(f"/products/{product.slug}")
    with count_queries() as queries:
        assert client.get(f"/products/{product.slug}").status_code == 200
    assert queries.count <= 5, queries.statements
    buyer("q@example.com", product)
    shopper = logged_in(app, "q@example.com")
    shopper.get(f"/products/{product.slug}")
    with count_queries() as queries:
        assert "3 reviews" in page(shopper.get(f"/products/{product.slug}"))
    assert queries.count <= 5, queries.statements
