"""The admin's discount codes and gift cards: who may see and change them, the forms,
and what each page costs in queries."""
import re

from tests.factories import make_category, make_product
from tests.helpers import csrf_token, log_in_new_user, page
from tests.promotion_helpers import make_card, make_code
from webshop.models import AuditLog, DiscountCode, GiftCard

NEW_CODE = {"code": "spring", "kind": "percent", "value": "15", "min_spend": "20.00",
            "starts_on": "2026-03-01", "ends_on": "2026-05-31", "max_uses": "100",
            "max_uses_per_customer": "1", "active": "y"}


def test_customers_are_refused_and_visitors_sent_to_log_in(db, client):
    card = make_card()
    assert client.get("/admin/discounts").status_code == 302
    log_in_new_user(client, "shopper@example.com", role="customer")
    for url in ("/admin/discounts", "/admin/discounts/new", "/admin/gift-cards",
                f"/admin/gift-cards/{card.id}"):
        assert client.get(url).status_code == 403, url


def test_staff_may_look_but_not_change(db, staff):
    code = make_code()
    card = make_card(2500)
    listing = page(staff.get("/admin/discounts"))
    assert "SAVE10" in listing and "10% off" in listing and "New code" not in listing
    assert card.code[-4:] in page(staff.get("/admin/gift-cards"))
    assert "Deactivate" not in page(staff.get(f"/admin/gift-cards/{card.id}"))
    assert staff.get("/admin/discounts/new").status_code == 403
    assert staff.post("/admin/discounts/new", data={**NEW_CODE, "csrf_token": staff.token}
                      ).status_code == 403
    assert staff.post(f"/admin/discounts/{code.id}/active",
                      data={"csrf_token": staff.token, "active": "0"}).status_code == 403
    assert staff.post("/admin/gift-cards", data={"csrf_token": staff.token, "amount": "10"}
                      ).status_code == 403
    assert staff.post(f"/admin/gift-cards/{card.id}/active",
                      data={"csrf_token": staff.token, "active": "0"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(DiscountCode, code.id).active and db.session.get(GiftCard, card.id).active
    assert db.session.query(DiscountCode).count() == 1 and db.session.query(GiftCard).count() == 1


def test_an_admin_creates_edits_and_deactivates_a_code(db, admin):
    shoes = make_category("Shoes")
    boot = make_product("Boot", category=shoes)
    form = page(admin.get("/admin/discounts/new"))
    assert 'name="code"' in form and 'name="value"' in form
    assert re.search(r'<select[^>]*name="kind"', form) and 'value="percent"' in form
    response = admin.post("/admin/discounts/new", data={
        **NEW_CODE, "csrf_token": admin.token, "category_ids": str(shoes.id),
        "product_slugs": boot.slug})
    assert response.status_code == 303, page(response)
    code = db.session.scalar(db.select(DiscountCode))
    assert (code.code, code.kind, code.value, code.min_spend, code.max_uses) == (
        "SPRING", "percent", 15, 2000, 100)
    assert code.category_ids == [shoes.id] and code.product_ids == [boot.id]
    assert code.starts_at.date().isoformat() == "2026-03-01"
    edit = admin.post(f"/admin/discounts/{code.id}/edit", data={
        **NEW_CODE, "csrf_token": admin.token, "kind": "fixed", "value": "7.50"})
    assert edit.status_code == 303, page(edit)
    db.session.expire_all()
    code = db.session.get(DiscountCode, code.id)
    assert (code.kind, code.value, code.category_ids) == ("fixed", 750, [])
    assert admin.post(f"/admin/discounts/{code.id}/active",
                      data={"csrf_token": admin.token, "active": "0"}).status_code == 303
    db.session.expire_all()
    assert not db.session.get(DiscountCode, code.id).active
    assert "Deactivated" in page(admin.get("/admin/discounts"))
    actions = set(db.session.scalars(db.select(AuditLog.action)))
    assert {"discount.created", "discount.updated", "discount.deactivated"} <= actions


def test_a_bad_code_form_says_what_is_wrong_and_saves_nothing(db, admin):
    make_code("SPRING")
    for changes, message in [({"value": "150"}, "from 1 to 100"),
                             ({"value": "ten"}, "whole number"),
                             ({"code": "spr ing"}, "letters, digits"),
                             ({"code": "Spring"}, "already a code"),
                             ({"ends_on": "2026-01-01"}, "end must come after"),
                             ({"product_slugs": "no-such-thing"}, "no-such-thing")]:
        response = admin.post("/admin/discounts/new",
                              data={**NEW_CODE, "csrf_token": admin.token, **changes})
        assert response.status_code == 422, changes
        assert message in page(response), (changes, page(response)[:2000])
    assert db.session.query(DiscountCode).count() == 1


def test_the_forms_need_the_csrf_token(db, admin):
    card = make_card()
    assert admin.post("/admin/discounts/new", data=NEW_CODE).status_code == 400
    assert admin.post("/admin/gift-cards", data={"amount": "10"}).status_code == 400
    assert admin.post(f"/admin/gift-cards/{card.id}/active", data={"active": "0"}).status_code == 400
    assert db.session.query(DiscountCode).count() == 0 and db.session.query(GiftCard).count() == 1


def test_an_admin_issues_a_card_sees_it_masked_and_deactivates_it(db, admin):
    response = admin.post("/admin/gift-cards", data={"csrf_token": admin.token, "amount": "25.00",
                                                     "note": "Goodwill"})
    assert response.status_code == 303, page(response)
    card = db.session.scalar(db.select(GiftCard))
    assert (card.initial_amount, card.balance, len(card.code)) == (2500, 2500, 16)
    listing = page(admin.get("/admin/gift-cards"))
    detail = page(admin.get(response.headers["Location"]))
    for shown in (listing, detail):
        assert card.code[-4:] in shown and card.code not in shown
    assert "Issue" in detail and "Goodwill" in detail and "€25.00" in detail
    assert admin.post(f"/admin/gift-cards/{card.id}/active",
                      data={"csrf_token": admin.token, "active": "0"}).status_code == 303
    db.session.expire_all()
    assert not db.session.get(GiftCard, card.id).active
    refused = admin.post("/admin/gift-cards", data={"csrf_token": admin.token, "amount": "0"})
    assert refused.status_code == 422 and "greater than zero" in page(refused)


def test_the_promotion_pages_answer_in_few_queries(db, admin, count_queries):
    for n in range(15):
        make_code(f"CODE{n}", max_uses=10)
    cards = [make_card(1000 + n) for n in range(15)]
    code = db.session.scalar(db.select(DiscountCode))
    urls = ["/admin/discounts", "/admin/discounts/new", f"/admin/discounts/{code.id}/edit",
            "/admin/gift-cards", f"/admin/gift-cards/{cards[0].id}"]
    for url in urls:
        assert admin.get(url).status_code == 200, url  # warm
        with count_queries() as queries:
            assert admin.get(url).status_code == 200
        assert queries.count <= 5, (url, queries.statements)


def test_a_customer_token_cannot_reach_the_admin_forms(db, client):
    log_in_new_user(client, "shopper@example.com", role="customer")
    token = csrf_token(client, "/account")
    assert client.post("/admin/discounts/new", data={**NEW_CODE, "csrf_token": token}
                       ).status_code == 403
    assert db.session.query(DiscountCode).count() == 0
