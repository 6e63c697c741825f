"""Operator commands: seed-demo (never in production), create-admin (the one password
rule); and configuration refusing bad set-ups."""
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from tests.factories import make_user
from tests.helpers import login
from webshop.models import Category, LoginSession, Product, ProductImage, ProductVariant, User


def counts(db):
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Category, Product, ProductVariant, ProductImage, User)}


def test_seed_demo_builds_a_realistic_catalogue_once(app, db):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["seed-demo"])
    after_first = counts(db)
    second = runner.invoke(args=["seed-demo"])

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "Staff login: staff@example.com / " in first.output
    assert after_first["Category"] >= 6 and after_first["Product"] >= 60
    assert after_first["ProductVariant"] > after_first["Product"]  # some have variants
    assert counts(db) == after_first
    staff = db.session.scalar(select(User).where(User.email == "staff@example.com"))
    assert staff.role == "staff"
    password = first.output.split("Staff login: staff@example.com / ")[1].split()[0]
    assert staff.check_password(password)
    sold_out = db.session.scalar(select(func.count()).select_from(ProductVariant)
                                 .where(ProductVariant.stock == 0))
    assert sold_out > 0


def test_seeded_images_are_served(app, db, client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    image = db.session.scalar(select(ProductImage.filename).limit(1))
    response = client.get(f"/media/{image}")
    assert response.status_code == 200 and response.data[:4] == b"RIFF"


def test_create_admin_takes_the_password_from_the_environment(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "Boss@Example.com"], env={"ADMIN_PASSWORD": "long enough pw"})

    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.com"))
    assert user.role == "admin" and user.check_password("long enough pw")


def test_create_admin_refuses_bad_input_without_a_traceback(app, db):
    runner = app.test_cli_runner()
    bad_email = runner.invoke(args=["create-admin", "not-an-email"], env={"ADMIN_PASSWORD": "x" * 12})
    short = runner.invoke(args=["create-admin", "a@example.com"], env={"ADMIN_PASSWORD": "short"})

    assert bad_email.exit_code != 0 and "Traceback" not in bad_email.output
    assert short.exit_code != 0 and "at least 10" in short.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("password, reason", [
    ("8chars!!", "at least 10 characters"),  # the old minimum of create-admin
    ("password12", "most common"),
    ("1234567890", "most common"),
    ("aaaaaaaaaaaa", "harder to guess"),
    ("boss@example.com", "your email address"),
    ("webshop-boss", "your email address, your name or the shop's name"),
])
def test_create_admin_applies_the_same_password_rule_as_everywhere(app, db, password, reason):
    result = app.test_cli_runner().invoke(args=["create-admin", "boss@example.com"],
                                          env={"ADMIN_PASSWORD": password})

    assert result.exit_code != 0 and reason in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_admin_on_an_existing_account_ends_its_logins(app, db, client):
    make_user("boss@example.com", role="staff")
    login(client, "boss@example.com")
    assert client.get("/admin/").status_code == 200

    result = app.test_cli_runner().invoke(args=["create-admin", "boss@example.com"],
                                          env={"ADMIN_PASSWORD": "a new long passphrase"})

    assert result.exit_code == 0, result.output
    assert "every login of it ended" in result.output
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0
    assert client.get("/admin/").status_code == 302  # to the login page


def test_seed_demo_refuses_to_run_in_production(app, db, settings):
    settings(ENV_NAME="production")

    result = app.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code != 0 and "does not run in production" in result.output
    assert "Traceback" not in result.output
    assert counts(db) == {"Category": 0, "Product": 0, "ProductVariant": 0, "ProductImage": 0,
                          "User": 0}


def test_production_refuses_to_start_without_its_services():
    env = {"WEBSHOP_ENV": "production", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "set SECRET_KEY, DATABASE_URL, REDIS_URL" in result.stderr
