"""data version: one number that every committed write moves

Cached reads on every app server are keyed by it, so a write through one server is seen by
the others at their next script run (registry/data_version.py).

Revision ID: 0016_data_version
Revises: 0015_marketing
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_data_version"
down_revision: str | None = "0015_marketing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("data_version")
