"""Changing a password from the account page, and the one password rule (length, not
common, not built from the email, the name or the shop's name). Forgotten passwords and
their reset links: test_emails.py; the logins a change ends: test_sessions.py."""
import pytest

from tests.factories import PASSWORD, register_customer
from tests.helpers import csrf_token, login
from webshop import accounts
from webshop.models import User


def change_password(client, current, new, confirm=None):
    token = csrf_token(client, "/account/password")
    return client.post("/account/password", data={
        "csrf_token": token, "current_password": current, "new_password": new,
        "confirm": new if confirm is None else confirm,
    })


def test_password_change_refuses_a_wrong_current_password(client, db):
    register_customer()
    login(client)

    response = change_password(client, "not my password", "a brand new password")

    assert response.status_code == 422
    assert "That is not your current password." in response.get_data(as_text=True)
    user = db.session.scalar(db.select(User))
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_after_a_password_change_only_the_new_password_works(client, db):
    register_customer()
    login(client)

    response = change_password(client, PASSWORD, "a brand new password")

    assert response.status_code == 303
    assert response.headers["Location"] == "/account"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert login(client, password=PASSWORD).status_code == 422
    assert login(client, password="a brand new password").status_code == 303


def test_password_change_checks_length_and_confirmation(client, db):
    register_customer()
    login(client)
    assert "at least 10 characters" in change_password(client, PASSWORD, "short").get_data(as_text=True)
    response = change_password(client, PASSWORD, "a brand new password", confirm="something else")
    assert response.status_code == 422
    assert "The two passwords do not match." in response.get_data(as_text=True)


# --- the password rule (the same for every way to set one) ---------------------------

@pytest.mark.parametrize("password", [
    "aaaaaaaaaa", "1234567890", "password12", "qwertyuiop", "iloveyou12", "abcdefghijkl",
    "0987654321", "Password123!", "1q2w3e4r5t", "x" * 150 + " grape kettle",
])
def test_common_repeated_and_sequential_passwords_are_refused(app, password):
    with app.app_context():
        assert accounts.password_problem(password, "sam@example.com") is not None


@pytest.mark.parametrize("password", [
    "sam.shopper@example.com", "samshopper1", "Shopper2024!", "webshop2024!", "mywebshop123",
])
def test_passwords_built_from_the_email_name_or_shop_are_refused(app, password):
    with app.app_context():
        problem = accounts.password_problem(password, "sam.shopper@example.com", "Sam Shopper")
    assert "built from your email address, your name or the shop's name" in problem


@pytest.mark.parametrize("password", [
    PASSWORD, "a brand new password", "long enough pw", "old password 123", "my own secret pw",
    "Tr0ub4dor&3-violet-canoe", "grape kettle " * 15, "é" * 4 + " Müller-Lüdenscheidt",
])
def test_hard_to_guess_passwords_are_accepted(app, password):
    with app.app_context():
        assert accounts.password_problem(password, "sam.shopper@example.com", "Sam Shopper") is None


def test_length_limits_come_first(app):
    with app.app_context():
        assert "at least 10" in accounts.password_problem("Zq8#vL2!p")
        assert "at most 200" in accounts.password_problem("x" * 201)


def test_password_change_refuses_an_easy_password(client, db):
    register_customer()
    login(client)

    response = change_password(client, PASSWORD, "shopper1234")

    assert response.status_code == 422
    assert "harder to guess" in response.get_data(as_text=True)
    user = db.session.scalar(db.select(User))
    db.session.refresh(user)
    assert user.check_password(PASSWORD)
