"""two database roles and sign-in throttling (issue 18)

- sign_in_throttle: failed sign-ins counted per typed username and per client address, each
  with the time before which that key's next attempt is refused unchecked (registry.throttle);
  it replaces the hard lock-out of app_user.locked_until, which anyone could trigger;
- on PostgreSQL, the two deletes the application must make in an append-only table go
  through functions that run as the table owner (SECURITY DEFINER), so the application role
  needs no DELETE privilege there (registry.roles):
  erase_person_amendments(persons) removes the persons' amendments for an erasure (Art. 17,
  the guard of 0012 still asks for the erasure setting, which the function sets for itself);
  delete_expired_audit_events(ids) removes audit events, and the guard of 0014 still refuses
  every one younger than the retention schedule's audit period.
  EXECUTE is revoked from PUBLIC: `python -m registry roles` grants it to the application role.

Revision ID: 0018_roles
Revises: 0017_sign_in_session
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_roles"
down_revision: str | None = "0017_sign_in_session"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SET search_path FROM CURRENT: a SECURITY DEFINER function must not resolve table names
# through a search path its caller chose.
_ERASE_AMENDMENTS = """
CREATE FUNCTION erase_person_amendments(p_person_ids bigint[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    n integer;
BEGIN
    PERFORM set_config('registry.erasure', 'on', true);
    DELETE FROM amendment WHERE person_id = ANY(p_person_ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM set_config('registry.erasure', 'off', true);
    RETURN n;
END;
$$
"""
_DELETE_EXPIRED_AUDIT = """
CREATE FUNCTION delete_expired_audit_events(p_ids bigint[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM audit_event WHERE id = ANY(p_ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$
"""
FUNCTIONS = ("erase_person_amendments(bigint[])", "delete_expired_audit_events(bigint[])")


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wait_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_sign_in_throttle")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_ERASE_AMENDMENTS)
        op.execute(_DELETE_EXPIRED_AUDIT)
        for signature in FUNCTIONS:
            op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for signature in FUNCTIONS:
            op.execute(f"DROP FUNCTION {signature}")
    op.drop_table("sign_in_throttle")
