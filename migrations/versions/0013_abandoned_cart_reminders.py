"""abandoned-cart reminders

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 16:30:00

Carts learn who may be reminded (a guest's consented address and when they consented)
and what was sent (the count and time of the last reminder, the sweep's compare-and-set);
the sweep reads carts by when they last changed. Addresses that unsubscribed from
reminders get a table of their own.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reminder_unsubscribes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('email = lower(email)',
                           name=op.f('ck_reminder_unsubscribes_email_lowercase')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_unsubscribes')),
        sa.UniqueConstraint('email', name=op.f('uq_reminder_unsubscribes_email')),
    )
    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remind_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('remind_consent_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminders_sent', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.create_index('ix_carts_updated_at', ['updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.drop_index('ix_carts_updated_at')
        batch_op.drop_column('reminders_sent')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('remind_consent_at')
        batch_op.drop_column('remind_email')
    op.drop_table('reminder_unsubscribes')
