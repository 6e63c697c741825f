"""What production refuses at start-up, so a shop never takes "payments" it cannot
trust: no Stripe key without an explicit demo opt-in, no real key without its webhook
secret, and never the sandbox beside a real key."""
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PRODUCTION = {"WEBSHOP_ENV": "production", "PATH": "/usr/bin:/bin", "SECRET_KEY": "s" * 40,
              "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
              "REDIS_URL": "redis://127.0.0.1:6379/15", "BASE_URL": "https://shop.example"}
REAL_KEY = {"STRIPE_SECRET_KEY": "sk_live_not_really", "STRIPE_WEBHOOK_SECRET": "whsec_real"}

SHOW_ROUTES = ("import wsgi; rules = {r.rule for r in wsgi.app.url_map.iter_rules()}; "
               "print('sandbox' if any(r.startswith('/_sandbox') for r in rules) else 'no sandbox')")


def start(env, code="import wsgi"):
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_production_without_a_stripe_key_refuses_to_start():
    result = start(PRODUCTION)
    assert result.returncode != 0
    assert "set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET" in result.stderr
    assert "STRIPE_SANDBOX=1" in result.stderr


@pytest.mark.parametrize("env", [{**PRODUCTION, "STRIPE_SECRET_KEY": "sk_live_x"},
                                 {"PATH": "/usr/bin:/bin", "STRIPE_SECRET_KEY": "sk_test_x"}],
                         ids=["production", "development"])
def test_a_real_key_without_its_webhook_secret_refuses_to_start(env):
    result = start(env)
    assert result.returncode != 0
    assert "STRIPE_WEBHOOK_SECRET is not" in result.stderr


def test_the_public_sandbox_secret_does_not_count_as_a_webhook_secret():
    result = start({**PRODUCTION, "STRIPE_SECRET_KEY": "sk_live_x",
                    "STRIPE_WEBHOOK_SECRET": "whsec_sandbox_not_secret"})
    assert result.returncode != 0 and "STRIPE_WEBHOOK_SECRET" in result.stderr


def test_a_real_key_and_the_sandbox_opt_in_together_refuse_to_start():
    result = start({**PRODUCTION, **REAL_KEY, "STRIPE_SANDBOX": "1"})
    assert result.returncode != 0 and "both set" in result.stderr


def test_with_a_real_key_the_sandbox_is_never_served():
    result = start({**PRODUCTION, **REAL_KEY}, SHOW_ROUTES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no sandbox"


def test_a_demo_shop_opts_in_and_says_so_on_every_page(app, database_url):
    code = SHOW_ROUTES + ("; c = wsgi.app.test_client(); "
                          "print('banner' if 'no real payments' in c.get('/login').get_data(True) "
                          "else 'silent')")
    result = start({**PRODUCTION, "STRIPE_SANDBOX": "1", "DATABASE_URL": database_url}, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sandbox", "banner"]
    assert "no real money is taken" in result.stderr  # and the log says it too


def test_the_storefront_shows_the_demo_banner_while_the_sandbox_takes_payments(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'class="demo-banner"' in html and "no real payments" in html
