"""Uploaded images are judged by their content, never by their name or declared type:
markup dressed up as a picture is refused, a picture that would decode to gigabytes is
refused before it is decoded, and whatever is stored is a WebP the shop wrote itself
(anything smuggled after a real image is gone)."""
import io
import os
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import select

from tests.catalogue_helpers import field_error, png_bytes
from tests.factories import make_product
from tests.helpers import page
from webshop.models import ProductImage

SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.cookie)</script></svg>')
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width, height):
    """A valid greyscale PNG of width x height black pixels: tiny on disk, `width * height`
    bytes once decoded."""
    row = b"\x00" + b"\x00" * width
    compressor, parts = zlib.compressobj(9), []
    for _ in range(height):
        parts.append(compressor.compress(row))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", b"".join(parts)) + png_chunk(b"IEND", b""))


def gif_claiming(width, height):
    """A GIF whose header claims a huge canvas and whose one frame is 1x1."""
    return (b"GIF89a" + struct.pack("<HH", width, height) + b"\x80\x00\x00"
            + b"\x00\x00\x00\xff\xff\xff" + b"," + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00"
            + b"\x02\x02\x44\x01\x00" + b";")


def send(client, token, product, data, filename, mimetype):
    return client.post(
        f"/admin/products/{product.id}/images", content_type="multipart/form-data",
        data={"csrf_token": token, "alt": "x", "image": (io.BytesIO(data), filename, mimetype)})


def stored_files(app):
    root = app.config["UPLOAD_DIR"]
    return sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files)


@pytest.mark.parametrize("data, filename, mimetype", [
    (SVG, "photo.png", "image/png"),
    (SVG, "photo.svg", "image/svg+xml"),
    (HTML, "photo.jpg", "image/jpeg"),
    (b"GIF89a" + HTML, "photo.gif", "image/gif"),       # the right magic, then markup
    (b"\x89PNG\r\n\x1a\n" + HTML, "photo.png", "image/png"),
    (b"\xff\xd8\xff\xe0" + HTML, "photo.jpg", "image/jpeg"),
])
def test_markup_disguised_as_an_image_is_refused_and_nothing_is_stored(
        app, client, db, staff_token, data, filename, mimetype):
    product = make_product("Teapot")
    before = stored_files(app)
    response = send(client, staff_token, product, data, filename, mimetype)
    assert response.status_code == 422
    assert "not an image we can use" in field_error(page(response), "image")
    assert db.session.scalar(select(ProductImage.id)) is None
    assert stored_files(app) == before


@pytest.mark.parametrize("bomb", [
    pytest.param(lambda: png_bomb(7200, 7200), id="png-52-megapixels"),
    pytest.param(lambda: png_bomb(20000, 20000), id="png-400-megapixels"),
    pytest.param(lambda: gif_claiming(65535, 65535), id="gif-4-gigapixels"),
])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(
        app, client, db, staff_token, monkeypatch, bomb):
    product = make_product("Teapot")
    data = bomb()
    assert len(data) < 1_000_000  # small on the wire
    decoded = []
    original_load = Image.Image.load
    monkeypatch.setattr(Image.Image, "load",
                        lambda image: decoded.append(image.size) or original_load(image))
    response = send(client, staff_token, product, data, "bomb.png", "image/png")
    assert decoded == []  # judged by its header: its pixels were never decoded
    assert response.status_code == 422
    message = field_error(page(response), "image")
    assert "too many pixels" in message or "not an image we can use" in message
    assert db.session.scalar(select(ProductImage.id)) is None


def test_what_is_stored_is_the_shops_own_webp_whatever_was_appended(app, client, db, staff_token):
    product = make_product("Teapot")
    polyglot = png_bytes((40, 30)) + HTML  # a real PNG, then markup after its end
    response = send(client, staff_token, product, polyglot, "../../../evil.html", "text/html")
    assert response.status_code == 303
    image = db.session.scalar(select(ProductImage))
    assert image.filename.startswith("products/") and image.filename.endswith(".webp")
    assert ".." not in image.filename and "evil" not in image.filename
    path = os.path.join(app.config["UPLOAD_DIR"], image.filename)
    with open(path, "rb") as stored:
        content = stored.read()
    assert b"<script" not in content and b"<html" not in content
    with Image.open(io.BytesIO(content)) as picture:
        assert picture.format == "WEBP"
    served = client.get(f"/media/{image.filename}")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["../config.py", "..%2Fconfig.py", "%2e%2e/config.py",
                                  "products/../../config.py", "/etc/passwd"])
def test_the_media_route_serves_nothing_outside_the_upload_folder(client, db, path):
    assert client.get(f"/media/{path}", follow_redirects=True).status_code in (400, 404)


def test_an_image_in_an_allowed_format_with_a_wrong_name_is_judged_by_its_content(
        client, db, staff_token):
    product = make_product("Teapot")
    jpeg = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 200, 30)).save(jpeg, "JPEG")
    response = send(client, staff_token, product, jpeg.getvalue(), "photo.svg", "image/svg+xml")
    assert response.status_code == 303
    assert db.session.scalar(select(ProductImage.id)) is not None
