"""What the catalogue tests share: reading back the audit log, the image upload and the
inline stock form, finding the error shown under a field, and variants with pictures."""
import io
import re

from PIL import Image
from sqlalchemy import select

from webshop.extensions import db as _db
from webshop.models import AuditLog, ProductImage


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


def pictures_by_colour(product, colours=("blue", "black")):
    """Gives the product a picture per colour (tee-<colour>.webp, in that order) and each
    variant its Colour's picture; commits."""
    images = {c: ProductImage(filename=f"tee-{c}.webp", alt=f"Tee in {c}", position=n)
              for n, c in enumerate(colours)}
    product.images.extend(images.values())
    _db.session.flush()
    for variant in product.variants:
        variant.image_id = images[variant.option_values["Colour"].lower()].id
    _db.session.commit()
    return product


def stock_post(client, token, variant_id, htmx=True, **data):
    headers = {"HX-Request": "true", "X-CSRFToken": token} if htmx else {}
    if not htmx:
        data["csrf_token"] = token
    return client.post(f"/admin/variants/{variant_id}/stock", data=data, headers=headers)
