"""Payments through Stripe Checkout: the shop's side (sessions, refunds, webhooks).

The same stripe-library calls run against Stripe itself or, without a key, against the
built-in sandbox (webshop.payments.sandbox), which speaks Stripe's API and webhooks.
"""
