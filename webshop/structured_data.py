"""schema.org JSON-LD for product pages: what search engines read as price, stock and rating.

Plain data built from the page's ProductView and its reviews' summary; the template
writes it with `|tojson` into a <script type="application/ld+json"> block. That block is
data, not script (browsers never execute it, so the CSP's script-src does not apply),
and tojson escapes <, > and & as \\u003c..., so no product text can close the element.
"""
from webshop.money import decimal_amount

SCHEMA = "https://schema.org/"


def _offer(variant, url):
    return {
        "@type": "Offer",
        "sku": variant.sku,
        "price": decimal_amount(variant.price, variant.currency),
        "priceCurrency": variant.currency,
        "availability": SCHEMA + ("InStock" if variant.stock > 0 else "OutOfStock"),
        "url": url,
    }


def product_json_ld(product, variant, reviews, url, image_urls):
    """The Product (with its Offer, or an AggregateOffer over its variants, and an
    AggregateRating when there are approved reviews) for the page at `url`."""
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.description,
        "sku": variant.sku,
        "url": url,
    }
    if image_urls:
        data["image"] = list(image_urls)
    if product.category:
        data["category"] = product.category["name"]
    if len(product.variants) == 1:
        data["offers"] = _offer(variant, url)
    else:
        prices = [v.price for v in product.variants]
        data["offers"] = {
            "@type": "AggregateOffer",
            "priceCurrency": variant.currency,
            "lowPrice": decimal_amount(min(prices), variant.currency),
            "highPrice": decimal_amount(max(prices), variant.currency),
            "offerCount": len(product.variants),
            "offers": [_offer(v, f"{url}?variant_id={v.id}") for v in product.variants],
        }
    if reviews is not None and reviews.count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": reviews.stars,
            "reviewCount": reviews.count,
            "bestRating": 5,
            "worstRating": 1,
        }
    return data
