"""prefix search on username and phone can use an index on PostgreSQL

LIKE 'x%' uses a btree index on PostgreSQL only with text_pattern_ops (or the C
collation); without these, searching a person by username or phone scanned every person.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite's LIKE cannot use these indexes either way
    op.execute("CREATE INDEX ix_person_username_pattern ON person (username text_pattern_ops)")
    op.execute("CREATE INDEX ix_person_phone_pattern ON person (phone text_pattern_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_person_username_pattern")
    op.execute("DROP INDEX ix_person_phone_pattern")
