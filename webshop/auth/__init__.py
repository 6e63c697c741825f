"""Accounts: who is logged in, and the rules for logging in."""
from webshop.extensions import db
from webshop.models import User


def load_user(user_id):
    """Flask-Login's loader: one primary-key lookup, only for requests with a login."""
    user = db.session.get(User, int(user_id)) if user_id.isascii() and user_id.isdigit() else None
    return user if user is not None and user.active else None


def authenticate(email, password):
    """The active user with this email and password, or None (never says which was wrong)."""
    from webshop.models.users import normalize_email
    user = db.session.scalar(db.select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active or not user.check_password(password):
        return None
    return user
