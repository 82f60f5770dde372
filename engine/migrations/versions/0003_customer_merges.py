"""customer merges: a merged customer stays, marked, so that stored runs keep its scores

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MERGED_CHECK = ("(status = 'merged' AND merged_into_id IS NOT NULL AND merged_at IS NOT NULL) "
                "OR (status <> 'merged' AND merged_into_id IS NULL AND merged_at IS NULL)")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('merged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_customers_merged_into_id'), ['merged_into_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_customers_merged_into_id_customers'),
                                    'customers', ['merged_into_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_customers_merged'), MERGED_CHECK)


def downgrade() -> None:
    """Downgrade schema: merged customers cannot be represented any more, so they go, with
    their scores (what the merge did before this revision)."""
    op.execute("DELETE FROM customer_scores WHERE customer_id IN "
               "(SELECT id FROM customers WHERE status = 'merged')")
    op.execute("DELETE FROM customers WHERE status = 'merged'")
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_customers_merged'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_customers_merged_into_id_customers'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_customers_merged_into_id'))
        batch_op.drop_column('merged_at')
        batch_op.drop_column('merged_into_id')
