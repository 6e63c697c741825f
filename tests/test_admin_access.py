"""Who may use which admin route. The routes come from the app's URL map, so a new admin
route is checked the day it is added."""
import pytest

from tests.factories import make_order, make_product, make_user
from tests.helpers import csrf_token, log_in_new_user
from webshop.models import Customer


def admin_routes(app):
    """(rule, method, url) for every admin endpoint, with ids of real objects filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "1")
        method = "GET" if "GET" in rule.methods else "POST"
        routes.append((rule.endpoint, method, url))
    return sorted(routes)


@pytest.fixture
def objects(db):
    """One of everything, with id 1, so routes with ids reach their views."""
    make_user("other@example.com", role="staff")
    make_product("Mug")
    make_order(email="guest@example.com")
    db.session.add(Customer(email="guest@example.com", name="Guest"))
    db.session.commit()


def visit(client, method, url, token):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": token})


def test_the_admin_has_routes_to_check(app):
    endpoints = {endpoint for endpoint, _, _ in admin_routes(app)}
    assert {"admin.dashboard", "admin.orders", "admin.products", "admin.customers",
            "admin.staff", "admin.orders_csv"} <= endpoints


def test_anonymous_visitors_are_sent_to_the_login_page(app, client, objects):
    token = csrf_token(client, "/login")
    for endpoint, method, url in admin_routes(app):
        response = visit(client, method, url, token)
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert response.headers["Location"].startswith("/login?next="), endpoint


def test_customers_get_403_everywhere(app, client, objects):
    token = log_in_new_user(client, "customer@example.com", role="customer")
    for endpoint, method, url in admin_routes(app):
        assert visit(client, method, url, token).status_code == 403, (endpoint, method)


def test_staff_get_in_except_where_only_admins_may(app, client, objects):
    token = log_in_new_user(client, "staff@example.com", role="staff")
    for endpoint, method, url in admin_routes(app):
        status = visit(client, method, url, token).status_code
        if getattr(app.view_functions[endpoint], "admin_only", False):
            assert status == 403, (endpoint, method, status)
        else:
            assert status not in (401, 403) and status < 500, (endpoint, method, status)
            if method == "GET":
                assert status == 200, (endpoint, status)


def test_admins_get_in_everywhere(app, client, objects):
    token = log_in_new_user(client, "boss@example.com", role="admin")
    for endpoint, method, url in admin_routes(app):
        status = visit(client, method, url, token).status_code
        assert status not in (401, 403) and status < 500, (endpoint, method, status)
        if method == "GET":
            assert status == 200, (endpoint, status)


def test_admin_posts_need_a_csrf_token(app, client, objects):
    log_in_new_user(client, "boss@example.com", role="admin")
    for endpoint, method, url in admin_routes(app):
        if method == "POST":
            assert client.post(url, data={}).status_code == 400, endpoint
