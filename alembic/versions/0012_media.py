"""media: stored files (content-addressed), which items reference them, and their staging on SQLite

Revision ID: 4d2a9e7c1b36
Revises: b7e41c9a2f05
Create Date: 2026-12-04 21:35:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (column types in generated migrations)

# revision identifiers, used by Alembic.
revision: str = '4d2a9e7c1b36'
down_revision: Union[str, Sequence[str], None] = 'b7e41c9a2f05'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('mediafile',
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', _BIG_ID, nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('original_name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('sample_rate', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    op.create_table('itemmedia',
    sa.Column('item_id', _BIG_ID, nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.ForeignKeyConstraint(['sha256'], ['mediafile.sha256'], ),
    sa.PrimaryKeyConstraint('item_id', 'field')
    )
    op.create_index('ix_itemmedia_sha256_project', 'itemmedia', ['sha256', 'project_id'], unique=False)
    op.create_table('itemimportmedia',
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['itemimport.id'], ),
    sa.PrimaryKeyConstraint('import_id', 'seq', 'field')
    )


def downgrade() -> None:
    op.drop_table('itemimportmedia')
    op.drop_index('ix_itemmedia_sha256_project', table_name='itemmedia')
    op.drop_table('itemmedia')
    op.drop_table('mediafile')
