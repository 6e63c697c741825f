"""a counter row per (discount code, email): uses per customer exact on every database

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 10:00:00

Written by hand to match webshop/models/promotions.py's DiscountCustomerUse. The rows
start from the redemptions that hold or consumed a use.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('discount_customer_uses',
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('uses', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('uses >= 0', name=op.f('ck_discount_customer_uses_uses_not_negative')),
    sa.ForeignKeyConstraint(['code_id'], ['discount_codes.id'], name=op.f('fk_discount_customer_uses_code_id_discount_codes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code_id', 'email', name=op.f('pk_discount_customer_uses'))
    )
    op.execute(
        "INSERT INTO discount_customer_uses (code_id, email, uses) "
        "SELECT code_id, lower(email), count(*) FROM discount_redemptions "
        "WHERE status IN ('held', 'consumed') GROUP BY code_id, lower(email)")


def downgrade():
    op.drop_table('discount_customer_uses')
