"""revocable sessions: a row per signed-in browser; when each API token was last used

Revision ID: 7c1e5a0b2d94
Revises: dd2328a6c4f9
Create Date: 2026-12-04 09:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (column types in generated migrations)

# revision identifiers, used by Alembic.
revision: str = '7c1e5a0b2d94'
down_revision: Union[str, Sequence[str], None] = 'dd2328a6c4f9'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('usersession',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_usersession_user_id'), 'usersession', ['user_id'], unique=False)
    with op.batch_alter_table('apitoken') as batch:
        batch.add_column(sa.Column('last_used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('apitoken') as batch:
        batch.drop_column('last_used_at')
    op.drop_index(op.f('ix_usersession_user_id'), table_name='usersession')
    op.drop_table('usersession')
