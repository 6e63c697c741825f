"""Product images kept in the database (MEDIA_STORAGE=database, issue 14): every web
instance serves every picture, with nothing on its disk, under immutable URLs a CDN keeps;
a picture and the product row that uses it are written and deleted together."""
import io
import os
import re
import subprocess
import sys

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.catalogue_helpers import forget_session, png_bytes, upload
from tests.conftest import ROOT
from tests.factories import make_product, make_user
from tests.helpers import page
from webshop import create_app
from webshop.media import thumbnail_name
from webshop.merchandising import images
from webshop.models import MediaFile, Product, ProductImage

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def in_database(settings, tmp_path):
    """Pictures in the database, and an empty upload folder of this test's own (other
    tests in this process may have seeded files into the shared one), which must stay
    empty."""
    settings(MEDIA_STORAGE="database", UPLOAD_DIR=str(tmp_path / "uploads"))


@pytest.fixture
def other_pod(app, tmp_path):
    """A second web instance on the same database, with an empty disk of its own."""
    other = create_app({**app.config, "MEDIA_STORAGE": "database",
                        "UPLOAD_DIR": str(tmp_path / "pod-2-uploads")})
    return other.test_client()


def stored(db):
    forget_session(db)
    return dict(db.session.execute(select(MediaFile.name, MediaFile.data)).all())


def files_under(folder):
    return [os.path.join(d, f) for d, _, names in os.walk(folder) for f in names]


def picture(data):
    with Image.open(io.BytesIO(data)) as image:
        return image.format, image.size


def test_an_upload_is_kept_in_the_database_and_served_by_any_instance_as_immutable(
        app, client, db, staff_token, in_database, other_pod, tmp_path):
    product = make_product("Teapot")

    assert upload(client, staff_token, product, png_bytes()).status_code == 303

    [image] = db.session.scalars(select(ProductImage)).all()
    assert re.fullmatch(r"products/teapot-\d+-[0-9a-f]{16}\.webp", image.filename)
    kept = stored(db)
    assert set(kept) == {image.filename, thumbnail_name(image.filename)}
    assert files_under(app.config["UPLOAD_DIR"]) == []  # nothing on this instance's disk
    assert not os.path.exists(tmp_path / "pod-2-uploads")  # nor on the other's

    # The shop's pages name the pictures by their stored names...
    html = page(app.test_client().get(f"/products/{product.slug}"))
    url = f"/media/{image.filename}"
    assert f'src="{url}"' in html
    thumb_url = f"/media/{thumbnail_name(image.filename)}"
    assert f'src="{thumb_url}"' in page(app.test_client().get("/products"))

    # ...and the other instance, which has no files at all, serves them from the database.
    for path, size in ((url, (800, 600)), (thumb_url, (400, 300))):
        response = other_pod.get(path)
        assert response.status_code == 200 and response.mimetype == "image/webp"
        assert response.get_data() == kept[path.removeprefix("/media/")]
        assert picture(response.get_data()) == ("WEBP", size)
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert response.headers["ETag"]
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")
        again = other_pod.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b""

    # A logged-in browser gets the very same shareable answer.
    response = client.get(url)
    assert response.status_code == 200 and response.headers["Cache-Control"] == IMMUTABLE
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")

    # Deleting the picture deletes its bytes: no instance serves it any more.
    response = client.post(f"/admin/products/{product.id}/images/{image.id}/delete",
                           data={"csrf_token": staff_token})
    assert response.status_code == 303
    assert stored(db) == {}
    assert other_pod.get(url).status_code == 404
    assert other_pod.get(thumb_url).status_code == 404


def test_a_name_nobody_stored_is_a_404(db, in_database, other_pod):
    for path in ("products/nothing.webp", "../config.py", "x" * 300):
        assert other_pod.get(f"/media/{path}").status_code == 404


def test_the_same_picture_twice_is_kept_once_and_until_no_image_uses_it(
        client, db, staff_token, in_database):
    product = make_product("Teapot")
    for _ in range(2):
        assert upload(client, staff_token, product, png_bytes()).status_code == 303
    first, second = db.session.scalars(select(ProductImage).order_by(ProductImage.id)).all()
    assert first.filename == second.filename and len(stored(db)) == 2

    client.post(f"/admin/products/{product.id}/images/{first.id}/delete",
                data={"csrf_token": staff_token})
    assert len(stored(db)) == 2  # the other image still shows it

    client.post(f"/admin/products/{product.id}/images/{second.id}/delete",
                data={"csrf_token": staff_token})
    assert stored(db) == {}


def test_deleting_a_product_deletes_its_pictures(client, db, staff_token, in_database):
    product_id = make_product("Teapot").id
    upload(client, staff_token, db.session.get(Product, product_id), png_bytes())
    assert len(stored(db)) == 2

    response = client.post(f"/admin/products/{product_id}/delete",
                           data={"csrf_token": staff_token, "confirm": "yes"})

    assert response.status_code == 303
    forget_session(db)
    assert db.session.get(Product, product_id) is None and stored(db) == {}


def test_an_upload_that_fails_to_commit_leaves_no_bytes_behind(db, in_database, monkeypatch):
    product = make_product("Teapot")
    staff = make_user("staff@example.com", role="staff")

    def audit_log_down(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(images, "record", audit_log_down)
    with pytest.raises(RuntimeError):
        images.add_image(product.id, io.BytesIO(png_bytes()), staff)

    assert stored(db) == {}
    assert db.session.scalar(select(func.count(ProductImage.id))) == 0


def test_the_demo_catalogue_seeds_its_pictures_into_the_database(app, db, in_database,
                                                                 other_pod):
    result = app.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert "(in the database)" in result.output
    assert files_under(app.config["UPLOAD_DIR"]) == []
    names = set(db.session.scalars(select(ProductImage.filename)))
    kept = stored(db)
    assert set(kept) == names | {thumbnail_name(name) for name in names}
    first = sorted(names)[0]
    response = other_pod.get(f"/media/{first}")
    assert response.status_code == 200 and picture(response.get_data()) == ("WEBP", (800, 800))

    again = app.test_cli_runner().invoke(args=["seed-demo"])  # draws nothing twice
    assert again.exit_code == 0 and f"0 written, {len(kept):>4} already there" in again.output


def test_an_unknown_media_storage_is_refused_at_start_up():
    done = subprocess.run(
        [sys.executable, "-c", "from config import get_config; get_config('development')"],
        cwd=ROOT, env={**os.environ, "MEDIA_STORAGE": "s3"}, capture_output=True, text=True,
        timeout=60)
    assert done.returncode != 0
    assert "MEDIA_STORAGE='s3' is not a place for product images" in done.stderr


def test_a_shop_moving_from_files_imports_its_pictures(app, client, db, staff_token, settings,
                                                       other_pod):
    product = make_product("Teapot")
    upload(client, staff_token, product, png_bytes())  # kept as files (the default)
    filename = db.session.scalar(select(ProductImage.filename))
    assert stored(db) == {} and len(files_under(app.config["UPLOAD_DIR"])) >= 2
    refused = app.test_cli_runner().invoke(args=["import-media"])
    assert refused.exit_code != 0 and "MEDIA_STORAGE" in refused.output

    settings(MEDIA_STORAGE="database")
    first = app.test_cli_runner().invoke(args=["import-media"])
    again = app.test_cli_runner().invoke(args=["import-media"])

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert {filename, thumbnail_name(filename)} <= set(stored(db))
    assert " 0 stored in the database" in again.output
    response = other_pod.get(f"/media/{filename}")
    assert response.status_code == 200 and picture(response.get_data()) == ("WEBP", (800, 600))
