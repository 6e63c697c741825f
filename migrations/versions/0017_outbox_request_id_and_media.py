"""the request id on outbox messages, and product images stored in the database

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 19:10:00

outbox.request_id: the id of the request that wrote a message, so its job logs under it
however late it is handed over (nullable: older messages and those written outside a
request have none). media_files: product images and their thumbnails as bytes, by the
name their /media URL carries, for MEDIA_STORAGE=database; empty (and unused) with files.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))

    op.create_table(
        'media_files',
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=50), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('etag', sa.String(length=32), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_media_files')),
    )


def downgrade():
    op.drop_table('media_files')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('request_id')
