"""Operator commands: seed-demo, create-admin; and configuration refusing bad set-ups."""
import subprocess
import sys

from sqlalchemy import func, select

from webshop.models import Category, Product, ProductImage, ProductVariant, User


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
    assert short.exit_code != 0 and "at least 8" in short.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_production_refuses_to_start_without_its_services():
    env = {"WEBSHOP_ENV": "production", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "set SECRET_KEY, DATABASE_URL, REDIS_URL" in result.stderr
