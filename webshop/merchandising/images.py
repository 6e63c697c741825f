"""A product's pictures: checking and storing an upload, removing one, and dropping the
stored files no image row uses any more. Encoding them is webshop.media's business,
where they are kept (files or database rows) webshop.media_store's."""
from flask import current_app
from sqlalchemy import func, select

from webshop import media, media_store
from webshop.extensions import db
from webshop.merchandising.rules import CatalogError
from webshop.models import Product, ProductImage
from webshop.models.audit import record


def _unused(filenames):
    """The stored names (each image and its thumbnail) of those filenames no image row uses."""
    filenames = set(filenames)
    if not filenames:
        return []
    used = set(db.session.scalars(
        select(ProductImage.filename).where(ProductImage.filename.in_(filenames))))
    return [name for filename in sorted(filenames - used)
            for name in (filename, media.thumbnail_name(filename))]


def commit_dropping_files(filenames, upload_dir=None):
    """Commit the caller's unit of work, which removed image rows, and forget the stored
    files of `filenames` that no image row uses any more: in the same transaction when
    they are database rows, after the commit when they are files (a commit that fails
    must leave every file a row still uses)."""
    if media_store.in_database():
        db.session.flush()
        media_store.discard(_unused(filenames))
        db.session.commit()
    else:
        db.session.commit()
        media_store.discard(_unused(filenames), upload_dir)


def _lock(product_id):
    """The product's row lock, taken before its pictures' stored bytes are looked at or
    dropped: an upload of the same picture and its removal at the same moment would
    otherwise leave an image row whose bytes the removal discarded (a picture's name
    holds the product's slug, so only one product's changes can meet)."""
    db.session.execute(select(Product.id).where(Product.id == product_id).with_for_update())


def add_image(product_id, stream, actor, alt="", upload_dir=None, max_bytes=None):
    """Check an uploaded image, store it as WebP (media.IMAGE_SIZE) with a thumbnail under
    products/, named by its content's hash, and add it after the product's other images;
    commits (with database storage, the picture's bytes in the same transaction).

    Raises CatalogError (field "image"; nothing stored) for a file that is too large or
    not an image.
    """
    max_bytes = max_bytes or current_app.config["MAX_IMAGE_BYTES"]
    product = db.session.get(Product, product_id)
    if product is None:
        raise LookupError(f"No product {product_id}")
    try:
        image = media.prepare_image(media.read_image(stream, max_bytes))
    except media.ImageError as error:
        raise CatalogError(str(error), "image") from None
    encoded = media.encode(image)
    filename = media.product_image_name(product.slug, encoded[0])
    try:
        _lock(product_id)
        media_store.store(media.renditions(filename, encoded), upload_dir)
        position = db.session.scalar(
            select(func.coalesce(func.max(ProductImage.position) + 1, 0))
            .where(ProductImage.product_id == product.id))
        row = ProductImage(product_id=product.id, filename=filename,
                           alt=(alt or "").strip()[:255], position=position)
        db.session.add(row)
        db.session.flush()
        record(db.session, "product.image_add", "product", product.id, actor,
               after={"image": filename})
        db.session.commit()
    except BaseException:
        db.session.rollback()  # database storage: the bytes go with it
        if not media_store.in_database():
            media_store.discard(_unused([filename]), upload_dir)
        raise
    return row


def remove_image(product_id, image_id, actor, upload_dir=None):
    """Remove one of a product's images and its files (unless another image uses them);
    commits."""
    _lock(product_id)
    image = db.session.get(ProductImage, image_id)
    if image is None or image.product_id != product_id:
        db.session.rollback()
        raise LookupError(f"No image {image_id} on product {product_id}")
    filename = image.filename
    record(db.session, "product.image_remove", "product", product_id, actor,
           before={"image": filename})
    db.session.delete(image)
    commit_dropping_files([filename], upload_dir)


def set_variant_images(product_id, choices, actor):
    """Say which picture shows each variant: choices {variant id: image id or None (the
    product's first picture)}; variants not named keep theirs. Commits once.

    Raises LookupError for a variant or image that is not this product's (nothing saved).
    """
    product = db.session.get(Product, product_id)
    if product is None:
        raise LookupError(f"No product {product_id}")
    variants = {v.id: v for v in product.variants}
    images = {i.id for i in product.images}
    changes = {}
    for variant_id, image_id in choices.items():
        if variant_id not in variants or (image_id is not None and image_id not in images):
            db.session.rollback()
            raise LookupError(f"No variant {variant_id} or image {image_id} on {product_id}")
        variant = variants[variant_id]
        if variant.image_id != image_id:
            changes[variant.sku] = [variant.image_id, image_id]
            variant.image_id = image_id
    if changes:
        record(db.session, "product.variant_images", "product", product_id, actor,
               after={"images": changes})
    db.session.commit()
    return len(changes)
