"""What every blueprint shares: form helpers and safe redirects, the shopper's cart in the
session, templating (filters, globals, per-request slots), error pages, security headers
and rate limits. Blueprints import this package, never each other.
"""
