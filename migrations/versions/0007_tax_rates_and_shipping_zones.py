"""tax rates by country and shipping zones

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 16:00:00

VAT per country and tax class, shipping zones with their methods and rate bands, the
product's tax class and the variant's weight, and on orders what pricing decided: the
discount and gift card's share (decided by promotions, whose 0008 adds only its own
tables), the shipping method's name, the VAT country, per line its discount, class,
rate and VAT, and the per-rate breakdown (order_tax_lines). Existing orders keep 0 for
the new amounts and an empty breakdown (they were taxed at one flat rate).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tax_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('tax_class', sa.String(length=16), nullable=False),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.CheckConstraint('rate_bp >= 0 AND rate_bp <= 10000', name=op.f('ck_tax_rates_rate_in_range')),
    sa.CheckConstraint("tax_class IN ('standard', 'reduced', 'zero')", name=op.f('ck_tax_rates_class_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_rates')),
    sa.UniqueConstraint('country', 'tax_class', name='uq_tax_rates_country_class')
    )
    op.create_table('shipping_zones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_zones')),
    sa.UniqueConstraint('name', name=op.f('uq_shipping_zones_name'))
    )
    op.create_table('shipping_zone_countries',
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['zone_id'], ['shipping_zones.id'], name=op.f('fk_shipping_zone_countries_zone_id_shipping_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('country', name=op.f('pk_shipping_zone_countries'))
    )
    with op.batch_alter_table('shipping_zone_countries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_zone_countries_zone_id'), ['zone_id'], unique=False)

    op.create_table('shipping_methods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('free_over', sa.Integer(), server_default='0', nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint("kind IN ('flat', 'value', 'free_over', 'weight')", name=op.f('ck_shipping_methods_kind_known')),
    sa.CheckConstraint('free_over >= 0', name=op.f('ck_shipping_methods_free_over_not_negative')),
    sa.ForeignKeyConstraint(['zone_id'], ['shipping_zones.id'], name=op.f('fk_shipping_methods_zone_id_shipping_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_methods')),
    sa.UniqueConstraint('zone_id', 'code', name='uq_shipping_methods_zone_code')
    )
    with op.batch_alter_table('shipping_methods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_methods_zone_id'), ['zone_id'], unique=False)

    op.create_table('shipping_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('method_id', sa.Integer(), nullable=False),
    sa.Column('min_value', sa.Integer(), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.CheckConstraint('min_value >= 0 AND price >= 0', name=op.f('ck_shipping_rates_amounts_not_negative')),
    sa.ForeignKeyConstraint(['method_id'], ['shipping_methods.id'], name=op.f('fk_shipping_rates_method_id_shipping_methods'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_rates')),
    sa.UniqueConstraint('method_id', 'min_value', name='uq_shipping_rates_method_min')
    )
    with op.batch_alter_table('shipping_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_rates_method_id'), ['method_id'], unique=False)

    op.create_table('order_tax_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('net', sa.Integer(), nullable=False),
    sa.Column('tax', sa.Integer(), nullable=False),
    sa.Column('gross', sa.Integer(), nullable=False),
    sa.CheckConstraint('net + tax = gross', name=op.f('ck_order_tax_lines_adds_up')),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_order_tax_lines_order_id_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_tax_lines'))
    )
    with op.batch_alter_table('order_tax_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_tax_lines_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_class', sa.String(length=16), server_default='standard', nullable=False))
        batch_op.create_check_constraint('tax_class_known', "tax_class IN ('standard', 'reduced', 'zero')")

    with op.batch_alter_table('product_variant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weight_grams', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('weight_not_negative', 'weight_grams >= 0')

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipping_name', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('discount', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('gift_card_amount', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('tax_country', sa.String(length=2), server_default='', nullable=False))
        batch_op.create_check_constraint(
            'discount_and_gift_card_valid',
            'discount >= 0 AND gift_card_amount >= 0 AND gift_card_amount <= total')

    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('tax_class', sa.String(length=16), server_default='standard', nullable=False))
        batch_op.add_column(sa.Column('tax_rate_bp', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('tax', sa.Integer(), server_default='0', nullable=False))

    # Orders placed before zones existed keep the names their methods had then.
    op.execute("""UPDATE "order" SET shipping_name = 'Standard delivery (3-5 working days)'
                  WHERE shipping_method = 'standard'""")
    op.execute("""UPDATE "order" SET shipping_name = 'Express delivery (1-2 working days)'
                  WHERE shipping_method = 'express'""")
    _install_defaults()


def _install_defaults():
    """A new shop can sell at once: the EU's VAT rates and the default zones (today's
    offer for SHIP_COUNTRIES, a dearer rest of the EU), as `flask seed-pricing` adds
    them. Staff change them at /admin/tax-rates and /admin/shipping-zones. Plain
    inserts, not the models: later migrations may add columns the models then have."""
    from flask import current_app
    from webshop.pricing.defaults import plan

    rates, zones = plan(current_app.config)
    tax_rates = sa.table('tax_rates', sa.column('country'), sa.column('tax_class'),
                         sa.column('rate_bp'), sa.column('label'))
    op.bulk_insert(tax_rates, [{'country': c, 'tax_class': k, 'rate_bp': r, 'label': label}
                               for c, k, r, label in rates])
    zone_t = sa.table('shipping_zones', sa.column('id'), sa.column('name'))
    country_t = sa.table('shipping_zone_countries', sa.column('country'), sa.column('zone_id'))
    method_t = sa.table('shipping_methods', sa.column('id'), sa.column('zone_id'),
                        sa.column('code'), sa.column('name'), sa.column('kind'),
                        sa.column('free_over'), sa.column('position'))
    rate_t = sa.table('shipping_rates', sa.column('method_id'), sa.column('min_value'),
                      sa.column('price'))
    bind = op.get_bind()
    for name, countries, methods in zones:
        zone_id = bind.execute(zone_t.insert().values(name=name).returning(zone_t.c.id)).scalar_one()
        op.bulk_insert(country_t, [{'country': c, 'zone_id': zone_id} for c in countries])
        for spec in methods:
            method_id = bind.execute(method_t.insert().values(
                zone_id=zone_id, code=spec['code'], name=spec['name'], kind=spec['kind'],
                free_over=spec['free_over'], position=spec['position'],
            ).returning(method_t.c.id)).scalar_one()
            op.bulk_insert(rate_t, [{'method_id': method_id, 'min_value': m, 'price': p}
                                    for m, p in spec['bands']])


def downgrade():
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_column('tax')
        batch_op.drop_column('tax_rate_bp')
        batch_op.drop_column('tax_class')
        batch_op.drop_column('discount')

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_order_discount_and_gift_card_valid'), type_='check')
        batch_op.drop_column('tax_country')
        batch_op.drop_column('gift_card_amount')
        batch_op.drop_column('discount')
        batch_op.drop_column('shipping_name')

    with op.batch_alter_table('product_variant', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_product_variant_weight_not_negative'), type_='check')
        batch_op.drop_column('weight_grams')

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_product_tax_class_known'), type_='check')
        batch_op.drop_column('tax_class')

    op.drop_table('order_tax_lines')
    op.drop_table('shipping_rates')
    op.drop_table('shipping_methods')
    op.drop_table('shipping_zone_countries')
    op.drop_table('shipping_zones')
    op.drop_table('tax_rates')
