"""The demo catalogue's pictures, drawn locally with Pillow (no network, no font files):
a gradient and the product's object (webshop.demo.drawings), in the variant's colour
where the variant is a colour; no text. The same arguments always give the same pixels.
Encoded as webshop.media encodes any product image (WebP and thumbnail); the seed keeps
them where webshop.media_store keeps every picture.
"""
import functools

from PIL import Image, ImageDraw

from webshop import media
from webshop.demo.catalogue import stable_int
from webshop.demo import drawings_tools
from webshop.demo.drawings import COLOURS, DRAWINGS, REGION, SS, mix, paint, palette

# Per category: gradient top, gradient bottom, shape colours (one picked per product),
# accent, text.
_PALETTES = {
    "coffee-tea": ((246, 236, 222), (226, 198, 166),
                   [(111, 78, 55), (140, 92, 58), (86, 60, 44)], (214, 160, 96), (64, 42, 28)),
    "kitchen": ((236, 243, 238), (190, 214, 200),
                [(74, 124, 104), (58, 98, 92), (96, 132, 88)], (238, 196, 112), (32, 66, 54)),
    "apparel": ((234, 238, 248), (188, 198, 230),
                [(62, 84, 150), (92, 70, 140), (48, 104, 140)], (236, 124, 92), (32, 42, 88)),
    "home": ((249, 238, 230), (232, 194, 176),
             [(176, 98, 76), (150, 84, 96), (190, 122, 70)], (250, 218, 156), (96, 48, 38)),
    "stationery": ((247, 243, 226), (230, 216, 168),
                   [(52, 73, 94), (70, 70, 78), (124, 64, 56)], (214, 92, 72), (40, 44, 56)),
    "outdoor": ((228, 241, 233), (168, 204, 178),
                [(46, 94, 70), (60, 86, 110), (88, 96, 52)], (240, 168, 60), (24, 58, 40)),
}
_DEFAULT_SHAPE = {
    "coffee-tea": "bag", "kitchen": "bowl", "apparel": "shirt", "home": "candle",
    "stationery": "book", "outdoor": "tent",
}
_SHAPES = {**DRAWINGS, **drawings_tools.DRAWINGS}
_LIFT = 55  # no caption any more: the object sits a little lower, nearer the centre
@functools.lru_cache(maxsize=1)
def _masks():
    """The vertical gradient and the soft glow behind the product (shared by all images)."""
    size = media.IMAGE_SIZE
    vertical = Image.linear_gradient("L").resize((size, size))
    glow = Image.radial_gradient("L").resize((size, size)).point(lambda v: max(0, 150 - v))
    glow = glow.transform((size, size), Image.Transform.AFFINE,
                          (1, 0, 0, 0, 1, 70), resample=Image.Resampling.BILINEAR)
    return vertical, glow


def _background(top, bottom):
    size = media.IMAGE_SIZE
    vertical, glow = _masks()
    image = Image.composite(Image.new("RGB", (size, size), bottom),
                            Image.new("RGB", (size, size), top), vertical)
    image.paste(mix(top, (255, 255, 255), 0.5), mask=glow)
    return image


def render_product_image(name, category_slug, shape="", number=1, key="", colour=None):
    """An 800x800 RGB illustration of a product: a gradient and the object, no text.

    number 1 is the light "hero" picture; 2 and up use an inverted, darker palette so a
    product's gallery has some variety. colour (an option value such as "Navy") paints
    the object in that colour; otherwise key (e.g. the slug) picks one of the category's.
    """
    top, bottom, mains, accent, _ink = _PALETTES.get(category_slug, _PALETTES["home"])
    main = COLOURS.get((colour or "").lower()) or mains[stable_int(key or name) % len(mains)]
    shape = shape if shape in _SHAPES else _DEFAULT_SHAPE.get(category_slug, "board")
    if number > 1:
        top, bottom = mix(top, (0, 0, 0), 0.35), mix(bottom, (0, 0, 0), 0.55)

    image = _background(top, bottom)
    paints = palette(main, accent)
    region_size = ((REGION[2] - REGION[0]) * SS, (REGION[3] - REGION[1]) * SS)
    for colour_key, method, coords, options in _SHAPES[shape]:
        mask = Image.new("L", region_size, 0)
        paint(ImageDraw.Draw(mask), method, coords, options)
        fill = paints[colour_key] if isinstance(colour_key, str) else colour_key
        image.paste(fill, (REGION[0], REGION[1] + _LIFT), mask=mask.reduce(SS))
    return image


def draw_demo_images(product, present):
    """{stored name: WebP bytes} of a demo product's pictures and thumbnails that are not
    among `present` (the names already kept). Needs no app: the seed runs it in threads."""
    files = {}
    colours = product.image_colours or [None] * len(product.image_names)
    for number, (filename, colour) in enumerate(zip(product.image_names, colours), start=1):
        if {filename, media.thumbnail_name(filename)} <= present:
            continue
        image = render_product_image(product.name, product.category, product.shape,
                                     1 if colour else number, key=product.slug, colour=colour)
        files.update(media.renditions(filename, media.encode(image)))
    return files
