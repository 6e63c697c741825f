"""Races over real HTTP, through gunicorn with threaded workers (as production runs it):
200 shoppers for the last 10 units, and staff changing the stock while shoppers check
out. The outcome must be exact every run, not just usually: no oversold unit, no lost
stock change, no 500."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.factories import PASSWORD, make_product, make_user
from tests.fault_helpers import (
    Answers, Shopper, adjust_stock, gunicorn_gthread, log_in_staff,
)
from tests.invariants import assert_invariants
from tests.helpers import stock_of
from tests.sandbox_helpers import AppProcess
from webshop.models import AuditLog, Order

SHOPPERS = 200
UNITS = 10


@pytest.fixture
def gunicorn_shop(database_url, tmp_path, db):
    """The shop as production runs it: gunicorn, 2 gthread workers of 8 threads."""
    process = AppProcess(database_url, tmp_path,
                         gunicorn_args=gunicorn_gthread(workers=2, threads=8))
    yield process
    process.stop()


def ready_to_check_out(shoppers, variant_id):
    """Each shopper puts one unit in the cart and opens the checkout form (16 at a
    time); returns the forms, ready to send."""
    def prepare(shopper):
        assert shopper.add_to_cart(variant_id).status_code == 303
        return shopper.open_checkout()
    with ThreadPoolExecutor(16) as pool:
        forms = list(pool.map(prepare, shoppers))
    assert all(forms)
    return forms


def all_at_once(actions):
    """Run every action in a thread of its own, released together; returns the results."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(i):
        barrier.wait(timeout=120)
        results[i] = actions[i]()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_200_shoppers_racing_for_10_units_make_exactly_10_orders(gunicorn_shop, db):
    teapot = make_product("Teapot", stock=UNITS)
    variant_id = teapot.variants[0].id
    answers = Answers()
    shoppers = [Shopper(gunicorn_shop.url, answers) for _ in range(SHOPPERS)]
    forms = ready_to_check_out(shoppers, variant_id)

    results = all_at_once([lambda s=s, f=f: s.place_order(f) for s, f in zip(shoppers, forms)])

    placed = [page for _, page in results if page]
    refused = [answer for answer, page in results if not page]
    print(f"\n{SHOPPERS} shoppers, {UNITS} units: {len(placed)} orders, {len(refused)} refused; "
          f"answers {dict(answers.statuses())}")
    answers.assert_no_server_errors()
    assert len(placed) == UNITS and len(set(placed)) == UNITS
    assert all(a.status_code == 422 and "not enough stock left" in a.text for a in refused)
    assert stock_of(variant_id) == 0
    assert db.session.scalar(select(func.count()).select_from(Order)) == UNITS
    assert assert_invariants({variant_id: UNITS}) == {"pending": UNITS}


def test_staff_stock_changes_racing_checkouts_stay_exact(gunicorn_shop, db):
    """60 shoppers check out one unit each while two staff members post 40 stock
    changes (+3 and -2) at the same moment: every change applied is in the stock and
    the audit log, every refused one (it would go below zero) changed nothing, and no
    unit is sold twice."""
    teapot = make_product("Teapot", stock=UNITS)
    variant_id = teapot.variants[0].id
    make_user("staff@example.com", role="staff")
    make_user("admin@example.com", role="admin")
    answers = Answers()
    staff = [log_in_staff(gunicorn_shop.url, email, PASSWORD, answers)
             for email in ("staff@example.com", "admin@example.com")]
    shoppers = [Shopper(gunicorn_shop.url, answers) for _ in range(60)]
    forms = ready_to_check_out(shoppers, variant_id)
    deltas = [3 if i % 2 else -2 for i in range(40)]

    checkouts = [lambda s=s, f=f: s.place_order(f) for s, f in zip(shoppers, forms)]
    changes = [lambda i=i, d=d: adjust_stock(staff[i % 2], variant_id, d, hx=True)
               for i, d in enumerate(deltas)]
    results = all_at_once(checkouts + changes)

    placed = sum(1 for _, page in results[:60] if page)
    applied = [d for d, answer in zip(deltas, results[60:]) if answer.status_code == 200]
    refused = [answer for answer in results[60:] if answer.status_code != 200]
    print(f"\n{placed} orders, {len(applied)} stock changes applied ({sum(applied):+d}), "
          f"{len(refused)} refused")
    answers.assert_no_server_errors()
    assert all(a.status_code == 409 and "Only" in a.text for a in refused)
    assert all(a.status_code == 422 and "not enough stock left" in a.text
               for a, page in results[:60] if not page)
    assert stock_of(variant_id) == UNITS + sum(applied) - placed
    logged = db.session.scalars(select(AuditLog).where(AuditLog.action == "stock.adjust")).all()
    assert sorted(e.after["stock"] - e.before["stock"] for e in logged) == sorted(applied)
    assert assert_invariants({variant_id: UNITS + sum(applied)}) == {"pending": placed}
