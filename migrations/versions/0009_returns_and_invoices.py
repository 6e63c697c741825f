"""returns and invoices

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 16:00:00

Return requests (RMA) with their lines, and invoices and credit notes with the counters
that number them (webshop.models.returns, webshop.models.invoices). Checked by hand
against the models (tests/test_migrations.py compares both databases with them).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invoice_counters',
    sa.Column('series', sa.String(length=20), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('series', name=op.f('pk_invoice_counters'))
    )
    op.create_table('return_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('staff_note', sa.Text(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('refund_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('requested', 'approved', 'refused', 'received', 'refunded', 'closed')", name=op.f('ck_return_requests_status_known')),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_return_requests_order_id_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_return_requests_refund_id_refunds'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_requests'))
    )
    with op.batch_alter_table('return_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_requests_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_requests_status'), ['status'], unique=False)

    op.create_table('return_request_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('order_item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('restocked', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_return_request_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['order_item_id'], ['order_items.id'], name=op.f('fk_return_request_lines_order_item_id_order_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['return_id'], ['return_requests.id'], name=op.f('fk_return_request_lines_return_id_return_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_request_lines')),
    sa.UniqueConstraint('return_id', 'order_item_id', name=op.f('uq_return_request_lines_return_id'))
    )
    with op.batch_alter_table('return_request_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_request_lines_order_item_id'), ['order_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_request_lines_return_id'), ['return_id'], unique=False)

    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('source_key', sa.String(length=40), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('net', sa.Integer(), nullable=False),
    sa.Column('tax', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name=op.f('ck_invoices_kind_known')),
    sa.CheckConstraint('net >= 0 AND tax >= 0 AND total >= 0', name=op.f('ck_invoices_amounts_not_negative')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoices_invoice_id_invoices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_invoices_order_id_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_invoices_refund_id_refunds'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('number', name=op.f('uq_invoices_number')),
    sa.UniqueConstraint('source_key', name=op.f('uq_invoices_source_key'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_order_id'), ['order_id'], unique=False)


def downgrade():
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_order_id'))
    op.drop_table('invoices')
    with op.batch_alter_table('return_request_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_request_lines_return_id'))
        batch_op.drop_index(batch_op.f('ix_return_request_lines_order_item_id'))
    op.drop_table('return_request_lines')
    with op.batch_alter_table('return_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_requests_status'))
        batch_op.drop_index(batch_op.f('ix_return_requests_order_id'))
    op.drop_table('return_requests')
    op.drop_table('invoice_counters')
