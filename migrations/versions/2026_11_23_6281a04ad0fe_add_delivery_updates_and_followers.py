"""Add delivery updates and followers

Revision ID: 6281a04ad0fe
Revises: 5c3b7e21a9d4
Create Date: 2026-11-23 03:12:01.443945

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6281a04ad0fe'
down_revision = '5c3b7e21a9d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('followers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('confirmation_sent_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_followers_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followers')),
    sa.UniqueConstraint('round_id', 'email', name=op.f('uq_followers_round_id_email'))
    )
    with op.batch_alter_table('followers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followers_round_id'), ['round_id'], unique=False)

    op.create_table('delivery_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('spent_to_date', sa.BigInteger(), nullable=False),
    sa.Column('outputs', sa.Text(), nullable=False),
    sa.Column('savings_per_year', sa.BigInteger(), nullable=True),
    sa.Column('match_funding', sa.String(length=300), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('funded', 'in_progress', 'delivered', 'withdrawn')", name=op.f('ck_delivery_updates_status_known')),
    sa.CheckConstraint('savings_per_year IS NULL OR savings_per_year >= 0', name=op.f('ck_delivery_updates_savings_not_negative')),
    sa.CheckConstraint('spent_to_date >= 0', name=op.f('ck_delivery_updates_spent_not_negative')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_delivery_updates_author_id_users')),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], name=op.f('fk_delivery_updates_photo_id_photos')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_delivery_updates_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_updates'))
    )
    with op.batch_alter_table('delivery_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_updates_proposal_id'), ['proposal_id'], unique=False)


def downgrade():
    with op.batch_alter_table('delivery_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_updates_proposal_id'))

    op.drop_table('delivery_updates')
    with op.batch_alter_table('followers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followers_round_id'))

    op.drop_table('followers')
