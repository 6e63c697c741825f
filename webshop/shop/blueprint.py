"""The storefront blueprint: catalogue pages (shop.catalogue) and buying (shop.checkout)."""
from flask import Blueprint

bp = Blueprint("shop", __name__)
