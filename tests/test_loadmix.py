"""scripts/loadmix.py (`make bench-mix`): the shopper mix and its report's arithmetic, and
a tiny run of real virtual shoppers against the test app. No timing is asserted: the
benchmark's figures are for BENCHMARKS.md, not for tests."""
import random
import subprocess
import sys
from pathlib import Path

from tests.factories import make_category, make_product, register_customer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from benchlib import mix, shopdata  # noqa: E402 (after the path)

LOADMIX = ROOT / "scripts" / "loadmix.py"


def test_the_mix_is_70_20_8_2_over_all_shoppers_whatever_the_share_logged_in():
    rng = random.Random(7)
    share = 0.25
    counts = dict.fromkeys(mix.KINDS, 0)
    for n in range(40_000):
        logged_in = n % 4 == 0  # a quarter of the shoppers
        counts[mix.choose(mix.weights_for(logged_in, share), rng)] += 1
    shares = {kind: count / 40_000 for kind, count in counts.items()}
    assert abs(shares["browse"] - 0.70) < 0.01
    assert abs(shares["cart"] - 0.20) < 0.01
    assert abs(shares["checkout"] - 0.08) < 0.005
    assert abs(shares["account"] - 0.02) < 0.003
    assert mix.weights_for(False, share)["account"] == 0  # anonymous: no account pages


def test_a_sold_out_refusal_is_not_an_error_but_anything_else_is():
    assert mix.refused_for_stock(422, "Sorry, Blue Mug is sold out.")
    assert mix.refused_for_stock(422, "Only 2 of Blue Mug left: you can have at most 2")
    assert mix.refused_for_stock(422, "Sorry, not enough stock left for: Blue Mug.")
    assert not mix.refused_for_stock(422, "Enter a whole number for the quantity.")
    assert not mix.refused_for_stock(500, "sold out")


class Answer:
    def __init__(self, location):
        self.headers = {"Location": location}


def test_an_order_counts_only_when_it_hands_the_shopper_over_to_the_payment_page():
    assert mix.not_handed_over(Answer("http://127.0.0.1:9/_sandbox/checkout/cs_1")) is None
    assert mix.not_handed_over(Answer("https://checkout.stripe.com/c/pay/cs_1")) is None
    assert mix.not_handed_over(Answer("/orders/W-1?token=x"))  # payment provider failed
    assert mix.not_handed_over(Answer("http://127.0.0.1:9/cart"))  # empty cart


def test_cache_hit_ratio_is_read_from_two_scrapes_of_metrics():
    before = ('# HELP webshop_cache_hits_total x\nwebshop_cache_hits_total{kind="page"} 10.0\n'
              'webshop_cache_hits_total{kind="data"} 5.0\nwebshop_cache_misses_total 5.0\n'
              'webshop_cache_hits_total_created 1.7e9\n')
    after = before.replace("10.0", "100.0").replace("misses_total 5.0", "misses_total 15.0")
    assert mix.metric_total(before, "webshop_cache_hits_total") == 15.0
    assert mix.cache_hit_ratio(before, after) == (90.0, 10.0, 0.9)
    assert mix.cache_hit_ratio("", after) is None  # the app does not expose them


def test_each_row_carries_its_ratio_to_the_hello_world_route():
    entry = {"count": 10, "failures": 0, "rps": 250.0, "p50": 3, "p95": 9, "p99": 12}
    stats = {"total": entry, "kinds": {"browse": entry}, "names": {"browse:home": entry}}
    table = mix.rows(stats, hello_rps=1000.0)
    assert [row["name"] for row in table] == ["ALL", "browse (all)", "  browse:home"]
    assert all(row["ratio"] == 0.25 for row in table)
    assert "0.25" in mix.format_rows(table)


def test_help_describes_the_options():
    result = subprocess.run([sys.executable, str(LOADMIX), "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0
    for option in ("--duration", "--target", "--mode", "--users", "--base-url"):
        assert option in result.stdout


def test_a_tiny_run_against_the_test_app_has_no_errors_and_reports_every_field(
        live_server, db, database_url):
    category = make_category("Mugs")
    for n in range(4):
        make_product(f"Load Mug {n}", stock=50, category=category)
    # One account per virtual shopper: two browsers of one account share its cart, and one's
    # order empties the other's (the shop says so; the benchmark counts it as an error).
    accounts = ["loadmix-test@example.com", "loadmix-test2@example.com"]
    for email in accounts:
        register_customer(email, password=shopdata.PASSWORD)
    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    result = subprocess.run(
        [sys.executable, str(LOADMIX), "--base-url", live_server, "--dsn", dsn,
         "--accounts", *accounts, "--share-logged-in", "0.5",
         "--users", "2", "--duration", "2", "--warmup", "0", "--mode", "both", "--scarce", "1",
         "--scarce-stock", "2", "--check"],
        capture_output=True, text=True, timeout=120)
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-2000:]
    for field in ("ALL", "browse (all)", "p99 ms", "orders placed:", "stock audit:",
                  "negative stock: 0", "oversold variants: none", "catalogue cache:"):
        assert field in out, field
    assert "orders/s" in out
