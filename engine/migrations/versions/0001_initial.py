"""Initial schema: people, facts, definitions, runs, workflows, audit.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 13:09:01.169648

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create every table of the first schema."""
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('object_type', sa.String(length=50), nullable=False),
    sa.Column('object_id', sa.String(length=200), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_object_type_object_id'), ['object_type', 'object_id'], unique=False)

    op.create_table('packs',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('version', sa.String(length=50), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_packs'))
    )
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('product_line', sa.String(length=100), nullable=True),
    sa.Column('is_new', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('code', name=op.f('uq_products_code'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('seniority', sa.String(length=20), nullable=True),
    sa.Column('team', sa.String(length=100), nullable=True),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('locale', sa.String(length=10), server_default='zh', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'manager', 'rep', 'staff')", name=op.f('ck_users_role')),
    sa.CheckConstraint("seniority IN ('junior', 'regular', 'senior')", name=op.f('ck_users_seniority')),
    sa.ForeignKeyConstraint(['manager_id'], ['users.id'], name=op.f('fk_users_manager_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('normalized_name', sa.String(length=300), nullable=False),
    sa.Column('type', sa.String(length=50), nullable=False),
    sa.Column('parent_code', sa.String(length=100), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('profile', sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_customers_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('code', name=op.f('uq_customers_code'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_normalized_name'), ['normalized_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_type_status'), ['type', 'status'], unique=False)

    op.create_table('definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('def_id', sa.String(length=100), nullable=False),
    sa.Column('pack_id', sa.String(length=100), nullable=False),
    sa.Column('published_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("kind IN ('form', 'ruleset', 'workflow')", name=op.f('ck_definitions_kind')),
    sa.ForeignKeyConstraint(['pack_id'], ['packs.id'], name=op.f('fk_definitions_pack_id_packs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_definitions')),
    sa.UniqueConstraint('kind', 'def_id', name=op.f('uq_definitions_kind_def_id'))
    )
    with op.batch_alter_table('definitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_definitions_pack_id'), ['pack_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), server_default='', nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('email_status', sa.String(length=50), nullable=True),
    sa.Column('webhook_status', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_user_id_read_at'), ['user_id', 'read_at'], unique=False)

    op.create_table('customer_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('normalized_name', sa.String(length=300), nullable=False),
    sa.Column('former_code', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_aliases_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_aliases'))
    )
    with op.batch_alter_table('customer_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_aliases_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_aliases_former_code'), ['former_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_aliases_normalized_name'), ['normalized_name'], unique=False)

    op.create_table('definition_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('source_format', sa.String(length=10), nullable=False),
    sa.Column('format_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('author', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.CheckConstraint("source_format IN ('yaml', 'json')", name=op.f('ck_definition_versions_source_format')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_definition_versions_number_positive')),
    sa.ForeignKeyConstraint(['definition_id'], ['definitions.id'], name=op.f('fk_definition_versions_definition_id_definitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_definition_versions')),
    sa.UniqueConstraint('definition_id', 'number', name=op.f('uq_definition_versions_definition_id_number'))
    )
    # definitions.published_version_id closes a cycle with definition_versions.definition_id, so
    # its constraint is added once both tables exist (on SQLite, batch mode rebuilds the table).
    with op.batch_alter_table('definitions', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_definitions_published_version_id_definition_versions'), 'definition_versions', ['published_version_id'], ['id'])
    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=100), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity_milli', sa.BigInteger(), nullable=True),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('cost_cents', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_orders_customer_id_customers')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_orders_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('order_id', name=op.f('uq_orders_order_id'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_customer_id_date'), ['customer_id', 'date'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_date'), ['date'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_product_id'), ['product_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.String(length=100), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('paid_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_payments_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('invoice_id', name=op.f('uq_payments_invoice_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_customer_id_invoice_date'), ['customer_id', 'invoice_date'], unique=False)

    op.create_table('segment_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('ruleset_id', sa.String(length=100), nullable=False),
    sa.Column('segment', sa.String(length=100), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'cleared', 'expired')", name=op.f('ck_segment_overrides_status')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_segment_overrides_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segment_overrides'))
    )
    with op.batch_alter_table('segment_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_segment_overrides_customer_id_ruleset_id_status'), ['customer_id', 'ruleset_id', 'status'], unique=False)

    op.create_table('evaluation_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ruleset_id', sa.String(length=100), nullable=False),
    sa.Column('ruleset_version_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='running', nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('tick_key', sa.String(length=200), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('definition_versions', sa.JSON(), nullable=False),
    sa.Column('splits', sa.JSON(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('migration', sa.JSON(), nullable=False),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('timings', sa.JSON(), nullable=False),
    sa.Column('format_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('running', 'completed', 'failed')", name=op.f('ck_evaluation_runs_status')),
    sa.CheckConstraint("trigger IN ('cli', 'scheduler', 'web')", name=op.f('ck_evaluation_runs_trigger')),
    sa.ForeignKeyConstraint(['ruleset_version_id'], ['definition_versions.id'], name=op.f('fk_evaluation_runs_ruleset_version_id_definition_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_runs')),
    sa.UniqueConstraint('tick_key', name=op.f('uq_evaluation_runs_tick_key'))
    )
    with op.batch_alter_table('evaluation_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_runs_ruleset_id_as_of'), ['ruleset_id', 'as_of'], unique=False)

    op.create_table('customer_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.String(length=100), nullable=True),
    sa.Column('previous_segment', sa.String(length=100), nullable=True),
    sa.Column('effective_segment', sa.String(length=100), nullable=True),
    sa.Column('axes', sa.JSON(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('sides', sa.JSON(none_as_null=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_scores_customer_id_customers')),
    sa.ForeignKeyConstraint(['run_id'], ['evaluation_runs.id'], name=op.f('fk_customer_scores_run_id_evaluation_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_scores')),
    sa.UniqueConstraint('run_id', 'customer_id', name=op.f('uq_customer_scores_run_id_customer_id'))
    )
    with op.batch_alter_table('customer_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_scores_customer_id'), ['customer_id'], unique=False)

    op.create_table('scheduler_ticks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_key', sa.String(length=200), nullable=False),
    sa.Column('tick_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='claimed', nullable=False),
    sa.Column('claimed_by', sa.String(length=200), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.CheckConstraint("status IN ('claimed', 'done', 'failed', 'missed')", name=op.f('ck_scheduler_ticks_status')),
    sa.ForeignKeyConstraint(['run_id'], ['evaluation_runs.id'], name=op.f('fk_scheduler_ticks_run_id_evaluation_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_ticks')),
    sa.UniqueConstraint('job_key', 'tick_at', name=op.f('uq_scheduler_ticks_job_key_tick_at'))
    )
    op.create_table('tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('workflow_version_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('template', sa.String(length=100), nullable=False),
    sa.Column('segment', sa.String(length=100), nullable=True),
    sa.Column('previous_segment', sa.String(length=100), nullable=True),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('channel', sa.String(length=50), nullable=True),
    sa.Column('priority', sa.String(length=20), nullable=True),
    sa.Column('recurring', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='open', nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(length=100), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('previous_task_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=300), nullable=False),
    sa.CheckConstraint("status IN ('open', 'in_progress', 'done', 'cancelled')", name=op.f('ck_tasks_status')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tasks_assignee_id_users')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_tasks_customer_id_customers')),
    sa.ForeignKeyConstraint(['previous_task_id'], ['tasks.id'], name=op.f('fk_tasks_previous_task_id_tasks')),
    sa.ForeignKeyConstraint(['run_id'], ['evaluation_runs.id'], name=op.f('fk_tasks_run_id_evaluation_runs')),
    sa.ForeignKeyConstraint(['workflow_version_id'], ['definition_versions.id'], name=op.f('fk_tasks_workflow_version_id_definition_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_tasks_idempotency_key'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_assignee_id_status'), ['assignee_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_customer_id_status'), ['customer_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_workflow_id_customer_id_template_status'), ['workflow_id', 'customer_id', 'template', 'status'], unique=False)

    op.create_table('workflow_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=100), server_default='unclassified', nullable=False),
    sa.Column('workflow_version_id', sa.Integer(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_workflow_states_customer_id_customers')),
    sa.ForeignKeyConstraint(['run_id'], ['evaluation_runs.id'], name=op.f('fk_workflow_states_run_id_evaluation_runs')),
    sa.ForeignKeyConstraint(['workflow_version_id'], ['definition_versions.id'], name=op.f('fk_workflow_states_workflow_version_id_definition_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_states')),
    sa.UniqueConstraint('workflow_id', 'customer_id', name=op.f('uq_workflow_states_workflow_id_customer_id'))
    )
    with op.batch_alter_table('workflow_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflow_states_customer_id'), ['customer_id'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.String(length=100), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=True),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=50), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_visits_customer_id_customers')),
    sa.ForeignKeyConstraint(['rep_id'], ['users.id'], name=op.f('fk_visits_rep_id_users')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_visits_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_visits_visit_id'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_customer_id_date'), ['customer_id', 'date'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_task_id'), ['task_id'], unique=False)



def downgrade() -> None:
    """Drop every table, in reverse dependency order."""
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_task_id'))
        batch_op.drop_index(batch_op.f('ix_visits_customer_id_date'))

    op.drop_table('visits')
    with op.batch_alter_table('workflow_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workflow_states_customer_id'))

    op.drop_table('workflow_states')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_workflow_id_customer_id_template_status'))
        batch_op.drop_index(batch_op.f('ix_tasks_run_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_customer_id_status'))
        batch_op.drop_index(batch_op.f('ix_tasks_assignee_id_status'))

    op.drop_table('tasks')
    op.drop_table('scheduler_ticks')
    with op.batch_alter_table('customer_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_scores_customer_id'))

    op.drop_table('customer_scores')
    with op.batch_alter_table('evaluation_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_runs_ruleset_id_as_of'))

    op.drop_table('evaluation_runs')
    with op.batch_alter_table('segment_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_segment_overrides_customer_id_ruleset_id_status'))

    op.drop_table('segment_overrides')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_customer_id_invoice_date'))

    op.drop_table('payments')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_product_id'))
        batch_op.drop_index(batch_op.f('ix_orders_date'))
        batch_op.drop_index(batch_op.f('ix_orders_customer_id_date'))

    op.drop_table('orders')
    with op.batch_alter_table('definitions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_definitions_published_version_id_definition_versions'), type_='foreignkey')

    op.drop_table('definition_versions')
    with op.batch_alter_table('customer_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_aliases_normalized_name'))
        batch_op.drop_index(batch_op.f('ix_customer_aliases_former_code'))
        batch_op.drop_index(batch_op.f('ix_customer_aliases_customer_id'))

    op.drop_table('customer_aliases')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_user_id_read_at'))

    op.drop_table('notifications')
    with op.batch_alter_table('definitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_definitions_pack_id'))

    op.drop_table('definitions')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_type_status'))
        batch_op.drop_index(batch_op.f('ix_customers_normalized_name'))

    op.drop_table('customers')
    op.drop_table('users')
    op.drop_table('products')
    op.drop_table('packs')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_object_type_object_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
