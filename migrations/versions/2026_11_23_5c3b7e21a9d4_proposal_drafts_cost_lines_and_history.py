"""Proposal drafts, shortlisting, cost breakdown lines, photos, Welsh and Easy Read text, history

Revision ID: 5c3b7e21a9d4
Revises: 0bf044d17c95
Create Date: 2026-11-23 03:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '5c3b7e21a9d4'
down_revision = '0bf044d17c95'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('proposal_cost_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_cost_lines_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_cost_lines'))
    )
    with op.batch_alter_table('proposal_cost_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_cost_lines_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=False),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_proposal_events_actor_id_users')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_events_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_events'))
    )
    with op.batch_alter_table('proposal_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_events_proposal_id'), ['proposal_id'], unique=False)

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_cost', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('whole_round', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('easy_read_summary', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('title_cy', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('summary_cy', sa.String(length=280), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('photo_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(), nullable=True))
        batch_op.alter_column('cost', existing_type=sa.BIGINT(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_proposals_photo_id_photos'), 'photos', ['photo_id'], ['id'])
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.alter_column('whole_round', server_default=None)
        batch_op.alter_column('easy_read_summary', server_default=None)
        batch_op.alter_column('title_cy', server_default=None)
        batch_op.alter_column('summary_cy', server_default=None)
    # "Approved" used to mean "on the ballot"; the ballot is now the shortlist.
    op.execute("UPDATE proposals SET status = 'shortlisted' WHERE status = 'approved'")
    op.execute("UPDATE proposals SET submitted_at = created_at")
    op.execute("UPDATE proposals SET whole_round = TRUE WHERE area_id IS NULL")


def downgrade():
    op.execute("UPDATE proposals SET status = 'approved' WHERE status = 'shortlisted'")
    op.execute("UPDATE proposals SET status = 'submitted' "
               "WHERE status IN ('draft', 'changes_requested')")
    op.execute("UPDATE proposals SET cost = 0 WHERE cost IS NULL")
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_proposals_photo_id_photos'), type_='foreignkey')
        batch_op.alter_column('cost', existing_type=sa.BIGINT(), nullable=False)
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('photo_id')
        batch_op.drop_column('summary_cy')
        batch_op.drop_column('title_cy')
        batch_op.drop_column('easy_read_summary')
        batch_op.drop_column('requested_cost')
        batch_op.drop_column('whole_round')

    with op.batch_alter_table('proposal_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_events_proposal_id'))
    op.drop_table('proposal_events')
    with op.batch_alter_table('proposal_cost_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_cost_lines_proposal_id'))
    op.drop_table('proposal_cost_lines')
