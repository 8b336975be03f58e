"""Audit without names (issue 14): the audit trail outlives an erasure, so no write path may
put a data subject's name, email or phone in an audit detail; it names persons by id."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from registry import amendments, consent, erasure, export, notifications, persons
from registry.imports import informing
from registry.models import AuditEvent
from registry.report import sending
from registry.requests import intake, rules, transitions
from registry.vocabulary import Channel, ConsentSource, Purpose, Role
from tests import factories
from tests.test_segments_export import choice_of, recipient

NAME = ("Hilkka", "Nimetön")
EMAIL = "hilkka.nimeton@yritys.example.fi"
NEW_EMAIL = "hilkka.uusi@yritys.example.fi"
PHONE = "+358409998887"
TODAY = dt.date(2026, 3, 10)


def test_no_write_path_names_a_person_in_an_audit_detail(session, actors):
    officer, marketing = actors[Role.COMPLIANCE], actors[Role.MARKETING]
    person = factories.person(
        session, *NAME, email=EMAIL, phone=PHONE, position="auditless", source="test"
    )
    pid = person.id
    # Consent, the person page, an export to a recipient, a rectification and its Art. 19.
    consent.record_consent(
        session, officer, pid, [Purpose.NEWSLETTER], "granted", ConsentSource.EMAIL, "form"
    )
    persons.person_detail(session, officer, pid)
    mailer = recipient(session)
    export.export_target_list(
        session,
        marketing,
        choice_of([{"field": "position", "op": "in", "value": ["auditless"]}]),
        Channel.NEWSLETTER,
        mailer.id,
        "News",
        io.StringIO(),
    )
    session.expire_all()
    opened = amendments.opened_form(session.get(type(person), pid))
    amendments.amend_person(session, officer, opened, {"email": NEW_EMAIL}, "Asked by email")
    for change in notifications.follow_ups(session, officer, pid):
        for r in change.recipients:
            notifications.mark_notified(session, officer, change.change_id, r.recipient_id)
    informing.record_informed(session, officer, pid)
    sending.generate_for_person(session, officer, pid, "fi")
    # A request by the person, through its whole workflow, ending in the erasure.
    request = intake.log_request(
        session,
        officer,
        kind="erasure",
        channel="email",
        received_on=TODAY,
        requester_name=" ".join(NAME),
        requester_contact=NEW_EMAIL,
        today=TODAY,
    )
    transitions.match_person(session, officer, request.id, pid)
    transitions.verify_identity(session, officer, request.id, rules.IDENTITY_METHODS[0])
    transitions.assign(session, officer, request.id, officer.user_id)
    erasure.erase_for_request(session, officer, request.id, ["objected"], "Erased as asked")

    needles = [*NAME, " ".join(NAME), EMAIL, NEW_EMAIL, PHONE, PHONE[4:]]
    details = session.scalars(select(AuditEvent.detail)).all()
    assert len(details) >= 12
    named = [d for d in details for n in needles if n.lower() in d.lower()]
    assert named == []


def test_the_migration_takes_the_names_out_of_existing_audit_details(backend, database_factory):
    """Revision 0010 rewrites 'First Last (person N)' to 'person N', and keeps the trail
    append-only afterwards."""
    import pytest
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from registry import db

    engine = db.make_engine(database_factory(backend))
    try:
        config = db._alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0009_imports")
        at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        with engine.begin() as c:
            for i, (action, detail) in enumerate(
                [("request_match", "Hilkka Nimetön (person 7)"), ("sign_in", "kept as is")]
            ):
                c.execute(
                    text(
                        "INSERT INTO audit_event (id, at, actor_name, action, detail) "
                        "VALUES (:id, :at, 'officer', :action, :detail)"
                    ),
                    {"id": i + 1, "at": at, "action": action, "detail": detail},
                )
        db.migrate(engine)
        with engine.connect() as c:
            details = c.execute(text("SELECT detail FROM audit_event ORDER BY id")).scalars().all()
        assert details == ["person 7", "kept as is"]
        with pytest.raises(DBAPIError), engine.begin() as c:
            c.execute(text("UPDATE audit_event SET detail = 'x'"))
    finally:
        engine.dispose()
