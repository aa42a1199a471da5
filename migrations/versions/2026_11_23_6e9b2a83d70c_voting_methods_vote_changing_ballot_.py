"""voting methods, vote changing, ballot districts, equality answers

Revision ID: 6e9b2a83d70c
Revises: ce311640c780
Create Date: 2026-11-23 04:21:47.117701

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6e9b2a83d70c'
down_revision = 'ce311640c780'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('equality_responses',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('age_band', sa.String(length=20), nullable=False),
    sa.Column('sex', sa.String(length=20), nullable=False),
    sa.Column('ethnicity', sa.String(length=20), nullable=False),
    sa.Column('disability', sa.String(length=20), nullable=False),
    sa.Column('welsh_speaker', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_equality_responses_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equality_responses'))
    )
    with op.batch_alter_table('equality_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equality_responses_round_id'), ['round_id'], unique=False)

    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_ballots_credential_id'), type_='unique')
        batch_op.create_index('uq_ballots_current_credential', ['credential_id'], unique=True, sqlite_where=sa.text('superseded_at IS NULL'), postgresql_where=sa.text('superseded_at IS NULL'))

    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voting_methods', sa.JSON(), server_default='["codes"]', nullable=False))
        batch_op.add_column(sa.Column('eligible_districts', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('min_age', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('equality_questions', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('voter_credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='code', nullable=False))
        batch_op.add_column(sa.Column('link_nonce_hash', sa.String(length=64), nullable=True))



def downgrade():
    # Only the last ballot of each credential survives: the old schema allowed one.
    op.execute("DELETE FROM ballot_choices WHERE ballot_id IN "
               "(SELECT id FROM ballots WHERE superseded_at IS NOT NULL)")
    op.execute("DELETE FROM ballots WHERE superseded_at IS NOT NULL")
    with op.batch_alter_table('voter_credentials', schema=None) as batch_op:
        batch_op.drop_column('link_nonce_hash')
        batch_op.drop_column('kind')

    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('equality_questions')
        batch_op.drop_column('min_age')
        batch_op.drop_column('eligible_districts')
        batch_op.drop_column('voting_methods')

    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index('uq_ballots_current_credential', sqlite_where=sa.text('superseded_at IS NULL'), postgresql_where=sa.text('superseded_at IS NULL'))
        batch_op.create_unique_constraint(batch_op.f('uq_ballots_credential_id'), ['credential_id'])
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('district')

    with op.batch_alter_table('equality_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equality_responses_round_id'))

    op.drop_table('equality_responses')
