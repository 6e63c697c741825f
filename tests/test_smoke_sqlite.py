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
