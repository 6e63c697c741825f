"""images per variant

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 16:30:00

A variant may name the product image that shows it (the mug in blue); checked by hand:
nullable, so existing variants keep showing the product's first image, and SET NULL so
deleting an image never deletes a variant.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product_variant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_product_variant_image_id'), ['image_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_product_variant_image_id_product_images'), 'product_images',
            ['image_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('product_variant', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_product_variant_image_id_product_images'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_product_variant_image_id'))
        batch_op.drop_column('image_id')
