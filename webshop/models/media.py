"""Product images kept in the database (MEDIA_STORAGE=database; webshop.media_store)."""
from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from webshop.extensions import db
from webshop.models.base import created_at_column


class MediaFile(db.Model):
    """One stored rendition (a full-size picture or its thumbnail): its bytes under the
    name its /media URL carries. Written once, never updated: a name keeps its bytes."""

    __tablename__ = "media_files"

    # e.g. "products/mug-1a2b3c4d5e6f7a8b.webp" or its ".thumb.webp"; ProductImage.filename.
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    etag: Mapped[str] = mapped_column(String(32))  # a hash of the bytes, for If-None-Match
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = created_at_column()
