"""marketing: the message service a processor delivers, and the basis per disclosed person

A target list may go only to a processor whose service delivers that channel's messages
(mailing, app messaging, print, SMS, telemarketing), so each recipient says which it
delivers; NULL (every existing row) delivers none until the register says so, the reading
that sends no list where the service is unknown. Each disclosed person keeps the basis the
list relied on for them (Act 917/2014 ss. 200-202, GDPR Art. 6(1)); NULL on rows recorded
before this revision: the basis was not recorded per person then.

Revision ID: 0015_marketing
Revises: 0014_retention
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_marketing"
down_revision: str | None = "0014_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recipient") as batch:
        batch.add_column(sa.Column("delivers", sa.String(20), nullable=True))
    with op.batch_alter_table("disclosed_person") as batch:
        batch.add_column(sa.Column("basis", sa.String(30), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("disclosed_person") as batch:
        batch.drop_column("basis")
    with op.batch_alter_table("recipient") as batch:
        batch.drop_column("delivers")
