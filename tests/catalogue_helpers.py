"""What the catalogue admin tests share: reading back the audit log, the image upload and
the inline stock form, and finding the error shown under a field."""
import io
import re

from PIL import Image
from sqlalchemy import select

from webshop.models import AuditLog


def forget_session(db):
    """Forget what the test's session holds: the requests committed in their own."""
    db.session.rollback()
    db.session.expire_all()


def field_error(html, field_id):
    """The error message shown under the input with that id, or None."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">([^<]*)</p>', html)
    return match.group(1) if match else None


def png_bytes(size=(1200, 900), colour=(200, 80, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, token, product, data, filename="photo.png"):
    return client.post(
        f"/admin/products/{product.id}/images",
        data={"csrf_token": token, "image": (io.BytesIO(data), filename), "alt": "A mug"},
        content_type="multipart/form-data",
    )


def audit(db, action=None):
    forget_session(db)
    stmt = select(AuditLog).order_by(AuditLog.id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    return db.session.scalars(stmt).all()





def stock_post(client, token, variant_id, htmx=True, **data):
    headers = {"HX-Request": "true", "X-CSRFToken": token} if htmx else {}
    if not htmx:
        data["csrf_token"] = token
    return client.post(f"/admin/variants/{variant_id}/stock", data=data, headers=headers)
