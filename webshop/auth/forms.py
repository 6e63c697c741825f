"""The account forms: logging in, registering, passwords."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

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


class RegistrationRequestForm(FlaskForm):
    """Registration, step 1: the address the link to finish goes to."""
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])


class RegistrationForm(FlaskForm):
    """Registration, step 2 (from the emailed link): name and password."""
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
