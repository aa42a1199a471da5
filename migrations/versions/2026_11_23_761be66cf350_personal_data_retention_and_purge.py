"""Personal data retention and purge

Each round keeps personal data for a number of days (90 unless the organisers change it) after
its results are published; `pb purge` then deletes it and records when. Email about voting
notes its round, so the purge can find it; the equality totals are kept when the answers go.

Revision ID: 761be66cf350
Revises: 3d4d910e8587
Create Date: 2026-11-23 10:49:20.143890

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '761be66cf350'
down_revision = '3d4d910e8587'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_round_id'), ['round_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_round_id_rounds'), 'rounds', ['round_id'], ['id'])

    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personal_data_retention_days', sa.Integer(), server_default='90', nullable=False))
        batch_op.add_column(sa.Column('personal_data_purged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('equality_counts', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('equality_counts')
        batch_op.drop_column('personal_data_purged_at')
        batch_op.drop_column('personal_data_retention_days')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_round_id_rounds'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_round_id'))
        batch_op.drop_column('round_id')
