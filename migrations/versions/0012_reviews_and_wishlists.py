"""reviews and wishlists

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 16:30:00

Checked by hand: the product's rating columns have server defaults (0 reviews, average
0), so existing rows need no backfill; reviews and wishlist items go with their product
or user (CASCADE); a waited-for variant that is deleted only ends the wait (SET NULL).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating_count', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('rating_average', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.create_index('ix_product_active_rating', ['active', 'rating_average'],
                              unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('author_name', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_reviews_rating_range')),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_reviews_status_known')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_reviews_product_id_product'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reviews_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('product_id', 'user_id', name=op.f('uq_reviews_product_id'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_product_status_created', ['product_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_reviews_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_user_id'), ['user_id'], unique=False)

    op.create_table('wishlist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('notify_variant_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['notify_variant_id'], ['product_variant.id'], name=op.f('fk_wishlist_items_notify_variant_id_product_variant'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_wishlist_items_product_id_product'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_wishlist_items_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wishlist_items')),
    sa.UniqueConstraint('user_id', 'product_id', name=op.f('uq_wishlist_items_user_id'))
    )
    with op.batch_alter_table('wishlist_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wishlist_items_notify_variant_id'), ['notify_variant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wishlist_items_product_id'), ['product_id'], unique=False)


def downgrade():
    with op.batch_alter_table('wishlist_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wishlist_items_product_id'))
        batch_op.drop_index(batch_op.f('ix_wishlist_items_notify_variant_id'))
    op.drop_table('wishlist_items')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_user_id'))
        batch_op.drop_index('ix_reviews_status_created')
        batch_op.drop_index('ix_reviews_product_status_created')
    op.drop_table('reviews')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index('ix_product_active_rating')
        batch_op.drop_column('rating_average')
        batch_op.drop_column('rating_count')
