"""The Art. 15 access report: every record on the person, each Art. 15 item, and no leaks."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from registry import access, consent, disclosures
from registry.errors import ConflictError
from registry.models import (
    Activity,
    Amendment,
    AuditEvent,
    Base,
    DataSubjectRequest,
    Order,
    Organisation,
    Person,
    PersonMetrics,
    RecipientNotification,
    utcnow,
)
from registry.notice import declaration
from registry.requests import intake, request_view, rules, transitions
from registry.vocabulary import Role
from tests import factories

RECEIVED = dt.date(2026, 3, 5)
SECRET_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$not-a-real-hash-but-secret"

# Each table holding rows on a person, and the part of the report that must show them.
PERSON_TABLES = {
    "person": "person",
    "consent_event": "consent_history",
    "consent_state": "consent_now",
    "customer_order": "orders",
    "activity": "activities",
    "person_metrics": "profile",
    "data_subject_request": "requests",
    "amendment": "amendments",
    "disclosed_person": "disclosures",
}


def test_every_table_on_a_person_has_a_place_in_the_report():
    """A new table referring to person fails here until the report covers it."""
    referring = {"person"} | {
        table.name
        for table in Base.metadata.sorted_tables
        for column in table.columns
        for fk in column.foreign_keys
        if fk.column.table.name == "person"
    }
    assert referring == set(PERSON_TABLES)


@pytest.fixture
def rich(session, actors):
    """A person with rows in every table, a second person, and a verified access request."""
    actor = actors[Role.COMPLIANCE]
    org = Organisation(
        name="Turun Kone Oy",
        business_id="1234567-8",
        kind="customer",
        industry="Machinery",
        country="FI",
        city="Turku",
        customer_since=dt.date(2019, 4, 1),
    )
    session.add(org)
    session.flush()
    person = Person(
        first_name="<script>alert(1)</script>",
        last_name="Virtanen",
        email="maija.virtanen@turunkone.fi",
        phone="+358401234567",
        street_address="Linnankatu 3",
        postal_code="20100",
        city="Turku",
        country="FI",
        latitude=60.4518,
        longitude=22.2666,
        position="Purchasing manager",
        organisation_id=org.id,
        gender="female",
        username="maija.v",
        password_hash=SECRET_HASH,
        relationship="service_user",
        source="Click2Contract service information",
    )
    other = Person(
        first_name="Otto",
        last_name="Outsider",
        email="otto@elsewhere.example",
        relationship="customer_contact",
        source="Information provided by the customer",
        country="FI",
    )
    session.add_all([person, other])
    session.flush()
    pid = person.id
    session.add_all(
        [
            Order(
                person_id=pid,
                organisation_id=org.id,
                ordered_on=dt.date(2025, 6, 1),
                product="Contract Pro licence",
                amount_eur=Decimal("1490.00"),
                status="paid",
            ),
            Order(
                person_id=pid,
                organisation_id=org.id,
                ordered_on=dt.date(2026, 1, 15),
                product="Signature add-on",
                amount_eur=Decimal("240.50"),
                status="in_recovery",
            ),
            Order(
                person_id=other.id,
                ordered_on=dt.date(2025, 1, 1),
                product="Outsider product",
                amount_eur=Decimal("1"),
                status="paid",
            ),
            Activity(
                person_id=pid,
                kind="website_visit",
                occurred_at=dt.datetime(2026, 2, 1, 8, tzinfo=dt.UTC),
                detail="/pricing",
            ),
            Activity(
                person_id=pid,
                kind="app_use",
                occurred_at=dt.datetime(2026, 2, 2, 9, tzinfo=dt.UTC),
                detail="signed a contract",
                city="Turku",
            ),
            Activity(
                person_id=pid,
                kind="event_participation",
                occurred_at=dt.datetime(2026, 2, 3, 10, tzinfo=dt.UTC),
                detail="Contract Day 2026",
            ),
            PersonMetrics(
                person_id=pid,
                order_count=2,
                order_total_eur=Decimal("1730.50"),
                first_order_on=dt.date(2025, 6, 1),
                last_order_on=dt.date(2026, 1, 15),
            ),
        ]
    )
    eea = factories.recipient(
        session, "Nordic Dealer AB", kind="dealer", service="Reselling", country="SE", commit=False
    )
    us = factories.recipient(
        session,
        "CloudMail Inc.",
        service="Email delivery",
        country="US",
        transfer_mechanism="privacy_shield",
        commit=False,
    )
    disclosures.add_disclosure(
        session,
        actor,
        eea.id,
        "Dealer follow-up",
        ["basic"],
        "legitimate interests",
        [pid, other.id],
        disclosed_at=dt.datetime(2025, 9, 1, tzinfo=dt.UTC),
    )
    disclosures.add_disclosure(
        session,
        actor,
        us.id,
        "Newsletter delivery",
        ["basic", "transactions"],
        "consent",
        [pid],
        disclosed_at=dt.datetime(2025, 10, 1, tzinfo=dt.UTC),
    )
    amendment = Amendment(
        person_id=pid,
        field="phone",
        old_value="+358401111111",
        new_value="+358401234567",
        reason="Told by the person on the phone",
        amended_by=actor.user_id,
        amended_at=dt.datetime(2025, 11, 1, tzinfo=dt.UTC),
    )
    session.add(amendment)
    session.flush()
    session.add(
        RecipientNotification(
            amendment_id=amendment.id, recipient_id=eea.id, notified_by=actor.user_id
        )
    )
    session.commit()
    consent.record_consent(
        session, actor, pid, ["newsletter", "profiling"], "granted", "web_form", "Ticked box"
    )
    consent.record_consent(session, actor, pid, ["newsletter"], "withdrawn", "email")
    consent.record_consent(
        session, actor, other.id, ["newsletter"], "granted", "web_form", "other's box"
    )
    earlier = intake.log_request(
        session,
        actor,
        kind="rectification",
        channel="letter",
        received_on=dt.date(2025, 10, 20),
        requester_name="Maija Virtanen",
        requester_contact="Linnankatu 3, 20100 Turku",
        person_id=pid,
        today=RECEIVED,
    )
    r = intake.log_request(
        session,
        actor,
        kind="access",
        channel="email",
        received_on=RECEIVED,
        requester_name="Maija Virtanen",
        requester_contact="maija.virtanen@turunkone.fi",
        person_id=pid,
        today=RECEIVED,
    )
    transitions.verify_identity(session, actor, r.id, rules.IDENTITY_METHODS[0])
    return actor, person, other, r, earlier


def test_the_report_holds_every_record_on_the_person(session, rich):
    actor, _person, _other, r, earlier = rich
    report = access.generate(session, actor, r.id)
    assert report.holds_data and report.reference == f"DSR-{r.id:06d}"
    items = {i.label: i.value for i in report.person}
    assert items["First name"] == "<script>alert(1)</script>"
    assert items["Email address"] == "maija.virtanen@turunkone.fi"
    assert items["Location given by the app"] == "60.45180, 22.26660"
    assert items["Employer"] == "Turun Kone Oy"
    assert items["Username"] == "maija.v"
    assert items["Password"] == "stored as a one-way hash"
    assert items["How you are connected to us"] == "Click2Contract service users"
    assert {i.label: i.value for i in report.organisation}["Business ID"] == "1234567-8"
    assert [o.product for o in report.orders] == ["Contract Pro licence", "Signature add-on"]
    assert [a.detail for a in report.activities] == [
        "/pricing",
        "signed a contract",
        "Contract Day 2026",
    ]
    assert {i.label: i.value for i in report.profile}["Orders in total (EUR)"] == "1730.50"
    # Newest first; at the same moment the later-recorded event first (consent.history).
    assert [(c.purpose, c.status) for c in report.consent_history] == [
        ("newsletter", "withdrawn"),
        ("profiling", "granted"),
        ("newsletter", "granted"),
    ]
    assert report.consent_history[0].evidence == ""
    assert report.consent_history[1].evidence == "Ticked box"
    now = {c.purpose: c.status for c in report.consent_now}
    assert now["newsletter"] == "withdrawn" and now["profiling"] == "granted"
    assert now["post"] == "never_asked" and len(now) == 7
    assert [q.id for q in report.requests] == [earlier.id, r.id]
    assert [(a.field, a.old_value, a.new_value, a.recipients_told) for a in report.amendments] == [
        ("phone", "+358401111111", "+358401234567", ("Nordic Dealer AB",))
    ]
    assert [(d.recipient, d.outside_eea, d.safeguard) for d in report.disclosures] == [
        ("CloudMail Inc.", True, "privacy_shield"),
        ("Nordic Dealer AB", False, "not_needed"),
    ]
    # Nothing of the other person comes along.
    text = access.to_json(report)
    assert "Outsider" not in text and "otto@" not in text and "other's box" not in text


def test_the_report_gives_each_art_15_item(session, rich):
    actor, _person, _, r, _ = rich
    a = access.generate(session, actor, r.id).art15
    decl = declaration()
    assert a.purposes == tuple(p.text for p in decl.purposes)  # (a)
    held = {c.key: c.held for c in a.data_categories}  # (b)
    assert held == {
        "basic": True,
        "customer_relationship": True,
        "service_user": True,
        "transactions": True,
    }
    assert [(x.name, x.country, x.outside_eea) for x in a.recipients] == [  # (c)
        ("CloudMail Inc.", "US", True),
        ("Nordic Dealer AB", "SE", False),
    ]
    assert len(a.recipient_categories) == len(decl.recipient_categories)
    assert "retention period" in a.retention  # (d): the declaration states none
    assert [x.title for x in a.rights][:4] == [  # (e)
        "Rectification",
        "Erasure",
        "Restriction of processing",
        "Objection",
    ]
    assert "In writing to the controller" in a.how_to_exercise
    assert "Data Protection Ombudsman" in a.complaint and "tietosuoja.fi" in a.complaint  # (f)
    assert a.source_of_your_data == "Click2Contract service information"  # (g)
    assert a.regular_sources == decl.sources
    assert any("RFM bands" in text for text in a.profiling)  # (h): the logic
    assert a.your_profiling_status == "You have allowed profiling for targeted marketing."
    assert [(s.name, s.safeguard) for s in a.safeguards] == [  # Art. 15(2)
        ("CloudMail Inc.", "privacy_shield")
    ]
    assert a.declared_third_countries == ("US",)


def test_the_letter_and_json_render_everything_and_never_the_hash(session, rich):
    actor, _person, _, r, _ = rich
    report = access.generate(session, actor, r.id)
    letter = access.to_html(report)
    data = json.loads(access.to_json(report))
    for text in (letter, json.dumps(data)):
        assert SECRET_HASH not in text and "not-a-real-hash" not in text
        assert "stored as a one-way hash" in text
    assert "<script>alert(1)</script>" not in letter
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in letter
    for item in "abcdefgh":
        assert f"<h3>({item}) " in letter
    assert "(Art. 15(2))</h3>" in letter
    for expected in (
        "ACCESS REPORT",
        f"Our reference DSR-{r.id:06d}",
        "Your request 5.3.2026",
        "Contract Pro licence",
        "Signature add-on",
        "In recovery",
        "Event participation",
        "Nordic Dealer AB",
        "CloudMail Inc. (US, outside the EU/EEA): EU-US Privacy Shield",
        "Permission withdrawn",
        "+358401111111",
        "Turun Kone Oy",
        "Test compliance",
        "Jaakko Ranta",
    ):
        assert expected in letter, expected
    assert data["format"] == "click2contract-access-report/1"
    assert data["received_on"] == "2026-03-05"
    assert data["orders"][1]["amount_eur"] == "240.50"
    assert data["disclosures"][0]["outside_eea"] is True
    assert data["art15"]["safeguards"][0]["safeguard"] == "privacy_shield"


def test_generating_is_audited_and_recorded_on_the_request(session, rich):
    actor, person, _, r, _ = rich
    before = utcnow()
    access.generate(session, actor, r.id)
    session.expire_all()
    stored = session.get(DataSubjectRequest, r.id)
    assert stored.report_generated_at >= before
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "request_report")).one()
    assert (event.record_type, event.record_id, event.actor_name) == (
        "data_subject_request",
        str(r.id),
        "compliance-user",
    )
    assert event.detail.startswith(f"person {person.id}: ")
    view = request_view.detail(session, actor, r.id)
    assert view.history[-1].action_label == "Access report generated"


def test_no_report_before_the_requester_is_verified(session, actors):
    actor = actors[Role.COMPLIANCE]
    r = intake.log_request(
        session,
        actor,
        kind="access",
        channel="email",
        received_on=RECEIVED,
        requester_name="Someone",
        requester_contact="someone@example.fi",
        today=RECEIVED,
    )
    with pytest.raises(ConflictError, match="identity-verified"):
        access.generate(session, actor, r.id)
    session.expire_all()
    assert session.get(DataSubjectRequest, r.id).report_generated_at is None


def test_a_person_with_no_data_gets_a_report_that_says_so(session, actors):
    actor = actors[Role.COMPLIANCE]
    r = intake.log_request(
        session,
        actor,
        kind="access",
        channel="web_form",
        received_on=RECEIVED,
        requester_name="Nobody Known",
        requester_contact="nobody@example.fi",
        today=RECEIVED,
    )
    transitions.verify_identity(session, actor, r.id, rules.IDENTITY_METHODS[2])
    report = access.generate(session, actor, r.id)
    assert not report.holds_data and report.art15 is None
    assert "holds no personal data on you" in report.statement
    assert report.record_count == 0
    letter = access.to_html(report)
    assert "The registry holds no personal data on you." in letter
    assert "Data Protection Ombudsman" in letter
    data = json.loads(access.to_json(report))
    assert data["holds_data"] is False and data["orders"] == [] and data["person"] == []
    # The no-data answer completes the request like any other report.
    transitions.complete(session, actor, r.id, "No data held: told by email")


def test_a_person_with_only_a_person_row_sees_each_section_empty(session, actors):
    actor = actors[Role.COMPLIANCE]
    p = factories.person(
        session,
        "Aino",
        "Ainoa",
        relationship="marketing_opt_in",
        source="Information provided by the customer",
        country="FI",
    )
    r = intake.log_request(
        session,
        actor,
        kind="access",
        channel="letter",
        received_on=RECEIVED,
        requester_name="Aino Ainoa",
        requester_contact="Kauppakatu 1, 40100 Jyväskylä",
        person_id=p.id,
        today=RECEIVED,
    )
    transitions.verify_identity(session, actor, r.id, rules.IDENTITY_METHODS[1])
    report = access.generate(session, actor, r.id)
    assert report.holds_data
    assert {i.label: i.value for i in report.person}["Password"] == "none stored"
    assert report.orders == () and report.disclosures == () and report.organisation == ()
    letter = access.to_html(report)
    assert letter.count("None held.") == 7  # organisation, history, orders, ... disclosures
    assert "Your data has not been disclosed to any recipient." in letter
    assert "None of your data has been transferred outside the EU/EEA." in letter
    held = {c.key: c.held for c in report.art15.data_categories}
    assert held == {
        "basic": True,
        "customer_relationship": True,  # the access request itself
        "service_user": False,
        "transactions": False,
    }
