"""Display currencies, the rules and the admin: rates are exact and conversions round half
up to the currency's digits; only admins add, re-rate, deactivate and activate them
(staff look, customers are refused, visitors log in); bad input gets its message and
writes nothing; every change is audited. (What shoppers see: test_display_currency_shop.py.)"""
import pytest
from sqlalchemy import func, select

from tests.helpers import csrf_token, log_in_new_user, page
from webshop.models import AuditLog, DisplayCurrency
from webshop.pricing import PricingError, currencies

GBP = 86_000_000  # 1 EUR = 0.86 GBP


@pytest.mark.parametrize("amount, code, rate_e8, expected", [
    (1500, "GBP", GBP, 1290),  # €15.00 -> £12.90
    (1, "GBP", 50_000_000, 1),  # €0.01 at 0.5 is £0.005: half up, £0.01
    (3, "GBP", 50_000_000, 2),  # £0.015 -> £0.02 (not to even)
    (1, "GBP", 49_999_999, 0),
    (1234, "JPY", 16_012_345_678, 1976),  # ¥1,975.92 -> ¥1,976 (no decimals)
    (1000, "HUF", 39_012_500_000, 390100),  # 3,901.25 Ft shown whole: 3,901 (minor units x100)
    (1000, "HUF", 39_050_000_000, 390500),  # 3,905.00
    (1000, "KWD", 33_456_700, 3346),  # 3.34567 KWD -> 3.346 (three decimals)
    (-1500, "GBP", GBP, -1290),  # a refund's amount rounds the same way, away from zero
    (0, "GBP", GBP, 0),
])
def test_conversion_is_exact_and_rounds_half_up_to_the_currencys_digits(amount, code, rate_e8,
                                                                        expected):
    assert currencies.convert(amount, "EUR", code, rate_e8) == expected


def test_a_zero_decimal_shop_currency_converts_too():
    # 1,000 JPY at 0.0062 EUR a yen: €6.20
    assert currencies.convert(1000, "JPY", "EUR", 620_000) == 620


@pytest.mark.parametrize("text, rate_e8", [
    ("0.86", GBP), ("0,86", GBP), (" 1 ", 100_000_000), ("160.12345678", 16_012_345_678),
    ("0.00000001", 1), ("390", 39_000_000_000),
])
def test_rates_are_read_exactly(text, rate_e8):
    assert currencies.parse_rate(text) == rate_e8
    assert currencies.parse_rate(currencies.rate_text(rate_e8)) == rate_e8


@pytest.mark.parametrize("text, message", [
    ("", "as a number"), ("abc", "as a number"), ("1e5", "as a number"),
    ("0.000000001", "at most 8 decimal places"), ("1.2.3", "as a number"),
    ("-1", "more than 0"), ("0", "more than 0"), ("0.00", "more than 0"),
    ("1234567890", "as a number"), ("NaN", "as a number"),
])
def test_bad_rates_are_refused_with_a_message(text, message):
    with pytest.raises(PricingError, match=message) as refused:
        currencies.parse_rate(text)
    assert refused.value.field == "rate"


def test_the_codes_staff_may_add_are_currencies_in_use_today():
    in_use = currencies.codes_in_use()
    assert {"GBP", "USD", "CHF", "JPY", "EUR"} <= in_use
    assert not {"DEM", "XAU", "XXX", "ABC"} & in_use  # historical, a metal, "no currency"


# --- the admin ------------------------------------------------------------------------------

def _add(client, code="GBP", rate="0.86", **extra):
    return client.post("/admin/currencies", data={"csrf_token": client.token, "code": code,
                                                  "rate": rate, **extra})


def _row(db, code):
    db.session.expire_all()
    return db.session.scalar(select(DisplayCurrency).where(DisplayCurrency.code == code))


def test_visitors_log_in_and_customers_are_refused(db, client, admin):
    assert _add(admin).status_code == 303
    gbp = _row(db, "GBP")
    admin.post("/logout", data={"csrf_token": admin.token})
    urls = ["/admin/currencies", f"/admin/currencies/{gbp.id}/edit"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    log_in_new_user(client, "shopper@example.com", role="customer")
    token = csrf_token(client, "/account")
    for url in urls:
        assert client.get(url).status_code == 403, url
    for url in ("/admin/currencies", f"/admin/currencies/{gbp.id}/active"):
        assert client.post(url, data={"csrf_token": token, "code": "USD", "rate": "1.1",
                                      "active": "0"}).status_code == 403, url
    assert _row(db, "USD") is None and _row(db, "GBP").active


def test_staff_may_look_but_not_change(db, client, admin):
    assert _add(admin).status_code == 303
    gbp_id = _row(db, "GBP").id
    admin.post("/logout", data={"csrf_token": admin.token})
    client.token = log_in_new_user(client)  # staff
    listing = page(client.get("/admin/currencies"))
    assert "GBP" in listing and "1 EUR = 0.86 GBP" in listing and "by boss@example.com" in listing
    assert "Add currency" not in listing and "Deactivate" not in listing
    refused = [_add(client, "USD", "1.08"), client.get(f"/admin/currencies/{gbp_id}/edit"),
               client.post(f"/admin/currencies/{gbp_id}/edit",
                           data={"csrf_token": client.token, "rate": "2"}),
               client.post(f"/admin/currencies/{gbp_id}/active",
                           data={"csrf_token": client.token, "active": "0"})]
    assert [r.status_code for r in refused] == [403] * 4
    gbp = _row(db, "GBP")
    assert _row(db, "USD") is None and (gbp.rate_e8, gbp.active) == (GBP, True)


def test_an_admin_adds_rerates_deactivates_and_activates_with_an_audit_trail(db, admin):
    added = _add(admin, " gbp ", "0,86")
    assert added.status_code == 303
    gbp = _row(db, "GBP")
    assert (gbp.rate_e8, gbp.active, gbp.updated_by_id) == (GBP, True, admin.me.id)
    listing = page(admin.get("/admin/currencies"))
    assert "British Pound" in listing and "1 EUR = 0.86 GBP" in listing and "Active" in listing

    form = page(admin.get(f"/admin/currencies/{gbp.id}/edit"))
    assert 'value="0.86"' in form
    assert admin.post(f"/admin/currencies/{gbp.id}/edit",
                      data={"csrf_token": admin.token, "rate": "0.8712"}).status_code == 303
    assert _row(db, "GBP").rate_e8 == 87_120_000
    url = f"/admin/currencies/{gbp.id}/active"
    assert admin.post(url, data={"csrf_token": admin.token, "active": "0"}).status_code == 303
    assert _row(db, "GBP").active is False
    assert "Deactivated" in page(admin.get("/admin/currencies"))
    assert admin.post(url, data={"csrf_token": admin.token, "active": "1"}).status_code == 303
    assert _row(db, "GBP").active is True
    assert admin.post(url, data={"csrf_token": admin.token, "active": "1"}).status_code == 303

    entries = db.session.execute(select(AuditLog.action, AuditLog.actor, AuditLog.before,
                                        AuditLog.after)
                                 .where(AuditLog.entity_type == "display_currency")
                                 .order_by(AuditLog.id)).all()
    assert [e.action for e in entries] == [
        "display_currency.added", "display_currency.rate_changed",
        "display_currency.deactivated", "display_currency.activated"]  # no entry for a no-op
    assert {e.actor for e in entries} == {"boss@example.com"}
    assert (entries[1].before["rate"], entries[1].after["rate"]) == ("0.86", "0.8712")


@pytest.mark.parametrize("code, rate, message", [
    ("XYZ", "1.5", "ISO 4217 code of a currency in use"),
    ("DEM", "1.96", "ISO 4217 code of a currency in use"),  # the mark is history
    ("EUR", "1", "EUR is the shop&#39;s own currency"),
    ("", "1", "This field is required"),
    ("POUND", "1", "ISO 4217 code of a currency in use"),
    ("G" * 11, "1", "longer than 10"),
    ("GBP", "0", "more than 0"),
    ("GBP", "-0.86", "more than 0"),
    ("GBP", "0.86 GBP", "as a number"),
    ("GBP", "", "This field is required"),
])
def test_bad_input_is_refused_next_to_its_field(db, admin, code, rate, message):
    response = _add(admin, code, rate)
    assert response.status_code == 422 and message in page(response), page(response)[-2000:]
    assert db.session.scalar(select(func.count()).select_from(DisplayCurrency)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_a_currency_is_listed_once_and_rates_are_checked_on_edit_too(db, admin):
    assert _add(admin).status_code == 303
    twice = _add(admin, "gbp", "0.9")
    assert twice.status_code == 422 and "GBP is already listed" in page(twice)
    gbp = _row(db, "GBP")
    bad = admin.post(f"/admin/currencies/{gbp.id}/edit", data={"csrf_token": admin.token,
                                                               "rate": "zero"})
    assert bad.status_code == 422 and "as a number" in page(bad)
    assert _row(db, "GBP").rate_e8 == GBP
    assert admin.get("/admin/currencies/999/edit").status_code == 404
    assert admin.post("/admin/currencies/999/active",
                      data={"csrf_token": admin.token, "active": "0"}).status_code == 404


def test_a_form_without_its_csrf_token_changes_nothing(db, admin):
    response = admin.post("/admin/currencies", data={"code": "GBP", "rate": "0.86"})
    assert response.status_code == 400 and _row(db, "GBP") is None


def test_the_currencies_pages_answer_in_few_queries(db, admin, count_queries):
    for code, rate in (("GBP", "0.86"), ("USD", "1.08"), ("CHF", "0.94")):
        assert _add(admin, code, rate).status_code == 303
    for url in ("/admin/currencies", f"/admin/currencies/{_row(db, 'USD').id}/edit"):
        assert admin.get(url).status_code == 200  # warm
        with count_queries() as queries:
            assert admin.get(url).status_code == 200
        assert queries.count <= 5, (url, queries.statements)
