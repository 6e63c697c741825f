"""Static files ready for a CDN: content-hashed URLs, served immutable and pre-compressed.

At start-up every file under webshop/static is copied into STATIC_BUILD_DIR under a name
that carries its content hash (css/shop.css -> css/shop.1a2b3c4d5e6f.css), beside its
gzip and brotli versions (WhiteNoise's compressor), and `url_for("static", ...)` gives
the hashed name. WhiteNoise, in front of the app, serves that folder: hashed names with
`Cache-Control: public, max-age=31536000, immutable`, the encoding the browser accepts,
ETag and 304. So a CDN or nginx in front receives them compressed and may keep them
forever: an edited file gets a new name. Unhashed names are still served, briefly cached.

The build is idempotent and safe to run from several processes at once (each file is
written to a temporary name and renamed); it does nothing for files already built.
"""
import hashlib
import os
import re
import tempfile
from pathlib import Path

from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

HASHED = re.compile(r"\.[0-9a-f]{12}(\.[^./]+)$")
UNHASHED_MAX_AGE = 60  # seconds, for a file asked for by its plain name
IMMUTABLE = "public, max-age=31536000, immutable"  # a year: what CDNs and browsers keep


def init_app(app):
    build = Path(app.config["STATIC_BUILD_DIR"])
    manifest = build_static(Path(app.static_folder), build)
    app.extensions["webshop.static_manifest"] = manifest

    @app.url_defaults
    def hashed_static_url(endpoint, values):
        if endpoint == "static":
            values["filename"] = manifest.get(values.get("filename"), values.get("filename"))

    app.wsgi_app = WhiteNoise(
        app.wsgi_app, root=str(build), prefix=app.static_url_path.strip("/") + "/",
        max_age=UNHASHED_MAX_AGE, immutable_file_test=_is_hashed,
        add_headers_function=_headers,
    )


def _is_hashed(path, url):
    return bool(HASHED.search(url))


def _headers(headers, path, url):
    headers["X-Content-Type-Options"] = "nosniff"
    if _is_hashed(path, url):
        headers["Cache-Control"] = IMMUTABLE


def build_static(source, build):
    """Copy `source`'s files into `build` under hashed (and plain) names, compressed.
    Returns {plain relative path: hashed relative path}."""
    compressor = Compressor(log=lambda message: None, quiet=True)
    manifest = {}
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        relative = path.relative_to(source).as_posix()
        if HASHED.search(relative) or relative.endswith((".gz", ".br")):
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:12]
        hashed = re.sub(r"(\.[^./]+)?$", lambda m: f".{digest}{m.group(1) or ''}", relative, count=1)
        manifest[relative] = hashed
        for name in (hashed, relative):
            target = build / name
            if not target.exists() or target.read_bytes() != data:
                _write(target, data)
                if compressor.should_compress(name):
                    for _ in compressor.compress(str(target)):
                        pass
    return manifest


def _write(target, data):
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, target)
