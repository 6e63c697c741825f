"""the language of an order (its emails are written in it)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 16:30:00

Written by hand to match webshop/models/orders.py's Order.locale.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    # Orders placed before languages existed were placed in English.
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), server_default='en',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_column('locale')
