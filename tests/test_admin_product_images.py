"""Product images in the catalogue admin: uploads stored as WebP with a thumbnail, and
files refused for what they are or how big they are."""
import io
import os
import re

import pytest
from PIL import Image
from sqlalchemy import select

from tests.catalogue_helpers import audit, field_error, png_bytes, upload
from tests.factories import make_product
from webshop.media import thumbnail_name
from webshop.models import ProductImage


def test_an_uploaded_image_is_stored_as_webp_with_a_thumbnail(app, client, db, staff_token):
    product = make_product("Teapot")

    response = upload(client, staff_token, product, png_bytes())

    assert response.status_code == 303
    [image] = db.session.scalars(select(ProductImage)).all()
    assert re.fullmatch(r"products/teapot-\d+-[0-9a-f]{16}\.webp", image.filename)
    upload_dir = app.config["UPLOAD_DIR"]
    with Image.open(os.path.join(upload_dir, image.filename)) as full:
        assert (full.format, full.size) == ("WEBP", (800, 600))
    with Image.open(os.path.join(upload_dir, thumbnail_name(image.filename))) as thumb:
        assert (thumb.format, thumb.size) == ("WEBP", (400, 300))
    assert audit(db, "product.image_add")[0].after == {"image": image.filename}

    response = client.post(f"/admin/products/{product.id}/images/{image.id}/delete",
                           data={"csrf_token": staff_token})

    assert response.status_code == 303
    assert db.session.scalar(select(ProductImage.id)) is None
    assert not os.path.exists(os.path.join(upload_dir, image.filename))
    assert not os.path.exists(os.path.join(upload_dir, thumbnail_name(image.filename)))


@pytest.mark.parametrize("data, filename", [
    (b"#!/bin/sh\necho this is not an image\n", "photo.png"),
    (png_bytes()[:200], "truncated.png"),
])
def test_a_file_that_is_not_an_image_is_refused(client, db, staff_token, data, filename):
    product = make_product("Teapot")

    response = upload(client, staff_token, product, data, filename)

    assert response.status_code == 422
    assert "not an image we can use" in field_error(response.get_data(as_text=True), "image")
    assert db.session.scalar(select(ProductImage.id)) is None


def test_an_image_in_another_format_is_refused(client, db, staff_token):
    product = make_product("Teapot")
    bmp = io.BytesIO()
    Image.new("RGB", (10, 10)).save(bmp, "BMP")

    response = upload(client, staff_token, product, bmp.getvalue(), "photo.bmp")

    assert response.status_code == 422
    assert "JPEG, PNG, WebP or GIF" in field_error(response.get_data(as_text=True), "image")


def test_an_image_over_the_size_limit_is_refused(settings, client, db, staff_token):
    product = make_product("Teapot")
    settings(MAX_IMAGE_BYTES=1024)

    response = upload(client, staff_token, product, png_bytes() + b"\0" * 2048)

    assert response.status_code == 422
    assert "larger than 1 KB" in field_error(response.get_data(as_text=True), "image")
    assert db.session.scalar(select(ProductImage.id)) is None


def test_a_request_over_max_content_length_gets_a_clear_413(settings, client, db, staff_token):
    product = make_product("Teapot")
    settings(MAX_CONTENT_LENGTH=10_000)

    response = upload(client, staff_token, product, b"\0" * 20_000)

    assert response.status_code == 413
    assert "too large" in field_error(response.get_data(as_text=True), "image")


def test_an_upload_without_a_file_asks_for_one(client, db, staff_token):
    product = make_product("Teapot")

    response = client.post(f"/admin/products/{product.id}/images", data={"csrf_token": staff_token})

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "image") == "Choose an image file to upload."
