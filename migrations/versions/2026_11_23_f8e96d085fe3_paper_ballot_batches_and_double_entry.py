"""paper ballot batches and double entry

Revision ID: f8e96d085fe3
Revises: 6e9b2a83d70c
Create Date: 2026-11-23 04:26:22.009490

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f8e96d085fe3'
down_revision = '6e9b2a83d70c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('paper_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('declared_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='keying', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_paper_batches_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_paper_batches_created_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_paper_batches_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_batches')),
    sa.UniqueConstraint('round_id', 'label', name=op.f('uq_paper_batches_round_id_label'))
    )
    with op.batch_alter_table('paper_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_batches_round_id'), ['round_id'], unique=False)

    op.create_table('paper_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('pass_number', sa.Integer(), nullable=False),
    sa.Column('paper_number', sa.Integer(), nullable=False),
    sa.Column('keyed_by_id', sa.Integer(), nullable=True),
    sa.Column('keyed_at', sa.DateTime(), nullable=False),
    sa.Column('marks', sa.JSON(), nullable=False),
    sa.Column('spoilt', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('spoilt_reason', sa.String(length=200), server_default='', nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['paper_batches.id'], name=op.f('fk_paper_entries_batch_id_paper_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['keyed_by_id'], ['users.id'], name=op.f('fk_paper_entries_keyed_by_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_paper_entries_resolved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_entries')),
    sa.UniqueConstraint('batch_id', 'pass_number', 'paper_number', name=op.f('uq_paper_entries_batch_id_pass_number_paper_number'))
    )
    with op.batch_alter_table('paper_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_entries_batch_id'), ['batch_id'], unique=False)



def downgrade():
    with op.batch_alter_table('paper_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_entries_batch_id'))

    op.drop_table('paper_entries')
    with op.batch_alter_table('paper_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_batches_round_id'))

    op.drop_table('paper_batches')
