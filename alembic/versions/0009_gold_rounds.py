"""gold rounds: a live slot is unique per round; a standing remembers when its next round lacked gold

A benchmark retry or recalibration round may lease a gold item the person already answered in an
earlier round (policy ``reuse_seen_gold``). Gold slots are the person's id, so the slot index
must include the round, or the earlier submitted assignment refuses the new lease.

Revision ID: dd2328a6c4f9
Revises: c381d89af13e
Create Date: 2026-11-23 09:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (column types in generated migrations)

# revision identifiers, used by Alembic.
revision: str = 'dd2328a6c4f9'
down_revision: Union[str, Sequence[str], None] = 'c381d89af13e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

LIVE = sa.text("state IN ('leased', 'submitted')")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('standing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_for_gold_since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('uq_assignment_slot', postgresql_where=LIVE, sqlite_where=LIVE)
        batch_op.create_index('uq_assignment_slot', ['item_id', 'stage', 'round', 'slot'], unique=True,
                              postgresql_where=LIVE, sqlite_where=LIVE)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('uq_assignment_slot', postgresql_where=LIVE, sqlite_where=LIVE)
        batch_op.create_index('uq_assignment_slot', ['item_id', 'stage', 'slot'], unique=True,
                              postgresql_where=LIVE, sqlite_where=LIVE)
    with op.batch_alter_table('standing', schema=None) as batch_op:
        batch_op.drop_column('waiting_for_gold_since')
