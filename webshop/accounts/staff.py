"""Staff accounts (the admin's staff page). Each change is one commit with its audit
entry (before/after). An admin never demotes or deactivates themselves, so the shop
always keeps at least one active admin: whoever acts.
"""
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webshop import events
from webshop.accounts.errors import AccountError
from webshop.accounts.logins import stage_end_all_sessions
from webshop.accounts.passwords import check_new_password
from webshop.extensions import db
from webshop.models import ROLES, STAFF_ROLES, User
from webshop.models.audit import record
from webshop.models.base import locked
from webshop.models.users import normalize_email


def staff_users():
    """Everyone with a staff or admin role (active or not), admins first. One query."""
    return db.session.scalars(
        select(User).where(User.role.in_(STAFF_ROLES)).order_by(User.role, User.email)
    ).all()


def create_staff(email, role, password=None, actor=None):
    """Create a staff or admin login. Commits once (with the audit entry and the email).

    Without a password this is an invitation: the account gets a random password
    nobody knows, and a password reset link goes to the address so that the person
    chooses their own. Raises AccountError for a taken email, a bad role or password.
    """
    email = normalize_email(email)
    if not email:
        raise AccountError("Enter an email address.", "email")
    if role not in STAFF_ROLES:
        raise AccountError("Choose the role staff or admin.", "role")
    invited = not password
    if not invited:
        check_new_password(password, email=email)
    existing = db.session.scalar(select(User).where(User.email == email))
    if existing is not None:
        raise AccountError(
            f"There is already an account with this email address (role {existing.role}). "
            "Change its role instead.", "email")
    user = User(email, password=secrets.token_urlsafe(32) if invited else password, role=role)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise AccountError("There is already an account with this email address.", "email") from None
    record(db.session, "user.created", "user", user.id, actor=actor,
           after={"email": email, "role": role, "active": True, "invited": invited})
    if invited:
        events.password_reset_requested.send(user)
    db.session.commit()
    return user


def role_change_refusal(actor, user):
    """Why `actor` may not change `user`'s role (None: they may). Only admins change
    roles, and never their own; the role form is offered when this is None."""
    if not getattr(actor, "is_admin", False):
        return "Only administrators can change roles."
    if user.id == getattr(actor, "id", None):
        return "You cannot change your own role; ask another admin."
    return None


def change_role(user_id, role, actor):
    """Give the user another role (customer, staff or admin; their current one: no-op).
    Commits once. Raises AccountError when role_change_refusal refuses, or for an unknown
    role; LookupError for an unknown user."""
    if role not in ROLES:
        raise AccountError("Choose the role customer, staff or admin.", "role")
    user = locked(User, user_id)
    if role == user.role:
        db.session.rollback()
        return user
    refusal = role_change_refusal(actor, user)
    if refusal:
        db.session.rollback()
        raise AccountError(refusal, "role")
    before = {"role": user.role}
    user.role = role
    record(db.session, "user.role_changed", "user", user.id, actor=actor,
           before=before, after={"role": role})
    db.session.commit()
    return user


def set_active(user_id, active, actor):
    """Deactivate (no more logins; every open login ends now) or
    reactivate a user. Commits once. Raises AccountError when an admin would
    deactivate themselves; LookupError for an unknown user."""
    user = locked(User, user_id)
    if user.id == getattr(actor, "id", None) and not active:
        db.session.rollback()
        raise AccountError("You cannot deactivate your own account; ask another admin.")
    if user.active == active:
        db.session.rollback()
        return user
    user.active = active
    if not active:
        stage_end_all_sessions(user.id)
    record(db.session, "user.activated" if active else "user.deactivated", "user", user.id,
           actor=actor, before={"active": not active}, after={"active": active})
    db.session.commit()
    return user
