"""A data subject's data in one place: finding a person by name, email, phone or username
(shared by several pages), the person's data as the notice groups it (the person page), and
the person's consent with its whole history (the consent page's lookup)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from registry import audit, consent, settings
from registry.amendments import OpenedForm, opened_form
from registry.errors import NotFound
from registry.models import (
    Activity,
    AppUser,
    ConsentState,
    DataSubjectRequest,
    Order,
    Person,
)
from registry.permissions import Actor, Permission, require, require_any
from registry.restricted import restricted_among
from registry.vocabulary import ConsentStatus, Purpose

# Anyone whose work needs to find a person: consent, requests, amendments.
_MAY_SEARCH = (Permission.VIEW_CONSENT, Permission.VIEW_PERSON, Permission.HANDLE_REQUESTS)


@dataclass(frozen=True)
class PersonMatch:
    id: int
    name: str
    email: str | None
    username: str | None
    organisation: str | None
    city: str | None
    relationship: str
    restricted: bool = False  # processing restricted (Art. 18): marked wherever shown

    @property
    def label(self) -> str:
        """One line to show in a picker: enough to tell namesakes apart."""
        parts = [self.name, self.email or self.username or "", self.organisation or self.city]
        if self.restricted:
            parts.append("RESTRICTED (Art. 18)")
        return " · ".join(p for p in parts if p)


def person_match(p: Person, restricted: bool = False) -> PersonMatch:
    return PersonMatch(
        p.id,
        f"{p.first_name} {p.last_name}",
        p.email,
        p.username,
        p.organisation.name if p.organisation else None,
        p.city,
        p.relationship,
        restricted,
    )


def _starts_with(text: str) -> str:
    # Escaped so that % and _ typed by a user are matched literally.
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def _prefix(column, text: str):  # type: ignore[no-untyped-def]
    return func.lower(column).like(_starts_with(text), escape="\\")


def search(
    session: Session, actor: Actor, text: str, limit: int = settings.SEARCH_RESULTS
) -> list[PersonMatch]:
    """Persons whose email, phone, username, first or last name starts with the text.

    Two words match first and last name in either order. Prefix matching uses the
    lower(...) indexes, so it stays fast at a million persons.
    """
    require_any(actor, *_MAY_SEARCH)
    text = " ".join(text.split()).lower()[: settings.MAX_SHORT_TEXT]
    if len(text) < 2:
        return []
    words = text.split(" ")
    if "@" in text:
        condition = _prefix(Person.email, text)
    elif text.lstrip("+").replace(" ", "").isdigit():
        digits = "".join(ch for ch in text if ch.isdigit())
        condition = or_(
            Person.phone.like(f"+{digits}%"), Person.phone.like(f"+358{digits.lstrip('0')}%")
        )
    elif len(words) >= 2:
        first, last = words[0], " ".join(words[1:])
        condition = or_(
            and_(_prefix(Person.first_name, first), _prefix(Person.last_name, last)),
            and_(_prefix(Person.first_name, last), _prefix(Person.last_name, words[0])),
        )
    else:
        condition = or_(
            _prefix(Person.last_name, text),
            _prefix(Person.first_name, text),
            _prefix(Person.email, text),
            # Usernames are stored lower-case; the plain column keeps its pattern index.
            Person.username.like(_starts_with(text), escape="\\"),
        )
    persons = list(
        session.scalars(
            select(Person)
            .where(condition)
            .order_by(Person.last_name, Person.first_name, Person.id)
            .limit(limit)
        ).unique()
    )
    held = restricted_among(session, (p.id for p in persons))
    return [person_match(p, p.id in held) for p in persons]


# --- the person's data, grouped as the notice groups it (the person page) ---


@dataclass(frozen=True)
class OrganisationInfo:
    id: int
    name: str
    business_id: str
    kind: str
    industry: str
    country: str
    city: str
    customer_since: dt.date | None
    customer_until: dt.date | None


@dataclass(frozen=True)
class OrderSummary:
    count: int
    total_eur: Decimal
    first_on: dt.date | None
    last_on: dt.date | None
    in_recovery: int


@dataclass(frozen=True)
class OrderRow:
    ordered_on: dt.date
    product: str
    amount_eur: Decimal
    status: str


@dataclass(frozen=True)
class ActivityRow:
    occurred_at: dt.datetime
    kind: str
    detail: str | None
    city: str | None


@dataclass(frozen=True)
class RequestRow:
    id: int
    kind: str
    status: str
    received_on: dt.date
    due_on: dt.date


@dataclass(frozen=True)
class PersonDetail:
    """Everything the person page shows of one person; never the password hash."""

    id: int
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    street_address: str | None
    postal_code: str | None
    city: str | None
    country: str
    position: str | None
    gender: str | None
    username: str | None
    has_password: bool
    latitude: float | None
    longitude: float | None
    relationship: str
    source: str
    created_at: dt.datetime
    updated_at: dt.datetime
    organisation: OrganisationInfo | None
    orders: OrderSummary
    recent_orders: list[OrderRow]
    consent: dict[Purpose, ConsentStatus]
    activity_counts: dict[str, int]
    recent_activities: list[ActivityRow]
    requests: list[RequestRow]
    form: OpenedForm
    restricted: bool = False  # processing restricted now (Art. 18)
    erased_at: dt.datetime | None = None  # erased (Art. 17): only legally held rows remain

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def person_detail(
    session: Session, actor: Actor, person_id: int, *, record_view: bool = True
) -> PersonDetail:
    """One person's data for the person page; `record_view` audits the viewing.

    The page audits once per selection of a person, not on every rerun.
    """
    require(actor, Permission.VIEW_PERSON)
    person = session.get(Person, person_id, populate_existing=True)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    org = person.organisation
    n, total, first, last, in_recovery = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Order.amount_eur), 0),
            func.min(Order.ordered_on),
            func.max(Order.ordered_on),
            func.count().filter(Order.status == "in_recovery"),
        ).where(Order.person_id == person_id)
    ).one()
    recent_orders = session.execute(
        select(Order.ordered_on, Order.product, Order.amount_eur, Order.status)
        .where(Order.person_id == person_id)
        .order_by(Order.ordered_on.desc(), Order.id.desc())
        .limit(settings.PERSON_RECENT_ROWS)
    ).all()
    activity_counts = session.execute(
        select(Activity.kind, func.count())
        .where(Activity.person_id == person_id)
        .group_by(Activity.kind)
        .order_by(Activity.kind)
    ).all()
    recent_activities = session.execute(
        select(Activity.occurred_at, Activity.kind, Activity.detail, Activity.city)
        .where(Activity.person_id == person_id)
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
        .limit(settings.PERSON_RECENT_ROWS)
    ).all()
    requests = session.execute(
        select(
            DataSubjectRequest.id,
            DataSubjectRequest.kind,
            DataSubjectRequest.status,
            DataSubjectRequest.received_on,
            DataSubjectRequest.due_on,
        )
        .where(DataSubjectRequest.person_id == person_id)
        .order_by(DataSubjectRequest.received_on.desc(), DataSubjectRequest.id.desc())
        .limit(settings.PERSON_RECENT_ROWS)
    ).all()
    detail = PersonDetail(
        id=person.id,
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        phone=person.phone,
        street_address=person.street_address,
        postal_code=person.postal_code,
        city=person.city,
        country=person.country,
        position=person.position,
        gender=person.gender,
        username=person.username,
        has_password=bool(person.password_hash),
        latitude=person.latitude,
        longitude=person.longitude,
        relationship=person.relationship,
        source=person.source,
        created_at=person.created_at,
        updated_at=person.updated_at,
        organisation=None
        if org is None
        else OrganisationInfo(
            org.id,
            org.name,
            org.business_id,
            org.kind,
            org.industry,
            org.country,
            org.city,
            org.customer_since,
            org.customer_until,
        ),
        orders=OrderSummary(n, Decimal(total), first, last, in_recovery),
        recent_orders=[OrderRow(*row) for row in recent_orders],
        consent=consent.current_status(session, person_id),
        activity_counts=dict(activity_counts),
        recent_activities=[ActivityRow(*row) for row in recent_activities],
        requests=[RequestRow(*row) for row in requests],
        form=opened_form(person),
        restricted=bool(restricted_among(session, [person_id])),
        erased_at=person.erased_at,
    )
    if record_view:
        audit.record(session, actor, "view_person", "person", person_id)
        session.commit()
    return detail


# --- the person's consent and its history (the consent page) ---


@dataclass(frozen=True)
class ConsentHistoryEntry:
    """One consent event as the person lookup shows it."""

    event_id: int
    occurred_at: dt.datetime
    purpose: Purpose
    status: ConsentStatus
    source: str
    evidence: str | None
    recorded_by: str | None  # the dashboard user, or None for imported events
    recorded_at: dt.datetime
    in_effect: bool  # the event is the current status of its purpose


@dataclass(frozen=True)
class PersonConsent:
    person: PersonMatch
    status: dict[Purpose, ConsentStatus]
    history: list[ConsentHistoryEntry]  # newest first


def person_consent(session: Session, actor: Actor, person_id: int) -> PersonConsent:
    """One person's current status per purpose and whole history, not audited (see open_person)."""
    require(actor, Permission.VIEW_CONSENT)
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    events = consent.history(session, actor, person_id)
    user_ids = {e.recorded_by for e in events if e.recorded_by is not None}
    users = dict(
        session.execute(
            select(AppUser.id, AppUser.display_name).where(AppUser.id.in_(list(user_ids)))
        ).all()
        if user_ids
        else []
    )
    in_effect = set(
        session.scalars(select(ConsentState.event_id).where(ConsentState.person_id == person_id))
    )
    return PersonConsent(
        person_match(person, bool(restricted_among(session, [person_id]))),
        consent.current_status(session, person_id),
        [
            ConsentHistoryEntry(
                e.id,
                e.occurred_at,
                Purpose(e.purpose),
                ConsentStatus(e.status),
                e.source,
                e.evidence,
                users.get(e.recorded_by) if e.recorded_by is not None else None,
                e.recorded_at,
                e.id in in_effect,
            )
            for e in events
        ],
    )


def open_person(session: Session, actor: Actor, person_id: int) -> PersonConsent:
    """Show a person's consent detail: a view of one person's data, so it is audited."""
    detail = person_consent(session, actor, person_id)
    audit.record(session, actor, "view_consent_history", "person", person_id)
    session.commit()
    return detail
