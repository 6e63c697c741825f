"""seed-demo's reviews: approved, by demo customers whose delivered orders hold the
product, with varied ratings the product pages and the "Top rated" sort show; once."""
from collections import Counter

from sqlalchemy import func, select

from webshop import catalog, reviews
from webshop.models import Customer, Order, Product, Review, User


def review_rows(db):
    return db.session.execute(select(Review.product_id, Review.user_id, Review.rating,
                                     Review.status, Review.title, Review.author_name)).all()


def test_seed_demo_adds_reviews_by_verified_buyers_once(app, db, client):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    rows = review_rows(db)
    orders = db.session.scalar(select(func.count()).select_from(Order))
    second = runner.invoke(args=["seed-demo"])

    assert second.exit_code == 0, second.output
    assert "Reviews" in first.output and "Reviews        0 created" in second.output
    assert sorted(review_rows(db)) == sorted(rows)  # nothing added or changed the second time
    assert db.session.scalar(select(func.count()).select_from(Order)) == orders
    products = db.session.scalar(select(func.count()).select_from(Product))
    reviewed = {row.product_id for row in rows}
    assert len(rows) >= 100 and products / 2 < len(reviewed) < products  # some have none
    assert {row.status for row in rows} == {"approved"}
    assert set(Counter(row.rating for row in rows)) == {1, 2, 3, 4, 5}
    assert len({row.title for row in rows}) >= 10
    # Each from a demo customer (no usable password) whose order of it was delivered.
    for row in rows:
        assert reviews.is_verified_buyer(row.user_id, row.product_id), row
    customers = db.session.scalars(select(User).where(User.id.in_({r.user_id for r in rows})))
    assert all(u.role == "customer" and not u.check_password("") for u in customers)
    assert db.session.scalar(select(func.count()).select_from(Customer)) >= 10

    # The products' figures are the approved reviews'.
    for product in db.session.scalars(select(Product).where(Product.id.in_(reviewed))):
        ratings = [row.rating for row in rows if row.product_id == product.id]
        assert product.rating_count == len(ratings)
        assert product.rating_average == round(sum(ratings) * 100 / len(ratings))

    # A product page shows the average and the reviews; lists sort by rating.
    top = catalog.list_products(sort="rating", per_page=5)[0].items
    best = db.session.get(Product, top[0].id)
    assert best.rating_average == db.session.scalar(select(func.max(Product.rating_average)))
    html = client.get(f"/products/{best.slug}").get_data(as_text=True)
    summary = reviews.product_reviews(best.id)
    assert f"<strong>{summary.stars}</strong> out of 5 ({best.rating_count} review" in html
    assert summary.reviews[0].author_name in html and "Verified buyer" in html
    assert "Top rated" in client.get("/products?sort=rating").get_data(as_text=True)
