"""Where product images are kept, as MEDIA_STORAGE says.

- "files" (the default: development, one box): under UPLOAD_DIR, written at once and
  removed after the commit that stops using them; nginx may serve the folder itself.
- "database" (a cluster: DEPLOY.md, "Product images"): rows of `media_files`, the bytes
  of each rendition under its stored name, written and deleted in the caller's unit of
  work, so a picture and the product row that uses it commit (or roll back) together
  and every pod sees them with nothing to mount. The /media route reads them by
  primary key; their URLs are immutable, so a CDN or nginx asks once per picture.

Either way a stored name is written once and never given other bytes (an upload's name
carries its content's hash; the demo draws the same pixels for the same name), so a name
already kept is left as it is. Which files belong to which product is the callers'
business (webshop.merchandising, webshop.demo); encoding them is webshop.media's.
"""
import os
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from webshop import media
from webshop.extensions import db
from webshop.models import MediaFile

FILES, DATABASE = "files", "database"
BACKENDS = (FILES, DATABASE)
CONTENT_TYPES = {".webp": "image/webp", ".png": "image/png", ".jpg": "image/jpeg",
                 ".jpeg": "image/jpeg", ".gif": "image/gif"}
OTHER = "application/octet-stream"


@dataclass(frozen=True)
class Stored:
    """One stored rendition as the /media route serves it."""
    data: bytes
    content_type: str
    etag: str


def in_database(app=None):
    """Whether images are rows in the database (MEDIA_STORAGE=database), not files."""
    return (app or current_app).config["MEDIA_STORAGE"] == DATABASE


def store(files, upload_dir=None):
    """Keep {stored name: bytes}; names already kept are left alone. Files are written at
    once; rows are added to the caller's unit of work (no commit). Returns how many
    names were new."""
    if not in_database():
        return media.write_files(files, upload_dir or current_app.config["UPLOAD_DIR"])
    kept = existing(files)
    new = {name: data for name, data in files.items() if name not in kept}
    if new:
        # ON CONFLICT DO NOTHING: two uploads of the same picture at the same moment
        # store it once, and neither fails.
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        db.session.execute(dialect.insert(MediaFile).values([
            {"name": name, "content_type": content_type(name), "size": len(data),
             "etag": media.digest(data, 12), "data": data}
            for name, data in new.items()
        ]).on_conflict_do_nothing(index_elements=["name"]))
    return len(new)


def existing(names, upload_dir=None):
    """Those of the stored names that are kept."""
    names = list(names)
    if not in_database():
        return media.files_present(names, upload_dir)
    if not names:
        return set()
    return set(db.session.scalars(select(MediaFile.name).where(MediaFile.name.in_(names))))


def discard(names, upload_dir=None):
    """Forget stored names: files are removed at once (call it after the commit that
    stopped using them), rows are deleted in the caller's unit of work (call it before)."""
    names = list(names)
    if not names:
        return
    if in_database():
        db.session.execute(delete(MediaFile).where(MediaFile.name.in_(names)))
    else:
        media.remove_files(names, upload_dir)


def import_files(upload_dir):
    """Store every picture under upload_dir (named by its path below it) in the database,
    in the caller's unit of work: moving a shop's files to MEDIA_STORAGE=database. Returns
    (how many were new, how many were there already)."""
    new = present = 0
    for folder, _dirs, names in os.walk(upload_dir):
        for file_name in sorted(names):
            if content_type(file_name) == OTHER:
                continue  # a leftover .tmp, or anything that is not a picture
            path = os.path.join(folder, file_name)
            name = os.path.relpath(path, upload_dir).replace(os.sep, "/")
            with open(path, "rb") as file:
                added = store({name: file.read()})
            new, present = new + added, present + 1 - added
    return new, present


def read(name):
    """A rendition kept in the database, as Stored, or None."""
    row = db.session.execute(
        select(MediaFile.data, MediaFile.content_type, MediaFile.etag)
        .where(MediaFile.name == name)).first()
    return Stored(*row) if row else None


def content_type(name):
    return CONTENT_TYPES.get(os.path.splitext(name)[1].lower(), OTHER)
