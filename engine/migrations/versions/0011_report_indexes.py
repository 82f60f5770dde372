"""report indexes: the segments of a run, and the contacts of a customer on a channel, read
from an index alone

- customer_scores (run_id, customer_id, effective_segment): the reports read a run's effective
  segment for every customer in view; the (run_id, customer_id) key alone leads to the score
  rows, which carry the axes and metrics JSON and are several times wider than the index.
- visits (customer_id, channel, date): SOP compliance counts each customer's contacts on a
  channel during a stay in a segment; with the channel before the date the count is one range
  of the index.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 20:15:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('customer_scores', schema=None) as batch_op:
        batch_op.create_index('ix_customer_scores_run_segments',
                              ['run_id', 'customer_id', 'effective_segment'], unique=False)
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_customer_channel_date',
                              ['customer_id', 'channel', 'date'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_customer_channel_date')
    with op.batch_alter_table('customer_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_scores_run_segments')
