"""The demo catalogue's pictures, drawn locally with Pillow (no network, no font files):
a gradient, a product silhouette and its name; the same arguments always give the same
pixels. Stored as webshop.media stores any product image (WebP and thumbnail).
"""
import functools

from PIL import Image, ImageDraw, ImageFont

from webshop import media
from webshop.demo.catalogue import stable_int

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
_SS = 2  # shapes are drawn at twice the size and reduced, for smooth edges
# Silhouettes stay inside this part of the 800x800 canvas; masks cover only it.
_REGION = (150, 110, 670, 570)


def _mix(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def _scaled(points):
    return [((x - _REGION[0]) * _SS, (y - _REGION[1]) * _SS) for x, y in points]


def _box(x0, y0, x1, y1):
    (left, top), (right, bottom) = _scaled([(x0, y0), (x1, y1)])
    return (left, top, right, bottom)


def _shape_layers(shape, main, accent):
    """[(colour, draw(ImageDraw))] for one product silhouette, centred around (400, 330)."""
    dark = _mix(main, (0, 0, 0), 0.25)
    light = _mix(main, (255, 255, 255), 0.35)
    S = _SS
    if shape == "mug":
        return [
            (main, lambda d: d.ellipse(_box(455, 250, 590, 430), outline=255, width=34 * S)),
            (main, lambda d: d.rounded_rectangle(_box(230, 190, 500, 500), radius=36 * S, fill=255)),
            (accent, lambda d: d.rectangle(_box(230, 320, 500, 350), fill=255)),
            (dark, lambda d: d.ellipse(_box(230, 172, 500, 212), fill=255)),
        ]
    if shape == "bag":
        return [
            (main, lambda d: d.polygon(_scaled([(275, 200), (525, 200), (545, 520), (255, 520)]), fill=255)),
            (dark, lambda d: d.rectangle(_box(275, 160, 525, 215), fill=255)),
            (accent, lambda d: d.rounded_rectangle(_box(320, 300, 480, 430), radius=14 * S, fill=255)),
        ]
    if shape == "jar":
        return [
            (main, lambda d: d.rounded_rectangle(_box(280, 210, 520, 510), radius=28 * S, fill=255)),
            (accent, lambda d: d.rounded_rectangle(_box(270, 170, 530, 235), radius=14 * S, fill=255)),
            (light, lambda d: d.rounded_rectangle(_box(320, 300, 480, 420), radius=10 * S, fill=255)),
        ]
    if shape == "bowl":
        return [
            (main, lambda d: d.pieslice(_box(190, 140, 610, 520), 0, 180, fill=255)),
            (dark, lambda d: d.ellipse(_box(190, 300, 610, 360), fill=255)),
            (accent, lambda d: d.rounded_rectangle(_box(330, 505, 470, 525), radius=8 * S, fill=255)),
        ]
    if shape == "shirt":
        return [
            (main, lambda d: d.polygon(_scaled([
                (330, 170), (400, 200), (470, 170), (600, 230), (560, 320), (510, 300),
                (510, 520), (290, 520), (290, 300), (240, 320), (200, 230),
            ]), fill=255)),
            (accent, lambda d: d.chord(_box(350, 140, 450, 215), 0, 180, fill=255)),
        ]
    if shape == "dome":
        return [
            (main, lambda d: d.pieslice(_box(230, 170, 570, 560), 180, 360, fill=255)),
            (dark, lambda d: d.rounded_rectangle(_box(220, 350, 580, 440), radius=18 * S, fill=255)),
            (accent, lambda d: d.ellipse(_box(370, 130, 430, 190), fill=255)),
        ]
    if shape == "book":
        return [
            (main, lambda d: d.rounded_rectangle(_box(260, 160, 540, 520), radius=14 * S, fill=255)),
            (dark, lambda d: d.rectangle(_box(260, 160, 300, 520), fill=255)),
            (accent, lambda d: d.rectangle(_box(480, 160, 500, 560), fill=255)),
            (light, lambda d: d.rounded_rectangle(_box(340, 240, 500, 300), radius=8 * S, fill=255)),
        ]
    if shape == "bottle":
        return [
            (main, lambda d: d.rounded_rectangle(_box(310, 230, 490, 530), radius=50 * S, fill=255)),
            (main, lambda d: d.rectangle(_box(355, 170, 445, 250), fill=255)),
            (dark, lambda d: d.rounded_rectangle(_box(345, 130, 455, 180), radius=12 * S, fill=255)),
            (accent, lambda d: d.rectangle(_box(310, 340, 490, 390), fill=255)),
        ]
    if shape == "tent":
        return [
            (main, lambda d: d.polygon(_scaled([(400, 150), (620, 520), (180, 520)]), fill=255)),
            (dark, lambda d: d.polygon(_scaled([(400, 290), (470, 520), (330, 520)]), fill=255)),
            (accent, lambda d: d.ellipse(_box(560, 140, 640, 220), fill=255)),
        ]
    if shape == "candle":
        return [
            (main, lambda d: d.rounded_rectangle(_box(290, 260, 510, 520), radius=20 * S, fill=255)),
            (light, lambda d: d.rounded_rectangle(_box(330, 340, 470, 430), radius=8 * S, fill=255)),
            (dark, lambda d: d.line(_box(400, 205, 400, 262), fill=255, width=8 * S)),
            (accent, lambda d: d.ellipse(_box(378, 150, 422, 215), fill=255)),
        ]
    if shape == "lamp":
        return [
            (accent, lambda d: d.polygon(_scaled([(320, 150), (480, 150), (550, 300), (250, 300)]), fill=255)),
            (main, lambda d: d.ellipse(_box(320, 290, 480, 470), fill=255)),
            (dark, lambda d: d.rounded_rectangle(_box(300, 470, 500, 510), radius=12 * S, fill=255)),
        ]
    if shape == "circle":
        return [
            (main, lambda d: d.ellipse(_box(220, 160, 580, 520), fill=255)),
            (light, lambda d: d.ellipse(_box(270, 210, 530, 470), fill=255)),
            (dark, lambda d: d.line(_box(400, 340, 400, 240), fill=255, width=10 * S)),
            (dark, lambda d: d.line(_box(400, 340, 470, 380), fill=255, width=10 * S)),
            (accent, lambda d: d.ellipse(_box(385, 325, 415, 355), fill=255)),
        ]
    # "board" and anything unknown: a flat rounded slab with a stripe.
    return [
        (main, lambda d: d.rounded_rectangle(_box(200, 210, 600, 470), radius=30 * S, fill=255)),
        (accent, lambda d: d.rounded_rectangle(_box(240, 250, 560, 280), radius=10 * S, fill=255)),
        (light, lambda d: d.ellipse(_box(520, 400, 560, 440), fill=255)),
    ]


def _wrap(draw, text, font, max_width):
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font) > max_width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def _font(size):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one small bitmap font, still legible
        return ImageFont.load_default()


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
    image.paste(_mix(top, (255, 255, 255), 0.5), mask=glow)
    return image


def render_product_image(name, category_slug, shape="", number=1, key=""):
    """An 800x800 RGB illustration of a product: gradient, silhouette and name.

    number 1 is the light "hero" picture; 2 and up use an inverted, darker palette so a
    product's gallery has some variety. key (e.g. the slug) varies the colours within
    the category's palette; the same arguments always give the same pixels.
    """
    top, bottom, mains, accent, ink = _PALETTES.get(category_slug, _PALETTES["home"])
    main = mains[stable_int(key or name) % len(mains)]
    shape = shape or _DEFAULT_SHAPE.get(category_slug, "board")
    if number > 1:
        top, bottom, main, ink = (_mix(main, (0, 0, 0), 0.15), _mix(main, (0, 0, 0), 0.45),
                                  _mix(top, (255, 255, 255), 0.2), (250, 246, 238))

    size = media.IMAGE_SIZE
    image = _background(top, bottom)
    region_size = ((_REGION[2] - _REGION[0]) * _SS, (_REGION[3] - _REGION[1]) * _SS)
    for colour, draw_layer in _shape_layers(shape, main, accent):
        mask = Image.new("L", region_size, 0)
        draw_layer(ImageDraw.Draw(mask))
        image.paste(colour, _REGION[:2], mask=mask.reduce(_SS))

    draw = ImageDraw.Draw(image)
    font = _font(46)
    lines = _wrap(draw, name, font, size - 140)[:2]
    y = 640 if len(lines) > 1 else 665
    for line in lines:
        draw.text((size // 2, y), line, font=font, fill=ink, anchor="mm")
        y += 56
    return image


def write_demo_images(product, upload_dir):
    """Draw a demo product's images unless they are already on disk.

    Returns (files written, files already present), counting full-size and thumbnail
    files separately."""
    written = existing = 0
    for number, filename in enumerate(product.image_names, start=1):
        if media.files_present(filename, upload_dir):
            existing += 2
            continue
        image = render_product_image(product.name, product.category, product.shape,
                                     number, key=product.slug)
        count = media.save_with_thumbnail(image, upload_dir, filename)
        written += count
        existing += 2 - count
    return written, existing
