"""Form helpers every blueprint uses, and the address form (account and checkout)."""
from functools import lru_cache
from urllib.parse import urlsplit

from flask import render_template
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import Choice
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import Select

from webshop import pricing
from webshop.accounts import ADDRESS_FIELDS


def safe_next(target, default):
    """Only same-site paths as redirect targets: no open redirect through ?next=.

    Browsers read a backslash as a slash and drop tabs and newlines inside a URL, so
    "/\\evil.example" or "/<tab>/evil.example" would leave the site like "//evil.example":
    a path with any backslash, space or control character is refused too."""
    if (isinstance(target, str) and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and target.isprintable()
            and not any(char.isspace() for char in target) and not urlsplit(target).netloc):
        return target
    return default


def form_page(template, form, status=None, **context):
    """A form page: 422 when the submitted form has errors (unless `status` says
    otherwise), so clients can tell."""
    return render_template(template, form=form, **context), status or (422 if form.errors else 200)


def show_error(form, error):
    """Put a domain error (a ValidationError) next to its field, or above the form when it
    names none."""
    field = form._fields.get(error.field) if getattr(error, "field", None) else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))


class CountrySelect(Select):
    """The country list: the same few dozen options on every address form (checkout
    renders it on every visit), so each option is rendered once per value, name and
    whether it is the one selected, and reused; the markup is Select's own."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or type(choice.label) is not str \
                or type(choice.value) is not str:
            return super().render_option(choice, **kwargs)
        return _option(choice.value, choice.label, bool(choice.selected))


@lru_cache(maxsize=1024)  # countries x languages x selected or not
def _option(value, label, selected):
    return Select.render_option(Choice(value, label, selected, None))


class AddressForm(FlaskForm):
    """A shipping address: the saved one in the account, and checkout's (which extends it).
    Labels and messages are lazy: read in the language of the request showing the form."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    line1 = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])
    line2 = StringField(_l("Apartment, suite, etc. (optional)"),
                        validators=[Optional(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[
        DataRequired(), Length(max=20),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9 -]*$",
               message=_l("Use letters, digits, spaces or dashes.")),
    ])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    region = StringField(_l("Region (optional)"), validators=[Optional(), Length(max=100)])
    country = SelectField(_l("Country"), validators=[DataRequired()],
                          validate_choice=True, widget=CountrySelect())
    phone = StringField(_l("Phone (optional, for the courier)"),
                        validators=[Optional(), Length(max=40)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the countries some shipping zone covers can be chosen.
        self.country.choices = [("", gettext("Choose a country"))] + pricing.shipping_countries()

    def fill_address(self, address):
        """Pre-fill the fields from a saved address (anything with the address fields)."""
        for name in ADDRESS_FIELDS:
            self[name].data = getattr(address, name)

    def address_values(self):
        """The address as typed, trimmed: {field: text} for every address field."""
        return {name: (self[name].data or "").strip() for name in ADDRESS_FIELDS}
