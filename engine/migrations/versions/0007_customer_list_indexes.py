"""customer list indexes: name order (keyset pages sorted by name) and owner (the visibility
policy of managers and reps)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:00:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_name_id'), ['name', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_owner_id'), ['owner_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_owner_id'))
        batch_op.drop_index(batch_op.f('ix_customers_name_id'))
