"""What a shopper does on the login, checkout and payment pages, in the browser."""
import re

from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.helpers import GOOD_CARD


def log_in(page, base, email, next_path, password=PASSWORD):
    """Log in on the shop's form and land on `next_path`."""
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base + next_path)


# The checkout form's labels as a shopper reads them in each language.
CHECKOUT_LABELS = {
    "en": ("Email", "Full name", "Address", "Postal code", "City", "Country"),
    "de": ("E-Mail", "Vollständiger Name", "Adresse", "Postleitzahl", "Ort", "Land"),
}


def fill_checkout(page, lang="en"):
    """Fill the checkout form by the labels shown in `lang`."""
    email, name, address, postal_code, city, country = CHECKOUT_LABELS[lang]
    page.get_by_label(email, exact=True).fill("ada@example.com")
    page.get_by_label(name).fill("Ada Shopper")
    page.get_by_label(address, exact=True).fill("1 Main Street")
    page.get_by_label(postal_code).fill("10115")
    page.get_by_label(city).fill("Berlin")
    page.get_by_label(country).select_option("DE")


def pay_on_the_sandbox_page(page):
    expect(page.get_by_role("button", name=re.compile(r"^Pay"))).to_be_visible()
    page.locator("input[name=card_number]").fill(GOOD_CARD)
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
