"""A disclosure recorded by hand by segment applies the export's rules and records exactly the
persons checked; each disclosure keeps the fields it sent, and an Art. 19 follow-up names
only the recipients that received a changed field. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from registry import (
    amendments,
    consent,
    deadlines,
    disclosure_by_hand,
    disclosures,
    export,
    notifications,
)
from registry.disclosure_by_hand import DisclosureInput
from registry.errors import ValidationError
from registry.models import AuditEvent, DisclosedPerson, Disclosure, Person, Segment
from registry.vocabulary import ConsentSource, Purpose, Relationship, Role
from tests import factories
from tests.test_segments_export import add_person, choice_of, grant


@pytest.fixture
def opt_ins(session, actors):
    """Six marketing opt-ins: two listed for the newsletter, four left out for four reasons."""
    compliance = actors[Role.COMPLIANCE]
    listed = []
    for name in ("Aino", "Eino"):
        person = add_person(session, name, f"{name.lower()}@example.fi")
        grant(session, compliance, person, Purpose.NEWSLETTER)
        listed.append(person.id)
    wilma = add_person(session, "Wilma", "wilma@example.fi")
    grant(session, compliance, wilma, Purpose.NEWSLETTER)
    consent.record_consent(
        session, compliance, wilma.id, [Purpose.NEWSLETTER], "withdrawn", "email"
    )
    olli = add_person(session, "Olli", "olli@example.fi")
    grant(session, compliance, olli, Purpose.NEWSLETTER)
    consent.record_objection(session, compliance, olli.id, ConsentSource.LETTER, "letter")
    nella = add_person(session, "Nella", "nella@example.fi")  # never asked
    pekka = add_person(session, "Pekka", None)
    grant(session, compliance, pekka, Purpose.NEWSLETTER)
    segment = Segment(
        name="Opt-ins",
        definition=[
            {"field": "relationship", "op": "in", "value": [Relationship.MARKETING_OPT_IN.value]}
        ],
        owner_id=actors[Role.MARKETING].user_id,
    )
    mailer = factories.recipient(session, "Mailing Oy", delivers="mailing", commit=False)
    session.add(segment)
    session.commit()
    return {"listed": listed, "nella": nella, "segment": segment, "mailer": mailer}


def by_segment(recipient_id: int, segment_id: int, **change: object) -> DisclosureInput:
    values: dict[str, object] = {
        "recipient_id": recipient_id,
        "purpose": "Newsletter sent by the mailing house",
        "data_categories": ("basic",),
        "legal_basis": "",
        "persons": "",
        "disclosed_on": deadlines.today(),
        "segment_id": segment_id,
        "channel": "newsletter",
    }
    return DisclosureInput(**{**values, **change})  # type: ignore[arg-type]


def test_a_list_by_segment_leaves_out_as_the_export_does_and_records_those_checked(
    session, actors, opt_ins
):
    compliance = actors[Role.COMPLIANCE]
    data = by_segment(opt_ins["mailer"].id, opt_ins["segment"].id)
    shown = disclosure_by_hand.check_list(session, compliance, data)
    # The same counts as the export's preview of the same segment and channel.
    same = export.preview(
        session,
        actors[Role.MARKETING],
        opt_ins["segment"].definition,
        "newsletter",
        recipient_id=opt_ins["mailer"].id,
    )
    assert shown == same
    assert (shown.matched, shown.exported) == (6, 2)
    assert {r.value: n for r, n in shown.left_out.items() if n} == {
        "objected": 1,
        "withdrawn": 1,
        "never_granted": 1,
        "no_contact": 1,
    }
    made = disclosure_by_hand.record_disclosure(session, compliance, data, shown)
    rows = session.execute(
        select(DisclosedPerson.person_id, DisclosedPerson.basis).where(
            DisclosedPerson.disclosure_id == made.id
        )
    ).all()
    assert sorted(rows) == [(pid, "consent") for pid in sorted(opt_ins["listed"])]
    assert made.person_count == 2
    assert made.legal_basis == "Per person: consent, Art. 6(1)(a): 2"
    # Recorded by hand: every field of the categories chosen is kept as sent.
    assert "email" in (made.fields or []) and "phone" in (made.fields or [])
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "disclosure_recorded")
    ).one()
    assert "2 of 6 exported" in event.detail and "#" not in event.detail


def test_a_list_that_changed_since_its_check_is_not_recorded(session, actors, opt_ins):
    compliance = actors[Role.COMPLIANCE]
    data = by_segment(opt_ins["mailer"].id, opt_ins["segment"].id)
    shown = disclosure_by_hand.check_list(session, compliance, data)
    grant(session, compliance, opt_ins["nella"], Purpose.NEWSLETTER)
    with pytest.raises(ValidationError) as e:
        disclosure_by_hand.record_disclosure(session, compliance, data, shown)
    assert "changed since it was checked" in e.value.field_errors["persons"]
    assert session.scalar(select(func.count()).select_from(Disclosure)) == 0
    assert session.scalar(select(func.count()).select_from(DisclosedPerson)) == 0
    with pytest.raises(ValidationError) as e:
        disclosure_by_hand.record_disclosure(session, compliance, data)
    assert "Check the list" in e.value.field_errors["persons"]


@pytest.mark.parametrize(
    ("change", "field", "phrase"),
    [
        ({"channel": None}, "channel", "Choose the channel"),
        ({"disclosed_on": dt.date(2026, 1, 5)}, "disclosed_on", "by the ids"),
        ({"recipient": "dealer"}, "recipient", "independent controller"),
        ({"recipient": "printer"}, "recipient", "does not deliver"),
    ],
)
def test_a_list_by_segment_is_refused_as_an_export_would_be(
    session, actors, opt_ins, change, field, phrase
):
    compliance = actors[Role.COMPLIANCE]
    change = dict(change)  # the case's dict is shared by both engines' runs
    recipient = opt_ins["mailer"]
    match change.pop("recipient", None):
        case "dealer":
            recipient = factories.recipient(session, "Dealer AB", kind="dealer", role="controller")
        case "printer":
            recipient = factories.recipient(session, "Print Oy", delivers="print")
    data = by_segment(recipient.id, opt_ins["segment"].id, **change)
    with pytest.raises(ValidationError) as e:
        disclosure_by_hand.check_list(session, compliance, data)
    assert phrase in e.value.field_errors[field]


def test_ids_and_a_channel_do_not_go_together(session, actors, opt_ins):
    data = by_segment(opt_ins["mailer"].id, None, persons=str(opt_ins["listed"][0]))
    with pytest.raises(ValidationError) as e:
        disclosure_by_hand.record_disclosure(session, actors[Role.COMPLIANCE], data)
    assert "only to a list by segment" in e.value.field_errors["channel"]


# --- Art. 19: only the recipients of a changed field -------------------------------------


def amend(session, actor, person_id: int, **values: str) -> None:
    opened = amendments.opened_form(session.get(Person, person_id))
    amendments.amend_person(session, actor, opened, {**opened.values, **values}, "asked")


def test_a_rectification_is_told_only_to_recipients_of_the_changed_field(session, actors, opt_ins):
    compliance, marketing = actors[Role.COMPLIANCE], actors[Role.MARKETING]
    aino = opt_ins["listed"][0]
    definition = opt_ins["segment"].definition
    # A newsletter list (names, email, employer) to the mailing house ...
    export.export_target_list(
        session,
        marketing,
        choice_of(definition),
        "newsletter",
        opt_ins["mailer"].id,
        "March newsletter",
        io.StringIO(),
    )
    # ... a disclosure from before the fields were kept (read as every field) ...
    legacy = factories.recipient(session, "Old Archive Oy")
    old = disclosures.add_disclosure(
        session,
        compliance,
        legacy.id,
        "Archiving",
        ["basic"],
        "contract",
        [aino],
        disclosed_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
    )
    assert old.fields is None
    # ... and one that sent the app account only.
    app = factories.recipient(session, "App Push Oy")
    disclosures.add_disclosure(
        session,
        compliance,
        app.id,
        "App messages",
        ["service_user"],
        "contract",
        [aino],
        disclosed_at=dt.datetime(2026, 1, 3, tzinfo=dt.UTC),
        fields=["username"],
    )
    session.commit()
    amend(session, compliance, aino, phone="+358401234567")
    [phone_change] = notifications.follow_ups(session, compliance, aino)
    # Nobody received a phone number except, for all the registry knows, the old archive.
    assert [r.name for r in phone_change.recipients] == ["Old Archive Oy"]
    with pytest.raises(ValidationError) as e:
        notifications.mark_notified(session, compliance, phone_change.change_id, app.id)
    assert "did not receive a changed field" in e.value.field_errors["recipient"]
    amend(session, compliance, aino, email="aino.uusi@example.fi")
    email_change = notifications.follow_ups(session, compliance, aino)[0]
    assert [r.name for r in email_change.recipients] == ["Mailing Oy", "Old Archive Oy"]
    assert notifications.mark_notified(
        session, compliance, email_change.change_id, opt_ins["mailer"].id
    )
