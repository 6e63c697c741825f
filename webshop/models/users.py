"""Who uses the shop: login identities (users), shopper profiles (customer), addresses."""
import functools
from datetime import datetime
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webshop.extensions import db
from webshop.models.base import created_at_column

ROLES = ("customer", "staff", "admin")
STAFF_ROLES = ("staff", "admin")



@functools.lru_cache(maxsize=4)
def _hasher_for(params):
    return PasswordHasher(**dict(params))


def _hasher():
    """argon2id with the app's cost parameters (cheaper in tests; the hash records them)."""
    params = current_app.config.get("PASSWORD_HASH_PARAMS") if has_app_context() else None
    return _hasher_for(tuple(sorted((params or {}).items())))


def normalize_email(email):
    return (email or "").strip().lower()


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # Emails are stored lower-cased, so the plain unique constraint is case-insensitive.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("role IN ('customer', 'staff', 'admin')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="customer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()

    customer: Mapped[Optional["Customer"]] = relationship(back_populates="user")

    def __init__(self, email, password=None, **kwargs):
        super().__init__(email=normalize_email(email), **kwargs)
        if password is not None:
            self.set_password(password)

    def set_password(self, password):
        self.password_hash = _hasher().hash(password)

    def check_password(self, password):
        try:
            return _hasher().verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @property
    def is_active(self):
        return self.active

    @property
    def is_staff(self):
        return self.role in STAFF_ROLES

    @property
    def is_admin(self):
        return self.role == "admin"

    def __repr__(self):
        return f"<User {self.email} {self.role}>"


class Customer(db.Model):
    """A shopper: registered (user_id set) or a guest known only by the email of an order."""

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    user_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = created_at_column()

    user: Mapped[Optional[User]] = relationship(back_populates="customer")
    addresses: Mapped[list["Address"]] = relationship(
        back_populates="customer", order_by="(Address.is_default.desc(), Address.id.desc())"
    )

    @property
    def default_address(self):
        """The address checkout pre-fills: the one marked default, else the newest."""
        return self.addresses[0] if self.addresses else None


class Address(db.Model):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(String(40), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at_column()

    customer: Mapped[Customer] = relationship(back_populates="addresses")


class LoginSession(db.Model):
    """One signed-in browser: the server's half of a login, so it can be ended.

    The browser's cookie (and the remember cookie) carries a random token; only its
    SHA-256 is stored here. Logging out deletes the row; a password change or reset
    deletes every other row of the user, so copied cookies stop working at once.
    """

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = created_at_column()
    last_seen_at: Mapped[datetime] = created_at_column()
