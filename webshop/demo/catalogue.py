"""The demo catalogue as plain data: six categories and some sixty products with their
variants, prices, stock figures and image names.

Deterministic: the same code always yields the same slugs, SKUs, prices and stock.
"""
import zlib
from dataclasses import dataclass, field, replace

from webshop.media import PRODUCT_IMAGE_DIR

DEMO_STAFF_EMAIL = "staff@example.com"

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


def stable_int(text):
    """A number that depends only on the text (str hash() is salted per process)."""
    return zlib.crc32(text.encode("utf-8"))


@dataclass(frozen=True)
class DemoVariant:
    sku: str
    option_values: dict
    price: int
    stock: int
    position: int
    image_name: str = None  # the picture of this variant's colour, if it has one


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
    image_colours: list = field(default_factory=list)  # per image: the colour, or None


def _product(category, slug, name, sku, price, description, *, options=None, prices=None,
             stock=None, featured=False, shape="", images=None, missing=()):
    """Build one demo product and its variants.

    options: [(option name, [values])], expanded as a grid in the given order.
    prices:  {option value: price} overrides the base price for variants with that value.
    stock:   an int for every variant, or {sku suffix: stock} overrides (e.g. {"XL-BLK": 0});
             variants without an override get a steady 8-47 units derived from their SKU.
    missing: sku suffixes of combinations not made (the shop shows them as unavailable).
    """
    options = options or []
    prices = prices or {}
    grid = [[]]
    for _, values in options:
        grid = [combo + [value] for combo in grid for value in values]
    variants = []
    for position, combo in enumerate(grid):
        suffix = "-".join(_value_code(v) for v in combo)
        if suffix in missing:
            continue
        variant_sku = f"{sku}-{suffix}" if suffix else sku
        if isinstance(stock, int):
            units = stock
        elif stock and suffix in stock:
            units = stock[suffix]
        else:
            units = 8 + stable_int(variant_sku) % 40
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
    colours = dict(options).get("Colour", [])
    if colours:  # one picture per colour, each variant showing its own
        image_names = [f"{PRODUCT_IMAGE_DIR}/{slug}-{_value_code(c).lower()}.webp" for c in colours]
        by_colour = dict(zip(colours, image_names))
        variants = [replace(v, image_name=by_colour[v.option_values["Colour"]]) for v in variants]
        image_colours = list(colours)
    else:
        count = images if images is not None else (2 if featured else 1)
        image_names = [f"{PRODUCT_IMAGE_DIR}/{slug}-{n}.webp" for n in range(1, count + 1)]
        image_colours = [None] * count
    return DemoProduct(
        category=category, slug=slug, name=name, description=description,
        option_names=option_names, variants=variants, featured=featured, shape=shape,
        image_count=len(image_names), image_names=image_names, image_colours=image_colours,
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
        featured=True, shape="dripper",
    ),
    _product(
        "coffee-tea", "cast-iron-teapot", "Cast Iron Teapot",
        "CT-BRW-TPT", 4990,
        "A 0.8 litre tetsubin-style pot with an enamelled interior and a fine stainless "
        "infuser. Keeps tea hot long after the first cup. Rinse and dry by hand; never "
        "leave tea standing in it overnight.",
        stock=2, shape="teapot",
    ),
    _product(
        "coffee-tea", "unbleached-paper-filters", "Unbleached Paper Filters, 100 Pack",
        "CT-BRW-FLT", 450,
        "Oxygen-whitened-free, compostable paper filters for size 02 cone drippers. Rinse "
        "before brewing to remove any papery taste.",
        stock=120, shape="filters",
    ),
    _product(
        "coffee-tea", "ceremonial-matcha-starter-kit", "Ceremonial Matcha Starter Kit",
        "CT-TEA-MAT", 5490,
        "Everything for a proper bowl of matcha: 30 g of ceremonial-grade powder from Uji, "
        "a hand-carved bamboo whisk, a scoop and a wide stoneware bowl. Whisk in a quick "
        "zigzag until a fine foam forms.",
        shape="matcha",
    ),
    _product(
        "coffee-tea", "hand-coffee-grinder", "Hand Coffee Grinder",
        "CT-BRW-GRD", 6900,
        "Conical ceramic burrs in a stainless steel body give an even grind from espresso "
        "fine to French press coarse, with fifteen clicks to choose from. Grinds 20 g in "
        "under a minute and packs small enough for travel. Brush the burrs clean; never "
        "wash them with water.",
        shape="grinder",
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
        shape="cutting-board",
    ),
    _product(
        "kitchen", "chefs-knife-20cm", "Chef's Knife 20 cm",
        "KIT-KNF-CHF", 8900,
        "A forged high-carbon stainless blade hardened to 58 HRC with a comfortable walnut "
        "handle. Holds a keen edge through onions, herbs and squash alike. Hand wash and "
        "dry straight away.",
        shape="knife",
    ),
    _product(
        "kitchen", "cast-iron-skillet-26cm", "Pre-Seasoned Cast Iron Skillet 26 cm",
        "KIT-PAN-CIS", 5490,
        "Seasoned with flaxseed oil and ready to sear on day one. Works on gas, induction, "
        "in the oven and over a campfire. Clean with hot water and a brush, then dry on the "
        "hob and wipe with a little oil.",
        featured=True, shape="skillet",
    ),
    _product(
        "kitchen", "linen-tea-towels-set-of-2", "Linen Tea Towels, Set of 2",
        "KIT-TWL-LIN", 1990,
        "Stonewashed European linen that is absorbent from the first use, dries quickly and "
        "leaves glasses lint free. Softens with every wash at 40 degrees.",
        stock=0, shape="towel",
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
        shape="spatula",
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
        shape="press",
    ),
    _product(
        "kitchen", "beeswax-food-wraps", "Beeswax Food Wraps",
        "KIT-WRP-BEE", 1490,
        "Organic cotton coated with beeswax, tree resin and jojoba oil: a washable, "
        "reusable alternative to cling film. Rinse in cool soapy water and they last about "
        "a year.",
        shape="wraps",
    ),
    # ---- Apparel --------------------------------------------------------------------
    _product(
        "apparel", "organic-cotton-tee", "Organic Cotton T-Shirt",
        "APP-TEE-ORG", 2900,
        "A midweight 180 gsm jersey tee in GOTS-certified organic cotton, with a regular fit "
        "and a ribbed crew neck that keeps its shape. Garment dyed for a soft, lived-in "
        "feel. Wash cold, inside out.",
        options=[("Size", SIZES), ("Colour", ["Blue", "White", "Black"])],
        prices={"XL": 3200}, missing={"XL-WHT"},
        stock={"XL-BLK": 0, "S-WHT": 2, "L-BLU": 3}, featured=True, shape="shirt",
    ),
    _product(
        "apparel", "merino-crew-jumper", "Merino Wool Crew Jumper",
        "APP-JMP-MER", 8900,
        "Knitted from fine extra-soft merino that breathes in a warm office and insulates "
        "on a cold platform. Naturally odour resistant, so it needs washing less often; "
        "hand wash or use the wool cycle and dry flat.",
        options=[("Size", SIZES), ("Colour", ["Navy", "Oat"])],
        stock={"M-OAT": 1}, shape="jumper",
    ),
    _product(
        "apparel", "heavyweight-cotton-hoodie", "Heavyweight Cotton Hoodie",
        "APP-HOD-HVY", 6900,
        "Brushed-back 400 gsm loopback cotton with a double-layer hood and a kangaroo "
        "pocket. Cut a little boxy; size down for a closer fit.",
        options=[("Size", SIZES), ("Colour", ["Grey", "Forest"])],
        stock={"S-FOR": 0, "XL-GRY": 0}, shape="hoodie",
    ),
    _product(
        "apparel", "canvas-work-apron", "Canvas Work Apron",
        "APP-APR-CNV", 3900,
        "Heavy cotton canvas with cross-back leather straps that take the weight off your "
        "neck, plus two deep pockets and a pen slot. Made for the kitchen, the workshop and "
        "the potting shed.",
        options=[("Colour", ["Tan", "Black"])], shape="apron",
    ),
    _product(
        "apparel", "full-grain-leather-belt", "Full-Grain Leather Belt",
        "APP-BLT-LTH", 5900,
        "Vegetable-tanned leather, 35 mm wide, with a solid brass buckle fixed by screws so "
        "it can be replaced. It darkens beautifully with wear; condition it twice a year.",
        options=[("Size", SIZES)], stock={"XL": 3}, shape="belt",
    ),
    _product(
        "apparel", "ribbed-wool-beanie", "Ribbed Wool Beanie",
        "APP-HAT-BEA", 2400,
        "A chunky rib knit in a wool and recycled nylon blend, with a deep turn-up for "
        "cold ears. One size fits most.",
        options=[("Colour", ["Mustard", "Charcoal", "Navy"])], stock={"MUS": 0},
        shape="beanie",
    ),
    _product(
        "apparel", "linen-button-down-shirt", "Linen Button-Down Shirt",
        "APP-SHT-LIN", 7400,
        "Washed European linen that keeps you cool through July, with corozo buttons and a "
        "relaxed fit. The creases are part of the charm; tumble dry low or line dry.",
        options=[("Size", SIZES)], shape="linen-shirt",
    ),
    _product(
        "apparel", "organic-cotton-socks-3-pack", "Organic Cotton Socks, 3 Pack",
        "APP-SCK-ORG", 1600,
        "Combed organic cotton with a cushioned sole and a seamless toe. Three pairs in "
        "muted stripes that go with anything.",
        options=[("Size", SIZES)], stock={"S": 2}, shape="socks",
    ),
    _product(
        "apparel", "packable-rain-jacket", "Packable Rain Jacket",
        "APP-JKT-RAN", 11900,
        "A waterproof, breathable shell with taped seams and an adjustable hood that packs "
        "into its own chest pocket. PFC-free water repellent finish; reproof after a few "
        "washes.",
        options=[("Size", SIZES), ("Colour", ["Yellow", "Navy"])],
        stock={"M-YEL": 3, "S-NVY": 0}, featured=True, shape="jacket",
    ),
    _product(
        "apparel", "heavy-cotton-tote-bag", "Heavy Cotton Tote Bag",
        "APP-BAG-TOT", 1800,
        "A 12 oz natural canvas tote with long handles that sit comfortably on the "
        "shoulder and an inside pocket for keys. Carries a week of groceries.",
        shape="tote",
    ),
    _product(
        "apparel", "leather-card-wallet", "Leather Card Wallet",
        "APP-WAL-CRD", 3500,
        "A slim wallet with four card slots and a centre pocket for folded notes, "
        "hand-stitched with waxed thread. It slips into a front pocket and moulds to your "
        "cards over time.",
        options=[("Colour", ["Tan", "Black"])], shape="wallet",
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
        options=[("Colour", ["Grey", "Rust"])], stock={"RST": 2}, shape="blanket",
    ),
    _product(
        "home", "linen-cushion-cover", "Linen Cushion Cover 50 x 50",
        "HOM-CSH-LIN", 2900,
        "Heavyweight washed linen with a hidden zip and neatly piped edges. Insert not "
        "included; a 55 cm feather pad gives the plumpest look.",
        options=[("Colour", ["Natural", "Clay", "Olive"])], shape="cushion",
    ),
    _product(
        "home", "stoneware-bud-vase", "Stoneware Bud Vase",
        "HOM-VAS-BUD", 3200,
        "A small speckled vase for a single stem or a sprig of dried grasses. The inside is "
        "glazed, so it holds water; the outside is left raw to the touch.",
        shape="vase",
    ),
    _product(
        "home", "organic-cotton-bath-towel", "Organic Cotton Bath Towel",
        "HOM-TWL-BTH", 3400,
        "A thick 600 gsm terry towel that gets softer and more absorbent with every wash. "
        "Wash at 40 degrees and skip the fabric softener.",
        options=[("Colour", ["White", "Sand"])], shape="towel",
    ),
    _product(
        "home", "seagrass-storage-basket", "Seagrass Storage Basket",
        "HOM-BSK-SEA", 3900,
        "Hand-woven seagrass with sturdy rope handles, for blankets, toys or firewood. "
        "Wipe with a damp cloth; keep away from standing water.",
        shape="basket",
    ),
    _product(
        "home", "brass-candle-holder", "Brass Candle Holder",
        "HOM-CDL-BRS", 2200,
        "Solid spun brass for a standard dinner candle. Left unlacquered so it develops a "
        "warm patina; polish it back to a shine whenever you like.",
        shape="candle-holder",
    ),
    _product(
        "home", "oak-wall-clock", "Oak Wall Clock",
        "HOM-CLK-OAK", 6900,
        "A 30 cm face turned from solid oak with a silent sweep movement, so it never "
        "ticks at night. Runs for a year on one AA battery.",
        shape="clock",
    ),
    _product(
        "home", "coir-doormat", "Coir Doormat",
        "HOM-MAT-COI", 2900,
        "Thick coconut-fibre bristles on a non-slip rubber back scrape off mud and grit "
        "before they reach the hall. Shake out weekly.",
        shape="doormat",
    ),
    _product(
        "home", "vetiver-reed-diffuser", "Vetiver Reed Diffuser",
        "HOM-DIF-VET", 2600,
        "Earthy vetiver, bergamot and a little black pepper, in a 100 ml glass bottle with "
        "eight rattan reeds. Flip the reeds weekly; scents a room for about three months.",
        shape="diffuser",
    ),
    # ---- Stationery -----------------------------------------------------------------
    _product(
        "stationery", "a5-dotted-notebook", "A5 Dotted Notebook",
        "STA-NBK-A5D", 1600,
        "192 pages of 100 gsm ivory paper with a faint dot grid that fountain pens will not "
        "bleed through. Lay-flat binding, a ribbon marker and a cloth cover.",
        options=[("Colour", ["Black", "Terracotta", "Sage"])], stock={"TER": 0},
        featured=True, shape="notebook",
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
        stock=3, shape="fountain-pen",
    ),
    _product(
        "stationery", "fine-gel-pens-set-of-5", "Fine Gel Pens, Set of 5",
        "STA-PEN-GEL", 890,
        "Quick-drying 0.5 mm gel ink in black, blue, red, green and violet. Smudge resistant "
        "and kind to left-handers.",
        shape="pens",
    ),
    _product(
        "stationery", "weekly-desk-planner", "Weekly Desk Planner",
        "STA-PLN-WEK", 1400,
        "Fifty-two tear-off undated sheets with a column per day, a notes panel and a "
        "short list for the things that really matter this week.",
        shape="planner",
    ),
    _product(
        "stationery", "brass-pencil-sharpener", "Brass Pencil Sharpener",
        "STA-SHP-BRS", 650,
        "A solid brass wedge with a German steel blade that lasts for years. Pocket sized, "
        "with a satisfying weight in the hand.",
        shape="sharpener",
    ),
    _product(
        "stationery", "graphite-pencils-pack-of-6", "Graphite Pencils, Pack of 6",
        "STA-PCL-GRA", 750,
        "Cedar-cased pencils from 2H to 4B for sketching, drafting and crosswords. Sharpen "
        "to a long point for the finest lines.",
        shape="pencils",
    ),
    _product(
        "stationery", "recycled-kraft-envelopes", "Recycled Kraft Envelopes, Pack of 10",
        "STA-ENV-KRF", 350,
        "C6 envelopes in 100 percent recycled brown kraft with a peel-and-seal flap. They "
        "fit an A6 card or an A4 sheet folded twice.",
        stock=200, shape="envelopes",
    ),
    _product(
        "stationery", "washi-tape-set", "Washi Tape Set",
        "STA-TAP-WSH", 990,
        "Five rolls of Japanese paper tape in soft, earthy colours. Tear by hand, write on "
        "it, and peel it off again without leaving residue.",
        shape="tape",
    ),
    _product(
        "stationery", "walnut-desk-organiser", "Walnut Desk Organiser",
        "STA-ORG-WAL", 5900,
        "Solid American walnut with a slot for a phone, a tray for pens and a groove for "
        "cards. Oiled, not varnished, so it feels like wood.",
        shape="organiser",
    ),
    _product(
        "stationery", "letterpress-greeting-cards", "Letterpress Greeting Cards, Set of 4",
        "STA-CRD-LTP", 1200,
        "Four blank cards printed by hand on a vintage press, on thick cotton paper with "
        "a deep impression. With matching envelopes.",
        stock=1, shape="cards",
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
        shape="picnic-blanket",
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
        shape="lantern",
    ),
    _product(
        "outdoor", "waxed-canvas-daypack-20l", "Waxed Canvas Daypack 20 L",
        "OUT-PCK-WAX", 8900,
        "Water-resistant waxed cotton canvas with leather trim, a padded laptop sleeve and "
        "a roll top that swallows a jumper and lunch. Re-wax once a season to keep the "
        "rain out.",
        shape="backpack",
    ),
    _product(
        "outdoor", "folding-camp-chair", "Folding Camp Chair",
        "OUT-CHR-FLD", 5900,
        "An aluminium frame with a breathable mesh seat that folds down to the size of a "
        "water bottle. Holds up to 120 kg.",
        shape="chair",
    ),
    _product(
        "outdoor", "parachute-nylon-hammock", "Parachute Nylon Hammock",
        "OUT-HAM-NYL", 4400,
        "Ripstop parachute nylon with tree-friendly straps and steel carabiners. Sets up "
        "between two trees in a minute and packs into its own pouch.",
        shape="hammock",
    ),
    _product(
        "outdoor", "ferro-rod-fire-starter", "Ferro Rod Fire Starter",
        "OUT-FIR-FER", 1900,
        "A thick ferrocerium rod with a striker and a paracord lanyard: thousands of "
        "strikes, wet or dry, at any altitude.",
        shape="fire-starter",
    ),
    _product(
        "outdoor", "folding-pocket-knife", "Folding Pocket Knife",
        "OUT-KNF-FLD", 4500,
        "A 7 cm stainless blade with a liner lock and an oak handle. Sharp out of the box; "
        "a drop of oil on the pivot keeps it opening smoothly.",
        shape="pocket-knife",
    ),
]
