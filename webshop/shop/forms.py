"""The checkout form: the address form plus email, delivery and the idempotency key."""
from wtforms import BooleanField, EmailField, HiddenField, RadioField
from wtforms.validators import DataRequired, Email, Length

from webshop.cart import shipping_methods
from webshop.web.forms import AddressForm


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
            for code, (label, _price) in shipping_methods().items()
        ]
