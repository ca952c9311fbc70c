"""initial schema: organisations, records, import runs

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organisation',
    sa.Column('org', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('org', name=op.f('pk_organisation'))
    )
    op.create_table('activity',
    sa.Column('org', sa.String(length=32), nullable=False),
    sa.Column('activity_id', sa.String(length=64), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('programme', sa.String(length=500), nullable=True),
    sa.Column('mode', sa.String(length=32), nullable=True),
    sa.Column('setting', sa.String(length=32), nullable=True),
    sa.Column('group_id', sa.String(length=500), nullable=True),
    sa.Column('topic', sa.String(length=500), nullable=True),
    sa.Column('attendance', sa.Integer(), nullable=False),
    sa.Column('first_time', sa.Integer(), nullable=True),
    sa.Column('peer_workers', sa.Integer(), nullable=True),
    sa.Column('volunteers', sa.Integer(), nullable=True),
    sa.Column('member_led', sa.Boolean(), nullable=False),
    sa.Column('co_facilitated', sa.Boolean(), nullable=False),
    sa.Column('population_focus', sa.String(length=32), nullable=True),
    sa.Column('community_session', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.String(length=500), nullable=True),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['org'], ['organisation.org'], name=op.f('fk_activity_org_organisation')),
    sa.PrimaryKeyConstraint('org', 'activity_id', name=op.f('pk_activity'))
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_org_date', ['org', 'date'], unique=False)

    op.create_table('feedback',
    sa.Column('org', sa.String(length=32), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('programme', sa.String(length=500), nullable=False),
    sa.Column('question', sa.String(length=500), nullable=False),
    sa.Column('response', sa.String(length=60), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['org'], ['organisation.org'], name=op.f('fk_feedback_org_organisation')),
    sa.PrimaryKeyConstraint('org', 'period_start', 'period_end', 'programme', 'question', 'response', name=op.f('pk_feedback'))
    )
    op.create_table('import_run',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org', sa.String(length=32), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org'], ['organisation.org'], name=op.f('fk_import_run_org_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_run'))
    )
    op.create_table('workforce',
    sa.Column('org', sa.String(length=32), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('programme', sa.String(length=500), nullable=False),
    sa.Column('paid_fte', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('paid_headcount', sa.Integer(), nullable=True),
    sa.Column('volunteer_count', sa.Integer(), nullable=True),
    sa.Column('volunteer_hours', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('supervision_hours', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('training_hours', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['org'], ['organisation.org'], name=op.f('fk_workforce_org_organisation')),
    sa.PrimaryKeyConstraint('org', 'period_start', 'period_end', 'role', 'programme', name=op.f('pk_workforce'))
    )
    op.create_table('activity_breakdown',
    sa.Column('org', sa.String(length=32), nullable=False),
    sa.Column('activity_id', sa.String(length=64), nullable=False),
    sa.Column('dimension', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['org', 'activity_id'], ['activity.org', 'activity.activity_id'], name=op.f('fk_activity_breakdown_org_activity_id_activity'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org', 'activity_id', 'dimension', 'category', name=op.f('pk_activity_breakdown'))
    )
    op.create_table('member_token',
    sa.Column('org', sa.String(length=32), nullable=False),
    sa.Column('activity_id', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['org', 'activity_id'], ['activity.org', 'activity.activity_id'], name=op.f('fk_member_token_org_activity_id_activity'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org', 'activity_id', 'token_hash', name=op.f('pk_member_token'))
    )


def downgrade() -> None:
    op.drop_table('member_token')
    op.drop_table('activity_breakdown')
    op.drop_table('workforce')
    op.drop_table('import_run')
    op.drop_table('feedback')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_org_date')

    op.drop_table('activity')
    op.drop_table('organisation')
