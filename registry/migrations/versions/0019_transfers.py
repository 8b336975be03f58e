"""marketing2: the fields each disclosure sent, and what each transfer safeguard needs

Each disclosure keeps the person fields it sent, so that an Art. 19 follow-up after a
rectification names only the recipients that received a changed field. Existing
disclosures keep NULL, which is read as "every field was sent": which fields they carried
was not recorded, and the reading that tells a recipient too many protects the person
better than one that leaves a recipient of the changed field untold.

Each recipient gets the day its DPF certification was last checked, the date of the
transfer impact assessment of an SCC transfer and the approval reference of binding
corporate rules; NULL (every existing row) is "not recorded", which the register flags.

Revision ID: 0019_transfers
Revises: 0018_roles
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_transfers"
down_revision: str | None = "0018_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("disclosure") as batch:
        batch.add_column(sa.Column("fields", sa.JSON(), nullable=True))
    with op.batch_alter_table("recipient") as batch:
        batch.add_column(sa.Column("dpf_checked_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("tia_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("bcr_reference", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recipient") as batch:
        batch.drop_column("bcr_reference")
        batch.drop_column("tia_on")
        batch.drop_column("dpf_checked_on")
    with op.batch_alter_table("disclosure") as batch:
        batch.drop_column("fields")
