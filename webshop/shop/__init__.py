"""The storefront over HTTP (blueprint `shop`): the catalogue, the cart, checkout, orders."""
from webshop.shop import catalogue, checkout, pages, reminders, seo  # noqa: F401  (attach the views to bp)
from webshop.shop import codes  # noqa: F401,E402  (the cart's code form)
from webshop.shop import reviews  # noqa: F401,E402  (reviews, JSON-LD)
from webshop.shop import search  # noqa: F401,E402  (live search suggestions)
from webshop.shop.blueprint import bp

__all__ = ["bp"]
