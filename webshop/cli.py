"""Operator commands, run as `flask --app wsgi <command>`: seed-demo, create-admin,
reconcile-payments (alias expire-reservations). Each parses its arguments and calls one domain function."""
import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from webshop import media_store
from webshop.extensions import db


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load the demo catalogue and a staff user (safe to run again). Not in production:
    the staff account's password is published."""
    from webshop.demo.seed import seed_demo

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException(
            "seed-demo does not run in production (WEBSHOP_ENV=production): it creates a "
            "staff account whose password is published. Use create-admin instead.")

    counts = seed_demo(db.session, current_app.config["UPLOAD_DIR"],
                       current_app.config["SHOP_CURRENCY"])
    for name in ("categories", "products", "variants", "images", "pages"):
        c = counts[name]
        click.echo(f"{name.capitalize():<11} {c['created']:>4} created, {c['existing']:>4} already there")
    for name, c in counts["reviews"].items():  # customers, their orders, their reviews
        click.echo(f"{name.capitalize():<11} {c['created']:>4} created, {c['existing']:>4} already there")
    files = counts["image_files"]
    where = ("the database" if media_store.in_database()
             else current_app.config["UPLOAD_DIR"])
    click.echo(f"{'Files':<11} {files['written']:>4} written, {files['existing']:>4} already there"
               f" (in {where})")
    staff = counts["staff"]
    click.echo(f"Staff login: {staff['email']} / {staff['password']}")
    if not staff["created"]:
        click.echo("(the staff account already existed; its password was left unchanged)")


@click.command("seed-pricing")
@with_appcontext
def seed_pricing_command():
    """Add the EU's VAT rates and the default shipping zones where missing (safe to run
    again: what is there is left as it is). Check the rates at /admin/tax-rates."""
    from webshop.pricing import defaults

    defaults.install()
    click.echo("VAT rates and shipping zones are in place; review them at /admin/tax-rates "
               "and /admin/shipping-zones.")


@click.command("create-admin")
@click.argument("email")
@click.option("--role", type=click.Choice(["staff", "admin"]), default="admin",
              show_default=True, help="Admin area role for the account.")
@click.option("--password", envvar="ADMIN_PASSWORD", prompt=True, hide_input=True,
              confirmation_prompt=True, hidden=True,
              help="Taken from ADMIN_PASSWORD, else asked for (never pass it as an argument).")
@with_appcontext
def create_admin_command(email, role, password):
    """Create a staff or admin account for EMAIL, or update its role and password.

    The password is asked for twice, or read from ADMIN_PASSWORD without asking.
    """
    from webshop import accounts
    from webshop.models import User
    from webshop.models.users import normalize_email

    try:
        email = normalize_email(validate_email(email, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from None
    problem = accounts.password_problem(password, email)
    if problem:  # the same rule as everywhere else
        raise click.ClickException(problem)

    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        db.session.add(User(email, password=password, role=role))
        message = f"Created {role} account {email}."
    else:
        previous = user.role
        user.role = role
        accounts.set_password_everywhere(user, password)
        user.active = True
        message = (f"Updated existing account {email}: role {previous} -> {role}, "
                   "password changed (every login of it ended), account active.")
    db.session.commit()
    click.echo(message)


@click.command("reconcile-payments")
@with_appcontext
def reconcile_payments_command():
    """Settle pending orders whose reservation ran out from Stripe's own record of their
    payment (paid: marked paid; open: expired and cancelled; expired: cancelled), for
    payments whose webhook never arrived. The worker runs this every few minutes."""
    from webshop.orders import expire_reservations

    cancelled = expire_reservations()
    click.echo(f"Cancelled {cancelled} order{'s' if cancelled != 1 else ''} whose reservation expired.")


@click.command("import-media")
@with_appcontext
def import_media_command():
    """Copy the product images under UPLOAD_DIR into the database (MEDIA_STORAGE=database):
    a shop moving from files to a cluster. Safe to run again."""
    if not media_store.in_database():
        raise click.ClickException(
            "MEDIA_STORAGE is not database: set MEDIA_STORAGE=database (and DATABASE_URL to "
            "the shop's database) for this command.")
    folder = current_app.config["UPLOAD_DIR"]
    new, present = media_store.import_files(folder)
    db.session.commit()
    click.echo(f"Images from {folder}: {new} stored in the database, {present} already there")


# The name the design gives the same sweep.
expire_reservations_command = click.Command(
    "expire-reservations", callback=reconcile_payments_command.callback,
    help="Cancel pending orders whose reservation ran out (after asking Stripe about their "
         "payment); the same as reconcile-payments.")

COMMANDS = [seed_demo_command, seed_pricing_command, create_admin_command, reconcile_payments_command,
            expire_reservations_command, import_media_command]


def register_cli(app):
    """Attach the shop's commands to `flask` (called by create_app)."""
    for command in COMMANDS:
        app.cli.add_command(command)
