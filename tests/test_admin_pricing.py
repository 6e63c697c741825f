"""The admin's VAT rates and shipping zones: who may see and change them, validation,
and what each page costs in queries. (What a test changes is put back before the next:
tests/pricing_helpers.py.)"""
from sqlalchemy import select

from tests.helpers import csrf_token, log_in_new_user, page
from webshop.models import AuditLog, ShippingMethod, ShippingZone, TaxRate


def _rate(db, country, tax_class="standard"):
    return db.session.scalar(select(TaxRate).where(TaxRate.country == country,
                                                   TaxRate.tax_class == tax_class))


def _zone(db, name):
    return db.session.scalar(select(ShippingZone).where(ShippingZone.name == name))


def test_customers_are_refused_and_visitors_sent_to_log_in(db, client):
    zone = _zone(db, "Home")
    urls = ["/admin/tax-rates", "/admin/shipping-zones", f"/admin/shipping-zones/{zone.id}",
            f"/admin/tax-rates/{_rate(db, 'DE').id}/edit"]
    for url in urls:
        assert client.get(url).status_code == 302, url
    log_in_new_user(client, "shopper@example.com", role="customer")
    token = csrf_token(client, "/account")
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/tax-rates", data={"csrf_token": token, "country": "DE",
                                                 "tax_class": "zero", "rate": "0"}
                       ).status_code == 403


def test_staff_may_look_but_not_change(db, staff):
    listing = page(staff.get("/admin/tax-rates"))
    assert "Germany" in listing and "19 %" in listing and "5.5 %" in listing
    assert "Add rate" not in listing and "Delete" not in listing
    zones = page(staff.get("/admin/shipping-zones"))
    assert "Rest of EU" in zones and "Parcel by weight" in zones and "Create zone" not in zones
    home = _zone(db, "Home")
    assert "Save zone" not in page(staff.get(f"/admin/shipping-zones/{home.id}"))
    germany = _rate(db, "DE")
    refused = [
        staff.post("/admin/tax-rates", data={"csrf_token": staff.token, "country": "CH",
                                             "tax_class": "standard", "rate": "8.1"}),
        staff.post(f"/admin/tax-rates/{germany.id}/delete", data={"csrf_token": staff.token}),
        staff.get(f"/admin/tax-rates/{germany.id}/edit"),
        staff.post("/admin/shipping-zones", data={"csrf_token": staff.token, "name": "Swiss",
                                                  "countries": "CH"}),
        staff.post(f"/admin/shipping-zones/{home.id}", data={"csrf_token": staff.token,
                                                             "name": "Mine"}),
        staff.post(f"/admin/shipping-zones/{home.id}/delete", data={"csrf_token": staff.token}),
    ]
    assert [r.status_code for r in refused] == [403] * 6
    db.session.expire_all()
    assert _rate(db, "CH") is None and _rate(db, "DE").rate_bp == 1900 and _zone(db, "Home")


def test_an_admin_adds_edits_and_deletes_a_rate_with_validation(db, admin):
    def add(**fields):
        return admin.post("/admin/tax-rates", data={"csrf_token": admin.token, "country": "CH",
                                                    "tax_class": "standard", "rate": "8.1",
                                                    "label": "Normalsatz", **fields})

    assert add().status_code == 303
    swiss = _rate(db, "CH")
    assert (swiss.rate_bp, swiss.label) == (810, "Normalsatz")
    twice = add()
    assert twice.status_code == 422 and "already has a standard rate" in page(twice)
    for fields, message in [({"rate": "101"}, "between 0 and 100"),
                            ({"rate": "-1"}, "in percent"), ({"rate": "abc"}, "in percent"),
                            ({"country": "XX"}, "Not a valid choice"),
                            ({"tax_class": "luxury"}, "Not a valid choice"),
                            ({"tax_class": "zero", "rate": "5"}, "always 0 %")]:
        response = add(**fields)
        assert response.status_code == 422 and message in page(response), fields

    edited = admin.post(f"/admin/tax-rates/{swiss.id}/edit", data={
        "csrf_token": admin.token, "country": "CH", "tax_class": "standard", "rate": "7,7",
        "label": "Normal"})
    assert edited.status_code == 303
    db.session.expire_all()
    assert db.session.get(TaxRate, swiss.id).rate_bp == 770
    assert admin.post(f"/admin/tax-rates/{swiss.id}/delete",
                      data={"csrf_token": admin.token}).status_code == 303
    assert admin.post(f"/admin/tax-rates/{swiss.id}/delete",
                      data={"csrf_token": admin.token}).status_code == 404
    assert _rate(db, "CH") is None
    actions = db.session.scalars(select(AuditLog.action).where(
        AuditLog.entity_type == "tax_rate")).all()
    assert actions == ["tax_rate.saved", "tax_rate.saved", "tax_rate.deleted"]


def test_a_form_without_its_csrf_token_changes_nothing(db, admin):
    response = admin.post("/admin/tax-rates", data={"country": "CH", "tax_class": "standard",
                                                    "rate": "8.1"})
    assert response.status_code == 400 and _rate(db, "CH") is None


def test_an_admin_builds_a_zone_with_methods_and_checkout_offers_them(db, admin, client):
    taken = admin.post("/admin/shipping-zones", data={"csrf_token": admin.token,
                                                      "name": "Alps", "countries": ["CH", "AT"]})
    assert taken.status_code == 422 and "Austria (Home)" in page(taken)
    created = admin.post("/admin/shipping-zones", data={"csrf_token": admin.token,
                                                        "name": "Alps", "countries": ["CH", "LI"]})
    assert created.status_code == 303
    alps = _zone(db, "Alps")
    url = f"/admin/shipping-zones/{alps.id}/methods"
    bad = admin.post(url, data={"csrf_token": admin.token, "code": "post", "name": "Post",
                                "kind": "value", "bands": "10.00: 5.00"})
    assert bad.status_code == 422 and "starts at 0" in page(bad)
    added = admin.post(url, data={"csrf_token": admin.token, "code": "post",
                                  "name": "Swiss Post", "kind": "value",
                                  "bands": "0: 14.00; 100.00: 9.00", "free_over": "250.00"})
    assert added.status_code == 303, page(added)
    method = db.session.scalar(select(ShippingMethod).where(ShippingMethod.zone_id == alps.id))
    assert [(r.min_value, r.price) for r in method.rates] == [(0, 1400), (10000, 900)]
    assert method.free_over == 25000
    method_id = method.id
    assert "0.00: 14.00; 100.00: 9.00" in page(admin.get(f"/admin/shipping-zones/{alps.id}"))

    edited = admin.post(f"/admin/shipping-methods/{method.id}/edit", data={
        "csrf_token": admin.token, "code": "post", "name": "Swiss Post", "kind": "flat",
        "bands": "12.00"})
    assert edited.status_code == 303
    db.session.expire_all()
    assert [(r.min_value, r.price) for r in db.session.get(ShippingMethod, method.id).rates] == [
        (0, 1200)]
    # The storefront follows at once: Switzerland can be chosen, with its method.
    shown = page(client.get("/checkout?country=CH", headers={"HX-Request": "true",
                                                            "HX-Target": "order-summary"}))
    assert "Swiss Post" in shown and "Delivery to Switzerland" in shown
    assert admin.post(f"/admin/shipping-zones/{alps.id}/delete",
                      data={"csrf_token": admin.token}).status_code == 303
    db.session.expire_all()
    assert _zone(db, "Alps") is None and db.session.get(ShippingMethod, method_id) is None


def test_the_pricing_pages_answer_in_few_queries(db, admin, count_queries):
    home = _zone(db, "Home")
    method = db.session.scalar(select(ShippingMethod).where(ShippingMethod.zone_id == home.id))
    urls = ["/admin/tax-rates", "/admin/shipping-zones", f"/admin/shipping-zones/{home.id}",
            f"/admin/tax-rates/{_rate(db, 'FR').id}/edit",
            f"/admin/shipping-methods/{method.id}/edit"]
    for url in urls:
        assert admin.get(url).status_code == 200, url  # warm
        with count_queries() as queries:
            assert admin.get(url).status_code == 200
        assert queries.count <= 5, (url, queries.statements)


def test_a_product_gets_its_vat_class_and_weight_on_its_admin_form(db, staff):
    from tests.test_admin_products import product_data
    from webshop.models import Product

    form = page(staff.get("/admin/products/new"))
    assert 'name="tax_class"' in form and 'name="variants-0-weight_grams"' in form
    response = staff.post("/admin/products/new", data=product_data(
        staff.token, name="Cookbook", tax_class="reduced", **{"variants-0-weight_grams": "900"}))
    assert response.status_code == 303, page(response)[:500]
    book = db.session.scalar(select(Product).where(Product.name == "Cookbook"))
    assert book.tax_class == "reduced" and book.variants[0].weight_grams == 900
    refused = staff.post("/admin/products/new", data=product_data(
        staff.token, name="Other", sku="OTHER-1", tax_class="luxury"))
    assert refused.status_code == 422 and "Not a valid choice" in page(refused)
