"""Registering in two steps (an email, then the link's form), answered the same whether
or not the address already has an account: that owner gets a mail instead."""
import pytest

from tests.account_helpers import (  # noqa: F401  (mailbox is a fixture)
    ask_to_register, finish_registration, from_address, link_in, mailbox, mails, text_of,
)
from tests.factories import PASSWORD, register_customer
from tests.helpers import csrf_token
from webshop import accounts
from webshop.models import Customer, LoginSession, OutboxMessage, User


def logged_in_user_id(client):
    with client.session_transaction() as session:
        return session.get("_user_id")


def without_csrf(html):
    import re
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", html).replace(
        re.search(r'"X-CSRFToken": "([^"]*)"', html).group(1), "")


def test_registering_takes_a_link_by_mail_then_logs_in(client, db, mailbox):
    response = ask_to_register(client, "Ada@Example.com")

    assert response.status_code == 303 and response.headers["Location"] == "/register"
    assert "Check your email" in client.get("/register").get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0  # nothing yet
    [message] = mails(mailbox)
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Finish creating your Webshop account"
    link = link_in(message, "/register/")

    form = client.get(link)
    assert form.status_code == 200 and "For ada@example.com." in form.get_data(as_text=True)
    done = finish_registration(client, link)

    assert done.status_code == 303 and done.headers["Location"] == "/account"
    db.session.rollback()
    user = db.session.scalar(db.select(User))
    assert (user.email, user.role) == ("ada@example.com", "customer")
    customer = db.session.scalar(db.select(Customer))
    assert (customer.user_id, customer.name) == (user.id, "Ada Lovelace")
    assert logged_in_user_id(client).startswith(f"{user.id}:")
    page = client.get("/account").get_data(as_text=True)
    assert "Welcome! Your account is ready." in page and "ada@example.com" in page


@pytest.mark.parametrize("typed", ["ada@example.com", "ADA@example.COM"])
def test_an_address_with_an_account_gets_the_same_answer_and_its_owner_a_mail(
        app, db, mailbox, typed):
    register_customer(email="ada@example.com")
    answers = []
    for address in (typed, "new@example.com"):
        client = app.test_client()
        response = ask_to_register(client, address)
        page = client.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"],
                        without_csrf(page.get_data(as_text=True))))

    assert answers[0] == answers[1]
    owner, newcomer = mails(mailbox)
    assert owner["To"] == "ada@example.com" and newcomer["To"] == "new@example.com"
    assert owner["Subject"] == "You already have a Webshop account"
    assert "/login" in text_of(owner) and "/password/forgot" in text_of(owner)
    assert "/register/" not in text_of(owner)
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_the_request_does_the_same_work_for_both_kinds_of_address(app, db, count_queries):
    """The request never looks the address up (the job does, later): the same statements,
    so the same time, whether or not the address has an account."""
    register_customer(email="ada@example.com")
    statements = []
    for address in ("ada@example.com", "new@example.com"):
        client = app.test_client()
        token = csrf_token(client, "/register")
        with count_queries() as q:
            client.post("/register", data={"csrf_token": token, "email": address})
        statements.append(q.statements)
    assert statements[0] == statements[1]
    assert not any("FROM users" in s for s in statements[0])
    messages = db.session.scalars(db.select(OutboxMessage)).all()
    # The same message for both; the last argument is the language the email is written in.
    assert [m.args for m in messages] == [["register", "ada@example.com", "en"],
                                          ["register", "new@example.com", "en"]]


def test_a_link_to_an_address_that_has_an_account_meanwhile_says_so(client, db, mailbox):
    ask_to_register(client, "ada@example.com")
    link = link_in(mails(mailbox)[0], "/register/")
    register_customer(email="ada@example.com")

    page = client.get(link)
    assert page.status_code == 200 and "You already have an account" in page.get_data(as_text=True)
    token = csrf_token(client, "/register")
    posted = client.post(link, data={"csrf_token": token, "name": "A", "password": PASSWORD,
                                     "confirm": PASSWORD})
    assert posted.status_code == 200 and "You already have an account" in posted.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1
    assert logged_in_user_id(client) is None


def test_expired_and_tampered_registration_links_are_refused(client, db, settings):
    token = accounts.registration_token("ada@example.com")
    assert client.get(f"/register/{token}").status_code == 200
    with settings(REGISTRATION_LINK_MAX_AGE=-1):
        expired = client.get(f"/register/{token}")
    assert expired.status_code == 400 and "Ask for a new link" in expired.get_data(as_text=True)
    assert client.get(f"/register/{token[:-2]}xx").status_code == 400
    reset = accounts.password_reset_token(register_customer(email="x@example.com"))
    assert client.get(f"/register/{reset}").status_code == 400  # another salt


@pytest.mark.parametrize("password, confirm, message", [
    ("short", "short", "at least 10 characters"),
    ("password12", "password12", "one of the most common passwords"),
    ("ada@example.com", "ada@example.com", "built from your email address"),
    ("lovelace2024", "lovelace2024", "built from your email address, your name"),
    (PASSWORD, PASSWORD + "x", "The two passwords do not match."),
])
def test_a_weak_or_mistyped_password_is_refused_next_to_the_field(client, db, password, confirm,
                                                                  message):
    link = f"/register/{accounts.registration_token('ada@example.com')}"
    response = finish_registration(client, link, password=password, confirm=confirm)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and 'class="field-error"' in html
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_register_needs_a_csrf_token(client, db):
    assert client.post("/register", data={"email": "a@example.com"}).status_code == 400
    link = f"/register/{accounts.registration_token('a@example.com')}"
    response = client.post(link, data={"name": "A", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_register_is_rate_limited_per_address(client, db):
    here = from_address("203.0.113.7")
    for i in range(5):
        assert ask_to_register(client, f"user{i}@example.com", here).status_code == 303
    assert ask_to_register(client, "last@example.com", here).status_code == 429
    elsewhere = ask_to_register(client, "last@example.com", from_address("203.0.113.8"))
    assert elsewhere.status_code == 303


def test_register_is_rate_limited_per_account_whether_or_not_it_exists(app, db, settings):
    settings(RATELIMIT_REGISTER="100/minute")  # only the per-account limit here
    register_customer(email="ada@example.com")
    for address in ("ada@example.com", "nobody@example.com"):
        codes = [ask_to_register(app.test_client(), address.upper() if i else address,
                                 from_address(f"198.51.100.{i}")).status_code for i in range(4)]
        assert codes == [303, 303, 303, 429], address


def test_registering_a_taken_email_in_the_domain_is_an_account_error(db, monkeypatch):
    register_customer(email="ada@example.com")
    with pytest.raises(accounts.AccountError, match="already an account"):
        accounts.register("ADA@example.com", PASSWORD, "Ada")
    # The other request's row lands between our check and our insert.
    real_scalar = db.session.scalar
    monkeypatch.setattr(db.session, "scalar", lambda *a, **k: None)
    try:
        with pytest.raises(accounts.AccountError, match="already an account"):
            accounts.register("ada@example.com", PASSWORD, "Ada")
    finally:
        monkeypatch.setattr(db.session, "scalar", real_scalar)
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1
    assert db.session.scalar(db.select(db.func.count(LoginSession.id))) == 0
