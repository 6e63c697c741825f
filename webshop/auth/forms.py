from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from webshop.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


def new_password_validators():
    return [
        DataRequired(),
        Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
               message=f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters."),
    ]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me logged in")


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("Password", validators=new_password_validators())
    confirm = PasswordField("Repeat the password", validators=[
        DataRequired(), EqualTo("password", message="The two passwords do not match."),
    ])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password",
                                     validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    new_password = PasswordField("New password", validators=new_password_validators())
    confirm = PasswordField("Repeat the new password", validators=[
        DataRequired(), EqualTo("new_password", message="The two passwords do not match."),
    ])


class PasswordForgotForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])


class PasswordResetForm(FlaskForm):
    password = PasswordField("New password", validators=new_password_validators())
    confirm = PasswordField("Repeat the new password", validators=[
        DataRequired(), EqualTo("password", message="The two passwords do not match."),
    ])


class AddressForm(FlaskForm):
    """A shipping address: the saved one in the account, and checkout's (which extends it)."""

    name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    line1 = StringField("Address", validators=[DataRequired(), Length(max=200)])
    line2 = StringField("Apartment, suite, etc. (optional)", validators=[Optional(), Length(max=200)])
    postal_code = StringField("Postal code", validators=[
        DataRequired(), Length(max=20),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9 -]*$", message="Use letters, digits, spaces or dashes."),
    ])
    city = StringField("City", validators=[DataRequired(), Length(max=100)])
    region = StringField("Region (optional)", validators=[Optional(), Length(max=100)])
    country = SelectField("Country", validators=[DataRequired()],
                          validate_choice=True)
    phone = StringField("Phone (optional, for the courier)", validators=[Optional(), Length(max=40)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = current_app.config["SHIP_COUNTRIES"]
        self.country.choices = [("", "Choose a country")] + sorted(
            countries.items(), key=lambda item: item[1]
        )
