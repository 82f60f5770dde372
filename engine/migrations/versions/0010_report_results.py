"""report results: a report's figures kept for the next reader while the data is unchanged;
tasks indexed by completion time, which the data stamp reads

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 20:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'report_results',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('report', sa.String(length=100), nullable=False),
        sa.Column('stamp', sa.String(length=500), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_report_results')),
    )
    with op.batch_alter_table('report_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_results_computed_at'), ['computed_at'],
                              unique=False)
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_completed_at'), ['completed_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_completed_at'))
    with op.batch_alter_table('report_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_results_computed_at'))
    op.drop_table('report_results')
