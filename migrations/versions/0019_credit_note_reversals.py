"""a credit note's reversal: a document of its own kind, in its own gapless series

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 11:00:00

Written by hand to match webshop/models/invoices.py's INVOICE_KINDS.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_invoices_kind_known'), type_='check')
        batch_op.create_check_constraint('kind_known',
                                         "kind IN ('invoice', 'credit_note', 'reversal')")


def downgrade():
    op.execute("DELETE FROM invoices WHERE kind = 'reversal'")
    op.execute("DELETE FROM invoice_counters WHERE series = 'reversal'")
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_invoices_kind_known'), type_='check')
        batch_op.create_check_constraint('kind_known', "kind IN ('invoice', 'credit_note')")
