"""Reading everything the registry holds on one person, for the access report.

Each function reads one part in the caller's transaction and returns the report's typed
records (registry.report.contents); free text passes through the request's Redactor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.orm import Session

from registry import consent, recipients
from registry.derived_values import engaged, value_band
from registry.errors import ValidationError
from registry.filters import ENGAGEMENT, parse_definition
from registry.models import (
    Activity,
    Amendment,
    AuditEvent,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    Order,
    Person,
    PersonMetrics,
    Recipient,
    RecipientNotification,
    Segment,
    SentDocument,
)
from registry.permissions import Actor
from registry.report.contents import (
    ActivityRecord,
    AmendmentRecord,
    ConsentNow,
    ConsentRecord,
    Consultation,
    DisclosureRecord,
    DocumentSent,
    Field,
    NamedRecipient,
    OrderRecord,
    Profile,
    RequestRecord,
    SegmentMembership,
    Transfer,
)
from registry.report.declaration_text import DeclarationText
from registry.report.review import Redactor
from registry.segments.membership import members_query
from registry.transfers import in_eea
from registry.vocabulary import ConsentStatus, RequestStatus

# Audit actions that consult a person's record (CJEU C-579/21: dates and purposes), by
# the record they name. Writes are not consultations: the report shows what they wrote.
CONSULTATIONS_OF_PERSON = (
    "view_person",
    "view_consent_history",
    "view_person_disclosures",
    "access_report_generated",
)
CONSULTATIONS_OF_REQUEST = ("request_viewed", "request_report", "access_report_previewed")
CONSULTATIONS_OF_DISCLOSURE = ("disclosure_persons_viewed",)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def person_fields(p: Person, text: DeclarationText) -> tuple[Field, ...]:
    location = (
        f"{p.latitude:.5f}, {p.longitude:.5f}"
        if p.latitude is not None and p.longitude is not None
        else ""
    )
    return (
        Field("first_name", p.first_name),
        Field("last_name", p.last_name),
        Field("email", _text(p.email)),
        Field("phone", _text(p.phone)),
        Field("street_address", _text(p.street_address)),
        Field("postal_code", _text(p.postal_code)),
        Field("city", _text(p.city)),
        Field("country", p.country, "country"),
        Field("location", location),
        Field("position", _text(p.position)),
        Field("employer", p.organisation.name if p.organisation else ""),
        Field("gender", _text(p.gender), "gender"),
        Field("username", _text(p.username)),
        # Never the hash itself: only whether one is stored.
        Field("password", "stored" if p.password_hash else "none", "password"),
        Field("relationship", text.data_subjects.get(p.relationship, p.relationship)),
        Field("source", text.source(p.source)),
        Field("created_at", p.created_at, "moment"),
        Field("updated_at", p.updated_at, "moment"),
    )


def organisation_fields(p: Person) -> tuple[Field, ...]:
    o = p.organisation
    if o is None:
        return ()
    return (
        Field("name", o.name),
        Field("business_id", o.business_id),
        Field("kind", o.kind, "organisation_kind"),
        Field("industry", o.industry),
        Field("country", o.country, "country"),
        Field("city", o.city),
        Field("customer_since", o.customer_since, "date"),
        Field("customer_until", o.customer_until, "date"),
    )


def consent_records(
    session: Session, actor: Actor, person_id: int, redact: Redactor
) -> tuple[tuple[ConsentNow, ...], tuple[ConsentRecord, ...]]:
    now = consent.current_status(session, person_id)
    history = consent.history(session, actor, person_id)
    since: dict[str, dt.datetime] = {}
    for event in history:  # in precedence order: the first of each purpose is its status
        since.setdefault(event.purpose, event.occurred_at)
    return (
        tuple(
            ConsentNow(p, s, since.get(p) if s != ConsentStatus.NEVER_ASKED else None)
            for p, s in now.items()
        ),
        tuple(
            ConsentRecord(
                e.id,
                e.occurred_at,
                e.purpose,
                e.status,
                e.source,
                redact("consent_event", e.id, "evidence", _text(e.evidence)),
            )
            for e in history
        ),
    )


def orders(session: Session, person_id: int) -> tuple[OrderRecord, ...]:
    return tuple(
        OrderRecord(o.ordered_on, o.product, o.amount_eur, o.status)
        for o in session.scalars(
            select(Order).where(Order.person_id == person_id).order_by(Order.ordered_on, Order.id)
        )
    )


def activities(session: Session, person_id: int, redact: Redactor) -> tuple[ActivityRecord, ...]:
    return tuple(
        ActivityRecord(
            a.id,
            a.occurred_at,
            a.kind,
            redact("activity", a.id, "detail", _text(a.detail)),
            _text(a.city),
        )
        for a in session.scalars(
            select(Activity)
            .where(Activity.person_id == person_id)
            .order_by(Activity.occurred_at, Activity.id)
        )
    )


def requests_of(session: Session, person_id: int, redact: Redactor) -> tuple[RequestRecord, ...]:
    """The person's requests with their outcomes and dates, and the letters sent on them."""
    rows = list(
        session.scalars(
            select(DataSubjectRequest)
            .where(DataSubjectRequest.person_id == person_id)
            .order_by(DataSubjectRequest.received_on, DataSubjectRequest.id)
        )
    )
    sent: dict[int, list[DocumentSent]] = {}
    if rows:
        for request_id, kind, at in session.execute(
            select(SentDocument.request_id, SentDocument.kind, SentDocument.created_at)
            .where(SentDocument.request_id.in_([r.id for r in rows]))
            .order_by(SentDocument.created_at, SentDocument.id)
        ):
            sent.setdefault(request_id, []).append(DocumentSent(kind, at))
    return tuple(
        RequestRecord(
            r.id,
            r.kind,
            r.channel,
            r.received_on,
            r.due_on,
            r.extended_at is not None,
            r.status,
            r.closed_at,
            redact("data_subject_request", r.id, "details", _text(r.details)),
            redact("data_subject_request", r.id, "outcome", _text(r.outcome))
            if r.status in (RequestStatus.COMPLETED, RequestStatus.REJECTED)
            else "",
            tuple(sent.get(r.id, ())),
        )
        for r in rows
    )


def amendments_of(
    session: Session, person_id: int, redact: Redactor
) -> tuple[AmendmentRecord, ...]:
    told: dict[int, list[str]] = {}
    for amendment_id, name in session.execute(
        select(RecipientNotification.amendment_id, Recipient.name)
        .join(Recipient, Recipient.id == RecipientNotification.recipient_id)
        .join(Amendment, Amendment.id == RecipientNotification.amendment_id)
        .where(Amendment.person_id == person_id)
        .order_by(Recipient.name)
    ):
        told.setdefault(amendment_id, []).append(name)
    return tuple(
        AmendmentRecord(
            a.id,
            a.amended_at,
            a.field,
            _text(a.old_value),
            _text(a.new_value),
            redact("amendment", a.id, "reason", a.reason),
            tuple(told.get(a.id, ())),
        )
        for a in session.scalars(
            select(Amendment)
            .where(Amendment.person_id == person_id)
            .order_by(Amendment.amended_at, Amendment.id)
        )
    )


def disclosures_of(session: Session, person_id: int) -> tuple[DisclosureRecord, ...]:
    """Every disclosure of the person's data, newest first, with the basis it relied on."""
    query = (
        select(Disclosure, Recipient.name, Recipient.country)
        .join(DisclosedPerson, DisclosedPerson.disclosure_id == Disclosure.id)
        .join(Recipient, Recipient.id == Disclosure.recipient_id)
        .where(DisclosedPerson.person_id == person_id)
        .order_by(Disclosure.disclosed_at.desc(), Disclosure.id.desc())
    )
    return tuple(
        DisclosureRecord(
            d.disclosed_at,
            name,
            country,
            not in_eea(country),
            d.transfer_mechanism,
            d.agreement_date,
            d.basis_from_register,
            d.purpose,
            tuple(d.data_categories),
        )
        for d, name, country in session.execute(query).unique()
    )


def named_recipients(
    session: Session, person_id: int, disclosed: tuple[DisclosureRecord, ...]
) -> tuple[NamedRecipient, ...]:
    """Every recipient whose scope covers the person, and every one in its disclosures."""
    by_name: dict[str, Recipient] = {
        r.name: r for r in recipients.recipients_covering(session, person_id)
    }
    covering = set(by_name)
    if names := {d.recipient for d in disclosed} - covering:
        for r in session.scalars(select(Recipient).where(Recipient.name.in_(names))):
            by_name[r.name] = r
    named = []
    for name in sorted(by_name):
        r = by_name[name]
        categories, relationships = (
            recipients.scope_matches(session, r, person_id) if name in covering else ((), ())
        )
        named.append(
            NamedRecipient(
                name=r.name,
                role=r.role,
                country=r.country,
                outside_eea=not in_eea(r.country),
                active=r.active,
                scope=r.scope if name in covering else None,
                scope_matches=categories,
                relationship_matches=relationships,
                transfer_mechanism=r.transfer_mechanism,
                agreement_date=r.agreement_date,
                disclosed_on=tuple(
                    sorted(d.disclosed_at for d in disclosed if d.recipient == name)
                ),
            )
        )
    return tuple(named)


def transfers_of(
    named: tuple[NamedRecipient, ...], disclosed: tuple[DisclosureRecord, ...]
) -> tuple[Transfer, ...]:
    """Art. 15(2), from the same facts as (c): third-country recipients holding the data
    by their scope (on today's basis), and each disclosure to one (on the basis then)."""
    held = [
        Transfer(r.name, r.country, r.transfer_mechanism, r.agreement_date, False, None)
        for r in named
        if r.outside_eea and r.scope is not None
    ]
    sent = [
        Transfer(
            d.recipient,
            d.country,
            d.transfer_mechanism,
            d.agreement_date,
            d.basis_from_register,
            d.disclosed_at,
        )
        for d in sorted(disclosed, key=lambda d: d.disclosed_at)
        if d.outside_eea
    ]
    return tuple(held + sent)


def consultations_of(session: Session, person_id: int) -> tuple[Consultation, ...]:
    """When the person's record was consulted and why, from the audit trail (C-579/21)."""
    requests = select(cast(DataSubjectRequest.id, String)).where(
        DataSubjectRequest.person_id == person_id
    )
    disclosures = select(cast(DisclosedPerson.disclosure_id, String)).where(
        DisclosedPerson.person_id == person_id
    )
    query = (
        select(AuditEvent.at, AuditEvent.action)
        .where(
            or_(
                and_(
                    AuditEvent.record_type == "person",
                    AuditEvent.record_id == str(person_id),
                    AuditEvent.action.in_(CONSULTATIONS_OF_PERSON),
                ),
                and_(
                    AuditEvent.record_type == "data_subject_request",
                    AuditEvent.record_id.in_(requests),
                    AuditEvent.action.in_(CONSULTATIONS_OF_REQUEST),
                ),
                and_(
                    AuditEvent.record_type == "disclosure",
                    AuditEvent.record_id.in_(disclosures),
                    AuditEvent.action.in_(CONSULTATIONS_OF_DISCLOSURE),
                ),
            )
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return tuple(Consultation(at, action) for at, action in session.execute(query))


def profile_of(session: Session, person_id: int, today: dt.date) -> Profile:
    """person_metrics as stored, and the groups exactly as the segments compute them."""
    m = session.get(PersonMetrics, person_id)
    figures: tuple[Field, ...] = ()
    if m is not None:
        figures = (
            Field("order_count", m.order_count, "number"),
            Field("order_total_eur", m.order_total_eur, "money"),
            Field("first_order_on", m.first_order_on, "date"),
            Field("last_order_on", m.last_order_on, "date"),
            Field("last_website_visit_at", m.last_website_visit_at, "moment"),
            Field("last_newsletter_open_at", m.last_newsletter_open_at, "moment"),
            Field("last_event_at", m.last_event_at, "moment"),
            Field("last_app_use_at", m.last_app_use_at, "moment"),
            Field("refreshed_at", m.refreshed_at, "moment"),
        )
    # The segments' own expressions over the same outer join, so the report says what
    # the segment builder and exports would place the person in today.
    band, *flags = session.execute(
        select(value_band(today), *(engaged(k, today) for k in ENGAGEMENT))
        .select_from(Person)
        .outerjoin(PersonMetrics, PersonMetrics.person_id == Person.id)
        .where(Person.id == person_id)
    ).one()
    return Profile(
        figures=figures,
        value_band=band,
        engagement=tuple(k for k, on in zip(ENGAGEMENT, flags, strict=True) if on),
        segments=_segments_of(session, person_id, today),
    )


def _segments_of(session: Session, person_id: int, today: dt.date) -> tuple[SegmentMembership, ...]:
    found = []
    for segment in session.scalars(select(Segment).order_by(Segment.name)).unique():
        try:
            definition = parse_definition(segment.definition)
        except ValidationError:
            continue  # a definition that cannot be read selects no one
        member: Any = session.scalar(
            members_query(definition, today, Person.id).where(Person.id == person_id).limit(1)
        )
        if member is not None:
            found.append(SegmentMembership(segment.name, definition.profiling))
    return tuple(found)


def held_categories(
    person: Person, *, orders: int, consent: int, requests: int, activities: int
) -> set[str]:
    """Which of the notice's categories the records on the person fall in."""
    held = {"basic"}
    if person.organisation_id or orders or consent or requests:
        held.add("customer_relationship")
    if person.username or person.password_hash or person.latitude is not None:
        held.add("service_user")
    if activities:
        held.add("transactions")
    return held
