from flask import current_app
from wtforms import BooleanField, EmailField, HiddenField, RadioField
from wtforms.validators import DataRequired, Email, Length

from webshop.auth.forms import AddressForm


class CheckoutForm(AddressForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    shipping_method = RadioField("Delivery", validators=[DataRequired()])
    save_address = BooleanField("Save this address for next time", default=True)
    # One order per rendering of this form, however often it is submitted.
    idempotency_key = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shipping_method.choices = [
            (code, label)
            for code, (label, _price) in current_app.config["SHIPPING_METHODS"].items()
        ]
