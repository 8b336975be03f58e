"""the audit trail and the amendment history cannot be emptied (issue 18)

- audit_event: a statement-level trigger refuses TRUNCATE on PostgreSQL (the row triggers of
  0002 do not fire for it, so the table owner could empty the trail with one statement);
- amendment (Art. 16: the old value is kept) becomes append-only like audit_event: UPDATE
  refused on both engines, DELETE and TRUNCATE on PostgreSQL, except a DELETE in a
  transaction that an erasure (Art. 17) marked with SET LOCAL registry.erasure = 'on'
  (registry.guards.allow_erasure_deletes).

No row changes.

Revision ID: 0012_hardening
Revises: 0009_imports
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_hardening"
down_revision: str | None = "0009_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # audit_event_append_only() (0002) raises for whatever TG_OP it is called with.
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            """
            CREATE FUNCTION amendment_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE'
                   AND current_setting('registry.erasure', true) = 'on' THEN
                    RETURN OLD;  -- an erasure removes the person's old and new values
                END IF;
                RAISE EXCEPTION 'amendment is append-only: % refused', TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER amendment_append_only BEFORE UPDATE OR DELETE ON amendment "
            "FOR EACH ROW EXECUTE FUNCTION amendment_append_only()"
        )
        op.execute(
            "CREATE TRIGGER amendment_no_truncate BEFORE TRUNCATE ON amendment "
            "FOR EACH STATEMENT EXECUTE FUNCTION amendment_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER amendment_no_update BEFORE UPDATE ON amendment "
            "BEGIN SELECT RAISE(ABORT, 'amendment is append-only: UPDATE refused'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER amendment_no_truncate ON amendment")
        op.execute("DROP TRIGGER amendment_append_only ON amendment")
        op.execute("DROP FUNCTION amendment_append_only()")
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
    else:
        op.execute("DROP TRIGGER amendment_no_update")
