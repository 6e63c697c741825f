"""The demo's reviews as plain data: the customers who write them and what they say.

Texts are by star rating, a few written for each category and the rest for anything
the shop sells, so a review never praises the crema of a tent. Deterministic: the seed
picks from these lists by a hash of the product's slug and the customer's email.
"""

# (first name, last name, street, postal code, city, country)
CUSTOMERS = [
    ("Anna", "Schmidt", "Lindenstrasse 12", "10969", "Berlin", "DE"),
    ("Lukas", "Weber", "Bahnhofstrasse 4", "80335", "Munich", "DE"),
    ("Sophie", "Martin", "12 Rue des Lilas", "69003", "Lyon", "FR"),
    ("Jonas", "Becker", "Hafenweg 27", "20457", "Hamburg", "DE"),
    ("Emma", "de Vries", "Prinsengracht 210", "1016 HD", "Amsterdam", "NL"),
    ("Marco", "Rossi", "Via Garibaldi 8", "10122", "Turin", "IT"),
    ("Lea", "Hofmann", "Gartenstrasse 3", "50667", "Cologne", "DE"),
    ("Clara", "Fischer", "Marktplatz 9", "04109", "Leipzig", "DE"),
    ("Paul", "Novak", "Mariahilfer Strasse 45", "1060", "Vienna", "AT"),
    ("Ines", "Garcia", "Calle Mayor 21", "28013", "Madrid", "ES"),
    ("Felix", "Wagner", "Schillerstrasse 16", "60313", "Frankfurt", "DE"),
    ("Maja", "Jansen", "Kerkstraat 5", "2000", "Antwerp", "BE"),
]

# For any product: rating -> [(title, text)].
GENERAL = {
    5: [
        ("Exactly as pictured", "Even nicer in person than in the photos. Well made, "
         "nicely finished and it arrived in two days, packed without any plastic."),
        ("Worth every cent", "I hesitated over the price, but the quality is obvious the "
         "moment you hold it. I have already ordered a second one as a gift."),
        ("Lovely quality", "Solid, thoughtfully made and clearly built to last. Delivery "
         "was quick and the parcel was tidy and recyclable."),
        ("Would buy again", "Does exactly what it should and looks good doing it. "
         "The little handwritten thank-you note in the box was a nice touch."),
    ],
    4: [
        ("Very good, small niggle", "Really pleased overall. The colour is a shade darker "
         "than on my screen, but the quality is excellent."),
        ("Good value", "Good quality for the price and it arrived quickly. Not perfect, "
         "but I would happily order it again."),
        ("Happy with it", "Does the job well and feels sturdy. One star off because "
         "delivery took a day longer than promised."),
    ],
    3: [
        ("Fine, not special", "It is fine and does what it says, but I expected a bit "
         "more at this price. Packaging and delivery were good."),
        ("Mixed feelings", "Nicely made, but smaller than I imagined from the photos. "
         "Check the measurements before you order."),
    ],
    2: [
        ("Not for me", "The finish was rougher than I expected. Customer service was "
         "friendly and quick about the return, though."),
    ],
    1: [
        ("Arrived damaged", "Mine arrived with a dent from the courier. The shop sent a "
         "replacement without fuss, but I would not have chosen this one again."),
    ],
}

# Category slug -> rating -> [(title, text)], written for what that category sells.
BY_CATEGORY = {
    "coffee-tea": {
        5: [("My new morning ritual", "Part of every morning now. Fresh, fragrant and "
             "so much better than what I bought at the supermarket."),
            ("Brews beautifully", "Easy to get a great cup from it, even before the first "
             "coffee of the day. My partner has stopped buying anything else.")],
        4: [("Lovely, would reorder", "Really good and well packed. I would love a "
             "slightly larger size for the price.")],
    },
    "kitchen": {
        5: [("Used every day", "Has not left the counter since it arrived. Washes up "
             "easily and still looks new after weeks of daily use."),
            ("Proper kitchen kit", "Heavy, well balanced and nicely finished. The kind of "
             "thing you buy once and keep for years.")],
        4: [("Solid and practical", "Does exactly what I need in the kitchen. Slightly "
             "heavier than I expected, which I have come to like.")],
    },
    "apparel": {
        5: [("Fits perfectly", "True to size, soft from the first wear and still in shape "
             "after a dozen washes. I bought it in a second colour."),
            ("My favourite piece", "The fabric feels lovely and the stitching is neat. "
             "I get asked where it is from every time I wear it.")],
        4: [("Nice, runs a little large", "Lovely material and well made. It comes up "
             "slightly big, so consider a size down.")],
    },
    "home": {
        5: [("Makes the room", "Looks beautiful in our living room and feels far more "
             "expensive than it was. Arrived very well packed."),
            ("Calm and lovely", "Exactly the warm, simple look I wanted. It has become "
             "the thing guests comment on.")],
        4: [("Pretty and well made", "Lovely piece. The colour is a touch lighter than "
             "the photo, but it works even better with our walls.")],
    },
    "stationery": {
        5: [("A joy to use", "Feels great in the hand and makes me want to write more. "
             "Beautifully made, down to the small details."),
            ("Desk upgrade", "Finally something on my desk that is both useful and "
             "pretty. Bought another one for a colleague.")],
        4: [("Very nice", "Good quality and nicely presented. A little pricey, but "
             "it is the kind of thing you keep.")],
    },
    "outdoor": {
        5: [("Survived a wet weekend", "Took it camping in proper rain and it did not let "
             "us down. Light enough to carry all day."),
            ("Tough and well thought out", "Clearly designed by people who actually go "
             "outside. Sturdy, simple and easy to pack.")],
        4: [("Good kit", "Does its job well on day hikes. A little heavier than the "
             "listing suggests, but very sturdy.")],
    },
}

# How a product's reviews rate, by its leaning (a hash of its slug): most products are
# loved, some liked, a few divisive; the k-th review of a product takes the k-th star.
RATINGS = (
    (5, 5, 4, 5, 4, 5),
    (4, 5, 4, 3, 5, 4),
    (4, 2, 5, 3, 1, 4),
)
# How many reviews the products get, by another hash: some none, most a handful.
REVIEW_COUNTS = (0, 1, 2, 3, 3, 4, 5, 6)
