"""The demo catalogue: categories, products, variants, stock, drawn images, a staff user.

- `catalogue`: the data (deterministic: same slugs, SKUs, prices and stock every time)
- `artwork`: each product's pictures, drawn with Pillow and stored through webshop.media
- `seed`: `seed_demo()`, which `flask seed-demo` runs (idempotent)

Only the CLI imports this package; the shop itself never does.
"""
