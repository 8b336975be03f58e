"""The database's own guards of the append-only tables, and whether they are all in place.

The audit trail (audit_event) and the rectification history (amendment, Art. 16 keeps the old
value) are evidence: the application only ever inserts into them. Triggers refuse the rest
(migrations 0002 and 0012_hardening): on PostgreSQL UPDATE and DELETE per row and TRUNCATE per
statement; on SQLite, which has no TRUNCATE, UPDATE and DELETE. A table owner can still drop
or disable a trigger; `missing_guards` finds that, so the Audit page and the command line can
say so instead of trusting a trail that may have been emptied.

The exceptions: an erasure (Art. 17) must remove the person's old and new values from the
amendment history, and the retention schedule deletes audit events past their period. On
PostgreSQL both go through functions that run as the tables' owner (migration 0018_roles),
so the application role needs no DELETE privilege on either table (registry.roles); the
triggers still refuse what the erasure setting or the period does not allow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.orm import Session

from registry.models import Amendment, AuditEvent

# The PostgreSQL setting an erasure sets for its transaction (SET LOCAL) to delete amendments.
ERASURE_SETTING = "registry.erasure"


@dataclass(frozen=True)
class Guard:
    table: str
    trigger: str
    refuses: str  # what it refuses, in words


POSTGRESQL_GUARDS = (
    Guard("audit_event", "audit_event_append_only", "UPDATE and DELETE of audit events"),
    Guard("audit_event", "audit_event_no_truncate", "TRUNCATE of the audit trail"),
    Guard("amendment", "amendment_append_only", "UPDATE and DELETE of amendments"),
    Guard("amendment", "amendment_no_truncate", "TRUNCATE of the amendment history"),
)
SQLITE_GUARDS = (
    Guard("audit_event", "audit_event_no_update", "UPDATE of audit events"),
    Guard("audit_event", "audit_event_no_delete", "DELETE of audit events"),
    Guard("amendment", "amendment_no_update", "UPDATE of amendments"),
)


def expected_guards(dialect: str) -> tuple[Guard, ...]:
    return POSTGRESQL_GUARDS if dialect == "postgresql" else SQLITE_GUARDS


def missing_guards(connection: Connection) -> list[str]:
    """Each expected guard that is absent or disabled, as a sentence; empty when all hold."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # tgenabled: O (fires normally), A (always), R (replica only), D (disabled).
        rows = connection.execute(
            text(
                "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
            )
        ).all()
        state = {(table, name): enabled for table, name, enabled in rows}
    else:
        rows = connection.execute(
            text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        state = {(table, name): "O" for table, name in rows}
    problems = []
    for guard in expected_guards(dialect):
        enabled = state.get((guard.table, guard.trigger))
        if enabled is None:
            problems.append(
                f"The trigger {guard.trigger} on {guard.table} is missing: nothing stops "
                f"{guard.refuses}."
            )
        elif enabled in ("D", "R"):
            problems.append(
                f"The trigger {guard.trigger} on {guard.table} is disabled: nothing stops "
                f"{guard.refuses}."
            )
    return problems


def allow_erasure_deletes(session: Session) -> None:
    """Let this transaction delete amendments, as an erasure must (Art. 17); on SQLite the
    amendment history has no DELETE guard, so nothing is needed."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL {ERASURE_SETTING} = 'on'"))


def erase_person_amendments(target: Session | Connection, person_ids: Sequence[int]) -> int:
    """Delete the persons' amendments for an erasure (Art. 17); the number deleted."""
    bind = target.get_bind() if isinstance(target, Session) else target
    if bind.dialect.name == "postgresql":
        # Runs as the table owner and sets the erasure setting for itself (0018_roles).
        statement = text("SELECT erase_person_amendments(:ids)").bindparams(
            bindparam("ids", type_=ARRAY(BIGINT))
        )
        return int(target.execute(statement, {"ids": list(person_ids)}).scalar_one())
    result = target.execute(delete(Amendment).where(Amendment.person_id.in_(person_ids)))
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


def delete_audit_events(session: Session, ids: Sequence[int]) -> int:
    """Delete audit events by id for the retention schedule; the append-only trigger still
    refuses any event younger than the schedule's audit period (0014_retention)."""
    if session.get_bind().dialect.name == "postgresql":
        statement = text("SELECT delete_expired_audit_events(:ids)").bindparams(
            bindparam("ids", type_=ARRAY(BIGINT))
        )
        return int(session.execute(statement, {"ids": list(ids)}).scalar_one())
    result = session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids)))
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
