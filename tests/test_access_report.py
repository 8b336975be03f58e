"""The Art. 15 access report: every record on the person, each Art. 15 item, every recipient
whose scope covers the person, and no leaks."""

import dataclasses
import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from registry import consent, disclosures, report
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
    Recipient,
    RecipientNotification,
    Segment,
    SentDocument,
    utcnow,
)
from registry.notice import declaration
from registry.report import build as report_build
from registry.report.contents import AccessReport
from registry.requests import intake, request_view, rules, transitions
from registry.vocabulary import Purpose, Role
from tests import factories

RECEIVED = dt.date(2026, 3, 5)
SECRET_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$not-a-real-hash-but-secret"

# Each table holding rows on a person (directly, or through a row that is the person's),
# and the part of the report that must show them.
PERSON_TABLES = {
    "person": "person",
    "consent_event": "consent_history",
    "consent_state": "consent_now",
    "customer_order": "orders",
    "activity": "activities",
    "person_metrics": "profile",
    "data_subject_request": "requests",
    "request_transition": "requests",  # the outcomes and dates of each request
    "sent_document": "requests",  # the letters sent on each request
    "report_redaction": "redactions",
    "amendment": "amendments",
    "recipient_notification": "amendments",  # the recipients told of each correction
    "disclosed_person": "disclosures",
    "restriction": "restrictions",
    "restriction_notification": "restrictions",  # the recipients told of each restriction
}


def test_every_table_on_a_person_has_a_place_in_the_report():
    """A new table referring to a person, or to a person's rows, fails here until the
    report covers it."""
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    found = {"person"}
    while True:
        more = {
            name
            for name, table in tables.items()
            for column in table.columns
            for fk in column.foreign_keys
            if fk.column.table.name in found and name not in found
        }
        if not more:
            break
        found |= more
    assert found == set(PERSON_TABLES)
    sections = {f.name for f in dataclasses.fields(AccessReport)}
    assert set(PERSON_TABLES.values()) <= sections


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
        reply_language="en",
    )
    transitions.verify_identity(session, actor, r.id, rules.IDENTITY_METHODS[0])
    # Recipients that hold data by their scope, named in no disclosure row.
    session.add_all(
        [
            Recipient(
                name="CloudHost Inc.",
                kind="processor",
                service="Application hosting",
                country="US",
                transfer_mechanism="dpf",
                agreement_date=dt.date(2023, 9, 1),
                scope="all_persons",
            ),
            Recipient(
                name="Rhein Analytics GmbH",
                kind="processor",
                service="Website analytics",
                country="DE",
                transfer_mechanism="not_needed",
                scope="categories",
                scope_categories=["website_visit"],
            ),
            Recipient(
                name="Event Partner Oy",
                kind="subcontractor",
                service="Events",
                country="FI",
                transfer_mechanism="not_needed",
                scope="categories",
                scope_categories=["newsletter_open"],
            ),
        ]
    )
    # The register's basis changes after the disclosure: the report keeps the one then.
    us.transfer_mechanism = "scc_2021"
    session.commit()
    return actor, person, other, r, earlier


def fields(parts):
    return {f.key: f.value for f in parts}


def test_the_report_holds_every_record_on_the_person(session, rich):
    actor, _person, _other, r, earlier = rich
    made = report.generate(session, actor, r.id)
    rep = made.report
    assert rep.holds_data and rep.reference == f"DSR-{r.id:06d}" and rep.final
    items = fields(rep.person)
    assert items["first_name"] == "<script>alert(1)</script>"
    assert items["email"] == "maija.virtanen@turunkone.fi"
    assert items["location"] == "60.45180, 22.26660"
    assert items["employer"] == "Turun Kone Oy"
    assert items["username"] == "maija.v"
    assert items["password"] == "stored"
    assert items["relationship"] == "Click2Contract service users"
    assert items["source"] == "Click2Contract service information"
    assert fields(rep.organisation)["business_id"] == "1234567-8"
    assert [o.product for o in rep.orders] == ["Contract Pro licence", "Signature add-on"]
    assert [a.detail for a in rep.activities] == [
        "/pricing",
        "signed a contract",
        "Contract Day 2026",
    ]
    assert fields(rep.profile.figures)["order_total_eur"] == Decimal("1730.50")
    # Newest first; at the same moment the later-recorded event first (consent.history).
    assert [(c.purpose, c.status) for c in rep.consent_history] == [
        ("newsletter", "withdrawn"),
        ("profiling", "granted"),
        ("newsletter", "granted"),
    ]
    assert rep.consent_history[0].evidence == ""
    assert rep.consent_history[1].evidence == "Ticked box"
    now = {c.purpose: c.status for c in rep.consent_now}
    assert now["newsletter"] == "withdrawn" and now["profiling"] == "granted"
    assert now["post"] == "never_asked" and len(now) == len(Purpose)
    assert [q.id for q in rep.requests] == [earlier.id, r.id]
    assert [(a.field, a.old_value, a.new_value, a.recipients_told) for a in rep.amendments] == [
        ("phone", "+358401111111", "+358401234567", ("Nordic Dealer AB",))
    ]
    # The basis each disclosure relied on when made, not the register's value of today.
    assert [(d.recipient, d.outside_eea, d.transfer_mechanism) for d in rep.disclosures] == [
        ("CloudMail Inc.", True, "privacy_shield"),
        ("Nordic Dealer AB", False, "not_needed"),
    ]
    # Nothing of the other person comes along.
    text = report.to_json(rep)
    assert "Outsider" not in text and "otto@" not in text and "other's box" not in text


def test_every_recipient_holding_the_data_is_named_with_the_transfers(session, rich):
    actor, _person, _, r, _ = rich
    rep = report.generate(session, actor, r.id).report
    named = {x.name: x for x in rep.recipients}
    # By scope (all persons; website visits) and by disclosure rows; not the newsletter one.
    assert sorted(named) == [
        "CloudHost Inc.",
        "CloudMail Inc.",
        "Nordic Dealer AB",
        "Rhein Analytics GmbH",
    ]
    assert (named["CloudHost Inc."].scope, named["CloudHost Inc."].disclosed_on) == (
        "all_persons",
        (),
    )
    assert named["Rhein Analytics GmbH"].scope_matches == ("website_visit",)
    assert named["CloudMail Inc."].scope is None and len(named["CloudMail Inc."].disclosed_on) == 1
    assert named["Nordic Dealer AB"].role == "controller"
    # Art. 15(2) from the same facts: the hosting held in the US, and the disclosure then.
    assert [(t.recipient, t.transfer_mechanism, t.disclosed_at is None) for t in rep.transfers] == [
        ("CloudHost Inc.", "dpf", True),
        ("CloudMail Inc.", "privacy_shield", False),
    ]


def test_a_person_with_no_disclosure_rows_sees_every_all_persons_processor(session, actors):
    """Processors are recipients (Art. 4(9)); hosting in the US is a transfer (Art. 15(2))."""
    actor = actors[Role.COMPLIANCE]
    session.add_all(
        [
            Recipient(
                name="CloudHost Inc.",
                kind="processor",
                service="Application hosting",
                country="US",
                transfer_mechanism="dpf",
                scope="all_persons",
            ),
            Recipient(
                name="Polder Hosting B.V.",
                kind="processor",
                service="Backup hosting",
                country="NL",
                transfer_mechanism="not_needed",
                scope="all_persons",
            ),
            Recipient(
                name="Fjord Kontrakt AS",
                kind="dealer",
                service="Reseller",
                country="NO",
                transfer_mechanism="not_needed",
            ),
        ]
    )
    p = Person(
        first_name="Aino",
        last_name="Ainoa",
        relationship="marketing_opt_in",
        source="Information provided by the customer",
        country="FI",
    )
    session.add(p)
    session.commit()
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
        reply_language="en",
    )
    transitions.verify_identity(session, actor, r.id, rules.IDENTITY_METHODS[1])
    made = report.generate(session, actor, r.id)
    assert made.report.disclosures == ()
    assert [x.name for x in made.report.recipients] == ["CloudHost Inc.", "Polder Hosting B.V."]
    assert [(t.recipient, t.country) for t in made.report.transfers] == [("CloudHost Inc.", "US")]
    assert "Your data is not held by, and has not been disclosed to" not in made.html
    assert "None of your data is held or has been transferred outside" not in made.html
    assert "CloudHost Inc. (United States) holds your data: EU-US Data Privacy Framework" in (
        made.html
    )
    assert "Polder Hosting B.V." in made.html and "Fjord Kontrakt AS" not in made.html


def test_the_report_gives_each_art_15_item(session, rich):
    actor, _person, _, r, _ = rich
    a = report.generate(session, actor, r.id).report.art15
    decl = declaration()
    assert a.purposes == tuple(p.text for p in decl.purposes)  # (a)
    held = {c.key: c.held for c in a.data_categories}  # (b)
    assert held == {
        "basic": True,
        "customer_relationship": True,
        "service_user": True,
        "transactions": True,
    }
    assert len(a.recipient_categories) == len(decl.recipient_categories)  # (c)
    # (d): each rule of the schedule with its concrete period.
    assert "Website visits recorded for a person: 14 months after the visit." in a.retention
    assert len(a.retention) == len(decl.retention.rules)
    assert "In writing to the controller" in a.how_to_exercise  # (e)
    assert a.supervisory_authority.email == "tietosuoja@om.fi"  # (f)
    assert a.supervisory_authority.postal_address == ("PL 800", "00531 Helsinki")
    assert a.source_of_your_data == "Click2Contract service information"  # (g)
    assert a.regular_sources == decl.sources
    assert any("RFM bands" in text for text in a.profiling)  # (h): the logic
    assert a.profiling_status == "granted"
    assert a.declared_third_countries == ("US",)


def test_the_letter_and_json_render_everything_and_never_the_hash(session, rich):
    actor, _person, _, r, _ = rich
    made = report.generate(session, actor, r.id)
    letter, data = made.html, json.loads(made.json)
    for text in (letter, json.dumps(data)):
        assert SECRET_HASH not in text and "not-a-real-hash" not in text
    assert "stored as a one-way hash" in letter and data["person"][13]["value"] == "stored"
    assert "<script>alert(1)</script>" not in letter
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in letter
    for item in "abcdefgh":
        assert f"<h3>({item}) " in letter
    assert "<h3>Transfers outside the EU/EEA (Article 15(2))</h3>" in letter
    for expected in (
        "ACCESS REPORT",
        f"Our reference DSR-{r.id:06d}",
        "Your request of 5 Mar 2026",
        "Contract Pro licence",
        "Signature add-on",
        "In recovery",
        "Event participation",
        "Nordic Dealer AB",
        "CloudMail Inc. (United States) received your data on 1 Oct 2025: EU-US Privacy Shield",
        "Permission withdrawn",
        "+358401111111",
        "Turun Kone Oy",
        "Female",
        "Test compliance",
        "Jaakko Ranta",
        "Data Protection Ombudsman",
        "tietosuoja@om.fi",
        "€1,730.50",
    ):
        assert expected in letter, expected
    # A postal address block: the person's address, never an email address in it.
    block = letter.split('<address class="recipient">')[1].split("</address>")[0]
    assert block == "Maija Virtanen<br>Linnankatu 3<br>20100 Turku"
    assert "Sent by email to maija.virtanen@turunkone.fi" in letter
    assert data["format"] == "click2contract-access-report/2"
    assert data["language"] == "en"
    assert data["received_on"] == "2026-03-05"
    assert data["orders"][1]["amount_eur"] == "240.50"
    assert data["disclosures"][0]["outside_eea"] is True
    assert data["disclosures"][0]["transfer_mechanism"] == "privacy_shield"
    assert data["transfers"][0]["recipient"] == "CloudHost Inc."


def test_generating_is_audited_recorded_and_stored(session, rich):
    actor, person, _, r, _ = rich
    before = utcnow()
    made = report.generate(session, actor, r.id)
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
    assert event.detail.endswith(f"stored copy #{made.document_id}")
    document = session.get(SentDocument, made.document_id)
    assert (document.html, document.json, document.kind) == (made.html, made.json, "access_report")
    assert document.html_sha256 == hashlib.sha256(made.html.encode()).hexdigest()
    assert document.json_sha256 == hashlib.sha256(made.json.encode()).hexdigest()
    view = request_view.detail(session, actor, r.id)
    assert view.history[-1].action_label == "Access report generated"


def test_a_draft_is_audited_but_never_stored(session, rich):
    actor, _person, _, r, _ = rich
    draft = report.preview(session, actor, r.id)
    assert not draft.report.final and draft.document_id is None
    assert "DRAFT – not sent" in draft.html
    assert session.scalar(select(func.count()).select_from(SentDocument)) == 0
    assert session.get(DataSubjectRequest, r.id).report_generated_at is None
    [event] = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "access_report_previewed")
    ).all()
    assert event.record_id == str(r.id)
    # The draft is a consultation of the person's record: the final report lists it.
    final = report.generate(session, actor, r.id).report
    assert [c.purpose for c in final.consultations] == ["access_report_previewed"]


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
        report.generate(session, actor, r.id)
    with pytest.raises(ConflictError, match="identity-verified"):
        report.preview(session, actor, r.id)
    session.expire_all()
    assert session.get(DataSubjectRequest, r.id).report_generated_at is None
    assert session.scalar(select(func.count()).select_from(SentDocument)) == 0


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
        reply_language="en",
    )
    transitions.verify_identity(session, actor, r.id, rules.IDENTITY_METHODS[2])
    made = report.generate(session, actor, r.id)
    rep = made.report
    assert not rep.holds_data and rep.art15 is None
    assert rep.record_count == 0
    assert "The registry holds no personal data on you." in made.html
    assert "Data Protection Ombudsman" in made.html
    data = json.loads(made.json)
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
        reply_language="en",
    )
    transitions.verify_identity(session, actor, r.id, rules.IDENTITY_METHODS[1])
    made = report.generate(session, actor, r.id)
    rep = made.report
    assert rep.holds_data
    assert fields(rep.person)["password"] == "none"
    assert rep.orders == () and rep.disclosures == () and rep.organisation == ()
    assert made.html.count("None held.") == 6  # organisation, history, orders, ... disclosures
    assert "Your data is not held by, and has not been disclosed to, any recipient." in made.html
    assert "None of your data is held or has been transferred outside the EU/EEA." in made.html
    # No postal address on the person: the requester's written one, line by line.
    block = made.html.split('<address class="recipient">')[1].split("</address>")[0]
    assert block == "Aino Ainoa<br>Kauppakatu 1<br>40100 Jyväskylä"
    held = {c.key: c.held for c in rep.art15.data_categories}
    assert held == {
        "basic": True,
        "customer_relationship": True,  # the access request itself
        "service_user": False,
        "transactions": False,
    }


def test_derived_data_and_segment_memberships_are_reported(session, rich):
    actor, _person, _, r, _ = rich
    session.add(
        Segment(
            name="Machinery buyers",
            definition=[{"field": "industry", "op": "in", "value": ["Machinery"]}],
            owner_id=actor.user_id,
        )
    )
    session.add(
        Segment(
            name="Big spenders",
            definition=[{"field": "order_total_eur", "op": "gte", "value": 100000}],
            owner_id=actor.user_id,
        )
    )
    session.commit()
    profile = report.generate(session, actor, r.id).report.profile
    assert [(s.name, s.profiling) for s in profile.segments] == [("Machinery buyers", False)]
    assert profile.value_band in {"new", "champions", "loyal", "occasional", "at_risk", "lapsed"}
    assert isinstance(profile.engagement, tuple)


def test_the_command_line_report_for_a_person(session, rich):
    actor, person, _, _, _ = rich
    made = report.generate_for_person(session, actor, person.id, "sv")
    assert made.report.reference == f"PERSON-{person.id:06d}" and made.report.language == "sv"
    assert "REGISTERUTDRAG" in made.html
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "access_report_generated")
    ).one()
    assert (event.record_type, event.record_id) == ("person", str(person.id))
    again = report_build.build_for_person(session, actor, person.id, utcnow(), "en")[0]
    assert [c.purpose for c in again.consultations] == ["access_report_generated"]
