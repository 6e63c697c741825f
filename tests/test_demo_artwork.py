"""The demo catalogue's pictures show the right object, in the variant's colour (issue 12)."""
import os
import re

from PIL import Image
from sqlalchemy import select

from tests.factories import make_category, make_product
from webshop.demo import artwork
from webshop.demo.catalogue import PRODUCTS
from webshop.demo.drawings import COLOURS
from webshop.models import Product


def _share(image, colour):
    """The part of the picture's middle painted (within WebP's rounding) in `colour`."""
    middle = image.convert("RGB").crop((300, 280, 500, 480))
    close = sum(n for n, c in middle.getcolors(200 * 200)
                if sum(abs(a - b) for a, b in zip(c, colour)) < 24)
    return close / (200 * 200)


def test_every_demo_product_is_drawn_as_its_own_kind_of_object():
    for product in PRODUCTS:
        assert product.shape in artwork._SHAPES and product.shape != "board", product.slug
    by_shape = {p.shape for p in PRODUCTS if p.slug in ("leather-card-wallet",
                                                         "a5-dotted-notebook",
                                                         "folding-camp-chair",
                                                         "lightweight-two-person-tent")}
    assert len(by_shape) == 4  # a wallet is not a notebook, a chair is not a tent


def test_a_colour_variant_is_drawn_in_its_colour_and_without_text():
    navy = artwork.render_product_image("Hoodie", "apparel", "hoodie", colour="Navy")
    sand = artwork.render_product_image("Hoodie", "apparel", "hoodie", colour="Sand")

    assert _share(navy, COLOURS["navy"]) > 0.4 and _share(navy, COLOURS["sand"]) == 0
    assert _share(sand, COLOURS["sand"]) > 0.4 and _share(sand, COLOURS["navy"]) == 0
    # The caption band under the object is background only: the name is not painted.
    band = navy.crop((60, 660, 740, 760)).convert("L")
    low, high = band.getextrema()
    assert high - low < 40


def test_seeded_colour_variants_show_their_own_pictures(app, db, client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    mug = db.session.scalar(select(Product).where(Product.slug == "stoneware-mug"))

    pictures = {v.option_values["Colour"]: v.image for v in mug.variants}
    assert None not in pictures.values()
    assert len({p.id for p in pictures.values()}) == len(pictures)
    for colour, picture in pictures.items():
        assert colour.lower() in picture.alt
        with Image.open(os.path.join(app.config["UPLOAD_DIR"], picture.filename)) as image:
            assert _share(image, COLOURS[colour.lower()]) > 0.3, colour

    # The demo tee is not made in XL White: its page shows that swatch unavailable.
    page = client.get("/products/organic-cotton-tee?option-Size=XL&option-Colour=Blue")
    white = re.search(r'<input type="radio" name="option-Colour" value="White"[^>]*>',
                      page.get_data(as_text=True)).group(0)
    assert "disabled" in white and "from €29.00" in client.get("/") \
        .get_data(as_text=True)

def test_home_has_a_hero_with_pictures_and_pictured_category_tiles(client, db, count_queries):
    kitchen = make_category("Kitchen")
    make_product("Plain Bowl", category=kitchen, image="products/bowl.webp")
    make_product("Star Mug", category=kitchen, featured=True, image="products/mug.webp")
    make_category("Empty", position=1)

    with count_queries() as q:
        html = client.get("/").get_data(as_text=True)

    assert q.count <= 5, q.statements
    hero = html.split('class="hero hero-with-pictures"')[1].split("</section>")[0]
    assert "products/mug.webp" in hero and "<h1>" in hero and 'class="button"' in hero
    tiles = html.split('class="category-tiles"')[1].split("</ul>")[0]
    kitchen_tile, empty_tile = tiles.split("<li>")[1:3]
    assert "Kitchen" in kitchen_tile and "Empty" in empty_tile
    assert "products/mug.thumb.webp" in kitchen_tile  # the featured product's picture
    assert "bowl" not in kitchen_tile and "<img" not in empty_tile

