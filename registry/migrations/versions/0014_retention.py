"""retention schedule (issue 15): its runs, and a controlled delete of old audit events

- retention_run: each application of the schedule with its counts per rule;
- retention_guard: one row, the number of days an audit event is kept at least;
- the append-only guard of audit_event (revision 0002) now lets a DELETE through for an
  event older than retention_guard.audit_keep_days, and only then; without the row nothing
  may be deleted. UPDATE and TRUNCATE stay refused always.

Revision ID: 0014_retention
Revises: 0011_restriction
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_retention"
down_revision: str | None = "0011_restriction"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit_event is append-only"

_PG_GUARDED = f"""
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    -- Nested: the statement-level TRUNCATE trigger (0012) has no OLD row to look at.
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (
            SELECT 1 FROM retention_guard
            WHERE id = 1 AND OLD.at < now() - make_interval(days => audit_keep_days)
        ) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""
_PG_PLAIN = f"""
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""
# SQLite stores the UTC timestamp as 'YYYY-MM-DD HH:MM:SS[.ffffff]', which compares as text
# with datetime('now', ...) in the same form.
_SQLITE_GUARDED = (
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "WHEN NOT EXISTS (SELECT 1 FROM retention_guard WHERE id = 1 AND "
    "OLD.at < datetime('now', '-' || audit_keep_days || ' days')) "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused within the retention period'); END"
)
_SQLITE_PLAIN = (
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END"
)


def upgrade() -> None:
    op.create_table(
        "retention_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("persons_erased", sa.Integer(), nullable=False),
        sa.Column("rows_deleted", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_run")),
    )
    op.create_index("ix_retention_run_started_at", "retention_run", ["started_at"])
    op.create_table(
        "retention_guard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_keep_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_retention_guard_one_row")),
        sa.CheckConstraint(
            "audit_keep_days >= 365", name=op.f("ck_retention_guard_at_least_a_year")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_guard")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GUARDED)
    else:
        op.execute("DROP TRIGGER audit_event_no_delete")
        op.execute(_SQLITE_GUARDED)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_PLAIN)
    else:
        op.execute("DROP TRIGGER audit_event_no_delete")
        op.execute(_SQLITE_PLAIN)
    op.drop_table("retention_guard")
    op.drop_index("ix_retention_run_started_at", table_name="retention_run")
    op.drop_table("retention_run")
