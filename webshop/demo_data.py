"""The demo catalogue: categories, products, variants, stock, generated images, a staff user.

Everything here is plain data and plain functions (no Flask request, no app context):
`flask seed-demo` calls `seed_demo()`, and tests may call it directly with a session.

Images are drawn locally with Pillow (no network, no font files) into
`<upload_dir>/products/`. Each image is stored twice: the full-size file whose
relative name goes into `ProductImage.filename` (e.g. "products/stoneware-mug-1.webp",
800x800) and a 400x400 thumbnail beside it whose name is derived, never stored:
`thumbnail_name("products/stoneware-mug-1.webp") == "products/stoneware-mug-1.thumb.webp"`.

The data is deterministic: the same code always yields the same slugs, SKUs, prices,
stock figures and image pixels.
"""
import functools
import io
import os
import posixpath
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from webshop.models import Category, Product, ProductImage, ProductVariant, User

DEMO_STAFF_EMAIL = "staff@example.com"
DEMO_STAFF_PASSWORD = "staff-demo-password"

IMAGE_SIZE = 800
THUMB_SIZE = 400
WEBP_QUALITY = 80
WEBP_METHOD = 2  # at this size as small as method 4 (the default), twice as fast
PRODUCT_IMAGE_DIR = "products"


def thumbnail_name(filename):
    """The thumbnail's name for a stored image name: 'products/x-1.webp' -> 'products/x-1.thumb.webp'.

    Thumbnails are never recorded in the database; every template and upload handler
    derives the name with this function, so the rule lives in one place.
    """
    root, ext = posixpath.splitext(filename)
    return f"{root}.thumb{ext or '.webp'}"


# --------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------

CATEGORIES = [
    {
        "slug": "coffee-tea", "name": "Coffee & Tea", "position": 1,
        "description": "Small-batch roasted coffee, loose-leaf tea and the tools to brew "
                       "them well at home.",
    },
    {
        "slug": "kitchen", "name": "Kitchen", "position": 2,
        "description": "Honest cookware, tableware and storage that earns its place on "
                       "the counter.",
    },
    {
        "slug": "apparel", "name": "Apparel", "position": 3,
        "description": "Everyday clothing and accessories in organic cotton, merino, "
                       "linen and full-grain leather.",
    },
    {
        "slug": "home", "name": "Home", "position": 4,
        "description": "Textiles, lighting and little comforts for calmer rooms.",
    },
    {
        "slug": "stationery", "name": "Stationery", "position": 5,
        "description": "Notebooks, pens and desk companions for people who still like "
                       "writing things down.",
    },
    {
        "slug": "outdoor", "name": "Outdoor", "position": 6,
        "description": "Durable kit for picnics, day hikes and nights under canvas.",
    },
]

SIZES = ["S", "M", "L", "XL"]

# Short, unambiguous SKU codes for option values (Grey and Green must not both be "GRE").
_VALUE_CODES = {
    "Black": "BLK", "Blue": "BLU", "Charcoal": "CHR", "Clay": "CLY", "Cream": "CRM",
    "Forest": "FOR", "Green": "GRN", "Grey": "GRY", "Mustard": "MUS", "Natural": "NAT",
    "Navy": "NVY", "Oat": "OAT", "Olive": "OLV", "Rust": "RST", "Sage": "SAG",
    "Sand": "SND", "Slate": "SLT", "Tan": "TAN", "Terracotta": "TER", "White": "WHT",
    "Yellow": "YEL", "250 g": "250G", "1 kg": "1KG",
}


def _value_code(value):
    if value in _VALUE_CODES:
        return _VALUE_CODES[value]
    return "".join(ch for ch in value.upper() if ch.isalnum())[:4]


def _stable_int(text):
    """A number that depends only on the text (str hash() is salted per process)."""
    return zlib.crc32(text.encode("utf-8"))


@dataclass(frozen=True)
class DemoVariant:
    sku: str
    option_values: dict
    price: int
    stock: int
    position: int


@dataclass(frozen=True)
class DemoProduct:
    category: str
    slug: str
    name: str
    description: str
    option_names: list
    variants: list
    featured: bool = False
    shape: str = ""
    image_count: int = 1
    image_names: list = field(default_factory=list)


def _product(category, slug, name, sku, price, description, *, options=None, prices=None,
             stock=None, featured=False, shape="", images=None):
    """Build one demo product and its variants.

    options: [(option name, [values])], expanded as a grid in the given order.
    prices:  {option value: price} overrides the base price for variants with that value.
    stock:   an int for every variant, or {sku suffix: stock} overrides (e.g. {"XL-BLK": 0});
             variants without an override get a steady 8-47 units derived from their SKU.
    """
    options = options or []
    prices = prices or {}
    grid = [[]]
    for _, values in options:
        grid = [combo + [value] for combo in grid for value in values]
    variants = []
    for position, combo in enumerate(grid):
        suffix = "-".join(_value_code(v) for v in combo)
        variant_sku = f"{sku}-{suffix}" if suffix else sku
        if isinstance(stock, int):
            units = stock
        elif stock and suffix in stock:
            units = stock[suffix]
        else:
            units = 8 + _stable_int(variant_sku) % 40
        variant_price = price
        for value in combo:
            variant_price = prices.get(value, variant_price)
        variants.append(DemoVariant(
            sku=variant_sku,
            option_values={opt_name: value for (opt_name, _), value in zip(options, combo)},
            price=variant_price,
            stock=units,
            position=position,
        ))
    option_names = [opt_name for opt_name, _ in options]
    if images is None:
        images = 2 if featured or "Colour" in option_names else 1
    return DemoProduct(
        category=category, slug=slug, name=name, description=description,
        option_names=option_names, variants=variants, featured=featured, shape=shape,
        image_count=images,
        image_names=[f"{PRODUCT_IMAGE_DIR}/{slug}-{n}.webp" for n in range(1, images + 1)],
    )


_WEIGHT = [("Weight", ["250 g", "1 kg"])]

PRODUCTS = [
    # ---- Coffee & Tea ---------------------------------------------------------------
    _product(
        "coffee-tea", "ethiopia-yirgacheffe-coffee", "Ethiopia Yirgacheffe Whole Bean Coffee",
        "CT-ETH-YIR", 1290,
        "A washed coffee from smallholder farms around Yirgacheffe, certified organic and "
        "roasted light to keep its jasmine and lemon-peel notes. Brilliant as a pour-over "
        "or filter brew. Roasted to order each Tuesday and shipped in a resealable valve bag.",
        options=_WEIGHT, prices={"1 kg": 3990}, featured=True, shape="bag",
    ),
    _product(
        "coffee-tea", "colombia-huila-medium-roast", "Colombia Huila Medium Roast",
        "CT-COL-HUI", 1190,
        "Caramel sweetness, red apple and a round, chocolatey finish. Our everyday coffee: "
        "forgiving in a French press, generous in a moka pot. Store the beans airtight and "
        "grind just before brewing.",
        options=_WEIGHT, prices={"1 kg": 3690}, shape="bag",
    ),
    _product(
        "coffee-tea", "house-espresso-blend", "House Espresso Blend",
        "CT-ESP-HOU", 1090,
        "A blend of Brazilian and Guatemalan beans roasted for espresso: dark chocolate, "
        "hazelnut and a thick, lasting crema. It holds its own under steamed milk, so "
        "flat whites and cappuccinos taste of coffee, not just of the mug.",
        options=_WEIGHT, prices={"1 kg": 3490}, stock={"1KG": 0}, shape="bag",
    ),
    _product(
        "coffee-tea", "swiss-water-decaf", "Swiss Water Decaf",
        "CT-DEC-SWW", 1250,
        "Decaffeinated with nothing but water, so the flavour survives: milk chocolate, "
        "toasted almond and a gentle sweetness. A coffee for the evening that does not "
        "taste like a compromise.",
        options=_WEIGHT, prices={"1 kg": 3890}, stock={"1KG": 2}, shape="bag",
    ),
    _product(
        "coffee-tea", "organic-sencha-green-tea", "Organic Sencha Green Tea",
        "CT-TEA-SEN", 950,
        "Steamed first-flush leaves from Shizuoka with a grassy, sweet and gently savoury "
        "cup. Brew at 70 to 80 degrees for one minute; the leaves give three good infusions. "
        "Packed in a light-proof tin that keeps the tea fresh.",
        shape="jar",
    ),
    _product(
        "coffee-tea", "earl-grey-loose-leaf-tea", "Earl Grey Loose Leaf Tea",
        "CT-TEA-EGR", 850,
        "Ceylon black tea scented with cold-pressed bergamot oil and a few cornflower "
        "petals. Bright on its own, mellow with a splash of milk. 100 g makes around forty "
        "cups.",
        shape="jar",
    ),
    _product(
        "coffee-tea", "chamomile-herbal-infusion", "Chamomile Herbal Infusion",
        "CT-TEA-CHA", 690,
        "Whole organic chamomile flowers from Egypt, honeyed and soothing. Caffeine free and "
        "lovely before bed, with a slice of lemon or on its own.",
        shape="jar",
    ),
    _product(
        "coffee-tea", "ceramic-pour-over-dripper", "Ceramic Pour-Over Dripper",
        "CT-BRW-DRP", 2490,
        "A glazed ceramic cone with spiral ribs for an even extraction, sized for one or two "
        "cups. Holds heat well; warm it with a rinse of hot water first. Dishwasher safe "
        "and fits standard size 02 filters.",
        featured=True, shape="bowl",
    ),
    _product(
        "coffee-tea", "cast-iron-teapot", "Cast Iron Teapot",
        "CT-BRW-TPT", 4990,
        "A 0.8 litre tetsubin-style pot with an enamelled interior and a fine stainless "
        "infuser. Keeps tea hot long after the first cup. Rinse and dry by hand; never "
        "leave tea standing in it overnight.",
        stock=2, shape="jar",
    ),
    _product(
        "coffee-tea", "unbleached-paper-filters", "Unbleached Paper Filters, 100 Pack",
        "CT-BRW-FLT", 450,
        "Oxygen-whitened-free, compostable paper filters for size 02 cone drippers. Rinse "
        "before brewing to remove any papery taste.",
        stock=120, shape="board",
    ),
    _product(
        "coffee-tea", "ceremonial-matcha-starter-kit", "Ceremonial Matcha Starter Kit",
        "CT-TEA-MAT", 5490,
        "Everything for a proper bowl of matcha: 30 g of ceremonial-grade powder from Uji, "
        "a hand-carved bamboo whisk, a scoop and a wide stoneware bowl. Whisk in a quick "
        "zigzag until a fine foam forms.",
        shape="bowl",
    ),
    _product(
        "coffee-tea", "hand-coffee-grinder", "Hand Coffee Grinder",
        "CT-BRW-GRD", 6900,
        "Conical ceramic burrs in a stainless steel body give an even grind from espresso "
        "fine to French press coarse, with fifteen clicks to choose from. Grinds 20 g in "
        "under a minute and packs small enough for travel. Brush the burrs clean; never "
        "wash them with water.",
        shape="bottle",
    ),
    # ---- Kitchen --------------------------------------------------------------------
    _product(
        "kitchen", "stoneware-mug", "Stoneware Mug",
        "KIT-MUG-STW", 1890,
        "A generous 350 ml mug thrown in stoneware and finished in a satin reactive glaze, "
        "so no two are quite alike. The wide handle fits four fingers. Microwave and "
        "dishwasher safe.",
        options=[("Colour", ["Sage", "Charcoal", "Cream"])], stock={"CRM": 1},
        featured=True, shape="mug",
    ),
    _product(
        "kitchen", "ceramic-espresso-cups-set-of-2", "Ceramic Espresso Cups, Set of 2",
        "KIT-CUP-ESP", 2290,
        "Two thick-walled 80 ml cups that keep a double shot hot to the last sip. "
        "Porcelain-fired ceramic with a glossy glaze inside and a raw matte foot.",
        options=[("Colour", ["White", "Black"])], shape="mug",
    ),
    _product(
        "kitchen", "olive-wood-chopping-board", "Olive Wood Chopping Board",
        "KIT-BRD-OLV", 4590,
        "Cut from a single piece of Tuscan olive wood, with the dense, swirling grain that "
        "makes it kind to knife edges. Wash by hand and rub with food-safe oil once a month "
        "to keep it from drying out.",
        shape="board",
    ),
    _product(
        "kitchen", "chefs-knife-20cm", "Chef's Knife 20 cm",
        "KIT-KNF-CHF", 8900,
        "A forged high-carbon stainless blade hardened to 58 HRC with a comfortable walnut "
        "handle. Holds a keen edge through onions, herbs and squash alike. Hand wash and "
        "dry straight away.",
        shape="board",
    ),
    _product(
        "kitchen", "cast-iron-skillet-26cm", "Pre-Seasoned Cast Iron Skillet 26 cm",
        "KIT-PAN-CIS", 5490,
        "Seasoned with flaxseed oil and ready to sear on day one. Works on gas, induction, "
        "in the oven and over a campfire. Clean with hot water and a brush, then dry on the "
        "hob and wipe with a little oil.",
        featured=True, shape="bowl",
    ),
    _product(
        "kitchen", "linen-tea-towels-set-of-2", "Linen Tea Towels, Set of 2",
        "KIT-TWL-LIN", 1990,
        "Stonewashed European linen that is absorbent from the first use, dries quickly and "
        "leaves glasses lint free. Softens with every wash at 40 degrees.",
        stock=0, shape="board",
    ),
    _product(
        "kitchen", "glass-storage-jars", "Glass Storage Jars with Bamboo Lids",
        "KIT-JAR-GLS", 2890,
        "A set of three borosilicate jars (0.5, 0.8 and 1.2 litres) with silicone-sealed "
        "bamboo lids. Airtight enough for coffee beans, flour and pasta.",
        shape="jar",
    ),
    _product(
        "kitchen", "silicone-spatula", "Silicone Spatula",
        "KIT-UTN-SPA", 790,
        "Heat resistant to 260 degrees, with a stiff core and a flexible edge that scrapes "
        "a bowl clean. One seamless piece, so nothing hides in the joints.",
        shape="board",
    ),
    _product(
        "kitchen", "ceramic-mixing-bowl-set", "Ceramic Mixing Bowl Set",
        "KIT-BWL-MIX", 5990,
        "Three nesting bowls with pouring lips and non-slip unglazed bases. Heavy enough to "
        "stay put while you whisk; pretty enough to serve a salad in.",
        shape="bowl",
    ),
    _product(
        "kitchen", "stainless-steel-french-press", "Stainless Steel French Press 1 L",
        "KIT-BRW-FRP", 3990,
        "Double-walled steel keeps coffee hot for an hour and never cracks like glass. The "
        "fine mesh filter leaves a clean cup; one litre fills four large mugs.",
        shape="jar",
    ),
    _product(
        "kitchen", "beeswax-food-wraps", "Beeswax Food Wraps",
        "KIT-WRP-BEE", 1490,
        "Organic cotton coated with beeswax, tree resin and jojoba oil: a washable, "
        "reusable alternative to cling film. Rinse in cool soapy water and they last about "
        "a year.",
        shape="board",
    ),
    # ---- Apparel --------------------------------------------------------------------
    _product(
        "apparel", "organic-cotton-tee", "Organic Cotton T-Shirt",
        "APP-TEE-ORG", 2900,
        "A midweight 180 gsm jersey tee in GOTS-certified organic cotton, with a regular fit "
        "and a ribbed crew neck that keeps its shape. Garment dyed for a soft, lived-in "
        "feel. Wash cold, inside out.",
        options=[("Size", SIZES), ("Colour", ["Blue", "White", "Black"])],
        stock={"XL-BLK": 0, "S-WHT": 2, "L-BLU": 3}, featured=True, shape="shirt",
    ),
    _product(
        "apparel", "merino-crew-jumper", "Merino Wool Crew Jumper",
        "APP-JMP-MER", 8900,
        "Knitted from fine extra-soft merino that breathes in a warm office and insulates "
        "on a cold platform. Naturally odour resistant, so it needs washing less often; "
        "hand wash or use the wool cycle and dry flat.",
        options=[("Size", SIZES), ("Colour", ["Navy", "Oat"])],
        stock={"M-OAT": 1}, shape="shirt",
    ),
    _product(
        "apparel", "heavyweight-cotton-hoodie", "Heavyweight Cotton Hoodie",
        "APP-HOD-HVY", 6900,
        "Brushed-back 400 gsm loopback cotton with a double-layer hood and a kangaroo "
        "pocket. Cut a little boxy; size down for a closer fit.",
        options=[("Size", SIZES), ("Colour", ["Grey", "Forest"])],
        stock={"S-FOR": 0, "XL-GRY": 0}, shape="shirt",
    ),
    _product(
        "apparel", "canvas-work-apron", "Canvas Work Apron",
        "APP-APR-CNV", 3900,
        "Heavy cotton canvas with cross-back leather straps that take the weight off your "
        "neck, plus two deep pockets and a pen slot. Made for the kitchen, the workshop and "
        "the potting shed.",
        options=[("Colour", ["Tan", "Black"])], shape="shirt",
    ),
    _product(
        "apparel", "full-grain-leather-belt", "Full-Grain Leather Belt",
        "APP-BLT-LTH", 5900,
        "Vegetable-tanned leather, 35 mm wide, with a solid brass buckle fixed by screws so "
        "it can be replaced. It darkens beautifully with wear; condition it twice a year.",
        options=[("Size", SIZES)], stock={"XL": 3}, shape="board",
    ),
    _product(
        "apparel", "ribbed-wool-beanie", "Ribbed Wool Beanie",
        "APP-HAT-BEA", 2400,
        "A chunky rib knit in a wool and recycled nylon blend, with a deep turn-up for "
        "cold ears. One size fits most.",
        options=[("Colour", ["Mustard", "Charcoal", "Navy"])], stock={"MUS": 0},
        shape="dome",
    ),
    _product(
        "apparel", "linen-button-down-shirt", "Linen Button-Down Shirt",
        "APP-SHT-LIN", 7400,
        "Washed European linen that keeps you cool through July, with corozo buttons and a "
        "relaxed fit. The creases are part of the charm; tumble dry low or line dry.",
        options=[("Size", SIZES)], shape="shirt",
    ),
    _product(
        "apparel", "organic-cotton-socks-3-pack", "Organic Cotton Socks, 3 Pack",
        "APP-SCK-ORG", 1600,
        "Combed organic cotton with a cushioned sole and a seamless toe. Three pairs in "
        "muted stripes that go with anything.",
        options=[("Size", SIZES)], stock={"S": 2}, shape="board",
    ),
    _product(
        "apparel", "packable-rain-jacket", "Packable Rain Jacket",
        "APP-JKT-RAN", 11900,
        "A waterproof, breathable shell with taped seams and an adjustable hood that packs "
        "into its own chest pocket. PFC-free water repellent finish; reproof after a few "
        "washes.",
        options=[("Size", SIZES), ("Colour", ["Yellow", "Navy"])],
        stock={"M-YEL": 3, "S-NVY": 0}, featured=True, shape="shirt",
    ),
    _product(
        "apparel", "heavy-cotton-tote-bag", "Heavy Cotton Tote Bag",
        "APP-BAG-TOT", 1800,
        "A 12 oz natural canvas tote with long handles that sit comfortably on the "
        "shoulder and an inside pocket for keys. Carries a week of groceries.",
        shape="bag",
    ),
    _product(
        "apparel", "leather-card-wallet", "Leather Card Wallet",
        "APP-WAL-CRD", 3500,
        "A slim wallet with four card slots and a centre pocket for folded notes, "
        "hand-stitched with waxed thread. It slips into a front pocket and moulds to your "
        "cards over time.",
        options=[("Colour", ["Tan", "Black"])], shape="book",
    ),
    # ---- Home -----------------------------------------------------------------------
    _product(
        "home", "fig-cedar-soy-candle", "Fig & Cedar Soy Candle",
        "HOM-CDL-FIG", 2400,
        "Hand-poured soy wax with a cotton wick in a reusable amber glass jar. Green fig, "
        "cedarwood and a hint of smoke; around 45 hours of burn time. Trim the wick to "
        "5 mm before each use.",
        featured=True, shape="candle",
    ),
    _product(
        "home", "ceramic-table-lamp", "Ceramic Table Lamp",
        "HOM-LMP-CER", 12900,
        "A hand-thrown ceramic base with a crackle glaze and a natural linen drum shade. "
        "Takes an E27 bulb; the braided fabric cable has an inline switch.",
        shape="lamp",
    ),
    _product(
        "home", "lambswool-throw-blanket", "Lambswool Throw Blanket",
        "HOM-THR-LMB", 8900,
        "Woven in Scotland from soft lambswool with fringed edges, 140 x 180 cm: big enough "
        "to share on the sofa. Dry clean or hand wash cool; air it outside to refresh.",
        options=[("Colour", ["Grey", "Rust"])], stock={"RST": 2}, shape="board",
    ),
    _product(
        "home", "linen-cushion-cover", "Linen Cushion Cover 50 x 50",
        "HOM-CSH-LIN", 2900,
        "Heavyweight washed linen with a hidden zip and neatly piped edges. Insert not "
        "included; a 55 cm feather pad gives the plumpest look.",
        options=[("Colour", ["Natural", "Clay", "Olive"])], shape="board",
    ),
    _product(
        "home", "stoneware-bud-vase", "Stoneware Bud Vase",
        "HOM-VAS-BUD", 3200,
        "A small speckled vase for a single stem or a sprig of dried grasses. The inside is "
        "glazed, so it holds water; the outside is left raw to the touch.",
        shape="bottle",
    ),
    _product(
        "home", "organic-cotton-bath-towel", "Organic Cotton Bath Towel",
        "HOM-TWL-BTH", 3400,
        "A thick 600 gsm terry towel that gets softer and more absorbent with every wash. "
        "Wash at 40 degrees and skip the fabric softener.",
        options=[("Colour", ["White", "Sand"])], shape="board",
    ),
    _product(
        "home", "seagrass-storage-basket", "Seagrass Storage Basket",
        "HOM-BSK-SEA", 3900,
        "Hand-woven seagrass with sturdy rope handles, for blankets, toys or firewood. "
        "Wipe with a damp cloth; keep away from standing water.",
        shape="bowl",
    ),
    _product(
        "home", "brass-candle-holder", "Brass Candle Holder",
        "HOM-CDL-BRS", 2200,
        "Solid spun brass for a standard dinner candle. Left unlacquered so it develops a "
        "warm patina; polish it back to a shine whenever you like.",
        shape="candle",
    ),
    _product(
        "home", "oak-wall-clock", "Oak Wall Clock",
        "HOM-CLK-OAK", 6900,
        "A 30 cm face turned from solid oak with a silent sweep movement, so it never "
        "ticks at night. Runs for a year on one AA battery.",
        shape="circle",
    ),
    _product(
        "home", "coir-doormat", "Coir Doormat",
        "HOM-MAT-COI", 2900,
        "Thick coconut-fibre bristles on a non-slip rubber back scrape off mud and grit "
        "before they reach the hall. Shake out weekly.",
        shape="board",
    ),
    _product(
        "home", "vetiver-reed-diffuser", "Vetiver Reed Diffuser",
        "HOM-DIF-VET", 2600,
        "Earthy vetiver, bergamot and a little black pepper, in a 100 ml glass bottle with "
        "eight rattan reeds. Flip the reeds weekly; scents a room for about three months.",
        shape="bottle",
    ),
    # ---- Stationery -----------------------------------------------------------------
    _product(
        "stationery", "a5-dotted-notebook", "A5 Dotted Notebook",
        "STA-NBK-A5D", 1600,
        "192 pages of 100 gsm ivory paper with a faint dot grid that fountain pens will not "
        "bleed through. Lay-flat binding, a ribbon marker and a cloth cover.",
        options=[("Colour", ["Black", "Terracotta", "Sage"])], stock={"TER": 0},
        featured=True, shape="book",
    ),
    _product(
        "stationery", "refillable-leather-journal", "Refillable Leather Journal",
        "STA-JRN-LTH", 4900,
        "A wraparound cover of buffalo leather with an elastic closure and room for two "
        "inserts. Ships with one lined and one blank refill; the cover will outlast them "
        "all.",
        shape="book",
    ),
    _product(
        "stationery", "steel-nib-fountain-pen", "Steel Nib Fountain Pen",
        "STA-PEN-FNT", 3900,
        "A smooth medium steel nib in an aluminium body, balanced for long writing "
        "sessions. Takes standard international cartridges or the included converter for "
        "bottled ink.",
        stock=3, shape="board",
    ),
    _product(
        "stationery", "fine-gel-pens-set-of-5", "Fine Gel Pens, Set of 5",
        "STA-PEN-GEL", 890,
        "Quick-drying 0.5 mm gel ink in black, blue, red, green and violet. Smudge resistant "
        "and kind to left-handers.",
        shape="board",
    ),
    _product(
        "stationery", "weekly-desk-planner", "Weekly Desk Planner",
        "STA-PLN-WEK", 1400,
        "Fifty-two tear-off undated sheets with a column per day, a notes panel and a "
        "short list for the things that really matter this week.",
        shape="book",
    ),
    _product(
        "stationery", "brass-pencil-sharpener", "Brass Pencil Sharpener",
        "STA-SHP-BRS", 650,
        "A solid brass wedge with a German steel blade that lasts for years. Pocket sized, "
        "with a satisfying weight in the hand.",
        shape="board",
    ),
    _product(
        "stationery", "graphite-pencils-pack-of-6", "Graphite Pencils, Pack of 6",
        "STA-PCL-GRA", 750,
        "Cedar-cased pencils from 2H to 4B for sketching, drafting and crosswords. Sharpen "
        "to a long point for the finest lines.",
        shape="board",
    ),
    _product(
        "stationery", "recycled-kraft-envelopes", "Recycled Kraft Envelopes, Pack of 10",
        "STA-ENV-KRF", 350,
        "C6 envelopes in 100 percent recycled brown kraft with a peel-and-seal flap. They "
        "fit an A6 card or an A4 sheet folded twice.",
        stock=200, shape="board",
    ),
    _product(
        "stationery", "washi-tape-set", "Washi Tape Set",
        "STA-TAP-WSH", 990,
        "Five rolls of Japanese paper tape in soft, earthy colours. Tear by hand, write on "
        "it, and peel it off again without leaving residue.",
        shape="circle",
    ),
    _product(
        "stationery", "walnut-desk-organiser", "Walnut Desk Organiser",
        "STA-ORG-WAL", 5900,
        "Solid American walnut with a slot for a phone, a tray for pens and a groove for "
        "cards. Oiled, not varnished, so it feels like wood.",
        shape="board",
    ),
    _product(
        "stationery", "letterpress-greeting-cards", "Letterpress Greeting Cards, Set of 4",
        "STA-CRD-LTP", 1200,
        "Four blank cards printed by hand on a vintage press, on thick cotton paper with "
        "a deep impression. With matching envelopes.",
        stock=1, shape="book",
    ),
    # ---- Outdoor --------------------------------------------------------------------
    _product(
        "outdoor", "insulated-steel-water-bottle", "Insulated Steel Water Bottle 750 ml",
        "OUT-BTL-INS", 3200,
        "Vacuum-insulated stainless steel keeps water cold for 24 hours and tea hot for 12. "
        "Leak-proof cap with a carry loop; the powder coat grips even with wet hands. Hand "
        "wash only.",
        options=[("Colour", ["Forest", "Sand", "Slate"])], stock={"SND": 2},
        featured=True, shape="bottle",
    ),
    _product(
        "outdoor", "speckled-enamel-camping-mug", "Speckled Enamel Camping Mug",
        "OUT-MUG-ENM", 1400,
        "A classic enamel-on-steel mug that goes from the camp stove to the table. "
        "Lightweight, nearly unbreakable and just as good for porridge as for coffee.",
        options=[("Colour", ["Blue", "Green"])], shape="mug",
    ),
    _product(
        "outdoor", "waterproof-picnic-blanket", "Waterproof Picnic Blanket",
        "OUT-BLK-PIC", 4900,
        "A soft recycled-fleece top with a water-resistant backing for damp grass, and a "
        "leather strap to roll it up and carry it. Machine washable at 30 degrees.",
        shape="board",
    ),
    _product(
        "outdoor", "lightweight-two-person-tent", "Lightweight Two-Person Tent",
        "OUT-TNT-2P", 18900,
        "A freestanding backpacking tent that weighs 1.6 kg, pitches in five minutes and "
        "shrugs off a 3000 mm downpour. Two doors, two porches and room for both packs.",
        featured=True, stock=4, shape="tent",
    ),
    _product(
        "outdoor", "rechargeable-camp-lantern", "Rechargeable Camp Lantern",
        "OUT-LNT-USB", 3400,
        "A warm, dimmable LED lantern with up to 40 hours of light, charged over USB-C. "
        "Hang it from the tent roof or set it on the picnic table.",
        shape="lamp",
    ),
    _product(
        "outdoor", "waxed-canvas-daypack-20l", "Waxed Canvas Daypack 20 L",
        "OUT-PCK-WAX", 8900,
        "Water-resistant waxed cotton canvas with leather trim, a padded laptop sleeve and "
        "a roll top that swallows a jumper and lunch. Re-wax once a season to keep the "
        "rain out.",
        shape="bag",
    ),
    _product(
        "outdoor", "folding-camp-chair", "Folding Camp Chair",
        "OUT-CHR-FLD", 5900,
        "An aluminium frame with a breathable mesh seat that folds down to the size of a "
        "water bottle. Holds up to 120 kg.",
        shape="tent",
    ),
    _product(
        "outdoor", "parachute-nylon-hammock", "Parachute Nylon Hammock",
        "OUT-HAM-NYL", 4400,
        "Ripstop parachute nylon with tree-friendly straps and steel carabiners. Sets up "
        "between two trees in a minute and packs into its own pouch.",
        shape="board",
    ),
    _product(
        "outdoor", "ferro-rod-fire-starter", "Ferro Rod Fire Starter",
        "OUT-FIR-FER", 1900,
        "A thick ferrocerium rod with a striker and a paracord lanyard: thousands of "
        "strikes, wet or dry, at any altitude.",
        shape="board",
    ),
    _product(
        "outdoor", "folding-pocket-knife", "Folding Pocket Knife",
        "OUT-KNF-FLD", 4500,
        "A 7 cm stainless blade with a liner lock and an oak handle. Sharp out of the box; "
        "a drop of oil on the pivot keeps it opening smoothly.",
        shape="board",
    ),
]


# --------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------

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
    size = IMAGE_SIZE
    vertical = Image.linear_gradient("L").resize((size, size))
    glow = Image.radial_gradient("L").resize((size, size)).point(lambda v: max(0, 150 - v))
    glow = glow.transform((size, size), Image.Transform.AFFINE,
                          (1, 0, 0, 0, 1, 70), resample=Image.Resampling.BILINEAR)
    return vertical, glow


def _background(top, bottom):
    size = IMAGE_SIZE
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
    main = mains[_stable_int(key or name) % len(mains)]
    shape = shape or _DEFAULT_SHAPE.get(category_slug, "board")
    if number > 1:
        top, bottom, main, ink = (_mix(main, (0, 0, 0), 0.15), _mix(main, (0, 0, 0), 0.45),
                                  _mix(top, (255, 255, 255), 0.2), (250, 246, 238))

    size = IMAGE_SIZE
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


def _save_webp(image, path):
    """Write atomically, so an interrupted seed never leaves a truncated file that counts
    as present on the next run."""
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(buffer.getvalue())
    os.replace(tmp, path)


def save_with_thumbnail(image, upload_dir, filename):
    """Save `image` as WebP at upload_dir/filename and its THUMB_SIZE square thumbnail at
    upload_dir/thumbnail_name(filename). Returns how many files were written (0-2):
    files already on disk are left alone."""
    full_path = os.path.join(upload_dir, *filename.split("/"))
    thumb_path = os.path.join(upload_dir, *thumbnail_name(filename).split("/"))
    os.makedirs(os.path.dirname(full_path), exist_ok=True)
    written = 0
    if not os.path.exists(full_path):
        _save_webp(image, full_path)
        written += 1
    if not os.path.exists(thumb_path):
        thumb = image.convert("RGB")
        # reducing_gap=1.0 lets Pillow halve by fast box reduction before resampling.
        thumb.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS, reducing_gap=1.0)
        _save_webp(thumb, thumb_path)
        written += 1
    return written


def _files_present(upload_dir, filename):
    return all(
        os.path.exists(os.path.join(upload_dir, *name.split("/")))
        for name in (filename, thumbnail_name(filename))
    )


def write_demo_images(product, upload_dir):
    """Draw a demo product's images unless they are already on disk.

    Returns (files written, files already present), counting full-size and thumbnail
    files separately."""
    written = existing = 0
    for number, filename in enumerate(product.image_names, start=1):
        if _files_present(upload_dir, filename):
            existing += 2
            continue
        image = render_product_image(product.name, product.category, product.shape,
                                     number, key=product.slug)
        count = save_with_thumbnail(image, upload_dir, filename)
        written += count
        existing += 2 - count
    return written, existing


# --------------------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------------------

def _counter():
    return {"created": 0, "existing": 0}


def seed_demo(session, upload_dir, currency, staff_password=None):
    """Create whatever part of the demo catalogue and the demo staff user is missing.

    Idempotent: categories are matched by slug, products by slug, variants by SKU,
    image rows by (product, filename) and the staff user by email; existing rows are
    never modified (stock sold since the last run stays as it is), and an image file is
    drawn only if it is missing on disk. Commits once, at the end.

    currency: the ISO code for new variants (the app's SHOP_CURRENCY).
    staff_password: for a newly created staff user; defaults to the environment's
    DEMO_STAFF_PASSWORD, else DEMO_STAFF_PASSWORD ("staff-demo-password").

    Returns counts, e.g. {"categories": {"created": 6, "existing": 0}, "products": ...,
    "variants": ..., "images": ... (rows), "image_files": {"written": n, "existing": m},
    "staff": {"email", "password", "created"}}.
    """
    currency = currency.upper()
    result = {name: _counter() for name in ("categories", "products", "variants", "images")}
    result["image_files"] = {"written": 0, "existing": 0}

    categories = {
        c.slug: c for c in session.scalars(
            select(Category).where(Category.slug.in_([c["slug"] for c in CATEGORIES]))
        )
    }
    for data in CATEGORIES:
        if data["slug"] in categories:
            result["categories"]["existing"] += 1
            continue
        category = Category(**data)
        session.add(category)
        categories[data["slug"]] = category
        result["categories"]["created"] += 1

    products = {
        p.slug: p for p in session.scalars(
            select(Product).where(Product.slug.in_([p.slug for p in PRODUCTS]))
        )
    }
    all_skus = [v.sku for p in PRODUCTS for v in p.variants]
    known_skus = set(session.scalars(
        select(ProductVariant.sku).where(ProductVariant.sku.in_(all_skus))
    ))
    existing_ids = [p.id for p in products.values()]
    known_images = set()
    if existing_ids:
        known_images = {tuple(row) for row in session.execute(
            select(ProductImage.product_id, ProductImage.filename)
            .where(ProductImage.product_id.in_(existing_ids))
        )}

    for demo in PRODUCTS:
        product = products.get(demo.slug)
        if product is None:
            product = Product(
                slug=demo.slug, name=demo.name, description=demo.description,
                category=categories[demo.category], active=True, featured=demo.featured,
                option_names=list(demo.option_names),
            )
            session.add(product)
            result["products"]["created"] += 1
        else:
            result["products"]["existing"] += 1

        for variant in demo.variants:
            if variant.sku in known_skus:
                result["variants"]["existing"] += 1
                continue
            product.variants.append(ProductVariant(
                sku=variant.sku, option_values=dict(variant.option_values),
                price=variant.price, currency=currency, stock=variant.stock,
                position=variant.position,
            ))
            result["variants"]["created"] += 1

        for position, filename in enumerate(demo.image_names):
            if product.id is not None and (product.id, filename) in known_images:
                result["images"]["existing"] += 1
                continue
            alt = demo.name if position == 0 else f"{demo.name}, alternative view"
            product.images.append(ProductImage(filename=filename, alt=alt, position=position))
            result["images"]["created"] += 1


    # Drawing and encoding release the GIL, so a few threads make the first seed quick.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        for written, present in pool.map(lambda demo: write_demo_images(demo, upload_dir),
                                         PRODUCTS):
            result["image_files"]["written"] += written
            result["image_files"]["existing"] += present

    password = staff_password or os.environ.get("DEMO_STAFF_PASSWORD") or DEMO_STAFF_PASSWORD
    staff = session.scalar(select(User).where(User.email == DEMO_STAFF_EMAIL))
    if staff is None:
        session.add(User(DEMO_STAFF_EMAIL, password=password, role="staff"))
    result["staff"] = {"email": DEMO_STAFF_EMAIL, "password": password, "created": staff is None}

    session.commit()
    return result
