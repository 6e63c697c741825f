"""The sandbox's memory: Stripe objects as JSON rows in stripe_sandbox_objects.

Every web process reads and writes the same rows, so a session created through one
process can be paid through another. Functions here only add to the caller's database
session; the caller (one API call, one payment) commits once.
"""
import copy
import secrets
import string
import time

from sqlalchemy.orm.attributes import flag_modified

from webshop.extensions import db
from webshop.models.payments import SandboxObject

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix, length=24):
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now():
    return int(time.time())


def get(object_id, kind=None, lock=False):
    """A private copy of the stored object (or None). `lock` holds its row until commit,
    so two processes cannot both change it (PostgreSQL; SQLite serialises writers)."""
    row = db.session.get(SandboxObject, object_id, with_for_update=lock or None,
                         populate_existing=lock)
    if row is None or (kind is not None and row.object != kind):
        return None
    return copy.deepcopy(row.data)


def put(data, kind=None, new=False):
    """Insert or replace the object `data` (its "id" is the key). `new`: the id was just
    made, or just looked up and not found: insert without looking for a row first (one
    round trip less; a row stored meanwhile under the same id fails the commit)."""
    kind = kind or data["object"]
    row = None if new else db.session.get(SandboxObject, data["id"])
    if row is None:
        db.session.add(SandboxObject(id=data["id"], object=kind, data=copy.deepcopy(data)))
    else:
        row.data = copy.deepcopy(data)
        flag_modified(row, "data")
    return data
