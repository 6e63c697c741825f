"""Accounts over HTTP (blueprint `auth`); the rules themselves live in webshop.accounts."""
from webshop.auth import routes  # noqa: F401  (attaches the views to bp)
from webshop.auth import wishlist  # noqa: F401,E402  (/account/wishlist)
from webshop.auth.blueprint import bp

__all__ = ["bp"]
