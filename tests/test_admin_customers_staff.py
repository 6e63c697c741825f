"""Customers in the admin (search, orders, lifetime value) and staff management (admins
only: invite, roles, deactivation, never demoting yourself), every change audited."""
import re

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, make_customer, make_order, make_user
from tests.helpers import csrf_token, log_in_new_user, login, page
from webshop import accounts
from webshop.extensions import db as _db
from webshop.models import AuditLog, User


def order_for(customer, status, total):
    order = make_order(email=customer.email, status=status, total=total)
    order.customer_id = customer.id
    _db.session.commit()
    return order


def fresh_user(db, email):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


# --- customers -------------------------------------------------------------------------------------

def test_customers_list_shows_order_count_and_lifetime_value(staff, db):
    ada = make_customer("Ada Lovelace", "ada@example.com")
    order_for(ada, "paid", 2000)
    order_for(ada, "dispatched", 1500)
    order_for(ada, "delivered", 1000)
    order_for(ada, "refunded", 9900)   # money given back: not part of the value
    order_for(ada, "pending", 7700)    # not paid (yet)
    make_customer("Bob Guest", "bob@example.com")

    body = page(staff.get("/admin/customers"))

    row = re.search(r"Ada Lovelace.*?</tr>", body, re.S).group(0)
    assert ">5</td>" in row and "€45.00" in row
    bob = re.search(r"Bob Guest.*?</tr>", body, re.S).group(0)
    assert ">0</td>" in bob and "€0.00" in bob


def test_customers_search_by_email_or_name_case_insensitively(staff, db):
    make_customer("Ada Lovelace", "ada@example.com")
    make_customer("Grace Hopper", "grace@navy.example")

    by_name = page(staff.get("/admin/customers?q=LOVE"))
    assert "Ada Lovelace" in by_name and "Grace Hopper" not in by_name
    by_email = page(staff.get("/admin/customers?q=Navy.Example"))
    assert "Grace Hopper" in by_email and "Ada Lovelace" not in by_email
    fragment = staff.get("/admin/customers?q=grace", headers={"HX-Request": "true",
                                                              "HX-Target": "customer-results"})
    assert page(fragment).lstrip().startswith('<div id="customer-results"')
    assert staff.get("/admin/customers?page=x").status_code == 400


def test_customer_detail_lists_their_orders_and_lifetime_value(staff, db):
    ada = make_customer("Ada Lovelace", "ada@example.com")
    kept = order_for(ada, "paid", 2000)
    refunded = order_for(ada, "refunded", 500)
    someone_else = make_order(status="paid")

    body = page(staff.get(f"/admin/customers/{ada.id}"))

    assert kept.number in body and refunded.number in body and someone_else.number not in body
    assert re.search(r'class="lifetime-value">€20\.00<', body)
    assert re.search(r'class="order-count">2<', body)
    assert staff.get("/admin/customers/999").status_code == 404


def test_order_detail_links_to_its_customer(staff, db):
    ada = make_customer("Ada Lovelace", "ada@example.com")
    order = order_for(ada, "paid", 2000)
    assert f'href="/admin/customers/{ada.id}"' in page(staff.get(f"/admin/orders/{order.id}"))


def test_customers_list_answers_in_a_bounded_number_of_queries(staff, db, count_queries):
    order_for(make_customer("One", "one@example.com"), "paid", 100)
    with count_queries() as few:
        assert staff.get("/admin/customers").status_code == 200
    for n in range(30):
        customer = make_customer(f"Many {n}", f"many{n}@example.com")
        order_for(customer, "paid", 100)
        order_for(customer, "delivered", 100)
    with count_queries() as many:
        assert staff.get("/admin/customers").status_code == 200
    assert few.count == many.count <= 6, many.statements


# --- staff ---------------------------------------------------------------------------------------

def test_the_staff_page_is_for_admins_only(db, client, app):
    staff_token = log_in_new_user(client)
    assert client.get("/admin/staff").status_code == 403
    assert client.post("/admin/staff", data={"csrf_token": staff_token, "email": "x@example.com",
                                             "role": "admin"}).status_code == 403
    assert fresh_user(db, "x@example.com") is None

    boss = app.test_client()
    log_in_new_user(boss, "boss@example.com", role="admin")
    body = page(boss.get("/admin/staff"))
    assert "staff@example.com" in body and "boss@example.com" in body


def test_inviting_staff_sends_a_reset_link_to_choose_a_password(admin, db, smtp_sink, run_worker,
                                                                  app):
    response = admin.post("/admin/staff", data={"csrf_token": admin.token,
                                                "email": "New.Person@Example.com", "role": "staff"})

    assert response.status_code == 303
    assert "Invitation sent" in page(admin.get("/admin/staff"))
    invited = fresh_user(db, "new.person@example.com")
    assert invited.role == "staff" and invited.active
    [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "user.created")).all()
    assert entry.actor == "boss@example.com" and entry.after["role"] == "staff"
    assert entry.after["invited"] is True

    run_worker()
    [mail] = smtp_sink.wait_for(1)
    assert mail["To"] == "new.person@example.com"
    link = re.search(r"http://[^/\s]+(/password/reset/\S+)", mail.get_body(("plain",)).get_content())
    newcomer = app.test_client()
    token = csrf_token(newcomer, link.group(1))
    chose = newcomer.post(link.group(1), data={"csrf_token": token, "password": "my own secret pw",
                                              "confirm": "my own secret pw"})
    assert chose.status_code == 303
    logged_in = login(newcomer, "new.person@example.com", "my own secret pw")
    assert logged_in.status_code == 303 and logged_in.headers["Location"] == "/admin/"


def test_creating_staff_with_a_password_and_refusing_a_taken_email(admin, db):
    created = admin.post("/admin/staff", data={"csrf_token": admin.token, "email": "ops@example.com",
                                               "role": "admin", "password": "long enough pw"})
    assert created.status_code == 303
    assert fresh_user(db, "ops@example.com").check_password("long enough pw")

    taken = admin.post("/admin/staff", data={"csrf_token": admin.token, "email": "OPS@example.com",
                                             "role": "staff"})
    assert taken.status_code == 422 and "already an account" in page(taken)
    short = admin.post("/admin/staff", data={"csrf_token": admin.token, "email": "x@example.com",
                                             "role": "staff", "password": "short"})
    assert short.status_code == 422 and "at least 10 characters" in page(short)
    bad_role = admin.post("/admin/staff", data={"csrf_token": admin.token, "email": "y@example.com",
                                                "role": "owner"})
    assert bad_role.status_code == 422
    assert fresh_user(db, "x@example.com") is None and fresh_user(db, "y@example.com") is None


def test_changing_a_role_is_audited(admin, db):
    clerk = make_user("clerk@example.com", password=PASSWORD, role="staff")

    response = admin.post(f"/admin/staff/{clerk.id}/role", data={"csrf_token": admin.token,
                                                                  "role": "admin"})

    assert response.status_code == 303
    assert fresh_user(db, "clerk@example.com").role == "admin"
    [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "user.role_changed")).all()
    assert (entry.before, entry.after, entry.actor) == ({"role": "staff"}, {"role": "admin"},
                                                       "boss@example.com")
    assert admin.post(f"/admin/staff/{clerk.id}/role", data={
        "csrf_token": admin.token, "role": "owner"}).status_code == 400
    assert admin.post("/admin/staff/999/role", data={
        "csrf_token": admin.token, "role": "staff"}).status_code == 404


def test_a_promoted_customer_gets_into_the_admin(admin, db, app):
    shopper = make_user("shopper@example.com", password=PASSWORD, role="customer")
    customer = make_customer("Shopper", "shopper@example.com", user=shopper)
    assert 'name="role"' in page(admin.get(f"/admin/customers/{customer.id}"))

    response = admin.post(f"/admin/staff/{shopper.id}/role", data={
        "csrf_token": admin.token, "role": "staff", "next": f"/admin/customers/{customer.id}"})

    assert response.headers["Location"] == f"/admin/customers/{customer.id}"
    other = app.test_client()
    login(other, "shopper@example.com")
    assert other.get("/admin/orders").status_code == 200


def test_a_deactivated_user_can_no_longer_log_in_and_loses_their_session(admin, db, app):
    clerk = make_user("clerk@example.com", password=PASSWORD, role="staff")
    clerk_client = app.test_client()
    assert login(clerk_client, "clerk@example.com").status_code == 303
    assert clerk_client.get("/admin/orders").status_code == 200

    response = admin.post(f"/admin/staff/{clerk.id}/active", data={"csrf_token": admin.token,
                                                                    "active": "0"})

    assert response.status_code == 303
    assert fresh_user(db, "clerk@example.com").active is False
    assert clerk_client.get("/admin/orders").status_code == 302  # the session is no longer valid
    assert login(app.test_client(), "clerk@example.com").status_code == 422
    [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "user.deactivated")).all()
    assert entry.before == {"active": True} and entry.after == {"active": False}

    admin.post(f"/admin/staff/{clerk.id}/active", data={"csrf_token": admin.token, "active": "1"})
    assert login(app.test_client(), "clerk@example.com").status_code == 303


def test_an_admin_cannot_demote_or_deactivate_themselves(admin, db):
    me = admin.me.id

    demote = admin.post(f"/admin/staff/{me}/role", data={"csrf_token": admin.token, "role": "staff"})
    deactivate = admin.post(f"/admin/staff/{me}/active", data={"csrf_token": admin.token,
                                                                "active": "0"})

    assert demote.status_code == 409 and "cannot change your own role" in page(demote)
    assert deactivate.status_code == 409 and "cannot deactivate your own account" in page(deactivate)
    me_now = fresh_user(db, "boss@example.com")
    assert me_now.role == "admin" and me_now.active
    assert db.session.scalar(select(AuditLog.id)) is None


def test_domain_refuses_self_demotion_too(db):
    boss = make_user("boss@example.com", role="admin")
    with pytest.raises(accounts.AccountError):
        accounts.change_role(boss.id, "customer", actor=boss)
    with pytest.raises(accounts.AccountError):
        accounts.set_active(boss.id, False, actor=boss)
