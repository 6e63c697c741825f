"""Image files: what an upload may be, how a picture is resized and encoded, its names,
and keeping them as files.

Every product image is kept twice: the full-size WebP whose relative name goes into
`ProductImage.filename` (e.g. "products/stoneware-mug-1a2b3c4d5e6f7a8b.webp", at most
IMAGE_SIZE square) and a THUMB_SIZE thumbnail beside it whose name is derived, never
stored: `thumbnail_name("products/x-1.webp") == "products/x-1.thumb.webp"`. Where they
are kept (files under UPLOAD_DIR, or rows in the database) is webshop.media_store's
choice; the file half of it lives here.

Nothing here knows about products or the database; callers decide which files belong
to what (webshop.merchandising for uploads, webshop.demo for the demo catalogue).
"""
import hashlib
import io
import logging
import os
import posixpath

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
MAX_IMAGE_PIXELS = 50_000_000   # a small file can still decode to gigabytes (a "bomb")
IMAGE_SIZE = 800
THUMB_SIZE = 400
WEBP_QUALITY = 80
WEBP_METHOD = 2  # at this size as small as method 4 (the default), twice as fast
PRODUCT_IMAGE_DIR = "products"


class ImageError(ValueError):
    """An upload that is not an image we can use; str(error) is what staff read."""


# --- names and paths ------------------------------------------------------------------

def thumbnail_name(filename):
    """The thumbnail's name for a stored image name: 'products/x-1.webp' -> 'products/x-1.thumb.webp'.

    Thumbnails are never recorded in the database; every template and upload handler
    derives the name with this function, so the rule lives in one place.
    """
    root, ext = posixpath.splitext(filename)
    return f"{root}.thumb{ext or '.webp'}"


def digest(data, size=8):
    """A hex hash of some bytes (2 * size characters)."""
    return hashlib.blake2b(data, digest_size=size).hexdigest()


def product_image_name(slug, data):
    """The name of an uploaded picture (its full-size WebP bytes) of the product with this
    slug. It carries the hash of the content, so a name never names other bytes (its URL
    may be cached forever, wherever it is stored), and nobody guesses it without the
    picture."""
    return f"{PRODUCT_IMAGE_DIR}/{slug[:60]}-{digest(data)}.webp"


def upload_path(filename, upload_dir=None):
    """Where a stored name lives on disk (under UPLOAD_DIR unless told otherwise)."""
    return os.path.join(upload_dir or current_app.config["UPLOAD_DIR"], *filename.split("/"))


_content_versions = {}  # (path, mtime, size) -> version: each file is read once per process
CONTENT_VERSIONS_MAX = 10_000


def content_version(filename, upload_dir=None):
    """A short hash of a stored image's content ("" when it is missing). Image URLs carry
    it (`?v=`), so one URL always names the same bytes and may be cached as immutable
    (uploads' names carry their content's hash too; the demo's do not)."""
    path = upload_path(filename, upload_dir)
    try:
        stat = os.stat(path)
    except OSError:
        return ""
    key = (path, stat.st_mtime_ns, stat.st_size)
    version = _content_versions.get(key)
    if version is None:
        with open(path, "rb") as file:
            version = digest(file.read(), 6)
        if len(_content_versions) >= CONTENT_VERSIONS_MAX:
            _content_versions.clear()
        _content_versions[key] = version
    return version


def files_present(names, upload_dir=None):
    """Those of the stored names that are on disk."""
    return {name for name in names if os.path.exists(upload_path(name, upload_dir))}


def remove_files(names, upload_dir=None):
    """Delete stored files; a file already gone or left behind is logged, not raised
    (untidy, not a failure)."""
    for name in names:
        try:
            os.remove(upload_path(name, upload_dir))
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("could not remove %s: %s", name, error)


# --- reading an upload ------------------------------------------------------------------

def file_size_label(size):
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def read_image(stream, max_bytes):
    """The uploaded file as a Pillow image, checked: a real JPEG, PNG, WebP or GIF of at
    most max_bytes and MAX_IMAGE_PIXELS. Raises ImageError otherwise."""
    data = stream.read(max_bytes + 1)
    if not data:
        raise ImageError("The file is empty. Choose an image file.")
    if len(data) > max_bytes:
        raise ImageError(f"The image is larger than {file_size_label(max_bytes)}. "
                         "Upload a smaller one.")
    not_an_image = ImageError("That file is not an image we can use: upload a JPEG, PNG, "
                              "WebP or GIF.")
    try:
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as probe:
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise ImageError("The image has too many pixels. Upload a smaller one.")
            probe.verify()  # checks the file's structure without decoding it all
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
        image.load()  # verify() leaves its image unusable: decode a fresh one
    except ImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError, EOFError):
        raise not_an_image from None
    return image


def prepare_image(image):
    """Upright, RGB (transparency on white), at most IMAGE_SIZE on its longer side."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    else:
        image = image.convert("RGB")
    image.thumbnail((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.LANCZOS)
    return image


# --- encoding and writing ---------------------------------------------------------------

def _webp(image):
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buffer.getvalue()


def encode(image):
    """A prepared image as WebP files: (full size, THUMB_SIZE thumbnail) bytes."""
    thumb = image.convert("RGB")
    # reducing_gap=1.0 lets Pillow halve by fast box reduction before resampling.
    thumb.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS, reducing_gap=1.0)
    return _webp(image), _webp(thumb)


def renditions(filename, encoded):
    """{stored name: bytes} of an image kept under `filename`, from encode()'s pair."""
    full, thumb = encoded
    return {filename: full, thumbnail_name(filename): thumb}


def write_files(files, upload_dir):
    """Write {stored name: bytes} under upload_dir, each atomically (an interrupted run
    never leaves a truncated file that counts as present on the next one); files already
    on disk are left alone. Returns how many were written."""
    written = 0
    for name, data in files.items():
        path = upload_path(name, upload_dir)
        if os.path.exists(path):
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        written += 1
    return written
