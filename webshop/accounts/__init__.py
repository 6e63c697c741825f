"""The accounts domain: registering customers, logging in and the logins that can be
ended, passwords (the rule, changing, resetting), staff accounts, the saved address and
a customer's order history. No Flask request in here.

Functions that change data commit once (each is a whole user action); reads never
commit. Every refusal is an AccountError whose text is what the shopper reads, so the
views, the CLI and the tests get the same messages. Callers use `accounts.<name>`;
the modules are:

- registration: the two-step sign-up that never reveals who has an account;
- logins: authenticate (same time with or without an account), the LoginSession
  rows behind every signed-in browser, Flask-Login's user loader;
- passwords: the password rule, change and reset;
- staff: staff and admin accounts; profile: address and order history.
"""
from webshop.accounts.errors import AccountError
from webshop.accounts.logins import (
    authenticate, end_session, load_user, login_id, stage_end_all_sessions, start_session, touch,
)
from webshop.accounts.passwords import (
    MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, change_password, check_new_password,
    password_problem, password_reset_token, reset_password,
    set_password_everywhere, user_for_reset_token,
)
from webshop.accounts.profile import (
    ADDRESS_FIELDS, REQUIRED_ADDRESS_FIELDS, OrderSummary, customer_for, default_address,
    language_of, orders_for, profile, save_default_address, stage_default_address,
)
from webshop.accounts.registration import (
    account_exists, email_for_registration_token, register, registration_token,
    request_account_email,
)
from webshop.accounts.staff import (
    change_role, create_staff, role_change_refusal, set_active, staff_users,
)

__all__ = [
    "ADDRESS_FIELDS", "AccountError", "MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH",
    "OrderSummary", "REQUIRED_ADDRESS_FIELDS", "account_exists", "authenticate",
    "change_password", "change_role", "check_new_password", "create_staff", "customer_for",
    "default_address", "email_for_registration_token", "end_session", "language_of",
    "load_user", "login_id",
    "orders_for", "password_problem", "password_reset_token", "profile", "register",
    "registration_token", "request_account_email", "reset_password",
    "role_change_refusal", "save_default_address", "set_active", "set_password_everywhere",
    "stage_default_address", "stage_end_all_sessions", "staff_users", "start_session", "touch",
    "user_for_reset_token",
]
