"""Mail transport: build a MIME message, and deliver it by SMTP or into a folder.

With MAIL_SERVER set, messages go over SMTP (STARTTLS when MAIL_USE_TLS, login when
MAIL_USERNAME). Without it (the embedded default) each message is written to
MAIL_OUTBOX_DIR as <timestamp>-<kind>-<ref>.eml, which any mail client opens.
What to send, and when, is webshop.notifications' business.
"""
import os
import smtplib
import ssl
import tempfile
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app



def build_message(to, subject, text, html=None, headers=None):
    """A multipart/alternative message (text, then HTML) from the shop's sender address,
    with any extra `headers` ({name: value}, e.g. List-Unsubscribe)."""
    config = current_app.config
    name, address = parseaddr(config["MAIL_DEFAULT_SENDER"])
    message = EmailMessage()
    message["From"] = Address(display_name=name or config["SHOP_NAME"], addr_spec=address)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or None)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send(message, kind="mail", ref=""):
    """Deliver the message: SMTP when MAIL_SERVER is set, else an .eml file.

    Raises on failure (the job's retry takes it from there). Returns the file's path in
    file mode, None for SMTP.
    """
    if current_app.config.get("MAIL_SERVER"):
        _send_smtp(message)
        return None
    return _write_file(message, kind, ref)


def _send_smtp(message):
    config = current_app.config
    timeout = config["MAIL_TIMEOUT"]
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
    finally:
        # Once the server has accepted the message, a failing goodbye is not a failure.
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _write_file(message, kind, ref):
    folder = current_app.config["MAIL_OUTBOX_DIR"]
    os.makedirs(folder, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    path = os.path.join(folder, f"{stamp}-{kind}-{ref}.eml".replace(os.sep, "_"))
    # Written under a temporary name and renamed, so a reader never sees half a message.
    fd, partial = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(bytes(message))
        os.replace(partial, path)
    except BaseException:
        os.unlink(partial)
        raise
    return path
