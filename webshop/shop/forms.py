"""The checkout form: the address form plus email, delivery and the idempotency key."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, RadioField
from wtforms.validators import DataRequired, Email, Length

from webshop.web.forms import AddressForm


REMIND_ME = _l("Email me a reminder if I don't finish")


def email_field():
    return EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class ReminderConsentForm(FlaskForm):
    """The checkout's reminder box on its own (shop.reminders.checkout_reminder, htmx)."""
    email = email_field()
    remind_me = BooleanField(REMIND_ME, default=False)


class CheckoutForm(AddressForm):
    email = email_field()
    # The choices are the methods of the chosen country's zone (the view sets them); a
    # method from elsewhere is refused by pricing with a message that says what is offered.
    shipping_method = RadioField(_l("Delivery"), validators=[DataRequired()], validate_choice=False)
    save_address = BooleanField(_l("Save this address for next time"), default=True)
    # A guest's explicit consent to one abandoned-cart reminder (webshop.reminders).
    remind_me = BooleanField(REMIND_ME, default=False)
    # One order per rendering of this form, however often it is submitted.
    idempotency_key = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
