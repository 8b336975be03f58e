"""index person.created_at for the Overview's persons-added-per-month chart

At 1,000,000 persons the chart's query scanned the whole table (0.33 s of a cold
Overview); it reads only the last year's persons.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_person_created_at", "person", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_person_created_at", table_name="person")
