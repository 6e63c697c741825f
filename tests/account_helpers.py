"""Helpers for the account tests: mail written to files (embedded mode), the registration
steps, and what a browser (or a thief) holds: its cookies."""
import email
import email.policy
import re

import pytest

from tests.factories import PASSWORD
from tests.helpers import csrf_token

SESSION_COOKIES = ("session", "remember_token")


@pytest.fixture
def mailbox(settings, tmp_path):
    """Embedded mode: jobs run in-process after the commit, mail goes to .eml files in
    the returned folder."""
    settings(REDIS_URL=None, MAIL_SERVER=None, MAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    return tmp_path / "outbox"


def mails(folder):
    """The messages written so far, oldest first, parsed."""
    paths = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in paths]


def text_of(message):
    return message.get_body(("plain",)).get_content()


def link_in(message, path_prefix):
    """The path of the first link in the mail's text that starts with `path_prefix`."""
    match = re.search(rf"http://[^/\s]+({re.escape(path_prefix)}[\w.\-/]+)", text_of(message))
    assert match, text_of(message)
    return match.group(1)


def ask_to_register(client, address, environ=None):
    """Registration step 1: send the email form."""
    token = csrf_token(client, "/register")
    return client.post("/register", data={"csrf_token": token, "email": address},
                       environ_base=environ or {})


def finish_registration(client, link, password=PASSWORD, name="Ada Lovelace", confirm=None):
    """Registration step 2: the form behind the emailed link."""
    token = csrf_token(client, link)
    return client.post(link, data={"csrf_token": token, "name": name, "password": password,
                                   "confirm": password if confirm is None else confirm})


def cookies_of(client):
    """The login cookies this browser holds, {name: value}, as a thief would copy them."""
    held = {}
    for name in SESSION_COOKIES:
        cookie = client.get_cookie(name)
        if cookie is not None:
            held[name] = cookie.value
    return held


def browser_with(app, cookies):
    """A new browser that holds exactly these cookies."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def from_address(address):
    """environ_base for a request that reaches the app from this address."""
    return {"REMOTE_ADDR": address}


def behind_proxy(shopper, proxy="127.0.0.1"):
    """environ_base and headers for a request the load balancer `proxy` forwards for
    `shopper` (it appends the address it saw to X-Forwarded-For)."""
    return {"environ_base": {"REMOTE_ADDR": proxy},
            "headers": {"X-Forwarded-For": f"{shopper}"}}
