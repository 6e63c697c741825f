"""display currencies: the rates staff set for showing prices in a second currency

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 19:10:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    # Written by hand to match webshop/models/currencies.py. A rate is an integer: one
    # unit of the shop currency in the display currency, times 10^8 (no float money).
    # No rows: a shop shows its own currency only until staff add one.
    op.create_table('display_currencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('rate_e8', sa.BigInteger(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('rate_e8 > 0', name=op.f('ck_display_currencies_rate_positive')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                            name=op.f('fk_display_currencies_updated_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_display_currencies')),
    sa.UniqueConstraint('code', name=op.f('uq_display_currencies_code'))
    )


def downgrade():
    op.drop_table('display_currencies')
