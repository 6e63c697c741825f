"""Drawings of tools, stationery and outdoor gear (see webshop.demo.drawings for the
format); artwork.py looks objects up in both tables."""
from webshop.demo.drawings import dots, lines, mix

DRAWINGS = {
    "tent": [
        ("main", "polygon", (400, 150, 620, 520, 180, 520), {}),
        ("dark", "polygon", (400, 290, 470, 520, 330, 520), {}),
        ("accent", "ellipse", (560, 140, 640, 220), {}),
    ],
    "chair": [
        *lines("steel", [(270, 370, 520, 545), (530, 370, 280, 545)], 14),
        *lines("steel", [(270, 170, 270, 380), (530, 170, 530, 380)], 12),
        ("main", "rectangle", (270, 180, 530, 330), {}),
        ("dark", "polygon", (250, 330, 550, 330, 530, 390, 270, 390), {}),
        *lines("dark", [(220, 300, 270, 300), (530, 300, 580, 300)], 16),
        ("accent", "rectangle", (290, 200, 510, 220), {}),
    ],
    "hammock": [
        *lines("wood", [(180, 170, 180, 540), (620, 170, 620, 540)], 16),
        *lines("dark", [(180, 190, 260, 300), (620, 190, 540, 300)], 4),
        ("main", "chord", (240, 160, 560, 440), {"start": 0, "end": 180}),
        ("accent", "arc", (240, 190, 560, 410), {"start": 20, "end": 160, "width": 8}),
    ],
    "knife": [
        ("steel", "polygon", (165, 350, 230, 300, 470, 296, 470, 372, 250, 372), {}),
        ("dark", "rectangle", (462, 292, 486, 376), {}),
        ("main", "rounded_rectangle", (480, 306, 650, 362), {"radius": 20}),
        *dots("steel", [530, 590], [334], 7),
    ],
    "pocket-knife": [
        ("steel", "polygon", (300, 330, 190, 200, 215, 185, 350, 320), {}),
        ("main", "rounded_rectangle", (260, 310, 600, 380), {"radius": 34}),
        *dots("steel", [300, 560], [345], 8),
        ("light", "line", (320, 330, 540, 330), {"width": 4}),
    ],
    "spatula": [
        ("main", "rounded_rectangle", (330, 130, 470, 320), {"radius": 40}),
        ("main", "rectangle", (385, 300, 415, 360), {}),
        ("wood", "rounded_rectangle", (380, 350, 420, 565), {"radius": 16}),
    ],
    "cutting-board": [
        ("wood", "rounded_rectangle", (355, 140, 445, 230), {"radius": 30}),
        ("wood", "rounded_rectangle", (210, 200, 590, 520), {"radius": 40}),
        ("accent", "ellipse", (380, 160, 420, 200), {}),
        *lines(mix((172, 124, 80), (0, 0, 0), 0.25),
                [(250, 280, 550, 270), (240, 360, 560, 370), (260, 440, 540, 450)], 4),
    ],
    "skillet": [
        ("main", "rounded_rectangle", (490, 325, 665, 370), {"radius": 16}),
        ("main", "ellipse", (190, 190, 520, 520), {}),
        ("dark", "ellipse", (220, 220, 490, 490), {}),
        ("light", "arc", (240, 240, 470, 470), {"start": 200, "end": 250, "width": 8}),
    ],
    "teapot": [
        ("dark", "arc", (290, 140, 510, 340), {"start": 180, "end": 360, "width": 14}),
        ("main", "polygon", (270, 360, 170, 270, 190, 260, 300, 330), {}),
        ("main", "ellipse", (250, 240, 550, 500), {}),
        ("dark", "chord", (330, 210, 470, 290), {"start": 180, "end": 360}),
        ("accent", "ellipse", (385, 190, 415, 220), {}),
        ("dark", "rectangle", (260, 400, 540, 412), {}),
    ],
    "press": [
        ("ink", "rectangle", (395, 130, 405, 230), {}),
        ("ink", "ellipse", (370, 115, 430, 145), {}),
        ("steel", "arc", (440, 260, 580, 460), {"start": 270, "end": 90, "width": 18}),
        ("glass", "rectangle", (300, 230, 500, 520), {}),
        ("main", "rectangle", (300, 380, 500, 520), {}),
        ("steel", "rectangle", (290, 220, 510, 245), {}),
        ("steel", "rectangle", (290, 505, 510, 530), {}),
    ],
    "grinder": [
        ("steel", "line", (400, 220, 560, 190), {"width": 10}),
        ("wood", "ellipse", (540, 160, 590, 210), {}),
        ("dark", "rounded_rectangle", (370, 205, 430, 250), {"radius": 10}),
        ("main", "rounded_rectangle", (320, 240, 480, 530), {"radius": 24}),
        ("steel", "rectangle", (320, 360, 480, 380), {}),
    ],
    "dripper": [
        ("light", "rounded_rectangle", (290, 380, 510, 540), {"radius": 30}),
        ("main", "polygon", (250, 190, 550, 190, 460, 360, 340, 360), {}),
        ("dark", "rectangle", (320, 355, 480, 385), {}),
        *lines("dark", [(310, 220, 370, 345), (490, 220, 430, 345)], 4),
    ],
    "filters": [
        ("paper", "polygon", (230, 200, 470, 200, 400, 500, 300, 500), {}),
        ("main", "polygon", (330, 170, 570, 170, 500, 470, 400, 470), {}),
        ("dark", "line", (400, 470, 500, 470), {"width": 10}),
        ("light", "line", (330, 170, 570, 170), {"width": 6}),
    ],
    "matcha": [
        ("main", "pieslice", (190, 210, 530, 540), {"start": 0, "end": 180}),
        ("accent", "ellipse", (190, 350, 530, 400), {}),
        *lines("wood", [(560, 150, 540, 380), (600, 150, 590, 380), (640, 150, 640, 380)], 6),
        ("wood", "rounded_rectangle", (550, 370, 650, 520), {"radius": 20}),
    ],
    "fountain-pen": [
        ("steel", "polygon", (165, 345, 230, 315, 230, 375), {}),
        ("main", "rounded_rectangle", (225, 310, 420, 380), {"radius": 22}),
        ("dark", "rounded_rectangle", (410, 305, 640, 385), {"radius": 30}),
        ("accent", "rectangle", (400, 305, 420, 385), {}),
        ("accent", "rounded_rectangle", (450, 290, 600, 302), {"radius": 5}),
    ],
    "pens": [
        *[(colour, "rounded_rectangle", (230, y, 570, y + 28), {"radius": 14})
          for colour, y in zip(("main", "accent", "ink", "dark", "light"),
                               range(190, 500, 62))],
        *[("ink", "polygon", (200, y + 14, 232, y + 2, 232, y + 26), {})
          for y in range(190, 500, 62)],
    ],
    "pencils": [
        *[(colour, "rectangle", (x, 190, x + 40, 450), {})
          for colour, x in zip(("main", "accent", "dark", "main", "accent", "dark"),
                               range(225, 560, 56))],
        *[("wood", "polygon", (x, 450, x + 40, 450, x + 20, 520), {}) for x in range(225, 560, 56)],
        *[("ink", "polygon", (x + 13, 498, x + 27, 498, x + 20, 520), {})
          for x in range(225, 560, 56)],
    ],
    "sharpener": [
        ("main", "rectangle", (180, 320, 400, 370), {}),
        ("wood", "polygon", (400, 320, 470, 345, 400, 370), {}),
        ("accent", "rounded_rectangle", (430, 270, 600, 420), {"radius": 14}),
        ("dark", "ellipse", (445, 315, 485, 375), {}),
        ("steel", "line", (480, 300, 590, 300), {"width": 6}),
    ],
    "envelopes": [
        ("light", "rectangle", (250, 170, 610, 400), {}),
        ("main", "rectangle", (190, 260, 550, 500), {}),
        ("dark", "polygon", (190, 260, 370, 390, 550, 260), {}),
        *lines("dark", [(190, 500, 330, 380), (550, 500, 410, 380)], 3),
    ],
    "cards": [
        ("main", "rectangle", (190, 300, 520, 520), {}),
        ("dark", "polygon", (190, 300, 355, 410, 520, 300), {}),
        ("paper", "polygon", (360, 170, 600, 200, 580, 520, 350, 490), {}),
        ("accent", "ellipse", (420, 270, 540, 390), {}),
    ],
    "organiser": [
        *lines("accent", [(300, 180, 300, 360)], 14),
        *lines("main", [(340, 160, 340, 360)], 14),
        *lines("ink", [(380, 190, 380, 360)], 14),
        ("wood", "rounded_rectangle", (230, 330, 570, 510), {"radius": 14}),
        ("dark", "line", (430, 330, 430, 510), {"width": 6}),
        ("paper", "rectangle", (460, 280, 540, 340), {}),
    ],
    "giftcard": [  # a card tied with a ribbon and a bow
        ("main", "rounded_rectangle", (170, 220, 630, 510), {"radius": 30}),
        ("light", "rounded_rectangle", (205, 430, 345, 470), {"radius": 10}),
        ("accent", "rectangle", (450, 220, 490, 510), {}),
        ("accent", "rectangle", (170, 290, 630, 330), {}),
        ("accent", "ellipse", (385, 240, 472, 312), {}),
        ("accent", "ellipse", (468, 240, 555, 312), {}),
        ("dark", "ellipse", (450, 284, 490, 336), {}),
    ],
    "fire-starter": [
        ("ink", "rounded_rectangle", (200, 320, 480, 350), {"radius": 12}),
        ("wood", "rounded_rectangle", (460, 305, 630, 365), {"radius": 24}),
        ("steel", "polygon", (260, 390, 420, 410, 410, 450, 250, 430), {}),
        *dots("accent", [210, 240, 190, 225, 260], [270, 250, 300, 220, 280], 8),
    ],
}
