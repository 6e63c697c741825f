"""The account forms: logging in, registering, passwords. Labels and messages are lazy
gettext strings: they are read in the language of the request that shows the form
(WTForms' own messages, such as "This field is required.", come in German too)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from webshop.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

MISMATCH = _l("The two passwords do not match.")


def new_password_validators():
    return [
        DataRequired(),
        Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
               message=_l("Choose a password of at least %(num)d characters.",
                          num=MIN_PASSWORD_LENGTH)),
    ]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in"))


class RegistrationRequestForm(FlaskForm):
    """Registration, step 1: the address the link to finish goes to."""
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class RegistrationForm(FlaskForm):
    """Registration, step 2 (from the emailed link): name and password."""
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=new_password_validators())
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=MISMATCH),
    ])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    new_password = PasswordField(_l("New password"), validators=new_password_validators())
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("new_password", message=MISMATCH),
    ])


class PasswordForgotForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=new_password_validators())
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", message=MISMATCH),
    ])
