"""Welsh Easy Read summary of a proposal

Revision ID: 3d4d910e8587
Revises: 0aafea62fd0d
Create Date: 2026-11-23 07:16:55.748025

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3d4d910e8587'
down_revision = '0aafea62fd0d'
branch_labels = None
depends_on = None


def upgrade():
    # Existing proposals get an empty Welsh Easy Read summary; new rows get one from the model.
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('easy_read_summary_cy', sa.Text(), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.alter_column('easy_read_summary_cy', server_default=None)


def downgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_column('easy_read_summary_cy')
