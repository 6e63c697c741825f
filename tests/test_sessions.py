"""Logins that can be ended: every signed-in browser is a LoginSession row, and a
browser whose row is gone is logged out, whatever cookies it (or a thief) kept."""
from datetime import timedelta

from sqlalchemy import func, select, update

from tests.account_helpers import browser_with, cookies_of
from tests.factories import PASSWORD, make_user, register_customer
from tests.helpers import csrf_token, login
from webshop import accounts
from webshop.models import LoginSession, utcnow

NEW_PASSWORD = "a brand new passphrase"


def logins(db):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(LoginSession))


def is_logged_in(client):
    return client.get("/account").status_code == 200


def log_out(client):
    return client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


def change_password(client, current=PASSWORD, new=NEW_PASSWORD):
    token = csrf_token(client, "/account/password")
    return client.post("/account/password", data={
        "csrf_token": token, "current_password": current, "new_password": new, "confirm": new})


def session_value(client, key):
    with client.session_transaction() as session:
        return session.get(key)


def test_a_cookie_copied_before_logout_no_longer_opens_the_account(app, client, db):
    register_customer()
    login(client)
    stolen = browser_with(app, cookies_of(client))
    assert is_logged_in(stolen) and logins(db) == 1

    assert log_out(client).status_code == 303

    assert logins(db) == 0
    assert not is_logged_in(stolen)
    assert not is_logged_in(client)


def test_the_remember_cookie_alone_logs_in_until_logout(app, client, db):
    register_customer()
    login(client, remember=True)
    remember = {"remember_token": cookies_of(client)["remember_token"]}
    assert ":" in session_value(client, "_user_id")  # the cookie carries the login's token

    restarted = browser_with(app, remember)  # the browser was closed: no session cookie
    assert is_logged_in(restarted)
    log_out(client)

    assert not is_logged_in(browser_with(app, remember))


def test_a_password_change_ends_every_other_login_and_every_remember_cookie(app, db):
    register_customer()
    here, laptop = app.test_client(), app.test_client()
    login(here, remember=True)
    login(laptop, remember=True)
    old_here = cookies_of(here)
    laptop_remember = {"remember_token": cookies_of(laptop)["remember_token"]}
    assert logins(db) == 2

    response = change_password(here)

    assert response.status_code == 303
    assert "Every other browser is logged out" in here.get(response.headers["Location"]).get_data(
        as_text=True)
    assert is_logged_in(here)  # with a new login and a new remember cookie
    assert cookies_of(here)["remember_token"] != old_here["remember_token"]
    assert is_logged_in(browser_with(app, {"remember_token": cookies_of(here)["remember_token"]}))
    assert not is_logged_in(laptop)
    assert not is_logged_in(browser_with(app, laptop_remember))
    assert not is_logged_in(browser_with(app, old_here))  # a copy of this browser's old cookies
    assert logins(db) == 1


def test_a_refused_password_change_ends_nothing(app, client, db):
    register_customer()
    login(client)
    other = app.test_client()
    login(other)

    assert change_password(client, current="not my password").status_code == 422

    assert is_logged_in(client) and is_logged_in(other) and logins(db) == 2


def test_a_password_reset_ends_every_login(app, client, db):
    user = register_customer()
    login(client, remember=True)
    remember = {"remember_token": cookies_of(client)["remember_token"]}
    link = f"/password/reset/{accounts.password_reset_token(user)}"
    resetter = app.test_client()
    token = csrf_token(resetter, link)

    done = resetter.post(link, data={"csrf_token": token, "password": NEW_PASSWORD,
                                     "confirm": NEW_PASSWORD})

    assert done.status_code == 303
    assert "every browser logged in to your account is logged out" in resetter.get(
        "/login").get_data(as_text=True)
    assert not is_logged_in(client)
    assert not is_logged_in(browser_with(app, remember))
    assert logins(db) == 0
    assert login(resetter, password=NEW_PASSWORD).status_code == 303


def test_deactivating_an_account_ends_its_logins(app, client, db):
    boss = make_user("boss@example.com", role="admin")
    clerk = make_user("clerk@example.com", role="staff")
    login(client, "clerk@example.com", remember=True)
    assert client.get("/admin/").status_code == 200

    accounts.set_active(clerk.id, False, actor=boss)

    assert logins(db) == 0
    assert client.get("/admin/").status_code == 302
    accounts.set_active(clerk.id, True, actor=boss)
    assert client.get("/admin/").status_code == 302  # reactivated: log in again


def test_logging_in_changes_the_login_token_and_the_csrf_token(app, client, db):
    register_customer()
    before = csrf_token(client, "/login")
    planted = browser_with(app, cookies_of(client))  # e.g. a cookie set by someone else first

    login(client)

    after = csrf_token(client, "/account")
    assert after != before
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert not is_logged_in(planted)
    first = session_value(client, "_user_id")
    log_out(client)
    login(client)
    second = session_value(client, "_user_id")
    assert first != second and first.split(":")[0] == second.split(":")[0]


def test_logging_in_again_ends_the_browsers_previous_login(client, db):
    register_customer()
    make_user("other@example.com")
    login(client)
    login(client, "other@example.com")
    assert logins(db) == 1


def test_the_user_loader_takes_one_query(app, client, db, count_queries):
    register_customer()
    login(client)
    user_id = session_value(client, "_user_id")

    with app.test_request_context(), count_queries() as q:
        user = accounts.load_user(user_id)

    assert user is not None and user.email == "shopper@example.com"
    assert q.count == 1
    assert accounts.load_user(user_id.split(":")[0]) is None  # an id without a login token
    assert accounts.load_user(user_id[:-1] + "x") is None
    assert accounts.load_user("x:y") is None and accounts.load_user("") is None


def test_last_use_is_written_at_most_every_few_minutes(app, client, db, count_queries):
    register_customer()
    login(client)
    client.get("/account")
    with count_queries() as q:
        assert client.get("/account").status_code == 200
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in q.statements)

    long_ago = utcnow() - timedelta(seconds=app.config["LOGIN_SESSION_TOUCH_AFTER"] + 60)
    db.session.execute(update(LoginSession).values(last_seen_at=long_ago))
    db.session.commit()
    with count_queries() as q:
        assert client.get("/account").status_code == 200
    assert [s for s in q.statements if "UPDATE login_sessions" in s]
    db.session.rollback()
    assert db.session.scalar(select(LoginSession.last_seen_at)) > long_ago


def test_anonymous_requests_never_touch_the_logins(client, db, count_queries):
    with count_queries() as q:
        client.get("/")
        client.get("/login")
    assert not any("login_sessions" in s for s in q.statements)


def test_a_login_unused_for_too_long_ends(app, client, db):
    register_customer()
    login(client, remember=True)
    idle = utcnow() - timedelta(seconds=app.config["LOGIN_SESSION_MAX_IDLE"] + 60)
    db.session.execute(update(LoginSession).values(last_seen_at=idle))
    db.session.commit()

    assert not is_logged_in(client)
    login(app.test_client())  # a new login clears the user's expired ones
    assert logins(db) == 1
