"""Objections that take effect (Art. 21), requests from any channel (Art. 12(2)), no override of
an objection, data portability (Art. 20) and the consistency findings, on SQLite and
PostgreSQL; and the property that no export ever holds a restricted or objecting person."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import uuid

import openpyxl
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from registry import consent, export, notice, portability, restrictions, rights_consistency
from registry.errors import ConflictError, ValidationError
from registry.models import (
    AuditEvent,
    ConsentEvent,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    Restriction,
)
from registry.notice import DeclarationError
from registry.requests import intake, transitions
from registry.vocabulary import (
    Channel,
    ConsentSource,
    ConsentStatus,
    Purpose,
    RequestKind,
    RequestStatus,
    RestrictionGround,
    Role,
)
from tests import factories
from tests.test_segments_export import choice_of, exported_rows, recipient

TODAY = dt.date(2026, 3, 10)
OPT_INS = [{"field": "relationship", "op": "in", "value": ["marketing_opt_in"]}]


def opt_in(session, first: str = "Aino"):  # type: ignore[no-untyped-def]
    return factories.person(
        session,
        first,
        "Virtanen",
        relationship="marketing_opt_in",
        email=f"{first.lower()}@example.fi",
        phone="+358401234567",
    )


def log(session, actor, kind, person_id=None, channel="phone"):  # type: ignore[no-untyped-def]
    return intake.log_request(
        session,
        actor,
        kind=kind,
        channel=channel,
        received_on=TODAY,
        requester_name="Aino Virtanen",
        requester_contact="+358 40 123 4567" if channel == "phone" else "aino@example.fi",
        details="No more marketing, please.",
        person_id=person_id,
        today=TODAY,
    )


def statuses(session, person_id):  # type: ignore[no-untyped-def]
    return set(consent.current_status(session, person_id).values())


# --- objection at once (Art. 21(3)) and any channel (Art. 12(2)) -------------------------


@pytest.mark.parametrize("channel", ["phone", "in_person", "letter"])
def test_an_objection_logged_for_a_person_takes_effect_at_once(session, actors, channel):
    compliance = actors[Role.COMPLIANCE]
    person = opt_in(session)
    consent.record_consent(
        session, compliance, person.id, list(Purpose), "granted", ConsentSource.WEB_FORM, "form"
    )
    request = log(session, compliance, RequestKind.OBJECTION, person.id, channel)
    # Logged, not verified, yet the person objects for every purpose already.
    assert request.status == RequestStatus.RECEIVED and request.objection_recorded_at
    assert statuses(session, person.id) == {ConsentStatus.OBJECTED}
    evidence = set(
        session.scalars(select(ConsentEvent.evidence).where(ConsentEvent.status == "objected"))
    )
    assert len(evidence) == 1 and f"request #{request.id}" in evidence.pop()
    sources = set(
        session.scalars(select(ConsentEvent.source).where(ConsentEvent.status == "objected"))
    )
    assert sources == {channel}
    assert (
        export.preview(session, actors[Role.MARKETING], OPT_INS, Channel.NEWSLETTER).exported == 0
    )


def test_an_unmatched_objection_takes_effect_when_matched_and_once(session, actors):
    compliance = actors[Role.COMPLIANCE]
    person = opt_in(session)
    request = log(session, compliance, RequestKind.OBJECTION)
    assert session.scalar(select(func.count()).select_from(ConsentEvent)) == 0
    transitions.match_person(session, compliance, request.id, person.id)
    assert statuses(session, person.id) == {ConsentStatus.OBJECTED}
    transitions.verify_identity(session, compliance, request.id, "Strong electronic identification")
    transitions.complete(session, compliance, request.id, "Objection recorded")
    assert session.scalar(select(func.count()).select_from(ConsentEvent)) == len(Purpose)


def test_a_failed_log_records_no_objection(session, actors):
    person = opt_in(session)
    with pytest.raises(ValidationError):
        intake.log_request(
            session,
            actors[Role.COMPLIANCE],
            kind=RequestKind.OBJECTION,
            channel="phone",
            received_on=TODAY,
            requester_name="",
            requester_contact="x",
            person_id=person.id,
            today=TODAY,
        )
    assert session.scalar(select(func.count()).select_from(ConsentEvent)) == 0


def test_an_art_21_1_objection_restricts_while_pending_and_objects_when_upheld(session, actors):
    compliance = actors[Role.COMPLIANCE]
    person = opt_in(session)
    request = log(session, compliance, RequestKind.OBJECTION_SITUATION, person.id, "email")
    held = session.scalars(select(Restriction)).one()
    assert (held.ground, held.request_id) == (RestrictionGround.OBJECTION_PENDING, request.id)
    assert request.objection_recorded_at is None
    transitions.verify_identity(session, compliance, request.id, "Strong electronic identification")
    transitions.complete(session, compliance, request.id, "Objection upheld")
    assert statuses(session, person.id) == {ConsentStatus.OBJECTED}


def test_the_declaration_may_say_not_to_restrict_while_an_objection_is_decided(
    session, actors, monkeypatch
):
    relaxed = dataclasses.replace(notice.declaration(), restrict_while_objection_pending=False)
    monkeypatch.setattr(notice, "declaration", lambda: relaxed)
    person = opt_in(session)
    log(session, actors[Role.COMPLIANCE], RequestKind.OBJECTION_SITUATION, person.id, "email")
    assert session.scalar(select(func.count()).select_from(Restriction)) == 0


def test_the_objections_setting_is_validated_naming_the_bad_key():
    import tomllib

    data = tomllib.loads(notice.settings.DECLARATION_PATH.read_text(encoding="utf-8"))
    assert notice.parse(data).restrict_while_objection_pending is True
    data["objections"] = {"restrict_while_pending": "yes"}
    with pytest.raises(DeclarationError, match=r"objections\.restrict_while_pending: expected"):
        notice.parse(data)
    data["objections"] = {"restrict_while_pendin": True}
    with pytest.raises(DeclarationError, match=r"objections\.restrict_while_pendin: unknown"):
        notice.parse(data)


# --- no override of an objection (Art. 21(3)) ---------------------------------------------


@pytest.fixture
def objected(session, actors):  # type: ignore[no-untyped-def]
    person = opt_in(session)
    consent.record_objection(session, actors[Role.MARKETING], person.id, ConsentSource.PHONE)
    return person


def grant(session, actor, person, source=ConsentSource.LETTER, evidence="signed", override=False):  # type: ignore[no-untyped-def]
    return consent.record_consent(
        session,
        actor,
        person.id,
        [Purpose.NEWSLETTER],
        "granted",
        source,
        evidence,
        override_objection=override,
    )


@pytest.mark.parametrize(
    ("role", "source", "evidence", "override", "field", "message"),
    [
        (Role.MARKETING, ConsentSource.LETTER, "signed", True, "status", "Only the compliance"),
        (
            Role.COMPLIANCE,
            ConsentSource.PHONE,
            "noted",
            True,
            "source",
            "must come from the person",
        ),
        (
            Role.COMPLIANCE,
            ConsentSource.EVENT,
            "noted",
            True,
            "source",
            "must come from the person",
        ),
        (Role.COMPLIANCE, ConsentSource.LETTER, "", True, "evidence", "needs evidence"),
        (Role.COMPLIANCE, ConsentSource.LETTER, "signed", False, "override_objection", "Confirm"),
    ],
)
def test_a_grant_after_an_objection_is_refused_unless_every_condition_holds(
    session, actors, objected, role, source, evidence, override, field, message
):
    with pytest.raises(ValidationError) as e:
        grant(session, actors[role], objected, source, evidence, override)
    assert message in e.value.field_errors[field]
    assert statuses(session, objected.id) == {ConsentStatus.OBJECTED}


def test_the_compliance_officer_records_the_persons_own_new_grant(session, actors, objected):
    grant(session, actors[Role.COMPLIANCE], objected, ConsentSource.EMAIL, "email of 3 May", True)
    assert consent.current_status(session, objected.id)[Purpose.NEWSLETTER] == "granted"
    detail = session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "consent_granted")
    ).one()
    assert "overrides an objection" in detail


def test_a_person_who_never_objected_is_granted_as_before(session, actors):
    person = opt_in(session)
    grant(session, actors[Role.MARKETING], person, ConsentSource.PHONE, "call note")
    assert consent.current_status(session, person.id)[Purpose.NEWSLETTER] == "granted"


# --- data portability (Art. 20) --------------------------------------------------------


def test_portable_data_is_the_persons_own_as_json_and_csv(session, actors):
    compliance = actors[Role.COMPLIANCE]
    person = opt_in(session)
    person.password_hash = "$argon2id$secret"
    person.username = "=aino"
    session.commit()
    consent.record_consent(
        session, compliance, person.id, [Purpose.EVENTS], "granted", ConsentSource.WEB_FORM, "box"
    )
    request = factories.request_row(
        session, RequestKind.PORTABILITY, person_id=person.id, status=RequestStatus.VERIFIED
    )
    with pytest.raises(ValidationError, match="Generate the person's data"):
        transitions.complete(session, compliance, request.id, "Sent")
    made = portability.generate(session, compliance, request.id)
    document = json.loads(made.json)
    assert document["person"]["email"] == "aino@example.fi"
    assert "password_hash" not in document["person"] and "$argon2id" not in made.json
    assert [e["purpose"] for e in document["direct_marketing"]] == ["events"]
    rows = list(csv.DictReader(io.StringIO(made.csv)))
    assert len(rows) == made.records
    assert {"record": "person", "number": "1", "field": "username", "value": "'=aino"} in rows
    sheet = openpyxl.load_workbook(io.BytesIO(made.xlsx)).active
    table = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert len(table) == made.records and ["person", 1, "username", "'=aino"] in table
    assert session.get(DataSubjectRequest, request.id).data_exported_at is not None
    assert "request_portable_data" in set(session.scalars(select(AuditEvent.action)))
    transitions.complete(session, compliance, request.id, "Sent by email")


def test_portable_data_only_for_a_verified_portability_request(session, actors):
    compliance = actors[Role.COMPLIANCE]
    person = opt_in(session)
    access = factories.request_row(
        session, RequestKind.ACCESS, person_id=person.id, status=RequestStatus.VERIFIED
    )
    with pytest.raises(ConflictError):
        portability.generate(session, compliance, access.id)
    received = factories.request_row(session, RequestKind.PORTABILITY, person_id=person.id)
    with pytest.raises(ConflictError, match="identity-verified"):
        portability.generate(session, compliance, received.id)


# --- consistency findings ------------------------------------------------------------------


def test_the_consistency_findings_name_each_contradiction(session, actors):
    compliance = actors[Role.COMPLIANCE]
    assert rights_consistency.findings(session, compliance) == []
    aino, eino = opt_in(session, "Aino"), opt_in(session, "Eino")
    # Completed as the records say, yet nothing happened (as an old import or seed left it).
    objection = factories.request_row(
        session, RequestKind.OBJECTION, person_id=aino.id, status=RequestStatus.COMPLETED
    )
    restriction_request = factories.request_row(
        session, RequestKind.RESTRICTION, person_id=eino.id, status=RequestStatus.COMPLETED
    )
    restrictions.add_restriction(session, compliance, aino.id, RestrictionGround.UNLAWFUL, "x")
    session.commit()
    # A disclosure written around the registry's guard (a restore of older data, say).
    to = recipient(session)
    d = Disclosure(
        recipient_id=to.id,
        disclosed_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1),
        purpose="x",
        data_categories=["basic"],
        legal_basis="consent",
    )
    session.add(d)
    session.flush()
    session.add(DisclosedPerson(disclosure_id=d.id, person_id=aino.id))
    session.commit()
    found = {(f.rule, f.record_id) for f in rights_consistency.findings(session, compliance)}
    assert found == {
        ("objection_not_recorded", objection.id),
        ("restriction_not_applied", restriction_request.id),
        ("disclosed_while_restricted", d.id),
    }
    texts = " ".join(f.text for f in rights_consistency.findings(session, compliance))
    assert "Virtanen" not in texts and "@" not in texts


# --- the property ---------------------------------------------------------------------------

steps = st.lists(
    st.tuples(
        st.integers(0, 2),  # which person
        st.sampled_from(["grant", "withdraw", "object", "restrict", "lift", "object_request"]),
    ),
    min_size=1,
    max_size=10,
)


@hypothesis_settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps)
def test_no_export_ever_holds_a_restricted_or_objecting_person(session, actors, steps):
    compliance, marketing = actors[Role.COMPLIANCE], actors[Role.MARKETING]
    # Each example adds persons of its own; earlier examples' persons stay, and export too.
    people = [opt_in(session, f"P{uuid.uuid4().hex[:10]}") for _ in range(3)]
    for who, action in steps:
        person = people[who]
        try:
            if action == "grant":
                consent.record_consent(
                    session,
                    compliance,
                    person.id,
                    [Purpose.NEWSLETTER],
                    "granted",
                    ConsentSource.EMAIL,
                    "email",
                    override_objection=True,
                )
            elif action == "withdraw":
                consent.record_consent(
                    session, marketing, person.id, [Purpose.NEWSLETTER], "withdrawn", "email"
                )
            elif action == "object":
                consent.record_objection(session, marketing, person.id, ConsentSource.PHONE)
            elif action == "object_request":
                log(session, compliance, RequestKind.OBJECTION, person.id)
            elif action == "restrict":
                restrictions.add_restriction(
                    session, compliance, person.id, RestrictionGround.UNLAWFUL, "asked"
                )
                session.commit()
            else:
                restrictions.lift(
                    session, compliance, person.id, "checked", dt.date.today(), "Letter"
                )
        except ValidationError:
            session.rollback()  # lifting a person who is not restricted
    out = io.StringIO()
    export.export_target_list(
        session, marketing, choice_of(OPT_INS), Channel.NEWSLETTER, recipient(session).id, "N", out
    )
    exported = {r["email"] for r in exported_rows(out)}
    for person in people:
        restricted = restrictions.current(session, compliance, person.id) is not None
        newsletter = consent.current_status(session, person.id)[Purpose.NEWSLETTER]
        if restricted or newsletter != ConsentStatus.GRANTED:
            assert person.email not in exported
        else:
            assert person.email in exported


def test_a_request_by_phone_or_in_person_reads_in_the_access_report(session, actors):
    from registry import report

    compliance = actors[Role.COMPLIANCE]
    person = opt_in(session)
    log(session, compliance, RequestKind.PORTABILITY, person.id, "in_person")
    made = report.generate_for_person(session, compliance, person.id, "fi")
    assert "Henkilökohtaisesti" in made.html and "tietojen siirrettävyys" in made.html
