"""the request id on outbox messages, and product images stored in the database

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 19:10:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
