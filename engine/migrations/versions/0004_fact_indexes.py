"""fact indexes covering the evaluation's aggregates

The (customer, date) indexes of orders and payments become covering indexes: the same leading
columns, then every column an aggregate over the table's own columns reads, so that the
evaluation's per-customer pass reads the index alone instead of one table row per index entry
(the rows of an import lie in file order, usually date order, not customer order).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:50:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ORDERS = ['customer_id', 'date', 'product_id', 'amount_cents', 'cost_cents', 'quantity_milli']
PAYMENTS = ['customer_id', 'invoice_date', 'paid_date', 'amount_cents']


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_customer_facts', ORDERS, unique=False)
        batch_op.drop_index(batch_op.f('ix_orders_customer_id_date'))
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_customer_facts', PAYMENTS, unique=False)
        batch_op.drop_index(batch_op.f('ix_payments_customer_id_invoice_date'))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_customer_id_invoice_date'),
                              ['customer_id', 'invoice_date'], unique=False)
        batch_op.drop_index('ix_payments_customer_facts')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_customer_id_date'), ['customer_id', 'date'],
                              unique=False)
        batch_op.drop_index('ix_orders_customer_facts')
