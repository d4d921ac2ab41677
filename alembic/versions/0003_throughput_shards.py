"""throughput shards: one minute of answers over several rows

Revision ID: b244733dd028
Revises: e43b934aa481
Create Date: 2026-11-22 05:50:07.756745

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (column types in generated migrations)
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'b244733dd028'
down_revision: Union[str, Sequence[str], None] = 'e43b934aa481'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _rebuild(unique: list[str], with_shard: bool) -> None:
    """Rebuild the (small, derived) bucket table with another unique key, keeping its rows:
    the old constraint has no portable name to drop it by."""
    columns = [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('minute', sa.Integer(), nullable=False),
        sa.Column('answers', sa.Integer(), nullable=False),
    ]
    if with_shard:
        columns.insert(4, sa.Column('shard', sa.Integer(), nullable=False, server_default='0'))
    name = 'uq_throughputbucket_shard' if with_shard else None
    op.create_table('throughputbucket_new', *columns,
                    sa.ForeignKeyConstraint(['batch_id'], ['batch.id']),
                    sa.ForeignKeyConstraint(['project_id'], ['project.id']),
                    sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint(*unique, name=name))
    if with_shard:
        op.execute("INSERT INTO throughputbucket_new (project_id, batch_id, minute, shard, answers) "
                   "SELECT project_id, batch_id, minute, 0, answers FROM throughputbucket")
    else:
        op.execute("INSERT INTO throughputbucket_new (project_id, batch_id, minute, answers) "
                   "SELECT project_id, batch_id, minute, SUM(answers) FROM throughputbucket "
                   "GROUP BY project_id, batch_id, minute")
    op.drop_index('ix_throughputbucket_project_id', table_name='throughputbucket')
    op.drop_table('throughputbucket')
    op.rename_table('throughputbucket_new', 'throughputbucket')
    op.create_index('ix_throughputbucket_project_id', 'throughputbucket', ['project_id'])


def upgrade() -> None:
    """Each minute's answer count split over shards, so concurrent submits do not share a row lock."""
    _rebuild(['batch_id', 'minute', 'shard'], with_shard=True)


def downgrade() -> None:
    _rebuild(['batch_id', 'minute'], with_shard=False)
