"""one disclosure per prepared target list (issue 21)

- disclosure.export_token: the token of the prepared list an export wrote, unique, so that a
  second download of the same list cannot record a second disclosure.

Existing disclosures keep NULL (a unique index allows any number of NULLs on both engines).

Revision ID: 0013_daily
Revises: 0012_hardening
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_daily"
down_revision: str | None = "0012_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("disclosure", sa.Column("export_token", sa.String(length=64), nullable=True))
    op.create_index("ix_disclosure_export_token", "disclosure", ["export_token"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_disclosure_export_token", table_name="disclosure")
    op.drop_column("disclosure", "export_token")
