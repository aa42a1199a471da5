"""code batches and printable cards

Codes already made become batches, one for each round and label, without a card file.

Revision ID: 62780f090bcf
Revises: f8e96d085fe3
Create Date: 2026-11-23 04:26:27.666623

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '62780f090bcf'
down_revision = 'f8e96d085fe3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('code_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=80), server_default='', nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('card_pdf', sa.LargeBinary(), nullable=True),
    sa.Column('card_size', sa.Integer(), nullable=True),
    sa.Column('card_deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_code_batches_created_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_code_batches_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_batches'))
    )
    with op.batch_alter_table('code_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_code_batches_round_id'), ['round_id'], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        # SQLite can add a column with its foreign key in place. Batch mode would copy the
        # table, and dropping the old copy fails once ballots point at the credentials.
        op.execute(sa.text(
            "ALTER TABLE voter_credentials ADD COLUMN batch_id INTEGER "
            "CONSTRAINT fk_voter_credentials_batch_id_code_batches "
            "REFERENCES code_batches (id)"))
    else:
        op.add_column('voter_credentials', sa.Column('batch_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_voter_credentials_batch_id_code_batches'),
                              'voter_credentials', 'code_batches', ['batch_id'], ['id'])
    op.create_index(op.f('ix_voter_credentials_batch_id'), 'voter_credentials', ['batch_id'],
                    unique=False)

    # Codes made before batches existed: one batch for each round and label.
    op.execute(sa.text(
        "INSERT INTO code_batches (round_id, label, count, created_at) "
        "SELECT round_id, batch, COUNT(*), MIN(created_at) FROM voter_credentials "
        "WHERE kind = 'code' GROUP BY round_id, batch"))
    op.execute(sa.text(
        "UPDATE voter_credentials SET batch_id = (SELECT b.id FROM code_batches b "
        "WHERE b.round_id = voter_credentials.round_id AND b.label = voter_credentials.batch) "
        "WHERE kind = 'code'"))


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"  # migrations/env.py turns foreign keys off
    op.drop_index(op.f('ix_voter_credentials_batch_id'), table_name='voter_credentials')
    with op.batch_alter_table('voter_credentials', schema=None) as batch_op:
        if not sqlite:  # there the copy leaves the key behind
            batch_op.drop_constraint(batch_op.f('fk_voter_credentials_batch_id_code_batches'),
                                     type_='foreignkey')
        batch_op.drop_column('batch_id')

    with op.batch_alter_table('code_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_code_batches_round_id'))

    op.drop_table('code_batches')
