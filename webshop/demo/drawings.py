"""What each demo product looks like: one drawing per kind of object (a mug, a wallet, a
camp chair), as layers of simple Pillow shapes. No text: the picture names the object.

A drawing is a list of (colour, method, coordinates, options): colour is a key of the
palette ("main", "dark", "light", "accent", "wood", "steel", "paper", "ink") or an RGB
tuple; method an ImageDraw method; coordinates in the 800x800 canvas (objects sit in
REGION); options like radius and width in canvas pixels too. artwork.py paints them.
"""

SS = 2  # drawn at twice the size and reduced, for smooth edges
REGION = (150, 110, 670, 570)  # every drawing stays inside; masks cover only it
_BOXED = {"rectangle", "rounded_rectangle", "ellipse", "pieslice", "chord", "arc"}


def mix(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def palette(main, accent):
    return {
        "main": main, "accent": accent, "dark": mix(main, (0, 0, 0), 0.3),
        "light": mix(main, (255, 255, 255), 0.4), "wood": (172, 124, 80),
        "steel": (178, 184, 192), "paper": (246, 243, 234), "ink": (46, 46, 52),
        "glass": (214, 230, 236),
    }


def paint(draw, method, coords, options):
    """Run one layer on a mask (ImageDraw over REGION at SS times the size)."""
    points = [((x - REGION[0]) * SS, (y - REGION[1]) * SS)
              for x, y in zip(coords[::2], coords[1::2])]
    opts = {k: (v * SS if k in ("radius", "width") else v) for k, v in options.items()}
    if method in _BOXED:
        (x0, y0), (x1, y1) = points
        points = (x0, y0, x1, y1)
    if method == "arc":
        getattr(draw, method)(points, fill=255, **opts)
    elif "width" in opts and method in _BOXED:
        getattr(draw, method)(points, outline=255, **opts)
    else:
        getattr(draw, method)(points, fill=255, **opts)


def dots(colour, xs, ys, r):
    return [(colour, "ellipse", (x - r, y - r, x + r, y + r), {}) for x in xs for y in ys]


def lines(colour, segments, width):
    return [(colour, "line", seg, {"width": width}) for seg in segments]


def _garment(sleeve_end, hood=False, zip_=False, pocket=False, collar=False):
    body = (330, 170, 400, 195, 470, 170, 560, 200, sleeve_end[0], sleeve_end[1],
            sleeve_end[0] - 70, sleeve_end[1] + 20, 510, 300, 510, 530, 290, 530, 290, 300,
            800 - sleeve_end[0] + 70, sleeve_end[1] + 20, 800 - sleeve_end[0], sleeve_end[1],
            240, 200)
    layers = []
    if hood:
        layers.append(("dark", "ellipse", (330, 120, 470, 230), {}))
    layers.append(("main", "polygon", body, {}))
    layers.append(("dark", "rectangle", (290, 505, 510, 530), {}))
    if hood or collar:
        layers.append(("light" if collar else "dark", "polygon",
                       (350, 170, 400, 230, 450, 170), {}))
    else:
        layers.append(("accent", "chord", (350, 140, 450, 215), {"start": 0, "end": 180}))
    if zip_:
        layers.append(("steel", "line", (400, 200, 400, 530), {"width": 5}))
    if collar:
        layers += dots("paper", [400], [260, 320, 380, 440], 7)
    if pocket:
        layers.append(("dark", "rounded_rectangle", (330, 400, 470, 470), {"radius": 12}))
    return layers


DRAWINGS = {
    "mug": [
        ("main", "ellipse", (455, 250, 590, 430), {"width": 34}),
        ("main", "rounded_rectangle", (230, 190, 500, 500), {"radius": 36}),
        ("accent", "rectangle", (230, 320, 500, 350), {}),
        ("dark", "ellipse", (230, 172, 500, 212), {}),
    ],
    "bag": [
        ("main", "polygon", (275, 200, 525, 200, 545, 520, 255, 520), {}),
        ("dark", "rectangle", (275, 160, 525, 215), {}),
        ("accent", "rounded_rectangle", (320, 300, 480, 430), {"radius": 14}),
    ],
    "jar": [
        ("main", "rounded_rectangle", (280, 210, 520, 510), {"radius": 28}),
        ("accent", "rounded_rectangle", (270, 170, 530, 235), {"radius": 14}),
        ("light", "rounded_rectangle", (320, 300, 480, 420), {"radius": 10}),
    ],
    "bowl": [
        ("main", "pieslice", (190, 140, 610, 520), {"start": 0, "end": 180}),
        ("dark", "ellipse", (190, 300, 610, 360), {}),
        ("accent", "rounded_rectangle", (330, 505, 470, 525), {"radius": 8}),
    ],
    "shirt": _garment((600, 230)),
    "linen-shirt": _garment((600, 230), collar=True),
    "jumper": _garment((610, 480)),
    "hoodie": _garment((610, 480), hood=True, pocket=True),
    "jacket": _garment((610, 480), hood=True, zip_=True),
    "beanie": [
        ("main", "pieslice", (230, 170, 570, 560), {"start": 180, "end": 360}),
        ("dark", "rounded_rectangle", (220, 350, 580, 440), {"radius": 18}),
        ("accent", "ellipse", (360, 120, 440, 200), {}),
    ],
    "book": [
        ("main", "rounded_rectangle", (260, 160, 540, 520), {"radius": 14}),
        ("dark", "rectangle", (260, 160, 300, 520), {}),
        ("light", "rounded_rectangle", (340, 240, 500, 300), {"radius": 8}),
    ],
    "notebook": [
        ("paper", "rounded_rectangle", (270, 170, 555, 525), {"radius": 12}),
        ("main", "rounded_rectangle", (250, 160, 540, 520), {"radius": 16}),
        ("dark", "rectangle", (490, 160, 506, 520), {}),
        ("accent", "polygon", (420, 515, 450, 515, 450, 565, 435, 550, 420, 565), {}),
    ],
    "planner": [
        ("main", "rounded_rectangle", (230, 190, 570, 520), {"radius": 12}),
        ("paper", "rectangle", (260, 240, 540, 490), {}),
        *lines("light", [(270, y, 530, y) for y in (290, 340, 390, 440)], 3),
        *dots("steel", range(260, 560, 36), [190], 13),
    ],
    "wallet": [
        ("paper", "rounded_rectangle", (265, 170, 500, 330), {"radius": 10}),
        ("accent", "rounded_rectangle", (300, 195, 535, 340), {"radius": 10}),
        ("main", "rounded_rectangle", (220, 250, 580, 490), {"radius": 26}),
        ("dark", "rounded_rectangle", (220, 250, 580, 330), {"radius": 26}),
        ("light", "rounded_rectangle", (238, 268, 562, 472), {"radius": 18, "width": 3}),
        ("dark", "line", (400, 330, 400, 490), {"width": 4}),
    ],
    "belt": [
        ("main", "rounded_rectangle", (190, 315, 650, 370), {"radius": 20}),
        ("steel", "rounded_rectangle", (170, 295, 260, 390), {"radius": 10, "width": 12}),
        ("steel", "rectangle", (210, 330, 300, 342), {}),
        *dots("dark", range(430, 620, 40), [342], 6),
    ],
    "socks": [
        ("main", "polygon", (250, 160, 350, 160, 350, 420, 420, 440, 420, 520, 250, 520), {}),
        ("accent", "rectangle", (250, 160, 350, 210), {}),
        ("dark", "ellipse", (370, 440, 430, 520), {}),
        ("light", "polygon", (420, 180, 520, 180, 520, 440, 590, 460, 590, 540, 420, 540), {}),
        ("accent", "rectangle", (420, 180, 520, 230), {}),
    ],
    "apron": [
        ("dark", "arc", (330, 110, 470, 260), {"start": 180, "end": 360, "width": 10}),
        ("main", "polygon", (330, 180, 470, 180, 480, 300, 560, 320, 540, 540, 260, 540,
                             240, 320, 320, 300), {}),
        ("accent", "rounded_rectangle", (330, 380, 470, 460), {"radius": 10}),
        *lines("dark", [(240, 320, 170, 380), (560, 320, 630, 380)], 8),
    ],
    "tote": [
        ("dark", "arc", (300, 130, 400, 330), {"start": 180, "end": 360, "width": 14}),
        ("dark", "arc", (400, 130, 500, 330), {"start": 180, "end": 360, "width": 14}),
        ("main", "rectangle", (240, 230, 560, 540), {}),
        ("accent", "rectangle", (240, 230, 560, 260), {}),
    ],
    "backpack": [
        ("dark", "arc", (350, 120, 450, 220), {"start": 180, "end": 360, "width": 14}),
        ("main", "rounded_rectangle", (260, 160, 540, 540), {"radius": 70}),
        ("dark", "rounded_rectangle", (300, 360, 500, 510), {"radius": 24}),
        ("steel", "line", (320, 380, 480, 380), {"width": 5}),
        ("accent", "chord", (260, 160, 540, 330), {"start": 180, "end": 360}),
    ],
    "candle": [
        ("main", "rounded_rectangle", (290, 260, 510, 520), {"radius": 20}),
        ("light", "rounded_rectangle", (330, 340, 470, 430), {"radius": 8}),
        ("dark", "line", (400, 205, 400, 262), {"width": 8}),
        ("accent", "ellipse", (378, 150, 422, 215), {}),
    ],
    "candle-holder": [
        ("main", "polygon", (330, 520, 470, 520, 420, 470, 410, 330, 390, 330, 380, 470), {}),
        ("main", "ellipse", (320, 320, 480, 350), {}),
        ("paper", "rectangle", (375, 200, 425, 330), {}),
        ("ink", "line", (400, 175, 400, 205), {"width": 4}),
        ("accent", "ellipse", (385, 130, 415, 180), {}),
    ],
    "lamp": [
        ("accent", "polygon", (320, 150, 480, 150, 550, 300, 250, 300), {}),
        ("main", "ellipse", (320, 290, 480, 470), {}),
        ("dark", "rounded_rectangle", (300, 470, 500, 510), {"radius": 12}),
    ],
    "lantern": [
        ("dark", "arc", (340, 110, 460, 230), {"start": 180, "end": 360, "width": 10}),
        ("main", "rounded_rectangle", (310, 160, 490, 220), {"radius": 16}),
        ("glass", "rectangle", (325, 220, 475, 460), {}),
        ("accent", "ellipse", (360, 280, 440, 400), {}),
        *lines("main", [(330, 220, 330, 460), (470, 220, 470, 460)], 8),
        ("main", "rounded_rectangle", (300, 460, 500, 530), {"radius": 16}),
    ],
    "clock": [
        ("main", "ellipse", (220, 160, 580, 520), {}),
        ("paper", "ellipse", (250, 190, 550, 490), {}),
        *dots("ink", [400], [215, 465], 7), *dots("ink", [275, 525], [340], 7),
        ("ink", "line", (400, 340, 400, 240), {"width": 10}),
        ("ink", "line", (400, 340, 470, 380), {"width": 10}),
        ("accent", "ellipse", (385, 325, 415, 355), {}),
    ],
    "tape": [
        ("main", "ellipse", (190, 250, 410, 470), {"width": 60}),
        ("accent", "ellipse", (390, 200, 590, 400), {"width": 55}),
        ("light", "ellipse", (360, 360, 540, 540), {"width": 50}),
    ],
    "blanket": [
        ("main", "rounded_rectangle", (200, 230, 600, 470), {"radius": 30}),
        ("dark", "rounded_rectangle", (200, 330, 600, 470), {"radius": 30}),
        *lines("accent", [(x, 230, x, 470) for x in (280, 400, 520)], 8),
        *lines("accent", [(200, 290, 600, 290), (200, 410, 600, 410)], 8),
        *lines("dark", [(x, 470, x, 505) for x in range(225, 590, 22)], 5),
    ],
    "picnic-blanket": [
        ("paper", "rounded_rectangle", (190, 220, 610, 490), {"radius": 20}),
        *[("main", "rectangle", (x, 220, x + 42, 490), {}) for x in range(212, 600, 84)],
        *[("dark", "rectangle", (x, y, x + 42, y + 42), {})
          for x in range(212, 600, 84) for y in range(240, 480, 84)],
        ("accent", "rounded_rectangle", (250, 170, 550, 230), {"radius": 24}),
    ],
    "towel": [
        ("light", "rounded_rectangle", (220, 330, 580, 470), {"radius": 24}),
        ("main", "rounded_rectangle", (240, 200, 560, 330), {"radius": 24}),
        *lines("accent", [(240, 300, 560, 300), (220, 440, 580, 440)], 10),
    ],
    "wraps": [
        ("main", "rectangle", (210, 250, 470, 510), {}),
        *dots("accent", range(240, 460, 50), range(280, 500, 50), 9),
        ("light", "polygon", (390, 170, 610, 230, 560, 450, 330, 390), {}),
        *dots("dark", [440, 500, 550], [260, 320, 380], 9),
    ],
    "cushion": [
        ("main", "polygon", (220, 180, 400, 210, 580, 180, 555, 350, 580, 520, 400, 490,
                             220, 520, 245, 350), {}),
        ("dark", "line", (245, 350, 555, 350), {"width": 4}),
        ("accent", "ellipse", (380, 330, 420, 370), {}),
    ],
    "doormat": [
        ("dark", "rounded_rectangle", (170, 240, 630, 480), {"radius": 14}),
        ("main", "rounded_rectangle", (195, 265, 605, 455), {"radius": 8}),
        *lines("dark", [(x, 275, x, 445) for x in range(215, 600, 18)], 3),
    ],
    "basket": [
        ("dark", "arc", (250, 200, 330, 320), {"start": 90, "end": 270, "width": 14}),
        ("dark", "arc", (470, 200, 550, 320), {"start": 270, "end": 90, "width": 14}),
        ("main", "polygon", (240, 220, 560, 220, 520, 520, 280, 520), {}),
        *lines("dark", [(250, y, 550, y) for y in range(260, 520, 40)], 5),
        ("light", "rectangle", (240, 220, 560, 245), {}),
    ],
    "bottle": [
        ("main", "rounded_rectangle", (310, 230, 490, 530), {"radius": 50}),
        ("main", "rectangle", (355, 170, 445, 250), {}),
        ("dark", "rounded_rectangle", (345, 130, 455, 180), {"radius": 12}),
        ("accent", "rectangle", (310, 340, 490, 390), {}),
    ],
    "vase": [
        ("dark", "line", (400, 230, 380, 130), {"width": 6}),
        ("accent", "ellipse", (350, 110, 410, 170), {}),
        ("main", "ellipse", (290, 300, 510, 530), {}),
        ("main", "rectangle", (365, 220, 435, 330), {}),
        ("dark", "ellipse", (350, 205, 450, 235), {}),
    ],
    "diffuser": [
        *lines("wood", [(400, 260, 300, 110), (400, 260, 370, 110), (400, 260, 450, 110),
                         (400, 260, 520, 120)], 6),
        ("glass", "rounded_rectangle", (300, 300, 500, 530), {"radius": 30}),
        ("main", "rectangle", (300, 400, 500, 530), {}),
        ("dark", "rectangle", (365, 250, 435, 305), {}),
    ],
    # Anything unknown: a flat rounded slab with a stripe.
    "board": [
        ("main", "rounded_rectangle", (200, 210, 600, 470), {"radius": 30}),
        ("accent", "rounded_rectangle", (240, 250, 560, 280), {"radius": 10}),
        ("light", "ellipse", (520, 400, 560, 440), {}),
    ],
}

# The demo's colour option values as paint (a variant in "Navy" is drawn navy).
COLOURS = {
    "black": (40, 40, 44), "white": (236, 234, 228), "natural": (222, 208, 180),
    "navy": (36, 52, 92), "blue": (52, 98, 168), "sand": (212, 190, 150),
    "grey": (132, 136, 142), "green": (64, 122, 86), "olive": (108, 108, 60),
    "forest": (46, 90, 60), "rust": (176, 86, 48), "charcoal": (60, 62, 66),
    "cream": (240, 230, 206), "oat": (216, 202, 174), "terracotta": (192, 100, 64),
    "mustard": (212, 160, 42), "tan": (182, 134, 90), "sage": (156, 175, 136),
    "slate": (90, 101, 112), "yellow": (230, 196, 59), "clay": (184, 112, 82),
}
