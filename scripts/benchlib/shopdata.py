"""What the load mix's shoppers need from the bench database, and the stock audit after a
run: accounts to log in with, stock set before each run (plenty everywhere, a few scarce
items that sell out under load), and the check that nothing was oversold."""
import math
import subprocess
import sys

import psycopg

from benchlib.settings import BENCH_DSN, ROOT, bench_env

PASSWORD = "loadmix-shopper-passphrase-2026"
PLENTY = 1_000_000
ADDRESS = {"name": "Load Mix", "line1": "1 Bench Street", "city": "Berlin",
           "postal_code": "10115", "country": "DE", "shipping_method": "standard"}

_REGISTER = """
import sys
from webshop import accounts, create_app
app = create_app()
with app.app_context():
    for email in sys.argv[2:]:
        try:
            accounts.register(email, sys.argv[1], "Load Mix Shopper")
        except accounts.AccountError:
            pass  # made by an earlier run
"""


def make_accounts(count):
    """`count` customer accounts (through the accounts domain); their emails."""
    emails = [f"loadmix{n}@example.com" for n in range(count)]
    if emails:
        result = subprocess.run([sys.executable, "-c", _REGISTER, PASSWORD, *emails], cwd=ROOT,
                                env=bench_env(), capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise SystemExit("making the shoppers' accounts failed:\n" + result.stderr[-2000:])
    return emails


def restock(scarce_count, scarce_stock, dsn=None):
    """Every active product's first variant gets PLENTY of stock, except `scarce_count` of
    them, which get `scarce_stock`. Returns the run's data and the audit baseline.
    `dsn`: another database than the bench's (a server started by someone else)."""
    with psycopg.connect(dsn or BENCH_DSN, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT p.slug, v.id, p.name FROM product p JOIN LATERAL ("
            " SELECT id FROM product_variant WHERE product_id = p.id ORDER BY id LIMIT 1) v"
            " ON true WHERE p.active ORDER BY p.id").fetchall()
        categories = [r[0] for r in conn.execute("SELECT slug FROM category ORDER BY position")]
        if not rows or not categories:
            raise SystemExit("webshop_bench has no active product or category")
        scarce = rows[-scarce_count:] if scarce_count else []
        plenty = rows[:len(rows) - len(scarce)]
        conn.execute("UPDATE product_variant SET stock = %s", (PLENTY,))
        if scarce:
            conn.execute("UPDATE product_variant SET stock = %s WHERE id = ANY(%s)",
                         (scarce_stock, [r[1] for r in scarce]))
        baseline = dict(conn.execute("SELECT id, stock FROM product_variant").fetchall())
        last_order = conn.execute('SELECT coalesce(max(id), 0) FROM "order"').fetchone()[0]
    words = sorted({w.lower() for _, _, name in rows for w in name.split() if len(w) > 3})
    data = {
        "products": [[slug, vid] for slug, vid, _ in plenty],
        "scarce": [[slug, vid] for slug, vid, _ in scarce],
        "categories": categories,
        "queries": words[::max(1, len(words) // 12)][:12] or ["a"],
        "pages": max(1, math.ceil(len(rows) / 24)),
        "address": ADDRESS,
        "password": PASSWORD,
    }
    return data, {"stock": baseline, "last_order": last_order}


def audit(baseline, dsn=None):
    """After a run: orders placed, negative stock, and per variant whether the stock taken
    equals the quantities in the run's orders that still hold it (not cancelled)."""
    with psycopg.connect(dsn or BENCH_DSN, connect_timeout=5) as conn:
        orders = conn.execute('SELECT count(*) FROM "order" WHERE id > %s',
                              (baseline["last_order"],)).fetchone()[0]
        negative = conn.execute(
            "SELECT count(*) FROM product_variant WHERE stock < 0").fetchone()[0]
        held = dict(conn.execute(
            'SELECT i.variant_id, sum(i.quantity) FROM order_items i JOIN "order" o'
            " ON o.id = i.order_id WHERE o.id > %s AND o.status <> 'cancelled'"
            " GROUP BY i.variant_id", (baseline["last_order"],)).fetchall())
        stock = dict(conn.execute("SELECT id, stock FROM product_variant").fetchall())
    mismatched = [vid for vid, before in baseline["stock"].items()
                  if before - stock.get(vid, before) != held.get(vid, 0)]
    oversold = [vid for vid, qty in held.items() if qty > baseline["stock"].get(vid, 0)]
    return {"orders": orders, "negative": negative, "mismatched": mismatched,
            "oversold": oversold, "held": sum(held.values()),
            "taken": sum(before - stock.get(vid, before)
                         for vid, before in baseline["stock"].items())}
