"""Round award bands, categories, areas in play and timetable

Revision ID: 0bf044d17c95
Revises: 0ba2452fded7
Create Date: 2026-11-23 03:10:04.811705

"""
from alembic import op
import sqlalchemy as sa


revision = '0bf044d17c95'
down_revision = '0ba2452fded7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('round_areas',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_round_areas_area_id_areas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_areas_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'area_id', name=op.f('pk_round_areas'))
    )
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('award_min', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('award_max', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('categories', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('proposals_open_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('shortlist_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('results_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('delivery_by', sa.DateTime(), nullable=True))
    op.execute("UPDATE rounds SET categories = '[]'")
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.alter_column('categories', existing_type=sa.JSON(), nullable=False)
    # A review phase now sits between taking proposals and voting: nothing to convert.


def downgrade():
    op.execute("UPDATE rounds SET status = 'proposals' WHERE status = 'review'")
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('delivery_by')
        batch_op.drop_column('results_at')
        batch_op.drop_column('shortlist_at')
        batch_op.drop_column('proposals_open_at')
        batch_op.drop_column('categories')
        batch_op.drop_column('award_max')
        batch_op.drop_column('award_min')
    op.drop_table('round_areas')
