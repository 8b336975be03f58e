"""The audit trail and the amendment history are append-only in the database itself: the
application (or anyone with its connection) cannot change, delete or empty them, and a guard
that is missing or disabled is found and shown on the Audit page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from registry import audit, guards
from registry.models import Amendment, AuditEvent
from registry.vocabulary import Role
from tests import factories


@pytest.fixture
def trail(session, actors):  # type: ignore[no-untyped-def]
    person = factories.person(session)
    audit.record(session, actors[Role.COMPLIANCE], "view_person", "person", person.id)
    session.add(
        Amendment(
            person_id=person.id,
            field="city",
            old_value="Turku",
            new_value="Espoo",
            reason="moved",
            amended_by=actors[Role.COMPLIANCE].user_id,
        )
    )
    session.commit()
    return person


def _refused(engine, statement: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as c:
        c.execute(text(statement))


def test_all_guards_are_in_place_after_migrating(engine):
    with engine.connect() as c:
        assert guards.missing_guards(c) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET detail = 'changed'",
        "DELETE FROM audit_event",
        "UPDATE amendment SET old_value = 'Helsinki'",
    ],
)
def test_rows_cannot_be_changed_or_removed(statement, engine, session, trail):
    _refused(engine, statement)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
    assert session.scalar(select(Amendment.old_value)) == "Turku"


@pytest.mark.parametrize(
    "statement",
    ["TRUNCATE audit_event", "TRUNCATE amendment CASCADE", "DELETE FROM amendment"],
)
def test_postgresql_refuses_truncate_and_amendment_deletes(
    statement, backend, engine, session, trail
):
    if backend != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its amendment history has no DELETE guard")
    _refused(engine, statement)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
    assert session.scalar(select(func.count()).select_from(Amendment)) == 1


def test_an_erasure_may_delete_the_persons_amendments(engine, session, trail):
    guards.allow_erasure_deletes(session)
    session.execute(Amendment.__table__.delete().where(Amendment.person_id == trail.id))
    session.commit()
    assert session.scalar(select(func.count()).select_from(Amendment)) == 0
    # The permission was for that transaction only.
    if engine.dialect.name == "postgresql":
        session.add(
            Amendment(
                person_id=trail.id,
                field="city",
                old_value="a",
                new_value="b",
                reason="r",
                amended_by=session.scalar(select(AuditEvent.actor_id)),
            )
        )
        session.commit()
        _refused(engine, "DELETE FROM amendment")


def _removal(backend: str) -> tuple[str, str]:
    """A statement that takes away the amendment UPDATE guard, and the one that restores it."""
    if backend == "postgresql":
        return (
            "ALTER TABLE amendment DISABLE TRIGGER amendment_append_only",
            "ALTER TABLE amendment ENABLE TRIGGER amendment_append_only",
        )
    return (
        "DROP TRIGGER amendment_no_update",
        "CREATE TRIGGER amendment_no_update BEFORE UPDATE ON amendment "
        "BEGIN SELECT RAISE(ABORT, 'amendment is append-only: UPDATE refused'); END",
    )


def test_a_removed_guard_is_found(backend, engine):
    remove, _ = _removal(backend)
    with engine.connect() as c, c.begin() as t:
        c.execute(text(remove))
        found = guards.missing_guards(c)
        t.rollback()
    if backend == "postgresql":
        expected = "amendment_append_only on amendment is disabled: nothing stops UPDATE and DELETE"
    else:
        expected = "amendment_no_update on amendment is missing: nothing stops UPDATE"
    assert found == [f"The trigger {expected} of amendments."]


def test_the_audit_page_warns_of_a_removed_guard(backend, database_url, engine, actors, app_test):
    at = app_test(database_url, actors[Role.COMPLIANCE], "pages/audit.py")
    assert not at.exception and not at.error
    remove, restore = _removal(backend)
    with engine.begin() as c:
        c.execute(text(remove))
    try:
        at.run()
        assert not at.exception, at.exception
        assert any("amendment" in e.value and "may be altered" in e.value for e in at.error)
    finally:
        with engine.begin() as c:
            c.execute(text(restore))
