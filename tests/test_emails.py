"""What the customer receives: order emails, embedded mode's .eml files, password reset."""
import email
import email.policy
import re

import pytest
from sqlalchemy import select

from tests.conftest import free_port
from tests.factories import make_order, make_user
from tests.helpers import csrf_token
from webshop import accounts, orders
from webshop.models import OutboxMessage, SentEmail, User


@pytest.fixture
def embedded(settings, tmp_path):
    """Embedded mode: no Redis for jobs (they run in-process after commit), mail to files."""
    settings(REDIS_URL=None, MAIL_SERVER=None, MAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    return tmp_path / "outbox"


def eml_files(folder):
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def read_eml(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def parts(message):
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


def order_path(message):
    """The order page link of an email, as a path this test client can open."""
    return re.search(r"http://[^/\s]+(/orders/\S+?token=[\w.-]+)", parts(message)[0]).group(1)


# --- order emails ------------------------------------------------------------------------------

def test_embedded_mode_runs_the_job_after_commit_and_writes_an_eml_file(db, embedded, client):
    order = make_order(email="guest@example.com", total=5995, quantity=2)
    orders.mark_paid(order.id)

    [path] = eml_files(embedded)
    assert re.fullmatch(rf"\d{{8}}T[\d.]+Z-order_confirmation-{order.id}\.eml", path.name)
    message = read_eml(path)
    assert message["To"] == "guest@example.com"
    text, html = parts(message)
    for part in (text, html):
        assert order.number in part and "Test product" in part
        assert "€59.95" in part and "€55.00" in part  # total, and the line of two
        assert "Alex Example" in part and "10115 Berlin" in part and "Germany" in part
    assert "2 x Test product" in text
    assert "<img" not in html and "<script" not in html.lower()
    # The link opens the order page for whoever holds it.
    page = client.get(order_path(message))
    assert page.status_code == 200 and order.number in page.get_data(as_text=True)
    db.session.rollback()
    message = db.session.scalar(select(OutboxMessage))
    # Run in-process: handed over and done in one go.
    assert message.enqueued_at is not None and message.completed_at == message.enqueued_at
    assert db.session.scalar(select(SentEmail.dedupe_key)) == f"order_confirmation:{order.id}"


def test_dispatch_notice_names_the_carrier_and_tracking_number(db, embedded):
    order = make_order(status="paid")
    orders.dispatch(order.id, "DHL", "JJD0123456789")

    [path] = eml_files(embedded)
    message = read_eml(path)
    assert message["Subject"] == f"Your order {order.number} is on its way"
    for part in parts(message):
        assert "DHL" in part and "JJD0123456789" in part and order.number in part


def test_cancellation_and_refund_notices(db, embedded):
    cancelled = make_order()
    orders.cancel(cancelled.id, reason="Payment not received in time.")
    refunded = make_order(status="paid", total=3000)
    orders.mark_refunded(refunded.id)

    subjects = {read_eml(p)["Subject"]: read_eml(p) for p in eml_files(embedded)}
    cancel_mail = subjects[f"Your order {cancelled.number} has been cancelled"]
    assert "No payment was taken" in parts(cancel_mail)[0]
    refund_mail = subjects[f"Your order {refunded.number} has been refunded"]
    assert "we have refunded €30.00" in parts(refund_mail)[0]


def test_a_failed_send_in_embedded_mode_stays_in_the_outbox_until_the_relay(
        settings, db, embedded):
    settings(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # down
    order = make_order()
    orders.mark_paid(order.id)  # the request still succeeds

    db.session.rollback()
    message = db.session.scalar(select(OutboxMessage))
    assert (message.enqueued_at, message.completed_at, message.attempts) == (None, None, 1)
    assert db.session.scalar(select(SentEmail)) is None
    from webshop import outbox
    assert outbox.backlog()["unfinished"] == 1

    settings(MAIL_SERVER=None)  # mail works again
    assert outbox.relay_pending(older_than_seconds=0) == 1
    [path] = eml_files(embedded)
    assert order.number in read_eml(path)["Subject"]
    db.session.rollback()
    assert db.session.get(OutboxMessage, message.id).completed_at is not None
    assert outbox.backlog() == {"unfinished": 0, "waiting": 0, "oldest_age": 0.0}


def test_order_email_over_smtp_sends_once_per_kind(app, db, smtp_sink):
    from webshop.notifications import send_order_email

    order = make_order(status="dispatched")
    assert send_order_email("order_dispatched", order.id) == "sent"
    assert send_order_email("order_dispatched", order.id) == "duplicate"
    assert send_order_email("order_refunded", order.id) == "sent"
    assert [m["Subject"].split()[-1] for m in smtp_sink.wait_for(2)] == ["way", "refunded"]
    with pytest.raises(ValueError):
        send_order_email("order_lost", order.id)


# --- password reset ----------------------------------------------------------------------------

def forgot(client, address):
    token = csrf_token(client, "/password/forgot")
    return client.post("/password/forgot", data={"email": address, "csrf_token": token})


def without_csrf(html):
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", html).replace(
        re.search(r'"X-CSRFToken": "([^"]*)"', html).group(1), "")


def test_forgot_password_answers_alike_for_known_and_unknown_addresses(db, embedded, app):
    make_user("known@example.com")
    answers = []
    for address in ("known@example.com", "nobody@example.com"):
        client = app.test_client()
        response = forgot(client, address)
        page = client.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"],
                        without_csrf(page.get_data(as_text=True))))
    assert answers[0] == answers[1]
    assert answers[0][0] == 303
    assert "If an account exists for that address, we have sent a link" in answers[0][2]

    [path] = eml_files(embedded)  # one mail, to the account that exists
    message = read_eml(path)
    assert message["To"] == "known@example.com"
    assert "/password/reset/" in parts(message)[0] and "/password/reset/" in parts(message)[1]


def reset_link(folder):
    [path] = eml_files(folder)
    return re.search(r"http://[^/\s]+(/password/reset/[\w.-]+)", parts(read_eml(path))[0]).group(1)


def test_the_reset_link_works_once(db, embedded, client):
    make_user("reset@example.com", password="old password 123")
    forgot(client, "reset@example.com")
    link = reset_link(embedded)

    form = client.get(link)
    assert form.status_code == 200 and "reset@example.com" in form.get_data(as_text=True)
    token = csrf_token(client, link)
    too_short = client.post(link, data={"password": "short", "confirm": "short", "csrf_token": token})
    assert too_short.status_code == 422 and "at least 10 characters" in too_short.get_data(as_text=True)

    done = client.post(link, data={"password": "new password 456", "confirm": "new password 456",
                                   "csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"] == "/login"
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == "reset@example.com"))
    assert user.check_password("new password 456") and not user.check_password("old password 123")

    again = client.get(link)
    assert again.status_code == 400
    assert "/password/forgot" in again.get_data(as_text=True)
    reuse = client.post(link, data={"password": "third password 789",
                                    "confirm": "third password 789", "csrf_token": token})
    assert reuse.status_code == 400
    db.session.rollback()
    assert db.session.get(User, user.id).check_password("new password 456")


def test_expired_and_tampered_reset_links_are_refused(db, settings, client):
    user = make_user("late@example.com")
    token = accounts.password_reset_token(user)
    assert client.get(f"/password/reset/{token}").status_code == 200

    with settings(PASSWORD_RESET_MAX_AGE=-1):  # every token is too old
        expired = client.get(f"/password/reset/{token}")
    assert expired.status_code == 400 and "Ask for a new link" in expired.get_data(as_text=True)

    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/password/reset/{tampered}").status_code == 400
    assert client.get("/password/reset/not-a-token").status_code == 400
    other = make_user("other@example.com")
    forged_payload = token.replace(token.split(".")[0], accounts.password_reset_token(other).split(".")[0])
    assert client.get(f"/password/reset/{forged_payload}").status_code == 400


def test_inactive_accounts_get_no_reset_mail(db, embedded, client):
    user = make_user("gone@example.com")
    user.active = False
    db.session.commit()
    assert forgot(client, "gone@example.com").status_code == 303
    assert eml_files(embedded) == []


def test_the_login_page_links_to_password_reset(client):
    assert 'href="/password/forgot"' in client.get("/login").get_data(as_text=True)
