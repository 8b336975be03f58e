"""backupcheck: each backup and restore records the read-back check of its copy

A backup is called good only once its copy was read back (SQLite: PRAGMA integrity_check and
every table read through; PostgreSQL: the dump read through by pg_restore) and the rows
matched (issue 18). NULL on rows recorded before this revision: no check was made then.

Revision ID: 0020_backup_check
Revises: 0019_transfers
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_backup_check"
down_revision: str | None = "0019_transfers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("backup") as batch:
        batch.add_column(sa.Column("check_result", sa.String(10), nullable=True))
        batch.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("check_detail", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("backup") as batch:
        batch.drop_column("check_detail")
        batch.drop_column("checked_at")
        batch.drop_column("check_result")
