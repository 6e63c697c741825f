"""discount codes and gift cards

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('discount_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=200), server_default='', nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('category_ids', sa.JSON(), nullable=False),
    sa.Column('product_ids', sa.JSON(), nullable=False),
    sa.Column('min_spend', sa.Integer(), server_default='0', nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('max_uses_per_customer', sa.Integer(), nullable=True),
    sa.Column('uses', sa.Integer(), server_default='0', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind <> 'percent' OR value BETWEEN 1 AND 100", name=op.f('ck_discount_codes_percent_range')),
    sa.CheckConstraint("kind IN ('percent', 'fixed', 'free_shipping')", name=op.f('ck_discount_codes_kind_known')),
    sa.CheckConstraint('uses >= 0 AND (max_uses IS NULL OR uses <= max_uses)', name=op.f('ck_discount_codes_uses_within_limit')),
    sa.CheckConstraint('value >= 0 AND min_spend >= 0', name=op.f('ck_discount_codes_amounts_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discount_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_discount_codes_code'))
    )
    op.create_table('discount_redemptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('held', 'consumed', 'released')", name=op.f('ck_discount_redemptions_status_known')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_discount_redemptions_amount_not_negative')),
    sa.ForeignKeyConstraint(['code_id'], ['discount_codes.id'], name=op.f('fk_discount_redemptions_code_id_discount_codes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_discount_redemptions_order_id_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discount_redemptions')),
    sa.UniqueConstraint('order_id', name=op.f('uq_discount_redemptions_order_id'))
    )
    with op.batch_alter_table('discount_redemptions', schema=None) as batch_op:
        batch_op.create_index('ix_discount_redemptions_code_email', ['code_id', 'email'], unique=False)

    op.create_table('gift_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('initial_amount', sa.Integer(), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('order_item_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('balance >= 0 AND initial_amount > 0', name=op.f('ck_gift_cards_amounts_valid')),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_gift_cards_order_id_order'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_item_id'], ['order_items.id'], name=op.f('fk_gift_cards_order_item_id_order_items'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_cards')),
    sa.UniqueConstraint('code', name=op.f('uq_gift_cards_code'))
    )
    with op.batch_alter_table('gift_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gift_cards_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gift_cards_order_item_id'), ['order_item_id'], unique=False)

    op.create_table('gift_card_transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gift_card_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('issue', 'redeem', 'release', 'refund', 'adjust')", name=op.f('ck_gift_card_transactions_kind_known')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_gift_card_transactions_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['gift_card_id'], ['gift_cards.id'], name=op.f('fk_gift_card_transactions_gift_card_id_gift_cards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_gift_card_transactions_order_id_order'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_card_transactions'))
    )
    with op.batch_alter_table('gift_card_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gift_card_transactions_gift_card_id'), ['gift_card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gift_card_transactions_order_id'), ['order_id'], unique=False)

    # The codes a cart holds, and the code an order used (for its discount line).
    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('gift_card_code', sa.String(length=32), nullable=True))

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_code', sa.String(length=40), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_column('discount_code')

    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.drop_column('gift_card_code')
        batch_op.drop_column('discount_code')

    with op.batch_alter_table('gift_card_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gift_card_transactions_order_id'))
        batch_op.drop_index(batch_op.f('ix_gift_card_transactions_gift_card_id'))
    op.drop_table('gift_card_transactions')

    with op.batch_alter_table('gift_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gift_cards_order_item_id'))
        batch_op.drop_index(batch_op.f('ix_gift_cards_order_id'))
    op.drop_table('gift_cards')

    with op.batch_alter_table('discount_redemptions', schema=None) as batch_op:
        batch_op.drop_index('ix_discount_redemptions_code_email')
    op.drop_table('discount_redemptions')
    op.drop_table('discount_codes')
