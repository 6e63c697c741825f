"""Changing a password from the account page. (Forgotten passwords and their reset
links: test_emails.py.)"""
from tests.factories import PASSWORD, register_customer
from tests.helpers import csrf_token, login
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
