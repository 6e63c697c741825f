"""The shop's tables, one module per domain. Import from here."""
from webshop.models.audit import AuditLog
from webshop.models.base import utcnow
from webshop.models.cart import Cart, CartItem
from webshop.models.currencies import DisplayCurrency
from webshop.models.invoices import INVOICE_KINDS, Invoice, InvoiceCounter
from webshop.models.catalog import Category, Product, ProductImage, ProductVariant
from webshop.models.media import MediaFile
from webshop.models.orders import ORDER_STATUSES, Order, OrderItem
from webshop.models.outbox import OutboxMessage, SentEmail
from webshop.models.pages import Page
from webshop.models.promotions import (
    DiscountCode, DiscountCustomerUse, DiscountRedemption, GiftCard, GiftCardTransaction,
)
from webshop.models.pricing import (
    SHIPPING_KINDS, TAX_CLASSES, OrderTaxLine, ShippingMethod, ShippingRate, ShippingZone,
    ShippingZoneCountry, TaxRate,
)
from webshop.models.payments import REFUND_STATUSES, Refund, SandboxObject, StripeEvent
from webshop.models.reminders import ReminderUnsubscribe
from webshop.models.reviews import REVIEW_STATUSES, Review, WishlistItem
from webshop.models.returns import RETURN_STATUSES, ReturnLine, ReturnRequest
from webshop.models.users import ROLES, STAFF_ROLES, Address, Customer, LoginSession, User

__all__ = [
    "AuditLog", "Cart", "CartItem", "DisplayCurrency", "DiscountCode", "DiscountCustomerUse", "DiscountRedemption", "GiftCard",
    "GiftCardTransaction", "OutboxMessage", "REFUND_STATUSES", "Refund", "ReminderUnsubscribe", "SandboxObject", "SentEmail", "StripeEvent",
    "ORDER_STATUSES", "ROLES", "STAFF_ROLES", "Address", "Category", "Customer",
    "INVOICE_KINDS", "Invoice", "InvoiceCounter", "RETURN_STATUSES", "ReturnLine", "ReturnRequest",
    "LoginSession", "Order", "OrderItem", "OrderTaxLine", "SHIPPING_KINDS", "ShippingMethod",
    "ShippingRate", "ShippingZone", "ShippingZoneCountry", "TAX_CLASSES", "TaxRate", "Product", "ProductImage", "ProductVariant", "User", "utcnow",
    "Page", "REVIEW_STATUSES", "Review", "WishlistItem", "MediaFile",
]
