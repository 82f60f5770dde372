"""golden customers: customers an admin pins with the segment a ruleset must keep giving them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 17:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'golden_customers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ruleset_id', sa.String(length=100), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('expected_segment', sa.String(length=100), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('created_by', sa.String(length=100), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_golden_customers_customer_id_customers'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_golden_customers')),
        sa.UniqueConstraint('ruleset_id', 'customer_id',
                            name=op.f('uq_golden_customers_ruleset_id_customer_id')),
    )
    with op.batch_alter_table('golden_customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_golden_customers_customer_id'), ['customer_id'],
                              unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('golden_customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_golden_customers_customer_id'))
    op.drop_table('golden_customers')
