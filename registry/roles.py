"""Two database roles on PostgreSQL: an owner that migrates, an application role that may not
alter the evidence (issue 18).

The owner (whoever runs `python -m registry migrate`) owns every table, trigger and function.
The dashboard and the nightly jobs connect as the application role, which may read and write
the registry's tables as the app needs, but only SELECT and INSERT the append-only ones.
Without ownership it cannot TRUNCATE, ALTER (so not DISABLE TRIGGER), DROP or create
anything; the two deletes the app must make there (an erasure's amendments, audit events
past the retention period) go through the owner's functions of migration 0018_roles, whose
triggers still decide what may go.

SQLite has no roles: the database is one file, and the operating system's permissions on
it (and its directory) decide who may change it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

from registry.errors import RegistryError, ValidationError

# The tables the code only ever inserts into and reads: the audit trail and the amendment
# history (guarded by triggers too, registry.guards), a breach's change history, and the
# erasure journal that a restore re-applies.
APPEND_ONLY_TABLES = frozenset({"audit_event", "amendment", "breach_change", "erasure_journal"})
# Read to check that the schema is current; written by migrations only.
READ_ONLY_TABLES = frozenset({"alembic_version"})
OWNER_FUNCTIONS = ("erase_person_amendments(bigint[])", "delete_expired_audit_events(bigint[])")
APP_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
APPEND_ONLY_PRIVILEGES = "SELECT, INSERT"

# A plain lower-case identifier: quoted anyway, but nothing a reader could misread.
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

SQLITE_HAS_NO_ROLES = (
    "SQLite has no database roles: the registry is one file, and the operating system's "
    "permissions on it and its directory decide who may change it."
)


@dataclass(frozen=True)
class RunningAs:
    role: str
    superuser: bool
    table_owner: str | None  # of alembic_version; None before the first migration

    def sentence(self) -> str:
        who = f"database role {self.role}" + (" (a superuser)" if self.superuser else "")
        if self.table_owner is None:
            return f"Running as {who}: a new schema, whose tables this role will own."
        if self.table_owner == self.role:
            return f"Running as {who}, the owner of the registry's tables."
        return f"Running as {who}; the registry's tables are owned by {self.table_owner}."

    @property
    def may_migrate(self) -> bool:
        return self.superuser or self.table_owner in (None, self.role)


def running_as(connection: Connection) -> RunningAs:
    row = connection.execute(
        text(
            "SELECT current_user, r.rolsuper, "
            "(SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename = 'alembic_version') "
            "FROM pg_roles r WHERE r.rolname = current_user"
        )
    ).one()
    return RunningAs(row[0], bool(row[1]), row[2])


def _quoted(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(name)


def grant_application_role(connection: Connection, app_role: str) -> list[str]:
    """Create the application role if missing and set its privileges to exactly what the app
    needs, on every table of the schema; idempotent. Returns the statements run."""
    if connection.dialect.name != "postgresql":
        raise RegistryError(SQLITE_HAS_NO_ROLES)
    if not _ROLE_NAME.match(app_role):
        raise ValidationError(
            {"app_role": "Use lower-case letters, digits and underscores, at most 63."}
        )
    me = running_as(connection)
    if app_role == me.role:
        raise ValidationError(
            {"app_role": f"{app_role} is the role running this: the application needs its own."}
        )
    if me.table_owner is None:
        raise RegistryError("The schema is not migrated yet: run `python -m registry migrate`.")
    found = connection.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :name"),
        {"name": app_role},
    ).first()
    if found is not None and (found[0] or found[1]):
        raise ValidationError(
            {"app_role": f"{app_role} is a superuser or bypasses row security: no grant binds it."}
        )
    if app_role == me.table_owner:
        raise ValidationError({"app_role": f"{app_role} owns the tables: use another role."})

    role = _quoted(connection, app_role)
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    database = connection.execute(text("SELECT current_database()")).scalar_one()
    tables = connection.scalars(
        text("SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY tablename"),
        {"schema": schema},
    ).all()
    in_schema = _quoted(connection, schema)
    statements = []
    if found is None:
        # LOGIN without a password: set one (ALTER ROLE ... PASSWORD) or use peer/cert auth.
        statements.append(f"CREATE ROLE {role} LOGIN")
    statements += [
        # Start from nothing, so a second run ends in the same state as the first.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {in_schema} FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {in_schema} FROM {role}",
        f"REVOKE ALL ON SCHEMA {in_schema} FROM {role}",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {_quoted(connection, database)} TO {role}",
        f"GRANT USAGE ON SCHEMA {in_schema} TO {role}",
    ]
    for table in tables:
        if table in READ_ONLY_TABLES:
            privileges = "SELECT"
        elif table in APPEND_ONLY_TABLES:
            privileges = APPEND_ONLY_PRIVILEGES
        else:
            privileges = APP_PRIVILEGES
        statements.append(
            f"GRANT {privileges} ON {in_schema}.{_quoted(connection, table)} TO {role}"
        )
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {in_schema} TO {role}")
    for function in OWNER_FUNCTIONS:
        # Again after a restore, which leaves out every grant and revoke (--no-acl).
        statements.append(f"REVOKE ALL ON FUNCTION {in_schema}.{function} FROM PUBLIC")
        statements.append(f"GRANT EXECUTE ON FUNCTION {in_schema}.{function} TO {role}")
    # PostgreSQL before 15 lets every role create in the public schema (for a role that does
    # not own the schema this only warns).
    statements.append(f"REVOKE CREATE ON SCHEMA {in_schema} FROM PUBLIC")
    for statement in statements:
        connection.execute(text(statement))
    return statements


def table_privileges(connection: Connection, role: str) -> dict[str, set[str]]:
    """The privileges `role` holds on each table of the schema (for the command and tests)."""
    rows = connection.execute(
        text(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = :role AND table_schema = current_schema()"
        ),
        {"role": role},
    ).all()
    held: dict[str, set[str]] = {}
    for table, privilege in rows:
        held.setdefault(table, set()).add(privilege)
    return held
