"""The embedded defaults (`make run`): SQLite, in-process cache, no Redis."""


def test_store_runs_on_sqlite_with_the_demo_catalogue(sqlite_app):
    app = sqlite_app
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    seeded = runner.invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    client = app.test_client()

    assert app.config["CACHE_TYPE"] == "SimpleCache"
    home = client.get("/")
    assert home.status_code == 200
    results = client.get("/products?q=mug&sort=price_asc").get_data(as_text=True)
    assert "Mug" in results
    slug = results.split('href="/products/')[1].split('"')[0]
    product = client.get(f"/products/{slug}")
    assert product.status_code == 200 and "Add to cart" in product.get_data(as_text=True)
    assert client.get("/readyz").get_json()["checks"] == {"database": "ok"}


def test_prices_show_in_a_display_currency_on_sqlite(sqlite_app):
    from sqlalchemy import select

    from webshop.extensions import db
    from webshop.models import User
    from webshop.pricing import currencies

    runner = sqlite_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with sqlite_app.app_context():
        currencies.add("GBP", "0.86", "EUR", db.session.scalar(select(User)))
        db.engine.dispose()
    html = sqlite_app.test_client().get("/products?currency=GBP").get_data(as_text=True)
    assert "(approx. £" in html and 'href="/cart?currency=GBP"' in html
    assert "approx." not in sqlite_app.test_client().get("/products").get_data(as_text=True)
