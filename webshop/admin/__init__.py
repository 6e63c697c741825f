"""The admin area over HTTP (blueprint `admin`, mounted at /admin): see admin.blueprint."""
from webshop.admin.blueprint import admin_only, bp
from webshop.admin import (  # noqa: F401,E402  (attach the views to bp)
    audit, categories, customers, dashboard, orders, products, promotions, staff,
)
from webshop.admin import returns  # noqa: F401,E402  (returns and their steps)
from webshop.admin import pages  # noqa: F401,E402  (the policy pages)
from webshop.admin import reviews  # noqa: F401,E402  (review moderation)
from webshop.admin import pricing  # noqa: F401,E402  (VAT rates and shipping zones)
from webshop.admin import currencies  # noqa: F401,E402  (display currencies)

__all__ = ["admin_only", "bp"]
