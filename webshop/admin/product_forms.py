"""Forms of the catalogue admin (products and their variants, stock, images, categories),
and the money input they share: staff type a price as a decimal ("12.50"), the shop
keeps integer minor units (1250), and an existing price is shown again as "12.50"
(reading and writing the decimal are webshop.money's; the price ceiling is the admin's).
"""
from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, SelectField, StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from webshop.merchandising import MAX_PRICE, MAX_STOCK
from webshop.money import decimal_amount, parse_amount
from webshop.validation import whole_number


def parse_money(text, currency="EUR"):
    """'12.50' -> 1250 (minor units), as money.parse_amount reads it, up to MAX_PRICE.
    Raises ValueError with a message staff can act on."""
    if len((text or "").strip()) > len(decimal_amount(MAX_PRICE, currency)) + 4:
        # Far more digits than any price (and than Decimal's precision).
        raise ValueError(f"Enter a price up to {decimal_amount(MAX_PRICE, currency)}.")
    minor = parse_amount(text, currency)
    if minor > MAX_PRICE:
        raise ValueError(f"Enter a price up to {decimal_amount(MAX_PRICE, currency)}.")
    return minor


def shop_currency():
    return current_app.config.get("SHOP_CURRENCY", "EUR")


class MoneyField(StringField):
    """A decimal text input whose data is integer minor units (None when left empty)."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = parse_money(valuelist[0], shop_currency())  # ValueError -> field error

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return decimal_amount(self.data, shop_currency())


def stock_field(label, **kwargs):
    return IntegerField(label, [Optional(), NumberRange(
        min=0, max=MAX_STOCK, message=f"Stock is a whole number from 0 to {MAX_STOCK:,}.")],
        **kwargs)


class VariantForm(Form):
    """One row of the variants table; a row left entirely empty is ignored."""

    id = HiddenField()
    sku = StringField("SKU", [Optional(), Length(max=64)], filters=[lambda s: s.strip() if s else s])
    options = StringField("Options", [Optional(), Length(max=200)])
    price = MoneyField("Price")
    weight_grams = IntegerField("Weight (g)", [Optional(), NumberRange(
        min=0, max=MAX_STOCK, message=f"The weight is whole grams from 0 to {MAX_STOCK:,}.")])
    stock = stock_field("Stock")  # initial stock of a new variant only
    remove = BooleanField("Remove")

    def is_blank(self):
        return not (self.id.data or self.sku.data or (self.options.data or "").strip()
                    or self.price.raw_data and self.price.raw_data[0].strip()
                    or self.stock.raw_data and self.stock.raw_data[0].strip())


class ProductForm(FlaskForm):
    name = StringField("Name", [DataRequired("Enter the product's name."), Length(max=200)])
    slug = StringField("Slug", [Optional(), Length(max=160)])
    description = TextAreaField("Description", [Optional(), Length(max=20000)])
    category_id = SelectField("Category", coerce=int, default=0)
    active = BooleanField("Visible in the shop", default=True)
    featured = BooleanField("Featured on the home page")
    tax_class = SelectField("VAT class", choices=[
        ("standard", "Standard rate"), ("reduced", "Reduced rate (e.g. books, food)"),
        ("zero", "Zero rate")], default="standard")
    option_names = StringField("Option names", [Optional(), Length(max=200)])
    variants = FieldList(FormField(VariantForm), min_entries=1, max_entries=200)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = [(0, "No category")] + [(c["id"], c["name"]) for c in categories]

    def option_name_list(self):
        return [n.strip() for n in (self.option_names.data or "").split(",") if n.strip()]

    def variant_rows(self):
        """The rows that make up the product: (subform, spec) for every non-empty row
        not marked for removal, in order. Call after validate()."""
        rows = []
        names = self.option_name_list()
        for entry in self.variants:
            sub = entry.form
            if sub.remove.data or sub.is_blank():
                continue
            values = [v.strip() for v in (sub.options.data or "").split("/")] if names else []
            rows.append((sub, {
                "id": whole_number(sub.id.data, minimum=1),
                "sku": sub.sku.data or "",
                "option_values": dict(zip(names, values)),
                "price": sub.price.data, "weight_grams": sub.weight_grams.data,
                "stock": sub.stock.data if sub.stock.data is not None else 0,
            }))
        return rows

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        names = self.option_name_list()
        rows = [entry.form for entry in self.variants
                if not entry.form.remove.data and not entry.form.is_blank()]
        for sub in rows:
            if not sub.sku.data and not sub.sku.errors:
                sub.sku.errors.append("Enter a SKU.")
            if sub.price.data is None and not sub.price.errors:
                sub.price.errors.append(f"Enter a price, e.g. {decimal_amount(1250, shop_currency())}.")
            values = [v.strip() for v in (sub.options.data or "").split("/") if v.strip()]
            if not names and values:
                sub.options.errors.append("Name the options first (e.g. Size), above.")
            elif names and len(values) != len(names):
                sub.options.errors.append(f"Give one value for each option: {' / '.join(names)}.")
            if sub.id.data and whole_number(sub.id.data, minimum=1) is None:
                sub.sku.errors.append("This row is not a variant of this product; reload the page.")
        if not rows:
            first = self.variants.entries[0].form if self.variants.entries else None
            if first is not None and first.is_blank():
                first.sku.errors.append("Enter a SKU.")
                first.price.errors.append("Enter a price.")
            else:
                self.form_errors.append("A product needs at least one variant.")
        sync_list_errors(self.variants)
        return valid and not self.errors


def sync_list_errors(field_list):
    """A FieldList keeps a copy of its entries' errors from validate(); refresh it after
    errors were added to the entries."""
    errors = [entry.errors for entry in field_list.entries]
    field_list.errors = errors if any(errors) else []


class ImageForm(FlaskForm):
    image = FileField("Image file", [FileRequired("Choose an image file to upload.")])
    alt = StringField("Description for screen readers (alt text)", [Optional(), Length(max=255)])


class StockForm(FlaskForm):
    """An inline stock adjustment: a change or a new figure, and the reason."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST already; the inline forms are hand-written

    delta = IntegerField("Change by", [Optional(), NumberRange(
        min=-MAX_STOCK, max=MAX_STOCK, message="Enter a whole number, e.g. 5 or -2.")])
    set_to = stock_field("Or set to")
    reason = StringField("Reason", [DataRequired("Say why the stock changes."), Length(max=200)])
    view = HiddenField()
    next = HiddenField()

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not self.delta.errors and not self.set_to.errors:
            if self.delta.data is None and self.set_to.data is None:
                self.delta.errors.append("Enter a change, e.g. 5 or -2.")
                valid = False
            elif self.delta.data is not None and self.set_to.data is not None:
                self.delta.errors.append("Enter a change or a new figure, not both.")
                valid = False
            elif self.delta.data == 0:
                self.delta.errors.append("A change of 0 changes nothing.")
                valid = False
        return valid


class CategoryForm(FlaskForm):
    name = StringField("Name", [DataRequired("Enter the category's name."), Length(max=120)])
    slug = StringField("Slug", [Optional(), Length(max=120)])
    description = TextAreaField("Description", [Optional(), Length(max=2000)])


class CategoryRenameForm(FlaskForm):
    name = StringField("Name", [DataRequired("Enter the category's name."), Length(max=120)])
    slug = StringField("Slug", [Optional(), Length(max=120)])
