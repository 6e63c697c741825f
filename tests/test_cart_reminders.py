"""Abandoned-cart reminders: who gets one, once, when; the email a real worker sends and
the links in it; two sweeps at once."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_order, make_product, register_customer
from tests.helpers import csrf_token, page, run_concurrently
from tests.reminder_helpers import abandon, age, link, reminder_jobs, reminders_sent
from webshop import jobs, notifications, reminders
from webshop import cart as carts
from webshop.extensions import db as _db
from webshop.models import AuditLog, ProductVariant, ReminderUnsubscribe, utcnow


@pytest.fixture
def mug(db):
    return make_product("Blue Mug", price=1250, stock=5)


def test_a_logged_in_cart_older_than_the_delay_gets_exactly_one_email_with_working_links(
        app, db, mug, smtp_sink, run_worker):
    user = register_customer("ada@example.com")
    teapot = make_product("Teapot", price=3000, stock=2)
    cart = abandon((mug, 2), (teapot, 1), user=user)

    # What the worker's schedule runs (every JOB_CART_REMINDERS_EVERY seconds).
    assert jobs.run_in_app(jobs.PERIODIC_TASKS["cart-reminders"]) == 1
    run_worker()
    assert reminders.sweep() == 0  # the same cart content is never reminded twice
    run_worker()

    [message] = smtp_sink.wait_for(1)
    assert len(smtp_sink.messages) == 1
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "You left something in your cart at Webshop"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Blue Mug" in part and "€25.00" in part  # 2 x 12.50
        assert "Teapot" in part and "€30.00" in part and "€55.00" in part
    # RFC 8058: one-click unsubscribe a mail client can offer.
    assert link(message["List-Unsubscribe"], "one-click")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert reminders_sent(cart.id) == 1
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.entity_id == cart.id)) \
        == "cart.reminded"

    # The restore link, in a browser that has never been here.
    visitor = app.test_client()
    restore = link(text, "restore")
    landing = visitor.get(restore)
    assert landing.status_code == 200 and "Blue Mug" in page(landing)
    token = csrf_token(visitor, restore)
    back = visitor.post(restore, data={"csrf_token": token})
    assert back.status_code == 303 and back.headers["Location"].endswith("/cart")
    shown = page(visitor.get("/cart"))
    assert "Blue Mug" in shown and "Teapot" in shown

    # The unsubscribe link: a page first, then the button.
    unsubscribe = link(text, "unsubscribe")
    confirm = visitor.get(unsubscribe)
    assert confirm.status_code == 200 and "a**@example.com" in page(confirm)
    assert not reminders.unsubscribed("ada@example.com")
    done = visitor.post(unsubscribe, data={"csrf_token": csrf_token(visitor, unsubscribe)})
    assert done.status_code == 200 and "no more cart reminders" in page(done)
    assert reminders.unsubscribed("ada@example.com")


def test_nothing_is_due_before_the_delay_or_when_reminders_are_off(db, mug, settings):
    user = register_customer()
    cart = abandon((mug, 1), user=user, hours_ago=23)
    assert reminders.sweep() == 0
    age(cart.id, 25)
    settings(CART_REMINDER_DELAY_HOURS=0)
    assert reminders.sweep() == 0 and reminder_jobs() == []
    settings(CART_REMINDER_DELAY_HOURS=24)
    assert reminders.sweep() == 1 and reminder_jobs() == [(cart.id, 1)]


def test_no_reminder_when_the_shopper_ordered_since_the_cart_changed(db, mug):
    user = register_customer()
    mine = abandon((mug, 1), user=user)
    guest = abandon((mug, 1), email="guest@example.com")
    make_order(user)  # placed after both carts last changed
    make_order(email="Guest@Example.com")

    assert reminders.sweep() == 0 and reminder_jobs() == []


def test_an_order_from_before_the_carts_last_change_does_not_count(db, mug):
    user = register_customer()
    make_order(user, created_at=utcnow() - timedelta(hours=30))
    make_order(email="guest@example.com", created_at=utcnow() - timedelta(hours=30))
    abandon((mug, 1), user=user)
    abandon((mug, 1), email="guest@example.com")
    assert reminders.sweep() == 2


def test_no_reminder_to_an_unsubscribed_address(db, mug):
    user = register_customer("ada@example.com")
    abandon((mug, 1), user=user)
    abandon((mug, 1), email="guest@example.com")
    reminders.unsubscribe("ADA@example.com")
    reminders.unsubscribe("guest@example.com")
    assert reminders.sweep() == 0
    assert db.session.scalar(select(func.count()).select_from(ReminderUnsubscribe)) == 2


def test_a_guest_gets_one_only_with_consent(db, mug):
    abandon((mug, 1))  # a guest who never ticked the box: no address kept
    consented = abandon((mug, 1), email="guest@example.com")
    assert reminders.sweep() == 1
    assert reminder_jobs() == [(consented.id, 1)]


def test_no_reminder_for_a_cart_whose_items_are_all_gone(db, mug):
    user = register_customer()
    gone = make_product("Retired Vase", active=False)
    sold_out = make_product("Last Lamp", stock=0)
    abandon((gone, 1), (sold_out, 1), user=user)
    assert reminders.sweep() == 0
    # One item still for sale: the email lists that one only.
    other = abandon((gone, 1), (mug, 1), email="guest@example.com")
    assert reminders.sweep() == 1
    email = reminders.reminder_email(other.id, 1)
    assert [line.product_name for line in email.lines] == ["Blue Mug"]


def test_a_changed_cart_waits_a_full_delay_again_up_to_the_maximum(db, mug, settings):
    settings(CART_REMINDER_MAX=2)
    user = register_customer()
    cart = abandon((mug, 1), user=user)
    assert reminders.sweep() == 1
    assert reminders.sweep() == 0  # unchanged: no second reminder
    age(cart.id, 1, reminded_hours_ago=2)  # reminded, then changed an hour ago
    assert reminders.sweep() == 0
    age(cart.id, 25, reminded_hours_ago=26)  # a full delay since that change
    assert reminders.sweep() == 1
    age(cart.id, 25, reminded_hours_ago=26)  # and again: but two is the most
    assert reminders.sweep() == 0
    assert reminder_jobs() == [(cart.id, 1), (cart.id, 2)]


def test_a_cart_change_through_the_cart_domain_restarts_the_delay(db, mug):
    user = register_customer()
    cart = abandon((mug, 2), user=user)
    carts.set_quantity(cart, cart.items[0].id, 1)
    assert reminders.sweep() == 0


def test_two_sweeps_at_once_remind_each_cart_once(app, db, mug):
    users = [register_customer(f"shopper{i}@example.com") for i in range(6)]
    for user in users:
        abandon((mug, 1), user=user)

    claimed = run_concurrently(app, 2, lambda _: reminders.sweep())

    assert sum(claimed) == 6, claimed
    assert len(reminder_jobs()) == 6
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "cart.reminded")) == 6


def test_the_email_reads_the_cart_when_it_is_sent_and_skips_what_is_no_longer_due(
        db, mug, smtp_sink):
    user = register_customer("ada@example.com")
    cart = abandon((mug, 1), user=user)
    assert reminders.sweep() == 1
    db.session.get(ProductVariant, mug.variants[0].id).price = 990
    db.session.commit()

    assert notifications.send_cart_reminder(cart.id, 1) == "sent"
    assert notifications.send_cart_reminder(cart.id, 1) == "duplicate"
    [message] = smtp_sink.wait_for(1)
    assert "€9.90" in message.get_body(("plain",)).get_content()

    reminders.unsubscribe("ada@example.com")
    assert reminders.reminder_email(cart.id, 1) is None
    assert notifications.send_cart_reminder(cart.id, 2) == "skipped"


def test_on_sqlite_the_sweep_reminds_once_and_the_email_goes_out_in_process(
        sqlite_app, tmp_path):
    """Embedded mode: SQLite stores times as text, and jobs run right after the commit."""
    sqlite_app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "mail")
    assert sqlite_app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    with sqlite_app.app_context():
        user = register_customer("ada@example.com")
        cart = abandon((make_product("Blue Mug", price=1250), 1), user=user)
        fresh = abandon((make_product("Teapot"), 1), email="guest@example.com", hours_ago=2)
        carts.set_quantity(fresh, fresh.items[0].id, 2)  # SQLite's own now(): still fresh

        assert reminders.sweep() == 1
        assert reminders.sweep() == 0
        assert reminders_sent(cart.id) == 1 and reminders_sent(fresh.id) == 0
        [sent] = (tmp_path / "mail").glob("*cart_reminder*.eml")
        assert "Blue Mug" in sent.read_text()
        _db.session.remove()
        _db.engine.dispose()
